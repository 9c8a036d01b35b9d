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
 * The settings figure of docs/gan.md, in the style of Miyato et al. 2018, Figure 1: for each Adam
 * setting A-F, the spread over seeds of a 2-D run's high-quality share and modes covered, SN beside
 * plain, DL4J beside its PyTorch twin. Reads every {@code metrics.json} under a folder of runs, as
 * {@code scripts/gan-experiments.sh settings} writes them (the Java program's and
 * {@code benchmarks/gan_twin.py}'s formats).
 */
@Command(name = "gan-settings-figure", mixinStandardHelpOptions = true,
    description = "Box plots of the 2-D GAN runs' metrics per Adam setting, SN vs plain, DL4J vs "
        + "the PyTorch twin.")
public final class GanSettingsFigure implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(GanSettingsFigure.class);

  @Option(names = "--runs", required = true, description = "Folder with one sub-folder per run.")
  File runs;

  @Option(names = "--out", required = true, description = "PNG to write; the modes figure goes "
      + "beside it with the suffix -modes.")
  File out;

  public static void main(String[] args) {
    System.setProperty("java.awt.headless", "true");
    System.exit(new CommandLine(new GanSettingsFigure()).execute(args));
  }

  /** One run's identity and metrics, whichever program wrote it. */
  record Run(String framework, String setting, boolean sn, long seed, int steps, double highQuality,
      int modesCovered) {

    static Run of(JsonNode j) {
      boolean twin = j.has("framework");
      JsonNode a = twin ? j.get("args") : j;
      JsonNode m = j.get("metrics");
      return new Run(twin ? "PyTorch twin" : "DL4J", a.get("setting").asText(),
          (twin ? a.get("sn") : j.get("spectral_normalization")).asBoolean(),
          a.get("seed").asLong(), a.get("steps").asInt(),
          100 * m.get("high_quality_fraction").asDouble(), m.get("modes_covered").asInt());
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
          .sorted().collect(Collectors.toList())) {
        all.add(Run.of(json.readTree(p.toFile())));
      }
    }
    if (all.isEmpty()) {
      throw new IOException("No metrics.json under " + runs.getAbsolutePath());
    }
    // Series in a fixed order: SN and plain for DL4J, then for the twin.
    Map<String, Map<String, List<Double>>> hq = new TreeMap<>(GanSettingsFigure::seriesOrder);
    Map<String, Map<String, List<Double>>> modes = new TreeMap<>(GanSettingsFigure::seriesOrder);
    for (Run r : all) {
      hq.computeIfAbsent(r.series(), k -> new TreeMap<>())
          .computeIfAbsent(r.setting(), k -> new ArrayList<>()).add(r.highQuality());
      modes.computeIfAbsent(r.series(), k -> new TreeMap<>())
          .computeIfAbsent(r.setting(), k -> new ArrayList<>()).add((double) r.modesCovered());
    }
    int steps = all.get(0).steps();
    long seeds = all.stream().mapToLong(Run::seed).distinct().count();
    String what = String.format(" (ring, %d steps, %d seeds)", steps, seeds);
    Charts.boxes("High-quality samples per Adam setting" + what, "Adam setting (Miyato et al. "
        + "2018, Table 1)", "high-quality samples, %", hq, 1000, 520, out);
    File modesFile = new File(out.getParentFile(),
        out.getName().replaceFirst("\\.png$", "") + "-modes.png");
    Charts.boxes("Modes covered (of 8) per Adam setting" + what, "Adam setting", "modes covered",
        modes, 1000, 520, modesFile);
    log.info("{} runs; wrote {} and {}", all.size(), out, modesFile);
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
