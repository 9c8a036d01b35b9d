package io.github.dl4jsn.examples;

import io.github.dl4jsn.SpectralNorm;
import io.github.dl4jsn.benchmarks.Workloads;
import io.github.dl4jsn.conf.SpectralNormalization;
import io.github.dl4jsn.layers.SpectralNormLayer;
import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.function.UnaryOperator;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.jfree.data.xy.XYSeries;
import org.nd4j.linalg.activations.Activation;
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
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * How far the exact sigma of W_SN drifts from 1 over a long training run, for a fixed number of
 * power iterations per step (1, 2, 5) against tolerance mode ({@code powerIterationTolerance}),
 * with and without {@code refreshForInference}; and what each costs per step.
 *
 * <p>All modes train in lockstep from the same initial weights on the same batches, so their step
 * times are measured side by side (each step: one fit per mode, in rotating order). Every {@code
 * --every} steps, after an inference pass, the exact largest singular value of every W_SN as
 * inference uses it is computed by SVD (LAPACK gesvd). Writes {@code drift.csv}, {@code
 * summary.json} and {@code drift.png} (worst |sigma - 1| over the layers, per mode).
 */
@Command(name = "sigma-drift", mixinStandardHelpOptions = true,
    description = "Exact sigma(W_SN) over training: fixed power iterations vs tolerance mode.")
public final class SigmaDriftStudy implements Callable<Integer> {

  private static final Logger log = LoggerFactory.getLogger(SigmaDriftStudy.class);

  @Mixin EngineOptions engine = new EngineOptions();

  @Option(names = "--workload", description = "mlp (8-32-32-4, Adam 1e-3, four Gaussian clusters)"
      + " or sngan-d (the SN-GAN standard CNN discriminator, Adam 2e-4 b1 0, real-vs-noise "
      + "images) (default: ${DEFAULT-VALUE}).")
  String workload = "mlp";

  @Option(names = "--steps", description = "Training steps (default: ${DEFAULT-VALUE}).")
  int steps = 10_000;

  @Option(names = "--every", description = "Steps between exact sigmas (default: ${DEFAULT-VALUE}).")
  int every = 100;

  @Option(names = "--seeds", split = ",", description = "Seeds (default: 1,2,3,4).")
  List<Long> seeds = List.of(1L, 2L, 3L, 4L);

  @Option(names = "--batch-size", description = "Batch size (default: ${DEFAULT-VALUE}).")
  int batch = 64;

  @Option(names = "--fixed", split = ",", description = "Fixed powerIterations modes, one each "
      + "(default: 1,2,5); the first is the cost baseline.")
  List<Integer> fixed = List.of(1, 2, 5);

  @Option(names = "--tolerances", split = ",", description = "powerIterationTolerance of the "
      + "tolerance modes (with refreshForInference), one mode each (default: 1e-4).")
  List<Double> tolerances = List.of(1e-4);

  @Option(names = "--max-iterations", description = "maxPowerIterations of the tolerance modes "
      + "(default: ${DEFAULT-VALUE}).")
  int maxIterations = 20;

  @Option(names = "--out", description = "Output folder (default: ${DEFAULT-VALUE}).")
  File out = new File("out/sigma-drift");

  /** One way of running the power iteration. */
  static final class Mode {
    final String name;
    final UnaryOperator<Layer> wrap;

    Mode(String name, UnaryOperator<Layer> wrap) {
      this.name = name;
      this.wrap = wrap;
    }
  }

  public static void main(String[] args) {
    System.exit(new CommandLine(new SigmaDriftStudy()).execute(args));
  }

  List<Mode> modes() {
    List<Mode> modes = new ArrayList<>();
    for (int n : fixed) {
      modes.add(new Mode("fixed " + n,
          l -> new SpectralNormalization.Builder(l).powerIterations(n).build()));
    }
    for (double tolerance : tolerances) {
      // With refreshForInference, which leaves training bit-identical: the study measures each
      // checkpoint before inference (stale, as without it) and after (refreshed).
      modes.add(new Mode("tolerance " + tolerance, l -> new SpectralNormalization.Builder(l)
          .powerIterationTolerance(tolerance).maxPowerIterations(maxIterations)
          .refreshForInference().build()));
    }
    return modes;
  }

  MultiLayerConfiguration conf(UnaryOperator<Layer> wrap, long seed) {
    if (workload.equals("sngan-d")) {
      MultiLayerConfiguration c = Workloads.snganCnn32(wrap);
      for (NeuralNetConfiguration nc : c.getConfs()) {
        nc.setSeed(seed);
      }
      return c;
    }
    return new NeuralNetConfiguration.Builder()
        .seed(seed)
        .dataType(DataType.FLOAT)
        .updater(new Adam(1e-3))
        .activation(Activation.LEAKYRELU)
        .list()
        .layer(wrap.apply(new DenseLayer.Builder().nOut(32).build()))
        .layer(wrap.apply(new DenseLayer.Builder().nOut(32).build()))
        .layer(wrap.apply(new OutputLayer.Builder(LossFunction.MCXENT).nOut(4)
            .activation(Activation.SOFTMAX).build()))
        .setInputType(InputType.feedForward(8))
        .build();
  }

  /** A batch: four 8-D Gaussian clusters (mlp), or real-like images vs noise (sngan-d). */
  DataSet batch(Random r) {
    if (workload.equals("sngan-d")) {
      // "Real": smooth images (a random low-frequency pattern); "fake": uniform noise.
      INDArray x = Nd4j.rand(DataType.FLOAT, batch, 3, 32, 32).muli(2).subi(1);
      INDArray y = Nd4j.zeros(DataType.FLOAT, batch, 1);
      for (int i = 0; i < batch / 2; i++) {
        double fx = 1 + r.nextInt(3);
        double fy = 1 + r.nextInt(3);
        double phase = r.nextDouble() * Math.PI;
        for (int c = 0; c < 3; c++) {
          for (int h = 0; h < 32; h++) {
            for (int w = 0; w < 32; w++) {
              x.putScalar(new int[] {i, c, h, w},
                  Math.sin(fx * h / 5.0 + fy * w / 5.0 + phase + c));
            }
          }
        }
        y.putScalar(i, 0, 1);
      }
      return new DataSet(x, y);
    }
    double[][] centers = new double[4][8];
    Random c = new Random(99);
    for (double[] center : centers) {
      for (int j = 0; j < 8; j++) {
        center[j] = c.nextGaussian() * 2;
      }
    }
    float[][] x = new float[batch][8];
    float[][] y = new float[batch][4];
    for (int i = 0; i < batch; i++) {
      int k = r.nextInt(4);
      for (int j = 0; j < 8; j++) {
        x[i][j] = (float) (centers[k][j] + r.nextGaussian());
      }
      y[i][k] = 1;
    }
    return new DataSet(Nd4j.createFromArray(x), Nd4j.createFromArray(y));
  }

  /** The exact largest singular value of each W_SN as inference uses it, by LAPACK SVD. */
  static Map<String, Double> exactSigmas(MultiLayerNetwork net) {
    Map<String, Double> out = new LinkedHashMap<>();
    for (Map.Entry<String, SpectralNormLayer> e : SpectralNormLayer.named(net).entrySet()) {
      SpectralNormLayer l = e.getValue();
      for (String key : l.normalizedKeys()) {
        INDArray wsn = l.normalizedWeight(key);
        INDArray m = l.getSpectralNormConfig().normalizedWeights().stream()
            .filter(w -> w.key().equals(key)).findFirst().orElseThrow().layout().matrix(wsn)
            .castTo(DataType.DOUBLE).dup('f');
        long k = Math.min(m.rows(), m.columns());
        INDArray s = Nd4j.create(DataType.DOUBLE, k);
        Nd4j.getBlasWrapper().lapack().gesvd(m, s, null, null);
        out.put(e.getKey() + "/" + key, s.maxNumber().doubleValue());
      }
    }
    return out;
  }

  @Override
  public Integer call() throws IOException {
    engine.apply(log);
    Files.createDirectories(out.toPath());
    List<Mode> modes = modes();
    Map<String, XYSeries> series = new LinkedHashMap<>();
    Map<String, Double> worst = new LinkedHashMap<>();
    Map<String, Double> worstStale = new LinkedHashMap<>();
    Map<String, List<Long>> times = new LinkedHashMap<>();
    Map<String, double[]> iterations = new LinkedHashMap<>();
    for (Mode m : modes) {
      series.put(m.name, new XYSeries(m.name));
      worst.put(m.name, 0.0);
      worstStale.put(m.name, 0.0);
      times.put(m.name, new ArrayList<>());
      iterations.put(m.name, new double[2]);
    }
    try (PrintWriter csv = new PrintWriter(new File(out, "drift.csv"), "UTF-8")) {
      csv.println("workload,seed,mode,step,view,weight,exact_sigma_w_sn");
      for (long seed : seeds) {
        List<MultiLayerNetwork> nets = new ArrayList<>();
        for (Mode m : modes) {
          MultiLayerNetwork net = new MultiLayerNetwork(conf(m.wrap, seed));
          net.init();
          nets.add(net);
        }
        // The same initial weights and vectors in every mode.
        for (int i = 1; i < nets.size(); i++) {
          nets.get(i).setParams(nets.get(0).params().dup());
        }
        Random r = new Random(seed);
        long start = System.nanoTime();
        for (int step = 1; step <= steps; step++) {
          DataSet data = batch(r);
          for (int k = 0; k < modes.size(); k++) {
            int i = (k + step) % modes.size(); // rotate the order
            long t0 = System.nanoTime();
            nets.get(i).fit(data);
            times.get(modes.get(i).name).add(System.nanoTime() - t0);
            SpectralNormLayer first = (SpectralNormLayer) nets.get(i).getLayer(0);
            double[] it = iterations.get(modes.get(i).name);
            it[0] += first.lastPowerIterations("W");
            it[1]++;
          }
          if (step % every == 0) {
            for (int i = 0; i < modes.size(); i++) {
              MultiLayerNetwork net = nets.get(i);
              String name = modes.get(i).name;
              // Before inference: the vectors as the last step left them (the stale view);
              // after an inference pass: what inference uses (refreshed in tolerance modes).
              double stale = record(csv, seed, name, step, "stale", exactSigmas(net));
              net.output(data.getFeatures(), false);
              double w = record(csv, seed, name, step, "inference", exactSigmas(net));
              worst.put(name, Math.max(worst.get(name), w));
              worstStale.put(name, Math.max(worstStale.get(name), stale));
              if (seed == seeds.get(0)) {
                series.get(name).add(step, w);
              }
            }
            csv.flush();
            double elapsed = (System.nanoTime() - start) / 1e9;
            log.info("seed {} step {}/{} ({} s, ETA {} s): worst |sigma - 1| so far {}", seed,
                step, steps, Math.round(elapsed),
                Math.round(elapsed / step * (steps - step)), format(worst));
          }
        }
      }
    }
    Map<String, Object> summary = new LinkedHashMap<>();
    double baseline = median(times.get(modes.get(0).name));
    StringBuilder json = new StringBuilder("{\n  \"workload\": \"" + workload + "\", \"steps\": "
        + steps + ", \"every\": " + every + ", \"seeds\": " + seeds + ", \"batch\": " + batch
        + ",\n  \"modes\": {\n");
    for (int i = 0; i < modes.size(); i++) {
      String name = modes.get(i).name;
      double med = median(times.get(name));
      double[] it = iterations.get(name);
      json.append(String.format(Locale.ROOT, "    \"%s\": {\"worst_abs_sigma_minus_1\": %.4f, "
          + "\"worst_before_inference\": %.4f, "
          + "\"median_step_ms\": %.3f, \"step_cost_vs_fixed_1\": %.3f, "
          + "\"mean_power_iterations_layer0\": %.2f}%s%n", name, worst.get(name),
          worstStale.get(name), med / 1e6, med / baseline, it[0] / it[1],
          i + 1 < modes.size() ? "," : ""));
      summary.put(name, worst.get(name));
    }
    json.append("  }\n}\n");
    Files.writeString(new File(out, "summary.json").toPath(), json.toString());
    Charts.lines("Worst |sigma(W_SN) - 1| over the layers (" + workload + ", seed "
        + seeds.get(0) + ")", "training step", "|sigma - 1|", series,
        new File(out, "drift.png"));
    log.info("Summary:\n{}", json);
    return 0;
  }

  /** Writes one checkpoint's exact sigmas; returns the worst |sigma - 1|. */
  private double record(PrintWriter csv, long seed, String mode, int step, String view,
      Map<String, Double> sigmas) {
    double w = 0;
    for (Map.Entry<String, Double> e : sigmas.entrySet()) {
      csv.printf(Locale.ROOT, "%s,%d,%s,%d,%s,%s,%.6f%n", workload, seed, mode, step, view,
          e.getKey(), e.getValue());
      w = Math.max(w, Math.abs(e.getValue() - 1));
    }
    return w;
  }

  private static String format(Map<String, Double> worst) {
    StringBuilder sb = new StringBuilder();
    worst.forEach((k, v) -> sb.append(String.format(Locale.ROOT, "%s %.4f; ", k, v)));
    return sb.toString();
  }

  private static double median(List<Long> xs) {
    long[] a = xs.stream().mapToLong(Long::longValue).toArray();
    Arrays.sort(a);
    return a.length == 0 ? Double.NaN : a[a.length / 2];
  }
}
