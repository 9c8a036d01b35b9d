package io.github.dl4jsn.math;

import org.nd4j.linalg.api.blas.Level1;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.reduce.floating.Norm2;
import org.nd4j.linalg.api.ops.impl.reduce3.Dot;
import org.nd4j.linalg.api.ops.impl.scalar.ScalarDivision;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@link SpectralNormCore} on ND4J's CPU backend: the same maths and guards, with the scalar steps
 * (norms, sigma, the divisor, the gradient's gate) computed on the host in double, and the
 * vector-sized steps as direct BLAS level-1 calls.
 *
 * <p>Why: every ND4J op costs a fixed 7-100 microseconds on the CPU backend whatever its size
 * (measured on the project's 2-vCPU machine: a {@code Norm2} op of 512 floats 64-106 us, a
 * {@code ScalarDivision} 35-52 us, the BLAS {@code nrm2} and {@code scal} on the same vector 1-10
 * us; docs/benchmarks.md). The device path runs 29 ops per weight and training step in FLOAT (one
 * power iteration), 14 of them on 0-d arrays; this one runs 4 (two matrix-vector products, the
 * division into W_SN, and the rank-1 update with the division by s folded into the same gemm) and
 * 9 BLAS level-1 calls. On a CPU, reading a 0-d array costs nothing, so nothing is lost by keeping
 * scalars on the host.
 *
 * <p>The results equal the device path's up to rounding: {@code x * (1/n)} for {@code x / n}; sigma
 * after an iteration as {@code u . (M v)} by BLAS dot; FLOAT norms from BLAS {@code snrm2}, which
 * are recomputed as DOUBLE {@code Norm2} ops when they fall outside [1e-18, 1e18] (where a FLOAT
 * sum of squares could underflow or overflow), so the guards of {@link SpectralNormCore} hold.
 */
final class CpuSpectralNormCore extends SpectralNormCore {

  /** Inside this range a BLAS norm of the type is trusted; outside it is recomputed in DOUBLE. */
  private final double safeLow;

  private final double safeHigh;
  private final Level1 blas;
  private double sigmaValue;
  private double divisorValue = 1.0;
  private double preClipValue = 1.0;

  CpuSpectralNormCore(
      WeightLayout layout,
      long[] shape,
      char order,
      DataType dataType,
      double eps,
      double coefficient,
      boolean clipOnly,
      INDArray output) {
    super(layout, shape, order, dataType, eps, coefficient, clipOnly, output);
    boolean isDouble = dataType == DataType.DOUBLE;
    this.safeLow = isDouble ? 1e-140 : 1e-18;
    this.safeHigh = isDouble ? 1e140 : 1e18;
    this.blas = Nd4j.getBlasWrapper().level1();
  }

  /** Whether {@link SpectralNormCore#create} picks this class: CPU backend, FLOAT or DOUBLE. */
  static boolean applies(DataType dataType) {
    return (dataType == DataType.FLOAT || dataType == DataType.DOUBLE)
        && Nd4j.getEnvironment().isCPU()
        && !"device".equals(System.getProperty("dl4jsn.core"));
  }

  /**
   * As {@link SpectralNormCore#renormalizeU}: u to unit length, an all-zero u restarted from the
   * uniform unit vector (the device path's {@code u + tiny} does the same for an all-zero u and
   * changes no normal element).
   */
  @Override
  public void renormalizeU() {
    double n = norm(u);
    if (n == 0) {
      u.assign(1.0 / Math.sqrt(h));
    } else {
      blas.scal(h, 1.0 / Math.max(n, tiny), u);
    }
  }

  @Override
  public INDArray normalize(INDArray weight, boolean afterIteration, boolean inference) {
    if (!afterIteration) {
      multiply(matrix(weight), v, mv);
    }
    double s = blas.dot(h, 1.0, u, mv);
    if (inference && !afterIteration) {
      s /= Math.max(norm(u) * norm(v), tiny);
    }
    sigmaValue = s;
    double d = Math.abs(s) <= floor ? floor : s;
    d /= coefficient;
    if (clipOnly) {
      preClipValue = d;
      d = Math.max(d, 1.0);
    }
    divisorValue = d;
    sigma.data().put(0, sigmaValue);
    divisor.data().put(0, divisorValue);
    Nd4j.exec(new ScalarDivision(weight, null, weightSn, d));
    return weightSn;
  }

  @Override
  public void correctGradient(INDArray gradient) {
    INDArray g = asWeightShape(gradient);
    double gate = Math.abs(sigmaValue) > floor ? -1.0 / coefficient : 0.0;
    if (clipOnly && !(preClipValue > 1.0)) {
      gate = 0.0;
    }
    double k = gate == 0.0 ? 0.0 : gate * inner(g, weightSn);
    // g = (g + k * reshape(u v^T)) / s, the division folded into the rank-1 gemm
    addOuter(g, u, k / divisorValue, 1.0 / divisorValue);
  }

  /** {@code <g, W_SN>}: one BLAS dot where both are contiguous in the same order, else an op. */
  private double inner(INDArray g, INDArray weightSnArray) {
    long n = g.length();
    if (g.ordering() == weightSnArray.ordering()
        && g.elementWiseStride() == 1
        && weightSnArray.elementWiseStride() == 1) {
      return blas.dot(n, 1.0, g, weightSnArray);
    }
    Nd4j.exec(new Dot(g.reshape(g.ordering(), new long[] {n}),
        weightSnArray.reshape(weightSnArray.ordering(), new long[] {n}), norm));
    return norm.getDouble(0);
  }

  /**
   * out = x / max(||x||, lowest); out may be x. Used by the inherited {@link #normalizeVectors}
   * and {@link #powerIterate}.
   */
  @Override
  void normalizeInto(INDArray x, INDArray out, double lowest) {
    double n = norm(x);
    if (out != x) {
      blas.copy(x, out);
    }
    blas.scal(out.length(), 1.0 / Math.max(n, lowest), out);
  }

  /** ||x|| by BLAS, recomputed in DOUBLE where the type's sum of squares may be inexact. */
  private double norm(INDArray x) {
    double n = blas.nrm2(x);
    if (n > safeLow && n < safeHigh) {
      return n;
    }
    Nd4j.exec(new Norm2(x, norm));
    return norm.getDouble(0);
  }
}
