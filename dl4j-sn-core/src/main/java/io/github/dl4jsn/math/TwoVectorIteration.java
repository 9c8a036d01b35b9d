package io.github.dl4jsn.math;

import org.nd4j.linalg.api.blas.Level1;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.reduce.floating.Norm2;
import org.nd4j.linalg.api.ops.impl.reduce3.Dot;
import org.nd4j.linalg.api.ops.impl.scalar.ScalarMultiplication;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Tolerance mode of {@link SpectralNormCore}: subspace iteration on two vectors with
 * Rayleigh-Ritz. v and a second, transient vector v2 (kept across calls, not saved) span V; each
 * iteration computes the QR factorization {@code M V = Q R}, takes sigma as the largest singular
 * value of the 2x2 R (the Ritz value), and moves on to {@code V = orth(M^T Q)}.
 *
 * <p>Why two: a single vector converges at the rate sigma_2/sigma_1 and, when an update lets the
 * second singular value overtake the first (SN training keeps pulling them together), stays near
 * the old direction for many iterations with an estimate near the new second value; two vectors
 * hold both directions, converge at the rate sigma_3/sigma_1, and the Ritz value picks the larger
 * at once. It stops when the Ritz value changes by at most the tolerance of itself (after at
 * least {@code min} iterations) and leaves u and v at the top Ritz vectors and {@code M v} in the
 * core's buffer, as {@link SpectralNormCore#powerIterate} does.
 *
 * <p>The stopping decision is made on the host: one device synchronization per iteration on a
 * GPU backend. Vector operations are BLAS level 1 in FLOAT and DOUBLE, ND4J ops otherwise.
 */
final class TwoVectorIteration {

  private final SpectralNormCore core;
  private final INDArray v2;
  private final INDArray u2;
  private final INDArray mv2;
  private final INDArray scratchW;
  private final INDArray scratchH;
  private final INDArray scalar;
  private final Level1 blas;

  TwoVectorIteration(SpectralNormCore core) {
    this.core = core;
    DataType type = core.v.dataType();
    try (MemoryWorkspace ignored = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
      v2 = Nd4j.create(type, new long[] {1, core.w()}, 'c');
      mv2 = Nd4j.create(type, new long[] {1, core.h}, 'c');
      u2 = Nd4j.create(type, new long[] {1, core.h}, 'c');
      scratchW = Nd4j.create(type, new long[] {1, core.w()}, 'c');
      scratchH = Nd4j.create(type, new long[] {1, core.h}, 'c');
      scalar = Nd4j.scalar(DataType.DOUBLE, 0.0);
      // A fixed start (no draw from ND4J's generator): alternating signs of varying size.
      double[] start = new double[(int) core.w()];
      for (int j = 0; j < start.length; j++) {
        start[j] = (j % 2 == 0 ? 1.0 : -1.0) * (1 + (j % 7));
      }
      v2.assign(Nd4j.createFromArray(start).castTo(type).reshape(1, start.length));
    }
    this.blas = type == DataType.FLOAT || type == DataType.DOUBLE
        ? Nd4j.getBlasWrapper().level1()
        : null;
  }

  /** Runs the iterations on M (the core's matrix view or copy); returns how many ran. */
  int run(INDArray m, int min, int max, double tolerance) {
    INDArray u = core.u;
    INDArray v = core.v;
    INDArray mv = core.mv;
    double eps = core.eps;
    double previous = Double.NaN;
    int i = 0;
    while (i < max) {
      // V = orth([v, v2]); M V = [M v, M v2] = Q R.
      core.normalizeInto(v, v, eps);
      axpy(-dot(v, v2), v, v2);
      core.normalizeInto(v2, v2, eps);
      core.multiply(m, v, mv);
      core.multiply(m, v2, mv2);
      double r11 = norm(mv);
      core.normalizeInto(mv, u, eps); // q1
      double r12 = dot(u, mv2);
      copy(mv2, u2);
      axpy(-r12, u, u2);
      double r22 = norm(u2);
      core.normalizeInto(u2, u2, eps); // q2
      // The top singular pair of R = [[r11, r12], [0, r22]]: sigma^2 is the larger eigenvalue of
      // R^T R = [[a, b], [b, c]]; y its eigenvector (V's coordinates), x = R y / sigma (Q's).
      double a = r11 * r11;
      double b = r11 * r12;
      double c = r12 * r12 + r22 * r22;
      double half = (a - c) / 2;
      double root = Math.sqrt(half * half + b * b);
      double sigmaRitz = Math.sqrt(Math.max((a + c) / 2 + root, 0));
      double y1;
      double y2;
      if (b == 0) {
        y1 = a >= c ? 1 : 0;
        y2 = a >= c ? 0 : 1;
      } else {
        y1 = b;
        y2 = (a + c) / 2 + root - a;
        double n = Math.hypot(y1, y2);
        y1 /= n;
        y2 /= n;
      }
      i++;
      boolean done = i >= min && Math.abs(sigmaRitz - previous) <= tolerance * sigmaRitz;
      // Rotate V and Q to the Ritz vectors: v, u the top pair; v2, u2 the second.
      rotate(v, v2, y1, y2, scratchW);
      double x1 = sigmaRitz > 0 ? (r11 * y1 + r12 * y2) / sigmaRitz : 1;
      double x2 = sigmaRitz > 0 ? (r22 * y2) / sigmaRitz : 0;
      rotate(u, u2, x1, x2, scratchH);
      if (done || i == max) {
        core.normalizeInto(v, v, eps);
        core.multiply(m, v, mv);
        core.normalizeInto(mv, u, eps);
        break;
      }
      previous = sigmaRitz;
      // Next subspace: V = M^T Q (orthonormalized at the top of the loop).
      core.multiplyTransposed(m, u, v);
      core.multiplyTransposed(m, u2, v2);
    }
    return i;
  }

  /** {@code [p, q] <- [c1 p + c2 q, -c2 p + c1 q]} for a unit (c1, c2): a rotation in place. */
  private void rotate(INDArray p, INDArray q, double c1, double c2, INDArray scratch) {
    copy(p, scratch);
    scale(c1, p);
    axpy(c2, q, p);
    scale(c1, q);
    axpy(-c2, scratch, q);
  }

  private double dot(INDArray a, INDArray b) {
    if (blas != null) {
      return blas.dot(a.length(), 1.0, a, b);
    }
    Nd4j.exec(new Dot(a, b, scalar));
    return scalar.getDouble();
  }

  private double norm(INDArray x) {
    Nd4j.exec(new Norm2(x, scalar));
    return scalar.getDouble();
  }

  private void axpy(double alpha, INDArray x, INDArray y) {
    if (blas != null) {
      blas.axpy(x.length(), alpha, x, y);
    } else {
      y.addi(x.mul(alpha));
    }
  }

  private void copy(INDArray src, INDArray dst) {
    if (blas != null) {
      blas.copy(src, dst);
    } else {
      dst.assign(src);
    }
  }

  private void scale(double alpha, INDArray x) {
    if (blas != null) {
      blas.scal(x.length(), alpha, x);
    } else {
      Nd4j.exec(new ScalarMultiplication(x, null, x, alpha));
    }
  }
}
