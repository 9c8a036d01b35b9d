package io.github.dl4jsn.examples.translation;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * The rare-word step: replaces each {@code <unk>} in a translation by a translation of the source
 * word it is aligned to.
 *
 * <p>Alignment rule: the k-th {@code <unk>} of the output (left to right) is aligned to the k-th
 * source word outside the source vocabulary, in the original (unreversed) source order. An
 * {@code <unk>} with no such source word left is deleted. The aligned word is replaced by its
 * dictionary entry if it has one, else by itself (identity: names, versions, acronyms).
 *
 * <p>Dictionary: learned from the training pairs for the source words outside the source
 * vocabulary that occur in at least 2 training pairs. For such a word s, the entry is the target
 * word t maximizing the Dice coefficient 2 c(s,t) / (c(s) + c(t)), where c counts training pairs
 * containing the word(s), among the t with c(s,t) >= 2 and Dice >= 0.5; ties go to the larger
 * c(s,t), then alphabetically. Words without such a t have no entry.
 */
public final class RareWords implements Serializable {

  private static final long serialVersionUID = 1L;

  private final HashMap<String, String> dictionary;

  private RareWords(HashMap<String, String> dictionary) {
    this.dictionary = dictionary;
  }

  /** Identity only: every aligned source word is copied. */
  public static RareWords identity() {
    return new RareWords(new HashMap<>());
  }

  /**
   * Learns the dictionary from tokenized training pairs.
   *
   * @param sources tokenized source sentences
   * @param targets tokenized target sentences, aligned with {@code sources}
   * @param srcVocab the source vocabulary: entries are learned for words outside it
   */
  public static RareWords learn(List<List<String>> sources, List<List<String>> targets,
      Vocabulary srcVocab) {
    return learn(sources, targets, s -> !srcVocab.contains(s));
  }

  /**
   * Learns dictionary entries, by the rule above, for the source words that {@code wanted}
   * accepts. An entry depends only on the pairs, not on which other words are wanted, so learning
   * for the words of the sentences at hand gives those words the entries a full dictionary would.
   *
   * @param sources tokenized source sentences
   * @param targets tokenized target sentences, aligned with {@code sources}
   * @param wanted the source words to learn entries for
   */
  public static RareWords learn(List<List<String>> sources, List<List<String>> targets,
      Predicate<String> wanted) {
    if (sources.size() != targets.size()) {
      throw new IllegalArgumentException("RareWords.learn: " + sources.size()
          + " source sentences but " + targets.size() + " target sentences");
    }
    Map<String, Integer> cs = new HashMap<>();
    Map<String, Integer> ct = new HashMap<>();
    Map<String, Map<String, Integer>> cst = new HashMap<>();
    for (int i = 0; i < sources.size(); i++) {
      Set<String> tgt = new HashSet<>(targets.get(i));
      tgt.forEach(t -> ct.merge(t, 1, Integer::sum));
      for (String s : new HashSet<>(sources.get(i))) {
        if (!wanted.test(s)) {
          continue;
        }
        cs.merge(s, 1, Integer::sum);
        Map<String, Integer> row = cst.computeIfAbsent(s, k -> new HashMap<>());
        tgt.forEach(t -> row.merge(t, 1, Integer::sum));
      }
    }
    HashMap<String, String> dict = new HashMap<>();
    for (Map.Entry<String, Map<String, Integer>> e : cst.entrySet()) {
      int nS = cs.get(e.getKey());
      if (nS < 2) {
        continue;
      }
      String best = null;
      double bestDice = 0.5;
      int bestCount = 0;
      for (Map.Entry<String, Integer> t : e.getValue().entrySet()) {
        int n = t.getValue();
        if (n < 2) {
          continue;
        }
        double dice = 2.0 * n / (nS + ct.get(t.getKey()));
        boolean better = dice > bestDice || (dice == bestDice && (best == null || n > bestCount
            || (n == bestCount && t.getKey().compareTo(best) < 0)));
        if (dice >= 0.5 && better) {
          best = t.getKey();
          bestDice = dice;
          bestCount = n;
        }
      }
      if (best != null) {
        dict.put(e.getKey(), best);
      }
    }
    return new RareWords(dict);
  }

  /** The dictionary entry for {@code word}, or {@code word} itself. */
  public String translate(String word) {
    return dictionary.getOrDefault(word, word);
  }

  /** The dictionary entries (source word to target word), sorted by source word. */
  public SortedMap<String, String> entries() {
    return new TreeMap<>(dictionary);
  }

  /** Number of dictionary entries. */
  public int size() {
    return dictionary.size();
  }

  /**
   * The output with each {@code <unk>} replaced by the rule above.
   *
   * @param output decoded target tokens (no {@code <eos>})
   * @param source the tokenized source sentence, original order
   * @param srcVocab the source vocabulary
   */
  public List<String> replace(List<String> output, List<String> source, Vocabulary srcVocab) {
    List<String> unknown = new ArrayList<>();
    for (String s : source) {
      if (!srcVocab.contains(s)) {
        unknown.add(s);
      }
    }
    List<String> out = new ArrayList<>();
    int k = 0;
    for (String w : output) {
      if (!w.equals(Vocabulary.SPECIALS.get(Vocabulary.UNK))) {
        out.add(w);
      } else if (k < unknown.size()) {
        out.add(translate(unknown.get(k++)));
      }
    }
    return out;
  }
}
