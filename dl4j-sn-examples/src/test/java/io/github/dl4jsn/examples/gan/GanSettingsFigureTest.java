package io.github.dl4jsn.examples.gan;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.File;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.shade.jackson.databind.ObjectMapper;
import picocli.CommandLine;

/** The settings figure reads both programs' metrics.json and draws both panels. */
class GanSettingsFigureTest {

  @TempDir Path dir;

  @BeforeAll
  static void headless() {
    System.setProperty("java.awt.headless", "true");
  }

  private void write(String run, String json) throws Exception {
    Path folder = Files.createDirectories(dir.resolve("runs").resolve(run));
    Files.writeString(folder.resolve("metrics.json"), json);
  }

  @Test
  void readsJavaAndTwinRunsAndDrawsBothFigures() throws Exception {
    write("ring-D-sn-seed1", "{\"dataset\":\"ring\",\"spectral_normalization\":true,"
        + "\"setting\":\"D\",\"seed\":1,\"steps\":1000,"
        + "\"metrics\":{\"modes_covered\":8,\"high_quality_fraction\":0.5}}");
    write("twin-ring-D-no-sn-seed1", "{\"framework\":\"pytorch 1.13\",\"args\":{\"dataset\":"
        + "\"ring\",\"setting\":\"D\",\"sn\":false,\"seed\":1,\"steps\":1000},"
        + "\"metrics\":{\"modes_covered\":1,\"high_quality_fraction\":0.1}}");
    GanSettingsFigure.Run java = GanSettingsFigure.Run.of(new ObjectMapper().readTree(
        dir.resolve("runs/ring-D-sn-seed1/metrics.json").toFile()));
    assertThat(java).isEqualTo(
        new GanSettingsFigure.Run("DL4J", "ring", "D", true, 1, 1000, 50.0, 8.0));
    GanSettingsFigure.Run twin = GanSettingsFigure.Run.of(new ObjectMapper().readTree(
        dir.resolve("runs/twin-ring-D-no-sn-seed1/metrics.json").toFile()));
    assertThat(twin.series()).isEqualTo("plain, PyTorch twin");
    assertThat(twin.first()).isEqualTo(10.0);

    File png = dir.resolve("settings.png").toFile();
    int code = new CommandLine(new GanSettingsFigure()).execute("--runs",
        dir.resolve("runs").toString(), "--out", png.getPath());
    assertThat(code).isZero();
    for (File f : new File[] {png, dir.resolve("settings-modes.png").toFile()}) {
      BufferedImage image = ImageIO.read(f);
      assertThat(image).as(f.getName()).isNotNull();
      assertThat(image.getWidth()).isEqualTo(1000);
    }
  }

  @Test
  void imageRunsGiveConfidentShareAndFrechetDistance() throws Exception {
    String metrics = "\"metrics\":{\"confident_fraction\":0.25,"
        + "\"frechet_distance_classifier_features\":120.5,\"kl_to_uniform\":0.2}";
    write("mnist-F-sn-seed1", "{\"dataset\":\"mnist\",\"spectral_normalization\":true,"
        + "\"setting\":\"F\",\"seed\":1,\"steps\":300," + metrics + "}");
    write("twin-mnist-F-sn-seed1", "{\"framework\":\"pytorch 1.13\",\"args\":{\"dataset\":"
        + "\"mnist\",\"setting\":\"F\",\"sn\":true,\"seed\":1,\"steps\":300}," + metrics + "}");
    write(".classifier-mnist", "{\"dataset\":\"mnist\"}");
    GanSettingsFigure.Run java = GanSettingsFigure.Run.of(new ObjectMapper().readTree(
        dir.resolve("runs/mnist-F-sn-seed1/metrics.json").toFile()));
    assertThat(java).isEqualTo(
        new GanSettingsFigure.Run("DL4J", "mnist", "F", true, 1, 300, 25.0, 120.5));
    assertThat(java.image()).isTrue();

    File png = dir.resolve("mnist.png").toFile();
    int code = new CommandLine(new GanSettingsFigure()).execute("--runs",
        dir.resolve("runs").toString(), "--out", png.getPath());
    assertThat(code).isZero();
    assertThat(ImageIO.read(png).getHeight()).isEqualTo(520);
    assertThat(ImageIO.read(dir.resolve("mnist-frechet.png").toFile()).getWidth()).isEqualTo(1000);
  }

  @Test
  void runsOfTwoDataSetsAreAnErrorNamingThem() throws Exception {
    write("ring-D-sn-seed1", "{\"dataset\":\"ring\",\"spectral_normalization\":true,"
        + "\"setting\":\"D\",\"seed\":1,\"steps\":1000,"
        + "\"metrics\":{\"modes_covered\":8,\"high_quality_fraction\":0.5}}");
    write("mnist-D-sn-seed1", "{\"dataset\":\"mnist\",\"spectral_normalization\":true,"
        + "\"setting\":\"D\",\"seed\":1,\"steps\":300,\"metrics\":{\"confident_fraction\":"
        + "0.5,\"frechet_distance_classifier_features\":90.0}}");
    StringWriter err = new StringWriter();
    int code = new CommandLine(new GanSettingsFigure()).setErr(new PrintWriter(err))
        .execute("--runs", dir.resolve("runs").toString(), "--out",
            dir.resolve("x.png").toString());
    assertThat(code).isNotZero();
    assertThat(err.toString()).contains("[mnist, ring]");
  }

  @Test
  void anEmptyFolderIsAnErrorNamingIt() {
    StringWriter err = new StringWriter();
    int code = new CommandLine(new GanSettingsFigure()).setErr(new PrintWriter(err))
        .execute("--runs", dir.toString(), "--out", dir.resolve("x.png").toString());
    assertThat(code).isNotZero();
    assertThat(err.toString()).contains("No metrics.json under").contains(dir.toString());
  }
}
