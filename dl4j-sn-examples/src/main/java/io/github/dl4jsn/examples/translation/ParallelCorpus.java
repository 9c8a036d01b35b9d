package io.github.dl4jsn.examples.translation;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * A parallel corpus: English-French sentence pairs, deduplicated and split into train, valid and
 * test sets by description.
 */
public final class ParallelCorpus {

  /**
   * One sentence pair.
   *
   * @param id the description it comes from (DDTP's Description-md5)
   * @param source the English sentence, raw text
   * @param target the French sentence, raw text
   */
  public record Pair(String id, String source, String target) {}

  /** The three splits. */
  public record Split(List<Pair> train, List<Pair> valid, List<Pair> test) {}

  private ParallelCorpus() {}

  /**
   * The pairs without repeats: a pair whose tokenized source and target both equal those of an
   * earlier pair is dropped (many packages share one description text).
   */
  public static List<Pair> deduplicate(List<Pair> pairs) {
    Set<String> seen = new LinkedHashSet<>();
    List<Pair> out = new ArrayList<>();
    for (Pair p : pairs) {
      String key = String.join(" ", Tokenizer.tokenize(p.source())) + "\t"
          + String.join(" ", Tokenizer.tokenize(p.target()));
      if (seen.add(key)) {
        out.add(p);
      }
    }
    return out;
  }

  /**
   * Splits pairs by description: the distinct descriptions (ids) are shuffled with {@code seed}
   * and the first {@code validFraction} and the next {@code testFraction} of them go to valid and
   * test, the rest to train, so that no description has pairs in two splits. Pairs with the same
   * tokenized English text are also kept together (their first id decides), so a test source
   * sentence never appears verbatim in training.
   */
  public static Split split(List<Pair> pairs, double validFraction, double testFraction,
      long seed) {
    if (!(validFraction >= 0 && testFraction >= 0 && validFraction + testFraction < 1)) {
      throw new IllegalArgumentException("valid and test fractions must be >= 0 with sum < 1, got "
          + validFraction + " and " + testFraction);
    }
    Map<String, String> groupOfSource = new LinkedHashMap<>();
    Map<String, List<Pair>> groups = new LinkedHashMap<>();
    for (Pair p : pairs) {
      String src = String.join(" ", Tokenizer.tokenize(p.source()));
      String group = groupOfSource.computeIfAbsent(src, s -> p.id());
      groups.computeIfAbsent(group, g -> new ArrayList<>()).add(p);
    }
    List<String> ids = new ArrayList<>(groups.keySet());
    Collections.sort(ids);
    Collections.shuffle(ids, new Random(seed));
    int nValid = (int) Math.round(validFraction * ids.size());
    int nTest = (int) Math.round(testFraction * ids.size());
    List<Pair> valid = new ArrayList<>();
    List<Pair> test = new ArrayList<>();
    List<Pair> train = new ArrayList<>();
    for (int i = 0; i < ids.size(); i++) {
      List<Pair> target = i < nValid ? valid : i < nValid + nTest ? test : train;
      target.addAll(groups.get(ids.get(i)));
    }
    return new Split(train, valid, test);
  }

  /** Writes pairs as UTF-8 lines {@code id TAB source TAB target}. */
  public static void write(List<Pair> pairs, Path file) throws IOException {
    try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      for (Pair p : pairs) {
        w.write(p.id() + "\t" + clean(p.source()) + "\t" + clean(p.target()));
        w.newLine();
      }
    }
  }

  /** Reads pairs written by {@link #write}. */
  public static List<Pair> read(Path file) throws IOException {
    List<Pair> out = new ArrayList<>();
    int n = 0;
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      n++;
      String[] f = line.split("\t", -1);
      if (f.length != 3) {
        throw new IOException(file + " line " + n + ": expected id, source and target separated"
            + " by tabs, got " + f.length + " fields");
      }
      out.add(new Pair(f[0], f[1], f[2]));
    }
    return out;
  }

  private static String clean(String s) {
    return s.replace('\t', ' ').replace('\n', ' ');
  }
}
