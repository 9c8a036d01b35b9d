package io.github.dl4jsn.examples.gan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.File;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The samples file that the PyTorch image twin writes for ScoreImages. */
class ScoreImagesTest {

  @TempDir Path dir;

  private File write(String name, int floats, float first) throws Exception {
    ByteBuffer b = ByteBuffer.allocate(4 * floats).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < floats; i++) {
      b.putFloat(i == 0 ? first : (i % 7) / 7f - 0.5f);
    }
    File f = dir.resolve(name).toFile();
    Files.write(f.toPath(), b.array());
    return f;
  }

  @Test
  void readsLittleEndianImagesInRowMajorOrder() throws Exception {
    INDArray images = ScoreImages.read(write("ok.f32", 2 * 784, -1f));
    assertThat(images.shape()).containsExactly(2, 1, 28, 28);
    assertThat(images.getFloat(0, 0, 0, 0)).isEqualTo(-1f);
    // Float 784 + 30 (image 1, row 1, column 2): (814 % 7) / 7 - 0.5.
    assertThat(images.getFloat(1, 0, 1, 2)).isEqualTo((814 % 7) / 7f - 0.5f);
  }

  @Test
  void rejectsATruncatedFileAndValuesOutsideTheTanhRange() throws Exception {
    assertThatThrownBy(() -> ScoreImages.read(write("short.f32", 784 + 3, 0f)))
        .hasMessageContaining("a multiple of 3136 bytes").hasMessageContaining("3148 bytes");
    assertThatThrownBy(() -> ScoreImages.read(write("range.f32", 784, 2.5f)))
        .hasMessageContaining("value 2.5 at image 0, pixel 0 is outside [-1, 1]");
  }
}
