package io.github.dl4jsn.examples.translation;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.nd4j.shade.jackson.databind.ObjectMapper;
import org.nd4j.shade.jackson.databind.SerializationFeature;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The corpus on disk: {@code DIR/Translation-en} and {@code DIR/Translation-fr} as fetched by
 * {@code scripts/fetch-ddtp.sh}, and the prepared splits {@code DIR/short/{train,valid,test}.tsv}
 * with their sizes in {@code DIR/short/splits.json}.
 */
public final class TranslationData {

  private static final Logger log = LoggerFactory.getLogger(TranslationData.class);

  /** Fraction of descriptions in the validation split. */
  public static final double VALID_FRACTION = 0.05;
  /** Fraction of descriptions in the test split. */
  public static final double TEST_FRACTION = 0.10;

  private TranslationData() {}

  /** The prepared splits folder of a data folder. */
  public static Path splitsDir(Path data) {
    return data.resolve("short");
  }

  /**
   * Prepares the splits unless present: pairs the short descriptions, deduplicates, splits by
   * description with {@code seed}, writes the TSV files and splits.json, and returns the sizes.
   */
  public static Map<String, Object> prepare(Path data, long seed, boolean force)
      throws IOException {
    Path dir = splitsDir(data);
    Path sizes = dir.resolve("splits.json");
    if (!force && Files.exists(sizes) && Files.exists(dir.resolve("test.tsv"))) {
      @SuppressWarnings("unchecked")
      Map<String, Object> m = new ObjectMapper().readValue(sizes.toFile(), Map.class);
      return m;
    }
    Path en = data.resolve("Translation-en");
    Path fr = data.resolve("Translation-fr");
    if (!Files.isRegularFile(en) || !Files.isRegularFile(fr)) {
      throw new IOException("No DDTP files in " + data.toAbsolutePath() + " (need Translation-en"
          + " and Translation-fr): run scripts/fetch-ddtp.sh first");
    }
    List<ParallelCorpus.Pair> pairs = Ddtp.shortPairs(en, fr);
    List<ParallelCorpus.Pair> unique = ParallelCorpus.deduplicate(pairs);
    ParallelCorpus.Split split = ParallelCorpus.split(unique, VALID_FRACTION, TEST_FRACTION, seed);
    Files.createDirectories(dir);
    ParallelCorpus.write(split.train(), dir.resolve("train.tsv"));
    ParallelCorpus.write(split.valid(), dir.resolve("valid.tsv"));
    ParallelCorpus.write(split.test(), dir.resolve("test.tsv"));
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("pairedDescriptions", pairs.size());
    m.put("uniquePairs", unique.size());
    m.put("seed", seed);
    m.put("train", split.train().size());
    m.put("valid", split.valid().size());
    m.put("test", split.test().size());
    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(sizes.toFile(), m);
    log.info("Prepared {}: {}", dir, m);
    return m;
  }

  /** Reads one prepared split: train, valid or test. */
  public static List<ParallelCorpus.Pair> read(Path data, String split) throws IOException {
    Path file = splitsDir(data).resolve(split + ".tsv");
    if (!Files.isRegularFile(file)) {
      throw new IOException("No split file " + file.toAbsolutePath() + ": run the 'prepare' or "
          + "'train' command on the DDTP folder first");
    }
    return ParallelCorpus.read(file);
  }

  /**
   * The paragraph pairs of the training descriptions' long descriptions
   * ({@link Ddtp#paragraphPairs}, for the {@code Description-md5}s of the train split only, so
   * nothing of a validation or test description is used), cached in
   * {@code DIR/short/train-paragraphs.tsv}; read from the DDTP files when the cache is missing.
   *
   * @throws IOException when neither the cache nor the DDTP files exist
   */
  public static List<ParallelCorpus.Pair> trainParagraphs(Path data) throws IOException {
    Path file = splitsDir(data).resolve("train-paragraphs.tsv");
    if (Files.isRegularFile(file)) {
      return ParallelCorpus.read(file);
    }
    Path en = data.resolve("Translation-en");
    Path fr = data.resolve("Translation-fr");
    if (!Files.isRegularFile(en) || !Files.isRegularFile(fr)) {
      throw new IOException("No " + file.toAbsolutePath() + " and no DDTP files in "
          + data.toAbsolutePath() + " to make it from: run scripts/fetch-ddtp.sh first");
    }
    List<String> md5s = new ArrayList<>();
    for (ParallelCorpus.Pair p : read(data, "train")) {
      md5s.add(p.id());
    }
    List<ParallelCorpus.Pair> pairs = Ddtp.paragraphPairs(en, fr, md5s);
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    ParallelCorpus.write(pairs, tmp);
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    log.info("Wrote {} ({} paragraph pairs of {} training descriptions)", file, pairs.size(),
        md5s.size());
    return pairs;
  }

  /**
   * The rare-word dictionary learned from the training short descriptions and the training
   * descriptions' paragraph pairs ({@link #trainParagraphs}), for the given source words that are
   * outside {@code srcVocab}. The short descriptions alone give no entries once the vocabulary
   * holds every word seen twice; the paragraphs add pairs for words the short training
   * descriptions never show.
   */
  public static RareWords paragraphDictionary(Path data, Vocabulary srcVocab,
      Collection<String> words) throws IOException {
    Set<String> wanted = new HashSet<>();
    for (String w : words) {
      if (!srcVocab.contains(w)) {
        wanted.add(w);
      }
    }
    List<List<String>> src = new ArrayList<>();
    List<List<String>> tgt = new ArrayList<>();
    List<ParallelCorpus.Pair> all = new ArrayList<>(read(data, "train"));
    all.addAll(trainParagraphs(data));
    for (ParallelCorpus.Pair p : all) {
      src.add(Tokenizer.tokenize(p.source()));
      tgt.add(Tokenizer.tokenize(p.target()));
    }
    return RareWords.learn(src, tgt, wanted::contains);
  }
}
