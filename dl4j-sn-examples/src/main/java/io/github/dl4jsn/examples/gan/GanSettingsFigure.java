package io.github.dl4jsn.examples.gan;

import io.github.dl4jsn.examples.Charts;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The settings figures of docs/gan.md, in the style of Miyato et al. 2018, Figure 1: for each Adam
 * setting A-F, the spread over seeds of a run's two headline metrics, SN beside plain, DL4J beside
 * its PyTorch twin. For the 2-D mixtures these are the high-quality share and the modes covered;
 * for the image GANs the classifier's confident share and the Fréchet distance on its features.
 * Reads every {@code metrics.json} under a folder of runs, as {@code scripts/gan-experiments.sh
 * settings} and {@code image-settings} write them (the Java program's and the twins' formats);
 * the folder must hold runs of one data set.
 */
@Command(name = "gan-settings-figure", mixinStandardHelpOptions = true,
    description = "Box plots of GAN runs' metrics per Adam setting, SN vs plain, DL4J vs "
        + "the PyTorch twin (2-D mixtures or images).")
public final class GanSettingsFigure implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(GanSettingsFigure.class);

  @Option(names = "--runs", required = true, description = "Folder with one sub-folder per run.")
  File runs;

  @Option(names = "--out", required = true, description = "PNG to write; the second metric's "
      + "figure goes beside it with the suffix -modes (2-D) or -frechet (images).")
  File out;

  public static void main(String[] args) {
    System.setProperty("java.awt.headless", "true");
    System.exit(new CommandLine(new GanSettingsFigure()).execute(args));
  }

  /**
   * One run's identity and headline metrics, whichever program wrote it: {@code first} is the
   * high-quality share (2-D) or the confident share (images), in %; {@code second} the modes
   * covered (2-D) or the Fréchet distance on classifier features (images).
   */
  record Run(String framework, String dataset, String setting, boolean sn, long seed, int steps,
      double first, double second) {

    static Run of(JsonNode j) {
      boolean twin = j.has("framework");
      JsonNode a = twin ? j.get("args") : j;
      JsonNode m = j.get("metrics");
      String dataset = a.get("dataset").asText();
      boolean image = isImage(dataset);
      return new Run(twin ? "PyTorch twin" : "DL4J", dataset, a.get("setting").asText(),
          (twin ? a.get("sn") : j.get("spectral_normalization")).asBoolean(),
          a.get("seed").asLong(), a.get("steps").asInt(),
          100 * m.get(image ? "confident_fraction" : "high_quality_fraction").asDouble(),
          image ? m.get("frechet_distance_classifier_features").asDouble()
              : m.get("modes_covered").asDouble());
    }

    boolean image() {
      return isImage(dataset);
    }

    /** Whether a data set is an image set (else a 2-D mixture, ring or grid). */
    static boolean isImage(String dataset) {
      return !dataset.equals("ring") && !dataset.equals("grid");
    }

    String series() {
      return (sn ? "SN" : "plain") + ", " + framework;
    }
  }

  @Override
  public Integer call() throws IOException {
    List<Run> all = new ArrayList<>();
    ObjectMapper json = new ObjectMapper();
    try (Stream<Path> files = Files.walk(runs.toPath(), 2)) {
      for (Path p : files.filter(p -> p.getFileName().toString().equals("metrics.json"))
          .filter(p -> !p.getParent().getFileName().toString().startsWith("."))
          .sorted().collect(Collectors.toList())) {
        all.add(Run.of(json.readTree(p.toFile())));
      }
    }
    if (all.isEmpty()) {
      throw new IOException("No metrics.json under " + runs.getAbsolutePath());
    }
    List<String> datasets = all.stream().map(Run::dataset).distinct().sorted().toList();
    if (datasets.size() > 1) {
      throw new IllegalArgumentException("Runs of several data sets under " + runs
          + ": " + datasets + "; give a folder with runs of one data set");
    }
    // Series in a fixed order: SN and plain for DL4J, then for the twin.
    Map<String, Map<String, List<Double>>> first = new TreeMap<>(GanSettingsFigure::seriesOrder);
    Map<String, Map<String, List<Double>>> second = new TreeMap<>(GanSettingsFigure::seriesOrder);
    for (Run r : all) {
      first.computeIfAbsent(r.series(), k -> new TreeMap<>())
          .computeIfAbsent(r.setting(), k -> new ArrayList<>()).add(r.first());
      second.computeIfAbsent(r.series(), k -> new TreeMap<>())
          .computeIfAbsent(r.setting(), k -> new ArrayList<>()).add(r.second());
    }
    boolean image = all.get(0).image();
    int steps = all.get(0).steps();
    long seeds = all.stream().mapToLong(Run::seed).distinct().count();
    String what = String.format(" (%s, %d steps, %d seed%s)", datasets.get(0), steps, seeds,
        seeds == 1 ? "" : "s");
    String suffix = image ? "-frechet" : "-modes";
    File secondFile = new File(out.getParentFile(),
        out.getName().replaceFirst("\\.png$", "") + suffix + ".png");
    if (image) {
      Charts.boxes("Confident samples per Adam setting" + what, "Adam setting (Miyato et al. "
          + "2018, Table 1)", "classifier confident (p >= 0.9), %", first, 1000, 520, out);
      Charts.boxes("Fréchet distance on classifier features per Adam setting" + what,
          "Adam setting", "Fréchet distance (lower is better)", second, 1000, 520, secondFile);
    } else {
      Charts.boxes("High-quality samples per Adam setting" + what, "Adam setting (Miyato et al. "
          + "2018, Table 1)", "high-quality samples, %", first, 1000, 520, out);
      Charts.boxes("Modes covered (of 8) per Adam setting" + what, "Adam setting",
          "modes covered", second, 1000, 520, secondFile);
    }
    log.info("{} runs; wrote {} and {}", all.size(), out, secondFile);
    return 0;
  }

  private static int seriesOrder(String a, String b) {
    return Integer.compare(rank(a), rank(b)) != 0 ? Integer.compare(rank(a), rank(b))
        : a.compareTo(b);
  }

  private static int rank(String series) {
    return (series.contains("twin") ? 2 : 0) + (series.startsWith("SN") ? 0 : 1);
  }
}
