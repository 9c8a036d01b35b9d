package io.github.dl4jsn.examples.gan;

import io.github.dl4jsn.conf.SpectralNormalization;
import java.util.function.UnaryOperator;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.Deconvolution2D;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.preprocessor.FeedForwardToCnnPreProcessor;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.activations.impl.ActivationLReLU;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

/**
 * The 2-D models of PacGAN's protocol: a generator MLP with four hidden layers of 400 units (ReLU,
 * batch normalization) and a discriminator MLP with three hidden layers of 200 units (LeakyReLU
 * 0.2). The discriminator ends in a sigmoid with binary cross-entropy: with label 1 on generated
 * samples for the generator step, that is the non-saturating loss {@code softplus(-D(G(z)))}.
 *
 * <p>The 28x28x1 image models: a DCGAN-style generator (dense to 64x7x7, two stride-2
 * deconvolutions with batch normalization and ReLU, tanh image in [-1, 1]) and a discriminator in
 * the style of the SN-GAN paper's standard CNN (alternating 3x3 stride-1 and 4x4 stride-2
 * convolutions, LeakyReLU 0.1, a dense sigmoid output), narrowed for CPUs to w-w-2w-2w channels
 * (w = 16 in the GAN example, 32 in the Lipschitz report; the paper's CIFAR network has 64 to 512).
 */
public final class GanModels {
  private GanModels() {}

  /** The generator: latent z of {@code latent} dimensions to a point in the plane. */
  public static MultiLayerConfiguration generator2d(int latent, IUpdater updater, long seed) {
    return generator2d(latent, 400, updater, seed);
  }

  /** The generator with hidden layers of {@code width} units (PacGAN: 400). */
  public static MultiLayerConfiguration generator2d(int latent, int width, IUpdater updater,
      long seed) {
    NeuralNetConfiguration.ListBuilder b = new NeuralNetConfiguration.Builder()
        .seed(seed)
        .dataType(DataType.FLOAT)
        .updater(updater)
        .weightInit(WeightInit.XAVIER)
        .list();
    for (int i = 0; i < 4; i++) {
      b.layer(new DenseLayer.Builder().nOut(width).activation(Activation.IDENTITY).build());
      // DL4J 1.0.0-M2.1's BatchNormalization ignores its activation function (its layer never
      // calls getActivationFn): the ReLU must be a layer of its own, or G is linear.
      b.layer(new BatchNormalization.Builder().build());
      b.layer(new ActivationLayer.Builder().activation(Activation.RELU).build());
    }
    // A plain last layer: the generator learns from the discriminator's input gradient, not a loss.
    return b.layer(new DenseLayer.Builder().nOut(2).activation(Activation.IDENTITY).build())
        .setInputType(InputType.feedForward(latent))
        .build();
  }

  /** The discriminator, every weight layer spectrally normalized (c = 1) or none. */
  public static MultiLayerConfiguration discriminator2d(
      boolean spectralNorm, IUpdater updater, long seed) {
    return discriminator2d(spectralNorm, 1.0, updater, seed);
  }

  /**
   * The discriminator with SN coefficient c on every weight layer (a c^4-Lipschitz network), or
   * without SN. With c = 1 and these 0.01-wide modes the discriminator barely learns: trained
   * alone for 600 steps against a Gaussian cloud its loss stays at 0.67 (c = 2: 0.54, c = 3: 0.45,
   * plain: 0.20).
   */
  public static MultiLayerConfiguration discriminator2d(
      boolean spectralNorm, double coefficient, IUpdater updater, long seed) {
    return discriminator2d(spectralNorm, coefficient, 200, updater, seed);
  }

  /** The discriminator with hidden layers of {@code width} units (PacGAN: 200). */
  public static MultiLayerConfiguration discriminator2d(boolean spectralNorm, double coefficient,
      int width, IUpdater updater, long seed) {
    UnaryOperator<Layer> wrap = spectralNorm
        ? l -> new SpectralNormalization.Builder(l).coefficient(coefficient).build()
        : l -> l;
    NeuralNetConfiguration.ListBuilder b = new NeuralNetConfiguration.Builder()
        .seed(seed)
        .dataType(DataType.FLOAT)
        .updater(updater)
        .weightInit(WeightInit.XAVIER)
        .activation(new ActivationLReLU(0.2))
        .list();
    for (int i = 0; i < 3; i++) {
      b.layer(wrap.apply(new DenseLayer.Builder().nOut(width).build()));
    }
    return b.layer(wrap.apply(new OutputLayer.Builder(LossFunction.XENT).nOut(1)
            .activation(Activation.SIGMOID).build()))
        .setInputType(InputType.feedForward(2))
        .build();
  }

  /**
   * The image discriminator's convolutions: {kernel, stride, channels as a multiple of the width},
   * padding 1 each.
   */
  public static final int[][] IMAGE_CONVS = {{3, 1, 1}, {4, 2, 1}, {3, 1, 2}, {4, 2, 2}};

  /**
   * The 28x28x1 image discriminator of width w; with {@code spectralNorm} every layer is wrapped
   * (coefficient c), its convolutions in operator-norm mode if {@code operatorNorm}.
   */
  public static MultiLayerConfiguration imageDiscriminator(boolean spectralNorm,
      boolean operatorNorm, double coefficient, int width, IUpdater updater, long seed) {
    NeuralNetConfiguration.ListBuilder b = new NeuralNetConfiguration.Builder()
        .seed(seed)
        .dataType(DataType.FLOAT)
        .updater(updater)
        .activation(new ActivationLReLU(0.1))
        .list();
    for (int[] c : IMAGE_CONVS) {
      Layer conv = new ConvolutionLayer.Builder(c[0], c[0]).stride(c[1], c[1]).padding(1, 1)
          .nOut(c[2] * width).build();
      if (spectralNorm) {
        SpectralNormalization.Builder sn =
            new SpectralNormalization.Builder(conv).coefficient(coefficient);
        conv = operatorNorm ? sn.operatorNorm().build() : sn.build();
      }
      b.layer(conv);
    }
    Layer out = new OutputLayer.Builder(LossFunction.XENT).nOut(1).activation(Activation.SIGMOID)
        .build();
    return b.layer(spectralNorm
            ? new SpectralNormalization.Builder(out).coefficient(coefficient).build() : out)
        .setInputType(InputType.convolutional(28, 28, 1))
        .build();
  }

  /** The 28x28x1 image generator: latent z to a tanh image [n, 1, 28, 28]. */
  public static MultiLayerConfiguration imageGenerator(int latent, IUpdater updater, long seed) {
    return imageGenerator(latent, 64, false, updater, seed);
  }

  /**
   * The image generator: z -> dense C x 7 x 7 -> batch norm -> deconvolution 4x4 stride 2 to
   * C / 2 x 14 x 14 -> batch norm -> deconvolution 4x4 stride 2 to 1 x 28 x 28, tanh. DL4J M2.1's
   * {@code BatchNormalization} ignores its activation, so without {@code dcganOrder} the ReLUs
   * sit in the dense and deconvolution layers, before each batch norm (the example's original
   * order); with it, each ReLU is an {@code ActivationLayer} after its batch norm (DCGAN's order).
   *
   * @param channels C, the channels of the 7 x 7 map (64 originally; even)
   */
  public static MultiLayerConfiguration imageGenerator(int latent, int channels,
      boolean dcganOrder, IUpdater updater, long seed) {
    if (channels < 2 || channels % 2 != 0) {
      throw new IllegalArgumentException("generator channels must be even and >= 2, got "
          + channels);
    }
    Activation inner = dcganOrder ? Activation.IDENTITY : Activation.RELU;
    NeuralNetConfiguration.ListBuilder b = new NeuralNetConfiguration.Builder()
        .seed(seed)
        .dataType(DataType.FLOAT)
        .updater(updater)
        .activation(inner)
        .list()
        .layer(new DenseLayer.Builder().nIn(latent).nOut(channels * 7L * 7L).build())
        .layer(new BatchNormalization.Builder().build());
    if (dcganOrder) {
      b.layer(new ActivationLayer.Builder().activation(Activation.RELU).build());
    }
    int deconv = b.getLayerwise().size();
    b.layer(new Deconvolution2D.Builder(4, 4).stride(2, 2).padding(1, 1).nOut(channels / 2)
            .build())
        .layer(new BatchNormalization.Builder().build());
    if (dcganOrder) {
      b.layer(new ActivationLayer.Builder().activation(Activation.RELU).build());
    }
    return b.layer(new Deconvolution2D.Builder(4, 4).stride(2, 2).padding(1, 1).nOut(1)
            .activation(Activation.TANH).build())
        .inputPreProcessor(deconv, new FeedForwardToCnnPreProcessor(7, 7, channels))
        .setInputType(InputType.feedForward(latent))
        .build();
  }
}
