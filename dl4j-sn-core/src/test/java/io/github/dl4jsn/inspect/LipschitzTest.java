package io.github.dl4jsn.inspect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.stream.Stream;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.layers.Convolution3D;
import org.deeplearning4j.nn.conf.layers.Deconvolution3D;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.LocallyConnected2D;
import org.deeplearning4j.nn.conf.layers.SelfAttentionLayer;
import org.deeplearning4j.nn.conf.layers.SeparableConvolution2D;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import io.github.dl4jsn.SpectralNorm;
import io.github.dl4jsn.conf.SpectralNormalization;
import io.github.dl4jsn.testutil.ExactSigma;
import io.github.dl4jsn.testutil.Nets;
import java.util.List;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

/**
 * The Lipschitz upper bound: equal to the exact sigma where it must be (one linear layer), never
 * below the ratios {@code ||f(x) - f(y)|| / ||x - y||} the network actually attains (random
 * pairs, and pairs pushed apart by gradient ascent on the ratio), hand-derived per-layer values,
 * and clear rejections.
 */
class LipschitzTest {

  @BeforeAll
  static void doublePrecision() {
    Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
  }

  static MultiLayerNetwork net(DataType type, InputType input, Layer... layers) {
    NeuralNetConfiguration.ListBuilder b = new NeuralNetConfiguration.Builder()
        .seed(4).dataType(type).updater(new Adam(1e-2)).activation(Activation.IDENTITY).list();
    for (Layer l : layers) {
      b.layer(l);
    }
    MultiLayerNetwork net = new MultiLayerNetwork(b.setInputType(input).build());
    net.init();
    return net;
  }

  static OutputLayer identityOut(int nOut) {
    return new OutputLayer.Builder(LossFunction.MSE).nOut(nOut).activation(Activation.IDENTITY)
        .build();
  }

  @Test
  void oneLinearLayerBoundIsItsExactSigmaAndIsAttained() {
    MultiLayerNetwork net = net(DataType.DOUBLE, InputType.feedForward(7), identityOut(5));
    INDArray w = net.getLayer(0).getParam("W");
    double exact = ExactSigma.of(w);
    assertThat(SpectralNorm.lipschitzUpperBound(net)).isCloseTo(exact, within(1e-10));
    // The top right singular direction attains it: ||x W|| / ||x|| for x = argmax.
    double attained = maxRatio(net, 7, 3);
    assertThat(attained).isLessThanOrEqualTo(exact * (1 + 1e-9)).isGreaterThan(0.999 * exact);
  }

  @Test
  void boundIsNeverBelowWhatATrainedSnNetworkAttains() {
    MultiLayerNetwork net = new MultiLayerNetwork(Nets.mlp(Nets.SN, DataType.DOUBLE));
    net.init();
    DataSet data = Nets.clusters(64, 5, DataType.DOUBLE);
    for (int i = 0; i < 20; i++) {
      net.fit(data);
    }
    double bound = SpectralNorm.lipschitzUpperBound(net);
    List<Lipschitz.Factor> factors = Lipschitz.factors(net);
    assertThat(factors).hasSize(net.getnLayers());
    int inputs = (int) data.getFeatures().size(1);
    double attained = maxRatio(net, inputs, 50);
    assertThat(attained).isLessThanOrEqualTo(bound).isGreaterThan(0);
    // SN with c = 1 keeps every weight factor near 1; the activations' slopes are at most 1.
    assertThat(bound).isLessThan(1.3);
  }

  @Test
  void convolutionsAndPoolingAreBoundedAndTheBoundHolds() {
    MultiLayerNetwork net = net(DataType.DOUBLE, InputType.convolutional(6, 6, 2),
        SpectralNormalization.wrap(new ConvolutionLayer.Builder(3, 3).nOut(3)
            .activation(Activation.RELU).build()),
        new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(2, 2).stride(1, 1).build(),
        identityOut(2));
    List<Lipschitz.Factor> f = Lipschitz.factors(net);
    // sigma(W_SN) ~ 1 times sqrt(9 taps) times relu 1; max 2x2 stride 1: sqrt(2 * 2) windows.
    assertThat(f.get(0).value()).isCloseTo(3.0, within(0.05));
    assertThat(f.get(1).value()).isEqualTo(2.0);
    double bound = SpectralNorm.lipschitzUpperBound(net);
    assertThat(maxRatio(net, 72, 20)).isLessThanOrEqualTo(bound).isGreaterThan(0);
  }

  static Stream<Arguments> newConvolutions() {
    InputType image = InputType.convolutional(5, 5, 2);
    InputType volume = InputType.convolutional3D(Convolution3D.DataFormat.NCDHW, 3, 3, 3, 2);
    return Stream.of(
        Arguments.of("depthwise", image, new DepthwiseConvolution2D.Builder(3, 3)
            .depthMultiplier(2).convolutionMode(ConvolutionMode.Same).build(), 1),
        Arguments.of("separable", image, new SeparableConvolution2D.Builder(2, 2)
            .depthMultiplier(2).nOut(3).build(), 2),
        Arguments.of("conv3d", volume, new Convolution3D.Builder().kernelSize(2, 2, 2).nOut(2)
            .convolutionMode(ConvolutionMode.Same).build(), 1),
        Arguments.of("deconv3d", volume, new Deconvolution3D.Builder().kernelSize(2, 2, 2)
            .stride(2, 2, 2).nOut(2).convolutionMode(ConvolutionMode.Truncate).build(), 1));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("newConvolutions")
  void depthwiseSeparableAnd3dConvolutionsAreBoundedPlainAndWithSn(String name, InputType input,
      ConvolutionLayer conv, int weights) {
    for (boolean sn : new boolean[] {false, true}) {
      ConvolutionLayer copy = (ConvolutionLayer) conv.clone();
      MultiLayerNetwork net = net(DataType.DOUBLE, input,
          sn ? SpectralNormalization.wrap(copy) : copy,
          new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), identityOut(2));
      List<Lipschitz.Factor> f = Lipschitz.factors(net);
      // One factor per weight: sigma(...) appears once per weight in the description.
      assertThat(f.get(0).what().split("sigma\\(", -1)).hasSize(weights + 1);
      if (sn) {
        // Each normalized weight contributes sigma(W_SN) ~ 1 times its kernel spread.
        assertThat(f.get(0).what()).contains("_SN)");
      }
      double bound = SpectralNorm.lipschitzUpperBound(net);
      assertThat(maxRatio(net, input.getShape(false), 10)).as(name + (sn ? " with SN" : ""))
          .isLessThanOrEqualTo(bound).isGreaterThan(0);
    }
  }

  @Test
  void sameDiffLayersAreRejectedByNameWithTheReason() {
    MultiLayerNetwork attention = net(DataType.DOUBLE, InputType.recurrent(4, 3),
        SpectralNormalization.wrapSameDiff(new SelfAttentionLayer.Builder().nOut(4).nHeads(1)
            .headSize(2).projectInput(true).name("attn").build()),
        new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), identityOut(1));
    assertThatThrownBy(() -> SpectralNorm.lipschitzUpperBound(attention))
        .hasMessageContaining("'attn'").hasMessageContaining("SelfAttentionLayer")
        .hasMessageContaining("not globally Lipschitz");
    MultiLayerNetwork local = net(DataType.DOUBLE, InputType.convolutional(4, 4, 1),
        new LocallyConnected2D.Builder().nOut(2).kernelSize(2, 2).name("lc").build(),
        new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), identityOut(1));
    assertThatThrownBy(() -> SpectralNorm.lipschitzUpperBound(local))
        .hasMessageContaining("'lc'").hasMessageContaining("LocallyConnected2D");
  }

  @Test
  void perLayerValuesMatchHandDerivations() {
    MultiLayerNetwork net = net(DataType.DOUBLE, InputType.convolutional(4, 4, 2),
        new BatchNormalization.Builder().useLogStd(false).build(),
        new BatchNormalization.Builder().useLogStd(true).build(),
        new SubsamplingLayer.Builder(PoolingType.AVG).kernelSize(2, 2).stride(2, 2).build(),
        new ActivationLayer.Builder().activation(Activation.SIGMOID).build(),
        new ActivationLayer.Builder().activation(Activation.LEAKYRELU).build(),
        new ActivationLayer.Builder().activation(Activation.HARDSIGMOID).build(),
        identityOut(2));
    net.getLayer(0).setParam("gamma", Nd4j.createFromArray(2.0, -3.0));
    net.getLayer(0).setParam("var", Nd4j.createFromArray(4.0, 1.0));
    net.getLayer(1).setParam("gamma", Nd4j.createFromArray(4.0, -1.0));
    net.getLayer(1).setParam("log10stdev", Nd4j.createFromArray(Math.log10(0.5), Math.log10(4)));
    List<Lipschitz.Factor> f = Lipschitz.factors(net);
    // max(2 / sqrt(4 + 1e-5), 3 / sqrt(1 + 1e-5)); then max(4 / 0.5, 1 / 4)
    assertThat(f.get(0).value()).isCloseTo(3 / Math.sqrt(1 + 1e-5), within(1e-12));
    f = f.subList(1, f.size());
    assertThat(f.get(0).value()).isCloseTo(8.0, within(1e-12));
    assertThat(f.get(1).value()).isCloseTo(0.5, within(1e-15)); // 1/sqrt(4) x sqrt(1)
    assertThat(f.get(2).value()).isEqualTo(0.25);
    assertThat(f.get(3).value()).isEqualTo(1.0); // leaky ReLU, alpha 0.01
    assertThat(f.get(4).value()).isEqualTo(0.2);
  }

  @Test
  void recurrentLayersAndUnboundedActivationsAreRejectedByName() {
    MultiLayerNetwork rnn = net(DataType.DOUBLE, InputType.recurrent(3),
        SpectralNormalization.wrap(new LSTM.Builder().nOut(4).name("enc").build()),
        new RnnOutputLayer.Builder(LossFunction.MSE).nOut(2).activation(Activation.IDENTITY)
            .build());
    assertThatThrownBy(() -> SpectralNorm.lipschitzUpperBound(rnn))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'enc'")
        .hasMessageContaining("LSTM is recurrent");
    MultiLayerNetwork cube = net(DataType.DOUBLE, InputType.feedForward(3),
        new DenseLayer.Builder().nOut(3).activation(Activation.CUBE).name("c").build(),
        identityOut(1));
    assertThatThrownBy(() -> SpectralNorm.lipschitzUpperBound(cube))
        .hasMessageContaining("'c'")
        .hasMessageContaining("no Lipschitz bound for activation cube");
  }

  /**
   * The largest local Lipschitz constant found at random points: the largest singular value of the
   * network's Jacobian there, by forward differences (step 1e-6, DOUBLE) in one batched pass. The
   * Lipschitz constant is the supremum of these, so every value must stay below the bound.
   */
  static double maxRatio(MultiLayerNetwork net, int inputs, int points) {
    return maxRatio(net, inputs == 72 ? new long[] {2, 6, 6} : new long[] {inputs}, points);
  }

  /** As above, for inputs of the given shape per example (without the batch dimension). */
  static double maxRatio(MultiLayerNetwork net, long[] shape, int points) {
    int inputs = 1;
    for (long s : shape) {
      inputs *= (int) s;
    }
    long[] batchShape = new long[shape.length + 1];
    batchShape[0] = inputs + 1;
    System.arraycopy(shape, 0, batchShape, 1, shape.length);
    double h = 1e-6;
    double best = 0;
    Nd4j.getRandom().setSeed(9);
    for (int p = 0; p < points; p++) {
      INDArray x = Nd4j.randn(DataType.DOUBLE, 1, inputs).muli(1 + p % 3);
      INDArray batch = x.repeat(0, inputs + 1);
      for (int i = 0; i < inputs; i++) {
        batch.putScalar(i + 1, i, batch.getDouble(i + 1, i) + h);
      }
      INDArray out = net.output(batch.reshape('c', batchShape));
      INDArray out2 = out.reshape(out.size(0), out.length() / out.size(0));
      INDArray jacobianT = out2.get(NDArrayIndex.interval(1, inputs + 1), NDArrayIndex.all())
          .subRowVector(out2.getRow(0)).divi(h);
      best = Math.max(best, ExactSigma.of(jacobianT.dup()));
    }
    return best;
  }


  /** The network's input shape for rows of n: images for the convolutional test. */
}
