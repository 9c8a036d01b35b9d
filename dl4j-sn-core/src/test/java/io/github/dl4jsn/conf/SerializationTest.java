package io.github.dl4jsn.conf;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.dl4jsn.testutil.Nets;
import java.io.File;
import java.nio.file.Path;
import java.util.function.UnaryOperator;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * JSON and ModelSerializer round trips: equal configuration, bit-identical parameters (u and v
 * included), equal updater state and outputs, and continued training identical to an
 * uninterrupted run.
 */
class SerializationTest {

  @TempDir Path dir;

  /** Non-default options, so that a lost field shows. */
  static final UnaryOperator<Layer> WRAP =
      l -> new SpectralNormalization.Builder(l)
          .powerIterations(2)
          .eps(1e-10)
          .warmupIterations(3)
          .coefficient(1.5)
          .clipOnly(true)
          .build();

  @BeforeAll
  static void doublePrecision() {
    Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
  }

  @Test
  void multiLayerConfigurationRoundTripsThroughJsonAndYaml() {
    MultiLayerConfiguration conf = Nets.mlp(WRAP, DataType.DOUBLE);
    MultiLayerConfiguration fromJson = MultiLayerConfiguration.fromJson(conf.toJson());
    assertThat(fromJson).isEqualTo(conf);
    assertThat(fromJson.toJson()).isEqualTo(conf.toJson());
    assertThat(MultiLayerConfiguration.fromYaml(conf.toYaml())).isEqualTo(conf);
    SpectralNormalization sn = (SpectralNormalization) fromJson.getConf(1).getLayer();
    assertThat(sn.getPowerIterations()).isEqualTo(2);
    assertThat(sn.getEps()).isEqualTo(1e-10);
    assertThat(sn.getWarmupIterations()).isEqualTo(3);
    assertThat(sn.getCoefficient()).isEqualTo(1.5);
    assertThat(sn.isClipOnly()).isTrue();
    assertThat(conf.toJson()).contains("\"@class\" : \"io.github.dl4jsn.conf.SpectralNormalization\"");
  }

  @Test
  void graphConfigurationRoundTripsThroughJson() {
    ComputationGraphConfiguration conf = Nets.convGraph(WRAP, DataType.DOUBLE);
    ComputationGraphConfiguration fromJson = ComputationGraphConfiguration.fromJson(conf.toJson());
    assertThat(fromJson).isEqualTo(conf);
    assertThat(fromJson.toJson()).isEqualTo(conf.toJson());
  }

  @Test
  void multiLayerNetworkSavesAndRestoresAndContinuesTrainingIdentically() throws Exception {
    DataSet data = Nets.clusters(64, 3, DataType.DOUBLE);
    MultiLayerNetwork net = new MultiLayerNetwork(Nets.mlp(WRAP, DataType.DOUBLE));
    net.init();
    for (int i = 0; i < 4; i++) {
      net.fit(data);
    }
    File file = dir.resolve("mln.zip").toFile();
    ModelSerializer.writeModel(net, file, true);
    MultiLayerNetwork restored = ModelSerializer.restoreMultiLayerNetwork(file, true);

    assertThat(restored.getLayerWiseConfigurations()).isEqualTo(net.getLayerWiseConfigurations());
    assertThat(restored.params()).isEqualTo(net.params());
    assertThat(restored.getParam("1_uW")).isEqualTo(net.getParam("1_uW"));
    assertThat(restored.getParam("1_vW")).isEqualTo(net.getParam("1_vW"));
    assertThat(restored.getUpdater().getStateViewArray())
        .isEqualTo(net.getUpdater().getStateViewArray());
    assertThat(restored.output(data.getFeatures())).isEqualTo(net.output(data.getFeatures()));

    for (int i = 0; i < 3; i++) {
      net.fit(data);
      restored.fit(data);
    }
    assertThat(restored.params()).isEqualTo(net.params());
    assertThat(restored.getUpdater().getStateViewArray())
        .isEqualTo(net.getUpdater().getStateViewArray());
  }

  @Test
  void computationGraphSavesAndRestoresAndContinuesTrainingIdentically() throws Exception {
    DataSet data = Nets.images(16, 3, DataType.DOUBLE);
    ComputationGraph graph = new ComputationGraph(Nets.convGraph(WRAP, DataType.DOUBLE));
    graph.init();
    for (int i = 0; i < 3; i++) {
      graph.fit(data);
    }
    File file = dir.resolve("graph.zip").toFile();
    ModelSerializer.writeModel(graph, file, true);
    ComputationGraph restored = ModelSerializer.restoreComputationGraph(file, true);

    assertThat(restored.getConfiguration()).isEqualTo(graph.getConfiguration());
    assertThat(restored.params()).isEqualTo(graph.params());
    assertThat(restored.getUpdater().getStateViewArray())
        .isEqualTo(graph.getUpdater().getStateViewArray());
    INDArray expected = graph.outputSingle(data.getFeatures());
    assertThat(restored.outputSingle(data.getFeatures())).isEqualTo(expected);

    for (int i = 0; i < 3; i++) {
      graph.fit(data);
      restored.fit(data);
    }
    assertThat(restored.params()).isEqualTo(graph.params());
  }

  @Test
  void restoredNetworkIsACloneWithItsOwnVectors() {
    MultiLayerNetwork net = new MultiLayerNetwork(Nets.mlp(WRAP, DataType.DOUBLE));
    net.init();
    MultiLayerNetwork copy = net.clone();
    assertThat(copy.params()).isEqualTo(net.params());
    copy.fit(Nets.clusters(16, 4, DataType.DOUBLE));
    assertThat(copy.getParam("0_uW")).isNotEqualTo(net.getParam("0_uW"));
  }
}
