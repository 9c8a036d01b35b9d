package io.github.dl4jsn.samediff;

import io.github.dl4jsn.math.SpectralNormCore;
import io.github.dl4jsn.math.WeightLayout;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Spectral normalization as SameDiff operations: {@code W_SN = c W / sigma(W)}, with {@code sigma
 * = u^T M v} from power-iteration vectors u and v that persist across iterations and are saved
 * with the graph (as PyTorch; the vectors are unit after every training iteration).
 *
 * <pre>{@code
 * SDVariable w = sd.var("w1", Nd4j.randn(DataType.FLOAT, 2, 64));
 * SDVariable wSn = SDSpectralNorm.apply(sd, w, new SDSpectralNorm.Options()).weightSn();
 * SDVariable h = sd.nn().relu(x.mmul(wSn), 0);
 * ...
 * sd.addListeners(SDSpectralNorm.listener(sd));   // runs the power iteration once per iteration
 * sd.fit(data, epochs);
 * }</pre>
 *
 * <p>The state is three CONSTANT variables per weight, so SameDiff neither trains them nor
 * differentiates through them (the gradient goes through sigma with u and v constant, as in
 * PyTorch): {@code <w>_snU}, {@code <w>_snV} and {@code <w>_snOptions} (power iterations, eps,
 * coefficient, clip-only and layout, so that {@link #listener} can rebuild everything after
 * {@code SameDiff.load}). The power iteration itself runs outside the graph, in {@link
 * SDSpectralNormListener}, with the same maths class as the DL4J layer wrapper ({@link
 * SpectralNormCore}): at the start of every training iteration, never in inference. An in-graph
 * {@code assign} would not persist in ND4J M2.1.
 *
 * <p>The division by sigma is written {@code W * reciprocal(s)}: SameDiff M2.1's gradient of a
 * broadcast {@code div} by a scalar is wrong (see the tests). Unlike the layer wrapper there is no
 * sigma floor: an all-zero weight gives non-finite values, as in PyTorch.
 *
 * <p>Reference: T. Miyato et al., "Spectral Normalization for Generative Adversarial Networks",
 * ICLR 2018, arXiv:1802.05957.
 */
public final class SDSpectralNorm {
  private SDSpectralNorm() {}

  static final String U = "_snU";
  static final String V = "_snV";
  static final String OPTIONS = "_snOptions";

  /** The options of one normalized weight; defaults as the layer wrapper's. */
  public static final class Options {
    int powerIterations = 1;
    double eps = 1e-12;
    double coefficient = 1.0;
    boolean clipOnly;
    int warmupIterations = 15;
    WeightLayout layout = WeightLayout.DENSE;
    INDArray initialU;
    INDArray initialV;

    /** Power iterations per training iteration, &ge; 0. Default: 1. */
    public Options powerIterations(int n) {
      this.powerIterations = n;
      return this;
    }

    /** Epsilon of the vector normalization, &gt; 0. Default: 1e-12. */
    public Options eps(double eps) {
      this.eps = eps;
      return this;
    }

    /** Target Lipschitz constant c, &gt; 0. Default: 1. */
    public Options coefficient(double c) {
      this.coefficient = c;
      return this;
    }

    /** Divide only where sigma exceeds c. Default: false. */
    public Options clipOnly(boolean clipOnly) {
      this.clipOnly = clipOnly;
      return this;
    }

    /** Power iterations on the initial weight. Default: 15. */
    public Options warmupIterations(int n) {
      this.warmupIterations = n;
      return this;
    }

    /**
     * How the weight maps to the matrix M: DENSE ([nIn, nOut], as DL4J's dense layers and {@code
     * x.mmul(W)}; M = W^T), EMBEDDING ([rows, cols], M = W) or CONV ([nOut, nIn, kH, kW], M =
     * reshape(nOut, -1)). Default: DENSE.
     */
    public Options layout(WeightLayout layout) {
      this.layout = layout;
      return this;
    }

    /** Start from these u and v (e.g. to reproduce a reference case) without warm-up. */
    public Options initialVectors(INDArray u, INDArray v) {
      this.initialU = u;
      this.initialV = v;
      return this;
    }

    void validate(String name) {
      if (powerIterations < 0 || warmupIterations < 0 || !(eps > 0) || !(coefficient > 0)
          || Double.isInfinite(eps) || Double.isInfinite(coefficient)) {
        throw new IllegalArgumentException("SDSpectralNorm for '" + name + "': powerIterations "
            + powerIterations + " and warmupIterations " + warmupIterations + " must be >= 0, "
            + "eps " + eps + " and coefficient " + coefficient + " > 0 and finite");
      }
      if (layout != WeightLayout.DENSE && layout != WeightLayout.EMBEDDING
          && layout != WeightLayout.CONV) {
        throw new IllegalArgumentException("SDSpectralNorm for '" + name + "': layout " + layout
            + " is not supported; use DENSE, EMBEDDING or CONV");
      }
    }
  }

  /** The normalized weight and its state variables. */
  public static final class Result {
    private final SDVariable weightSn;
    private final SDVariable sigma;
    private final SDVariable u;
    private final SDVariable v;

    Result(SDVariable weightSn, SDVariable sigma, SDVariable u, SDVariable v) {
      this.weightSn = weightSn;
      this.sigma = sigma;
      this.u = u;
      this.v = v;
    }

    /** {@code c W / sigma} (or {@code W / max(1, sigma / c)} with clip-only). */
    public SDVariable weightSn() {
      return weightSn;
    }

    /** sigma = u^T M v from the stored vectors, a scalar. */
    public SDVariable sigma() {
      return sigma;
    }

    /** The left vector u (length h, M's rows), a CONSTANT. */
    public SDVariable u() {
      return u;
    }

    /** The right vector v (length w, M's columns), a CONSTANT. */
    public SDVariable v() {
      return v;
    }
  }

  /**
   * Normalizes a weight variable: creates its u, v and options constants (u and v random and
   * normalized, then {@code warmupIterations} power iterations on the weight's current value,
   * unless initial vectors are given) and returns {@code W_SN}.
   *
   * @throws IllegalArgumentException naming the weight, for bad options or a weight without a value
   */
  public static Result apply(SameDiff sd, SDVariable weight, Options options) {
    String name = weight.name();
    options.validate(name);
    INDArray w = weight.getArr();
    if (w == null) {
      throw new IllegalArgumentException("SDSpectralNorm for '" + name + "': the weight has no "
          + "value yet; create it with sd.var(name, array)");
    }
    WeightLayout layout = options.layout;
    long h = layout.rows(w.shape());
    long cols = layout.cols(w.shape());
    DataType type = w.dataType();
    INDArray u = options.initialU != null ? options.initialU.castTo(type).reshape(h).dup()
        : Nd4j.randn(type, h);
    INDArray v = options.initialV != null ? options.initialV.castTo(type).reshape(cols).dup()
        : Nd4j.randn(type, cols);
    if (options.initialU == null) {
      SpectralNormCore core = core(layout, w, options.eps, options.coefficient, options.clipOnly);
      core.bind(u, v);
      core.normalizeVectors();
      core.powerIterate(w, options.warmupIterations);
    }
    SDVariable uVar = sd.constant(name + U, u);
    SDVariable vVar = sd.constant(name + V, v);
    sd.constant(name + OPTIONS, Nd4j.createFromArray(options.powerIterations, options.eps,
        options.coefficient, options.clipOnly ? 1.0 : 0.0, layout.ordinal()));

    SDVariable uCol = uVar.reshape(h, 1);
    SDVariable vCol = vVar.reshape(cols, 1);
    SDVariable raw;
    switch (layout) {
      case DENSE: // M = W^T: u^T W^T v = v^T (W u)
        raw = vCol.mul(weight.mmul(uCol)).sum();
        break;
      case EMBEDDING: // M = W
        raw = uCol.mul(weight.mmul(vCol)).sum();
        break;
      default: // CONV: M = reshape(W, h, w)
        raw = uCol.mul(weight.reshape(h, cols).mmul(vCol)).sum();
    }
    SDVariable sigma = raw;
    SDVariable s = sigma.mul(1.0 / options.coefficient);
    if (options.clipOnly) {
      s = sd.math().max(s, sd.constant(Nd4j.scalar(type, 1.0)));
    }
    SDVariable weightSn = weight.mul(sd.math().reciprocal(s));
    return new Result(weightSn, sigma, uVar, vVar);
  }

  /**
   * The listener that runs the power iteration of every spectrally normalized weight of a graph
   * at the start of each training iteration; also rebuilds the state of a loaded graph.
   */
  public static SDSpectralNormListener listener(SameDiff sd) {
    List<SDSpectralNormListener.Entry> entries = new ArrayList<>();
    for (SDVariable var : sd.variables()) {
      String n = var.name();
      if (n.endsWith(OPTIONS)) {
        String weight = n.substring(0, n.length() - OPTIONS.length());
        double[] o = var.getArr().toDoubleVector();
        entries.add(new SDSpectralNormListener.Entry(weight, weight + U, weight + V, (int) o[0],
            o[1], o[2], o[3] != 0, WeightLayout.values()[(int) o[4]]));
      }
    }
    return new SDSpectralNormListener(entries);
  }

  static SpectralNormCore core(
      WeightLayout layout, INDArray w, double eps, double coefficient, boolean clipOnly) {
    return SpectralNormCore.create(layout, w.shape(), w.ordering(), w.dataType(), eps, coefficient,
        clipOnly);
  }
}
