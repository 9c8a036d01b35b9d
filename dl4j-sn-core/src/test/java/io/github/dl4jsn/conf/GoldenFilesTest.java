package io.github.dl4jsn.conf;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.dl4jsn.SpectralNorm;
import io.github.dl4jsn.SpectralNormModels;
import java.io.DataInputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.ZipFile;
import org.assertj.core.data.Offset;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.shade.jackson.databind.DeserializationFeature;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;

/**
 * The golden files: models saved by dl4j-sn 0.1 (format v1, written by {@link
 * GoldenFilesGenerator}) still load through DL4J's {@code ModelSerializer} with the same
 * configuration JSON, the same parameter keys in the same order, bit-identical u and v, the same
 * options, outputs and sigmas, and go on training from their Adam state exactly as the run that
 * saved them went on. A change to a class name, a JSON property, a parameter key or the order of
 * the parameters fails here; see the README, "Model format".
 */
class GoldenFilesTest {

  /** The committed models (the inventory: a lost or added file fails the test). */
  static final List<String> MODELS = List.of(
      "mln-feedforward", "graph-feedforward",
      "mln-conv2d", "graph-conv2d",
      "mln-conv2d-operator", "graph-conv2d-operator",
      "mln-conv3d", "graph-conv3d",
      "mln-conv3d-operator", "graph-conv3d-operator",
      "mln-sequence", "graph-sequence",
      "mln-sequence-operator", "graph-sequence-operator",
      "mln-recurrent", "graph-recurrent",
      "mln-recurrent-wrappers", "graph-recurrent-wrappers",
      "mln-samediff", "graph-samediff");

  /** FLOAT outputs, inference: {@code |actual - expected| <= REL |expected| + ABS}. */
  static final double REL = 1e-5;
  static final double ABS = 1e-6;

  /**
   * After training steps taken on another machine, rounding differences may grow a little (Adam
   * divides by the gradients' running scale); the updater-state check below shows that a lost
   * state moves the outputs by far more.
   */
  static final double TRAINING_REL = 1e-4;

  static final ObjectMapper PLAIN = new ObjectMapper();
  /** Reads floats as exact decimals, so that {@code Float.toString} text reads back bit for bit. */
  static final ObjectMapper EXACT =
      new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

  static Path dir() {
    try {
      return Paths.get(GoldenFilesTest.class.getResource("/golden/" + GoldenModels.FORMAT).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  static Stream<String> models() {
    return MODELS.stream();
  }

  static boolean isGraph(String name) {
    return name.startsWith("graph-");
  }

  @Test
  void theGoldenDirectoryHoldsExactlyTheInventoryAndStaysSmall() throws IOException {
    Set<String> expected = new TreeSet<>(Set.of("README.md"));
    for (String m : MODELS) {
      expected.addAll(List.of(m + ".zip", m + ".json", m + ".inputs.json", m + ".expected.json"));
    }
    long bytes = 0;
    Set<String> present = new TreeSet<>();
    try (Stream<Path> files = Files.list(dir())) {
      for (Path p : files.collect(Collectors.toList())) {
        present.add(p.getFileName().toString());
        bytes += Files.size(p);
      }
    }
    assertThat(present).isEqualTo(expected);
    assertThat(bytes).as("total size of the golden files").isLessThan(1_000_000);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void goldenModelLoadsWithItsConfigurationVectorsOptionsAndOutputsThenTrainsOn(String name)
      throws IOException {
    Golden g = new Golden(name);
    Model model = GoldenFilesGenerator.restore(g.zip, isGraph(name));

    String json = Files.readString(dir().resolve(name + ".json"), StandardCharsets.UTF_8);
    assertThat(lf(GoldenFilesGenerator.json(model))).as("configuration JSON").isEqualTo(lf(json));
    assertThat(lf(zipEntry(g.zip, ModelSerializer.CONFIGURATION_JSON))).isEqualTo(lf(json));
    assertThat(model.getClass().getSimpleName()).isEqualTo(g.expected.get("model").asText());

    List<String> keys = new ArrayList<>();
    g.expected.get("paramKeys").forEach(k -> keys.add(k.asText()));
    assertThat(new ArrayList<>(model.paramTable().keySet())).as("parameter keys in order")
        .isEqualTo(keys);
    JsonNode vectors = g.exact.get("vectors");
    assertThat(vectors.size()).as("u and v of every SN layer").isGreaterThan(0);
    vectors.fields().forEachRemaining(v -> {
      INDArray actual = model.paramTable().get(v.getKey());
      INDArray stored = array(v.getValue());
      assertThat(actual.shape()).as(v.getKey()).isEqualTo(stored.shape());
      assertThat(floats(actual)).as(v.getKey() + ", bit for bit").containsExactly(floats(stored));
    });

    String options = PLAIN.writeValueAsString(GoldenModels.options(model));
    assertThat(PLAIN.readTree(options)).as("options").isEqualTo(g.expected.get("options"));

    INDArray features = array(g.inputs.get("features"));
    INDArray labels = array(g.inputs.get("labels"));
    assertClose(GoldenFilesGenerator.output(model, features), array(g.exact.get("outputs")), REL,
        name + " outputs");
    double score = g.expected.get("score").asDouble();
    assertThat(GoldenFilesGenerator.score(model, features, labels))
        .isCloseTo(score, Offset.offset(REL * Math.abs(score)));
    Map<String, Double> sigmas = SpectralNorm.sigmas(model);
    List<String> sigmaKeys = new ArrayList<>();
    g.expected.get("sigmas").fieldNames().forEachRemaining(sigmaKeys::add);
    assertThat(sigmas.keySet()).containsExactlyElementsOf(sigmaKeys);
    sigmas.forEach((k, s) -> {
      double e = g.expected.get("sigmas").get(k).asDouble();
      assertThat(s).as("sigma " + k).isCloseTo(e, Offset.offset(REL * Math.abs(e) + ABS));
    });

    INDArray state = GoldenFilesGenerator.updaterState(model);
    assertThat(state.length()).isEqualTo(g.expected.get("updaterStateLength").asLong());
    assertThat(state.amaxNumber().doubleValue()).as("Adam's state is restored").isPositive();
    assertThat(floats(state)).as("the state in the file, bit for bit")
        .containsExactly(floats(zipArray(g.zip, ModelSerializer.UPDATER_BIN)));

    JsonNode continued = g.expected.get("continued");
    for (int i = 0; i < continued.get("steps").asInt(); i++) {
      GoldenFilesGenerator.fit(model, features, labels);
      double expected = continued.get("scores").get(i).asDouble();
      assertThat(model.score()).as("score of step " + i).isFinite()
          .isCloseTo(expected, Offset.offset(TRAINING_REL * Math.abs(expected)));
    }
    assertClose(GoldenFilesGenerator.output(model, features), array(
        g.exact.get("continued").get("outputs")), TRAINING_REL, name + " after training on");
  }

  @Test
  void withoutItsUpdaterStateAGoldenModelTrainsOnDifferently() throws IOException {
    Golden g = new Golden("mln-feedforward");
    MultiLayerNetwork fresh = ModelSerializer.restoreMultiLayerNetwork(g.zip, false);
    GoldenFilesGenerator.resumeListeners(fresh);
    INDArray features = array(g.inputs.get("features"));
    INDArray labels = array(g.inputs.get("labels"));
    for (int i = 0; i < g.expected.get("continued").get("steps").asInt(); i++) {
      GoldenFilesGenerator.fit(fresh, features, labels);
    }
    INDArray withState = array(g.exact.get("continued").get("outputs"));
    double gap = fresh.output(features).sub(withState).amaxNumber().doubleValue();
    assertThat(gap).as("effect of the lost Adam state, against the tolerance of the test above")
        .isGreaterThan(100 * TRAINING_REL * withState.amaxNumber().doubleValue());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void spectralNormModelsRestoresEveryGoldenModelAsModelSerializerDoes(String name)
      throws IOException {
    File zip = new Golden(name).zip;
    Model checked = isGraph(name)
        ? SpectralNormModels.restoreComputationGraph(zip, true)
        : SpectralNormModels.restoreMultiLayerNetwork(zip, true);
    Model plain = isGraph(name)
        ? ModelSerializer.restoreComputationGraph(zip, true)
        : ModelSerializer.restoreMultiLayerNetwork(zip, true);
    assertThat(floats(checked.params())).containsExactly(floats(plain.params()));
    assertThat(GoldenFilesGenerator.json(checked)).isEqualTo(GoldenFilesGenerator.json(plain));
    assertThat(floats(GoldenFilesGenerator.updaterState(checked)))
        .containsExactly(floats(GoldenFilesGenerator.updaterState(plain)));
    assertThat(checked instanceof ComputationGraph).isEqualTo(isGraph(name));
  }

  // -----------------------------------------------------------------------------------------------

  /** One golden model's files. */
  static final class Golden {
    final File zip;
    final JsonNode inputs;
    final JsonNode expected;
    final JsonNode exact;

    Golden(String name) throws IOException {
      Path d = dir();
      zip = d.resolve(name + ".zip").toFile();
      inputs = EXACT.readTree(d.resolve(name + ".inputs.json").toFile());
      expected = PLAIN.readTree(d.resolve(name + ".expected.json").toFile());
      exact = EXACT.readTree(d.resolve(name + ".expected.json").toFile());
    }
  }

  /** An array stored as {@code {"shape": [...], "data": [...]}} (FLOAT, row-major). */
  static INDArray array(JsonNode node) {
    long[] shape = new long[node.get("shape").size()];
    for (int i = 0; i < shape.length; i++) {
      shape[i] = node.get("shape").get(i).asLong();
    }
    JsonNode data = node.get("data");
    float[] values = new float[data.size()];
    for (int i = 0; i < values.length; i++) {
      BigDecimal d = data.get(i).decimalValue();
      values[i] = Float.parseFloat(d.toString());
    }
    return Nd4j.create(values, shape, 'c');
  }

  static void assertClose(INDArray actual, INDArray expected, double rel, String what) {
    assertThat(actual.shape()).as(what + " shape").isEqualTo(expected.shape());
    INDArray a = Nd4j.toFlattened('c', actual).castTo(expected.dataType());
    INDArray e = Nd4j.toFlattened('c', expected);
    for (long i = 0; i < e.length(); i++) {
      double x = a.getDouble(i);
      double y = e.getDouble(i);
      assertThat(Math.abs(x - y)).as(what + " at flat index " + i + ": " + x + " vs " + y)
          .isLessThanOrEqualTo(rel * Math.abs(y) + ABS);
    }
  }

  static float[] floats(INDArray x) {
    return Nd4j.toFlattened('c', x).toFloatVector();
  }

  static String lf(String s) {
    return s.replace("\r\n", "\n").strip();
  }

  static String zipEntry(File zip, String entry) throws IOException {
    try (ZipFile z = new ZipFile(zip); InputStream in = z.getInputStream(z.getEntry(entry))) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  static INDArray zipArray(File zip, String entry) throws IOException {
    try (ZipFile z = new ZipFile(zip);
        DataInputStream in = new DataInputStream(z.getInputStream(z.getEntry(entry)))) {
      return Nd4j.read(in);
    }
  }
}
