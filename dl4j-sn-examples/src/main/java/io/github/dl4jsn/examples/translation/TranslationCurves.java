package io.github.dl4jsn.examples.translation;

import io.github.dl4jsn.examples.Charts;
import java.io.File;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.jfree.data.xy.XYSeries;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Draws training curves from {@code train-history.json} files, the Java example's or the PyTorch
 * twin's (the same fields): greedy validation BLEU, validation loss and training loss per epoch,
 * one line per run, and, with {@code --sigmas}, the raw weights' largest singular values.
 */
@Command(name = "translation-curves", mixinStandardHelpOptions = true,
    description = "Plot validation BLEU and losses per epoch of translation runs.")
public final class TranslationCurves implements Callable<Integer> {

  @Parameters(arity = "1..*", paramLabel = "LABEL=HISTORY",
      description = "A run: its label, '=', and its train-history.json.")
  List<String> runs;

  @Option(names = "--out", required = true, description = "PNG of validation BLEU; the "
      + "losses go beside it with the suffix -loss (and -sigmas with --sigmas).")
  File out;

  @Option(names = "--sigmas", description = "Also plot the largest singular value of every raw "
      + "LSTM weight (not the output layer's), per epoch (runs whose history has them).")
  boolean sigmas;

  public static void main(String[] args) {
    System.setProperty("java.awt.headless", "true");
    System.exit(new CommandLine(new TranslationCurves()).execute(args));
  }

  @Override
  public Integer call() throws IOException {
    Map<String, XYSeries> bleu = new LinkedHashMap<>();
    Map<String, XYSeries> loss = new LinkedHashMap<>();
    Map<String, XYSeries> sigma = new LinkedHashMap<>();
    ObjectMapper json = new ObjectMapper();
    for (String run : runs) {
      LabelledFile lf = LabelledFile.parse(this, run, "run", "history");
      String label = lf.label();
      File file = lf.file();
      XYSeries b = new XYSeries(label);
      XYSeries train = new XYSeries(label + ", train");
      XYSeries valid = new XYSeries(label + ", valid");
      for (JsonNode row : json.readTree(file)) {
        int epoch = row.get("epoch").asInt();
        if (row.has("validBleuGreedy")) {
          b.add(epoch, 100 * row.get("validBleuGreedy").asDouble());
        }
        if (row.has("validLoss")) {
          valid.add(epoch, row.get("validLoss").asDouble());
        }
        train.add(epoch, row.get("trainLoss").asDouble());
        if (sigmas && row.has("sigmas")) {
          row.get("sigmas").fields().forEachRemaining(e -> {
            if (e.getKey().startsWith("enc") || e.getKey().startsWith("dec")) { // not outW
              sigma.computeIfAbsent(label + ", " + e.getKey(), XYSeries::new)
                  .add(epoch, e.getValue().asDouble());
            }
          });
        }
      }
      bleu.put(label, b);
      loss.put(label + ", train", train);
      loss.put(label + ", valid", valid);
    }
    String base = out.getPath().replaceAll("\\.png$", "");
    Charts.lines("Greedy validation BLEU", "epoch", "BLEU x 100", bleu, out);
    Charts.lines("Loss per sentence", "epoch", "loss", loss, new File(base + "-loss.png"));
    if (sigmas) {
      Charts.lines("Largest singular value of the raw LSTM weights", "epoch", "sigma", sigma,
          new File(base + "-sigmas.png"));
    }
    return 0;
  }
}
