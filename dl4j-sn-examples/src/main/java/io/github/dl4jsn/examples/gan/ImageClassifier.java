package io.github.dl4jsn.examples.gan;

import java.io.File;
import java.io.IOException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.linalg.schedule.MapSchedule;
import org.nd4j.linalg.schedule.ScheduleType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CNN classifier behind the image GAN metrics: conv 5x5x32, max-pool, conv 5x5x64, max-pool,
 * a 256-unit ReLU layer (the feature layer of the Fréchet distance), dropout 0.5 and a softmax
 * over the 10 classes. Trained with Adam (batch 128; learning rate by epoch: 1e-3 for epochs 1-3,
 * 3e-4 for 4-5, 1e-4 from 6) on the real training images, in the same [-1, 1] scale as the
 * generator's tanh output. The saved classifier records its epochs, so asking for more epochs
 * continues its training instead of starting again.
 */
public final class ImageClassifier {
  private static final Logger log = LoggerFactory.getLogger(ImageClassifier.class);
  /** Layer index of the 256-unit feature layer. */
  static final int FEATURE_LAYER = 4;
  /** Feature dimensions. */
  public static final int FEATURES = 256;
  private static final int CHUNK = 500;

  private final MultiLayerNetwork net;
  private final double testAccuracy;

  private ImageClassifier(MultiLayerNetwork net, double testAccuracy) {
    this.net = net;
    this.testAccuracy = testAccuracy;
  }

  /** The classifier's configuration. */
  static MultiLayerConfiguration configuration(long seed) {
    return new NeuralNetConfiguration.Builder()
        .seed(seed)
        .dataType(DataType.FLOAT)
        .updater(new Adam(learningRate()))
        .activation(Activation.RELU)
        .list()
        .layer(new ConvolutionLayer.Builder(5, 5).nOut(32).build())
        .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2)
            .stride(2, 2).build())
        .layer(new ConvolutionLayer.Builder(5, 5).nOut(64).build())
        .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2)
            .stride(2, 2).build())
        .layer(new DenseLayer.Builder().nOut(FEATURES).build())
        .layer(new DropoutLayer.Builder(0.5).build())
        .layer(new OutputLayer.Builder(LossFunction.MCXENT).nOut(10)
            .activation(Activation.SOFTMAX).build())
        .setInputType(InputType.convolutional(28, 28, 1))
        .build();
  }

  /** The learning rate by epoch (0-based epoch count): 1e-3, then 3e-4 from 3, 1e-4 from 5. */
  static ISchedule learningRate() {
    Map<Integer, Double> byEpoch = new HashMap<>();
    byEpoch.put(0, 1e-3);
    byEpoch.put(3, 3e-4);
    byEpoch.put(5, 1e-4);
    return new MapSchedule(ScheduleType.EPOCH, byEpoch);
  }

  /**
   * Loads the classifier from {@code file}, or trains it on {@code train} for {@code epochs}
   * epochs (at most {@code limit} images, 0 for all) and saves it there. A saved classifier that
   * records fewer epochs than {@code epochs} is trained on up to {@code epochs} and saved again
   * (one saved without an epoch count is used as it is). Either way the accuracy on {@code test}
   * is measured.
   */
  public static ImageClassifier loadOrTrain(File file, IdxImages.Split train,
      IdxImages.Split test, int epochs, int limit, long seed) throws IOException {
    MultiLayerNetwork net;
    if (file.isFile()) {
      try {
        net = MultiLayerNetwork.load(file, false);
      } catch (IOException | RuntimeException e) {
        throw new IOException("Cannot read the classifier " + file + " (" + e.getMessage()
            + "); delete it to train a new one", e);
      }
      int done = net.getEpochCount();
      log.info("Loaded the classifier {} ({} epochs)", file, done);
      if (done > 0 && done < epochs) {
        log.info("Training it on from epoch {} to {}", done + 1, epochs);
        net.setLearningRate(learningRate());
        train(net, train, epochs, limit, seed);
        save(net, file);
      }
    } else {
      net = new MultiLayerNetwork(configuration(seed));
      net.init();
      train(net, train, epochs, limit, seed);
      save(net, file);
    }
    ImageClassifier c = new ImageClassifier(net, 0);
    double accuracy = c.accuracy(test);
    log.info("Classifier accuracy on the {} test images: {}", test.labels.length,
        String.format("%.4f", accuracy));
    return new ImageClassifier(net, accuracy);
  }

  private static void save(MultiLayerNetwork net, File file) throws IOException {
    File parent = file.getAbsoluteFile().getParentFile();
    if (!parent.isDirectory() && !parent.mkdirs()) {
      throw new IOException("Cannot create " + parent);
    }
    ModelSerializer.writeModel(net, file, false);
    log.info("Saved the classifier to {} ({} epochs)", file, net.getEpochCount());
  }

  /** Trains from the network's epoch count up to {@code epochs}, counting each epoch. */
  private static void train(MultiLayerNetwork net, IdxImages.Split train, int epochs, int limit,
      long seed) {
    int n = limit > 0 ? Math.min(limit, train.labels.length) : train.labels.length;
    int batch = 128;
    int batches = (n + batch - 1) / batch;
    Random random = new Random(seed);
    INDArray flat = train.images.reshape(train.images.size(0), 28 * 28);
    long start = System.nanoTime();
    for (int skipped = 0; skipped < net.getEpochCount(); skipped++) {
      shuffled(n, random); // the same order of examples as one uninterrupted training
    }
    for (int epoch = net.getEpochCount() + 1; epoch <= epochs; epoch++) {
      int[] order = shuffled(n, random);
      double lossSum = 0;
      for (int b = 0; b < batches; b++) {
        int[] idx = Arrays.copyOfRange(order, b * batch, Math.min(n, (b + 1) * batch));
        INDArray x = Nd4j.pullRows(flat, 1, idx).reshape(idx.length, 1, 28, 28);
        INDArray y = Nd4j.zeros(DataType.FLOAT, idx.length, 10);
        for (int i = 0; i < idx.length; i++) {
          y.putScalar(i, train.labels[idx[i]], 1);
        }
        net.fit(x, y);
        lossSum += net.score();
        if ((b + 1) % 100 == 0 || b + 1 == batches) {
          log.info("classifier epoch {}/{} batch {}/{}: mean loss {} ({}s)", epoch, epochs,
              b + 1, batches, String.format("%.4f", lossSum / (b + 1)),
              String.format("%.0f", (System.nanoTime() - start) / 1e9));
        }
      }
      net.setEpochCount(epoch);
    }
  }

  private static int[] shuffled(int n, Random random) {
    int[] a = new int[n];
    for (int i = 0; i < n; i++) {
      a[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }

  /** The accuracy measured on the test split when this classifier was loaded or trained. */
  public double testAccuracy() {
    return testAccuracy;
  }

  /** The fraction of images whose most probable class is their label. */
  public double accuracy(IdxImages.Split split) {
    INDArray p = probabilities(split.images);
    int[] predicted = p.argMax(1).toIntVector();
    int correct = 0;
    for (int i = 0; i < predicted.length; i++) {
      correct += predicted[i] == split.labels[i] ? 1 : 0;
    }
    return (double) correct / predicted.length;
  }

  /** Class probabilities [n, 10] of images [n, 1, 28, 28], inference mode. */
  public INDArray probabilities(INDArray images) {
    return inChunks(images, x -> net.output(x, false));
  }

  /** The feature layer's activations [n, 256] of images [n, 1, 28, 28], inference mode. */
  public INDArray features(INDArray images) {
    return inChunks(images, x -> net.feedForwardToLayer(FEATURE_LAYER, x, false)
        .get(FEATURE_LAYER + 1));
  }

  private static INDArray inChunks(INDArray images,
      java.util.function.UnaryOperator<INDArray> f) {
    long n = images.size(0);
    INDArray[] parts = new INDArray[(int) ((n + CHUNK - 1) / CHUNK)];
    for (int c = 0; c < parts.length; c++) {
      INDArray x = images.get(NDArrayIndex.interval(c * (long) CHUNK, Math.min(n,
          (c + 1L) * CHUNK)), NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.all());
      parts[c] = f.apply(x).dup();
    }
    return Nd4j.vstack(parts);
  }
}
