package io.github.dl4jsn.samediff;

import io.github.dl4jsn.math.SpectralNormCore;
import io.github.dl4jsn.math.WeightLayout;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.deeplearning4j.nn.conf.layers.samediff.SameDiffLayer;
import org.deeplearning4j.nn.params.DefaultParamInitializer;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.controlflow.compat.StopGradient;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.learning.regularization.Regularization;

/**
 * A spectrally normalized dense layer written as a DL4J {@link SameDiffLayer}, for users who build
 * custom layers in SameDiff: {@code out = act(x W_SN + b)}, {@code W_SN = c W / sigma}, {@code
 * sigma = u^T W^T v} with the same numbers as {@code SpectralNormalization.wrap(DenseLayer)}.
 *
 * <p>Parameters W [nIn, nOut], b [1, nOut], and the vectors {@code uW} [1, nOut] and {@code vW} [1,
 * nIn]: NoOp updater, no regularization, fed to the graph through {@code StopGradient}. The power
 * iteration runs outside the graph, in {@link SameDiffSpectralNormListener} (once per iteration),
 * because a SameDiffLayer's graph runs its forward pass twice in training and never learns whether
 * it is training.
 *
 * <p>Works around a DL4J M2.1 bug: a SameDiffLayer's gradients (its parameters' and its input's)
 * come out exactly twice the true ones. The graph's output is {@code 0.5 f + 0.5
 * stopGradient(f)}, equal to f, with half the gradient (a canary test checks that the bug is
 * still there).
 */
public class SpectralNormDenseSD extends SameDiffLayer implements SpectralNormSameDiffLayer {

  private static final long serialVersionUID = 1L;

  /** Keys of the persistent vectors. */
  public static final String U_KEY = "uW";
  public static final String V_KEY = "vW";

  private long nIn;
  private long nOut;
  private Activation activation = Activation.TANH;
  private int powerIterations = 1;
  private int warmupIterations = 15;
  private double eps = 1e-12;
  private double coefficient = 1.0;

  /** For JSON deserialization. */
  public SpectralNormDenseSD() {}

  /**
   * @param nIn input size
   * @param nOut output size
   * @param activation the activation; Default: TANH
   */
  public SpectralNormDenseSD(long nIn, long nOut, Activation activation) {
    this.nIn = nIn;
    this.nOut = nOut;
    this.activation = activation;
  }

  @Override
  public SDVariable defineLayer(SameDiff sd, SDVariable input, Map<String, SDVariable> params,
      SDVariable mask) {
    SDVariable w = params.get(DefaultParamInitializer.WEIGHT_KEY);
    SDVariable b = params.get(DefaultParamInitializer.BIAS_KEY);
    SDVariable u = new StopGradient(sd, params.get(U_KEY)).outputVariable();
    SDVariable v = new StopGradient(sd, params.get(V_KEY)).outputVariable();
    // sigma = u^T M v with M = W^T: v W u^T.
    SDVariable sigma = v.mmul(w.mmul(u.reshape(nOut, 1))).reshape(1, 1);
    SDVariable scale = sd.math().reciprocal(sigma.mul(1.0 / coefficient));
    SDVariable weightSn = w.mul(scale);
    SDVariable f = activation.asSameDiff(sd, input.mmul(weightSn).add(b));
    // Halve the gradient without changing the value: DL4J M2.1 doubles SameDiffLayer gradients.
    return f.mul(0.5).add(new StopGradient(sd, f).outputVariable().mul(0.5));
  }

  @Override
  public void defineParameters(SDLayerParams params) {
    params.addWeightParam(DefaultParamInitializer.WEIGHT_KEY, nIn, nOut);
    params.addBiasParam(DefaultParamInitializer.BIAS_KEY, 1, nOut);
    params.addBiasParam(U_KEY, 1, nOut);
    params.addBiasParam(V_KEY, 1, nIn);
  }

  @Override
  public void initializeParameters(Map<String, INDArray> params) {
    INDArray w = params.get(DefaultParamInitializer.WEIGHT_KEY);
    w.assign(Nd4j.randn(w.dataType(), w.shape()).muli(Math.sqrt(2.0 / (nIn + nOut))));
    params.get(DefaultParamInitializer.BIAS_KEY).assign(0);
    INDArray u = params.get(U_KEY);
    INDArray v = params.get(V_KEY);
    u.assign(Nd4j.randn(u.dataType(), u.shape()));
    v.assign(Nd4j.randn(v.dataType(), v.shape()));
    SpectralNormCore core = core(w);
    core.bind(u, v);
    core.normalizeVectors();
    core.powerIterate(w, warmupIterations);
  }

  @Override
  public SpectralNormCore core(INDArray w) {
    return new SpectralNormCore(WeightLayout.DENSE, w.shape(), w.ordering(), w.dataType(), eps,
        coefficient, false);
  }

  @Override
  public IUpdater getUpdaterByParam(String paramName) {
    if (U_KEY.equals(paramName) || V_KEY.equals(paramName)) {
      return new NoOp();
    }
    return super.getUpdaterByParam(paramName);
  }

  @Override
  public List<Regularization> getRegularizationByParam(String paramName) {
    if (U_KEY.equals(paramName) || V_KEY.equals(paramName)) {
      return Collections.emptyList();
    }
    return super.getRegularizationByParam(paramName);
  }

  @Override
  public InputType getOutputType(int layerIndex, InputType inputType) {
    return InputType.feedForward(nOut);
  }

  @Override
  public void setNIn(InputType inputType, boolean override) {
    if (nIn <= 0 || override) {
      nIn = ((InputType.InputTypeFeedForward) inputType).getSize();
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

  public Activation getActivation() {
    return activation;
  }

  public void setActivation(Activation activation) {
    this.activation = activation;
  }

  /** Power iterations per training iteration. Default: 1. */
  @Override
  public int getPowerIterations() {
    return powerIterations;
  }

  public void setPowerIterations(int powerIterations) {
    this.powerIterations = powerIterations;
  }

  /** Power iterations at initialization. Default: 15. */
  public int getWarmupIterations() {
    return warmupIterations;
  }

  public void setWarmupIterations(int warmupIterations) {
    this.warmupIterations = warmupIterations;
  }

  /** Epsilon of the vector normalization. Default: 1e-12. */
  public double getEps() {
    return eps;
  }

  public void setEps(double eps) {
    this.eps = eps;
  }

  /** Target Lipschitz constant c. Default: 1. */
  public double getCoefficient() {
    return coefficient;
  }

  public void setCoefficient(double coefficient) {
    this.coefficient = coefficient;
  }
}
