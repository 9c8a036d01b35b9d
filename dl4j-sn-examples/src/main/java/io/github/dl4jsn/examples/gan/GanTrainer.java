package io.github.dl4jsn.examples.gan;

import io.github.dl4jsn.layers.SpectralNormLayer;
import java.util.List;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Alternating GAN updates with DL4J networks and no frozen copy of the discriminator.
 *
 * <p>Discriminator step: {@code D.fit} on real (label 1) and generated (label 0) samples, which runs
 * D's power iteration once. Generator step: D's power iteration is paused, D computes the gradient
 * of {@code BCE(D(G(z)), 1)} with respect to its input (so G sees D's current W_SN exactly), and G
 * backpropagates it and applies its updater.
 */
public final class GanTrainer {
  private final MultiLayerNetwork generator;
  private final MultiLayerNetwork discriminator;
  private final int latent;
  private final LayerWorkspaceMgr mgr = LayerWorkspaceMgr.noWorkspaces();
  private double lastDiscriminatorLoss = Double.NaN;
  private INDArray lastFake;
  private double lastGeneratorLoss = Double.NaN;
  /** D's labels for a batch of n real then n generated samples, kept for the next step. */
  private INDArray discriminatorLabels;
  private INDArray generatorLabels;

  public GanTrainer(MultiLayerNetwork generator, MultiLayerNetwork discriminator, int latent) {
    this.generator = generator;
    this.discriminator = discriminator;
    this.latent = latent;
  }

  /** Latent noise z ~ N(0, I), [n, latent]. */
  public INDArray noise(int n) {
    return Nd4j.randn(DataType.FLOAT, n, latent);
  }

  /** Generated samples, inference mode, computed 1,000 at a time. */
  public INDArray sample(int n) {
    INDArray[] parts = new INDArray[(n + 999) / 1000];
    for (int i = 0; i < parts.length; i++) {
      parts[i] = generator.output(noise(Math.min(1000, n - 1000 * i)), false);
    }
    return parts.length == 1 ? parts[0] : Nd4j.concat(0, parts);
  }

  /** The generator's output for given latent vectors [n, latent], inference mode. */
  public INDArray generate(INDArray z) {
    return generator.output(z, false);
  }

  /** One discriminator update on a batch of real samples and as many generated ones. */
  public void discriminatorStep(INDArray real) {
    int n = (int) real.size(0);
    INDArray fake = generator.output(noise(n), true);
    INDArray x = Nd4j.vstack(real, fake);
    if (discriminatorLabels == null || discriminatorLabels.size(0) != 2L * n) {
      discriminatorLabels = Nd4j.vstack(Nd4j.ones(DataType.FLOAT, n, 1),
          Nd4j.zeros(DataType.FLOAT, n, 1));
    }
    discriminator.fit(x, discriminatorLabels);
    lastDiscriminatorLoss = discriminator.score();
  }

  /**
   * One generator update with the non-saturating loss. It runs G forward and backward and D
   * forward and backward once each; the loss itself is computed only when {@link #generatorLoss}
   * asks for it (an extra D forward pass that a training step does not need).
   */
  public void generatorStep(int n) {
    generator.setInput(noise(n));
    List<INDArray> activations = generator.feedForward(true, false);
    INDArray fake = activations.get(activations.size() - 1);
    if (generatorLabels == null || generatorLabels.size(0) != n) {
      generatorLabels = Nd4j.ones(DataType.FLOAT, n, 1);
    }
    Pair<Gradient, INDArray> d;
    SpectralNormLayer.setPowerIterationPaused(discriminator, true);
    try {
      d = discriminator.calculateGradients(fake, generatorLabels, null, null);
    } finally {
      SpectralNormLayer.setPowerIterationPaused(discriminator, false);
    }
    Pair<Gradient, INDArray> g = generator.backpropGradient(d.getSecond(), mgr);
    int iteration = generator.getIterationCount();
    generator.getUpdater().update(generator, g.getFirst(), iteration, generator.getEpochCount(), n,
        mgr);
    generator.params().subi(g.getFirst().gradient());
    generator.getLayerWiseConfigurations().setIterationCount(iteration + 1);
    lastFake = fake;
    lastGeneratorLoss = Double.NaN;
  }

  /**
   * The non-saturating generator loss {@code -mean log D(G(z))} on the last generator batch,
   * under the discriminator as it is now (inference mode).
   */
  public double generatorLoss() {
    if (lastFake != null && Double.isNaN(lastGeneratorLoss)) {
      INDArray p = discriminator.output(lastFake, false);
      lastGeneratorLoss = -Transforms.log(p.add(1e-12), false).meanNumber().doubleValue();
    }
    return lastGeneratorLoss;
  }

  /** The discriminator's loss on its last batch (real and generated). */
  public double discriminatorLoss() {
    return lastDiscriminatorLoss;
  }
}
