package io.github.dl4jsn.layers;

import static io.github.dl4jsn.testutil.Arrays2.assertClose;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.github.dl4jsn.SpectralNorm;
import io.github.dl4jsn.conf.SpectralNormalization;
import io.github.dl4jsn.math.SpectralNormCore;
import io.github.dl4jsn.testutil.Nets;
import io.github.dl4jsn.testutil.ReferenceCases;
import io.github.dl4jsn.testutil.ReferenceCases.Case;
import io.github.dl4jsn.testutil.ReferenceCases.Result;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.deeplearning4j.exception.DL4JInvalidConfigException;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.Nadam;

/**
 * Tolerance mode ({@code powerIterationTolerance}, {@code maxPowerIterations}) and {@code
 * refreshForInference}: PyTorch-exact where they run a fixed number of iterations, the bounds on
 * the count, sigma(W_SN) held at 1 during training, training unchanged by the refresh, and the
 * stale-inference case they fix.
 */
class PowerIterationToleranceTest {

  @BeforeAll
  static void doublePrecision() {
    Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
  }

  static Stream<Case> cases() {
    return ReferenceCases.all().stream();
  }

  /** With tolerance 0 the loop only stops at the cap or at an exactly unchanged estimate. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void toleranceZeroRunsToTheCapAndMatchesPyTorchsFiveIterations(Case c) {
    INDArray weight = c.toDl4j(c.tensor("W"));
    SpectralNormCore core = SpectralNormCore.create(c.layout(), weight.shape(),
        weight.ordering(), DataType.DOUBLE, c.eps(), 1.0, false);
    core.bind(c.tensor("u0").dup(), c.tensor("v0").dup());
    int n = core.powerIterateToTolerance(weight, 1, 5, 0.0);
    INDArray weightSn = core.normalize(weight, true);
    Result r = c.after(5);
    if (n == 5) {
      assertClose("u", core.u(), r.tensor("u_after"), 1e-10);
      assertClose("v", core.v(), r.tensor("v_after"), 1e-10);
      assertClose("W_sn", weightSn, c.toDl4j(r.tensor("W_sn")), 1e-10);
    } else {
      // Converged to the last bit before the cap (a rank-1 matrix): PyTorch's 5 agree.
      assertThat(core.sigma().getDouble()).isCloseTo(r.sigma(), within(1e-10 * r.sigma()));
    }
    assertThat(n).isBetween(1, 5);
  }

  @Test
  void theCountIsAtLeastPowerIterationsAndAtMostTheCap() {
    INDArray w = Nd4j.randn(DataType.DOUBLE, 20, 30);
    SpectralNormCore core = SpectralNormCore.create(io.github.dl4jsn.math.WeightLayout.CONV,
        w.shape(), 'c', DataType.DOUBLE, 1e-12, 1.0, false);
    core.bind(Nd4j.randn(DataType.DOUBLE, 20), Nd4j.randn(DataType.DOUBLE, 30));
    core.normalizeVectors();
    assertThat(core.powerIterateToTolerance(w, 3, 50, 1.0)).as("loose: the least").isEqualTo(3);
    assertThat(core.powerIterateToTolerance(w, 1, 7, 1e-300)).as("strict: the cap").isEqualTo(7);
    int converging = core.powerIterateToTolerance(w, 1, 1000, 1e-12);
    assertThat(converging).isBetween(2, 999);
    core.normalize(w, true);
    double exact = io.github.dl4jsn.testutil.ExactSigma.of(w);
    assertThat(core.sigma().getDouble()).isCloseTo(exact, within(1e-6 * exact));
  }

  static UnaryOperator<Layer> tolerance(double tol, int max, boolean refresh) {
    return l -> {
      SpectralNormalization.Builder b = new SpectralNormalization.Builder(l)
          .powerIterationTolerance(tol).maxPowerIterations(max);
      return refresh ? b.refreshForInference().build() : b.build();
    };
  }

  static double worstDeviation(MultiLayerNetwork net) {
    return SpectralNorm.exactSigmas(net).values().stream()
        .mapToDouble(s -> Math.abs(s - 1)).max().orElseThrow();
  }

  /**
   * SN training drives the top singular values of each weight together (the gradient shrinks only
   * the top direction), and where two nearly tie the power iteration cannot separate them in any
   * number of steps; but then its estimate lies between them, so the error is at most their gap.
   * Measured on this run: up to 500 iterations at tolerance 1e-9 left at most 0.0023 (a gap of
   * 0.0023 between sigma_1 and sigma_2); up to 100 at 1e-7 left 0.013; one fixed iteration 0.1
   * and more.
   */
  @Test
  void toleranceModeWithRefreshHoldsTheExactSigmaAtOneThroughTraining() {
    MultiLayerNetwork net = new MultiLayerNetwork(
        Nets.mlp(tolerance(1e-7, 100, true), DataType.DOUBLE, new Adam(1e-2)));
    // 40 steps of Adam(1e-2): the top singular values tie within a few steps.
    net.init();
    DataSet data = Nets.clusters(64, 3, DataType.DOUBLE);
    double worst = 0;
    for (int i = 0; i < 40; i++) {
      net.fit(data);
      net.output(data.getFeatures()); // inference refreshes u and v on the new weights
      worst = Math.max(worst, worstDeviation(net));
    }
    assertThat(worst).isLessThan(0.02);
    // The one-iteration default drifts well away on the same run.
    MultiLayerNetwork fixed = new MultiLayerNetwork(
        Nets.mlp(Nets.SN, DataType.DOUBLE, new Adam(1e-2)));
    fixed.init();
    double fixedWorst = 0;
    for (int i = 0; i < 40; i++) {
      fixed.fit(data);
      fixedWorst = Math.max(fixedWorst, worstDeviation(fixed));
    }
    assertThat(fixedWorst).isGreaterThan(5 * worst).isGreaterThan(0.05);
  }

  @Test
  void refreshForInferenceLeavesTrainingBitIdentical() {
    MultiLayerNetwork plain = new MultiLayerNetwork(
        Nets.mlp(l -> new SpectralNormalization.Builder(l).powerIterations(2).build(),
            DataType.DOUBLE, new Adam(1e-2)));
    MultiLayerNetwork refreshed = new MultiLayerNetwork(
        Nets.mlp(l -> new SpectralNormalization.Builder(l).powerIterations(2)
            .refreshForInference().build(), DataType.DOUBLE, new Adam(1e-2)));
    plain.init();
    refreshed.init();
    refreshed.setParams(plain.params().dup());
    DataSet data = Nets.clusters(32, 4, DataType.DOUBLE);
    for (int i = 0; i < 10; i++) {
      plain.fit(data);
      refreshed.fit(data);
      // Weights, u and v, after each step: the step skipped the iteration inference ran early.
      assertThat(refreshed.params()).as("step " + i).isEqualTo(plain.params());
      // Inference (twice: the second must not iterate again) between the steps.
      refreshed.output(data.getFeatures());
      refreshed.output(data.getFeatures());
    }
  }

  /**
   * The README's stale-inference case: large first updates (Nadam) leave inference dividing by a
   * sigma from before them. Measured here and printed; refresh plus tolerance mode removes it.
   */
  @Test
  void refreshAndToleranceFixInferenceRightAfterLargeUpdates() {
    DataSet data = Nets.clusters(64, 5, DataType.DOUBLE);
    MultiLayerNetwork stale = new MultiLayerNetwork(
        Nets.mlp(Nets.SN, DataType.DOUBLE, new Nadam(0.05)));
    MultiLayerNetwork fresh = new MultiLayerNetwork(
        Nets.mlp(tolerance(1e-7, 200, true), DataType.DOUBLE, new Nadam(0.05)));
    stale.init();
    fresh.init();
    fresh.setParams(stale.params().dup());
    double staleWorst = 0;
    double freshWorst = 0;
    for (int i = 0; i < 3; i++) {
      stale.fit(data);
      fresh.fit(data);
      stale.output(data.getFeatures());
      fresh.output(data.getFeatures());
      staleWorst = Math.max(staleWorst, worstDeviation(stale));
      freshWorst = Math.max(freshWorst, worstDeviation(fresh));
    }
    System.out.printf("[tolerance] Nadam(0.05), 3 steps: worst |sigma(W_SN) - 1| at inference "
        + "%.4f with one iteration, %.2e with tolerance 1e-7 + refresh%n", staleWorst, freshWorst);
    assertThat(staleWorst).isGreaterThan(0.1);
    assertThat(freshWorst).isLessThan(1e-4);
  }

  @Test
  void optionsAreValidatedNamingTheLayerAndTheValueAndSurviveJson() {
    DenseLayer d = new DenseLayer.Builder().nIn(3).nOut(2).name("d").build();
    assertThatThrownBy(() -> new SpectralNormalization.Builder(d).powerIterationTolerance(-1)
        .build()).isInstanceOf(DL4JInvalidConfigException.class)
        .hasMessageContaining("'d'").hasMessageContaining("-1.0");
    assertThatThrownBy(() -> new SpectralNormalization.Builder(d)
        .powerIterationTolerance(Double.NaN).build()).hasMessageContaining("NaN");
    assertThatThrownBy(() -> new SpectralNormalization.Builder(d).powerIterations(0)
        .powerIterationTolerance(1e-3).build()).hasMessageContaining("powerIterations 0");
    assertThatThrownBy(() -> new SpectralNormalization.Builder(d).powerIterations(4)
        .powerIterationTolerance(1e-3).maxPowerIterations(3).build())
        .hasMessageContaining("maxPowerIterations").hasMessageContaining("got 3");
    MultiLayerConfiguration conf = Nets.mlp(tolerance(1e-4, 12, true), DataType.FLOAT);
    MultiLayerConfiguration back = MultiLayerConfiguration.fromJson(conf.toJson());
    assertThat(back).isEqualTo(conf);
    SpectralNormalization sn = SpectralNormalization.of(back.getConf(0).getLayer());
    assertThat(sn.getPowerIterationTolerance()).isEqualTo(1e-4);
    assertThat(sn.getMaxPowerIterations()).isEqualTo(12);
    assertThat(sn.isRefreshForInference()).isTrue();
    // A configuration saved before these options existed loads with the defaults.
    String old = Nets.mlp(Nets.SN, DataType.FLOAT).toJson()
        .replaceAll(",?\\s*\"powerIterationTolerance\" : [^,}]+", "")
        .replaceAll(",?\\s*\"maxPowerIterations\" : [^,}]+", "")
        .replaceAll(",?\\s*\"refreshForInference\" : [^,}]+", "");
    assertThat(old).doesNotContain("powerIterationTolerance");
    SpectralNormalization legacy = SpectralNormalization.of(
        MultiLayerConfiguration.fromJson(old).getConf(0).getLayer());
    assertThat(legacy.getPowerIterationTolerance()).isZero();
    assertThat(legacy.isRefreshForInference()).isFalse();
  }
}
