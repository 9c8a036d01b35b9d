package io.github.dl4jsn.examples.translation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Beam search and its length normalization on a scripted decoder with known probabilities. */
class BeamSearchTest {

  private static final int A = 3;
  private static final int B = 4;

  /**
   * Next-word probabilities that depend only on the words so far (vocabulary: pad, unk, eos, A,
   * B): first "eos" 0.5 or A 0.48; after A, B 0.97; after A B, eos 0.97. The empty translation
   * has probability 0.5; "A B" has 0.48 x 0.97 x 0.97 = 0.4516, over three tokens.
   */
  static final class Scripted implements StepDecoder {
    private List<List<Integer>> rows;

    @Override
    public void start(List<int[]> sources) {
      rows = new ArrayList<>();
      for (int i = 0; i < sources.size(); i++) {
        rows.add(new ArrayList<>());
      }
    }

    @Override
    public INDArray step(int[] previous) {
      INDArray logp = Nd4j.create(DataType.DOUBLE, previous.length, 5);
      for (int i = 0; i < previous.length; i++) {
        List<Integer> words = rows.get(i);
        if (previous[i] != Vocabulary.EOS || !words.isEmpty()) {
          words.add(previous[i]);
        }
        double[] p;
        if (words.isEmpty()) {
          p = new double[] {0.005, 0.005, 0.5, 0.48, 0.01};
        } else if (words.equals(List.of(A))) {
          p = new double[] {0.005, 0.005, 0.01, 0.01, 0.97};
        } else if (words.equals(List.of(A, B))) {
          p = new double[] {0.005, 0.005, 0.97, 0.01, 0.01};
        } else {
          p = new double[] {0.1, 0.1, 0.6, 0.1, 0.1};
        }
        for (int w = 0; w < 5; w++) {
          logp.putScalar(i, w, Math.log(p[w]));
        }
      }
      return logp;
    }

    @Override
    public void select(int[] keep) {
      List<List<Integer>> next = new ArrayList<>();
      for (int r : keep) {
        next.add(new ArrayList<>(rows.get(r)));
      }
      rows = next;
    }

    @Override
    public void reset() {
      rows = null;
    }
  }

  private static int[] beam(LengthNorm norm, double alpha) {
    return new Translator(new Scripted(), norm, alpha).beam(new int[] {5, 6, 2}, 2, 40);
  }

  @Test
  void lengthNormalizationChangesTheChoiceBetweenAShortAndALongerTranslation() {
    // Total log-probability: log 0.5 = -0.693 beats log 0.4516 = -0.795, and the search may
    // stop at once because scores only fall.
    assertThat(beam(LengthNorm.none, 0.6)).isEmpty();
    // Per token: -0.693 / 1 loses to -0.795 / 3; the search must go on past the first step.
    assertThat(beam(LengthNorm.average, 0.6)).containsExactly(A, B);
    // GNMT, alpha 0.6: lp(3) = (8/6)^0.6 = 1.188, -0.795 / 1.188 = -0.669 > -0.693.
    assertThat(beam(LengthNorm.gnmt, 0.6)).containsExactly(A, B);
    // GNMT with alpha 0 is no normalization.
    assertThat(beam(LengthNorm.gnmt, 0.0)).isEmpty();
  }

  @Test
  void beamOfOneIsGreedyOnTheScriptedDecoder() {
    Translator tr = new Translator(new Scripted(), LengthNorm.average, 0.6);
    assertThat(tr.beam(new int[] {5, 2}, 1, 40))
        .containsExactly(tr.greedy(List.of(new int[] {5, 2}), 40).get(0));
  }

  @Test
  void gnmtPenaltyIsWuEtAlsFormula() {
    assertThat(LengthNorm.gnmt.penalty(1, 0.6)).isCloseTo(1.0, within(1e-15));
    assertThat(LengthNorm.gnmt.penalty(10, 0.6)).isCloseTo(Math.pow(15.0 / 6.0, 0.6),
        within(1e-15));
    assertThat(LengthNorm.average.penalty(7, 0.6)).isEqualTo(7.0);
    assertThat(LengthNorm.none.penalty(7, 0.6)).isEqualTo(1.0);
  }

  @ParameterizedTest
  @EnumSource(LengthNorm.class)
  void boundIsAtLeastTheScoreOfEveryCompletion(LengthNorm norm) {
    Random rng = new Random(1);
    for (int trial = 0; trial < 2000; trial++) {
      int maxTokens = 2 + rng.nextInt(30);
      int tokens = 1 + rng.nextInt(maxTokens - 1);
      double logProb = -10 * rng.nextDouble();
      double bound = norm.bound(logProb, tokens, maxTokens, 0.6);
      // A completion adds k >= 1 tokens, each with log-probability <= 0.
      int total = tokens + 1 + rng.nextInt(maxTokens - tokens);
      double completed = logProb - 3 * rng.nextDouble() * rng.nextInt(2);
      assertThat(norm.score(completed, total, 0.6)).isLessThanOrEqualTo(bound);
    }
  }
}
