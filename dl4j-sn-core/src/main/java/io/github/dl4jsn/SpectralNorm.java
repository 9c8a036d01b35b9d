package io.github.dl4jsn;

import io.github.dl4jsn.ApplyReport.Outcome;
import io.github.dl4jsn.conf.RecurrentSpectralNormalization;
import io.github.dl4jsn.conf.SameDiffSpectralNormalization;
import io.github.dl4jsn.conf.SpectralNormalization;
import io.github.dl4jsn.inspect.Lipschitz;
import io.github.dl4jsn.layers.SameDiffSpectralNormLayer;
import io.github.dl4jsn.layers.SpectralNormLayer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
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
import org.deeplearning4j.nn.conf.layers.recurrent.LastTimeStep;
import org.deeplearning4j.nn.conf.layers.wrapper.BaseWrapperLayer;
import org.deeplearning4j.nn.layers.recurrent.BidirectionalLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whole-network operations: wrap every supported layer of an existing configuration, read sigma
 * per layer (estimated and exact), and bake a trained network into a plain one for deployment.
 */
public final class SpectralNorm {
  private static final Logger log = LoggerFactory.getLogger(SpectralNorm.class);

  private SpectralNorm() {}

  /** Whether {@link #applyTo} wraps a layer by default: a supported type, not wrapped already. */
  public static boolean isNormalizable(Layer layer) {
    if (layer == null) {
      return false;
    }
    if (SameDiffSpectralNormalization.supportedLayerTypes().contains(layer.getClass())) {
      return !SameDiffSpectralNormalization.weightsOf(
          (org.deeplearning4j.nn.conf.layers.samediff.SameDiffLayer) layer).isEmpty();
    }
    return SpectralNormalization.supportedLayerTypes().contains(layer.getClass());
  }

  /**
   * A copy of the configuration with every normalizable layer wrapped with default SN; logs the
   * {@link ApplyReport} (a warning for each layer with weights left alone).
   */
  public static MultiLayerConfiguration applyTo(MultiLayerConfiguration conf) {
    return applyTo(conf, l -> true);
  }

  /**
   * A copy of the configuration in which every normalizable layer that {@code pick} accepts is
   * wrapped with default spectral normalization; the original is not changed. Logs the {@link
   * ApplyReport}; {@link #apply} returns it.
   */
  public static MultiLayerConfiguration applyTo(
      MultiLayerConfiguration conf, Predicate<Layer> pick) {
    return logged(apply(conf, pick, false)).configuration();
  }

  /** A copy of the configuration with every normalizable layer wrapped with default SN. */
  public static ComputationGraphConfiguration applyTo(ComputationGraphConfiguration conf) {
    return applyTo(conf, l -> true);
  }

  /** As {@link #applyTo(MultiLayerConfiguration, Predicate)}, for a ComputationGraph. */
  public static ComputationGraphConfiguration applyTo(
      ComputationGraphConfiguration conf, Predicate<Layer> pick) {
    return logged(apply(conf, pick, false)).configuration();
  }

  /** A configuration with spectral normalization applied, and what was done to each layer. */
  public static final class Applied<T> {
    private final T configuration;
    private final ApplyReport report;

    Applied(T configuration, ApplyReport report) {
      this.configuration = configuration;
      this.report = report;
    }

    /** The new configuration (the original is not changed). */
    public T configuration() {
      return configuration;
    }

    /** Which layers were wrapped, which were left alone, and why. */
    public ApplyReport report() {
      return report;
    }
  }

  /**
   * As {@link #applyTo(MultiLayerConfiguration, Predicate)}, returning the {@link ApplyReport}.
   *
   * @param strict if true, fail instead of skipping a layer that has weights this library cannot
   *     normalize (an unsupported type, or inside a wrapper it cannot enter); layers that {@code
   *     pick} rejects are the caller's choice and never fail
   * @throws DL4JInvalidConfigException in strict mode, naming every such layer and why
   */
  public static Applied<MultiLayerConfiguration> apply(
      MultiLayerConfiguration conf, Predicate<Layer> pick, boolean strict) {
    MultiLayerConfiguration copy = conf.clone();
    List<ApplyReport.Entry> entries = new ArrayList<>();
    List<NeuralNetConfiguration> confs = copy.getConfs();
    for (int i = 0; i < confs.size(); i++) {
      NeuralNetConfiguration layerConf = confs.get(i);
      String name = layerConf.getLayer().getLayerName();
      String where = "layer " + i + (name == null ? "" : " '" + name + "'");
      layerConf.setLayer(wrap(layerConf.getLayer(), pick, where, entries));
    }
    return checked(new Applied<>(copy, new ApplyReport(entries)), strict);
  }

  /** As {@link #apply(MultiLayerConfiguration, Predicate, boolean)}, for a ComputationGraph. */
  public static Applied<ComputationGraphConfiguration> apply(
      ComputationGraphConfiguration conf, Predicate<Layer> pick, boolean strict) {
    ComputationGraphConfiguration copy = conf.clone();
    List<ApplyReport.Entry> entries = new ArrayList<>();
    for (Map.Entry<String, GraphVertex> v : copy.getVertices().entrySet()) {
      if (v.getValue() instanceof LayerVertex) {
        NeuralNetConfiguration layerConf = ((LayerVertex) v.getValue()).getLayerConf();
        layerConf.setLayer(
            wrap(layerConf.getLayer(), pick, "vertex '" + v.getKey() + "'", entries));
      }
    }
    return checked(new Applied<>(copy, new ApplyReport(entries)), strict);
  }

  private static <T> Applied<T> checked(Applied<T> applied, boolean strict) {
    List<ApplyReport.Entry> left = applied.report().weightsLeftAlone();
    if (strict && !left.isEmpty()) {
      StringBuilder sb = new StringBuilder("SpectralNorm.apply (strict): " + left.size()
          + " layer(s) with weights cannot be spectrally normalized; exclude them with the "
          + "predicate to proceed:");
      for (ApplyReport.Entry e : left) {
        sb.append("\n  ").append(e);
      }
      throw new DL4JInvalidConfigException(sb.toString());
    }
    return applied;
  }

  private static <T> Applied<T> logged(Applied<T> applied) {
    log.info("SpectralNorm.applyTo: {}", applied.report().summary());
    for (ApplyReport.Entry e : applied.report().weightsLeftAlone()) {
      log.warn("SpectralNorm.applyTo left weights unnormalized: {}", e);
    }
    return applied;
  }

  /**
   * The spectrally normalized form of a layer configuration (or the layer itself), with its line
   * of the report: a supported layer is wrapped; a Bidirectional or LastTimeStep of a supported
   * recurrent layer keeps its wrapper around {@link SpectralNormalization#wrapRecurrent} of the
   * recurrent layer; DL4J's SameDiff layers get {@link SpectralNormalization#wrapSameDiff}.
   */
  private static Layer wrap(Layer layer, Predicate<Layer> pick, String where,
      List<ApplyReport.Entry> out) {
    String type = layer.getClass().getSimpleName();
    if (layer instanceof SpectralNormalization || layer instanceof RecurrentSpectralNormalization
        || layer instanceof SameDiffSpectralNormalization) {
      out.add(entry(where, type, Outcome.ALREADY_WRAPPED, List.of(), ""));
      return layer;
    }
    if (SameDiffSpectralNormalization.supportedLayerTypes().contains(layer.getClass())) {
      if (!isNormalizable(layer)) {
        out.add(entry(where, type, Outcome.NO_WEIGHTS, List.of(),
            "projectInput is false: no projection weights"));
        return layer;
      }
      return picked(layer, layer, pick, where, type, out,
          () -> SpectralNormalization.wrapSameDiff(
              (org.deeplearning4j.nn.conf.layers.samediff.SameDiffLayer) layer));
    }
    if (isNormalizable(layer)) {
      return picked(layer, layer, pick, where, type, out, () -> SpectralNormalization.wrap(layer));
    }
    if (layer instanceof Bidirectional || layer instanceof LastTimeStep) {
      Layer inner = layer instanceof Bidirectional
          ? ((Bidirectional) layer).getFwd()
          : ((LastTimeStep) layer).getUnderlying();
      String full = type + "(" + inner.getClass().getSimpleName() + ")";
      if (isNormalizable(inner)) {
        return picked(inner, layer, pick, where, full, out, () -> {
          Layer sn = SpectralNormalization.wrapRecurrent(inner);
          Layer w = layer instanceof Bidirectional
              ? new Bidirectional(((Bidirectional) layer).getMode(), sn)
              : new LastTimeStep(sn);
          w.setLayerName(layer.getLayerName());
          return w;
        });
      }
    }
    Layer inner = innerOf(layer);
    if (inner != null) {
      String full = type + "(" + inner.getClass().getSimpleName() + ")";
      List<String> keys = weightKeys(inner);
      out.add(keys.isEmpty()
          ? entry(where, full, Outcome.NO_WEIGHTS, List.of(), "")
          : !pick.test(layer)
          ? entry(where, full, Outcome.EXCLUDED_BY_PREDICATE, keys, "excluded by the predicate")
          : entry(where, full, Outcome.INSIDE_WRAPPER, keys, "SpectralNorm cannot enter " + type
              + (layer instanceof FrozenLayer
                  || layer instanceof org.deeplearning4j.nn.conf.layers.misc.FrozenLayerWithBackprop
                  ? " (frozen weights do not train; wrap the layer before freezing it)"
                  : "; wrap the whole " + type + " instead, where DL4J allows it")));
      return layer;
    }
    List<String> keys = weightKeys(layer);
    out.add(keys.isEmpty()
        ? entry(where, type, Outcome.NO_WEIGHTS, List.of(), "")
        : !pick.test(layer)
        ? entry(where, type, Outcome.EXCLUDED_BY_PREDICATE, keys, "excluded by the predicate")
        : entry(where, type, Outcome.UNSUPPORTED_TYPE, keys, "no spectral normalization for "
            + type + (layer instanceof org.deeplearning4j.nn.conf.layers.PReLULayer
                ? " (its weight is a per-unit slope, not a linear map)" : "")));
    return layer;
  }

  /**
   * Wraps {@code layer} (via {@code wrapper}) if the predicate accepts it; {@code original} is the
   * configuration entry to keep otherwise (the layer, or the DL4J wrapper around it).
   */
  private static Layer picked(Layer layer, Layer original, Predicate<Layer> pick, String where,
      String type, List<ApplyReport.Entry> out, java.util.function.Supplier<Layer> wrapper) {
    List<String> keys = defaultKeys(layer);
    if (!pick.test(layer)) {
      out.add(entry(where, type, Outcome.EXCLUDED_BY_PREDICATE, keys, "excluded by the predicate"));
      return original;
    }
    out.add(entry(where, type, Outcome.WRAPPED, keys, ""));
    return wrapper.get();
  }

  private static List<String> defaultKeys(Layer layer) {
    if (layer instanceof org.deeplearning4j.nn.conf.layers.samediff.SameDiffLayer) {
      return SameDiffSpectralNormalization.defaultKeys(
          (org.deeplearning4j.nn.conf.layers.samediff.SameDiffLayer) layer);
    }
    return SpectralNormalization.defaultKeys(layer);
  }

  /** The layer inside a DL4J wrapper (TimeDistributed, MaskZeroLayer, frozen, ...), or null. */
  private static Layer innerOf(Layer layer) {
    if (layer instanceof BaseWrapperLayer) {
      return ((BaseWrapperLayer) layer).getUnderlying();
    }
    if (layer instanceof FrozenLayer) {
      return ((FrozenLayer) layer).getLayer();
    }
    if (layer instanceof Bidirectional) {
      return ((Bidirectional) layer).getFwd();
    }
    if (layer instanceof LastTimeStep) {
      return ((LastTimeStep) layer).getUnderlying();
    }
    return null;
  }

  /** A layer's weight keys by DL4J's own initializer (not biases or per-channel scales). */
  private static List<String> weightKeys(Layer layer) {
    try {
      return new ArrayList<>(layer.initializer().weightKeys(layer));
    } catch (RuntimeException e) {
      // Sizes not yet known, or a custom initializer that cannot tell.
      return List.of("(unknown: " + e.getClass().getSimpleName() + ")");
    }
  }

  private static ApplyReport.Entry entry(String where, String type, Outcome outcome,
      List<String> weights, String reason) {
    return new ApplyReport.Entry(where, type, outcome, weights, reason);
  }

  /**
   * The sigma estimate of every normalized weight as inference uses it (from the stored u and v),
   * keyed {@code "layerName/key"}, in layer order.
   */
  public static Map<String, Double> sigmas(Model model) {
    Map<String, Double> out = new LinkedHashMap<>();
    for (org.deeplearning4j.nn.api.Layer l : topLayers(model)) {
      if (l instanceof SameDiffSpectralNormLayer) {
        SameDiffSpectralNormLayer sd = (SameDiffSpectralNormLayer) l;
        sd.sigmas().forEach((key, sigma) -> out.put(name(l) + "/" + key, sigma));
        continue;
      }
      for (Map.Entry<String, SpectralNormLayer> e : SpectralNormLayer.named(l).entrySet()) {
        for (String key : e.getValue().normalizedKeys()) {
          out.put(e.getKey() + "/" + key, e.getValue().sigma(key).getDouble());
        }
      }
    }
    return out;
  }

  /**
   * The exact largest singular value (SVD) of every normalized weight W_SN as inference uses it,
   * keyed like {@link #sigmas}: about c once the estimate has converged. In operator-norm mode, the
   * convolution's operator norm with W_SN (see {@link SpectralNormLayer#exactSigma}).
   */
  public static Map<String, Double> exactSigmas(Model model) {
    Map<String, Double> out = new LinkedHashMap<>();
    for (org.deeplearning4j.nn.api.Layer l : topLayers(model)) {
      if (l instanceof SameDiffSpectralNormLayer) {
        SameDiffSpectralNormLayer sd = (SameDiffSpectralNormLayer) l;
        for (String key : sd.normalizedKeys()) {
          out.put(name(l) + "/" + key, sd.exactSigma(key));
        }
        continue;
      }
      for (Map.Entry<String, SpectralNormLayer> e : SpectralNormLayer.named(l).entrySet()) {
        for (String key : e.getValue().normalizedKeys()) {
          out.put(e.getKey() + "/" + key, e.getValue().exactSigma(key));
        }
      }
    }
    return out;
  }

  private static List<org.deeplearning4j.nn.api.Layer> topLayers(Model model) {
    if (model instanceof MultiLayerNetwork) {
      return List.of(((MultiLayerNetwork) model).getLayers());
    }
    if (model instanceof ComputationGraph) {
      return List.of(((ComputationGraph) model).getLayers());
    }
    if (model instanceof org.deeplearning4j.nn.api.Layer) {
      return List.of((org.deeplearning4j.nn.api.Layer) model);
    }
    throw new IllegalArgumentException(
        "Expected a MultiLayerNetwork, ComputationGraph or layer, got " + model);
  }

  private static String name(org.deeplearning4j.nn.api.Layer l) {
    String name = l.conf() == null ? null : l.conf().getLayer().getLayerName();
    return name != null ? name : String.valueOf(l.getIndex());
  }

  /**
   * An upper bound on the Lipschitz constant of a feed-forward network at inference: the product
   * over its chain of layers of each layer's bound (exact sigma of the weight it uses, times the
   * convolution spread, times the activation's largest slope, ...). See {@link Lipschitz} for
   * exactly what it covers; other networks are rejected with an exception naming the layer.
   */
  public static double lipschitzUpperBound(Model model) {
    return Lipschitz.upperBound(model);
  }

  /**
   * An equivalent plain network for deployment: the inner layers with {@code W := W_SN} from the
   * stored vectors, and no dependency on this library (PyTorch's {@code remove_spectral_norm}).
   * Its outputs equal the SN network's inference outputs.
   */
  public static MultiLayerNetwork bake(MultiLayerNetwork net) {
    MultiLayerConfiguration conf = net.getLayerWiseConfigurations().clone();
    for (NeuralNetConfiguration layerConf : conf.getConfs()) {
      unwrap(layerConf);
    }
    MultiLayerNetwork baked = new MultiLayerNetwork(conf);
    baked.init();
    for (int i = 0; i < net.getnLayers(); i++) {
      copyBaked(net.getLayer(i), baked.getLayer(i));
    }
    return baked;
  }

  /** As {@link #bake(MultiLayerNetwork)}, for a ComputationGraph. */
  public static ComputationGraph bake(ComputationGraph graph) {
    ComputationGraphConfiguration conf = graph.getConfiguration().clone();
    for (GraphVertex v : conf.getVertices().values()) {
      if (v instanceof LayerVertex) {
        unwrap(((LayerVertex) v).getLayerConf());
      }
    }
    ComputationGraph baked = new ComputationGraph(conf);
    baked.init();
    for (org.deeplearning4j.nn.api.Layer l : graph.getLayers()) {
      copyBaked(l, baked.getLayer(l.conf().getLayer().getLayerName()));
    }
    return baked;
  }

  private static void unwrap(NeuralNetConfiguration layerConf) {
    layerConf.setLayer(unwrapped(layerConf.getLayer()));
  }

  /** The layer configuration without spectral normalization, at any depth of DL4J wrappers. */
  private static Layer unwrapped(Layer layer) {
    if (layer instanceof SameDiffSpectralNormalization) {
      Layer inner = ((SameDiffSpectralNormalization) layer).getUnderlying().clone();
      if (inner instanceof org.deeplearning4j.nn.conf.layers.LearnedSelfAttentionLayer) {
        throw new UnsupportedOperationException("layer '" + layer.getLayerName() + "': cannot "
            + "bake a LearnedSelfAttentionLayer: DL4J M2.1's own layer fails in every forward "
            + "pass (only the SN wrapper's graph runs); keep the SN network for inference");
      }
      inner.setLayerName(layer.getLayerName());
      return inner;
    }
    SpectralNormalization sn = SpectralNormalization.of(layer);
    if (sn != null) {
      Layer inner = sn.getUnderlying().clone();
      inner.setLayerName(layer.getLayerName());
      return inner;
    }
    if (layer instanceof Bidirectional) {
      Bidirectional b = (Bidirectional) layer;
      if (SpectralNormalization.of(b.getFwd()) != null) {
        Bidirectional out = new Bidirectional(b.getMode(), unwrapped(b.getFwd()));
        out.setLayerName(b.getLayerName());
        return out;
      }
    }
    if (layer instanceof BaseWrapperLayer) {
      BaseWrapperLayer w = (BaseWrapperLayer) layer.clone();
      w.setUnderlying(unwrapped(w.getUnderlying()));
      return w;
    }
    if (layer instanceof FrozenLayer) {
      FrozenLayer f = new FrozenLayer(unwrapped(((FrozenLayer) layer).getLayer()));
      f.setLayerName(layer.getLayerName());
      return f;
    }
    return layer;
  }

  private static void copyBaked(org.deeplearning4j.nn.api.Layer from,
      org.deeplearning4j.nn.api.Layer to) {
    for (Map.Entry<String, INDArray> e : bakedParams(from).entrySet()) {
      // Into the live view: DL4J M2.1's SameDiffLayer.setParam checks the shape and assigns
      // nothing.
      to.getParam(e.getKey()).assign(e.getValue());
    }
  }

  /**
   * A layer's parameters as the baked layer holds them: W_SN in place of each normalized W, no u
   * or v, the rest unchanged; keys as the layer's own param table (with f/b prefixes inside a
   * Bidirectional layer).
   */
  private static Map<String, INDArray> bakedParams(org.deeplearning4j.nn.api.Layer layer) {
    Map<String, INDArray> out = new LinkedHashMap<>();
    if (layer instanceof SameDiffSpectralNormLayer) {
      SameDiffSpectralNormLayer sd = (SameDiffSpectralNormLayer) layer;
      Set<String> own = sd.getSpectralNormConfig().getUnderlying().getLayerParams()
          .getParamShapes().keySet();
      for (String key : own) {
        out.put(key, sd.normalizedKeys().contains(key)
            ? sd.normalizedWeight(key) : sd.getParam(key));
      }
    } else if (layer instanceof SpectralNormLayer) {
      SpectralNormLayer sn = (SpectralNormLayer) layer;
      for (Map.Entry<String, INDArray> e : sn.getInnerLayer().paramTable().entrySet()) {
        boolean normalized = sn.normalizedKeys().contains(e.getKey());
        out.put(e.getKey(), normalized ? sn.normalizedWeight(e.getKey()) : e.getValue());
      }
    } else if (layer instanceof org.deeplearning4j.nn.layers.wrapper.BaseWrapperLayer) {
      out.putAll(bakedParams(
          ((org.deeplearning4j.nn.layers.wrapper.BaseWrapperLayer) layer).getUnderlying()));
    } else if (layer instanceof BidirectionalLayer) {
      for (Map.Entry<String, SpectralNormLayer> e :
          SpectralNormLayer.named(layer).entrySet()) {
        String prefix = e.getKey().endsWith("/fwd") ? "f" : "b";
        for (Map.Entry<String, INDArray> p : bakedParams(e.getValue()).entrySet()) {
          out.put(prefix + p.getKey(), p.getValue());
        }
      }
      if (out.isEmpty()) {
        out.putAll(layer.paramTable());
      }
    } else {
      out.putAll(layer.paramTable());
    }
    return out;
  }
}
