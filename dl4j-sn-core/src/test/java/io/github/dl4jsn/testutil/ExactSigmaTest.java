package io.github.dl4jsn.testutil;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The SVD oracle itself, against PyTorch's torch.linalg.svdvals in the reference cases. */
class ExactSigmaTest {

  static java.util.stream.Stream<ReferenceCases.Case> cases() {
    return ReferenceCases.all().stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void jacobiSvdMatchesPyTorchSvdvals(ReferenceCases.Case c) {
    INDArray m = c.torchMatrix();
    assertThat(ExactSigma.of(m)).isCloseTo(c.sigmaExact(), within(c.sigmaExact() * 1e-12));
  }
}
