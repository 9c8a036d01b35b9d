package io.github.dl4jsn.testutil;

import static org.assertj.core.api.Assertions.assertThat;

import org.nd4j.linalg.api.ndarray.INDArray;

/** Array comparisons for the numerical tests. */
public final class Arrays2 {
  private Arrays2() {}

  /**
   * Asserts that two arrays of equal length agree element by element (in row-major order of
   * their own shapes reshaped to the expected shape) to {@code relTol} of the expected max-abs.
   */
  public static void assertClose(String what, INDArray actual, INDArray expected, double relTol) {
    INDArray a = actual.castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE).reshape('c', new long[] {expected.length()});
    INDArray e = expected.castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE).reshape('c', new long[] {expected.length()});
    double scale = Math.max(e.amaxNumber().doubleValue(), Double.MIN_NORMAL);
    double maxDiff = a.sub(e).amaxNumber().doubleValue();
    assertThat(maxDiff / scale)
        .as("%s: max |actual - expected| / max |expected| (scale %s)", what, scale)
        .isLessThanOrEqualTo(relTol);
  }
}
