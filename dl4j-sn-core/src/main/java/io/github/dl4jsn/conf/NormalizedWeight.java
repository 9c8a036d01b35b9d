package io.github.dl4jsn.conf;

import io.github.dl4jsn.math.WeightLayout;
import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * One weight parameter that a {@link SpectralNormalization} normalizes: its key in the inner
 * layer's param table, its layout and its shape, plus the keys of its persistent vectors.
 *
 * <p>Usually the whole parameter is normalized. GravesLSTM's recurrent weight RW [nOut, 4 nOut +
 * 3] ends in three peephole columns that are not part of the recurrent matrix: there only the
 * leading {@code 4 nOut} columns are normalized ({@link #shape()} is the normalized part, {@link
 * #paramShape()} the whole parameter), and the peepholes pass through unchanged.
 */
public final class NormalizedWeight {
  private final String key;
  private final WeightLayout layout;
  private final long[] shape;
  private final long[] paramShape;
  /** Operator-norm mode: u's and v's shapes (one output / input feature map); else null. */
  private long[] uShape;
  private long[] vShape;

  NormalizedWeight(String key, WeightLayout layout, long[] shape) {
    this(key, layout, shape, shape);
  }

  /** The same weight, normalized by the operator norm on feature maps of the given shapes. */
  NormalizedWeight asOperator(long[] uShape, long[] vShape) {
    NormalizedWeight nw = new NormalizedWeight(key, layout, shape, paramShape);
    nw.uShape = uShape.clone();
    nw.vShape = vShape.clone();
    return nw;
  }

  /** Whether the weight is normalized by a convolution's operator norm. */
  public boolean isOperatorNorm() {
    return uShape != null;
  }

  /** Operator-norm mode: the shape of u, one output feature map with batch dimension 1. */
  public long[] uShape() {
    return uShape == null ? null : uShape.clone();
  }

  /** Operator-norm mode: the shape of v, one input feature map with batch dimension 1. */
  public long[] vShape() {
    return vShape == null ? null : vShape.clone();
  }

  NormalizedWeight(String key, WeightLayout layout, long[] shape, long[] paramShape) {
    this.key = key;
    this.layout = layout;
    this.shape = shape.clone();
    this.paramShape = paramShape.clone();
    if (!Arrays.equals(shape, paramShape)
        && (shape.length != 2 || paramShape.length != 2 || shape[0] != paramShape[0]
            || shape[1] > paramShape[1])) {
      throw new IllegalArgumentException(
          "A partly normalized weight must be a leading column block of a matrix, got "
              + Arrays.toString(shape) + " of " + Arrays.toString(paramShape));
    }
  }

  /** The weight's key in the inner layer, e.g. "W". */
  public String key() {
    return key;
  }

  /** The key of the left singular vector estimate u, e.g. "uW". */
  public String uKey() {
    return SpectralNormalization.U_PREFIX + key;
  }

  /** The key of the right singular vector estimate v, e.g. "vW". */
  public String vKey() {
    return SpectralNormalization.V_PREFIX + key;
  }

  /** How the weight maps to the matrix M. */
  public WeightLayout layout() {
    return layout;
  }

  /** The shape of the normalized part of the weight (all of it unless {@link #isPartial}). */
  public long[] shape() {
    return shape.clone();
  }

  /** The shape of the whole parameter in the inner layer's param table. */
  public long[] paramShape() {
    return paramShape.clone();
  }

  /** Whether only a leading column block of the parameter is normalized (GravesLSTM's RW). */
  public boolean isPartial() {
    return !Arrays.equals(shape, paramShape);
  }

  /**
   * The normalized part of a parameter-shaped array (the parameter, its gradient or a buffer): the
   * array itself, or a view of its leading columns.
   */
  public INDArray normalizedPart(INDArray paramShaped) {
    if (!isPartial()) {
      return paramShaped;
    }
    return paramShaped.get(NDArrayIndex.all(), NDArrayIndex.interval(0, shape[1]));
  }

  /** The length of u: M's row count (operator norm: the output feature map's size). */
  public long rows() {
    return uShape != null ? length(uShape) : layout.rows(shape);
  }

  /** The length of v: M's column count (operator norm: the input feature map's size). */
  public long cols() {
    return vShape != null ? length(vShape) : layout.cols(shape);
  }

  private static long length(long[] s) {
    long n = 1;
    for (long x : s) {
      n *= x;
    }
    return n;
  }

  @Override
  public String toString() {
    String part = isPartial() ? " (leading columns of " + Arrays.toString(paramShape) + ")" : "";
    String how = uShape != null
        ? " by operator norm on " + Arrays.toString(vShape) + " -> " + Arrays.toString(uShape)
        : " as " + layout + " (" + rows() + "x" + cols() + ")";
    return key + Arrays.toString(shape) + part + how;
  }
}
