package io.github.dl4jsn.samediff;

import io.github.dl4jsn.math.SpectralNormCore;
import io.github.dl4jsn.math.WeightLayout;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.nd4j.autodiff.listeners.At;
import org.nd4j.autodiff.listeners.BaseListener;
import org.nd4j.autodiff.listeners.Operation;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/**
 * Runs the power iteration of every weight normalized with {@link SDSpectralNorm}, once at the
 * start of each training iteration, updating the u and v constants in place; inactive in
 * inference, which uses the stored vectors. Create it with {@link SDSpectralNorm#listener}.
 */
public class SDSpectralNormListener extends BaseListener {

  /** One normalized weight: the names of its variables and its options. */
  static final class Entry {
    final String weight;
    final String u;
    final String v;
    final int powerIterations;
    final double eps;
    final double coefficient;
    final boolean clipOnly;
    final WeightLayout layout;
    SpectralNormCore core;
    INDArray boundU;
    INDArray boundV;
    INDArray boundW;

    Entry(String weight, String u, String v, int powerIterations, double eps,
        double coefficient, boolean clipOnly, WeightLayout layout) {
      this.weight = weight;
      this.u = u;
      this.v = v;
      this.powerIterations = powerIterations;
      this.eps = eps;
      this.coefficient = coefficient;
      this.clipOnly = clipOnly;
      this.layout = layout;
    }
  }

  private final List<Entry> entries;

  SDSpectralNormListener(List<Entry> entries) {
    this.entries = new ArrayList<>(entries);
  }

  /** The names of the normalized weights. */
  public List<String> weights() {
    List<String> out = new ArrayList<>();
    for (Entry e : entries) {
      out.add(e.weight);
    }
    return Collections.unmodifiableList(out);
  }

  @Override
  public boolean isActive(Operation operation) {
    return operation == Operation.TRAINING;
  }

  @Override
  public void iterationStart(SameDiff sd, At at, MultiDataSet data, long etlTimeMs) {
    iterate(sd);
  }

  /**
   * Runs each weight's power iterations now, on its current value (what a training iteration
   * does first; public for tests and custom training loops).
   */
  public void iterate(SameDiff sd) {
    for (Entry e : entries) {
      if (e.powerIterations == 0) {
        continue;
      }
      INDArray w = sd.getArrForVarName(e.weight);
      INDArray u = sd.getArrForVarName(e.u);
      INDArray v = sd.getArrForVarName(e.v);
      if (w == null || u == null || v == null) {
        throw new IllegalStateException("SDSpectralNorm: the graph has no value for '" + e.weight
            + "' or its vectors '" + e.u + "', '" + e.v + "'");
      }
      if (e.core == null || e.boundU != u || e.boundV != v || e.boundW != w) {
        // First use, or the graph replaced an array (e.g. after load): bind the live arrays.
        e.core = SDSpectralNorm.core(e.layout, w, e.eps, e.coefficient, e.clipOnly);
        e.core.bind(u, v);
        e.boundU = u;
        e.boundV = v;
        e.boundW = w;
      }
      e.core.renormalizeU();
      e.core.powerIterate(w, e.powerIterations);
    }
  }
}
