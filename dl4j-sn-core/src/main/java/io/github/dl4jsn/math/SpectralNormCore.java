package io.github.dl4jsn.math;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.reduce.floating.Norm2;
import org.nd4j.linalg.api.ops.impl.reduce.same.AMax;
import org.nd4j.linalg.api.ops.impl.reduce3.Dot;
import org.nd4j.linalg.api.ops.impl.scalar.ScalarAdd;
import org.nd4j.linalg.api.ops.impl.scalar.ScalarDivision;
import org.nd4j.linalg.api.ops.impl.scalar.ScalarMax;
import org.nd4j.linalg.api.ops.impl.scalar.ScalarMultiplication;
import org.nd4j.linalg.api.ops.impl.scalar.ScalarReverseSubtraction;
import org.nd4j.linalg.api.ops.impl.scalar.ScalarSubtraction;
import org.nd4j.linalg.api.ops.impl.scalar.Step;
import org.nd4j.linalg.api.ops.impl.transforms.same.Abs;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.AddOp;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.DivOp;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.MulOp;
import org.nd4j.linalg.factory.Nd4j;

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
 * sigma and 0 where the floor (below) or the clip holds s constant, so the gradient is always the exact
 * derivative of the function computed. Invariant after each iteration: {@code u = normalize(M v)}.
 *
 * <p><b>Numerical guards.</b> These rules keep zero, tiny and huge weights finite without changing
 * any result PyTorch computes finitely:
 *
 * <ul>
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
 * <p>In FLOAT and HALF, where squares overflow early (FLOAT beyond 1.8e19, HALF beyond 256), the
 * norms are taken as {@code m ||x / m||} with {@code m = max|x|}; DOUBLE uses the plain norm, as
 * PyTorch does.
 *
 * <p>All intermediate buffers are allocated once, outside any workspace, and reused; sigma and the
 * other scalars stay 0-d INDArrays, so no device-to-host copy happens on a GPU backend.
 *
 * <p>Reference: T. Miyato, T. Kataoka, M. Koyama, Y. Yoshida, "Spectral Normalization for
 * Generative Adversarial Networks", ICLR 2018, arXiv:1802.05957.
 */
public final class SpectralNormCore {

  private final WeightLayout layout;
  private final long[] shape;
  private final long h;
  private final long w;
  private final double eps;
  private final double floor;
  private final double coefficient;
  private final boolean clipOnly;

  private INDArray u;
  private INDArray v;

  private final boolean scaledNorms;
  private final double tiny;

  private final INDArray mv;
  private final INDArray scaledU;
  private final INDArray scratchW;
  private final INDArray scale;
  private final INDArray weightSn;
  private final INDArray matrixCopy;
  private final INDArray norm;
  private final INDArray sigma;
  private final INDArray divisor;
  private final INDArray gate;
  private final INDArray inner;

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
    this.layout = layout;
    this.shape = shape.clone();
    this.h = layout.rows(shape);
    this.w = layout.cols(shape);
    this.eps = Math.max(eps, smallestNormal(dataType));
    this.floor = sigmaFloor(dataType);
    this.coefficient = coefficient;
    this.clipOnly = clipOnly;
    this.tiny = smallestNormal(dataType);
    // Squares overflow FLOAT at 1.8e19 and HALF at 256: there, norms are taken of x / max|x|.
    this.scaledNorms = dataType != DataType.DOUBLE;
    try (MemoryWorkspace ignored = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
      mv = Nd4j.create(dataType, new long[] {h, 1}, 'c');
      scaledU = Nd4j.create(dataType, new long[] {h, 1}, 'c');
      scratchW = scaledNorms ? Nd4j.create(dataType, new long[] {w, 1}, 'c') : null;
      scale = Nd4j.scalar(dataType, 1.0);
      weightSn = Nd4j.create(dataType, this.shape, order);
      matrixCopy = layout.hasMatrixView() ? null : Nd4j.create(dataType, new long[] {h, w}, 'c');
      norm = Nd4j.scalar(dataType, 0.0);
      sigma = Nd4j.scalar(dataType, 0.0);
      divisor = Nd4j.scalar(dataType, 1.0);
      gate = Nd4j.scalar(dataType, 1.0);
      inner = Nd4j.scalar(dataType, 0.0);
    }
  }

  /**
   * The floor below which |sigma| is replaced: 1e-30 in DOUBLE (below the smallest sigma in
   * PyTorch's reference cases, 3.6e-26), {@code sqrt(smallest normal)} in the other types (1.1e-19
   * in FLOAT, 7.8e-3 in HALF), so that {@code 1/s} and {@code 1/s^2} stay representable.
   */
  public static double sigmaFloor(DataType dataType) {
    return dataType == DataType.DOUBLE ? 1e-30 : Math.sqrt(smallestNormal(dataType));
  }

  /** The smallest positive normal number of a floating-point type. */
  public static double smallestNormal(DataType dataType) {
    switch (dataType) {
      case DOUBLE:
        return Double.MIN_NORMAL;
      case FLOAT:
        return Float.MIN_NORMAL;
      case HALF:
        return 6.103515625e-5;
      case BFLOAT16:
        return Float.MIN_NORMAL;
      default:
        throw new IllegalArgumentException("Spectral normalization needs a floating-point type, got "
            + dataType);
    }
  }

  /**
   * Binds the persistent vectors. Both are updated in place.
   *
   * @param uVector u, of length h (any shape with h elements, contiguous)
   * @param vVector v, of length w
   */
  public void bind(INDArray uVector, INDArray vVector) {
    if (uVector.length() != h || vVector.length() != w) {
      throw new IllegalArgumentException(
          "u and v must have lengths " + h + " and " + w + ", got " + uVector.length() + " and "
              + vVector.length());
    }
    this.u = uVector.reshape(h, 1);
    this.v = vVector.reshape(w, 1);
  }

  /** Normalizes the bound u and v in place, as PyTorch does with its random initial vectors. */
  public void normalizeVectors() {
    normalizeInto(u, u);
    normalizeInto(v, v);
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
   * within rounding) and heals the collapse at the next step.
   */
  public void renormalizeU() {
    // z = 1 if u is all zeros, else 0; u += z; u = u / max(||u||, smallest normal)
    Nd4j.exec(new AMax(u, scale));
    Nd4j.exec(new Step(scale, inner, 0.0));
    Nd4j.exec(new ScalarReverseSubtraction(inner, null, inner, 1.0));
    Nd4j.exec(new AddOp(u, inner, u));
    normalizeInto(u, u, tiny);
  }

  /**
   * Runs {@code n} power iterations on W, updating u and v in place. Leaves {@code M v} in the
   * internal buffer, so {@link #normalize(INDArray, boolean)} with {@code afterIteration} can reuse it.
   */
  public void powerIterate(INDArray weight, int n) {
    INDArray m = matrix(weight);
    for (int i = 0; i < n; i++) {
      multiplyTransposed(m, u, v);
      normalizeInto(v, v);
      multiply(m, v, mv);
      normalizeInto(mv, u);
    }
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
   * As {@link #normalize(INDArray, boolean)}; with {@code inference}, and not after an
   * iteration, sigma is {@code u^T M v / (||u|| ||v||)}: PyTorch's value wherever u and v are
   * unit (within rounding), and no collapse where tiny weights left them short (see {@link
   * #renormalizeU}).
   */
  public INDArray normalize(INDArray weight, boolean afterIteration, boolean inference) {
    Nd4j.exec(new Dot(u, afterIteration ? mv : multiply(matrix(weight), v, mv), sigma));
    if (inference && !afterIteration) {
      normInto(u, norm);
      normInto(v, divisor);
      Nd4j.exec(new MulOp(norm, divisor, norm));
      Nd4j.exec(new ScalarMax(norm, null, norm, tiny));
      Nd4j.exec(new DivOp(sigma, norm, sigma));
    }
    // divisor = sigma where |sigma| > floor, else floor; gate marks the first case.
    Nd4j.exec(new Abs(sigma, inner));
    Nd4j.exec(new Step(inner, gate, floor));
    Nd4j.exec(new ScalarSubtraction(sigma, null, divisor, floor));
    Nd4j.exec(new MulOp(divisor, gate, divisor));
    Nd4j.exec(new ScalarAdd(divisor, null, divisor, floor));
    if (coefficient != 1.0) {
      Nd4j.exec(new ScalarDivision(divisor, null, divisor, coefficient));
    }
    if (clipOnly) {
      Nd4j.exec(new Step(divisor, inner, 1.0));
      Nd4j.exec(new MulOp(gate, inner, gate));
      Nd4j.exec(new ScalarMax(divisor, null, divisor, 1.0));
    }
    Nd4j.exec(new DivOp(weight, divisor, weightSn));
    return weightSn;
  }

  /**
   * Maps dL/dW_SN to dL/dW in place: {@code G = (G - gate * <G, W_SN> * reshape(u v^T) / c) / s}.
   * Must follow {@link #normalize} for the same W, u and v.
   *
   * @param gradient the gradient view of W; may be a reshaped view of W's shape (Conv1D)
   */
  public void correctGradient(INDArray gradient) {
    INDArray g = gradient;
    if (!java.util.Arrays.equals(g.shape(), weightSn.shape())) {
      g = gradient.reshape(weightSn.ordering(), weightSn.shape());
    }
    Nd4j.exec(new Dot(g, weightSn, inner));
    Nd4j.exec(new MulOp(inner, gate, inner));
    Nd4j.exec(new ScalarMultiplication(inner, null, inner, -1.0 / coefficient));
    Nd4j.exec(new MulOp(u, inner, scaledU));
    switch (layout) {
      case DENSE:
        Nd4j.gemm(v, scaledU, layout.matrixView(g, h, w), false, true, 1.0, 1.0);
        break;
      case EMBEDDING:
      case CONV:
        Nd4j.gemm(scaledU, v, layout.matrixView(g, h, w), false, true, 1.0, 1.0);
        break;
      default:
        Nd4j.gemm(scaledU, v, matrixCopy, false, true, 1.0, 0.0);
        INDArray perm = layout.permutedView(g);
        Nd4j.exec(new AddOp(perm, matrixCopy.reshape('c', perm.shape()), perm));
    }
    Nd4j.exec(new DivOp(g, divisor, g));
  }

  /** The current sigma estimate {@code u^T M v}, a 0-d array (valid after {@link #normalize}). */
  public INDArray sigma() {
    return sigma;
  }

  /** The divisor s applied to W (valid after {@link #normalize}). */
  public INDArray divisor() {
    return divisor;
  }

  /** The buffer that holds W_SN after {@link #normalize}. */
  public INDArray normalizedWeight() {
    return weightSn;
  }

  /** u as an [h, 1] view of the bound vector. */
  public INDArray u() {
    return u;
  }

  /** v as a [w, 1] view of the bound vector. */
  public INDArray v() {
    return v;
  }

  /** The weight's shape. */
  public long[] shape() {
    return shape.clone();
  }

  private INDArray matrix(INDArray weight) {
    if (layout.hasMatrixView()) {
      return layout.matrixView(weight, h, w);
    }
    INDArray perm = layout.permutedView(weight);
    matrixCopy.reshape('c', perm.shape()).assign(perm);
    return matrixCopy;
  }

  /** out = M x (out has h rows). */
  private INDArray multiply(INDArray m, INDArray x, INDArray out) {
    return Nd4j.gemm(m, x, out, layout.viewIsTransposed(), false, 1.0, 0.0);
  }

  /** out = M^T x (out has w rows). */
  private void multiplyTransposed(INDArray m, INDArray x, INDArray out) {
    Nd4j.gemm(m, x, out, !layout.viewIsTransposed(), false, 1.0, 0.0);
  }

  /** out = x / max(||x||, eps); out may be x. x has h or w elements. */
  private void normalizeInto(INDArray x, INDArray out) {
    normalizeInto(x, out, eps);
  }

  /** out = x / max(||x||, lowest); out may be x. */
  private void normalizeInto(INDArray x, INDArray out, double lowest) {
    normInto(x, norm);
    Nd4j.exec(new ScalarMax(norm, null, norm, lowest));
    Nd4j.exec(new DivOp(x, norm, out));
  }

  /** result = ||x|| (a 0-d array); x has h or w elements. */
  private void normInto(INDArray x, INDArray result) {
    if (scaledNorms) {
      // ||x|| = m ||x / m|| with m = max|x|: no square overflows.
      INDArray tmp = x.length() == h ? scaledU : scratchW;
      Nd4j.exec(new AMax(x, scale));
      Nd4j.exec(new ScalarMax(scale, null, scale, tiny));
      Nd4j.exec(new DivOp(x, scale, tmp));
      Nd4j.exec(new Norm2(tmp, result));
      Nd4j.exec(new MulOp(result, scale, result));
    } else {
      Nd4j.exec(new Norm2(x, result));
    }
  }
}
