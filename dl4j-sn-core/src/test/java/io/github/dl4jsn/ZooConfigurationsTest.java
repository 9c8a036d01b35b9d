package io.github.dl4jsn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.dl4jsn.conf.SpectralNormalization;
import io.github.dl4jsn.layers.SpectralNormLayer;
import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.BackpropType;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.CenterLossOutputLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.GravesLSTM;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.transferlearning.FineTuneConfiguration;
import org.deeplearning4j.nn.transferlearning.TransferLearning;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.util.ModelSerializer;
import org.deeplearning4j.zoo.model.FaceNetNN4Small2;
import org.deeplearning4j.zoo.model.LeNet;
import org.deeplearning4j.zoo.model.SimpleCNN;
import org.deeplearning4j.zoo.model.SqueezeNet;
import org.deeplearning4j.zoo.model.TextGenerationLSTM;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Nadam;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.learning.config.RmsProp;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

/**
 * {@link SpectralNorm#applyTo} on configurations nobody in this project wrote: DL4J's own model zoo
 * ({@code deeplearning4j-zoo} 1.0.0-M2.1: LeNet, SimpleCNN, TextGenerationLSTM, SqueezeNet,
 * FaceNetNN4Small2) and three dl4j-examples architectures written out here. For each it proves that
 * exactly the supported layers are wrapped, around equal copies of themselves, and every other
 * layer is left as it was; that the wrapped configuration survives JSON; that the network builds
 * and trains three steps with the configuration's own updater to a finite score; that
 * ModelSerializer restores it with equal parameters and outputs; and that the exact largest
 * singular value of every normalized weight is at least 1 and, once the power iteration has caught
 * up with the weights, at most 1.3.
 *
 * <p>Why "once caught up": the power iteration runs once per training iteration, before the
 * update, as in PyTorch; inference divides the updated W by {@code u^T M v} with the vectors from
 * before the update. As {@code |u^T M v| <= sigma(W)} for unit u and v, the exact sigma of W_SN is
 * never below 1, and it exceeds 1 by as much as the last updates turned W's top singular direction
 * away from u and v. Four of the trained configurations ship updaters whose first steps are large
 * against their weights (LeNet's AdaDelta, about 4.5e-3 per element on Xavier weights of about
 * 0.03; RmsProp, about 4.5 lr per element; ND4J's Nadam, about 60 lr per element, measured): three
 * steps in, their largest exact sigmas are 1.5 to 17, and five further power iterations on the
 * unchanged weights bring every one under 1.3. The other three (SqueezeNet and SimpleCNN, AdaDelta
 * on larger ReLU-initialized weights; the MLP, Nesterovs) stay under 1.3 throughout.
 *
 * <p>Input shapes are shrunk through the zoo builders where they allow it. Limitations of the zoo
 * and of DL4J are asserted as found: SimpleCNN ends in an ActivationLayer, so neither the plain nor
 * the wrapped network can be fitted until a loss layer is appended; TextGenerationLSTM's conf()
 * throws unless inputShape is given; the CompGraphLSTMExample graph cannot be fitted in DL4J M2.1
 * unless its input type is set. FaceNet is only wrapped and built here: training it and its 39 SVDs
 * take longer than this whole class may ({@link ZooCatalogueTest} trains it, and every other zoo
 * model, two steps).
 */
class ZooConfigurationsTest {

  /** Largest exact sigma accepted once the power iteration has caught up with the weights. */
  private static final double MAX_SIGMA = 1.3;

  /** Power iterations on the unchanged weights that let the estimate catch up after a big step. */
  private static final int CATCH_UP_ITERATIONS = 5;

  /** Whether the configuration's own updater outruns the power iteration in the first steps. */
  private enum Updater {
    GENTLE,
    OUTRUNS_POWER_ITERATION
  }

  /** One line per configuration, printed after the class. */
  private static final Map<String, String> OUTCOMES = new LinkedHashMap<>();

  @TempDir Path dir;

  @AfterAll
  static void printOutcomes() {
    OUTCOMES.forEach((name, outcome) -> System.out.println("[zoo] " + name + ": " + outcome));
  }

  // ---------------------------------------------------------------------------------------------
  // deeplearning4j-zoo

  @Test
  void zooLeNet() throws Exception {
    int classes = 10;
    MultiLayerConfiguration plain =
        LeNet.builder().numClasses(classes).inputShape(new int[] {1, 12, 12}).build().conf();
    MultiLayerNetwork net = checkMultiLayer("zoo LeNet (AdaDelta)", plain,
        new DataSet(Nd4j.rand(DataType.FLOAT, 4, 144), oneHot(4, classes, 1)),
        Updater.OUTRUNS_POWER_ITERATION);
    assertThat(SpectralNorm.sigmas(net).keySet())
        .containsExactly("cnn1/W", "cnn2/W", "ffn1/W", "output/W");
  }

  @Test
  void zooSimpleCnnHasNoOutputLayerAndTrainsOnceALossLayerIsAppended() throws Exception {
    int classes = 3;
    MultiLayerConfiguration plain =
        SimpleCNN.builder().numClasses(classes).inputShape(new int[] {3, 16, 16}).build().conf();
    DataSet data = new DataSet(Nd4j.rand(DataType.FLOAT, 1, 3, 16, 16), oneHot(1, classes, 2));
    // The zoo's SimpleCNN ends in a softmax ActivationLayer: DL4J cannot fit it, wrapped or not.
    for (MultiLayerConfiguration conf : List.of(plain, SpectralNorm.applyTo(plain))) {
      MultiLayerNetwork net = new MultiLayerNetwork(conf);
      net.init();
      assertThatThrownBy(() -> net.fit(data)).hasMessageContaining("IOutputLayer");
    }
    // DL4J's way to append a layer; the loss layer has no weights, the rest is the zoo's.
    MultiLayerNetwork plainNet = new MultiLayerNetwork(plain);
    plainNet.init();
    MultiLayerConfiguration withLoss = new TransferLearning.Builder(plainNet)
        .fineTuneConfiguration(new FineTuneConfiguration.Builder().build())
        .addLayer(
            new LossLayer.Builder(LossFunction.MCXENT).activation(Activation.IDENTITY).build())
        .build()
        .getLayerWiseConfigurations();
    MultiLayerNetwork net = checkMultiLayer("zoo SimpleCNN + LossLayer (AdaDelta)", withLoss, data,
        Updater.GENTLE);
    assertThat(SpectralNorm.sigmas(net)).hasSize(10);
  }

  @Test
  void zooTextGenerationLstm() throws Exception {
    int chars = 12;
    int length = 4;
    TextGenerationLSTM.TextGenerationLSTMBuilder zoo =
        TextGenerationLSTM.builder().totalUniqueCharacters(chars).maxLength(length);
    // inputShape has no @Builder.Default in the zoo class, so the builder leaves it null.
    assertThatThrownBy(() -> zoo.build().conf()).isInstanceOf(NullPointerException.class);
    MultiLayerConfiguration plain = zoo.inputShape(new int[] {length, chars}).build().conf();
    assertThat(plain.getBackpropType()).isEqualTo(BackpropType.TruncatedBPTT);
    MultiLayerNetwork net = checkMultiLayer("zoo TextGenerationLSTM (RmsProp 0.01)", plain,
        characters(1, chars, length, 3), Updater.OUTRUNS_POWER_ITERATION);
    assertThat(SpectralNorm.sigmas(net).keySet())
        .containsExactly("layer0/W", "layer0/RW", "layer1/W", "layer1/RW", "layer2/W");
    assertThat(SpectralNormalization.of(net.getLayerWiseConfigurations().getConf(0).getLayer())
        .getUnderlying()).isInstanceOf(GravesLSTM.class);
  }

  @Test
  void zooSqueezeNet() throws Exception {
    int classes = 5;
    int size = 32; // the smallest input its four stride-2 stages accept is 31 x 31
    SqueezeNet zoo =
        SqueezeNet.builder().numClasses(classes).inputShape(new int[] {3, size, size}).build();
    // SqueezeNet has no conf(); this is what its init() builds.
    ComputationGraphConfiguration plain = zoo.graphBuilder()
        .addInputs("input")
        .setInputTypes(InputType.convolutional(size, size, 3))
        .build();
    ComputationGraph graph = checkGraph("zoo SqueezeNet (AdaDelta)", plain,
        new DataSet(Nd4j.rand(DataType.FLOAT, 1, 3, size, size), oneHot(1, classes, 4)),
        Updater.GENTLE);
    assertThat(SpectralNorm.sigmas(graph)).hasSize(26);
  }

  @Test
  void zooFaceNetIsWrappedIncludingItsCenterLossOutputLayer() {
    ComputationGraphConfiguration plain = FaceNetNN4Small2.builder()
        .numClasses(4)
        .embeddingSize(16)
        .inputShape(new int[] {3, 32, 32})
        .build()
        .conf();
    ComputationGraphConfiguration wrapped = SpectralNorm.applyTo(plain);
    int count = assertWrappedExactlyTheSupportedLayers(layers(plain), layers(wrapped));
    assertThat(count).isEqualTo(39);
    Layer loss = ((LayerVertex) wrapped.getVertices().get("lossLayer")).getLayerConf().getLayer();
    assertThat(SpectralNormalization.of(loss).getUnderlying())
        .isInstanceOf(CenterLossOutputLayer.class);
    assertThat(ComputationGraphConfiguration.fromJson(wrapped.toJson())).isEqualTo(wrapped);
    ComputationGraph graph = new ComputationGraph(wrapped);
    graph.init();
    assertThat(SpectralNorm.sigmas(graph)).hasSize(39).containsKeys("bottleneck/W", "lossLayer/W");
    OUTCOMES.put("zoo FaceNetNN4Small2 (Adam 0.1)", count + " of " + layers(plain).size()
        + " layers wrapped (CenterLossOutputLayer too), JSON and init only");
  }

  // ---------------------------------------------------------------------------------------------
  // dl4j-examples architectures, written out with the M2.1 API

  /**
   * dl4j-examples {@code feedforward/mnist/MLPMnistTwoLayerExample}: 784-500-100-10, ReLU, Xavier,
   * Nesterovs(0.0015, 0.98), L2 = 0.0015 * 0.005, negative log-likelihood softmax output.
   */
  @Test
  void exampleMlpMnistTwoLayer() throws Exception {
    double rate = 0.0015;
    MultiLayerConfiguration plain = new NeuralNetConfiguration.Builder()
        .seed(123)
        .activation(Activation.RELU)
        .weightInit(WeightInit.XAVIER)
        .updater(new Nesterovs(rate, 0.98))
        .l2(rate * 0.005)
        .list()
        .layer(new DenseLayer.Builder().nIn(28 * 28).nOut(500).build())
        .layer(new DenseLayer.Builder().nIn(500).nOut(100).build())
        .layer(new OutputLayer.Builder(LossFunction.NEGATIVELOGLIKELIHOOD)
            .activation(Activation.SOFTMAX).nIn(100).nOut(10).build())
        .build();
    checkMultiLayer("dl4j-examples MLPMnistTwoLayerExample (Nesterovs)", plain,
        new DataSet(Nd4j.rand(DataType.FLOAT, 4, 784), oneHot(4, 10, 6)), Updater.GENTLE);
  }

  /**
   * dl4j-examples {@code recurrent/character/LSTMCharModellingExample}: two LSTM(200) layers, tanh,
   * an RnnOutputLayer (MCXENT, softmax), Nadam, L2 1e-4, truncated BPTT of 50.
   */
  @Test
  void exampleLstmCharModelling() throws Exception {
    int chars = 12;
    int lstmLayerSize = 200;
    MultiLayerConfiguration plain = new NeuralNetConfiguration.Builder()
        .seed(12345)
        .l2(0.0001)
        .weightInit(WeightInit.XAVIER)
        .updater(new Nadam())
        .list()
        .layer(new LSTM.Builder().nIn(chars).nOut(lstmLayerSize).activation(Activation.TANH)
            .build())
        .layer(new LSTM.Builder().nIn(lstmLayerSize).nOut(lstmLayerSize)
            .activation(Activation.TANH).build())
        .layer(new RnnOutputLayer.Builder(LossFunction.MCXENT).activation(Activation.SOFTMAX)
            .nIn(lstmLayerSize).nOut(chars).build())
        .backpropType(BackpropType.TruncatedBPTT)
        .tBPTTForwardLength(50)
        .tBPTTBackwardLength(50)
        .build();
    checkMultiLayer("dl4j-examples LSTMCharModellingExample (Nadam)", plain,
        characters(1, chars, 4, 7), Updater.OUTRUNS_POWER_ITERATION);
  }

  /**
   * dl4j-examples {@code recurrent/character/CompGraphLSTMExample}: a ComputationGraph of two
   * GravesLSTM(200) layers with a skip connection, the output layer reading both "first" and
   * "second"; RmsProp(0.1), L2 1e-3, truncated BPTT of 50. The example sets no input type; in
   * DL4J M2.1 its RnnOutputLayer then has a null data format, which backprop reads as NWC, so the
   * plain graph cannot be fitted. With the input type set it trains.
   */
  @Test
  void exampleCompGraphLstm() throws Exception {
    int chars = 12;
    int lstmLayerSize = 200;
    DataSet data = characters(1, chars, 4, 8);
    ComputationGraphConfiguration.GraphBuilder builder = new NeuralNetConfiguration.Builder()
        .seed(12345)
        .updater(new RmsProp(0.1))
        .l2(0.001)
        .weightInit(WeightInit.XAVIER)
        .graphBuilder()
        .addInputs("input")
        .addLayer("first", new GravesLSTM.Builder().nIn(chars).nOut(lstmLayerSize)
            .activation(Activation.TANH).build(), "input")
        .addLayer("second", new GravesLSTM.Builder().nIn(lstmLayerSize).nOut(lstmLayerSize)
            .activation(Activation.TANH).build(), "first")
        .addLayer("outputLayer", new RnnOutputLayer.Builder(LossFunction.MCXENT)
            .activation(Activation.SOFTMAX).nIn(2 * lstmLayerSize).nOut(chars).build(),
            "first", "second")
        .setOutputs("outputLayer")
        .backpropType(BackpropType.TruncatedBPTT)
        .tBPTTForwardLength(50)
        .tBPTTBackwardLength(50);
    ComputationGraph asInTheExample = new ComputationGraph(builder.build());
    asInTheExample.init();
    assertThatThrownBy(() -> asInTheExample.fit(data))
        .hasMessageContaining("Sequence lengths do not match");
    ComputationGraphConfiguration plain = builder.setInputTypes(InputType.recurrent(chars)).build();
    ComputationGraph graph = checkGraph("dl4j-examples CompGraphLSTMExample (RmsProp 0.1)", plain,
        data, Updater.OUTRUNS_POWER_ITERATION);
    assertThat(SpectralNorm.sigmas(graph).keySet()).containsExactlyInAnyOrder(
        "first/W", "first/RW", "second/W", "second/RW", "outputLayer/W");
  }

  // ---------------------------------------------------------------------------------------------
  // The checks

  /** Wraps a MultiLayerConfiguration and runs every check; returns the trained SN network. */
  private MultiLayerNetwork checkMultiLayer(String name, MultiLayerConfiguration plain,
      DataSet data, Updater updater) throws Exception {
    long start = System.nanoTime();
    String before = plain.toJson();
    MultiLayerConfiguration wrapped = SpectralNorm.applyTo(plain);
    assertThat(plain.toJson()).as("original unchanged").isEqualTo(before);
    List<Layer> originalLayers = layers(plain);
    List<Layer> wrappedLayers = layers(wrapped);
    int count = assertWrappedExactlyTheSupportedLayers(originalLayers, wrappedLayers);
    assertThat(MultiLayerConfiguration.fromJson(wrapped.toJson())).isEqualTo(wrapped);

    MultiLayerNetwork net = new MultiLayerNetwork(wrapped);
    net.init();
    for (int i = 0; i < 3; i++) {
      net.fit(data);
    }
    double score = net.score();
    assertThat(score).as("score").isFinite();

    File file = dir.resolve("model.zip").toFile();
    ModelSerializer.writeModel(net, file, true);
    MultiLayerNetwork restored = ModelSerializer.restoreMultiLayerNetwork(file, true);
    assertThat(restored.getLayerWiseConfigurations()).isEqualTo(wrapped);
    assertThat(restored.params()).isEqualTo(net.params());
    assertThat(restored.output(data.getFeatures())).isEqualTo(net.output(data.getFeatures()));

    Map<String, Double> afterSteps = SpectralNorm.exactSigmas(net);
    assertThat(afterSteps).hasSize(normalizedWeightCount(wrappedLayers));
    Map<String, Double> caughtUp = afterSteps;
    if (assertSigmasAfterSteps(name, afterSteps, updater)) {
      caughtUp = catchUp(net, () -> net.feedForward(data.getFeatures(), true));
    }
    assertCaughtUp(name, caughtUp);
    record(name, count, originalLayers.size(), score, afterSteps, caughtUp, start);
    return net;
  }

  /** As {@link #checkMultiLayer}, for a ComputationGraphConfiguration. */
  private ComputationGraph checkGraph(String name, ComputationGraphConfiguration plain,
      DataSet data, Updater updater) throws Exception {
    long start = System.nanoTime();
    String before = plain.toJson();
    ComputationGraphConfiguration wrapped = SpectralNorm.applyTo(plain);
    assertThat(plain.toJson()).as("original unchanged").isEqualTo(before);
    List<Layer> originalLayers = layers(plain);
    List<Layer> wrappedLayers = layers(wrapped);
    int count = assertWrappedExactlyTheSupportedLayers(originalLayers, wrappedLayers);
    assertThat(ComputationGraphConfiguration.fromJson(wrapped.toJson())).isEqualTo(wrapped);

    ComputationGraph graph = new ComputationGraph(wrapped);
    graph.init();
    for (int i = 0; i < 3; i++) {
      graph.fit(data);
    }
    double score = graph.score();
    assertThat(score).as("score").isFinite();

    File file = dir.resolve("graph.zip").toFile();
    ModelSerializer.writeModel(graph, file, true);
    ComputationGraph restored = ModelSerializer.restoreComputationGraph(file, true);
    assertThat(restored.getConfiguration()).isEqualTo(wrapped);
    assertThat(restored.params()).isEqualTo(graph.params());
    assertThat(restored.outputSingle(data.getFeatures()))
        .isEqualTo(graph.outputSingle(data.getFeatures()));

    Map<String, Double> afterSteps = SpectralNorm.exactSigmas(graph);
    assertThat(afterSteps).hasSize(normalizedWeightCount(wrappedLayers));
    Map<String, Double> caughtUp = afterSteps;
    if (assertSigmasAfterSteps(name, afterSteps, updater)) {
      caughtUp = catchUp(graph, () -> graph.feedForward(data.getFeatures(), true));
    }
    assertCaughtUp(name, caughtUp);
    record(name, count, originalLayers.size(), score, afterSteps, caughtUp, start);
    return graph;
  }

  /**
   * Asserts what holds three steps in: every exact sigma is finite and at least 1 (as {@code |u^T
   * M v| <= sigma(M)} for unit u and v); with a gentle updater it is also at most 1.3, with one
   * that outruns the power iteration some sigma is above. Returns whether the estimate lags.
   */
  private static boolean assertSigmasAfterSteps(String name, Map<String, Double> sigmas,
      Updater updater) {
    sigmas.forEach((key, sigma) -> assertThat(sigma)
        .as("%s: exact sigma of %s after 3 steps", name, key)
        .isFinite()
        .isGreaterThan(1 - 1e-4));
    double max = Collections.max(sigmas.values());
    if (updater == Updater.GENTLE) {
      assertThat(max).as("%s: largest exact sigma after 3 steps", name).isLessThanOrEqualTo(
          MAX_SIGMA);
      return false;
    }
    assertThat(max).as("%s: largest exact sigma after 3 steps", name).isGreaterThan(MAX_SIGMA);
    return true;
  }

  /**
   * Runs {@link #CATCH_UP_ITERATIONS} power iterations on the current weights without changing
   * them: the layers iterate on their first training-mode use in each iteration, so each training
   * forward pass runs at a new iteration count. No gradient, no update. Returns the exact sigmas.
   */
  private static Map<String, Double> catchUp(Model model, Runnable trainingForward) {
    List<SpectralNormLayer> layers = SpectralNormLayer.allIn(model);
    List<INDArray> weights = new ArrayList<>();
    for (SpectralNormLayer l : layers) {
      weights.add(l.getInnerLayer().params().dup());
    }
    int iteration = layers.get(0).getIterationCount();
    for (int i = 1; i <= CATCH_UP_ITERATIONS; i++) {
      for (SpectralNormLayer l : layers) {
        l.setIterationCount(iteration + i);
      }
      trainingForward.run();
    }
    for (int i = 0; i < layers.size(); i++) {
      assertThat(layers.get(i).getInnerLayer().params()).isEqualTo(weights.get(i));
    }
    return SpectralNorm.exactSigmas(model);
  }

  private static void assertCaughtUp(String name, Map<String, Double> sigmas) {
    sigmas.forEach((key, sigma) -> assertThat(sigma)
        .as("%s: exact sigma of %s, caught up", name, key)
        .isFinite()
        .isGreaterThan(1 - 1e-4)
        .isLessThanOrEqualTo(MAX_SIGMA));
  }

  /**
   * Asserts that every supported layer is wrapped around an equal copy of itself, under the same
   * name, and that every other layer is unchanged; returns the number wrapped.
   */
  private static int assertWrappedExactlyTheSupportedLayers(List<Layer> original,
      List<Layer> wrapped) {
    assertThat(wrapped).hasSameSizeAs(original);
    int supported = 0;
    int count = 0;
    for (int i = 0; i < original.size(); i++) {
      Layer o = original.get(i);
      Layer w = wrapped.get(i);
      if (SpectralNorm.isNormalizable(o)) {
        supported++;
        assertThat(w).as("layer %s", o.getLayerName()).isInstanceOf(SpectralNormalization.class);
        assertThat(((SpectralNormalization) w).getUnderlying()).isEqualTo(o);
        assertThat(w.getLayerName()).isEqualTo(o.getLayerName());
      } else {
        assertThat(w).as("layer %s", o.getLayerName()).isEqualTo(o);
      }
      if (SpectralNormalization.of(w) != null) {
        count++;
      }
    }
    assertThat(count).as("wrapped layers").isEqualTo(supported).isPositive();
    return count;
  }

  private static List<Layer> layers(MultiLayerConfiguration conf) {
    List<Layer> out = new ArrayList<>();
    for (NeuralNetConfiguration c : conf.getConfs()) {
      out.add(c.getLayer());
    }
    return out;
  }

  /** The layers of a graph, in the (sorted) order of their vertex names. */
  private static List<Layer> layers(ComputationGraphConfiguration conf) {
    List<Layer> out = new ArrayList<>();
    for (GraphVertex v : new TreeMap<>(conf.getVertices()).values()) {
      if (v instanceof LayerVertex) {
        out.add(((LayerVertex) v).getLayerConf().getLayer());
      }
    }
    return out;
  }

  private static int normalizedWeightCount(List<Layer> wrapped) {
    int n = 0;
    for (Layer l : wrapped) {
      SpectralNormalization sn = SpectralNormalization.of(l);
      if (sn != null) {
        n += SpectralNormalization.defaultKeys(sn.getUnderlying()).size();
      }
    }
    return n;
  }

  private static void record(String name, int wrapped, int layers, double score,
      Map<String, Double> afterSteps, Map<String, Double> caughtUp, long start) {
    String lag = afterSteps == caughtUp
        ? ""
        : String.format(", %.4f after %d more power iterations", Collections.max(caughtUp.values()),
            CATCH_UP_ITERATIONS);
    OUTCOMES.put(name, String.format(
        "%d of %d layers wrapped, %d weights, score %.4f after 3 steps, exact sigma %.4f..%.4f%s;"
            + " %.1f s",
        wrapped, layers, afterSteps.size(), score, Collections.min(afterSteps.values()),
        Collections.max(afterSteps.values()), lag, (System.nanoTime() - start) / 1e9));
  }

  // ---------------------------------------------------------------------------------------------
  // Random data

  /** Random one-hot labels [n, classes]. */
  private static INDArray oneHot(int n, int classes, long seed) {
    Random r = new Random(seed);
    INDArray y = Nd4j.zeros(DataType.FLOAT, n, classes);
    for (int i = 0; i < n; i++) {
      y.putScalar(i, r.nextInt(classes), 1.0);
    }
    return y;
  }

  /** Random one-hot character sequences [n, chars, length], labelled with the next character. */
  private static DataSet characters(int n, int chars, int length, long seed) {
    Random r = new Random(seed);
    INDArray x = Nd4j.zeros(DataType.FLOAT, n, chars, length);
    INDArray y = Nd4j.zeros(DataType.FLOAT, n, chars, length);
    for (int i = 0; i < n; i++) {
      int c = r.nextInt(chars);
      for (int t = 0; t < length; t++) {
        x.putScalar(new int[] {i, c, t}, 1.0);
        c = r.nextInt(chars);
        y.putScalar(new int[] {i, c, t}, 1.0);
      }
    }
    return new DataSet(x, y);
  }
}
