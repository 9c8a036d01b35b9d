package io.github.dl4jsn.examples.translation;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Step-by-step decoding of the output architecture agrees with the graph's own teacher-forced
 * forward pass.
 */
class TranslatorTest {

  private static ComputationGraph graph(boolean sn) {
    ComputationGraph g = new ComputationGraph(Seq2SeqModel.build(12, 9, 6, 7, 2, sn,
        Seq2SeqModel.Optimizer.sgd, 0.7, 10, 5, 0.5, 5, 3));
    g.init();
    return g;
  }

  @org.junit.jupiter.api.Test
  void snOnTheLstmsOnlyLeavesTheOutputLayerPlain() {
    ComputationGraph g = new ComputationGraph(Seq2SeqModel.build(12, 9, 6, 7, 2, true, false,
        Seq2SeqModel.Optimizer.adam, 1e-3, 10, 5, 0.5, 5, 3));
    g.init();
    for (String lstm : new String[] {"enc0", "enc1", "dec0", "dec1"}) {
      assertThat(g.getLayer(lstm)).as(lstm)
          .isInstanceOf(io.github.dl4jsn.layers.SpectralNormRecurrentLayer.class);
    }
    assertThat(g.getLayer("out"))
        .isNotInstanceOf(io.github.dl4jsn.layers.SpectralNormLayer.class)
        .isInstanceOf(org.deeplearning4j.nn.layers.recurrent.RnnOutputLayer.class);
  }

  private static List<Example> examples() {
    return List.of(new Example(new int[] {5, 4, 3, 7, 2}, new int[] {3, 4, 5, 2}),
        new Example(new int[] {8, 2}, new int[] {6, 2}),
        new Example(new int[] {9, 10, 11, 2}, new int[] {8, 7, 3, 4, 5, 2}));
  }

  @ParameterizedTest(name = "sn {0}")
  @ValueSource(booleans = {false, true})
  void stepwiseDecoderGivesTheGraphOutputOnPaddedBatches(boolean sn) {
    ComputationGraph g = graph(sn);
    List<Example> batch = examples();
    MultiDataSet m = Example.toMultiDataSet(batch);
    g.setLayerMaskArrays(m.getFeaturesMaskArrays(), m.getLabelsMaskArrays());
    INDArray full = g.output(false, m.getFeatures(), m.getFeaturesMaskArrays(),
        m.getLabelsMaskArrays())[0];
    g.clearLayerMaskArrays();
    GraphDecoder tr = new GraphDecoder(g);
    List<int[]> sources = new ArrayList<>();
    batch.forEach(e -> sources.add(e.source()));
    INDArray thought = tr.encode(sources);
    // Padding must not change a sentence's encoding.
    for (int i = 0; i < batch.size(); i++) {
      INDArray alone = tr.encode(List.of(sources.get(i)));
      assertThat(Transforms.abs(alone.sub(thought.getRow(i, true))).maxNumber().doubleValue())
          .isLessThan(1e-5);
    }
    tr.start(sources);
    int steps = (int) m.getFeatures(1).size(2);
    for (int t = 0; t < steps; t++) {
      int[] prev = new int[batch.size()];
      for (int i = 0; i < batch.size(); i++) {
        prev[i] = (int) m.getFeatures(1).getDouble(i, 0, t);
      }
      INDArray logp = tr.step(prev);
      for (int i = 0; i < batch.size(); i++) {
        if (t < batch.get(i).target().length) {
          INDArray expected = Transforms.log(full.get(NDArrayIndex.point(i), NDArrayIndex.all(),
              NDArrayIndex.point(t)));
          double diff = Transforms.abs(logp.getRow(i).sub(expected)).maxNumber().doubleValue();
          assertThat(diff).as("sentence %d step %d", i, t).isLessThan(1e-4);
        }
      }
    }
  }

  @ParameterizedTest(name = "sn {0}")
  @ValueSource(booleans = {false, true})
  void beamOfOneIsGreedyAndBeamsEndBeforeEos(boolean sn) {
    ComputationGraph g = graph(sn);
    Translator tr = new Translator(new GraphDecoder(g));
    List<int[]> sources = new ArrayList<>();
    examples().forEach(e -> sources.add(e.source()));
    List<int[]> greedy = tr.greedy(sources, 12);
    for (int i = 0; i < sources.size(); i++) {
      assertThat(tr.beam(sources.get(i), 1, 12)).as("sentence %d", i)
          .containsExactly(greedy.get(i));
      int[] wide = tr.beam(sources.get(i), 4, 12);
      assertThat(wide).doesNotContain(Vocabulary.EOS, Vocabulary.PAD);
    }
  }
}
