package io.github.dl4jsn.layers;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.dl4jsn.conf.SpectralNormalization;
import java.io.File;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Stream;
import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.CenterLossOutputLayer;
import org.deeplearning4j.nn.conf.layers.Convolution1DLayer;
import org.deeplearning4j.nn.conf.layers.Convolution3D;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.Deconvolution2D;
import org.deeplearning4j.nn.conf.layers.Deconvolution3D;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.EmbeddingLayer;
import org.deeplearning4j.nn.conf.layers.EmbeddingSequenceLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SeparableConvolution2D;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

/**
 * DL4J's {@link GradientCheckUtil} (central differences, DOUBLE) on small networks with one
 * spectrally normalized layer of each supported type, u and v excluded from the check.
 */
class GradientCheckTest {

  @BeforeAll
  static void doublePrecision() {
    Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
  }

  /** A network under test: its configuration builder and matching data. */
  static final class Net {
    final String name;
    final Function<Function<Layer, Layer>, MultiLayerConfiguration> conf;
    final INDArray input;
    final INDArray labels;

    Net(
        String name,
        Function<Function<Layer, Layer>, MultiLayerConfiguration> conf,
        INDArray input,
        INDArray labels) {
      this.name = name;
      this.conf = conf;
      this.input = input;
      this.labels = labels;
    }

    @Override
    public String toString() {
      return name;
    }
  }

  static NeuralNetConfiguration.ListBuilder base() {
    return new NeuralNetConfiguration.Builder()
        .seed(12345)
        .dataType(DataType.DOUBLE)
        .updater(new NoOp())
        .activation(Activation.TANH)
        .list();
  }

  static OutputLayer softmaxOut(int nOut) {
    return new OutputLayer.Builder(LossFunction.MCXENT).nOut(nOut)
        .activation(Activation.SOFTMAX).build();
  }

  static OutputLayer softmaxOut(int nIn, int nOut) {
    return new OutputLayer.Builder(LossFunction.MCXENT).nIn(nIn).nOut(nOut)
        .activation(Activation.SOFTMAX).build();
  }

  static INDArray oneHotLabels(int rows, int classes) {
    INDArray l = Nd4j.zeros(DataType.DOUBLE, rows, classes);
    for (int i = 0; i < rows; i++) {
      l.putScalar(i, i % classes, 1.0);
    }
    return l;
  }

  static Stream<Net> networks() {
    Nd4j.getRandom().setSeed(42);
    return Stream.of(
        new Net(
            "DenseLayer",
            sn -> base().layer(sn.apply(new DenseLayer.Builder().nIn(4).nOut(5).build()))
                .layer(softmaxOut(3)).setInputType(InputType.feedForward(4)).build(),
            Nd4j.rand(DataType.DOUBLE, 6, 4),
            oneHotLabels(6, 3)),
        new Net(
            "OutputLayer",
            sn -> base().layer(new DenseLayer.Builder().nIn(4).nOut(5).build())
                .layer(sn.apply(softmaxOut(3))).setInputType(InputType.feedForward(4)).build(),
            Nd4j.rand(DataType.DOUBLE, 6, 4),
            oneHotLabels(6, 3)),
        new Net(
            "ConvolutionLayer",
            sn -> base()
                .layer(sn.apply(new ConvolutionLayer.Builder(3, 3).nOut(3).build()))
                .layer(softmaxOut(3)).setInputType(InputType.convolutional(5, 5, 2)).build(),
            Nd4j.rand(DataType.DOUBLE, 3, 2, 5, 5),
            oneHotLabels(3, 3)),
        new Net(
            "Convolution1DLayer",
            sn -> base()
                .layer(sn.apply(new Convolution1DLayer.Builder(3).nOut(4).build()))
                .layer(new GlobalPoolingLayer.Builder(PoolingType.AVG).build())
                .layer(softmaxOut(3)).setInputType(InputType.recurrent(3, 6)).build(),
            Nd4j.rand(DataType.DOUBLE, 3, 3, 6),
            oneHotLabels(3, 3)),
        new Net(
            "Deconvolution2D",
            sn -> base()
                .layer(sn.apply(new Deconvolution2D.Builder(3, 3).nOut(2).build()))
                .layer(softmaxOut(3)).setInputType(InputType.convolutional(3, 3, 2)).build(),
            Nd4j.rand(DataType.DOUBLE, 3, 2, 3, 3),
            oneHotLabels(3, 3)),
        new Net(
            "EmbeddingLayer",
            sn -> base().layer(sn.apply(new EmbeddingLayer.Builder().nIn(6).nOut(5).build()))
                .layer(softmaxOut(5, 3)).build(),
            Nd4j.createFromArray(new double[][] {{0}, {3}, {5}, {1}, {3}, {2}}),
            oneHotLabels(6, 3)),
        new Net(
            "EmbeddingSequenceLayer",
            sn -> base()
                .layer(sn.apply(new EmbeddingSequenceLayer.Builder().nIn(6).nOut(5)
                    .inputLength(3).build()))
                .layer(new GlobalPoolingLayer.Builder(PoolingType.AVG).build())
                .layer(softmaxOut(5, 3)).build(),
            Nd4j.createFromArray(new double[][] {{0, 1, 2}, {3, 4, 5}, {5, 0, 2}, {1, 1, 4}}),
            oneHotLabels(4, 3)),
        new Net(
            "DepthwiseConvolution2D",
            sn -> base()
                .layer(sn.apply(new DepthwiseConvolution2D.Builder(2, 3).depthMultiplier(2)
                    .build()))
                .layer(softmaxOut(3)).setInputType(InputType.convolutional(4, 5, 2)).build(),
            Nd4j.rand(DataType.DOUBLE, 3, 2, 4, 5),
            oneHotLabels(3, 3)),
        new Net(
            "SeparableConvolution2D",
            sn -> base()
                .layer(sn.apply(new SeparableConvolution2D.Builder(3, 3).depthMultiplier(2)
                    .nOut(3).build()))
                .layer(softmaxOut(3)).setInputType(InputType.convolutional(5, 5, 2)).build(),
            Nd4j.rand(DataType.DOUBLE, 3, 2, 5, 5),
            oneHotLabels(3, 3)),
        new Net(
            "Convolution3D",
            sn -> base()
                .layer(sn.apply(new Convolution3D.Builder().kernelSize(2, 2, 3).nOut(3)
                    .convolutionMode(org.deeplearning4j.nn.conf.ConvolutionMode.Truncate)
                    .build()))
                .layer(new GlobalPoolingLayer.Builder(PoolingType.AVG).build())
                .layer(softmaxOut(3, 3))
                .setInputType(InputType.convolutional3D(3, 3, 4, 2)).build(),
            Nd4j.rand(DataType.DOUBLE, 3, 2, 3, 3, 4),
            oneHotLabels(3, 3)),
        new Net(
            "Deconvolution3D",
            sn -> base()
                .layer(sn.apply(new Deconvolution3D.Builder().kernelSize(2, 2, 2).nOut(2)
                    .convolutionMode(org.deeplearning4j.nn.conf.ConvolutionMode.Truncate)
                    .build()))
                .layer(softmaxOut(3))
                .setInputType(InputType.convolutional3D(2, 2, 3, 3)).build(),
            Nd4j.rand(DataType.DOUBLE, 3, 3, 2, 2, 3),
            oneHotLabels(3, 3)),
        new Net(
            "CenterLossOutputLayer",
            sn -> base().layer(new DenseLayer.Builder().nIn(4).nOut(5).build())
                .layer(sn.apply(new CenterLossOutputLayer.Builder(LossFunction.MCXENT).nOut(3)
                    .activation(Activation.SOFTMAX).lambda(0.5).alpha(1.0)
                    .gradientCheck(true).build()))
                .setInputType(InputType.feedForward(4)).build(),
            Nd4j.rand(DataType.DOUBLE, 6, 4),
            oneHotLabels(6, 3)));
  }

  static Stream<Arguments> networksAndIterations() {
    return networks().flatMap(n -> Stream.of(Arguments.of(n, 0), Arguments.of(n, 1)));
  }

  @ParameterizedTest(name = "{0}, powerIterations={1}")
  @MethodSource("networksAndIterations")
  void gradientCheckPassesForEachLayerType(Net net, int powerIterations) {
    assertPasses(net, l -> new SpectralNormalization.Builder(l)
        .powerIterations(powerIterations).warmupIterations(3).build());
  }

  static Stream<Arguments> coefficientVariants() {
    return Stream.of(
        Arguments.of("coefficient 2", 2.0, false),
        Arguments.of("clip-only, sigma above c", 0.25, true),
        Arguments.of("clip-only, sigma below c", 50.0, true));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("coefficientVariants")
  void gradientCheckPassesWithCoefficientAndClipOnly(String name, double c, boolean clipOnly) {
    Net dense = networks().findFirst().orElseThrow();
    assertPasses(dense, l -> new SpectralNormalization.Builder(l)
        .coefficient(c).clipOnly(clipOnly).build());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("networks")
  void eachLayerTypeRoundTripsThroughJsonAndModelSerializer(Net n, @TempDir Path dir)
      throws Exception {
    MultiLayerConfiguration conf = n.conf.apply(l -> new SpectralNormalization.Builder(l)
        .powerIterations(2).coefficient(1.5).build());
    assertThat(MultiLayerConfiguration.fromJson(conf.toJson())).isEqualTo(conf);
    MultiLayerNetwork net = new MultiLayerNetwork(conf);
    net.init();
    net.fit(n.input, n.labels);
    File file = dir.resolve("net.zip").toFile();
    ModelSerializer.writeModel(net, file, true);
    MultiLayerNetwork restored = ModelSerializer.restoreMultiLayerNetwork(file, true);
    assertThat(restored.params()).isEqualTo(net.params());
    assertThat(restored.output(n.input, false)).isEqualTo(net.output(n.input, false));
    restored.fit(n.input, n.labels);
    net.fit(n.input, n.labels);
    assertThat(restored.params()).as("training goes on identically").isEqualTo(net.params());
  }

  static void assertPasses(Net n, Function<Layer, Layer> wrap) {
    MultiLayerNetwork net = new MultiLayerNetwork(n.conf.apply(wrap));
    net.init();
    Set<String> vectors = new TreeSet<>();
    for (String key : net.paramTable().keySet()) {
      String param = key.substring(key.indexOf('_') + 1);
      if (param.startsWith("u") || param.startsWith("v")) {
        vectors.add(key);
      }
    }
    assertThat(vectors).as("the persistent vectors of " + n).isNotEmpty();
    boolean ok =
        GradientCheckUtil.checkGradients(
            new GradientCheckUtil.MLNConfig()
                .net(net)
                .input(n.input)
                .labels(n.labels)
                .epsilon(1e-6)
                .maxRelError(1e-5)
                .minAbsoluteError(1e-10)
                .print(GradientCheckUtil.PrintMode.FAILURES_ONLY)
                .excludeParams(vectors));
    assertThat(ok).as("gradient check of " + n).isTrue();
  }
}
