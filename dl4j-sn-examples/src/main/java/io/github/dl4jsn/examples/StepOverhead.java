package io.github.dl4jsn.examples;

import io.github.dl4jsn.benchmarks.Workloads;
import java.util.Arrays;
import java.util.concurrent.Callable;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
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

  @Mixin EngineOptions engine = new EngineOptions();

  @Option(names = "--model", description = "mlp (784-512-256-1) or sngan_cnn32 (the SN-GAN "
      + "standard CNN on 3x32x32), as in the JMH benchmarks (default: ${DEFAULT-VALUE}).")
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

  @Override
  public Integer call() {
    boolean cnn = model.equals("sngan_cnn32");
    if (!cnn && !model.equals("mlp")) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--model must be mlp or sngan_cnn32, got " + model);
    }
    engine.apply(log);
    MultiLayerNetwork sn =
        new MultiLayerNetwork(cnn ? Workloads.snganCnn32(true) : Workloads.mlp(true));
    MultiLayerNetwork plain =
        new MultiLayerNetwork(cnn ? Workloads.snganCnn32(false) : Workloads.mlp(false));
    sn.init();
    plain.init();
    long[] shape = cnn ? new long[] {batch, 3, 32, 32} : new long[] {batch, 784};
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
