package io.github.dl4jsn.samediff;

import io.github.dl4jsn.math.WeightLayout;
import java.util.Map;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.deeplearning4j.nn.conf.layers.samediff.SameDiffLayer;
import org.deeplearning4j.nn.params.DefaultParamInitializer;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A spectrally normalized dense layer written as a DL4J {@link SameDiffLayer}, for users who build
 * custom layers in SameDiff: {@code out = act(x W_SN + b)}, {@code W_SN = c W / sigma}, {@code
 * sigma = u^T W^T v} with the same numbers as {@code SpectralNormalization.wrap(DenseLayer)}.
 *
 * <p>Parameters W [nIn, nOut], b [1, nOut], and the vectors {@code uW} [1, nOut] and {@code vW} [1,
 * nIn] (see {@link SpectralNormSameDiffLayer}). The power iteration runs outside the graph, in
 * {@link SameDiffSpectralNormListener} (once per iteration), because a SameDiffLayer's graph runs
 * its forward pass twice in training and never learns whether it is training.
 *
 * <p>Works around a DL4J M2.1 bug: a SameDiffLayer's gradients (its parameters' and its input's)
 * come out exactly twice the true ones; the layer halves them (a canary test checks that the bug
 * is still there).
 */
public class SpectralNormDenseSD extends SpectralNormSameDiffLayer {

  private static final long serialVersionUID = 1L;

  private long nIn;
  private long nOut;
  private Activation activation = Activation.TANH;

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
  protected WeightLayout layout() {
    return WeightLayout.DENSE;
  }

  @Override
  public SDVariable defineLayer(SameDiff sd, SDVariable input, Map<String, SDVariable> params,
      SDVariable mask) {
    SDVariable w = params.get(DefaultParamInitializer.WEIGHT_KEY);
    SDVariable b = params.get(DefaultParamInitializer.BIAS_KEY);
    SDVariable u = stopped(sd, params.get(U_KEY));
    SDVariable v = stopped(sd, params.get(V_KEY));
    // sigma = u^T M v with M = W^T: v W u^T.
    SDVariable sigma = v.mmul(w.mmul(u.reshape(nOut, 1))).reshape(1, 1);
    SDVariable weightSn = w.mul(scale(sd, sigma));
    return halveGradient(sd, activation.asSameDiff(sd, input.mmul(weightSn).add(b)));
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
    initializeVectors(params, w);
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
}
