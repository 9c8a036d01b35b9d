package io.github.dl4jsn.math;

import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.reduce.floating.Norm2;
import org.nd4j.linalg.api.ops.impl.reduce3.Dot;
import org.nd4j.linalg.api.ops.impl.scalar.ScalarAdd;
import org.nd4j.linalg.api.ops.impl.scalar.ScalarDivision;
import org.nd4j.linalg.api.ops.impl.scalar.ScalarMax;
import org.nd4j.linalg.api.ops.impl.scalar.ScalarMultiplication;
import org.nd4j.linalg.api.ops.impl.scalar.Step;
import org.nd4j.linalg.api.ops.impl.transforms.comparison.CompareAndSet;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.AddOp;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.DivOp;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.MulOp;
import org.nd4j.linalg.api.ops.impl.transforms.same.Abs;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.conditions.Conditions;

/**
 * The allocation-free maths of spectral normalization for one weight array: the persistent power
 * iteration, sigma, the normalized weight and the gradient correction.
 *
 * <p>With M the weight viewed as a matrix (see {@link WeightLayout}) and {@code normalize(x) = x /
 * max(||x||, eps)}, one training step is, exactly as {@code torch.nn.utils.spectral_norm}:
 *
 * <pre>
 *   repeat n times:  v = normalize(M^T u);  u = normalize(M v)
 *   sigma = u^T M v
 *   W_SN  = W / s,  s = sigma / c                    (clip-only: s = max(1, sigma / c))
 *   dL/dW = (G - gate * &lt;G, W_SN&gt; * reshape(u v^T) / c) / s
 * </pre>
 *
 * where G = dL/dW_SN, and u, v are constants for the gradient. The gate is 1 where s depends on
 * sigma and 0 where the floor (below) or the clip holds s constant, so the gradient is always the
 * exact derivative of the function computed. Invariant after each iteration: {@code u =
 * normalize(M v)}.
 *
 * <p><b>Numerical guards.</b> These rules keep zero, tiny and huge weights finite without changing
 * any result PyTorch computes finitely:
 *
 * <ul>
 *   <li>norms, sigma and the other scalars are held in DOUBLE whatever the network's type, so
 *       squares do not overflow FLOAT (beyond 1.8e19) or HALF (beyond 256);
 *   <li>{@code eps} is raised to the smallest normal number of the data type where it would
 *       underflow (HALF), so {@code normalize(0) = 0} rather than NaN;
 *   <li>where {@code |sigma|} is at most a floor (see {@link #sigmaFloor}: 1e-30 in DOUBLE, 1.1e-19
 *       in FLOAT, 7.8e-3 in HALF), the floor replaces sigma, so that {@code 1/s} and {@code
 *       1/s^2} stay representable. Elsewhere sigma is used as it is, negative values included, as
 *       PyTorch does; PyTorch returns NaN for all-zero weights;
 *   <li>each training iteration starts from a unit u ({@link #renormalizeU}), and inference
 *       divides sigma by {@code ||u|| ||v||}, which is 1 within rounding wherever PyTorch's
 *       vectors are unit.
 * </ul>
 *
 * <p>This class runs every step, scalars included, as ND4J ops, for any backend (the device path);
 * {@link #create} returns {@link CpuSpectralNormCore} on the CPU backend, which computes the same
 * results with the scalar steps on the host.
 *
 * <p>All intermediate buffers are allocated once, outside any workspace, and reused; sigma and the
 * other scalars stay 0-d INDArrays, so no device-to-host copy happens on a GPU backend.
 * Matrix-vector products are taken with row vectors ({@code [1, n] x matrix}), which ND4J runs
 * as a BLAS gemm without copying the matrix.
 *
 * <p>Reference: T. Miyato, T. Kataoka, M. Koyama, Y. Yoshida, "Spectral Normalization for
 * Generative Adversarial Networks", ICLR 2018, arXiv:1802.05957.
 */
public class SpectralNormCore implements NormEstimator {

  private final WeightLayout layout;
  private final long[] shape;
  final long h;
  private final long w;
  final double eps;
  final double floor;
  final double tiny;
  final double coefficient;
  final boolean clipOnly;

  /** u as [1, h] and v as [1, w]: row views of the bound vectors. */
  INDArray u;
  INDArray v;

  final INDArray mv;
  private final INDArray scaledU;
  final INDArray weightSn;
  private final INDArray matrixCopy;
  // DOUBLE 0-d scalars.
  final INDArray norm;
  private final INDArray norm2;
  final INDArray sigma;
  final INDArray divisor;
  private final INDArray gate;
  private final INDArray inner;
  private final INDArray preClip;
  // The same scalars in the network's type (aliases in DOUBLE): element-wise ops between arrays
  // of different types take a slow generic path in ND4J M2.1 (12x slower for W / s in FLOAT).
  private final INDArray normT;
  private final INDArray divisorT;
  private final INDArray innerT;

  /**
   * Creates the state for a weight of the given shape, order and type.
   *
   * @param layout how the weight maps to M
   * @param shape the weight's shape as the layer's param table holds it
   * @param order the weight's order ('c' or 'f')
   * @param dataType the network's data type
   * @param eps the normalization epsilon; Default: 1e-12
   * @param coefficient the target Lipschitz constant c; Default: 1
   * @param clipOnly whether to divide only where sigma exceeds c
   */
  public SpectralNormCore(
      WeightLayout layout,
      long[] shape,
      char order,
      DataType dataType,
      double eps,
      double coefficient,
      boolean clipOnly) {
    this(layout, shape, order, dataType, eps, coefficient, clipOnly, null);
  }

  /**
   * As the other constructor, writing W_SN into a given buffer instead of one of its own.
   *
   * @param output where {@link #normalize} writes W_SN: an array of {@code shape} (a view of a
   *     larger buffer, for a partly normalized weight), allocated outside any workspace; or null to
   *     allocate one
   */
  public SpectralNormCore(
      WeightLayout layout,
      long[] shape,
      char order,
      DataType dataType,
      double eps,
      double coefficient,
      boolean clipOnly,
      INDArray output) {
    if (output != null && !Arrays.equals(output.shape(), shape)) {
      throw new IllegalArgumentException(
          "The output buffer must have shape " + Arrays.toString(shape) + ", got "
              + Arrays.toString(output.shape()));
    }
    this.layout = layout;
    this.shape = shape.clone();
    this.h = layout.rows(shape);
    this.w = layout.cols(shape);
    this.tiny = smallestNormal(dataType);
    this.eps = Math.max(eps, tiny);
    this.floor = sigmaFloor(dataType);
    this.coefficient = coefficient;
    this.clipOnly = clipOnly;
    try (MemoryWorkspace ignored = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
      mv = Nd4j.create(dataType, new long[] {1, h}, 'c');
      scaledU = Nd4j.create(dataType, new long[] {1, h}, 'c');
      weightSn = output != null ? output : Nd4j.create(dataType, this.shape, order);
      matrixCopy = layout.hasMatrixView() ? null : Nd4j.create(dataType, new long[] {h, w}, 'c');
      norm = Nd4j.scalar(DataType.DOUBLE, 1.0);
      norm2 = Nd4j.scalar(DataType.DOUBLE, 1.0);
      sigma = Nd4j.scalar(DataType.DOUBLE, 0.0);
      divisor = Nd4j.scalar(DataType.DOUBLE, 1.0);
      gate = Nd4j.scalar(DataType.DOUBLE, 1.0);
      inner = Nd4j.scalar(DataType.DOUBLE, 0.0);
      preClip = Nd4j.scalar(DataType.DOUBLE, 1.0);
      boolean same = dataType == DataType.DOUBLE;
      normT = same ? norm : Nd4j.scalar(dataType, 1.0);
      divisorT = same ? divisor : Nd4j.scalar(dataType, 1.0);
      innerT = same ? inner : Nd4j.scalar(dataType, 0.0);
    }
  }

  /**
   * The core for a weight on the current ND4J backend: on the CPU backend, in FLOAT or DOUBLE, the
   * variant that computes the scalar steps on the host ({@link CpuSpectralNormCore}: the same
   * results, without the fixed cost of 25 of its 29 ND4J ops per step); elsewhere this class, whose
   * scalars stay 0-d arrays so that a GPU backend never synchronizes. Arguments as the
   * constructors'.
   */
  public static SpectralNormCore create(
      WeightLayout layout,
      long[] shape,
      char order,
      DataType dataType,
      double eps,
      double coefficient,
      boolean clipOnly,
      INDArray output) {
    if (CpuSpectralNormCore.applies(dataType)) {
      return new CpuSpectralNormCore(
          layout, shape, order, dataType, eps, coefficient, clipOnly, output);
    }
    return new SpectralNormCore(layout, shape, order, dataType, eps, coefficient, clipOnly, output);
  }

  /** As {@link #create(WeightLayout, long[], char, DataType, double, double, boolean, INDArray)}. */
  public static SpectralNormCore create(
      WeightLayout layout,
      long[] shape,
      char order,
      DataType dataType,
      double eps,
      double coefficient,
      boolean clipOnly) {
    return create(layout, shape, order, dataType, eps, coefficient, clipOnly, null);
  }

  /**
   * The floor below which |sigma| is replaced: 1e-30 in DOUBLE (below the smallest sigma in
   * PyTorch's reference cases, 3.6e-26), {@code sqrt(smallest normal)} in the other types (1.1e-19
   * in FLOAT, 7.8e-3 in HALF), so that {@code 1/s} and {@code 1/s^2} stay representable.
   */
  public static double sigmaFloor(DataType dataType) {
    return dataType == DataType.DOUBLE ? 1e-30 : Math.sqrt(smallestNormal(dataType));
  }

  /** The largest finite number of a floating-point type. */
  public static double largestFinite(DataType dataType) {
    switch (dataType) {
      case DOUBLE:
        return Double.MAX_VALUE;
      case FLOAT:
        return Float.MAX_VALUE;
      case BFLOAT16:
        return 3.3895313892515355e38;
      case HALF:
        return 65504;
      default:
        throw new IllegalArgumentException(
            "Spectral normalization needs a floating-point type, got " + dataType);
    }
  }

  /** The smallest positive normal number of a floating-point type. */
  public static double smallestNormal(DataType dataType) {
    switch (dataType) {
      case DOUBLE:
        return Double.MIN_NORMAL;
      case FLOAT:
      case BFLOAT16:
        return Float.MIN_NORMAL;
      case HALF:
        return 6.103515625e-5;
      default:
        throw new IllegalArgumentException(
            "Spectral normalization needs a floating-point type, got " + dataType);
    }
  }

  /**
   * Binds the persistent vectors. Both are updated in place.
   *
   * @param uVector u, of length h (any shape with h elements, contiguous)
   * @param vVector v, of length w
   */
  @Override
  public void bind(INDArray uVector, INDArray vVector) {
    if (uVector.length() != h || vVector.length() != w) {
      throw new IllegalArgumentException(
          "u and v must have lengths " + h + " and " + w + ", got " + uVector.length() + " and "
              + vVector.length());
    }
    this.u = uVector.reshape(1, h);
    this.v = vVector.reshape(1, w);
  }

  /** Normalizes the bound u and v in place, as PyTorch does with its random initial vectors. */
  @Override
  public void normalizeVectors() {
    normalizeInto(u, u, eps);
    normalizeInto(v, v, eps);
  }

  /** Rows of M: the length of u. */
  public long rows() {
    return h;
  }

  /** Columns of M: the length of v. */
  public long cols() {
    return w;
  }

  /** The layout of the weight. */
  public WeightLayout layout() {
    return layout;
  }

  /**
   * Restores u to unit length before a training iteration's power iterations, and restarts an
   * all-zero u (left by all-zero weights) from the uniform unit vector.
   *
   * <p>PyTorch lets u lose its length when {@code ||M^T u|| < eps}: with tiny weights u and v
   * shrink toward zero, and stay short for several iterations after the weights grow again, so
   * that sigma collapses and {@code W / sigma} explodes. Starting each iteration from a unit u
   * changes nothing where PyTorch's u is already unit (the normal case, and every reference case
   * within rounding) and heals the collapse at the next step. Adding the smallest normal number
   * first leaves every normal element unchanged and turns an all-zero u into a uniform one.
   */
  @Override
  public void renormalizeU() {
    Nd4j.exec(new ScalarAdd(u, null, u, tiny));
    normalizeInto(u, u, tiny);
  }

  /**
   * Runs {@code n} power iterations on W, updating u and v in place. Leaves {@code M v} in the
   * internal buffer, so {@link #normalize(INDArray, boolean)} with {@code afterIteration} can reuse
   * it.
   */
  @Override
  public void powerIterate(INDArray weight, int n) {
    INDArray m = matrix(weight);
    for (int i = 0; i < n; i++) {
      multiplyTransposed(m, u, v);
      normalizeInto(v, v, eps);
      multiply(m, v, mv);
      normalizeInto(mv, u, eps);
    }
  }

  /**
   * Tolerance mode, by subspace iteration on two vectors with Rayleigh-Ritz; see {@link
   * TwoVectorIteration}. It decides on the host when to stop, so it reads scalars from the device
   * (a synchronization per iteration on a GPU): an opt-in mode, kept out of this file's hot path.
   */
  @Override
  public int powerIterateToTolerance(INDArray weight, int min, int max, double tolerance) {
    if (tolerancePair == null) {
      tolerancePair = new TwoVectorIteration(this);
    }
    return tolerancePair.run(matrix(weight), min, max, tolerance);
  }

  /** Tolerance mode's state (a transient second vector pair); null until first used. */
  private TwoVectorIteration tolerancePair;

  /** The column count of M (the length of v). */
  long w() {
    return w;
  }

  /**
   * Computes sigma from the stored u and v and writes {@code W_SN} into the reused buffer.
   *
   * @param weight the raw weight W
   * @param afterIteration true if {@link #powerIterate} ran on this same W with n &ge; 1 just
   *     before, so M v is already known
   * @return the normalized weight (an internal buffer, valid until the next call)
   */
  public INDArray normalize(INDArray weight, boolean afterIteration) {
    return normalize(weight, afterIteration, false);
  }

  /**
   * As {@link #normalize(INDArray, boolean)}; with {@code inference}, and not after an iteration,
   * sigma is {@code u^T M v / (||u|| ||v||)}: PyTorch's value wherever u and v are unit (within
   * rounding), and no collapse where tiny weights left them short (see {@link #renormalizeU}).
   */
  @Override
  public INDArray normalize(INDArray weight, boolean afterIteration, boolean inference) {
    if (!afterIteration) {
      multiply(matrix(weight), v, mv);
    }
    Nd4j.exec(new Dot(u, mv, sigma));
    if (inference && !afterIteration) {
      Nd4j.exec(new Norm2(u, norm));
      Nd4j.exec(new Norm2(v, norm2));
      Nd4j.exec(new MulOp(norm, norm2, norm));
      Nd4j.exec(new ScalarMax(norm, null, norm, tiny));
      Nd4j.exec(new DivOp(sigma, norm, sigma));
    }
    // s = sigma, or the floor where |sigma| <= floor; then / c, then max(1, .) for clip-only.
    divisor.assign(sigma);
    Nd4j.exec(new CompareAndSet(divisor, floor, Conditions.absLessThanOrEqual(floor)));
    if (coefficient != 1.0) {
      Nd4j.exec(new ScalarDivision(divisor, null, divisor, coefficient));
    }
    if (clipOnly) {
      preClip.assign(divisor); // for the gate in correctGradient
      Nd4j.exec(new ScalarMax(divisor, null, divisor, 1.0));
    }
    typed(divisor, divisorT);
    Nd4j.exec(new DivOp(weight, divisorT, weightSn));
    return weightSn;
  }

  /**
   * Maps dL/dW_SN to dL/dW in place: {@code G = (G - gate * <G, W_SN> * reshape(u v^T) / c) / s}.
   * Must follow the {@link #normalize} that produced the W_SN the forward pass used.
   *
   * @param gradient the gradient view of W; may be a reshaped view of W's shape (Conv1D)
   */
  @Override
  public void correctGradient(INDArray gradient) {
    INDArray g = asWeightShape(gradient);
    // gate = -1/c where s follows sigma, 0 where the floor or the clip holds it constant.
    Nd4j.exec(new Abs(sigma, gate));
    Nd4j.exec(new Step(gate, gate, floor));
    if (clipOnly) {
      Nd4j.exec(new Step(preClip, inner, 1.0));
      Nd4j.exec(new MulOp(gate, inner, gate));
    }
    Nd4j.exec(new ScalarMultiplication(gate, null, gate, -1.0 / coefficient));
    long n = g.length();
    Nd4j.exec(new Dot(g.reshape(g.ordering(), new long[] {n}),
        weightSn.reshape(weightSn.ordering(), new long[] {n}), inner));
    Nd4j.exec(new MulOp(inner, gate, inner));
    typed(inner, innerT);
    Nd4j.exec(new MulOp(u, innerT, scaledU));
    addOuter(g, scaledU, 1.0, 1.0);
    Nd4j.exec(new DivOp(g, divisorT, g));
  }

  /** The gradient as an array of W_SN's shape: itself, or a reshaped view (Conv1D). */
  INDArray asWeightShape(INDArray gradient) {
    return Arrays.equals(gradient.shape(), weightSn.shape())
        ? gradient
        : gradient.reshape(weightSn.ordering(), weightSn.shape());
  }

  /**
   * {@code g = beta g + alpha reshape(x^T v)} for a row x of length h: the rank-1 update of the
   * gradient correction, one gemm where the weight has a matrix view.
   */
  void addOuter(INDArray g, INDArray x, double alpha, double beta) {
    switch (layout) {
      case DENSE:
        Nd4j.gemm(v, x, layout.matrixView(g, h, w), true, false, alpha, beta);
        break;
      case EMBEDDING:
      case CONV:
        Nd4j.gemm(x, v, layout.matrixView(g, h, w), true, false, alpha, beta);
        break;
      default:
        if (beta != 1.0) {
          Nd4j.exec(new ScalarMultiplication(g, null, g, beta));
        }
        Nd4j.gemm(x, v, matrixCopy, true, false, alpha, 0.0);
        INDArray perm = layout.permutedView(g);
        Nd4j.exec(new AddOp(perm, matrixCopy.reshape('c', perm.shape()), perm));
    }
  }

  /** The current sigma estimate {@code u^T M v}, a DOUBLE 0-d array (after {@link #normalize}). */
  @Override
  public INDArray sigma() {
    return sigma;
  }

  /** The divisor s applied to W, a DOUBLE 0-d array (after {@link #normalize}). */
  public INDArray divisor() {
    return divisor;
  }

  /** The buffer that holds W_SN after {@link #normalize}. */
  @Override
  public INDArray normalizedWeight() {
    return weightSn;
  }

  /** u as a [1, h] view of the bound vector. */
  public INDArray u() {
    return u;
  }

  /** v as a [1, w] view of the bound vector. */
  public INDArray v() {
    return v;
  }

  /** The weight's shape. */
  public long[] shape() {
    return shape.clone();
  }

  INDArray matrix(INDArray weight) {
    if (layout.hasMatrixView()) {
      return layout.matrixView(weight, h, w);
    }
    INDArray perm = layout.permutedView(weight);
    matrixCopy.reshape('c', perm.shape()).assign(perm);
    return matrixCopy;
  }

  /** out = (M x^T)^T for a row x: [1, w] -> [1, h]. */
  void multiply(INDArray m, INDArray x, INDArray out) {
    // DENSE holds M^T as [w, h]: x M^T. Others hold M as [h, w]: x M^T = gemm(x, M, transB).
    Nd4j.gemm(x, m, out, false, !layout.viewIsTransposed(), 1.0, 0.0);
  }

  /** out = (M^T x^T)^T for a row x: [1, h] -> [1, w]. */
  void multiplyTransposed(INDArray m, INDArray x, INDArray out) {
    Nd4j.gemm(x, m, out, false, layout.viewIsTransposed(), 1.0, 0.0);
  }

  /** out = x / max(||x||, lowest); out may be x. The norm is taken in DOUBLE. */
  void normalizeInto(INDArray x, INDArray out, double lowest) {
    Nd4j.exec(new Norm2(x, norm));
    Nd4j.exec(new ScalarMax(norm, null, norm, lowest));
    typed(norm, normT);
    Nd4j.exec(new DivOp(x, normT, out));
  }

  /** Copies a DOUBLE scalar into its network-typed twin (nothing to do in DOUBLE). */
  private static void typed(INDArray scalar, INDArray twin) {
    if (twin != scalar) {
      twin.assign(scalar);
    }
  }
}
