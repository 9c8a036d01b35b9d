package io.github.dl4jsn;

import static org.assertj.core.api.Assertions.assertThatThrownBy;
import io.github.dl4jsn.ApplyReport.Outcome;
import io.github.dl4jsn.conf.SameDiffSpectralNormalization;
import org.deeplearning4j.exception.DL4JInvalidConfigException;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.PReLULayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SelfAttentionLayer;
import org.deeplearning4j.nn.conf.layers.misc.FrozenLayer;
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

  /** A configuration with one layer of each kind of outcome, for the report. */
  static MultiLayerConfiguration everyOutcome() {
    return new NeuralNetConfiguration.Builder().list()
        .layer(new DenseLayer.Builder().nOut(6).name("dense").build())
        .layer(new PReLULayer.Builder().inputShape(6).name("prelu").build())
        .layer(new FrozenLayer(new DenseLayer.Builder().nOut(6).name("frozen").build()))
        .layer(SpectralNormalization.wrap(new DenseLayer.Builder().nOut(6).name("done").build()))
        .layer(new DenseLayer.Builder().nOut(6).name("skipped").build())
        .layer(new ActivationLayer.Builder().activation(Activation.TANH).name("act").build())
        .layer(new OutputLayer.Builder(LossFunction.MCXENT).nOut(2).name("out")
            .activation(Activation.SOFTMAX).build())
        .setInputType(InputType.feedForward(4))
        .build();
  }

  @Test
  void applyReportSaysWhichLayersWereWrappedWhichWereLeftAloneAndWhy() {
    SpectralNorm.Applied<MultiLayerConfiguration> applied = SpectralNorm.apply(everyOutcome(),
        l -> !"skipped".equals(l.getLayerName()), false);
    ApplyReport report = applied.report();
    assertThat(report.entries()).extracting(ApplyReport.Entry::outcome).containsExactly(
        Outcome.WRAPPED, Outcome.UNSUPPORTED_TYPE, Outcome.INSIDE_WRAPPER,
        Outcome.ALREADY_WRAPPED, Outcome.EXCLUDED_BY_PREDICATE, Outcome.NO_WEIGHTS,
        Outcome.WRAPPED);
    assertThat(report.entries().get(1).toString())
        .contains("layer 1 'prelu'", "PReLULayer", "[W]", "per-unit slope");
    assertThat(report.entries().get(2).toString())
        .contains("FrozenLayer(DenseLayer)", "frozen weights do not train");
    assertThat(report.weightsLeftAlone()).extracting(ApplyReport.Entry::layer)
        .containsExactly("layer 1 'prelu'", "layer 2 'layer2'");
    assertThat(report.summary()).startsWith("wrapped 2 of 7 layers");
    MultiLayerConfiguration wrapped = applied.configuration();
    assertThat(wrapped.getConf(0).getLayer()).isInstanceOf(SpectralNormalization.class);
    assertThat(wrapped.getConf(1).getLayer()).isInstanceOf(PReLULayer.class);
    assertThat(wrapped.getConf(4).getLayer()).isInstanceOf(DenseLayer.class);
    assertThat(wrapped.getConf(6).getLayer()).isInstanceOf(SpectralNormalization.class);
  }

  @Test
  void strictApplyRefusesWeightsItCannotNormalizeUnlessThePredicateExcludesThem() {
    assertThatThrownBy(() -> SpectralNorm.apply(everyOutcome(), l -> true, true))
        .isInstanceOf(DL4JInvalidConfigException.class)
        .hasMessageContaining("2 layer(s)").hasMessageContaining("'prelu'")
        .hasMessageContaining("FrozenLayer(DenseLayer)");
    SpectralNorm.Applied<MultiLayerConfiguration> applied = SpectralNorm.apply(everyOutcome(),
        l -> !(l instanceof PReLULayer || l instanceof FrozenLayer), true);
    assertThat(applied.report().weightsLeftAlone()).isEmpty();
    assertThat(applied.report().with(Outcome.EXCLUDED_BY_PREDICATE)).hasSize(2);
    MultiLayerNetwork net = new MultiLayerNetwork(applied.configuration());
    net.init();
    assertThat(net.output(Nd4j.rand(DataType.FLOAT, 3, 4)).isMatrix()).isTrue();
  }

  @Test
  void applyToWrapsDl4jSameDiffLayersWithTheSameDiffWrapper() {
    MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().list()
        .layer(new SelfAttentionLayer.Builder().nOut(4).nHeads(2).headSize(2).projectInput(true)
            .build())
        .layer(new SelfAttentionLayer.Builder().nHeads(1).projectInput(false).build())
        .layer(new GlobalPoolingLayer.Builder(PoolingType.AVG).build())
        .layer(new OutputLayer.Builder(LossFunction.MCXENT).nOut(2)
            .activation(Activation.SOFTMAX).build())
        .setInputType(InputType.recurrent(4, 5))
        .build();
    SpectralNorm.Applied<MultiLayerConfiguration> applied = SpectralNorm.apply(conf, l -> true,
        true);
    assertThat(applied.configuration().getConf(0).getLayer())
        .isInstanceOf(SameDiffSpectralNormalization.class);
    assertThat(applied.report().entries().get(0).weights())
        .containsExactly("Wq", "Wk", "Wv", "Wo");
    assertThat(applied.report().entries().get(1).outcome()).isEqualTo(Outcome.NO_WEIGHTS);
    MultiLayerNetwork net = new MultiLayerNetwork(applied.configuration());
    net.init();
    net.fit(Nd4j.rand(DataType.FLOAT, 3, 4, 5), Nd4j.eye(2).getRows(0, 1, 0));
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
