package io.github.dl4jsn.math;

import java.util.Arrays;
import java.util.Collections;
import java.util.function.Supplier;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Spectral normalization by the operator norm of a convolution: the largest singular value of the
 * linear map {@code x -> conv(x)} on the layer's input feature map (Gouk et al. 2021,
 * arXiv:1804.04368; Farnia et al., ICLR 2019, arXiv:1811.07457), not of the reshaped kernel.
 *
 * <p>u has the shape of one output feature map, v of one input feature map. One power iteration
 * is {@code v = normalize(conv^T(u)); u = normalize(conv(v))}; {@code sigma = <u, conv(v)>}. The
 * gradient goes through sigma with u and v constant: {@code dsigma/dK} is the weight gradient of
 * the convolution with input v and upstream gradient u, so
 *
 * <pre>
 *   dL/dW = (G - gate * &lt;G, W_SN&gt; * dsigma/dK / c) / s
 * </pre>
 *
 * with s, c, the gate, the sigma floor and clip-only exactly as in {@link SpectralNormCore}.
 *
 * <p>conv and conv<sup>T</sup> are DL4J's own: a private copy of the layer (same kernel, stride,
 * padding, dilation, convolution mode and data format; no bias, identity activation, no dropout)
 * runs its forward pass and its backprop, reading the live weight array. So the operator
 * normalized is exactly the one the layer applies, for ConvolutionLayer, Convolution1DLayer and
 * Deconvolution2D alike.
 *
 * <p>The operator norm depends on the input size: {@link #checkInput} rejects an input whose
 * feature-map shape differs from the declared one.
 */
public final class ConvOperatorNormCore implements NormEstimator {

  private final Layer probe;
  private final long[] weightShape;
  /** The probe's weight is the layer's weight permuted by this (null: the same layout). */
  private final int[] probePermutation;
  /** The inverse of {@link #probePermutation}, and the probe's weight shape. */
  private final int[] inversePermutation;
  private final long[] probeWeightShape;
  private final long[] inputShape;
  private final long[] outputShape;
  private final double eps;
  private final double tiny;
  private final double floor;
  private final double coefficient;
  private final boolean clipOnly;
  private final LayerWorkspaceMgr mgr = LayerWorkspaceMgr.noWorkspaces();
  /**
   * Whether the probe runs on a batch of two, the feature map and zeros: libnd4j M2.1's
   * depthwise_conv2d fails ("MmulHelper::dot: Z array must be scalar") on a batch of one when
   * there is one input channel, a depth multiplier of 1 and a 1x1 output.
   */
  private final boolean twoMaps;

  private INDArray u;
  private INDArray v;
  private final INDArray convV;
  private final INDArray weightSn;
  private final INDArray sigma;
  private double divisor = 1;
  /** The copy's weight gradient from the last {@link #adjoint} (a view of its gradient array). */
  private INDArray lastWeightGradient;
  private boolean gateOpen = true;

  /**
   * @param conv the convolution whose operator is normalized (ConvolutionLayer,
   *     Convolution1DLayer, Deconvolution2D, DepthwiseConvolution2D, Convolution3D,
   *     Deconvolution3D; for SeparableConvolution2D, the DepthwiseConvolution2D of its depthwise
   *     step), nIn and nOut set
   * @param conf a network-level configuration to instantiate the private copy with
   * @param weightShape the weight parameter's shape
   * @param inputShape one input feature map with a batch dimension of 1, in the layer's format
   * @param outputShape one output feature map with a batch dimension of 1
   * @param probePermutation how the weight maps to {@code conv}'s weight, {@code
   *     weight.permute(probePermutation)}; null where it is conv's own weight
   * @param output where to write W_SN (a buffer of the weight's shape and order), or null
   */
  public ConvOperatorNormCore(
      ConvolutionLayer conv,
      NeuralNetConfiguration conf,
      long[] weightShape,
      int[] probePermutation,
      char order,
      long[] inputShape,
      long[] outputShape,
      DataType dataType,
      double eps,
      double coefficient,
      boolean clipOnly,
      INDArray output) {
    this.weightShape = weightShape.clone();
    this.probePermutation = probePermutation == null ? null : probePermutation.clone();
    this.inversePermutation = probePermutation == null ? null : new int[probePermutation.length];
    this.probeWeightShape = weightShape.clone();
    if (probePermutation != null) {
      for (int i = 0; i < probePermutation.length; i++) {
        inversePermutation[probePermutation[i]] = i;
        probeWeightShape[i] = weightShape[probePermutation[i]];
      }
    }
    this.inputShape = inputShape.clone();
    this.outputShape = outputShape.clone();
    this.tiny = SpectralNormCore.smallestNormal(dataType);
    this.eps = Math.max(eps, tiny);
    this.floor = SpectralNormCore.sigmaFloor(dataType);
    this.coefficient = coefficient;
    this.clipOnly = clipOnly;
    this.twoMaps = conv instanceof DepthwiseConvolution2D
        && conv.getNIn() * ((DepthwiseConvolution2D) conv).getDepthMultiplier() == 1;
    ConvolutionLayer copy = (ConvolutionLayer) conv.clone();
    copy.setHasBias(false);
    copy.setActivationFn(new ActivationIdentity());
    copy.setIDropout(null);
    copy.setWeightNoise(null);
    copy.setConstraints(null);
    NeuralNetConfiguration probeConf = conf.clone();
    probeConf.setLayer(copy);
    try (MemoryWorkspace ignored = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
      long n = copy.initializer().numParams(copy);
      probe = copy.instantiate(probeConf, Collections.emptyList(), 0,
          Nd4j.create(dataType, 1, n), false, dataType);
      probe.setBackpropGradientsViewArray(Nd4j.create(dataType, 1, n));
      convV = Nd4j.create(dataType, this.outputShape, 'c');
      weightSn = output != null ? output : Nd4j.create(dataType, this.weightShape, order);
      sigma = Nd4j.scalar(DataType.DOUBLE, 0.0);
    }
  }

  @Override
  public void bind(INDArray uVector, INDArray vVector) {
    if (uVector.length() != length(outputShape) || vVector.length() != length(inputShape)) {
      throw new IllegalArgumentException("u and v must have lengths " + length(outputShape)
          + " and " + length(inputShape) + ", got " + uVector.length() + " and "
          + vVector.length());
    }
    this.u = uVector.reshape('c', outputShape);
    this.v = vVector.reshape('c', inputShape);
  }

  @Override
  public void normalizeVectors() {
    normalizeInto(u, u, eps);
    normalizeInto(v, v, eps);
  }

  @Override
  public void renormalizeU() {
    u.addi(tiny);
    normalizeInto(u, u, tiny);
  }

  @Override
  public void powerIterate(INDArray weight, int n) {
    try (MemoryWorkspace ignored = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
      useWeight(weight);
      for (int i = 0; i < n; i++) {
        normalizeInto(adjoint(v, u), v, eps);
        convV.assign(conv(v));
        normalizeInto(convV, u, eps);
      }
    }
  }

  /**
   * Tolerance mode with one vector: power iterations until {@code <u, conv(v)>} changes by at
   * most {@code tolerance} of itself (the first compared with the estimate before iterating).
   */
  @Override
  public int powerIterateToTolerance(INDArray weight, int min, int max, double tolerance) {
    try (MemoryWorkspace ignored = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
      useWeight(weight);
      convV.assign(conv(v));
      double previous = dot(u, convV);
      int i = 0;
      while (i < max) {
        normalizeInto(adjoint(v, u), v, eps);
        convV.assign(conv(v));
        normalizeInto(convV, u, eps);
        i++;
        double current = dot(u, convV);
        if (i >= min && Math.abs(current - previous) <= tolerance * Math.abs(current)) {
          break;
        }
        previous = current;
      }
      return i;
    }
  }

  @Override
  public INDArray normalize(INDArray weight, boolean afterIteration, boolean inference) {
    try (MemoryWorkspace ignored = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
      if (!afterIteration) {
        useWeight(weight);
        convV.assign(conv(v));
      }
      double s = dot(u, convV);
      if (inference && !afterIteration) {
        s /= Math.max(norm(u) * norm(v), tiny);
      }
      sigma.assign(s);
      double d = Math.abs(s) <= floor ? floor : s;
      d /= coefficient;
      gateOpen = Math.abs(s) > floor && (!clipOnly || d > 1);
      if (clipOnly) {
        d = Math.max(1, d);
      }
      divisor = d;
      weightSn.assign(weight).divi(d);
      return weightSn;
    }
  }

  @Override
  public void correctGradient(INDArray gradient) {
    try (MemoryWorkspace ignored = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
      INDArray g = gradient;
      if (!Arrays.equals(g.shape(), weightSn.shape())) {
        g = gradient.reshape(weightSn.ordering(), weightSn.shape());
      }
      if (gateOpen) {
        double inner = g.mul(weightSn).sumNumber().doubleValue();
        adjoint(v, u); // leaves dsigma/dK, the weight gradient for input v and upstream u
        INDArray dSigma = lastWeightGradient.reshape('c', probeWeightShape);
        if (inversePermutation != null) {
          dSigma = dSigma.permute(inversePermutation);
        }
        g.subi(dSigma.mul(inner / coefficient));
      }
      g.divi(divisor);
    }
  }

  /** The operator-norm estimate u, in the shape of one output feature map. */
  public INDArray u() {
    return u;
  }

  /** v, in the shape of one input feature map. */
  public INDArray v() {
    return v;
  }

  @Override
  public INDArray sigma() {
    return sigma;
  }

  @Override
  public INDArray normalizedWeight() {
    return weightSn;
  }

  @Override
  public void checkInput(INDArray input, Supplier<String> where) {
    if (input == null) {
      return;
    }
    long[] expected = Arrays.copyOfRange(inputShape, 1, inputShape.length);
    long[] actual = Arrays.copyOfRange(input.shape(), 1, input.rank());
    if (!Arrays.equals(expected, actual)) {
      throw new IllegalArgumentException(where.get() + ": operator-norm spectral normalization was "
          + "set up for input feature maps of shape " + Arrays.toString(expected) + ", got "
          + Arrays.toString(actual) + " (input " + Arrays.toString(input.shape()) + "). The "
          + "operator norm of a convolution depends on the input size: declare the size the "
          + "layer sees, with setInputType or "
          + "SpectralNormalization.Builder.operatorNorm(InputType)");
    }
  }

  /** Points the private copy's weight at the live weight array (no copy). */
  private void useWeight(INDArray weight) {
    probe.paramTable().put("W", probePermutation == null ? weight : weight.permute(probePermutation));
  }

  /** conv(x) for one feature map (a fresh array, outside workspaces). */
  private INDArray conv(INDArray x) {
    if (twoMaps) {
      return first(probe.activate(withZeros(x), false, mgr));
    }
    return probe.activate(x, false, mgr);
  }

  /** A batch of two: x and zeros (x has a batch dimension of 1). */
  private static INDArray withZeros(INDArray x) {
    return Nd4j.concat(0, x, Nd4j.zerosLike(x));
  }

  /** The first map of a batch of two. */
  private static INDArray first(INDArray batch) {
    return batch.get(NDArrayIndex.interval(0, 1)).dup();
  }

  /**
   * The operator norm of the convolution with the given weight, by power iteration run to
   * convergence (relative change below {@code tol}, at most {@code maxIterations}) from the stored
   * vectors plus a small random perturbation; the stored vectors are not changed. For inspection:
   * it costs up to {@code maxIterations} forward and backward passes.
   */
  public double convergedOperatorNorm(INDArray weight, int maxIterations, double tol) {
    try (MemoryWorkspace ignored = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
      useWeight(weight);
      INDArray x = v.dup().addi(Nd4j.randn(v.dataType(), v.shape()).muli(1e-3 * norm(v) + tiny));
      normalizeInto(x, x, tiny);
      INDArray y = conv(x);
      double previous = norm(y);
      normalizeInto(y, y, tiny);
      for (int i = 0; i < maxIterations; i++) {
        normalizeInto(adjoint(x, y), x, tiny);
        y = conv(x);
        double current = norm(y);
        normalizeInto(y, y, tiny);
        if (Math.abs(current - previous) <= tol * current) {
          return current;
        }
        previous = current;
      }
      return previous;
    }
  }

  /**
   * conv^T(y) for an upstream gradient y of the output map's shape (a fresh array); also leaves in
   * {@link #lastWeightGradient} the weight gradient of the convolution with input x and upstream y.
   */
  private INDArray adjoint(INDArray x, INDArray y) {
    // With two maps the zero map adds nothing to the weight gradient.
    probe.setInput(twoMaps ? withZeros(x) : x, mgr);
    org.nd4j.common.primitives.Pair<org.deeplearning4j.nn.gradient.Gradient, INDArray> p =
        probe.backpropGradient(twoMaps ? withZeros(y) : y.dup(), mgr);
    lastWeightGradient = p.getFirst().getGradientFor("W");
    INDArray epsilon = twoMaps ? first(p.getSecond()) : p.getSecond();
    return epsilon.reshape('c', inputShape);
  }

  private static double dot(INDArray a, INDArray b) {
    return a.castTo(DataType.DOUBLE).mul(b.castTo(DataType.DOUBLE)).sumNumber().doubleValue();
  }

  private static double norm(INDArray a) {
    return a.castTo(DataType.DOUBLE).norm2Number().doubleValue();
  }

  private static void normalizeInto(INDArray x, INDArray out, double lowest) {
    double n = Math.max(norm(x), lowest);
    out.assign(x.div(n));
  }

  private static long length(long[] shape) {
    long n = 1;
    for (long s : shape) {
      n *= s;
    }
    return n;
  }
}
