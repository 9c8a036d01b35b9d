package io.github.dl4jsn.conf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.deeplearning4j.exception.DL4JInvalidConfigException;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.GravesBidirectionalLSTM;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PReLULayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

/** Bad configuration fails fast with a message that names the layer and the value. */
class ConfigurationValidationTest {

  static DenseLayer dense(String name) {
    return new DenseLayer.Builder().name(name).nOut(4).build();
  }

  @Test
  void negativePowerIterationsAreRejectedNamingLayerAndValue() {
    assertThatThrownBy(
            () -> new SpectralNormalization.Builder(dense("critic1")).powerIterations(-1).build())
        .isInstanceOf(DL4JInvalidConfigException.class)
        .hasMessageContaining("critic1")
        .hasMessageContaining("DenseLayer")
        .hasMessageContaining("powerIterations must be >= 0")
        .hasMessageContaining("-1");
  }

  @Test
  void nonPositiveEpsIsRejected() {
    assertThatThrownBy(() -> new SpectralNormalization.Builder(dense("d")).eps(0).build())
        .isInstanceOf(DL4JInvalidConfigException.class)
        .hasMessageContaining("'d'")
        .hasMessageContaining("eps must be > 0")
        .hasMessageContaining("0.0");
    assertThatThrownBy(() -> new SpectralNormalization.Builder(dense("d")).eps(-1e-3).build())
        .hasMessageContaining("-0.001");
    assertThatThrownBy(() -> new SpectralNormalization.Builder(dense("d")).eps(Double.NaN).build())
        .hasMessageContaining("NaN");
  }

  @Test
  void nonPositiveCoefficientIsRejected() {
    assertThatThrownBy(() -> new SpectralNormalization.Builder(dense("d")).coefficient(0).build())
        .isInstanceOf(DL4JInvalidConfigException.class)
        .hasMessageContaining("coefficient")
        .hasMessageContaining("got 0.0");
    assertThatThrownBy(() -> new SpectralNormalization.Builder(dense("d")).coefficient(-2).build())
        .hasMessageContaining("got -2.0");
  }

  @Test
  void negativeWarmupIsRejected() {
    assertThatThrownBy(
            () -> new SpectralNormalization.Builder(dense("d")).warmupIterations(-3).build())
        .isInstanceOf(DL4JInvalidConfigException.class)
        .hasMessageContaining("warmupIterations must be >= 0, got -3");
  }

  @Test
  void nullInnerLayerIsRejected() {
    assertThatThrownBy(() -> SpectralNormalization.wrap(null))
        .isInstanceOf(DL4JInvalidConfigException.class)
        .hasMessageContaining("inner layer is null");
  }

  @Test
  void layersWithoutWeightsAreRejected() {
    assertThatThrownBy(
            () -> SpectralNormalization.wrap(
                new ActivationLayer.Builder().name("act").activation(Activation.RELU).build()))
        .isInstanceOf(DL4JInvalidConfigException.class)
        .hasMessageContaining("'act'")
        .hasMessageContaining("ActivationLayer has no weights to normalize");
    assertThatThrownBy(
            () -> SpectralNormalization.wrap(new SubsamplingLayer.Builder(2, 2).name("pool").build()))
        .isInstanceOf(DL4JInvalidConfigException.class)
        .hasMessageContaining("'pool'")
        .hasMessageContaining("SubsamplingLayer has no weights to normalize");
  }

  @Test
  void wrappingTwiceIsRejected() {
    SpectralNormalization once = SpectralNormalization.wrap(dense("twice"));
    assertThatThrownBy(() -> SpectralNormalization.wrap(once))
        .isInstanceOf(DL4JInvalidConfigException.class)
        .hasMessageContaining("already spectrally normalized");
  }

  @Test
  void unsupportedLayerTypesAreRejectedListingTheSupportedOnes() {
    assertThatThrownBy(() -> SpectralNormalization.wrap(new BatchNormalization.Builder().build()))
        .isInstanceOf(DL4JInvalidConfigException.class)
        .hasMessageContaining("unsupported inner layer type")
        .hasMessageContaining("BatchNormalization")
        .hasMessageContaining("supported: DenseLayer, OutputLayer, RnnOutputLayer, ConvolutionLayer")
        .hasMessageContaining("LSTM, GravesLSTM, SimpleRnn");
    assertThatThrownBy(
            () -> SpectralNormalization.wrap(new GravesBidirectionalLSTM.Builder().nOut(3).build()))
        .hasMessageContaining("GravesBidirectionalLSTM");
    assertThatThrownBy(
            () -> SpectralNormalization.wrap(new PReLULayer.Builder().inputShape(3).build()))
        .hasMessageContaining("PReLULayer")
        .hasMessageContaining("DepthwiseConvolution2D, SeparableConvolution2D, Convolution3D, "
            + "Deconvolution3D, CenterLossOutputLayer");
  }

  @Test
  void optionsChangedAfterBuildAreCheckedWhenTheNetworkIsCreatedNamingTheLayerIndex() {
    SpectralNormalization sn = SpectralNormalization.wrap(dense("late"));
    MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().list()
        .layer(sn)
        .layer(new OutputLayer.Builder(LossFunction.MSE).nOut(1).activation(Activation.IDENTITY)
            .build())
        .setInputType(InputType.feedForward(3))
        .build();
    sn.setCoefficient(-1); // as a hand-edited JSON file might
    MultiLayerNetwork net = new MultiLayerNetwork(conf);
    assertThatThrownBy(net::init)
        .isInstanceOf(DL4JInvalidConfigException.class)
        .hasMessageContaining("layer 0")
        .hasMessageContaining("'late'")
        .hasMessageContaining("got -1.0");
  }

  @Test
  void defaultsAreThoseDocumented() {
    SpectralNormalization sn = SpectralNormalization.wrap(dense("d"));
    assertThat(sn.getPowerIterations()).isEqualTo(1);
    assertThat(sn.getEps()).isEqualTo(1e-12);
    assertThat(sn.getWarmupIterations()).isEqualTo(15);
    assertThat(sn.getCoefficient()).isEqualTo(1.0);
    assertThat(sn.isClipOnly()).isFalse();
  }
}
