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
  DECONV;

  /** The row count h of M (the length of u) for a weight of this shape. */
  public long rows(long[] shape) {
    requireRank(shape);
    switch (this) {
      case DENSE:
        return shape[1];
      case DECONV:
        return shape[1];
      default:
        return shape[0];
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
    return this != DECONV && this != CONV1D_NCW;
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
      default:
        throw new UnsupportedOperationException(this + " has a matrix view");
    }
  }

  /**
   * The 2-D view of a weight-shaped array that the maths works on: M itself, or M<sup>T</sup> for
   * DENSE (see {@link #viewIsTransposed()}). Not available for DECONV and CONV1D_NCW.
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
