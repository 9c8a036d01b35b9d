package io.github.dl4jsn.examples.translation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/**
 * The gate statistics of a model equal those of an LSTM run sentence by sentence in plain Java
 * over the same weights (normalized ones where SN is on), padded steps left out.
 */
class GateStatisticsTest {

  private static final int H = 4;
  private static final int E = 3;

  private static StateSeq2SeqModel model(boolean sn) {
    StateSeq2SeqModel m = new StateSeq2SeqModel(new StateSeq2SeqModel.Config(9, 11, E, H, 2, sn,
        sn, Seq2SeqModel.Optimizer.adam, 0.01, 10, 5, 0.5, 5, 3, DataType.DOUBLE, 0.0));
    // Weights in [-2, 2], so that some gates pass +-3.
    Random rng = new Random(9);
    for (INDArray p : m.params().values()) {
      for (long i = 0; i < p.length(); i++) {
        p.putScalar(i, 4 * rng.nextDouble() - 2);
      }
    }
    m.powerIterate();
    return m;
  }

  private static List<Example> examples() {
    return List.of(new Example(new int[] {5, 4, 3, 6, 7, 2}, new int[] {3, 4, 5, 2}),
        new Example(new int[] {6, 2}, new int[] {6, 2}),
        new Example(new int[] {3, 8, 4, 2}, new int[] {4, 6, 3, 3, 5, 9, 10, 7, 2}),
        new Example(new int[] {2}, new int[] {8, 2}));
  }

  @ParameterizedTest(name = "sn {0}")
  @ValueSource(booleans = {false, true})
  void statisticsAreThoseOfAPlainJavaLstmOverTheRealSteps(boolean sn) {
    StateSeq2SeqModel m = model(sn);
    MultiDataSet batch = Example.toMultiDataSet(examples());
    Map<String, GateStatistics> stats = new TreeMap<>();
    m.gateStatistics(batch, stats);
    Map<String, List<double[]>> z = reference(m, examples());
    assertThat(stats.keySet()).containsExactlyInAnyOrderElementsOf(z.keySet());
    double switched = 0;
    for (Map.Entry<String, List<double[]>> e : z.entrySet()) {
      GateStatistics s = stats.get(e.getKey());
      List<double[]> rows = e.getValue();
      assertThat(s.rows()).as(e.getKey()).isEqualTo(rows.size());
      for (int g = 0; g < 4; g++) {
        double sq = 0;
        int beyond = 0;
        for (double[] row : rows) {
          for (int j = g * H; j < (g + 1) * H; j++) {
            sq += row[j] * row[j];
            beyond += Math.abs(row[j]) > GateStatistics.SATURATED ? 1 : 0;
          }
        }
        double units = rows.size() * (double) H;
        assertThat(s.rms(g)).as("%s gate %d", e.getKey(), g)
            .isCloseTo(Math.sqrt(sq / units), within(1e-10));
        assertThat(s.saturated(g)).as("%s gate %d", e.getKey(), g)
            .isCloseTo(beyond / units, within(1e-12));
        switched += beyond;
      }
    }
    // Real steps: sources 6 + 2 + 4 + 1, targets 4 + 2 + 9 + 2.
    assertThat(stats.get("enc1").rows()).isEqualTo(13);
    assertThat(stats.get("dec0").rows()).isEqualTo(17);
    if (!sn) {
      assertThat(switched).as("the weights switch some gates").isPositive();
    }
  }

  @Test
  void snBoundsThePartsOfThePreActivation() {
    Map<String, GateStatistics> plain = new TreeMap<>();
    Map<String, GateStatistics> normalized = new TreeMap<>();
    model(false).gateStatistics(Example.toMultiDataSet(examples()), plain);
    model(true).gateStatistics(Example.toMultiDataSet(examples()), normalized);
    for (String layer : plain.keySet()) {
      Map<String, Object> p = plain.get(layer).toMap();
      Map<String, Object> n = normalized.get(layer).toMap();
      assertThat((double) n.get("rmsRecurrent")).as(layer)
          .isLessThan((double) p.get("rmsRecurrent"));
      assertThat((double) n.get("rmsInput")).as(layer).isLessThan((double) p.get("rmsInput"));
      assertThat((double) n.get("rmsBias")).as("the bias is not normalized: " + layer)
          .isEqualTo((double) p.get("rmsBias"));
    }
  }

  @Test
  void addRejectsPartsOfTheWrongShape() {
    GateStatistics s = new GateStatistics();
    assertThatIllegalArgumentException()
        .isThrownBy(() -> s.add(new double[8], new double[8], new double[8], new double[3], 1))
        .withMessageContaining("[1, 8]").withMessageContaining("3 values");
  }

  @Test
  void countsEachGateOnItsSide() {
    GateStatistics s = new GateStatistics();
    // One step, one unit: z = (1, 4, 0.5, -4), split between x W, h RW and b.
    s.add(new double[] {1, 2, 0, -4}, new double[] {0, 2, 0.5, 0}, new double[] {0, 0, 0, 0},
        new double[] {0.5}, 1);
    Map<String, Object> m = s.toMap();
    @SuppressWarnings("unchecked")
    Map<String, Map<String, Double>> gates = (Map<String, Map<String, Double>>) m.get("gates");
    assertThat(gates.get("f").get("high")).isEqualTo(1.0);
    assertThat(gates.get("o").get("low")).isEqualTo(1.0);
    assertThat(gates.get("i").get("high") + gates.get("i").get("low")).isZero();
    assertThat(gates.get("i").get("meanActivation")).isCloseTo(1 / (1 + Math.exp(-1)),
        within(1e-15));
    assertThat(gates.get("g").get("meanActivation")).isCloseTo(Math.tanh(0.5), within(1e-15));
    assertThat(s.saturated()).isEqualTo(0.5);
    assertThat((double) m.get("rmsCell")).isEqualTo(0.5);
    assertThat((double) m.get("rmsRecurrent")).isCloseTo(Math.sqrt(4.25 / 4), within(1e-15));
  }

  /** Pre-activations by layer of each real step, an LSTM in plain Java per sentence. */
  private static Map<String, List<double[]>> reference(StateSeq2SeqModel m, List<Example> ex) {
    Map<String, List<double[]>> out = new TreeMap<>();
    for (Example e : ex) {
      double[][] srcX = embed(m, "srcEmbed", e.source());
      int[] decIn = new int[e.target().length];
      decIn[0] = Vocabulary.EOS;
      System.arraycopy(e.target(), 0, decIn, 1, e.target().length - 1);
      double[][] tgtX = embed(m, "tgtEmbed", decIn);
      double[][][] state = new double[2][][];
      double[][] seq = srcX;
      for (int l = 0; l < 2; l++) {
        double[][] hc = new double[][] {new double[H], new double[H]};
        seq = layer(m, "enc" + l, seq, hc, out);
        state[l] = hc;
      }
      seq = tgtX;
      for (int l = 0; l < 2; l++) {
        seq = layer(m, "dec" + l, seq, state[l], out);
      }
    }
    return out;
  }

  private static double[][] embed(StateSeq2SeqModel m, String table, int[] words) {
    double[][] x = new double[words.length][];
    for (int t = 0; t < words.length; t++) {
      x[t] = m.params().get(table).getRow(words[t]).toDoubleVector();
    }
    return x;
  }

  /** Runs one layer from state hc (updated to the final state); returns its outputs. */
  private static double[][] layer(StateSeq2SeqModel m, String name, double[][] x, double[][] hc,
      Map<String, List<double[]>> out) {
    boolean sn = m.normalizedWeights().contains(name + "W");
    double[][] w = (sn ? m.normalizedWeight(name + "W") : m.params().get(name + "W"))
        .toDoubleMatrix();
    double[][] rw = (sn ? m.normalizedWeight(name + "RW") : m.params().get(name + "RW"))
        .toDoubleMatrix();
    double[] b = m.params().get(name + "b").toDoubleVector();
    double[] h = hc[0];
    double[] c = hc[1];
    double[][] ys = new double[x.length][];
    for (int t = 0; t < x.length; t++) {
      double[] z = b.clone();
      for (int j = 0; j < 4 * H; j++) {
        for (int k = 0; k < x[t].length; k++) {
          z[j] += x[t][k] * w[k][j];
        }
        for (int k = 0; k < H; k++) {
          z[j] += h[k] * rw[k][j];
        }
      }
      out.computeIfAbsent(name, k -> new ArrayList<>()).add(z);
      double[] hn = new double[H];
      for (int u = 0; u < H; u++) {
        double in = sigmoid(z[u]);
        double f = sigmoid(z[H + u]);
        double g = Math.tanh(z[2 * H + u]);
        double o = sigmoid(z[3 * H + u]);
        c[u] = f * c[u] + in * g;
        hn[u] = o * Math.tanh(c[u]);
      }
      System.arraycopy(hn, 0, h, 0, H);
      ys[t] = hn;
    }
    return ys;
  }

  private static double sigmoid(double z) {
    return 1 / (1 + Math.exp(-z));
  }
}
