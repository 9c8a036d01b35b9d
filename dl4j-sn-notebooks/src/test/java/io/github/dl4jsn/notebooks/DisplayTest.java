package io.github.dl4jsn.notebooks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.util.Base64;
import javax.imageio.ImageIO;
import org.dflib.jjava.jupyter.kernel.display.DisplayData;
import org.dflib.jjava.jupyter.kernel.display.mime.MIMEType;
import org.junit.jupiter.api.Test;

class DisplayTest {

  @Test
  void imageBecomesBase64PngDisplayDataThatDecodesToTheSamePixels() throws Exception {
    BufferedImage img = new BufferedImage(3, 2, BufferedImage.TYPE_INT_RGB);
    img.setRGB(2, 1, Color.RED.getRGB());
    DisplayData d = Display.pngData(Display.encodePng(img), "test");

    byte[] png = Base64.getDecoder().decode((String) d.getData(MIMEType.IMAGE_PNG));
    BufferedImage back = ImageIO.read(new ByteArrayInputStream(png));
    assertThat(back.getWidth()).isEqualTo(3);
    assertThat(back.getRGB(2, 1)).isEqualTo(Color.RED.getRGB());
    assertThat(d.getData(MIMEType.TEXT_PLAIN)).isEqualTo("[PNG: test]");
  }

  @Test
  void bytesThatAreNotAPngAreRefused() {
    assertThatThrownBy(() -> Display.pngData("GIF89a..".getBytes(), "x.gif"))
        .hasMessageContaining("Not a PNG: x.gif");
  }

  @Test
  void displayOutsideANotebookSaysSo() {
    assertThatThrownBy(() -> Display.display("text"))
        .hasMessageContaining("No kernel running");
  }
}
