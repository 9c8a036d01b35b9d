package io.github.dl4jsn.examples.translation;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Statistics of one LSTM layer's gates over the real (unpadded) steps of some sentences: for each
 * gate block (i, f, g, o) of the pre-activation {@code z = x W + h RW + b} its root mean square,
 * its mean activation (sigmoid, tanh for g) and the shares of units beyond {@code +-}{@value
 * #SATURATED} (sigmoid within 0.047 of 0 or 1, tanh within 0.005 of -1 or 1: a gate that is
 * switched, where gradients through it vanish); and the root mean squares of z's three parts
 * (x W, h RW, b) and of the cell state c. This is what spectral normalization of W and RW bounds:
 * with sigma(W) = sigma(RW) = 1, {@code |x W + h RW| <= |x| + |h|} row by row.
 */
final class GateStatistics {

  /** The pre-activation beyond which a gate counts as switched (saturated). */
  static final double SATURATED = 3.0;

  private static final String[] GATES = {"i", "f", "g", "o"};

  private long rows;
  private long hidden;
  private final double[] squares = new double[4];
  private final double[] activations = new double[4];
  private final double[] high = new double[4];
  private final double[] low = new double[4];
  private double inSquares;
  private double recurrentSquares;
  private double biasSquares;
  private double cellSquares;

  /**
   * Adds {@code n} rows: {@code in}, {@code rec} the parts x W and h RW of the pre-activation,
   * row-major [n, 4H], {@code bias} [4H], {@code cell} the cell states [n, H].
   */
  void add(double[] in, double[] rec, double[] bias, double[] cell, int n) {
    int width = bias.length;
    if (width % 4 != 0 || in.length != (long) n * width || rec.length != in.length
        || cell.length != (long) n * (width / 4)) {
      throw new IllegalArgumentException("GateStatistics: expected [" + n + ", " + width
          + "] parts and [" + n + ", " + width / 4 + "] cells, got " + in.length + ", "
          + rec.length + " and " + cell.length + " values");
    }
    int h = width / 4;
    if (rows > 0 && h != hidden) {
      throw new IllegalArgumentException("GateStatistics: layer of " + hidden
          + " units, got rows of " + h);
    }
    hidden = h;
    for (int r = 0; r < n; r++) {
      for (int j = 0; j < width; j++) {
        int k = r * width + j;
        double z = in[k] + rec[k] + bias[j];
        int gate = j / h;
        squares[gate] += z * z;
        activations[gate] += gate == 2 ? Math.tanh(z) : 1 / (1 + Math.exp(-z));
        if (z > SATURATED) {
          high[gate]++;
        } else if (z < -SATURATED) {
          low[gate]++;
        }
        inSquares += in[k] * in[k];
        recurrentSquares += rec[k] * rec[k];
        biasSquares += bias[j] * bias[j];
      }
    }
    for (double c : cell) {
      cellSquares += c * c;
    }
    rows += n;
  }

  /** The real steps seen. */
  long rows() {
    return rows;
  }

  /** Share of gate {@code gate} (0-3: i, f, g, o) units beyond +-{@value #SATURATED}. */
  double saturated(int gate) {
    return (high[gate] + low[gate]) / ((double) rows * hidden);
  }

  /** Share of all gate units beyond +-{@value #SATURATED}. */
  double saturated() {
    double s = 0;
    for (int g = 0; g < 4; g++) {
      s += high[g] + low[g];
    }
    return s / (4.0 * rows * hidden);
  }

  /** The root mean square of gate {@code gate}'s pre-activation. */
  double rms(int gate) {
    return Math.sqrt(squares[gate] / ((double) rows * hidden));
  }

  /** As a JSON-ready map. */
  Map<String, Object> toMap() {
    double units = (double) rows * hidden;
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("steps", rows);
    m.put("saturated", saturated());
    m.put("rmsInput", Math.sqrt(inSquares / (4 * units)));
    m.put("rmsRecurrent", Math.sqrt(recurrentSquares / (4 * units)));
    m.put("rmsBias", Math.sqrt(biasSquares / (4 * units)));
    m.put("rmsCell", Math.sqrt(cellSquares / units));
    Map<String, Object> gates = new LinkedHashMap<>();
    for (int g = 0; g < 4; g++) {
      Map<String, Object> s = new LinkedHashMap<>();
      s.put("rms", rms(g));
      s.put("meanActivation", activations[g] / units);
      s.put("high", high[g] / units);
      s.put("low", low[g] / units);
      gates.put(GATES[g], s);
    }
    m.put("gates", gates);
    return m;
  }
}
