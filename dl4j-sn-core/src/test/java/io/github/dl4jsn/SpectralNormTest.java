package io.github.dl4jsn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.github.dl4jsn.conf.SpectralNormalization;
import io.github.dl4jsn.layers.SpectralNormLayer;
import io.github.dl4jsn.testutil.ExactSigma;
import io.github.dl4jsn.testutil.Nets;
import java.util.Map;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;
import org.nd4j.linalg.ops.transforms.Transforms;

/** Whole-network operations: applyTo, sigmas, exactSigmas and bake. */
class SpectralNormTest {

  @Test
  void applyToWrapsEveryWeightLayerOfAnExistingConfigurationAndLeavesTheOriginal() {
    MultiLayerConfiguration plain = Nets.mlp(Nets.PLAIN, DataType.FLOAT);
    String before = plain.toJson();
    MultiLayerConfiguration wrapped = SpectralNorm.applyTo(plain);
    assertThat(plain.toJson()).isEqualTo(before);
    for (NeuralNetConfiguration c : wrapped.getConfs()) {
      assertThat(c.getLayer()).isInstanceOf(SpectralNormalization.class);
    }
    assertThat(MultiLayerConfiguration.fromJson(wrapped.toJson())).isEqualTo(wrapped);
    MultiLayerNetwork net = new MultiLayerNetwork(wrapped);
    net.init();
    DataSet data = Nets.clusters(32, 1, DataType.FLOAT);
    double score = net.score(data);
    for (int i = 0; i < 20; i++) {
      net.fit(data);
    }
    assertThat(net.score(data)).isLessThan(score);
  }

  @Test
  void applyToSkipsLayersWithoutWeightsAndThoseThePredicateRejects() {
    MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().list()
        .layer(new ConvolutionLayer.Builder(3, 3).nOut(4).build())
        .layer(new BatchNormalization.Builder().build())
        .layer(new SubsamplingLayer.Builder(2, 2).build())
        .layer(new DenseLayer.Builder().nOut(8).build())
        .layer(new OutputLayer.Builder(LossFunction.MCXENT).nOut(2)
            .activation(Activation.SOFTMAX).build())
        .setInputType(InputType.convolutional(8, 8, 1))
        .build();
    MultiLayerConfiguration wrapped =
        SpectralNorm.applyTo(conf, l -> !(l instanceof OutputLayer));
    assertThat(wrapped.getConf(0).getLayer()).isInstanceOf(SpectralNormalization.class);
    assertThat(wrapped.getConf(1).getLayer()).isInstanceOf(BatchNormalization.class);
    assertThat(wrapped.getConf(2).getLayer()).isInstanceOf(SubsamplingLayer.class);
    assertThat(wrapped.getConf(3).getLayer()).isInstanceOf(SpectralNormalization.class);
    assertThat(wrapped.getConf(4).getLayer()).isInstanceOf(OutputLayer.class);
    MultiLayerNetwork net = new MultiLayerNetwork(wrapped);
    net.init();
    net.fit(Nd4j.rand(DataType.FLOAT, 4, 1, 8, 8), Nd4j.eye(2).repeat(0, 2).castTo(DataType.FLOAT));
  }

  @Test
  void applyToWrapsAComputationGraphWhichTrainsAndRoundTrips() {
    ComputationGraphConfiguration wrapped =
        SpectralNorm.applyTo(Nets.convGraph(Nets.PLAIN, DataType.FLOAT));
    assertThat(ComputationGraphConfiguration.fromJson(wrapped.toJson())).isEqualTo(wrapped);
    ComputationGraph graph = new ComputationGraph(wrapped);
    graph.init();
    graph.fit(Nets.images(8, 1, DataType.FLOAT));
    assertThat(SpectralNorm.sigmas(graph).keySet())
        .containsExactly("conv/W", "deconv/W", "dense/W", "out/W");
  }

  @Test
  void sigmasAreTheLayersEstimatesAndExactSigmasAreTheSvdOfTheNormalizedWeights() {
    MultiLayerNetwork net = new MultiLayerNetwork(
        Nets.mlp(Nets.SN, DataType.DOUBLE, new Adam(1e-3)));
    net.init();
    DataSet data = Nets.clusters(128, 2, DataType.DOUBLE);
    for (int i = 0; i < 50; i++) {
      net.fit(data);
    }
    Map<String, Double> sigmas = SpectralNorm.sigmas(net);
    Map<String, Double> exact = SpectralNorm.exactSigmas(net);
    assertThat(sigmas.keySet()).containsExactly("layer0/W", "layer1/W", "layer2/W");
    assertThat(exact.keySet()).isEqualTo(sigmas.keySet());
    for (int l = 0; l < 3; l++) {
      SpectralNormLayer layer = (SpectralNormLayer) net.getLayer(l);
      String key = "layer" + l + "/W";
      assertThat(sigmas.get(key)).isEqualTo(layer.sigma("W").getDouble());
      // W_SN = W / sigma_estimate, so its exact sigma is sigma_1(W) / sigma_estimate.
      double rawTop = ExactSigma.of(layer.getInnerLayer().getParam("W"));
      assertThat(exact.get(key)).isCloseTo(rawTop / sigmas.get(key), within(1e-9));
      assertThat(exact.get(key)).isCloseTo(1.0, within(0.25));
    }
  }

  @Test
  void bakedMultiLayerNetworkIsPlainAndMatchesSnInference() {
    MultiLayerNetwork net = new MultiLayerNetwork(Nets.mlp(Nets.SN, DataType.FLOAT));
    net.init();
    DataSet data = Nets.clusters(64, 3, DataType.FLOAT);
    for (int i = 0; i < 10; i++) {
      net.fit(data);
    }
    MultiLayerNetwork baked = SpectralNorm.bake(net);
    assertThat(baked.getLayerWiseConfigurations().toJson()).doesNotContain("io.github.dl4jsn");
    INDArray expected = net.output(data.getFeatures());
    double diff = Transforms.abs(baked.output(data.getFeatures()).sub(expected))
        .maxNumber().doubleValue();
    assertThat(diff).isLessThan(1e-6);
  }

  @Test
  void bakedComputationGraphMatchesSnInference() {
    ComputationGraph graph = new ComputationGraph(Nets.convGraph(Nets.SN, DataType.FLOAT));
    graph.init();
    DataSet data = Nets.images(16, 4, DataType.FLOAT);
    for (int i = 0; i < 5; i++) {
      graph.fit(data);
    }
    ComputationGraph baked = SpectralNorm.bake(graph);
    assertThat(baked.getConfiguration().toJson()).doesNotContain("io.github.dl4jsn");
    double diff = Transforms.abs(baked.outputSingle(data.getFeatures())
        .sub(graph.outputSingle(data.getFeatures()))).maxNumber().doubleValue();
    assertThat(diff).isLessThan(1e-6);
  }
}
