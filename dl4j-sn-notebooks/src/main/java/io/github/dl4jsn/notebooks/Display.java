package io.github.dl4jsn.notebooks;

import java.awt.image.RenderedImage;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.UUID;
import javax.imageio.ImageIO;
import org.dflib.jjava.jupyter.kernel.BaseKernel;
import org.dflib.jjava.jupyter.kernel.display.DisplayData;

/**
 * Shows images inline in the running notebook as {@code image/png} display data (base64), with a
 * {@code text/plain} fallback.
 *
 * <p>It works in any kernel built on JJava's kernel library (this project's test-harness kernel,
 * JJava). IJava and JJava also have their own {@code display(Object)}; the notebooks call {@code
 * display(image)} with a {@link RenderedImage}, which all three render as PNG.
 */
public final class Display {
  private Display() {}

  /** Shows a PNG file; returns the display id. */
  public static String png(Path file) {
    try {
      return publish(pngData(Files.readAllBytes(file), file.getFileName().toString()));
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read " + file, e);
    }
  }

  /** Shows an image (e.g. a {@code BufferedImage} or a JFreeChart rendering) as a PNG. */
  public static String image(RenderedImage image) {
    return publish(pngData(encodePng(image),
        image.getWidth() + "x" + image.getHeight() + " image"));
  }

  /**
   * Shows a value: an image or a PNG file ({@code Path} or {@code File}) as a PNG, display data as
   * it is, anything else as text.
   */
  public static String display(Object value) {
    if (value instanceof RenderedImage image) {
      return image(image);
    } else if (value instanceof Path p) {
      return png(p);
    } else if (value instanceof File f) {
      return png(f.toPath());
    } else if (value instanceof DisplayData d) {
      return publish(d);
    }
    return publish(new DisplayData(String.valueOf(value)));
  }

  /** The display data of a PNG: {@code image/png} (base64) and a text/plain description. */
  public static DisplayData pngData(byte[] png, String description) {
    if (png.length < 8 || (png[0] & 0xff) != 0x89 || png[1] != 'P' || png[2] != 'N'
        || png[3] != 'G') {
      throw new IllegalArgumentException("Not a PNG: " + description);
    }
    DisplayData data = new DisplayData("[PNG: " + description + "]");
    data.putData("image/png", Base64.getEncoder().encodeToString(png));
    return data;
  }

  /** The PNG encoding of an image. */
  public static byte[] encodePng(RenderedImage image) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      if (!ImageIO.write(image, "png", out)) {
        throw new IllegalArgumentException("No PNG writer for " + image);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  private static String publish(DisplayData data) {
    if (!data.hasDisplayId()) {
      data.setDisplayId(UUID.randomUUID().toString());
    }
    BaseKernel.notebookKernel().display(data);
    return data.getDisplayId();
  }
}
