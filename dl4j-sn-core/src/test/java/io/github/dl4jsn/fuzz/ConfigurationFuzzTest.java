package io.github.dl4jsn.fuzz;

import io.github.dl4jsn.fuzz.FuzzCase.Container;
import io.github.dl4jsn.fuzz.FuzzCase.Form;
import io.github.dl4jsn.fuzz.FuzzCase.Geometry;
import io.github.dl4jsn.fuzz.FuzzCase.Kernel;
import io.github.dl4jsn.fuzz.FuzzCase.Keys;
import io.github.dl4jsn.fuzz.FuzzCase.Kind;
import io.github.dl4jsn.fuzz.FuzzCase.OperatorInput;
import io.github.dl4jsn.fuzz.FuzzCase.Options;
import io.github.dl4jsn.fuzz.FuzzCase.Pick;
import io.github.dl4jsn.fuzz.FuzzCase.Route;
import io.github.dl4jsn.fuzz.FuzzCase.Routing;
import io.github.dl4jsn.fuzz.FuzzCase.Structure;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Assume;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import net.jqwik.api.lifecycle.AroundPropertyHook;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.lifecycle.PropertyExecutionResult;
import net.jqwik.api.lifecycle.PropertyExecutor;
import net.jqwik.api.lifecycle.PropertyLifecycleContext;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Fuzzed configurations (jqwik): random supported layers, shapes, kernels, strides, paddings,
 * dilations, convolution modes, data formats and data types, in a MultiLayerConfiguration or a
 * ComputationGraphConfiguration, spectrally normalized with random options, valid and invalid,
 * by the builder, by setters (before or after the network configuration is built, as edited JSON
 * would be) or by {@code SpectralNorm.apply/applyTo} with random predicates, strict or not.
 *
 * <p>The property ({@link FuzzOracle}): each case either fails at build or init with a {@code
 * DL4JInvalidConfigException} whose message names the layer (its name or index) and the bad value,
 * or builds a network whose forward and backward passes are finite, whose configuration is equal
 * after a JSON round trip and which passes DL4J's gradient check in DOUBLE (batch 2, u and v
 * excluded). Configurations plain DL4J rejects may fail with DL4J's own exception only if the
 * same configuration without SN fails the same way.
 *
 * <p>The default run is short: a fixed seed, at most {@value #DEFAULT_TRIES} cases and about
 * {@value #DEFAULT_SECONDS} s of checking on two cores (the cases after the budget are skipped;
 * jqwik's report line "checks = N" says how many ran, several hundred on an idle machine). Longer
 * runs (the tries given: no time budget unless {@code -Ddl4jsn.fuzz.seconds} is), other seeds, and
 * one line per case (time, outcome, the case):
 *
 * <pre>
 * mvn -o test -pl dl4j-sn-core -Dtest=ConfigurationFuzzTest -Ddl4jsn.fuzz.tries=2000
 * mvn -o test -pl dl4j-sn-core -Dtest=ConfigurationFuzzTest -Ddl4jsn.fuzz.seconds=600
 * mvn -o test -pl dl4j-sn-core -Dtest=ConfigurationFuzzTest -Ddl4jsn.fuzz.seed=random
 * mvn -o test -pl dl4j-sn-core -Dtest=ConfigurationFuzzTest -Ddl4jsn.fuzz.seed=42
 * mvn -o test -pl dl4j-sn-core -Dtest=ConfigurationFuzzTest -Ddl4jsn.fuzz.verbose=true
 * </pre>
 *
 * jqwik prints the seed of every run and shrinks a failing case; add the shrunk case to {@link
 * ConfigurationFuzzRegressionTest}. After a failure jqwik first retries the failing sample (its
 * database is target/jqwik-database). Its edge-case mixing is off: the generators give the edge
 * values (NaN, -0.0, Integer.MIN_VALUE, a 1x1 output, ...) their own weights.
 */
class ConfigurationFuzzTest {

  /** Cases per default run, at most (see {@link #DEFAULT_SECONDS}). */
  static final int DEFAULT_TRIES = 1000;
  /** The default run's time budget: later cases are skipped (jqwik counts them as rejected). */
  static final int DEFAULT_SECONDS = 60;
  /** The default run's seed. */
  static final String DEFAULT_SEED = "20";

  @BeforeContainer
  static void doublePrecision() {
    Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
  }

  @Property(tries = DEFAULT_TRIES, seed = DEFAULT_SEED, edgeCases = EdgeCasesMode.NONE,
      maxDiscardRatio = DEFAULT_TRIES)
  @AddLifecycleHook(FuzzSettings.class)
  void everyConfigurationFailsNamingTheBadValueOrTrainsWithFiniteCheckedGradients(
      @ForAll("cases") FuzzCase c) {
    Assume.that(FuzzSettings.withinBudget());
    long start = System.nanoTime();
    String outcome;
    try {
      outcome = FuzzOracle.check(c);
    } catch (RuntimeException | AssertionError e) {
      FuzzSettings.failed = true; // shrinking is not cut short by the time budget
      throw e;
    }
    if (Boolean.getBoolean("dl4jsn.fuzz.verbose")) {
      System.out.printf("case %.2f s %s: %s%n", (System.nanoTime() - start) / 1e9, outcome, c);
    }
    Statistics.label("outcome").collect(outcome);
    Statistics.label("layer").collect(c.kind());
    Statistics.label("route").collect(c.r.route());
  }

  @Provide
  Arbitrary<FuzzCase> cases() {
    return Combinators.combine(structures(), geometries(), kernels(), options(), routings())
        .as(FuzzCase::new);
  }

  static Arbitrary<Structure> structures() {
    return Combinators.combine(
            Arbitraries.of(Kind.class),
            Arbitraries.of(Container.class),
            Arbitraries.of(DataType.DOUBLE, DataType.FLOAT),
            Arbitraries.of(Activation.TANH, Activation.SIGMOID, Activation.IDENTITY),
            Arbitraries.of(false, true),
            Arbitraries.of(false, true),
            Arbitraries.of(Form.class))
        .as(Structure::new);
  }

  static Arbitrary<Geometry> geometries() {
    Arbitrary<Integer> slack = Arbitraries.frequency(
        Tuple.of(4, 0), Tuple.of(3, 1), Tuple.of(2, 2), Tuple.of(1, -1));
    return Combinators.combine(
            Arbitraries.integers().between(1, 3),
            slack,
            slack,
            slack,
            slack,
            Arbitraries.integers().between(1, 3),
            Arbitraries.integers().between(1, 2),
            Arbitraries.frequency(Tuple.of(3, false), Tuple.of(1, true)))
        .as(Geometry::new);
  }

  static Arbitrary<Kernel> kernels() {
    return Combinators.combine(
            Arbitraries.integers().between(1, 3),
            Arbitraries.integers().between(1, 3),
            Arbitraries.integers().between(1, 3),
            Arbitraries.integers().between(1, 2),
            Arbitraries.frequency(Tuple.of(3, 0), Tuple.of(1, 1)),
            Arbitraries.frequency(Tuple.of(3, 1), Tuple.of(1, 2)),
            Arbitraries.frequency(Tuple.of(6, ConvolutionMode.Truncate),
                Tuple.of(6, ConvolutionMode.Same), Tuple.of(1, ConvolutionMode.Strict),
                Tuple.of(1, ConvolutionMode.Causal)),
            Arbitraries.frequency(Tuple.of(3, true), Tuple.of(1, false)))
        .as(Kernel::new);
  }

  static Arbitrary<Options> options() {
    Arbitrary<Integer> iterations = Arbitraries.frequencyOf(
        Tuple.of(8, Arbitraries.integers().between(0, 3)),
        Tuple.of(1, Arbitraries.integers().between(4, 30)),
        Tuple.of(2, Arbitraries.of(-1, -7, Integer.MIN_VALUE)));
    Arbitrary<Double> eps = Arbitraries.frequencyOf(
        Tuple.of(6, Arbitraries.just(1e-12)),
        Tuple.of(3, Arbitraries.integers().between(-40, -3).map(e -> Math.pow(10, e))),
        // Valid, but not above 1e-3: an eps above the weights' sigma clamps ||M^T u|| in
        // normalize(x) = x / max(||x||, eps), shrinks u and v and scales W_SN up (PyTorch's
        // semantics too), so that a softmax after it can return NaN (README, "Known limits").
        Tuple.of(1, Arbitraries.of(Double.MIN_VALUE, 1e-300)),
        Tuple.of(2, Arbitraries.of(0.0, -0.0, -1e-3, Double.NaN, Double.POSITIVE_INFINITY,
            Double.NEGATIVE_INFINITY)));
    Arbitrary<Double> coefficient = Arbitraries.frequencyOf(
        Tuple.of(6, Arbitraries.just(1.0)),
        Tuple.of(3, Arbitraries.doubles().between(0.1, 10).ofScale(3)),
        Tuple.of(1, Arbitraries.of(1e-3, 100.0)),
        // Subnormal (1/c overflows); below FLOAT's normal range; tiny but normal in DOUBLE.
        Tuple.of(1, Arbitraries.of(Double.MIN_VALUE, 1e-40, 1e-300)),
        Tuple.of(2, Arbitraries.of(0.0, -0.0, -2.0, Double.NaN, Double.POSITIVE_INFINITY,
            Double.NEGATIVE_INFINITY)));
    return Combinators.combine(
            iterations,
            eps,
            iterations,
            coefficient,
            Arbitraries.of(false, true),
            Arbitraries.frequency(Tuple.of(8, Keys.DEFAULT), Tuple.of(2, Keys.FIRST),
                Tuple.of(2, Keys.ALL), Tuple.of(1, Keys.DUPLICATE), Tuple.of(1, Keys.EMPTY),
                Tuple.of(1, Keys.UNKNOWN), Tuple.of(1, Keys.BIAS), Tuple.of(1, Keys.FOREIGN),
                Tuple.of(1, Keys.NULL_KEY)),
            Arbitraries.frequency(Tuple.of(3, false), Tuple.of(1, true)),
            Arbitraries.of(OperatorInput.class))
        .as(Options::new);
  }

  static Arbitrary<Routing> routings() {
    return Combinators.combine(
            Arbitraries.frequency(Tuple.of(4, Route.BUILDER),
                Tuple.of(1, Route.SETTERS_BEFORE_CONF), Tuple.of(1, Route.SETTERS_AFTER_CONF),
                Tuple.of(1, Route.APPLY), Tuple.of(1, Route.APPLY_STRICT)),
            Arbitraries.of(null, "sn", "critic1", "Layer-2", "a_b"),
            Arbitraries.of(Pick.class),
            Arbitraries.integers().between(0, 7),
            Arbitraries.of(false, true),
            Arbitraries.frequency(Tuple.of(4, true), Tuple.of(1, false)))
        .as(Routing::new);
  }

  /**
   * Reads the run's length, time budget and seed from system properties: {@code
   * -Ddl4jsn.fuzz.tries=N}, {@code -Ddl4jsn.fuzz.seconds=S} (0: no budget; the default is {@value
   * #DEFAULT_SECONDS} s, or none when the tries are given) and {@code -Ddl4jsn.fuzz.seed=S}
   * ({@code random} for a fresh seed each run).
   */
  public static final class FuzzSettings implements AroundPropertyHook {
    private static volatile long deadline = Long.MAX_VALUE;
    static volatile boolean failed;

    /** Whether a case may still run: within the time budget, or shrinking a failure. */
    static boolean withinBudget() {
      return failed || System.nanoTime() < deadline;
    }

    @Override
    public PropertyExecutionResult aroundProperty(PropertyLifecycleContext context,
        PropertyExecutor property) {
      String tries = System.getProperty("dl4jsn.fuzz.tries", "").trim();
      if (!tries.isEmpty()) {
        context.attributes().setTries(Integer.parseInt(tries));
        context.attributes().setMaxDiscardRatio(Integer.parseInt(tries));
      }
      String seconds = System.getProperty("dl4jsn.fuzz.seconds",
          tries.isEmpty() ? String.valueOf(DEFAULT_SECONDS) : "0").trim();
      double budget = Double.parseDouble(seconds);
      failed = false;
      deadline = budget > 0 ? System.nanoTime() + (long) (budget * 1e9) : Long.MAX_VALUE;
      String seed = System.getProperty("dl4jsn.fuzz.seed", "").trim();
      if (!seed.isEmpty()) {
        context.attributes().setSeed(seed.equalsIgnoreCase("random") ? "" : seed);
      }
      return property.execute();
    }
  }
}
