package io.github.dl4jsn;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.dl4jsn.conf.SpectralNormalization;
import io.github.dl4jsn.testutil.Nets;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.conf.layers.SelfAttentionLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.parallelism.ParallelInference;
import org.deeplearning4j.parallelism.inference.InferenceMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

/**
 * Spectrally normalized models served concurrently: DL4J's {@link ParallelInference} (2 workers,
 * INPLACE and BATCHED) and one {@code clone()} per thread return what single-threaded {@code
 * output()} returns for the same inputs: 200 requests of different inputs (48 for the slower
 * models) from 4 threads, in FLOAT. Each SN layer keeps W_SN and scratch buffers across calls; a
 * buffer shared between replicas or clones, or written by inference, would show up as wrong
 * outputs here.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ParallelInferenceTest {

  private static final int REQUESTS = 200;
  /** For the slower models (operator norm, LSTM, SameDiff). */
  private static final int FEW_REQUESTS = 48;
  private static final int THREADS = 4;
  private static final int WORKERS = 2;

  /**
   * A trained FLOAT model, built once for all tests of the class, with its requests (1 to 3
   * examples of different random inputs each) and their single-threaded outputs.
   */
  static final class Served {
    final String name;
    final int requests;
    private final Supplier<Model> factory;
    private final long[] example;
    private Model model;
    private List<INDArray> inputs;
    private List<INDArray> expected;

    Served(String name, int requests, Supplier<Model> factory, long... example) {
      this.name = name;
      this.requests = requests;
      this.factory = factory;
      this.example = example;
    }

    synchronized Model model() {
      if (model == null) {
        model = factory.get();
      }
      return model;
    }

    synchronized List<INDArray> inputs() {
      if (inputs == null) {
        Nd4j.getRandom().setSeed(99);
        inputs = new ArrayList<>();
        for (int i = 0; i < requests; i++) {
          long[] shape = new long[example.length + 1];
          shape[0] = 1 + i % 3;
          System.arraycopy(example, 0, shape, 1, example.length);
          inputs.add(Nd4j.randn(DataType.FLOAT, shape));
        }
      }
      return inputs;
    }

    /** The outputs of single-threaded {@code output()}, computed before any concurrent use. */
    synchronized List<INDArray> expected() {
      if (expected == null) {
        expected = new ArrayList<>();
        for (INDArray x : inputs()) {
          expected.add(output(model(), x));
        }
      }
      return expected;
    }

    @Override
    public String toString() {
      return name;
    }
  }

  static MultiLayerNetwork trained(MultiLayerNetwork net, DataSet data) {
    net.init();
    net.fit(data);
    net.fit(data);
    return net;
  }

  private final List<Served> served = List.of(
      new Served("MLP (MultiLayerNetwork)", REQUESTS, () -> trained(
          new MultiLayerNetwork(Nets.mlp(Nets.SN, DataType.FLOAT)),
          Nets.clusters(16, 1, DataType.FLOAT)), 8),
      new Served("conv, deconv, dense (ComputationGraph)", REQUESTS, () -> {
        ComputationGraph graph = new ComputationGraph(Nets.convGraph(Nets.SN, DataType.FLOAT));
        graph.init();
        DataSet data = Nets.images(8, 1, DataType.FLOAT);
        graph.fit(data);
        graph.fit(data);
        return graph;
      }, 1, 8, 8),
      new Served("conv with operator norm", FEW_REQUESTS, () -> trained(new MultiLayerNetwork(
          base().list()
              .layer(new SpectralNormalization.Builder(new ConvolutionLayer.Builder(3, 3)
                  .nOut(4).build()).operatorNorm().build())
              .layer(SpectralNormalization.wrap(classifier()))
              .setInputType(InputType.convolutional(6, 6, 2)).build()),
          randomClasses(8, 2, 6, 6)), 2, 6, 6),
      new Served("LSTM and RnnOutputLayer", FEW_REQUESTS, () -> trained(new MultiLayerNetwork(
          base().list()
              .layer(SpectralNormalization.wrap(new LSTM.Builder().nOut(6).build()))
              .layer(SpectralNormalization.wrap(new RnnOutputLayer.Builder(LossFunction.MSE)
                  .nOut(2).activation(Activation.IDENTITY).build()))
              .setInputType(InputType.recurrent(3)).build()),
          new DataSet(Nd4j.randn(DataType.FLOAT, 8, 3, 5), Nd4j.randn(DataType.FLOAT, 8, 2, 5))),
          3, 5),
      new Served("wrapSameDiff(SelfAttentionLayer)", FEW_REQUESTS, () -> trained(
          new MultiLayerNetwork(base().list()
              .layer(SpectralNormalization.wrapSameDiff(new SelfAttentionLayer.Builder()
                  .nOut(4).nHeads(2).headSize(2).projectInput(true).build()))
              .layer(new GlobalPoolingLayer.Builder(PoolingType.AVG).build())
              .layer(classifier())
              .setInputType(InputType.recurrent(3, 4)).build()),
          randomClasses(8, 3, 4)), 3, 4));

  Stream<Served> models() {
    return served.stream();
  }

  static NeuralNetConfiguration.Builder base() {
    return new NeuralNetConfiguration.Builder().seed(13).dataType(DataType.FLOAT)
        .updater(new Adam(1e-2)).activation(Activation.TANH);
  }

  static OutputLayer classifier() {
    return new OutputLayer.Builder(LossFunction.MCXENT).nOut(3).activation(Activation.SOFTMAX)
        .build();
  }

  static DataSet randomClasses(long n, long... example) {
    long[] shape = new long[example.length + 1];
    shape[0] = n;
    System.arraycopy(example, 0, shape, 1, example.length);
    INDArray y = Nd4j.zeros(DataType.FLOAT, n, 3);
    for (int i = 0; i < n; i++) {
      y.putScalar(i, i % 3, 1.0);
    }
    return new DataSet(Nd4j.randn(DataType.FLOAT, shape), y);
  }

  static INDArray output(Model model, INDArray x) {
    if (model instanceof MultiLayerNetwork) {
      return ((MultiLayerNetwork) model).output(x);
    }
    return ((ComputationGraph) model).outputSingle(x);
  }

  static Model copy(Model model) {
    if (model instanceof MultiLayerNetwork) {
      return ((MultiLayerNetwork) model).clone();
    }
    return ((ComputationGraph) model).clone();
  }

  /** Runs {@code call} on every input from {@link #THREADS} threads; results in input order. */
  static List<INDArray> concurrently(List<INDArray> inputs, Function<Integer, INDArray> call)
      throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    try {
      List<Future<INDArray>> futures = new ArrayList<>();
      for (int i = 0; i < inputs.size(); i++) {
        int index = i;
        futures.add(pool.submit(() -> call.apply(index)));
      }
      List<INDArray> out = new ArrayList<>();
      for (Future<INDArray> f : futures) {
        out.add(f.get(120, TimeUnit.SECONDS));
      }
      return out;
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * Asserts that every result has its expected shape and differs from it by at most {@code
   * tolerance}; returns the largest difference. Prints how many were bit-identical.
   */
  static double compare(List<INDArray> expected, List<INDArray> actual, String what,
      double tolerance) {
    double worst = 0;
    int identical = 0;
    for (int i = 0; i < expected.size(); i++) {
      assertThat(actual.get(i).shape()).as("%s, request %d", what, i)
          .isEqualTo(expected.get(i).shape());
      double diff = maxAbsDiff(expected.get(i), actual.get(i));
      worst = Math.max(worst, diff);
      identical += diff == 0 ? 1 : 0;
    }
    System.out.printf("[parallel-inference] %s: %d/%d requests bit-identical, max |diff| %.3g%n",
        what, identical, expected.size(), worst);
    assertThat(worst).as("%s: largest difference from single-threaded output()", what)
        .isLessThanOrEqualTo(tolerance);
    return worst;
  }

  static double maxAbsDiff(INDArray a, INDArray b) {
    return a.castTo(DataType.DOUBLE).sub(b.castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
  }

  Stream<Arguments> modelsAndModes() {
    return models().flatMap(m -> Stream.of(Arguments.of(m, InferenceMode.INPLACE),
        Arguments.of(m, InferenceMode.BATCHED)));
  }

  /**
   * INPLACE runs each request alone on a replica (same ops on the same shapes as
   * single-threaded output()): bit-identical. BATCHED concatenates concurrent requests into one
   * minibatch of up to 8 examples, so BLAS and libnd4j see other matrix shapes and may sum in
   * another order: equal to within FLOAT rounding (measured: at most 4e-8), asserted to 1e-6.
   */
  @ParameterizedTest(name = "{0}, {1}")
  @MethodSource("modelsAndModes")
  void parallelInferenceReturnsTheSingleThreadedOutputs(Served s, InferenceMode mode)
      throws Exception {
    List<INDArray> inputs = s.inputs();
    List<INDArray> expected = s.expected();
    INDArray params = s.model().params().dup();
    ParallelInference pi = new ParallelInference.Builder(s.model()).inferenceMode(mode)
        .workers(WORKERS).batchLimit(8).build();
    List<INDArray> actual;
    try {
      actual = concurrently(inputs, i -> pi.output(inputs.get(i)));
    } finally {
      pi.shutdown();
    }
    compare(expected, actual, s + ", ParallelInference " + mode,
        mode == InferenceMode.INPLACE ? 0 : 1e-6);
    assertThat(maxAbsDiff(s.model().params(), params))
        .as("inference left parameters, u and v alone").isZero();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void oneClonePerThreadReturnsTheSingleThreadedOutputsExactly(Served s) throws Exception {
    List<INDArray> inputs = s.inputs();
    List<INDArray> expected = s.expected();
    ThreadLocal<Model> clones = ThreadLocal.withInitial(() -> copy(s.model()));
    List<INDArray> actual = concurrently(inputs, i -> output(clones.get(), inputs.get(i)));
    compare(expected, actual, s + ", a clone per thread", 0);
  }

  /**
   * Documents plain DL4J M2.1, not a use to follow: the output methods of MultiLayerNetwork and
   * ComputationGraph that the others end in are {@code synchronized}, so concurrent output() on
   * one shared instance returns correct results, one call at a time; rnnTimeStep and the
   * spectral-norm inspection methods (sigma, normalizedWeight) are not synchronized.
   */
  @Test
  void dl4jSerializesOutputCallsOnOneSharedInstance() throws Exception {
    assertThat(Modifier.isSynchronized(MultiLayerNetwork.class.getMethod("output",
        INDArray.class, boolean.class, INDArray.class, INDArray.class, MemoryWorkspace.class)
        .getModifiers())).isTrue();
    assertThat(Modifier.isSynchronized(ComputationGraph.class.getMethod("output", boolean.class,
        INDArray[].class, INDArray[].class, INDArray[].class, MemoryWorkspace.class)
        .getModifiers())).isTrue();
    assertThat(Modifier.isSynchronized(MultiLayerNetwork.class.getMethod("rnnTimeStep",
        INDArray.class).getModifiers())).isFalse();

    Served mlp = served.get(0);
    List<INDArray> inputs = mlp.inputs().subList(0, FEW_REQUESTS);
    List<INDArray> actual = concurrently(inputs, i -> output(mlp.model(), inputs.get(i)));
    compare(mlp.expected().subList(0, FEW_REQUESTS), actual, mlp + ", one shared instance", 0);
  }
}
