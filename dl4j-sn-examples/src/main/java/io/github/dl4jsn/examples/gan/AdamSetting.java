package io.github.dl4jsn.examples.gan;

import org.nd4j.linalg.learning.config.Adam;

/**
 * The Adam settings A to F of Table 1 in Miyato et al. 2018: learning rate, beta1, beta2 and the
 * number of discriminator updates per generator update. D, E and F are the aggressive ones that the
 * paper reports SN to survive.
 */
public enum AdamSetting {
  A(1e-4, 0.5, 0.9, 5),
  B(1e-4, 0.5, 0.999, 1),
  C(2e-4, 0.5, 0.999, 1),
  D(1e-3, 0.5, 0.9, 5),
  E(1e-3, 0.5, 0.999, 5),
  F(1e-3, 0.9, 0.999, 5);

  public final double learningRate;
  public final double beta1;
  public final double beta2;
  public final int discriminatorSteps;

  AdamSetting(double learningRate, double beta1, double beta2, int discriminatorSteps) {
    this.learningRate = learningRate;
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.discriminatorSteps = discriminatorSteps;
  }

  /** A fresh Adam updater with this setting. */
  public Adam adam() {
    return new Adam(learningRate, beta1, beta2, 1e-8);
  }
}
