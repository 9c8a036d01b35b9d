package io.github.dl4jsn.examples.translation;

import io.github.dl4jsn.examples.Charts;
import java.io.File;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Draws the gate statistics of translation models ({@code gates-*.json} of {@code
 * TranslationExample gates} or the twin's {@code gates}): per LSTM layer, one bar per model, the
 * share of switched gate units (pre-activation beyond +-3) and the pre-activations' root mean
 * square over the four gates.
 */
@Command(name = "translation-gates", mixinStandardHelpOptions = true,
    description = "Plot how far translation models' LSTM gates are switched, per layer.")
public final class TranslationGatesFigure implements Callable<Integer> {

  private static final String[] GATES = {"i", "f", "g", "o"};

  @Parameters(arity = "1..*", paramLabel = "LABEL=GATES",
      description = "A model: its label, '=', and its gates JSON.")
  List<String> runs;

  @Option(names = "--out", required = true, description = "PNG of the switched shares; the "
      + "root mean squares go beside it with the suffix -rms.")
  File out;

  public static void main(String[] args) {
    System.setProperty("java.awt.headless", "true");
    System.exit(new CommandLine(new TranslationGatesFigure()).execute(args));
  }

  @Override
  public Integer call() throws IOException {
    Map<String, Map<String, Double>> switched = new LinkedHashMap<>();
    Map<String, Map<String, Double>> rms = new LinkedHashMap<>();
    ObjectMapper json = new ObjectMapper();
    for (String run : runs) {
      LabelledFile lf = LabelledFile.parse(this, run, "model", "gates");
      String label = lf.label();
      File file = lf.file();
      JsonNode layers = json.readTree(file).get("layers");
      if (layers == null || !layers.isObject()) {
        throw new IOException("Model " + label + ": " + file + " has no \"layers\" object (not "
            + "the output of 'gates')");
      }
      Map<String, Double> s = new LinkedHashMap<>();
      Map<String, Double> r = new LinkedHashMap<>();
      List<String> names = new ArrayList<>();
      layers.fieldNames().forEachRemaining(names::add);
      // Encoder layers first, each side by its layer number (enc0, enc1, ..., dec0, ...).
      names.sort(Comparator.comparing((String n) -> n.startsWith("dec"))
          .thenComparingInt(n -> Integer.parseInt(n.replaceAll("\\D", ""))));
      for (String layer : names) {
        JsonNode l = layers.get(layer);
        s.put(layer, 100 * l.get("saturated").asDouble());
        double sq = 0;
        for (String g : GATES) {
          double v = l.get("gates").get(g).get("rms").asDouble();
          sq += v * v;
        }
        r.put(layer, Math.sqrt(sq / GATES.length));
      }
      switched.put(label, s);
      rms.put(label, r);
    }
    String base = out.getPath().replaceAll("\\.png$", "");
    Charts.bars("Switched gate units (|pre-activation| > 3)", "LSTM layer", "% of gate units",
        switched, 800, 450, out);
    Charts.bars("Root mean square of the gates' pre-activations", "LSTM layer", "rms",
        rms, 800, 450, new File(base + "-rms.png"));
    return 0;
  }
}
