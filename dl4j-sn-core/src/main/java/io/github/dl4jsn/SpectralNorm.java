package io.github.dl4jsn;

import io.github.dl4jsn.conf.NormalizedWeight;
import io.github.dl4jsn.conf.SpectralNormalization;
import io.github.dl4jsn.inspect.SingularValues;
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
    Layer layer = layerConf.getLayer();
    if (isNormalizable(layer) && pick.test(layer)) {
      layerConf.setLayer(SpectralNormalization.wrap(layer));
    }
  }

  /**
   * The sigma estimate of every normalized weight as inference uses it (from the stored u and v),
   * keyed {@code "layerName/key"}, in layer order.
   */
  public static Map<String, Double> sigmas(Model model) {
    Map<String, Double> out = new LinkedHashMap<>();
    for (SpectralNormLayer l : SpectralNormLayer.allIn(model)) {
      for (String key : l.normalizedKeys()) {
        out.put(name(l) + "/" + key, l.sigma(key).getDouble());
      }
    }
    return out;
  }

  /**
   * The exact largest singular value (SVD) of every normalized weight W_SN as inference uses it,
   * keyed like {@link #sigmas}: about c once the estimate has converged.
   */
  public static Map<String, Double> exactSigmas(Model model) {
    Map<String, Double> out = new LinkedHashMap<>();
    for (SpectralNormLayer l : SpectralNormLayer.allIn(model)) {
      for (NormalizedWeight nw : l.getSpectralNormConfig().normalizedWeights()) {
        INDArray weightSn = l.normalizedWeight(nw.key());
        out.put(name(l) + "/" + nw.key(),
            SingularValues.largest(nw.layout().matrix(weightSn)));
      }
    }
    return out;
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
    if (layerConf.getLayer() instanceof SpectralNormalization) {
      layerConf.setLayer(((SpectralNormalization) layerConf.getLayer()).getUnderlying().clone());
    }
  }

  private static void copyBaked(org.deeplearning4j.nn.api.Layer from,
      org.deeplearning4j.nn.api.Layer to) {
    if (from instanceof SpectralNormLayer) {
      SpectralNormLayer sn = (SpectralNormLayer) from;
      for (Map.Entry<String, INDArray> e : sn.getInnerLayer().paramTable().entrySet()) {
        boolean normalized = sn.normalizedKeys().contains(e.getKey());
        to.setParam(e.getKey(), normalized ? sn.normalizedWeight(e.getKey()) : e.getValue());
      }
    } else if (from.numParams() > 0) {
      to.setParams(from.params());
    }
  }

  private static String name(SpectralNormLayer l) {
    return l.conf().getLayer().getLayerName();
  }
}
