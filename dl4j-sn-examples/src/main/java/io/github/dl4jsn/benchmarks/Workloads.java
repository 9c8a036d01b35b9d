package io.github.dl4jsn.benchmarks;

import io.github.dl4jsn.conf.SpectralNormalization;
import java.util.function.UnaryOperator;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.activations.impl.ActivationLReLU;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

/**
 * The benchmark networks, mirrored one to one by {@code benchmarks/pytorch_twin.py}. Both train
 * with Adam (lr 2e-4, betas 0.0 and 0.9) on {@code softplus(-D(x))}, i.e. sigmoid cross-entropy
 * against label 1.
 */
public final class Workloads {
  private Workloads() {}

  /** Spectral normalization on every weight layer, or none. */
  public static UnaryOperator<Layer> wrap(boolean sn) {
    return sn ? SpectralNormalization::wrap : l -> l;
  }

  private static NeuralNetConfiguration.ListBuilder base(double leak) {
    return new NeuralNetConfiguration.Builder()
        .seed(1)
        .dataType(DataType.FLOAT)
        .updater(new Adam(2e-4, 0.0, 0.9, 1e-8))
        .activation(new ActivationLReLU(leak))
        .list();
  }

  private static OutputLayer criticOutput() {
    return new OutputLayer.Builder(LossFunction.XENT).nOut(1).activation(Activation.SIGMOID)
        .build();
  }

  /** mlp: Dense 784-512, LeakyReLU(0.2), Dense 512-256, LeakyReLU(0.2), output 256-1. */
  public static MultiLayerConfiguration mlp(boolean sn) {
    UnaryOperator<Layer> w = wrap(sn);
    return base(0.2)
        .layer(w.apply(new DenseLayer.Builder().nOut(512).build()))
        .layer(w.apply(new DenseLayer.Builder().nOut(256).build()))
        .layer(w.apply(criticOutput()))
        .setInputType(InputType.feedForward(784))
        .build();
  }

  /**
   * sngan_cnn32: the SN-GAN paper's standard CNN discriminator on 32x32x3: conv3x3 64 s1 p1, conv4x4
   * 64 s2 p1, conv3x3 128 s1 p1, conv4x4 128 s2 p1, conv3x3 256 s1 p1, conv4x4 256 s2 p1, conv3x3
   * 512 s1 p1, each followed by LeakyReLU(0.1), then dense to 1.
   */
  public static MultiLayerConfiguration snganCnn32(boolean sn) {
    return snganCnn32(wrap(sn));
  }

  /** As {@link #snganCnn32(boolean)}, with every weight layer passed through {@code w}. */
  public static MultiLayerConfiguration snganCnn32(UnaryOperator<Layer> w) {
    int[][] convs = {
      {3, 1, 64}, {4, 2, 64}, {3, 1, 128}, {4, 2, 128}, {3, 1, 256}, {4, 2, 256}, {3, 1, 512}
    };
    NeuralNetConfiguration.ListBuilder b = base(0.1);
    for (int[] c : convs) {
      b.layer(w.apply(new ConvolutionLayer.Builder(c[0], c[0]).stride(c[1], c[1]).padding(1, 1)
          .nOut(c[2]).build()));
    }
    return b.layer(w.apply(criticOutput()))
        .setInputType(InputType.convolutional(32, 32, 3))
        .build();
  }
}
