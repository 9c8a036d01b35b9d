package io.github.dl4jsn.examples.lipschitz;

import io.github.dl4jsn.SpectralNorm;
import io.github.dl4jsn.conf.NormalizedWeight;
import io.github.dl4jsn.conf.SpectralNormalization;
import io.github.dl4jsn.examples.Charts;
import io.github.dl4jsn.examples.EngineOptions;
import io.github.dl4jsn.examples.gan.GanModels;
import io.github.dl4jsn.examples.gan.GanTrainer;
import io.github.dl4jsn.examples.gan.IdxImages;
import io.github.dl4jsn.inspect.SingularValues;
import io.github.dl4jsn.layers.SpectralNormLayer;
import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.jfree.data.xy.XYSeries;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Reshaped-kernel versus operator-norm spectral normalization of a convolutional GAN discriminator
 * on MNIST: trains the same GAN once per mode and reports, per conv layer, the operator norm of
 * W_SN next to its reshaped-kernel sigma; the network Lipschitz bound of each discriminator next to
 * an empirical lower bound (the largest input-gradient norm of D over real and generated images);
 * the time per step of each mode, measured in the same run; and the GAN losses, with sample grids.
 */
@Command(name = "conv-lipschitz-report", mixinStandardHelpOptions = true,
    description = "Compare reshaped-kernel and operator-norm SN on an MNIST conv discriminator.")
public final class ConvLipschitzReport implements Callable<Integer> {

  private static final Logger log = LoggerFactory.getLogger(ConvLipschitzReport.class);

  @Mixin EngineOptions engine = new EngineOptions();

  @Option(names = "--steps", description = "GAN steps per mode (default: ${DEFAULT-VALUE})")
  int steps = 300;

  @Option(names = "--batch-size", description = "Real images per step (default: ${DEFAULT-VALUE})")
  int batch = 32;

  @Option(names = "--data", description = "MNIST folder (default: ${DEFAULT-VALUE})")
  File data = new File("data/mnist");

  @Option(names = "--synthetic",
      description = "Use synthetic 28x28 blob images instead of MNIST (for smoke runs)")
  boolean synthetic;

  @Option(names = "--log-every", description = "Progress every N steps (default: ${DEFAULT-VALUE})")
  int logEvery = 25;

  @Option(names = "--measure-iterations",
      description = "Most power iterations when measuring operator norms "
          + "(default: ${DEFAULT-VALUE})")
  int measureIterations = 2000;

  @Option(names = "--seed", description = "Random seed (default: ${DEFAULT-VALUE})")
  long seed = 1;

  @Option(names = "--out", description = "Output folder (default: ${DEFAULT-VALUE})")
  File out = new File("target/conv-lipschitz");

  static final int LATENT = 32;
  static final int WIDTH = 32;

  public static void main(String[] args) {
    System.exit(new CommandLine(new ConvLipschitzReport()).execute(args));
  }

  /** The discriminator: four convolutions (3x3 s1, 4x4 s2, 3x3 s1, 4x4 s2) and a sigmoid output. */
  static MultiLayerConfiguration discriminator(boolean operatorNorm, long seed) {
    return GanModels.imageDiscriminator(true, operatorNorm, 1.0, WIDTH, adam(), seed);
  }

  private static Adam adam() {
    return new Adam(2e-4, 0.5, 0.999, 1e-8);
  }

  @Override
  public Integer call() throws Exception {
    if (!out.isDirectory() && !out.mkdirs()) {
      throw new IOException("Cannot create output folder " + out);
    }
    engine.apply(log);
    INDArray images = synthetic ? syntheticImages(512, seed) : IdxImages.load(data, "train",
        "mnist").images;
    log.info("{} images of {}", images.size(0), synthetic ? "synthetic blobs" : data);
    Map<String, Result> results = run(images);
    write(results);
    return 0;
  }

  /** What one mode's run measured. */
  static final class Result {
    final List<String[]> layers = new ArrayList<>();
    double bound;
    double empirical;
    double msPerStep;
    double dLoss;
    double gLoss;
    final XYSeries dLosses = new XYSeries("D loss");
  }

  /** One GAN per mode, trained in lockstep so that both step times come from the same run. */
  Map<String, Result> run(INDArray images) throws IOException {
    String[] modes = {"reshaped", "operator"};
    GanTrainer[] trainers = new GanTrainer[2];
    MultiLayerNetwork[] ds = new MultiLayerNetwork[2];
    Random[] rs = new Random[2];
    Map<String, Result> results = new LinkedHashMap<>();
    for (int m = 0; m < 2; m++) {
      Nd4j.getRandom().setSeed(seed);
      ds[m] = new MultiLayerNetwork(discriminator(m == 1, seed));
      ds[m].init();
      MultiLayerNetwork g = new MultiLayerNetwork(ganGenerator(seed));
      g.init();
      trainers[m] = new GanTrainer(g, ds[m], LATENT);
      rs[m] = new Random(seed);
      results.put(modes[m], new Result());
    }
    long[] nanos = new long[2];
    for (int step = 1; step <= steps; step++) {
      for (int m = 0; m < 2; m++) {
        long t0 = System.nanoTime();
        trainers[m].discriminatorStep(batch(images, rs[m]));
        trainers[m].generatorStep(batch);
        nanos[m] += System.nanoTime() - t0;
        results.get(modes[m]).dLosses.add(step, trainers[m].discriminatorLoss());
      }
      if (step % logEvery == 0 || step == steps) {
        log.info("step {}/{}: D loss reshaped {} operator {}; ms/step reshaped {} operator {}",
            step, steps, fmt(trainers[0].discriminatorLoss()),
            fmt(trainers[1].discriminatorLoss()), fmt(nanos[0] / 1e6 / step),
            fmt(nanos[1] / 1e6 / step));
      }
    }
    for (int m = 0; m < 2; m++) {
      Result res = results.get(modes[m]);
      res.msPerStep = nanos[m] / 1e6 / steps;
      res.dLoss = trainers[m].discriminatorLoss();
      res.gLoss = trainers[m].generatorLoss();
      measure(ds[m], m == 1, res);
      res.empirical = Math.max(maxInputGradient(ds[m], batch(images, rs[m])),
          maxInputGradient(ds[m], trainers[m].sample(batch)));
      Charts.imageGrid(trainers[m].sample(64), 8, new File(out, "samples-" + modes[m] + ".png"));
    }
    return results;
  }

  /** Per conv layer: reshaped-kernel sigma and operator norm of W_SN; the network bound. */
  void measure(MultiLayerNetwork d, boolean operator, Result res) {
    log.info("Measuring the {} discriminator's layers (power iteration to convergence)",
        operator ? "operator-mode" : "reshaped-mode");
    for (Map.Entry<String, SpectralNormLayer> e : SpectralNormLayer.named(d).entrySet()) {
      SpectralNormLayer l = e.getValue();
      if (!(l.getSpectralNormConfig().getUnderlying() instanceof ConvolutionLayer)) {
        continue;
      }
      NormalizedWeight nw = SpectralNormalization.weightsOf(
          l.getSpectralNormConfig().getUnderlying()).get(0);
      double reshaped = SingularValues.largest(nw.layout().matrix(l.normalizedWeight("W")));
      double operatorNorm = operator ? l.exactSigma("W", measureIterations)
          : operatorNormOf(l, seed, measureIterations);
      res.layers.add(new String[] {e.getKey(), fmt(reshaped), fmt(operatorNorm),
          fmt(operatorNorm / reshaped)});
      log.info("  {}: reshaped-kernel sigma {}, operator norm {}", e.getKey(), fmt(reshaped),
          fmt(operatorNorm));
    }
    res.bound = SpectralNorm.lipschitzUpperBound(d);
  }

  /** The generator, ending in a tanh image. */
  static MultiLayerConfiguration ganGenerator(long seed) {
    return GanModels.imageGenerator(LATENT, adam(), seed);
  }

  /**
   * The operator norm of a reshaped-mode layer's W_SN: an operator-mode twin of the layer's
   * convolution on the same input size, its weight set to W_SN, run to convergence.
   */
  static double operatorNormOf(SpectralNormLayer l, long seed, int maxIterations) {
    ConvolutionLayer conv = (ConvolutionLayer) l.getSpectralNormConfig().getUnderlying().clone();
    InputType in = inputTypeOf(l);
    MultiLayerNetwork twin = new MultiLayerNetwork(new NeuralNetConfiguration.Builder()
        .seed(seed).dataType(DataType.FLOAT).list()
        .layer(new SpectralNormalization.Builder(conv).operatorNorm(in).warmupIterations(0)
            .build())
        .layer(new org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer.Builder().build())
        .layer(new OutputLayer.Builder(LossFunction.MSE).nOut(1).activation(Activation.IDENTITY)
            .build())
        .setInputType(in)
        .build());
    twin.init();
    SpectralNormLayer t = (SpectralNormLayer) twin.getLayer(0);
    t.getInnerLayer().setParam("W", l.normalizedWeight("W"));
    // exactSigma normalizes by the twin's own estimate first; undo that to get the norm of W_SN.
    double ofNormalized = t.exactSigma("W", maxIterations);
    return Math.abs(ofNormalized * t.sigma("W").getDouble());
  }

  /** The input type each discriminator conv layer sees (28x28 halved by each stride 2). */
  static InputType inputTypeOf(SpectralNormLayer l) {
    ConvolutionLayer c = (ConvolutionLayer) l.getSpectralNormConfig().getUnderlying();
    int index = l.getIndex();
    long size = 28;
    int[][] convs = GanModels.IMAGE_CONVS;
    for (int i = 0; i < index; i++) {
      size = size / convs[i][1];
    }
    return InputType.convolutional(size, size, c.getNIn());
  }

  /**
   * The largest norm of dD(x)/dx over a batch: a lower bound on D's Lipschitz constant. With the
   * loss L = -log D(x) for label 1, dD/dx = -D(x) dL/dx. DL4J's input gradient (epsilon) is per
   * example: the division by the batch size happens in the updater.
   */
  static double maxInputGradient(MultiLayerNetwork d, INDArray x) {
    int n = (int) x.size(0);
    SpectralNormLayer.setPowerIterationPaused(d, true);
    try {
      INDArray eps = d.calculateGradients(x, Nd4j.ones(DataType.FLOAT, n, 1), null, null)
          .getSecond();
      INDArray p = d.output(x, false);
      double best = 0;
      for (int i = 0; i < n; i++) {
        double norm = eps.get(NDArrayIndex.point(i)).norm2Number().doubleValue()
            * p.getDouble(i, 0);
        best = Math.max(best, norm);
      }
      return best;
    } finally {
      SpectralNormLayer.setPowerIterationPaused(d, false);
    }
  }

  /** {@link #batch} random images. */
  INDArray batch(INDArray images, Random r) {
    int n = (int) images.size(0);
    int[] idx = new int[batch];
    for (int i = 0; i < idx.length; i++) {
      idx[i] = r.nextInt(n);
    }
    return Nd4j.pullRows(images.reshape(images.size(0), 28 * 28), 1, idx)
        .reshape(idx.length, 1, 28, 28);
  }

  /** Bright blobs at random places on a dark 28x28 field, in [-1, 1]. */
  static INDArray syntheticImages(int n, long seed) {
    Random r = new Random(seed);
    INDArray x = Nd4j.zeros(DataType.FLOAT, n, 1, 28, 28).subi(1);
    for (int i = 0; i < n; i++) {
      int cy = 6 + r.nextInt(16);
      int cx = 6 + r.nextInt(16);
      for (int y = 0; y < 28; y++) {
        for (int xx = 0; xx < 28; xx++) {
          double d2 = (y - cy) * (y - cy) + (xx - cx) * (xx - cx);
          x.putScalar(new int[] {i, 0, y, xx}, 2 * Math.exp(-d2 / 18.0) - 1);
        }
      }
    }
    return x;
  }

  void write(Map<String, Result> results) throws IOException {
    Map<String, XYSeries> losses = new LinkedHashMap<>();
    try (PrintWriter w = new PrintWriter(new File(out, "report.md"), StandardCharsets.UTF_8)) {
      w.printf(Locale.ROOT, "Steps per mode: %d, batch %d, data: %s%n%n", steps, batch,
          synthetic ? "synthetic blobs" : data);
      w.println("| mode | layer | reshaped-kernel sigma of W_SN | operator norm of W_SN | ratio |");
      w.println("|---|---|---|---|---|");
      for (Map.Entry<String, Result> e : results.entrySet()) {
        for (String[] l : e.getValue().layers) {
          w.printf("| %s | %s | %s | %s | %s |%n", e.getKey(), l[0], l[1], l[2], l[3]);
        }
      }
      w.println();
      w.println("| mode | Lipschitz upper bound | largest input-gradient norm | ms/step | "
          + "final D loss | final G loss |");
      w.println("|---|---|---|---|---|---|");
      for (Map.Entry<String, Result> e : results.entrySet()) {
        Result r = e.getValue();
        w.printf("| %s | %s | %s | %s | %s | %s |%n", e.getKey(), fmt(r.bound),
            fmt(r.empirical), fmt(r.msPerStep), fmt(r.dLoss), fmt(r.gLoss));
        XYSeries s = r.dLosses;
        s.setKey(e.getKey() + " D loss");
        losses.put(e.getKey(), s);
      }
      double ratio = results.get("operator").msPerStep / results.get("reshaped").msPerStep;
      w.printf(Locale.ROOT, "%nOperator-mode step time / reshaped-mode step time: %.2f%n", ratio);
    }
    Charts.lines("Discriminator loss", "step", "loss", losses, new File(out, "d-loss.png"));
    log.info("Wrote {}", new File(out, "report.md"));
    System.out.println(java.nio.file.Files.readString(new File(out, "report.md").toPath()));
  }

  static String fmt(double x) {
    return String.format(Locale.ROOT, "%.4g", x);
  }
}
