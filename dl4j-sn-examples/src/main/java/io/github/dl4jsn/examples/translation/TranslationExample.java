package io.github.dl4jsn.examples.translation;

import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.shade.jackson.core.type.TypeReference;
import org.nd4j.shade.jackson.databind.ObjectMapper;
import org.nd4j.shade.jackson.databind.SerializationFeature;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * Sequence-to-sequence translation (Sutskever et al. 2014) of Debian package short descriptions,
 * English to French, with optional spectral normalization: {@code prepare}, {@code train},
 * {@code eval} and {@code translate}.
 */
@Command(
    name = "translation",
    mixinStandardHelpOptions = true,
    description = "LSTM encoder-decoder English-French translation on Debian's DDTP descriptions.",
    subcommands = {
        TranslationExample.Prepare.class,
        TranslationExample.Train.class,
        TranslationExample.Eval.class,
        TranslationExample.Gates.class,
        TranslationExample.Translate.class})
public final class TranslationExample implements Runnable {

  private static final Logger log = LoggerFactory.getLogger(TranslationExample.class);

  @Spec CommandLine.Model.CommandSpec spec;

  /** The encoder-decoder variants. */
  public enum Architecture {
    /** The paper's: the decoder LSTMs start from the encoder's final (h, c), layer by layer. */
    state,
    /** The DL4J graph idiom: the encoder's last output is fed to the decoder at every step. */
    output
  }

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** The command line with its subcommands. */
  public static CommandLine commandLine() {
    return new CommandLine(new TranslationExample()).setCaseInsensitiveEnumValuesAllowed(true);
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(),
        "Missing command: prepare, train, eval or translate");
  }

  /** Writes the train/valid/test splits of the DDTP short descriptions. */
  @Command(name = "prepare", mixinStandardHelpOptions = true,
      description = "Pair, deduplicate and split the DDTP short descriptions.")
  static final class Prepare implements Callable<Integer> {
    @Option(names = "--data", description = "DDTP folder (default: ${DEFAULT-VALUE}).")
    Path data = Path.of("data/ddtp");

    @Option(names = "--seed", description = "Split seed (default: ${DEFAULT-VALUE}).")
    long seed = 1;

    @Override
    public Integer call() throws IOException {
      Map<String, Object> sizes = TranslationData.prepare(data, seed, true);
      System.out.println("splits: " + sizes);
      return 0;
    }
  }

  /** Trains (or resumes training of) the encoder-decoder. */
  @Command(name = "train", mixinStandardHelpOptions = true,
      description = "Train the encoder-decoder; saves a checkpoint every epoch.")
  static final class Train implements Callable<Integer> {
    @Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--data", description = "DDTP folder (default: ${DEFAULT-VALUE}).")
    Path data = Path.of("data/ddtp");

    @Option(names = "--out", description = "Output folder (default: ${DEFAULT-VALUE}).")
    File out = new File("out/translation");

    @Option(names = "--resume", description = "Continue from OUT/model.zip if present.")
    boolean resume;

    @Option(names = "--architecture", description = "state (the paper's: decoder LSTMs start "
        + "from the encoder's final states; see --engine) or output (the encoder's last output fed "
        + "to every decoder step; DL4J graph) (default: ${DEFAULT-VALUE}).")
    Architecture architecture = Architecture.state;

    @Option(names = "--epochs", description = "Total epochs; 0: write OUT/model.zip with the "
        + "initial weights and stop (default: ${DEFAULT-VALUE}).")
    int epochs = 8;

    @Option(names = "--layers", description = "LSTM layers in encoder and decoder; the paper "
        + "used 4 (default: ${DEFAULT-VALUE}).")
    int layers = 1;

    @Option(names = "--hidden", description = "LSTM cells per layer; the paper used 1000 "
        + "(default: ${DEFAULT-VALUE}).")
    int hidden = 256;

    @Option(names = "--embedding", description = "Word embedding size; the paper used 1000 "
        + "(default: ${DEFAULT-VALUE}).")
    int embedding = 256;

    @Option(names = "--src-vocab", description = "Source words kept, besides <pad>, <unk>, "
        + "<eos> (default: ${DEFAULT-VALUE}).")
    int srcVocab = 6000;

    @Option(names = "--tgt-vocab", description = "Target words kept, besides <pad>, <unk>, "
        + "<eos> (default: ${DEFAULT-VALUE}).")
    int tgtVocab = 6000;

    @Option(names = "--reverse-source", negatable = true, defaultValue = "true",
        fallbackValue = "true",
        description = "Feed the source words in reverse order (default: on; "
            + "--no-reverse-source: forward).")
    boolean reverse = true;

    @Option(names = "--sn", description = "Spectral normalization of the LSTM weights (W, RW) "
        + "and the output layer.")
    boolean sn;

    @Option(names = "--sn-output", negatable = true, defaultValue = "true",
        fallbackValue = "true", description = "With --sn, also normalize the output layer "
            + "(default: on; --no-sn-output: the LSTMs only, the softmax layer stays free).")
    boolean snOutput = true;

    @Option(names = "--optimizer", description = "sgd (paper) or adam (default: "
        + "${DEFAULT-VALUE}).")
    Seq2SeqModel.Optimizer optimizer = Seq2SeqModel.Optimizer.sgd;

    @Option(names = "--lr", description = "Learning rate (default: ${DEFAULT-VALUE}; use about "
        + "0.001 with adam).")
    double lr = 0.7;

    @Option(names = "--halve-after", description = "SGD: epochs at full learning rate before "
        + "halving; the paper used 5 of 7.5 (default: ${DEFAULT-VALUE}).")
    double halveAfter = 5;

    @Option(names = "--halve-every", description = "SGD: epochs between halvings (default: "
        + "${DEFAULT-VALUE}).")
    double halveEvery = 0.5;

    @Option(names = "--clip", description = "Gradient L2 norm limit: of the whole gradient with "
        + "--architecture state, per layer with output (default: ${DEFAULT-VALUE}).")
    double clip = 5;

    @Option(names = "--batch-size", description = "Minibatch size (default: ${DEFAULT-VALUE}).")
    int batchSize = 64;

    @Option(names = "--dropout", description = "Architecture state: inverted dropout rate on "
        + "the embedded words, between stacked LSTM layers and before the output layer, in "
        + "training only; the paper used none (default: ${DEFAULT-VALUE}).")
    double dropout;

    @Option(names = "--engine", description = "Architecture state: how updates compute their "
        + "gradients, DIRECT (backpropagation through time with ND4J operations, about half the "
        + "operations) or SAMEDIFF (the training graph of each length bucket); the same maths "
        + "(default: ${DEFAULT-VALUE}).")
    StateSeq2SeqModel.Engine engine = StateSeq2SeqModel.Engine.DIRECT;

    @Option(names = "--max-len", description = "Words kept per sentence (default: "
        + "${DEFAULT-VALUE}).")
    int maxLen = 40;

    @Option(names = "--seed", description = "Random seed, also of the split (default: "
        + "${DEFAULT-VALUE}).")
    long seed = 1;

    @Option(names = "--log-every", description = "Progress every N minibatches (default: "
        + "${DEFAULT-VALUE}).")
    int logEvery = 50;

    @Option(names = "--valid-sentences", description = "Validation sentences decoded "
        + "greedily for BLEU after each epoch; 0: none (default: ${DEFAULT-VALUE}).")
    int validSentences = 300;

    @Option(names = "--max-minutes", description = "Time budget: start no epoch that would end "
        + "after this many minutes of this run, judged by the longest epoch so far; 0: none "
        + "(default: ${DEFAULT-VALUE}).")
    double maxMinutes;

    @Option(names = "--patience", description = "Stop after N epochs without a better greedy "
        + "validation BLEU; 0: train all --epochs. OUT/best.zip is always the best epoch's "
        + "model (default: ${DEFAULT-VALUE}).")
    int patience;

    @Override
    public Integer call() throws IOException {
      if (!(dropout >= 0 && dropout < 1)) {
        throw new CommandLine.ParameterException(spec.commandLine(),
            "--dropout must be in [0, 1), got " + dropout);
      }
      if (dropout > 0 && architecture == Architecture.output && !resume) {
        throw new CommandLine.ParameterException(spec.commandLine(),
            "--dropout needs --architecture state (the output graph has none), got " + dropout);
      }
      if (patience < 0 || !(maxMinutes >= 0)) {
        throw new CommandLine.ParameterException(spec.commandLine(),
            "--patience and --max-minutes must be >= 0, got " + patience + " and " + maxMinutes);
      }
      if (epochs < 0) {
        throw new CommandLine.ParameterException(spec.commandLine(),
            "--epochs must be >= 0, got " + epochs);
      }
      int[] positive = {layers, hidden, embedding, srcVocab, tgtVocab, batchSize, maxLen,
          logEvery};
      String[] names = {"--layers", "--hidden", "--embedding", "--src-vocab", "--tgt-vocab",
          "--batch-size", "--max-len", "--log-every"};
      for (int i = 0; i < positive.length; i++) {
        if (positive[i] < 1) {
          throw new CommandLine.ParameterException(spec.commandLine(),
              names[i] + " must be >= 1, got " + positive[i]);
        }
      }
      if (!(lr > 0) || !(clip > 0) || !(halveEvery > 0) || halveAfter < 0) {
        throw new CommandLine.ParameterException(spec.commandLine(), "--lr, --clip and "
            + "--halve-every must be > 0 and --halve-after >= 0, got " + lr + ", " + clip + ", "
            + halveEvery + ", " + halveAfter);
      }
      if (!out.isDirectory() && !out.mkdirs()) {
        throw new IOException("Cannot create the output folder " + out.getAbsolutePath());
      }
      File modelFile = new File(out, "model.zip");
      Saved resumed = resume && modelFile.isFile() ? Saved.load(modelFile) : null;
      // A resumed run keeps its checkpoint's seed: it picks the split and the batch order.
      long runSeed = resumed == null ? seed : Long.parseLong(resumed.settings.get("seed"));
      if (resumed != null && runSeed != seed
          && spec.commandLine().getParseResult().hasMatchedOption("--seed")) {
        throw new CommandLine.ParameterException(spec.commandLine(), "--seed " + seed
            + " differs from the seed of " + modelFile + ", " + runSeed + ", which picked its "
            + "split and batch order: resume with --seed " + runSeed + " or without --seed");
      }
      Map<String, Object> sizes = TranslationData.prepare(data, runSeed, false);
      log.info("Splits: {}", sizes);
      List<ParallelCorpus.Pair> trainPairs = TranslationData.read(data, "train");
      List<ParallelCorpus.Pair> validPairs = TranslationData.read(data, "valid");
      List<List<String>> trainSrc = tokenize(trainPairs, true);
      List<List<String>> trainTgt = tokenize(trainPairs, false);

      Seq2Seq model;
      Saved saved;
      if (resumed != null) {
        saved = resumed;
        model = saved.model;
        log.info("Resuming {} ({} architecture) at epoch {} (iteration {})", modelFile,
            model.architecture(), model.epochCount(), model.iterationCount());
        if (spec.commandLine().getParseResult().hasMatchedOption("--architecture")
            && !architecture.name().equals(model.architecture())) {
          log.warn("--architecture {} ignored: the checkpoint is a {} model", architecture,
              model.architecture());
        }
      } else {
        if (resume) {
          log.warn("--resume: no checkpoint {}, starting from scratch", modelFile);
        }
        Vocabulary sv = Vocabulary.build(trainSrc, srcVocab);
        Vocabulary tv = Vocabulary.build(trainTgt, tgtVocab);
        RareWords rare = RareWords.learn(trainSrc, trainTgt, sv);
        int iters = (trainPairs.size() + batchSize - 1) / batchSize;
        if (architecture == Architecture.output) {
          ComputationGraph graph = new ComputationGraph(Seq2SeqModel.build(sv.size(), tv.size(),
              embedding, hidden, layers, sn, sn && snOutput, optimizer, lr, iters, halveAfter,
              halveEvery, clip, seed));
          graph.init();
          model = new GraphSeq2Seq(graph);
        } else {
          model = new StateSeq2SeqModel(new StateSeq2SeqModel.Config(sv.size(), tv.size(),
              embedding, hidden, layers, sn, sn && snOutput, optimizer, lr, iters, halveAfter,
              halveEvery, clip, seed, DataType.FLOAT, dropout));
        }
        HashMap<String, String> settings = new HashMap<>();
        settings.put("architecture", model.architecture());
        settings.put("reverse", Boolean.toString(reverse));
        settings.put("maxLen", Integer.toString(maxLen));
        settings.put("sn", Boolean.toString(sn));
        settings.put("snOutput", Boolean.toString(sn && snOutput));
        settings.put("seed", Long.toString(seed));
        settings.put("dropout", Double.toString(dropout));
        settings.put("batchSize", Integer.toString(batchSize));
        saved = new Saved(model, sv, tv, rare, settings);
      }
      String savedBatch = saved.settings.get("batchSize");
      if (savedBatch != null && Integer.parseInt(savedBatch) != batchSize) {
        log.warn("--batch-size {} differs from the checkpoint's {}: the resumed run's batches "
            + "differ from an uninterrupted run's", batchSize, savedBatch);
      }
      if (model instanceof StateSeq2SeqModel state) {
        state.engine(engine);
        log.info("Gradients: {} engine", engine);
      } else if (engine != StateSeq2SeqModel.Engine.DIRECT) {
        throw new CommandLine.ParameterException(spec.commandLine(), "--engine " + engine
            + " needs --architecture state, got a " + model.architecture() + " model");
      }
      boolean rev = Boolean.parseBoolean(saved.settings.get("reverse"));
      int len = Integer.parseInt(saved.settings.get("maxLen"));
      List<Example> train = new ArrayList<>();
      for (int i = 0; i < trainPairs.size(); i++) {
        train.add(Example.of(trainSrc.get(i), trainTgt.get(i), saved.srcVocab, saved.tgtVocab,
            rev, len));
      }
      List<ParallelCorpus.Pair> validSubset =
          validPairs.subList(0, Math.min(validSentences, validPairs.size()));
      log.info("Model: {} architecture, {} layers x {} cells, embedding {}, vocab {} -> {}, {} "
              + "parameters, sn {} (output layer {}), reverse {}, {} dictionary entries for rare "
              + "words", model.architecture(), layers, hidden, embedding, saved.srcVocab.size(),
          saved.tgtVocab.size(), model.numParams(),
          saved.settings.get("sn"), saved.settings.getOrDefault("snOutput",
              saved.settings.get("sn")), rev, saved.rare.size());
      // Epoch e shuffles with the generator as the e epochs before it left it, so a resumed run
      // replays their shuffles and visits the batches of an uninterrupted one.
      Random rng = new Random(runSeed);
      for (int e = 0; e < model.epochCount(); e++) {
        Example.batches(train, batchSize, rng);
      }
      File historyFile = new File(out, "train-history.json");
      List<Map<String, Object>> history = resumedHistory(historyFile, model.epochCount());
      if (resumed == null) {
        // The initial weights, before any update: an interrupted first epoch resumes from them,
        // and the twin can start from the same weights (translation_twin.py --init-from).
        saved.save(modelFile);
        log.info("Saved the initial weights: {}", modelFile);
      }
      long runStart = System.nanoTime();
      double longestEpoch = 0;
      for (int epoch = model.epochCount(); epoch < epochs; epoch++) {
        double elapsed = (System.nanoTime() - runStart) / 1e9;
        if (maxMinutes > 0 && longestEpoch > 0 && elapsed + longestEpoch > 60 * maxMinutes) {
          log.info("Stopping: another epoch (up to {} s) would end after --max-minutes {} ({} s "
              + "used)", fmt(longestEpoch), fmt(maxMinutes), fmt(elapsed));
          break;
        }
        long start = System.nanoTime();
        // Dropout masks (ND4J's generator) from the seed and the epoch alone, as the batches.
        Nd4j.getRandom().setSeed(runSeed * 1_000_003L + epoch);
        List<List<Example>> batches = Example.batches(train, batchSize, rng);
        double lossSum = 0;
        for (int b = 0; b < batches.size(); b++) {
          MultiDataSet mds = Example.toMultiDataSet(batches.get(b));
          double loss = model.fit(mds);
          lossSum += loss;
          if ((b + 1) % logEvery == 0 || b == batches.size() - 1) {
            double secs = (System.nanoTime() - start) / 1e9;
            log.info("epoch {} batch {}/{}: loss {} (mean {}), lr {}, {} s", epoch + 1, b + 1,
                batches.size(), fmt(loss), fmt(lossSum / (b + 1)), fmt(model.learningRate()),
                fmt(secs));
          }
        }
        model.incrementEpochCount();
        double seconds = (System.nanoTime() - start) / 1e9;
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("epoch", epoch + 1);
        row.put("trainLoss", lossSum / batches.size());
        row.put("seconds", seconds);
        if (!validSubset.isEmpty()) {
          Evaluation ev = Evaluation.run(saved, validSubset, 1, LengthNorm.none, 0, false);
          row.put("validLoss", validLoss(model, validSubset, saved, rev, len, batchSize));
          row.put("validBleuGreedy", ev.bleuRaw);
        }
        if (model instanceof StateSeq2SeqModel state) {
          row.put("sigmas", state.weightSigmas());
        }
        history.add(row);
        log.info("epoch {} done: {}", epoch + 1, row);
        saved.save(modelFile);
        int best = bestEpoch(history);
        if (!validSubset.isEmpty() && best == epoch + 1) {
          Path tmp = new File(out, "best.zip.tmp").toPath();
          Files.copy(modelFile.toPath(), tmp, StandardCopyOption.REPLACE_EXISTING);
          Files.move(tmp, new File(out, "best.zip").toPath(), StandardCopyOption.REPLACE_EXISTING,
              StandardCopyOption.ATOMIC_MOVE);
          log.info("Best validation BLEU so far ({}): saved {}", fmt((Double) row.get(
              "validBleuGreedy")), new File(out, "best.zip"));
        }
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
            .writeValue(historyFile, history);
        log.info("Saved {} and {}", modelFile, historyFile);
        longestEpoch = Math.max(longestEpoch, (System.nanoTime() - start) / 1e9);
        if (!validSubset.isEmpty() && patience > 0 && epoch + 1 - best >= patience) {
          log.info("Stopping: no better validation BLEU for {} epochs (best epoch {})", patience,
              best);
          break;
        }
      }
      return 0;
    }

    /** The epoch of a history's highest greedy validation BLEU (the first on ties); 0: none. */
    static int bestEpoch(List<Map<String, Object>> history) {
      double best = Double.NEGATIVE_INFINITY;
      int epoch = 0;
      for (Map<String, Object> row : history) {
        Object b = row.get("validBleuGreedy");
        if (b != null && ((Number) b).doubleValue() > best) {
          best = ((Number) b).doubleValue();
          epoch = ((Number) row.get("epoch")).intValue();
        }
      }
      return epoch;
    }

    /**
     * The rows of an earlier run's {@code train-history.json} for the epochs the checkpoint has
     * (a resumed run appends to them); empty when training starts from scratch or the file is
     * missing.
     */
    private static List<Map<String, Object>> resumedHistory(File file, int epochsDone)
        throws IOException {
      List<Map<String, Object>> history = new ArrayList<>();
      if (epochsDone == 0 || !file.isFile()) {
        return history;
      }
      List<Map<String, Object>> rows = new ObjectMapper().readValue(file,
          new TypeReference<List<Map<String, Object>>>() {});
      for (Map<String, Object> row : rows) {
        if (((Number) row.get("epoch")).intValue() <= epochsDone) {
          history.add(new LinkedHashMap<>(row));
        }
      }
      return history;
    }

    private static double validLoss(Seq2Seq model, List<ParallelCorpus.Pair> pairs,
        Saved saved, boolean rev, int len, int batchSize) {
      List<Example> ex = examples(pairs, saved, rev, len);
      double sum = 0;
      int n = 0;
      for (int i = 0; i < ex.size(); i += batchSize) {
        List<Example> batch = ex.subList(i, Math.min(ex.size(), i + batchSize));
        sum += model.loss(Example.toMultiDataSet(batch)) * batch.size();
        n += batch.size();
      }
      return sum / n;
    }
  }

  /** Pairs as training examples with a saved model's vocabularies. */
  static List<Example> examples(List<ParallelCorpus.Pair> pairs, Saved saved, boolean rev,
      int len) {
    List<Example> ex = new ArrayList<>();
    for (ParallelCorpus.Pair p : pairs) {
      ex.add(Example.of(Tokenizer.tokenize(p.source()), Tokenizer.tokenize(p.target()),
          saved.srcVocab, saved.tgtVocab, rev, len));
    }
    return ex;
  }

  /** Rejects a --split other than test or valid and a negative --limit. */
  static void checkSplit(CommandLine.Model.CommandSpec spec, String split, int limit) {
    if (!split.equals("test") && !split.equals("valid")) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--split must be test or valid, got '" + split + "'");
    }
    if (limit < 0) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--limit must be >= 0, got " + limit);
    }
  }

  /** {@code outFile}, or {@code name} beside {@code model}, its folder created if missing. */
  static File resultFile(File outFile, File model, String name) throws IOException {
    File json = outFile != null ? outFile : new File(model.getAbsoluteFile().getParentFile(),
        name);
    File folder = json.getAbsoluteFile().getParentFile();
    if (!folder.isDirectory() && !folder.mkdirs()) {
      throw new IOException("Cannot create the output folder " + folder);
    }
    return json;
  }

  /** The pairs of a split, the first {@code limit} only if it is positive. */
  static List<ParallelCorpus.Pair> readSplit(Path data, String split, int limit)
      throws IOException {
    List<ParallelCorpus.Pair> pairs = TranslationData.read(data, split);
    return limit > 0 ? pairs.subList(0, Math.min(limit, pairs.size())) : pairs;
  }

  /** Reports corpus BLEU on a split. */
  @Command(name = "eval", mixinStandardHelpOptions = true,
      description = "BLEU on the test split: greedy and beam, with and without the rare-word "
          + "step.")
  static final class Eval implements Callable<Integer> {
    @Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--data", description = "DDTP folder (default: ${DEFAULT-VALUE}).")
    Path data = Path.of("data/ddtp");

    @Option(names = "--model", description = "Model file (default: ${DEFAULT-VALUE}).")
    File model = new File("out/translation/model.zip");

    @Option(names = "--split", description = "test or valid (default: ${DEFAULT-VALUE}).")
    String split = "test";

    @Option(names = "--beam", description = "Beam size; the paper used 12 (default: "
        + "${DEFAULT-VALUE}).")
    int beam = 12;

    @Option(names = "--limit", description = "Evaluate the first N sentences only; 0: all "
        + "(default: ${DEFAULT-VALUE}).")
    int limit = 0;

    @Option(names = "--identity-only", description = "Rare-word step by identity only, without "
        + "the learned dictionary.")
    boolean identityOnly;

    @Option(names = "--paragraph-dictionary", negatable = true, defaultValue = "true",
        fallbackValue = "true", description = "Also score the rare-word step with the dictionary "
            + "learned from the training descriptions' short texts and long-description "
            + "paragraphs; it is written beside the results as dictionary-SPLIT.tsv (default: on "
            + "when the DDTP files or data/ddtp/short/train-paragraphs.tsv exist).")
    boolean paragraphDictionary = true;

    @Mixin LengthNormOptions length = new LengthNormOptions();

    @Option(names = "--out", description = "Results JSON; translations go beside it as .tsv "
        + "(default: MODEL folder/eval-SPLIT.json).")
    File outFile;

    @Override
    public Integer call() throws IOException {
      if (beam < 1) {
        throw new CommandLine.ParameterException(spec.commandLine(),
            "--beam must be >= 1, got " + beam);
      }
      checkSplit(spec, split, limit);
      checkAlpha(spec, length.lengthAlpha);
      Saved saved = Saved.load(model);
      if (identityOnly) {
        saved = new Saved(saved.model, saved.srcVocab, saved.tgtVocab, RareWords.identity(),
            saved.settings);
      }
      List<ParallelCorpus.Pair> pairs = readSplit(data, split, limit);
      Map<String, Object> result = new LinkedHashMap<>();
      result.put("model", model.getPath());
      result.put("split", split);
      result.put("sentences", pairs.size());
      result.put("settings", saved.settings);
      result.put("architecture", saved.model.architecture());
      File json = resultFile(outFile, model, "eval-" + split + ".json");
      RareWords paragraphs = paragraphDictionary ? paragraphDictionary(saved, pairs, json) : null;
      if (paragraphs != null) {
        result.put("paragraphDictionaryEntries", paragraphs.size());
      }
      long t0 = System.nanoTime();
      Evaluation greedy = Evaluation.run(saved, pairs, 1, LengthNorm.none, 0, true, paragraphs);
      result.put("greedyBleu", greedy.bleuRaw);
      result.put("greedyRareWordBleu", greedy.bleuRare);
      result.put("greedyRareWordIdentityBleu", greedy.bleuIdentity);
      if (paragraphs != null) {
        result.put("greedyRareWordParagraphsBleu", greedy.bleuParagraphs);
      }
      result.put("greedySeconds", (System.nanoTime() - t0) / 1e9);
      System.out.printf("%s BLEU greedy: %.2f, greedy + rare-word step: %.2f (identity only: "
          + "%.2f, paragraph dictionary: %.2f) (%d sentences)%n", split, 100 * greedy.bleuRaw,
          100 * greedy.bleuRare, 100 * greedy.bleuIdentity, 100 * greedy.bleuParagraphs,
          pairs.size());
      Evaluation best = greedy;
      if (beam > 1) {
        t0 = System.nanoTime();
        best = Evaluation.run(saved, pairs, beam, length.lengthNorm, length.lengthAlpha, true,
            paragraphs);
        result.put("beam", beam);
        result.put("lengthNorm", length.lengthNorm.name());
        if (length.lengthNorm == LengthNorm.gnmt) {
          result.put("lengthAlpha", length.lengthAlpha);
        }
        result.put("beamBleu", best.bleuRaw);
        result.put("beamRareWordBleu", best.bleuRare);
        result.put("beamRareWordIdentityBleu", best.bleuIdentity);
        if (paragraphs != null) {
          result.put("beamRareWordParagraphsBleu", best.bleuParagraphs);
        }
        result.put("beamSeconds", (System.nanoTime() - t0) / 1e9);
        System.out.printf("%s BLEU beam %d (length norm %s): %.2f, beam + rare-word step: %.2f "
            + "(identity only: %.2f, paragraph dictionary: %.2f)%n", split, beam,
            length.lengthNorm, 100 * best.bleuRaw, 100 * best.bleuRare, 100 * best.bleuIdentity,
            100 * best.bleuParagraphs);
      }
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json, result);
      File tsv = new File(json.getPath().replaceAll("\\.json$", "") + ".tsv");
      try (PrintWriter w = new PrintWriter(tsv, StandardCharsets.UTF_8)) {
        for (int i = 0; i < pairs.size(); i++) {
          w.println(pairs.get(i).source() + "\t" + String.join(" ", best.raw.get(i)) + "\t"
              + String.join(" ", best.rare.get(i)) + "\t" + pairs.get(i).target()
              + (paragraphs == null ? "" : "\t" + String.join(" ", best.rareParagraphs.get(i))));
        }
      }
      log.info("Wrote {} and {}", json, tsv);
      return 0;
    }

    /**
     * The paragraph dictionary for the out-of-vocabulary words of {@code pairs}' sources, written
     * to {@code dictionary-SPLIT.tsv} beside {@code json}; null (with a warning) when the data
     * to learn it from is missing.
     */
    private RareWords paragraphDictionary(Saved saved, List<ParallelCorpus.Pair> pairs,
        File json) throws IOException {
      Set<String> words = new TreeSet<>();
      tokenize(pairs, true).forEach(words::addAll);
      RareWords dict;
      try {
        dict = TranslationData.paragraphDictionary(data, saved.srcVocab, words);
      } catch (IOException e) {
        log.warn("No paragraph dictionary: {}", e.getMessage());
        return null;
      }
      File file = new File(json.getAbsoluteFile().getParentFile(), "dictionary-" + split
          + ".tsv");
      try (PrintWriter w = new PrintWriter(file, StandardCharsets.UTF_8)) {
        dict.entries().forEach((k, v) -> w.println(k + "\t" + v));
      }
      log.info("Paragraph dictionary: {} entries for the {} source words outside the vocabulary, "
          + "written to {}", dict.size(), words.stream().filter(x -> !saved.srcVocab.contains(x))
          .count(), file);
      return dict;
    }
  }

  /** Gate statistics of a state model's LSTMs on a split. */
  @Command(name = "gates", mixinStandardHelpOptions = true,
      description = "How far the LSTMs' gates are switched on a split (teacher-forced, no "
          + "dropout): per layer and gate the pre-activations' root mean square, the mean "
          + "activation and the shares beyond +-3; the parts x W, h RW and b; the cell states.")
  static final class Gates implements Callable<Integer> {
    @Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--data", description = "DDTP folder (default: ${DEFAULT-VALUE}).")
    Path data = Path.of("data/ddtp");

    @Option(names = "--model", description = "A state-architecture model file (default: "
        + "${DEFAULT-VALUE}).")
    File model = new File("out/translation/model.zip");

    @Option(names = "--split", description = "test or valid (default: ${DEFAULT-VALUE}).")
    String split = "valid";

    @Option(names = "--limit", description = "The first N sentences only; 0: all (default: "
        + "${DEFAULT-VALUE}).")
    int limit = 0;

    @Option(names = "--out", description = "Results JSON (default: MODEL folder/"
        + "gates-SPLIT.json).")
    File outFile;

    @Override
    public Integer call() throws IOException {
      checkSplit(spec, split, limit);
      Saved saved = Saved.load(model);
      if (!(saved.model instanceof StateSeq2SeqModel state)) {
        throw new CommandLine.ParameterException(spec.commandLine(), "gates needs a model of "
            + "the state architecture; " + model + " is a " + saved.model.architecture()
            + " model");
      }
      List<ParallelCorpus.Pair> pairs = readSplit(data, split, limit);
      List<Example> ex = examples(pairs, saved, Boolean.parseBoolean(saved.settings.get(
          "reverse")), Integer.parseInt(saved.settings.get("maxLen")));
      Map<String, GateStatistics> stats = new LinkedHashMap<>();
      int batchSize = 64;
      for (int i = 0; i < ex.size(); i += batchSize) {
        state.gateStatistics(Example.toMultiDataSet(ex.subList(i, Math.min(ex.size(),
            i + batchSize))), stats);
      }
      Map<String, Object> result = new LinkedHashMap<>();
      result.put("model", model.getPath());
      result.put("split", split);
      result.put("sentences", pairs.size());
      result.put("settings", saved.settings);
      result.put("saturatedBeyond", GateStatistics.SATURATED);
      Map<String, Object> layers = new LinkedHashMap<>();
      stats.forEach((name, s) -> layers.put(name, s.toMap()));
      result.put("layers", layers);
      System.out.printf("%-6s %8s %9s %9s %9s %9s%n", "layer", "switched", "switched f",
          "rms z i", "rms z f", "rms z g");
      stats.forEach((name, s) -> System.out.printf("%-6s %7.1f%% %9.1f%% %9.2f %9.2f %9.2f%n",
          name, 100 * s.saturated(), 100 * s.saturated(1), s.rms(0), s.rms(1), s.rms(2)));
      File json = resultFile(outFile, model, "gates-" + split + ".json");
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json, result);
      log.info("Wrote {}", json);
      return 0;
    }
  }

  /** Translates one sentence. */
  @Command(name = "translate", mixinStandardHelpOptions = true,
      description = "Translate one English sentence to French.")
  static final class Translate implements Callable<Integer> {
    @Spec CommandLine.Model.CommandSpec spec;

    @Parameters(arity = "1..*", description = "The English text(s); one French line each.")
    List<String> texts;

    @Option(names = "--model", description = "Model file (default: ${DEFAULT-VALUE}).")
    File model = new File("out/translation/model.zip");

    @Option(names = "--beam", description = "Beam size; 1: greedy (default: ${DEFAULT-VALUE}).")
    int beam = 12;

    @Option(names = "--no-rare-word", description = "Keep <unk> in the output.")
    boolean noRareWord;

    @Mixin LengthNormOptions length = new LengthNormOptions();

    @Override
    public Integer call() throws IOException {
      if (beam < 1) {
        throw new CommandLine.ParameterException(spec.commandLine(),
            "--beam must be >= 1, got " + beam);
      }
      checkAlpha(spec, length.lengthAlpha);
      Saved saved = Saved.load(model);
      List<List<String>> sources = new ArrayList<>();
      for (String text : texts) {
        List<String> tokens = Tokenizer.tokenize(text);
        if (tokens.isEmpty()) {
          throw new CommandLine.ParameterException(spec.commandLine(),
              "nothing to translate in '" + text + "'");
        }
        sources.add(tokens);
      }
      List<List<String>> outputs = saved.decode(sources, beam, length.lengthNorm,
          length.lengthAlpha);
      for (int i = 0; i < sources.size(); i++) {
        List<String> words = outputs.get(i);
        if (!noRareWord) {
          words = saved.rare.replace(words, sources.get(i), saved.srcVocab);
        }
        System.out.println(String.join(" ", words));
      }
      return 0;
    }
  }

  private static void checkAlpha(CommandLine.Model.CommandSpec spec, double alpha) {
    if (!(alpha >= 0) || Double.isInfinite(alpha)) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--length-alpha must be finite and >= 0, got " + alpha);
    }
  }

  private static List<List<String>> tokenize(List<ParallelCorpus.Pair> pairs, boolean source) {
    List<List<String>> out = new ArrayList<>();
    for (ParallelCorpus.Pair p : pairs) {
      out.add(Tokenizer.tokenize(source ? p.source() : p.target()));
    }
    return out;
  }

  private static String fmt(double x) {
    return String.format("%.4g", x);
  }

  /**
   * A model file: the model with its updater state (a DL4J graph zip for the output architecture,
   * {@link StateSeq2SeqModel}'s zip for the state one), vocabularies, dictionary and settings.
   */
  /** Beam search's length normalization, shared by {@code eval} and {@code translate}. */
  static final class LengthNormOptions {
    @Option(names = "--length-norm", description = "Beam score of a complete translation: none "
        + "(total log-probability, the paper's), average (per predicted token) or gnmt "
        + "(Wu et al. 2016) (default: ${DEFAULT-VALUE}).")
    LengthNorm lengthNorm = LengthNorm.none;

    @Option(names = "--length-alpha", description = "Alpha of --length-norm gnmt (default: "
        + "${DEFAULT-VALUE}).")
    double lengthAlpha = LengthNorm.DEFAULT_ALPHA;
  }

  static final class Saved {
    final Seq2Seq model;
    final Vocabulary srcVocab;
    final Vocabulary tgtVocab;
    final RareWords rare;
    final HashMap<String, String> settings;

    Saved(Seq2Seq model, Vocabulary srcVocab, Vocabulary tgtVocab, RareWords rare,
        HashMap<String, String> settings) {
      this.model = model;
      this.srcVocab = srcVocab;
      this.tgtVocab = tgtVocab;
      this.rare = rare;
      this.settings = settings;
    }

    /** Writes the model (with updater) and adds the objects with ModelSerializer. */
    void save(File file) throws IOException {
      File tmp = new File(file.getPath() + ".tmp");
      model.write(tmp);
      ModelSerializer.addObjectToFile(tmp, "srcVocab", srcVocab);
      ModelSerializer.addObjectToFile(tmp, "tgtVocab", tgtVocab);
      ModelSerializer.addObjectToFile(tmp, "rareWords", rare);
      ModelSerializer.addObjectToFile(tmp, "settings", settings);
      Files.move(tmp.toPath(), file.toPath(), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    static Saved load(File file) throws IOException {
      if (!file.isFile()) {
        throw new IOException("No model file " + file.getAbsolutePath() + ": run 'train' first");
      }
      Seq2Seq model = StateSeq2SeqModel.isStateModel(file) ? StateSeq2SeqModel.read(file)
          : GraphSeq2Seq.read(file);
      Vocabulary sv = ModelSerializer.getObjectFromFile(file, "srcVocab");
      Vocabulary tv = ModelSerializer.getObjectFromFile(file, "tgtVocab");
      RareWords rare = ModelSerializer.getObjectFromFile(file, "rareWords");
      HashMap<String, String> settings = ModelSerializer.getObjectFromFile(file, "settings");
      return new Saved(model, sv, tv, rare, settings);
    }

    /**
     * Decodes tokenized sources (greedy when beam is 1, else beam search scored with the length
     * normalization); the words, without {@code <eos>}.
     */
    List<List<String>> decode(List<List<String>> sources, int beam, LengthNorm lengthNorm,
        double alpha) {
      boolean rev = Boolean.parseBoolean(settings.get("reverse"));
      int len = Integer.parseInt(settings.get("maxLen"));
      Translator tr = new Translator(model.decoder(), lengthNorm, alpha);
      List<int[]> enc = new ArrayList<>();
      for (List<String> s : sources) {
        enc.add(Example.encodeSource(s, srcVocab, rev, len));
      }
      List<int[]> outs = new ArrayList<>();
      if (beam == 1) {
        for (int i = 0; i < enc.size(); i += 64) {
          outs.addAll(tr.greedy(enc.subList(i, Math.min(enc.size(), i + 64)), 2 * len + 10));
        }
      } else {
        for (int[] e : enc) {
          outs.add(tr.beam(e, beam, 2 * len + 10));
        }
      }
      List<List<String>> words = new ArrayList<>();
      for (int[] o : outs) {
        List<String> w = new ArrayList<>();
        for (int i : o) {
          w.add(tgtVocab.word(i));
        }
        words.add(w);
      }
      return words;
    }
  }

  /** Translations of pairs and their corpus BLEU, raw and after the rare-word step. */
  static final class Evaluation {
    List<List<String>> raw;
    List<List<String>> rare;
    double bleuRaw;
    double bleuRare;
    double bleuIdentity;
    /** With the paragraph dictionary; null without one. */
    List<List<String>> rareParagraphs;
    double bleuParagraphs = Double.NaN;

    static Evaluation run(Saved saved, List<ParallelCorpus.Pair> pairs, int beam,
        LengthNorm lengthNorm, double alpha, boolean progress) {
      return run(saved, pairs, beam, lengthNorm, alpha, progress, null);
    }

    /**
     * Decodes {@code pairs}' sources and scores raw, rare-word (the model's dictionary), identity
     * and, when {@code paragraphs} is not null, rare-word with that dictionary.
     */
    static Evaluation run(Saved saved, List<ParallelCorpus.Pair> pairs, int beam,
        LengthNorm lengthNorm, double alpha, boolean progress, RareWords paragraphs) {
      List<List<String>> sources = tokenize(pairs, true);
      List<List<List<String>>> refs = new ArrayList<>();
      for (ParallelCorpus.Pair p : pairs) {
        refs.add(List.of(Tokenizer.tokenize(p.target())));
      }
      Evaluation ev = new Evaluation();
      ev.raw = new ArrayList<>();
      int chunk = beam == 1 ? 512 : 100;
      long start = System.nanoTime();
      for (int i = 0; i < sources.size(); i += chunk) {
        ev.raw.addAll(saved.decode(sources.subList(i, Math.min(sources.size(), i + chunk)), beam,
            lengthNorm, alpha));
        if (progress) {
          log.info("decoded {}/{} ({}), {} s", ev.raw.size(), sources.size(),
              beam == 1 ? "greedy" : "beam " + beam, fmt((System.nanoTime() - start) / 1e9));
        }
      }
      ev.rare = new ArrayList<>();
      for (int i = 0; i < sources.size(); i++) {
        ev.rare.add(saved.rare.replace(ev.raw.get(i), sources.get(i), saved.srcVocab));
      }
      ev.bleuRaw = Bleu.corpus(refs, ev.raw);
      ev.bleuRare = Bleu.corpus(refs, ev.rare);
      List<List<String>> identity = new ArrayList<>();
      RareWords copy = RareWords.identity();
      for (int i = 0; i < sources.size(); i++) {
        identity.add(copy.replace(ev.raw.get(i), sources.get(i), saved.srcVocab));
      }
      ev.bleuIdentity = Bleu.corpus(refs, identity);
      if (paragraphs != null) {
        ev.rareParagraphs = new ArrayList<>();
        for (int i = 0; i < sources.size(); i++) {
          ev.rareParagraphs.add(paragraphs.replace(ev.raw.get(i), sources.get(i),
              saved.srcVocab));
        }
        ev.bleuParagraphs = Bleu.corpus(refs, ev.rareParagraphs);
      }
      return ev;
    }
  }
}
