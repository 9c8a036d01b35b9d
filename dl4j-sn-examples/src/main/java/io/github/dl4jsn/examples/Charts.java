package io.github.dl4jsn.examples;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.geom.Ellipse2D;
import java.awt.image.BufferedImage;
import java.io.File;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.CategoryAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.BoxAndWhiskerRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.statistics.DefaultBoxAndWhiskerCategoryDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** PNG charts for the examples (JFreeChart, headless). */
public final class Charts {
  private Charts() {}

  /** A line chart of named series, saved as an 800x500 PNG. */
  public static void lines(String title, String xLabel, String yLabel,
      Map<String, XYSeries> series, File file) throws IOException {
    XYSeriesCollection data = new XYSeriesCollection();
    series.values().forEach(data::addSeries);
    JFreeChart chart = ChartFactory.createXYLineChart(title, xLabel, yLabel, data,
        PlotOrientation.VERTICAL, true, false, false);
    chart.getXYPlot().setBackgroundPaint(Color.WHITE);
    chart.getXYPlot().setRangeGridlinePaint(Color.LIGHT_GRAY);
    chart.getXYPlot().setDomainGridlinePaint(Color.LIGHT_GRAY);
    ChartUtils.saveChartAsPNG(file, chart, 800, 500);
  }

  /**
   * Grouped bars: for each category (x axis) one bar per series, side by side, saved as a PNG of
   * the given size. {@code values.get(series).get(category)} holds the value.
   */
  public static void bars(String title, String xLabel, String yLabel,
      Map<String, Map<String, Double>> values, int width, int height, File file)
      throws IOException {
    DefaultCategoryDataset data = new DefaultCategoryDataset();
    values.forEach((series, byCategory) -> byCategory.forEach((category, v) ->
        data.addValue(v, series, category)));
    JFreeChart chart = ChartFactory.createBarChart(title, xLabel, yLabel, data,
        PlotOrientation.VERTICAL, true, false, false);
    CategoryPlot plot = chart.getCategoryPlot();
    plot.setBackgroundPaint(Color.WHITE);
    plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
    BarRenderer renderer = (BarRenderer) plot.getRenderer();
    renderer.setBarPainter(new StandardBarPainter());
    renderer.setShadowVisible(false);
    renderer.setItemMargin(0.05);
    chart.setBackgroundPaint(Color.WHITE);
    ChartUtils.saveChartAsPNG(file, chart, width, height);
  }

  /**
   * Box plots of repeated measurements (e.g. one value per seed) for each category (x axis) and
   * series (one box colour each, side by side within a category; the median as a line, the mean
   * as a dot, whiskers to the furthest value within 1.5 interquartile ranges, values beyond as
   * circles, values beyond 2 interquartile ranges not drawn),
   * saved as a PNG of the given size. {@code values.get(series).get(category)} holds the values.
   */
  public static void boxes(String title, String xLabel, String yLabel,
      Map<String, Map<String, List<Double>>> values, int width, int height, File file)
      throws IOException {
    DefaultBoxAndWhiskerCategoryDataset data = new DefaultBoxAndWhiskerCategoryDataset();
    values.forEach((series, byCategory) -> byCategory.forEach((category, v) ->
        data.add(v, series, category)));
    BoxAndWhiskerRenderer renderer = new BoxAndWhiskerRenderer();
    renderer.setMeanVisible(true);
    renderer.setMedianVisible(true);
    renderer.setFillBox(true);
    // JFreeChart marks "far out" values (beyond 2 interquartile ranges) by a triangle at the
    // plot's edge, not at the value, which misreads as a value there: off (callers list every
    // value in a table). Outliers nearer than that are drawn as circles at their values.
    renderer.setMaxOutlierVisible(false);
    renderer.setMinOutlierVisible(false);
    renderer.setDefaultToolTipGenerator(null);
    renderer.setItemMargin(0.15);
    Color[] palette = {new Color(31, 119, 180), new Color(255, 127, 14),
        new Color(174, 199, 232), new Color(255, 187, 120)};
    for (int i = 0; i < palette.length; i++) {
      renderer.setSeriesPaint(i, palette[i]);
    }
    CategoryPlot plot = new CategoryPlot(data, new CategoryAxis(xLabel), new NumberAxis(yLabel),
        renderer);
    plot.setBackgroundPaint(Color.WHITE);
    plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
    JFreeChart chart = new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, true);
    chart.setBackgroundPaint(Color.WHITE);
    ChartUtils.saveChartAsPNG(file, chart, width, height);
  }

  /**
   * A scatter of points over reference points (drawn as large rings), in a square window of
   * half-width {@code extent}, saved as a 700x700 PNG.
   */
  public static void scatter(String title, double[][] points, double[][] references,
      double extent, File file) throws IOException {
    XYSeries samples = new XYSeries("generated samples");
    for (double[] p : points) {
      samples.add(p[0], p[1]);
    }
    XYSeries modes = new XYSeries("true modes");
    for (double[] m : references) {
      modes.add(m[0], m[1]);
    }
    XYSeriesCollection data = new XYSeriesCollection();
    data.addSeries(samples);
    data.addSeries(modes);
    JFreeChart chart = ChartFactory.createScatterPlot(title, "x", "y", data,
        PlotOrientation.VERTICAL, true, false, false);
    XYPlot plot = chart.getXYPlot();
    plot.setBackgroundPaint(Color.WHITE);
    XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(false, true);
    r.setSeriesShape(0, new Ellipse2D.Double(-1.5, -1.5, 3, 3));
    r.setSeriesPaint(0, new Color(31, 119, 180, 90));
    r.setSeriesShape(1, new Ellipse2D.Double(-6, -6, 12, 12));
    r.setSeriesPaint(1, new Color(214, 39, 40));
    r.setSeriesShapesFilled(1, false);
    r.setSeriesStroke(1, new BasicStroke(2f));
    plot.setRenderer(r);
    plot.getDomainAxis().setRange(-extent, extent);
    plot.getRangeAxis().setRange(-extent, extent);
    ChartUtils.saveChartAsPNG(file, chart, 700, 700);
  }

  /**
   * A grid of grey images [n, 1, h, w] with values in [-1, 1] (black to white), {@code cols} per
   * row with a 2-pixel gap, saved as a PNG.
   */
  public static void imageGrid(INDArray images, int cols, File file) throws IOException {
    int n = (int) images.size(0);
    int h = (int) images.size(2);
    int w = (int) images.size(3);
    int rows = (n + cols - 1) / cols;
    int gap = 2;
    float[] px = images.castTo(DataType.FLOAT).dup('c').data().asFloat();
    BufferedImage img = new BufferedImage(cols * (w + gap) + gap, rows * (h + gap) + gap,
        BufferedImage.TYPE_BYTE_GRAY);
    for (int k = 0; k < n; k++) {
      int x0 = gap + (k % cols) * (w + gap);
      int y0 = gap + (k / cols) * (h + gap);
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          double v = (px[(k * h + y) * w + x] + 1) / 2;
          img.getRaster().setSample(x0 + x, y0 + y, 0,
              (int) Math.round(255 * Math.max(0, Math.min(1, v))));
        }
      }
    }
    ImageIO.write(img, "png", file);
  }
}
