package io.github.dl4jsn.examples.translation;

import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A trained decoder driven one word at a time, for greedy and beam search ({@link Translator}).
 *
 * <p>The decoder holds one state row per hypothesis: {@link #start} encodes the sources and
 * makes one row per source; {@link #step} feeds one word per row and advances every row;
 * {@link #select} reorders (and repeats or drops) rows, as a beam keeps its best extensions.
 */
public interface StepDecoder {

  /** Encodes source sentences (encoded as in {@link Example}) and starts one row per source. */
  void start(List<int[]> sources);

  /**
   * Feeds {@code previous[i]} to row i and returns the log-probabilities [rows, target vocabulary]
   * of the next word for every row; the state advances by one word.
   */
  INDArray step(int[] previous);

  /** Keeps row {@code rows[j]} of the current state as row j (rows may repeat). */
  void select(int[] rows);

  /** Forgets the state; the next use must {@link #start} again. */
  void reset();
}
