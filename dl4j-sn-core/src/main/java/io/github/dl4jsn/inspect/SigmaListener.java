package io.github.dl4jsn.inspect;

import io.github.dl4jsn.SpectralNorm;
import java.awt.BasicStroke;
import java.awt.Color;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records sigma of every spectrally normalized weight every N iterations: the estimate from the
 * stored vectors (what the layer divides by) and, optionally, the exact largest singular value of
 * W_SN by SVD (about c once the estimate has converged; costly for large weights). Rows go to an
 * in-memory history and, if a CSV file is given, are appended to it as they are recorded:
 *
 * <pre>
 * iteration,epoch,weight,sigma_estimate,sigma_exact
 * 0,0,0/W,3.1416,1.0000
 * </pre>
 *
 * {@code weight} is {@code layerName/key} as in {@link SpectralNorm#sigmas}; {@code sigma_exact}
 * is empty when not recorded. {@link #writePng} plots the history (needs JFreeChart on the class
 * path: {@code org.jfree:jfreechart}, an optional dependency of this library).
 *
 * <pre>{@code
 * SigmaListener sigmas = SigmaListener.builder().every(50).csv(Path.of("sigma.csv")).build();
 * net.setListeners(sigmas);
 * net.fit(data, epochs);
 * sigmas.writePng(Path.of("sigma.png"));
 * }</pre>
 */
public class SigmaListener extends BaseTrainingListener {

  private static final Logger log = LoggerFactory.getLogger(SigmaListener.class);

  /** One recorded value. */
  public static final class Row {
    public final int iteration;
    public final int epoch;
    public final String weight;
    public final double estimate;
    /** NaN where not recorded. */
    public final double exact;

    Row(int iteration, int epoch, String weight, double estimate, double exact) {
      this.iteration = iteration;
      this.epoch = epoch;
      this.weight = weight;
      this.estimate = estimate;
      this.exact = exact;
    }
  }

  private final int every;
  private final boolean exact;
  private final Path csv;
  private final List<Row> history = new ArrayList<>();
  private boolean headerWritten;

  private SigmaListener(Builder b) {
    this.every = b.every;
    this.exact = b.exact;
    this.csv = b.csv;
  }

  /** A builder: every 10 iterations, estimates only, no CSV file. */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  public void iterationDone(Model model, int iteration, int epoch) {
    if (iteration % every != 0) {
      return;
    }
    record(model, iteration, epoch);
  }

  /** Records the current values now (for example before training starts). */
  public void record(Model model, int iteration, int epoch) {
    Map<String, Double> estimates = SpectralNorm.sigmas(model);
    Map<String, Double> exacts = exact ? SpectralNorm.exactSigmas(model) : Map.of();
    List<Row> rows = new ArrayList<>();
    for (Map.Entry<String, Double> e : estimates.entrySet()) {
      rows.add(new Row(iteration, epoch, e.getKey(), e.getValue(),
          exacts.getOrDefault(e.getKey(), Double.NaN)));
    }
    history.addAll(rows);
    if (csv != null) {
      append(rows);
    }
  }

  private void append(List<Row> rows) {
    try {
      if (csv.getParent() != null) {
        Files.createDirectories(csv.getParent());
      }
      try (BufferedWriter w = headerWritten
          ? Files.newBufferedWriter(csv, StandardCharsets.UTF_8,
              java.nio.file.StandardOpenOption.APPEND)
          : Files.newBufferedWriter(csv, StandardCharsets.UTF_8)) {
        if (!headerWritten) {
          w.write("iteration,epoch,weight,sigma_estimate,sigma_exact\n");
          headerWritten = true;
        }
        for (Row r : rows) {
          w.write(String.format(Locale.ROOT, "%d,%d,%s,%.10g,%s%n", r.iteration, r.epoch,
              r.weight, r.estimate,
              Double.isNaN(r.exact) ? "" : String.format(Locale.ROOT, "%.10g", r.exact)));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("SigmaListener: cannot write " + csv, e);
    }
  }

  /** Everything recorded so far, in order. */
  public List<Row> history() {
    return Collections.unmodifiableList(history);
  }

  /**
   * Plots sigma over training, one line per weight (estimates solid, exact values dashed), as an
   * 900x550 PNG.
   *
   * @throws IllegalStateException if nothing was recorded or JFreeChart is not on the class path
   */
  public void writePng(Path file) throws IOException {
    if (history.isEmpty()) {
      throw new IllegalStateException("SigmaListener: nothing recorded yet, no plot to write");
    }
    try {
      Class.forName("org.jfree.chart.JFreeChart");
    } catch (ClassNotFoundException e) {
      throw new IllegalStateException("SigmaListener.writePng needs JFreeChart: add the "
          + "dependency org.jfree:jfreechart:1.5.6 (the CSV needs nothing)", e);
    }
    Plot.write(history, file);
    log.info("Wrote sigma plot {}", file);
  }

  /** The JFreeChart part, loaded only when a plot is written. */
  private static final class Plot {
    static void write(List<Row> history, Path file) throws IOException {
      Map<String, org.jfree.data.xy.XYSeries> series = new LinkedHashMap<>();
      for (Row r : history) {
        series.computeIfAbsent(r.weight + " estimate",
            k -> new org.jfree.data.xy.XYSeries(k, true, true)).add(r.iteration, r.estimate);
      }
      for (Row r : history) {
        if (!Double.isNaN(r.exact)) {
          series.computeIfAbsent(r.weight + " exact (SVD of W_SN)",
              k -> new org.jfree.data.xy.XYSeries(k, true, true)).add(r.iteration, r.exact);
        }
      }
      org.jfree.data.xy.XYSeriesCollection data = new org.jfree.data.xy.XYSeriesCollection();
      series.values().forEach(data::addSeries);
      org.jfree.chart.JFreeChart chart = org.jfree.chart.ChartFactory.createXYLineChart(
          "Spectral normalization: sigma per weight", "iteration", "sigma", data,
          org.jfree.chart.plot.PlotOrientation.VERTICAL, true, false, false);
      org.jfree.chart.plot.XYPlot plot = chart.getXYPlot();
      plot.setBackgroundPaint(Color.WHITE);
      plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
      plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
      int i = 0;
      for (String name : series.keySet()) {
        if (name.endsWith("(SVD of W_SN)")) {
          plot.getRenderer().setSeriesStroke(i, new BasicStroke(1.5f, BasicStroke.CAP_BUTT,
              BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f));
        }
        i++;
      }
      if (file.getParent() != null) {
        Files.createDirectories(file.getParent());
      }
      org.jfree.chart.ChartUtils.saveChartAsPNG(file.toFile(), chart, 900, 550);
    }
  }

  /** Options of a {@link SigmaListener}. */
  public static final class Builder {
    private int every = 10;
    private boolean exact;
    private Path csv;

    /** Record every {@code n} iterations, n &ge; 1. Default: 10. */
    public Builder every(int n) {
      if (n < 1) {
        throw new IllegalArgumentException("SigmaListener: every must be >= 1, got " + n);
      }
      this.every = n;
      return this;
    }

    /** Also record the exact sigma of W_SN by SVD (costly for large weights). Default: off. */
    public Builder exact(boolean exact) {
      this.exact = exact;
      return this;
    }

    /** Append rows to this CSV file (created, or replaced at the first row). Default: none. */
    public Builder csv(Path csv) {
      this.csv = csv;
      return this;
    }

    public SigmaListener build() {
      return new SigmaListener(this);
    }
  }
}
