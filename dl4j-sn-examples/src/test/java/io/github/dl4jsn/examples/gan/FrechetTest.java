package io.github.dl4jsn.examples.gan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The Fréchet distance and the class-histogram metrics against closed forms. */
class FrechetTest {

  @Test
  void distanceOfDiagonalGaussiansMatchesTheClosedForm() {
    // For diagonal covariances: d^2 = |mu1 - mu2|^2 + sum (sqrt(a_i) - sqrt(b_i))^2.
    double[] mu1 = {0, 1, -2};
    double[] mu2 = {0.5, 1, 0};
    double[] a = {1, 4, 0.25};
    double[] b = {9, 1, 0.25};
    Frechet.Stats p = new Frechet.Stats(mu1, diag(a));
    Frechet.Stats q = new Frechet.Stats(mu2, diag(b));
    double expected = 0.25 + 4 + Math.pow(1 - 3, 2) + Math.pow(2 - 1, 2);
    assertThat(Frechet.distance(p, q)).isCloseTo(expected, within(1e-10));
    assertThat(Frechet.distance(q, p)).isCloseTo(expected, within(1e-10));
  }

  @Test
  void distanceOfNonCommutingCovariancesMatchesTheTwoByTwoClosedForm() {
    // 2x2: tr sqrt(S1 S2) = sqrt(tr(S1 S2) + 2 sqrt(det(S1 S2))) for PSD S1, S2.
    double[][] s1 = {{2, 1}, {1, 2}};
    double[][] s2 = {{1, 0}, {0, 3}};
    double tr12 = 2 * 1 + 1 * 0 + 1 * 0 + 2 * 3;
    double det12 = (4 - 1) * 3;
    double expected = 4 + 4 - 2 * Math.sqrt(tr12 + 2 * Math.sqrt(det12));
    double got = Frechet.distance(new Frechet.Stats(new double[2], s1),
        new Frechet.Stats(new double[2], s2));
    assertThat(got).isCloseTo(expected, within(1e-10));
  }

  @Test
  void statsOfFeaturesAreTheSampleMeanAndCovariance() {
    INDArray x = Nd4j.createFromArray(new double[][] {{1, 2}, {3, 6}, {5, 7}});
    Frechet.Stats s = Frechet.Stats.of(x);
    assertThat(s.mean).containsExactly(new double[] {3, 5}, within(1e-12));
    // cov: x-centered [[-2,-3],[0,1],[2,2]] -> [[8, 10],[10, 14]] / 2
    assertThat(s.cov[0]).containsExactly(new double[] {4, 5}, within(1e-12));
    assertThat(s.cov[1]).containsExactly(new double[] {5, 7}, within(1e-12));
    assertThat(Frechet.distance(s, s)).isCloseTo(0, within(1e-9));
  }

  @Test
  void distanceOfTwoLargeSamplesOfOneGaussianIsSmallAndOfShiftedOnesIsTheShift() {
    Nd4j.getRandom().setSeed(3);
    INDArray a = Nd4j.randn(DataType.DOUBLE, 20_000, 4);
    INDArray b = Nd4j.randn(DataType.DOUBLE, 20_000, 4);
    Frechet.Stats sa = Frechet.Stats.of(a);
    assertThat(Frechet.distance(sa, Frechet.Stats.of(b))).isLessThan(0.01);
    double shifted = Frechet.distance(sa, Frechet.Stats.of(b.add(1.5)));
    assertThat(shifted).isCloseTo(4 * 1.5 * 1.5, within(0.3));
  }

  @Test
  void statsRejectFewerThanTwoRows() {
    assertThatThrownBy(() -> Frechet.Stats.of(Nd4j.zeros(DataType.DOUBLE, 1, 3)))
        .hasMessageContaining("got 1");
  }

  @Test
  void klToUniformIsZeroForEqualCountsAndLogTenForOneClass() {
    assertThat(ImageMetrics.klToUniform(new int[] {5, 5, 5, 5, 5, 5, 5, 5, 5, 5}))
        .isCloseTo(0, within(1e-15));
    assertThat(ImageMetrics.klToUniform(new int[] {7, 0, 0, 0, 0, 0, 0, 0, 0, 0}))
        .isCloseTo(Math.log(10), within(1e-15));
    // Half in two classes: p = 0.5, 0.5 -> log(5).
    assertThat(ImageMetrics.klToUniform(new int[] {0, 3, 0, 0, 3, 0, 0, 0, 0, 0}))
        .isCloseTo(Math.log(5), within(1e-15));
  }

  private static double[][] diag(double[] v) {
    double[][] m = new double[v.length][v.length];
    for (int i = 0; i < v.length; i++) {
      m[i][i] = v[i];
    }
    return m;
  }
}
