package io.github.dl4jsn.layers;

import io.github.dl4jsn.conf.SpectralNormalization;
import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.layers.RecurrentLayer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A spectrally normalized recurrent layer (LSTM, GravesLSTM, SimpleRnn). It is a {@link
 * RecurrentLayer} itself, so that DL4J's networks route their recurrent paths through it: stored
 * state ({@code rnnTimeStep}), truncated BPTT ({@code rnnActivateUsingStoredState}, {@code
 * tbpttBackpropGradient}) and the state accessors. Every path runs the inner layer on W_SN (and
 * RW_SN); only training-mode forward passes run the power iteration, once per iteration.
 */
public class SpectralNormRecurrentLayer extends SpectralNormLayer implements RecurrentLayer {

  private static final long serialVersionUID = 1L;

  private final RecurrentLayer recurrent;

  /** As {@link SpectralNormLayer#SpectralNormLayer}, for an inner layer that is recurrent. */
  public SpectralNormRecurrentLayer(
      NeuralNetConfiguration conf, SpectralNormalization snConf, Layer inner, INDArray paramsView) {
    super(conf, snConf, inner, paramsView);
    this.recurrent = (RecurrentLayer) inner;
  }

  @Override
  public INDArray rnnTimeStep(INDArray input, LayerWorkspaceMgr workspaceMgr) {
    INDArray out = withNormalizedWeights(false, () -> recurrent.rnnTimeStep(input, workspaceMgr));
    forwardInvalidated();
    return out;
  }

  @Override
  public INDArray rnnActivateUsingStoredState(
      INDArray input, boolean training, boolean storeLastForTBPTT, LayerWorkspaceMgr workspaceMgr) {
    INDArray out =
        withNormalizedWeights(
            training,
            () ->
                recurrent.rnnActivateUsingStoredState(
                    input, training, storeLastForTBPTT, workspaceMgr));
    forwardDone();
    return out;
  }

  @Override
  public Pair<Gradient, INDArray> tbpttBackpropGradient(
      INDArray epsilon, int tbpttBackLength, LayerWorkspaceMgr workspaceMgr) {
    return backpropWithNormalizedWeights(
        () -> recurrent.tbpttBackpropGradient(epsilon, tbpttBackLength, workspaceMgr));
  }

  @Override
  public Map<String, INDArray> rnnGetPreviousState() {
    return recurrent.rnnGetPreviousState();
  }

  @Override
  public void rnnSetPreviousState(Map<String, INDArray> stateMap) {
    recurrent.rnnSetPreviousState(stateMap);
  }

  @Override
  public void rnnClearPreviousState() {
    recurrent.rnnClearPreviousState();
  }

  @Override
  public Map<String, INDArray> rnnGetTBPTTState() {
    return recurrent.rnnGetTBPTTState();
  }

  @Override
  public void rnnSetTBPTTState(Map<String, INDArray> state) {
    recurrent.rnnSetTBPTTState(state);
  }
}
