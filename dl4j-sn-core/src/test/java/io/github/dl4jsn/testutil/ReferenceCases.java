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

  /** All cases, loaded once. */
  public static synchronized List<Case> all() {
    if (cases == null) {
      try (InputStream in =
          ReferenceCases.class.getResourceAsStream("/reference/reference_cases.json")) {
        JsonNode root = new ObjectMapper().readTree(in);
        List<Case> list = new ArrayList<>();
        for (JsonNode c : root.get("cases")) {
          list.add(new Case(c));
        }
        cases = list;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
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

    /** "linear", "conv2d" or "convtranspose2d". */
    public String module() {
      return node.get("module").asText();
    }

    /** The DL4J layout of the case's weight, in {@link #toDl4j} form. */
    public WeightLayout layout() {
      switch (module()) {
        case "linear":
          return WeightLayout.DENSE;
        case "conv2d":
          return WeightLayout.CONV;
        default:
          return WeightLayout.DECONV;
      }
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
     * Dense [nIn, nOut] 'f'; conv and transposed conv keep their layout in 'c' order.
     */
    public INDArray toDl4j(INDArray torchWeightShaped) {
      if (module().equals("linear")) {
        return torchWeightShaped.transpose().dup('f');
      }
      return torchWeightShaped.dup('c');
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
