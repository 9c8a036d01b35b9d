package io.github.dl4jsn.examples.translation;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The curves figure of translation runs, from the Java and the twin's history formats. */
class TranslationCurvesTest {

  @TempDir Path dir;

  @Test
  void drawsBleuLossAndSigmaFiguresAndRejectsARunWithoutALabel() throws Exception {
    Path java = dir.resolve("java.json");
    Files.writeString(java, "[{\"epoch\":1,\"trainLoss\":56.7,\"validLoss\":47.2,"
        + "\"validBleuGreedy\":0.0,\"sigmas\":{\"enc0W\":1.5}},{\"epoch\":2,\"trainLoss\":46.4,"
        + "\"validLoss\":42.0,\"validBleuGreedy\":0.024,\"sigmas\":{\"enc0W\":1.7}}]");
    Path twin = dir.resolve("twin.json");
    Files.writeString(twin, "[{\"epoch\":1,\"updates\":256,\"trainLoss\":56.9,"
        + "\"validLoss\":47.5,\"validBleuGreedy\":0.0}]");
    File out = dir.resolve("curves.png").toFile();
    int rc = new CommandLine(new TranslationCurves()).execute("--out", out.getPath(), "--sigmas",
        "DL4J=" + java, "twin=" + twin);
    assertThat(rc).isZero();
    for (String name : new String[] {"curves.png", "curves-loss.png", "curves-sigmas.png"}) {
      BufferedImage img = ImageIO.read(dir.resolve(name).toFile());
      assertThat(img).as(name).isNotNull();
      assertThat(img.getWidth()).as(name).isGreaterThan(100);
    }
    CommandLine bad = new CommandLine(new TranslationCurves());
    bad.setErr(new java.io.PrintWriter(new java.io.StringWriter()));
    assertThat(bad.execute("--out", out.getPath(), "no-label.json")).isNotZero();
  }
}
