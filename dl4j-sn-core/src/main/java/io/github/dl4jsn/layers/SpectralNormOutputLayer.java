package io.github.dl4jsn.layers;

import io.github.dl4jsn.conf.SpectralNormalization;
import java.util.List;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.layers.IOutputLayer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;

/**
 * {@link SpectralNormLayer} for output layers: the network scores through {@link IOutputLayer},
 * and during {@code fit} a MultiLayerNetwork never calls {@code activate} on its output layer, so
 * scoring and backprop here are training-mode uses that may run the power iteration.
 */
public class SpectralNormOutputLayer extends SpectralNormLayer implements IOutputLayer {

  private static final long serialVersionUID = 1L;

  public SpectralNormOutputLayer(
      NeuralNetConfiguration conf, SpectralNormalization snConf, Layer inner, INDArray paramsView) {
    super(conf, snConf, inner, paramsView);
  }

  private IOutputLayer out() {
    return (IOutputLayer) inner;
  }

  @Override
  public boolean needsLabels() {
    return out().needsLabels();
  }

  @Override
  public void setLabels(INDArray labels) {
    out().setLabels(labels);
  }

  @Override
  public INDArray getLabels() {
    return out().getLabels();
  }

  @Override
  public double computeScore(
      double fullNetworkRegScore, boolean training, LayerWorkspaceMgr workspaceMgr) {
    return withNormalizedWeights(
        training, () -> out().computeScore(fullNetworkRegScore, training, workspaceMgr));
  }

  @Override
  public INDArray computeScoreForExamples(
      double fullNetworkRegScore, LayerWorkspaceMgr workspaceMgr) {
    return withNormalizedWeights(
        false, () -> out().computeScoreForExamples(fullNetworkRegScore, workspaceMgr));
  }

  @Override
  public double f1Score(DataSet data) {
    return f1Score(data.getFeatures(), data.getLabels());
  }

  @Override
  public double f1Score(INDArray examples, INDArray labels) {
    return withNormalizedWeights(false, () -> out().f1Score(examples, labels));
  }

  @Override
  public int numLabels() {
    return out().numLabels();
  }

  @Override
  public int[] predict(INDArray examples) {
    return withNormalizedWeights(false, () -> out().predict(examples));
  }

  @Override
  public List<String> predict(DataSet dataSet) {
    return withNormalizedWeights(false, () -> out().predict(dataSet));
  }

  @Override
  public void fit(DataSetIterator iter) {
    throw new UnsupportedOperationException(describe() + ": train the network, not the layer");
  }

  @Override
  public void fit(INDArray examples, INDArray labels) {
    throw new UnsupportedOperationException(describe() + ": train the network, not the layer");
  }

  @Override
  public void fit(DataSet data) {
    throw new UnsupportedOperationException(describe() + ": train the network, not the layer");
  }

  @Override
  public void fit(INDArray examples, int[] labels) {
    throw new UnsupportedOperationException(describe() + ": train the network, not the layer");
  }
}
