package io.github.dl4jsn.layers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.dl4jsn.conf.SpectralNormalization;
import io.github.dl4jsn.testutil.Nets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.BackpropType;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.CenterLossOutputLayer;
import org.deeplearning4j.nn.conf.layers.Convolution1DLayer;
import org.deeplearning4j.nn.conf.layers.Convolution3D;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.Deconvolution2D;
import org.deeplearning4j.nn.conf.layers.Deconvolution3D;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.conf.layers.EmbeddingLayer;
import org.deeplearning4j.nn.conf.layers.EmbeddingSequenceLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.GravesLSTM;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.LocallyConnected2D;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.conf.layers.SelfAttentionLayer;
import org.deeplearning4j.nn.conf.layers.SeparableConvolution2D;
import org.deeplearning4j.nn.conf.layers.recurrent.Bidirectional;
import org.deeplearning4j.nn.conf.layers.recurrent.LastTimeStep;
import org.deeplearning4j.nn.conf.layers.recurrent.SimpleRnn;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.executioner.OpExecutioner.ProfilingMode;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

/**
 * Every supported layer type, wrapped with spectral normalization, trains and infers under ND4J's
 * workspace checks ({@code ProfilingMode.SCOPE_PANIC}: any op on an array from a closed workspace,
 * or from an earlier generation of a reopened one, throws), with workspaces ENABLED and NONE
 * (training and inference), in a MultiLayerNetwork and in a ComputationGraph; both modes give
 * identical results and leave no workspace open. Recurrent layers also run truncated BPTT and
 * {@code rnnTimeStep}. The NaN and Inf checks ({@code NAN_PANIC}, {@code INF_PANIC}) run over the
 * zero, tiny and huge weights of {@link NumericalRobustnessTest}.
 */
class WorkspaceSafetyTest {

  private static final int BATCH = 3;
  private static final int STEPS = 4;

  @AfterEach
  void disableProfiling() {
    Nd4j.getExecutioner().setProfilingMode(ProfilingMode.DISABLED);
    System.clearProperty("dl4jsn.core");
  }

  /** A chain of layers, one of them spectrally normalized, with data for it. */
  static final class Case {
    final String name;
    final Supplier<List<Layer>> layers;
    final InputType inputType;
    final Supplier<DataSet> data;
    /** Time-series output: rnnTimeStep must match output() step by step. */
    final boolean stepwise;
    final boolean tbptt;

    Case(String name, Supplier<List<Layer>> layers, InputType inputType, Supplier<DataSet> data,
        boolean stepwise, boolean tbptt) {
      this.name = name;
      this.layers = layers;
      this.inputType = inputType;
      this.data = data;
      this.stepwise = stepwise;
      this.tbptt = tbptt;
    }

    static Case of(String name, Supplier<List<Layer>> layers, InputType inputType,
        Supplier<DataSet> data) {
      return new Case(name, layers, inputType, data, false, false);
    }

    @Override
    public String toString() {
      return name;
    }
  }

  static OutputLayer softmaxOut() {
    return new OutputLayer.Builder(LossFunction.MCXENT).nOut(3)
        .activation(Activation.SOFTMAX).build();
  }

  static OutputLayer softmaxOut(int nIn) {
    return new OutputLayer.Builder(LossFunction.MCXENT).nIn(nIn).nOut(3)
        .activation(Activation.SOFTMAX).build();
  }

  static RnnOutputLayer rnnOut() {
    return new RnnOutputLayer.Builder(LossFunction.MCXENT).nOut(3)
        .activation(Activation.SOFTMAX).build();
  }

  static GlobalPoolingLayer pool() {
    return new GlobalPoolingLayer.Builder(PoolingType.AVG).build();
  }

  static Layer sn(Layer l) {
    return SpectralNormalization.wrap(l);
  }

  static Layer operatorNorm(Layer l) {
    return new SpectralNormalization.Builder(l).operatorNorm().build();
  }

  /** Random features of the given shape (batch first), one-hot labels for 3 classes. */
  static Supplier<DataSet> classes(long... shape) {
    return () -> {
      Nd4j.getRandom().setSeed(3);
      INDArray x = Nd4j.rand(DataType.FLOAT, shape).subi(0.5);
      return new DataSet(x, oneHot(shape[0]));
    };
  }

  /** Token indices below 6, of shape [BATCH, length], with one-hot labels. */
  static Supplier<DataSet> tokens(int length) {
    return () -> {
      float[][] x = new float[BATCH][length];
      for (int i = 0; i < BATCH; i++) {
        for (int t = 0; t < length; t++) {
          x[i][t] = (i * 5 + t * 2) % 6;
        }
      }
      return new DataSet(Nd4j.createFromArray(x), oneHot(BATCH));
    };
  }

  /** Sequences [BATCH, 3, STEPS] with a one-hot label at every step. */
  static Supplier<DataSet> sequences() {
    return () -> {
      Nd4j.getRandom().setSeed(4);
      INDArray x = Nd4j.randn(DataType.FLOAT, BATCH, 3, STEPS);
      INDArray y = Nd4j.zeros(DataType.FLOAT, BATCH, 3, STEPS);
      for (int i = 0; i < BATCH; i++) {
        for (int t = 0; t < STEPS; t++) {
          y.putScalar(new long[] {i, (i + t) % 3, t}, 1.0);
        }
      }
      return new DataSet(x, y);
    };
  }

  static INDArray oneHot(long n) {
    INDArray y = Nd4j.zeros(DataType.FLOAT, n, 3);
    for (int i = 0; i < n; i++) {
      y.putScalar(i, i % 3, 1.0);
    }
    return y;
  }

  static Case recurrent(String name, Supplier<Layer> layer, boolean tbptt) {
    return new Case(name + (tbptt ? ", truncated BPTT" : ""),
        () -> List.of(sn(layer.get()), rnnOut()), InputType.recurrent(3), sequences(), true, tbptt);
  }

  static Stream<Case> cases() {
    Supplier<Layer> lstm = () -> new LSTM.Builder().nOut(4).build();
    Supplier<Layer> graves = () -> new GravesLSTM.Builder().nOut(4).build();
    Supplier<Layer> rnn = () -> new SimpleRnn.Builder().nOut(4).build();
    InputType image = InputType.convolutional(4, 4, 2);
    return Stream.of(
        Case.of("DenseLayer", () -> List.of(sn(new DenseLayer.Builder().nOut(4).build()),
            softmaxOut()), InputType.feedForward(4), classes(BATCH, 4)),
        Case.of("OutputLayer", () -> List.of(new DenseLayer.Builder().nOut(4).build(),
            sn(softmaxOut())), InputType.feedForward(4), classes(BATCH, 4)),
        new Case("RnnOutputLayer", () -> List.of(sn(rnnOut())), InputType.recurrent(3),
            sequences(), true, false),
        Case.of("ConvolutionLayer", () -> List.of(
            sn(new ConvolutionLayer.Builder(2, 2).nOut(2).build()), softmaxOut()),
            image, classes(BATCH, 2, 4, 4)),
        Case.of("Convolution1DLayer", () -> List.of(
            sn(new Convolution1DLayer.Builder(2).nOut(3).build()), pool(), softmaxOut()),
            InputType.recurrent(3, 5), classes(BATCH, 3, 5)),
        Case.of("Deconvolution2D", () -> List.of(
            sn(new Deconvolution2D.Builder(2, 2).nOut(2).build()), softmaxOut()),
            InputType.convolutional(3, 3, 2), classes(BATCH, 2, 3, 3)),
        Case.of("DepthwiseConvolution2D", () -> List.of(
            sn(new DepthwiseConvolution2D.Builder(2, 2).depthMultiplier(2).build()),
            softmaxOut()), image, classes(BATCH, 2, 4, 4)),
        Case.of("SeparableConvolution2D", () -> List.of(
            sn(new SeparableConvolution2D.Builder(2, 2).depthMultiplier(2).nOut(3).build()),
            softmaxOut()), image, classes(BATCH, 2, 4, 4)),
        Case.of("Convolution3D", () -> List.of(
            sn(new Convolution3D.Builder().kernelSize(2, 2, 2).nOut(2)
                .convolutionMode(ConvolutionMode.Truncate).build()), pool(), softmaxOut(2)),
            InputType.convolutional3D(3, 3, 3, 2), classes(BATCH, 2, 3, 3, 3)),
        Case.of("Deconvolution3D", () -> List.of(
            sn(new Deconvolution3D.Builder().kernelSize(2, 2, 2).nOut(2)
                .convolutionMode(ConvolutionMode.Truncate).build()), softmaxOut()),
            InputType.convolutional3D(2, 2, 2, 2), classes(BATCH, 2, 2, 2, 2)),
        Case.of("EmbeddingLayer", () -> List.of(
            sn(new EmbeddingLayer.Builder().nIn(6).nOut(4).build()), softmaxOut(4)),
            null, tokens(1)),
        Case.of("EmbeddingSequenceLayer", () -> List.of(
            sn(new EmbeddingSequenceLayer.Builder().nIn(6).nOut(4).inputLength(3).build()),
            pool(), softmaxOut(4)), null, tokens(3)),
        Case.of("CenterLossOutputLayer", () -> List.of(new DenseLayer.Builder().nOut(4).build(),
            sn(new CenterLossOutputLayer.Builder(LossFunction.MCXENT).nOut(3)
                .activation(Activation.SOFTMAX).lambda(0.5).alpha(0.5).build())),
            InputType.feedForward(4), classes(BATCH, 4)),
        recurrent("LSTM", lstm, false),
        recurrent("LSTM", lstm, true),
        recurrent("GravesLSTM", graves, true),
        recurrent("SimpleRnn", rnn, false),
        new Case("Bidirectional(wrapRecurrent(LSTM))", () -> List.of(
            new Bidirectional(SpectralNormalization.wrapRecurrent(lstm.get())), rnnOut()),
            InputType.recurrent(3), sequences(), false, false),
        Case.of("LastTimeStep(wrapRecurrent(SimpleRnn))", () -> List.of(
            new LastTimeStep(SpectralNormalization.wrapRecurrent(rnn.get())), softmaxOut()),
            InputType.recurrent(3, STEPS), classes(BATCH, 3, STEPS)),
        Case.of("wrapSameDiff(SelfAttentionLayer)", () -> List.of(
            SpectralNormalization.wrapSameDiff(new SelfAttentionLayer.Builder().nOut(3)
                .nHeads(2).headSize(2).projectInput(true).build()), pool(), softmaxOut()),
            InputType.recurrent(3, STEPS), classes(BATCH, 3, STEPS)),
        Case.of("wrapSameDiff(LocallyConnected2D)", () -> List.of(
            SpectralNormalization.wrapSameDiff(new LocallyConnected2D.Builder().nOut(2)
                .kernelSize(2, 2).stride(1, 1).activation(Activation.TANH).build()),
            softmaxOut()), image, classes(BATCH, 2, 4, 4)),
        Case.of("ConvolutionLayer, operator norm", () -> List.of(
            operatorNorm(new ConvolutionLayer.Builder(2, 2).nOut(2).build()), softmaxOut()),
            image, classes(BATCH, 2, 4, 4)),
        Case.of("Convolution1DLayer, operator norm", () -> List.of(
            operatorNorm(new Convolution1DLayer.Builder(2).nOut(3).build()), pool(),
            softmaxOut()), InputType.recurrent(3, 5), classes(BATCH, 3, 5)),
        Case.of("Deconvolution2D, operator norm", () -> List.of(
            operatorNorm(new Deconvolution2D.Builder(2, 2).nOut(2).build()), softmaxOut()),
            InputType.convolutional(3, 3, 2), classes(BATCH, 2, 3, 3)),
        Case.of("SeparableConvolution2D, operator norm", () -> List.of(
            operatorNorm(new SeparableConvolution2D.Builder(2, 2).depthMultiplier(2).nOut(3)
                .build()), softmaxOut()), image, classes(BATCH, 2, 4, 4)),
        Case.of("Convolution3D, operator norm", () -> List.of(
            operatorNorm(new Convolution3D.Builder().kernelSize(2, 2, 2).nOut(2)
                .convolutionMode(ConvolutionMode.Truncate).build()), pool(), softmaxOut(2)),
            InputType.convolutional3D(3, 3, 3, 2), classes(BATCH, 2, 3, 3, 3)));
  }

  static Stream<Arguments> casesAndNetworkKinds() {
    return cases().flatMap(c -> Stream.of(Arguments.of(c, "MultiLayerNetwork"),
        Arguments.of(c, "ComputationGraph")));
  }

  static NeuralNetConfiguration.Builder base(WorkspaceMode mode) {
    return new NeuralNetConfiguration.Builder()
        .seed(21)
        .dataType(DataType.FLOAT)
        .updater(new Adam(1e-2))
        .activation(Activation.TANH)
        .trainingWorkspaceMode(mode)
        .inferenceWorkspaceMode(mode);
  }

  static Model build(Case c, String kind, WorkspaceMode mode) {
    List<Layer> layers = c.layers.get();
    if (kind.equals("MultiLayerNetwork")) {
      NeuralNetConfiguration.ListBuilder b = base(mode).list();
      for (Layer l : layers) {
        b.layer(l);
      }
      if (c.inputType != null) {
        b.setInputType(c.inputType);
      }
      if (c.tbptt) {
        b.backpropType(BackpropType.TruncatedBPTT).tBPTTLength(2);
      }
      MultiLayerNetwork net = new MultiLayerNetwork(b.build());
      net.init();
      return net;
    }
    ComputationGraphConfiguration.GraphBuilder b = base(mode).graphBuilder().addInputs("in");
    String previous = "in";
    for (int i = 0; i < layers.size(); i++) {
      b.addLayer("l" + i, layers.get(i), previous);
      previous = "l" + i;
    }
    b.setOutputs(previous);
    if (c.inputType != null) {
      b.setInputTypes(c.inputType);
    }
    if (c.tbptt) {
      b.backpropType(BackpropType.TruncatedBPTT).tBPTTForwardLength(2).tBPTTBackwardLength(2);
    }
    ComputationGraph graph = new ComputationGraph(b.build());
    graph.init();
    return graph;
  }

  static void fit(Model net, DataSet data) {
    if (net instanceof MultiLayerNetwork) {
      ((MultiLayerNetwork) net).fit(data);
    } else {
      ((ComputationGraph) net).fit(data);
    }
  }

  static INDArray output(Model net, INDArray x, boolean training) {
    if (net instanceof MultiLayerNetwork) {
      return ((MultiLayerNetwork) net).output(x, training);
    }
    return ((ComputationGraph) net).outputSingle(training, x);
  }

  static INDArray rnnTimeStep(Model net, INDArray x) {
    if (net instanceof MultiLayerNetwork) {
      return ((MultiLayerNetwork) net).rnnTimeStep(x);
    }
    return ((ComputationGraph) net).rnnTimeStep(x)[0];
  }

  static void rnnClearPreviousState(Model net) {
    if (net instanceof MultiLayerNetwork) {
      ((MultiLayerNetwork) net).rnnClearPreviousState();
    } else {
      ((ComputationGraph) net).rnnClearPreviousState();
    }
  }

  static boolean finite(INDArray a) {
    return NumericalRobustnessTest.finite(a);
  }

  /** What one run leaves: the trained parameters and the inference output. */
  static final class Run {
    final INDArray params;
    final INDArray output;

    Run(INDArray params, INDArray output) {
      this.params = params;
      this.output = output;
    }
  }

  /**
   * Under SCOPE_PANIC: two training steps, a training-mode forward pass, inference twice, and for
   * time series rnnTimeStep step by step; checks what each leaves, and that no workspace is open.
   */
  static Run trainAndInfer(Case c, String kind, WorkspaceMode mode) {
    String where = c + ", " + kind + ", workspaces " + mode;
    Nd4j.getExecutioner().setProfilingMode(ProfilingMode.SCOPE_PANIC);
    Model net = build(c, kind, mode);
    DataSet data = c.data.get();
    INDArray x = data.getFeatures();
    INDArray initial = net.params().dup();
    fit(net, data);
    fit(net, data);
    assertThat(finite(net.params())).as("%s: parameters after training", where).isTrue();
    assertThat(maxAbsDiff(net.params(), initial)).as("%s: training changed the parameters", where)
        .isPositive();
    assertThat(finite(output(net, x, true))).as("%s: training-mode output", where).isTrue();

    INDArray params = net.params().dup();
    INDArray out = output(net, x, false);
    assertThat(finite(out)).as("%s: inference output", where).isTrue();
    assertThat(maxAbsDiff(output(net, x, false), out)).as("%s: inference repeats exactly", where)
        .isZero();
    assertThat(maxAbsDiff(net.params(), params))
        .as("%s: inference leaves parameters, u and v alone", where).isZero();

    if (c.stepwise) {
      rnnClearPreviousState(net);
      for (int t = 0; t < x.size(2); t++) {
        INDArray step = rnnTimeStep(net, x.get(NDArrayIndex.all(), NDArrayIndex.all(),
            NDArrayIndex.interval(t, t + 1)));
        INDArray expected = out.get(NDArrayIndex.all(), NDArrayIndex.all(),
            NDArrayIndex.point(t));
        assertThat(maxAbsDiff(step.reshape(expected.shape()), expected))
            .as("%s: rnnTimeStep at step %d against output()", where, t).isLessThan(1e-5);
      }
      rnnClearPreviousState(net);
      assertThat(maxAbsDiff(output(net, x, false), out)).as("%s: output after rnnTimeStep", where)
          .isZero();
    }
    assertThat(Nd4j.getWorkspaceManager().anyWorkspaceActiveForCurrentThread())
        .as("%s: a workspace is still open", where).isFalse();
    return new Run(params, out);
  }

  static double maxAbsDiff(INDArray a, INDArray b) {
    return a.castTo(DataType.DOUBLE).sub(b.castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
  }

  @ParameterizedTest(name = "{0}, {1}")
  @MethodSource("casesAndNetworkKinds")
  void trainsAndInfersWithoutWorkspaceErrorsAndAlikeWithWorkspacesEnabledOrNone(
      Case c, String kind) {
    Run enabled = trainAndInfer(c, kind, WorkspaceMode.ENABLED);
    Run none = trainAndInfer(c, kind, WorkspaceMode.NONE);
    assertThat(maxAbsDiff(none.params, enabled.params))
        .as("%s, %s: parameters, ENABLED vs NONE", c, kind).isZero();
    assertThat(none.output.shape()).isEqualTo(enabled.output.shape());
    assertThat(maxAbsDiff(none.output, enabled.output))
        .as("%s, %s: output, ENABLED vs NONE", c, kind).isZero();
  }

  /**
   * The checks are live in this ND4J build: each mode throws on what it is meant to catch,
   * SCOPE_PANIC on an array used after its workspace closed and after it reopened.
   */
  @Test
  void panicModesThrowOnALeakedArrayOnNaNAndOnInfinity() {
    WorkspaceConfiguration conf = WorkspaceConfiguration.builder().initialSize(1 << 16)
        .policyLearning(LearningPolicy.NONE).build();
    INDArray leaked;
    try (MemoryWorkspace ignored =
        Nd4j.getWorkspaceManager().getAndActivateWorkspace(conf, "WS_SAFETY_CANARY")) {
      leaked = Nd4j.ones(DataType.FLOAT, 4);
    }
    Nd4j.getExecutioner().setProfilingMode(ProfilingMode.SCOPE_PANIC);
    assertThatThrownBy(() -> leaked.addi(1)).hasMessageContaining("WS_SAFETY_CANARY");
    try (MemoryWorkspace ignored =
        Nd4j.getWorkspaceManager().getAndActivateWorkspace(conf, "WS_SAFETY_CANARY")) {
      // Reopened, as DL4J reopens its workspaces every iteration: the array is from an earlier
      // generation of it.
      assertThatThrownBy(() -> leaked.addi(1)).hasMessageContaining("WS_SAFETY_CANARY");
    }
    Nd4j.getExecutioner().setProfilingMode(ProfilingMode.NAN_PANIC);
    assertThatThrownBy(() -> Nd4j.zeros(DataType.FLOAT, 2).divi(0)).hasMessageContaining("NaN");
    Nd4j.getExecutioner().setProfilingMode(ProfilingMode.INF_PANIC);
    assertThatThrownBy(() -> Nd4j.ones(DataType.FLOAT, 2).divi(0)).hasMessageContaining("Inf");
    Nd4j.getExecutioner().setProfilingMode(ProfilingMode.ANY_PANIC);
    assertThatThrownBy(() -> Nd4j.zeros(DataType.FLOAT, 2).divi(0)).hasMessageContaining("NaN");
    assertThatThrownBy(() -> Nd4j.ones(DataType.FLOAT, 2).divi(0)).hasMessageContaining("Inf");
  }

  /** Every case on the CPU core; the FLOAT ones on the device core too. */
  static Stream<Arguments> extremeWeights() {
    return Stream.of("cpu", "device").flatMap(core -> NumericalRobustnessTest
        .scalesTypesAndLayers()
        .filter(a -> core.equals("cpu") || a.get()[1] == DataType.FLOAT)
        .map(a -> Arguments.of(core, a.get()[0], a.get()[1], a.get()[2])));
  }

  /**
   * The cases of {@link NumericalRobustnessTest#extremeWeightScalesGiveFiniteOutputsAndGradients}
   * under ND4J's NaN and Inf checks ({@code ANY_PANIC}: {@code NAN_PANIC} and {@code INF_PANIC}
   * at once), which throw at the first op whose output holds a NaN or an infinity: no op of the
   * library or of DL4J produces one, even transiently. Both maths cores run: the CPU one (scalars
   * on the host), and in FLOAT the device one (every step an ND4J op, as on a GPU).
   */
  @ParameterizedTest(name = "{0} core, weights x {1}, {2}, layer {3}")
  @MethodSource("extremeWeights")
  void extremeWeightsProduceNoNaNOrInfinityInAnyOp(
      String core, double scale, DataType type, int layer) {
    System.setProperty("dl4jsn.core", core);
    MultiLayerNetwork net = new MultiLayerNetwork(Nets.regressionMlp(Nets.SN, type,
        new Adam(1e-2)));
    net.init();
    INDArray w = net.getLayer(layer).getParam("W");
    Nd4j.getRandom().setSeed(layer);
    net.setParam(layer + "_W", Nd4j.randn(DataType.DOUBLE, w.shape()).muli(scale).castTo(type));
    DataSet data = Nets.waves(16, 1, type);

    Nd4j.getExecutioner().setProfilingMode(ProfilingMode.ANY_PANIC);
    assertThat(finite(net.output(data.getFeatures()))).as("inference output").isTrue();
    net.setInput(data.getFeatures());
    net.setLabels(data.getLabels());
    net.computeGradientAndScore();
    assertThat(finite(net.gradient().gradient())).as("gradient").isTrue();
    for (int i = 0; i < 2; i++) {
      net.fit(data);
    }
    assertThat(finite(net.params())).as("parameters, u and v after training").isTrue();
    assertThat(finite(net.output(data.getFeatures()))).as("output after training").isTrue();
  }
}
