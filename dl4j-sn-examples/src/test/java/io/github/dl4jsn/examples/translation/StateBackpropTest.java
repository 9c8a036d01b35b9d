package io.github.dl4jsn.examples.translation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The direct backpropagation gives the SameDiff training graph's loss and gradients (DOUBLE, to
 * 1e-10), with and without SN and dropout, one to three layers; and trains alike in FLOAT.
 */
class StateBackpropTest {

  private static StateSeq2SeqModel model(boolean sn, int layers, double dropout, DataType type) {
    StateSeq2SeqModel m = new StateSeq2SeqModel(new StateSeq2SeqModel.Config(9, 11, 3, 4, layers,
        sn, sn, Seq2SeqModel.Optimizer.adam, 0.01, 10, 5, 0.5, 5, 3, type, dropout));
    // Weights in [-0.5, 0.5]: larger gates and states than the paper's initialization, so that
    // every term of the backward pass matters.
    Random rng = new Random(5);
    for (INDArray p : m.params().values()) {
      for (long i = 0; i < p.length(); i++) {
        p.putScalar(i, rng.nextDouble() - 0.5);
      }
    }
    m.powerIterate();
    return m;
  }

  /** Four pairs of different lengths (sources up to 6 and targets up to 9 words: 2 buckets). */
  private static MultiDataSet batch() {
    return Example.toMultiDataSet(List.of(
        new Example(new int[] {5, 4, 3, 6, 7, 2}, new int[] {3, 4, 5, 2}),
        new Example(new int[] {6, 2}, new int[] {6, 2}),
        new Example(new int[] {3, 8, 4, 2}, new int[] {4, 6, 3, 3, 5, 9, 10, 7, 2}),
        new Example(new int[] {2}, new int[] {8, 2})));
  }

  static Stream<Arguments> cases() {
    return Stream.of(Arguments.of(false, 1, 0.0), Arguments.of(false, 2, 0.0),
        Arguments.of(true, 2, 0.0), Arguments.of(false, 3, 0.3), Arguments.of(true, 2, 0.3));
  }

  @ParameterizedTest(name = "sn {0}, {1} layers, dropout {2}")
  @MethodSource("cases")
  void directGradientsAreTheSameDiffGraphsGradients(boolean sn, int layers, double dropout) {
    StateSeq2SeqModel m = model(sn, layers, dropout, DataType.DOUBLE);
    MultiDataSet batch = batch();
    boolean train = dropout > 0;
    Nd4j.getRandom().setSeed(21); // the same dropout masks for both
    Map<String, INDArray> direct = m.engine(StateSeq2SeqModel.Engine.DIRECT).gradients(batch,
        train);
    Nd4j.getRandom().setSeed(21);
    Map<String, INDArray> graph = m.engine(StateSeq2SeqModel.Engine.SAMEDIFF).gradients(batch,
        train);
    assertThat(direct.keySet()).containsExactlyElementsOf(m.params().keySet());
    for (String name : m.params().keySet()) {
      INDArray d = direct.get(name);
      INDArray g = graph.get(name);
      assertThat(d.shape()).as(name).isEqualTo(m.params().get(name).shape());
      double scale = Math.max(1e-3, g.norm2Number().doubleValue());
      assertThat(Transforms.abs(d.sub(g)).maxNumber().doubleValue() / scale)
          .as("%s: direct %s vs SameDiff %s", name, d, g).isLessThan(1e-10);
      assertThat(g.norm2Number().doubleValue()).as(name).isGreaterThan(1e-6);
    }
  }

  @Test
  void bothEnginesTrainAlikeInFloat() {
    MultiDataSet batch = batch();
    StateSeq2SeqModel direct = model(true, 2, 0.0, DataType.FLOAT);
    StateSeq2SeqModel graph = model(true, 2, 0.0, DataType.FLOAT)
        .engine(StateSeq2SeqModel.Engine.SAMEDIFF);
    double start = direct.loss(batch);
    for (int i = 0; i < 20; i++) {
      double a = direct.fit(batch);
      double b = graph.fit(batch);
      assertThat(a).as("loss at update %d", i).isCloseTo(b, within(1e-4 * Math.abs(b)));
    }
    assertThat(direct.loss(batch)).as("it learns").isLessThan(0.95 * start);
  }

  @Test
  void logSoftmaxFallbackHoldsWhereTheFloatSoftmaxUnderflows() {
    INDArray row = Nd4j.createFromArray(0f, -200f, 1f);
    assertThat(Transforms.softmax(row.reshape(1, 3)).getDouble(0, 1)).isZero();
    double lse = Math.log(1 + Math.exp(-200) + Math.exp(1));
    assertThat(StateBackprop.logSoftmax(row, 1)).isCloseTo(-200 - lse, within(1e-9));
    assertThat(StateBackprop.logSoftmax(row, 2)).isCloseTo(1 - lse, within(1e-12));
  }

  @Test
  void engineIsRequired() {
    StateSeq2SeqModel m = model(false, 1, 0.0, DataType.DOUBLE);
    assertThatNullPointerException().isThrownBy(() -> m.engine(null)).withMessage("engine");
  }
}
