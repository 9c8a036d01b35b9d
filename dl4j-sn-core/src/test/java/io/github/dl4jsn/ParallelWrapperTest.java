package io.github.dl4jsn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.github.dl4jsn.layers.SpectralNormLayer;
import io.github.dl4jsn.testutil.Nets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.parallelism.ParallelWrapper;
import org.deeplearning4j.parallelism.ParallelWrapper.TrainingMode;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;

/**
 * Multi-worker training with DL4J's {@link ParallelWrapper} (2 workers) in both of its modes, on
 * an SN MLP. ParallelWrapper trains the given network on worker 0 and replicas rebuilt from its
 * JSON on the others, so the SN layers must survive that.
 *
 * <p>SHARED_GRADIENTS: the workers exchange threshold-encoded updates; u and v have a NoOp updater
 * and a zero gradient, so nothing of them is shared and each worker's power iteration keeps its
 * own unit vectors. Proven: training converges, u and v are unit, W_SN has sigma about 1.
 *
 * <p>AVERAGING: every {@code averagingFrequency} rounds the replicas' parameter vectors are
 * averaged, u and v included, and the average of unit vectors is shorter than 1. Proven: right
 * after an averaging round u and v are not unit (shorter by about 1e-7 here, in DOUBLE), but
 * nothing depends on their length: inference divides sigma by {@code ||u|| ||v||}, so sigma and
 * W_SN are those of the normalized vectors; the next training step renormalizes u before its
 * power iteration and leaves both unit. Training converges and W_SN has sigma about 1.
 *
 * <p>Settings for DL4J M2.1 on the CPU: the original network's updater is created before the
 * wrapper runs (a race in ParallelWrapper otherwise deadlocks SHARED_GRADIENTS; see below), all
 * epochs go through one {@code fit} (each fit ends by clearing the network's updater), and there
 * is no prefetch buffer (ListDataSetIterator does not support one). Workspaces stay ENABLED.
 */
class ParallelWrapperTest {

  private static final int WORKERS = 2;
  private static final int AVERAGING_FREQUENCY = 3;
  /** 12 minibatches of 16: 6 rounds of 2 workers per epoch, so training ends on an average. */
  private static final int EXAMPLES = 192;
  private static final int BATCH = 16;
  private static final int EPOCHS = 16;

  @Test
  void sharedGradientsTrainsAndKeepsTheVectorsUnit() {
    MultiLayerNetwork net = trainedNetwork(TrainingMode.SHARED_GRADIENTS);
    for (SpectralNormLayer l : SpectralNormLayer.allIn(net)) {
      assertThat(l.getParam("uW").norm2Number().doubleValue()).isCloseTo(1.0, within(1e-12));
      assertThat(l.getParam("vW").norm2Number().doubleValue()).isCloseTo(1.0, within(1e-12));
    }
  }

  @Test
  void averagingShortensTheVectorsWhichChangesNothingAndTheNextStepRestoresThem() {
    MultiLayerNetwork net = trainedNetwork(TrainingMode.AVERAGING);
    List<SpectralNormLayer> layers = SpectralNormLayer.allIn(net);

    // Right after an averaging round: the averaged vectors are slightly shorter than 1.
    double shortest = 1;
    for (SpectralNormLayer l : layers) {
      for (String key : List.of("uW", "vW")) {
        double norm = l.getParam(key).norm2Number().doubleValue();
        assertThat(norm).isLessThanOrEqualTo(1 + 1e-12).isGreaterThan(1 - 1e-6);
        shortest = Math.min(shortest, norm);
      }
    }
    assertThat(1 - shortest).as("shortening by the average").isGreaterThan(1e-12);
    System.out.printf("[parallel] AVERAGING: the shortest u or v is %.2e below 1%n", 1 - shortest);

    // Sigma and W_SN are those of the normalized vectors: v^T W u / (||u|| ||v||), M = W^T.
    for (SpectralNormLayer l : layers) {
      double sigma = Nets.sigmaOfNormalizedVectors(l);
      assertThat(l.sigma("W").getDouble()).isCloseTo(sigma, within(1e-12));
      assertThat(maxAbsDiff(l.normalizedWeight("W"), l.getInnerLayer().getParam("W").div(sigma)))
          .isLessThan(1e-12);
    }

    // The next training step renormalizes u before iterating; both come out unit.
    DataSet batch = Nets.clusters(BATCH, 3, DataType.DOUBLE);
    net.fit(batch);
    for (SpectralNormLayer l : layers) {
      assertThat(l.getParam("uW").norm2Number().doubleValue()).isCloseTo(1.0, within(1e-12));
      assertThat(l.getParam("vW").norm2Number().doubleValue()).isCloseTo(1.0, within(1e-12));
    }
    assertSigmasAboutOne(net);
  }

  /**
   * Trains an SN MLP (DOUBLE, Adam 1e-3) on the clusters problem for {@link #EPOCHS} epochs of 12
   * minibatches through a ParallelWrapper in the given mode; asserts that the score fell below 0.7
   * of its start, that the training accuracy is high and that every exact sigma is about 1.
   */
  private static MultiLayerNetwork trainedNetwork(TrainingMode mode) {
    MultiLayerNetwork net = new MultiLayerNetwork(Nets.mlp(Nets.SN, DataType.DOUBLE,
        new Adam(1e-3)));
    net.init();
    DataSet all = Nets.clusters(EXAMPLES, 1, DataType.DOUBLE);
    double initial = net.score(all);

    // All epochs in one fit(): ParallelWrapper.fit ends by clear()ing the network it was given,
    // which drops its solver and updater, and each fit starts workers that rebuild replicas.
    List<DataSet> batches = new ArrayList<>();
    for (int epoch = 0; epoch < EPOCHS; epoch++) {
      batches.addAll(all.batchBy(BATCH));
    }
    assertThat(batches).hasSize(EPOCHS * EXAMPLES / BATCH);
    // DL4J M2.1 race: a replica's worker thread asks the original network for its updater; if
    // that does not exist yet, getUpdater() waits for the network's monitor, which worker 0 holds
    // in fit() while, with SHARED_GRADIENTS, it waits for the replica's update: a deadlock. An
    // updater created beforehand avoids the wait.
    net.getUpdater();
    ParallelWrapper.Builder<MultiLayerNetwork> builder = new ParallelWrapper.Builder<>(net);
    builder
        .workers(WORKERS)
        .trainingMode(mode)
        .averagingFrequency(AVERAGING_FREQUENCY)
        // ListDataSetIterator does not support asynchronous prefetching, so ParallelWrapper feeds
        // it directly anyway; no prefetch buffer makes that explicit.
        .prefetchBuffer(0)
        .workspaceMode(WorkspaceMode.ENABLED);
    builder.build().fit(new ListDataSetIterator<>(batches, 1));

    double score = net.score(all);
    assertThat(score).as("%s: score after training vs %s at the start", mode, initial)
        .isLessThan(0.7 * initial);
    INDArray predicted = net.output(all.getFeatures()).argMax(1);
    INDArray actual = all.getLabels().argMax(1);
    double accuracy = predicted.eq(actual).castTo(DataType.DOUBLE).meanNumber().doubleValue();
    assertThat(accuracy).as("%s: training accuracy", mode).isGreaterThan(0.9);
    assertSigmasAboutOne(net);
    System.out.printf("[parallel] %s: score %.4f -> %.4f, accuracy %.3f, exact sigmas %s%n",
        mode, initial, score, accuracy, SpectralNorm.exactSigmas(net));
    return net;
  }

  private static void assertSigmasAboutOne(MultiLayerNetwork net) {
    Map<String, Double> exact = SpectralNorm.exactSigmas(net);
    assertThat(exact).hasSize(3);
    exact.forEach((key, sigma) -> assertThat(sigma).as(key).isBetween(0.9, 1.2));
  }

  private static double maxAbsDiff(INDArray a, INDArray b) {
    return a.sub(b).amaxNumber().doubleValue();
  }
}
