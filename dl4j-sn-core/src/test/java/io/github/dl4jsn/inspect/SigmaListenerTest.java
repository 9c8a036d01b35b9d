package io.github.dl4jsn.inspect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.dl4jsn.SpectralNorm;
import io.github.dl4jsn.testutil.Nets;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;

/** The sigma listener records every N iterations to memory and CSV, and plots a PNG. */
class SigmaListenerTest {

  @TempDir Path dir;

  @Test
  void recordsEveryNIterationsToCsvAndPlotsThem() throws Exception {
    MultiLayerNetwork net = new MultiLayerNetwork(Nets.mlp(Nets.SN, DataType.FLOAT));
    net.init();
    Path csv = dir.resolve("out/sigma.csv");
    SigmaListener listener = SigmaListener.builder().every(5).exact(true).csv(csv).build();
    net.setListeners(listener);
    DataSet data = Nets.clusters(32, 1, DataType.FLOAT);
    for (int i = 0; i < 12; i++) {
      net.fit(data);
    }
    // Iterations 0, 5 and 10, three weights each.
    List<SigmaListener.Row> rows = listener.history();
    assertThat(rows).hasSize(9);
    assertThat(rows).extracting(r -> r.iteration).containsExactly(0, 0, 0, 5, 5, 5, 10, 10, 10);
    assertThat(rows.subList(0, 3)).extracting(r -> r.weight)
        .containsExactly("layer0/W", "layer1/W", "layer2/W");
    for (SigmaListener.Row r : rows) {
      assertThat(r.estimate).isPositive();
      // One power iteration per step lags fast-moving weights: the exact value can exceed 1.
      assertThat(r.exact).isBetween(0.5, 1.5);
    }
    // The last row holds what SpectralNorm reports for the model after iteration 10 (the fit of
    // iteration 11 changed it since); the values are the estimates the layer divides by.
    List<String> lines = Files.readAllLines(csv);
    assertThat(lines).hasSize(10);
    assertThat(lines.get(0)).isEqualTo("iteration,epoch,weight,sigma_estimate,sigma_exact");
    assertThat(lines.get(1)).startsWith("0,0,layer0/W,");
    String[] last = lines.get(9).split(",");
    assertThat(last[0]).isEqualTo("10");
    assertThat(Double.parseDouble(last[3])).isEqualTo(rows.get(8).estimate, within(1e-6));

    Path png = dir.resolve("sigma.png");
    listener.writePng(png);
    BufferedImage image = ImageIO.read(png.toFile());
    assertThat(image.getWidth()).isEqualTo(900);
    assertThat(image.getHeight()).isEqualTo(550);

    // record() on demand adds the current values.
    listener.record(net, 12, 0);
    assertThat(listener.history().get(listener.history().size() - 1).estimate)
        .isEqualTo(SpectralNorm.sigmas(net).get("layer2/W"));
  }

  @Test
  void badOptionsAndEmptyPlotsFailClearly() {
    assertThatThrownBy(() -> SigmaListener.builder().every(0))
        .hasMessageContaining("every must be >= 1, got 0");
    assertThatThrownBy(() -> SigmaListener.builder().build().writePng(dir.resolve("x.png")))
        .hasMessageContaining("nothing recorded yet");
  }

  private static org.assertj.core.data.Offset<Double> within(double d) {
    return org.assertj.core.data.Offset.offset(d);
  }
}
