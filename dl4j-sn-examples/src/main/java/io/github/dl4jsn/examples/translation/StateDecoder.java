package io.github.dl4jsn.examples.translation;

import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Step-by-step decoding of a {@link StateSeq2SeqModel}: the encoder graph runs once and its final
 * (h, c) per layer become the decoder's state; each step runs the model's one-step decoder graph,
 * which uses the same parameter arrays and the same cell as the training graph.
 */
public final class StateDecoder implements StepDecoder {

  private final StateSeq2SeqModel model;
  private INDArray[] h;
  private INDArray[] c;

  /** A decoder over the model's current weights. */
  public StateDecoder(StateSeq2SeqModel model) {
    this.model = model;
  }

  @Override
  public void start(List<int[]> sources) {
    INDArray[][] state = model.encode(sources);
    h = state[0];
    c = state[1];
  }

  @Override
  public INDArray step(int[] previous) {
    return model.step(previous, h, c);
  }

  @Override
  public void select(int[] rows) {
    for (int l = 0; l < h.length; l++) {
      h[l] = Nd4j.pullRows(h[l], 1, rows);
      c[l] = Nd4j.pullRows(c[l], 1, rows);
    }
  }

  /** The current state {h[layers], c[layers]} (for tests). */
  INDArray[][] state() {
    return new INDArray[][] {h.clone(), c.clone()};
  }

  @Override
  public void reset() {
    h = null;
    c = null;
  }
}
