package io.github.dl4jsn.samediff;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.github.dl4jsn.conf.SpectralNormalization;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

/**
 * The SameDiffLayer-based SN convolution has the native wrapper's numbers, step for step (1e-10 in
 * DOUBLE), for Truncate with padding and for Same with stride 2, and passes DL4J's gradient check.
 */
class SpectralNormConv2DSDTest {

  @BeforeAll
  static void doublePrecision() {
    Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
  }

  static Stream<Arguments> modes() {
    return Stream.of(
        Arguments.of(ConvolutionMode.Truncate, 1, 1),
        Arguments.of(ConvolutionMode.Same, 2, 0));
  }

  static MultiLayerNetwork net(Layer conv, IUpdater updater) {
    MultiLayerNetwork n = new MultiLayerNetwork(new NeuralNetConfiguration.Builder()
        .seed(5).dataType(DataType.DOUBLE).updater(updater).list()
        .layer(conv)
        .layer(new GlobalPoolingLayer.Builder(PoolingType.AVG).build())
        .layer(new OutputLayer.Builder(LossFunction.MSE).nOut(2).activation(Activation.IDENTITY)
            .build())
        .setInputType(InputType.convolutional(5, 5, 2))
        .build());
    n.init();
    return n;
  }

  static Layer nativeConv(ConvolutionMode mode, int stride, int padding) {
    return SpectralNormalization.wrap(new ConvolutionLayer.Builder(3, 3).stride(stride, stride)
        .padding(padding, padding).convolutionMode(mode).nOut(3).activation(Activation.TANH)
        .build());
  }

  @ParameterizedTest(name = "{0}, stride {1}, padding {2}")
  @MethodSource("modes")
  void matchesTheNativeWrapperStepForStep(ConvolutionMode mode, int stride, int padding) {
    Nd4j.getRandom().setSeed(7);
    INDArray x = Nd4j.rand(DataType.DOUBLE, 4, 2, 5, 5);
    INDArray y = Nd4j.rand(DataType.DOUBLE, 4, 2);
    MultiLayerNetwork nat = net(nativeConv(mode, stride, padding), new Sgd(0.1));
    MultiLayerNetwork sd = net(new SpectralNormConv2DSD(0, 3, 3, stride, padding, mode,
        Activation.TANH), new Sgd(0.1));
    for (int l : new int[] {0, 2}) {
      for (Map.Entry<String, INDArray> e : nat.getLayer(l).paramTable().entrySet()) {
        INDArray target = sd.getLayer(l).getParam(e.getKey());
        target.assign(e.getValue().reshape(target.shape()));
      }
    }
    assertThat(sd.output(x).sub(nat.output(x)).amaxNumber().doubleValue()).isLessThan(1e-12);
    SameDiffSpectralNormListener.attach(sd);
    for (int step = 0; step < 5; step++) {
      nat.fit(x, y);
      sd.fit(x, y);
      assertThat(sd.score()).as("score at step " + step).isCloseTo(nat.score(), within(1e-10));
    }
    for (String key : new String[] {"W", "b"}) {
      double diff = sd.getLayer(0).getParam(key).sub(nat.getLayer(0).getParam(key)
          .reshape(sd.getLayer(0).getParam(key).shape())).amaxNumber().doubleValue();
      assertThat(diff).as(key).isLessThan(1e-10);
    }
  }

  @ParameterizedTest(name = "{0}, stride {1}, padding {2}")
  @MethodSource("modes")
  void gradientCheckPassesAndTheConfigurationRoundTrips(ConvolutionMode mode, int stride,
      int padding) {
    MultiLayerNetwork sd = net(new SpectralNormConv2DSD(0, 3, 3, stride, padding, mode,
        Activation.TANH), new NoOp());
    INDArray x = Nd4j.rand(DataType.DOUBLE, 3, 2, 5, 5);
    INDArray y = Nd4j.rand(DataType.DOUBLE, 3, 2);
    boolean ok = GradientCheckUtil.checkGradients(new GradientCheckUtil.MLNConfig()
        .net(sd).input(x).labels(y).epsilon(1e-6).maxRelError(1e-5).minAbsoluteError(1e-10)
        .print(GradientCheckUtil.PrintMode.FAILURES_ONLY)
        .excludeParams(Set.of("0_uW", "0_vW")));
    assertThat(ok).isTrue();
    MultiLayerConfiguration conf = sd.getLayerWiseConfigurations();
    assertThat(MultiLayerConfiguration.fromJson(conf.toJson())).isEqualTo(conf);
  }
}
