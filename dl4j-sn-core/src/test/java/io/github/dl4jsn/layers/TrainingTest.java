package io.github.dl4jsn.layers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.github.dl4jsn.conf.SpectralNormalization;
import io.github.dl4jsn.testutil.ExactSigma;
import io.github.dl4jsn.testutil.Nets;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;

/**
 * After a few hundred Adam steps on small real problems, the exact largest singular value (SVD) of
 * every normalized weight is c within 5%: the persistent power iteration keeps up with training.
 *
 * <p>These are deterministic runs. With one power iteration per step the exact sigma of W_SN
 * drifts above c whenever W's top singular direction changes (measured up to +20% at other seeds
 * and steps of this MLP; see the README's "Known limits"), so this checks the typical state, not
 * a bound at every step.
 */
class TrainingTest {

  static final int STEPS = 300;

  @Test
  void sigmaOfEveryNormalizedWeightIsOneAfterTrainingAnMlp() {
    MultiLayerNetwork net = new MultiLayerNetwork(Nets.mlp(Nets.SN, DataType.DOUBLE));
    net.init();
    DataSet data = Nets.clusters(128, 1, DataType.DOUBLE);
    double before = net.score(data);
    for (int i = 0; i < STEPS; i++) {
      net.fit(data);
    }
    assertThat(net.score(data)).as("training reduced the loss").isLessThan(before * 0.5);
    assertSigmas(net.getLayers(), 1.0);
  }

  @Test
  void sigmaMatchesTheCoefficientAfterTraining() {
    MultiLayerNetwork net =
        new MultiLayerNetwork(
            Nets.mlp(
                l -> new SpectralNormalization.Builder(l).coefficient(2.0).build(),
                DataType.DOUBLE));
    net.init();
    DataSet data = Nets.clusters(128, 2, DataType.DOUBLE);
    for (int i = 0; i < STEPS; i++) {
      net.fit(data);
    }
    assertSigmas(net.getLayers(), 2.0);
  }

  @Test
  void sigmaOfEveryNormalizedWeightIsOneAfterTrainingAConvolutionalGraph() {
    ComputationGraph graph = new ComputationGraph(Nets.convGraph(Nets.SN, DataType.DOUBLE));
    graph.init();
    DataSet data = Nets.images(64, 3, DataType.DOUBLE);
    double before = graph.score(data);
    for (int i = 0; i < STEPS; i++) {
      graph.fit(data);
    }
    assertThat(graph.score(data)).isLessThan(before);
    assertSigmas(graph.getLayers(), 1.0);
  }

  @Test
  void sigmaOfEveryNormalizedWeightIsOneAfterTrainingEmbeddingAndConv1d() {
    MultiLayerNetwork net = new MultiLayerNetwork(Nets.sequenceNet(Nets.SN, DataType.DOUBLE));
    net.init();
    DataSet data = Nets.sequences(128, 4, DataType.DOUBLE);
    for (int i = 0; i < STEPS; i++) {
      net.fit(data);
    }
    assertSigmas(net.getLayers(), 1.0);
  }

  static void assertSigmas(Layer[] layers, double c) {
    int checked = 0;
    for (Layer l : layers) {
      if (l instanceof SpectralNormLayer) {
        SpectralNormLayer sn = (SpectralNormLayer) l;
        double[] spectrum = ExactSigma.spectrumOfNormalizedWeight(sn, "W");
        double exact = spectrum[spectrum.length - 1];
        System.out.printf("exact sigma of W_SN in %s: %.5f%n", sn.describe(), exact);
        assertThat(exact)
            .as("exact sigma of W_SN in %s (singular values %s)", sn.describe(),
                java.util.Arrays.toString(spectrum))
            .isCloseTo(c, within(0.05 * c));
        checked++;
      }
    }
    assertThat(checked).isGreaterThanOrEqualTo(3);
  }
}
