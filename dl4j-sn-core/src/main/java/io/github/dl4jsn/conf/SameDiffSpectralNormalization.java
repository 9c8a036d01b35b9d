package io.github.dl4jsn.conf;

import io.github.dl4jsn.layers.SameDiffSpectralNormLayer;
import io.github.dl4jsn.math.SpectralNormCore;
import io.github.dl4jsn.math.WeightLayout;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.deeplearning4j.exception.DL4JInvalidConfigException;
import org.deeplearning4j.nn.api.MaskState;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.LearnedSelfAttentionLayer;
import org.deeplearning4j.nn.conf.layers.LocallyConnected1D;
import org.deeplearning4j.nn.conf.layers.LocallyConnected2D;
import org.deeplearning4j.nn.conf.layers.RecurrentAttentionLayer;
import org.deeplearning4j.nn.conf.layers.SelfAttentionLayer;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.deeplearning4j.nn.conf.layers.samediff.SameDiffLayer;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.controlflow.compat.StopGradient;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.learning.regularization.Regularization;

/**
 * Spectral normalization of a DL4J layer that is written in SameDiff: {@link LocallyConnected1D},
 * {@link LocallyConnected2D}, {@link SelfAttentionLayer}, {@link LearnedSelfAttentionLayer} and
 * {@link RecurrentAttentionLayer}. Each linear weight W is replaced, inside the layer's own graph,
 * by {@code W_SN = c W / sigma}, {@code sigma = u^T M v}, with u and v persistent parameters ({@code
 * "u" + key}, {@code "v" + key}: NoOp updater, no regularization, fed through {@code StopGradient},
 * so the gradient goes through sigma with u and v constant, as in PyTorch). The division is written
 * {@code W * reciprocal(sigma / c)}, the form whose SameDiff gradient is right (see {@code
 * SDSpectralNorm}).
 *
 * <p>The power iteration runs outside the graph, in the layer implementation, with the same maths
 * class as the other layers ({@link SpectralNormCore}): {@code powerIterations} steps once per
 * training iteration, on the first training-mode use, never in inference; {@code
 * warmupIterations} at initialization. No listener is needed.
 *
 * <p>The matrix M of each weight (u has M's rows):
 *
 * <ul>
 *   <li>LocallyConnected1D/2D, W [P, F, nOut] (P output positions, F = nIn kernel taps): M =
 *       W.reshape(P F, nOut)<sup>T</sup>, every position's kernel stacked, as TensorFlow Addons'
 *       SpectralNormalization reshapes a Keras LocallyConnected kernel. Each position's kernel
 *       W<sub>p</sub> has sigma(W<sub>p</sub>) &le; sigma(M).
 *   <li>Attention, Wq, Wk, Wv [nHeads, headSize, nIn]: M = W.reshape(nHeads headSize, nIn), the map
 *       from an input vector to all heads' projections; Wo [nHeads headSize, nOut]: M =
 *       Wo<sup>T</sup>. LearnedSelfAttentionLayer's learned queries Q are not a map of the input and
 *       are left alone.
 *   <li>RecurrentAttentionLayer also W [nIn, nOut] and RW [nOut, nOut]: M = W<sup>T</sup>,
 *       RW<sup>T</sup>, as for SimpleRnn.
 * </ul>
 *
 * <p>Works around DL4J M2.1's doubled SameDiffLayer gradients: the output is {@code 0.5 f + 0.5
 * stopGradient(f)}, equal to f with half its gradient (the tests show the plain layers' doubled
 * gradients and this layer's passing gradient check).
 *
 * <p>Use {@link SpectralNormalization#wrapSameDiff} or {@link io.github.dl4jsn.SpectralNorm#applyTo};
 * Reference: T. Miyato et al., ICLR 2018, arXiv:1802.05957.
 */
public class SameDiffSpectralNormalization extends SameDiffLayer {

  private static final long serialVersionUID = 1L;

  private SameDiffLayer underlying;
  private int powerIterations = SpectralNormalization.DEFAULT_POWER_ITERATIONS;
  private double eps = SpectralNormalization.DEFAULT_EPS;
  private int warmupIterations = SpectralNormalization.DEFAULT_WARMUP_ITERATIONS;
  private double coefficient = SpectralNormalization.DEFAULT_COEFFICIENT;
  private boolean clipOnly = SpectralNormalization.DEFAULT_CLIP_ONLY;
  private double powerIterationTolerance =
      SpectralNormalization.DEFAULT_POWER_ITERATION_TOLERANCE;
  private int maxPowerIterations = SpectralNormalization.DEFAULT_MAX_POWER_ITERATIONS;
  private boolean refreshForInference = SpectralNormalization.DEFAULT_REFRESH_FOR_INFERENCE;
  /** The keys to normalize, or null for every linear weight of the inner layer. */
  private List<String> normalize;

  /** For JSON deserialization; use {@link SpectralNormalization#wrapSameDiff}. */
  public SameDiffSpectralNormalization() {}

  /**
   * @param underlying the SameDiff layer whose weights to normalize
   * @param options the options of a {@link SpectralNormalization.Builder} (power iterations, eps,
   *     warm-up, coefficient, clip-only, keys); operator-norm mode does not apply
   */
  SameDiffSpectralNormalization(SameDiffLayer underlying, SpectralNormalization options) {
    this.underlying = underlying;
    this.powerIterations = options.getPowerIterations();
    this.eps = options.getEps();
    this.warmupIterations = options.getWarmupIterations();
    this.coefficient = options.getCoefficient();
    this.clipOnly = options.isClipOnly();
    this.powerIterationTolerance = options.getPowerIterationTolerance();
    this.maxPowerIterations = options.getMaxPowerIterations();
    this.refreshForInference = options.isRefreshForInference();
    this.normalize = options.getNormalize();
    if (underlying != null && underlying.getLayerName() != null) {
      setLayerName(underlying.getLayerName());
    }
    if (options.isOperatorNorm()) {
      throw new DL4JInvalidConfigException(describe() + ": operatorNorm applies to convolutions, "
          + "not " + underlying.getClass().getSimpleName());
    }
    validate();
  }

  /** The SameDiff layer types this wrapper supports, by exact class. */
  public static List<Class<? extends SameDiffLayer>> supportedLayerTypes() {
    return List.of(LocallyConnected1D.class, LocallyConnected2D.class, SelfAttentionLayer.class,
        LearnedSelfAttentionLayer.class, RecurrentAttentionLayer.class);
  }

  /** One normalized weight: M = A or A^T with A = W.reshape(rows, cols), row-major. */
  public static final class Target {
    private final String key;
    private final long rows;
    private final long cols;
    private final boolean transposed;

    Target(String key, long rows, long cols, boolean transposed) {
      this.key = key;
      this.rows = rows;
      this.cols = cols;
      this.transposed = transposed;
    }

    /** The weight's key, e.g. "Wq". */
    public String key() {
      return key;
    }

    /** The key of u, e.g. "uWq". */
    public String uKey() {
      return SpectralNormalization.U_PREFIX + key;
    }

    /** The key of v, e.g. "vWq". */
    public String vKey() {
      return SpectralNormalization.V_PREFIX + key;
    }

    /** The shape [a, b] of A = W.reshape(a, b). */
    public long[] matrixShape() {
      return new long[] {rows, cols};
    }

    /** M's row count, the length of u. */
    public long h() {
      return transposed ? cols : rows;
    }

    /** M's column count, the length of v. */
    public long w() {
      return transposed ? rows : cols;
    }

    /** How A maps to M: DENSE for M = A<sup>T</sup>, CONV for M = A. */
    public WeightLayout layout() {
      return transposed ? WeightLayout.DENSE : WeightLayout.CONV;
    }

    @Override
    public String toString() {
      return key + " as " + h() + "x" + w();
    }
  }

  /** Every linear weight of a supported layer, with its matrix (the layer's sizes must be set). */
  public static List<Target> weightsOf(SameDiffLayer inner) {
    Map<String, long[]> shapes = inner.getLayerParams().getParamShapes();
    List<Target> out = new ArrayList<>();
    for (Map.Entry<String, long[]> e : shapes.entrySet()) {
      String key = e.getKey();
      long[] s = e.getValue();
      if (inner instanceof LocallyConnected1D || inner instanceof LocallyConnected2D) {
        if (key.equals("W")) {
          out.add(new Target(key, s[0] * s[1], s[2], true));
        }
      } else if (key.equals("Wq") || key.equals("Wk") || key.equals("Wv")) {
        out.add(new Target(key, s[0] * s[1], s[2], false));
      } else if (key.equals("Wo") || key.equals("W") || key.equals("RW")) {
        out.add(new Target(key, s[0], s[1], true));
      }
    }
    return out;
  }

  /** The weights this layer normalizes. */
  public List<Target> targets() {
    List<Target> out = new ArrayList<>();
    for (Target t : weightsOf(underlying)) {
      if (normalize == null || normalize.contains(t.key())) {
        out.add(t);
      }
    }
    return out;
  }

  /** Checks the inner layer and the options, naming the layer and the bad value. */
  public void validate() {
    String name = describe();
    if (underlying == null) {
      throw new DL4JInvalidConfigException(name + ": the inner layer is null");
    }
    if (!supportedLayerTypes().contains(underlying.getClass())) {
      throw new DL4JInvalidConfigException(name + ": unsupported SameDiff layer type "
          + underlying.getClass().getName() + "; supported: LocallyConnected1D, "
          + "LocallyConnected2D, SelfAttentionLayer, LearnedSelfAttentionLayer, "
          + "RecurrentAttentionLayer");
    }
    if ((underlying instanceof SelfAttentionLayer && !((SelfAttentionLayer) underlying)
        .isProjectInput()) || (underlying instanceof LearnedSelfAttentionLayer
        && !((LearnedSelfAttentionLayer) underlying).isProjectInput())) {
      throw new DL4JInvalidConfigException(name + ": the inner layer has projectInput(false), so "
          + "it has no projection weights to normalize");
    }
    SpectralNormalization.validateIterations(name, powerIterations, warmupIterations, eps);
    SpectralNormalization.validateCoefficient(name, coefficient, DataType.DOUBLE);
    SpectralNormalization.validateTolerance(name, powerIterations, powerIterationTolerance,
        maxPowerIterations);
    if (normalize != null) {
      List<String> available = defaultKeys(underlying);
      if (normalize.isEmpty()) {
        throw new DL4JInvalidConfigException(name + ": normalize() needs at least one key; "
            + underlying.getClass().getSimpleName() + " has " + available);
      }
      for (String key : normalize) {
        if (key == null || !available.contains(key)) {
          throw new DL4JInvalidConfigException(name + ": cannot normalize weight '" + key + "': "
              + underlying.getClass().getSimpleName() + " has " + available);
        }
      }
    }
  }

  /** The keys a supported SameDiff layer type normalizes by default (before sizes are known). */
  public static List<String> defaultKeys(SameDiffLayer inner) {
    if (inner instanceof LocallyConnected1D || inner instanceof LocallyConnected2D) {
      return List.of("W");
    }
    if (inner instanceof RecurrentAttentionLayer) {
      return List.of("W", "RW", "Wq", "Wk", "Wv", "Wo");
    }
    return List.of("Wq", "Wk", "Wv", "Wo");
  }

  private String describe() {
    String inner = underlying == null ? "null" : underlying.getClass().getSimpleName();
    String name = getLayerName() != null ? " '" + getLayerName() + "'" : "";
    return "SpectralNormalization(" + inner + ")" + name;
  }

  private boolean isVectorKey(String key) {
    if (key == null || underlying == null) {
      return false;
    }
    for (String k : defaultKeys(underlying)) {
      if (key.equals(SpectralNormalization.U_PREFIX + k)
          || key.equals(SpectralNormalization.V_PREFIX + k)) {
        return true;
      }
    }
    return false;
  }

  // ---------------------------------------------------------------------------------------------
  // The graph

  @Override
  public SDVariable defineLayer(SameDiff sd, SDVariable input, Map<String, SDVariable> params,
      SDVariable mask) {
    Map<String, SDVariable> inner = new LinkedHashMap<>();
    for (String key : underlying.getLayerParams().getParamShapes().keySet()) {
      inner.put(key, params.get(key));
    }
    for (Target t : targets()) {
      SDVariable w = params.get(t.key());
      SDVariable u = new StopGradient(sd, params.get(t.uKey())).outputVariable();
      SDVariable v = new StopGradient(sd, params.get(t.vKey())).outputVariable();
      SDVariable a = w.reshape(t.rows, t.cols);
      // sigma = u M v: with M = A, u A v^T; with M = A^T, v A u^T. Written as sum(A * left^T
      // right), not as two matmuls: libnd4j M2.1's matmul_bp fails on 1x1 operands
      // ("mulRowVector: wrong arguments"), as for attention with one head of size 1.
      SDVariable left = t.transposed ? v : u;
      SDVariable right = t.transposed ? u : v;
      SDVariable outer = left.reshape(t.rows, 1).mul(right.reshape(1, t.cols));
      SDVariable sigma = a.mul(outer).sum(true, 0, 1);
      SDVariable ratio = sigma.mul(1.0 / coefficient);
      if (clipOnly) {
        ratio = sd.math().max(ratio, sd.constant(Nd4j.scalar(ratio.dataType(), 1.0)));
      }
      inner.put(t.key(), w.mul(sd.math().reciprocal(ratio)));
    }
    SDVariable out = underlying instanceof LearnedSelfAttentionLayer
        ? learnedSelfAttention(sd, input, inner, mask)
        : underlying.defineLayer(sd, input, inner, mask);
    // 0.5 f + 0.5 stopGradient(f): undoes DL4J M2.1's doubled SameDiffLayer gradients.
    return out.mul(0.5).add(new StopGradient(sd, out).outputVariable().mul(0.5));
  }

  /**
   * LearnedSelfAttentionLayer's graph with its learned queries Q [1, nIn, nQueries] broadcast over
   * the batch. DL4J M2.1's own graph tiles Q with a {@code scatter_update} on the input's shape
   * vector, which libnd4j rejects in every forward pass (the tests show the plain layer failing);
   * adding Q to a [batch, 1, 1] zero made from the input gives the same queries and the same
   * gradient for Q (the sum over the batch).
   */
  private SDVariable learnedSelfAttention(SameDiff sd, SDVariable input,
      Map<String, SDVariable> params, SDVariable mask) {
    SDVariable zeros = input.sum(true, 1, 2).mul(0.0);
    SDVariable queries = zeros.add(params.get("Q"));
    return sd.nn().multiHeadDotProductAttention(underlying.getLayerName(), queries, input, input,
        params.get("Wq"), params.get("Wk"), params.get("Wv"), params.get("Wo"), mask, true);
  }

  @Override
  public void defineParameters(SDLayerParams params) {
    underlying.defineParameters(params);
    for (Target t : targets()) {
      params.addBiasParam(t.uKey(), 1, t.h());
      params.addBiasParam(t.vKey(), 1, t.w());
    }
  }

  @Override
  public void initializeParameters(Map<String, INDArray> params) {
    Map<String, INDArray> inner = new LinkedHashMap<>();
    for (String key : underlying.getLayerParams().getParamShapes().keySet()) {
      inner.put(key, params.get(key));
    }
    underlying.initializeParameters(inner);
    for (Target t : targets()) {
      INDArray u = params.get(t.uKey());
      INDArray v = params.get(t.vKey());
      u.assign(Nd4j.randn(u.dataType(), u.shape()));
      v.assign(Nd4j.randn(v.dataType(), v.shape()));
      SpectralNormCore core = core(t, params.get(t.key()).dataType());
      core.bind(u, v);
      core.normalizeVectors();
      core.powerIterate(matrix(t, params.get(t.key())), warmupIterations);
    }
  }

  /** The maths core of one weight, on its matrix A (see {@link #matrix}). */
  public SpectralNormCore core(Target t, DataType dataType) {
    return SpectralNormCore.create(t.layout(), t.matrixShape(), 'c', dataType, eps, coefficient,
        clipOnly);
  }

  /** A = W.reshape(rows, cols), a view of the weight. */
  public static INDArray matrix(Target t, INDArray weight) {
    return weight.reshape('c', t.rows, t.cols);
  }

  @Override
  public org.deeplearning4j.nn.api.Layer instantiate(NeuralNetConfiguration conf,
      Collection<TrainingListener> trainingListeners, int layerIndex, INDArray layerParamsView,
      boolean initializeParams, DataType networkDataType) {
    validate();
    SpectralNormalization.validateCoefficient(describe(), coefficient, networkDataType);
    SameDiffSpectralNormLayer ret = new SameDiffSpectralNormLayer(conf, networkDataType);
    ret.setIndex(layerIndex);
    ret.setParamsViewArray(layerParamsView);
    ret.setParamTable(initializer().init(conf, layerParamsView, initializeParams));
    ret.setConf(conf);
    return ret;
  }

  // ---------------------------------------------------------------------------------------------
  // Delegation to the inner layer

  @Override
  public InputType getOutputType(int layerIndex, InputType inputType) {
    return underlying.getOutputType(layerIndex, inputType);
  }

  @Override
  public void setNIn(InputType inputType, boolean override) {
    underlying.setNIn(inputType, override);
  }

  @Override
  public InputPreProcessor getPreProcessorForInputType(InputType inputType) {
    return underlying.getPreProcessorForInputType(inputType);
  }

  @Override
  public void applyGlobalConfig(NeuralNetConfiguration.Builder b) {
    super.applyGlobalConfig(b);
    underlying.applyGlobalConfig(b);
  }

  @Override
  public void validateInput(INDArray input) {
    underlying.validateInput(input);
  }

  @Override
  public Pair<INDArray, MaskState> feedForwardMaskArray(INDArray maskArray,
      MaskState currentMaskState, int minibatchSize) {
    return underlying.feedForwardMaskArray(maskArray, currentMaskState, minibatchSize);
  }

  @Override
  public INDArray onesMaskForInput(INDArray input) {
    return underlying.onesMaskForInput(input);
  }

  @Override
  public char paramReshapeOrder(String param) {
    return isVectorKey(param) ? 'c' : underlying.paramReshapeOrder(param);
  }

  @Override
  public IUpdater getUpdaterByParam(String paramName) {
    return isVectorKey(paramName) ? new NoOp() : underlying.getUpdaterByParam(paramName);
  }

  @Override
  public List<Regularization> getRegularizationByParam(String paramName) {
    return isVectorKey(paramName)
        ? Collections.emptyList()
        : underlying.getRegularizationByParam(paramName);
  }

  @Override
  public void setDataType(DataType dataType) {
    super.setDataType(dataType);
    if (underlying != null) {
      underlying.setDataType(dataType);
    }
  }

  @Override
  public SameDiffSpectralNormalization clone() {
    SameDiffSpectralNormalization l = (SameDiffSpectralNormalization) super.clone();
    if (underlying != null) {
      l.underlying = (SameDiffLayer) underlying.clone();
    }
    return l;
  }

  // ---------------------------------------------------------------------------------------------
  // Options (getters and setters double as the JSON properties)

  /** The wrapped SameDiff layer. */
  public SameDiffLayer getUnderlying() {
    return underlying;
  }

  public void setUnderlying(SameDiffLayer underlying) {
    this.underlying = underlying;
  }

  /** Power iterations per training iteration; 0 freezes u and v. Default: 1. */
  public int getPowerIterations() {
    return powerIterations;
  }

  public void setPowerIterations(int powerIterations) {
    this.powerIterations = powerIterations;
  }

  /** Epsilon of the vector normalization. Default: 1e-12. */
  public double getEps() {
    return eps;
  }

  public void setEps(double eps) {
    this.eps = eps;
  }

  /** Power iterations run on the freshly initialized weights. Default: 15. */
  public int getWarmupIterations() {
    return warmupIterations;
  }

  public void setWarmupIterations(int warmupIterations) {
    this.warmupIterations = warmupIterations;
  }

  /** The target Lipschitz constant c: {@code W_SN = c W / sigma}. Default: 1. */
  public double getCoefficient() {
    return coefficient;
  }

  public void setCoefficient(double coefficient) {
    this.coefficient = coefficient;
  }

  /** Whether to use {@code W / max(1, sigma / c)}. Default: false. */
  public boolean isClipOnly() {
    return clipOnly;
  }

  public void setClipOnly(boolean clipOnly) {
    this.clipOnly = clipOnly;
  }

  /** Tolerance mode, as {@link SpectralNormalization#getPowerIterationTolerance}. Default: 0. */
  public double getPowerIterationTolerance() {
    return powerIterationTolerance;
  }

  public void setPowerIterationTolerance(double powerIterationTolerance) {
    this.powerIterationTolerance = powerIterationTolerance;
  }

  /** Tolerance mode: the most power iterations per step. Default: 10. */
  public int getMaxPowerIterations() {
    return maxPowerIterations;
  }

  public void setMaxPowerIterations(int maxPowerIterations) {
    this.maxPowerIterations = maxPowerIterations;
  }

  /** As {@link SpectralNormalization#isRefreshForInference}. Default: false. */
  public boolean isRefreshForInference() {
    return refreshForInference;
  }

  public void setRefreshForInference(boolean refreshForInference) {
    this.refreshForInference = refreshForInference;
  }

  /** The keys to normalize, or null for every linear weight. Default: null. */
  public List<String> getNormalize() {
    return normalize;
  }

  public void setNormalize(List<String> normalize) {
    this.normalize = normalize == null ? null : new ArrayList<>(normalize);
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof SameDiffSpectralNormalization)) {
      return false;
    }
    SameDiffSpectralNormalization that = (SameDiffSpectralNormalization) o;
    return powerIterations == that.powerIterations
        && Double.compare(eps, that.eps) == 0
        && warmupIterations == that.warmupIterations
        && Double.compare(coefficient, that.coefficient) == 0
        && clipOnly == that.clipOnly
        && Double.compare(powerIterationTolerance, that.powerIterationTolerance) == 0
        && maxPowerIterations == that.maxPowerIterations
        && refreshForInference == that.refreshForInference
        && Objects.equals(normalize, that.normalize)
        && Objects.equals(getLayerName(), that.getLayerName())
        && Objects.equals(underlying, that.underlying);
  }

  @Override
  public int hashCode() {
    return Objects.hash(powerIterations, eps, warmupIterations, coefficient, clipOnly,
        powerIterationTolerance, maxPowerIterations, refreshForInference, normalize,
        getLayerName(), underlying);
  }

  @Override
  public String toString() {
    return "SameDiffSpectralNormalization(powerIterations=" + powerIterations + ", eps=" + eps
        + ", warmupIterations=" + warmupIterations + ", coefficient=" + coefficient
        + ", clipOnly=" + clipOnly + (normalize == null ? "" : ", normalize=" + normalize)
        + ", underlying=" + underlying + ")";
  }
}
