package io.github.dl4jsn.examples.gan;

import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.EigenDecomposition;
import org.apache.commons.math3.linear.RealMatrix;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The Fréchet distance between two Gaussians fitted to feature sets (Heusel et al. 2017's FID
 * formula, here on our own classifier's features, not Inception's):
 * {@code d^2 = |mu1 - mu2|^2 + tr(S1) + tr(S2) - 2 tr((S1 S2)^(1/2))}, with
 * {@code tr((S1 S2)^(1/2)) = sum sqrt(eig(S1^(1/2) S2 S1^(1/2)))} from two symmetric eigen
 * decompositions (Apache Commons Math); tiny negative eigenvalues from rounding count as 0.
 */
public final class Frechet {
  private Frechet() {}

  /** Mean and covariance (denominator n - 1) of feature rows. */
  public static final class Stats {
    final double[] mean;
    final double[][] cov;

    Stats(double[] mean, double[][] cov) {
      this.mean = mean;
      this.cov = cov;
    }

    /** The statistics of features [n, d], n >= 2. */
    public static Stats of(INDArray features) {
      double[][] x = features.castTo(DataType.DOUBLE).toDoubleMatrix();
      int n = x.length;
      if (n < 2) {
        throw new IllegalArgumentException("Fréchet statistics need at least 2 rows, got " + n);
      }
      int d = x[0].length;
      double[] mean = new double[d];
      for (double[] row : x) {
        for (int j = 0; j < d; j++) {
          mean[j] += row[j] / n;
        }
      }
      double[][] cov = new double[d][d];
      for (double[] row : x) {
        for (int a = 0; a < d; a++) {
          double da = row[a] - mean[a];
          if (da == 0) {
            continue;
          }
          for (int b = a; b < d; b++) {
            cov[a][b] += da * (row[b] - mean[b]);
          }
        }
      }
      for (int a = 0; a < d; a++) {
        for (int b = a; b < d; b++) {
          cov[a][b] /= n - 1;
          cov[b][a] = cov[a][b];
        }
      }
      return new Stats(mean, cov);
    }
  }

  /** The Fréchet distance d^2 between two feature Gaussians. */
  public static double distance(Stats p, Stats q) {
    int d = p.mean.length;
    if (q.mean.length != d) {
      throw new IllegalArgumentException("Feature sizes differ: " + d + " vs " + q.mean.length);
    }
    double meanTerm = 0;
    double traces = 0;
    for (int j = 0; j < d; j++) {
      double diff = p.mean[j] - q.mean[j];
      meanTerm += diff * diff;
      traces += p.cov[j][j] + q.cov[j][j];
    }
    RealMatrix s1 = new Array2DRowRealMatrix(p.cov);
    RealMatrix s2 = new Array2DRowRealMatrix(q.cov);
    RealMatrix root1 = sqrtPsd(s1);
    RealMatrix m = root1.multiply(s2).multiply(root1);
    m = m.add(m.transpose()).scalarMultiply(0.5);
    double traceRoot = 0;
    for (double ev : new EigenDecomposition(m).getRealEigenvalues()) {
      traceRoot += Math.sqrt(Math.max(0, ev));
    }
    return meanTerm + traces - 2 * traceRoot;
  }

  private static RealMatrix sqrtPsd(RealMatrix s) {
    EigenDecomposition e = new EigenDecomposition(s);
    RealMatrix v = e.getV();
    double[] ev = e.getRealEigenvalues();
    int d = ev.length;
    RealMatrix scaled = v.copy();
    for (int j = 0; j < d; j++) {
      double r = Math.sqrt(Math.max(0, ev[j]));
      for (int i = 0; i < d; i++) {
        scaled.setEntry(i, j, v.getEntry(i, j) * r);
      }
    }
    return scaled.multiply(v.transpose());
  }
}
