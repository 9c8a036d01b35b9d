package io.github.dl4jsn.examples.translation;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A word vocabulary: the special tokens {@code <pad>} (0), {@code <unk>} (1), {@code <eos>} (2),
 * then the K most frequent words of the training data, ties broken alphabetically.
 */
public final class Vocabulary implements Serializable {

  private static final long serialVersionUID = 1L;

  /** Padding index; masked out everywhere. */
  public static final int PAD = 0;
  /** Index of the unknown-word token that replaces every word outside the vocabulary. */
  public static final int UNK = 1;
  /** Index of the end-of-sentence token, appended to every sentence. */
  public static final int EOS = 2;
  /** The special tokens, in index order. */
  public static final List<String> SPECIALS = List.of("<pad>", "<unk>", "<eos>");

  private final ArrayList<String> words;
  private transient Map<String, Integer> index;

  private Vocabulary(List<String> words) {
    this.words = new ArrayList<>(words);
  }

  /**
   * The vocabulary of the {@code topK} most frequent tokens of {@code sentences}.
   *
   * @param sentences tokenized sentences
   * @param topK how many words besides the special tokens; must be >= 1
   */
  public static Vocabulary build(Collection<List<String>> sentences, int topK) {
    if (topK < 1) {
      throw new IllegalArgumentException("vocabulary size must be >= 1, got " + topK);
    }
    Map<String, Integer> counts = new HashMap<>();
    for (List<String> s : sentences) {
      for (String w : s) {
        counts.merge(w, 1, Integer::sum);
      }
    }
    List<Map.Entry<String, Integer>> entries = new ArrayList<>(counts.entrySet());
    entries.sort(Map.Entry.<String, Integer>comparingByValue().reversed()
        .thenComparing(Map.Entry.comparingByKey()));
    List<String> words = new ArrayList<>(SPECIALS);
    for (int i = 0; i < Math.min(topK, entries.size()); i++) {
      if (!SPECIALS.contains(entries.get(i).getKey())) {
        words.add(entries.get(i).getKey());
      }
    }
    return new Vocabulary(words);
  }

  /** The vocabulary with exactly these words (specials first), e.g. as read back from a file. */
  public static Vocabulary of(List<String> words) {
    if (words.size() < SPECIALS.size() || !words.subList(0, 3).equals(SPECIALS)) {
      throw new IllegalArgumentException("a vocabulary must start with " + SPECIALS + ", got "
          + words.subList(0, Math.min(3, words.size())));
    }
    return new Vocabulary(words);
  }

  /** Number of entries, specials included. */
  public int size() {
    return words.size();
  }

  /** The words, specials first. */
  public List<String> words() {
    return Collections.unmodifiableList(words);
  }

  /** The index of {@code word}, or {@link #UNK}. */
  public int indexOf(String word) {
    Integer i = index().get(word);
    return i == null ? UNK : i;
  }

  /** Whether {@code word} has its own entry. */
  public boolean contains(String word) {
    return index().containsKey(word);
  }

  /** The word at {@code i}. */
  public String word(int i) {
    return words.get(i);
  }

  /** The indices of {@code tokens}, unknown words as {@link #UNK}. */
  public int[] encode(List<String> tokens) {
    int[] out = new int[tokens.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = indexOf(tokens.get(i));
    }
    return out;
  }

  private Map<String, Integer> index() {
    if (index == null) {
      Map<String, Integer> m = new HashMap<>();
      for (int i = 0; i < words.size(); i++) {
        m.put(words.get(i), i);
      }
      index = m;
    }
    return index;
  }
}
