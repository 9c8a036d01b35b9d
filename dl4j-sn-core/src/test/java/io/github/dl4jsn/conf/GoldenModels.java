package io.github.dl4jsn.conf;

import io.github.dl4jsn.samediff.SpectralNormDenseSD;
import io.github.dl4jsn.samediff.SpectralNormSameDiffLayer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import java.util.function.Supplier;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.CenterLossOutputLayer;
import org.deeplearning4j.nn.conf.layers.Convolution1DLayer;
import org.deeplearning4j.nn.conf.layers.Convolution3D;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.Deconvolution2D;
import org.deeplearning4j.nn.conf.layers.Deconvolution3D;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.conf.layers.EmbeddingLayer;
import org.deeplearning4j.nn.conf.layers.EmbeddingSequenceLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.GravesLSTM;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.conf.layers.SelfAttentionLayer;
import org.deeplearning4j.nn.conf.layers.SeparableConvolution2D;
import org.deeplearning4j.nn.conf.layers.recurrent.Bidirectional;
import org.deeplearning4j.nn.conf.layers.recurrent.LastTimeStep;
import org.deeplearning4j.nn.conf.layers.recurrent.SimpleRnn;
import org.deeplearning4j.nn.conf.layers.wrapper.BaseWrapperLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

/**
 * The models of the golden files (format v1): every supported layer type in SN, in reshaped and
 * operator-norm mode, the recurrent forms inside Bidirectional and LastTimeStep, the SameDiff
 * layers, each as a MultiLayerNetwork ({@code mln-*}) and as a ComputationGraph chain ({@code
 * graph-*}), with the fixed inputs and labels they are run and trained on.
 *
 * <p>Only {@link GoldenFilesGenerator} builds these models; {@link GoldenFilesTest} reads the
 * committed files (and uses only {@link #options} here, to read a loaded model's options), so that
 * changing a definition never changes what the test expects until the files are regenerated.
 */
final class GoldenModels {
  private GoldenModels() {}

  /** The golden files' format directory, under {@code src/test/resources/golden}. */
  static final String FORMAT = "v1";

  /** Training steps before the model is saved, and again after it, from the file. */
  static final int STEPS = 2;

  /** Examples in the fixed batch. */
  static final int BATCH = 3;

  /** One topology: its layers (fresh objects per call) and data. */
  record Topology(
      String name,
      InputType inputType,
      Supplier<List<Layer>> layers,
      Function<Random, INDArray> features,
      Function<Random, INDArray> labels) {}

  /** One golden model: a topology as a MultiLayerNetwork or as a ComputationGraph. */
  record Spec(String name, Topology topology, boolean graph) {

    /** A freshly initialized model. */
    Model build() {
      Nd4j.getRandom().setSeed(12345);
      if (graph) {
        ComputationGraph g = new ComputationGraph(graphConfiguration(topology));
        g.init();
        return g;
      }
      MultiLayerNetwork n = new MultiLayerNetwork(multiLayerConfiguration(topology));
      n.init();
      return n;
    }

    @Override
    public String toString() {
      return name;
    }
  }

  /** Every golden model, by file name (without extension). */
  static List<Spec> specs() {
    List<Spec> out = new ArrayList<>();
    for (Topology t : topologies()) {
      out.add(new Spec("mln-" + t.name(), t, false));
      out.add(new Spec("graph-" + t.name(), t, true));
    }
    return out;
  }

  /** 3x3x3 volumes of 2 channels, channels first as the 3-D layers' default data format. */
  static final InputType VOLUME =
      InputType.convolutional3D(Convolution3D.DataFormat.NCDHW, 3, 3, 3, 2);

  /**
   * The topologies. An embedding's input type is its vocabulary ({@code feedForward(6)}, {@code
   * recurrent(6, length)}), since the input type sets its nIn.
   */
  static List<Topology> topologies() {
    return List.of(
        new Topology("feedforward", InputType.feedForward(6), GoldenModels::feedForward,
            r -> indices(r, BATCH, 1, 6), r -> oneHot(r, BATCH, 3)),
        new Topology("conv2d", InputType.convolutional(6, 6, 2), () -> conv2d(false),
            r -> uniform(r, BATCH, 2, 6, 6), r -> oneHot(r, BATCH, 2)),
        new Topology("conv2d-operator", InputType.convolutional(6, 6, 2), () -> conv2d(true),
            r -> uniform(r, BATCH, 2, 6, 6), r -> oneHot(r, BATCH, 2)),
        new Topology("conv3d", VOLUME, () -> conv3d(false),
            r -> uniform(r, BATCH, 2, 3, 3, 3), r -> oneHot(r, BATCH, 2)),
        new Topology("conv3d-operator", VOLUME, () -> conv3d(true),
            r -> uniform(r, BATCH, 2, 3, 3, 3), r -> oneHot(r, BATCH, 2)),
        new Topology("sequence", InputType.recurrent(6, 5), () -> sequence(false),
            r -> indices(r, BATCH, 5, 6), r -> oneHot(r, BATCH, 2)),
        new Topology("sequence-operator", InputType.recurrent(6, 5), () -> sequence(true),
            r -> indices(r, BATCH, 5, 6), r -> oneHot(r, BATCH, 2)),
        new Topology("recurrent", InputType.recurrent(2, 4), GoldenModels::recurrent,
            r -> uniform(r, BATCH, 2, 4), r -> oneHotSequence(r, BATCH, 2, 4)),
        new Topology("recurrent-wrappers", InputType.recurrent(2, 4),
            GoldenModels::recurrentWrappers, r -> uniform(r, BATCH, 2, 4),
            r -> oneHot(r, BATCH, 2)),
        new Topology("samediff", InputType.recurrent(3, 4), GoldenModels::sameDiff,
            r -> uniform(r, BATCH, 3, 4), r -> oneHot(r, BATCH, 2)));
  }

  // -----------------------------------------------------------------------------------------------
  // Layers. Options differ from the defaults and from layer to layer, so that a lost or swapped
  // field shows.

  static List<Layer> feedForward() {
    SpectralNormDenseSD denseSD = new SpectralNormDenseSD(5, 4, Activation.TANH);
    denseSD.setLayerName("denseSD");
    denseSD.setPowerIterations(2);
    denseSD.setCoefficient(1.25);
    return List.of(
        new SpectralNormalization.Builder(
                new EmbeddingLayer.Builder().nIn(6).nOut(4).name("embedding").build())
            .powerIterations(2).eps(1e-10).warmupIterations(3).coefficient(1.5).clipOnly(true)
            .build(),
        SpectralNormalization.wrap(new DenseLayer.Builder().nOut(5).name("dense").build()),
        denseSD,
        new SpectralNormalization.Builder(
                new CenterLossOutputLayer.Builder(LossFunction.MCXENT).nOut(3)
                    .activation(Activation.SOFTMAX).lambda(0.5).alpha(0.1).name("out").build())
            .coefficient(0.8).powerIterations(3).build());
  }

  static List<Layer> conv2d(boolean operator) {
    return List.of(
        sn(new ConvolutionLayer.Builder(3, 3).nOut(3).name("conv").build(), operator, 2),
        sn(new Deconvolution2D.Builder(2, 2).nOut(2).name("deconv").build(), operator, 1),
        sn(new DepthwiseConvolution2D.Builder(2, 2).depthMultiplier(2).name("depthwise")
            .build(), operator, 3),
        sn(new SeparableConvolution2D.Builder(2, 2).depthMultiplier(1).nOut(3)
            .name("separable").build(), operator, 1),
        SpectralNormalization.wrap(new OutputLayer.Builder(LossFunction.MCXENT).nOut(2)
            .activation(Activation.SOFTMAX).name("out").build()));
  }

  static List<Layer> conv3d(boolean operator) {
    return List.of(
        sn(new Convolution3D.Builder().kernelSize(2, 2, 2).nOut(2)
            .convolutionMode(ConvolutionMode.Truncate).name("conv3d").build(), operator, 2),
        sn(new Deconvolution3D.Builder().kernelSize(2, 2, 2).nOut(2)
            .convolutionMode(ConvolutionMode.Truncate).name("deconv3d").build(), operator, 1),
        SpectralNormalization.wrap(new OutputLayer.Builder(LossFunction.MCXENT).nOut(2)
            .activation(Activation.SOFTMAX).name("out").build()));
  }

  static List<Layer> sequence(boolean operator) {
    return List.of(
        new SpectralNormalization.Builder(new EmbeddingSequenceLayer.Builder().nIn(6).nOut(3)
                .inputLength(5).name("embedding").build())
            .coefficient(2.0).build(),
        sn(new Convolution1DLayer.Builder(2).nOut(3).name("conv1d").build(), operator, 2),
        new GlobalPoolingLayer.Builder(PoolingType.AVG).name("pool").build(),
        SpectralNormalization.wrap(new OutputLayer.Builder(LossFunction.MCXENT).nOut(2)
            .activation(Activation.SOFTMAX).name("out").build()));
  }

  static List<Layer> recurrent() {
    return List.of(
        SpectralNormalization.wrap(new LSTM.Builder().nOut(3).name("lstm").build()),
        new SpectralNormalization.Builder(new GravesLSTM.Builder().nOut(3).name("graves").build())
            .normalize("RW").powerIterations(2).build(),
        new SpectralNormalization.Builder(new SimpleRnn.Builder().nOut(3).name("rnn").build())
            .normalize("W").clipOnly(true).coefficient(1.2).build(),
        SpectralNormalization.wrap(new RnnOutputLayer.Builder(LossFunction.MCXENT).nOut(2)
            .activation(Activation.SOFTMAX).name("out").build()));
  }

  static List<Layer> recurrentWrappers() {
    Bidirectional bidirectional = new Bidirectional(Bidirectional.Mode.CONCAT,
        new SpectralNormalization.Builder(new LSTM.Builder().nOut(3).build())
            .powerIterations(2).buildRecurrent());
    bidirectional.setLayerName("bidirectional");
    LastTimeStep last = new LastTimeStep(
        new SpectralNormalization.Builder(new GravesLSTM.Builder().nOut(3).build())
            .coefficient(0.9).buildRecurrent());
    last.setLayerName("last");
    return List.of(bidirectional, last,
        SpectralNormalization.wrap(new OutputLayer.Builder(LossFunction.MCXENT).nOut(2)
            .activation(Activation.SOFTMAX).name("out").build()));
  }

  static List<Layer> sameDiff() {
    return List.of(
        new SpectralNormalization.Builder(new SelfAttentionLayer.Builder().nOut(3).nHeads(2)
                .headSize(2).projectInput(true).name("attention").build())
            .warmupIterations(5).coefficient(1.1).buildSameDiff(),
        new GlobalPoolingLayer.Builder(PoolingType.AVG).name("pool").build(),
        SpectralNormalization.wrap(new OutputLayer.Builder(LossFunction.MCXENT).nOut(2)
            .activation(Activation.SOFTMAX).name("out").build()));
  }

  private static Layer sn(Layer inner, boolean operator, int powerIterations) {
    SpectralNormalization.Builder b =
        new SpectralNormalization.Builder(inner).powerIterations(powerIterations);
    return (operator ? b.operatorNorm() : b).build();
  }

  // -----------------------------------------------------------------------------------------------
  // Configurations

  private static NeuralNetConfiguration.Builder base() {
    return new NeuralNetConfiguration.Builder()
        .seed(2024)
        .dataType(DataType.FLOAT)
        .updater(new Adam(1e-2))
        .activation(Activation.TANH);
  }

  static MultiLayerConfiguration multiLayerConfiguration(Topology t) {
    NeuralNetConfiguration.ListBuilder b = base().list();
    for (Layer l : t.layers().get()) {
      b.layer(l);
    }
    return b.setInputType(t.inputType()).build();
  }

  /** The topology as a chain of named layer vertices from input "in". */
  static ComputationGraphConfiguration graphConfiguration(Topology t) {
    ComputationGraphConfiguration.GraphBuilder b = base().graphBuilder().addInputs("in");
    String previous = "in";
    for (Layer l : t.layers().get()) {
      b.addLayer(l.getLayerName(), l, previous);
      previous = l.getLayerName();
    }
    return b.setOutputs(previous).setInputTypes(t.inputType()).build();
  }

  // -----------------------------------------------------------------------------------------------
  // Data

  static INDArray uniform(Random r, long... shape) {
    INDArray x = Nd4j.create(DataType.FLOAT, shape);
    INDArray flat = x.reshape(x.length());
    for (long i = 0; i < x.length(); i++) {
      flat.putScalar(i, r.nextFloat() * 2 - 1);
    }
    return x;
  }

  static INDArray indices(Random r, int n, int length, int vocabulary) {
    INDArray x = Nd4j.create(DataType.FLOAT, n, length);
    for (int i = 0; i < n; i++) {
      for (int t = 0; t < length; t++) {
        x.putScalar(i, t, r.nextInt(vocabulary));
      }
    }
    return x;
  }

  static INDArray oneHot(Random r, int n, int classes) {
    INDArray y = Nd4j.create(DataType.FLOAT, n, classes);
    for (int i = 0; i < n; i++) {
      y.putScalar(i, r.nextInt(classes), 1);
    }
    return y;
  }

  static INDArray oneHotSequence(Random r, int n, int classes, int length) {
    INDArray y = Nd4j.create(DataType.FLOAT, n, classes, length);
    for (int i = 0; i < n; i++) {
      for (int t = 0; t < length; t++) {
        y.putScalar(new int[] {i, r.nextInt(classes), t}, 1);
      }
    }
    return y;
  }

  // -----------------------------------------------------------------------------------------------
  // The spectral normalizations of a configuration, and their options

  /**
   * The options of every spectrally normalized layer configuration, keyed by where it sits ({@code
   * "1"}, {@code "bidirectional/fwd"}), in layer order.
   */
  static Map<String, Map<String, Object>> options(Model model) {
    Map<String, Map<String, Object>> out = new LinkedHashMap<>();
    if (model instanceof MultiLayerNetwork) {
      List<NeuralNetConfiguration> confs =
          ((MultiLayerNetwork) model).getLayerWiseConfigurations().getConfs();
      for (int i = 0; i < confs.size(); i++) {
        collect(String.valueOf(i), confs.get(i).getLayer(), out);
      }
    } else {
      ComputationGraphConfiguration c = ((ComputationGraph) model).getConfiguration();
      for (Map.Entry<String, GraphVertex> v : c.getVertices().entrySet()) {
        if (v.getValue() instanceof LayerVertex) {
          collect(v.getKey(), ((LayerVertex) v.getValue()).getLayerConf().getLayer(), out);
        }
      }
    }
    return out;
  }

  private static void collect(String where, Layer l, Map<String, Map<String, Object>> out) {
    Map<String, Object> o = new LinkedHashMap<>();
    SpectralNormalization sn = SpectralNormalization.of(l);
    if (sn != null) {
      o.put("class", l.getClass().getName());
      o.put("inner", sn.getUnderlying().getClass().getName());
      o.put("powerIterations", sn.getPowerIterations());
      o.put("eps", sn.getEps());
      o.put("warmupIterations", sn.getWarmupIterations());
      o.put("coefficient", sn.getCoefficient());
      o.put("clipOnly", sn.isClipOnly());
      o.put("normalize", sn.getNormalize());
      o.put("operatorNorm", sn.isOperatorNorm());
      InputType operatorInput = sn.getOperatorNormInputType();
      o.put("operatorNormInputType", operatorInput == null ? null : operatorInput.toString());
      out.put(where, o);
    } else if (l instanceof SameDiffSpectralNormalization) {
      SameDiffSpectralNormalization s = (SameDiffSpectralNormalization) l;
      o.put("class", l.getClass().getName());
      o.put("inner", s.getUnderlying().getClass().getName());
      o.put("powerIterations", s.getPowerIterations());
      o.put("eps", s.getEps());
      o.put("warmupIterations", s.getWarmupIterations());
      o.put("coefficient", s.getCoefficient());
      o.put("clipOnly", s.isClipOnly());
      o.put("normalize", s.getNormalize());
      out.put(where, o);
    } else if (l instanceof SpectralNormSameDiffLayer) {
      SpectralNormSameDiffLayer s = (SpectralNormSameDiffLayer) l;
      o.put("class", l.getClass().getName());
      o.put("powerIterations", s.getPowerIterations());
      o.put("eps", s.getEps());
      o.put("warmupIterations", s.getWarmupIterations());
      o.put("coefficient", s.getCoefficient());
      out.put(where, o);
    } else if (l instanceof Bidirectional) {
      collect(where + "/fwd", ((Bidirectional) l).getFwd(), out);
      collect(where + "/bwd", ((Bidirectional) l).getBwd(), out);
    } else if (l instanceof BaseWrapperLayer) {
      collect(where + "/" + "underlying", ((BaseWrapperLayer) l).getUnderlying(), out);
    }
  }
}
