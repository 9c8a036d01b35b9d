package io.github.dl4jsn.inspect;

import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Exact singular values of small and medium matrices by one-sided Jacobi SVD in plain Java doubles,
 * an oracle independent of the power iteration (ND4J M2.1's svd op fails when U and V are not
 * requested). Cost: O(min(m, n)^2 max(m, n)) per sweep; meant for inspection, not training.
 */
public final class SingularValues {
  private SingularValues() {}

  /** The largest singular value of a 2-D array. */
  public static double largest(INDArray matrix) {
    double[] values = of(matrix);
    return values[values.length - 1];
  }

  /** All singular values of a 2-D array, ascending. */
  public static double[] of(INDArray matrix) {
    if (matrix.rank() != 2) {
      throw new IllegalArgumentException(
          "Expected a 2-D array, got shape " + Arrays.toString(matrix.shape()));
    }
    INDArray m = matrix.castTo(DataType.DOUBLE);
    if (m.rows() < m.columns()) {
      m = m.transpose();
    }
    int rows = (int) m.rows();
    int cols = (int) m.columns();
    double[][] a = new double[cols][rows]; // column-major: a[j] is column j
    double[][] values = m.toDoubleMatrix();
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < cols; j++) {
        a[j][i] = values[i][j];
      }
    }
    for (int sweep = 0; sweep < 100; sweep++) {
      double off = 0;
      for (int p = 0; p < cols - 1; p++) {
        for (int q = p + 1; q < cols; q++) {
          double alpha = 0;
          double beta = 0;
          double gamma = 0;
          for (int i = 0; i < rows; i++) {
            alpha += a[p][i] * a[p][i];
            beta += a[q][i] * a[q][i];
            gamma += a[p][i] * a[q][i];
          }
          if (gamma == 0 || Math.abs(gamma) <= 1e-15 * Math.sqrt(alpha * beta)) {
            continue;
          }
          off = Math.max(off, Math.abs(gamma) / Math.sqrt(alpha * beta));
          double zeta = (beta - alpha) / (2 * gamma);
          double t = Math.signum(zeta == 0 ? 1 : zeta)
              / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
          double c = 1 / Math.sqrt(1 + t * t);
          double s = c * t;
          for (int i = 0; i < rows; i++) {
            double ap = a[p][i];
            double aq = a[q][i];
            a[p][i] = c * ap - s * aq;
            a[q][i] = s * ap + c * aq;
          }
        }
      }
      if (off < 1e-15) {
        break;
      }
    }
    double[] out = new double[cols];
    for (int j = 0; j < cols; j++) {
      double n = 0;
      for (double x : a[j]) {
        n += x * x;
      }
      out[j] = Math.sqrt(n);
    }
    Arrays.sort(out);
    return out;
  }
}
