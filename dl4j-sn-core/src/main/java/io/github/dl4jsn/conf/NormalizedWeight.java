package io.github.dl4jsn.conf;

import io.github.dl4jsn.math.WeightLayout;
import java.util.Arrays;

/**
 * One weight parameter that a {@link SpectralNormalization} normalizes: its key in the inner
 * layer's param table, its layout and its shape, plus the keys of its persistent vectors.
 */
public final class NormalizedWeight {
  private final String key;
  private final WeightLayout layout;
  private final long[] shape;

  NormalizedWeight(String key, WeightLayout layout, long[] shape) {
    this.key = key;
    this.layout = layout;
    this.shape = shape.clone();
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

  /** The weight's shape in the inner layer's param table. */
  public long[] shape() {
    return shape.clone();
  }

  /** The length of u: M's row count. */
  public long rows() {
    return layout.rows(shape);
  }

  /** The length of v: M's column count. */
  public long cols() {
    return layout.cols(shape);
  }

  @Override
  public String toString() {
    return key + Arrays.toString(shape) + " as " + layout + " (" + rows() + "x" + cols() + ")";
  }
}
