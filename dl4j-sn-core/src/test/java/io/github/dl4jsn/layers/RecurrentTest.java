package io.github.dl4jsn.layers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.dl4jsn.conf.RecurrentSpectralNormalization;
import io.github.dl4jsn.conf.SpectralNormalization;
import io.github.dl4jsn.testutil.ExactSigma;
import java.io.File;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Stream;
import org.deeplearning4j.exception.DL4JInvalidConfigException;
import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.BackpropType;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.rnn.DuplicateToTimeSeriesVertex;
import org.deeplearning4j.nn.conf.graph.rnn.LastTimeStepVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.GravesLSTM;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.conf.layers.recurrent.Bidirectional;
import org.deeplearning4j.nn.conf.layers.recurrent.LastTimeStep;
import org.deeplearning4j.nn.conf.layers.recurrent.SimpleRnn;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/**
 * Spectral normalization of recurrent weights (LSTM, GravesLSTM, SimpleRnn): gradient checks for W
 * and RW, the recurrent code paths DL4J routes around ordinary layers (stored state, truncated
 * BPTT), and the recurrent wrappers (Bidirectional, LastTimeStep) and graph vertices
 * (LastTimeStepVertex, DuplicateToTimeSeriesVertex) of an encoder-decoder.
 */
class RecurrentTest {

  @TempDir Path dir;

  @BeforeAll
  static void doublePrecision() {
    Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
  }

  static Layer recurrent(String type, int nIn, int nOut) {
    switch (type) {
      case "LSTM":
        return new LSTM.Builder().nIn(nIn).nOut(nOut).build();
      case "GravesLSTM":
        return new GravesLSTM.Builder().nIn(nIn).nOut(nOut).build();
      default:
        return new SimpleRnn.Builder().nIn(nIn).nOut(nOut).build();
    }
  }

  static RnnOutputLayer rnnOut(int nIn, int nOut) {
    return new RnnOutputLayer.Builder(LossFunction.MCXENT).nIn(nIn).nOut(nOut)
        .activation(Activation.SOFTMAX).build();
  }

  static MultiLayerConfiguration sequenceClassifier(
      Layer recurrentLayer, DataType type, double learningRate, int tbptt) {
    NeuralNetConfiguration.ListBuilder b =
        new NeuralNetConfiguration.Builder()
            .seed(7)
            .dataType(type)
            .updater(learningRate == 0 ? new NoOp() : new Adam(learningRate))
            .activation(Activation.TANH)
            .list()
            .layer(recurrentLayer)
            .layer(rnnOut(6, 3))
            .setInputType(InputType.recurrent(3));
    if (tbptt > 0) {
      b.backpropType(BackpropType.TruncatedBPTT).tBPTTLength(tbptt);
    }
    return b.build();
  }

  /** Sequences of 3 features whose label at each step is the argmax of a running sum. */
  static DataSet sequences(int n, int length, long seed, DataType type) {
    Nd4j.getRandom().setSeed(seed);
    INDArray x = Nd4j.randn(DataType.DOUBLE, n, 3, length);
    INDArray y = Nd4j.zeros(DataType.DOUBLE, n, 3, length);
    for (int i = 0; i < n; i++) {
      double[] sum = new double[3];
      for (int t = 0; t < length; t++) {
        int best = 0;
        for (int f = 0; f < 3; f++) {
          sum[f] = 0.7 * sum[f] + x.getDouble(i, f, t);
          if (sum[f] > sum[best]) {
            best = f;
          }
        }
        y.putScalar(new int[] {i, best, t}, 1.0);
      }
    }
    return new DataSet(x.castTo(type), y.castTo(type));
  }

  static Set<String> vectorKeys(Model net) {
    Set<String> vectors = new TreeSet<>();
    for (String key : net.paramTable().keySet()) {
      String param = key.substring(key.indexOf('_') + 1);
      if (param.matches("[fb]?[uv]R?W")) {
        vectors.add(key);
      }
    }
    return vectors;
  }

  static Stream<Arguments> typesAndKeys() {
    return Stream.of("LSTM", "GravesLSTM", "SimpleRnn")
        .flatMap(t -> Stream.of(
            Arguments.of(t, List.of("W", "RW")),
            Arguments.of(t, List.of("W")),
            Arguments.of(t, List.of("RW"))));
  }

  @ParameterizedTest(name = "{0} normalizing {1}")
  @MethodSource("typesAndKeys")
  void gradientCheckPassesForWAndRw(String type, List<String> keys) {
    SpectralNormalization sn =
        new SpectralNormalization.Builder(recurrent(type, 3, 6))
            .normalize(keys.toArray(new String[0]))
            .warmupIterations(3)
            .build();
    MultiLayerNetwork net = new MultiLayerNetwork(sequenceClassifier(sn, DataType.DOUBLE, 0, 0));
    net.init();
    Set<String> expected = new TreeSet<>();
    for (String k : keys) {
      expected.add("0_u" + k);
      expected.add("0_v" + k);
    }
    assertThat(vectorKeys(net)).isEqualTo(expected);
    DataSet data = sequences(3, 5, 1, DataType.DOUBLE);
    assertThat(gradientCheck(net, data)).as(type + " " + keys).isTrue();
  }

  /**
   * Central differences with step 1e-4: for these LSTMs the error of the finite differences grows
   * as 1/step below that (rounding; measured max relative error 8e-8 at 1e-4, 7.6e-7 at 1e-5,
   * 1.3e-5 at 1e-6, 7.4e-5 at 1e-7), while a wrong gradient would not depend on the step.
   */
  static boolean gradientCheck(MultiLayerNetwork net, DataSet data) {
    return GradientCheckUtil.checkGradients(
        new GradientCheckUtil.MLNConfig()
            .net(net)
            .input(data.getFeatures())
            .labels(data.getLabels())
            .epsilon(1e-4)
            .maxRelError(1e-5)
            .minAbsoluteError(1e-10)
            .print(GradientCheckUtil.PrintMode.FAILURES_ONLY)
            .excludeParams(vectorKeys(net)));
  }

  @Test
  void gravesPeepholesAreNotNormalized() {
    MultiLayerNetwork net =
        new MultiLayerNetwork(
            sequenceClassifier(
                SpectralNormalization.wrap(recurrent("GravesLSTM", 3, 6)), DataType.DOUBLE, 0, 0));
    net.init();
    SpectralNormLayer layer = (SpectralNormLayer) net.getLayer(0);
    INDArray rw = layer.getInnerLayer().getParam("RW");
    INDArray rwSn = layer.normalizedWeight("RW");
    assertThat(rwSn.shape()).containsExactly(6, 27);
    INDArray peepholes = rw.get(NDArrayIndex.all(), NDArrayIndex.interval(24, 27));
    assertThat(rwSn.get(NDArrayIndex.all(), NDArrayIndex.interval(24, 27))).isEqualTo(peepholes);
    // The gate columns are RW / sigma, with sigma the estimate from the stored vectors.
    INDArray gates = rw.get(NDArrayIndex.all(), NDArrayIndex.interval(0, 24));
    double sigma = layer.sigma("RW").getDouble();
    INDArray actual = rwSn.get(NDArrayIndex.all(), NDArrayIndex.interval(0, 24));
    assertThat(maxAbsDiff(actual.mul(sigma), gates)).isLessThan(1e-12);
    // ... and the estimate is the largest singular value of the gate columns alone.
    assertThat(sigma).isCloseTo(ExactSigma.of(gates.dup('c')), org.assertj.core.data.Offset.offset(0.05));
    assertThat(ExactSigma.of(rw.dup('c'))).isNotCloseTo(sigma, org.assertj.core.data.Offset.offset(0.0));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("types")
  void outputEqualsStepByStepRnnTimeStepAfterTraining(String type) {
    MultiLayerNetwork net =
        new MultiLayerNetwork(
            sequenceClassifier(
                SpectralNormalization.wrap(recurrent(type, 3, 6)), DataType.DOUBLE, 1e-2, 0));
    net.init();
    DataSet data = sequences(8, 7, 2, DataType.DOUBLE);
    for (int i = 0; i < 5; i++) {
      net.fit(data);
    }
    assertThat(net.getLayer(0)).isInstanceOf(SpectralNormRecurrentLayer.class);
    INDArray full = net.output(data.getFeatures());
    net.rnnClearPreviousState();
    for (int t = 0; t < 7; t++) {
      INDArray step = net.rnnTimeStep(data.getFeatures().get(
          NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(t)));
      INDArray expected = full.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(t));
      assertThat(maxAbsDiff(step, expected)).as("step " + t).isLessThan(1e-12);
    }
    // Inference never iterates: the stored state and the output are unchanged by rnnTimeStep.
    assertThat(maxAbsDiff(net.output(data.getFeatures()), full)).isZero();
  }

  static Stream<String> types() {
    return Stream.of("LSTM", "GravesLSTM", "SimpleRnn");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("types")
  void truncatedBpttTrainsAndKeepsSigmaNearOne(String type) {
    MultiLayerNetwork net =
        new MultiLayerNetwork(
            sequenceClassifier(
                SpectralNormalization.wrap(recurrent(type, 3, 6)), DataType.DOUBLE, 2e-2, 5));
    net.init();
    DataSet data = sequences(16, 20, 3, DataType.DOUBLE);
    double before = net.score(data);
    for (int i = 0; i < 30; i++) {
      net.fit(data);
    }
    // 4 segments of 5 steps per fit: 4 iterations each.
    assertThat(net.getIterationCount()).isEqualTo(120);
    double after = net.score(data);
    assertThat(after).as("score of " + type).isLessThan(0.9 * before);
    SpectralNormLayer layer = (SpectralNormLayer) net.getLayer(0);
    for (String key : List.of("W", "RW")) {
      assertThat(ExactSigma.ofNormalizedWeight(layer, key)).as(type + " " + key)
          .isBetween(0.9, 1.2);
      assertThat(layer.getParam("u" + key).norm2Number().doubleValue())
          .isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-9));
    }
  }

  @Test
  void bidirectionalWithRecurrentFormTrainsChecksGradientsAndRoundTrips() throws Exception {
    Function<Double, MultiLayerConfiguration> conf =
        lr -> sequenceClassifierWith(
            new Bidirectional(Bidirectional.Mode.CONCAT,
                new SpectralNormalization.Builder(new LSTM.Builder().nIn(3).nOut(3).build())
                    .warmupIterations(3).buildRecurrent()),
            lr);
    MultiLayerNetwork check = new MultiLayerNetwork(conf.apply(0.0));
    check.init();
    assertThat(vectorKeys(check))
        .containsExactlyInAnyOrder("0_fuW", "0_fvW", "0_fuRW", "0_fvRW",
            "0_buW", "0_bvW", "0_buRW", "0_bvRW");
    assertThat(gradientCheck(check, sequences(3, 4, 4, DataType.DOUBLE))).isTrue();

    MultiLayerNetwork net = new MultiLayerNetwork(conf.apply(2e-2));
    net.init();
    assertTrainsAndRoundTrips(net, sequences(16, 8, 5, DataType.DOUBLE));
  }

  static MultiLayerConfiguration sequenceClassifierWith(Layer first, double lr) {
    return new NeuralNetConfiguration.Builder()
        .seed(7)
        .dataType(DataType.DOUBLE)
        .updater(lr == 0 ? new NoOp() : new Adam(lr))
        .activation(Activation.TANH)
        .list()
        .layer(first)
        .layer(rnnOut(6, 3))
        .setInputType(InputType.recurrent(3))
        .build();
  }

  @Test
  void lastTimeStepWithRecurrentFormTrainsAndRoundTrips() throws Exception {
    MultiLayerConfiguration conf =
        new NeuralNetConfiguration.Builder()
            .seed(7)
            .dataType(DataType.DOUBLE)
            .updater(new Adam(2e-2))
            .activation(Activation.TANH)
            .list()
            .layer(new LastTimeStep(SpectralNormalization.wrapRecurrent(
                new LSTM.Builder().nOut(6).build())))
            .layer(new OutputLayer.Builder(LossFunction.MCXENT).nOut(3)
                .activation(Activation.SOFTMAX).build())
            .setInputType(InputType.recurrent(3))
            .build();
    MultiLayerNetwork net = new MultiLayerNetwork(conf);
    net.init();
    DataSet seq = sequences(16, 8, 6, DataType.DOUBLE);
    INDArray lastLabels = seq.getLabels().get(NDArrayIndex.all(), NDArrayIndex.all(),
        NDArrayIndex.point(7));
    assertTrainsAndRoundTrips(net, new DataSet(seq.getFeatures(), lastLabels));
    // The global Adam reached the inner LSTM through the recurrent form.
    LastTimeStep lts = (LastTimeStep) net.getLayerWiseConfigurations().getConf(0).getLayer();
    RecurrentSpectralNormalization rsn = (RecurrentSpectralNormalization) lts.getUnderlying();
    assertThat(rsn.getUnderlying().getIUpdater()).isInstanceOf(Adam.class);
  }

  void assertTrainsAndRoundTrips(MultiLayerNetwork net, DataSet data) throws Exception {
    double before = net.score(data);
    for (int i = 0; i < 25; i++) {
      net.fit(data);
    }
    assertThat(net.score(data)).isLessThan(0.9 * before);
    MultiLayerConfiguration fromJson =
        MultiLayerConfiguration.fromJson(net.getLayerWiseConfigurations().toJson());
    assertThat(fromJson).isEqualTo(net.getLayerWiseConfigurations());
    File file = dir.resolve("net.zip").toFile();
    ModelSerializer.writeModel(net, file, true);
    MultiLayerNetwork restored = ModelSerializer.restoreMultiLayerNetwork(file, true);
    assertThat(restored.params()).isEqualTo(net.params());
    assertThat(restored.output(data.getFeatures())).isEqualTo(net.output(data.getFeatures()));
    net.fit(data);
    restored.fit(data);
    assertThat(maxAbsDiff(restored.params(), net.params())).isLessThan(1e-12);
  }

  /**
   * The encoder-decoder pattern of sequence-to-sequence translation: an SN LSTM encoder whose last
   * step is duplicated along the decoder's input, an SN LSTM decoder, and an SN output layer.
   */
  static ComputationGraphConfiguration encoderDecoder(double lr) {
    return new NeuralNetConfiguration.Builder()
        .seed(11)
        .dataType(DataType.DOUBLE)
        .updater(lr == 0 ? new NoOp() : new Adam(lr))
        .activation(Activation.TANH)
        .graphBuilder()
        .addInputs("source", "targetIn")
        .setInputTypes(InputType.recurrent(3), InputType.recurrent(3))
        .addLayer("encoder", SpectralNormalization.wrap(new LSTM.Builder().nOut(5).build()),
            "source")
        .addVertex("thought", new LastTimeStepVertex("source"), "encoder")
        .addVertex("repeated", new DuplicateToTimeSeriesVertex("targetIn"), "thought")
        .addLayer("decoder", SpectralNormalization.wrap(new LSTM.Builder().nOut(5).build()),
            "targetIn", "repeated")
        .addLayer("out", SpectralNormalization.wrap(new RnnOutputLayer.Builder(LossFunction.MCXENT)
            .nOut(3).activation(Activation.SOFTMAX).build()), "decoder")
        .setOutputs("out")
        .build();
  }

  @Test
  void encoderDecoderGraphChecksGradientsTrainsAndRoundTrips() throws Exception {
    DataSet src = sequences(8, 6, 8, DataType.DOUBLE);
    DataSet tgt = sequences(8, 4, 9, DataType.DOUBLE);
    INDArray[] inputs = {src.getFeatures(), tgt.getFeatures()};
    INDArray[] labels = {tgt.getLabels()};

    ComputationGraph check = new ComputationGraph(encoderDecoder(0));
    check.init();
    Set<String> vectors = vectorKeys(check);
    assertThat(vectors).hasSize(10);
    boolean ok =
        GradientCheckUtil.checkGradients(
            new GradientCheckUtil.GraphConfig()
                .net(check)
                .inputs(new INDArray[] {inputs[0].get(NDArrayIndex.interval(0, 3)),
                    inputs[1].get(NDArrayIndex.interval(0, 3))})
                .labels(new INDArray[] {labels[0].get(NDArrayIndex.interval(0, 3))})
                .epsilon(1e-4)
                .maxRelError(1e-5)
                .minAbsoluteError(1e-10)
                .print(GradientCheckUtil.PrintMode.FAILURES_ONLY)
                .excludeParams(vectors));
    assertThat(ok).isTrue();

    ComputationGraph net = new ComputationGraph(encoderDecoder(2e-2));
    net.init();
    MultiDataSet data = new org.nd4j.linalg.dataset.MultiDataSet(inputs, labels);
    double before = net.score(data);
    for (int i = 0; i < 25; i++) {
      net.fit(data);
    }
    assertThat(net.score(data)).isLessThan(0.9 * before);
    assertThat(net.getLayer("encoder")).isInstanceOf(SpectralNormRecurrentLayer.class);

    File file = dir.resolve("graph.zip").toFile();
    ModelSerializer.writeModel(net, file, true);
    ComputationGraph restored = ModelSerializer.restoreComputationGraph(file, true);
    assertThat(restored.getConfiguration()).isEqualTo(net.getConfiguration());
    assertThat(restored.outputSingle(inputs)).isEqualTo(net.outputSingle(inputs));

    // Decoding one step at a time, as translation does, gives the decoder's full-sequence output.
    Map<String, INDArray> acts = net.feedForward(inputs, false);
    INDArray decoderIn = Nd4j.concat(1, inputs[1], acts.get("repeated"));
    SpectralNormRecurrentLayer decoder = (SpectralNormRecurrentLayer) net.getLayer("decoder");
    decoder.rnnClearPreviousState();
    for (int t = 0; t < 4; t++) {
      INDArray step = decoder.rnnTimeStep(
          decoderIn.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(t, t + 1)),
          LayerWorkspaceMgr.noWorkspaces());
      INDArray expected = acts.get("decoder").get(
          NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(t, t + 1));
      assertThat(maxAbsDiff(step, expected)).as("step " + t).isLessThan(1e-12);
    }
    assertThat(decoder.rnnGetPreviousState()).isNotEmpty();
  }

  @Test
  void badKeysAndNonRecurrentLayersAreRejectedByName() {
    assertThatThrownBy(() -> new SpectralNormalization.Builder(
            new LSTM.Builder().nIn(3).nOut(4).name("enc").build())
        .normalize("RW", "P").build())
        .isInstanceOf(DL4JInvalidConfigException.class)
        .hasMessageContaining("'enc'")
        .hasMessageContaining("cannot normalize weight 'P'")
        .hasMessageContaining("[W, RW]");
    assertThatThrownBy(() -> new SpectralNormalization.Builder(
            new DenseLayer.Builder().nIn(3).nOut(4).build()).normalize("RW").build())
        .isInstanceOf(DL4JInvalidConfigException.class)
        .hasMessageContaining("cannot normalize weight 'RW'")
        .hasMessageContaining("DenseLayer has [W]");
    assertThatThrownBy(() -> SpectralNormalization.wrapRecurrent(
            new DenseLayer.Builder().nIn(3).nOut(4).build()))
        .isInstanceOf(DL4JInvalidConfigException.class)
        .hasMessageContaining("recurrent layer");
  }

  static double maxAbsDiff(INDArray a, INDArray b) {
    return a.sub(b).amaxNumber().doubleValue();
  }
}
