package io.github.dl4jsn.math;

import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * How a DL4J weight array maps to the matrix M whose largest singular value spectral normalization
 * divides by; the mapping follows PyTorch's {@code reshape_weight_to_matrix}.
 *
 * <p>u has M's row count {@code h}, v its column count {@code w}. Every layout keeps sigma equal to
 * the largest singular value of the matrix PyTorch builds for the twin module, so u and v match
 * PyTorch's {@code weight_u} and {@code weight_v} element for element.
 */
public enum WeightLayout {
  /** Dense and output layers: W is [nIn, nOut] ('f'); M = W<sup>T</sup> (nOut x nIn). */
  DENSE,
  /** Embedding layers: W is [nIn, nOut]; M = W (nIn x nOut), PyTorch's Embedding with dim 0. */
  EMBEDDING,
  /**
   * Convolutions: W is [nOut, nIn, k...] ('c'); M = reshape(nOut, -1), PyTorch's Conv with dim 0.
   * Also Conv1D in NWC format, whose W is [nOut, nIn, k, 1] while its gradient view is [nOut, nIn,
   * k].
   */
  CONV,
  /**
   * Conv1D in NCW format (DL4J's default). The param is declared [nOut, nIn, k, 1], but DL4J M2.1
   * hands its buffer to the conv1d op by reshaping (not permuting) it to [k, nIn, nOut], so element
   * (o, i, t) of the kernel sits at index (t, i, o) of the buffer. M is that kernel as PyTorch's
   * Conv1d sees it: buffer.reshape(k, nIn, nOut).permute(2, 1, 0).reshape(nOut, nIn k).
   */
  CONV1D_NCW,
  /**
   * Transposed convolution: W is [nIn, nOut, kH, kW] ('c'); M = permute(1, 0, 2, 3).reshape(nOut,
   * -1), PyTorch's ConvTranspose2d with dim 1.
   */
  DECONV,
  /**
   * Depthwise convolution ({@code DepthwiseConvolution2D}): W is [kH, kW, nIn, m] ('c'), m the
   * depth multiplier; output channel {@code c m + j} is input channel c convolved with kernel
   * {@code W[:, :, c, j]}. M = permute(2, 3, 0, 1).reshape(nIn m, kH kW): PyTorch's {@code
   * Conv2d(groups=nIn)} weight [nIn m, 1, kH, kW] with dim 0, one matrix for all channels.
   */
  DEPTHWISE,
  /**
   * The depthwise weight of {@code SeparableConvolution2D}: W is [m, nIn, kH, kW] ('c'); M =
   * permute(1, 0, 2, 3).reshape(nIn m, kH kW), the same matrix as {@link #DEPTHWISE}.
   */
  SEPARABLE_DEPTHWISE,
  /**
   * 3-D transposed convolution ({@code Deconvolution3D}): W is [kD, kH, kW, nOut, nIn] ('c'); M =
   * permute(3, 4, 0, 1, 2).reshape(nOut, nIn kD kH kW), PyTorch's ConvTranspose3d [in, out, kD,
   * kH, kW] with dim 1.
   */
  DECONV3D;

  /** The row count h of M (the length of u) for a weight of this shape. */
  public long rows(long[] shape) {
    requireRank(shape);
    switch (this) {
      case DENSE:
        return shape[1];
      case DECONV:
        return shape[1];
      case DEPTHWISE:
        return shape[2] * shape[3];
      case SEPARABLE_DEPTHWISE:
        return shape[0] * shape[1];
      case DECONV3D:
        return shape[3];
      default:
        return shape[0];
    }
  }

  /**
   * The kernel taps of one output element per input channel (1 for dense and embedding weights):
   * how many input positions one weight entry can reach, the factor {@code sqrt(taps)} between
   * sigma(M) and the convolution's operator-norm bound.
   */
  public long kernelTaps(long[] shape) {
    switch (this) {
      case DENSE:
      case EMBEDDING:
        return 1;
      case CONV1D_NCW:
        return shape[2];
      case DEPTHWISE:
        return shape[0] * shape[1];
      case SEPARABLE_DEPTHWISE:
      case DECONV:
        return shape[2] * shape[3];
      case DECONV3D:
        return shape[0] * shape[1] * shape[2];
      default:
        long taps = 1;
        for (int i = 2; i < shape.length; i++) {
          taps *= shape[i];
        }
        return taps;
    }
  }

  /** The column count w of M (the length of v) for a weight of this shape. */
  public long cols(long[] shape) {
    long total = 1;
    for (long s : shape) {
      total *= s;
    }
    return total / rows(shape);
  }

  /** Whether M is available as a strided 2-D view of W; the others need a permuted copy. */
  public boolean hasMatrixView() {
    return this == DENSE || this == EMBEDDING || this == CONV;
  }

  /**
   * For layouts without a matrix view: a view of a weight-shaped array (or of its gradient) whose
   * row-major reshape to [h, w] is M. Writing into it writes into the array.
   */
  public INDArray permutedView(INDArray weightShaped) {
    long[] s = weightShaped.shape();
    switch (this) {
      case DECONV:
        return weightShaped.permute(1, 0, 2, 3);
      case CONV1D_NCW:
        return weightShaped.reshape('c', s[2], s[1], s[0]).permute(2, 1, 0);
      case DEPTHWISE:
        return weightShaped.permute(2, 3, 0, 1);
      case SEPARABLE_DEPTHWISE:
        return weightShaped.permute(1, 0, 2, 3);
      case DECONV3D:
        return weightShaped.permute(3, 4, 0, 1, 2);
      default:
        throw new UnsupportedOperationException(this + " has a matrix view");
    }
  }

  /**
   * The 2-D view of a weight-shaped array that the maths works on: M itself, or M<sup>T</sup> for
   * DENSE (see {@link #viewIsTransposed()}). Only for the layouts where {@link #hasMatrixView()}.
   */
  public INDArray matrixView(INDArray weightShaped, long h, long w) {
    switch (this) {
      case DENSE:
        // [nIn, nOut] 'f' is already a matrix: M^T with shape [w, h].
        return weightShaped.rank() == 2 ? weightShaped : weightShaped.reshape('f', w, h);
      case EMBEDDING:
        return weightShaped.rank() == 2 ? weightShaped : weightShaped.reshape('c', h, w);
      case CONV:
        return weightShaped.reshape('c', h, w);
      default:
        throw new UnsupportedOperationException(this + " has no 2-D view of M");
    }
  }

  /** M itself, as a new [h, w] array, for inspection (any layout). */
  public INDArray matrix(INDArray weightShaped) {
    long[] s = weightShaped.shape();
    long h = rows(s);
    long w = cols(s);
    if (!hasMatrixView()) {
      return permutedView(weightShaped).dup('c').reshape('c', h, w);
    }
    INDArray view = matrixView(weightShaped, h, w);
    return (viewIsTransposed() ? view.transpose() : view).dup('c');
  }

  /** True where {@link #matrixView} returns M<sup>T</sup> rather than M. */
  public boolean viewIsTransposed() {
    return this == DENSE;
  }

  private static void requireRank(long[] shape) {
    if (shape.length < 2) {
      throw new IllegalArgumentException(
          "A weight must have rank >= 2 to be spectrally normalized, got shape "
              + Arrays.toString(shape));
    }
  }
}
