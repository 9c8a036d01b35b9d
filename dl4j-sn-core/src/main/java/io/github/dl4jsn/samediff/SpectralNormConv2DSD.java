package io.github.dl4jsn.samediff;

import io.github.dl4jsn.math.SpectralNormCore;
import io.github.dl4jsn.math.WeightLayout;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.deeplearning4j.nn.conf.layers.samediff.SameDiffLayer;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.enums.WeightsFormat;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.controlflow.compat.StopGradient;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Conv2DConfig;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.PaddingMode;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.learning.regularization.Regularization;

/**
 * A spectrally normalized 2-D convolution written as a DL4J {@link SameDiffLayer} (NCHW): the
 * kernel W [nOut, nIn, kH, kW] (DL4J's layout) is divided by {@code sigma = u^T M v}, M = W
 * reshaped to [nOut, nIn kH kW], as {@code SpectralNormalization.wrap(ConvolutionLayer)} does.
 * Stride, padding and ConvolutionMode Truncate or Same; vectors {@code uW} [1, nOut] and {@code
 * vW} [1, nIn kH kW], refreshed by {@link SameDiffSpectralNormListener}; the same 2x-gradient
 * workaround as {@link SpectralNormDenseSD}.
 */
public class SpectralNormConv2DSD extends SameDiffLayer implements SpectralNormSameDiffLayer {

  private static final long serialVersionUID = 1L;

  private long nIn;
  private long nOut;
  private int kernel = 3;
  private int stride = 1;
  private int padding;
  private ConvolutionMode convolutionMode = ConvolutionMode.Truncate;
  private Activation activation = Activation.RELU;
  private int powerIterations = 1;
  private int warmupIterations = 15;
  private double eps = 1e-12;
  private double coefficient = 1.0;

  /** For JSON deserialization. */
  public SpectralNormConv2DSD() {}

  /**
   * A square-kernel convolution; nIn comes from the network's input type if 0.
   *
   * @param mode Truncate (with {@code padding}) or Same
   */
  public SpectralNormConv2DSD(long nIn, long nOut, int kernel, int stride, int padding,
      ConvolutionMode mode, Activation activation) {
    if (mode != ConvolutionMode.Truncate && mode != ConvolutionMode.Same) {
      throw new IllegalArgumentException(
          "SpectralNormConv2DSD supports ConvolutionMode Truncate and Same, got " + mode);
    }
    this.nIn = nIn;
    this.nOut = nOut;
    this.kernel = kernel;
    this.stride = stride;
    this.padding = padding;
    this.convolutionMode = mode;
    this.activation = activation;
  }

  private long cols() {
    return nIn * kernel * kernel;
  }

  @Override
  public SDVariable defineLayer(SameDiff sd, SDVariable input, Map<String, SDVariable> params,
      SDVariable mask) {
    SDVariable w = params.get("W");
    SDVariable b = params.get("b");
    SDVariable u = new StopGradient(sd, params.get("uW")).outputVariable();
    SDVariable v = new StopGradient(sd, params.get("vW")).outputVariable();
    // sigma = u^T M v, M = reshape(W, nOut, nIn kH kW)
    SDVariable sigma = u.mmul(w.reshape(nOut, cols()).mmul(v.reshape(cols(), 1))).reshape(1, 1);
    SDVariable weightSn = w.mul(sd.math().reciprocal(sigma.mul(1.0 / coefficient))
        .reshape(1, 1, 1, 1));
    Conv2DConfig config = Conv2DConfig.builder()
        .kH(kernel).kW(kernel).sH(stride).sW(stride).pH(padding).pW(padding)
        .paddingMode(convolutionMode == ConvolutionMode.Same ? PaddingMode.SAME : PaddingMode.VALID)
        .dataFormat(Conv2DConfig.NCHW).weightsFormat(WeightsFormat.YXIO).build();
    // The op's default layout [kH, kW, nIn, nOut] (its backprop fails validation with OIYX).
    SDVariable z = sd.cnn().conv2d(input, weightSn.permute(2, 3, 1, 0), b.reshape(nOut), config);
    SDVariable f = activation.asSameDiff(sd, z);
    // DL4J M2.1 doubles SameDiffLayer gradients: halve them without changing the value.
    return f.mul(0.5).add(new StopGradient(sd, f).outputVariable().mul(0.5));
  }

  @Override
  public void defineParameters(SDLayerParams params) {
    params.addWeightParam("W", nOut, nIn, kernel, kernel);
    params.addBiasParam("b", 1, nOut);
    params.addBiasParam("uW", 1, nOut);
    params.addBiasParam("vW", 1, cols());
  }

  @Override
  public void initializeParameters(Map<String, INDArray> params) {
    INDArray w = params.get("W");
    w.assign(Nd4j.randn(w.dataType(), w.shape()).muli(Math.sqrt(2.0 / cols())));
    params.get("b").assign(0);
    INDArray u = params.get("uW");
    INDArray v = params.get("vW");
    u.assign(Nd4j.randn(u.dataType(), u.shape()));
    v.assign(Nd4j.randn(v.dataType(), v.shape()));
    SpectralNormCore core = core(w);
    core.bind(u, v);
    core.normalizeVectors();
    core.powerIterate(w, warmupIterations);
  }

  @Override
  public SpectralNormCore core(INDArray w) {
    return new SpectralNormCore(WeightLayout.CONV, w.shape(), w.ordering(), w.dataType(), eps,
        coefficient, false);
  }

  @Override
  public IUpdater getUpdaterByParam(String paramName) {
    return "uW".equals(paramName) || "vW".equals(paramName) ? new NoOp()
        : super.getUpdaterByParam(paramName);
  }

  @Override
  public List<Regularization> getRegularizationByParam(String paramName) {
    return "uW".equals(paramName) || "vW".equals(paramName) ? Collections.emptyList()
        : super.getRegularizationByParam(paramName);
  }

  @Override
  public InputType getOutputType(int layerIndex, InputType inputType) {
    InputType.InputTypeConvolutional in = (InputType.InputTypeConvolutional) inputType;
    long h;
    long w;
    if (convolutionMode == ConvolutionMode.Same) {
      h = (in.getHeight() + stride - 1) / stride;
      w = (in.getWidth() + stride - 1) / stride;
    } else {
      h = (in.getHeight() + 2L * padding - kernel) / stride + 1;
      w = (in.getWidth() + 2L * padding - kernel) / stride + 1;
    }
    return InputType.convolutional(h, w, nOut);
  }

  @Override
  public void setNIn(InputType inputType, boolean override) {
    if (nIn <= 0 || override) {
      nIn = ((InputType.InputTypeConvolutional) inputType).getChannels();
    }
  }

  @Override
  public int getPowerIterations() {
    return powerIterations;
  }

  public void setPowerIterations(int powerIterations) {
    this.powerIterations = powerIterations;
  }

  public long getNIn() {
    return nIn;
  }

  public void setNIn(long nIn) {
    this.nIn = nIn;
  }

  public long getNOut() {
    return nOut;
  }

  public void setNOut(long nOut) {
    this.nOut = nOut;
  }

  public int getKernel() {
    return kernel;
  }

  public void setKernel(int kernel) {
    this.kernel = kernel;
  }

  public int getStride() {
    return stride;
  }

  public void setStride(int stride) {
    this.stride = stride;
  }

  public int getPadding() {
    return padding;
  }

  public void setPadding(int padding) {
    this.padding = padding;
  }

  public ConvolutionMode getConvolutionMode() {
    return convolutionMode;
  }

  public void setConvolutionMode(ConvolutionMode convolutionMode) {
    this.convolutionMode = convolutionMode;
  }

  public Activation getActivation() {
    return activation;
  }

  public void setActivation(Activation activation) {
    this.activation = activation;
  }

  public int getWarmupIterations() {
    return warmupIterations;
  }

  public void setWarmupIterations(int warmupIterations) {
    this.warmupIterations = warmupIterations;
  }

  public double getEps() {
    return eps;
  }

  public void setEps(double eps) {
    this.eps = eps;
  }

  public double getCoefficient() {
    return coefficient;
  }

  public void setCoefficient(double coefficient) {
    this.coefficient = coefficient;
  }
}
