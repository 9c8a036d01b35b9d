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

  /** 8 Gaussians on the unit circle, std 0.01. */
  public static Mixture2D ring() {
    double[][] m = new double[8][2];
    for (int k = 0; k < 8; k++) {
      double a = 2 * Math.PI * k / 8;
      m[k][0] = Math.cos(a);
      m[k][1] = Math.sin(a);
    }
    return new Mixture2D("ring", m, 0.01);
  }

  /** 25 Gaussians at {-4, -2, 0, 2, 4}^2, std 0.05. */
  public static Mixture2D grid() {
    double[][] m = new double[25][2];
    for (int i = 0; i < 5; i++) {
      for (int j = 0; j < 5; j++) {
        m[5 * i + j][0] = -4 + 2 * i;
        m[5 * i + j][1] = -4 + 2 * j;
      }
    }
    return new Mixture2D("grid", m, 0.05);
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
