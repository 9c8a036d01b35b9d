package io.github.dl4jsn.examples.gan;

import io.github.dl4jsn.examples.Charts;
import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.shade.jackson.databind.ObjectMapper;
import org.nd4j.shade.jackson.databind.SerializationFeature;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Judges generated images from a file with the image GAN example's own classifier: the same
 * {@link ImageMetrics} (confident share, KL to uniform, Fréchet distance on classifier features)
 * that {@code GanExample} reports, so that images from another framework (the PyTorch twin,
 * {@code benchmarks/gan_image_twin.py}) are scored by the same network. Writes the metrics JSON
 * and an 8 x 8 grid of the first 64 images.
 */
@Command(name = "score-images", mixinStandardHelpOptions = true,
    description = "Score generated 28x28 images (float32 little-endian [n, 784] in [-1, 1]) "
        + "with the GAN example's classifier.")
public final class ScoreImages implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(ScoreImages.class);

  @Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--samples", required = true, description = "The images file.")
  File samples;

  @Option(names = "--dataset", description = "mnist or fashion-mnist (default: "
      + "${DEFAULT-VALUE}).")
  String dataset = "mnist";

  @Option(names = "--data", description = "IDX folder (default: data/DATASET).")
  File data;

  @Option(names = "--classifier", description = "Classifier file; trained and saved there if "
      + "missing, as GanExample does (default: data/classifier-DATASET.zip).")
  File classifierFile;

  @Option(names = "--out", required = true, description = "Metrics JSON; the grid goes beside "
      + "it as a PNG of the same name.")
  File out;

  @Override
  public Integer call() throws IOException {
    GanExample.Dataset ds = null;
    for (GanExample.Dataset d : GanExample.Dataset.values()) {
      if (d.id().equals(dataset) && d != GanExample.Dataset.RING && d != GanExample.Dataset.GRID) {
        ds = d;
      }
    }
    if (ds == null) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--dataset must be mnist or fashion-mnist, got '" + dataset + "'");
    }
    INDArray images = read(samples);
    File folder = data != null ? data : new File("data", ds.id());
    File cf = classifierFile != null ? classifierFile
        : new File("data", "classifier-" + ds.id() + ".zip");
    IdxImages.Split train = IdxImages.load(folder, "train", ds.id());
    IdxImages.Split test = IdxImages.load(folder, "t10k", ds.id());
    ImageClassifier classifier = ImageClassifier.loadOrTrain(cf, train, test,
        ds == GanExample.Dataset.FASHION_MNIST ? 6 : 3, 0, 1);
    Frechet.Stats real = Frechet.Stats.of(classifier.features(test.images));
    ImageMetrics m = ImageMetrics.of(images, classifier, real);
    log.info("{} images from {}: {}", images.size(0), samples, m);
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("samples_file", samples.getPath());
    json.put("dataset", ds.id());
    json.put("classifier_test_accuracy", classifier.testAccuracy());
    json.put("metrics", m.toMap());
    json.put("summary", m.toString());
    File parent = out.getAbsoluteFile().getParentFile();
    if (!parent.isDirectory() && !parent.mkdirs()) {
      throw new IOException("Cannot create " + parent);
    }
    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out, json);
    File grid = new File(out.getPath().replaceAll("\\.json$", "") + ".png");
    Charts.imageGrid(images.get(NDArrayIndex.interval(0, Math.min(64, images.size(0)))), 8, grid);
    System.out.println(m);
    log.info("Wrote {} and {}", out, grid);
    return 0;
  }

  /** Images [n, 1, 28, 28] from a float32 little-endian file of n x 784 values in [-1, 1]. */
  static INDArray read(File file) throws IOException {
    long bytes = file.length();
    if (!file.isFile() || bytes == 0 || bytes % (784L * 4) != 0) {
      throw new IOException("Samples file " + file + ": expected float32 images of 784 values "
          + "(a multiple of 3136 bytes), got " + (file.isFile() ? bytes + " bytes" : "no file"));
    }
    int n = (int) (bytes / (784L * 4));
    float[] values = new float[n * 784];
    ByteBuffer.wrap(Files.readAllBytes(file.toPath())).order(ByteOrder.LITTLE_ENDIAN)
        .asFloatBuffer().get(values);
    for (int i = 0; i < values.length; i++) {
      if (!(values[i] >= -1.0001f && values[i] <= 1.0001f)) {
        throw new IOException("Samples file " + file + ": value " + values[i] + " at image "
            + i / 784 + ", pixel " + i % 784 + " is outside [-1, 1]");
      }
    }
    return Nd4j.create(values, new long[] {n, 1, 28, 28}, DataType.FLOAT);
  }

  /** Command line entry point. */
  public static void main(String[] args) {
    System.exit(new CommandLine(new ScoreImages()).execute(args));
  }
}
