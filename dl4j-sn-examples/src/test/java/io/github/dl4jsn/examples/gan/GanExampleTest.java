package io.github.dl4jsn.examples.gan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.github.dl4jsn.layers.SpectralNormLayer;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import javax.imageio.ImageIO;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;
import picocli.CommandLine;

/** The SN-GAN example's parts, and the program in smoke mode. */
class GanExampleTest {

  @TempDir Path dir;

  @BeforeAll
  static void headless() {
    System.setProperty("java.awt.headless", "true");
  }

  @Test
  void metricsCountModesHighQualitySamplesAndReverseKl() {
    Mixture2D ring = Mixture2D.ring();
    // 3 samples on mode 0, 1 on mode 2, 1 far from every mode.
    INDArray x = Nd4j.createFromArray(new float[][] {
        {1f, 0f}, {1.01f, 0f}, {0.99f, 0.01f}, {0f, 1f}, {0.5f, 0.5f}});
    Metrics2D m = Metrics2D.of(x, ring);
    assertThat(m.modesCovered).isEqualTo(2);
    assertThat(m.highQualityFraction).isEqualTo(0.8);
    double expected = 0.75 * Math.log(0.75 * 8) + 0.25 * Math.log(0.25 * 8);
    assertThat(m.reverseKl).isCloseTo(expected, within(1e-12));
    INDArray real = ring.sample(4000, new Random(1));
    Metrics2D perfect = Metrics2D.of(real, ring);
    assertThat(perfect.modesCovered).isEqualTo(8);
    assertThat(perfect.highQualityFraction).isGreaterThan(0.98);
    assertThat(perfect.reverseKl).isLessThan(0.01);
  }

  @Test
  void generatorStepLowersTheGeneratorLossAgainstAFixedDiscriminatorWithoutIterating() {
    MultiLayerNetwork g = new MultiLayerNetwork(GanModels.generator2d(2, new Adam(1e-3), 3));
    MultiLayerNetwork d = new MultiLayerNetwork(GanModels.discriminator2d(true, new Adam(1e-2), 4));
    g.init();
    d.init();
    // Make D prefer the ring: train it a little on ring samples against points near the origin.
    Random r = new Random(5);
    MultiLayerNetwork dTrain = d;
    INDArray before = d.params().dup();
    for (int i = 0; i < 30; i++) {
      INDArray real = Mixture2D.ring().sample(64, r);
      INDArray fake = Nd4j.randn(org.nd4j.linalg.api.buffer.DataType.FLOAT, 64, 2).muli(0.1);
      dTrain.fit(Nd4j.vstack(real, fake), Nd4j.vstack(Nd4j.ones(64, 1), Nd4j.zeros(64, 1)));
    }
    assertThat(d.params()).isNotEqualTo(before);
    INDArray dParams = d.params().dup();
    GanTrainer trainer = new GanTrainer(g, d, 2);
    Nd4j.getRandom().setSeed(9);
    trainer.generatorStep(128);
    double first = trainer.generatorLoss();
    for (int i = 0; i < 40; i++) {
      trainer.generatorStep(128);
    }
    double last = trainer.generatorLoss();
    assertThat(last).as("non-saturating generator loss").isLessThan(first);
    assertThat(d.params()).as("D's weights, u and v untouched by generator steps")
        .isEqualTo(dParams);
    for (org.deeplearning4j.nn.api.Layer l : d.getLayers()) {
      assertThat(((SpectralNormLayer) l).isPowerIterationPaused()).isFalse();
    }
  }

  @Test
  void dl4jBatchNormalizationIgnoresItsActivationSoTheGeneratorHasReluLayersOfItsOwn() {
    // Upstream behaviour (DL4J 1.0.0-M2.1): a BatchNormalization layer's activation is not applied.
    MultiLayerNetwork bn = new MultiLayerNetwork(
        new org.deeplearning4j.nn.conf.NeuralNetConfiguration.Builder().list()
        .layer(new org.deeplearning4j.nn.conf.layers.BatchNormalization.Builder()
            .activation(org.nd4j.linalg.activations.Activation.RELU).build())
        .setInputType(org.deeplearning4j.nn.conf.inputs.InputType.feedForward(4)).build());
    bn.init();
    INDArray x = Nd4j.randn(org.nd4j.linalg.api.buffer.DataType.FLOAT, 64, 4);
    assertThat(bn.output(x, true).minNumber().doubleValue()).as("ReLU not applied").isNegative();

    // So the 2-D generator is nonlinear only through its ActivationLayers: after each, no
    // negative values and some zeros; G(z) is not affine in z.
    MultiLayerNetwork g = new MultiLayerNetwork(GanModels.generator2d(2, new Adam(1e-3), 3));
    g.init();
    java.util.List<INDArray> acts = g.feedForward(Nd4j.randn(
        org.nd4j.linalg.api.buffer.DataType.FLOAT, 256, 2), true);
    int relus = 0;
    for (int i = 0; i < g.getnLayers(); i++) {
      if (g.getLayer(i) instanceof org.deeplearning4j.nn.layers.ActivationLayer) {
        INDArray a = acts.get(i + 1);
        assertThat(a.minNumber().doubleValue()).isGreaterThanOrEqualTo(0);
        assertThat(a.eq(0).castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT).meanNumber()
            .doubleValue()).isBetween(0.2, 0.8);
        relus++;
      }
    }
    assertThat(relus).isEqualTo(4);
  }

  @Test
  void dcganOrderPutsEachReluAfterItsBatchNormAndWidensTheGenerator() {
    org.nd4j.linalg.api.buffer.DataType f = org.nd4j.linalg.api.buffer.DataType.FLOAT;
    MultiLayerNetwork dcgan = new MultiLayerNetwork(
        GanModels.imageGenerator(16, 128, true, new Adam(1e-3), 3));
    dcgan.init();
    INDArray z = Nd4j.randn(f, 32, 16);
    java.util.List<INDArray> acts = dcgan.feedForward(z, true);
    // dense, BN, ReLU, deconvolution, BN, ReLU, deconvolution
    assertThat(dcgan.getnLayers()).isEqualTo(7);
    for (int i : new int[] {1, 4}) {
      assertThat(dcgan.getLayer(i))
          .isInstanceOf(org.deeplearning4j.nn.layers.normalization.BatchNormalization.class);
      // Before the ReLU: the batch norm's output has negative values, about half of them.
      assertThat(acts.get(i + 1).minNumber().doubleValue()).isNegative();
      INDArray relu = acts.get(i + 2);
      assertThat(dcgan.getLayer(i + 1))
          .isInstanceOf(org.deeplearning4j.nn.layers.ActivationLayer.class);
      assertThat(relu.minNumber().doubleValue()).isGreaterThanOrEqualTo(0);
      assertThat(relu.eq(0).castTo(f).meanNumber().doubleValue()).isBetween(0.3, 0.7);
    }
    assertThat(acts.get(2).shape()).containsExactly(32, 128 * 7 * 7);
    assertThat(acts.get(4).shape()).containsExactly(32, 64, 14, 14);
    INDArray out = dcgan.output(z);
    assertThat(out.shape()).containsExactly(32, 1, 28, 28);
    assertThat(out.amaxNumber().doubleValue()).isLessThanOrEqualTo(1.0);

    // The original order: the ReLUs in the dense and deconvolution layers, 5 layers, 64 channels.
    MultiLayerNetwork original = new MultiLayerNetwork(
        GanModels.imageGenerator(16, new Adam(1e-3), 3));
    original.init();
    assertThat(original.getnLayers()).isEqualTo(5);
    assertThat(original.feedForward(z, true).get(1).minNumber().doubleValue())
        .isGreaterThanOrEqualTo(0);
    assertThat(original.feedForward(z, true).get(1).shape()).containsExactly(32, 64 * 7 * 7);
  }

  @Test
  void badGeneratorOptionsAreRejectedNamingTheValues() {
    for (String[] args : new String[][] {{"--g-channels", "63"}, {"--g-order", "stylegan"}}) {
      java.io.StringWriter err = new java.io.StringWriter();
      int code = new CommandLine(new GanExample()).setErr(new java.io.PrintWriter(err))
          .execute("--dataset", "mnist", args[0], args[1], "--out", dir.toString());
      assertThat(code).isEqualTo(2);
      assertThat(err.toString()).contains(args[0]).contains(args[1]);
    }
  }

  @Test
  void linearDecayScheduleFallsToZeroAndSurvivesAJsonRoundTrip() {
    LinearDecaySchedule s = new LinearDecaySchedule(1e-3, 100);
    assertThat(s.valueAt(0, 0)).isEqualTo(1e-3);
    assertThat(s.valueAt(25, 0)).isCloseTo(0.75e-3, within(1e-15));
    assertThat(s.valueAt(100, 0)).isZero();
    assertThat(s.valueAt(150, 3)).isZero();
    org.deeplearning4j.nn.conf.MultiLayerConfiguration conf = GanModels.discriminator2d(true,
        Adam.builder().learningRateSchedule(s).build(), 1);
    org.deeplearning4j.nn.conf.MultiLayerConfiguration back =
        org.deeplearning4j.nn.conf.MultiLayerConfiguration.fromJson(conf.toJson());
    assertThat(back).isEqualTo(conf);
    MultiLayerNetwork d = new MultiLayerNetwork(back);
    d.init();
    d.getLayerWiseConfigurations().setIterationCount(50);
    assertThat(((Adam) ((org.deeplearning4j.nn.conf.layers.BaseLayer)
        ((io.github.dl4jsn.conf.SpectralNormalization) back.getConf(0).getLayer())
            .getUnderlying()).getIUpdater()).getLearningRateSchedule().valueAt(50, 0))
        .isCloseTo(0.5e-3, within(1e-15));
  }

  @Test
  void programRunsInSmokeModeAndWritesPlotsAndMetrics() throws Exception {
    File out = dir.resolve("gan").toFile();
    int code = new CommandLine(new GanExample()).setCaseInsensitiveEnumValuesAllowed(true)
        .execute("--dataset", "grid", "--steps", "4", "--batch-size", "16", "--log-every", "2",
            "--eval-samples", "200", "--setting", "A", "--sn-coefficient", "2",
            "--out", out.getPath());
    assertThat(code).isZero();
    for (String png : new String[] {"samples.png", "losses.png", "modes.png", "sigma.png"}) {
      assertThat(ImageIO.read(new File(out, png))).as(png).isNotNull();
    }
    JsonNode json = new ObjectMapper().readTree(Files.readString(out.toPath().resolve(
        "metrics.json")));
    assertThat(json.get("dataset").asText()).isEqualTo("grid");
    assertThat(json.get("n_dis").asInt()).isEqualTo(5);
    assertThat(json.get("sn_coefficient").asDouble()).isEqualTo(2.0);
    assertThat(json.get("metrics").get("modes").asInt()).isEqualTo(25);
    assertThat(json.get("final_sigma").size()).isEqualTo(4);
  }

  /**
   * The image data sets in smoke mode. {@code scripts/test.sh} fetches the data first and sets
   * {@code DL4JSN_REQUIRE_DATA=1}, so in CI a missing data set fails instead of skipping.
   */
  @ParameterizedTest
  @ValueSource(strings = {"mnist", "fashion-mnist"})
  void programRunsOnImagesInSmokeModeAndWritesGridsAndClassifierMetrics(String dataset)
      throws Exception {
    File data = new File("../data", dataset);
    boolean present = new File(data, "train-images-idx3-ubyte").isFile();
    if ("1".equals(System.getenv("DL4JSN_REQUIRE_DATA"))) {
      assertThat(present).as(data + " (fetch: bash scripts/fetch-data.sh " + dataset + ")")
          .isTrue();
    }
    Assumptions.assumeTrue(present, "no " + data + "; bash scripts/fetch-data.sh " + dataset);
    File out = dir.resolve(dataset).toFile();
    File classifier = dir.resolve("classifier-" + dataset + ".zip").toFile();
    String[] args = {"--dataset", dataset, "--data", data.getPath(), "--steps", "3",
        "--batch-size", "16", "--log-every", "2", "--eval-samples", "300",
        "--classifier", classifier.getPath(), "--classifier-epochs", "1",
        "--classifier-train-images", "2000", "--out", out.getPath()};
    assertThat(new CommandLine(new GanExample()).execute(args)).isZero();
    assertThat(classifier).isFile();
    for (String png : new String[] {"samples.png", "losses.png", "class-metrics.png",
        "sigma.png"}) {
      assertThat(ImageIO.read(new File(out, png))).as(png).isNotNull();
    }
    JsonNode json = new ObjectMapper().readTree(Files.readString(out.toPath().resolve(
        "metrics.json")));
    assertThat(json.get("dataset").asText()).isEqualTo(dataset);
    JsonNode metrics = json.get("metrics");
    assertThat(metrics.get("samples").asInt()).isEqualTo(300);
    int total = 0;
    for (JsonNode c : metrics.get("class_histogram")) {
      total += c.asInt();
    }
    assertThat(total).isEqualTo(300);
    assertThat(metrics.get("kl_to_uniform").asDouble()).isBetween(0.0, Math.log(10) + 1e-9);
    assertThat(metrics.get("frechet_distance_classifier_features").asDouble()).isPositive();
    // A classifier trained on 2,000 images for one epoch is already far better than chance.
    assertThat(json.get("reference").get("classifier_test_accuracy").asDouble())
        .isGreaterThan(0.5);
    assertThat(json.get("final_sigma").size()).isEqualTo(5);

    // The second run loads the saved classifier instead of training again.
    File again = dir.resolve(dataset + "-again").toFile();
    args[args.length - 1] = again.getPath();
    assertThat(new CommandLine(new GanExample()).execute(args)).isZero();
    JsonNode second = new ObjectMapper().readTree(Files.readString(again.toPath().resolve(
        "metrics.json")));
    assertThat(second.get("reference").get("classifier_test_accuracy").asDouble())
        .isEqualTo(json.get("reference").get("classifier_test_accuracy").asDouble());
    assertThat(MultiLayerNetwork.load(classifier, false).getEpochCount()).isEqualTo(1);

    // More epochs than the saved classifier has: it is trained on (not from scratch) and saved.
    if (dataset.equals("mnist")) {
      INDArray before = MultiLayerNetwork.load(classifier, false).params();
      File more = dir.resolve(dataset + "-more").toFile();
      args[args.length - 1] = more.getPath();
      args[java.util.Arrays.asList(args).indexOf("--classifier-epochs") + 1] = "2";
      assertThat(new CommandLine(new GanExample()).execute(args)).isZero();
      MultiLayerNetwork trainedOn = MultiLayerNetwork.load(classifier, false);
      assertThat(trainedOn.getEpochCount()).isEqualTo(2);
      assertThat(trainedOn.params()).isNotEqualTo(before);
      JsonNode third = new ObjectMapper().readTree(Files.readString(more.toPath().resolve(
          "metrics.json")));
      assertThat(third.get("reference").get("classifier_test_accuracy").asDouble())
          .isGreaterThan(0.5);
    }
  }

  @Test
  void missingImageDataFailsWithTheFetchCommand() {
    java.io.StringWriter err = new java.io.StringWriter();
    int code = new CommandLine(new GanExample()).setErr(new java.io.PrintWriter(err))
        .execute("--dataset", "fashion-mnist", "--data", dir.resolve("nothing").toString(),
            "--out", dir.resolve("o").toString());
    assertThat(code).isNotZero();
    assertThat(err.toString()).contains("bash scripts/fetch-data.sh fashion-mnist");
  }

  @Test
  void unknownDatasetIsRejectedNamingIt() {
    java.io.StringWriter err = new java.io.StringWriter();
    int code = new CommandLine(new GanExample()).setErr(new java.io.PrintWriter(err))
        .execute("--dataset", "cifar", "--out", dir.toString());
    assertThat(code).isEqualTo(2);
    assertThat(err.toString()).contains("cifar").contains("fashion-mnist");
  }
}
