package io.github.dl4jsn.conf;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.dl4jsn.SpectralNorm;
import io.github.dl4jsn.samediff.SameDiffSpectralNormListener;
import io.github.dl4jsn.samediff.SpectralNormSameDiffLayer;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Pattern;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.shade.jackson.databind.ObjectMapper;

/**
 * Writes the golden files under {@code src/test/resources/golden/v1}: for every model of {@link
 * GoldenModels}, trained {@value GoldenModels#STEPS} steps with Adam on a fixed batch,
 *
 * <ul>
 *   <li>{@code NAME.zip}: the model as {@code ModelSerializer.writeModel(model, file, true)} saves
 *       it, updater state included (the model is mid-training);
 *   <li>{@code NAME.json}: its configuration, as DL4J writes it (pretty JSON, the zip's {@code
 *       configuration.json});
 *   <li>{@code NAME.inputs.json}: the fixed features and labels;
 *   <li>{@code NAME.expected.json}: what the saved model produced: its outputs and score on the
 *       features, its parameter keys in order, the values of its persistent vectors u and v, its
 *       sigma estimates, the options of every SN layer, its updater state's length, and the
 *       scores and outputs of {@value GoldenModels#STEPS} more training steps (taken in memory,
 *       and checked here to equal those taken from the file).
 * </ul>
 *
 * <p>Arrays are JSON objects {@code {"shape": [...], "data": [...]}} with the data in row-major
 * ('c') order, each float written as Java's {@code Float.toString} (which reads back exactly).
 *
 * <p>To write the files of models added to {@link GoldenModels} (from the repository root):
 *
 * <pre>
 * mvn -B -o test -pl dl4j-sn-core -Dtest=GoldenFilesGenerator -Ddl4jsn.golden.regenerate=true
 * </pre>
 *
 * or run {@link #main} with the target directory as its argument. Existing files are left alone.
 * <b>Rewriting them is a format change</b>, and needs {@code -Ddl4jsn.golden.overwrite=true}: the
 * committed files pin what released versions of dl4j-sn saved, and overwriting them makes {@link
 * GoldenFilesTest} pass whatever the current code does, while users' saved models may no longer
 * load. A deliberate format change writes a new format directory ({@code golden/v2}, with {@code
 * -Ddl4jsn.golden.dir}) and keeps the old one and its test; see the README, "Model format".
 */
class GoldenFilesGenerator {

  /** Parameter names of the persistent vectors ({@code uW}, {@code vRW}, {@code fuW}, ...). */
  static final Pattern VECTOR = Pattern.compile("[fb]?[uv](W|RW|pW|Wq|Wk|Wv|Wo)");

  @Test
  @EnabledIfSystemProperty(named = "dl4jsn.golden.regenerate", matches = "true")
  void writesTheGoldenFilesOfNewModels() throws IOException {
    Path dir = Paths.get(System.getProperty(
        "dl4jsn.golden.dir", "src/test/resources/golden/" + GoldenModels.FORMAT));
    List<String> written = write(dir, Boolean.getBoolean("dl4jsn.golden.overwrite"));
    System.out.println("Wrote " + written + " to " + dir.toAbsolutePath());
    for (GoldenModels.Spec spec : GoldenModels.specs()) {
      assertThat(dir.resolve(spec.name() + ".zip")).exists();
    }
  }

  /**
   * Writes the golden files of models that have none yet.
   *
   * @param args the target directory (default {@code
   *     dl4j-sn-core/src/test/resources/golden/v1}, relative to the working directory), then
   *     {@code --overwrite} to rewrite existing files too (a format change)
   */
  public static void main(String[] args) throws IOException {
    Path dir = Paths.get(args.length > 0
        ? args[0] : "dl4j-sn-core/src/test/resources/golden/" + GoldenModels.FORMAT);
    boolean overwrite = args.length > 1 && args[1].equals("--overwrite");
    System.out.println("Wrote " + write(dir, overwrite) + " to " + dir.toAbsolutePath());
  }

  /**
   * Writes the files of every model that has none in {@code dir}, or of every model (removing
   * stale files) if {@code overwrite}; returns the names written.
   */
  static List<String> write(Path dir, boolean overwrite) throws IOException {
    Files.createDirectories(dir);
    if (overwrite) {
      try (DirectoryStream<Path> old = Files.newDirectoryStream(dir, "*.{zip,json}")) {
        for (Path p : old) {
          Files.delete(p);
        }
      }
    }
    List<String> names = new ArrayList<>();
    for (GoldenModels.Spec spec : GoldenModels.specs()) {
      if (overwrite || !Files.exists(dir.resolve(spec.name() + ".zip"))) {
        write(spec, dir);
        names.add(spec.name());
      }
    }
    return names;
  }

  static void write(GoldenModels.Spec spec, Path dir) throws IOException {
    Random r = new Random(spec.topology().name().hashCode());
    INDArray features = spec.topology().features().apply(r);
    INDArray labels = spec.topology().labels().apply(r);
    Model model = spec.build();
    if (hasSameDiffSpectralNormLayer(model)) {
      SameDiffSpectralNormListener.attach(model);
    }
    for (int i = 0; i < GoldenModels.STEPS; i++) {
      fit(model, features, labels);
    }

    File zip = dir.resolve(spec.name() + ".zip").toFile();
    ModelSerializer.writeModel(model, zip, true);
    Files.writeString(dir.resolve(spec.name() + ".json"), json(model), StandardCharsets.UTF_8);

    Map<String, Object> inputs = new LinkedHashMap<>();
    inputs.put("features", array(features));
    inputs.put("labels", array(labels));
    writeJson(dir.resolve(spec.name() + ".inputs.json"), inputs);

    Map<String, Object> expected = new LinkedHashMap<>();
    expected.put("model", model.getClass().getSimpleName());
    expected.put("outputs", array(output(model, features)));
    expected.put("score", score(model, features, labels));
    expected.put("paramKeys", new ArrayList<>(model.paramTable().keySet()));
    Map<String, Object> vectors = new LinkedHashMap<>();
    for (Map.Entry<String, INDArray> p : model.paramTable().entrySet()) {
      if (isVector(p.getKey())) {
        vectors.put(p.getKey(), array(p.getValue()));
      }
    }
    expected.put("vectors", vectors);
    expected.put("sigmas", SpectralNorm.sigmas(model));
    expected.put("options", GoldenModels.options(model));
    expected.put("updaterStateLength", updaterState(model).length());

    // Continue in memory; the same steps from the file must give the same numbers.
    List<Double> scores = new ArrayList<>();
    for (int i = 0; i < GoldenModels.STEPS; i++) {
      fit(model, features, labels);
      scores.add(model.score());
    }
    INDArray continued = output(model, features);
    Model restored = restore(zip, model instanceof ComputationGraph);
    for (int i = 0; i < GoldenModels.STEPS; i++) {
      fit(restored, features, labels);
      assertThat(restored.score()).as(spec + " step " + i + " from the file")
          .isEqualTo(scores.get(i));
    }
    assertThat(output(restored, features)).as(spec + " from the file").isEqualTo(continued);
    Map<String, Object> more = new LinkedHashMap<>();
    more.put("steps", GoldenModels.STEPS);
    more.put("scores", scores);
    more.put("outputs", array(continued));
    expected.put("continued", more);
    writeJson(dir.resolve(spec.name() + ".expected.json"), expected);
  }

  // -----------------------------------------------------------------------------------------------
  // What the generator and the test share

  /** Restores a golden zip as DL4J does, updater included, ready to train on. */
  static Model restore(File zip, boolean graph) throws IOException {
    Model m = graph
        ? ModelSerializer.restoreComputationGraph(zip, true)
        : ModelSerializer.restoreMultiLayerNetwork(zip, true);
    resumeListeners(m);
    return m;
  }

  /**
   * Adds the power-iteration listener that a model with {@code SpectralNormDenseSD} layers trains
   * with. After a restore it is added as is: {@code attach} would run one more power iteration
   * than the uninterrupted run (the listener iterates after each update, and the file holds the
   * vectors already iterated for the next step).
   */
  static void resumeListeners(Model m) {
    if (hasSameDiffSpectralNormLayer(m)) {
      m.addListeners(new SameDiffSpectralNormListener());
    }
  }

  static boolean hasSameDiffSpectralNormLayer(Model m) {
    org.deeplearning4j.nn.api.Layer[] layers = m instanceof ComputationGraph
        ? ((ComputationGraph) m).getLayers() : ((MultiLayerNetwork) m).getLayers();
    for (org.deeplearning4j.nn.api.Layer l : layers) {
      if (l.conf().getLayer() instanceof SpectralNormSameDiffLayer) {
        return true;
      }
    }
    return false;
  }

  static boolean isVector(String paramKey) {
    return VECTOR.matcher(paramKey.substring(paramKey.lastIndexOf('_') + 1)).matches();
  }

  static void fit(Model m, INDArray features, INDArray labels) {
    if (m instanceof ComputationGraph) {
      ((ComputationGraph) m).fit(new DataSet(features, labels));
    } else {
      ((MultiLayerNetwork) m).fit(features, labels);
    }
  }

  static INDArray output(Model m, INDArray features) {
    return m instanceof ComputationGraph
        ? ((ComputationGraph) m).outputSingle(features)
        : ((MultiLayerNetwork) m).output(features);
  }

  static double score(Model m, INDArray features, INDArray labels) {
    return m instanceof ComputationGraph
        ? ((ComputationGraph) m).score(new DataSet(features, labels))
        : ((MultiLayerNetwork) m).score(new DataSet(features, labels));
  }

  static String json(Model m) {
    return m instanceof ComputationGraph
        ? ((ComputationGraph) m).getConfiguration().toJson()
        : ((MultiLayerNetwork) m).getLayerWiseConfigurations().toJson();
  }

  static INDArray updaterState(Model m) {
    return m instanceof ComputationGraph
        ? ((ComputationGraph) m).getUpdater().getStateViewArray()
        : ((MultiLayerNetwork) m).getUpdater().getStateViewArray();
  }

  /** An array as {@code {"shape": [...], "data": [...]}}, data in row-major order. */
  static Map<String, Object> array(INDArray x) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("shape", x.shape());
    out.put("data", Nd4j.toFlattened('c', x).toFloatVector());
    return out;
  }

  private static void writeJson(Path file, Object value) throws IOException {
    String text = new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(value);
    Files.writeString(file, text + "\n", StandardCharsets.UTF_8);
  }
}
