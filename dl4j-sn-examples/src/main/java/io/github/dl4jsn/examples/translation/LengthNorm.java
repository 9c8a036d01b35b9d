package io.github.dl4jsn.examples.translation;

/**
 * How beam search scores a complete hypothesis Y of total log-probability {@code log P(Y)}: the
 * score is {@code log P(Y) / lp(|Y|)}, where |Y| counts the predicted tokens, the words and the
 * final {@code <eos>} (so an empty translation has |Y| = 1).
 */
public enum LengthNorm {
  /** lp = 1: total log-probability, as in Sutskever et al. (2014). Prefers short outputs. */
  none,
  /** lp(|Y|) = |Y|: mean log-probability per predicted token. */
  average,
  /**
   * lp(|Y|) = (5 + |Y|)^alpha / 6^alpha, Wu et al. (2016), "Google's Neural Machine Translation
   * System", arXiv:1609.08144, eq. 14 (without the coverage term).
   */
  gnmt;

  /** Default alpha of {@link #gnmt}, the value Wu et al. report tuning towards (0.6-0.7). */
  public static final double DEFAULT_ALPHA = 0.6;

  /** The length penalty lp(tokens), &ge; 1 and non-decreasing in {@code tokens}. */
  public double penalty(int tokens, double alpha) {
    switch (this) {
      case average:
        return tokens;
      case gnmt:
        return Math.pow((5.0 + tokens) / 6.0, alpha);
      default:
        return 1.0;
    }
  }

  /** The normalized score of a hypothesis of {@code tokens} tokens and log-probability. */
  public double score(double logProb, int tokens, double alpha) {
    return logProb / penalty(tokens, alpha);
  }

  /**
   * An upper bound on the normalized score of any completion of a partial hypothesis with
   * log-probability {@code logProb} and {@code tokens} tokens so far, completed with at most
   * {@code maxTokens} tokens in all. Log-probabilities only fall as words are added and lp is
   * non-decreasing, so for {@code logProb <= 0} the bound is {@code logProb / lp(maxTokens)}
   * (with no normalization: {@code logProb} itself).
   */
  public double bound(double logProb, int tokens, int maxTokens, double alpha) {
    int from = Math.min(tokens + 1, maxTokens);
    return Math.max(logProb / penalty(maxTokens, alpha), logProb / penalty(from, alpha));
  }
}
