package io.github.dl4jsn.conf;

import io.github.dl4jsn.layers.SpectralNormLayer;
import io.github.dl4jsn.layers.SpectralNormOutputLayer;
import io.github.dl4jsn.layers.SpectralNormRecurrentLayer;
import io.github.dl4jsn.math.ConvOperatorNormCore;
import io.github.dl4jsn.math.NormEstimator;
import io.github.dl4jsn.math.SpectralNormCore;
import io.github.dl4jsn.math.WeightLayout;
import io.github.dl4jsn.params.SpectralNormParamInitializer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import org.deeplearning4j.exception.DL4JInvalidConfigException;
import org.deeplearning4j.nn.api.ParamInitializer;
import org.deeplearning4j.nn.api.layers.IOutputLayer;
import org.deeplearning4j.nn.api.layers.RecurrentLayer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.CenterLossOutputLayer;
import org.deeplearning4j.nn.conf.layers.Convolution3D;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.Deconvolution3D;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.conf.layers.SeparableConvolution2D;
import org.deeplearning4j.nn.conf.layers.Convolution1DLayer;
import org.deeplearning4j.nn.conf.layers.Deconvolution2D;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.EmbeddingLayer;
import org.deeplearning4j.nn.conf.layers.EmbeddingSequenceLayer;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.NoParamLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.conf.layers.wrapper.BaseWrapperLayer;
import org.deeplearning4j.nn.conf.layers.GravesLSTM;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.conf.layers.recurrent.SimpleRnn;
import org.deeplearning4j.nn.params.LSTMParamInitializer;
import org.deeplearning4j.nn.params.DefaultParamInitializer;
import org.deeplearning4j.nn.params.SeparableConvolutionParamInitializer;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.learning.regularization.Regularization;

/**
 * Spectral normalization of a layer's weights: a layer configuration that wraps another one and
 * replaces its weight W by {@code W_SN = c * W / sigma(W)}, where {@code sigma(W) = max ||W h|| /
 * ||h||} is the largest singular value of W viewed as a matrix M, estimated by power iteration with
 * vectors u and v that persist across training steps.
 *
 * <p>One line wraps any supported layer, in a {@code MultiLayerConfiguration} or a {@code
 * ComputationGraphConfiguration}:
 *
 * <pre>{@code
 * .layer(SpectralNormalization.wrap(new DenseLayer.Builder().nOut(256).build()))
 * }</pre>
 *
 * <p>The semantics are those of PyTorch's {@code torch.nn.utils.spectral_norm}: each training
 * iteration runs {@code powerIterations} steps {@code v = normalize(M^T u); u = normalize(M v)}
 * once, on the first training-mode use of the layer; {@code sigma = u^T M v}; the gradient flows
 * through sigma with u and v held constant. Inference never iterates. u and v are non-trainable
 * parameters named {@code "u" + key} and {@code "v" + key} (for W: {@code uW}, {@code vW}); they
 * are saved with the model and never touched by the updater or by regularization.
 *
 * <p>Supported inner layers and their matrix M: {@link DenseLayer}, {@link OutputLayer} and {@link
 * RnnOutputLayer} (M = W<sup>T</sup>, nOut x nIn), {@link EmbeddingLayer} and {@link
 * EmbeddingSequenceLayer} (M = W, nIn x nOut), {@link ConvolutionLayer} and {@link
 * Convolution1DLayer} (M = W reshaped to nOut x (nIn kH kW), see {@link WeightLayout#CONV1D_NCW}
 * for a Conv1D quirk), {@link Deconvolution2D} (M = W permuted to [nOut, nIn, kH, kW], reshaped to
 * nOut x (nIn kH kW), like PyTorch's ConvTranspose2d with dim 1), and the recurrent {@link LSTM},
 * {@link GravesLSTM} and {@link SimpleRnn}, whose input weights W and recurrent weights RW are
 * normalized separately (M = W<sup>T</sup> and RW<sup>T</sup>; GravesLSTM's three peephole
 * columns of RW are left alone); {@link Builder#normalize} picks the keys. Also {@link
 * CenterLossOutputLayer} (W, not the centers), {@link DepthwiseConvolution2D} (one matrix for all
 * channels, PyTorch's {@code Conv2d(groups=nIn)}; see {@link WeightLayout#DEPTHWISE}), {@link
 * SeparableConvolution2D} (its depthwise W and pointwise pW, each with its own u and v), {@link
 * Convolution3D} and {@link Deconvolution3D} (PyTorch's Conv3d and ConvTranspose3d). Inside
 * DL4J's {@code Bidirectional} and {@code LastTimeStep} use {@link #wrapRecurrent}; DL4J's layers
 * written in SameDiff (locally connected, attention) take {@link #wrapSameDiff}.
 *
 * <p>Reference: T. Miyato, T. Kataoka, M. Koyama, Y. Yoshida, "Spectral Normalization for
 * Generative Adversarial Networks", ICLR 2018, arXiv:1802.05957.
 */
public class SpectralNormalization extends BaseWrapperLayer {

  private static final long serialVersionUID = 1L;

  /** Default power iterations per training iteration: 1. */
  public static final int DEFAULT_POWER_ITERATIONS = 1;
  /** Default epsilon of {@code normalize(x) = x / max(||x||, eps)}: 1e-12. */
  public static final double DEFAULT_EPS = 1e-12;
  /** Default power iterations run at initialization: 15. */
  public static final int DEFAULT_WARMUP_ITERATIONS = 15;
  /** Default target Lipschitz constant c: 1. */
  public static final double DEFAULT_COEFFICIENT = 1.0;
  /** Default clip-only mode: off. */
  public static final boolean DEFAULT_CLIP_ONLY = false;
  /** Default power-iteration tolerance: 0, a fixed {@code powerIterations} per step. */
  public static final double DEFAULT_POWER_ITERATION_TOLERANCE = 0.0;
  /** Default cap on the power iterations of one step in tolerance mode: 10. */
  public static final int DEFAULT_MAX_POWER_ITERATIONS = 10;
  /** Default refresh of u and v for inference after an update: off (PyTorch's behaviour). */
  public static final boolean DEFAULT_REFRESH_FOR_INFERENCE = false;

  /** The convolutions that {@link Builder#operatorNorm()} applies to. */
  private static final List<Class<? extends Layer>> OPERATOR_NORM_TYPES = List.of(
      ConvolutionLayer.class, Convolution1DLayer.class, Deconvolution2D.class,
      DepthwiseConvolution2D.class, SeparableConvolution2D.class, Convolution3D.class,
      Deconvolution3D.class);

  /** Prefix of the left singular vector's parameter key. */
  public static final String U_PREFIX = "u";
  /** Prefix of the right singular vector's parameter key. */
  public static final String V_PREFIX = "v";

  private int powerIterations = DEFAULT_POWER_ITERATIONS;
  private double eps = DEFAULT_EPS;
  private int warmupIterations = DEFAULT_WARMUP_ITERATIONS;
  private double coefficient = DEFAULT_COEFFICIENT;
  private boolean clipOnly = DEFAULT_CLIP_ONLY;
  private double powerIterationTolerance = DEFAULT_POWER_ITERATION_TOLERANCE;
  private int maxPowerIterations = DEFAULT_MAX_POWER_ITERATIONS;
  private boolean refreshForInference = DEFAULT_REFRESH_FOR_INFERENCE;
  /** The keys to normalize, or null for the default: every weight of the inner layer. */
  private List<String> normalize;
  /** Whether to normalize a convolution by its operator norm rather than its reshaped kernel. */
  private boolean operatorNorm;
  /** Operator-norm mode: the input the layer sees (from setInputType, or given). */
  private InputType operatorNormInputType;
  /** Whether the operator-norm input type was given explicitly (setInputType leaves it). */
  private boolean operatorNormInputFixed;

  /** For JSON deserialization; use {@link #wrap} or the {@link Builder}. */
  public SpectralNormalization() {}

  protected SpectralNormalization(Builder builder) {
    super(builder.inner);
    this.powerIterations = builder.powerIterations;
    this.eps = builder.eps;
    this.warmupIterations = builder.warmupIterations;
    this.coefficient = builder.coefficient;
    this.clipOnly = builder.clipOnly;
    this.powerIterationTolerance = builder.powerIterationTolerance;
    this.maxPowerIterations = builder.maxPowerIterations;
    this.refreshForInference = builder.refreshForInference;
    this.normalize = builder.normalize == null ? null : new ArrayList<>(builder.normalize);
    this.operatorNorm = builder.operatorNorm;
    this.operatorNormInputType = builder.operatorNormInputType;
    this.operatorNormInputFixed = builder.operatorNormInputType != null;
    if (builder.inner != null && builder.inner.getLayerName() != null) {
      setLayerName(builder.inner.getLayerName());
    }
    validate(null);
  }

  /**
   * Wraps a layer with spectral normalization and default settings.
   *
   * @param inner the layer whose weights to normalize
   * @return the wrapping configuration
   */
  public static SpectralNormalization wrap(Layer inner) {
    return new Builder(inner).build();
  }

  /**
   * Wraps a DL4J layer written in SameDiff (LocallyConnected1D/2D, SelfAttentionLayer,
   * LearnedSelfAttentionLayer, RecurrentAttentionLayer) with spectral normalization of its linear
   * weights and default settings; see {@link SameDiffSpectralNormalization}. For options, use
   * {@link Builder#buildSameDiff()}.
   */
  public static SameDiffSpectralNormalization wrapSameDiff(
      org.deeplearning4j.nn.conf.layers.samediff.SameDiffLayer inner) {
    return new Builder(inner).buildSameDiff();
  }

  /**
   * Wraps a recurrent layer (LSTM, GravesLSTM, SimpleRnn) with spectral normalization of W and RW
   * and default settings, in the form that also works inside {@code Bidirectional} and {@code
   * LastTimeStep}; see {@link RecurrentSpectralNormalization}.
   */
  public static RecurrentSpectralNormalization wrapRecurrent(Layer inner) {
    return new Builder(inner).buildRecurrent();
  }

  /**
   * The spectral normalization of a layer configuration: the layer itself, or the one inside a
   * {@link RecurrentSpectralNormalization}; null for any other layer.
   */
  public static SpectralNormalization of(Layer layer) {
    if (layer instanceof SpectralNormalization) {
      return (SpectralNormalization) layer;
    }
    if (layer instanceof RecurrentSpectralNormalization) {
      return ((RecurrentSpectralNormalization) layer).getSpectralNormalization();
    }
    return null;
  }

  // ---------------------------------------------------------------------------------------------
  // Options (getters and setters double as the JSON properties)

  /** Power iterations per training iteration; 0 freezes u and v. Default: 1. */
  public int getPowerIterations() {
    return powerIterations;
  }

  public void setPowerIterations(int powerIterations) {
    this.powerIterations = powerIterations;
  }

  /** Epsilon of the vector normalization. Default: 1e-12. */
  public double getEps() {
    return eps;
  }

  public void setEps(double eps) {
    this.eps = eps;
  }

  /** Power iterations run on the freshly initialized weights. Default: 15. */
  public int getWarmupIterations() {
    return warmupIterations;
  }

  public void setWarmupIterations(int warmupIterations) {
    this.warmupIterations = warmupIterations;
  }

  /** The target Lipschitz constant c: {@code W_SN = c W / sigma}. Default: 1. */
  public double getCoefficient() {
    return coefficient;
  }

  public void setCoefficient(double coefficient) {
    this.coefficient = coefficient;
  }

  /** Whether to use {@code W / max(1, sigma / c)}, leaving small weights alone. Default: false. */
  public boolean isClipOnly() {
    return clipOnly;
  }

  public void setClipOnly(boolean clipOnly) {
    this.clipOnly = clipOnly;
  }

  /**
   * Tolerance mode: each training iteration runs power iterations until the estimate of sigma
   * changes by at most this fraction of itself from one iteration to the next, at least {@code
   * powerIterations} and at most {@code maxPowerIterations}; 0 turns it off. Default: 0.
   */
  public double getPowerIterationTolerance() {
    return powerIterationTolerance;
  }

  public void setPowerIterationTolerance(double powerIterationTolerance) {
    this.powerIterationTolerance = powerIterationTolerance;
  }

  /** Tolerance mode: the most power iterations one training iteration runs. Default: 10. */
  public int getMaxPowerIterations() {
    return maxPowerIterations;
  }

  public void setMaxPowerIterations(int maxPowerIterations) {
    this.maxPowerIterations = maxPowerIterations;
  }

  /**
   * Whether inference after an update first runs the power iteration that the next training
   * iteration would run, on the same weights (which then skips it): inference never uses vectors
   * from before the last update, and training is unchanged. Default: false (PyTorch: inference
   * uses the vectors as the last training iteration left them).
   */
  public boolean isRefreshForInference() {
    return refreshForInference;
  }

  public void setRefreshForInference(boolean refreshForInference) {
    this.refreshForInference = refreshForInference;
  }

  /**
   * The keys of the inner layer's weights to normalize, or null for all of them (W; and RW for
   * recurrent layers). Default: null.
   */
  public List<String> getNormalize() {
    return normalize;
  }

  public void setNormalize(List<String> normalize) {
    this.normalize = normalize == null ? null : new ArrayList<>(normalize);
  }

  /**
   * Whether a convolution is normalized by its operator norm on the input feature map (true) or,
   * as in PyTorch, by the largest singular value of its reshaped kernel (false). Default: false.
   */
  public boolean isOperatorNorm() {
    return operatorNorm;
  }

  public void setOperatorNorm(boolean operatorNorm) {
    this.operatorNorm = operatorNorm;
  }

  /**
   * Operator-norm mode: the input the convolution sees, set by the network's {@code
   * setInputType} unless given explicitly; null until known.
   */
  public InputType getOperatorNormInputType() {
    return operatorNormInputType;
  }

  public void setOperatorNormInputType(InputType operatorNormInputType) {
    this.operatorNormInputType = operatorNormInputType;
  }

  /** Whether the operator-norm input type was given explicitly rather than by setInputType. */
  public boolean isOperatorNormInputFixed() {
    return operatorNormInputFixed;
  }

  public void setOperatorNormInputFixed(boolean operatorNormInputFixed) {
    this.operatorNormInputFixed = operatorNormInputFixed;
  }

  @Override
  public void setNIn(InputType inputType, boolean override) {
    super.setNIn(inputType, override);
    if (operatorNorm && (operatorNormInputType == null || override)
        && !operatorNormInputFixed) {
      operatorNormInputType = inputType;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Structure

  /** Whether a parameter key is one of the persistent vectors of this layer. */
  public boolean isVectorParam(String paramName) {
    if (paramName == null || underlying == null) {
      return false;
    }
    for (NormalizedWeight nw : normalizedWeights()) {
      if (paramName.equals(nw.uKey()) || paramName.equals(nw.vKey())) {
        return true;
      }
    }
    return false;
  }

  /**
   * The weights this layer normalizes, with their shapes; needs nIn and nOut set, as after the
   * network configuration is built.
   */
  public List<NormalizedWeight> normalizedWeights() {
    validateInner(describe());
    // Set by a setter or in JSON on a layer that is not a convolution: say so here, as DL4J asks
    // for the parameter count before it instantiates the layer (and validate() runs).
    validateOperatorNorm(describe());
    List<NormalizedWeight> chosen = new ArrayList<>();
    for (NormalizedWeight nw : weightsOf(underlying)) {
      if (normalize == null || normalize.contains(nw.key())) {
        // Operator-norm mode: the convolution's weight W by the operator norm; a separable
        // convolution's pointwise pW stays sigma(M), which is its 1x1 operator's norm exactly.
        boolean operator = operatorNorm && nw.key().equals(DefaultParamInitializer.WEIGHT_KEY);
        chosen.add(operator ? operatorWeight(nw) : nw);
      }
    }
    return chosen;
  }

  /**
   * Every weight of a supported layer type that spectral normalization can normalize, with its
   * layout and shape (nIn and nOut must be set).
   */
  public static List<NormalizedWeight> weightsOf(Layer l) {
    Class<?> type = l.getClass();
    String w = DefaultParamInitializer.WEIGHT_KEY;
    if (type == DenseLayer.class || type == OutputLayer.class || type == RnnOutputLayer.class
        || type == CenterLossOutputLayer.class) {
      FeedForwardLayer f = (FeedForwardLayer) l;
      return List.of(
          new NormalizedWeight(w, WeightLayout.DENSE, new long[] {f.getNIn(), f.getNOut()}));
    }
    if (type == EmbeddingLayer.class || type == EmbeddingSequenceLayer.class) {
      FeedForwardLayer f = (FeedForwardLayer) l;
      return List.of(
          new NormalizedWeight(w, WeightLayout.EMBEDDING, new long[] {f.getNIn(), f.getNOut()}));
    }
    if (type == LSTM.class || type == GravesLSTM.class || type == SimpleRnn.class) {
      // W [nIn, g nOut] and RW [nOut, g nOut] ('f'), g gates; M = W^T as for a dense layer.
      // GravesLSTM's RW has 3 more columns, its peephole weights, which are not normalized.
      FeedForwardLayer f = (FeedForwardLayer) l;
      long nIn = f.getNIn();
      long nOut = f.getNOut();
      long gates = type == SimpleRnn.class ? 1 : 4;
      long[] rw = {nOut, gates * nOut};
      long[] rwParam = type == GravesLSTM.class ? new long[] {nOut, gates * nOut + 3} : rw;
      return List.of(
          new NormalizedWeight(w, WeightLayout.DENSE, new long[] {nIn, gates * nOut}),
          new NormalizedWeight(
              LSTMParamInitializer.RECURRENT_WEIGHT_KEY, WeightLayout.DENSE, rw, rwParam));
    }
    ConvolutionLayer c = (ConvolutionLayer) l;
    int[] k = c.getKernelSize();
    if (type == Convolution1DLayer.class) {
      WeightLayout layout =
          ((Convolution1DLayer) c).getRnnDataFormat() == RNNFormat.NWC
              ? WeightLayout.CONV
              : WeightLayout.CONV1D_NCW;
      return List.of(
          new NormalizedWeight(w, layout, new long[] {c.getNOut(), c.getNIn(), k[0], 1}));
    }
    if (type == Deconvolution2D.class) {
      return List.of(
          new NormalizedWeight(
              w, WeightLayout.DECONV, new long[] {c.getNIn(), c.getNOut(), k[0], k[1]}));
    }
    if (type == DepthwiseConvolution2D.class) {
      long m = ((DepthwiseConvolution2D) c).getDepthMultiplier();
      return List.of(
          new NormalizedWeight(w, WeightLayout.DEPTHWISE, new long[] {k[0], k[1], c.getNIn(), m}));
    }
    if (type == SeparableConvolution2D.class) {
      long m = ((SeparableConvolution2D) c).getDepthMultiplier();
      return List.of(
          new NormalizedWeight(
              w, WeightLayout.SEPARABLE_DEPTHWISE, new long[] {m, c.getNIn(), k[0], k[1]}),
          new NormalizedWeight(SeparableConvolutionParamInitializer.POINT_WISE_WEIGHT_KEY,
              WeightLayout.CONV, new long[] {c.getNOut(), m * c.getNIn(), 1, 1}));
    }
    if (type == Convolution3D.class) {
      return List.of(new NormalizedWeight(
          w, WeightLayout.CONV, new long[] {c.getNOut(), c.getNIn(), k[0], k[1], k[2]}));
    }
    if (type == Deconvolution3D.class) {
      return List.of(new NormalizedWeight(
          w, WeightLayout.DECONV3D, new long[] {k[0], k[1], k[2], c.getNOut(), c.getNIn()}));
    }
    return List.of(
        new NormalizedWeight(
            w, WeightLayout.CONV, new long[] {c.getNOut(), c.getNIn(), k[0], k[1]}));
  }

  /** The convolution weight in operator-norm mode, with u's and v's feature-map shapes. */
  private NormalizedWeight operatorWeight(NormalizedWeight w) {
    if (operatorNormInputType == null) {
      throw new DL4JInvalidConfigException(describe() + ": operatorNorm needs the input size the "
          + "convolution sees: call setInputType on the network configuration, or give it with "
          + "SpectralNormalization.Builder.operatorNorm(InputType)");
    }
    InputType out = underlying instanceof Deconvolution3D
        ? deconvolution3dOutput((Deconvolution3D) underlying, operatorNormInputType)
        : operatorProbe().getOutputType(-1, operatorNormInputType);
    // Both laid out in the layer's own format (DL4J M2.1 reports a 3-D convolution's output as
    // NDHWC whatever the layer's format; see featureMapShape).
    long[] in = featureMapShape(operatorNormInputType);
    long[] o = featureMapShape(out);
    for (long x : in) {
      if (x <= 0) {
        throw new DL4JInvalidConfigException(describe() + ": operatorNorm needs a fully known "
            + "input size, got " + operatorNormInputType
            + " (give the sequence length for Conv1D)");
      }
    }
    for (long x : o) {
      if (x <= 0) {
        throw new DL4JInvalidConfigException(describe() + ": operatorNorm: the convolution's "
            + "output for the input " + operatorNormInputType + " is empty (" + out + "): the "
            + "kernel does not fit the input, so there is no operator to normalize");
      }
    }
    return w.asOperator(o, in);
  }

  /**
   * One feature map of an input type, {@code [1, ...]}, laid out as the inner layer reads it.
   *
   * <p>DL4J M2.1's 3-D convolutions keep their own data format (NCDHW by default) whatever format
   * the input type declares (their {@code setNIn} reads only the channel count), and DL4J's
   * {@code InputType.convolutional3D(depth, height, width, channels)} declares NDHWC. Taking the
   * shape from the input type's format made the operator-norm probe of a default Convolution3D
   * or Deconvolution3D built with that input type fail at init (channels read from the width).
   */
  private long[] featureMapShape(InputType type) {
    Convolution3D.DataFormat format = null;
    if (underlying instanceof Convolution3D) {
      format = ((Convolution3D) underlying).getDataFormat();
    } else if (underlying instanceof Deconvolution3D) {
      format = ((Deconvolution3D) underlying).getDataFormat();
    }
    if (format != null && type instanceof InputType.InputTypeConvolutional3D) {
      InputType.InputTypeConvolutional3D t = (InputType.InputTypeConvolutional3D) type;
      return format == Convolution3D.DataFormat.NCDHW
          ? new long[] {1, t.getChannels(), t.getDepth(), t.getHeight(), t.getWidth()}
          : new long[] {1, t.getDepth(), t.getHeight(), t.getWidth(), t.getChannels()};
    }
    long[] shape = type.getShape(true);
    shape[0] = 1;
    return shape;
  }

  /**
   * The output a Deconvolution3D computes for an input, by libnd4j's deconv3d formula: per
   * dimension {@code s (i - 1) + (k - 1) d + 1 - 2 p}, or {@code s i} in Same mode. DL4J M2.1's own
   * {@code Deconvolution3D.getOutputType} mixes up the kernel's dimensions in Truncate mode (for a
   * 1x3x2 kernel on a 2x5x3 input it says 3x5x5; the op returns 2x7x4), and operator-norm mode
   * needs the size the op returns.
   */
  static InputType deconvolution3dOutput(Deconvolution3D d, InputType input) {
    if (!(input instanceof InputType.InputTypeConvolutional3D)) {
      return d.getOutputType(-1, input);
    }
    InputType.InputTypeConvolutional3D in = (InputType.InputTypeConvolutional3D) input;
    long[] size = {in.getDepth(), in.getHeight(), in.getWidth()};
    long[] out = new long[3];
    for (int i = 0; i < 3; i++) {
      int k = d.getKernelSize()[i];
      int st = d.getStride()[i];
      int dil = d.getDilation()[i];
      out[i] = d.getConvolutionMode() == org.deeplearning4j.nn.conf.ConvolutionMode.Same
          ? st * size[i]
          : st * (size[i] - 1) + (long) (k - 1) * dil + 1 - 2L * d.getPadding()[i];
    }
    return InputType.convolutional3D(d.getDataFormat(), out[0], out[1], out[2], d.getNOut());
  }

  /**
   * Operator-norm mode: the convolution whose operator normalizes W, the inner layer itself, or for
   * a SeparableConvolution2D the DepthwiseConvolution2D of its depthwise step (the pointwise step
   * is normalized by its own matrix).
   */
  public ConvolutionLayer operatorProbe() {
    if (!(underlying instanceof SeparableConvolution2D)) {
      return (ConvolutionLayer) underlying;
    }
    SeparableConvolution2D s = (SeparableConvolution2D) underlying;
    DepthwiseConvolution2D d = new DepthwiseConvolution2D.Builder()
        .kernelSize(s.getKernelSize())
        .stride(s.getStride())
        .padding(s.getPadding())
        .dilation(s.getDilation())
        .convolutionMode(s.getConvolutionMode())
        .depthMultiplier(s.getDepthMultiplier())
        .dataFormat(s.getCnn2dDataFormat())
        .nIn(s.getNIn())
        .nOut(s.getNIn() * s.getDepthMultiplier())
        .hasBias(false)
        .build();
    d.setLayerName(s.getLayerName());
    return d;
  }

  /**
   * Operator-norm mode: how W maps to {@link #operatorProbe()}'s weight, {@code
   * W.permute(...)}, or null where the probe is the inner layer.
   */
  private int[] operatorProbePermutation() {
    // SeparableConvolution2D's depthwise W is [m, nIn, kH, kW]; DepthwiseConvolution2D's is
    // [kH, kW, nIn, m], as the separable layer itself permutes it for libnd4j.
    return underlying instanceof SeparableConvolution2D ? new int[] {2, 3, 1, 0} : null;
  }

  /** The keys this layer normalizes by default, for a supported inner layer: W, or W and RW. */
  public static List<String> defaultKeys(Layer inner) {
    Class<?> type = inner.getClass();
    if (type == LSTM.class || type == GravesLSTM.class || type == SimpleRnn.class) {
      return List.of(DefaultParamInitializer.WEIGHT_KEY, LSTMParamInitializer.RECURRENT_WEIGHT_KEY);
    }
    if (type == SeparableConvolution2D.class) {
      return List.of(SeparableConvolutionParamInitializer.DEPTH_WISE_WEIGHT_KEY,
          SeparableConvolutionParamInitializer.POINT_WISE_WEIGHT_KEY);
    }
    return List.of(DefaultParamInitializer.WEIGHT_KEY);
  }

  /** The layer types this wrapper supports, by exact class. */
  public static List<Class<? extends Layer>> supportedLayerTypes() {
    return List.of(
        DenseLayer.class,
        OutputLayer.class,
        RnnOutputLayer.class,
        ConvolutionLayer.class,
        Convolution1DLayer.class,
        Deconvolution2D.class,
        DepthwiseConvolution2D.class,
        SeparableConvolution2D.class,
        Convolution3D.class,
        Deconvolution3D.class,
        CenterLossOutputLayer.class,
        EmbeddingLayer.class,
        EmbeddingSequenceLayer.class,
        LSTM.class,
        GravesLSTM.class,
        SimpleRnn.class);
  }

  /**
   * Checks the power-iteration options every spectrally normalized layer shares, as {@link
   * #validate} does; the SameDiff wrappers call it too.
   *
   * @throws DL4JInvalidConfigException naming the layer and the bad value
   */
  public static void validateIterations(String name, int powerIterations, int warmupIterations,
      double eps) {
    if (powerIterations < 0) {
      throw new DL4JInvalidConfigException(
          name + ": powerIterations must be >= 0 (0 freezes u and v), got " + powerIterations);
    }
    if (warmupIterations < 0) {
      throw new DL4JInvalidConfigException(
          name + ": warmupIterations must be >= 0, got " + warmupIterations);
    }
    if (!(eps > 0) || Double.isInfinite(eps)) {
      throw new DL4JInvalidConfigException(name + ": eps must be > 0 and finite, got " + eps);
    }
  }

  /**
   * Checks the inner layer and the options.
   *
   * @param where how to name the layer in messages, or null to derive it from the configuration
   * @throws DL4JInvalidConfigException naming the layer and the bad value
   */
  public void validate(String where) {
    String name = where != null ? where : describe();
    validateInner(name);
    validateIterations(name, powerIterations, warmupIterations, eps);
    validateCoefficient(name, coefficient, DataType.DOUBLE);
    validateTolerance(name, powerIterations, powerIterationTolerance, maxPowerIterations);
    validateOperatorNorm(name);
    if (normalize != null) {
      List<String> available = defaultKeys(underlying);
      if (normalize.isEmpty()) {
        throw new DL4JInvalidConfigException(
            name + ": normalize() needs at least one key; " + underlying.getClass().getSimpleName()
                + " has " + available);
      }
      for (String key : normalize) {
        if (key == null || !available.contains(key)) {
          throw new DL4JInvalidConfigException(
              name + ": cannot normalize weight '" + key + "': "
                  + underlying.getClass().getSimpleName() + " has " + available);
        }
      }
    }
  }

  /** Checks the tolerance-mode options (shared with {@link SameDiffSpectralNormalization}). */
  static void validateTolerance(String name, int powerIterations, double tolerance,
      int maxPowerIterations) {
    if (!(tolerance >= 0) || Double.isInfinite(tolerance)) {
      throw new DL4JInvalidConfigException(name + ": powerIterationTolerance must be >= 0 and "
          + "finite (0 turns tolerance mode off), got " + tolerance);
    }
    if (tolerance > 0 && powerIterations < 1) {
      throw new DL4JInvalidConfigException(name + ": powerIterationTolerance " + tolerance
          + " needs powerIterations >= 1 (the least per step); powerIterations 0 freezes u and v");
    }
    if (tolerance > 0 && maxPowerIterations < powerIterations) {
      throw new DL4JInvalidConfigException(name + ": maxPowerIterations must be >= "
          + "powerIterations (" + powerIterations + "), got " + maxPowerIterations);
    }
  }

  /**
   * Checks the inner layer and the options for a network of the given data type: also that the
   * coefficient is a normal number of that type, so that c W / sigma and its gradient (which
   * divides by c) are representable.
   *
   * @throws DL4JInvalidConfigException naming the layer and the bad value
   */
  public void validate(String where, DataType dataType) {
    validate(where);
    validateCoefficient(where != null ? where : describe(), coefficient, dataType);
  }

  /**
   * Checks a coefficient: finite, positive and normal in the data type (for DOUBLE at least
   * 2.2e-308, whose reciprocal is finite; for FLOAT 1.2e-38 to 3.4e38).
   */
  static void validateCoefficient(String name, double coefficient, DataType dataType) {
    double lowest = SpectralNormCore.smallestNormal(dataType);
    double highest = SpectralNormCore.largestFinite(dataType);
    if (!(coefficient > 0) || Double.isInfinite(coefficient)) {
      throw new DL4JInvalidConfigException(
          name + ": coefficient (the target Lipschitz constant) must be > 0 and finite, got "
              + coefficient);
    }
    if (coefficient < lowest || coefficient > highest) {
      throw new DL4JInvalidConfigException(
          name + ": coefficient (the target Lipschitz constant) must be a normal " + dataType
              + " number, from " + lowest + " to " + highest + ", got " + coefficient);
    }
  }

  /** Checks that operator-norm mode, if on, is on for a convolution. */
  private void validateOperatorNorm(String name) {
    if (operatorNorm && !OPERATOR_NORM_TYPES.contains(underlying.getClass())) {
      throw new DL4JInvalidConfigException(name + ": operatorNorm applies to "
          + simpleNames(OPERATOR_NORM_TYPES) + ", not " + underlying.getClass().getSimpleName());
    }
  }

  /** Checks that the inner layer exists, is not wrapped already and has a supported type. */
  private void validateInner(String name) {
    if (underlying == null) {
      throw new DL4JInvalidConfigException(
          name + ": the inner layer is null; pass the layer to wrap, e.g. "
              + "SpectralNormalization.wrap(new DenseLayer.Builder().nOut(64).build())");
    }
    if (underlying instanceof SpectralNormalization) {
      throw new DL4JInvalidConfigException(
          name + ": the inner layer is already spectrally normalized; wrap it only once");
    }
    if (!supportedLayerTypes().contains(underlying.getClass())) {
      if (SameDiffSpectralNormalization.supportedLayerTypes().contains(underlying.getClass())) {
        throw new DL4JInvalidConfigException(name + ": " + underlying.getClass().getSimpleName()
            + " is written in SameDiff; wrap it with SpectralNormalization.wrapSameDiff(layer) "
            + "or Builder.buildSameDiff() (SpectralNorm.applyTo picks the right one)");
      }
      if (underlying instanceof NoParamLayer
          || underlying instanceof org.deeplearning4j.nn.conf.layers.DropoutLayer
          || underlying instanceof org.deeplearning4j.nn.conf.layers.LossLayer) {
        throw new DL4JInvalidConfigException(
            name + ": the inner layer " + underlying.getClass().getSimpleName()
                + " has no weights to normalize");
      }
      throw new DL4JInvalidConfigException(
          name + ": unsupported inner layer type " + underlying.getClass().getName()
              + "; supported: " + supportedNames());
    }
  }

  private static String supportedNames() {
    return simpleNames(supportedLayerTypes());
  }

  private static String simpleNames(List<Class<? extends Layer>> types) {
    StringBuilder sb = new StringBuilder();
    for (Class<? extends Layer> c : types) {
      if (sb.length() > 0) {
        sb.append(", ");
      }
      sb.append(c.getSimpleName());
    }
    return sb.toString();
  }

  private String describe() {
    String inner = underlying == null ? "null" : underlying.getClass().getSimpleName();
    String name = getLayerName() != null ? " '" + getLayerName() + "'" : "";
    return "SpectralNormalization(" + inner + ")" + name;
  }

  // ---------------------------------------------------------------------------------------------
  // DL4J plumbing

  /**
   * The estimator of one normalized weight: the reshaped-kernel power iteration, or the
   * convolution operator norm in operator-norm mode.
   *
   * @param nw the weight, from {@link #normalizedWeights()}
   * @param conf the network-level configuration of this layer
   * @param order the weight parameter's order
   * @param dataType the network's data type
   * @param output where to write W_SN (shape {@code nw.shape()}), or null to allocate
   */
  public NormEstimator estimator(
      NormalizedWeight nw, NeuralNetConfiguration conf, char order, DataType dataType,
      INDArray output) {
    if (nw.isOperatorNorm()) {
      return new ConvOperatorNormCore(operatorProbe(), innerConfiguration(conf), nw.shape(),
          operatorProbePermutation(), order, nw.vShape(), nw.uShape(), dataType, eps, coefficient,
          clipOnly, output);
    }
    return SpectralNormCore.create(
        nw.layout(), nw.shape(), order, dataType, eps, coefficient, clipOnly, output);
  }

  /** A copy of the network-level configuration with the inner layer in place of this one. */
  public NeuralNetConfiguration innerConfiguration(NeuralNetConfiguration conf) {
    NeuralNetConfiguration inner = conf.clone();
    inner.setLayer(underlying);
    return inner;
  }

  @Override
  public org.deeplearning4j.nn.api.Layer instantiate(
      NeuralNetConfiguration conf,
      Collection<TrainingListener> trainingListeners,
      int layerIndex,
      INDArray layerParamsView,
      boolean initializeParams,
      DataType networkDataType) {
    String where = "layer " + layerIndex + " (" + describe() + ")";
    validate(where, networkDataType);
    SpectralNormParamInitializer init = SpectralNormParamInitializer.getInstance();
    long needed = init.numParams(this);
    if (layerParamsView.length() != needed) {
      // DL4J sizes a Bidirectional layer's view by its forward layer only.
      throw new DL4JInvalidConfigException(where + ": the network gave this layer "
          + layerParamsView.length() + " parameters, it needs " + needed + " (normalizing "
          + normalizedWeights() + "); inside a Bidirectional layer, the forward and backward "
          + "layers must have the same spectral normalization options");
    }
    long innerCount = SpectralNormParamInitializer.innerParamCount(underlying);
    INDArray flat = layerParamsView.reshape(layerParamsView.length());
    NeuralNetConfiguration innerConf = innerConfiguration(conf);
    org.deeplearning4j.nn.api.Layer inner =
        underlying.instantiate(
            innerConf,
            trainingListeners,
            layerIndex,
            SpectralNormParamInitializer.range(flat, 0, innerCount),
            initializeParams,
            networkDataType);
    for (String v : innerConf.variables()) {
      if (!conf.variables().contains(v)) {
        conf.addVariable(v);
      }
    }
    for (NormalizedWeight nw : normalizedWeights()) {
      conf.addVariable(nw.uKey());
      conf.addVariable(nw.vKey());
    }
    SpectralNormLayer ret;
    if (inner instanceof IOutputLayer) {
      ret = new SpectralNormOutputLayer(conf, this, inner, flat);
    } else if (inner instanceof RecurrentLayer) {
      ret = new SpectralNormRecurrentLayer(conf, this, inner, flat);
    } else {
      ret = new SpectralNormLayer(conf, this, inner, flat);
    }
    if (initializeParams) {
      init.initializeVectors(this, conf, ret.paramTable(), networkDataType);
    }
    ret.setIndex(layerIndex);
    return ret;
  }

  @Override
  public ParamInitializer initializer() {
    return SpectralNormParamInitializer.getInstance();
  }

  @Override
  public IUpdater getUpdaterByParam(String paramName) {
    if (isVectorParam(paramName)) {
      return new NoOp();
    }
    return underlying.getUpdaterByParam(paramName);
  }

  @Override
  public List<Regularization> getRegularizationByParam(String paramName) {
    if (isVectorParam(paramName)) {
      return Collections.emptyList();
    }
    return underlying.getRegularizationByParam(paramName);
  }

  @Override
  public boolean isPretrainParam(String paramName) {
    return !isVectorParam(paramName) && underlying.isPretrainParam(paramName);
  }

  @Override
  public void setDataType(DataType dataType) {
    super.setDataType(dataType);
    if (underlying != null) {
      underlying.setDataType(dataType);
    }
  }

  @Override
  public Layer clone() {
    SpectralNormalization l = (SpectralNormalization) super.clone();
    if (underlying != null) {
      l.underlying = underlying.clone();
    }
    return l;
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof SpectralNormalization)) {
      return false;
    }
    SpectralNormalization that = (SpectralNormalization) o;
    return powerIterations == that.powerIterations
        && Double.compare(eps, that.eps) == 0
        && warmupIterations == that.warmupIterations
        && Double.compare(coefficient, that.coefficient) == 0
        && clipOnly == that.clipOnly
        && Double.compare(powerIterationTolerance, that.powerIterationTolerance) == 0
        && maxPowerIterations == that.maxPowerIterations
        && refreshForInference == that.refreshForInference
        && Objects.equals(normalize, that.normalize)
        && operatorNorm == that.operatorNorm
        && Objects.equals(operatorNormInputType, that.operatorNormInputType)
        && operatorNormInputFixed == that.operatorNormInputFixed
        && Objects.equals(getLayerName(), that.getLayerName())
        && Objects.equals(underlying, that.underlying);
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        powerIterations, eps, warmupIterations, coefficient, clipOnly, powerIterationTolerance,
        maxPowerIterations, refreshForInference, normalize, operatorNorm, operatorNormInputType,
        getLayerName(), underlying);
  }

  @Override
  public String toString() {
    return "SpectralNormalization(powerIterations=" + powerIterations + ", eps=" + eps
        + ", warmupIterations=" + warmupIterations + ", coefficient=" + coefficient
        + ", clipOnly=" + clipOnly
        + (powerIterationTolerance > 0 ? ", powerIterationTolerance=" + powerIterationTolerance
            + ", maxPowerIterations=" + maxPowerIterations : "")
        + (refreshForInference ? ", refreshForInference" : "")
        + (normalize == null ? "" : ", normalize=" + normalize)
        + (operatorNorm ? ", operatorNorm on " + operatorNormInputType : "")
        + ", underlying=" + underlying + ")";
  }

  /** Builder in the DL4J style; options are validated in {@link #build()}. */
  public static class Builder {
    private final Layer inner;
    private int powerIterations = DEFAULT_POWER_ITERATIONS;
    private double eps = DEFAULT_EPS;
    private int warmupIterations = DEFAULT_WARMUP_ITERATIONS;
    private double coefficient = DEFAULT_COEFFICIENT;
    private boolean clipOnly = DEFAULT_CLIP_ONLY;
    private double powerIterationTolerance = DEFAULT_POWER_ITERATION_TOLERANCE;
    private int maxPowerIterations = DEFAULT_MAX_POWER_ITERATIONS;
    private boolean refreshForInference = DEFAULT_REFRESH_FOR_INFERENCE;
    private List<String> normalize;
    private boolean operatorNorm;
    private InputType operatorNormInputType;

    /** @param inner the layer whose weights to normalize */
    public Builder(Layer inner) {
      this.inner = inner;
    }

    /** Power iterations per training iteration, &ge; 0; 0 freezes u and v. Default: 1. */
    public Builder powerIterations(int n) {
      this.powerIterations = n;
      return this;
    }

    /** Epsilon of {@code normalize(x) = x / max(||x||, eps)}, &gt; 0. Default: 1e-12. */
    public Builder eps(double eps) {
      this.eps = eps;
      return this;
    }

    /** Power iterations run at initialization, &ge; 0. Default: 15. */
    public Builder warmupIterations(int n) {
      this.warmupIterations = n;
      return this;
    }

    /**
     * Target Lipschitz constant c, &gt; 0 and a normal number of the network's data type (FLOAT:
     * 1.2e-38 to 3.4e38): {@code W_SN = c W / sigma}. Default: 1.
     */
    public Builder coefficient(double c) {
      this.coefficient = c;
      return this;
    }

    /** Divide only where sigma exceeds c: {@code W / max(1, sigma / c)}. Default: false. */
    public Builder clipOnly(boolean clipOnly) {
      this.clipOnly = clipOnly;
      return this;
    }

    /**
     * Tolerance mode: iterate each training step until sigma's estimate changes by at most {@code
     * tolerance} of itself between iterations (at least {@code powerIterations}, at most {@link
     * #maxPowerIterations}); keeps the exact sigma of W_SN near c where one fixed iteration lags.
     * 0 turns it off. Default: 0.
     */
    public Builder powerIterationTolerance(double tolerance) {
      this.powerIterationTolerance = tolerance;
      return this;
    }

    /** Tolerance mode: the most power iterations per step, &ge; powerIterations. Default: 10. */
    public Builder maxPowerIterations(int n) {
      this.maxPowerIterations = n;
      return this;
    }

    /**
     * Inference after an update first runs the power iteration the next training step would run,
     * on the same weights; that step then skips it. Training is unchanged, and inference never
     * divides by a sigma from before the last update. Default: false (PyTorch's behaviour).
     */
    public Builder refreshForInference() {
      this.refreshForInference = true;
      return this;
    }

    /**
     * The weights to normalize, by key: for LSTM, GravesLSTM and SimpleRnn {@code "W"} (input
     * weights) and/or {@code "RW"} (recurrent weights). Default: every weight (W, and RW where
     * the layer has one).
     */
    public Builder normalize(String... keys) {
      // Arrays.asList, not List.of: a null key must reach validation, not fail here.
      this.normalize = keys == null ? null : new ArrayList<>(Arrays.asList(keys));
      return this;
    }

    /**
     * Normalizes a convolution (ConvolutionLayer, Convolution1DLayer, Deconvolution2D) by its
     * operator norm, the true Lipschitz constant of the linear map on its input feature map, rather
     * than by the largest singular value of its reshaped kernel (PyTorch's definition, which can
     * be up to {@code sqrt(kH kW)} times smaller). The input size comes from the network's {@code
     * setInputType}; inputs of another size are rejected at run time.
     */
    public Builder operatorNorm() {
      this.operatorNorm = true;
      return this;
    }

    /**
     * As {@link #operatorNorm()}, for inputs of the given type (e.g. {@code
     * InputType.convolutional(32, 32, 64)}, or {@code InputType.recurrent(channels, length)} for
     * Conv1D); it takes precedence over {@code setInputType}.
     */
    public Builder operatorNorm(InputType input) {
      this.operatorNorm = true;
      this.operatorNormInputType = input;
      return this;
    }

    /**
     * Builds the configuration.
     *
     * @throws DL4JInvalidConfigException for a null, weightless, unsupported or already-wrapped
     *     inner layer, or an out-of-range option; the message names the layer and the value
     */
    public SpectralNormalization build() {
      return new SpectralNormalization(this);
    }

    /**
     * Builds the configuration of a layer written in SameDiff (LocallyConnected1D/2D and the
     * attention layers); see {@link SameDiffSpectralNormalization}.
     *
     * @throws DL4JInvalidConfigException for another inner layer type, operator-norm mode, or an
     *     out-of-range option; the message names the layer and the value
     */
    public SameDiffSpectralNormalization buildSameDiff() {
      if (!(inner instanceof org.deeplearning4j.nn.conf.layers.samediff.SameDiffLayer)) {
        throw new DL4JInvalidConfigException("SpectralNormalization("
            + (inner == null ? "null" : inner.getClass().getSimpleName()) + "): buildSameDiff() "
            + "takes a layer written in SameDiff; use build() for this one");
      }
      SpectralNormalization options = new SpectralNormalization();
      options.setPowerIterations(powerIterations);
      options.setEps(eps);
      options.setWarmupIterations(warmupIterations);
      options.setCoefficient(coefficient);
      options.setClipOnly(clipOnly);
      options.setPowerIterationTolerance(powerIterationTolerance);
      options.setMaxPowerIterations(maxPowerIterations);
      options.setRefreshForInference(refreshForInference);
      options.setNormalize(normalize);
      options.setOperatorNorm(operatorNorm);
      return new SameDiffSpectralNormalization(
          (org.deeplearning4j.nn.conf.layers.samediff.SameDiffLayer) inner, options);
    }

    /**
     * Builds the configuration of a recurrent layer in the form that also works inside {@code
     * Bidirectional} and {@code LastTimeStep}; see {@link RecurrentSpectralNormalization}.
     *
     * @throws DL4JInvalidConfigException as {@link #build()}, or if the inner layer is not
     *     recurrent
     */
    public RecurrentSpectralNormalization buildRecurrent() {
      return new RecurrentSpectralNormalization(build());
    }
  }
}
