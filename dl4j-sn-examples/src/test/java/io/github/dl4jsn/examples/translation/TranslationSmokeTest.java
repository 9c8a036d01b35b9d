package io.github.dl4jsn.examples.translation;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;

/**
 * The CI smoke mode: the whole pipeline on 36 made-up pairs in DDTP format (no network): prepare,
 * train a few epochs with SN, resume, decode greedily and with a length-normalized beam, BLEU,
 * translate; for both architectures.
 */
class TranslationSmokeTest {

  @TempDir Path dir;

  private int run(ByteArrayOutputStream stdout, String... args) throws Exception {
    PrintStream old = System.out;
    try {
      System.setOut(new PrintStream(stdout, true, "UTF-8"));
      return TranslationExample.commandLine().execute(args);
    } finally {
      System.setOut(old);
    }
  }

  @ParameterizedTest(name = "architecture {0}")
  @EnumSource(TranslationExample.Architecture.class)
  void trainResumeEvalAndTranslateOnATinyCorpus(TranslationExample.Architecture architecture)
      throws Exception {
    Path data = corpus();
    Path out = dir.resolve("out");
    String[] train = {"train", "--data", data.toString(), "--out", out.toString(), "--layers", "2",
        "--hidden", "32", "--embedding", "16", "--src-vocab", "40", "--tgt-vocab", "40",
        "--batch-size", "8", "--optimizer", "adam", "--lr", "0.01", "--sn", "--log-every", "2",
        "--valid-sentences", "2", "--architecture", architecture.name()};
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    assertThat(run(buf, concat(train, "--epochs", "3"))).isZero();
    JsonNode splits = new ObjectMapper().readTree(data.resolve("short/splits.json").toFile());
    assertThat(splits.get("pairedDescriptions").asInt()).isEqualTo(36);
    assertThat(splits.get("uniquePairs").asInt()).isEqualTo(36);
    assertThat(splits.get("train").asInt() + splits.get("valid").asInt()
        + splits.get("test").asInt()).isEqualTo(36);
    assertThat(splits.get("test").asInt()).isGreaterThan(0);
    JsonNode first = new ObjectMapper().readTree(out.resolve("train-history.json").toFile());
    assertThat(first).hasSize(3);
    assertThat(first.get(2).get("trainLoss").asDouble())
        .isLessThan(first.get(0).get("trainLoss").asDouble());

    // Resume: only the missing epochs run, from the saved epoch count; the history goes on.
    assertThat(run(buf, concat(train, "--epochs", "5", "--resume"))).isZero();
    JsonNode resumed = new ObjectMapper().readTree(out.resolve("train-history.json").toFile());
    assertThat(resumed).extracting(n -> n.get("epoch").asInt()).containsExactly(1, 2, 3, 4, 5);
    for (int i = 0; i < 3; i++) {
      assertThat(resumed.get(i).get("trainLoss").asDouble())
          .as("epoch %d kept from the first run", i + 1)
          .isEqualTo(first.get(i).get("trainLoss").asDouble());
    }

    // The best epoch by greedy validation BLEU is kept beside the last one.
    assertThat(out.resolve("best.zip")).isRegularFile();
    Path model = out.resolve("model.zip");
    String norm = architecture == TranslationExample.Architecture.state ? "gnmt" : "average";
    assertThat(run(buf, "eval", "--data", data.toString(), "--model", model.toString(),
        "--beam", "3", "--length-norm", norm)).isZero();
    JsonNode eval = new ObjectMapper().readTree(out.resolve("eval-test.json").toFile());
    // The architecture is read from the model file.
    assertThat(eval.get("architecture").asText()).isEqualTo(architecture.name());
    assertThat(eval.get("lengthNorm").asText()).isEqualTo(norm);
    for (String key : new String[] {"greedyBleu", "greedyRareWordBleu", "beamBleu",
        "beamRareWordBleu", "greedyRareWordParagraphsBleu", "beamRareWordParagraphsBleu"}) {
      assertThat(eval.get(key).asDouble()).as(key).isBetween(0.0, 1.0);
    }
    // The paragraph dictionary, learned from the training descriptions' long descriptions
    // (cached beside the splits) for the test sources' out-of-vocabulary words.
    assertThat(data.resolve("short/train-paragraphs.tsv")).isRegularFile();
    assertThat(out.resolve("dictionary-test.tsv")).isRegularFile();
    List<String> lines = Files.readAllLines(out.resolve("eval-test.tsv"), StandardCharsets.UTF_8);
    assertThat(lines).hasSize(splits.get("test").asInt());
    for (String line : lines) {
      String[] f = line.split("\t", -1);
      assertThat(f).as("source, raw, rare-word, reference, rare-word with paragraphs").hasSize(5);
      assertThat(f[1]).doesNotContain("<eos>", "<pad>");
      assertThat(f[2]).doesNotContain("<eos>", "<pad>", "<unk>");
      assertThat(f[4]).doesNotContain("<eos>", "<pad>", "<unk>");
    }
    assertThat(buf.toString(StandardCharsets.UTF_8)).contains("BLEU greedy",
        "BLEU beam 3 (length norm " + norm + ")");

    ByteArrayOutputStream tr = new ByteArrayOutputStream();
    assertThat(run(tr, "translate", "--model", model.toString(), "--beam", "3", "--length-norm",
        norm, "shared library for zorblax")).isZero();
    String translation = tr.toString(StandardCharsets.UTF_8).trim();
    assertThat(translation).doesNotContain("<eos>", "<pad>", "<unk>");

    // Gate statistics: state models only; an output model is refused by name.
    StringWriter err = new StringWriter();
    int gates = TranslationExample.commandLine().setErr(new PrintWriter(err)).execute("gates",
        "--data", data.toString(), "--model", model.toString());
    if (architecture == TranslationExample.Architecture.state) {
      assertThat(gates).isZero();
      JsonNode g = new ObjectMapper().readTree(out.resolve("gates-valid.json").toFile());
      assertThat(g.get("layers").fieldNames()).toIterable()
          .containsExactly("enc0", "enc1", "dec0", "dec1");
      assertThat(g.get("sentences").asInt()).isEqualTo(splits.get("valid").asInt());
      double saturated = g.get("layers").get("dec1").get("saturated").asDouble();
      assertThat(saturated).isBetween(0.0, 1.0);
    } else {
      assertThat(gates).isEqualTo(2);
      assertThat(err.toString()).contains("state architecture", model.toString(), "output");
    }
  }

  /** The 36 made-up pairs in DDTP format, in {@code dir/ddtp}. */
  private Path corpus() throws Exception {
    Path data = dir.resolve("ddtp");
    Files.createDirectories(data);
    for (String lang : new String[] {"en", "fr"}) {
      try (InputStream in = getClass().getResourceAsStream("smoke-Translation-" + lang)) {
        Files.copy(in, data.resolve("Translation-" + lang));
      }
    }
    return data;
  }

  /**
   * A run interrupted after 2 epochs and resumed to 4 trains exactly as one of 4: the same
   * batches in the same order (the shuffles of the epochs done are replayed) and, with dropout,
   * the same masks, so every epoch's training and validation loss is equal to the last bit. The
   * first part itself resumes from the initial weights that {@code --epochs 0} writes.
   */
  @ParameterizedTest(name = "architecture {0}")
  @EnumSource(TranslationExample.Architecture.class)
  void aResumedRunTrainsAsAnUninterruptedOne(TranslationExample.Architecture architecture)
      throws Exception {
    Path data = corpus();
    boolean state = architecture == TranslationExample.Architecture.state;
    String[] common = {"train", "--data", data.toString(), "--layers", "2", "--hidden", "16",
        "--embedding", "8", "--src-vocab", "40", "--tgt-vocab", "40", "--batch-size", "4",
        "--optimizer", "adam", "--lr", "0.01", "--sn", "--log-every", "100",
        "--valid-sentences", "2", "--seed", "3", "--architecture", architecture.name(),
        "--dropout", state ? "0.3" : "0"};
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    Path whole = dir.resolve("whole");
    assertThat(run(buf, concat(common, "--out", whole.toString(), "--epochs", "4"))).isZero();
    Path parts = dir.resolve("parts");
    assertThat(run(buf, concat(common, "--out", parts.toString(), "--epochs", "0"))).isZero();
    assertThat(parts.resolve("model.zip")).isRegularFile();
    assertThat(parts.resolve("train-history.json")).doesNotExist();
    assertThat(run(buf, concat(common, "--out", parts.toString(), "--epochs", "2",
        "--resume"))).isZero();
    assertThat(run(buf, concat(common, "--out", parts.toString(), "--epochs", "4",
        "--resume"))).isZero();
    JsonNode a = new ObjectMapper().readTree(whole.resolve("train-history.json").toFile());
    JsonNode b = new ObjectMapper().readTree(parts.resolve("train-history.json").toFile());
    assertThat(b).hasSize(4);
    for (int i = 0; i < 4; i++) {
      for (String key : new String[] {"trainLoss", "validLoss", "validBleuGreedy"}) {
        assertThat(b.get(i).get(key).asDouble()).as("epoch %d %s", i + 1, key)
            .isEqualTo(a.get(i).get(key).asDouble());
      }
    }

    // Resuming with another seed (another split, other batches) is refused; nothing is lost.
    StringWriter err = new StringWriter();
    String[] other = concat(common, "--out", parts.toString(), "--epochs", "6", "--resume");
    other[Arrays.asList(other).indexOf("--seed") + 1] = "4";
    int code = TranslationExample.commandLine().setErr(new PrintWriter(err)).execute(other);
    assertThat(code).isEqualTo(2);
    assertThat(err.toString()).contains("--seed 4", "model.zip", ", 3,");
    assertThat(new ObjectMapper().readTree(parts.resolve("train-history.json").toFile()))
        .hasSize(4);
  }

  @Test
  void badOptionsAreRejectedNamingTheValue() {
    StringWriter err = new StringWriter();
    int code = TranslationExample.commandLine().setErr(new PrintWriter(err))
        .execute("train", "--hidden", "0", "--data", dir.toString());
    assertThat(code).isEqualTo(2);
    assertThat(err.toString()).contains("--hidden").contains("got 0");
    String[][] bad = {{"--dropout", "1.5", "--dropout must be in [0, 1), got 1.5"},
        {"--epochs", "-1", "--epochs must be >= 0, got -1"},
        {"--patience", "-1", "--patience and --max-minutes must be >= 0, got -1 and 0.0"},
        {"--max-minutes", "-2", "got 0 and -2.0"}};
    for (String[] b : bad) {
      StringWriter e = new StringWriter();
      assertThat(TranslationExample.commandLine().setErr(new PrintWriter(e))
          .execute("train", b[0], b[1], "--data", dir.toString())).as(b[0]).isEqualTo(2);
      assertThat(e.toString()).as(b[0]).contains(b[2]);
    }
    String[][] badSplit = {{"--split", "train", "--split must be test or valid, got 'train'"},
        {"--limit", "-3", "--limit must be >= 0, got -3"}};
    for (String command : new String[] {"eval", "gates"}) {
      for (String[] b : badSplit) {
        StringWriter e = new StringWriter();
        assertThat(TranslationExample.commandLine().setErr(new PrintWriter(e))
            .execute(command, b[0], b[1], "--data", dir.toString())).as(command).isEqualTo(2);
        assertThat(e.toString()).as(command + " " + b[0]).contains(b[2]);
      }
    }
  }

  @Test
  void missingDataNamesTheFetchScript() {
    StringWriter err = new StringWriter();
    int code = TranslationExample.commandLine().setErr(new PrintWriter(err))
        .execute("train", "--data", dir.resolve("nothing").toString(), "--out",
            dir.resolve("o").toString());
    assertThat(code).isNotZero();
    assertThat(err.toString()).contains("scripts/fetch-ddtp.sh");
  }

  private static String[] concat(String[] a, String... b) {
    String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
