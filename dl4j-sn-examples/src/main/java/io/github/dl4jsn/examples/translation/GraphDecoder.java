package io.github.dl4jsn.examples.translation;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.layers.RecurrentLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Step-by-step decoding of the {@link Seq2SeqModel} graph (architecture {@code output}): the
 * encoder runs once through the graph; the decoder LSTMs are stepped with {@code rnnTimeStep},
 * each step fed the target embedding of the previous word and the encoder's final output.
 */
public final class GraphDecoder implements StepDecoder {

  private final ComputationGraph graph;
  private final Layer tgtEmbed;
  private final List<RecurrentLayer> decoders = new ArrayList<>();
  private final Layer out;
  private final LayerWorkspaceMgr mgr = LayerWorkspaceMgr.noWorkspaces();
  private INDArray thought;

  /** A decoder over {@code graph}, which must have been built by {@link Seq2SeqModel#build}. */
  public GraphDecoder(ComputationGraph graph) {
    this.graph = graph;
    this.tgtEmbed = graph.getLayer("tgtEmbed");
    for (int i = 0; graph.getConfiguration().getVertices().containsKey("dec" + i); i++) {
      decoders.add((RecurrentLayer) graph.getLayer("dec" + i));
    }
    this.out = graph.getLayer("out");
  }

  /** The encoder's final output [b, hidden] for encoded sources (see {@link Example}). */
  public INDArray encode(List<int[]> sources) {
    int b = sources.size();
    int ts = sources.stream().mapToInt(s -> s.length).max().orElse(1);
    INDArray src = Nd4j.zeros(DataType.FLOAT, b, 1, ts);
    INDArray mask = Nd4j.zeros(DataType.FLOAT, b, ts);
    for (int i = 0; i < b; i++) {
      for (int t = 0; t < sources.get(i).length; t++) {
        src.putScalar(new long[] {i, 0, t}, sources.get(i)[t]);
        mask.putScalar(i, t, 1);
      }
    }
    INDArray dummy = Nd4j.zeros(DataType.FLOAT, b, 1, 1);
    graph.setLayerMaskArrays(new INDArray[] {mask, Nd4j.ones(DataType.FLOAT, b, 1)}, null);
    try {
      Map<String, INDArray> acts = graph.feedForward(new INDArray[] {src, dummy}, false);
      return acts.get("thought").dup();
    } finally {
      graph.clearLayerMaskArrays();
    }
  }

  @Override
  public void start(List<int[]> sources) {
    reset();
    thought = encode(sources);
  }

  @Override
  public INDArray step(int[] previous) {
    int b = previous.length;
    INDArray tokens = Nd4j.zeros(DataType.FLOAT, b, 1, 1);
    for (int i = 0; i < b; i++) {
      tokens.putScalar(new long[] {i, 0, 0}, previous[i]);
    }
    INDArray x = tgtEmbed.activate(tokens, false, mgr);
    x = Nd4j.concat(1, x.reshape(b, x.size(1), 1),
        thought.reshape(b, thought.size(1), 1).castTo(x.dataType()));
    for (RecurrentLayer d : decoders) {
      x = d.rnnTimeStep(x, mgr);
    }
    INDArray probs = out.activate(x, false, mgr);
    return Transforms.log(probs.reshape(b, probs.size(1)));
  }

  @Override
  public void select(int[] rows) {
    thought = Nd4j.pullRows(thought, 1, rows);
    for (RecurrentLayer d : decoders) {
      Map<String, INDArray> state = d.rnnGetPreviousState();
      if (state == null || state.isEmpty()) {
        continue; // no step yet: only the encoder output has rows
      }
      for (Map.Entry<String, INDArray> e : state.entrySet()) {
        e.setValue(Nd4j.pullRows(e.getValue(), 1, rows));
      }
      d.rnnSetPreviousState(state);
    }
  }

  @Override
  public void reset() {
    decoders.forEach(RecurrentLayer::rnnClearPreviousState);
    thought = null;
  }
}
