package io.github.dl4jsn.math;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.github.dl4jsn.testutil.ExactSigma;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The numerical guards: collapse after zero or tiny weights heals at the next iteration. */
class SpectralNormCoreGuardsTest {

  static Stream<Arguments> typesAndCores() {
    return Stream.of(DataType.FLOAT, DataType.DOUBLE)
        .flatMap(t -> Stream.of(Arguments.of(t, false), Arguments.of(t, true)));
  }

  /** The all-ops core, or the one {@link SpectralNormCore#create} picks (host scalars on CPU). */
  static SpectralNormCore core(long[] shape, DataType type, boolean host) {
    SpectralNormCore core = host
        ? SpectralNormCore.create(WeightLayout.DENSE, shape, 'f', type, 1e-12, 1.0, false)
        : new SpectralNormCore(WeightLayout.DENSE, shape, 'f', type, 1e-12, 1.0, false);
    assertThat(core instanceof CpuSpectralNormCore).isEqualTo(host);
    return core;
  }

  @ParameterizedTest(name = "{0}, host scalars {1}")
  @MethodSource("typesAndCores")
  void allZeroWeightsGiveZeroWeightSnAndRecoverWhenTheWeightsGrow(DataType type, boolean host) {
    Nd4j.getRandom().setSeed(1);
    INDArray w = Nd4j.zeros(type, 12, 7).dup('f');
    SpectralNormCore core = core(w.shape(), type, host);
    core.bind(Nd4j.randn(type, 7), Nd4j.randn(type, 12));
    core.normalizeVectors();
    core.renormalizeU();
    core.powerIterate(w, 1);
    INDArray weightSn = core.normalize(w, true);
    assertThat(core.u().sumNumber().doubleValue()).as("u collapses to zero").isZero();
    assertThat(weightSn.amaxNumber().doubleValue()).isZero();
    assertThat(core.divisor().getDouble()).isEqualTo(SpectralNormCore.sigmaFloor(type), within(0.0));

    INDArray grown = Nd4j.randn(type, 12, 7).dup('f');
    for (int i = 0; i < 60; i++) {
      core.renormalizeU();
      core.powerIterate(grown, 1);
    }
    core.normalize(grown, true);
    double exact = ExactSigma.of(grown);
    assertThat(core.sigma().getDouble()).isCloseTo(exact, within(1e-3 * exact));
  }

  @ParameterizedTest(name = "{0}, host scalars {1}")
  @MethodSource("typesAndCores")
  void shortVectorsLeftByTinyWeightsAreRestoredAtTheNextIteration(DataType type, boolean host) {
    Nd4j.getRandom().setSeed(2);
    INDArray tiny = Nd4j.randn(type, 9, 5).muli(1e-20).dup('f');
    SpectralNormCore core = core(tiny.shape(), type, host);
    core.bind(Nd4j.randn(type, 5), Nd4j.randn(type, 9));
    core.normalizeVectors();
    core.renormalizeU();
    core.powerIterate(tiny, 1);
    assertThat(core.u().norm2Number().doubleValue()).as("PyTorch's eps clamp").isLessThan(1e-6);

    INDArray normal = Nd4j.randn(type, 9, 5).dup('f');
    // Inference right after: sigma from the short vectors, divided by their lengths, is finite.
    INDArray inferred = core.normalize(normal, false, true);
    assertThat(Double.isFinite(inferred.amaxNumber().doubleValue())).isTrue();
    assertThat(Math.abs(core.sigma().getDouble())).isLessThanOrEqualTo(ExactSigma.of(normal) * 1.0001);

    core.renormalizeU();
    assertThat(core.u().norm2Number().doubleValue()).isCloseTo(1.0, within(1e-6));
  }
}
