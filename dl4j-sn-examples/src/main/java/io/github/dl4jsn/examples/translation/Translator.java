package io.github.dl4jsn.examples.translation;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.layers.RecurrentLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Decodes with a trained {@link Seq2SeqModel}: runs the encoder once per batch, then steps the
 * decoder one word at a time with {@code rnnTimeStep}, greedily or with a left-to-right beam.
 */
public final class Translator {

  private final ComputationGraph graph;
  private final Layer tgtEmbed;
  private final List<RecurrentLayer> decoders = new ArrayList<>();
  private final Layer out;
  private final LayerWorkspaceMgr mgr = LayerWorkspaceMgr.noWorkspaces();

  /** A decoder over {@code graph}, which must have been built by {@link Seq2SeqModel#build}. */
  public Translator(ComputationGraph graph) {
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

  /** Clears the decoder state; the next {@link #step} starts new sentences. */
  public void reset() {
    decoders.forEach(RecurrentLayer::rnnClearPreviousState);
  }

  /**
   * One decoder step: log-probabilities [b, vocab] of the next word after {@code previous},
   * given the encoder outputs [b, hidden]; advances the decoder state.
   */
  public INDArray step(int[] previous, INDArray thought) {
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

  /** Greedy decoding of a batch: the most likely word at each step, up to {@code <eos>}. */
  public List<int[]> greedy(List<int[]> sources, int maxLen) {
    int b = sources.size();
    INDArray thought = encode(sources);
    reset();
    int[] prev = new int[b];
    Arrays.fill(prev, Vocabulary.EOS);
    List<List<Integer>> outs = new ArrayList<>();
    boolean[] done = new boolean[b];
    for (int i = 0; i < b; i++) {
      outs.add(new ArrayList<>());
    }
    for (int t = 0; t < maxLen; t++) {
      INDArray logp = step(prev, thought);
      int[] next = logp.argMax(1).toIntVector();
      boolean all = true;
      for (int i = 0; i < b; i++) {
        if (!done[i]) {
          if (next[i] == Vocabulary.EOS || outs.get(i).size() >= limit(sources.get(i), maxLen)) {
            done[i] = true;
          } else {
            outs.get(i).add(next[i]);
          }
        }
        all &= done[i];
        prev[i] = next[i];
      }
      if (all) {
        break;
      }
    }
    reset();
    List<int[]> result = new ArrayList<>();
    outs.forEach(o -> result.add(o.stream().mapToInt(Integer::intValue).toArray()));
    return result;
  }

  /**
   * Left-to-right beam search (Sutskever et al. 2014): keeps the {@code beam} most likely partial
   * translations; each step extends them by every word and keeps the {@code beam} best; a
   * hypothesis that emits {@code <eos>} leaves the beam for the complete set. Stops when no
   * partial hypothesis scores above the best complete one (scores only fall), when the beam is
   * empty, or at the length limit. Returns the complete hypothesis of highest log-probability
   * (no length normalization, as in the paper).
   */
  public int[] beam(int[] source, int beam, int maxLen) {
    INDArray thought1 = encode(List.of(source));
    reset();
    int limit = limit(source, maxLen);
    List<Hyp> live = List.of(new Hyp(new int[0], 0));
    Hyp best = null;
    for (int t = 0; t <= limit && !live.isEmpty(); t++) {
      int k = live.size();
      int[] prev = new int[k];
      for (int i = 0; i < k; i++) {
        int[] w = live.get(i).words;
        prev[i] = w.length == 0 ? Vocabulary.EOS : w[w.length - 1];
      }
      float[][] logp = step(prev, thought1.repeat(0, k)).toFloatMatrix();
      PriorityQueue<double[]> top = new PriorityQueue<>(Comparator.comparingDouble(a -> a[0]));
      for (int i = 0; i < k; i++) {
        for (int w = 0; w < logp[i].length; w++) {
          if (w == Vocabulary.PAD || (t == limit && w != Vocabulary.EOS)) {
            continue;
          }
          double s = live.get(i).score + logp[i][w];
          if (top.size() < beam) {
            top.add(new double[] {s, i, w});
          } else if (s > top.peek()[0]) {
            top.poll();
            top.add(new double[] {s, i, w});
          }
        }
      }
      List<double[]> chosen = new ArrayList<>(top);
      chosen.sort(Comparator.comparingDouble((double[] a) -> a[0]).reversed());
      List<Hyp> next = new ArrayList<>();
      List<Integer> parents = new ArrayList<>();
      for (double[] c : chosen) {
        Hyp parent = live.get((int) c[1]);
        if ((int) c[2] == Vocabulary.EOS) {
          if (best == null || c[0] > best.score) {
            best = new Hyp(parent.words, c[0]);
          }
        } else {
          int[] w = Arrays.copyOf(parent.words, parent.words.length + 1);
          w[w.length - 1] = (int) c[2];
          next.add(new Hyp(w, c[0]));
          parents.add((int) c[1]);
        }
      }
      if (best != null && (next.isEmpty() || next.get(0).score <= best.score)) {
        break;
      }
      if (!next.isEmpty()) {
        reorderState(parents.stream().mapToInt(Integer::intValue).toArray());
      }
      live = next;
    }
    reset();
    return best == null ? new int[0] : best.words;
  }

  private void reorderState(int[] parents) {
    for (RecurrentLayer d : decoders) {
      Map<String, INDArray> state = d.rnnGetPreviousState();
      for (Map.Entry<String, INDArray> e : state.entrySet()) {
        e.setValue(Nd4j.pullRows(e.getValue(), 1, parents));
      }
      d.rnnSetPreviousState(state);
    }
  }

  private static int limit(int[] source, int maxLen) {
    return Math.min(maxLen, 2 * source.length + 10);
  }

  private record Hyp(int[] words, double score) {}
}
