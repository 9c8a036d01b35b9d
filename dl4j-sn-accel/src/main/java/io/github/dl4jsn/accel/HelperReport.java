package io.github.dl4jsn.accel;

import io.github.dl4jsn.layers.SpectralNormLayer;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.layers.FrozenLayer;
import org.deeplearning4j.nn.layers.LayerHelper;
import org.deeplearning4j.nn.layers.convolution.Convolution1DLayer;
import org.deeplearning4j.nn.layers.convolution.ConvolutionLayer;
import org.deeplearning4j.nn.layers.convolution.Deconvolution2DLayer;
import org.deeplearning4j.nn.layers.convolution.subsampling.Subsampling1DLayer;
import org.deeplearning4j.nn.layers.convolution.subsampling.SubsamplingLayer;
import org.deeplearning4j.nn.layers.normalization.BatchNormalization;
import org.deeplearning4j.nn.layers.normalization.LocalResponseNormalization;
import org.deeplearning4j.nn.layers.mkldnn.MKLDNNBatchNormHelper;
import org.deeplearning4j.nn.layers.mkldnn.MKLDNNConvHelper;
import org.deeplearning4j.nn.layers.mkldnn.MKLDNNLocalResponseNormalizationHelper;
import org.deeplearning4j.nn.layers.mkldnn.MKLDNNSubsamplingHelper;
import org.deeplearning4j.nn.layers.wrapper.BaseWrapperLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Which path each layer of a network computes on: a DL4J layer helper (oneDNN), a libnd4j op, or
 * DL4J's built-in Java path, looking inside spectral-normalization and other wrappers.
 *
 * <p>DL4J falls back without a word: a layer created before {@link Acceleration#enable}, a helper
 * that DL4J's support check dropped, a FLOAT-only helper in a DOUBLE network, a helper that
 * failed at run time. The report names each case. With {@link HelperProbe#install} it also shows
 * how many forward and backward calls each helper really served.
 *
 * <pre>{@code
 * Acceleration.enable();
 * MultiLayerNetwork net = new MultiLayerNetwork(conf);
 * net.init();
 * System.out.println(HelperReport.of(net));
 * }</pre>
 */
public final class HelperReport {

  /** How a layer computes. */
  public enum Path {
    /** A oneDNN layer helper (DL4J's {@code MKLDNN*Helper}) is attached and serves the layer. */
    ONEDNN_HELPER,
    /** Another layer helper is attached (e.g. a cuDNN helper on the CUDA backend). */
    OTHER_HELPER,
    /** The layer has a helper path, but no helper is attached: DL4J's built-in path runs. */
    HELPER_OFF,
    /** A helper is attached but declines this layer (not FLOAT, dilated, or it failed). */
    HELPER_DECLINES,
    /** DL4J calls a libnd4j op directly; the oneDNN build serves it with its oneDNN kernel. */
    NATIVE_OP,
    /** DL4J has no helper for this layer type. */
    NO_HELPER
  }

  /** One layer as found in the network, unwrapped. */
  record Entry(String name, Layer layer, String wrappers, DataType dataType) {}

  /** One row of the report. */
  public record Row(String name, String type, String wrappers, Path path, String detail) {

    /** Whether the layer's heavy computation leaves DL4J's Java path. */
    public boolean accelerated() {
      return path == Path.ONEDNN_HELPER || path == Path.OTHER_HELPER || path == Path.NATIVE_OP;
    }
  }

  private final List<Row> rows;

  private HelperReport(List<Row> rows) {
    this.rows = List.copyOf(rows);
  }

  /** The report of a MultiLayerNetwork or ComputationGraph, one row per layer. */
  public static HelperReport of(Model model) {
    List<Row> rows = new ArrayList<>();
    for (Entry e : entries(model)) {
      rows.add(row(e));
    }
    return new HelperReport(rows);
  }

  /** The rows, in the network's layer order. */
  public List<Row> rows() {
    return rows;
  }

  /** The row of the named layer. */
  public Row row(String name) {
    return rows.stream()
        .filter(r -> r.name().equals(name))
        .findFirst()
        .orElseThrow(() -> new IllegalArgumentException("No layer named " + name + " in "
            + rows.stream().map(Row::name).collect(Collectors.joining(", "))));
  }

  /** The rows whose layer type has a helper path that is not taken (the silent fallbacks). */
  public List<Row> fallbacks() {
    return rows.stream()
        .filter(r -> r.path() == Path.HELPER_OFF || r.path() == Path.HELPER_DECLINES)
        .toList();
  }

  @Override
  public String toString() {
    int nameWidth = Math.max(5, rows.stream().mapToInt(r -> r.name().length()).max().orElse(5));
    int typeWidth = Math.max(4, rows.stream()
        .mapToInt(r -> (r.wrappers().isEmpty() ? r.type() : r.wrappers() + "(" + r.type() + ")")
            .length())
        .max().orElse(4));
    String format = "%-" + nameWidth + "s  %-" + typeWidth + "s  %-15s  %s%n";
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, format, "layer", "type", "path", "detail"));
    for (Row r : rows) {
      String type = r.wrappers().isEmpty() ? r.type() : r.wrappers() + "(" + r.type() + ")";
      sb.append(String.format(Locale.ROOT, format, r.name(), type, r.path(), r.detail()));
    }
    return sb.toString();
  }

  static List<Entry> entries(Model model) {
    Layer[] layers;
    if (model instanceof MultiLayerNetwork mln) {
      layers = mln.getLayers();
    } else if (model instanceof ComputationGraph cg) {
      layers = cg.getLayers();
    } else if (model instanceof Layer l) {
      layers = new Layer[] {l};
    } else {
      throw new IllegalArgumentException("Not a MultiLayerNetwork, ComputationGraph or Layer: "
          + (model == null ? "null" : model.getClass().getName()));
    }
    if (layers == null) {
      throw new IllegalStateException("The network has no layers yet: call init() first");
    }
    DataType dataType = model.params() == null ? DataType.FLOAT : model.params().dataType();
    List<Entry> out = new ArrayList<>();
    for (int i = 0; i < layers.length; i++) {
      String name = layers[i].conf() == null ? null : layers[i].conf().getLayer().getLayerName();
      name = name == null ? "layer" + i : name;
      List<String> wrappers = new ArrayList<>();
      Layer l = layers[i];
      while (true) {
        if (l instanceof SpectralNormLayer sn) {
          wrappers.add(sn.getSpectralNormConfig().isOperatorNorm() ? "SN[operator]" : "SN");
          l = sn.getInnerLayer();
        } else if (l instanceof BaseWrapperLayer w) {
          wrappers.add(w.getClass().getSimpleName());
          l = w.getUnderlying();
        } else if (l instanceof FrozenLayer f) {
          wrappers.add("Frozen");
          l = f.getInsideLayer();
        } else {
          break;
        }
      }
      out.add(new Entry(name, l, String.join("/", wrappers), dataType));
    }
    return out;
  }

  private static Row row(Entry e) {
    Layer l = e.layer();
    String type = l.getClass().getSimpleName();
    LayerHelper helper = l.getHelper();
    String nativeOps = nativeOps(l);
    if (nativeOps != null) {
      return new Row(e.name(), type, e.wrappers(), Path.NATIVE_OP, "libnd4j " + nativeOps
          + (NativeBuild.hasOneDnn() ? " (oneDNN kernels in this build)"
              : " (no oneDNN in this build)"));
    }
    if (!hasHelperPath(l)) {
      return new Row(e.name(), type, e.wrappers(), Path.NO_HELPER,
          "DL4J 1.0.0-M2.1 has no helper for " + type);
    }
    if (helper == null) {
      return new Row(e.name(), type, e.wrappers(), Path.HELPER_OFF, Acceleration.helpersEnabled()
          ? "no helper attached: the layer was created before Acceleration.enable(),"
              + " or DL4J's support check dropped it"
          : "DL4J's layer helpers are off (" + Acceleration.HELPERS_DISABLE_PROPERTY
              + " is not false): call Acceleration.enable() before creating the network");
    }
    String helperName = helper.getClass().getSimpleName();
    String counts = helper instanceof HelperProbe.Counting c ? ", served " + c.counts() : "";
    String forward = l instanceof SubsamplingLayer
        ? " (backward; DL4J runs the forward pass as libnd4j pooling ops)" : "";
    int failures = helperFailures(l);
    if (failures > 0) {
      return new Row(e.name(), type, e.wrappers(), Path.HELPER_DECLINES,
          helperName + " failed " + failures + " time(s); DL4J fell back to its built-in path"
              + counts);
    }
    boolean oneDnn = isOneDnn(helper);
    if (oneDnn && dilated(l)) {
      return new Row(e.name(), type, e.wrappers(), Path.HELPER_DECLINES, helperName
          + ": libnd4j M2.1's oneDNN conv2d rejects dilation > 1 (\"could not create a descriptor"
          + " for a dilated convolution\"); DL4J logs it once and runs its built-in path" + counts);
    }
    boolean floatOnly =
        helper instanceof MKLDNNConvHelper || helper instanceof MKLDNNBatchNormHelper;
    if (floatOnly && e.dataType() != DataType.FLOAT) {
      return new Row(e.name(), type, e.wrappers(), Path.HELPER_DECLINES,
          helperName + " serves FLOAT only; this network is " + e.dataType()
              + ", so DL4J's built-in path runs" + counts);
    }
    return new Row(e.name(), type, e.wrappers(), oneDnn ? Path.ONEDNN_HELPER : Path.OTHER_HELPER,
        helperName + forward + counts);
  }

  /** Whether DL4J M2.1's implementation of this layer calls its helper at all. */
  static boolean hasHelperPath(Layer l) {
    Class<?> c = l.getClass();
    // Depthwise, separable and 3-D convolutions extend ConvolutionLayer but never call the helper;
    // Convolution1DLayer calls libnd4j's conv1d ops instead (see nativeOps).
    return c == ConvolutionLayer.class || c == SubsamplingLayer.class
        || c == Subsampling1DLayer.class || c == BatchNormalization.class
        || c == LocalResponseNormalization.class;
  }

  /** The libnd4j ops DL4J M2.1 calls directly for this layer type, or null. */
  private static String nativeOps(Layer l) {
    if (l instanceof Deconvolution2DLayer) {
      return "deconv2d / deconv2d_bp ops";
    }
    if (l.getClass() == Convolution1DLayer.class) {
      return "conv1d / conv1d_bp ops";
    }
    return null;
  }

  private static boolean dilated(Layer l) {
    if (l instanceof ConvolutionLayer
        && l.conf().getLayer() instanceof org.deeplearning4j.nn.conf.layers.ConvolutionLayer c) {
      for (int d : c.getDilation()) {
        if (d > 1) {
          return true;
        }
      }
    }
    return false;
  }

  static boolean isOneDnn(LayerHelper helper) {
    return helper instanceof MKLDNNConvHelper || helper instanceof MKLDNNSubsamplingHelper
        || helper instanceof MKLDNNBatchNormHelper
        || helper instanceof MKLDNNLocalResponseNormalizationHelper;
  }

  private static int helperFailures(Layer l) {
    Field f = layerField(l, "helperCountFail");
    try {
      return f == null ? 0 : f.getInt(l);
    } catch (IllegalAccessException e) {
      return 0;
    }
  }

  /** The field DL4J's layer class or one of its superclasses declares, made accessible, or null. */
  static Field layerField(Layer l, String name) {
    for (Class<?> c = l.getClass(); c != null; c = c.getSuperclass()) {
      try {
        Field f = c.getDeclaredField(name);
        f.setAccessible(true);
        return f;
      } catch (NoSuchFieldException e) {
        // look in the superclass
      }
    }
    return null;
  }
}
