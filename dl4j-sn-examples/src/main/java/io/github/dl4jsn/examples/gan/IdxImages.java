package io.github.dl4jsn.examples.gan;

import java.io.DataInputStream;
import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.BufferedInputStream;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Reads MNIST-format IDX files (the original, uncompressed ones, as {@code scripts/fetch-data.sh}
 * leaves them under {@code data/}) into arrays, checking the magic numbers and sizes.
 */
public final class IdxImages {
  private IdxImages() {}

  /** Images and labels of one split. */
  public static final class Split {
    /** [n, 1, 28, 28] FLOAT, scaled to [-1, 1]. */
    public final INDArray images;
    /** Class indices 0..9. */
    public final int[] labels;

    Split(INDArray images, int[] labels) {
      this.images = images;
      this.labels = labels;
    }
  }

  /**
   * Loads {@code train} or {@code t10k} images and labels from a folder.
   *
   * @throws IOException naming the file, what is wrong, and how to fetch the data
   */
  public static Split load(File folder, String split, String dataset) throws IOException {
    File imageFile = new File(folder, split + "-images-idx3-ubyte");
    File labelFile = new File(folder, split + "-labels-idx1-ubyte");
    for (File f : new File[] {imageFile, labelFile}) {
      if (!f.isFile()) {
        throw new IOException("Missing " + dataset + " file " + f.getPath()
            + "; fetch the data with: bash scripts/fetch-data.sh " + dataset);
      }
    }
    int[] labels;
    try (DataInputStream in = open(labelFile)) {
      int magic = in.readInt();
      int n = in.readInt();
      check(magic == 0x00000801, labelFile, "magic number " + Integer.toHexString(magic)
          + " is not 801 (IDX1 unsigned bytes)", dataset);
      check(labelFile.length() == 8L + n, labelFile,
          "length " + labelFile.length() + " does not match " + n + " labels", dataset);
      labels = new int[n];
      for (int i = 0; i < n; i++) {
        labels[i] = in.readUnsignedByte();
        check(labels[i] <= 9, labelFile, "label " + labels[i] + " at " + i + " is not 0..9",
            dataset);
      }
    }
    try (DataInputStream in = open(imageFile)) {
      int magic = in.readInt();
      int n = in.readInt();
      int rows = in.readInt();
      int cols = in.readInt();
      check(magic == 0x00000803, imageFile, "magic number " + Integer.toHexString(magic)
          + " is not 803 (IDX3 unsigned bytes)", dataset);
      check(rows == 28 && cols == 28, imageFile, "images are " + rows + "x" + cols
          + ", not 28x28", dataset);
      check(n == labels.length, imageFile, n + " images but " + labels.length + " labels",
          dataset);
      check(imageFile.length() == 16L + (long) n * rows * cols, imageFile,
          "length " + imageFile.length() + " does not match " + n + " images", dataset);
      byte[] raw = new byte[n * rows * cols];
      in.readFully(raw);
      float[] pixels = new float[raw.length];
      for (int i = 0; i < raw.length; i++) {
        pixels[i] = (raw[i] & 0xff) / 127.5f - 1f;
      }
      INDArray images = Nd4j.create(pixels, new long[] {n, 1, rows, cols}, DataType.FLOAT);
      return new Split(images, labels);
    }
  }

  private static DataInputStream open(File f) throws IOException {
    return new DataInputStream(new BufferedInputStream(new FileInputStream(f), 1 << 16));
  }

  private static void check(boolean ok, File f, String what, String dataset) throws IOException {
    if (!ok) {
      throw new IOException("Corrupt " + dataset + " file " + f.getPath() + ": " + what
          + "; delete data/" + dataset + " and fetch again with: bash scripts/fetch-data.sh "
          + dataset);
    }
  }
}
