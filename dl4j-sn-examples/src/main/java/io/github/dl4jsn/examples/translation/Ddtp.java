package io.github.dl4jsn.examples.translation;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
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
}
