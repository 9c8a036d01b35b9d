package io.github.dl4jsn.samediff;

import io.github.dl4jsn.conf.SpectralNormalization;
import io.github.dl4jsn.math.SpectralNormCore;
import io.github.dl4jsn.math.WeightLayout;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.exception.DL4JInvalidConfigException;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.samediff.SameDiffLayer;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.controlflow.compat.StopGradient;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.learning.regularization.Regularization;

/**
 * What the spectrally normalized {@link SameDiffLayer}s share: the options, the persistent vectors
 * {@code uW} and {@code vW} (NoOp updater, no regularization, fed to the graph through {@code
 * StopGradient}, refreshed once per iteration by {@link SameDiffSpectralNormListener}), their
 * initialization, and the workaround for DL4J M2.1's doubled SameDiffLayer gradients.
 */
public abstract class SpectralNormSameDiffLayer extends SameDiffLayer {

  private static final long serialVersionUID = 1L;

  /** Keys of the persistent vectors. */
  public static final String U_KEY = "uW";
  public static final String V_KEY = "vW";

  private int powerIterations = 1;
  private int warmupIterations = 15;
  private double eps = 1e-12;
  private double coefficient = 1.0;

  /**
   * Checks the options, as {@code SpectralNormalization.validate} does.
   *
   * @param where how to name the layer in messages, or null for its class and name
   * @throws DL4JInvalidConfigException naming the layer and the bad value
   */
  public void validate(String where) {
    String name = where != null ? where
        : getClass().getSimpleName() + (getLayerName() == null ? "" : " '" + getLayerName() + "'");
    SpectralNormalization.validateIterations(name, powerIterations, warmupIterations, eps);
    if (!(coefficient > 0) || Double.isInfinite(coefficient)) {
      throw new DL4JInvalidConfigException(
          name + ": coefficient (the target Lipschitz constant) must be > 0 and finite, got "
              + coefficient);
    }
  }

  /** Validates the options (as loaded from JSON too) before DL4J builds the layer. */
  @Override
  public org.deeplearning4j.nn.api.Layer instantiate(NeuralNetConfiguration conf,
      Collection<TrainingListener> trainingListeners, int layerIndex, INDArray layerParamsView,
      boolean initializeParams, DataType networkDataType) {
    validate("layer " + layerIndex + " (" + getClass().getSimpleName()
        + (getLayerName() == null ? "" : " '" + getLayerName() + "'") + ")");
    return super.instantiate(conf, trainingListeners, layerIndex, layerParamsView,
        initializeParams, networkDataType);
  }

  /** How the weight parameter maps to the matrix M whose largest singular value is sigma. */
  protected abstract WeightLayout layout();

  /** The maths core for the layer's weight (the same as the native wrapper's). */
  public SpectralNormCore core(INDArray w) {
    return SpectralNormCore.create(layout(), w.shape(), w.ordering(), w.dataType(), eps,
        coefficient, false);
  }

  /** Draws u and v, normalizes them and runs the warm-up power iterations on the weight. */
  protected void initializeVectors(Map<String, INDArray> params, INDArray w) {
    INDArray u = params.get(U_KEY);
    INDArray v = params.get(V_KEY);
    u.assign(Nd4j.randn(u.dataType(), u.shape()));
    v.assign(Nd4j.randn(v.dataType(), v.shape()));
    SpectralNormCore core = core(w);
    core.bind(u, v);
    core.normalizeVectors();
    core.powerIterate(w, warmupIterations);
  }

  /** A parameter as a constant of the gradient. */
  protected static SDVariable stopped(SameDiff sd, SDVariable x) {
    return new StopGradient(sd, x).outputVariable();
  }

  /** {@code 1 / (sigma / c)}, the factor that turns W into W_SN (never a broadcast div). */
  protected SDVariable scale(SameDiff sd, SDVariable sigma) {
    return sd.math().reciprocal(sigma.mul(1.0 / coefficient));
  }

  /**
   * {@code 0.5 f + 0.5 stopGradient(f)}: equal to f, with half its gradient, which undoes DL4J
   * M2.1's doubling of SameDiffLayer gradients (parameters' and input's).
   */
  protected static SDVariable halveGradient(SameDiff sd, SDVariable f) {
    return f.mul(0.5).add(stopped(sd, f).mul(0.5));
  }

  @Override
  public IUpdater getUpdaterByParam(String paramName) {
    if (U_KEY.equals(paramName) || V_KEY.equals(paramName)) {
      return new NoOp();
    }
    return super.getUpdaterByParam(paramName);
  }

  @Override
  public List<Regularization> getRegularizationByParam(String paramName) {
    if (U_KEY.equals(paramName) || V_KEY.equals(paramName)) {
      return Collections.emptyList();
    }
    return super.getRegularizationByParam(paramName);
  }

  /** Power iterations per training iteration. Default: 1. */
  public int getPowerIterations() {
    return powerIterations;
  }

  public void setPowerIterations(int powerIterations) {
    this.powerIterations = powerIterations;
  }

  /** Power iterations at initialization. Default: 15. */
  public int getWarmupIterations() {
    return warmupIterations;
  }

  public void setWarmupIterations(int warmupIterations) {
    this.warmupIterations = warmupIterations;
  }

  /** Epsilon of the vector normalization. Default: 1e-12. */
  public double getEps() {
    return eps;
  }

  public void setEps(double eps) {
    this.eps = eps;
  }

  /** Target Lipschitz constant c. Default: 1. */
  public double getCoefficient() {
    return coefficient;
  }

  public void setCoefficient(double coefficient) {
    this.coefficient = coefficient;
  }
}
