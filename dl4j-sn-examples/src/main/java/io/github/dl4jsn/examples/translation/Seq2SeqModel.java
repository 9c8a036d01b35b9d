package io.github.dl4jsn.examples.translation;

import io.github.dl4jsn.conf.SpectralNormalization;
import java.util.HashMap;
import java.util.Map;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.GradientNormalization;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.distribution.UniformDistribution;
import org.deeplearning4j.nn.conf.graph.rnn.DuplicateToTimeSeriesVertex;
import org.deeplearning4j.nn.conf.graph.rnn.LastTimeStepVertex;
import org.deeplearning4j.nn.conf.layers.EmbeddingSequenceLayer;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.weights.WeightInitDistribution;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.linalg.schedule.MapSchedule;
import org.nd4j.linalg.schedule.ScheduleType;

/**
 * The encoder-decoder of Sutskever et al. (2014) as a DL4J {@code ComputationGraph}: the
 * {@code output} architecture ({@link StateSeq2SeqModel} is the paper's {@code state} one).
 *
 * <p>Inputs: {@code source} [batch, 1, Ts] word indices (reversed source words, then
 * {@code <eos>}, right-padded) and {@code targetIn} [batch, 1, Tt] ({@code <eos>} then the target
 * words). Source words go through an embedding and {@code layers} stacked LSTMs {@code enc0..};
 * the top encoder output at the last unmasked step ({@code thought}) is repeated over the target
 * steps and concatenated with the target embedding as the input of the stacked decoder LSTMs
 * {@code dec0..}; {@code out} is a softmax over the target vocabulary trained with sparse
 * cross-entropy on [batch, 1, Tt] labels (the target words, then {@code <eos>}).
 *
 * <p>Difference from the paper: the paper initializes the decoder's LSTM states with the
 * encoder's final states; DL4J's LSTM returns no gradient for its initial state, so a graph
 * cannot train through that hand-over, and the encoder's final output is fed to the first
 * decoder layer at every step instead (the DL4J sequence-to-sequence idiom). Weights start
 * uniform in [-0.08, 0.08]; gradients are clipped per layer at L2 norm 5 ({@code
 * ClipL2PerLayer}; the paper clips the global norm). With {@code sn}, every LSTM (W and RW) and
 * the output layer are wrapped in {@link SpectralNormalization}.
 */
public final class Seq2SeqModel {

  /** Optimizers. */
  public enum Optimizer {
    /** Plain SGD with the paper's schedule: lr, then halved every half epoch after epoch 5. */
    sgd,
    /** Adam at the given learning rate. */
    adam
  }

  private Seq2SeqModel() {}

  /**
   * The graph configuration.
   *
   * @param srcVocab source vocabulary size
   * @param tgtVocab target vocabulary size
   * @param embedding embedding size
   * @param hidden LSTM cells per layer
   * @param layers LSTM layers in the encoder and in the decoder
   * @param sn whether to wrap the LSTMs and the output layer in spectral normalization
   * @param optimizer SGD or Adam
   * @param lr learning rate
   * @param itersPerEpoch minibatches per epoch, for the SGD halving schedule
   * @param halveAfter epochs at the full SGD learning rate
   * @param halveEvery epochs between SGD halvings after that
   * @param clip gradient L2 norm limit per layer
   * @param seed random seed
   */
  public static ComputationGraphConfiguration build(int srcVocab, int tgtVocab, int embedding,
      int hidden, int layers, boolean sn, Optimizer optimizer, double lr, int itersPerEpoch,
      double halveAfter, double halveEvery, double clip, long seed) {
    return build(srcVocab, tgtVocab, embedding, hidden, layers, sn, sn, optimizer, lr,
        itersPerEpoch, halveAfter, halveEvery, clip, seed);
  }

  /**
   * As {@link #build(int, int, int, int, int, boolean, Optimizer, double, int, double, double,
   * double, long)}, with SN of the LSTMs ({@code sn}) and of the output layer ({@code snOutput})
   * chosen separately.
   */
  public static ComputationGraphConfiguration build(int srcVocab, int tgtVocab, int embedding,
      int hidden, int layers, boolean sn, boolean snOutput, Optimizer optimizer, double lr,
      int itersPerEpoch, double halveAfter, double halveEvery, double clip, long seed) {
    IUpdater updater = optimizer == Optimizer.adam ? new Adam(lr)
        : new Sgd(halvingSchedule(lr, itersPerEpoch, halveAfter, halveEvery));
    ComputationGraphConfiguration.GraphBuilder g = new NeuralNetConfiguration.Builder()
        .seed(seed)
        .dataType(DataType.FLOAT)
        .weightInit(new WeightInitDistribution(new UniformDistribution(-0.08, 0.08)))
        .updater(updater)
        .gradientNormalization(GradientNormalization.ClipL2PerLayer)
        .gradientNormalizationThreshold(clip)
        .graphBuilder()
        .addInputs("source", "targetIn");
    // No setInputTypes: it would reset the embeddings' nIn to the input width 1, so every nIn
    // is given explicitly.
    g.addLayer("srcEmbed", new EmbeddingSequenceLayer.Builder().nIn(srcVocab).nOut(embedding)
        .build(), "source");
    String below = "srcEmbed";
    for (int i = 0; i < layers; i++) {
      g.addLayer("enc" + i, lstm(i == 0 ? embedding : hidden, hidden, sn), below);
      below = "enc" + i;
    }
    g.addVertex("thought", new LastTimeStepVertex("source"), below);
    g.addVertex("repeated", new DuplicateToTimeSeriesVertex("targetIn"), "thought");
    g.addLayer("tgtEmbed", new EmbeddingSequenceLayer.Builder().nIn(tgtVocab).nOut(embedding)
        .build(), "targetIn");
    g.addLayer("dec0", lstm(embedding + hidden, hidden, sn), "tgtEmbed", "repeated");
    for (int i = 1; i < layers; i++) {
      g.addLayer("dec" + i, lstm(hidden, hidden, sn), "dec" + (i - 1));
    }
    Layer out = new RnnOutputLayer.Builder(LossFunction.SPARSE_MCXENT).nIn(hidden)
        .nOut(tgtVocab).dataFormat(RNNFormat.NCW)
        .activation(Activation.SOFTMAX).build();
    g.addLayer("out", snOutput ? SpectralNormalization.wrap(out) : out, "dec" + (layers - 1));
    return g.setOutputs("out").build();
  }

  /**
   * The paper's schedule: {@code lr} for {@code halveAfter} epochs, then halved every
   * {@code halveEvery} epochs, by iteration.
   */
  static ISchedule halvingSchedule(double lr, int itersPerEpoch, double halveAfter,
      double halveEvery) {
    Map<Integer, Double> map = new HashMap<>();
    map.put(0, lr);
    double value = lr;
    for (int k = 0; k < 60; k++) {
      int at = (int) Math.round((halveAfter + k * halveEvery) * itersPerEpoch);
      value /= 2;
      if (at > 0) {
        map.put(at, value);
      }
    }
    return new MapSchedule(ScheduleType.ITERATION, map);
  }

  private static Layer lstm(int nIn, int hidden, boolean sn) {
    LSTM lstm = new LSTM.Builder().nIn(nIn).nOut(hidden).dataFormat(RNNFormat.NCW)
        .activation(Activation.TANH).build();
    return sn ? SpectralNormalization.wrap(lstm) : lstm;
  }
}
