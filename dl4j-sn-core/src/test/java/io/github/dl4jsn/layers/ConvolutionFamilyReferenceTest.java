package io.github.dl4jsn.layers;

import static io.github.dl4jsn.testutil.Arrays2.assertClose;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.github.dl4jsn.conf.SpectralNormalization;
import io.github.dl4jsn.testutil.ReferenceCases;
import io.github.dl4jsn.testutil.ReferenceCases.Case;
import io.github.dl4jsn.testutil.ReferenceCases.Result;
import java.util.function.Function;
import java.util.stream.Stream;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.Convolution3D;
import org.deeplearning4j.nn.conf.layers.Deconvolution3D;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.SeparableConvolution2D;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;

/**
 * The 3-D, depthwise and separable convolutions inside real networks against PyTorch's
 * spectral_norm (Conv3d, ConvTranspose3d, Conv2d with groups = in_channels, and a 1x1 Conv2d for
 * the separable pointwise step), in DOUBLE: the case's W, u0 and v0 are set as the layer's
 * parameters, one training-mode forward runs n power iterations, and u, v, sigma and W_SN must
 * equal PyTorch's to 1e-10. The gradient of each layer is covered by {@link GradientCheckTest};
 * the maths core's gradient against PyTorch's by {@code SpectralNormCoreReferenceTest}.
 */
class ConvolutionFamilyReferenceTest {

  static final double TOL = 1e-10;

  @BeforeAll
  static void doublePrecision() {
    Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
  }

  /** A DL4J layer hosting a case: the layer, its input type and the key of the weight. */
  static final class Host {
    final String name;
    final Layer layer;
    final InputType input;
    final String key;
    final Function<INDArray, INDArray> toDl4j;

    Host(String name, Layer layer, InputType input, String key,
        Function<INDArray, INDArray> toDl4j) {
      this.name = name;
      this.layer = layer;
      this.input = input;
      this.key = key;
      this.toDl4j = toDl4j;
    }

    @Override
    public String toString() {
      return name;
    }
  }

  static Host hostFor(Case c) {
    long[] s = c.weightShape();
    int[] k2 = {(int) s[2], (int) s[3]};
    switch (c.module()) {
      case "conv3d":
        return new Host("Convolution3D", new Convolution3D.Builder()
            .kernelSize((int) s[2], (int) s[3], (int) s[4]).nOut((int) s[0])
            .convolutionMode(ConvolutionMode.Truncate).build(),
            InputType.convolutional3D(Convolution3D.DataFormat.NCDHW, 4, 4, 4, s[1]), "W", c::toDl4j);
      case "convtranspose3d":
        return new Host("Deconvolution3D", new Deconvolution3D.Builder()
            .kernelSize((int) s[2], (int) s[3], (int) s[4]).nOut((int) s[1])
            .convolutionMode(ConvolutionMode.Truncate).build(),
            InputType.convolutional3D(Convolution3D.DataFormat.NCDHW, 3, 3, 3, s[0]), "W", c::toDl4j);
      case "depthwise_conv2d":
        long channels = s[0] / depthMultiplier(c);
        return new Host("DepthwiseConvolution2D", new DepthwiseConvolution2D.Builder(k2)
            .depthMultiplier(depthMultiplier(c)).build(),
            InputType.convolutional(5, 5, channels), "W", c::toDl4j);
      default: // pointwise conv2d [out, in, 1, 1]: a separable convolution's pW
        return new Host("SeparableConvolution2D pW", new SeparableConvolution2D.Builder(2, 2)
            .depthMultiplier(2).nOut((int) s[0]).build(),
            InputType.convolutional(4, 4, s[1] / 2), "pW", c::toDl4j);
    }
  }

  static int depthMultiplier(Case c) {
    return c.name().equals("depthwise_4x1_3x3") ? 1 : c.name().equals("depthwise_3x2_3x3") ? 2 : 3;
  }

  static Stream<Arguments> cases() {
    Stream<Arguments> direct = ReferenceCases.all().stream()
        .filter(c -> c.module().equals("conv3d") || c.module().equals("convtranspose3d")
            || c.module().equals("depthwise_conv2d") || c.name().startsWith("pointwise"))
        .flatMap(c -> Stream.of(1, 5).map(n -> Arguments.of(hostFor(c), c, n)));
    // The depthwise cases again, as the depthwise step of a separable convolution.
    Stream<Arguments> separable = ReferenceCases.all().stream()
        .filter(c -> c.module().equals("depthwise_conv2d"))
        .flatMap(c -> {
          long[] s = c.weightShape();
          int m = depthMultiplier(c);
          Host h = new Host("SeparableConvolution2D W", new SeparableConvolution2D.Builder(
              (int) s[2], (int) s[3]).depthMultiplier(m).nOut(3).build(),
              InputType.convolutional(5, 5, s[0] / m), "W", c::toDl4jSeparableDepthwise);
          return Stream.of(1, 5).map(n -> Arguments.of(h, c, n));
        });
    return Stream.concat(direct, separable);
  }

  /**
   * The row order of the depthwise M is PyTorch's output-channel order: output channel {@code c m
   * + j} of DL4J's DepthwiseConvolution2D is input channel c times kernel {@code W[:, :, c, j]}
   * (checked with 1x1 kernels, without SN).
   */
  @org.junit.jupiter.api.Test
  void depthwiseOutputChannelsAreOrderedAsPyTorchs() {
    int channels = 3;
    int m = 2;
    MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder()
        .dataType(DataType.DOUBLE).list()
        .layer(new DepthwiseConvolution2D.Builder(1, 1).depthMultiplier(m).hasBias(false)
            .activation(org.nd4j.linalg.activations.Activation.IDENTITY).build())
        .setInputType(InputType.convolutional(2, 2, channels)).build());
    net.init();
    INDArray w = net.getParam("0_W");
    for (int c = 0; c < channels; c++) {
      for (int j = 0; j < m; j++) {
        w.putScalar(new long[] {0, 0, c, j}, 10 * c + j + 1);
      }
    }
    INDArray input = Nd4j.ones(DataType.DOUBLE, 1, channels, 2, 2);
    INDArray out = net.output(input);
    for (int c = 0; c < channels; c++) {
      for (int j = 0; j < m; j++) {
        assertThat(out.getDouble(0, c * m + j, 0, 0)).isEqualTo(10 * c + j + 1);
      }
    }
  }

  @ParameterizedTest(name = "{0} {1} n={2}")
  @MethodSource("cases")
  void layerMatchesPyTorch(Host host, Case c, int n) {
    MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder()
        .dataType(DataType.DOUBLE).updater(new NoOp()).list()
        .layer(new SpectralNormalization.Builder(host.layer).powerIterations(n).eps(c.eps())
            .normalize(host.key).build())
        .setInputType(host.input).build());
    net.init();
    INDArray weight = host.toDl4j.apply(c.tensor("W"));
    assertThat(net.getParam("0_" + host.key).shape()).as("DL4J's weight shape")
        .isEqualTo(weight.shape());
    net.setParam("0_" + host.key, weight);
    net.setParam("0_u" + host.key, c.tensor("u0"));
    net.setParam("0_v" + host.key, c.tensor("v0"));

    SpectralNormLayer layer = (SpectralNormLayer) net.getLayer(0);
    long[] inputShape = host.input.getShape(true);
    inputShape[0] = 2;
    INDArray input = Nd4j.rand(DataType.DOUBLE, inputShape);
    net.output(input, false);
    assertClose("u after inference", net.getParam("0_u" + host.key), c.tensor("u0"), 0);
    layer.activate(input, true, LayerWorkspaceMgr.noWorkspaces());

    Result r = c.after(n);
    assertClose("u", net.getParam("0_u" + host.key), r.tensor("u_after"), TOL);
    assertClose("v", net.getParam("0_v" + host.key), r.tensor("v_after"), TOL);
    assertThat(layer.sigma(host.key).getDouble())
        .isCloseTo(r.sigma(), within(Math.abs(r.sigma()) * TOL));
    assertClose("W_sn", layer.normalizedWeight(host.key), host.toDl4j.apply(r.tensor("W_sn")),
        TOL);
  }
}
