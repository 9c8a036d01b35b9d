package io.github.dl4jsn.samediff;

import io.github.dl4jsn.math.SpectralNormCore;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A SameDiffLayer with spectral normalization whose vectors {@code uW} and {@code vW} the {@link
 * SameDiffSpectralNormListener} refreshes once per iteration.
 */
public interface SpectralNormSameDiffLayer {

  /** The maths core for the layer's weight (the same as the native wrapper's). */
  SpectralNormCore core(INDArray weight);

  /** Power iterations per training iteration. */
  int getPowerIterations();
}
