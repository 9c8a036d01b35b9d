package io.github.dl4jsn.layers;

import io.github.dl4jsn.conf.SameDiffSpectralNormalization;
import io.github.dl4jsn.conf.SameDiffSpectralNormalization.Target;
import io.github.dl4jsn.math.SpectralNormCore;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The implementation of {@link SameDiffSpectralNormalization}: DL4J's SameDiff layer, plus the
 * power iteration of every normalized weight, once per training iteration on the first
 * training-mode use (forward or backprop), on the parameter arrays in place; inference never
 * iterates.
 */
public class SameDiffSpectralNormLayer extends org.deeplearning4j.nn.layers.samediff.SameDiffLayer {

  /** A weight's core, bound to the parameter arrays it iterates on. */
  private static final class Bound {
    final Target target;
    final SpectralNormCore core;
    final INDArray weight;
    final INDArray u;
    final INDArray v;

    Bound(Target target, SpectralNormCore core, INDArray weight, INDArray u, INDArray v) {
      this.target = target;
      this.core = core;
      this.weight = weight;
      this.u = u;
      this.v = v;
    }
  }

  private final List<Bound> bound = new ArrayList<>();
  private int iteratedAt = Integer.MIN_VALUE;
  /** True after a backprop (an update follows) until the next power iteration. */
  private boolean updatedSinceIteration;
  /** True when inference ran the next iteration's power iteration early (refreshForInference). */
  private boolean preIterated;

  public SameDiffSpectralNormLayer(NeuralNetConfiguration conf, DataType dataType) {
    super(conf, dataType);
  }

  /** The configuration of this layer. */
  public SameDiffSpectralNormalization getSpectralNormConfig() {
    return (SameDiffSpectralNormalization) conf().getLayer();
  }

  @Override
  public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
    SameDiffSpectralNormalization sn = getSpectralNormConfig();
    if (training) {
      iterateOnce();
    } else if (sn.isRefreshForInference() && updatedSinceIteration
        && sn.getPowerIterations() > 0) {
      // Run the next training iteration's power iteration now, on the same weights.
      iterate(sn);
      preIterated = true;
    }
    return super.activate(training, workspaceMgr);
  }

  @Override
  public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon,
      LayerWorkspaceMgr workspaceMgr) {
    iterateOnce();
    Pair<Gradient, INDArray> out = super.backpropGradient(epsilon, workspaceMgr);
    updatedSinceIteration = true;
    return out;
  }

  /** Runs this iteration's power iterations unless they have run (or inference ran them). */
  private void iterateOnce() {
    SameDiffSpectralNormalization sn = getSpectralNormConfig();
    if (sn.getPowerIterations() == 0 || iteratedAt == getIterationCount()) {
      return;
    }
    if (!preIterated) {
      iterate(sn);
    }
    preIterated = false;
    iteratedAt = getIterationCount();
  }

  private void iterate(SameDiffSpectralNormalization sn) {
    try (MemoryWorkspace ignored = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
      for (Bound b : cores()) {
        INDArray m = SameDiffSpectralNormalization.matrix(b.target, b.weight);
        b.core.renormalizeU();
        if (sn.getPowerIterationTolerance() > 0) {
          b.core.powerIterateToTolerance(m, sn.getPowerIterations(), sn.getMaxPowerIterations(),
              sn.getPowerIterationTolerance());
        } else {
          b.core.powerIterate(m, sn.getPowerIterations());
        }
      }
    }
    updatedSinceIteration = false;
  }

  /** The cores, bound to the live parameter arrays (rebound if the views were replaced). */
  private List<Bound> cores() {
    Map<String, INDArray> table = paramTable();
    boolean stale = bound.isEmpty();
    for (Bound b : bound) {
      stale |= b.weight != table.get(b.target.key()) || b.u != table.get(b.target.uKey())
          || b.v != table.get(b.target.vKey());
    }
    if (stale) {
      bound.clear();
      SameDiffSpectralNormalization sn = getSpectralNormConfig();
      for (Target t : sn.targets()) {
        INDArray w = table.get(t.key());
        SpectralNormCore core = sn.core(t, w.dataType());
        core.bind(table.get(t.uKey()), table.get(t.vKey()));
        bound.add(new Bound(t, core, w, table.get(t.uKey()), table.get(t.vKey())));
      }
    }
    return bound;
  }

  /** The normalized keys, e.g. [Wq, Wk, Wv, Wo]. */
  public List<String> normalizedKeys() {
    List<String> keys = new ArrayList<>();
    for (Target t : getSpectralNormConfig().targets()) {
      keys.add(t.key());
    }
    return keys;
  }

  /** The sigma estimate {@code u^T M v} of each normalized weight, as inference uses it. */
  public Map<String, Double> sigmas() {
    Map<String, Double> out = new LinkedHashMap<>();
    for (Bound b : cores()) {
      out.put(b.target.key(), sigma(b));
    }
    return out;
  }

  /** The sigma estimate of one normalized weight. */
  public double sigma(String key) {
    return sigma(bound(key));
  }

  /**
   * W_SN of one weight as the graph computes it: {@code c W / sigma}, or {@code W / max(1,
   * sigma / c)} in clip-only mode (a new array, the weight's shape).
   */
  public INDArray normalizedWeight(String key) {
    SameDiffSpectralNormalization sn = getSpectralNormConfig();
    double ratio = sigma(key) / sn.getCoefficient();
    if (sn.isClipOnly()) {
      ratio = Math.max(ratio, 1.0);
    }
    return bound(key).weight.div(ratio);
  }

  /** The exact largest singular value of M(W_SN), by SVD: about c once u and v have converged. */
  public double exactSigma(String key) {
    Bound b = bound(key);
    INDArray m = SameDiffSpectralNormalization.matrix(b.target, normalizedWeight(key));
    return io.github.dl4jsn.inspect.SingularValues.largest(m);
  }

  private Bound bound(String key) {
    for (Bound b : cores()) {
      if (b.target.key().equals(key)) {
        return b;
      }
    }
    throw new IllegalArgumentException("layer " + getIndex() + " does not normalize a weight "
        + "named '" + key + "'; it normalizes " + normalizedKeys());
  }

  private static double sigma(Bound b) {
    INDArray m = SameDiffSpectralNormalization.matrix(b.target, b.weight);
    INDArray mt = b.target.layout() == io.github.dl4jsn.math.WeightLayout.DENSE ? m.transpose() : m;
    return b.u.mmul(mt).mmul(b.v.transpose()).getDouble(0);
  }
}
