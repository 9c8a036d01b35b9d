package io.github.dl4jsn.examples;

import io.github.dl4jsn.conf.SpectralNormalization;
import io.github.dl4jsn.samediff.SameDiffSpectralNormListener;
import io.github.dl4jsn.samediff.SpectralNormDenseSD;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * A rough, interleaved timing of one training step of the same MLP with spectral normalization
 * done by the native wrapper and by the SameDiffLayer-based {@link SpectralNormDenseSD}: steps of
 * the two networks alternate on the same batch, and the medians are compared.
 */
@Command(name = "samediff-step-timing", mixinStandardHelpOptions = true,
    description = "Native SN wrapper vs SameDiffLayer SN dense: median training-step times.")
public final class SameDiffStepTiming implements Callable<Integer> {

  @Option(names = "--steps", description = "Timed steps per network (default: ${DEFAULT-VALUE})")
  int steps = 100;

  @Option(names = "--warmup", description = "Untimed steps first (default: ${DEFAULT-VALUE})")
  int warmup = 10;

  @Option(names = "--hidden", description = "Hidden width (default: ${DEFAULT-VALUE})")
  int hidden = 256;

  @Option(names = "--batch-size", description = "Batch size (default: ${DEFAULT-VALUE})")
  int batch = 64;

  public static void main(String[] args) {
    System.exit(new CommandLine(new SameDiffStepTiming()).execute(args));
  }

  MultiLayerNetwork net(boolean sameDiff) {
    Layer h1 = sameDiff ? new SpectralNormDenseSD(784, hidden, Activation.TANH)
        : SpectralNormalization.wrap(new DenseLayer.Builder().nIn(784).nOut(hidden)
            .activation(Activation.TANH).build());
    Layer h2 = sameDiff ? new SpectralNormDenseSD(hidden, hidden, Activation.TANH)
        : SpectralNormalization.wrap(new DenseLayer.Builder().nIn(hidden).nOut(hidden)
            .activation(Activation.TANH).build());
    MultiLayerNetwork n = new MultiLayerNetwork(new NeuralNetConfiguration.Builder()
        .seed(1).dataType(DataType.FLOAT).updater(new Adam(2e-4, 0.0, 0.9, 1e-8)).list()
        .layer(h1).layer(h2)
        .layer(new OutputLayer.Builder(LossFunction.XENT).nIn(hidden).nOut(1)
            .activation(Activation.SIGMOID).build())
        .setInputType(InputType.feedForward(784))
        .build());
    n.init();
    if (sameDiff) {
      SameDiffSpectralNormListener.attach(n);
    }
    return n;
  }

  @Override
  public Integer call() {
    MultiLayerNetwork nativeNet = net(false);
    MultiLayerNetwork sdNet = net(true);
    INDArray x = Nd4j.rand(DataType.FLOAT, batch, 784);
    INDArray y = Nd4j.ones(DataType.FLOAT, batch, 1);
    double[] tNative = new double[steps];
    double[] tSd = new double[steps];
    for (int i = -warmup; i < steps; i++) {
      long t0 = System.nanoTime();
      nativeNet.fit(x, y);
      long t1 = System.nanoTime();
      sdNet.fit(x, y);
      long t2 = System.nanoTime();
      if (i >= 0) {
        tNative[i] = (t1 - t0) / 1e6;
        tSd[i] = (t2 - t1) / 1e6;
      }
    }
    double mNative = median(tNative);
    double mSd = median(tSd);
    System.out.printf(Locale.ROOT, "MLP 784-%d-%d-1, batch %d, %d interleaved steps each:%n",
        hidden, hidden, batch, steps);
    System.out.printf(Locale.ROOT, "  native SN wrapper:       median %.2f ms%n", mNative);
    System.out.printf(Locale.ROOT, "  SameDiffLayer SN dense:  median %.2f ms%n", mSd);
    System.out.printf(Locale.ROOT, "  SameDiff / native:       %.2f%n", mSd / mNative);
    return 0;
  }

  static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }
}
