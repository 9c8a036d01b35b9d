package io.github.dl4jsn.examples.gan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.DataOutputStream;
import java.io.File;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The IDX reader on small files written here, and its errors for missing and corrupt data. */
class IdxImagesTest {

  @TempDir Path dir;

  static void write(File f, int magic, int[] header, byte[] body) throws IOException {
    try (DataOutputStream out = new DataOutputStream(new FileOutputStream(f))) {
      out.writeInt(magic);
      for (int h : header) {
        out.writeInt(h);
      }
      out.write(body);
    }
  }

  @Test
  void readsImagesScaledToMinusOneOneAndLabels() throws IOException {
    byte[] pixels = new byte[2 * 28 * 28];
    pixels[0] = (byte) 255;
    pixels[28 * 28 + 5] = (byte) 128;
    write(dir.resolve("train-images-idx3-ubyte").toFile(), 0x803, new int[] {2, 28, 28}, pixels);
    write(dir.resolve("train-labels-idx1-ubyte").toFile(), 0x801, new int[] {2}, new byte[] {7, 3});
    IdxImages.Split s = IdxImages.load(dir.toFile(), "train", "mnist");
    assertThat(s.images.shape()).containsExactly(2, 1, 28, 28);
    assertThat(s.images.getDouble(0, 0, 0, 0)).isEqualTo(1.0);
    assertThat(s.images.getDouble(0, 0, 0, 1)).isEqualTo(-1.0);
    assertThat(s.images.getDouble(1, 0, 0, 5)).isCloseTo(128 / 127.5 - 1, org.assertj.core.api.Assertions.within(1e-6));
    assertThat(s.labels).containsExactly(7, 3);
  }

  @Test
  void missingFilesSayHowToFetchThem() {
    assertThatThrownBy(() -> IdxImages.load(dir.toFile(), "t10k", "fashion-mnist"))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("t10k-images-idx3-ubyte")
        .hasMessageContaining("bash scripts/fetch-data.sh fashion-mnist");
  }

  @Test
  void truncatedFilesAreReportedAsCorrupt() throws IOException {
    write(dir.resolve("train-images-idx3-ubyte").toFile(), 0x803, new int[] {2, 28, 28},
        new byte[100]);
    write(dir.resolve("train-labels-idx1-ubyte").toFile(), 0x801, new int[] {2}, new byte[] {1, 2});
    assertThatThrownBy(() -> IdxImages.load(dir.toFile(), "train", "mnist"))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("Corrupt mnist file")
        .hasMessageContaining("does not match 2 images")
        .hasMessageContaining("fetch again");
  }
}
