package io.github.dl4jsn.examples.gan;

import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The 2-D Gaussian mixtures of the GAN mode-collapse benchmarks (PacGAN's protocol): equal-weight
 * isotropic Gaussians with a common standard deviation.
 */
public final class Mixture2D {
  private final String name;
  private final double[][] modes;
  private final double std;

  private Mixture2D(String name, double[][] modes, double std) {
    this.name = name;
    this.modes = modes;
    this.std = std;
  }

  /** 8 Gaussians on the unit circle, std 0.01 (PacGAN's ring). */
  public static Mixture2D ring() {
    return ring(1, 0.01);
  }

  /**
   * 8 Gaussians on a circle of the given radius with the given std (e.g. radius 2, std 0.02 as in
   * Metz et al.'s unrolled-GAN experiments).
   */
  public static Mixture2D ring(double radius, double std) {
    if (!(radius > 0) || !(std > 0) || Double.isInfinite(radius) || Double.isInfinite(std)) {
      throw new IllegalArgumentException("ring radius and std must be finite and > 0, got radius "
          + radius + ", std " + std);
    }
    double[][] m = new double[8][2];
    for (int k = 0; k < 8; k++) {
      double a = 2 * Math.PI * k / 8;
      m[k][0] = radius * Math.cos(a);
      m[k][1] = radius * Math.sin(a);
    }
    return new Mixture2D("ring", m, std);
  }

  /** 25 Gaussians at {-4, -2, 0, 2, 4}^2, std 0.05 (PacGAN's grid). */
  public static Mixture2D grid() {
    return grid(0.05);
  }

  /** 25 Gaussians at {-4, -2, 0, 2, 4}^2 with the given std. */
  public static Mixture2D grid(double std) {
    double[][] m = new double[25][2];
    for (int i = 0; i < 5; i++) {
      for (int j = 0; j < 5; j++) {
        m[5 * i + j][0] = -4 + 2 * i;
        m[5 * i + j][1] = -4 + 2 * j;
      }
    }
    return new Mixture2D("grid", m, std);
  }

  public String name() {
    return name;
  }

  /** The mode centres, [k][2]. */
  public double[][] modes() {
    return modes;
  }

  public double std() {
    return std;
  }

  /** The largest distance of a mode from the origin, to scale plots. */
  public double radius() {
    double r = 0;
    for (double[] m : modes) {
      r = Math.max(r, Math.hypot(m[0], m[1]));
    }
    return r;
  }

  /** n samples as a FLOAT [n, 2] array. */
  public INDArray sample(int n, Random random) {
    float[][] x = new float[n][2];
    for (int i = 0; i < n; i++) {
      double[] m = modes[random.nextInt(modes.length)];
      x[i][0] = (float) (m[0] + std * random.nextGaussian());
      x[i][1] = (float) (m[1] + std * random.nextGaussian());
    }
    return Nd4j.createFromArray(x).castTo(DataType.FLOAT);
  }
}
