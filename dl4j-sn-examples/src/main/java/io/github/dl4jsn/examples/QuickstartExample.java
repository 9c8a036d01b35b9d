package io.github.dl4jsn.examples;

import io.github.dl4jsn.SpectralNorm;
import io.github.dl4jsn.conf.SpectralNormalization;
import java.io.File;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.function.UnaryOperator;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.jfree.data.xy.XYSeries;
import org.nd4j.evaluation.classification.Evaluation;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
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
 * Quickstart: wraps every layer of an MLP with {@link SpectralNormalization}, trains it on the
 * 8-Gaussian ring (generated, no download), prints each layer's sigma while training, and times a
 * training step against the same network without spectral normalization, side by side.
 *
 * <p>Writes {@code sigma.png} (sigma per layer over training) and {@code loss.png} to {@code
 * --out}.
 */
@Command(
    name = "quickstart",
    mixinStandardHelpOptions = true,
    description = "Train an MLP with spectral normalization on the 8-Gaussian ring.")
public final class QuickstartExample implements Callable<Integer> {

  @Spec CommandLine.Model.CommandSpec spec;

  private static final Logger log = LoggerFactory.getLogger(QuickstartExample.class);

  @Option(names = "--steps", description = "Training steps (default: ${DEFAULT-VALUE}).")
  int steps = 400;

  @Option(names = "--batch-size", description = "Examples per step (default: ${DEFAULT-VALUE}).")
  int batchSize = 128;

  @Option(names = "--hidden", description = "Hidden units per layer (default: ${DEFAULT-VALUE}).")
  int hidden = 128;

  @Option(names = "--power-iterations",
      description = "Power iterations per step (default: ${DEFAULT-VALUE}).")
  int powerIterations = SpectralNormalization.DEFAULT_POWER_ITERATIONS;

  @Option(names = "--coefficient",
      description = "Target Lipschitz constant per layer (default: ${DEFAULT-VALUE}).")
  double coefficient = SpectralNormalization.DEFAULT_COEFFICIENT;

  @Option(names = "--seed", description = "Random seed (default: ${DEFAULT-VALUE}).")
  long seed = 42;

  @Option(names = "--log-every", description = "Progress every N steps (default: ${DEFAULT-VALUE}).")
  int logEvery = 50;

  @Option(names = "--out", description = "Output folder for plots (default: ${DEFAULT-VALUE}).")
  File out = new File("out/quickstart");

  @Option(names = "--no-compare", negatable = true,
      description = "Also train the plain twin and time both (default: on).")
  boolean compare = true;

  public static void main(String[] args) {
    System.setProperty("java.awt.headless", "true");
    System.exit(new CommandLine(new QuickstartExample()).execute(args));
  }

  /** The example network; {@code wrap} decides which layers get spectral normalization. */
  MultiLayerConfiguration network(UnaryOperator<org.deeplearning4j.nn.conf.layers.Layer> wrap) {
    return new NeuralNetConfiguration.Builder()
        .seed(seed)
        .dataType(DataType.FLOAT)
        .updater(new Adam(2e-3))
        .activation(Activation.LEAKYRELU)
        .list()
        .layer(wrap.apply(new DenseLayer.Builder().nOut(hidden).build()))
        .layer(wrap.apply(new DenseLayer.Builder().nOut(hidden).build()))
        .layer(wrap.apply(new OutputLayer.Builder(LossFunction.MCXENT).nOut(8)
            .activation(Activation.SOFTMAX).build()))
        .setInputType(InputType.feedForward(2))
        .build();
  }

  /** Points from 8 Gaussians (std 0.25) on a circle of radius 2, labelled by Gaussian. */
  static DataSet ring(int n, Random r) {
    float[][] x = new float[n][2];
    float[][] y = new float[n][8];
    for (int i = 0; i < n; i++) {
      int k = r.nextInt(8);
      double a = 2 * Math.PI * k / 8;
      x[i][0] = (float) (2 * Math.cos(a) + 0.25 * r.nextGaussian());
      x[i][1] = (float) (2 * Math.sin(a) + 0.25 * r.nextGaussian());
      y[i][k] = 1;
    }
    return new DataSet(Nd4j.createFromArray(x), Nd4j.createFromArray(y));
  }

  @Override
  public Integer call() throws IOException {
    if (steps < 1 || batchSize < 1 || hidden < 1 || logEvery < 1) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--steps, --batch-size, --hidden and --log-every must be >= 1, got " + steps + ", "
              + batchSize + ", " + hidden + ", " + logEvery);
    }
    MultiLayerNetwork sn = new MultiLayerNetwork(network(l ->
        new SpectralNormalization.Builder(l).powerIterations(powerIterations)
            .coefficient(coefficient).build()));
    sn.init();
    MultiLayerNetwork plain = compare ? new MultiLayerNetwork(network(l -> l)) : null;
    if (plain != null) {
      plain.init();
    }
    Random r = new Random(seed);
    DataSet test = ring(2000, new Random(seed + 1));

    Map<String, XYSeries> sigmaSeries = new LinkedHashMap<>();
    XYSeries snLoss = new XYSeries("with SN");
    XYSeries plainLoss = new XYSeries("without SN");
    List<Long> snNanos = new ArrayList<>();
    List<Long> plainNanos = new ArrayList<>();
    log.info("Training {} steps, batch {}, layers {}-{}-{}-8, SN on every layer{}", steps,
        batchSize, 2, hidden, hidden, compare ? " (and the plain twin, timed side by side)" : "");
    for (int step = 1; step <= steps; step++) {
      DataSet batch = ring(batchSize, r);
      boolean timed = step > steps / 10; // the first tenth warms up the JIT and workspaces
      long t0 = System.nanoTime();
      sn.fit(batch);
      long t1 = System.nanoTime();
      if (plain != null) {
        plain.fit(batch);
      }
      long t2 = System.nanoTime();
      if (timed) {
        snNanos.add(t1 - t0);
        plainNanos.add(t2 - t1);
      }
      if (step % logEvery == 0 || step == steps) {
        Map<String, Double> s = SpectralNorm.sigmas(sn);
        final int at = step;
        s.forEach((k, v) -> sigmaSeries.computeIfAbsent(k, XYSeries::new).add(at, v));
        snLoss.add(step, sn.score());
        if (plain != null) {
          plainLoss.add(step, plain.score());
        }
        log.info("step {}/{}  loss {}  sigma {}", step, steps, String.format("%.4f", sn.score()),
            format(s));
      }
    }

    Evaluation eval = evaluate(sn, test);
    System.out.println();
    System.out.println("Spectral normalization quickstart (8-Gaussian ring, " + steps + " steps)");
    System.out.printf("  test accuracy with SN: %.4f%n", eval.accuracy());
    System.out.println("  sigma per layer (u^T M v from the stored vectors; W_SN = W / sigma):");
    SpectralNorm.sigmas(sn).forEach((k, v) -> System.out.printf("    %-12s %.6f%n", k, v));
    if (plain != null) {
      Evaluation plainEval = evaluate(plain, test);
      double a = median(snNanos) / 1e6;
      double b = median(plainNanos) / 1e6;
      System.out.printf("  test accuracy without SN: %.4f%n", plainEval.accuracy());
      System.out.printf(
          "  median training step: %.3f ms with SN, %.3f ms without (ratio %.3f; interleaved, "
              + "same batches)%n", a, b, a / b);
    }

    if (!out.isDirectory() && !out.mkdirs()) {
      throw new IOException("Cannot create output folder " + out.getAbsolutePath());
    }
    Charts.lines("sigma(W) per layer, estimated by power iteration (W_SN = W / sigma)", "step",
        "sigma(W)", sigmaSeries, new File(out, "sigma.png"));
    Map<String, XYSeries> losses = new LinkedHashMap<>();
    losses.put("with SN", snLoss);
    if (plain != null) {
      losses.put("without SN", plainLoss);
    }
    Charts.lines("training loss", "step", "loss", losses, new File(out, "loss.png"));
    System.out.println("  plots: " + new File(out, "sigma.png") + ", " + new File(out, "loss.png"));
    return 0;
  }

  private static Evaluation evaluate(MultiLayerNetwork net, DataSet data) {
    Evaluation eval = new Evaluation(8);
    eval.eval(data.getLabels(), net.output(data.getFeatures(), false));
    return eval;
  }

  private static String format(Map<String, Double> s) {
    StringBuilder sb = new StringBuilder();
    s.forEach((k, v) -> sb.append(sb.length() == 0 ? "" : ", ").append(k).append('=')
        .append(String.format("%.4f", v)));
    return sb.toString();
  }

  private static double median(List<Long> values) {
    long[] a = values.stream().mapToLong(Long::longValue).sorted().toArray();
    return a.length == 0 ? Double.NaN : a[a.length / 2];
  }
}
