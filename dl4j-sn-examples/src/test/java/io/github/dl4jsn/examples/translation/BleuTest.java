package io.github.dl4jsn.examples.translation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;

/** Java BLEU against NLTK 3.8's corpus_bleu on the fixtures of scripts/bleu-nltk-fixtures.py. */
class BleuTest {

  static Stream<Arguments> nltkCases() throws Exception {
    JsonNode root;
    try (InputStream in = BleuTest.class.getResourceAsStream("bleu-nltk.json")) {
      root = new ObjectMapper().readTree(in);
    }
    assertThat(root.get("nltk_version").asText()).isEqualTo("3.8");
    List<Arguments> cases = new ArrayList<>();
    for (JsonNode c : root.get("cases")) {
      List<List<List<String>>> refs = new ArrayList<>();
      for (JsonNode set : c.get("references")) {
        List<List<String>> r = new ArrayList<>();
        set.forEach(ref -> r.add(tokens(ref)));
        refs.add(r);
      }
      List<List<String>> hyps = new ArrayList<>();
      c.get("hypotheses").forEach(h -> hyps.add(tokens(h)));
      cases.add(Arguments.of(c.get("name").asText(), refs, hyps, c.get("nltk").asDouble()));
    }
    return cases.stream();
  }

  private static List<String> tokens(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(t -> out.add(t.asText()));
    return out;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("nltkCases")
  void corpusBleuMatchesNltk(String name, List<List<List<String>>> refs, List<List<String>> hyps,
      double nltk) {
    double ours = Bleu.corpus(refs, hyps);
    if (nltk < 1e-100) {
      // method0 values such as 5.9e-155: compare relatively, an absolute 1e-12 would pass 0.
      assertThat(ours).isCloseTo(nltk, within(1e-12 * Math.max(nltk, Double.MIN_NORMAL)));
    } else {
      assertThat(ours).isCloseTo(nltk, within(1e-12));
    }
  }

  @Test
  void papineniExampleIsNltksValue() throws Exception {
    Arguments papineni = nltkCases().filter(a -> a.get()[0].equals("papineni three references"))
        .findFirst().orElseThrow();
    @SuppressWarnings("unchecked")
    double ours = Bleu.corpus((List<List<List<String>>>) papineni.get()[1],
        (List<List<String>>) papineni.get()[2]);
    assertThat(ours).isCloseTo(0.5045666840058485, within(1e-12));
  }

  @Test
  void brevityPenaltyFollowsTheDefinition() {
    assertThat(Bleu.brevityPenalty(10, 11)).isEqualTo(1.0);
    assertThat(Bleu.brevityPenalty(10, 10)).isEqualTo(1.0);
    assertThat(Bleu.brevityPenalty(10, 0)).isEqualTo(0.0);
    assertThat(Bleu.brevityPenalty(10, 5)).isCloseTo(Math.exp(-1), within(1e-15));
  }

  @Test
  void mismatchedSizesAreRejectedWithTheCounts() {
    assertThatThrownBy(() -> Bleu.corpus(List.of(), List.of(List.of("a"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("0 reference sets for 1 hypotheses");
  }
}
