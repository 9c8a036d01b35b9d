package io.github.dl4jsn.examples.gan;

import io.github.dl4jsn.SpectralNorm;
import io.github.dl4jsn.examples.Charts;
import java.io.File;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.jfree.data.xy.XYSeries;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.shade.jackson.databind.ObjectMapper;
import org.nd4j.shade.jackson.databind.SerializationFeature;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The SN-GAN example on the 2-D mixtures: trains a GAN with (or without) spectral normalization in
 * the discriminator, reports PacGAN's metrics, and writes plots and {@code metrics.json}.
 */
@Command(
    name = "sngan",
    mixinStandardHelpOptions = true,
    description = "Train a GAN with a spectrally normalized discriminator on a 2-D mixture.")
public final class GanExample implements Callable<Integer> {

  private static final Logger log = LoggerFactory.getLogger(GanExample.class);

  /** The data sets this program trains on. */
  public enum Dataset {
    ring,
    grid
  }

  @Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--dataset", description = "ring or grid (default: ${DEFAULT-VALUE}).")
  Dataset dataset = Dataset.ring;

  @Option(names = "--sn", negatable = true, defaultValue = "true", fallbackValue = "true",
      description = "Spectral normalization in the discriminator (default: on; --no-sn: off).")
  boolean sn = true;

  @Option(names = "--sn-coefficient", description = "Lipschitz constant c of each "
      + "discriminator layer with --sn (default: ${DEFAULT-VALUE}).")
  double snCoefficient = 1.0;

  @Option(names = "--setting", description = "Adam setting A..F of Miyato et al. Table 1 "
      + "(default: ${DEFAULT-VALUE}).")
  AdamSetting setting = AdamSetting.C;

  @Option(names = "--steps", description = "Generator updates (default: ${DEFAULT-VALUE}).")
  int steps = 3000;

  @Option(names = "--batch-size", description = "Batch size (default: ${DEFAULT-VALUE}).")
  int batchSize = 256;

  @Option(names = "--latent", description = "Latent dimensions (default: ${DEFAULT-VALUE}).")
  int latent = 2;

  @Option(names = "--seed", description = "Random seed (default: ${DEFAULT-VALUE}).")
  long seed = 1;

  @Option(names = "--eval-samples",
      description = "Generated samples for the metrics (default: ${DEFAULT-VALUE}).")
  int evalSamples = 2500;

  @Option(names = "--log-every", description = "Progress every N steps (default: ${DEFAULT-VALUE}).")
  int logEvery = 250;

  @Option(names = "--out", description = "Output folder (default: ${DEFAULT-VALUE}).")
  File out = new File("out/sngan");

  public static void main(String[] args) {
    System.setProperty("java.awt.headless", "true");
    System.exit(new CommandLine(new GanExample()).setCaseInsensitiveEnumValuesAllowed(true)
        .execute(args));
  }

  @Override
  public Integer call() throws IOException {
    if (!(snCoefficient > 0)) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--sn-coefficient must be > 0, got " + snCoefficient);
    }
    if (steps < 1 || batchSize < 1 || latent < 1 || evalSamples < 1 || logEvery < 1) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--steps, --batch-size, --latent, --eval-samples and --log-every must be >= 1, got "
              + steps + ", " + batchSize + ", " + latent + ", " + evalSamples + ", " + logEvery);
    }
    if (!out.isDirectory() && !out.mkdirs()) {
      throw new IOException("Cannot create the output folder " + out.getAbsolutePath());
    }
    Nd4j.getRandom().setSeed(seed);
    Mixture2D mixture = dataset == Dataset.ring ? Mixture2D.ring() : Mixture2D.grid();
    MultiLayerNetwork g = new MultiLayerNetwork(GanModels.generator2d(latent, setting.adam(), seed));
    MultiLayerNetwork d =
        new MultiLayerNetwork(
            GanModels.discriminator2d(sn, snCoefficient, setting.adam(), seed + 1));
    g.init();
    d.init();
    GanTrainer trainer = new GanTrainer(g, d, latent);
    Random random = new Random(seed);

    log.info("{} GAN on {}: setting {} (lr {}, betas {}/{}, n_dis {}), {} steps, batch {}",
        sn ? "SN" : "plain", mixture.name(), setting, setting.learningRate, setting.beta1,
        setting.beta2, setting.discriminatorSteps, steps, batchSize);
    Map<String, XYSeries> sigmas = new LinkedHashMap<>();
    Map<String, XYSeries> losses = new LinkedHashMap<>();
    losses.put("discriminator", new XYSeries("discriminator"));
    losses.put("generator (non-saturating)", new XYSeries("generator (non-saturating)"));
    Map<String, XYSeries> coverage = new LinkedHashMap<>();
    coverage.put("modes covered", new XYSeries("modes covered"));
    long start = System.nanoTime();
    for (int step = 1; step <= steps; step++) {
      for (int k = 0; k < setting.discriminatorSteps; k++) {
        trainer.discriminatorStep(mixture.sample(batchSize, random));
      }
      double gLoss = trainer.generatorStep(batchSize);
      if (step % logEvery == 0 || step == steps) {
        final int at = step;
        Metrics2D m = Metrics2D.of(trainer.sample(evalSamples), mixture);
        Map<String, Double> s = SpectralNorm.sigmas(d);
        s.forEach((key, v) -> sigmas.computeIfAbsent(key, XYSeries::new).add(at, v));
        losses.get("discriminator").add(step, trainer.discriminatorLoss());
        losses.get("generator (non-saturating)").add(step, gLoss);
        coverage.get("modes covered").add(step, m.modesCovered);
        log.info("step {}/{} ({}s)  D loss {}  G loss {}  {}", step, steps,
            String.format("%.0f", (System.nanoTime() - start) / 1e9),
            String.format("%.4f", trainer.discriminatorLoss()), String.format("%.4f", gLoss), m);
      }
    }
    double seconds = (System.nanoTime() - start) / 1e9;

    INDArray samples = trainer.sample(evalSamples);
    Metrics2D metrics = Metrics2D.of(samples, mixture);
    double extent = mixture.radius() * 1.5;
    Charts.scatter(String.format("%s, %s GAN, setting %s: %d/%d modes, %.1f%% high-quality",
            mixture.name(), sn ? "SN" : "plain", setting, metrics.modesCovered, metrics.modes,
            100 * metrics.highQualityFraction),
        samples.castTo(DataType.DOUBLE).toDoubleMatrix(), mixture.modes(), extent,
        new File(out, "samples.png"));
    Charts.lines("GAN losses", "step", "loss", losses, new File(out, "losses.png"));
    Charts.lines("modes covered", "step", "modes", coverage, new File(out, "modes.png"));
    if (sn) {
      Charts.lines("sigma(W) of each discriminator layer (W_SN = W / sigma)", "step", "sigma(W)",
          sigmas, new File(out, "sigma.png"));
    }

    Map<String, Object> json = new LinkedHashMap<>();
    json.put("dataset", mixture.name());
    json.put("spectral_normalization", sn);
    json.put("sn_coefficient", sn ? snCoefficient : null);
    json.put("setting", setting.name());
    json.put("learning_rate", setting.learningRate);
    json.put("beta1", setting.beta1);
    json.put("beta2", setting.beta2);
    json.put("n_dis", setting.discriminatorSteps);
    json.put("loss", "non-saturating: D minimizes BCE(D(x),1)+BCE(D(G(z)),0); G minimizes "
        + "BCE(D(G(z)),1) = softplus(-logit)");
    json.put("steps", steps);
    json.put("batch_size", batchSize);
    json.put("latent", latent);
    json.put("seed", seed);
    json.put("train_seconds", seconds);
    json.put("metrics", metrics.toMap());
    json.put("final_sigma", SpectralNorm.sigmas(d));
    File metricsFile = new File(out, "metrics.json");
    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(metricsFile, json);

    System.out.printf("%n%s GAN on %s (setting %s, %d steps, %.0f s)%n", sn ? "SN" : "Plain",
        mixture.name(), setting, steps, seconds);
    System.out.printf("  %s%n", metrics);
    System.out.printf("  wrote %s, %s, %s%s and %s%n", new File(out, "samples.png"),
        new File(out, "losses.png"), new File(out, "modes.png"),
        sn ? ", " + new File(out, "sigma.png") : "", metricsFile);
    return 0;
  }
}
