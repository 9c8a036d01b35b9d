package io.github.dl4jsn.examples.translation;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.File;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.shade.jackson.databind.ObjectMapper;
import picocli.CommandLine;

/** The gates figure, from a gates JSON as {@code GateStatistics} writes it. */
class TranslationGatesFigureTest {

  @TempDir Path dir;

  @Test
  void drawsBothFiguresAndNamesABadFile() throws Exception {
    GateStatistics s = new GateStatistics();
    s.add(new double[] {1, 2, 0, -4}, new double[] {0, 2, 0.5, 0}, new double[4],
        new double[] {0.5}, 1);
    Map<String, Object> layers = new TreeMap<>();
    layers.put("enc0", s.toMap());
    layers.put("dec0", s.toMap());
    Path gates = dir.resolve("gates.json");
    new ObjectMapper().writeValue(gates.toFile(), Map.of("layers", layers));
    Path notGates = dir.resolve("history.json");
    Files.writeString(notGates, "[{\"epoch\":1}]");
    File out = dir.resolve("gates.png").toFile();
    int rc = new CommandLine(new TranslationGatesFigure()).execute("--out", out.getPath(),
        "plain=" + gates, "SN=" + gates);
    assertThat(rc).isZero();
    for (String name : new String[] {"gates.png", "gates-rms.png"}) {
      BufferedImage img = ImageIO.read(dir.resolve(name).toFile());
      assertThat(img).as(name).isNotNull();
      assertThat(img.getWidth()).as(name).isEqualTo(800);
    }
    CommandLine bad = new CommandLine(new TranslationGatesFigure());
    StringWriter err = new StringWriter();
    bad.setErr(new PrintWriter(err));
    assertThat(bad.execute("--out", out.getPath(), "plain=" + notGates)).isNotZero();
    assertThat(err.toString()).contains("Model plain").contains("no \"layers\"");
  }
}
