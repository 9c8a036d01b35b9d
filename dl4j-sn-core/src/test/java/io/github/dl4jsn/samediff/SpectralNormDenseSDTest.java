package io.github.dl4jsn.samediff;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.github.dl4jsn.conf.SpectralNormalization;
import java.util.Map;
import java.util.Set;
import org.deeplearning4j.exception.DL4JInvalidConfigException;
import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.deeplearning4j.nn.conf.layers.samediff.SameDiffLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

/**
 * The SameDiffLayer-based SN dense layer has the native wrapper's numbers (score, gradients and, over
 * training, parameters and vectors, to 1e-10 in DOUBLE), passes DL4J's gradient check, and works
 * around DL4J M2.1's doubled SameDiffLayer gradients (a canary shows the bug on a plain layer).
 */
class SpectralNormDenseSDTest {

  @BeforeAll
  static void doublePrecision() {
    Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
  }

  /** A plain dense layer in SameDiff, tanh(x W + b), for the canary. */
  public static class PlainDenseSD extends SameDiffLayer {
    public PlainDenseSD() {}

    @Override
    public SDVariable defineLayer(SameDiff sd, SDVariable in, Map<String, SDVariable> p,
        SDVariable mask) {
      return sd.math().tanh(in.mmul(p.get("W")).add(p.get("b")));
    }

    @Override
    public void defineParameters(SDLayerParams params) {
      params.addWeightParam("W", 3, 4);
      params.addBiasParam("b", 1, 4);
    }

    @Override
    public void initializeParameters(Map<String, INDArray> params) {
      params.get("W").assign(Nd4j.rand(DataType.DOUBLE, 3, 4).subi(0.5));
      params.get("b").assign(0.1);
    }

    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
      return InputType.feedForward(4);
    }
  }

  static MultiLayerNetwork net(Layer first, IUpdater updater) {
    MultiLayerNetwork n = new MultiLayerNetwork(new NeuralNetConfiguration.Builder()
        .seed(3).dataType(DataType.DOUBLE).updater(updater).list()
        .layer(new DenseLayer.Builder().nIn(2).nOut(3).activation(Activation.TANH).build())
        .layer(first)
        .layer(new OutputLayer.Builder(LossFunction.MSE).nIn(4).nOut(2)
            .activation(Activation.IDENTITY).build())
        .build());
    n.init();
    return n;
  }

  static void copyParams(MultiLayerNetwork from, MultiLayerNetwork to) {
    for (int l = 0; l < 3; l++) {
      for (Map.Entry<String, INDArray> e : from.getLayer(l).paramTable().entrySet()) {
        // Assign into the parameter view: DL4J M2.1's SameDiffLayer.setParam checks the shape and
        // then does nothing.
        INDArray target = to.getLayer(l).getParam(e.getKey());
        target.assign(e.getValue().reshape(target.shape()));
      }
    }
  }

  static final INDArray X = Nd4j.rand(DataType.DOUBLE, 6, 2);
  static final INDArray Y = Nd4j.rand(DataType.DOUBLE, 6, 2);

  @Test
  void dl4jDoublesAPlainSameDiffLayersGradients() {
    MultiLayerNetwork sd = net(new PlainDenseSD(), new NoOp());
    MultiLayerNetwork nat = net(new DenseLayer.Builder().nIn(3).nOut(4)
        .activation(Activation.TANH).build(), new NoOp());
    copyParams(sd, nat);
    sd.setInput(X);
    sd.setLabels(Y);
    sd.computeGradientAndScore();
    nat.setInput(X);
    nat.setLabels(Y);
    nat.computeGradientAndScore();
    assertThat(sd.score()).isCloseTo(nat.score(), within(1e-12));
    // The SameDiffLayer's own gradient and the gradient it passes down are both 2x (a canary:
    // if DL4J fixes this, SpectralNormDenseSD's halving must go).
    for (String key : new String[] {"1_W", "0_W"}) {
      INDArray ratio = sd.gradient().getGradientFor(key).div(nat.gradient().getGradientFor(key));
      assertThat(ratio.minNumber().doubleValue()).as(key).isCloseTo(2.0, within(1e-9));
      assertThat(ratio.maxNumber().doubleValue()).as(key).isCloseTo(2.0, within(1e-9));
    }
  }

  @Test
  void matchesTheNativeWrapperStepForStep() {
    MultiLayerNetwork nat = net(SpectralNormalization.wrap(new DenseLayer.Builder().nIn(3)
        .nOut(4).activation(Activation.TANH).build()), new Sgd(0.1));
    MultiLayerNetwork sd = net(new SpectralNormDenseSD(3, 4, Activation.TANH), new Sgd(0.1));
    copyParams(nat, sd);
    SameDiffSpectralNormListener.attach(sd);
    for (int step = 0; step < 6; step++) {
      nat.fit(X, Y);
      sd.fit(X, Y);
      assertThat(sd.score()).as("score at step " + step).isCloseTo(nat.score(), within(1e-10));
    }
    for (String key : new String[] {"W", "b"}) {
      double diff = sd.getLayer(1).getParam(key).sub(nat.getLayer(1).getParam(key))
          .amaxNumber().doubleValue();
      assertThat(diff).as(key).isLessThan(1e-10);
    }
    // Inference: the SameDiff layer's vectors were already iterated on the current weights; the
    // native layer's are iterated by its next training-mode use. After that they agree.
    nat.feedForward(X, true);
    for (String key : new String[] {"uW", "vW"}) {
      double diff = sd.getLayer(1).getParam(key).sub(nat.getLayer(1).getParam(key))
          .amaxNumber().doubleValue();
      assertThat(diff).as(key + " after the native layer's next iteration").isLessThan(1e-10);
    }
    double out = sd.output(X).sub(nat.output(X)).amaxNumber().doubleValue();
    assertThat(out).as("inference outputs").isLessThan(1e-10);
  }

  @Test
  void gradientCheckPassesAndTheConfigurationRoundTrips() {
    MultiLayerNetwork sd = net(new SpectralNormDenseSD(3, 4, Activation.TANH), new NoOp());
    boolean ok = GradientCheckUtil.checkGradients(new GradientCheckUtil.MLNConfig()
        .net(sd).input(X).labels(Y).epsilon(1e-6).maxRelError(1e-5).minAbsoluteError(1e-10)
        .print(GradientCheckUtil.PrintMode.FAILURES_ONLY)
        .excludeParams(Set.of("1_uW", "1_vW")));
    assertThat(ok).isTrue();
    MultiLayerConfiguration conf = sd.getLayerWiseConfigurations();
    assertThat(MultiLayerConfiguration.fromJson(conf.toJson())).isEqualTo(conf);
  }

  @Test
  void optionsOutOfRangeAreRejectedWhenTheNetworkIsBuiltNamingTheLayerAndTheValue() {
    SpectralNormDenseSD negative = new SpectralNormDenseSD(3, 4, Activation.TANH);
    negative.setLayerName("critic");
    negative.setPowerIterations(-3);
    assertThatThrownBy(() -> net(negative, new NoOp()))
        .isInstanceOf(DL4JInvalidConfigException.class)
        .hasMessage("layer 1 (SpectralNormDenseSD 'critic'): powerIterations must be >= 0 (0 "
            + "freezes u and v), got -3");
    SpectralNormDenseSD zero = new SpectralNormDenseSD(3, 4, Activation.TANH);
    zero.setCoefficient(0);
    assertThatThrownBy(() -> net(zero, new NoOp()))
        .hasMessageEndingWith("coefficient (the target Lipschitz constant) must be > 0 and "
            + "finite, got 0.0");
  }
}
