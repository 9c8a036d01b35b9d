package io.github.dl4jsn.testutil;

import io.github.dl4jsn.layers.SpectralNormLayer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The exact largest singular value by SVD, as an oracle independent of the power iteration. */
public final class ExactSigma {
  private ExactSigma() {}

  /**
   * The largest singular value of a 2-D array, by one-sided Jacobi SVD in plain Java doubles
   * (ND4J M2.1's svd op fails without U and V).
   */
  public static double of(INDArray matrix) {
    double[] values = spectrum(matrix);
    return values[values.length - 1];
  }

  /** All singular values of a 2-D array, ascending (one-sided Jacobi SVD). */
  public static double[] spectrum(INDArray matrix) {
    INDArray m = matrix.castTo(DataType.DOUBLE);
    if (m.rows() < m.columns()) {
      m = m.transpose();
    }
    int rows = (int) m.rows();
    int cols = (int) m.columns();
    double[][] a = new double[cols][rows]; // column-major: a[j] is column j
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < cols; j++) {
        a[j][i] = m.getDouble(i, j);
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
          double t = Math.signum(zeta == 0 ? 1 : zeta) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
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
    double[] values = new double[cols];
    for (int j = 0; j < cols; j++) {
      double n = 0;
      for (double x : a[j]) {
        n += x * x;
      }
      values[j] = Math.sqrt(n);
    }
    java.util.Arrays.sort(values);
    return values;
  }

  /**
   * The largest singular value of the normalized weight a layer uses at inference. The weight is
   * reshaped to a matrix with PyTorch's grouping of rows and columns, up to row and column order
   * (which leaves singular values unchanged).
   */
  public static double ofNormalizedWeight(SpectralNormLayer layer, String key) {
    double[] values = spectrumOfNormalizedWeight(layer, key);
    return values[values.length - 1];
  }

  /** All singular values of the normalized weight, ascending. */
  public static double[] spectrumOfNormalizedWeight(SpectralNormLayer layer, String key) {
    INDArray w = layer.normalizedWeight(key);
    long[] s = w.shape();
    switch (layer.getSpectralNormConfig().normalizedWeights().get(0).layout()) {
      case DENSE:
      case EMBEDDING:
        return spectrum(w);
      case CONV:
        return spectrum(w.reshape('c', s[0], w.length() / s[0]));
      case CONV1D_NCW:
        // The buffer holds the kernel as [k, nIn, nOut]: rows (t, i), columns o.
        return spectrum(w.reshape('c', w.length() / s[0], s[0]));
      default:
        return spectrum(w.permute(1, 0, 2, 3).dup('c').reshape('c', s[1], w.length() / s[1]));
    }
  }
}
