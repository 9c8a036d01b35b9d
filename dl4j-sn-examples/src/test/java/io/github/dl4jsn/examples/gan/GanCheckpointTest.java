package io.github.dl4jsn.examples.gan;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.dl4jsn.SpectralNorm;
import java.io.File;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipFile;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;
import picocli.CommandLine;

/**
 * {@code --checkpoint-every} and {@code --resume}: a run interrupted and resumed ends bit for bit
 * as the same run uninterrupted, and a checkpoint of another run, or none, is refused clearly.
 */
class GanCheckpointTest {

  /** A small ring run with the learning rate decaying over its 40 steps. */
  private static final String[] RING = {"--dataset", "ring", "--g-width", "32", "--d-width", "32",
      "--steps", "40", "--batch-size", "64", "--eval-samples", "200", "--log-every", "10",
      "--lr-decay", "--checkpoint-every", "10"};

  @TempDir static Path shared;
  @TempDir Path dir;

  private static File uninterrupted;

  @BeforeAll
  static void runTheRingUninterrupted() {
    System.setProperty("java.awt.headless", "true");
    uninterrupted = shared.resolve("uninterrupted").toFile();
    assertThat(run(RING, uninterrupted)).isZero();
  }

  /**
   * Interrupted after step 20, at a checkpoint, or after step 25, so that steps 21 to 25 are
   * trained again from the checkpoint of step 20.
   */
  @ParameterizedTest
  @ValueSource(ints = {20, 25})
  void anInterruptedAndResumedRunEndsBitIdenticalToTheUninterruptedRun(int stopAfter)
      throws Exception {
    File out = dir.resolve("interrupted").toFile();
    assertThat(run(concat(RING, "--stop-after", String.valueOf(stopAfter)), out)).isZero();
    assertThat(new File(out, "metrics.json")).as("an interrupted run has no final outputs")
        .doesNotExist();
    File checkpoint = new File(out, GanCheckpoint.FILE_NAME);
    assertThat(state(checkpoint).get("step").asInt()).isEqualTo(20);

    // The checkpoint's discriminator has the u and v of step 20: its sigmas are those logged then.
    MultiLayerNetwork d = GanCheckpoint.read(checkpoint).discriminator();
    Map<String, Double> logged = new LinkedHashMap<>();
    state(checkpoint).get("history").get("sigmas").fields().forEachRemaining(e -> {
      JsonNode x = e.getValue().get("x");
      assertThat(x.get(x.size() - 1).asInt()).isEqualTo(20);
      JsonNode y = e.getValue().get("y");
      logged.put(e.getKey(), y.get(y.size() - 1).asDouble());
    });
    assertThat(logged).hasSize(4);
    assertThat(SpectralNorm.sigmas(d)).isEqualTo(logged);

    // A write killed halfway leaves a partial temporary file; it neither breaks nor blocks resume.
    Files.write(new File(out, GanCheckpoint.FILE_NAME + ".tmp").toPath(), new byte[] {80, 75, 3});

    assertThat(run(concat(RING, "--resume"), out)).isZero();

    assertSameFinalState(new File(uninterrupted, GanCheckpoint.FILE_NAME), checkpoint);
    JsonNode whole = metrics(uninterrupted);
    JsonNode resumed = metrics(out);
    for (String field : new String[] {"metrics", "final_sigma", "summary"}) {
      assertThat(resumed.get(field)).as(field).isEqualTo(whole.get(field));
    }
    assertThat(whole.get("resumed_after_step").isNull()).isTrue();
    assertThat(resumed.get("resumed_after_step").asInt()).isEqualTo(20);
  }

  /**
   * The images (MNIST) in smoke mode: the interrupted run trains the metrics classifier, the
   * resumed and the uninterrupted ones load it. The sample grid's fixed latent vectors are drawn
   * after the classifier, so differently when it was trained: the resumed run takes the
   * interrupted run's from the checkpoint. Skipped without {@code data/mnist}, as in
   * {@link GanExampleTest}.
   */
  @Test
  void anInterruptedAndResumedImageRunEndsBitIdenticalToTheUninterruptedRun() throws Exception {
    File data = new File("../data", "mnist");
    boolean present = new File(data, "train-images-idx3-ubyte").isFile();
    if ("1".equals(System.getenv("DL4JSN_REQUIRE_DATA"))) {
      assertThat(present).as(data + " (fetch: bash scripts/fetch-data.sh mnist)").isTrue();
    }
    Assumptions.assumeTrue(present, "no " + data + "; bash scripts/fetch-data.sh mnist");
    String[] args = {"--dataset", "mnist", "--data", data.getPath(), "--steps", "4",
        "--batch-size", "16", "--log-every", "2", "--eval-samples", "300", "--lr-decay",
        "--checkpoint-every", "2", "--classifier", dir.resolve("classifier.zip").toString(),
        "--classifier-epochs", "1", "--classifier-train-images", "2000"};
    File out = dir.resolve("interrupted").toFile();
    assertThat(run(concat(args, "--stop-after", "3"), out)).isZero();
    File checkpoint = new File(out, GanCheckpoint.FILE_NAME);
    byte[] fixedNoise = entry(checkpoint, "arrays/fixed-noise");
    assertThat(run(concat(args, "--resume"), out)).isZero();
    assertThat(entry(checkpoint, "arrays/fixed-noise")).isEqualTo(fixedNoise);
    File whole = dir.resolve("uninterrupted").toFile();
    assertThat(run(args, whole)).isZero();

    assertSameFinalState(new File(whole, GanCheckpoint.FILE_NAME), checkpoint);
    for (String field : new String[] {"metrics", "final_sigma", "reference"}) {
      assertThat(metrics(out).get(field)).as(field).isEqualTo(metrics(whole).get(field));
    }
  }

  @Test
  void resumingWithADifferentOptionFailsNamingItAndBothValues() {
    File out = dir.resolve("run").toFile();
    assertThat(run(concat(RING, "--stop-after", "10"), out)).isZero();
    String[] other = RING.clone();
    other[Arrays.asList(other).indexOf("--d-width") + 1] = "16";
    StringWriter err = new StringWriter();
    int code = new CommandLine(new GanExample()).setErr(new PrintWriter(err))
        .execute(concat(other, "--resume", "--out", out.getPath()));
    assertThat(code).isEqualTo(2);
    assertThat(err.toString()).contains("different run")
        .contains("--d-width: checkpoint 32, now 16");
    assertThat(err.toString()).doesNotContain("--g-width:");
    assertThat(new File(out, "metrics.json")).doesNotExist();
  }

  @Test
  void resumingWithoutACheckpointFailsNamingThePath() {
    File out = dir.resolve("empty").toFile();
    StringWriter err = new StringWriter();
    int code = new CommandLine(new GanExample()).setErr(new PrintWriter(err))
        .execute(concat(RING, "--resume", "--out", out.getPath()));
    assertThat(code).isEqualTo(2);
    assertThat(err.toString()).contains("no checkpoint")
        .contains(new File(out, GanCheckpoint.FILE_NAME).getAbsolutePath());
  }

  /**
   * Both checkpoints, written after the last step, hold the same networks to the bit (parameters
   * with u, v and the batch-norm statistics, Adam states, iteration and epoch counts), the same
   * random generator states and the same curves.
   */
  private static void assertSameFinalState(File expected, File actual) throws Exception {
    GanCheckpoint e = GanCheckpoint.read(expected);
    GanCheckpoint a = GanCheckpoint.read(actual);
    assertThat(a.step()).isEqualTo(e.step());
    assertSameNetwork("generator", e.generator(), a.generator());
    assertSameNetwork("discriminator", e.discriminator(), a.discriminator());
    JsonNode es = state(expected);
    JsonNode as = state(actual);
    for (String field : new String[] {"options", "nd4j_random", "java_random", "history"}) {
      assertThat(as.get(field)).as(field).isEqualTo(es.get(field));
    }
  }

  private static void assertSameNetwork(String name, MultiLayerNetwork e, MultiLayerNetwork a) {
    assertThat(values(a.params())).as(name + " parameters").isEqualTo(values(e.params()));
    assertThat(values(a.getUpdater().getStateViewArray())).as(name + " Adam state")
        .isEqualTo(values(e.getUpdater().getStateViewArray()));
    assertThat(a.getIterationCount()).as(name + " iterations").isEqualTo(e.getIterationCount());
    assertThat(a.getEpochCount()).as(name + " epochs").isEqualTo(e.getEpochCount());
  }

  /** Every value, for an exact comparison: {@code INDArray.equals} allows differences of 1e-5. */
  private static double[] values(INDArray a) {
    return a.dup().data().asDouble();
  }

  private static JsonNode state(File checkpoint) throws Exception {
    return new ObjectMapper().readTree(entry(checkpoint, "state.json"));
  }

  private static byte[] entry(File checkpoint, String name) throws Exception {
    try (ZipFile zip = new ZipFile(checkpoint)) {
      return zip.getInputStream(zip.getEntry(name)).readAllBytes();
    }
  }

  private static JsonNode metrics(File out) throws Exception {
    return new ObjectMapper().readTree(new File(out, "metrics.json"));
  }

  private static int run(String[] args, File out) {
    return new CommandLine(new GanExample()).setCaseInsensitiveEnumValuesAllowed(true)
        .execute(concat(args, "--out", out.getPath()));
  }

  private static String[] concat(String[] a, String... b) {
    String[] c = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, c, a.length, b.length);
    return c;
  }
}
