package io.github.dl4jsn.params;

import io.github.dl4jsn.conf.NormalizedWeight;
import io.github.dl4jsn.conf.SpectralNormalization;
import io.github.dl4jsn.math.NormEstimator;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.api.ParamInitializer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Parameters of a {@link SpectralNormalization} layer: the inner layer's parameters first, in the
 * inner layer's own order, then for each normalized weight its vectors u (length h) and v (length
 * w). The vectors are 1-D, like DL4J's bias vectors.
 *
 * <p>At initialization u and v are drawn from N(0, 1) and normalized, u first, as PyTorch does;
 * then {@link SpectralNormalization#getWarmupIterations()} power iterations run on the initial
 * weights, so that sigma is accurate from the first step.
 */
public final class SpectralNormParamInitializer implements ParamInitializer {

  private static final SpectralNormParamInitializer INSTANCE = new SpectralNormParamInitializer();

  private SpectralNormParamInitializer() {}

  public static SpectralNormParamInitializer getInstance() {
    return INSTANCE;
  }

  private static SpectralNormalization sn(Layer layer) {
    SpectralNormalization sn = SpectralNormalization.of(layer);
    if (sn == null) {
      throw new IllegalArgumentException(
          "Expected a SpectralNormalization layer configuration, got " + layer);
    }
    return sn;
  }

  @Override
  public long numParams(NeuralNetConfiguration conf) {
    return numParams(conf.getLayer());
  }

  /**
   * The inner layer's parameter count, asked through a network-level configuration: DL4J M2.1's
   * {@code CenterLossParamInitializer} overrides only that overload, and its {@code
   * numParams(Layer)} leaves out the centers.
   */
  public static long innerParamCount(Layer inner) {
    NeuralNetConfiguration conf = new NeuralNetConfiguration();
    conf.setLayer(inner);
    return inner.initializer().numParams(conf);
  }

  @Override
  public long numParams(Layer layer) {
    SpectralNormalization sn = sn(layer);
    Layer inner = sn.getUnderlying();
    long n = innerParamCount(inner);
    for (NormalizedWeight nw : sn.normalizedWeights()) {
      n += nw.rows() + nw.cols();
    }
    return n;
  }

  @Override
  public List<String> paramKeys(Layer layer) {
    SpectralNormalization sn = sn(layer);
    Layer inner = sn.getUnderlying();
    List<String> keys = new ArrayList<>(inner.initializer().paramKeys(inner));
    keys.addAll(vectorKeys(sn));
    return keys;
  }

  /** The persistent vectors' keys, in their order in the flat parameters. */
  public static List<String> vectorKeys(SpectralNormalization sn) {
    List<String> keys = new ArrayList<>();
    for (NormalizedWeight nw : sn.normalizedWeights()) {
      keys.add(nw.uKey());
      keys.add(nw.vKey());
    }
    return keys;
  }

  @Override
  public List<String> weightKeys(Layer layer) {
    Layer inner = sn(layer).getUnderlying();
    return inner.initializer().weightKeys(inner);
  }

  @Override
  public List<String> biasKeys(Layer layer) {
    Layer inner = sn(layer).getUnderlying();
    return inner.initializer().biasKeys(inner);
  }

  @Override
  public boolean isWeightParam(Layer layer, String key) {
    Layer inner = sn(layer).getUnderlying();
    return inner.initializer().isWeightParam(inner, key);
  }

  @Override
  public boolean isBiasParam(Layer layer, String key) {
    Layer inner = sn(layer).getUnderlying();
    return inner.initializer().isBiasParam(inner, key);
  }

  @Override
  public Map<String, INDArray> init(
      NeuralNetConfiguration conf, INDArray paramsView, boolean initializeParams) {
    SpectralNormalization sn = sn(conf.getLayer());
    Layer inner = sn.getUnderlying();
    INDArray flat = paramsView.reshape(paramsView.length());
    long innerCount = innerParamCount(inner);
    NeuralNetConfiguration innerConf = sn.innerConfiguration(conf);
    Map<String, INDArray> out = Collections.synchronizedMap(new LinkedHashMap<>());
    out.putAll(inner.initializer().init(innerConf, range(flat, 0, innerCount), initializeParams));
    out.putAll(vectorViews(sn, flat, innerCount));
    for (String key : out.keySet()) {
      conf.addVariable(key);
    }
    if (initializeParams) {
      initializeVectors(sn, conf, out, flat.dataType());
    }
    return out;
  }

  @Override
  public Map<String, INDArray> getGradientsFromFlattened(
      NeuralNetConfiguration conf, INDArray gradientView) {
    SpectralNormalization sn = sn(conf.getLayer());
    Layer inner = sn.getUnderlying();
    INDArray flat = gradientView.reshape(gradientView.length());
    long innerCount = innerParamCount(inner);
    Map<String, INDArray> out = new LinkedHashMap<>();
    out.putAll(
        inner.initializer()
            .getGradientsFromFlattened(sn.innerConfiguration(conf), range(flat, 0, innerCount)));
    out.putAll(vectorViews(sn, flat, innerCount));
    return out;
  }

  /** Views of u and v for every normalized weight, in the tail of a flat parameter array. */
  public static Map<String, INDArray> vectorViews(
      SpectralNormalization sn, INDArray flat, long offset) {
    Map<String, INDArray> out = new LinkedHashMap<>();
    long at = offset;
    for (NormalizedWeight nw : sn.normalizedWeights()) {
      out.put(nw.uKey(), range(flat, at, at + nw.rows()));
      at += nw.rows();
      out.put(nw.vKey(), range(flat, at, at + nw.cols()));
      at += nw.cols();
    }
    if (at != flat.length()) {
      throw new IllegalStateException(
          "Parameter view of length " + flat.length() + " does not fit " + sn + " (needs " + at
              + ")");
    }
    return out;
  }

  /**
   * Draws u and v from N(0, 1), normalizes them (u first), then runs the warm-up power
   * iterations on the weights in {@code params}.
   */
  public void initializeVectors(
      SpectralNormalization sn, NeuralNetConfiguration conf, Map<String, INDArray> params,
      DataType dataType) {
    for (NormalizedWeight nw : sn.normalizedWeights()) {
      INDArray u = params.get(nw.uKey());
      INDArray v = params.get(nw.vKey());
      INDArray w = nw.normalizedPart(params.get(nw.key()));
      u.assign(Nd4j.randn(dataType, u.length()));
      v.assign(Nd4j.randn(dataType, v.length()));
      NormEstimator core = sn.estimator(nw, conf, w.ordering(), dataType, null);
      core.bind(u, v);
      core.normalizeVectors();
      core.powerIterate(w, sn.getWarmupIterations());
    }
  }

  /** The 1-D view [from, to) of a 1-D array. */
  public static INDArray range(INDArray flat, long from, long to) {
    return flat.get(NDArrayIndex.interval(from, to));
  }
}
