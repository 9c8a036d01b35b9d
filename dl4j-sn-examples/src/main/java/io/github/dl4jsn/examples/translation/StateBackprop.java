package io.github.dl4jsn.examples.translation;

import io.github.dl4jsn.math.SpectralNormCore;
import io.github.dl4jsn.math.WeightLayout;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.MulOp;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Sigmoid;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Tanh;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The loss and gradients of one {@link StateSeq2SeqModel} batch, computed directly with ND4J
 * operations instead of the SameDiff training graph: the forward pass runs each LSTM layer step by
 * step and keeps its gates and states; backpropagation through time is written out by hand. The
 * maths is the training graph's (the same cell, hand-over, dropout masks, SN with the stored
 * vectors held constant, and loss summed over the real target words), and
 * {@code StateBackpropTest} checks the two against each other in DOUBLE; what differs is the cost.
 * The graph spends about 2,700 native operations per update (41% of them copies between
 * operations) plus SameDiff's per-call set-up; here a cell step is one matrix product and eight
 * element-wise operations forward and one product and about ten element-wise operations backward,
 * the gate derivatives of a whole layer are computed at once, and a layer's input, weight and bias
 * gradients are one product each over all steps.
 *
 * <p>Cell (gate blocks i, f, g, o): {@code z = x W + h RW + b}; {@code i, f, o = sigmoid(.)},
 * {@code g = tanh(.)}; {@code c' = f c + i g}; {@code h' = o tanh(c')}. Backward, with {@code dh}
 * and {@code dc} the gradients reaching a step: {@code dz_o = dh tanh(c') o (1 - o)}, {@code dc
 * += dh o (1 - tanh(c')^2)}, {@code dz_i = dc g i (1 - i)}, {@code dz_f = dc c f (1 - f)},
 * {@code dz_g = dc i (1 - g^2)}; then {@code dc_prev = dc f} and {@code dh_prev = dz RW^T}. With
 * SN, {@code W_SN = W / sigma}, {@code sigma = v^T W u} (u, v the model's vectors, constant), so
 * {@code dL/dW = G / sigma - (sum(G * W) / sigma^2) v u^T} for {@code G = dL/dW_SN}: both by the
 * core's {@link SpectralNormCore} ({@code normalize}, {@code correctGradient}).
 */
final class StateBackprop {

  /** The batch's loss (summed over its real target words) and the gradients of that sum. */
  record Result(double lossSum, Map<String, INDArray> grads, INDArray srcXGrad,
      INDArray tgtXGrad) {}

  private final int hidden;
  private final int layers;
  private final DataType type;
  private final Map<String, INDArray> params;
  /** The SN cores of the normalized weights, bound to the model's vectors. */
  private final Map<String, SpectralNormCore> cores;
  /** The weights as the cells use them (normalized where SN is on), for this batch. */
  private final Map<String, INDArray> effective = new LinkedHashMap<>();

  /**
   * @param params the model's parameters by name
   * @param cores the core's SN state of every normalized weight, by name, bound to the model's
   *     u and v (see {@link #snCore})
   */
  StateBackprop(StateSeq2SeqModel.Config config, Map<String, INDArray> params,
      Map<String, SpectralNormCore> cores) {
    this.hidden = config.hidden();
    this.layers = config.layers();
    this.type = config.dataType();
    this.params = params;
    this.cores = cores;
  }

  /**
   * The core's SN state for a dense weight W [nIn, nOut] (M = W<sup>T</sup>, as {@code
   * SDSpectralNorm}'s default layout), bound to its vectors u [nOut] and v [nIn]: {@code
   * normalize} gives {@code W / sigma} with {@code sigma = u^T M v} and {@code correctGradient}
   * the chain rule through it, u and v held constant.
   */
  static SpectralNormCore snCore(INDArray weight, INDArray u, INDArray v) {
    SpectralNormCore core = SpectralNormCore.create(WeightLayout.DENSE, weight.shape(), 'c',
        weight.dataType(), 1e-12, 1.0, false);
    core.bind(u, v);
    return core;
  }

  /** One LSTM layer's forward pass over {@code steps} steps of {@code b} rows, time-major. */
  private final class Layer {
    final String name;
    final int steps;
    final int b;
    /** Input [steps b, nIn]. */
    final INDArray x;
    /** Initial state [b, H], or null for zeros. */
    final INDArray h0;
    final INDArray c0;
    /** Activated gates [steps b, 4H], blocks i, f, g, o. */
    final INDArray gates;
    final INDArray c;
    final INDArray tanhC;
    final INDArray h;

    Layer(String name, INDArray x, int steps, int b, INDArray h0, INDArray c0) {
      this.name = name;
      this.x = x;
      this.steps = steps;
      this.b = b;
      this.h0 = h0;
      this.c0 = c0;
      INDArray rw = effective.get(name + "RW");
      gates = x.mmul(effective.get(name + "W")).addiRowVector(params.get(name + "b"));
      c = Nd4j.create(type, (long) steps * b, hidden);
      tanhC = Nd4j.create(type, (long) steps * b, hidden);
      h = Nd4j.create(type, (long) steps * b, hidden);
      INDArray tmp = Nd4j.create(type, b, hidden);
      for (int t = 0; t < steps; t++) {
        INDArray z = rows(gates, t);
        INDArray hPrev = t == 0 ? h0 : rows(h, t - 1);
        INDArray cPrev = t == 0 ? c0 : rows(c, t - 1);
        if (hPrev != null) {
          Nd4j.gemm(hPrev, rw, z, false, false, 1.0, 1.0);
        }
        INDArray ifBlocks = z.get(NDArrayIndex.all(), NDArrayIndex.interval(0, 2L * hidden));
        Nd4j.exec(new Sigmoid(ifBlocks, ifBlocks));
        INDArray g = block(z, 2);
        Nd4j.exec(new Tanh(g, g));
        INDArray o = block(z, 3);
        Nd4j.exec(new Sigmoid(o, o));
        INDArray ct = rows(c, t);
        Nd4j.exec(new MulOp(block(z, 0), g, ct));
        if (cPrev != null) {
          Nd4j.exec(new MulOp(block(z, 1), cPrev, tmp));
          ct.addi(tmp);
        }
        INDArray tc = rows(tanhC, t);
        Nd4j.exec(new Tanh(ct, tc));
        Nd4j.exec(new MulOp(o, tc, rows(h, t)));
      }
    }

    /**
     * Backpropagation through the layer: {@code dh} [steps b, H] the gradient reaching each
     * output (overwritten), {@code dcExtra} one reaching each cell state directly, or null.
     * Returns {dx [steps b, nIn], dh0, dc0} and adds the weight gradients to {@code grads}.
     */
    INDArray[] backward(INDArray dh, INDArray dcExtra, Map<String, INDArray> grads) {
      long n = (long) steps * b;
      // Per-row coefficients of the gate pre-activations, for all steps at once:
      // k = [g i(1-i), c_prev f(1-f), i (1-g^2), tanh(c) o(1-o)], q = o (1 - tanh(c)^2).
      INDArray k = Nd4j.create(type, n, 4L * hidden);
      INDArray i = block(gates, 0);
      INDArray f = block(gates, 1);
      INDArray g = block(gates, 2);
      INDArray o = block(gates, 3);
      INDArray ki = block(k, 0);
      Nd4j.exec(new MulOp(i.rsub(1.0), i, ki));
      ki.muli(g);
      INDArray kf = block(k, 1);
      Nd4j.exec(new MulOp(f.rsub(1.0), f, kf));
      // (Row ranges are taken before column blocks: in ND4J M2.1 a row range of a column block
      // can have the wrong shape.)
      if (steps > 1) {
        block(later(k), 1).muli(earlier(c));
      }
      if (c0 == null) {
        block(rows(k, 0), 1).assign(0);
      } else {
        block(rows(k, 0), 1).muli(c0);
      }
      INDArray kg = block(k, 2);
      Nd4j.exec(new MulOp(g, g, kg));
      kg.rsubi(1.0).muli(i);
      INDArray ko = block(k, 3);
      Nd4j.exec(new MulOp(o.rsub(1.0), o, ko));
      ko.muli(tanhC);
      INDArray q = tanhC.mul(tanhC).rsubi(1.0).muli(o);
      INDArray rwT = effective.get(name + "RW").transpose();
      INDArray dz = Nd4j.create(type, n, 4L * hidden);
      INDArray dc = Nd4j.zeros(type, b, hidden);
      INDArray tmp = Nd4j.create(type, b, hidden);
      INDArray dhPrev = null;
      for (int t = steps - 1; t >= 0; t--) {
        INDArray dht = rows(dh, t);
        if (dhPrev != null) {
          dht.addi(dhPrev);
        }
        if (dcExtra != null) {
          dc.addi(rows(dcExtra, t));
        }
        Nd4j.exec(new MulOp(dht, rows(q, t), tmp));
        dc.addi(tmp);
        INDArray dzt = rows(dz, t);
        INDArray kt = rows(k, t);
        for (int blk = 0; blk < 3; blk++) {
          Nd4j.exec(new MulOp(dc, block(kt, blk), block(dzt, blk)));
        }
        Nd4j.exec(new MulOp(dht, block(kt, 3), block(dzt, 3)));
        dc.muli(block(rows(gates, t), 1));
        boolean hasPrev = t > 0 || h0 != null;
        dhPrev = hasPrev ? dzt.mmul(rwT) : null;
      }
      grads.put(name + "W", x.transpose().mmul(dz));
      // dRW = sum over t of h_{t-1}^T dz_t, h_{-1} = h0 (or zero).
      INDArray dRw = Nd4j.zeros(type, hidden, 4L * hidden);
      if (steps > 1) {
        Nd4j.gemm(earlier(h), later(dz), dRw, true, false, 1.0, 0.0);
      }
      if (h0 != null) {
        Nd4j.gemm(h0, rows(dz, 0), dRw, true, false, 1.0, 1.0);
      }
      grads.put(name + "RW", dRw);
      grads.put(name + "b", columnSums(dz));
      INDArray dx = dz.mmul(effective.get(name + "W").transpose());
      return new INDArray[] {dx, dhPrev, c0 == null ? null : dc};
    }

    /** Adds the gate pre-activations' parts and cell states of rows {@code real} to {@code s}. */
    void addStatistics(int[] real, GateStatistics s) {
      INDArray in = x.mmul(effective.get(name + "W"));
      INDArray rec = Nd4j.zeros(type, (long) steps * b, 4L * hidden);
      INDArray rw = effective.get(name + "RW");
      if (steps > 1) {
        Nd4j.gemm(earlier(h), rw, later(rec), false, false, 1.0, 0.0);
      }
      if (h0 != null) {
        Nd4j.gemm(h0, rw, rows(rec, 0), false, false, 1.0, 0.0);
      }
      s.add(values(in, real), values(rec, real), params.get(name + "b").toDoubleVector(),
          values(c, real), real.length);
    }

    private static double[] values(INDArray a, int[] rowIdx) {
      return Nd4j.pullRows(a, 1, rowIdx).castTo(DataType.DOUBLE).dup('c').data().asDouble();
    }

    /** Rows of steps 0 .. steps - 2. */
    private INDArray earlier(INDArray a) {
      return a.get(NDArrayIndex.interval(0, (long) (steps - 1) * b), NDArrayIndex.all());
    }

    /** Rows of steps 1 .. steps - 1. */
    private INDArray later(INDArray a) {
      return a.get(NDArrayIndex.interval(b, (long) steps * b), NDArrayIndex.all());
    }

    private INDArray rows(INDArray a, int t) {
      return a.get(NDArrayIndex.interval((long) t * b, (long) (t + 1) * b), NDArrayIndex.all());
    }
  }

  /** Column block k (of width H) of a [rows, 4H] array. */
  private INDArray block(INDArray a, int k) {
    return a.get(NDArrayIndex.all(), NDArrayIndex.interval((long) k * hidden,
        (long) (k + 1) * hidden));
  }

  /**
   * The loss and gradients of a batch: {@code srcX} [ts, b, E] and {@code tgtX} [tt, b, E] the
   * embedded words (dropout already applied), {@code srcLastStep[i]} sentence i's last real
   * source step, {@code rowIdx} the time-major rows (t b + i) of the real target words and
   * {@code words} those words, {@code masks} the dropout placeholders of the training graph
   * (encDrop/decDrop per layer but the last, topDrop) or none.
   */
  Result run(INDArray srcX, INDArray tgtX, int[] srcLastStep, int[] rowIdx, int[] words,
      Map<String, INDArray> masks) {
    int ts = (int) srcX.size(0);
    int b = (int) srcX.size(1);
    prepareWeights();
    Map<String, INDArray> grads = new LinkedHashMap<>();
    Forward fw = forward(srcX, tgtX, srcLastStep, masks);
    Layer[] enc = fw.enc();
    Layer[] dec = fw.dec();
    int[] lastRows = fw.lastRows();
    INDArray top = mask(dec[layers - 1].h, masks.get("topDrop"));
    // Output layer and loss on the real target rows only.
    INDArray sel = Nd4j.pullRows(top, 1, rowIdx);
    INDArray outW = effective.get("outW");
    INDArray logits = sel.mmul(outW).addiRowVector(params.get("outb"));
    // The softmax p once: the loss is -log p(word), the logits' gradient p - onehot(word). (A
    // probability that underflows to 0 takes its log-softmax from the logits instead.)
    INDArray dLogits = Nd4j.create(type, logits.shape());
    Nd4j.exec(new SoftMax(logits, dLogits));
    double loss = 0;
    for (int r = 0; r < words.length; r++) {
      double p = dLogits.getDouble(r, words[r]);
      loss -= p > 0 ? Math.log(p) : logSoftmax(logits.getRow(r), words[r]);
      dLogits.putScalar(r, words[r], p - 1);
    }
    grads.put("outW", sel.transpose().mmul(dLogits));
    grads.put("outb", columnSums(dLogits));
    INDArray dTop = Nd4j.zeros(type, top.shape());
    scatter(dTop, rowIdx, dLogits.mmul(outW.transpose()));
    // Decoder backward, top layer first.
    INDArray dh = mask(dTop, masks.get("topDrop"));
    INDArray[] dh0 = new INDArray[layers];
    INDArray[] dc0 = new INDArray[layers];
    INDArray dTgt = null;
    for (int l = layers - 1; l >= 0; l--) {
      INDArray[] back = dec[l].backward(dh, null, grads);
      dh0[l] = back[1];
      dc0[l] = back[2];
      if (l > 0) {
        dh = mask(back[0], masks.get("decDrop" + (l - 1)));
      } else {
        dTgt = back[0];
      }
    }
    // Encoder backward: the hand-over's gradients reach the last real step of each sentence.
    INDArray dFromAbove = null;
    INDArray dSrc = null;
    for (int l = layers - 1; l >= 0; l--) {
      INDArray dhEnc = dFromAbove == null ? Nd4j.zeros(type, (long) ts * b, hidden) : dFromAbove;
      INDArray dcEnc = Nd4j.zeros(type, (long) ts * b, hidden);
      scatterAdd(dhEnc, lastRows, dh0[l]);
      scatter(dcEnc, lastRows, dc0[l]);
      INDArray[] back = enc[l].backward(dhEnc, dcEnc, grads);
      if (l > 0) {
        dFromAbove = mask(back[0], masks.get("encDrop" + (l - 1)));
      } else {
        dSrc = back[0];
      }
    }
    chainSn(grads);
    return new Result(loss, grads, dSrc.reshape('c', srcX.shape()),
        dTgt.reshape('c', tgtX.shape()));
  }

  /** The LSTM layers after a forward pass, and the rows (t b + i) of each source's last step. */
  private record Forward(Layer[] enc, Layer[] dec, int[] lastRows) {}

  /**
   * The forward pass through the LSTMs (weights prepared): the encoder over the source, then the
   * decoder, each layer from its encoder layer's final state; dropout from {@code masks}.
   */
  private Forward forward(INDArray srcX, INDArray tgtX, int[] srcLastStep,
      Map<String, INDArray> masks) {
    int ts = (int) srcX.size(0);
    int tt = (int) tgtX.size(0);
    int b = (int) srcX.size(1);
    Layer[] enc = new Layer[layers];
    INDArray seq = srcX.reshape('c', (long) ts * b, srcX.size(2));
    int[] lastRows = new int[b];
    for (int i = 0; i < b; i++) {
      lastRows[i] = srcLastStep[i] * b + i;
    }
    INDArray[] hEnc = new INDArray[layers];
    INDArray[] cEnc = new INDArray[layers];
    for (int l = 0; l < layers; l++) {
      enc[l] = new Layer("enc" + l, seq, ts, b, null, null);
      hEnc[l] = Nd4j.pullRows(enc[l].h, 1, lastRows);
      cEnc[l] = Nd4j.pullRows(enc[l].c, 1, lastRows);
      seq = mask(enc[l].h, masks.get("encDrop" + l));
    }
    Layer[] dec = new Layer[layers];
    seq = tgtX.reshape('c', (long) tt * b, tgtX.size(2));
    for (int l = 0; l < layers; l++) {
      dec[l] = new Layer("dec" + l, seq, tt, b, hEnc[l], cEnc[l]);
      seq = l + 1 < layers ? mask(dec[l].h, masks.get("decDrop" + l)) : dec[l].h;
    }
    return new Forward(enc, dec, lastRows);
  }

  /**
   * Adds the gate statistics of a batch to {@code stats} (by layer: enc0, ..., dec0, ...): the
   * forward pass of {@link #run} without dropout, over the real steps only, each source's steps
   * up to its last word and the target rows {@code rowIdx}.
   */
  void gateStatistics(INDArray srcX, INDArray tgtX, int[] srcLastStep, int[] rowIdx,
      Map<String, GateStatistics> stats) {
    int b = (int) srcX.size(1);
    prepareWeights();
    Forward fw = forward(srcX, tgtX, srcLastStep, Map.of());
    int realSource = 0;
    for (int last : srcLastStep) {
      realSource += last + 1;
    }
    int[] srcRows = new int[realSource];
    for (int i = 0, k = 0; i < b; i++) {
      for (int t = 0; t <= srcLastStep[i]; t++) {
        srcRows[k++] = t * b + i;
      }
    }
    for (Layer layer : fw.enc()) {
      layer.addStatistics(srcRows, stats.computeIfAbsent(layer.name, k -> new GateStatistics()));
    }
    for (Layer layer : fw.dec()) {
      layer.addStatistics(rowIdx, stats.computeIfAbsent(layer.name, k -> new GateStatistics()));
    }
  }

  /** The sums of a matrix's columns as a vector: one matrix product, faster than sum(0). */
  private static INDArray columnSums(INDArray a) {
    return Nd4j.ones(a.dataType(), 1, a.size(0)).mmul(a).reshape(a.size(1));
  }

  /** log softmax(row)[k], computed in double from the logits. */
  static double logSoftmax(INDArray row, int k) {
    double[] v = row.toDoubleVector();
    double max = Double.NEGATIVE_INFINITY;
    for (double x : v) {
      max = Math.max(max, x);
    }
    double sum = 0;
    for (double x : v) {
      sum += Math.exp(x - max);
    }
    return v[k] - max - Math.log(sum);
  }

  /** The weights as used in the cells: W / sigma for the normalized ones, else the raw arrays. */
  private void prepareWeights() {
    effective.clear();
    for (Map.Entry<String, INDArray> e : params.entrySet()) {
      SpectralNormCore core = cores.get(e.getKey());
      effective.put(e.getKey(), core == null ? e.getValue() : core.normalize(e.getValue(), false));
    }
  }

  /** Turns the gradients of the normalized weights into those of the raw weights, in place. */
  private void chainSn(Map<String, INDArray> grads) {
    for (Map.Entry<String, SpectralNormCore> e : cores.entrySet()) {
      e.getValue().correctGradient(grads.get(e.getKey()));
    }
  }

  /** {@code a * mask} (a new array), or {@code a} itself without a mask. */
  private static INDArray mask(INDArray a, INDArray mask) {
    return mask == null ? a : a.mul(mask.reshape('c', a.shape()));
  }

  /** Writes {@code updates}' rows into rows {@code idx} (distinct) of {@code target}. */
  static void scatter(INDArray target, int[] idx, INDArray updates) {
    Nd4j.exec(DynamicCustomOp.builder("scatter_upd")
        .addInputs(target, Nd4j.createFromArray(idx), updates).addOutputs(target).build());
  }

  /** Adds {@code updates}' rows to rows {@code idx} (distinct) of {@code target}. */
  private static void scatterAdd(INDArray target, int[] idx, INDArray updates) {
    Nd4j.exec(DynamicCustomOp.builder("scatter_add")
        .addInputs(target, Nd4j.createFromArray(idx), updates).addOutputs(target).build());
  }
}
