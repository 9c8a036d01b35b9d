package io.github.dl4jsn.examples.translation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.github.dl4jsn.inspect.SingularValues;
import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The state architecture: its gradients, the hand-over of the encoder's final state, step-by-step
 * decoding against teacher forcing, spectral normalization, training and checkpoints.
 */
class StateSeq2SeqModelTest {

  @TempDir Path dir;

  /** A tiny model: vocabularies of 7, embedding 3, 2 layers of {@code hidden} cells. */
  private static StateSeq2SeqModel model(boolean sn, int hidden, DataType type, double lr) {
    return new StateSeq2SeqModel(new StateSeq2SeqModel.Config(7, 7, 3, hidden, 2, sn, sn,
        Seq2SeqModel.Optimizer.adam, lr, 10, 5, 0.5, 5, 3, type));
  }

  /** Three sentence pairs of different lengths: both sides are padded in a batch. */
  private static List<Example> examples() {
    return List.of(new Example(new int[] {5, 4, 3, 6, 2}, new int[] {3, 4, 5, 2}),
        new Example(new int[] {6, 2}, new int[] {6, 2}),
        new Example(new int[] {3, 5, 4, 2}, new int[] {4, 6, 3, 3, 5, 2}));
  }

  private static List<int[]> sources(List<Example> batch) {
    List<int[]> out = new ArrayList<>();
    batch.forEach(e -> out.add(e.source()));
    return out;
  }

  private static double maxAbsDiff(INDArray a, INDArray b) {
    return Transforms.abs(a.castTo(DataType.DOUBLE).sub(b.castTo(DataType.DOUBLE))).maxNumber()
        .doubleValue();
  }

  static Stream<Arguments> gradientCases() {
    return Stream.of(Arguments.of(false, 0.0), Arguments.of(true, 0.0), Arguments.of(false, 0.3));
  }

  @ParameterizedTest(name = "sn {0}, dropout {1}")
  @MethodSource("gradientCases")
  void gradientsMatchFiniteDifferencesThroughTheHandOver(boolean sn, double dropout) {
    StateSeq2SeqModel m = new StateSeq2SeqModel(new StateSeq2SeqModel.Config(7, 7, 3, 3, 2, sn,
        sn, Seq2SeqModel.Optimizer.adam, 0.01, 10, 5, 0.5, 5, 3, DataType.DOUBLE, dropout));
    boolean train = dropout > 0; // the same masks at every call: ND4J's RNG reseeded each time
    // Weights in [-0.5, 0.5] rather than the paper's [-0.08, 0.08], so that every gradient entry
    // stands well above the finite differences' rounding noise.
    Random rng = new Random(7);
    for (INDArray p : m.params().values()) {
      for (long i = 0; i < p.length(); i++) {
        p.putScalar(i, rng.nextDouble() - 0.5);
      }
    }
    m.powerIterate(); // u, v for the new weights; they are constants for the check
    MultiDataSet batch = Example.toMultiDataSet(examples());
    Nd4j.getRandom().setSeed(11);
    Map<String, INDArray> grads = m.gradients(batch, train);
    if (train) {
      Nd4j.getRandom().setSeed(12);
      assertThat(m.loss(batch, true)).as("another dropout mask, another loss")
          .isNotCloseTo(m.loss(batch, false), within(1e-6));
    }
    double eps = 1e-6;
    for (Map.Entry<String, INDArray> e : m.params().entrySet()) {
      INDArray p = e.getValue();
      INDArray g = grads.get(e.getKey());
      assertThat(g.shape()).as(e.getKey()).isEqualTo(p.shape());
      for (long i = 0; i < p.length(); i++) {
        double old = p.getDouble(i);
        p.putScalar(i, old + eps);
        Nd4j.getRandom().setSeed(11);
        double plus = m.loss(batch, train);
        p.putScalar(i, old - eps);
        Nd4j.getRandom().setSeed(11);
        double minus = m.loss(batch, train);
        p.putScalar(i, old);
        double numeric = (plus - minus) / (2 * eps);
        double analytic = g.getDouble(i);
        double abs = Math.abs(numeric - analytic);
        if (abs > 1e-8) {
          assertThat(abs / (Math.abs(numeric) + Math.abs(analytic)))
              .as("%s[%d]: analytic %s, numeric %s", e.getKey(), i, analytic, numeric)
              .isLessThan(1e-4);
        }
      }
    }
    // The decoder's loss reaches the encoder only through the hand-over of (h, c).
    for (String enc : new String[] {"srcEmbed", "enc0W", "enc0RW", "enc1W", "enc1RW"}) {
      assertThat(grads.get(enc).norm2Number().doubleValue()).as(enc).isGreaterThan(1e-3);
    }
  }

  @Test
  void clipsTheGradientByItsGlobalNorm() {
    // SGD at rate 1 with the limit 0.001: the whole update is the gradient scaled to norm 0.001.
    StateSeq2SeqModel m = new StateSeq2SeqModel(new StateSeq2SeqModel.Config(7, 7, 3, 4, 2, false,
        false, Seq2SeqModel.Optimizer.sgd, 1.0, 10, 5, 0.5, 1e-3, 3, DataType.DOUBLE));
    MultiDataSet mds = Example.toMultiDataSet(examples());
    Map<String, INDArray> grads = m.gradients(mds);
    Map<String, INDArray> before = new java.util.LinkedHashMap<>();
    m.params().forEach((k, v) -> before.put(k, v.dup()));
    m.fit(mds);
    double gradNorm = 0;
    double stepNorm = 0;
    for (String name : before.keySet()) {
      gradNorm += Math.pow(grads.get(name).norm2Number().doubleValue(), 2);
      stepNorm += Math.pow(before.get(name).sub(m.params().get(name)).norm2Number().doubleValue(),
          2);
    }
    gradNorm = Math.sqrt(gradNorm);
    assertThat(gradNorm).isGreaterThan(1e-2);
    assertThat(Math.sqrt(stepNorm)).isCloseTo(1e-3, within(1e-12));
    for (String name : before.keySet()) {
      INDArray expected = grads.get(name).mul(1e-3 / gradNorm);
      assertThat(maxAbsDiff(before.get(name).sub(m.params().get(name)), expected)).as(name)
          .isLessThan(1e-15);
    }
  }

  @Test
  void decoderStartsFromTheEncoderStateAtEachSentencesLastToken() {
    StateSeq2SeqModel m = model(false, 4, DataType.DOUBLE, 0.01);
    // A long sentence pads the others by 10 steps in the batch (bucket 12).
    List<Example> batch = new ArrayList<>(examples());
    batch.add(new Example(new int[] {3, 4, 5, 6, 3, 4, 5, 6, 2}, new int[] {3, 2}));
    MultiDataSet mds = Example.toMultiDataSet(batch);
    Map<String, INDArray> handOver = m.trainOutputs(mds, "encH0", "encC0", "encH1", "encC1");
    INDArray[][] encoded = m.encode(sources(batch));
    for (int i = 0; i < batch.size(); i++) {
      // Alone, the sentence has no padding beyond its bucket: its state after its last token.
      INDArray[][] alone = m.encode(List.of(batch.get(i).source()));
      for (int l = 0; l < 2; l++) {
        assertThat(maxAbsDiff(handOver.get("encH" + l).getRow(i), alone[0][l].getRow(0)))
            .as("h of layer %d, sentence %d", l, i).isLessThan(1e-12);
        assertThat(maxAbsDiff(handOver.get("encC" + l).getRow(i), alone[1][l].getRow(0)))
            .as("c of layer %d, sentence %d", l, i).isLessThan(1e-12);
        assertThat(maxAbsDiff(encoded[0][l].getRow(i), alone[0][l].getRow(0))).isLessThan(1e-12);
        assertThat(maxAbsDiff(encoded[1][l].getRow(i), alone[1][l].getRow(0))).isLessThan(1e-12);
      }
    }
    // The state after a shorter sentence differs: the mask, not the padding, ends it.
    INDArray[][] prefix = m.encode(List.of(new int[] {3, 4, 5}));
    assertThat(maxAbsDiff(prefix[0][1].getRow(0), encoded[0][1].getRow(3))).isGreaterThan(1e-6);
  }

  static Stream<Arguments> snAndType() {
    return Stream.of(Arguments.of(false, DataType.DOUBLE, 1e-12),
        Arguments.of(true, DataType.DOUBLE, 1e-12), Arguments.of(false, DataType.FLOAT, 1e-5),
        Arguments.of(true, DataType.FLOAT, 1e-5));
  }

  @ParameterizedTest(name = "sn {0}, {1}")
  @MethodSource("snAndType")
  void stepwiseDecodingReproducesTheTeacherForcedLogProbabilities(boolean sn, DataType type,
      double tolerance) {
    StateSeq2SeqModel m = model(sn, 4, type, 0.01);
    List<Example> batch = examples();
    MultiDataSet mds = Example.toMultiDataSet(batch);
    for (int i = 0; i < 3; i++) {
      m.fit(mds); // trained weights and SN vectors, not the initial ones
    }
    INDArray forced = m.teacherForcedLogProbs(mds);
    StateDecoder decoder = new StateDecoder(m);
    decoder.start(sources(batch));
    INDArray targetIn = mds.getFeatures(1);
    for (int t = 0; t < targetIn.size(2); t++) {
      int[] prev = new int[batch.size()];
      for (int i = 0; i < batch.size(); i++) {
        prev[i] = (int) targetIn.getDouble(i, 0, t);
      }
      INDArray logp = decoder.step(prev);
      for (int i = 0; i < batch.size(); i++) {
        if (t < batch.get(i).target().length) {
          INDArray expected = forced.get(NDArrayIndex.point(i), NDArrayIndex.point(t),
              NDArrayIndex.all());
          assertThat(maxAbsDiff(logp.getRow(i), expected)).as("sentence %d step %d", i, t)
              .isLessThan(tolerance);
        }
      }
    }
  }

  @Test
  void sigmaOfEveryNormalizedWeightIsOneAfterAFewUpdates() {
    // Adam's usual rate: each update moves the weights by about 2% of their size, and one power
    // iteration per update keeps up.
    StateSeq2SeqModel m = model(true, 4, DataType.FLOAT, 1e-3);
    MultiDataSet mds = Example.toMultiDataSet(examples());
    for (int i = 0; i < 5; i++) {
      m.fit(mds);
    }
    assertThat(m.normalizedWeights()).containsExactly("enc0W", "enc0RW", "enc1W", "enc1RW",
        "dec0W", "dec0RW", "dec1W", "dec1RW", "outW");
    assertSigmas(m, 1e-2);
  }

  @Test
  void snModelLearnsATinySetWithSigmaNearOne() {
    StateSeq2SeqModel m = new StateSeq2SeqModel(new StateSeq2SeqModel.Config(7, 7, 3, 4, 2, true,
        false, Seq2SeqModel.Optimizer.adam, 0.02, 10, 5, 0.5, 5, 3, DataType.FLOAT));
    MultiDataSet mds = Example.toMultiDataSet(examples());
    double first = m.fit(mds);
    for (int i = 0; i < 59; i++) {
      m.fit(mds);
    }
    assertThat(m.loss(mds)).as("loss after 60 updates on 3 pairs").isLessThan(0.7 * first);
    // At this rate (each update moves a weight by about 25% of its initial size) one power
    // iteration per update lags behind the weights' top singular direction (exact sigma of
    // W_SN up to about 1.2 here; the core's TrainingTest documents the same lag). With the
    // weights fixed, the persistent vectors converge to the trained weights' sigma.
    for (int i = 0; i < 30; i++) {
      m.powerIterate();
    }
    assertSigmas(m, 1e-2);
  }

  @Test
  void weightSigmasAreTheRawWeightsLargestSingularValues() {
    StateSeq2SeqModel m = model(true, 4, DataType.FLOAT, 1e-3);
    m.fit(Example.toMultiDataSet(examples()));
    Map<String, Double> sigmas = m.weightSigmas();
    assertThat(sigmas.keySet()).containsExactly("enc0W", "enc0RW", "enc1W", "enc1RW", "dec0W",
        "dec0RW", "dec1W", "dec1RW", "outW");
    for (Map.Entry<String, Double> e : sigmas.entrySet()) {
      // An independent estimate: power iteration on W^T W, to convergence, in DOUBLE.
      INDArray w = m.params().get(e.getKey()).castTo(DataType.DOUBLE);
      INDArray v = org.nd4j.linalg.factory.Nd4j.ones(DataType.DOUBLE, w.size(1), 1);
      for (int i = 0; i < 2000; i++) {
        v = w.transpose().mmul(w.mmul(v));
        v.divi(v.norm2Number());
      }
      double power = w.mmul(v).norm2Number().doubleValue();
      assertThat(e.getValue()).as(e.getKey()).isCloseTo(power, within(1e-6 * power));
    }
  }

  private static void assertSigmas(StateSeq2SeqModel m, double tolerance) {
    for (String w : m.normalizedWeights()) {
      double sigma = SingularValues.largest(m.normalizedWeight(w).castTo(DataType.DOUBLE));
      System.out.printf("exact sigma of %s_SN: %.5f%n", w, sigma);
      assertThat(sigma).as("sigma(%s_SN)", w).isCloseTo(1.0, within(tolerance));
    }
  }

  @ParameterizedTest(name = "sn {0}")
  @ValueSource(booleans = {false, true})
  void saveAndLoadGiveIdenticalOutputsAndTraining(boolean sn) throws Exception {
    StateSeq2SeqModel m = model(sn, 4, DataType.FLOAT, 0.01);
    MultiDataSet mds = Example.toMultiDataSet(examples());
    for (int i = 0; i < 3; i++) {
      m.fit(mds);
    }
    m.incrementEpochCount();
    File file = dir.resolve("state.zip").toFile();
    m.write(file);
    assertThat(StateSeq2SeqModel.isStateModel(file)).isTrue();
    StateSeq2SeqModel loaded = StateSeq2SeqModel.read(file);
    assertThat(loaded.config()).isEqualTo(m.config());
    assertThat(loaded.iterationCount()).isEqualTo(3);
    assertThat(loaded.epochCount()).isEqualTo(1);
    assertThat(maxAbsDiff(loaded.teacherForcedLogProbs(mds), m.teacherForcedLogProbs(mds)))
        .isZero();
    assertThat(new Translator(loaded.decoder()).beam(examples().get(0).source(), 3, 10))
        .containsExactly(new Translator(m.decoder()).beam(examples().get(0).source(), 3, 10));
    // The next update is the same: updater state and SN vectors were saved.
    assertThat(loaded.fit(mds)).isEqualTo(m.fit(mds));
    for (String name : m.params().keySet()) {
      assertThat(maxAbsDiff(loaded.params().get(name), m.params().get(name))).as(name).isZero();
    }
  }

  @Test
  void dropoutIsSavedCheckedAndAbsentFromOldConfigs() {
    StateSeq2SeqModel.Config c = new StateSeq2SeqModel.Config(7, 7, 3, 4, 2, false, false,
        Seq2SeqModel.Optimizer.adam, 0.01, 10, 5, 0.5, 5, 3, DataType.FLOAT, 0.2);
    assertThat(StateSeq2SeqModel.Config.fromMap(c.toMap())).isEqualTo(c);
    Map<String, String> old = new java.util.LinkedHashMap<>(c.toMap());
    old.remove("dropout");
    assertThat(StateSeq2SeqModel.Config.fromMap(old).dropout()).isZero();
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> new StateSeq2SeqModel.Config(7, 7,
        3, 4, 2, false, false, Seq2SeqModel.Optimizer.adam, 0.01, 10, 5, 0.5, 5, 3,
        DataType.FLOAT, 1.0)).hasMessageContaining("dropout must be in [0, 1), got 1.0");
  }

  @ParameterizedTest(name = "sn {0}")
  @ValueSource(booleans = {false, true})
  void beamOfOneIsGreedyAndBeamsEndBeforeEos(boolean sn) {
    StateSeq2SeqModel m = model(sn, 4, DataType.FLOAT, 0.01);
    List<int[]> sources = sources(examples());
    for (LengthNorm norm : LengthNorm.values()) {
      Translator tr = new Translator(m.decoder(), norm, LengthNorm.DEFAULT_ALPHA);
      List<int[]> greedy = tr.greedy(sources, 12);
      for (int i = 0; i < sources.size(); i++) {
        assertThat(tr.beam(sources.get(i), 1, 12)).as("%s, sentence %d", norm, i)
            .containsExactly(greedy.get(i));
        assertThat(tr.beam(sources.get(i), 4, 12)).doesNotContain(Vocabulary.EOS,
            Vocabulary.PAD);
      }
    }
  }
}
