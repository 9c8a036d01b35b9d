package io.github.dl4jsn.examples.translation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.StringReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** DDTP parsing, deduplication, the split by description, tokenizer and vocabularies. */
class DataPipelineTest {

  @TempDir Path dir;

  private static final String EN = """
      Package: orca
      Description-md5: aaa
      Description-en: Scriptable screen reader
       Orca is a scriptable screen reader.

      Package: libfoo1
      Description-md5: bbb
      Description-en: shared library for foo
       Long text.
       .
       More text.

      Package: only-english
      Description-md5: ccc
      Description-en: nobody translated this
      """;

  private static final String FR = """
      Package: orca
      Description-md5: aaa
      Description-fr: lecteur d’écran scriptable
       Orca est un lecteur d'écran.

      Package: libfoo1
      Description-md5: bbb
      Description-fr: bibliothèque partagée pour foo
      """;

  @Test
  void shortDescriptionsAreKeyedByDescriptionMd5() throws Exception {
    Map<String, String> en = Ddtp.shortDescriptions(new StringReader(EN));
    assertThat(en).containsExactly(Map.entry("aaa", "Scriptable screen reader"),
        Map.entry("bbb", "shared library for foo"), Map.entry("ccc", "nobody translated this"));
  }

  @Test
  void pairsJoinBothLanguagesOnTheMd5() throws Exception {
    java.nio.file.Files.writeString(dir.resolve("en"), EN);
    java.nio.file.Files.writeString(dir.resolve("fr"), FR);
    List<ParallelCorpus.Pair> pairs = Ddtp.shortPairs(dir.resolve("en"), dir.resolve("fr"));
    assertThat(pairs).containsExactly(
        new ParallelCorpus.Pair("aaa", "Scriptable screen reader", "lecteur d’écran scriptable"),
        new ParallelCorpus.Pair("bbb", "shared library for foo",
            "bibliothèque partagée pour foo"));
  }

  @Test
  void tokenizerLowercasesSplitsPunctuationAndFrenchElision() {
    assertThat(Tokenizer.tokenize("Scriptable screen reader"))
        .containsExactly("scriptable", "screen", "reader");
    assertThat(Tokenizer.tokenize("lecteur d’écran scriptable"))
        .containsExactly("lecteur", "d'", "écran", "scriptable");
    assertThat(Tokenizer.tokenize("Qu'il utilise l'API (X.org, UTF-8, GTK+).")).containsExactly(
        "qu'", "il", "utilise", "l'", "api", "(", "x.org", ",", "utf-8", ",", "gtk+", ")", ".");
    assertThat(Tokenizer.tokenize("« module » aujourd'hui")).containsExactly(
        "«", "module", "»", "aujourd", "'", "hui");
  }

  @Test
  void deduplicationDropsPairsWithTheSameTokens() {
    List<ParallelCorpus.Pair> pairs = List.of(
        new ParallelCorpus.Pair("1", "Transitional package", "paquet de transition"),
        new ParallelCorpus.Pair("2", "transitional  package", "Paquet de transition"),
        new ParallelCorpus.Pair("3", "transitional package", "paquet transitionnel"));
    assertThat(ParallelCorpus.deduplicate(pairs)).extracting(ParallelCorpus.Pair::id)
        .containsExactly("1", "3");
  }

  @Test
  void splitKeepsDescriptionsAndSourcesTogetherAndIsFixedBySeed() {
    List<ParallelCorpus.Pair> pairs = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      pairs.add(new ParallelCorpus.Pair("d" + i, "source " + i, "cible " + i));
    }
    // Same English text under another description and another French text: must stay together.
    pairs.add(new ParallelCorpus.Pair("x", "source 7", "autre cible 7"));
    ParallelCorpus.Split a = ParallelCorpus.split(pairs, 0.1, 0.2, 5);
    ParallelCorpus.Split b = ParallelCorpus.split(pairs, 0.1, 0.2, 5);
    ParallelCorpus.Split c = ParallelCorpus.split(pairs, 0.1, 0.2, 6);
    assertThat(a).isEqualTo(b);
    assertThat(a.test()).isNotEqualTo(c.test());
    assertThat(a.train().size() + a.valid().size() + a.test().size()).isEqualTo(201);
    assertThat(a.valid().size()).isBetween(20, 21);
    assertThat(a.test().size()).isBetween(40, 41);
    for (List<ParallelCorpus.Pair> s : List.of(a.train(), a.valid(), a.test())) {
      Set<String> sources = new HashSet<>();
      s.forEach(p -> sources.add(p.source()));
      for (List<ParallelCorpus.Pair> other : List.of(a.train(), a.valid(), a.test())) {
        if (other != s) {
          assertThat(other).noneMatch(p -> sources.contains(p.source()));
        }
      }
    }
  }

  @Test
  void badSplitFractionsAreRejectedWithTheValues() {
    assertThatThrownBy(() -> ParallelCorpus.split(List.of(), 0.5, 0.5, 1))
        .hasMessageContaining("got 0.5 and 0.5");
  }

  @Test
  void splitsRoundTripThroughTsv() throws Exception {
    List<ParallelCorpus.Pair> pairs = List.of(new ParallelCorpus.Pair("a", "x\ty", "z"));
    ParallelCorpus.write(pairs, dir.resolve("p.tsv"));
    assertThat(ParallelCorpus.read(dir.resolve("p.tsv")))
        .containsExactly(new ParallelCorpus.Pair("a", "x y", "z"));
  }

  @Test
  void vocabularyKeepsTopKBySpecialsFirstAndMapsTheRestToUnk() {
    List<List<String>> sentences = List.of(List.of("b", "a", "c"), List.of("a", "b"),
        List.of("a", "d"));
    Vocabulary v = Vocabulary.build(sentences, 2);
    assertThat(v.words()).containsExactly("<pad>", "<unk>", "<eos>", "a", "b");
    assertThat(v.encode(List.of("a", "c", "b"))).containsExactly(3, Vocabulary.UNK, 4);
    assertThat(Vocabulary.of(v.words()).words()).isEqualTo(v.words());
    assertThatThrownBy(() -> Vocabulary.build(sentences, 0)).hasMessageContaining("got 0");
  }

  @Test
  void examplesReverseTheSourceAndEndEverySentenceWithEos() {
    Vocabulary src = Vocabulary.of(List.of("<pad>", "<unk>", "<eos>", "a", "b", "c"));
    Vocabulary tgt = Vocabulary.of(List.of("<pad>", "<unk>", "<eos>", "x", "y"));
    Example rev = Example.of(List.of("a", "b", "c"), List.of("x", "y", "z"), src, tgt, true, 10);
    assertThat(rev.source()).containsExactly(5, 4, 3, Vocabulary.EOS);
    assertThat(rev.target()).containsExactly(3, 4, Vocabulary.UNK, Vocabulary.EOS);
    Example fwd = Example.of(List.of("a", "b", "c"), List.of("x"), src, tgt, false, 2);
    assertThat(fwd.source()).containsExactly(3, 4, Vocabulary.EOS);
  }

  @Test
  void minibatchesPadOnTheRightWithMasksAndShiftTheTarget() {
    Example a = new Example(new int[] {5, 4, 2}, new int[] {3, 4, 2});
    Example b = new Example(new int[] {6, 2}, new int[] {7, 2});
    org.nd4j.linalg.dataset.api.MultiDataSet m = Example.toMultiDataSet(List.of(a, b));
    assertThat(m.getFeatures(0).ravel().toFloatVector()).containsExactly(5, 4, 2, 6, 2, 0);
    assertThat(m.getFeaturesMaskArray(0).ravel().toFloatVector()).containsExactly(1, 1, 1, 1, 1, 0);
    assertThat(m.getFeatures(1).ravel().toFloatVector()).containsExactly(2, 3, 4, 2, 7, 0);
    assertThat(m.getLabels(0).ravel().toFloatVector()).containsExactly(3, 4, 2, 7, 2, 0);
    assertThat(m.getLabelsMaskArray(0).ravel().toFloatVector()).containsExactly(1, 1, 1, 1, 1, 0);
  }

  @Test
  void rareWordStepAlignsUnknownsInOrderUsingTheDictionaryOrIdentity() {
    Vocabulary src = Vocabulary.of(List.of("<pad>", "<unk>", "<eos>", "library", "for"));
    List<List<String>> sources = List.of(List.of("library", "for", "pictures"),
        List.of("pictures", "library"), List.of("library", "for", "zorblax"));
    List<List<String>> targets = List.of(List.of("bibliothèque", "pour", "images"),
        List.of("images", "bibliothèque"), List.of("bibliothèque", "pour", "zorblax"));
    RareWords rare = RareWords.learn(sources, targets, src);
    // "pictures" occurs in 2 pairs, both with "images" (Dice 2*2/(2+2) = 1) and "bibliothèque"
    // (Dice 2*2/(2+3) = 0.8); "zorblax" occurs once, so it has no entry and is copied.
    assertThat(rare.translate("pictures")).isEqualTo("images");
    assertThat(rare.translate("zorblax")).isEqualTo("zorblax");
    assertThat(rare.size()).isEqualTo(1);
    assertThat(rare.replace(List.of("<unk>", "pour", "<unk>", "<unk>"),
        List.of("pictures", "for", "qux"), src)).containsExactly("images", "pour", "qux");
    assertThat(RareWords.identity().replace(List.of("a", "<unk>"), List.of("library"), src))
        .containsExactly("a");
  }

  @Test
  void longDescriptionsSplitIntoParagraphsAndPairOnlyWhenTheCountsMatch() throws Exception {
    String fr = FR.replace(" Orca est un lecteur d'écran.\n", " Orca est un lecteur\n d'écran.\n")
        .replace("Description-fr: bibliothèque partagée pour foo\n",
            "Description-fr: bibliothèque partagée pour foo\n Texte long.\n .\n Plus.\n");
    Map<String, List<String>> en = Ddtp.longDescriptions(new StringReader(EN));
    assertThat(en.get("bbb")).containsExactly("Long text.", "More text.");
    assertThat(en.get("ccc")).isEmpty();
    assertThat(Ddtp.longDescriptions(new StringReader(fr)).get("aaa"))
        .containsExactly("Orca est un lecteur d'écran.");
    java.nio.file.Files.writeString(dir.resolve("en"), EN);
    java.nio.file.Files.writeString(dir.resolve("fr"), fr);
    // aaa has one paragraph in both languages; only the md5s asked for are paired.
    assertThat(Ddtp.longDescriptions(new StringReader(EN)).get("aaa")).hasSize(1);
    List<ParallelCorpus.Pair> pairs = Ddtp.paragraphPairs(dir.resolve("en"), dir.resolve("fr"),
        List.of("bbb", "ccc"));
    assertThat(pairs).containsExactly(
        new ParallelCorpus.Pair("bbb#0", "Long text.", "Texte long."),
        new ParallelCorpus.Pair("bbb#1", "More text.", "Plus."));
    // A description whose paragraph counts differ gives no pairs.
    java.nio.file.Files.writeString(dir.resolve("fr"), FR);
    assertThat(Ddtp.paragraphPairs(dir.resolve("en"), dir.resolve("fr"), List.of("bbb")))
        .isEmpty();
  }

  @Test
  void dictionaryLearnsOnlyTheWantedWordsWithTheSameEntries() {
    List<List<String>> sources = List.of(List.of("library", "for", "pictures"),
        List.of("pictures", "library"), List.of("library", "for", "zorblax"));
    List<List<String>> targets = List.of(List.of("bibliothèque", "pour", "images"),
        List.of("images", "bibliothèque"), List.of("bibliothèque", "pour", "zorblax"));
    RareWords all = RareWords.learn(sources, targets, w -> true);
    RareWords some = RareWords.learn(sources, targets, Set.of("pictures")::contains);
    assertThat(all.entries()).containsEntry("pictures", "images")
        .containsEntry("library", "bibliothèque").containsEntry("for", "pour");
    assertThat(some.entries()).containsExactly(Map.entry("pictures", "images"));
    assertThatThrownBy(() -> RareWords.learn(sources, targets.subList(0, 2), w -> true))
        .hasMessageContaining("3 source sentences but 2 target sentences");
  }
}
