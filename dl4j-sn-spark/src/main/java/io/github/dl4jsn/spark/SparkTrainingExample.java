package io.github.dl4jsn.spark;

import io.github.dl4jsn.SpectralNorm;
import io.github.dl4jsn.conf.SpectralNormalization;
import java.io.File;
import java.util.Random;
import java.util.concurrent.Callable;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.spark.api.TrainingMaster;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Trains an SN MLP on four Gaussian clusters with {@link SparkDl4jMultiLayer}, by parameter
 * averaging or gradient sharing, logs score and exact sigmas per epoch and saves the network with
 * {@link ModelSerializer}. Run it with {@code spark-submit} (see the README); without a master it
 * runs on {@code local[2]}.
 */
@Command(name = "spark-training", mixinStandardHelpOptions = true,
    description = "Train a spectrally normalized MLP on Apache Spark.")
public final class SparkTrainingExample implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(SparkTrainingExample.class);

  /** How the workers combine their work. */
  enum Mode { AVERAGING, SHARING }

  @Option(names = "--mode", description = "AVERAGING or SHARING. Default: ${DEFAULT-VALUE}.")
  Mode mode = Mode.AVERAGING;

  @Option(names = "--epochs", description = "Epochs. Default: ${DEFAULT-VALUE}.")
  int epochs = 10;

  @Option(names = "--examples", description = "Training examples. Default: ${DEFAULT-VALUE}.")
  int examples = 4096;

  @Option(names = "--batch", description = "Minibatch per worker. Default: ${DEFAULT-VALUE}.")
  int batch = 32;

  @Option(names = "--controller",
      description = "SHARING: the driver's address, reachable from the executors. "
          + "Default: ${DEFAULT-VALUE}.")
  String controller = "127.0.0.1";

  @Option(names = "--network-mask",
      description = "SHARING: the executors' network, e.g. 10.0.0.0/16. Default: ${DEFAULT-VALUE}.")
  String networkMask = "127.0.0.0/8";

  @Option(names = "--port", description = "SHARING: UDP port, open on every node. "
      + "Default: ${DEFAULT-VALUE}.")
  int port = 40123;

  @Option(names = "--output", description = "Where to save the trained network (a zip).")
  File output;

  public static void main(String[] args) {
    System.exit(new CommandLine(new SparkTrainingExample()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    SparkConf conf = new SparkConf().setAppName("dl4j-sn spark-training");
    if (!conf.contains("spark.master")) {
      conf.setMaster("local[2]");
    }
    try (JavaSparkContext sc = new JavaSparkContext(conf)) {
      MultiLayerNetwork net = train(sc);
      if (output != null) {
        ModelSerializer.writeModel(net, output, true);
        log.info("Saved to {}", output);
      }
    }
    return 0;
  }

  /** Trains the network on the given context and returns it. */
  MultiLayerNetwork train(JavaSparkContext sc) {
    TrainingMaster<?, ?> tm = mode == Mode.AVERAGING
        ? SparkSpectralNormTraining.parameterAveraging(batch, 2)
        : SparkSpectralNormTraining.gradientSharing(batch, 1e-3, controller, networkMask, port);
    MultiLayerNetwork net = new MultiLayerNetwork(discriminatorMlp(7));
    net.init();
    DataSet all = clusters(examples, 1);
    JavaRDD<DataSet> rdd = sc.parallelize(all.batchBy(batch), sc.defaultParallelism());
    SparkDl4jMultiLayer sparkNet = new SparkDl4jMultiLayer(sc, net, tm);
    log.info("{}: start score {}", mode, net.score(all));
    for (int epoch = 1; epoch <= epochs; epoch++) {
      sparkNet.fit(rdd);
      log.info("{}: epoch {}/{} score {} exact sigmas {}", mode, epoch, epochs,
          sparkNet.getNetwork().score(all), SpectralNorm.exactSigmas(sparkNet.getNetwork()));
    }
    return sparkNet.getNetwork();
  }

  /**
   * A discriminator-sized MLP 8-32-32-4 (leaky ReLU, softmax), DOUBLE, Adam 5e-3, every weight
   * layer spectrally normalized with 10 power iterations a step.
   */
  public static MultiLayerConfiguration discriminatorMlp(long seed) {
    return new NeuralNetConfiguration.Builder()
        .seed(seed)
        .dataType(DataType.DOUBLE)
        .updater(new Adam(5e-3))
        .activation(Activation.LEAKYRELU)
        .list()
        .layer(sn(new DenseLayer.Builder().nOut(32).build()))
        .layer(sn(new DenseLayer.Builder().nOut(32).build()))
        .layer(sn(new OutputLayer.Builder(LossFunction.MCXENT).nOut(4)
            .activation(Activation.SOFTMAX).build()))
        .setInputType(InputType.feedForward(8))
        .build();
  }

  private static SpectralNormalization sn(org.deeplearning4j.nn.conf.layers.Layer layer) {
    return new SpectralNormalization.Builder(layer).powerIterations(10).build();
  }

  /** Four Gaussian clusters in 8-D (unit spread, centres 2 apart on average), one-hot labels. */
  static DataSet clusters(int n, long seed) {
    Random r = new Random(seed);
    Random c = new Random(99);
    double[][] centers = new double[4][8];
    for (double[] center : centers) {
      for (int j = 0; j < 8; j++) {
        center[j] = c.nextGaussian() * 2;
      }
    }
    double[][] x = new double[n][8];
    double[][] y = new double[n][4];
    for (int i = 0; i < n; i++) {
      int k = i % 4;
      for (int j = 0; j < 8; j++) {
        x[i][j] = centers[k][j] + r.nextGaussian();
      }
      y[i][k] = 1;
    }
    return new DataSet(Nd4j.createFromArray(x), Nd4j.createFromArray(y));
  }
}
