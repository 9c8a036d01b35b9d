package io.github.dl4jsn.examples.translation;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * Reader of Debian's translated package descriptions (DDTP): apt's {@code Translation-xx} index
 * files, stanzas of {@code Package}, {@code Description-md5} and {@code Description-xx} (the short
 * description on the field's line, the long one on the continuation lines).
 */
public final class Ddtp {

  private Ddtp() {}

  /**
   * The short descriptions of a Translation file, by {@code Description-md5} (the md5 of the
   * English original, shared by every translation of it).
   */
  public static Map<String, String> shortDescriptions(Reader reader) throws IOException {
    Map<String, String> out = new LinkedHashMap<>();
    BufferedReader in = new BufferedReader(reader);
    String md5 = null;
    String line;
    while ((line = in.readLine()) != null) {
      if (line.startsWith("Description-md5:")) {
        md5 = line.substring(line.indexOf(':') + 1).trim();
      } else if (line.startsWith("Description-") && md5 != null) {
        String text = line.substring(line.indexOf(':') + 1).trim();
        if (!text.isEmpty()) {
          out.putIfAbsent(md5, text);
        }
        md5 = null;
      } else if (line.isEmpty()) {
        md5 = null;
      }
    }
    return out;
  }

  /**
   * English-French pairs of short descriptions that share a {@code Description-md5}, in the order
   * of the French file; the id of each pair is that md5.
   */
  public static List<ParallelCorpus.Pair> shortPairs(Path english, Path french)
      throws IOException {
    Map<String, String> en;
    Map<String, String> fr;
    try (Reader r = Files.newBufferedReader(english, StandardCharsets.UTF_8)) {
      en = shortDescriptions(r);
    }
    try (Reader r = Files.newBufferedReader(french, StandardCharsets.UTF_8)) {
      fr = shortDescriptions(r);
    }
    List<ParallelCorpus.Pair> pairs = new ArrayList<>();
    for (Map.Entry<String, String> e : fr.entrySet()) {
      String source = en.get(e.getKey());
      if (source != null) {
        pairs.add(new ParallelCorpus.Pair(e.getKey(), source, e.getValue()));
      }
    }
    return pairs;
  }

  /**
   * The long descriptions of a Translation file, by {@code Description-md5}, as paragraphs: the
   * continuation lines (those starting with a space) after the {@code Description-xx} line, joined
   * with spaces, split at the {@code " ."} lines that separate paragraphs. Empty paragraphs are
   * dropped.
   */
  public static Map<String, List<String>> longDescriptions(Reader reader) throws IOException {
    Map<String, List<String>> out = new LinkedHashMap<>();
    BufferedReader in = new BufferedReader(reader);
    String md5 = null;
    List<String> paragraphs = null;
    StringBuilder current = new StringBuilder();
    String line;
    while ((line = in.readLine()) != null) {
      if (line.startsWith(" ") && paragraphs != null) {
        String text = line.trim();
        if (text.equals(".")) {
          flush(current, paragraphs);
        } else if (!text.isEmpty()) {
          current.append(current.length() == 0 ? "" : " ").append(text);
        }
        continue;
      }
      if (paragraphs != null) {
        flush(current, paragraphs);
        paragraphs = null;
      }
      if (line.startsWith("Description-md5:")) {
        md5 = line.substring(line.indexOf(':') + 1).trim();
      } else if (line.startsWith("Description-") && md5 != null) {
        if (!out.containsKey(md5)) {
          paragraphs = new ArrayList<>();
          out.put(md5, paragraphs);
        }
        md5 = null;
      } else if (line.isEmpty()) {
        md5 = null;
      }
    }
    if (paragraphs != null) {
      flush(current, paragraphs);
    }
    return out;
  }

  private static void flush(StringBuilder current, List<String> paragraphs) {
    if (current.length() > 0) {
      paragraphs.add(current.toString());
      current.setLength(0);
    }
  }

  /**
   * English-French pairs of long-description paragraphs for the given {@code Description-md5}s:
   * the k-th English paragraph with the k-th French one, for descriptions whose English and French
   * texts have the same number of paragraphs (others are skipped, since their paragraphs cannot be
   * matched by position). The id of each pair is {@code md5#k}.
   */
  public static List<ParallelCorpus.Pair> paragraphPairs(Path english, Path french,
      Collection<String> md5s) throws IOException {
    Map<String, List<String>> en;
    Map<String, List<String>> fr;
    try (Reader r = Files.newBufferedReader(english, StandardCharsets.UTF_8)) {
      en = longDescriptions(r);
    }
    try (Reader r = Files.newBufferedReader(french, StandardCharsets.UTF_8)) {
      fr = longDescriptions(r);
    }
    List<ParallelCorpus.Pair> pairs = new ArrayList<>();
    for (String md5 : new LinkedHashSet<>(md5s)) {
      List<String> e = en.get(md5);
      List<String> f = fr.get(md5);
      if (e == null || f == null || e.size() != f.size()) {
        continue;
      }
      for (int k = 0; k < e.size(); k++) {
        pairs.add(new ParallelCorpus.Pair(md5 + "#" + k, e.get(k), f.get(k)));
      }
    }
    return pairs;
  }
}
