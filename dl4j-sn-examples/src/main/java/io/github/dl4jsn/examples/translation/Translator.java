package io.github.dl4jsn.examples.translation;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Greedy and beam search over a {@link StepDecoder}: the encoder runs once per batch, then the
 * decoder is stepped one word at a time. Works the same for both architectures ({@link
 * GraphDecoder}, {@link StateDecoder}).
 */
public final class Translator {

  private final StepDecoder decoder;
  private final LengthNorm lengthNorm;
  private final double alpha;

  /** A search over {@code decoder} that ranks complete hypotheses by total log-probability. */
  public Translator(StepDecoder decoder) {
    this(decoder, LengthNorm.none, LengthNorm.DEFAULT_ALPHA);
  }

  /**
   * A search over {@code decoder} whose beam ranks complete hypotheses by {@code lengthNorm}
   * (with {@code alpha} for {@link LengthNorm#gnmt}).
   */
  public Translator(StepDecoder decoder, LengthNorm lengthNorm, double alpha) {
    this.decoder = decoder;
    this.lengthNorm = lengthNorm;
    this.alpha = alpha;
  }

  /**
   * Greedy decoding of a batch: the most likely word other than {@code <pad>} at each step, up to
   * {@code <eos>} or {@code min(maxLen, 2 |source| + 10)} words.
   */
  public List<int[]> greedy(List<int[]> sources, int maxLen) {
    int b = sources.size();
    decoder.start(sources);
    int[] prev = new int[b];
    Arrays.fill(prev, Vocabulary.EOS);
    List<List<Integer>> outs = new ArrayList<>();
    boolean[] done = new boolean[b];
    for (int i = 0; i < b; i++) {
      outs.add(new ArrayList<>());
    }
    for (int t = 0; t < maxLen; t++) {
      INDArray logp = decoder.step(prev).dup();
      logp.getColumn(Vocabulary.PAD).assign(Double.NEGATIVE_INFINITY); // as the beam: never <pad>
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
    decoder.reset();
    List<int[]> result = new ArrayList<>();
    outs.forEach(o -> result.add(o.stream().mapToInt(Integer::intValue).toArray()));
    return result;
  }

  /**
   * Left-to-right beam search (Sutskever et al. 2014): keeps the {@code beam} most likely partial
   * translations; each step extends them by every word and keeps the {@code beam} best by
   * log-probability (all candidates of a step have the same length, so the length normalization
   * does not change this choice); a hypothesis that emits {@code <eos>} leaves the beam for the
   * complete set, scored by the length normalization. At most {@code min(maxLen, 2 |source| + 10)}
   * words. Search stops when the beam is empty, at the length limit, or when no completion of any
   * partial hypothesis can score above the best complete one: the bound of {@link
   * LengthNorm#bound} (with no normalization: scores only fall; with normalization a partial
   * hypothesis may still overtake, so the bound assumes it could reach the length limit with no
   * further loss). Returns the best complete hypothesis (empty if none).
   */
  public int[] beam(int[] source, int beam, int maxLen) {
    decoder.start(List.of(source));
    int limit = limit(source, maxLen);
    int maxTokens = limit + 1;
    List<Hyp> live = List.of(new Hyp(new int[0], 0));
    Hyp best = null;
    double bestScore = Double.NEGATIVE_INFINITY;
    for (int t = 0; t <= limit && !live.isEmpty(); t++) {
      int k = live.size();
      int[] prev = new int[k];
      for (int i = 0; i < k; i++) {
        int[] w = live.get(i).words;
        prev[i] = w.length == 0 ? Vocabulary.EOS : w[w.length - 1];
      }
      float[][] logp = decoder.step(prev).toFloatMatrix();
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
          double score = lengthNorm.score(c[0], parent.words.length + 1, alpha);
          if (best == null || score > bestScore) {
            best = new Hyp(parent.words, c[0]);
            bestScore = score;
          }
        } else {
          int[] w = Arrays.copyOf(parent.words, parent.words.length + 1);
          w[w.length - 1] = (int) c[2];
          next.add(new Hyp(w, c[0]));
          parents.add((int) c[1]);
        }
      }
      if (best != null && (next.isEmpty()
          || lengthNorm.bound(next.get(0).score, t + 1, maxTokens, alpha) <= bestScore)) {
        break;
      }
      if (!next.isEmpty()) {
        decoder.select(parents.stream().mapToInt(Integer::intValue).toArray());
      }
      live = next;
    }
    decoder.reset();
    return best == null ? new int[0] : best.words;
  }

  private static int limit(int[] source, int maxLen) {
    return Math.min(maxLen, 2 * source.length + 10);
  }

  private record Hyp(int[] words, double score) {}
}
