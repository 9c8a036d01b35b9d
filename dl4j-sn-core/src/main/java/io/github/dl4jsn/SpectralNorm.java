package io.github.dl4jsn;

import io.github.dl4jsn.conf.SpectralNormalization;
import io.github.dl4jsn.inspect.Lipschitz;
import io.github.dl4jsn.layers.SpectralNormLayer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;
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

/**
 * Whole-network operations: wrap every supported layer of an existing configuration, read sigma
 * per layer (estimated and exact), and bake a trained network into a plain one for deployment.
 */
public final class SpectralNorm {
  private SpectralNorm() {}

  /** Whether {@link #applyTo} wraps a layer by default: a supported type, not wrapped already. */
  public static boolean isNormalizable(Layer layer) {
    return layer != null && SpectralNormalization.supportedLayerTypes().contains(layer.getClass());
  }

  /** A copy of the configuration with every normalizable layer wrapped with default SN. */
  public static MultiLayerConfiguration applyTo(MultiLayerConfiguration conf) {
    return applyTo(conf, l -> true);
  }

  /**
   * A copy of the configuration in which every normalizable layer that {@code pick} accepts is
   * wrapped with default spectral normalization; the original is not changed.
   */
  public static MultiLayerConfiguration applyTo(
      MultiLayerConfiguration conf, Predicate<Layer> pick) {
    MultiLayerConfiguration copy = conf.clone();
    for (NeuralNetConfiguration layerConf : copy.getConfs()) {
      wrapIfPicked(layerConf, pick);
    }
    return copy;
  }

  /** A copy of the configuration with every normalizable layer wrapped with default SN. */
  public static ComputationGraphConfiguration applyTo(ComputationGraphConfiguration conf) {
    return applyTo(conf, l -> true);
  }

  /** As {@link #applyTo(MultiLayerConfiguration, Predicate)}, for a ComputationGraph. */
  public static ComputationGraphConfiguration applyTo(
      ComputationGraphConfiguration conf, Predicate<Layer> pick) {
    ComputationGraphConfiguration copy = conf.clone();
    for (GraphVertex v : copy.getVertices().values()) {
      if (v instanceof LayerVertex) {
        wrapIfPicked(((LayerVertex) v).getLayerConf(), pick);
      }
    }
    return copy;
  }

  private static void wrapIfPicked(NeuralNetConfiguration layerConf, Predicate<Layer> pick) {
    Layer wrapped = wrapped(layerConf.getLayer(), pick);
    if (wrapped != null) {
      layerConf.setLayer(wrapped);
    }
  }

  /**
   * The spectrally normalized form of a layer configuration, or null to leave it: a supported
   * layer is wrapped; a Bidirectional or LastTimeStep of a supported recurrent layer keeps its
   * wrapper around {@link SpectralNormalization#wrapRecurrent} of the recurrent layer.
   */
  private static Layer wrapped(Layer layer, Predicate<Layer> pick) {
    if (isNormalizable(layer) && pick.test(layer)) {
      return SpectralNormalization.wrap(layer);
    }
    if (layer instanceof Bidirectional) {
      Bidirectional b = (Bidirectional) layer;
      if (isNormalizable(b.getFwd()) && pick.test(b.getFwd())) {
        Bidirectional out =
            new Bidirectional(b.getMode(), SpectralNormalization.wrapRecurrent(b.getFwd()));
        out.setLayerName(b.getLayerName());
        return out;
      }
    }
    if (layer instanceof LastTimeStep) {
      Layer inner = ((LastTimeStep) layer).getUnderlying();
      if (isNormalizable(inner) && pick.test(inner)) {
        LastTimeStep out = new LastTimeStep(SpectralNormalization.wrapRecurrent(inner));
        out.setLayerName(layer.getLayerName());
        return out;
      }
    }
    return null;
  }

  /**
   * The sigma estimate of every normalized weight as inference uses it (from the stored u and v),
   * keyed {@code "layerName/key"}, in layer order.
   */
  public static Map<String, Double> sigmas(Model model) {
    Map<String, Double> out = new LinkedHashMap<>();
    for (Map.Entry<String, SpectralNormLayer> e : SpectralNormLayer.named(model).entrySet()) {
      for (String key : e.getValue().normalizedKeys()) {
        out.put(e.getKey() + "/" + key, e.getValue().sigma(key).getDouble());
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
    for (Map.Entry<String, SpectralNormLayer> e : SpectralNormLayer.named(model).entrySet()) {
      for (String key : e.getValue().normalizedKeys()) {
        out.put(e.getKey() + "/" + key, e.getValue().exactSigma(key));
      }
    }
    return out;
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
      to.setParam(e.getKey(), e.getValue());
    }
  }

  /**
   * A layer's parameters as the baked layer holds them: W_SN in place of each normalized W, no u
   * or v, the rest unchanged; keys as the layer's own param table (with f/b prefixes inside a
   * Bidirectional layer).
   */
  private static Map<String, INDArray> bakedParams(org.deeplearning4j.nn.api.Layer layer) {
    Map<String, INDArray> out = new LinkedHashMap<>();
    if (layer instanceof SpectralNormLayer) {
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
