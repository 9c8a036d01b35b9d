package io.github.dl4jsn.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The examples in smoke mode: a few steps, real outputs. */
class ExamplesSmokeTest {

  @TempDir Path dir;

  @BeforeAll
  static void headless() {
    System.setProperty("java.awt.headless", "true");
  }

  @Test
  void quickstartTrainsPrintsSigmaPerLayerAndWritesPlots() throws Exception {
    File out = dir.resolve("quickstart").toFile();
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    PrintStream old = System.out;
    int code;
    try {
      System.setOut(new PrintStream(buf, true, "UTF-8"));
      code = new CommandLine(new QuickstartExample())
          .execute("--steps", "20", "--log-every", "10", "--hidden", "16", "--out", out.getPath());
    } finally {
      System.setOut(old);
    }
    String printed = buf.toString("UTF-8");
    assertThat(code).isZero();
    assertThat(printed).contains("layer0/W", "layer1/W", "layer2/W", "ratio");
    for (String name : new String[] {"sigma.png", "loss.png"}) {
      BufferedImage image = ImageIO.read(new File(out, name));
      assertThat(image).as(name).isNotNull();
      assertThat(image.getWidth()).isEqualTo(800);
    }
  }

  @Test
  void quickstartRejectsBadOptionsNamingTheValue() {
    StringWriter err = new StringWriter();
    int code = new CommandLine(new QuickstartExample()).setErr(new PrintWriter(err))
        .execute("--steps", "0", "--out", dir.toString());
    assertThat(code).isEqualTo(2);
    assertThat(err.toString()).contains("--steps").contains("got 0");
  }

  @Test
  void stepOverheadRunsBothNetworksInSmokeMode() {
    int code = new CommandLine(new StepOverhead())
        .execute("--steps", "3", "--warmup", "1", "--batch-size", "8");
    assertThat(code).isZero();
  }
}
