package io.github.dl4jsn.examples.gan;

import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * PacGAN's metrics for the 2-D mixtures. Each generated sample is assigned to its nearest mode; it
 * is high-quality if it lies within 3 standard deviations of that mode. A mode is covered if it
 * receives at least one high-quality sample. The reverse KL divergence {@code KL(p_gen || p_true)}
 * compares the distribution of high-quality samples over modes with the true uniform one.
 */
public final class Metrics2D {
  public final int samples;
  public final int modes;
  public final int modesCovered;
  public final double highQualityFraction;
  public final double reverseKl;
  public final int[] counts;

  private Metrics2D(int samples, int modes, int covered, double hq, double kl, int[] counts) {
    this.samples = samples;
    this.modes = modes;
    this.modesCovered = covered;
    this.highQualityFraction = hq;
    this.reverseKl = kl;
    this.counts = counts;
  }

  /** Computes the metrics of generated samples [n, 2] against a mixture. */
  public static Metrics2D of(INDArray generated, Mixture2D mixture) {
    double[][] modes = mixture.modes();
    double threshold = 3 * mixture.std();
    int n = (int) generated.size(0);
    double[][] xs = generated.castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE).toDoubleMatrix();
    int[] counts = new int[modes.length];
    int hq = 0;
    for (double[] x : xs) {
      int best = -1;
      double bestDist = Double.POSITIVE_INFINITY;
      for (int k = 0; k < modes.length; k++) {
        double d = Math.hypot(x[0] - modes[k][0], x[1] - modes[k][1]);
        if (d < bestDist) {
          bestDist = d;
          best = k;
        }
      }
      if (bestDist <= threshold) {
        counts[best]++;
        hq++;
      }
    }
    int covered = 0;
    double kl = 0;
    double uniform = 1.0 / modes.length;
    for (int c : counts) {
      if (c > 0) {
        covered++;
        double p = (double) c / hq;
        kl += p * Math.log(p / uniform);
      }
    }
    if (hq == 0) {
      kl = Double.NaN;
    }
    return new Metrics2D(n, modes.length, covered, (double) hq / n, kl, counts);
  }

  /** The metrics as an ordered map, for JSON. */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("samples", samples);
    m.put("modes", modes);
    m.put("modes_covered", modesCovered);
    m.put("high_quality_fraction", highQualityFraction);
    m.put("reverse_kl", Double.isNaN(reverseKl) ? null : reverseKl);
    m.put("high_quality_per_mode", counts);
    return m;
  }

  @Override
  public String toString() {
    return String.format("modes covered %d/%d, high-quality %.1f%%, reverse KL %.4f",
        modesCovered, modes, 100 * highQualityFraction, reverseKl);
  }
}
