package io.github.dl4jsn.layers;

import io.github.dl4jsn.conf.NormalizedWeight;
import io.github.dl4jsn.conf.SpectralNormalization;
import io.github.dl4jsn.inspect.SingularValues;
import io.github.dl4jsn.math.ConvOperatorNormCore;
import io.github.dl4jsn.math.NormEstimator;
import io.github.dl4jsn.params.SpectralNormParamInitializer;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.MaskState;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.api.TrainingConfig;
import org.deeplearning4j.nn.conf.CacheMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.layers.LayerHelper;
import org.deeplearning4j.nn.layers.recurrent.BidirectionalLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.optimize.api.ConvexOptimizer;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The implementation of {@link SpectralNormalization}: runs the inner layer with its weights
 * replaced by {@code W_SN}, and maps the inner layer's gradient dL/dW_SN to dL/dW.
 *
 * <p>The inner layer reads W through its param table; around each call the table entry is swapped
 * for a reused buffer holding {@code W_SN} and restored in a {@code finally}. After the inner
 * backprop the gradient view of W is corrected in place, so the updater, which works on the flat
 * gradient array, sees dL/dW.
 *
 * <p>Update policy: the power iteration runs at most once per training iteration (as counted by
 * the network), on the first training-mode use: forward, backprop or score. Inference never
 * iterates; it uses the stored u and v.
 */
public class SpectralNormLayer implements Layer {

  private static final long serialVersionUID = 1L;

  /** One normalized weight: its core and the views of its vectors and their gradients. */
  private static final class Slot {
    final NormalizedWeight weight;
    NormEstimator core;
    INDArray u;
    INDArray v;
    INDArray uGradient;
    INDArray vGradient;
    INDArray saved;
    /** Power iterations the last iteration ran. */
    int lastIterations;
    /** For a partly normalized weight: the whole W_SN, peepholes included; else null. */
    INDArray wholeSn;

    Slot(NormalizedWeight weight) {
      this.weight = weight;
    }

    /** The normalized part of the raw weight. */
    INDArray raw(Layer inner) {
      return weight.normalizedPart(inner.getParam(weight.key()));
    }

    /** Computes W_SN from the stored vectors; returns the whole normalized parameter. */
    INDArray normalize(Layer inner, boolean afterIteration, boolean inference) {
      INDArray param = inner.getParam(weight.key());
      INDArray sn = core.normalize(weight.normalizedPart(param), afterIteration, inference);
      if (wholeSn == null) {
        return sn;
      }
      long from = weight.shape()[1];
      long to = weight.paramShape()[1];
      wholeSn
          .get(NDArrayIndex.all(), NDArrayIndex.interval(from, to))
          .assign(param.get(NDArrayIndex.all(), NDArrayIndex.interval(from, to)));
      return wholeSn;
    }

    /** The whole W_SN buffer, as the last {@link #normalize} left it. */
    INDArray normalized() {
      return wholeSn != null ? wholeSn : core.normalizedWeight();
    }
  }

  protected NeuralNetConfiguration conf;
  protected final SpectralNormalization snConf;
  protected final Layer inner;
  private final List<Slot> slots = new ArrayList<>();
  private INDArray paramsView;
  private INDArray gradientsView;
  private final long innerParamCount;
  private int index;
  private int iterationCount;
  private int epochCount;
  /** The iteration count at which the power iteration last ran, or MIN_VALUE. */
  private int iteratedAt = Integer.MIN_VALUE;
  /**
   * True between a forward pass and its backprop: the W_SN buffer holds what that forward used,
   * and backprop must use the same (a FrozenLayerWithBackprop, for example, runs the forward in
   * inference mode and then backprops).
   */
  private boolean preparedForBackprop;
  /** While true, training-mode uses do not run the power iteration (runtime state, not saved). */
  private boolean powerIterationPaused;
  /** True after a backprop (an update follows) until the next power iteration. */
  private boolean updatedSinceIteration;
  /**
   * True when inference ran the next training iteration's power iteration early
   * (refreshForInference); that iteration then skips it.
   */
  private boolean preIterated;

  /**
   * Wraps an instantiated inner layer.
   *
   * @param conf the network-level configuration whose layer is {@code snConf}
   * @param snConf this layer's configuration
   * @param inner the instantiated inner layer, on the head of {@code paramsView}
   * @param paramsView this layer's flat (1-D) parameter view: inner parameters, then u and v
   */
  public SpectralNormLayer(
      NeuralNetConfiguration conf, SpectralNormalization snConf, Layer inner, INDArray paramsView) {
    this.conf = conf;
    this.snConf = snConf;
    this.inner = inner;
    this.innerParamCount = inner.numParams();
    for (NormalizedWeight nw : snConf.normalizedWeights()) {
      slots.add(new Slot(nw));
    }
    bindParams(paramsView);
  }

  private void bindParams(INDArray view) {
    this.paramsView = view.reshape(view.length());
    Map<String, INDArray> vectors =
        SpectralNormParamInitializer.vectorViews(snConf, paramsView, innerParamCount);
    for (Slot s : slots) {
      INDArray w = inner.getParam(s.weight.key());
      if (w == null || !Arrays.equals(w.shape(), s.weight.paramShape())) {
        throw new IllegalStateException(
            describe() + ": expected weight " + s.weight + ", found "
                + (w == null ? "none" : Arrays.toString(w.shape())));
      }
      s.u = vectors.get(s.weight.uKey());
      s.v = vectors.get(s.weight.vKey());
      INDArray output = null;
      if (s.weight.isPartial()) {
        try (MemoryWorkspace ignored = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
          s.wholeSn = Nd4j.create(w.dataType(), w.shape(), w.ordering());
        }
        output = s.weight.normalizedPart(s.wholeSn);
      }
      s.core = snConf.estimator(s.weight, conf, w.ordering(), w.dataType(), output);
      s.core.bind(s.u, s.v);
    }
    preparedForBackprop = false;
  }

  /** The wrapped layer, for inspection. Its "W" is the raw, unnormalized weight. */
  public Layer getInnerLayer() {
    return inner;
  }

  /** This layer's spectral-normalization configuration. */
  public SpectralNormalization getSpectralNormConfig() {
    return snConf;
  }

  /** The keys of the weights this layer normalizes, e.g. ["W"]. */
  public List<String> normalizedKeys() {
    List<String> keys = new ArrayList<>();
    for (Slot s : slots) {
      keys.add(s.weight.key());
    }
    return keys;
  }

  /**
   * The current sigma estimate of a weight as inference uses it: {@code u^T M v / (||u|| ||v||)}
   * from the stored vectors, without iterating (a DOUBLE 0-d array, freshly computed).
   */
  public INDArray sigma(String key) {
    Slot s = slot(key);
    s.normalize(inner, false, true);
    preparedForBackprop = false; // the shared W_SN buffer now holds the inference value
    return s.core.sigma().dup();
  }

  /**
   * The normalized weight {@code W_SN} of a key as inference uses it, computed from the stored
   * vectors without iterating (a copy).
   */
  public INDArray normalizedWeight(String key) {
    INDArray weightSn = slot(key).normalize(inner, false, true).dup();
    preparedForBackprop = false; // the shared W_SN buffer now holds the inference value
    return weightSn;
  }

  /**
   * The exact largest singular value of a weight's W_SN as inference uses it: by SVD of the matrix
   * M, or, in operator-norm mode, the operator norm of the convolution with W_SN by power
   * iteration run to convergence (relative change below 1e-10 in DOUBLE, 1e-6 in other types; at
   * most 2000 iterations). About c once the estimate has converged.
   */
  public double exactSigma(String key) {
    return exactSigma(key, 2000);
  }

  /**
   * As {@link #exactSigma(String)}, with at most {@code maxIterations} power iterations in
   * operator-norm mode (the matrix mode's SVD ignores it).
   */
  public double exactSigma(String key, int maxIterations) {
    Slot s = slot(key);
    INDArray weightSn = s.weight.normalizedPart(s.normalize(inner, false, true));
    preparedForBackprop = false;
    if (s.core instanceof ConvOperatorNormCore) {
      double tol = weightSn.dataType() == org.nd4j.linalg.api.buffer.DataType.DOUBLE ? 1e-10 : 1e-6;
      return ((ConvOperatorNormCore) s.core)
          .convergedOperatorNorm(weightSn.dup(), maxIterations, tol);
    }
    return SingularValues.largest(s.weight.layout().matrix(weightSn));
  }

  /**
   * Pauses or resumes the power iteration. While paused, training-mode forward and backward passes
   * use W_SN from the stored u and v, and leave them unchanged: a GAN's generator step, for
   * example, should see the discriminator's current W_SN exactly, without refining its vectors.
   * Not saved with the model.
   */
  public void setPowerIterationPaused(boolean paused) {
    this.powerIterationPaused = paused;
  }

  /** Whether the power iteration is paused; see {@link #setPowerIterationPaused}. */
  public boolean isPowerIterationPaused() {
    return powerIterationPaused;
  }

  /**
   * Pauses or resumes the power iteration of every spectrally normalized layer of a
   * MultiLayerNetwork or ComputationGraph; see {@link #setPowerIterationPaused}.
   *
   * @return the number of layers affected
   */
  public static int setPowerIterationPaused(Model model, boolean paused) {
    List<SpectralNormLayer> layers = allIn(model);
    for (SpectralNormLayer l : layers) {
      l.setPowerIterationPaused(paused);
    }
    return layers.size();
  }

  /**
   * The spectrally normalized layers of a MultiLayerNetwork or ComputationGraph, in layer order
   * (or the layer itself, if given one), including those inside DL4J's wrapper layers
   * (Bidirectional, LastTimeStep, FrozenLayer, FrozenLayerWithBackprop, ...).
   */
  public static List<SpectralNormLayer> allIn(Model model) {
    return new ArrayList<>(named(model).values());
  }

  /**
   * As {@link #allIn}, keyed by the network's layer name; the two directions of a Bidirectional
   * layer {@code name} are {@code name/fwd} and {@code name/bwd}.
   */
  public static Map<String, SpectralNormLayer> named(Model model) {
    Layer[] layers;
    if (model instanceof MultiLayerNetwork) {
      layers = ((MultiLayerNetwork) model).getLayers();
    } else if (model instanceof ComputationGraph) {
      layers = ((ComputationGraph) model).getLayers();
    } else if (model instanceof Layer) {
      layers = new Layer[] {(Layer) model};
    } else {
      throw new IllegalArgumentException(
          "Expected a MultiLayerNetwork, ComputationGraph or layer, got " + model);
    }
    Map<String, SpectralNormLayer> out = new LinkedHashMap<>();
    for (Layer l : layers) {
      String name = l.conf() == null ? null : l.conf().getLayer().getLayerName();
      collect(l, name != null ? name : String.valueOf(l.getIndex()), out);
    }
    return out;
  }

  private static void collect(Layer l, String name, Map<String, SpectralNormLayer> out) {
    if (l instanceof SpectralNormLayer) {
      out.put(name, (SpectralNormLayer) l);
    } else if (l instanceof org.deeplearning4j.nn.layers.wrapper.BaseWrapperLayer) {
      collect(((org.deeplearning4j.nn.layers.wrapper.BaseWrapperLayer) l).getUnderlying(), name,
          out);
    } else if (l instanceof BidirectionalLayer) {
      collect(bidirectionalPart(l, "fwd"), name + "/fwd", out);
      collect(bidirectionalPart(l, "bwd"), name + "/bwd", out);
    }
  }

  /** One direction of a BidirectionalLayer, which DL4J M2.1 keeps in private fields. */
  static Layer bidirectionalPart(Layer bidirectional, String field) {
    try {
      Field f = BidirectionalLayer.class.getDeclaredField(field);
      f.setAccessible(true);
      return (Layer) f.get(bidirectional);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(
          "Cannot read the " + field + " layer of a BidirectionalLayer (DL4J version change?)", e);
    }
  }

  private Slot slot(String key) {
    for (Slot s : slots) {
      if (s.weight.key().equals(key)) {
        return s;
      }
    }
    throw new IllegalArgumentException(describe() + " does not normalize a weight named " + key);
  }

  // ---------------------------------------------------------------------------------------------
  // The spectral-normalization steps

  /**
   * Computes W_SN for every weight: iterating first if this is the first training-mode use in
   * this iteration.
   */
  private void prepare(boolean training) {
    boolean due = !powerIterationPaused && snConf.getPowerIterations() > 0;
    boolean iterate;
    if (training) {
      iterate = due && iteratedAt != iterationCount;
      if (iterate && preIterated) {
        // Inference already ran this iteration's power iteration on these same weights.
        iterate = false;
        iteratedAt = iterationCount;
      }
      preIterated = false;
    } else {
      iterate = due && snConf.isRefreshForInference() && updatedSinceIteration;
      preIterated |= iterate;
    }
    for (Slot s : slots) {
      if (iterate) {
        s.core.renormalizeU();
        double tolerance = snConf.getPowerIterationTolerance();
        if (tolerance > 0) {
          s.lastIterations = s.core.powerIterateToTolerance(s.raw(inner),
              snConf.getPowerIterations(), snConf.getMaxPowerIterations(), tolerance);
        } else {
          s.core.powerIterate(s.raw(inner), snConf.getPowerIterations());
          s.lastIterations = snConf.getPowerIterations();
        }
      }
      s.normalize(inner, iterate, !training);
    }
    if (iterate) {
      updatedSinceIteration = false;
      if (training) {
        iteratedAt = iterationCount;
      }
    }
  }

  /**
   * The power iterations the last iteration of a weight ran: {@code powerIterations}, or in
   * tolerance mode as many as it took (0 before the first).
   */
  public int lastPowerIterations(String key) {
    return slot(key).lastIterations;
  }

  /** Puts W_SN into the inner layer's param table; undo with {@link #restoreWeights()}. */
  private void swapInNormalizedWeights() {
    Map<String, INDArray> table = inner.paramTable();
    for (Slot s : slots) {
      s.saved = table.put(s.weight.key(), s.normalized());
    }
  }

  /** Restores the raw weights in the inner layer's param table. */
  private void restoreWeights() {
    Map<String, INDArray> table = inner.paramTable();
    for (Slot s : slots) {
      if (s.saved != null) {
        table.put(s.weight.key(), s.saved);
        s.saved = null;
      }
    }
  }

  /** Names the layer for messages: index, name and inner type. */
  public String describe() {
    return "layer " + index + " ('" + conf.getLayer().getLayerName() + "', "
        + snConf.getUnderlying().getClass().getSimpleName() + " with spectral normalization)";
  }

  /**
   * Runs a call of the inner layer on W_SN: prepares it (iterating on the first training-mode use
   * in an iteration), swaps it into the inner layer's param table, and restores W afterwards.
   */
  protected <T> T withNormalizedWeights(boolean training, Supplier<T> call) {
    for (Slot s : slots) {
      s.core.checkInput(inner.input(), this::describe);
    }
    prepare(training);
    swapInNormalizedWeights();
    try {
      return call.get();
    } finally {
      restoreWeights();
    }
  }

  @Override
  public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
    INDArray out = withNormalizedWeights(training, () -> inner.activate(training, workspaceMgr));
    preparedForBackprop = true;
    return out;
  }

  @Override
  public INDArray activate(INDArray input, boolean training, LayerWorkspaceMgr workspaceMgr) {
    setInput(input, workspaceMgr);
    return activate(training, workspaceMgr);
  }

  @Override
  public Pair<Gradient, INDArray> backpropGradient(
      INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
    return backpropWithNormalizedWeights(() -> inner.backpropGradient(epsilon, workspaceMgr));
  }

  /** Marks the W_SN buffer as the one the next backprop must use (after a forward pass). */
  protected void forwardDone() {
    preparedForBackprop = true;
  }

  /** Marks the W_SN buffer as not belonging to a pending backprop. */
  protected void forwardInvalidated() {
    preparedForBackprop = false;
  }

  /**
   * Runs a backprop call of the inner layer on the W_SN of the forward pass that preceded it, then
   * maps each normalized weight's gradient dL/dW_SN to dL/dW in place in the gradient view, and
   * zeroes the vectors' gradients.
   */
  protected Pair<Gradient, INDArray> backpropWithNormalizedWeights(
      Supplier<Pair<Gradient, INDArray>> call) {
    if (!preparedForBackprop) {
      prepare(true);
    }
    Pair<Gradient, INDArray> result;
    swapInNormalizedWeights();
    try {
      result = call.get();
    } finally {
      restoreWeights();
      preparedForBackprop = false;
      updatedSinceIteration = true;
    }
    Map<String, INDArray> innerGradients = result.getFirst().gradientForVariable();
    for (Slot s : slots) {
      INDArray g = innerGradients.get(s.weight.key());
      if (g == null) {
        throw new IllegalStateException(
            describe() + ": the inner layer returned no gradient for " + s.weight.key());
      }
      s.core.correctGradient(s.weight.normalizedPart(g));
      s.uGradient.assign(0);
      s.vGradient.assign(0);
      result.getFirst().setGradientFor(s.weight.uKey(), s.uGradient);
      result.getFirst().setGradientFor(s.weight.vKey(), s.vGradient);
    }
    return result;
  }

  // ---------------------------------------------------------------------------------------------
  // Parameters: the inner layer's, then u and v

  @Override
  public INDArray params() {
    return paramsView;
  }

  @Override
  public long numParams() {
    return paramsView.length();
  }

  @Override
  public long numParams(boolean backwards) {
    return numParams();
  }

  @Override
  public void setParams(INDArray params) {
    if (params == paramsView) {
      return;
    }
    if (params.length() != paramsView.length()) {
      throw new IllegalArgumentException(
          describe() + ": expected " + paramsView.length() + " parameters, got " + params.length());
    }
    paramsView.assign(params.reshape(params.length()));
  }

  @Override
  public void setParamsViewArray(INDArray params) {
    INDArray flat = params.reshape(params.length());
    if (flat.length() != numParams()) {
      throw new IllegalArgumentException(
          describe() + ": expected a view of " + numParams() + " parameters, got " + flat.length());
    }
    INDArray innerView = SpectralNormParamInitializer.range(flat, 0, innerParamCount);
    inner.setParamsViewArray(innerView);
    org.deeplearning4j.nn.conf.layers.Layer innerLayerConf = snConf.getUnderlying();
    inner.setParamTable(
        innerLayerConf.initializer().init(inner.conf(), innerView, false));
    bindParams(flat);
  }

  @Override
  public INDArray getGradientsViewArray() {
    return gradientsView;
  }

  @Override
  public void setBackpropGradientsViewArray(INDArray gradients) {
    INDArray flat = gradients.reshape(gradients.length());
    inner.setBackpropGradientsViewArray(
        SpectralNormParamInitializer.range(flat, 0, innerParamCount));
    Map<String, INDArray> vectors =
        SpectralNormParamInitializer.vectorViews(snConf, flat, innerParamCount);
    for (Slot s : slots) {
      s.uGradient = vectors.get(s.weight.uKey());
      s.vGradient = vectors.get(s.weight.vKey());
    }
    this.gradientsView = flat;
  }

  @Override
  public INDArray getParam(String param) {
    for (Slot s : slots) {
      if (param.equals(s.weight.uKey())) {
        return s.u;
      }
      if (param.equals(s.weight.vKey())) {
        return s.v;
      }
    }
    return inner.getParam(param);
  }

  @Override
  public Map<String, INDArray> paramTable() {
    return paramTable(false);
  }

  @Override
  public Map<String, INDArray> paramTable(boolean backpropParamsOnly) {
    Map<String, INDArray> out = new LinkedHashMap<>(inner.paramTable(backpropParamsOnly));
    for (Slot s : slots) {
      out.put(s.weight.uKey(), s.u);
      out.put(s.weight.vKey(), s.v);
    }
    return Collections.unmodifiableMap(out);
  }

  @Override
  public void setParamTable(Map<String, INDArray> paramTable) {
    for (Map.Entry<String, INDArray> e : paramTable.entrySet()) {
      setParam(e.getKey(), e.getValue());
    }
  }

  @Override
  public void setParam(String key, INDArray val) {
    for (Slot s : slots) {
      if (key.equals(s.weight.uKey())) {
        assignVector(s.u, val, key);
        return;
      }
      if (key.equals(s.weight.vKey())) {
        assignVector(s.v, val, key);
        return;
      }
    }
    inner.setParam(key, val);
  }

  private void assignVector(INDArray target, INDArray val, String key) {
    if (val.length() != target.length()) {
      throw new IllegalArgumentException(
          describe() + ": parameter " + key + " has length " + target.length() + ", got "
              + Arrays.toString(val.shape()));
    }
    target.assign(val.reshape(target.length()));
  }

  @Override
  public boolean updaterDivideByMinibatch(String paramName) {
    return !snConf.isVectorParam(paramName) && inner.updaterDivideByMinibatch(paramName);
  }

  @Override
  public TrainingConfig getConfig() {
    return snConf;
  }

  @Override
  public NeuralNetConfiguration conf() {
    return conf;
  }

  @Override
  public void setConf(NeuralNetConfiguration conf) {
    this.conf = conf;
  }

  // ---------------------------------------------------------------------------------------------
  // Everything else is the inner layer's

  @Override
  public void setCacheMode(CacheMode mode) {
    inner.setCacheMode(mode);
  }

  @Override
  public double calcRegularizationScore(boolean backpropOnlyParams) {
    return inner.calcRegularizationScore(backpropOnlyParams);
  }

  @Override
  public Type type() {
    return inner.type();
  }

  @Override
  public Collection<TrainingListener> getListeners() {
    return inner.getListeners();
  }

  @Override
  public void setListeners(TrainingListener... listeners) {
    inner.setListeners(listeners);
  }

  @Override
  public void setListeners(Collection<TrainingListener> listeners) {
    inner.setListeners(listeners);
  }

  @Override
  public void addListeners(TrainingListener... listener) {
    inner.addListeners(listener);
  }

  @Override
  public void setIndex(int index) {
    this.index = index;
    inner.setIndex(index);
  }

  @Override
  public int getIndex() {
    return index;
  }

  @Override
  public int getIterationCount() {
    return iterationCount;
  }

  @Override
  public int getEpochCount() {
    return epochCount;
  }

  @Override
  public void setIterationCount(int iterationCount) {
    this.iterationCount = iterationCount;
    inner.setIterationCount(iterationCount);
  }

  @Override
  public void setEpochCount(int epochCount) {
    this.epochCount = epochCount;
    inner.setEpochCount(epochCount);
  }

  @Override
  public void setInput(INDArray input, LayerWorkspaceMgr workspaceMgr) {
    inner.setInput(input, workspaceMgr);
    // New input: an earlier forward's W_SN does not belong to the next backprop. (A network sets
    // its output layer's input this way before backprop, without calling activate.)
    preparedForBackprop = false;
  }

  @Override
  public void setInputMiniBatchSize(int size) {
    inner.setInputMiniBatchSize(size);
  }

  @Override
  public int getInputMiniBatchSize() {
    return inner.getInputMiniBatchSize();
  }

  @Override
  public void setMaskArray(INDArray maskArray) {
    inner.setMaskArray(maskArray);
  }

  @Override
  public INDArray getMaskArray() {
    return inner.getMaskArray();
  }

  @Override
  public boolean isPretrainLayer() {
    return inner.isPretrainLayer();
  }

  @Override
  public void clearNoiseWeightParams() {
    inner.clearNoiseWeightParams();
  }

  @Override
  public void allowInputModification(boolean allow) {
    inner.allowInputModification(allow);
  }

  @Override
  public Pair<INDArray, MaskState> feedForwardMaskArray(
      INDArray maskArray, MaskState currentMaskState, int minibatchSize) {
    return inner.feedForwardMaskArray(maskArray, currentMaskState, minibatchSize);
  }

  @Override
  public LayerHelper getHelper() {
    return inner.getHelper();
  }

  @Override
  public void init() {
    // Parameters are initialized by the configuration's instantiate().
  }

  @Override
  public void fit() {
    throw new UnsupportedOperationException(describe() + ": train the network, not the layer");
  }

  @Override
  public void fit(INDArray data, LayerWorkspaceMgr workspaceMgr) {
    throw new UnsupportedOperationException(describe() + ": train the network, not the layer");
  }

  @Override
  public void update(Gradient gradient) {
    inner.update(gradient);
  }

  @Override
  public void update(INDArray gradient, String paramType) {
    inner.update(gradient, paramType);
  }

  @Override
  public double score() {
    return inner.score();
  }

  @Override
  public void computeGradientAndScore(LayerWorkspaceMgr workspaceMgr) {
    throw new UnsupportedOperationException(
        describe() + ": gradients come from the network's computeGradientAndScore()");
  }

  @Override
  public Gradient gradient() {
    return inner.gradient();
  }

  @Override
  public Pair<Gradient, Double> gradientAndScore() {
    return inner.gradientAndScore();
  }

  @Override
  public int batchSize() {
    return inner.batchSize();
  }

  @Override
  public INDArray input() {
    return inner.input();
  }

  @Override
  public ConvexOptimizer getOptimizer() {
    return inner.getOptimizer();
  }

  @Override
  public void clear() {
    inner.clear();
    preparedForBackprop = false;
  }

  @Override
  public void applyConstraints(int iteration, int epoch) {
    inner.applyConstraints(iteration, epoch);
  }

  @Override
  public void close() {
    // Buffers are released with the layer.
  }

  @Override
  public String toString() {
    return "SpectralNormLayer(" + describe() + ", inner=" + inner + ")";
  }
}
