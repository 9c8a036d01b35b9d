package io.github.dl4jsn.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.github.dl4jsn.SpectralNorm;
import io.github.dl4jsn.math.SpectralNormCore;
import io.github.dl4jsn.testutil.Nets;
import io.github.dl4jsn.testutil.ReferenceCases;
import io.github.dl4jsn.testutil.ReferenceCases.Case;
import io.github.dl4jsn.testutil.ReferenceCases.Result;
import java.util.stream.Stream;
import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.NoOp;

/**
 * The GPU parity suite: the core's correctness checks on ND4J's CUDA backend. It runs only where
 * that backend can run (build with {@code -Pcuda} on a GPU of compute capability 3.7 to 8.9); on
 * any other machine every test is skipped, and the reason is printed.
 *
 * <p>CPU-vs-GPU parity goes through the PyTorch reference cases, which the CPU backend matches to
 * 1e-10 in DOUBLE (dl4j-sn-core's tests): here the GPU must match them to 1e-10 in DOUBLE and to
 * FLOAT rounding (relative 1e-4) in FLOAT, for u, v, sigma, W_SN and dL/dW.
 */
class CudaParityTest {

  @BeforeAll
  static void requireGpu() {
    GpuEnvironment env = GpuEnvironment.current();
    String reason = "GPU parity suite skipped: " + env.summary() + ". "
        + String.join(" ", env.check());
    System.out.println(env.isUsableGpu() ? env.describe() : reason);
    Assumptions.assumeTrue(env.isUsableGpu(), reason);
  }

  static Stream<Arguments> casesAndTypes() {
    return ReferenceCases.all().stream().flatMap(c -> Stream.of(
        Arguments.of(c, DataType.DOUBLE, 1e-10), Arguments.of(c, DataType.FLOAT, 1e-4)));
  }

  @ParameterizedTest(name = "{0} in {1}")
  @MethodSource("casesAndTypes")
  void trainingStepMatchesPyTorchOnTheGpu(Case c, DataType type, double tol) {
    INDArray weight = c.toDl4j(c.tensor("W")).castTo(type);
    SpectralNormCore core = new SpectralNormCore(c.layout(), weight.shape(), weight.ordering(),
        type, c.eps(), 1.0, false);
    core.bind(c.tensor("u0").castTo(type).dup(), c.tensor("v0").castTo(type).dup());
    core.powerIterate(weight, 5);
    INDArray weightSn = core.normalize(weight, true);
    INDArray gradient = c.toDl4j(c.tensor("G")).castTo(type);
    core.correctGradient(gradient);
    Result r = c.after(5);
    assertClose("u", core.u(), r.tensor("u_after"), tol);
    assertClose("v", core.v(), r.tensor("v_after"), tol);
    assertThat(core.sigma().getDouble()).isCloseTo(r.sigma(), within(Math.abs(r.sigma()) * tol));
    assertClose("W_sn", weightSn, c.toDl4j(r.tensor("W_sn")), tol);
    assertClose("dL/dW", gradient, c.toDl4j(r.tensor("grad_W")), tol);
  }

  @Test
  void gradientCheckPassesOnTheGpu() {
    Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
    MultiLayerNetwork net = new MultiLayerNetwork(Nets.mlp(Nets.SN, DataType.DOUBLE,
        new NoOp()));
    net.init();
    DataSet data = Nets.clusters(6, 1, DataType.DOUBLE);
    boolean ok = GradientCheckUtil.checkGradients(new GradientCheckUtil.MLNConfig()
        .net(net).input(data.getFeatures()).labels(data.getLabels())
        .epsilon(1e-6).maxRelError(1e-5).minAbsoluteError(1e-10)
        .print(GradientCheckUtil.PrintMode.FAILURES_ONLY)
        .excludeParams(java.util.Set.of("0_uW", "0_vW", "1_uW", "1_vW", "2_uW", "2_vW")));
    assertThat(ok).isTrue();
  }

  @Test
  void sigmaOfEveryNormalizedWeightIsAboutOneAfterTrainingOnTheGpu() {
    MultiLayerNetwork net = new MultiLayerNetwork(Nets.mlp(Nets.SN, DataType.FLOAT,
        new Adam(1e-3)));
    net.init();
    DataSet data = Nets.clusters(128, 2, DataType.FLOAT);
    for (int i = 0; i < 100; i++) {
      net.fit(data);
    }
    for (double s : SpectralNorm.exactSigmas(net).values()) {
      assertThat(s).isBetween(0.8, 1.25);
    }
  }

  static void assertClose(String what, INDArray actual, INDArray expected, double tol) {
    INDArray a = actual.castTo(DataType.DOUBLE).reshape(actual.length());
    INDArray e = expected.castTo(DataType.DOUBLE).reshape(expected.length());
    double scale = Math.max(e.amaxNumber().doubleValue(), 1e-300);
    assertThat(a.sub(e).amaxNumber().doubleValue() / scale).as(what).isLessThanOrEqualTo(tol);
  }
}
