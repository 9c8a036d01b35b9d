package io.github.dl4jsn.testutil;

import io.github.dl4jsn.math.WeightLayout;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;

/**
 * The PyTorch 1.13 reference cases (torch.nn.utils.spectral_norm, float64), copied into the test
 * resources from the project's shared reference folder. Tensors come back row-major in PyTorch's
 * own layout; {@link Case#toDl4j} converts to the DL4J layout of the twin layer.
 */
public final class ReferenceCases {

  private static List<Case> cases;

  private ReferenceCases() {}

  /**
   * The files: the shared PyTorch cases (dense, conv2d, convtranspose2d), and those made by {@code
   * scripts/make-reference-cases.py} (conv3d, convtranspose3d, depthwise conv2d, pointwise).
   */
  static final List<String> FILES =
      List.of("/reference/reference_cases.json", "/reference/reference_cases_more.json");

  /** All cases, loaded once. */
  public static synchronized List<Case> all() {
    if (cases == null) {
      List<Case> list = new ArrayList<>();
      for (String file : FILES) {
        try (InputStream in = ReferenceCases.class.getResourceAsStream(file)) {
          if (in == null) {
            throw new IllegalStateException("missing test resource " + file);
          }
          for (JsonNode c : new ObjectMapper().readTree(in).get("cases")) {
            list.add(new Case(c));
          }
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
      cases = list;
    }
    return cases;
  }

  /** One reference case. */
  public static final class Case {
    private final JsonNode node;

    Case(JsonNode node) {
      this.node = node;
    }

    public String name() {
      return node.get("name").asText();
    }

    /**
     * "linear", "conv2d", "convtranspose2d", "conv3d", "convtranspose3d" or "depthwise_conv2d"
     * (Conv2d with groups = in_channels).
     */
    public String module() {
      return node.get("module").asText();
    }

    /** PyTorch's dim: the axis of W that becomes M's rows. */
    public int dim() {
      return node.get("dim").asInt();
    }

    /** The DL4J layout of the case's weight, in {@link #toDl4j} form. */
    public WeightLayout layout() {
      switch (module()) {
        case "linear":
          return WeightLayout.DENSE;
        case "conv2d":
        case "conv3d":
          return WeightLayout.CONV;
        case "convtranspose2d":
          return WeightLayout.DECONV;
        case "convtranspose3d":
          return WeightLayout.DECONV3D;
        case "depthwise_conv2d":
          return WeightLayout.DEPTHWISE;
        default:
          throw new IllegalArgumentException("unknown module " + module());
      }
    }

    /** M as PyTorch builds it: W.permute(dim, other axes in order).reshape(h, -1). */
    public INDArray torchMatrix() {
      INDArray w = tensor("W");
      int[] perm = new int[w.rank()];
      perm[0] = dim();
      for (int i = 0, j = 1; i < w.rank(); i++) {
        if (i != dim()) {
          perm[j++] = i;
        }
      }
      long h = w.size(dim());
      return w.permute(perm).dup('c').reshape('c', h, w.length() / h);
    }

    public long[] weightShape() {
      return longs(node.get("weight_shape"));
    }

    public double eps() {
      return node.get("eps").asDouble();
    }

    public double sigmaExact() {
      return node.get("sigma_exact").asDouble();
    }

    /** A top-level tensor (W, u0, v0, G) in PyTorch's layout, row-major DOUBLE. */
    public INDArray tensor(String key) {
      return parse(node.get(key));
    }

    /** The spectral_norm result for n power iterations (1 or 5). */
    public Result after(int n) {
      for (JsonNode r : node.get("spectral_norm")) {
        if (r.get("n_power_iterations").asInt() == n) {
          return new Result(r);
        }
      }
      throw new IllegalArgumentException(name() + " has no result for n=" + n);
    }

    /** The eval-mode result from u0 and v0 without iterating. */
    public Result evalInitial() {
      return new Result(node.get("spectral_norm_eval_initial_uv"));
    }

    /**
     * A weight-shaped PyTorch tensor in the DL4J layout of the twin layer: Linear [out, in] becomes
     * Dense [nIn, nOut] 'f'; ConvTranspose3d [in, out, kD, kH, kW] becomes Deconvolution3D's [kD,
     * kH, kW, nOut, nIn]; depthwise Conv2d [C m, 1, kH, kW] becomes DepthwiseConvolution2D's [kH,
     * kW, C, m]; the other convolutions keep their layout, in 'c' order.
     */
    public INDArray toDl4j(INDArray torchWeightShaped) {
      switch (module()) {
        case "linear":
          return torchWeightShaped.transpose().dup('f');
        case "convtranspose3d":
          return torchWeightShaped.permute(2, 3, 4, 1, 0).dup('c');
        case "depthwise_conv2d":
          return channelsByMultiplier(torchWeightShaped).permute(2, 3, 0, 1).dup('c');
        default:
          return torchWeightShaped.dup('c');
      }
    }

    /**
     * A depthwise case's tensor as SeparableConvolution2D's depthwise weight [m, C, kH, kW]
     * (layout {@link WeightLayout#SEPARABLE_DEPTHWISE}).
     */
    public INDArray toDl4jSeparableDepthwise(INDArray torchWeightShaped) {
      return channelsByMultiplier(torchWeightShaped).permute(1, 0, 2, 3).dup('c');
    }

    /** [C m, 1, kH, kW] as [C, m, kH, kW]: output channel c m + j is (c, j). */
    private INDArray channelsByMultiplier(INDArray t) {
      long c = node.get("in_channels").asLong();
      long m = node.get("depth_multiplier").asLong();
      return t.dup('c').reshape('c', c, m, t.size(2), t.size(3));
    }

    @Override
    public String toString() {
      return name();
    }
  }

  /** The state after one forward with n iterations. */
  public static final class Result {
    private final JsonNode node;

    Result(JsonNode node) {
      this.node = node;
    }

    public INDArray tensor(String key) {
      return ReferenceCases.parse(node.get(key));
    }

    public double sigma() {
      return node.get("sigma").asDouble();
    }
  }

  static INDArray parse(JsonNode t) {
    long[] shape = longs(t.get("shape"));
    JsonNode data = t.get("data");
    double[] values = new double[data.size()];
    for (int i = 0; i < values.length; i++) {
      values[i] = data.get(i).asDouble();
    }
    return Nd4j.create(values, shape, DataType.DOUBLE).dup('c');
  }

  private static long[] longs(JsonNode arr) {
    long[] out = new long[arr.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = arr.get(i).asLong();
    }
    return out;
  }
}
