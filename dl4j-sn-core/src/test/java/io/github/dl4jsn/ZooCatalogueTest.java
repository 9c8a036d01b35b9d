package io.github.dl4jsn;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.dl4jsn.ApplyReport.Outcome;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.layers.objdetect.Yolo2OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.zoo.model.AlexNet;
import org.deeplearning4j.zoo.model.Darknet19;
import org.deeplearning4j.zoo.model.FaceNetNN4Small2;
import org.deeplearning4j.zoo.model.InceptionResNetV1;
import org.deeplearning4j.zoo.model.LeNet;
import org.deeplearning4j.zoo.model.NASNet;
import org.deeplearning4j.zoo.model.ResNet50;
import org.deeplearning4j.zoo.model.SimpleCNN;
import org.deeplearning4j.zoo.model.SqueezeNet;
import org.deeplearning4j.zoo.model.TextGenerationLSTM;
import org.deeplearning4j.zoo.model.TinyYOLO;
import org.deeplearning4j.zoo.model.UNet;
import org.deeplearning4j.zoo.model.VGG16;
import org.deeplearning4j.zoo.model.VGG19;
import org.deeplearning4j.zoo.model.Xception;
import org.deeplearning4j.zoo.model.YOLO2;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Every model configuration of {@code deeplearning4j-zoo} 1.0.0-M2.1 through {@link
 * SpectralNorm#apply} in strict mode, at a small input size: every layer with a linear weight must
 * be wrapped (strict mode fails otherwise, naming the layer), the wrapped configuration must survive
 * JSON, and the network must train 2 steps with finite scores. Where plain DL4J cannot build or
 * train a model at the small size, the test shows that the plain model fails the same way and
 * records it. The table it prints is the README's zoo table.
 */
class ZooCatalogueTest {

  /** One zoo model at a small input size. */
  static final class Zoo {
    final String name;
    final int[] shape;
    final Supplier<Object> conf;
    final boolean yolo;

    Zoo(String name, int[] shape, Supplier<Object> conf, boolean yolo) {
      this.name = name;
      this.shape = shape;
      this.conf = conf;
      this.yolo = yolo;
    }

    @Override
    public String toString() {
      return name;
    }
  }

  static final int CLASSES = 3;
  private static final Map<String, String> TABLE = new LinkedHashMap<>();

  static Stream<Zoo> models() {
    return Stream.of(
        new Zoo("AlexNet", new int[] {3, 64, 64}, () -> AlexNet.builder().numClasses(CLASSES)
            .inputShape(new int[] {3, 64, 64}).build().conf(), false),
        new Zoo("Darknet19", new int[] {3, 64, 64}, () -> Darknet19.builder()
            .numClasses(CLASSES).inputShape(new int[] {3, 64, 64}).build().conf(), false),
        new Zoo("FaceNetNN4Small2", new int[] {3, 32, 32}, () -> FaceNetNN4Small2.builder()
            .numClasses(CLASSES).embeddingSize(16).inputShape(new int[] {3, 32, 32}).build()
            .conf(), false),
        new Zoo("InceptionResNetV1", new int[] {3, 160, 160}, () -> InceptionResNetV1.builder()
            .numClasses(CLASSES).inputShape(new int[] {3, 160, 160}).build().init()
            .getConfiguration(), false),
        new Zoo("LeNet", new int[] {1, 28, 28}, () -> LeNet.builder().numClasses(CLASSES)
            .inputShape(new int[] {1, 28, 28}).build().conf(), false),
        new Zoo("NASNet", new int[] {3, 64, 64}, () -> NASNet.builder().numClasses(CLASSES)
            .inputShape(new int[] {3, 64, 64}).build().init().getConfiguration(), false),
        new Zoo("ResNet50", new int[] {3, 96, 96}, () -> ResNet50.builder().numClasses(CLASSES)
            .inputShape(new int[] {3, 96, 96}).build().init().getConfiguration(), false),
        new Zoo("SimpleCNN", new int[] {3, 48, 48}, () -> SimpleCNN.builder().numClasses(CLASSES)
            .inputShape(new int[] {3, 48, 48}).build().conf(), false),
        new Zoo("SqueezeNet", new int[] {3, 32, 32}, () -> SqueezeNet.builder()
            .numClasses(CLASSES).inputShape(new int[] {3, 32, 32}).build().init()
            .getConfiguration(), false),
        new Zoo("TextGenerationLSTM", new int[] {12, 4}, () -> TextGenerationLSTM.builder()
            .totalUniqueCharacters(12).maxLength(4).inputShape(new int[] {4, 12}).build().conf(),
            false),
        new Zoo("TinyYOLO", new int[] {3, 64, 64}, () -> TinyYOLO.builder().numClasses(CLASSES)
            .inputShape(new int[] {3, 64, 64}).build().conf(), true),
        new Zoo("UNet", new int[] {3, 64, 64}, () -> UNet.builder().numClasses(CLASSES)
            .inputShape(new int[] {3, 64, 64}).build().init().getConfiguration(), false),
        new Zoo("VGG16", new int[] {3, 32, 32}, () -> VGG16.builder().numClasses(CLASSES)
            .inputShape(new int[] {3, 32, 32}).build().conf(), false),
        new Zoo("VGG19", new int[] {3, 32, 32}, () -> VGG19.builder().numClasses(CLASSES)
            .inputShape(new int[] {3, 32, 32}).build().conf(), false),
        new Zoo("Xception", new int[] {3, 64, 64}, () -> Xception.builder().numClasses(CLASSES)
            .inputShape(new int[] {3, 64, 64}).build().init().getConfiguration(), false),
        new Zoo("YOLO2", new int[] {3, 64, 64}, () -> YOLO2.builder().numClasses(CLASSES)
            .inputShape(new int[] {3, 64, 64}).build().conf(), true));
  }

  @AfterAll
  static void printTable() {
    System.out.println("[zoo] | model | input | layers | layers with weights | wrapped |"
        + " wrapped types | result |");
    TABLE.forEach((name, row) -> System.out.println("[zoo] | " + name + " | " + row + " |"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void everyLinearWeightIsWrappedAndTheModelTrainsAndRoundTrips(Zoo zoo) {
    Nd4j.getRandom().setSeed(3);
    Object plain;
    try {
      plain = zoo.conf.get();
    } catch (RuntimeException e) {
      // Plain DL4J cannot build this model at the small size: recorded, nothing to wrap.
      TABLE.put(zoo.name, shape(zoo) + " | - | - | - | - | plain DL4J fails to build: "
          + firstLine(e));
      return;
    }
    ApplyReport report;
    Object wrapped;
    if (plain instanceof MultiLayerConfiguration) {
      SpectralNorm.Applied<MultiLayerConfiguration> a =
          SpectralNorm.apply((MultiLayerConfiguration) plain, l -> true, true);
      report = a.report();
      wrapped = a.configuration();
      assertThat(MultiLayerConfiguration.fromJson(a.configuration().toJson()))
          .isEqualTo(a.configuration());
    } else {
      SpectralNorm.Applied<ComputationGraphConfiguration> a =
          SpectralNorm.apply((ComputationGraphConfiguration) plain, l -> true, true);
      report = a.report();
      wrapped = a.configuration();
      assertThat(ComputationGraphConfiguration.fromJson(a.configuration().toJson()))
          .isEqualTo(a.configuration());
    }
    // Strict mode passed: no layer with weights was left alone.
    assertThat(report.weightsLeftAlone()).isEmpty();
    List<ApplyReport.Entry> withWeights = report.entries().stream()
        .filter(e -> e.outcome() != Outcome.NO_WEIGHTS).collect(Collectors.toList());
    assertThat(report.wrapped()).hasSameSizeAs(withWeights).isNotEmpty();
    String types = report.wrapped().stream().map(ApplyReport.Entry::type)
        .collect(Collectors.toCollection(TreeSet::new)).toString();

    Model net = init(wrapped);
    List<Double> scores = new ArrayList<>();
    String result;
    try {
      for (int i = 0; i < 2; i++) {
        fit(net, zoo);
        scores.add(net.score());
      }
      result = String.format("trains, scores %.4g, %.4g", scores.get(0), scores.get(1));
      assertThat(scores).allMatch(Double::isFinite);
    } catch (RuntimeException e) {
      // Training fails: plain DL4J must fail the same way, or the failure is ours.
      Model plainNet = init(plain);
      RuntimeException plainFailure = null;
      try {
        fit(plainNet, zoo);
      } catch (RuntimeException p) {
        plainFailure = p;
      }
      assertThat(plainFailure).as(zoo.name + ": SN fails to train (" + e + ") but plain DL4J "
          + "trains").isNotNull();
      assertThat(firstLine(plainFailure)).isEqualTo(firstLine(e));
      result = "plain DL4J fails to train the same way: " + firstLine(e);
    }
    TABLE.put(zoo.name, shape(zoo) + " | " + report.entries().size() + " | "
        + withWeights.size() + " | "
        + report.wrapped().size() + " | " + types + " | " + result);
  }

  private static Model init(Object conf) {
    if (conf instanceof MultiLayerConfiguration) {
      MultiLayerNetwork net = new MultiLayerNetwork((MultiLayerConfiguration) conf);
      net.init();
      return net;
    }
    ComputationGraph graph = new ComputationGraph((ComputationGraphConfiguration) conf);
    graph.init();
    return graph;
  }

  /** One step on a batch of 2 random examples, with labels shaped for the output layer. */
  private static void fit(Model net, Zoo zoo) {
    long[] shape = new long[zoo.shape.length + 1];
    shape[0] = 2;
    for (int i = 0; i < zoo.shape.length; i++) {
      shape[i + 1] = zoo.shape[i];
    }
    INDArray x = Nd4j.rand(DataType.FLOAT, shape);
    INDArray out = net instanceof MultiLayerNetwork
        ? ((MultiLayerNetwork) net).output(x)
        : ((ComputationGraph) net).outputSingle(x);
    INDArray labels = labels(out, zoo);
    if (net instanceof MultiLayerNetwork) {
      ((MultiLayerNetwork) net).fit(x, labels);
    } else {
      ((ComputationGraph) net).fit(new INDArray[] {x}, new INDArray[] {labels});
    }
  }

  private static INDArray labels(INDArray out, Zoo zoo) {
    if (zoo.yolo) {
      // Yolo2OutputLayer: [batch, 4 + classes, H, W]; no objects in these images.
      return Nd4j.zeros(DataType.FLOAT, out.size(0), 4 + CLASSES, out.size(2), out.size(3));
    }
    INDArray labels = Nd4j.zeros(DataType.FLOAT, out.shape());
    if (out.rank() == 2) {
      for (int i = 0; i < out.size(0); i++) {
        labels.putScalar(i, i % out.size(1), 1);
      }
      return labels;
    }
    if (out.rank() == 3) {
      // [batch, classes, time]: one class per step.
      for (int i = 0; i < out.size(0); i++) {
        for (int t = 0; t < out.size(2); t++) {
          labels.putScalar(new long[] {i, (i + t) % out.size(1), t}, 1);
        }
      }
      return labels;
    }
    // A per-pixel loss (UNet's sigmoid cross-entropy): random 0/1 masks.
    return Nd4j.rand(DataType.FLOAT, out.shape()).gt(0.5).castTo(DataType.FLOAT);
  }

  private static String shape(Zoo zoo) {
    return java.util.Arrays.stream(zoo.shape).mapToObj(String::valueOf)
        .collect(Collectors.joining("x"));
  }

  private static String firstLine(Throwable e) {
    String m = String.valueOf(e.getMessage());
    int nl = m.indexOf('\n');
    return e.getClass().getSimpleName() + ": " + (nl < 0 ? m : m.substring(0, nl));
  }
}
