package io.github.dl4jsn.testutil;

import io.github.dl4jsn.conf.SpectralNormalization;
import io.github.dl4jsn.layers.SpectralNormLayer;
import java.util.Random;
import java.util.function.UnaryOperator;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.Convolution1DLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.Deconvolution2D;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.EmbeddingSequenceLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

/** Small networks and data sets shared by the tests. */
public final class Nets {
  private Nets() {}

  /** Wraps every layer passed through it with default spectral normalization. */
  public static final UnaryOperator<Layer> SN = SpectralNormalization::wrap;

  /** Leaves layers as they are. */
  public static final UnaryOperator<Layer> PLAIN = l -> l;

  /** An MLP 8-32-32-4 whose three weight layers go through {@code wrap}. */
  public static MultiLayerConfiguration mlp(
      UnaryOperator<Layer> wrap, DataType dataType, IUpdater updater) {
    return new NeuralNetConfiguration.Builder()
        .seed(7)
        .dataType(dataType)
        .updater(updater)
        .activation(Activation.LEAKYRELU)
        .list()
        .layer(wrap.apply(new DenseLayer.Builder().nOut(32).build()))
        .layer(wrap.apply(new DenseLayer.Builder().nOut(32).build()))
        .layer(wrap.apply(new OutputLayer.Builder(LossFunction.MCXENT).nOut(4)
            .activation(Activation.SOFTMAX).build()))
        .setInputType(InputType.feedForward(8))
        .build();
  }

  /** The MLP with Adam(1e-2) in the given type. */
  public static MultiLayerConfiguration mlp(UnaryOperator<Layer> wrap, DataType dataType) {
    return mlp(wrap, dataType, new Adam(1e-2));
  }

  /** An MLP 8-32-32-2 regression (MSE, identity output), weight layers through {@code wrap}. */
  public static MultiLayerConfiguration regressionMlp(
      UnaryOperator<Layer> wrap, DataType dataType, IUpdater updater) {
    return new NeuralNetConfiguration.Builder()
        .seed(7)
        .dataType(dataType)
        .updater(updater)
        .activation(Activation.TANH)
        .list()
        .layer(wrap.apply(new DenseLayer.Builder().nOut(32).build()))
        .layer(wrap.apply(new DenseLayer.Builder().nOut(32).build()))
        .layer(wrap.apply(new OutputLayer.Builder(LossFunction.MSE).nOut(2)
            .activation(Activation.IDENTITY).build()))
        .setInputType(InputType.feedForward(8))
        .build();
  }

  /** 8-D Gaussian inputs; targets sin(a.x) and cos(b.x) for fixed directions a and b. */
  public static DataSet waves(int n, long seed, DataType dataType) {
    Random r = new Random(seed);
    Random dirs = new Random(17);
    double[] a = new double[8];
    double[] b = new double[8];
    for (int j = 0; j < 8; j++) {
      a[j] = dirs.nextGaussian() * 0.5;
      b[j] = dirs.nextGaussian() * 0.5;
    }
    double[][] x = new double[n][8];
    double[][] y = new double[n][2];
    for (int i = 0; i < n; i++) {
      double pa = 0;
      double pb = 0;
      for (int j = 0; j < 8; j++) {
        x[i][j] = r.nextGaussian();
        pa += a[j] * x[i][j];
        pb += b[j] * x[i][j];
      }
      y[i][0] = Math.sin(pa);
      y[i][1] = Math.cos(pb);
    }
    return new DataSet(
        Nd4j.createFromArray(x).castTo(dataType), Nd4j.createFromArray(y).castTo(dataType));
  }

  /** Four Gaussian clusters in 8-D, labelled by cluster: a small real classification problem. */
  public static DataSet clusters(int n, long seed, DataType dataType) {
    Random r = new Random(seed);
    double[][] centers = new double[4][8];
    Random c = new Random(99);
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
    return new DataSet(
        Nd4j.createFromArray(x).castTo(dataType), Nd4j.createFromArray(y).castTo(dataType));
  }

  /**
   * A ComputationGraph regression: conv 3x3 -> transposed conv 3x3 -> dense -> identity output (MSE)
   * on 1x8x8 images, with the weight layers passed through {@code wrap}.
   */
  public static ComputationGraphConfiguration convGraph(
      UnaryOperator<Layer> wrap, DataType dataType) {
    return new NeuralNetConfiguration.Builder()
        .seed(11)
        .dataType(dataType)
        .updater(new Adam(1e-3))
        .activation(Activation.LEAKYRELU)
        .graphBuilder()
        .addInputs("in")
        .addLayer("conv", wrap.apply(new ConvolutionLayer.Builder(3, 3).nOut(16).build()), "in")
        .addLayer("deconv", wrap.apply(new Deconvolution2D.Builder(3, 3).nOut(8).build()), "conv")
        .addLayer("dense", wrap.apply(new DenseLayer.Builder().nOut(16).build()), "deconv")
        .addLayer(
            "out",
            wrap.apply(new OutputLayer.Builder(LossFunction.MSE).nOut(2)
                .activation(Activation.IDENTITY).build()),
            "dense")
        .setOutputs("out")
        .setInputTypes(InputType.convolutional(8, 8, 1))
        .build();
  }

  /** 1x8x8 images; targets: the mean brightness of the left and of the right half, centred. */
  public static DataSet images(int n, long seed, DataType dataType) {
    Nd4j.getRandom().setSeed(seed);
    INDArray x = Nd4j.rand(DataType.DOUBLE, n, 1, 8, 8);
    INDArray left = x.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.all(),
        NDArrayIndex.interval(0, 4)).mean(1, 2, 3).subi(0.5).reshape(n, 1);
    INDArray right = x.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.all(),
        NDArrayIndex.interval(4, 8)).mean(1, 2, 3).subi(0.5).reshape(n, 1);
    INDArray y = Nd4j.hstack(left, right);
    return new DataSet(x.castTo(dataType), y.castTo(dataType));
  }

  /** Embedding sequence (20 tokens, length 6) -> Conv1D k=3 -> average pooling -> output. */
  public static MultiLayerConfiguration sequenceNet(UnaryOperator<Layer> wrap, DataType dataType) {
    return new NeuralNetConfiguration.Builder()
        .seed(5)
        .dataType(dataType)
        .updater(new Adam(1e-2))
        .activation(Activation.TANH)
        .list()
        .layer(wrap.apply(new EmbeddingSequenceLayer.Builder().nIn(20).nOut(8).inputLength(6)
            .build()))
        .layer(wrap.apply(new Convolution1DLayer.Builder(3).nIn(8).nOut(8).build()))
        .layer(new GlobalPoolingLayer.Builder(PoolingType.AVG).build())
        .layer(wrap.apply(new OutputLayer.Builder(LossFunction.MCXENT).nIn(8).nOut(2)
            .activation(Activation.SOFTMAX).build()))
        .build();
  }

  /** Token sequences labelled by whether token 0..9 outnumber tokens 10..19. */
  public static DataSet sequences(int n, long seed, DataType dataType) {
    Random r = new Random(seed);
    double[][] x = new double[n][6];
    double[][] y = new double[n][2];
    for (int i = 0; i < n; i++) {
      int low = 0;
      for (int t = 0; t < 6; t++) {
        int tok = r.nextInt(20);
        x[i][t] = tok;
        low += tok < 10 ? 1 : 0;
      }
      y[i][low > 3 ? 0 : 1] = 1;
    }
    return new DataSet(
        Nd4j.createFromArray(x).castTo(dataType), Nd4j.createFromArray(y).castTo(dataType));
  }

  /**
   * The sigma that a dense SN layer's W, uW and vW imply when u and v need not be unit (after
   * parameter averaging): {@code v^T W u / (||u|| ||v||)}, with M = W^T.
   */
  public static double sigmaOfNormalizedVectors(SpectralNormLayer l) {
    INDArray w = l.getInnerLayer().getParam("W");
    INDArray u = l.getParam("uW");
    INDArray v = l.getParam("vW");
    return v.reshape(1, v.length()).mmul(w).mmul(u.reshape(u.length(), 1)).getDouble(0)
        / (u.norm2Number().doubleValue() * v.norm2Number().doubleValue());
  }
}
