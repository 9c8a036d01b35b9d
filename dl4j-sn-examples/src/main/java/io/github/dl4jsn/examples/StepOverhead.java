package io.github.dl4jsn.examples;

import io.github.dl4jsn.conf.SpectralNormalization;
import java.util.Arrays;
import java.util.concurrent.Callable;
import java.util.function.UnaryOperator;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.activations.impl.ActivationLReLU;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * A quick, rough overhead check: one training step (forward, backward, Adam) of a network with
 * spectral normalization on every weight layer against the same network without it, interleaved
 * step by step in one run. The benchmark module measures this properly with JMH.
 */
@Command(name = "step-overhead", mixinStandardHelpOptions = true,
    description = "Time a training step with and without spectral normalization, side by side.")
public final class StepOverhead implements Callable<Integer> {

  @Spec CommandLine.Model.CommandSpec spec;

  private static final Logger log = LoggerFactory.getLogger(StepOverhead.class);

  @Option(names = "--model", description = "mlp (784-512-256-1) or cnn (3x32x32, 3 convs) "
      + "(default: ${DEFAULT-VALUE}).")
  String model = "mlp";

  @Option(names = "--steps", description = "Timed steps per network (default: ${DEFAULT-VALUE}).")
  int steps = 200;

  @Option(names = "--warmup", description = "Untimed steps first (default: ${DEFAULT-VALUE}).")
  int warmup = 30;

  @Option(names = "--batch-size", description = "Batch size (default: ${DEFAULT-VALUE}).")
  int batch = 64;

  public static void main(String[] args) {
    System.exit(new CommandLine(new StepOverhead()).execute(args));
  }

  MultiLayerConfiguration conf(UnaryOperator<Layer> wrap) {
    NeuralNetConfiguration.ListBuilder b = new NeuralNetConfiguration.Builder()
        .seed(1)
        .dataType(DataType.FLOAT)
        .updater(new Adam(2e-4, 0.0, 0.9, 1e-8))
        .activation(new ActivationLReLU(0.2))
        .list();
    if (model.equals("cnn")) {
      return b.layer(wrap.apply(new ConvolutionLayer.Builder(3, 3).padding(1, 1).nOut(64).build()))
          .layer(wrap.apply(new ConvolutionLayer.Builder(4, 4).stride(2, 2).padding(1, 1).nOut(64)
              .build()))
          .layer(wrap.apply(new ConvolutionLayer.Builder(3, 3).padding(1, 1).nOut(128).build()))
          .layer(wrap.apply(new OutputLayer.Builder(LossFunction.XENT).nOut(1)
              .activation(org.nd4j.linalg.activations.Activation.SIGMOID).build()))
          .setInputType(InputType.convolutional(32, 32, 3))
          .build();
    }
    return b.layer(wrap.apply(new DenseLayer.Builder().nOut(512).build()))
        .layer(wrap.apply(new DenseLayer.Builder().nOut(256).build()))
        .layer(wrap.apply(new OutputLayer.Builder(LossFunction.XENT).nOut(1)
            .activation(org.nd4j.linalg.activations.Activation.SIGMOID).build()))
        .setInputType(InputType.feedForward(784))
        .build();
  }

  @Override
  public Integer call() {
    if (!model.equals("mlp") && !model.equals("cnn")) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--model must be mlp or cnn, got " + model);
    }
    MultiLayerNetwork sn = new MultiLayerNetwork(conf(SpectralNormalization::wrap));
    MultiLayerNetwork plain = new MultiLayerNetwork(conf(l -> l));
    sn.init();
    plain.init();
    long[] shape = model.equals("cnn") ? new long[] {batch, 3, 32, 32} : new long[] {batch, 784};
    INDArray x = Nd4j.rand(DataType.FLOAT, shape);
    INDArray y = Nd4j.ones(DataType.FLOAT, batch, 1);
    DataSet data = new DataSet(x, y);
    long[] a = new long[steps];
    long[] b = new long[steps];
    for (int i = -warmup; i < steps; i++) {
      long t0 = System.nanoTime();
      sn.fit(data);
      long t1 = System.nanoTime();
      plain.fit(data);
      long t2 = System.nanoTime();
      if (i >= 0) {
        a[i] = t1 - t0;
        b[i] = t2 - t1;
      }
      if ((i + warmup + 1) % 50 == 0) {
        log.info("step {}/{}", i + warmup + 1, steps + warmup);
      }
    }
    Arrays.sort(a);
    Arrays.sort(b);
    double ma = a[steps / 2] / 1e6;
    double mb = b[steps / 2] / 1e6;
    System.out.printf("%s batch %d, %d interleaved steps: median %.3f ms with SN, %.3f ms without;"
        + " ratio %.3f (min %.3f / %.3f)%n", model, batch, steps, ma, mb, ma / mb, a[0] / 1e6,
        b[0] / 1e6);
    System.out.printf("  quartiles with SN %.2f / %.2f / %.2f ms, without %.2f / %.2f / %.2f ms%n",
        a[steps / 4] / 1e6, ma, a[3 * steps / 4] / 1e6, b[steps / 4] / 1e6, mb,
        b[3 * steps / 4] / 1e6);
    return 0;
  }
}
