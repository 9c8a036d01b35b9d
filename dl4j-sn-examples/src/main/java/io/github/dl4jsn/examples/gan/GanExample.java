package io.github.dl4jsn.examples.gan;

import io.github.dl4jsn.SpectralNorm;
import io.github.dl4jsn.accel.HelperReport;
import io.github.dl4jsn.examples.Charts;
import io.github.dl4jsn.examples.EngineOptions;
import java.io.File;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
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
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The SN-GAN example: trains a GAN with (or without) spectral normalization in the discriminator
 * on a 2-D Gaussian mixture (ring, grid) or on 28x28 images (MNIST, Fashion-MNIST), reports
 * PacGAN's metrics (2-D) or classifier-based metrics (images), and writes plots and
 * {@code metrics.json}.
 */
@Command(
    name = "sngan",
    mixinStandardHelpOptions = true,
    description = "Train a GAN with a spectrally normalized discriminator on a 2-D mixture or on "
        + "MNIST / Fashion-MNIST.")
public final class GanExample implements Callable<Integer> {

  private static final Logger log = LoggerFactory.getLogger(GanExample.class);

  /** The data sets this program trains on. */
  public enum Dataset {
    RING("ring"),
    GRID("grid"),
    MNIST("mnist"),
    FASHION_MNIST("fashion-mnist");

    private final String id;

    Dataset(String id) {
      this.id = id;
    }

    /** The name on the command line and in file names. */
    public String id() {
      return id;
    }

    boolean isImage() {
      return this == MNIST || this == FASHION_MNIST;
    }

    @Override
    public String toString() {
      return id;
    }

    static Dataset parse(String s) {
      for (Dataset d : values()) {
        if (d.id.equalsIgnoreCase(s)) {
          return d;
        }
      }
      throw new CommandLine.TypeConversionException("unknown dataset '" + s
          + "'; expected ring, grid, mnist or fashion-mnist");
    }
  }

  @Spec CommandLine.Model.CommandSpec spec;

  @Mixin EngineOptions engine = new EngineOptions();

  @Option(names = "--dataset", converter = DatasetConverter.class,
      description = "ring, grid, mnist or fashion-mnist (default: ${DEFAULT-VALUE}).")
  Dataset dataset = Dataset.RING;

  @Option(names = "--sn", negatable = true, defaultValue = "true", fallbackValue = "true",
      description = "Spectral normalization in the discriminator (default: on; --no-sn: off).")
  boolean sn = true;

  @Option(names = "--sn-coefficient", description = "Lipschitz constant c of each "
      + "discriminator layer with --sn (default: ${DEFAULT-VALUE}).")
  double snCoefficient = 1.0;

  @Option(names = "--operator-norm", description = "Images: normalize the discriminator's "
      + "convolutions by their exact operator norm instead of the reshaped kernel's sigma.")
  boolean operatorNorm;

  @Option(names = "--width", description = "Images: channels of the discriminator's first two "
      + "convolutions; the last two have twice as many (default: ${DEFAULT-VALUE}).")
  int width = 16;

  @Option(names = "--g-channels", description = "Images: channels C of the generator's 7 x 7 "
      + "map (C / 2 at 14 x 14; even; default: ${DEFAULT-VALUE}).")
  int generatorChannels = 64;

  @Option(names = "--g-order", description = "Images: where the generator's ReLUs sit: dl4j "
      + "(default: in the dense and deconvolution layers, before each batch norm, the original "
      + "example) or dcgan (after each batch norm, DCGAN's order).")
  String generatorOrder = "dl4j";

  @Option(names = "--g-width", description = "2-D: units of each of the generator's four hidden "
      + "layers (default: 128 quick, 400 pacgan).")
  Integer generatorWidth;

  @Option(names = "--d-width", description = "2-D: units of each of the discriminator's three "
      + "hidden layers (default: 128 quick, 200 pacgan).")
  Integer discriminatorWidth;

  @Option(names = "--protocol", description = "2-D: quick (default: ring of radius 2 with std "
      + "0.02, G 4x128 and D 3x128 units, lr 1e-3 decaying linearly to 0, 4000 steps; learns the "
      + "ring in about 3 minutes) or pacgan (PacGAN's ring of radius 1 with std 0.01, G 4x400 and "
      + "D 3x200, the setting's constant lr, 1500 steps). Explicit options override either.")
  String protocol = "quick";

  @Option(names = "--setting", description = "Adam setting A..F of Miyato et al. Table 1: betas "
      + "and n_dis, and the learning rate unless --lr or the quick protocol sets it (default: C).")
  AdamSetting settingOption;

  /** The Adam setting in use. */
  private AdamSetting setting = AdamSetting.C;

  @Option(names = "--lr", description = "Learning rate of both Adams, overriding the setting's.")
  Double learningRate;

  @Option(names = "--n-dis", description = "Discriminator updates per generator update, "
      + "overriding the setting's.")
  Integer discriminatorSteps;

  @Option(names = "--lr-decay", negatable = true, description = "Decay both learning rates "
      + "linearly to 0 over the run (default: on in the quick 2-D protocol, off otherwise).")
  Boolean learningRateDecay;

  @Option(names = "--ring-radius", description = "Ring: radius of the circle of modes "
      + "(default: 2 quick, 1 pacgan).")
  Double ringRadius;

  @Option(names = "--mode-std", description = "2-D: standard deviation of each mode "
      + "(default: ring 0.02 quick, 0.01 pacgan; grid 0.05).")
  Double modeStd;

  @Option(names = "--steps", description = "Generator updates (default: 2000 for the quick 2-D "
      + "protocol, 1500 for pacgan, 2000 for images).")
  Integer steps;

  @Option(names = "--batch-size", description = "Batch size (default: 256 for 2-D, 64 for "
      + "images).")
  Integer batchSize;

  @Option(names = "--latent", description = "Latent dimensions (default: 2 for 2-D, 64 for "
      + "images).")
  Integer latent;

  @Option(names = "--seed", description = "Random seed (default: ${DEFAULT-VALUE}).")
  long seed = 1;

  @Option(names = "--eval-samples", description = "Generated samples for the final metrics "
      + "(default: 2500 for 2-D, 10000 for images).")
  Integer evalSamples;

  @Option(names = "--log-every", description = "Progress every N steps (default: ${DEFAULT-VALUE}).")
  int logEvery = 250;

  @Option(names = "--data", description = "Image data folder (default: data/DATASET).")
  File data;

  @Option(names = "--classifier", description = "Images: the metrics classifier; trained and "
      + "saved there if missing (default: data/classifier-DATASET.zip).")
  File classifierFile;

  @Option(names = "--classifier-epochs", description = "Images: epochs of classifier training "
      + "(default: 3 for mnist, 6 for fashion-mnist); a saved classifier with fewer epochs is "
      + "trained on.")
  Integer classifierEpochs;

  @Option(names = "--classifier-train-images", description = "Images: training images for the "
      + "classifier, 0 for all (default: ${DEFAULT-VALUE}; smoke runs use fewer).")
  int classifierTrainImages = 0;

  @Option(names = "--out", description = "Output folder (default: ${DEFAULT-VALUE}).")
  File out = new File("out/sngan");

  @Option(names = "--checkpoint-every", description = "Write OUT/checkpoint.zip every N steps "
      + "and after the last one, for --resume (default: ${DEFAULT-VALUE}, none).")
  int checkpointEvery = 0;

  @Option(names = "--resume", description = "Continue the run whose checkpoint is in --out. The "
      + "options that define the run must be the same; a difference fails, naming the option.")
  boolean resume;

  @Option(names = "--stop-after", hidden = true, description = "For tests: end the run after "
      + "step N as if it were killed there (after that step's checkpoint, if any; no final "
      + "outputs). Unlike a smaller --steps it leaves the learning-rate schedule as it is.")
  Integer stopAfter;

  /** Samples the real data; restored from the checkpoint on --resume. */
  private Random random;

  /** Parses {@code --dataset}, accepting {@code fashion-mnist}. */
  static final class DatasetConverter implements CommandLine.ITypeConverter<Dataset> {
    @Override
    public Dataset convert(String value) {
      return Dataset.parse(value);
    }
  }

  public static void main(String[] args) {
    System.setProperty("java.awt.headless", "true");
    System.exit(new CommandLine(new GanExample()).setCaseInsensitiveEnumValuesAllowed(true)
        .execute(args));
  }

  private void applyDefaults() {
    boolean image = dataset.isImage();
    if (!protocol.equals("quick") && !protocol.equals("pacgan")) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--protocol must be quick or pacgan, got " + protocol);
    }
    boolean quick = !image && protocol.equals("quick");
    setting = settingOption != null ? settingOption : AdamSetting.C;
    if (learningRate == null && quick && settingOption == null) {
      learningRate = 1e-3;
    }
    learningRateDecay = learningRateDecay != null ? learningRateDecay : quick;
    ringRadius = ringRadius != null ? ringRadius : quick ? 2.0 : 1.0;
    if (modeStd == null) {
      modeStd = dataset == Dataset.GRID ? 0.05 : quick ? 0.02 : 0.01;
    }
    steps = steps != null ? steps : image ? 2000 : quick ? 4000 : 1500;
    generatorWidth = generatorWidth != null ? generatorWidth : quick ? 128 : 400;
    discriminatorWidth = discriminatorWidth != null ? discriminatorWidth : quick ? 128 : 200;
    batchSize = batchSize != null ? batchSize : image ? 64 : 256;
    latent = latent != null ? latent : image ? 64 : 2;
    evalSamples = evalSamples != null ? evalSamples : image ? 10_000 : 2500;
    data = data != null ? data : new File("data", dataset.id());
    classifierFile = classifierFile != null ? classifierFile
        : new File("data", "classifier-" + dataset.id() + ".zip");
    if (classifierEpochs == null) {
      classifierEpochs = dataset == Dataset.FASHION_MNIST ? 6 : 3;
    }
  }

  private double lr() {
    return learningRate != null ? learningRate : setting.learningRate;
  }

  private int nDis() {
    return discriminatorSteps != null ? discriminatorSteps : setting.discriminatorSteps;
  }

  /**
   * Adam with the setting's betas and the learning rate in use, decayed linearly to 0 over the
   * network's updates in the run with {@code --lr-decay}.
   */
  private org.nd4j.linalg.learning.config.Adam adam(int updatesPerStep) {
    if (!Boolean.TRUE.equals(learningRateDecay)) {
      return new org.nd4j.linalg.learning.config.Adam(lr(), setting.beta1, setting.beta2, 1e-8);
    }
    return org.nd4j.linalg.learning.config.Adam.builder()
        .learningRateSchedule(new LinearDecaySchedule(lr(), steps * updatesPerStep))
        .beta1(setting.beta1).beta2(setting.beta2).epsilon(1e-8).build();
  }

  private void validate() {
    if (!(snCoefficient > 0)) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--sn-coefficient must be > 0, got " + snCoefficient);
    }
    if (steps < 1 || batchSize < 1 || latent < 1 || evalSamples < 2 || logEvery < 1
        || classifierEpochs < 1 || classifierTrainImages < 0 || width < 1 || generatorWidth < 1
        || discriminatorWidth < 1) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--steps, --batch-size, --latent, --log-every, --classifier-epochs, --width, --g-width "
              + "and --d-width must be >= 1, --eval-samples >= 2 and --classifier-train-images "
              + ">= 0; got " + steps + ", " + batchSize + ", " + latent + ", " + logEvery + ", "
              + classifierEpochs + ", " + width + ", " + generatorWidth + ", "
              + discriminatorWidth + ", " + evalSamples + ", " + classifierTrainImages);
    }
    if ((learningRate != null && !(learningRate > 0)) || (discriminatorSteps != null
        && discriminatorSteps < 1) || !(ringRadius > 0) || (modeStd != null && !(modeStd > 0))) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--lr, --ring-radius and --mode-std must be > 0 and --n-dis >= 1; got " + learningRate
              + ", " + ringRadius + ", " + modeStd + ", " + discriminatorSteps);
    }
    if (checkpointEvery < 0 || (stopAfter != null && stopAfter < 1)) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--checkpoint-every must be >= 0 and --stop-after >= 1; got " + checkpointEvery + ", "
              + stopAfter);
    }
    if (generatorChannels < 2 || generatorChannels % 2 != 0
        || !List.of("dl4j", "dcgan").contains(generatorOrder)) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--g-channels must be even and >= 2 and --g-order dl4j or dcgan; got "
              + generatorChannels + ", " + generatorOrder);
    }
    if (operatorNorm && !dataset.isImage()) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--operator-norm applies to the image discriminator's convolutions; dataset "
              + dataset + " has none");
    }
  }

  /**
   * The options that define the run, as resolved from the command line and the defaults, by
   * option name. {@code --log-every} and {@code --eval-samples} are among them: progress lines
   * draw their samples from the random generator that training draws from.
   */
  private Map<String, String> runOptions() {
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("--dataset", dataset.id());
    o.put("--sn", sn);
    if (sn) {
      o.put("--sn-coefficient", snCoefficient);
    }
    if (dataset.isImage()) {
      o.put("--operator-norm", operatorNorm);
      o.put("--width", width);
      // Only when not the original generator, so that older checkpoints still resume.
      if (generatorChannels != 64 || !generatorOrder.equals("dl4j")) {
        o.put("--g-channels", generatorChannels);
        o.put("--g-order", generatorOrder);
      }
    } else {
      o.put("--g-width", generatorWidth);
      o.put("--d-width", discriminatorWidth);
      if (dataset == Dataset.RING) {
        o.put("--ring-radius", ringRadius);
      }
      o.put("--mode-std", modeStd);
    }
    o.put("--setting", setting.name());
    o.put("--lr", lr());
    o.put("--n-dis", nDis());
    o.put("--lr-decay", learningRateDecay);
    o.put("--steps", steps);
    o.put("--batch-size", batchSize);
    o.put("--latent", latent);
    o.put("--seed", seed);
    o.put("--log-every", logEvery);
    o.put("--eval-samples", evalSamples);
    Map<String, String> text = new LinkedHashMap<>();
    o.forEach((k, v) -> text.put(k, String.valueOf(v)));
    return text;
  }

  /** What the numbers depend on beyond the options: a resumed run that differs is warned. */
  private Map<String, String> engineOptions() {
    Map<String, String> e = new LinkedHashMap<>();
    e.put("--accel", String.valueOf(engine.accel));
    String threads = System.getenv("OMP_NUM_THREADS");
    e.put("OMP_NUM_THREADS", threads == null ? "unset" : threads);
    return e;
  }

  /** The checkpoint to resume from, checked to be this run's. */
  private GanCheckpoint checkpointToResume(File file) throws IOException {
    if (!file.isFile()) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--resume: there is no "
          + "checkpoint " + file.getAbsolutePath() + " (a run writes one with "
          + "--checkpoint-every N)");
    }
    GanCheckpoint checkpoint = GanCheckpoint.read(file);
    List<String> differences = checkpoint.differences(runOptions());
    if (!differences.isEmpty()) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--resume: the checkpoint "
          + file.getAbsolutePath() + " is of a different run; resume it with its options or "
          + "start a new run in another --out. Differences:\n  "
          + String.join("\n  ", differences));
    }
    for (String d : checkpoint.engineDifferences(engineOptions())) {
      log.warn("--resume: {}; the run goes on, but its numbers will not be those of an "
          + "uninterrupted run", d);
    }
    return checkpoint;
  }

  @Override
  public Integer call() throws IOException {
    applyDefaults();
    validate();
    if (!out.isDirectory() && !out.mkdirs()) {
      throw new IOException("Cannot create the output folder " + out.getAbsolutePath());
    }
    File checkpointFile = new File(out, GanCheckpoint.FILE_NAME);
    GanCheckpoint checkpoint = resume ? checkpointToResume(checkpointFile) : null;
    if (checkpoint == null && checkpointFile.isFile()) {
      log.warn("{} holds the checkpoint of an earlier run; {} (to continue that run: --resume)",
          checkpointFile, checkpointEvery > 0 ? "this run replaces it"
              : "this run leaves it as it is");
    }
    String engineDescription = engine.apply(log);
    Nd4j.getRandom().setSeed(seed);
    random = new Random(seed);
    Task task = dataset.isImage() ? new ImageTask() : new MixtureTask();

    MultiLayerNetwork g = new MultiLayerNetwork(task.generator());
    MultiLayerNetwork d = new MultiLayerNetwork(task.discriminator());
    g.init();
    d.init();
    if (checkpoint != null) {
      // As saved: parameters (with u, v and the batch-norm statistics), Adam states, iterations.
      g = checkpoint.generator();
      d = checkpoint.discriminator();
    }
    GanTrainer trainer = new GanTrainer(g, d, latent);
    if (dataset.isImage()) {
      log.info("Discriminator layers and the path each computes on:\n{}", HelperReport.of(d));
      log.info("Generator layers:\n{}", HelperReport.of(g));
    }

    log.info("{} GAN on {}: setting {} (lr {}, betas {}/{}, n_dis {}), {} steps, batch {}",
        sn ? "SN" : "plain", dataset, setting, lr() + (learningRateDecay ? " decaying" : ""),
        setting.beta1, setting.beta2, nDis(), steps, batchSize);
    Map<String, XYSeries> sigmas = new LinkedHashMap<>();
    Map<String, XYSeries> losses = new LinkedHashMap<>();
    losses.put("discriminator", new XYSeries("discriminator"));
    losses.put("generator (non-saturating)", new XYSeries("generator (non-saturating)"));
    Map<String, Map<String, XYSeries>> history = new LinkedHashMap<>();
    history.put("sigmas", sigmas);
    history.put("losses", losses);
    history.put("task", task.curves());
    Map<String, String> runOptions = runOptions();
    Map<String, String> engineOptions = engineOptions();
    int resumedFrom = 0;
    double earlierSeconds = 0;
    if (checkpoint != null) {
      checkpoint.restoreHistory(history);
      checkpoint.restoreArrays(task.arrays());
      resumedFrom = checkpoint.step();
      earlierSeconds = checkpoint.trainSeconds();
      // Last: everything above may draw random numbers, the uninterrupted run's did before step 1.
      random = checkpoint.restoreRandomness();
      log.info("Resuming from {} after step {}/{} ({} s trained so far)", checkpointFile,
          resumedFrom, steps, String.format("%.0f", earlierSeconds));
    }
    String resumed = resumedFrom > 0 ? " (resumed after step " + resumedFrom + ")" : "";
    long start = System.nanoTime();
    for (int step = resumedFrom + 1; step <= steps; step++) {
      for (int k = 0; k < nDis(); k++) {
        trainer.discriminatorStep(task.real(batchSize));
      }
      trainer.generatorStep(batchSize);
      if (step % logEvery == 0 || step == steps) {
        double gLoss = trainer.generatorLoss();
        final int at = step;
        SpectralNorm.sigmas(d).forEach((key, v) ->
            sigmas.computeIfAbsent(key, XYSeries::new).add(at, v));
        losses.get("discriminator").add(step, trainer.discriminatorLoss());
        losses.get("generator (non-saturating)").add(step, gLoss);
        String progress = task.progress(trainer, step);
        double elapsed = (System.nanoTime() - start) / 1e9;
        log.info("step {}/{}{} ({}s, ~{}s left)  D loss {}  G loss {}  {}", step, steps, resumed,
            String.format("%.0f", earlierSeconds + elapsed),
            String.format("%.0f", elapsed / (step - resumedFrom) * (steps - step)),
            String.format("%.4f", trainer.discriminatorLoss()), String.format("%.4f", gLoss),
            progress);
      }
      if (checkpointEvery > 0 && (step % checkpointEvery == 0 || step == steps)) {
        GanCheckpoint.write(checkpointFile, step,
            earlierSeconds + (System.nanoTime() - start) / 1e9, runOptions, engineOptions, g, d,
            random, history, task.arrays());
        log.debug("step {}: wrote {}", step, checkpointFile);
      }
      if (stopAfter != null && step == stopAfter && step < steps) {
        log.info("Stopped after step {}/{} (--stop-after)", step, steps);
        return 0;
      }
    }
    double seconds = earlierSeconds + (System.nanoTime() - start) / 1e9;

    Map<String, Object> json = new LinkedHashMap<>();
    json.put("dataset", dataset.id());
    json.put("spectral_normalization", sn);
    json.put("sn_coefficient", sn ? snCoefficient : null);
    json.put("sn_convolutions", !sn || !dataset.isImage() ? null
        : operatorNorm ? "operator norm" : "reshaped kernel");
    json.put("discriminator_width", dataset.isImage() ? width : discriminatorWidth);
    json.put("generator_width", dataset.isImage() ? null : generatorWidth);
    if (dataset.isImage()) {
      json.put("generator_channels", generatorChannels);
      json.put("generator_order", generatorOrder);
    }
    json.put("protocol", dataset.isImage() ? null : protocol);
    json.put("ring_radius", dataset == Dataset.RING ? ringRadius : null);
    json.put("mode_std", dataset.isImage() ? null : modeStd);
    json.put("setting", setting.name());
    json.put("learning_rate", lr());
    json.put("learning_rate_decay", learningRateDecay ? "linear to 0" : null);
    json.put("beta1", setting.beta1);
    json.put("beta2", setting.beta2);
    json.put("n_dis", nDis());
    json.put("loss", "non-saturating: D minimizes BCE(D(x),1)+BCE(D(G(z)),0); G minimizes "
        + "BCE(D(G(z)),1) = softplus(-logit)");
    json.put("steps", steps);
    json.put("batch_size", batchSize);
    json.put("latent", latent);
    json.put("seed", seed);
    json.put("resumed_after_step", resumedFrom > 0 ? resumedFrom : null);
    json.put("engine", engineDescription);
    json.put("omp_num_threads", System.getenv("OMP_NUM_THREADS"));
    json.put("train_seconds", seconds);
    json.put("ms_per_step", 1000 * seconds / steps);
    task.finish(trainer, json);
    json.put("final_sigma", SpectralNorm.sigmas(d));

    Charts.lines("GAN losses", "step", "loss", losses, new File(out, "losses.png"));
    if (sn) {
      Charts.lines("sigma(W) of each discriminator layer (W_SN = W / sigma)", "step", "sigma(W)",
          sigmas, new File(out, "sigma.png"));
    }
    File metricsFile = new File(out, "metrics.json");
    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(metricsFile, json);

    System.out.printf("%n%s GAN on %s (setting %s, %d steps, %.0f s)%n", sn ? "SN" : "Plain",
        dataset, setting, steps, seconds);
    System.out.printf("  %s%n", json.get("summary"));
    System.out.printf("  wrote %s: %s, losses.png%s and metrics.json%n", out,
        task.plots(), sn ? ", sigma.png" : "");
    return 0;
  }

  /** What differs between the 2-D and the image data sets. */
  private interface Task {
    org.deeplearning4j.nn.conf.MultiLayerConfiguration generator();

    org.deeplearning4j.nn.conf.MultiLayerConfiguration discriminator();

    INDArray real(int n);

    String progress(GanTrainer trainer, int step) throws IOException;

    void finish(GanTrainer trainer, Map<String, Object> json) throws IOException;

    String plots();

    /** The task's curves over training, by name (kept in checkpoints). */
    Map<String, XYSeries> curves();

    /** Arrays the task draws once at the start, by name (kept in checkpoints). */
    Map<String, INDArray> arrays();
  }

  /** ring and grid: PacGAN's models and metrics, a scatter plot and a modes-covered curve. */
  private final class MixtureTask implements Task {
    private final Mixture2D mixture;
    private final XYSeries coverage = new XYSeries("modes covered");

    MixtureTask() {
      this.mixture = dataset == Dataset.RING
          ? Mixture2D.ring(ringRadius, modeStd)
          : Mixture2D.grid(modeStd);
    }

    @Override
    public org.deeplearning4j.nn.conf.MultiLayerConfiguration generator() {
      return GanModels.generator2d(latent, generatorWidth, adam(1), seed);
    }

    @Override
    public org.deeplearning4j.nn.conf.MultiLayerConfiguration discriminator() {
      return GanModels.discriminator2d(sn, snCoefficient, discriminatorWidth, adam(nDis()),
          seed + 1);
    }

    @Override
    public INDArray real(int n) {
      return mixture.sample(n, random);
    }

    @Override
    public String progress(GanTrainer trainer, int step) {
      Metrics2D m = Metrics2D.of(trainer.sample(evalSamples), mixture);
      coverage.add(step, m.modesCovered);
      return m.toString();
    }

    @Override
    public void finish(GanTrainer trainer, Map<String, Object> json) throws IOException {
      INDArray samples = trainer.sample(evalSamples);
      Metrics2D metrics = Metrics2D.of(samples, mixture);
      Charts.scatter(String.format("%s, %s GAN, lr %s%s, %d steps: %d/%d modes, %.1f%% "
              + "high-quality", mixture.name(), sn ? "SN" : "plain", lr(),
              learningRateDecay ? " decaying" : "", steps, metrics.modesCovered, metrics.modes,
              100 * metrics.highQualityFraction),
          samples.castTo(DataType.DOUBLE).toDoubleMatrix(), mixture.modes(),
          mixture.radius() * 1.5, new File(out, "samples.png"));
      Charts.lines("modes covered", "step", "modes", curves(), new File(out, "modes.png"));
      json.put("metrics", metrics.toMap());
      json.put("summary", metrics.toString());
    }

    @Override
    public String plots() {
      return "samples.png, modes.png";
    }

    @Override
    public Map<String, XYSeries> curves() {
      Map<String, XYSeries> c = new LinkedHashMap<>();
      c.put("modes covered", coverage);
      return c;
    }

    @Override
    public Map<String, INDArray> arrays() {
      return Map.of();
    }
  }

  /** MNIST and Fashion-MNIST: DCGAN-style G, SN-GAN-style CNN D, classifier-based metrics. */
  private final class ImageTask implements Task {
    private static final int PROGRESS_SAMPLES = 1000;
    private final INDArray trainImages;
    private final ImageClassifier classifier;
    private final Frechet.Stats realTest;
    private final INDArray fixedNoise;
    private final Map<String, XYSeries> curves = new LinkedHashMap<>();
    private final Map<String, Object> reference = new LinkedHashMap<>();

    ImageTask() throws IOException {
      IdxImages.Split train = IdxImages.load(data, "train", dataset.id());
      IdxImages.Split test = IdxImages.load(data, "t10k", dataset.id());
      trainImages = train.images.reshape(train.images.size(0), 28 * 28);
      log.info("{}: {} training and {} test images from {}", dataset, train.labels.length,
          test.labels.length, data);
      classifier = ImageClassifier.loadOrTrain(classifierFile, train, test, classifierEpochs,
          classifierTrainImages, seed);
      double target = dataset == Dataset.MNIST ? 0.99 : 0.90;
      if (classifier.testAccuracy() < target) {
        log.warn("The classifier's test accuracy {} is below the {} this example asks of it; "
                + "train it longer with a higher --classifier-epochs",
            String.format("%.4f", classifier.testAccuracy()), target);
      }
      realTest = Frechet.Stats.of(classifier.features(test.images));
      // Reference values: real training images measured like generated ones.
      INDArray realSample = real(Math.min(evalSamples, train.labels.length));
      ImageMetrics realMetrics = ImageMetrics.of(realSample, classifier, realTest);
      reference.put("classifier_test_accuracy", classifier.testAccuracy());
      reference.put("classifier_accuracy_target", target);
      reference.put("real_training_images_measured_alike", realMetrics.toMap());
      log.info("Reference, {} real training images: {}", realSample.size(0), realMetrics);
      curves.put("KL to uniform", new XYSeries("KL(class histogram || uniform)"));
      curves.put("confident", new XYSeries("confident fraction"));
      fixedNoise = Nd4j.randn(DataType.FLOAT, 64, latent);
    }

    @Override
    public org.deeplearning4j.nn.conf.MultiLayerConfiguration generator() {
      return GanModels.imageGenerator(latent, generatorChannels,
          generatorOrder.equals("dcgan"), adam(1), seed);
    }

    @Override
    public org.deeplearning4j.nn.conf.MultiLayerConfiguration discriminator() {
      return GanModels.imageDiscriminator(sn, operatorNorm, snCoefficient, width,
          adam(nDis()), seed + 1);
    }

    @Override
    public INDArray real(int n) {
      int[] idx = new int[n];
      for (int i = 0; i < n; i++) {
        idx[i] = random.nextInt((int) trainImages.size(0));
      }
      return Nd4j.pullRows(trainImages, 1, idx).reshape(n, 1, 28, 28);
    }

    @Override
    public String progress(GanTrainer trainer, int step) throws IOException {
      ImageMetrics m = ImageMetrics.of(trainer.sample(Math.min(PROGRESS_SAMPLES, evalSamples)),
          classifier, realTest);
      curves.get("KL to uniform").add(step, m.klToUniform);
      curves.get("confident").add(step, m.confidentFraction);
      Charts.imageGrid(trainer.generate(fixedNoise), 8, new File(out, "samples.png"));
      return m.toString() + " (" + m.samples + " samples)";
    }

    @Override
    public void finish(GanTrainer trainer, Map<String, Object> json) throws IOException {
      INDArray samples = trainer.sample(evalSamples);
      ImageMetrics metrics = ImageMetrics.of(samples, classifier, realTest);
      Charts.imageGrid(trainer.generate(fixedNoise), 8, new File(out, "samples.png"));
      Charts.lines("Generated samples judged by the classifier", "step", "value", curves,
          new File(out, "class-metrics.png"));
      json.put("metrics", metrics.toMap());
      json.put("reference", reference);
      json.put("summary", metrics.toString());
    }

    @Override
    public String plots() {
      return "samples.png, class-metrics.png";
    }

    @Override
    public Map<String, XYSeries> curves() {
      return curves;
    }

    /**
     * The fixed latent vectors of the sample grid: drawn after the classifier, which a resumed run
     * loads where the first run may have trained it, drawing other random numbers.
     */
    @Override
    public Map<String, INDArray> arrays() {
      return Map.of("fixed-noise", fixedNoise);
    }
  }
}
