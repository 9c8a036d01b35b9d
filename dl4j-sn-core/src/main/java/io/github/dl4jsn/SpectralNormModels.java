package io.github.dl4jsn;

import io.github.dl4jsn.conf.NormalizedWeight;
import io.github.dl4jsn.conf.SameDiffSpectralNormalization;
import io.github.dl4jsn.conf.SpectralNormalization;
import io.github.dl4jsn.layers.SameDiffSpectralNormLayer;
import io.github.dl4jsn.layers.SpectralNormLayer;
import io.github.dl4jsn.samediff.SpectralNormSameDiffLayer;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.File;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import org.deeplearning4j.exception.DL4JInvalidConfigException;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.misc.FrozenLayer;
import org.deeplearning4j.nn.conf.layers.recurrent.Bidirectional;
import org.deeplearning4j.nn.conf.layers.wrapper.BaseWrapperLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.shade.jackson.databind.JavaType;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;
import org.nd4j.shade.jackson.databind.introspect.BeanPropertyDefinition;

/**
 * Loads models saved by {@code ModelSerializer} with every check done before a network is returned,
 * and with errors that name the file and the layer, parameter or value at fault.
 *
 * <p>DL4J's own {@code ModelSerializer.restoreMultiLayerNetwork}/{@code restoreComputationGraph}
 * read the same files (these methods return the same networks) but answer a truncated zip with
 * "Unexpected end of ZLIB input stream" or "Model wasnt found within file", a class missing from
 * the classpath with advice about "pre version 1.0.0-beta JSON format", parameters of the wrong
 * length with "Invalid parameters: expected length ...", and silently ignore a misspelt option in
 * hand-edited JSON. Here, in this order, before any network exists:
 *
 * <ol>
 *   <li>the zip is complete and readable, and holds {@code configuration.json} and {@code
 *       coefficients.bin};
 *   <li>the configuration is a network of the requested kind (MultiLayerNetwork or
 *       ComputationGraph);
 *   <li>every {@code "@class"} in the configuration is on the classpath (else the message names
 *       the class, where it is used, and for this library's classes says to add dl4j-sn-core),
 *       and every property the file gives this library's classes is one they have;
 *   <li>the options of every spectrally normalized layer are valid (as {@link
 *       SpectralNormalization#validate}: {@code powerIterations >= 0}, {@code coefficient > 0},
 *       ...), inside {@code Bidirectional}, {@code LastTimeStep} and frozen layers too;
 *   <li>{@code coefficients.bin} has exactly the configuration's parameter count (else the
 *       message lists every layer's count and each SN layer's u and v lengths, which hand-edits of
 *       sizes, {@code normalize} or the operator-norm input type change);
 *   <li>after the network is built on the parameters: every u and v has its weight matrix's row
 *       and column count and is finite;
 *   <li>{@code updaterState.bin}, when loaded, has the length the configuration's updaters need.
 * </ol>
 *
 * <p>Failures throw {@link DL4JInvalidConfigException} (configuration) or {@link
 * IllegalArgumentException} (contents); no half-built network escapes. {@link #setParams} is the
 * checked form of {@code model.setParams}, which in DL4J half-assigns a short vector and silently
 * takes the prefix of a long one.
 */
public final class SpectralNormModels {

  private static final String PACKAGE = "io.github.dl4jsn.";

  private SpectralNormModels() {}

  /**
   * Restores a MultiLayerNetwork saved by {@code ModelSerializer.writeModel}, checked as described
   * in the class documentation.
   *
   * @param file the model zip
   * @param loadUpdater whether to restore the updater state too (if the file has one)
   * @return the network, initialized with the saved parameters
   * @throws FileNotFoundException if the file does not exist
   * @throws IllegalArgumentException for a truncated or corrupt zip, missing entries, or
   *     parameters, vectors or updater state that do not fit the configuration
   * @throws DL4JInvalidConfigException for a configuration that cannot be read or has invalid
   *     options; the message names the file and the layer
   */
  public static MultiLayerNetwork restoreMultiLayerNetwork(File file, boolean loadUpdater)
      throws IOException {
    Contents c = read(file, loadUpdater, false);
    MultiLayerConfiguration conf;
    try {
      conf = MultiLayerConfiguration.fromJson(c.json);
    } catch (RuntimeException e) {
      throw unreadable(c.where, e);
    }
    List<Part> parts = new ArrayList<>();
    List<NeuralNetConfiguration> confs = conf.getConfs();
    for (int i = 0; i < confs.size(); i++) {
      NeuralNetConfiguration layerConf = confs.get(i);
      Layer l = layerConf.getLayer();
      parts.add(part(c.where, where(i, l), l, () -> l.initializer().numParams(layerConf)));
    }
    checkLength(c, parts);
    if (c.params != null) {
      conf.setDataType(c.params.dataType());
    }
    MultiLayerNetwork net = new MultiLayerNetwork(conf);
    build(c.where, () -> net.init(c.params, false));
    checkVectors(c.where, net);
    if (c.updaterState != null) {
      INDArray state = net.getUpdater().getStateViewArray();
      checkUpdaterState(c, state);
      if (state != null) {
        net.getUpdater().setStateViewArray(net, c.updaterState, false);
      }
    }
    return net;
  }

  /**
   * Restores a ComputationGraph saved by {@code ModelSerializer.writeModel}, checked as {@link
   * #restoreMultiLayerNetwork}.
   *
   * @param file the model zip
   * @param loadUpdater whether to restore the updater state too (if the file has one)
   * @return the graph, initialized with the saved parameters
   * @throws FileNotFoundException if the file does not exist
   * @throws IllegalArgumentException as {@link #restoreMultiLayerNetwork}
   * @throws DL4JInvalidConfigException as {@link #restoreMultiLayerNetwork}
   */
  public static ComputationGraph restoreComputationGraph(File file, boolean loadUpdater)
      throws IOException {
    Contents c = read(file, loadUpdater, true);
    ComputationGraphConfiguration conf;
    try {
      conf = ComputationGraphConfiguration.fromJson(c.json);
    } catch (RuntimeException e) {
      throw unreadable(c.where, e);
    }
    List<Part> parts = new ArrayList<>();
    for (Map.Entry<String, GraphVertex> v : conf.getVertices().entrySet()) {
      GraphVertex vertex = v.getValue();
      Layer l = vertex instanceof LayerVertex
          ? ((LayerVertex) vertex).getLayerConf().getLayer() : null;
      parts.add(part(c.where, "vertex '" + v.getKey() + "'", l, () -> vertex.numParams(true)));
    }
    checkLength(c, parts);
    if (c.params != null) {
      conf.setDataType(c.params.dataType());
    }
    ComputationGraph graph = new ComputationGraph(conf);
    build(c.where, () -> graph.init(c.params, false));
    checkVectors(c.where, graph);
    if (c.updaterState != null) {
      INDArray state = graph.getUpdater().getStateViewArray();
      checkUpdaterState(c, state);
      if (state != null) {
        graph.getUpdater().setStateViewArray(c.updaterState);
      }
    }
    return graph;
  }

  /**
   * {@code model.setParams(params)} after checking the length, so that a vector of the wrong
   * length changes nothing (DL4J assigns a short one layer by layer until it runs out, and takes
   * the leading part of a long one).
   *
   * @throws IllegalArgumentException naming the expected and actual lengths and every layer's
   *     count, with the SN layers' u and v
   */
  public static void setParams(Model model, INDArray params) {
    long expected = model.numParams();
    if (params.length() != expected) {
      List<Part> parts = new ArrayList<>();
      if (model instanceof MultiLayerNetwork) {
        org.deeplearning4j.nn.api.Layer[] layers = ((MultiLayerNetwork) model).getLayers();
        for (int i = 0; i < layers.length; i++) {
          Layer l = layers[i].conf().getLayer();
          parts.add(part("setParams", where(i, l), l, layers[i]::numParams));
        }
      } else if (model instanceof ComputationGraph) {
        for (org.deeplearning4j.nn.api.Layer l : ((ComputationGraph) model).getLayers()) {
          Layer conf = l.conf().getLayer();
          parts.add(part("setParams", "vertex '" + conf.getLayerName() + "'", conf, l::numParams));
        }
      }
      throw new IllegalArgumentException("setParams: the model has " + expected
          + " parameters, got a vector of " + params.length() + layout(parts)
          + "; the model was not changed");
    }
    model.setParams(params);
  }

  // -----------------------------------------------------------------------------------------------
  // Reading the zip

  /** The entries of a model zip that a network needs. */
  private static final class Contents {
    String where;
    String json;
    INDArray params;
    INDArray updaterState;
  }

  private static Contents read(File file, boolean loadUpdater, boolean graph)
      throws IOException {
    Contents c = new Contents();
    c.where = file.getPath();
    if (!file.isFile()) {
      throw new FileNotFoundException(c.where + ": no such model file");
    }
    Map<String, byte[]> entries = new LinkedHashMap<>();
    try (ZipFile zip = new ZipFile(file)) {
      Enumeration<? extends ZipEntry> e = zip.entries();
      while (e.hasMoreElements()) {
        ZipEntry entry = e.nextElement();
        String name = entry.getName();
        boolean needed = name.equals(ModelSerializer.CONFIGURATION_JSON)
            || name.equals(ModelSerializer.COEFFICIENTS_BIN)
            || name.equals(ModelSerializer.NO_PARAMS_MARKER)
            || (loadUpdater && name.equals(ModelSerializer.UPDATER_BIN));
        if (needed) {
          try (InputStream in = zip.getInputStream(entry)) {
            entries.put(name, in.readAllBytes());
          } catch (IOException ex) {
            throw new IllegalArgumentException(c.where + ": entry " + name + " of the model zip "
                + "cannot be read (corrupt or truncated file): " + ex.getMessage()
                + "; nothing was loaded", ex);
          }
        }
      }
    } catch (ZipException e) {
      throw new IllegalArgumentException(c.where + ": not a complete zip file (truncated or "
          + "corrupt: " + e.getMessage() + "); a model saved by ModelSerializer is a zip with "
          + ModelSerializer.CONFIGURATION_JSON + " and " + ModelSerializer.COEFFICIENTS_BIN
          + "; nothing was loaded", e);
    }
    byte[] json = entries.get(ModelSerializer.CONFIGURATION_JSON);
    byte[] coefficients = entries.get(ModelSerializer.COEFFICIENTS_BIN);
    if (json == null || coefficients == null) {
      throw new IllegalArgumentException(c.where + ": not a model file: the zip has no "
          + (json == null ? ModelSerializer.CONFIGURATION_JSON : ModelSerializer.COEFFICIENTS_BIN)
          + "; nothing was loaded");
    }
    c.json = new String(json, StandardCharsets.UTF_8);
    checkKind(c.where, c.json, graph);
    if (coefficients.length > 0) {
      c.params = readArray(c.where, ModelSerializer.COEFFICIENTS_BIN, coefficients);
    } else if (!entries.containsKey(ModelSerializer.NO_PARAMS_MARKER)) {
      throw new IllegalArgumentException(c.where + ": " + ModelSerializer.COEFFICIENTS_BIN
          + " is empty; nothing was loaded");
    }
    byte[] updater = entries.get(ModelSerializer.UPDATER_BIN);
    if (updater != null) {
      c.updaterState = readArray(c.where, ModelSerializer.UPDATER_BIN, updater);
    }
    return c;
  }

  private static INDArray readArray(String where, String entry, byte[] bytes) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
      return Nd4j.read(in);
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException(where + ": " + entry + " is not an ND4J array ("
          + e + "); nothing was loaded", e);
    }
  }

  // -----------------------------------------------------------------------------------------------
  // The configuration

  /**
   * Checks, on the JSON tree, that it describes the requested kind of network, that every class it
   * names can be loaded, and that this library's classes have every property the file gives them
   * (Jackson, as DL4J configures it, silently drops unknown properties, so a misspelt option would
   * take its default).
   */
  private static void checkKind(String where, String json, boolean graph) {
    JsonNode tree;
    try {
      tree = new ObjectMapper().readTree(json);
    } catch (IOException e) {
      throw new DL4JInvalidConfigException(where + ": " + ModelSerializer.CONFIGURATION_JSON
          + " is not valid JSON: " + e.getMessage(), e);
    }
    if (graph && !tree.has("vertices") && tree.has("confs")) {
      throw new IllegalArgumentException(where + ": the file holds a MultiLayerNetwork; restore "
          + "it with restoreMultiLayerNetwork");
    }
    if (!graph && !tree.has("confs") && tree.has("vertices")) {
      throw new IllegalArgumentException(where + ": the file holds a ComputationGraph; restore "
          + "it with restoreComputationGraph");
    }
    checkClasses(where, tree, "$");
  }

  private static void checkClasses(String where, JsonNode node, String path) {
    if (node.isArray()) {
      for (int i = 0; i < node.size(); i++) {
        checkClasses(where, node.get(i), path + "[" + i + "]");
      }
      return;
    }
    if (!node.isObject()) {
      return;
    }
    JsonNode type = node.get("@class");
    if (type != null && type.isTextual()) {
      String name = type.asText();
      Class<?> cls;
      try {
        cls = Class.forName(name, false, classLoader());
      } catch (ClassNotFoundException | LinkageError e) {
        String fix = name.startsWith(PACKAGE)
            ? "add io.github.dl4jsn:dl4j-sn-core (of a version that reads this file) to the "
                + "classpath"
            : "add the library that defines it to the classpath";
        throw new DL4JInvalidConfigException(where + ": " + ModelSerializer.CONFIGURATION_JSON
            + " uses class " + name + " (at " + path + "), which is not on the classpath: " + fix
            + ". (DL4J itself reports this as a configuration in 'pre version 1.0.0-beta JSON "
            + "format', which it is not.)", e);
      }
      if (name.startsWith(PACKAGE)) {
        checkProperties(where, node, path, cls);
      }
    }
    Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> f = fields.next();
      checkClasses(where, f.getValue(), path + "." + f.getKey());
    }
  }

  private static void checkProperties(String where, JsonNode node, String path, Class<?> cls) {
    ObjectMapper mapper = NeuralNetConfiguration.mapper();
    JavaType type = mapper.constructType(cls);
    Set<String> known = new TreeSet<>();
    for (BeanPropertyDefinition p
        : mapper.getDeserializationConfig().introspect(type).findProperties()) {
      known.add(p.getName());
    }
    for (BeanPropertyDefinition p
        : mapper.getSerializationConfig().introspect(type).findProperties()) {
      known.add(p.getName());
    }
    Iterator<String> names = node.fieldNames();
    while (names.hasNext()) {
      String name = names.next();
      if (!name.equals("@class") && !known.contains(name)) {
        throw new DL4JInvalidConfigException(where + ": " + ModelSerializer.CONFIGURATION_JSON
            + " gives " + cls.getSimpleName() + " (at " + path + ") the unknown property '" + name
            + "', which would be ignored; its properties are " + known);
      }
    }
  }

  private static ClassLoader classLoader() {
    ClassLoader l = Thread.currentThread().getContextClassLoader();
    return l != null ? l : SpectralNormModels.class.getClassLoader();
  }

  private static DL4JInvalidConfigException unreadable(String where, RuntimeException e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return new DL4JInvalidConfigException(where + ": " + ModelSerializer.CONFIGURATION_JSON
        + " cannot be read: " + root.getMessage(), e);
  }

  // -----------------------------------------------------------------------------------------------
  // Layers, their options and their parameter counts

  /** One layer (or vertex) of the configuration: where it is, its parameter count, its vectors. */
  private static final class Part {
    String where;
    long numParams;
    /** The spectral normalization's vectors and their lengths, e.g. "uW 32". */
    List<String> vectors = new ArrayList<>();
  }

  private interface Count {
    long get();
  }

  private static String where(int index, Layer l) {
    return "layer " + index + (l.getLayerName() == null ? "" : " '" + l.getLayerName() + "'");
  }

  /** Validates the SN options of a layer (and of layers inside it) and counts its parameters. */
  private static Part part(String file, String where, Layer l, Count count) {
    Part p = new Part();
    p.where = where;
    if (l != null) {
      visit(file, where, "", l, p);
    }
    try {
      p.numParams = count.get();
    } catch (DL4JInvalidConfigException e) {
      throw new DL4JInvalidConfigException(file + ", " + where + ": " + e.getMessage(), e);
    }
    return p;
  }

  /**
   * Validates the spectral normalizations in a layer and lists their vectors.
   *
   * @param prefix the prefix of the layer's parameter keys inside its wrapper ("f" or "b" inside
   *     a Bidirectional)
   */
  private static void visit(String file, String where, String prefix, Layer l, Part p) {
    SpectralNormalization sn = SpectralNormalization.of(l);
    try {
      if (sn != null) {
        sn.validate(file + ", " + where + " (" + l.getClass().getSimpleName() + " of "
            + (sn.getUnderlying() == null ? "null" : sn.getUnderlying().getClass().getSimpleName())
            + ")");
        for (NormalizedWeight nw : sn.normalizedWeights()) {
          p.vectors.add(prefix + nw.uKey() + " " + nw.rows());
          p.vectors.add(prefix + nw.vKey() + " " + nw.cols());
        }
      } else if (l instanceof SameDiffSpectralNormalization) {
        SameDiffSpectralNormalization s = (SameDiffSpectralNormalization) l;
        s.validate();
        for (SameDiffSpectralNormalization.Target t : s.targets()) {
          p.vectors.add(prefix + t.uKey() + " " + t.h());
          p.vectors.add(prefix + t.vKey() + " " + t.w());
        }
      } else if (l instanceof SpectralNormSameDiffLayer) {
        ((SpectralNormSameDiffLayer) l).validate(file + ", " + where);
        Map<String, long[]> shapes =
            ((SpectralNormSameDiffLayer) l).getLayerParams().getParamShapes();
        for (String key : List.of(SpectralNormSameDiffLayer.U_KEY,
            SpectralNormSameDiffLayer.V_KEY)) {
          if (shapes.containsKey(key)) {
            p.vectors.add(prefix + key + " " + length(shapes.get(key)));
          }
        }
      } else if (l instanceof Bidirectional) {
        visit(file, where + " (forward)", prefix + "f", ((Bidirectional) l).getFwd(), p);
        visit(file, where + " (backward)", prefix + "b", ((Bidirectional) l).getBwd(), p);
      } else if (l instanceof BaseWrapperLayer) {
        Layer inner = ((BaseWrapperLayer) l).getUnderlying();
        if (inner != null) {
          visit(file, where, prefix, inner, p);
        }
      } else if (l instanceof FrozenLayer && ((FrozenLayer) l).getLayer() != null) {
        visit(file, where, prefix, ((FrozenLayer) l).getLayer(), p);
      }
    } catch (DL4JInvalidConfigException e) {
      String m = e.getMessage();
      throw new DL4JInvalidConfigException(
          m != null && m.startsWith(file) ? m : file + ", " + where + ": " + m, e);
    }
  }

  private static long length(long[] shape) {
    long n = 1;
    for (long x : shape) {
      n *= x;
    }
    return n;
  }

  private static void checkLength(Contents c, List<Part> parts) {
    long needed = 0;
    for (Part p : parts) {
      needed += p.numParams;
    }
    long held = c.params == null ? 0 : c.params.length();
    if (held != needed) {
      throw new IllegalArgumentException(c.where + ": " + ModelSerializer.COEFFICIENTS_BIN
          + " holds " + held + " parameters, but " + ModelSerializer.CONFIGURATION_JSON
          + " describes " + needed + layout(parts) + ". Is " + ModelSerializer.COEFFICIENTS_BIN
          + " from another model, or was the configuration edited (layer sizes, or an SN layer's "
          + "normalize keys or operator-norm input type, which set the lengths of u and v)? "
          + "Nothing was loaded");
    }
  }

  private static String layout(List<Part> parts) {
    StringBuilder sb = new StringBuilder(":");
    String sep = " ";
    for (Part p : parts) {
      if (p.numParams == 0) {
        continue;
      }
      sb.append(sep).append(p.where).append(' ').append(p.numParams);
      if (!p.vectors.isEmpty()) {
        sb.append(" (").append(String.join(", ", p.vectors)).append(')');
      }
      sep = ", ";
    }
    return sb.toString();
  }

  private interface Step {
    void run();
  }

  private static void build(String where, Step init) {
    try {
      init.run();
    } catch (DL4JInvalidConfigException e) {
      throw new DL4JInvalidConfigException(where + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(where + ": the network cannot be built from "
          + ModelSerializer.CONFIGURATION_JSON + " and " + ModelSerializer.COEFFICIENTS_BIN + ": "
          + e.getMessage(), e);
    }
  }

  // -----------------------------------------------------------------------------------------------
  // The built network

  /** Checks every persistent vector's length against its weight's matrix, and its values. */
  private static void checkVectors(String where, Model model) {
    for (Map.Entry<String, SpectralNormLayer> e : SpectralNormLayer.named(model).entrySet()) {
      SpectralNormLayer l = e.getValue();
      for (NormalizedWeight nw : l.getSpectralNormConfig().normalizedWeights()) {
        checkVector(where, e.getKey(), nw.uKey(), l.getParam(nw.uKey()), nw.rows());
        checkVector(where, e.getKey(), nw.vKey(), l.getParam(nw.vKey()), nw.cols());
      }
    }
    org.deeplearning4j.nn.api.Layer[] layers = model instanceof ComputationGraph
        ? ((ComputationGraph) model).getLayers() : ((MultiLayerNetwork) model).getLayers();
    for (org.deeplearning4j.nn.api.Layer l : layers) {
      String name = l.conf().getLayer().getLayerName();
      if (l instanceof SameDiffSpectralNormLayer) {
        SameDiffSpectralNormalization s = ((SameDiffSpectralNormLayer) l).getSpectralNormConfig();
        for (SameDiffSpectralNormalization.Target t : s.targets()) {
          checkVector(where, name, t.uKey(), l.getParam(t.uKey()), t.h());
          checkVector(where, name, t.vKey(), l.getParam(t.vKey()), t.w());
        }
      } else if (l.conf().getLayer() instanceof SpectralNormSameDiffLayer) {
        for (String key
            : List.of(SpectralNormSameDiffLayer.U_KEY, SpectralNormSameDiffLayer.V_KEY)) {
          INDArray x = l.getParam(key);
          checkVector(where, name, key, x, x == null ? -1 : x.length());
        }
      }
    }
  }

  private static void checkVector(String where, String layer, String key, INDArray x,
      long length) {
    if (x == null || x.length() != length) {
      throw new IllegalArgumentException(where + ": layer '" + layer + "': " + key + " has length "
          + (x == null ? "none" : String.valueOf(x.length())) + ", but its weight's matrix needs "
          + length + "; nothing was loaded");
    }
    if (x.isNaN().any() || x.isInfinite().any()) {
      throw new IllegalArgumentException(where + ": layer '" + layer + "': " + key
          + " holds non-finite values (NaN or infinity); nothing was loaded");
    }
  }

  private static void checkUpdaterState(Contents c, INDArray state) {
    long needed = state == null ? 0 : state.length();
    if (c.updaterState.length() != needed) {
      throw new IllegalArgumentException(c.where + ": " + ModelSerializer.UPDATER_BIN + " holds "
          + c.updaterState.length() + " values, but the configuration's updaters need " + needed
          + " (is it from another model or another updater?); restore with loadUpdater = false "
          + "to skip it. Nothing was loaded");
    }
  }
}
