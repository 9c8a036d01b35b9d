package io.github.dl4jsn.samediff;

import io.github.dl4jsn.math.WeightLayout;
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
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Conv2DConfig;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.PaddingMode;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A spectrally normalized 2-D convolution written as a DL4J {@link SameDiffLayer} (NCHW): the
 * kernel W [nOut, nIn, kH, kW] (DL4J's layout) is divided by {@code sigma = u^T M v}, M = W
 * reshaped to [nOut, nIn kH kW], as {@code SpectralNormalization.wrap(ConvolutionLayer)} does.
 * Stride, padding and ConvolutionMode Truncate or Same; vectors {@code uW} [1, nOut] and {@code
 * vW} [1, nIn kH kW], refreshed by {@link SameDiffSpectralNormListener}; the same 2x-gradient
 * workaround as {@link SpectralNormDenseSD}.
 */
public class SpectralNormConv2DSD extends SpectralNormSameDiffLayer {

  private static final long serialVersionUID = 1L;

  private long nIn;
  private long nOut;
  private int kernel = 3;
  private int stride = 1;
  private int padding;
  private ConvolutionMode convolutionMode = ConvolutionMode.Truncate;
  private Activation activation = Activation.RELU;

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

  @Override
  protected WeightLayout layout() {
    return WeightLayout.CONV;
  }

  private long cols() {
    return nIn * kernel * kernel;
  }

  @Override
  public SDVariable defineLayer(SameDiff sd, SDVariable input, Map<String, SDVariable> params,
      SDVariable mask) {
    SDVariable w = params.get("W");
    SDVariable b = params.get("b");
    SDVariable u = stopped(sd, params.get(U_KEY));
    SDVariable v = stopped(sd, params.get(V_KEY));
    // sigma = u^T M v, M = reshape(W, nOut, nIn kH kW)
    SDVariable sigma = u.mmul(w.reshape(nOut, cols()).mmul(v.reshape(cols(), 1))).reshape(1, 1);
    SDVariable weightSn = w.mul(scale(sd, sigma).reshape(1, 1, 1, 1));
    Conv2DConfig config = Conv2DConfig.builder()
        .kH(kernel).kW(kernel).sH(stride).sW(stride).pH(padding).pW(padding)
        .paddingMode(convolutionMode == ConvolutionMode.Same ? PaddingMode.SAME : PaddingMode.VALID)
        .dataFormat(Conv2DConfig.NCHW).weightsFormat(WeightsFormat.YXIO).build();
    // The op's default layout [kH, kW, nIn, nOut] (its backprop fails validation with OIYX).
    SDVariable z = sd.cnn().conv2d(input, weightSn.permute(2, 3, 1, 0), b.reshape(nOut), config);
    return halveGradient(sd, activation.asSameDiff(sd, z));
  }

  @Override
  public void defineParameters(SDLayerParams params) {
    params.addWeightParam("W", nOut, nIn, kernel, kernel);
    params.addBiasParam("b", 1, nOut);
    params.addBiasParam(U_KEY, 1, nOut);
    params.addBiasParam(V_KEY, 1, cols());
  }

  @Override
  public void initializeParameters(Map<String, INDArray> params) {
    INDArray w = params.get("W");
    w.assign(Nd4j.randn(w.dataType(), w.shape()).muli(Math.sqrt(2.0 / cols())));
    params.get("b").assign(0);
    initializeVectors(params, w);
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
}
