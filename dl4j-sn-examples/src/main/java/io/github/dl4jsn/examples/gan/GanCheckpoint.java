package io.github.dl4jsn.examples.gan;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.File;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.ObjectInputFilter;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.jfree.data.xy.XYSeries;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;
import org.nd4j.shade.jackson.databind.SerializationFeature;

/**
 * A GAN training run's state after a step, one zip file: G and D with their Adam states
 * ({@code ModelSerializer}; the SN layers' u and v and the batch-norm statistics are parameters,
 * the iteration counts that drive the learning-rate schedule are in the configurations), the
 * state of ND4J's random generator and of the {@code java.util.Random} that samples the data,
 * the task's own arrays (images: the fixed latent vectors of the sample grid), the curves so far,
 * the training seconds so far, and the options that define the run.
 *
 * <p>Written to a temporary file, flushed to disk and moved over the previous checkpoint in one
 * atomic rename, so a run killed while writing leaves the previous checkpoint intact. Resuming from
 * it continues the run bit for bit: the same random numbers in the same order, the same updates.
 */
final class GanCheckpoint {
  /** The checkpoint's file name in the output folder. */
  static final String FILE_NAME = "checkpoint.zip";

  private static final int FORMAT = 1;
  private static final String STATE = "state.json";
  private static final String GENERATOR = "generator.zip";
  private static final String DISCRIMINATOR = "discriminator.zip";
  private static final String ARRAY_PREFIX = "arrays/";

  private final JsonNode state;
  private final Map<String, byte[]> entries;

  private GanCheckpoint(JsonNode state, Map<String, byte[]> entries) {
    this.state = state;
    this.entries = entries;
  }

  /**
   * Writes a checkpoint atomically.
   *
   * @param options the run-defining options, by command-line name, as text
   * @param engine what the results depend on beyond the options (engine, threads), as text
   * @param history the curves so far: group name to series name to series
   * @param arrays the task's arrays that a rebuilt task would draw differently
   */
  static void write(File file, int step, double trainSeconds, Map<String, String> options,
      Map<String, String> engine, MultiLayerNetwork generator, MultiLayerNetwork discriminator,
      Random random, Map<String, Map<String, XYSeries>> history, Map<String, INDArray> arrays)
      throws IOException {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("format", FORMAT);
    json.put("step", step);
    json.put("train_seconds", trainSeconds);
    json.put("options", options);
    json.put("engine", engine);
    org.nd4j.linalg.api.rng.Random rng = Nd4j.getRandom();
    Map<String, Object> nd4j = new LinkedHashMap<>();
    nd4j.put("root_state", rng.rootState());
    nd4j.put("node_state", rng.nodeState());
    json.put("nd4j_random", nd4j);
    ByteArrayOutputStream javaRandom = new ByteArrayOutputStream();
    try (ObjectOutputStream o = new ObjectOutputStream(javaRandom)) {
      o.writeObject(random);
    }
    json.put("java_random", Base64.getEncoder().encodeToString(javaRandom.toByteArray()));
    Map<String, Object> curves = new LinkedHashMap<>();
    history.forEach((group, series) -> {
      Map<String, Object> g = new LinkedHashMap<>();
      series.forEach((name, s) -> {
        double[][] xy = s.toArray();
        Map<String, double[]> points = new LinkedHashMap<>();
        points.put("x", xy[0]);
        points.put("y", xy[1]);
        g.put(name, points);
      });
      curves.put(group, g);
    });
    json.put("history", curves);

    File tmp = new File(file.getParentFile(), file.getName() + ".tmp");
    try (FileOutputStream f = new FileOutputStream(tmp);
        ZipOutputStream zip = new ZipOutputStream(f)) {
      put(zip, STATE, new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
          .writeValueAsBytes(json));
      put(zip, GENERATOR, model(generator));
      put(zip, DISCRIMINATOR, model(discriminator));
      for (Map.Entry<String, INDArray> a : arrays.entrySet()) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (DataOutputStream d = new DataOutputStream(b)) {
          Nd4j.write(a.getValue(), d);
        }
        put(zip, ARRAY_PREFIX + a.getKey(), b.toByteArray());
      }
      zip.finish();
      zip.flush();
      f.getFD().sync();
    }
    Files.move(tmp.toPath(), file.toPath(), StandardCopyOption.ATOMIC_MOVE,
        StandardCopyOption.REPLACE_EXISTING);
  }

  private static byte[] model(MultiLayerNetwork net) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    ModelSerializer.writeModel(net, b, true);
    return b.toByteArray();
  }

  private static void put(ZipOutputStream zip, String name, byte[] bytes) throws IOException {
    zip.putNextEntry(new ZipEntry(name));
    zip.write(bytes);
    zip.closeEntry();
  }

  /** Reads a checkpoint; a missing or incomplete file fails naming it. */
  static GanCheckpoint read(File file) throws IOException {
    Map<String, byte[]> entries = new HashMap<>();
    try (ZipInputStream zip = new ZipInputStream(Files.newInputStream(file.toPath()))) {
      for (ZipEntry e = zip.getNextEntry(); e != null; e = zip.getNextEntry()) {
        entries.put(e.getName(), zip.readAllBytes());
      }
    }
    for (String name : new String[] {STATE, GENERATOR, DISCRIMINATOR}) {
      if (!entries.containsKey(name)) {
        throw new IOException("The checkpoint " + file + " has no " + name
            + "; it is not a checkpoint of this program");
      }
    }
    JsonNode state = new ObjectMapper().readTree(entries.get(STATE));
    if (state.path("format").asInt() != FORMAT) {
      throw new IOException("The checkpoint " + file + " has format " + state.path("format")
          + "; this program reads format " + FORMAT);
    }
    return new GanCheckpoint(state, entries);
  }

  /** The last step trained. */
  int step() {
    return state.get("step").asInt();
  }

  /** Seconds of training up to {@link #step()}. */
  double trainSeconds() {
    return state.get("train_seconds").asDouble();
  }

  /**
   * The options whose values differ between the checkpoint and {@code options}, one line each
   * naming the option and both values; empty when this is the same run.
   */
  List<String> differences(Map<String, String> options) {
    return differences(state.get("options"), options);
  }

  /** Like {@link #differences} for the engine entries, which change the numbers, not the run. */
  List<String> engineDifferences(Map<String, String> engine) {
    return differences(state.get("engine"), engine);
  }

  private static List<String> differences(JsonNode saved, Map<String, String> current) {
    List<String> d = new ArrayList<>();
    for (Map.Entry<String, String> e : current.entrySet()) {
      JsonNode s = saved.get(e.getKey());
      String was = s == null ? "(not set)" : s.asText();
      if (!was.equals(e.getValue())) {
        d.add(e.getKey() + ": checkpoint " + was + ", now " + e.getValue());
      }
    }
    for (Iterator<String> names = saved.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!current.containsKey(name)) {
        d.add(name + ": checkpoint " + saved.get(name).asText() + ", now (not set)");
      }
    }
    return d;
  }

  /** The generator as saved, with its updater state. */
  MultiLayerNetwork generator() throws IOException {
    return ModelSerializer.restoreMultiLayerNetwork(
        new ByteArrayInputStream(entries.get(GENERATOR)), true);
  }

  /** The discriminator as saved, with its updater state. */
  MultiLayerNetwork discriminator() throws IOException {
    return ModelSerializer.restoreMultiLayerNetwork(
        new ByteArrayInputStream(entries.get(DISCRIMINATOR)), true);
  }

  /** Copies the saved arrays into the task's arrays of the same names. */
  void restoreArrays(Map<String, INDArray> arrays) throws IOException {
    for (Map.Entry<String, INDArray> a : arrays.entrySet()) {
      byte[] b = entries.get(ARRAY_PREFIX + a.getKey());
      if (b == null) {
        throw new IOException("The checkpoint has no array " + a.getKey());
      }
      try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(b))) {
        a.getValue().assign(Nd4j.read(in));
      }
    }
  }

  /** Refills the curves: the series of each group, created where missing. */
  void restoreHistory(Map<String, Map<String, XYSeries>> history) {
    JsonNode saved = state.get("history");
    history.forEach((group, series) -> {
      for (Iterator<Map.Entry<String, JsonNode>> it = saved.path(group).fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        XYSeries s = series.computeIfAbsent(e.getKey(), XYSeries::new);
        s.clear();
        JsonNode x = e.getValue().get("x");
        JsonNode y = e.getValue().get("y");
        for (int i = 0; i < x.size(); i++) {
          s.add(x.get(i).asDouble(), y.get(i).asDouble(), false);
        }
        s.fireSeriesChanged();
      }
    });
  }

  /**
   * Sets ND4J's random generator (this thread's) to its saved state and returns the saved
   * {@code java.util.Random}. Call it last, after everything a rebuild draws.
   */
  Random restoreRandomness() throws IOException {
    JsonNode nd4j = state.get("nd4j_random");
    Nd4j.getRandom().setStates(nd4j.get("root_state").asLong(),
        nd4j.get("node_state").asLong());
    byte[] bytes = Base64.getDecoder().decode(state.get("java_random").asText());
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes))) {
      in.setObjectInputFilter(ObjectInputFilter.Config.createFilter("java.util.Random;!*"));
      return (Random) in.readObject();
    } catch (ClassNotFoundException e) {
      throw new IOException("The checkpoint's java.util.Random cannot be read", e);
    }
  }
}
