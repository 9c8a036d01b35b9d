package io.github.dl4jsn.inspect;

import io.github.dl4jsn.conf.NormalizedWeight;
import io.github.dl4jsn.conf.SameDiffSpectralNormalization;
import io.github.dl4jsn.conf.SpectralNormalization;
import io.github.dl4jsn.layers.SpectralNormLayer;
import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.graph.PreprocessorVertex;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.LocallyConnected1D;
import org.deeplearning4j.nn.conf.layers.LocallyConnected2D;
import org.deeplearning4j.nn.conf.layers.samediff.SameDiffLayer;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.Subsampling1DLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.layers.ZeroPaddingLayer;
import org.deeplearning4j.nn.conf.layers.convolutional.Cropping2D;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationELU;
import org.nd4j.linalg.activations.impl.ActivationGELU;
import org.nd4j.linalg.activations.impl.ActivationHardSigmoid;
import org.nd4j.linalg.activations.impl.ActivationHardTanH;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationLReLU;
import org.nd4j.linalg.activations.impl.ActivationMish;
import org.nd4j.linalg.activations.impl.ActivationRReLU;
import org.nd4j.linalg.activations.impl.ActivationRationalTanh;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.activations.impl.ActivationReLU6;
import org.nd4j.linalg.activations.impl.ActivationRectifiedTanh;
import org.nd4j.linalg.activations.impl.ActivationSELU;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.activations.impl.ActivationSoftPlus;
import org.nd4j.linalg.activations.impl.ActivationSoftSign;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.activations.impl.ActivationSwish;
import org.nd4j.linalg.activations.impl.ActivationTanH;

/**
 * An upper bound on the Lipschitz constant (L2 to L2) of a feed-forward network at inference: the
 * product, over a chain of layers, of an upper bound per layer.
 *
 * <p><b>What it covers.</b> A MultiLayerNetwork, or a ComputationGraph whose vertices form one
 * chain (one input, one output, every vertex with one input). Per layer:
 *
 * <ul>
 *   <li>weight layers (Dense, Output, RnnOutput, CenterLossOutput, Embedding, EmbeddingSequence,
 *       with or without SN): the largest singular value of the weight matrix the layer uses (W_SN
 *       for SN layers), computed exactly by SVD, not the power-iteration estimate;
 *   <li>convolutions (Convolution, Convolution1D, Deconvolution2D, DepthwiseConvolution2D,
 *       Convolution3D, Deconvolution3D): that matrix's largest singular value times {@code
 *       sqrt(taps)}, {@code taps} the kernel's spatial size ({@code kH kW}, {@code kD kH kW}): each
 *       input element enters at most {@code taps} windows, so {@code ||conv(x)||^2 <= sigma^2 taps
 *       ||x||^2} for any stride, padding and dilation (for a depthwise convolution each channel's
 *       kernel matrix has sigma at most sigma(M)). The true operator norm is often much lower; the
 *       bound is safe, not tight. In operator-norm mode, the operator norm itself. A
 *       SeparableConvolution2D multiplies its depthwise and pointwise factors;
 *   <li>DL4J's SameDiff layers are rejected by name: attention is not globally Lipschitz (Kim et
 *       al., ICML 2021), and locally connected layers are not covered;
 *   <li>activations, by the largest slope: identity, ReLU, ReLU6, tanh, hard tanh, rectified tanh,
 *       softplus, softsign, softmax 1; sigmoid 1/4; hard sigmoid 1/5; leaky ReLU and RReLU {@code
 *       max(1, |alpha|)}; ELU {@code max(1, alpha)}; SELU 1.7581; swish 1.0998; GELU 1.1290; mish
 *       1.0890; rational tanh 1.1439. Cube, thresholded ReLU, PReLU and a ReLU with a nonzero
 *       threshold are rejected (unbounded or discontinuous);
 *   <li>batch normalization at inference: {@code max |gamma| / sqrt(var + eps)};
 *   <li>pooling: the per-window constant (max and p-norm 1, average {@code 1/sqrt(k)}, sum {@code
 *       sqrt(k)}) times {@code sqrt} of how many windows an element can enter ({@code ceil(kH/sH)
 *       ceil(kW/sW)}); global max/average/p-norm pooling 1;
 *   <li>dropout (identity at inference), zero padding, cropping and input preprocessors (reshapes)
 *       1; frozen layers as their inner layer.
 * </ul>
 *
 * Recurrent layers, merges, residual connections and any layer not listed above are rejected with
 * an exception naming the layer: the product bound does not apply to them as it stands. Biases do
 * not change a Lipschitz constant. The loss is not included.
 */
public final class Lipschitz {
  private Lipschitz() {}

  /** One layer's share of the bound. */
  public static final class Factor {
    private final String layer;
    private final String what;
    private final double value;

    Factor(String layer, String what, double value) {
      this.layer = layer;
      this.what = what;
      this.value = value;
    }

    /** The layer's name. */
    public String layer() {
      return layer;
    }

    /** How the factor was obtained, e.g. "sigma(W_SN) 1.0003 x relu 1". */
    public String what() {
      return what;
    }

    /** The layer's Lipschitz upper bound. */
    public double value() {
      return value;
    }

    @Override
    public String toString() {
      return layer + ": " + what + " = " + value;
    }
  }

  /** The product of {@link #factors}: an upper bound on the network's Lipschitz constant. */
  public static double upperBound(Model model) {
    double product = 1;
    for (Factor f : factors(model)) {
      product *= f.value();
    }
    return product;
  }

  /**
   * The per-layer factors of the bound, in the order the input flows through them.
   *
   * @throws IllegalArgumentException for a network outside what the bound covers, naming the layer
   */
  public static List<Factor> factors(Model model) {
    List<Factor> out = new ArrayList<>();
    if (model instanceof MultiLayerNetwork) {
      for (org.deeplearning4j.nn.api.Layer l : ((MultiLayerNetwork) model).getLayers()) {
        out.add(factor(l));
      }
      return out;
    }
    if (model instanceof ComputationGraph) {
      ComputationGraph g = (ComputationGraph) model;
      var conf = g.getConfiguration();
      if (conf.getNetworkInputs().size() != 1 || conf.getNetworkOutputs().size() != 1) {
        throw new IllegalArgumentException(
            "The Lipschitz bound covers chains: this graph has inputs " + conf.getNetworkInputs()
                + " and outputs " + conf.getNetworkOutputs());
      }
      for (int i : g.topologicalSortOrder()) {
        String name = g.getVertices()[i].getVertexName();
        if (conf.getNetworkInputs().contains(name)) {
          continue;
        }
        GraphVertex v = conf.getVertices().get(name);
        List<String> inputs = conf.getVertexInputs().get(name);
        if (inputs == null || inputs.size() != 1) {
          throw new IllegalArgumentException(
              "The Lipschitz bound covers chains: vertex '" + name + "' has inputs " + inputs);
        }
        if (v instanceof LayerVertex) {
          out.add(factor(g.getLayer(name)));
        } else if (!(v instanceof PreprocessorVertex)) {
          throw new IllegalArgumentException(
              "The Lipschitz bound does not cover vertex '" + name + "' ("
                  + v.getClass().getSimpleName() + ")");
        }
      }
      return out;
    }
    throw new IllegalArgumentException("Expected a MultiLayerNetwork or ComputationGraph, got "
        + model);
  }

  private static Factor factor(org.deeplearning4j.nn.api.Layer impl) {
    Layer conf = impl.conf().getLayer();
    String name = "layer " + impl.getIndex() + " '" + conf.getLayerName() + "'";
    if (impl instanceof org.deeplearning4j.nn.layers.wrapper.BaseWrapperLayer
        && !(impl instanceof SpectralNormLayer)) {
      Factor inner = factor(((org.deeplearning4j.nn.layers.wrapper.BaseWrapperLayer) impl)
          .getUnderlying());
      return new Factor(name, inner.what(), inner.value());
    }
    if (impl instanceof org.deeplearning4j.nn.layers.FrozenLayer) {
      Factor inner = factor(((org.deeplearning4j.nn.layers.FrozenLayer) impl).getInsideLayer());
      return new Factor(name, inner.what(), inner.value());
    }
    if (impl instanceof SpectralNormLayer) {
      SpectralNormLayer sn = (SpectralNormLayer) impl;
      Layer inner = sn.getSpectralNormConfig().getUnderlying();
      requireFeedForward(name, inner);
      // Every weight of the layer in turn (a separable convolution's depthwise and pointwise
      // steps multiply): W_SN where normalized, W itself otherwise.
      List<String> normalized = sn.normalizedKeys();
      double value = 1;
      StringBuilder what = new StringBuilder();
      for (NormalizedWeight w : sn.getSpectralNormConfig().normalizedWeights()) {
        double sigma = sn.exactSigma(w.key());
        String label = (w.isOperatorNorm() ? "operator norm(" : "sigma(") + w.key() + "_SN)";
        // An operator norm needs no kernel-spread factor.
        long taps = w.isOperatorNorm() ? 1 : w.layout().kernelTaps(w.shape());
        value *= spread(what, label, sigma, taps);
      }
      for (NormalizedWeight w : SpectralNormalization.weightsOf(inner)) {
        if (!normalized.contains(w.key())) {
          double sigma = SingularValues.largest(
              w.layout().matrix(sn.getInnerLayer().getParam(w.key())));
          value *= spread(what, "sigma(" + w.key() + ")", sigma, w.layout().kernelTaps(w.shape()));
        }
      }
      return activated(name, what, value, inner);
    }
    requireFeedForward(name, conf);
    if (conf instanceof SameDiffSpectralNormalization || conf instanceof SameDiffLayer) {
      Layer inner = conf instanceof SameDiffSpectralNormalization
          ? ((SameDiffSpectralNormalization) conf).getUnderlying() : conf;
      String why = inner instanceof LocallyConnected1D || inner instanceof LocallyConnected2D
          ? "its weights differ per position; bound it by hand from sigma(M) and the overlap"
          : "dot-product attention is not globally Lipschitz (Kim et al., ICML 2021)";
      throw new IllegalArgumentException(name + ": the Lipschitz bound does not cover "
          + inner.getClass().getSimpleName() + ": " + why);
    }
    List<NormalizedWeight> weights =
        SpectralNormalization.supportedLayerTypes().contains(conf.getClass())
            ? SpectralNormalization.weightsOf(conf)
            : List.of();
    if (!weights.isEmpty()) {
      double value = 1;
      StringBuilder what = new StringBuilder();
      for (NormalizedWeight w : weights) {
        double sigma = SingularValues.largest(w.layout().matrix(impl.getParam(w.key())));
        value *= spread(what, "sigma(" + w.key() + ")", sigma, w.layout().kernelTaps(w.shape()));
      }
      return activated(name, what, value, conf);
    }
    if (conf instanceof ActivationLayer) {
      IActivation a = ((ActivationLayer) conf).getActivationFn();
      return new Factor(name, describe(a), activation(name, a));
    }
    if (conf instanceof LossLayer) {
      IActivation a = ((LossLayer) conf).getActivationFn();
      return new Factor(name, describe(a), activation(name, a));
    }
    if (conf instanceof DropoutLayer || conf instanceof ZeroPaddingLayer
        || conf instanceof Cropping2D) {
      return new Factor(name, conf.getClass().getSimpleName() + " 1", 1.0);
    }
    if (conf instanceof BatchNormalization) {
      return batchNorm(name, (BatchNormalization) conf, impl);
    }
    if (conf instanceof GlobalPoolingLayer) {
      PoolingType t = ((GlobalPoolingLayer) conf).getPoolingType();
      if (t == PoolingType.SUM) {
        throw new IllegalArgumentException(name + ": global SUM pooling has no bound without the "
            + "input size; the Lipschitz bound does not cover it");
      }
      return new Factor(name, "global " + t + " pooling 1", 1.0);
    }
    if (conf instanceof SubsamplingLayer) {
      return pooling(name, (SubsamplingLayer) conf);
    }
    throw new IllegalArgumentException(
        name + ": the Lipschitz bound does not cover " + conf.getClass().getSimpleName());
  }

  private static void requireFeedForward(String name, Layer conf) {
    if (conf instanceof org.deeplearning4j.nn.conf.layers.BaseRecurrentLayer) {
      throw new IllegalArgumentException(name + ": the Lipschitz bound covers feed-forward chains; "
          + conf.getClass().getSimpleName() + " is recurrent");
    }
    if (conf instanceof DenseLayer && ((DenseLayer) conf).hasLayerNorm()) {
      throw new IllegalArgumentException(
          name + ": the Lipschitz bound does not cover DenseLayer with layer normalization");
    }
  }

  /**
   * Appends one weight's factor to {@code what} and returns it: sigma, times {@code sqrt(taps)}
   * for a convolution's reshaped kernel (each input element reaches at most {@code taps} outputs
   * per output channel, for any stride, padding and dilation).
   */
  private static double spread(StringBuilder what, String label, double sigma, long taps) {
    if (what.length() > 0) {
      what.append(" x ");
    }
    what.append(label).append(' ').append(round(sigma));
    if (taps > 1) {
      what.append(" x sqrt(").append(taps).append(" kernel taps)");
    }
    return sigma * Math.sqrt(taps);
  }

  /** A weighted layer's factor: its weights' factor times its activation's largest slope. */
  private static Factor activated(String name, StringBuilder what, double value, Layer conf) {
    IActivation a = conf instanceof BaseLayer ? ((BaseLayer) conf).getActivationFn() : null;
    double act = a == null ? 1 : activation(name, a);
    if (a != null) {
      what.append(" x ").append(describe(a));
    }
    return new Factor(name, what.toString(), value * act);
  }

  private static Factor batchNorm(
      String name, BatchNormalization bn, org.deeplearning4j.nn.api.Layer impl) {
    double[] std;
    if (bn.isUseLogStd()) {
      std = impl.getParam(BatchNormalizationParamInitializer.GLOBAL_LOG_STD).toDoubleVector();
      for (int i = 0; i < std.length; i++) {
        std[i] = Math.pow(10, std[i]);
      }
    } else {
      std = impl.getParam(BatchNormalizationParamInitializer.GLOBAL_VAR).toDoubleVector();
      for (int i = 0; i < std.length; i++) {
        std[i] = Math.sqrt(std[i] + bn.getEps());
      }
    }
    double[] gamma = bn.isLockGammaBeta()
        ? null
        : impl.getParam(BatchNormalizationParamInitializer.GAMMA).toDoubleVector();
    double value = 0;
    for (int i = 0; i < std.length; i++) {
      double g = gamma == null ? bn.getGamma() : gamma[i];
      value = Math.max(value, Math.abs(g) / std[i]);
    }
    return new Factor(name, "batch norm max |gamma| / std", value);
  }

  private static Factor pooling(String name, SubsamplingLayer p) {
    int[] k = p.getKernelSize();
    int[] s = p.getStride();
    boolean oneD = p instanceof Subsampling1DLayer;
    long taps = oneD ? k[0] : (long) k[0] * k[1];
    long overlap = oneD
        ? ceilDiv(k[0], s[0])
        : ceilDiv(k[0], s[0]) * ceilDiv(k[1], s[1]);
    double window;
    switch (p.getPoolingType()) {
      case MAX:
      case PNORM:
        window = 1;
        break;
      case AVG:
        window = 1 / Math.sqrt(taps);
        break;
      case SUM:
        window = Math.sqrt(taps);
        break;
      default:
        throw new IllegalArgumentException(name + ": unknown pooling " + p.getPoolingType());
    }
    return new Factor(name, p.getPoolingType() + " pooling " + round(window) + " x sqrt("
        + overlap + " overlapping windows)", window * Math.sqrt(overlap));
  }

  private static long ceilDiv(int a, int b) {
    return (a + b - 1) / b;
  }

  /** The Lipschitz constant (largest slope) of an activation. */
  public static double activation(String where, IActivation a) {
    if (a instanceof ActivationIdentity || a instanceof ActivationReLU6
        || a instanceof ActivationTanH || a instanceof ActivationHardTanH
        || a instanceof ActivationRectifiedTanh || a instanceof ActivationSoftPlus
        || a instanceof ActivationSoftSign || a instanceof ActivationSoftmax) {
      return 1;
    }
    if (a instanceof ActivationReLU) {
      ActivationReLU r = (ActivationReLU) a;
      if (r.getThreshold() != null && r.getThreshold() != 0) {
        throw new IllegalArgumentException(where + ": a ReLU with threshold " + r.getThreshold()
            + " is discontinuous; no Lipschitz bound");
      }
      return r.getNegativeSlope() == null ? 1 : Math.max(1, Math.abs(r.getNegativeSlope()));
    }
    if (a instanceof ActivationSigmoid) {
      return 0.25;
    }
    if (a instanceof ActivationHardSigmoid) {
      return 0.2;
    }
    if (a instanceof ActivationLReLU) {
      return Math.max(1, Math.abs(((ActivationLReLU) a).getAlpha()));
    }
    if (a instanceof ActivationRReLU) {
      ActivationRReLU r = (ActivationRReLU) a;
      return Math.max(1, Math.max(Math.abs(r.getL()), Math.abs(r.getU())));
    }
    if (a instanceof ActivationELU) {
      return Math.max(1, ((ActivationELU) a).getAlpha());
    }
    if (a instanceof ActivationSELU) {
      return 1.0507009873554805 * 1.6732632423543772;
    }
    if (a instanceof ActivationSwish) {
      return 1.0998;
    }
    if (a instanceof ActivationGELU) {
      return 1.1290;
    }
    if (a instanceof ActivationMish) {
      return 1.0890;
    }
    if (a instanceof ActivationRationalTanh) {
      return 1.7159 * 2 / 3;
    }
    throw new IllegalArgumentException(where + ": no Lipschitz bound for activation " + a
        + " (unbounded slope, discontinuous or learned)");
  }

  private static String describe(IActivation a) {
    return a.toString().toLowerCase() + " slope";
  }

  private static String round(double x) {
    return String.format("%.4g", x);
  }
}
