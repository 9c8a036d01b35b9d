package io.github.dl4jsn;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.dl4jsn.conf.RecurrentSpectralNormalization;
import io.github.dl4jsn.conf.SpectralNormalization;
import java.util.Map;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.GravesLSTM;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.conf.layers.recurrent.Bidirectional;
import org.deeplearning4j.nn.conf.layers.recurrent.LastTimeStep;
import org.deeplearning4j.nn.conf.layers.recurrent.SimpleRnn;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * applyTo, sigmas, exactSigmas and bake on recurrent networks, including the layers inside
 * Bidirectional and LastTimeStep wrappers, in FLOAT.
 */
class RecurrentNetworkOpsTest {

  /** A plain recurrent stack with every recurrent form: LSTM, Bidirectional, GravesLSTM, ... */
  static MultiLayerConfiguration plainStack(boolean lastStep) {
    NeuralNetConfiguration.ListBuilder b = new NeuralNetConfiguration.Builder()
        .seed(3)
        .dataType(DataType.FLOAT)
        .updater(new Adam(1e-2))
        .activation(Activation.TANH)
        .list()
        .layer(new LSTM.Builder().nOut(6).name("lstm").build())
        .layer(new Bidirectional(Bidirectional.Mode.ADD,
            new GravesLSTM.Builder().nOut(5).build()))
        .layer(new SimpleRnn.Builder().nOut(4).name("rnn").build());
    if (lastStep) {
      b.layer(new LastTimeStep(new LSTM.Builder().nOut(4).name("last").build()))
          .layer(new OutputLayer.Builder(LossFunction.MCXENT).nOut(2)
              .activation(Activation.SOFTMAX).build());
    } else {
      b.layer(new RnnOutputLayer.Builder(LossFunction.MCXENT).nOut(2)
          .activation(Activation.SOFTMAX).build());
    }
    return b.setInputType(InputType.recurrent(3)).build();
  }

  @Test
  void applyToWrapsRecurrentLayersAndTheirWrappersWhichTrainAndBake() {
    MultiLayerConfiguration wrapped = SpectralNorm.applyTo(plainStack(true));
    assertThat(wrapped.getConf(0).getLayer()).isInstanceOf(SpectralNormalization.class);
    Bidirectional bi = (Bidirectional) wrapped.getConf(1).getLayer();
    assertThat(bi.getFwd()).isInstanceOf(RecurrentSpectralNormalization.class);
    assertThat(bi.getBwd()).isInstanceOf(RecurrentSpectralNormalization.class);
    assertThat(wrapped.getConf(2).getLayer()).isInstanceOf(SpectralNormalization.class);
    LastTimeStep last = (LastTimeStep) wrapped.getConf(3).getLayer();
    assertThat(last.getUnderlying()).isInstanceOf(RecurrentSpectralNormalization.class);
    assertThat(MultiLayerConfiguration.fromJson(wrapped.toJson())).isEqualTo(wrapped);

    MultiLayerNetwork net = new MultiLayerNetwork(wrapped);
    net.init();
    Nd4j.getRandom().setSeed(1);
    INDArray x = Nd4j.randn(DataType.FLOAT, 8, 3, 6);
    INDArray y = Nd4j.zeros(DataType.FLOAT, 8, 2);
    for (int i = 0; i < 8; i++) {
      y.putScalar(i, x.getDouble(i, 0, 5) > 0 ? 0 : 1, 1.0);
    }
    double before = net.score(new org.nd4j.linalg.dataset.DataSet(x, y));
    for (int i = 0; i < 15; i++) {
      net.fit(x, y);
    }
    assertThat(net.score(new org.nd4j.linalg.dataset.DataSet(x, y))).isLessThan(before);

    Map<String, Double> exact = SpectralNorm.exactSigmas(net);
    assertThat(exact.keySet()).containsExactly(
        "lstm/W", "lstm/RW",
        "layer1/fwd/W", "layer1/fwd/RW", "layer1/bwd/W", "layer1/bwd/RW",
        "rnn/W", "rnn/RW",
        "last/W", "last/RW",
        "layer4/W");
    assertThat(SpectralNorm.sigmas(net).keySet()).isEqualTo(exact.keySet());
    for (Map.Entry<String, Double> e : exact.entrySet()) {
      assertThat(e.getValue()).as(e.getKey()).isBetween(0.9, 1.25);
    }

    MultiLayerNetwork baked = SpectralNorm.bake(net);
    assertThat(baked.getLayerWiseConfigurations().toJson()).doesNotContain("io.github.dl4jsn");
    double diff = Transforms.abs(baked.output(x).sub(net.output(x))).maxNumber().doubleValue();
    assertThat(diff).isLessThan(1e-6);
  }

  @Test
  void bakedRecurrentNetworkMatchesStepByStepInference() {
    MultiLayerConfiguration conf = SpectralNorm.applyTo(plainStack(false));
    // Bidirectional layers cannot step; drop that layer for the stepping test.
    MultiLayerConfiguration stepping = new NeuralNetConfiguration.Builder()
        .seed(3).dataType(DataType.FLOAT).updater(new Adam(1e-2)).activation(Activation.TANH)
        .list()
        .layer(conf.getConf(0).getLayer().clone())
        .layer(conf.getConf(2).getLayer().clone())
        .layer(conf.getConf(3).getLayer().clone())
        .setInputType(InputType.recurrent(3))
        .build();
    MultiLayerNetwork net = new MultiLayerNetwork(stepping);
    net.init();
    INDArray x = Nd4j.randn(DataType.FLOAT, 4, 3, 5);
    INDArray y = Nd4j.zeros(DataType.FLOAT, 4, 2, 5);
    y.get(org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex
        .point(0), org.nd4j.linalg.indexing.NDArrayIndex.all()).assign(1);
    for (int i = 0; i < 5; i++) {
      net.fit(x, y);
    }
    MultiLayerNetwork baked = SpectralNorm.bake(net);
    for (int t = 0; t < 5; t++) {
      INDArray in = x.get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
          org.nd4j.linalg.indexing.NDArrayIndex.all(),
          org.nd4j.linalg.indexing.NDArrayIndex.point(t));
      INDArray a = net.rnnTimeStep(in);
      INDArray b = baked.rnnTimeStep(in);
      assertThat(Transforms.abs(a.sub(b)).maxNumber().doubleValue()).as("step " + t)
          .isLessThan(1e-6);
    }
  }
}
