package io.github.dl4jsn.fuzz;

import io.github.dl4jsn.SpectralNorm;
import io.github.dl4jsn.conf.RecurrentSpectralNormalization;
import io.github.dl4jsn.conf.SameDiffSpectralNormalization;
import io.github.dl4jsn.conf.SpectralNormalization;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Predicate;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
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
import org.deeplearning4j.nn.conf.layers.LocallyConnected2D;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PReLULayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.conf.layers.SelfAttentionLayer;
import org.deeplearning4j.nn.conf.layers.SeparableConvolution2D;
import org.deeplearning4j.nn.conf.layers.recurrent.Bidirectional;
import org.deeplearning4j.nn.conf.layers.recurrent.LastTimeStep;
import org.deeplearning4j.nn.conf.layers.recurrent.SimpleRnn;
import org.deeplearning4j.nn.conf.layers.samediff.SameDiffLayer;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

/**
 * One fuzzed configuration: a small network (batch 2) around one target layer of a supported
 * type, the spectral normalization options (valid or not) and the route by which SN is applied.
 * {@link #build} makes the network configuration and its input, with or without SN, so that a
 * failure of the SN network can be compared with the same network without SN.
 */
final class FuzzCase {

  /** The target layer's type. */
  enum Kind {
    DENSE("DenseLayer"),
    OUTPUT("OutputLayer"),
    CONV2D("ConvolutionLayer"),
    CONV1D("Convolution1DLayer"),
    DECONV2D("Deconvolution2D"),
    DEPTHWISE("DepthwiseConvolution2D"),
    SEPARABLE("SeparableConvolution2D"),
    CONV3D("Convolution3D"),
    DECONV3D("Deconvolution3D"),
    EMBEDDING("EmbeddingLayer"),
    EMBEDDING_SEQUENCE("EmbeddingSequenceLayer"),
    LSTM("LSTM"),
    GRAVES_LSTM("GravesLSTM"),
    SIMPLE_RNN("SimpleRnn"),
    SELF_ATTENTION("SelfAttentionLayer"),
    LOCALLY_CONNECTED_2D("LocallyConnected2D");

    final String typeName;

    Kind(String typeName) {
      this.typeName = typeName;
    }

    boolean operatorNormSupported() {
      return List.of(CONV2D, CONV1D, DECONV2D, DEPTHWISE, SEPARABLE, CONV3D, DECONV3D)
          .contains(this);
    }

    boolean sameDiff() {
      return this == SELF_ATTENTION || this == LOCALLY_CONNECTED_2D;
    }

    boolean recurrent() {
      return this == LSTM || this == GRAVES_LSTM || this == SIMPLE_RNN;
    }

    boolean image() {
      return List.of(CONV2D, DECONV2D, DEPTHWISE, SEPARABLE, LOCALLY_CONNECTED_2D).contains(this);
    }

    boolean volume() {
      return this == CONV3D || this == DECONV3D;
    }

    boolean sequenceInput() {
      return recurrent() || this == CONV1D || this == SELF_ATTENTION;
    }

    /** The weight keys SN normalizes by default for this type. */
    List<String> keys() {
      if (recurrent()) {
        return List.of("W", "RW");
      }
      if (this == SEPARABLE) {
        return List.of("W", "pW");
      }
      if (this == SELF_ATTENTION) {
        return List.of("Wq", "Wk", "Wv", "Wo");
      }
      return List.of("W");
    }
  }

  /** MultiLayerConfiguration or ComputationGraphConfiguration. */
  enum Container {
    MULTI_LAYER,
    GRAPH
  }

  /** How a recurrent target layer is wrapped. */
  enum Form {
    WRAP,
    WRAP_RECURRENT,
    BIDIRECTIONAL,
    LAST_TIME_STEP
  }

  /** How SN is applied to the network. */
  enum Route {
    /** {@code new SpectralNormalization.Builder(inner).option(...).build()}. */
    BUILDER,
    /** Default SN, then the options by setters before the network configuration is built. */
    SETTERS_BEFORE_CONF,
    /** Default SN, then the options by setters on the built configuration (as edited JSON). */
    SETTERS_AFTER_CONF,
    /** {@code SpectralNorm.applyTo(conf, predicate)} on the plain configuration. */
    APPLY,
    /** {@code SpectralNorm.apply(conf, predicate, true)}. */
    APPLY_STRICT
  }

  /** The choice of {@code normalize(...)} keys. */
  enum Keys {
    DEFAULT,
    FIRST,
    ALL,
    DUPLICATE,
    EMPTY,
    UNKNOWN,
    BIAS,
    FOREIGN,
    NULL_KEY
  }

  /** Where operator-norm mode takes its input size from. */
  enum OperatorInput {
    NETWORK,
    EXPLICIT,
    EXPLICIT_OTHER_SIZE
  }

  /** The predicate given to {@code SpectralNorm.apply}. */
  enum Pick {
    ALL,
    NONE,
    TARGET_TYPE,
    OUTPUT_TYPES,
    BY_NAME_BITS
  }

  record Structure(Kind kind, Container container, DataType dataType, Activation activation,
      boolean softmax, boolean outputWrapped, Form form) {}

  /**
   * Sizes: channels (or nIn, or vocabulary - 1); the spatial sizes and the sequence length as
   * slack beyond the effective kernel (negative: smaller than the kernel, which plain DL4J
   * rejects); nOut; the depth multiplier (or number of attention heads); channels-last formats
   * (NHWC, NWC, NDHWC).
   */
  record Geometry(int channels, int height, int width, int depth, int length, int nOut,
      int multiplier, boolean channelsLast) {}

  /** Kernel sizes (k0 is also the attention head size), stride, padding, dilation, mode. */
  record Kernel(int k0, int k1, int k2, int stride, int padding, int dilation,
      ConvolutionMode mode, boolean hasBias) {}

  record Options(int powerIterations, double eps, int warmupIterations, double coefficient,
      boolean clipOnly, Keys keys, boolean operatorNorm, OperatorInput operatorInput) {}

  record Routing(Route route, String name, Pick pick, int pickBits, boolean withPrelu,
      boolean projectInput) {}

  final Structure s;
  final Geometry g;
  final Kernel k;
  final Options o;
  final Routing r;

  FuzzCase(Structure s, Geometry g, Kernel k, Options o, Routing r) {
    this.s = s;
    this.g = g;
    this.k = k;
    this.o = o;
    this.r = r;
  }

  // ---------------------------------------------------------------------------------------------
  // What the case is

  /**
   * Whether the layer is slow to gradient-check (GravesLSTM's step-by-step ops; a locally
   * connected layer's parameters grow with its output positions): it gets at most 2 channels
   * and units, a 2x2 kernel and little slack.
   */
  boolean costly() {
    return s.kind == Kind.GRAVES_LSTM || s.kind == Kind.LOCALLY_CONNECTED_2D;
  }

  int channels() {
    return costly() ? Math.min(g.channels, 2) : g.channels;
  }

  int nOut() {
    return costly() ? Math.min(g.nOut, 2) : g.nOut;
  }

  int k0() {
    return costly() ? Math.min(k.k0, 2) : k.k0;
  }

  int k1() {
    return costly() ? Math.min(k.k1, 2) : k.k1;
  }

  /** A spatial size: the effective kernel along it plus the slack, at least 1. */
  private int size(int kernel, int slack) {
    boolean conv = s.kind.image() || s.kind.volume() || s.kind == Kind.CONV1D;
    int effective = conv ? (kernel - 1) * k.dilation + 1 : 2;
    return Math.max(1, effective + (costly() ? Math.min(slack, 0) : slack));
  }

  int height() {
    return size(s.kind.volume() ? k.k1 : k0(), g.height);
  }

  int width() {
    return size(s.kind.volume() ? k.k2 : k1(), g.width);
  }

  int depth() {
    return size(k.k0, g.depth);
  }

  int length() {
    return size(k.k0, g.length);
  }

  Kind kind() {
    return s.kind;
  }

  boolean viaApply() {
    return r.route == Route.APPLY || r.route == Route.APPLY_STRICT;
  }

  boolean viaSetters() {
    return r.route == Route.SETTERS_BEFORE_CONF || r.route == Route.SETTERS_AFTER_CONF;
  }

  Form form() {
    return s.kind.recurrent() ? s.form : Form.WRAP;
  }

  boolean withPrelu() {
    return r.withPrelu && (s.kind == Kind.DENSE || s.kind == Kind.OUTPUT);
  }

  /** Whether operator-norm mode is requested (SameDiffSpectralNormalization has no setter). */
  boolean operatorNorm() {
    return o.operatorNorm && !viaApply() && !(viaSetters() && s.kind.sameDiff());
  }

  /** The keys given to normalize(...), or null for the default. */
  List<String> normalizeKeys() {
    List<String> valid = s.kind.keys();
    switch (o.keys) {
      case FIRST:
        return List.of(valid.get(0));
      case ALL:
        return valid;
      case DUPLICATE:
        return List.of(valid.get(0), valid.get(0));
      case EMPTY:
        return List.of();
      case UNKNOWN:
        return List.of("X");
      case BIAS:
        return List.of(valid.get(0), "b");
      case FOREIGN:
        return List.of(foreignKey());
      case NULL_KEY:
        return Arrays.asList(valid.get(0), null);
      default:
        return null;
    }
  }

  /** A weight key of another supported type that this type does not have. */
  String foreignKey() {
    for (String key : List.of("RW", "pW", "W", "Wq")) {
      if (!s.kind.keys().contains(key)) {
        return key;
      }
    }
    throw new IllegalStateException("no foreign key for " + s.kind);
  }

  /** The MultiLayerConfiguration index of the target layer. */
  int targetIndex() {
    return s.kind == Kind.OUTPUT ? (withPrelu() ? 2 : 1) : 0;
  }

  /** The target's layer name (its vertex name in a graph), or null. */
  String targetName() {
    if (s.container == Container.GRAPH) {
      return r.name != null ? r.name : "t";
    }
    if (viaApply()) {
      return r.name != null ? r.name : "n" + targetIndex();
    }
    return r.name;
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder();
    sb.append(s.kind).append(" in ").append(s.container).append(", ").append(s.dataType)
        .append(", ").append(s.activation).append(s.softmax ? ", softmax head" : ", MSE head")
        .append(s.outputWrapped ? " (SN)" : "").append(", input ")
        .append(inputType(0) == null ? "indices < " + (channels() + 1) : inputType(0));
    if (s.kind.recurrent()) {
      sb.append(", form ").append(s.form);
    }
    sb.append("; ").append(g).append("; ").append(k).append("; route ").append(r.route)
        .append(", name ").append(r.name == null ? "null" : "'" + r.name + "'");
    if (viaApply()) {
      sb.append(", pick ").append(r.pick).append(r.pick == Pick.BY_NAME_BITS ? " " + r.pickBits
          : "").append(withPrelu() ? ", with PReLU" : "");
    } else {
      sb.append("; ").append(o);
    }
    if (s.kind == Kind.SELF_ATTENTION) {
      sb.append(", projectInput ").append(r.projectInput);
    }
    return sb.toString();
  }

  // ---------------------------------------------------------------------------------------------
  // Building

  /** Where a building step failed. */
  enum Stage {
    LAYER,
    CONF,
    JSON,
    INIT,
    FORWARD,
    BACKWARD,
    GRADIENT_CHECK
  }

  /** A failure of one building or checking step. */
  static final class StageFailure extends Exception {
    private static final long serialVersionUID = 1L;
    final Stage stage;

    StageFailure(Stage stage, Throwable cause) {
      super(stage + ": " + cause, cause);
      this.stage = stage;
    }
  }

  /** A built configuration (MultiLayerConfiguration or ComputationGraphConfiguration). */
  static final class Built {
    final Object conf;
    final INDArray input;

    Built(Object conf, INDArray input) {
      this.conf = conf;
      this.input = input;
    }
  }

  /** One layer of the network: its name and how to make it (fresh each time). */
  private static final class Slot {
    final String name;
    final boolean target;
    final java.util.function.Supplier<Layer> make;

    Slot(String name, boolean target, java.util.function.Supplier<Layer> make) {
      this.name = name;
      this.target = target;
      this.make = make;
    }
  }

  /**
   * The network configuration and an input for it.
   *
   * @param sn whether to apply spectral normalization along the case's route
   * @param dataType the network's data type
   */
  Built build(boolean sn, DataType dataType) throws StageFailure {
    List<Slot> slots = slots();
    List<Layer> layers = new ArrayList<>();
    Object[] snHandle = new Object[1];
    for (Slot slot : slots) {
      Layer layer;
      if (slot.target) {
        try {
          layer = target(sn && !viaApply(), snHandle);
          if (sn && r.route == Route.SETTERS_BEFORE_CONF) {
            applySetters(snHandle[0]);
          }
        } catch (RuntimeException e) {
          throw new StageFailure(Stage.LAYER, e);
        }
      } else {
        layer = slot.make.get();
      }
      if (slot.name != null && s.container == Container.MULTI_LAYER) {
        layer.setLayerName(slot.name);
      }
      if (!slot.target && sn && s.outputWrapped && !viaApply() && isOutput(layer)) {
        layer = SpectralNormalization.wrap(layer);
      }
      layers.add(layer);
    }
    Object conf;
    try {
      conf = s.container == Container.MULTI_LAYER
          ? multiLayer(layers, dataType)
          : graph(slots, layers, dataType);
      if (sn && r.route == Route.SETTERS_AFTER_CONF) {
        Layer target = targetOf(conf);
        applySetters(findSn(target));
        if (target instanceof Bidirectional) {
          // An edited JSON file changes both directions alike.
          applySetters(((Bidirectional) target).getBwd());
        }
      }
      if (sn && r.route == Route.APPLY) {
        conf = conf instanceof MultiLayerConfiguration
            ? SpectralNorm.applyTo((MultiLayerConfiguration) conf, pick())
            : SpectralNorm.applyTo((ComputationGraphConfiguration) conf, pick());
      } else if (sn && r.route == Route.APPLY_STRICT) {
        conf = conf instanceof MultiLayerConfiguration
            ? SpectralNorm.apply((MultiLayerConfiguration) conf, pick(), true).configuration()
            : SpectralNorm.apply((ComputationGraphConfiguration) conf, pick(), true)
                .configuration();
      }
    } catch (RuntimeException e) {
      throw new StageFailure(Stage.CONF, e);
    }
    if (sn && viaApply()) {
      checkApplied(conf);
    }
    return new Built(conf, input(dataType));
  }

  private static boolean isOutput(Layer layer) {
    return layer instanceof OutputLayer || layer instanceof RnnOutputLayer;
  }

  private List<Slot> slots() {
    List<Slot> out = new ArrayList<>();
    boolean apply = viaApply();
    if (s.kind == Kind.OUTPUT) {
      out.add(new Slot(apply || s.container == Container.GRAPH ? "n0" : null, false,
          () -> new DenseLayer.Builder().nOut(nOut()).hasBias(k.hasBias).build()));
      if (withPrelu()) {
        out.add(new Slot(apply || s.container == Container.GRAPH ? "n1" : null, false,
            () -> new PReLULayer.Builder().inputShape(nOut()).build()));
      }
      out.add(new Slot(targetName(), true, null));
      return out;
    }
    out.add(new Slot(targetName(), true, null));
    if (withPrelu()) {
      out.add(new Slot(apply || s.container == Container.GRAPH ? "n1" : null, false,
          () -> new PReLULayer.Builder().inputShape(nOut()).build()));
    }
    if (s.kind.volume() && !g.channelsLast) {
      // DL4J M2.1's Deconvolution3D reports a wrong output size in Truncate mode with a kernel
      // that is not cubic, and a preprocessor to the output layer then fails; global pooling
      // needs only the channels, so the networks run and the SN layer is what is checked.
      int index = out.size();
      out.add(new Slot(apply || s.container == Container.GRAPH ? "n" + index : null, false,
          () -> new GlobalPoolingLayer.Builder(PoolingType.AVG).build()));
    }
    int index = out.size();
    out.add(new Slot(apply || s.container == Container.GRAPH ? "n" + index : null, false,
        this::head));
    return out;
  }

  /** The network's last layer after a target of another type. */
  private Layer head() {
    boolean sequence = (s.kind.sequenceInput() && form() != Form.LAST_TIME_STEP)
        || s.kind == Kind.EMBEDDING_SEQUENCE;
    if (sequence) {
      RnnOutputLayer.Builder b = new RnnOutputLayer.Builder(LossFunction.MSE).nOut(2)
          .activation(Activation.IDENTITY)
          .dataFormat(s.kind.sequenceInput() && g.channelsLast ? RNNFormat.NWC : RNNFormat.NCW);
      if (s.kind == Kind.EMBEDDING_SEQUENCE) {
        b.nIn(nOut());
      }
      return b.build();
    }
    OutputLayer.Builder b = s.softmax
        ? new OutputLayer.Builder(LossFunction.MCXENT).nOut(3).activation(Activation.SOFTMAX)
        : new OutputLayer.Builder(LossFunction.MSE).nOut(2).activation(Activation.IDENTITY);
    if (s.kind == Kind.EMBEDDING) {
      b.nIn(nOut());
    }
    return b.build();
  }

  /** The plain target layer (inside any recurrent wrapper). */
  Layer innerTarget() {
    CNN2DFormat cnn = g.channelsLast ? CNN2DFormat.NHWC : CNN2DFormat.NCHW;
    RNNFormat rnn = g.channelsLast ? RNNFormat.NWC : RNNFormat.NCW;
    Convolution3D.DataFormat vol =
        g.channelsLast ? Convolution3D.DataFormat.NDHWC : Convolution3D.DataFormat.NCDHW;
    int st = k.stride;
    int p = k.padding;
    int d = k.dilation;
    Layer l;
    switch (s.kind) {
      case DENSE:
        l = new DenseLayer.Builder().nOut(nOut()).hasBias(k.hasBias).build();
        break;
      case OUTPUT:
        l = s.softmax
            ? new OutputLayer.Builder(LossFunction.MCXENT).nOut(nOut() + 1)
                .activation(Activation.SOFTMAX).hasBias(k.hasBias).build()
            : new OutputLayer.Builder(LossFunction.MSE).nOut(nOut())
                .activation(Activation.IDENTITY).hasBias(k.hasBias).build();
        break;
      case CONV2D:
        l = new ConvolutionLayer.Builder(k.k0, k.k1).stride(st, st).padding(p, p)
            .dilation(d, d).convolutionMode(k.mode).dataFormat(cnn).hasBias(k.hasBias)
            .nOut(nOut()).build();
        break;
      case DECONV2D:
        l = new Deconvolution2D.Builder().kernelSize(k.k0, k.k1).stride(st, st).padding(p, p)
            .convolutionMode(k.mode).dataFormat(cnn).dilation(d, d).hasBias(k.hasBias)
            .nOut(nOut()).build();
        break;
      case DEPTHWISE:
        l = new DepthwiseConvolution2D.Builder().kernelSize(k.k0, k.k1).stride(st, st)
            .padding(p, p).depthMultiplier(g.multiplier).dataFormat(cnn).dilation(d, d)
            .convolutionMode(k.mode).hasBias(k.hasBias).build();
        break;
      case SEPARABLE:
        l = new SeparableConvolution2D.Builder(k.k0, k.k1).stride(st, st).padding(p, p)
            .depthMultiplier(g.multiplier).dataFormat(cnn).dilation(d, d)
            .convolutionMode(k.mode).hasBias(k.hasBias).nOut(nOut()).build();
        break;
      case CONV1D:
        l = new Convolution1DLayer.Builder(k.k0).stride(st).padding(p).rnnDataFormat(rnn)
            .dilation(d).convolutionMode(k.mode).hasBias(k.hasBias).nOut(nOut()).build();
        break;
      case CONV3D:
        l = new Convolution3D.Builder().kernelSize(k.k0, k.k1, k.k2).stride(st, st, st)
            .padding(p, p, p).dilation(d, d, d).convolutionMode(k.mode).dataFormat(vol)
            .hasBias(k.hasBias).nOut(nOut()).build();
        break;
      case DECONV3D:
        l = new Deconvolution3D.Builder().kernelSize(k.k0, k.k1, k.k2).stride(st, st, st)
            .padding(p, p, p).convolutionMode(k.mode).dataFormat(vol).hasBias(k.hasBias)
            .nOut(nOut()).build();
        break;
      case EMBEDDING:
        l = new EmbeddingLayer.Builder().nIn(channels() + 1).nOut(nOut()).hasBias(k.hasBias)
            .build();
        break;
      case EMBEDDING_SEQUENCE:
        l = new EmbeddingSequenceLayer.Builder().nIn(channels() + 1).nOut(nOut())
            .inputLength(length()).hasBias(k.hasBias).build();
        break;
      case LSTM:
        l = new LSTM.Builder().nOut(nOut()).dataFormat(rnn).build();
        break;
      case GRAVES_LSTM:
        l = new GravesLSTM.Builder().nOut(nOut()).dataFormat(rnn).build();
        break;
      case SIMPLE_RNN:
        l = new SimpleRnn.Builder().nOut(nOut()).dataFormat(rnn).hasLayerNorm(k.hasBias)
            .build();
        break;
      case SELF_ATTENTION:
        l = r.projectInput
            ? new SelfAttentionLayer.Builder().nOut(nOut()).nHeads(g.multiplier)
                .headSize(k.k0).projectInput(true).build()
            : new SelfAttentionLayer.Builder().nIn(channels()).nOut(channels()).nHeads(1)
                .projectInput(false).build();
        break;
      case LOCALLY_CONNECTED_2D:
        l = new LocallyConnected2D.Builder().kernelSize(k0(), k1()).stride(st, st)
            .padding(p, p).dilation(d, d).convolutionMode(k.mode).dataFormat(cnn)
            .hasBias(k.hasBias).nOut(nOut()).build();
        break;
      default:
        throw new IllegalStateException(String.valueOf(s.kind));
    }
    return l;
  }

  /**
   * The target layer: plain, or spectrally normalized by the builder with the case's options
   * (BUILDER) or with the defaults (SETTERS_*); the SN configuration goes into {@code handle}.
   */
  private Layer target(boolean sn, Object[] handle) {
    Layer inner = innerTarget();
    if (r.name != null && s.container == Container.MULTI_LAYER) {
      inner.setLayerName(r.name);
    }
    Layer layer = inner;
    if (sn) {
      SpectralNormalization.Builder b = new SpectralNormalization.Builder(inner);
      if (r.route == Route.BUILDER) {
        b.powerIterations(o.powerIterations).eps(o.eps).warmupIterations(o.warmupIterations)
            .coefficient(o.coefficient).clipOnly(o.clipOnly);
        List<String> keys = normalizeKeys();
        if (keys != null) {
          b.normalize(keys.toArray(new String[0]));
        }
        if (operatorNorm()) {
          InputType explicit = explicitOperatorInput();
          if (explicit != null) {
            b.operatorNorm(explicit);
          } else {
            b.operatorNorm();
          }
        }
      }
      if (s.kind.sameDiff()) {
        layer = b.buildSameDiff();
      } else if (form() == Form.WRAP) {
        layer = b.build();
      } else {
        layer = b.buildRecurrent();
      }
      handle[0] = layer;
    }
    if (form() == Form.BIDIRECTIONAL) {
      layer = new Bidirectional(Bidirectional.Mode.CONCAT, layer);
    } else if (form() == Form.LAST_TIME_STEP) {
      layer = new LastTimeStep(layer);
    }
    return layer;
  }

  /** The explicit input type for operator-norm mode, or null to take setInputType's. */
  InputType explicitOperatorInput() {
    if (o.operatorInput == OperatorInput.NETWORK || !s.kind.operatorNormSupported()) {
      return null;
    }
    int more = o.operatorInput == OperatorInput.EXPLICIT_OTHER_SIZE ? 1 : 0;
    return inputType(more);
  }

  /** Sets the case's options on a default SN configuration, as a hand-edited JSON file might. */
  private void applySetters(Object sn) {
    List<String> keys = normalizeKeys();
    if (sn instanceof RecurrentSpectralNormalization) {
      sn = ((RecurrentSpectralNormalization) sn).getSpectralNormalization();
    }
    if (sn instanceof SpectralNormalization) {
      SpectralNormalization c = (SpectralNormalization) sn;
      c.setPowerIterations(o.powerIterations);
      c.setEps(o.eps);
      c.setWarmupIterations(o.warmupIterations);
      c.setCoefficient(o.coefficient);
      c.setClipOnly(o.clipOnly);
      c.setNormalize(keys);
      if (operatorNorm()) {
        c.setOperatorNorm(true);
        InputType explicit = explicitOperatorInput();
        if (explicit != null) {
          c.setOperatorNormInputType(explicit);
          c.setOperatorNormInputFixed(true);
        }
      }
    } else if (sn instanceof SameDiffSpectralNormalization) {
      SameDiffSpectralNormalization c = (SameDiffSpectralNormalization) sn;
      c.setPowerIterations(o.powerIterations);
      c.setEps(o.eps);
      c.setWarmupIterations(o.warmupIterations);
      c.setCoefficient(o.coefficient);
      c.setClipOnly(o.clipOnly);
      c.setNormalize(keys);
    } else {
      throw new IllegalStateException("no SN configuration to edit: " + sn);
    }
  }

  private Layer targetOf(Object conf) {
    if (conf instanceof MultiLayerConfiguration) {
      return ((MultiLayerConfiguration) conf).getConf(targetIndex()).getLayer();
    }
    return ((LayerVertex) ((ComputationGraphConfiguration) conf).getVertices().get(targetName()))
        .getLayerConf().getLayer();
  }

  private static Object findSn(Layer layer) {
    if (layer instanceof Bidirectional) {
      return ((Bidirectional) layer).getFwd();
    }
    if (layer instanceof LastTimeStep) {
      return ((LastTimeStep) layer).getUnderlying();
    }
    return layer;
  }

  /** The predicate of the APPLY routes. */
  Predicate<Layer> pick() {
    String targetType = s.kind.typeName;
    int bits = r.pickBits;
    switch (r.pick) {
      case NONE:
        return l -> false;
      case TARGET_TYPE:
        return l -> l.getClass().getSimpleName().equals(targetType);
      case OUTPUT_TYPES:
        return l -> isOutput(l);
      case BY_NAME_BITS:
        return l -> l.getLayerName() != null && (l.getLayerName().hashCode() & bits) % 2 == 1;
      default:
        return l -> true;
    }
  }

  /**
   * Checks that SpectralNorm.apply/applyTo wrapped the target exactly when the predicate accepts
   * it and it has weights (a SelfAttentionLayer without projections has none); not checked for
   * predicates on names, which DL4J's recurrent wrappers do not pass on to their inner layer.
   */
  private void checkApplied(Object conf) {
    boolean normalizable = !(s.kind == Kind.SELF_ATTENTION && !r.projectInput);
    Boolean expected;
    switch (r.pick) {
      case ALL:
      case TARGET_TYPE:
        expected = normalizable;
        break;
      case NONE:
        expected = false;
        break;
      case OUTPUT_TYPES:
        expected = normalizable && s.kind == Kind.OUTPUT;
        break;
      default:
        expected = null;
    }
    Object target = findSn(targetOf(conf));
    boolean wrapped = target instanceof SpectralNormalization
        || target instanceof RecurrentSpectralNormalization
        || target instanceof SameDiffSpectralNormalization;
    if (expected != null && wrapped != expected) {
      throw new AssertionError("SpectralNorm.apply with predicate " + r.pick + " "
          + (wrapped ? "wrapped" : "left alone") + " the target: " + target);
    }
  }

  /** Whether strict apply must refuse: the PReLU layer, which SN cannot normalize, is picked. */
  boolean strictApplyMustFail() {
    if (r.route != Route.APPLY_STRICT || !withPrelu()) {
      return false;
    }
    Layer prelu = new PReLULayer.Builder().build();
    prelu.setLayerName("n1");
    return pick().test(prelu);
  }

  private NeuralNetConfiguration.Builder global(DataType dataType) {
    return new NeuralNetConfiguration.Builder().seed(12345).dataType(dataType)
        .updater(new NoOp()).activation(s.activation);
  }

  private MultiLayerConfiguration multiLayer(List<Layer> layers, DataType dataType) {
    NeuralNetConfiguration.ListBuilder b = global(dataType).list();
    for (Layer l : layers) {
      b.layer(l);
    }
    InputType it = inputType(0);
    if (it != null) {
      b.setInputType(it);
    }
    return b.build();
  }

  private ComputationGraphConfiguration graph(List<Slot> slots, List<Layer> layers,
      DataType dataType) {
    ComputationGraphConfiguration.GraphBuilder b = global(dataType).graphBuilder()
        .addInputs("in");
    String previous = "in";
    for (int i = 0; i < slots.size(); i++) {
      b.addLayer(slots.get(i).name, layers.get(i), previous);
      previous = slots.get(i).name;
    }
    b.setOutputs(previous);
    InputType it = inputType(0);
    if (it != null) {
      b.setInputTypes(it);
    }
    return b.build();
  }

  /** The network's input type, each spatial size {@code more} larger; null for embeddings. */
  InputType inputType(int more) {
    if (s.kind == Kind.DENSE || s.kind == Kind.OUTPUT) {
      return InputType.feedForward(channels());
    }
    if (s.kind.image()) {
      return InputType.convolutional(height() + more, width() + more, channels(),
          g.channelsLast ? CNN2DFormat.NHWC : CNN2DFormat.NCHW);
    }
    if (s.kind.volume()) {
      return InputType.convolutional3D(
          g.channelsLast ? Convolution3D.DataFormat.NDHWC : Convolution3D.DataFormat.NCDHW,
          depth() + more, height() + more, width() + more, channels());
    }
    if (s.kind.sequenceInput()) {
      return InputType.recurrent(channels(), length() + more,
          g.channelsLast ? RNNFormat.NWC : RNNFormat.NCW);
    }
    return null;
  }

  /** A batch of 2 inputs. */
  INDArray input(DataType dataType) {
    Nd4j.getRandom().setSeed(7);
    long c = channels();
    long[] shape;
    if (s.kind == Kind.EMBEDDING || s.kind == Kind.EMBEDDING_SEQUENCE) {
      long n = s.kind == Kind.EMBEDDING ? 1 : length();
      INDArray idx = Nd4j.zeros(dataType, 2, n);
      for (int i = 0; i < 2 * n; i++) {
        idx.putScalar(i, (i * 2 + 1) % (channels() + 1));
      }
      return idx;
    } else if (s.kind == Kind.DENSE || s.kind == Kind.OUTPUT) {
      shape = new long[] {2, c};
    } else if (s.kind.image()) {
      shape = g.channelsLast
          ? new long[] {2, height(), width(), c}
          : new long[] {2, c, height(), width()};
    } else if (s.kind.volume()) {
      shape = g.channelsLast
          ? new long[] {2, depth(), height(), width(), c}
          : new long[] {2, c, depth(), height(), width()};
    } else {
      shape = g.channelsLast ? new long[] {2, length(), c} : new long[] {2, c, length()};
    }
    return Nd4j.rand(DataType.DOUBLE, shape).subi(0.5).muli(2).castTo(dataType);
  }

  /** Labels matching an output of the given shape. */
  INDArray labels(long[] outputShape, DataType dataType) {
    Nd4j.getRandom().setSeed(11);
    if (outputShape.length == 2 && s.softmax && isSoftmaxHead()) {
      INDArray l = Nd4j.zeros(dataType, outputShape);
      for (int i = 0; i < outputShape[0]; i++) {
        l.putScalar(i, (i + 1) % outputShape[1], 1.0);
      }
      return l;
    }
    return Nd4j.rand(DataType.DOUBLE, outputShape).castTo(dataType);
  }

  private boolean isSoftmaxHead() {
    return !(s.kind.sequenceInput() && form() != Form.LAST_TIME_STEP)
        && s.kind != Kind.EMBEDDING_SEQUENCE;
  }
}
