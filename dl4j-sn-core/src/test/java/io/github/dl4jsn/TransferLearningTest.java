package io.github.dl4jsn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.dl4jsn.conf.SpectralNormFineTuneConfiguration;
import io.github.dl4jsn.conf.SpectralNormalization;
import io.github.dl4jsn.testutil.Nets;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.misc.FrozenLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.transferlearning.FineTuneConfiguration;
import org.deeplearning4j.nn.transferlearning.TransferLearning;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

/**
 * FrozenLayer around SN, and DL4J's TransferLearning on SN networks: feature extraction freezes W,
 * u and v; {@link SpectralNormFineTuneConfiguration} reaches the inner layers (DL4J's own
 * FineTuneConfiguration does not); replacing an SN layer goes through remove + add.
 */
class TransferLearningTest {

  static MultiLayerNetwork trained() {
    MultiLayerNetwork net = new MultiLayerNetwork(Nets.mlp(Nets.SN, DataType.FLOAT));
    net.init();
    DataSet data = Nets.clusters(64, 1, DataType.FLOAT);
    for (int i = 0; i < 5; i++) {
      net.fit(data);
    }
    return net;
  }

  static BaseLayer inner(MultiLayerNetwork net, int i) {
    org.deeplearning4j.nn.conf.layers.Layer l = net.getLayerWiseConfigurations().getConf(i)
        .getLayer();
    if (l instanceof FrozenLayer) {
      l = ((FrozenLayer) l).getLayer();
    }
    return (BaseLayer) ((SpectralNormalization) l).getUnderlying();
  }

  @Test
  void featureExtractorFreezesSnLayerWithItsVectorsAndFineTuneReachesInnerLayers() {
    MultiLayerNetwork net = trained();
    FineTuneConfiguration ftc = new FineTuneConfiguration.Builder().updater(new Sgd(0.05))
        .build();
    MultiLayerNetwork tuned = new TransferLearning.Builder(net)
        .fineTuneConfiguration(SpectralNormFineTuneConfiguration.of(ftc))
        .setFeatureExtractor(0)
        .build();
    assertThat(inner(tuned, 1).getIUpdater()).isInstanceOf(Sgd.class);
    assertThat(inner(tuned, 2).getIUpdater()).isInstanceOf(Sgd.class);
    assertThat(tuned.getLayerWiseConfigurations().getConf(0).getLayer())
        .isInstanceOf(FrozenLayer.class);

    INDArray frozen = tuned.getLayer(0).params().dup();
    INDArray u1 = tuned.getLayer(1).getParam("uW").dup();
    INDArray w1 = tuned.getLayer(1).getParam("W").dup();
    DataSet data = Nets.clusters(64, 2, DataType.FLOAT);
    for (int i = 0; i < 5; i++) {
      tuned.fit(data);
    }
    // W, b, uW and vW of the frozen layer are bit-identical; the others train and iterate.
    assertThat(tuned.getLayer(0).params()).isEqualTo(frozen);
    assertThat(tuned.getLayer(1).getParam("W")).isNotEqualTo(w1);
    assertThat(tuned.getLayer(1).getParam("uW")).isNotEqualTo(u1);
    assertThat(SpectralNorm.exactSigmas(tuned).values()).allSatisfy(
        s -> assertThat(s).isBetween(0.8, 1.3));
    // Round trip of the transferred configuration.
    assertThat(org.deeplearning4j.nn.conf.MultiLayerConfiguration.fromJson(
        tuned.getLayerWiseConfigurations().toJson()))
        .isEqualTo(tuned.getLayerWiseConfigurations());
  }

  @Test
  void dl4jsOwnFineTuneConfigurationMissesTheInnerLayers() {
    // The reason for SpectralNormFineTuneConfiguration: DL4J changes BaseLayers only.
    MultiLayerNetwork net = trained();
    MultiLayerNetwork tuned = new TransferLearning.Builder(net)
        .fineTuneConfiguration(new FineTuneConfiguration.Builder().updater(new Sgd(0.05)).build())
        .build();
    assertThat(inner(tuned, 1).getIUpdater()).isInstanceOf(Adam.class);
  }

  @Test
  void replacingAnSnLayerGoesThroughRemoveAndAdd() {
    MultiLayerNetwork net = trained();
    // DL4J's nOutReplace needs a FeedForwardLayer and rejects the wrapper:
    assertThatThrownBy(() -> new TransferLearning.Builder(net).nOutReplace(2, 3, org.deeplearning4j.nn.weights.WeightInit.XAVIER).build())
        .hasMessageContaining("FeedForward");
    // What works: remove the output layer and add a new SN one.
    MultiLayerNetwork replaced = new TransferLearning.Builder(net)
        .fineTuneConfiguration(SpectralNormFineTuneConfiguration.of(
            new FineTuneConfiguration.Builder().updater(new Adam(1e-2)).build()))
        .removeOutputLayer()
        .addLayer(SpectralNormalization.wrap(new OutputLayer.Builder(LossFunction.MCXENT)
            .nIn(32).nOut(3).activation(Activation.SOFTMAX).build()))
        .build();
    assertThat(replaced.getLayer(2).getParam("uW").length()).isEqualTo(3);
    DataSet data = Nets.clusters(30, 3, DataType.FLOAT);
    INDArray labels3 = data.getLabels().get(
        org.nd4j.linalg.indexing.NDArrayIndex.all(),
        org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 3)).dup();
    for (int r = 0; r < labels3.rows(); r++) {
      if (labels3.getRow(r).sumNumber().doubleValue() == 0) {
        labels3.putScalar(r, 0, 1.0);
      }
    }
    DataSet three = new DataSet(data.getFeatures(), labels3);
    double before = replaced.score(three);
    for (int i = 0; i < 20; i++) {
      replaced.fit(three);
    }
    assertThat(replaced.score(three)).isLessThan(before);
  }

  @Test
  void frozenLayerInAConfigurationFreezesWAndTheVectors() {
    MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder()
        .seed(1).dataType(DataType.FLOAT).updater(new Adam(1e-2)).activation(Activation.TANH)
        .list()
        .layer(new FrozenLayer(SpectralNormalization.wrap(new DenseLayer.Builder().nOut(16)
            .build())))
        .layer(SpectralNormalization.wrap(new OutputLayer.Builder(LossFunction.MCXENT).nOut(4)
            .activation(Activation.SOFTMAX).build()))
        .setInputType(InputType.feedForward(8))
        .build());
    net.init();
    INDArray frozen = net.getLayer(0).params().dup();
    INDArray out = net.getLayer(1).params().dup();
    DataSet data = Nets.clusters(32, 4, DataType.FLOAT);
    for (int i = 0; i < 5; i++) {
      net.fit(data);
    }
    assertThat(net.getLayer(0).params()).isEqualTo(frozen);
    assertThat(net.getLayer(1).params()).isNotEqualTo(out);
    assertThat(SpectralNorm.sigmas(net)).containsOnlyKeys("layer0/W", "layer1/W");
  }
}
