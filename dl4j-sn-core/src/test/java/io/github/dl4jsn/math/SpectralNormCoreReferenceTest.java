package io.github.dl4jsn.math;

import static io.github.dl4jsn.testutil.Arrays2.assertClose;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.github.dl4jsn.testutil.ReferenceCases;
import io.github.dl4jsn.testutil.ReferenceCases.Case;
import io.github.dl4jsn.testutil.ReferenceCases.Result;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The maths core against PyTorch's spectral_norm, case by case, in DOUBLE. */
class SpectralNormCoreReferenceTest {

  static final double TOL = 1e-10;

  @BeforeAll
  static void doublePrecision() {
    Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
  }

  /** Each case runs on both cores: the all-ops one (any backend) and the CPU one (host scalars). */
  static Stream<Arguments> casesAndIterations() {
    return ReferenceCases.all().stream()
        .flatMap(c -> Stream.of(1, 5).flatMap(n -> Stream.of(
            Arguments.of(c, n, false), Arguments.of(c, n, true))));
  }

  static Stream<Arguments> cases() {
    return ReferenceCases.all().stream()
        .flatMap(c -> Stream.of(Arguments.of(c, false), Arguments.of(c, true)));
  }

  @ParameterizedTest(name = "{0}, n={1}, host scalars {2}")
  @MethodSource("casesAndIterations")
  void trainingStepMatchesPyTorchForUVSigmaWeightAndGradient(Case c, int n, boolean host) {
    INDArray weight = c.toDl4j(c.tensor("W"));
    SpectralNormCore core = coreFor(c, c.layout(), weight, host);
    core.powerIterate(weight, n);
    INDArray weightSn = core.normalize(weight, true);
    INDArray gradient = c.toDl4j(c.tensor("G"));
    core.correctGradient(gradient);

    Result r = c.after(n);
    assertClose("u", core.u(), r.tensor("u_after"), TOL);
    assertClose("v", core.v(), r.tensor("v_after"), TOL);
    assertThat(core.sigma().getDouble()).isCloseTo(r.sigma(), within(Math.abs(r.sigma()) * TOL));
    assertClose("W_sn", weightSn, c.toDl4j(r.tensor("W_sn")), TOL);
    assertClose("dL/dW", gradient, c.toDl4j(r.tensor("grad_W")), TOL);
  }

  @ParameterizedTest(name = "{0}, host scalars {1}")
  @MethodSource("cases")
  void evalFromInitialVectorsMatchesPyTorchIncludingNegativeSigma(Case c, boolean host) {
    INDArray weight = c.toDl4j(c.tensor("W"));
    SpectralNormCore core = coreFor(c, c.layout(), weight, host);
    INDArray weightSn = core.normalize(weight, false);
    INDArray gradient = c.toDl4j(c.tensor("G"));
    core.correctGradient(gradient);

    Result r = c.evalInitial();
    assertClose("u unchanged", core.u(), c.tensor("u0"), 0);
    assertThat(core.sigma().getDouble()).isCloseTo(r.sigma(), within(Math.abs(r.sigma()) * TOL));
    assertClose("W_sn", weightSn, c.toDl4j(r.tensor("W_sn")), TOL);
    assertClose("dL/dW", gradient, c.toDl4j(r.tensor("grad_W")), TOL);
  }

  @ParameterizedTest(name = "{0}, host scalars {1}")
  @MethodSource("cases")
  void linearCasesDoubleAsEmbeddingCasesWithMEqualToW(Case c, boolean host) {
    if (!c.module().equals("linear")) {
      return;
    }
    // PyTorch's Embedding [num, dim] normalizes M = W; DL4J's EmbeddingLayer W is [nIn, nOut].
    INDArray weight = c.tensor("W").dup('f');
    SpectralNormCore core = coreFor(c, WeightLayout.EMBEDDING, weight, host);
    core.powerIterate(weight, 5);
    INDArray weightSn = core.normalize(weight, true);
    INDArray gradient = c.tensor("G").dup('f');
    core.correctGradient(gradient);
    Result r = c.after(5);
    assertClose("u", core.u(), r.tensor("u_after"), TOL);
    assertClose("W_sn", weightSn, r.tensor("W_sn"), TOL);
    assertClose("dL/dW", gradient, r.tensor("grad_W"), TOL);
  }

  @ParameterizedTest(name = "{0}, host scalars {1}")
  @MethodSource("cases")
  void depthwiseCasesDoubleAsSeparableConvolutionDepthwiseWeights(Case c, boolean host) {
    if (!c.module().equals("depthwise_conv2d")) {
      return;
    }
    // SeparableConvolution2D holds the same kernel as [m, C, kH, kW]; M is the same matrix.
    INDArray weight = c.toDl4jSeparableDepthwise(c.tensor("W"));
    SpectralNormCore core = coreFor(c, WeightLayout.SEPARABLE_DEPTHWISE, weight, host);
    core.powerIterate(weight, 5);
    INDArray weightSn = core.normalize(weight, true);
    INDArray gradient = c.toDl4jSeparableDepthwise(c.tensor("G"));
    core.correctGradient(gradient);
    Result r = c.after(5);
    assertClose("u", core.u(), r.tensor("u_after"), TOL);
    assertClose("v", core.v(), r.tensor("v_after"), TOL);
    assertClose("W_sn", weightSn, c.toDl4jSeparableDepthwise(r.tensor("W_sn")), TOL);
    assertClose("dL/dW", gradient, c.toDl4jSeparableDepthwise(r.tensor("grad_W")), TOL);
  }

  @ParameterizedTest(name = "{0}, host scalars {1}")
  @MethodSource("cases")
  void gradientIsOrthogonalToTheWeight(Case c, boolean host) {
    INDArray weight = c.toDl4j(c.tensor("W"));
    SpectralNormCore core = coreFor(c, c.layout(), weight, host);
    core.powerIterate(weight, 5);
    core.normalize(weight, true);
    INDArray gradient = c.toDl4j(c.tensor("G"));
    core.correctGradient(gradient);
    // W_sn is invariant to scaling W, so dL/dW is orthogonal to W: <dL/dW, W> = 0.
    double dot = gradient.mul(weight).sumNumber().doubleValue();
    double scale = gradient.norm2Number().doubleValue() * weight.norm2Number().doubleValue();
    assertThat(Math.abs(dot) / scale).isLessThan(1e-12);
  }

  static SpectralNormCore coreFor(Case c, WeightLayout layout, INDArray weight, boolean host) {
    SpectralNormCore core = host
        ? SpectralNormCore.create(
            layout, weight.shape(), weight.ordering(), DataType.DOUBLE, c.eps(), 1.0, false)
        : new SpectralNormCore(
            layout, weight.shape(), weight.ordering(), DataType.DOUBLE, c.eps(), 1.0, false);
    assertThat(core instanceof CpuSpectralNormCore).as("host-scalar core on CPU").isEqualTo(host);
    core.bind(c.tensor("u0").dup(), c.tensor("v0").dup());
    return core;
  }
}
