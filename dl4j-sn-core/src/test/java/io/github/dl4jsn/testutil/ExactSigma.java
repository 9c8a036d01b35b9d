package io.github.dl4jsn.testutil;

import io.github.dl4jsn.conf.NormalizedWeight;
import io.github.dl4jsn.inspect.SingularValues;
import io.github.dl4jsn.layers.SpectralNormLayer;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The exact largest singular value by SVD, as an oracle independent of the power iteration. */
public final class ExactSigma {
  private ExactSigma() {}

  /** The largest singular value of a 2-D array (one-sided Jacobi SVD). */
  public static double of(INDArray matrix) {
    return SingularValues.largest(matrix);
  }

  /** All singular values of a 2-D array, ascending. */
  public static double[] spectrum(INDArray matrix) {
    return SingularValues.of(matrix);
  }

  /**
   * The largest singular value of the normalized weight a layer uses at inference. The weight is
   * reshaped to a matrix with PyTorch's grouping of rows and columns, up to row and column order
   * (which leaves singular values unchanged).
   */
  public static double ofNormalizedWeight(SpectralNormLayer layer, String key) {
    double[] values = spectrumOfNormalizedWeight(layer, key);
    return values[values.length - 1];
  }

  /** All singular values of the normalized weight, ascending. */
  public static double[] spectrumOfNormalizedWeight(SpectralNormLayer layer, String key) {
    NormalizedWeight nw =
        layer.getSpectralNormConfig().normalizedWeights().stream()
            .filter(x -> x.key().equals(key))
            .findFirst()
            .orElseThrow();
    INDArray w = nw.normalizedPart(layer.normalizedWeight(key)).dup('f');
    long[] s = w.shape();
    switch (nw.layout()) {
      case DENSE:
      case EMBEDDING:
        return spectrum(w);
      case CONV:
        return spectrum(w.reshape('c', s[0], w.length() / s[0]));
      case CONV1D_NCW:
        // The buffer holds the kernel as [k, nIn, nOut]: rows (t, i), columns o.
        return spectrum(w.reshape('c', w.length() / s[0], s[0]));
      default:
        return spectrum(w.permute(1, 0, 2, 3).dup('c').reshape('c', s[1], w.length() / s[1]));
    }
  }
}
