package io.github.dl4jsn.accel;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.LayerHelper;
import org.deeplearning4j.nn.layers.mkldnn.MKLDNNBatchNormHelper;
import org.deeplearning4j.nn.layers.mkldnn.MKLDNNConvHelper;
import org.deeplearning4j.nn.layers.mkldnn.MKLDNNLocalResponseNormalizationHelper;
import org.deeplearning4j.nn.layers.mkldnn.MKLDNNSubsamplingHelper;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Counts, per layer, how often DL4J's oneDNN helper really computed a forward or backward pass,
 * and how often it declined (returned null or threw) so that DL4J's built-in path ran instead.
 *
 * <p>A helper object on a layer is not proof that it runs: DL4J's oneDNN helpers return null for
 * anything but FLOAT, and the layer then silently takes its Java path. {@link #install} replaces
 * each oneDNN helper of a network with a counting subclass of the same helper (so DL4J's own
 * {@code instanceof MKLDNNConvHelper} checks still hold); {@link HelperReport#of} shows the counts.
 */
public final class HelperProbe {

  private HelperProbe() {}

  /** Calls that the helper served, and calls it handed back to DL4J's built-in path. */
  public static final class Counts {
    final AtomicLong forward = new AtomicLong();
    final AtomicLong forwardDeclined = new AtomicLong();
    final AtomicLong backward = new AtomicLong();
    final AtomicLong backwardDeclined = new AtomicLong();

    public long forward() {
      return forward.get();
    }

    public long forwardDeclined() {
      return forwardDeclined.get();
    }

    public long backward() {
      return backward.get();
    }

    public long backwardDeclined() {
      return backwardDeclined.get();
    }

    /** Whether every call so far went through the helper, and there was at least one. */
    public boolean allThroughHelper() {
      return forward() + backward() > 0 && forwardDeclined() == 0 && backwardDeclined() == 0;
    }

    @Override
    public String toString() {
      return String.format("fwd %d/%d bwd %d/%d", forward(), forward() + forwardDeclined(),
          backward(), backward() + backwardDeclined());
    }

    <T> T forward(Supplier<T> call) {
      return count(call, forward, forwardDeclined);
    }

    <T> T backward(Supplier<T> call) {
      return count(call, backward, backwardDeclined);
    }

    private static <T> T count(Supplier<T> call, AtomicLong served, AtomicLong declined) {
      T result;
      try {
        result = call.get();
      } catch (RuntimeException e) {
        declined.incrementAndGet();
        throw e;
      }
      (result == null ? declined : served).incrementAndGet();
      return result;
    }
  }

  /** A helper that counts its calls. */
  public interface Counting {
    Counts counts();
  }

  /**
   * Replaces every oneDNN helper in the model (inside spectral-normalization and other wrappers
   * too) by a counting one, and returns how many it replaced. Helpers already counting are kept.
   */
  public static int install(Model model) {
    int replaced = 0;
    for (HelperReport.Entry e : HelperReport.entries(model)) {
      LayerHelper helper = e.layer().getHelper();
      if (helper == null || helper instanceof Counting || !HelperReport.hasHelperPath(e.layer())) {
        continue;
      }
      LayerHelper counting = countingFor(helper, e.dataType());
      if (counting != null) {
        setHelper(e.layer(), counting);
        replaced++;
      }
    }
    return replaced;
  }

  /** The counts of each probed layer, in the report's layer order. */
  public static List<Counts> counts(Model model) {
    List<Counts> out = new ArrayList<>();
    for (HelperReport.Entry e : HelperReport.entries(model)) {
      if (e.layer().getHelper() instanceof Counting c) {
        out.add(c.counts());
      }
    }
    return out;
  }

  private static LayerHelper countingFor(LayerHelper helper, DataType dataType) {
    Class<?> c = helper.getClass();
    if (c == MKLDNNConvHelper.class) {
      return new CountingConvHelper(dataType);
    }
    if (c == MKLDNNSubsamplingHelper.class) {
      return new CountingSubsamplingHelper(dataType);
    }
    if (c == MKLDNNBatchNormHelper.class) {
      return new CountingBatchNormHelper(dataType);
    }
    if (c == MKLDNNLocalResponseNormalizationHelper.class) {
      return new CountingLrnHelper(dataType);
    }
    return null;
  }

  private static void setHelper(Layer layer, LayerHelper helper) {
    Field f = HelperReport.layerField(layer, "helper");
    if (f == null) {
      throw new IllegalStateException("No helper field in " + layer.getClass().getName());
    }
    try {
      f.set(layer, helper);
    } catch (IllegalAccessException e) {
      throw new IllegalStateException("Cannot set the helper of " + layer.getClass(), e);
    }
  }

  /** DL4J's oneDNN convolution helper, counting. */
  static final class CountingConvHelper extends MKLDNNConvHelper implements Counting {
    private final Counts counts = new Counts();

    CountingConvHelper(DataType dataType) {
      super(dataType);
    }

    @Override
    public Counts counts() {
      return counts;
    }

    @Override
    public INDArray preOutput(INDArray input, INDArray weights, INDArray bias, int[] kernel,
        int[] strides, int[] pad, ConvolutionLayer.AlgoMode mode, ConvolutionLayer.FwdAlgo algo,
        ConvolutionMode convolutionMode, int[] dilation, CNN2DFormat format,
        LayerWorkspaceMgr mgr) {
      return counts.forward(() -> super.preOutput(input, weights, bias, kernel, strides, pad,
          mode, algo, convolutionMode, dilation, format, mgr));
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray input, INDArray weights,
        INDArray bias, INDArray delta, int[] kernel, int[] strides, int[] pad, INDArray biasGrad,
        INDArray weightGrad, IActivation afn, ConvolutionLayer.AlgoMode mode,
        ConvolutionLayer.BwdFilterAlgo filterAlgo, ConvolutionLayer.BwdDataAlgo dataAlgo,
        ConvolutionMode convolutionMode, int[] dilation, CNN2DFormat format,
        LayerWorkspaceMgr mgr) {
      return counts.backward(() -> super.backpropGradient(input, weights, bias, delta, kernel,
          strides, pad, biasGrad, weightGrad, afn, mode, filterAlgo, dataAlgo, convolutionMode,
          dilation, format, mgr));
    }
  }

  /** DL4J's oneDNN pooling helper, counting. */
  static final class CountingSubsamplingHelper extends MKLDNNSubsamplingHelper
      implements Counting {
    private final Counts counts = new Counts();

    CountingSubsamplingHelper(DataType dataType) {
      super(dataType);
    }

    @Override
    public Counts counts() {
      return counts;
    }

    @Override
    public INDArray activate(INDArray input, boolean training, int[] kernel, int[] strides,
        int[] pad, PoolingType poolingType, ConvolutionMode convolutionMode, int[] dilation,
        CNN2DFormat format, LayerWorkspaceMgr mgr) {
      return counts.forward(() -> super.activate(input, training, kernel, strides, pad,
          poolingType, convolutionMode, dilation, format, mgr));
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray input, INDArray epsilon,
        int[] kernel, int[] strides, int[] pad, PoolingType poolingType,
        ConvolutionMode convolutionMode, int[] dilation, CNN2DFormat format,
        LayerWorkspaceMgr mgr) {
      return counts.backward(() -> super.backpropGradient(input, epsilon, kernel, strides, pad,
          poolingType, convolutionMode, dilation, format, mgr));
    }
  }

  /** DL4J's oneDNN batch-normalization helper, counting. */
  static final class CountingBatchNormHelper extends MKLDNNBatchNormHelper implements Counting {
    private final Counts counts = new Counts();

    CountingBatchNormHelper(DataType dataType) {
      super(dataType);
    }

    @Override
    public Counts counts() {
      return counts;
    }

    @Override
    public INDArray preOutput(INDArray x, boolean training, long[] shape, INDArray gamma,
        INDArray beta, INDArray mean, INDArray var, double decay, double eps, CNN2DFormat format,
        LayerWorkspaceMgr mgr) {
      return counts.forward(() -> super.preOutput(x, training, shape, gamma, beta, mean, var,
          decay, eps, format, mgr));
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray input, INDArray epsilon,
        long[] shape, INDArray gamma, INDArray beta, INDArray dGammaView, INDArray dBetaView,
        double eps, CNN2DFormat format, LayerWorkspaceMgr mgr) {
      return counts.backward(() -> super.backpropGradient(input, epsilon, shape, gamma, beta,
          dGammaView, dBetaView, eps, format, mgr));
    }
  }

  /** DL4J's oneDNN local-response-normalization helper, counting. */
  static final class CountingLrnHelper extends MKLDNNLocalResponseNormalizationHelper
      implements Counting {
    private final Counts counts = new Counts();

    CountingLrnHelper(DataType dataType) {
      super(dataType);
    }

    @Override
    public Counts counts() {
      return counts;
    }

    @Override
    public INDArray activate(INDArray x, boolean training, double k, double n, double alpha,
        double beta, LayerWorkspaceMgr mgr) {
      return counts.forward(() -> super.activate(x, training, k, n, alpha, beta, mgr));
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray input, INDArray epsilon, double k,
        double n, double alpha, double beta, LayerWorkspaceMgr mgr) {
      return counts.backward(() -> super.backpropGradient(input, epsilon, k, n, alpha, beta,
          mgr));
    }
  }
}
