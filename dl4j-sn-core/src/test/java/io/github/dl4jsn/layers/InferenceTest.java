package io.github.dl4jsn.layers;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.dl4jsn.testutil.Nets;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/** Inference never iterates, and computes exactly the inner layers with W / sigma. */
class InferenceTest {

  @BeforeAll
  static void doublePrecision() {
    Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
  }

  @Test
  void inferenceLeavesUAndVBitIdentical() {
    MultiLayerNetwork net = new MultiLayerNetwork(Nets.mlp(Nets.SN, DataType.DOUBLE));
    net.init();
    DataSet data = Nets.clusters(64, 1, DataType.DOUBLE);
    for (int i = 0; i < 5; i++) {
      net.fit(data);
    }
    INDArray before = net.params().dup();
    net.output(data.getFeatures());
    net.output(data.getFeatures(), false);
    net.feedForward(data.getFeatures(), false);
    net.score(data);
    net.scoreExamples(data, false);
    net.predict(data.getFeatures());
    assertThat(net.params()).isEqualTo(before);
  }

  @Test
  void outputEqualsThePlainNetworkWithWeightsDividedBySigmaFromTheStoredVectors() {
    MultiLayerNetwork sn = new MultiLayerNetwork(Nets.mlp(Nets.SN, DataType.DOUBLE));
    sn.init();
    DataSet data = Nets.clusters(64, 2, DataType.DOUBLE);
    for (int i = 0; i < 5; i++) {
      sn.fit(data);
    }
    MultiLayerNetwork plain = new MultiLayerNetwork(Nets.mlp(Nets.PLAIN, DataType.DOUBLE));
    plain.init();
    for (int i = 0; i < sn.getnLayers(); i++) {
      Layer l = sn.getLayer(i);
      INDArray w = l.getParam("W");
      // Dense: M = W^T, so sigma = u^T W^T v = v^T W u, from the stored vectors.
      INDArray u = l.getParam("uW").reshape(w.size(1), 1);
      INDArray v = l.getParam("vW").reshape(w.size(0), 1);
      double sigma = v.transpose().mmul(w).mmul(u).getDouble(0);
      plain.setParam(i + "_W", w.div(sigma));
      plain.setParam(i + "_b", l.getParam("b"));
    }
    INDArray expected = plain.output(data.getFeatures(), false);
    INDArray actual = sn.output(data.getFeatures(), false);
    double maxDiff = Transforms.abs(actual.sub(expected)).maxNumber().doubleValue();
    assertThat(maxDiff).isLessThan(1e-14);
  }

  @Test
  void graphInferenceLeavesUAndVBitIdentical() {
    ComputationGraph graph = new ComputationGraph(Nets.convGraph(Nets.SN, DataType.DOUBLE));
    graph.init();
    DataSet data = Nets.images(16, 1, DataType.DOUBLE);
    graph.fit(data);
    INDArray before = graph.params().dup();
    graph.output(data.getFeatures());
    graph.score(data);
    assertThat(graph.params()).isEqualTo(before);
  }
}
