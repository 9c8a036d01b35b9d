package io.github.dl4jsn.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.dl4jsn.cuda.GpuEnvironment.Device;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The GPU check's decisions, fed device descriptions, and its report of this CPU machine. */
class GpuEnvironmentTest {

  static final long GIB = 1024L * 1024 * 1024;

  static Stream<Arguments> devices() {
    return Stream.of(
        Arguments.of("Tesla K80", 3, 7, true),
        Arguments.of("Tesla K40 (3.5, older than the build's 3.7)", 3, 5, false),
        Arguments.of("GTX 970", 5, 2, true),
        Arguments.of("Jetson Nano (5.3, runs the 5.2 kernels)", 5, 3, true),
        Arguments.of("Tesla P100", 6, 0, true),
        Arguments.of("Tesla V100", 7, 0, true),
        Arguments.of("Jetson Xavier (7.2, runs the 7.0 kernels)", 7, 2, true),
        Arguments.of("Tesla T4", 7, 5, true),
        Arguments.of("A100", 8, 0, true),
        Arguments.of("RTX 3090", 8, 6, true),
        Arguments.of("RTX 4090 (Ada 8.9, runs the 8.6 kernels)", 8, 9, true),
        Arguments.of("H100", 9, 0, false),
        Arguments.of("B200", 10, 0, false));
  }

  @ParameterizedTest(name = "{0}: usable={3}")
  @MethodSource("devices")
  void computeCapabilityDecidesWhetherTheKernelsRun(String name, int major, int minor,
      boolean usable) {
    GpuEnvironment env = new GpuEnvironment("CUDA",
        List.of(new Device(name, major, minor, 16 * GIB)), "11.6");
    assertThat(env.isUsableGpu()).isEqualTo(usable);
    if (!usable) {
      assertThatThrownBy(env::requireUsableGpu)
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("compute capability " + major + "." + minor)
          .hasMessageContaining("3.7 5.0 5.2 6.0 6.1 7.0 7.5 8.0 8.6")
          .hasMessageContaining("Use the CPU backend");
    }
  }

  @Test
  void hopperIsNamedAsSuch() {
    GpuEnvironment env = new GpuEnvironment("CUDA",
        List.of(new Device("NVIDIA H200", 9, 0, 139 * GIB)), "11.6");
    assertThat(env.check()).singleElement().asString()
        .contains("NVIDIA H200").contains("(Hopper and newer)").contains("sm_90");
  }

  @Test
  void noDeviceAndRuntimeMismatchAndCpuBackendGetTheirOwnAdvice() {
    assertThat(new GpuEnvironment("CUDA", List.of(), "11.6").check()).singleElement().asString()
        .contains("no NVIDIA driver or no device").contains("nvidia-smi");
    assertThat(new GpuEnvironment("CUDA", List.of(new Device("T4", 7, 5, 15 * GIB)), "12.2")
        .check()).singleElement().asString()
        .contains("CUDA runtime 12.2 found").contains("cuda-platform-redist:11.6-8.3-1.5.7");
    assertThat(new GpuEnvironment("CPU", List.of(), null).check()).singleElement().asString()
        .contains("running the CPU backend").contains("-Pcuda");
    // Two problems at once are both reported.
    assertThat(new GpuEnvironment("CUDA", List.of(new Device("H100", 9, 0, 80 * GIB)), "12.0")
        .check()).hasSize(2);
  }

  @Test
  void thisMachineRunsTheCpuBackendAndSaysSo() {
    GpuEnvironment env = GpuEnvironment.current();
    assertThat(env.backend()).isEqualToIgnoringCase("CPU");
    assertThat(env.devices()).isEmpty();
    assertThat(env.isUsableGpu()).isFalse();
    assertThatThrownBy(env::requireUsableGpu).hasMessageContaining("backend CPU");
  }
}
