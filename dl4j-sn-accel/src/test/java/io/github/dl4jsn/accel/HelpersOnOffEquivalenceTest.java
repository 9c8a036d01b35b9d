package io.github.dl4jsn.accel;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.dl4jsn.conf.SpectralNormalization;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.Convolution1DLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.Deconvolution2D;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.layers.Subsampling1DLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

/**
 * Spectrally normalized convolutions give the same outputs, gradients and training steps with
 * DL4J's oneDNN helpers on as with them off (FLOAT rounding), and the helpers really serve every
 * forward and backward call: strides, padding, dilation, every ConvolutionMode, NCHW and NHWC,
 * batch normalization and pooling beside the SN layers, reshaped and operator-norm SN.
 */
class HelpersOnOffEquivalenceTest {

  /** Relative to the largest magnitude of the compared array (oneDNN sums in another order). */
  static final double REL_TOL = 2e-4;

  /** One network layout. */
  record Case(String name, boolean conv1d, ConvolutionMode mode, int stride, int pad,
      int dilation, CNN2DFormat format, boolean batchNorm, PoolingType pooling,
      boolean operatorNorm) {
    @Override
    public String toString() {
      return name + (operatorNorm ? " SN[operator]" : " SN");
    }
  }

  static Stream<Case> cases() {
    List<Case> base = List.of(
        new Case("truncate s1", false, ConvolutionMode.Truncate, 1, 0, 1, CNN2DFormat.NCHW, false,
            null, false),
        new Case("truncate s2 p1", false, ConvolutionMode.Truncate, 2, 1, 1, CNN2DFormat.NCHW,
            false, null, false),
        new Case("truncate p2 d2", false, ConvolutionMode.Truncate, 1, 2, 2, CNN2DFormat.NCHW,
            false, null, false),
        new Case("strict s1 p1 NHWC", false, ConvolutionMode.Strict, 1, 1, 1, CNN2DFormat.NHWC,
            false, null, false),
        new Case("same s1", false, ConvolutionMode.Same, 1, 0, 1, CNN2DFormat.NCHW, false, null,
            false),
        new Case("same s2 d2 NHWC", false, ConvolutionMode.Same, 2, 0, 2, CNN2DFormat.NHWC, false,
            null, false),
        new Case("same + BN + max pool", false, ConvolutionMode.Same, 1, 0, 1, CNN2DFormat.NCHW,
            true, PoolingType.MAX, false),
        new Case("truncate + BN + avg pool NHWC", false, ConvolutionMode.Truncate, 1, 1, 1,
            CNN2DFormat.NHWC, true, PoolingType.AVG, false),
        new Case("conv1d truncate s2", true, ConvolutionMode.Truncate, 2, 1, 1, null, false,
            null, false),
        new Case("conv1d same + max pool", true, ConvolutionMode.Same, 1, 0, 1, null, false,
            PoolingType.MAX, false),
        new Case("conv1d causal", true, ConvolutionMode.Causal, 1, 0, 2, null, false, null,
            false));
    List<Case> all = new ArrayList<>(base);
    for (Case c : base) {
      all.add(new Case(c.name(), c.conv1d(), c.mode(), c.stride(), c.pad(), c.dilation(),
          c.format(), c.batchNorm(), c.pooling(), true));
    }
    return all.stream();
  }

  @BeforeAll
  static void floatPrecision() {
    Nd4j.setDefaultDataTypes(DataType.FLOAT, DataType.FLOAT);
    Acceleration.enable();
  }

  @AfterEach
  void helpersBackOn() {
    Acceleration.enable();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void helpersGiveTheSameOutputsGradientsAndStepsAndServeEveryCall(Case c) {
    MultiLayerConfiguration conf = configuration(c);
    Acceleration.disable();
    MultiLayerNetwork plain = new MultiLayerNetwork(conf.clone());
    plain.init();
    Acceleration.enable();
    MultiLayerNetwork fast = new MultiLayerNetwork(conf.clone());
    fast.init();
    fast.setParams(plain.params().dup());
    HelperProbe.install(fast);

    HelperReport report = HelperReport.of(fast);
    // libnd4j M2.1's oneDNN conv2d rejects dilation > 1: the report names it before any call.
    boolean dilated = !c.conv1d() && c.dilation() > 1;
    assertThat(report.fallbacks()).as("fallbacks\n%s", report).hasSize(dilated ? 1 : 0);
    assertThat(HelperReport.of(plain).rows())
        .filteredOn(r -> r.path() == HelperReport.Path.ONEDNN_HELPER).isEmpty();

    Nd4j.getRandom().setSeed(7);
    INDArray x = input(c);
    INDArray y = Nd4j.rand(DataType.FLOAT, 4, 3);

    assertClose("inference output", fast.output(x, false), plain.output(x, false));
    for (MultiLayerNetwork n : List.of(plain, fast)) {
      n.setInput(x);
      n.setLabels(y);
      n.computeGradientAndScore();
    }
    assertClose("gradient", fast.gradient().gradient(), plain.gradient().gradient());
    assertThat(fast.score()).isCloseTo(plain.score(), org.assertj.core.data.Percentage
        .withPercentage(0.01));
    for (int i = 0; i < 3; i++) {
      plain.fit(x, y);
      fast.fit(x, y);
    }
    assertClose("parameters after 3 Adam steps", fast.params(), plain.params());

    List<HelperProbe.Counts> counts = HelperProbe.counts(fast);
    // Conv1D runs as libnd4j conv1d ops (no helper); the other layers have helpers.
    int expectedHelpers = (c.conv1d() ? 0 : 2) + (c.batchNorm() ? 1 : 0)
        + (c.pooling() != null ? 1 : 0);
    assertThat(counts).as("%s", report).hasSize(expectedHelpers);
    for (int i = 0; i < counts.size(); i++) {
      HelperProbe.Counts n = counts.get(i);
      if (dilated && i == 0) {
        // DL4J tries the helper once, catches its exception and stays on its built-in path.
        assertThat(n.forwardDeclined()).as("%s", n).isEqualTo(1);
        assertThat(n.forward() + n.backward()).as("%s", n).isZero();
        continue;
      }
      assertThat(n.allThroughHelper()).as("%s\n%s", n, HelperReport.of(fast)).isTrue();
      assertThat(n.backward()).as("%s", n).isPositive();
    }
    assertThat(HelperReport.of(fast).rows())
        .filteredOn(r -> r.type().contains("Convolution")
            && !(dilated && r.name().equals("layer0")))
        .allSatisfy(r -> assertThat(r.accelerated()).as("%s", r).isTrue());
  }

  static MultiLayerConfiguration configuration(Case c) {
    NeuralNetConfiguration.ListBuilder b = new NeuralNetConfiguration.Builder()
        .seed(12)
        .dataType(DataType.FLOAT)
        .updater(new Adam(1e-2))
        .activation(Activation.LEAKYRELU)
        .convolutionMode(c.mode())
        .list();
    if (c.conv1d()) {
      b.layer(sn(new Convolution1DLayer.Builder(3).nOut(4).stride(c.stride()).padding(c.pad())
          .dilation(c.dilation()).build(), c));
      if (c.pooling() != null) {
        b.layer(new Subsampling1DLayer.Builder(c.pooling()).kernelSize(2).stride(1).build());
      }
      b.layer(sn(new Convolution1DLayer.Builder(2).nOut(5).build(), c));
      b.layer(new GlobalPoolingLayer.Builder(PoolingType.AVG).build());
      b.setInputType(InputType.recurrent(3, 12, RNNFormat.NCW));
    } else {
      b.layer(sn(new ConvolutionLayer.Builder(3, 3).nOut(4).stride(c.stride(), c.stride())
          .padding(c.pad(), c.pad()).dilation(c.dilation(), c.dilation())
          .dataFormat(c.format()).build(), c));
      if (c.batchNorm()) {
        b.layer(new BatchNormalization.Builder().dataFormat(c.format()).build());
      }
      if (c.pooling() != null) {
        b.layer(new SubsamplingLayer.Builder(c.pooling()).kernelSize(2, 2).stride(2, 2)
            .dataFormat(c.format()).build());
      }
      b.layer(sn(new ConvolutionLayer.Builder(2, 2).nOut(5).dataFormat(c.format()).build(), c));
      b.layer(new GlobalPoolingLayer.Builder(PoolingType.AVG).build());
      b.setInputType(InputType.convolutional(12, 12, 3, c.format()));
    }
    b.layer(SpectralNormalization.wrap(new DenseLayer.Builder().nOut(6).build()));
    b.layer(SpectralNormalization.wrap(new OutputLayer.Builder(LossFunction.MSE).nOut(3)
        .activation(Activation.IDENTITY).build()));
    return b.build();
  }

  static INDArray input(Case c) {
    if (c.conv1d()) {
      return Nd4j.rand(DataType.FLOAT, 4, 3, 12).subi(0.5);
    }
    return c.format() == CNN2DFormat.NHWC
        ? Nd4j.rand(DataType.FLOAT, 4, 12, 12, 3).subi(0.5)
        : Nd4j.rand(DataType.FLOAT, 4, 3, 12, 12).subi(0.5);
  }

  private static Layer sn(Layer inner, Case c) {
    SpectralNormalization.Builder b = new SpectralNormalization.Builder(inner);
    if (c.operatorNorm()) {
      b.operatorNorm();
    }
    return b.build();
  }

  static void assertClose(String what, INDArray actual, INDArray expected) {
    assertThat(actual.shape()).isEqualTo(expected.shape());
    double scale = Math.max(1e-6, expected.amaxNumber().doubleValue());
    double diff = actual.sub(expected).amaxNumber().doubleValue();
    assertThat(diff / scale).as("%s: max |diff| %g, scale %g", what, diff, scale)
        .isLessThanOrEqualTo(REL_TOL);
  }
}
