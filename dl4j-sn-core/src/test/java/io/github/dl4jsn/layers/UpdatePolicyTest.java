package io.github.dl4jsn.layers;

import static io.github.dl4jsn.testutil.Arrays2.assertClose;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.dl4jsn.conf.SpectralNormalization;
import io.github.dl4jsn.math.SpectralNormCore;
import io.github.dl4jsn.math.WeightLayout;
import io.github.dl4jsn.testutil.Nets;
import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.conf.GradientNormalization;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

/**
 * u and v change exactly once per training iteration, by exactly the power iteration, whatever
 * the updater, regularization and gradient normalization do to the other parameters.
 */
class UpdatePolicyTest {

  @BeforeAll
  static void doublePrecision() {
    Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
  }

  static MultiLayerConfiguration mlp(GradientNormalization gn, int powerIterations) {
    return new NeuralNetConfiguration.Builder()
        .seed(3)
        .dataType(DataType.DOUBLE)
        .updater(new Adam(1e-2))
        .l2(1e-2)
        .weightDecay(1e-3)
        .l1(1e-4)
        .gradientNormalization(gn)
        .gradientNormalizationThreshold(0.5)
        .activation(Activation.TANH)
        .list()
        .layer(new SpectralNormalization.Builder(new DenseLayer.Builder().nOut(16).build())
            .powerIterations(powerIterations).build())
        .layer(new SpectralNormalization.Builder(new OutputLayer.Builder(LossFunction.MCXENT)
            .nOut(4).activation(Activation.SOFTMAX).build())
            .powerIterations(powerIterations).build())
        .setInputType(InputType.feedForward(8))
        .build();
  }

  /** The expected vectors after n power iterations from the current u, v and W of a layer. */
  static INDArray[] expectedAfter(MultiLayerNetwork net, int layer, int n) {
    INDArray w = net.getLayer(layer).getParam("W").dup();
    INDArray u = net.getLayer(layer).getParam("uW").dup();
    INDArray v = net.getLayer(layer).getParam("vW").dup();
    SpectralNormCore core =
        new SpectralNormCore(WeightLayout.DENSE, w.shape(), 'f', DataType.DOUBLE, 1e-12, 1, false);
    core.bind(u, v);
    core.powerIterate(w, n);
    return new INDArray[] {u, v};
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(
      value = GradientNormalization.class,
      names = {"None", "RenormalizeL2PerLayer", "ClipL2PerLayer", "ClipElementWiseAbsoluteValue",
          "ClipL2PerParamType"})
  void vectorsChangeOnlyByOnePowerIterationPerStep(GradientNormalization gn) {
    MultiLayerNetwork net = new MultiLayerNetwork(mlp(gn, 1));
    net.init();
    DataSet data = Nets.clusters(32, 5, DataType.DOUBLE);
    for (int step = 0; step < 3; step++) {
      List<INDArray[]> expected = new ArrayList<>();
      for (int l = 0; l < 2; l++) {
        expected.add(expectedAfter(net, l, 1));
      }
      INDArray wBefore = net.getLayer(0).getParam("W").dup();
      net.fit(data);
      assertThat(net.getLayer(0).getParam("W")).as("W trains").isNotEqualTo(wBefore);
      for (int l = 0; l < 2; l++) {
        assertClose("u of layer " + l, net.getLayer(l).getParam("uW"), expected.get(l)[0], 1e-14);
        assertClose("v of layer " + l, net.getLayer(l).getParam("vW"), expected.get(l)[1], 1e-14);
      }
    }
  }

  @Test
  void outputLayerStillIteratesWhenInferenceRunsBetweenTrainingSteps() {
    MultiLayerNetwork net = new MultiLayerNetwork(mlp(GradientNormalization.None, 1));
    net.init();
    DataSet data = Nets.clusters(32, 8, DataType.DOUBLE);
    for (int step = 0; step < 3; step++) {
      net.output(data.getFeatures(), false); // monitoring between steps
      INDArray[] expected = expectedAfter(net, 1, 1);
      net.fit(data);
      assertClose("output layer u", net.getLayer(1).getParam("uW"), expected[0], 1e-14);
    }
  }

  @Test
  void frozenLayerWithBackpropAroundSnFreezesWeightsAndVectors() {
    MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder()
        .seed(3)
        .dataType(DataType.DOUBLE)
        .updater(new Adam(1e-2))
        .activation(Activation.TANH)
        .list()
        .layer(new org.deeplearning4j.nn.conf.layers.misc.FrozenLayerWithBackprop(
            SpectralNormalization.wrap(new DenseLayer.Builder().nOut(16).build())))
        .layer(SpectralNormalization.wrap(new DenseLayer.Builder().nOut(16).build()))
        .layer(new OutputLayer.Builder(LossFunction.MCXENT).nOut(4)
            .activation(Activation.SOFTMAX).build())
        .setInputType(InputType.feedForward(8))
        .build();
    MultiLayerNetwork net = new MultiLayerNetwork(conf);
    net.init();
    INDArray frozen = net.getLayer(0).params().dup();
    INDArray trainable = net.getLayer(1).params().dup();
    DataSet data = Nets.clusters(32, 9, DataType.DOUBLE);
    for (int i = 0; i < 5; i++) {
      net.fit(data);
    }
    assertThat(net.getLayer(0).params()).as("frozen W, b, u and v").isEqualTo(frozen);
    assertThat(net.getLayer(1).params()).as("the next SN layer trains").isNotEqualTo(trainable);
  }

  @Test
  void zeroPowerIterationsFreezeUAndV() {
    MultiLayerNetwork net = new MultiLayerNetwork(mlp(GradientNormalization.None, 0));
    net.init();
    INDArray u = net.getParam("0_uW").dup();
    INDArray v = net.getParam("1_vW").dup();
    DataSet data = Nets.clusters(32, 6, DataType.DOUBLE);
    for (int i = 0; i < 5; i++) {
      net.fit(data);
    }
    assertThat(net.getParam("0_uW")).isEqualTo(u);
    assertThat(net.getParam("1_vW")).isEqualTo(v);
  }

  @Test
  void pausedPowerIterationLeavesUAndVUnchangedInTrainingAndUsesTheCurrentWeightSn() {
    MultiLayerNetwork net = new MultiLayerNetwork(mlp(GradientNormalization.None, 1));
    net.init();
    DataSet data = Nets.clusters(32, 7, DataType.DOUBLE);
    net.fit(data);
    INDArray vectorsBefore = net.params().dup();
    INDArray expected = net.output(data.getFeatures(), false);
    assertThat(SpectralNormLayer.setPowerIterationPaused(net, true)).isEqualTo(2);
    // A generator-style pass: gradients with respect to the input, no update.
    INDArray training = net.output(data.getFeatures(), true);
    net.calculateGradients(data.getFeatures(), data.getLabels(), null, null);
    assertThat(net.params()).isEqualTo(vectorsBefore);
    assertClose("training-mode output with paused iteration", training, expected, 1e-14);
    SpectralNormLayer.setPowerIterationPaused(net, false);
    net.fit(data);
    assertThat(net.getParam("0_uW")).isNotEqualTo(vectorsBefore.get(
        org.nd4j.linalg.indexing.NDArrayIndex.interval(8 * 16 + 16, 8 * 16 + 32)));
  }

  @Test
  void warmupAtInitializationConvergesSigmaBeforeTheFirstStep() {
    MultiLayerNetwork net = new MultiLayerNetwork(Nets.mlp(Nets.SN, DataType.DOUBLE));
    net.init();
    for (int l = 0; l < 3; l++) {
      SpectralNormLayer layer = (SpectralNormLayer) net.getLayer(l);
      double exact = io.github.dl4jsn.testutil.ExactSigma.of(layer.getInnerLayer().getParam("W"));
      assertThat(layer.sigma("W").getDouble())
          .as("sigma estimate of layer %d after 15 warm-up iterations", l)
          .isCloseTo(exact, org.assertj.core.api.Assertions.within(0.05 * exact));
    }
  }

  @Test
  void vectorParametersAreVisibleAndUseNoOpUpdaterAndNoRegularization() {
    MultiLayerNetwork net = new MultiLayerNetwork(mlp(GradientNormalization.None, 1));
    net.init();
    assertThat(net.paramTable().keySet())
        .containsExactly("0_W", "0_b", "0_uW", "0_vW", "1_W", "1_b", "1_uW", "1_vW");
    assertThat(net.getParam("0_uW").length()).isEqualTo(16);
    assertThat(net.getParam("0_vW").length()).isEqualTo(8);
    SpectralNormalization conf =
        (SpectralNormalization) net.getLayerWiseConfigurations().getConf(0).getLayer();
    assertThat(conf.getUpdaterByParam("uW")).isInstanceOf(org.nd4j.linalg.learning.config.NoOp.class);
    assertThat(conf.getUpdaterByParam("W")).isInstanceOf(Adam.class);
    assertThat(conf.getRegularizationByParam("vW")).isEmpty();
    assertThat(conf.getRegularizationByParam("W")).isNotEmpty();
    assertThat(net.getLayer(0).updaterDivideByMinibatch("uW")).isFalse();
  }
}
