package io.github.dl4jsn.layers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.github.dl4jsn.SpectralNorm;
import io.github.dl4jsn.conf.NormalizedWeight;
import io.github.dl4jsn.conf.SpectralNormalization;
import io.github.dl4jsn.testutil.ExactSigma;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.deeplearning4j.exception.DL4JInvalidConfigException;
import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.Convolution1DLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.Convolution3D;
import org.deeplearning4j.nn.conf.layers.Deconvolution2D;
import org.deeplearning4j.nn.conf.layers.Deconvolution3D;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.conf.layers.SeparableConvolution2D;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

/**
 * Operator-norm mode for convolutions, against exact numbers: the explicit dense matrix of each
 * convolution operator (built by applying the plain DL4J layer, without bias and with identity
 * activation, to every basis input; for one case also by hand from the kernel) and its SVD.
 */
class ConvOperatorNormTest {

  @BeforeAll
  static void doublePrecision() {
    Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
  }

  /** A case: the convolution and the input type it sees. */
  static final class Case {
    final String name;
    final ConvolutionLayer conv;
    final InputType input;

    Case(String name, ConvolutionLayer conv, InputType input) {
      this.name = name;
      this.conv = conv;
      this.input = input;
    }

    @Override
    public String toString() {
      return name;
    }
  }

  static ConvolutionLayer conv2d(int cOut, int k, int stride, ConvolutionMode mode, int dilation) {
    return new ConvolutionLayer.Builder(k, k).stride(stride, stride).dilation(dilation, dilation)
        .convolutionMode(mode).nOut(cOut).build();
  }

  static Stream<Case> cases() {
    return Stream.of(
        new Case("conv 1->2 3x3 s1 Truncate", conv2d(2, 3, 1, ConvolutionMode.Truncate, 1),
            InputType.convolutional(6, 6, 1)),
        new Case("conv 3->4 3x3 s1 Same", conv2d(4, 3, 1, ConvolutionMode.Same, 1),
            InputType.convolutional(5, 5, 3)),
        new Case("conv 2->3 4x4 s2 Same", conv2d(3, 4, 2, ConvolutionMode.Same, 1),
            InputType.convolutional(6, 6, 2)),
        new Case("conv 2->2 4x4 s2 Truncate", conv2d(2, 4, 2, ConvolutionMode.Truncate, 1),
            InputType.convolutional(7, 7, 2)),
        new Case("conv 2->3 3x3 s1 dilation 2 Truncate",
            conv2d(3, 3, 1, ConvolutionMode.Truncate, 2), InputType.convolutional(7, 7, 2)),
        new Case("conv1d 2->3 k3 s1 Same",
            new Convolution1DLayer.Builder(3).stride(1).convolutionMode(ConvolutionMode.Same)
                .nOut(3).build(), InputType.recurrent(2, 8)),
        new Case("conv1d 3->2 k4 s2 Truncate",
            new Convolution1DLayer.Builder(4).stride(2).convolutionMode(ConvolutionMode.Truncate)
                .nOut(2).build(), InputType.recurrent(3, 9)),
        new Case("deconv 2->3 3x3 s2 Truncate",
            new Deconvolution2D.Builder(3, 3).stride(2, 2).convolutionMode(ConvolutionMode.Truncate)
                .nOut(3).build(), InputType.convolutional(4, 4, 2)),
        new Case("deconv 3->2 4x4 s1 Same",
            new Deconvolution2D.Builder(4, 4).stride(1, 1).convolutionMode(ConvolutionMode.Same)
                .nOut(2).build(), InputType.convolutional(4, 4, 3)),
        new Case("depthwise 2->4 3x3 s1 Same",
            new DepthwiseConvolution2D.Builder(3, 3).depthMultiplier(2)
                .convolutionMode(ConvolutionMode.Same).build(), InputType.convolutional(5, 5, 2)),
        new Case("depthwise 3->3 2x3 s2 Truncate",
            new DepthwiseConvolution2D.Builder(2, 3).stride(2, 2).depthMultiplier(1)
                .convolutionMode(ConvolutionMode.Truncate).build(),
            InputType.convolutional(6, 7, 3)),
        new Case("conv3d 2->2 2x2x2 s1 Same",
            new Convolution3D.Builder().kernelSize(2, 2, 2).nOut(2)
                .convolutionMode(ConvolutionMode.Same).build(),
            InputType.convolutional3D(Convolution3D.DataFormat.NCDHW, 3, 3, 3, 2)),
        new Case("deconv3d 2->2 2x2x2 s2 Truncate",
            new Deconvolution3D.Builder().kernelSize(2, 2, 2).stride(2, 2, 2).nOut(2)
                .convolutionMode(ConvolutionMode.Truncate).build(),
            InputType.convolutional3D(Convolution3D.DataFormat.NCDHW, 2, 2, 2, 2)));
  }

  static MultiLayerConfiguration network(Layer conv, InputType input) {
    return new NeuralNetConfiguration.Builder()
        .seed(21).dataType(DataType.DOUBLE).updater(new NoOp()).activation(Activation.TANH)
        .list()
        .layer(conv)
        .layer(new GlobalPoolingLayer.Builder(PoolingType.AVG).build())
        .layer(new OutputLayer.Builder(LossFunction.MCXENT).nOut(2)
            .activation(Activation.SOFTMAX).build())
        .setInputType(input)
        .build();
  }

  static SpectralNormalization operator(ConvolutionLayer conv, int warmup, int iterations) {
    return new SpectralNormalization.Builder(conv.clone()).operatorNorm()
        .warmupIterations(warmup).powerIterations(iterations).build();
  }

  /**
   * The explicit matrix of the plain convolution with weight W, transposed: row j is conv(e_j)
   * for the j-th basis input (one batched forward pass, no bias, identity activation).
   */
  static INDArray denseOperatorTransposed(ConvolutionLayer conv, InputType input, INDArray w) {
    ConvolutionLayer plain = (ConvolutionLayer) conv.clone();
    plain.setHasBias(false);
    plain.setActivationFn(Activation.IDENTITY.getActivationFunction());
    MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().dataType(DataType.DOUBLE)
        .list().layer(plain)
        .layer(new GlobalPoolingLayer.Builder(PoolingType.AVG).build())
        .layer(new OutputLayer.Builder(LossFunction.MSE).nOut(1).activation(Activation.IDENTITY)
            .build())
        .setInputType(input).build();
    MultiLayerNetwork net = new MultiLayerNetwork(conf);
    net.init();
    net.getLayer(0).setParam("W", w);
    long[] shape = input.getShape(true);
    long n = 1;
    for (int i = 1; i < shape.length; i++) {
      n *= shape[i];
    }
    shape[0] = n;
    INDArray basis = Nd4j.eye(n).castTo(DataType.DOUBLE).reshape('c', shape);
    INDArray out = net.feedForwardToLayer(0, basis, false).get(1);
    return out.reshape('c', n, out.length() / n);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void convergedEstimateMatchesSvdOfTheDenseOperator(Case c) {
    MultiLayerNetwork net = new MultiLayerNetwork(
        network(operator(c.conv, 300, 1), c.input));
    net.init();
    SpectralNormLayer layer = (SpectralNormLayer) net.getLayer(0);
    INDArray w = layer.getInnerLayer().getParam("W");
    INDArray dense = denseOperatorTransposed((ConvolutionLayer) layer.getSpectralNormConfig().getUnderlying(), c.input, w);
    double exact = ExactSigma.of(dense);
    assertThat(layer.sigma("W").getDouble()).as(c.name).isCloseTo(exact, within(1e-6 * exact));
    // W_SN = W / sigma has operator norm 1, by the same dense oracle.
    INDArray denseSn = denseOperatorTransposed(
        (ConvolutionLayer) layer.getSpectralNormConfig().getUnderlying(), c.input, layer.normalizedWeight("W"));
    assertThat(ExactSigma.of(denseSn)).isCloseTo(1.0, within(1e-6));
    // The reshaped-kernel bound: sigma_op <= sqrt(kH kW) sigma(M) for any stride and padding.
    NormalizedWeight nw = SpectralNormalization.weightsOf(
        layer.getSpectralNormConfig().getUnderlying()).get(0);
    double reshaped = ExactSigma.of(nw.layout().matrix(w));
    long taps = nw.layout().kernelTaps(nw.shape());
    assertThat(exact).isLessThanOrEqualTo(Math.sqrt(taps) * reshaped * (1 + 1e-9));
  }

  @Test
  void handBuiltMatrixAgreesForAPlainStrideOneConvolution() {
    // conv 1->2, 3x3, stride 1, Truncate on a 6x6 map: y[o, i, j] = sum_{a,b} K[o, 0, a, b]
    // x[i + a, j + b] (cross-correlation, as DL4J computes it), i, j in 0..3.
    Case c = cases().findFirst().orElseThrow();
    MultiLayerNetwork net = new MultiLayerNetwork(network(operator(c.conv, 300, 1), c.input));
    net.init();
    SpectralNormLayer layer = (SpectralNormLayer) net.getLayer(0);
    INDArray k = layer.getInnerLayer().getParam("W");
    INDArray m = Nd4j.zeros(DataType.DOUBLE, 2 * 4 * 4, 36);
    for (int o = 0; o < 2; o++) {
      for (int i = 0; i < 4; i++) {
        for (int j = 0; j < 4; j++) {
          for (int a = 0; a < 3; a++) {
            for (int b = 0; b < 3; b++) {
              int row = o * 16 + i * 4 + j;
              int col = (i + a) * 6 + (j + b);
              m.putScalar(row, col, m.getDouble(row, col) + k.getDouble(o, 0, a, b));
            }
          }
        }
      }
    }
    double exact = ExactSigma.of(m);
    assertThat(layer.sigma("W").getDouble()).isCloseTo(exact, within(1e-6 * exact));
    INDArray viaLayer = denseOperatorTransposed(c.conv, c.input, k);
    assertThat(viaLayer.transpose().sub(m).amaxNumber().doubleValue()).isLessThan(1e-12);
    // exactSigma runs the power iteration to convergence on W_SN.
    assertThat(layer.exactSigma("W")).isCloseTo(1.0, within(1e-6));
  }

  /** Same-mode, strided, Conv1D and transposed cases with one power iteration; one with none. */
  static Stream<Arguments> gradientCases() {
    Stream<Arguments> one = cases()
        .filter(c -> c.name.contains("Same") || c.name.startsWith("deconv")
            || c.name.contains("3d"))
        .map(c -> Arguments.of(c, 1));
    return Stream.concat(one, Stream.of(Arguments.of(cases().skip(2).findFirst().orElseThrow(), 0)));
  }

  @ParameterizedTest(name = "{0}, powerIterations={1}")
  @MethodSource("gradientCases")
  void gradientCheckPasses(Case c, int iterations) {
    MultiLayerNetwork net = new MultiLayerNetwork(network(operator(c.conv, 5, iterations),
        c.input));
    net.init();
    long[] shape = c.input.getShape(true);
    shape[0] = 3;
    INDArray input = Nd4j.rand(DataType.DOUBLE, shape);
    INDArray labels = Nd4j.createFromArray(new double[][] {{1, 0}, {0, 1}, {1, 0}});
    Set<String> vectors = new TreeSet<>(Set.of("0_uW", "0_vW"));
    boolean ok = GradientCheckUtil.checkGradients(new GradientCheckUtil.MLNConfig()
        .net(net).input(input).labels(labels)
        .epsilon(1e-6).maxRelError(1e-5).minAbsoluteError(1e-10)
        .print(GradientCheckUtil.PrintMode.FAILURES_ONLY)
        .excludeParams(vectors));
    assertThat(ok).as(c.name).isTrue();
  }

  /**
   * SeparableConvolution2D in operator-norm mode: its depthwise step W by the operator norm of
   * that step (a DepthwiseConvolution2D on the input map), its pointwise step pW by sigma of its
   * matrix, which is the 1x1 convolution's operator norm exactly; so the layer's operator norm is
   * at most 1, checked on the dense matrix of the whole layer.
   */
  @Test
  void separableConvolutionNormalizesBothStepsAndTheLayerByOne() {
    SeparableConvolution2D sep = new SeparableConvolution2D.Builder(3, 3).depthMultiplier(2)
        .stride(1, 1).convolutionMode(ConvolutionMode.Same).nOut(3).build();
    InputType input = InputType.convolutional(4, 4, 2);
    MultiLayerNetwork net = new MultiLayerNetwork(network(operator(sep, 300, 1), input));
    net.init();
    SpectralNormLayer layer = (SpectralNormLayer) net.getLayer(0);
    assertThat(layer.normalizedKeys()).containsExactly("W", "pW");
    SpectralNormalization conf = layer.getSpectralNormConfig();
    // The depthwise step as its own layer: W [m, nIn, kH, kW] is the probe's [kH, kW, nIn, m].
    INDArray w = layer.getInnerLayer().getParam("W");
    INDArray depthwise = denseOperatorTransposed(conf.operatorProbe(), input,
        w.permute(2, 3, 1, 0).dup('c'));
    double exact = ExactSigma.of(depthwise);
    assertThat(layer.sigma("W").getDouble()).isCloseTo(exact, within(1e-6 * exact));
    INDArray pw = layer.getInnerLayer().getParam("pW");
    double pointwise = ExactSigma.of(pw.reshape('c', 3, 4));
    assertThat(layer.sigma("pW").getDouble()).isCloseTo(pointwise, within(1e-6 * pointwise));
    // The whole layer with W_SN and pW_SN: operator norm at most 1.
    SeparableConvolution2D plain = (SeparableConvolution2D) sep.clone();
    plain.setHasBias(false);
    plain.setActivationFn(Activation.IDENTITY.getActivationFunction());
    MultiLayerNetwork whole = new MultiLayerNetwork(new NeuralNetConfiguration.Builder()
        .dataType(DataType.DOUBLE).list().layer(plain).setInputType(input).build());
    whole.init();
    whole.getLayer(0).setParam("W", layer.normalizedWeight("W"));
    whole.getLayer(0).setParam("pW", layer.normalizedWeight("pW"));
    INDArray basis = Nd4j.eye(32).castTo(DataType.DOUBLE).reshape('c', 32, 2, 4, 4);
    INDArray out = whole.output(basis);
    double layerNorm = ExactSigma.of(out.reshape('c', 32, out.length() / 32));
    assertThat(layerNorm).isLessThanOrEqualTo(1 + 1e-6).isGreaterThan(0.2);
    // Its gradient, through both steps' corrections.
    MultiLayerNetwork check = new MultiLayerNetwork(network(operator(sep, 5, 1), input));
    check.init();
    boolean ok = GradientCheckUtil.checkGradients(new GradientCheckUtil.MLNConfig()
        .net(check).input(Nd4j.rand(DataType.DOUBLE, 3, 2, 4, 4))
        .labels(Nd4j.createFromArray(new double[][] {{1, 0}, {0, 1}, {1, 0}}))
        .epsilon(1e-6).maxRelError(1e-5).minAbsoluteError(1e-10)
        .print(GradientCheckUtil.PrintMode.FAILURES_ONLY)
        .excludeParams(new TreeSet<>(Set.of("0_uW", "0_vW", "0_upW", "0_vpW"))));
    assertThat(ok).isTrue();
  }

  @Test
  void anInputOfAnotherSizeIsRejectedNamingBothShapes() {
    Case c = cases().findFirst().orElseThrow();
    MultiLayerNetwork net = new MultiLayerNetwork(network(operator(c.conv, 5, 1), c.input));
    net.init();
    assertThatThrownBy(() -> net.output(Nd4j.rand(DataType.DOUBLE, 2, 1, 7, 7)))
        .hasMessageContaining("layer 0")
        .hasMessageContaining("[1, 6, 6]")
        .hasMessageContaining("[1, 7, 7]")
        .hasMessageContaining("depends on the input size");
  }

  static Stream<Case> threeDimensionalCases() {
    return cases().filter(c -> c.conv instanceof Convolution3D
        || c.conv instanceof Deconvolution3D);
  }

  /**
   * DL4J's {@code InputType.convolutional3D(depth, height, width, channels)} declares NDHWC while
   * a Convolution3D or Deconvolution3D keeps its own format (NCDHW by default) and reads only the
   * channel count: the operator normalized is still the one on the layer's own layout, exactly as
   * with the input type declared NCDHW (this failed at init before: the probe's input map was laid
   * out NDHWC).
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("threeDimensionalCases")
  void threeDimensionalInputTypeInAnotherFormatNormalizesTheLayersOwnLayout(Case c) {
    InputType.InputTypeConvolutional3D t = (InputType.InputTypeConvolutional3D) c.input;
    InputType ndhwc = InputType.convolutional3D(t.getDepth(), t.getHeight(), t.getWidth(),
        t.getChannels());
    assertThat(((InputType.InputTypeConvolutional3D) ndhwc).getDataFormat())
        .isEqualTo(Convolution3D.DataFormat.NDHWC);
    MultiLayerNetwork declared = new MultiLayerNetwork(network(operator(c.conv, 20, 1), c.input));
    declared.init();
    MultiLayerNetwork other = new MultiLayerNetwork(network(operator(c.conv, 20, 1), ndhwc));
    other.init();
    assertThat(other.params()).isEqualTo(declared.params());
    SpectralNormLayer layer = (SpectralNormLayer) other.getLayer(0);
    assertThat(layer.sigma("W").getDouble())
        .isEqualTo(((SpectralNormLayer) declared.getLayer(0)).sigma("W").getDouble());
    INDArray x = Nd4j.rand(DataType.DOUBLE, 2,
        t.getChannels(), t.getDepth(), t.getHeight(), t.getWidth());
    assertThat(other.output(x)).isEqualTo(declared.output(x));
  }

  @Test
  void missingInputSizeFailsAtInitAndExplicitSizeWinsOverSetInputType() {
    MultiLayerConfiguration noType = new NeuralNetConfiguration.Builder().list()
        .layer(operator(new ConvolutionLayer.Builder(3, 3).nIn(1).nOut(2).build(), 1, 1))
        .layer(new DenseLayer.Builder().nIn(2 * 4 * 4).nOut(2).build())
        .layer(new OutputLayer.Builder(LossFunction.MSE).nIn(2).nOut(1)
            .activation(Activation.IDENTITY).build())
        .build();
    assertThatThrownBy(() -> new MultiLayerNetwork(noType).init())
        .isInstanceOf(DL4JInvalidConfigException.class)
        .hasMessageContaining("operatorNorm needs the input size");

    SpectralNormalization fixed = new SpectralNormalization.Builder(
        conv2d(2, 3, 1, ConvolutionMode.Same, 1))
        .operatorNorm(InputType.convolutional(8, 8, 1)).build();
    MultiLayerConfiguration conf = network(fixed, InputType.convolutional(6, 6, 1));
    SpectralNormalization after = (SpectralNormalization) conf.getConf(0).getLayer();
    assertThat(after.getOperatorNormInputType()).isEqualTo(InputType.convolutional(8, 8, 1));
    assertThat(MultiLayerConfiguration.fromJson(conf.toJson())).isEqualTo(conf);
    assertThatThrownBy(() -> new SpectralNormalization.Builder(
            new DenseLayer.Builder().nOut(3).build()).operatorNorm().build())
        .hasMessageContaining("operatorNorm applies to ConvolutionLayer");
  }

  @Test
  void trainsAndKeepsTheOperatorNormNearOne() {
    MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder()
        .seed(3).dataType(DataType.FLOAT).updater(new Adam(1e-2)).activation(Activation.RELU)
        .list()
        .layer(new SpectralNormalization.Builder(conv2d(4, 3, 1, ConvolutionMode.Same, 1))
            .operatorNorm().build())
        .layer(new SpectralNormalization.Builder(conv2d(4, 3, 2, ConvolutionMode.Same, 1))
            .operatorNorm().build())
        .layer(new GlobalPoolingLayer.Builder(PoolingType.AVG).build())
        .layer(new OutputLayer.Builder(LossFunction.MCXENT).nOut(2)
            .activation(Activation.SOFTMAX).build())
        .setInputType(InputType.convolutional(8, 8, 1))
        .build();
    MultiLayerNetwork net = new MultiLayerNetwork(conf);
    net.init();
    Nd4j.getRandom().setSeed(5);
    INDArray x = Nd4j.rand(DataType.FLOAT, 16, 1, 8, 8);
    INDArray y = Nd4j.zeros(DataType.FLOAT, 16, 2);
    for (int i = 0; i < 16; i++) {
      y.putScalar(i, x.get(org.nd4j.linalg.indexing.NDArrayIndex.point(i)).meanNumber()
          .doubleValue() > 0.5 ? 0 : 1, 1.0);
    }
    double before = net.score(new org.nd4j.linalg.dataset.DataSet(x, y));
    for (int i = 0; i < 30; i++) {
      net.fit(x, y);
    }
    assertThat(net.score(new org.nd4j.linalg.dataset.DataSet(x, y))).isLessThan(before);
    for (double s : SpectralNorm.exactSigmas(net).values()) {
      assertThat(s).isBetween(0.85, 1.25);
    }
  }
}
