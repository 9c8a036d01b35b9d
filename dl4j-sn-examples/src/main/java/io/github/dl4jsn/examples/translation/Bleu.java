package io.github.dl4jsn.examples.translation;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Corpus BLEU-4 (Papineni et al. 2002) exactly as NLTK's {@code corpus_bleu} computes it with its
 * defaults.
 *
 * <p>BLEU = BP * exp(sum_n w_n log p_n) with uniform weights w_n = 1/4, n = 1..4. p_n is the
 * modified precision pooled over the corpus: the sum over hypotheses of their n-gram counts, each
 * clipped by its maximum count in any reference of that hypothesis, divided by the sum over
 * hypotheses of max(1, number of hypothesis n-grams). BP = 1 if c > r, 0 if c = 0, else
 * exp(1 - r / c), where c is the total hypothesis length and r the sum of the reference lengths
 * closest to each hypothesis length (ties go to the shorter reference). As in NLTK, BLEU is 0 when
 * no unigram matches, and a zero higher-order count is replaced by the smallest normal double
 * (NLTK's {@code SmoothingFunction().method0}), which gives a tiny positive value, not 0.
 */
public final class Bleu {

  private static final int MAX_ORDER = 4;

  private Bleu() {}

  /**
   * Corpus BLEU-4 of tokenized hypotheses against their references.
   *
   * @param references for each hypothesis, one or more tokenized references
   * @param hypotheses tokenized hypotheses, as many as reference sets
   * @return BLEU in [0, 1]
   */
  public static double corpus(List<List<List<String>>> references, List<List<String>> hypotheses) {
    if (references.size() != hypotheses.size()) {
      throw new IllegalArgumentException("BLEU needs one reference set per hypothesis, got "
          + references.size() + " reference sets for " + hypotheses.size() + " hypotheses");
    }
    long[] numerators = new long[MAX_ORDER + 1];
    long[] denominators = new long[MAX_ORDER + 1];
    long hypLength = 0;
    long refLength = 0;
    for (int i = 0; i < hypotheses.size(); i++) {
      List<String> hyp = hypotheses.get(i);
      List<List<String>> refs = references.get(i);
      if (refs.isEmpty()) {
        throw new IllegalArgumentException("hypothesis " + i + " has no reference");
      }
      for (int n = 1; n <= MAX_ORDER; n++) {
        Map<List<String>, Integer> counts = ngrams(hyp, n);
        Map<List<String>, Integer> maxRef = new HashMap<>();
        for (List<String> ref : refs) {
          Map<List<String>, Integer> refCounts = ngrams(ref, n);
          for (List<String> g : counts.keySet()) {
            maxRef.merge(g, refCounts.getOrDefault(g, 0), Math::max);
          }
        }
        long clipped = 0;
        long total = 0;
        for (Map.Entry<List<String>, Integer> e : counts.entrySet()) {
          clipped += Math.min(e.getValue(), maxRef.getOrDefault(e.getKey(), 0));
          total += e.getValue();
        }
        numerators[n] += clipped;
        denominators[n] += Math.max(1, total);
      }
      hypLength += hyp.size();
      refLength += closestReferenceLength(refs, hyp.size());
    }
    if (numerators[1] == 0) {
      return 0;
    }
    double bp = brevityPenalty(refLength, hypLength);
    BigDecimal sum = BigDecimal.ZERO; // exact sum, rounded once: Python's math.fsum
    for (int n = 1; n <= MAX_ORDER; n++) {
      double p = numerators[n] == 0 ? Double.MIN_NORMAL
          : (double) numerators[n] / (double) denominators[n];
      sum = sum.add(new BigDecimal(0.25 * Math.log(p)));
    }
    return bp * Math.exp(sum.doubleValue());
  }

  /** BLEU's brevity penalty for total hypothesis length c and effective reference length r. */
  static double brevityPenalty(long r, long c) {
    if (c > r) {
      return 1;
    }
    if (c == 0) {
      return 0;
    }
    return Math.exp(1 - (double) r / (double) c);
  }

  /** The reference length closest to {@code hypLength}; ties go to the shorter reference. */
  static int closestReferenceLength(List<List<String>> refs, int hypLength) {
    int best = -1;
    for (List<String> ref : refs) {
      int len = ref.size();
      if (best < 0 || Math.abs(len - hypLength) < Math.abs(best - hypLength)
          || (Math.abs(len - hypLength) == Math.abs(best - hypLength) && len < best)) {
        best = len;
      }
    }
    return best;
  }

  private static Map<List<String>, Integer> ngrams(List<String> tokens, int n) {
    Map<List<String>, Integer> counts = new HashMap<>();
    for (int i = 0; i + n <= tokens.size(); i++) {
      counts.merge(new ArrayList<>(tokens.subList(i, i + n)), 1, Integer::sum);
    }
    return counts;
  }
}
