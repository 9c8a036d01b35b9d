package io.github.dl4jsn.layers;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import io.github.dl4jsn.math.SpectralNormCore;
import io.github.dl4jsn.math.WeightLayout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The reshaped-kernel hot path reads no device value on the host. On ND4J's CUDA backend {@code
 * getDouble}, {@code getFloat}, any {@code *Number()}, {@code putScalar}, {@code toDoubleVector}
 * and friends copy device memory to the host and synchronize the stream; the maths core and the
 * layer implementations must not call them (sigma stays a 0-d array), nor BLAS level-1 calls that
 * return a scalar. A guard on the sources, not a GPU profile: no GPU was available to profile a
 * step. {@code CpuSpectralNormCore}, which keeps scalars on the host, is exempt: {@link
 * SpectralNormCore#create} picks it only on the CPU backend (checked below).
 */
class HostReadsTest {

  static final Pattern HOST_READ = Pattern.compile(
      "\\.(getDouble|getFloat|getInt|getLong|putScalar|toDoubleVector|toFloatVector"
          + "|toDoubleMatrix|toFloatMatrix|\\w+Number|level1)\\(");

  static Stream<String> hotPathSources() {
    return Stream.of(
        "src/main/java/io/github/dl4jsn/math/SpectralNormCore.java",
        "src/main/java/io/github/dl4jsn/layers/SpectralNormLayer.java",
        "src/main/java/io/github/dl4jsn/layers/SpectralNormOutputLayer.java",
        "src/main/java/io/github/dl4jsn/layers/SpectralNormRecurrentLayer.java");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("hotPathSources")
  void hotPathCallsNoHostReadingMethod(String file) throws IOException {
    List<String> offending = new ArrayList<>();
    List<String> lines = Files.readAllLines(Path.of(file));
    assertThat(lines).isNotEmpty();
    for (int i = 0; i < lines.size(); i++) {
      String code = lines.get(i).replaceAll("//.*$", "");
      if (code.trim().startsWith("*") || code.trim().startsWith("/*")) {
        continue;
      }
      if (HOST_READ.matcher(code).find()) {
        offending.add((i + 1) + ": " + code.trim());
      }
    }
    assertThat(offending).as(file).isEmpty();
  }

  @org.junit.jupiter.api.Test
  void theHostScalarCoreIsChosenOnlyOnTheCpuBackendAndForFloatOrDouble() {
    assertThat(Nd4j.getEnvironment().isCPU()).as("these tests run on the CPU backend").isTrue();
    long[] shape = {6, 4};
    assertThat(SpectralNormCore.create(WeightLayout.DENSE, shape, 'f', DataType.FLOAT, 1e-12, 1,
        false).getClass().getSimpleName()).isEqualTo("CpuSpectralNormCore");
    assertThat(SpectralNormCore.create(WeightLayout.DENSE, shape, 'f', DataType.HALF, 1e-12, 1,
        false).getClass()).isEqualTo(SpectralNormCore.class);
    System.setProperty("dl4jsn.core", "device");
    try {
      assertThat(SpectralNormCore.create(WeightLayout.DENSE, shape, 'f', DataType.FLOAT, 1e-12, 1,
          false).getClass()).isEqualTo(SpectralNormCore.class);
    } finally {
      System.clearProperty("dl4jsn.core");
    }
  }

  @org.junit.jupiter.api.Test
  void theGuardFindsAHostRead() {
    assertThat(HOST_READ.matcher("double s = sigma.getDouble();").find()).isTrue();
    assertThat(HOST_READ.matcher("x.norm2Number().doubleValue()").find()).isTrue();
    assertThat(HOST_READ.matcher("Nd4j.getBlasWrapper().level1().nrm2(x)").find()).isTrue();
    assertThat(HOST_READ.matcher("Nd4j.exec(new Norm2(x, norm));").find()).isFalse();
  }
}
