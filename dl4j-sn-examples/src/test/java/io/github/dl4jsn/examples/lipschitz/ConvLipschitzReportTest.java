package io.github.dl4jsn.examples.lipschitz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import picocli.CommandLine;

/** The conv Lipschitz report: its input-gradient lower bound, and the program in smoke mode. */
class ConvLipschitzReportTest {

  @TempDir Path dir;

  @BeforeAll
  static void headless() {
    System.setProperty("java.awt.headless", "true");
  }

  @Test
  void inputGradientNormMatchesFiniteDifferencesOfTheDiscriminator() {
    MultiLayerNetwork d = new MultiLayerNetwork(ConvLipschitzReport.discriminator(true, 3));
    d.init();
    INDArray x = ConvLipschitzReport.syntheticImages(1, 4);
    double reported = ConvLipschitzReport.maxInputGradient(d, x);
    // Forward differences of D(x) along each of the 784 pixels, in one batched pass.
    double h = 1e-2;
    INDArray batch = x.reshape(1, 784).repeat(0, 785);
    for (int i = 0; i < 784; i++) {
      batch.putScalar(i + 1, i, batch.getDouble(i + 1, i) + h);
    }
    INDArray p = d.output(batch.reshape(785, 1, 28, 28), false);
    INDArray grad = p.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(1, 785))
        .sub(p.getDouble(0, 0)).divi(h);
    double fd = grad.norm2Number().doubleValue();
    assertThat(reported).isCloseTo(fd, within(0.05 * fd));
  }

  @Test
  void smokeRunWritesTheReportForBothModes() throws Exception {
    Path out = dir.resolve("report");
    int code = new CommandLine(new ConvLipschitzReport()).execute(
        "--synthetic", "--steps", "2", "--batch-size", "4", "--measure-iterations", "20",
        "--log-every", "1", "--out", out.toString());
    assertThat(code).isZero();
    String report = Files.readString(out.resolve("report.md"));
    assertThat(report).contains("| reshaped | layer0 |").contains("| operator | layer3 |")
        .contains("Operator-mode step time / reshaped-mode step time:");
    for (String png : new String[] {"samples-reshaped.png", "samples-operator.png",
        "d-loss.png"}) {
      assertThat(out.resolve(png)).exists();
    }
  }
}
