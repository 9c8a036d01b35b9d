package io.github.dl4jsn.math;

import java.util.function.Supplier;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The persistent estimate of one weight's norm, and what spectral normalization does with it: the
 * power iteration on vectors u and v, sigma, the normalized weight {@code W_SN = c W / sigma} and
 * the gradient correction. {@link SpectralNormCore} estimates the largest singular value of the
 * weight reshaped to a matrix (PyTorch's definition); {@link ConvOperatorNormCore} the operator
 * norm of a convolution on its input feature map.
 */
public interface NormEstimator {

  /** Binds the persistent vectors (views of the layer's parameters), updated in place. */
  void bind(INDArray u, INDArray v);

  /** Normalizes the bound u and v in place (after random initialization). */
  void normalizeVectors();

  /** Restores u to unit length before a training iteration's power iterations. */
  void renormalizeU();

  /** Runs {@code n} power iterations on the raw weight, updating u and v in place. */
  void powerIterate(INDArray weight, int n);

  /**
   * Iterates until the estimate of sigma changes by at most {@code tolerance} relative to itself
   * from one iteration to the next: at least {@code min} iterations, at most {@code max} (see the
   * implementations for how). Like {@link #powerIterate}, it leaves the state that {@link
   * #normalize} with {@code afterIteration} reuses.
   *
   * @return the number of iterations run
   */
  int powerIterateToTolerance(INDArray weight, int min, int max, double tolerance);

  /**
   * Computes sigma from the stored vectors and writes W_SN into a reused buffer.
   *
   * @param afterIteration true right after {@link #powerIterate} on the same weight
   * @param inference divide sigma by {@code ||u|| ||v||} (stored vectors may be slightly off unit)
   * @return the buffer holding W_SN, valid until the next call
   */
  INDArray normalize(INDArray weight, boolean afterIteration, boolean inference);

  /** Maps dL/dW_SN to dL/dW in place; must follow the {@link #normalize} the forward pass used. */
  void correctGradient(INDArray gradient);

  /** The current sigma, a DOUBLE 0-d array (after {@link #normalize}). */
  INDArray sigma();

  /** The buffer that holds W_SN after {@link #normalize}. */
  INDArray normalizedWeight();

  /**
   * Checks that an input the layer is about to process fits this estimate (the operator norm of a
   * convolution depends on the input size); does nothing for the reshaped-kernel estimate.
   *
   * @param where names the layer for the message; called only when the check fails
   * @throws IllegalArgumentException naming {@code where} and both shapes
   */
  default void checkInput(INDArray input, Supplier<String> where) {}
}
