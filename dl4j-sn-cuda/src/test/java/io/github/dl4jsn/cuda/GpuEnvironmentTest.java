package io.github.dl4jsn.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.dl4jsn.cuda.GpuEnvironment.Device;
import io.github.dl4jsn.cuda.GpuEnvironment.LayerHelpers;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.bytedeco.javacpp.Loader;
import org.deeplearning4j.config.DL4JClassLoading;
import org.deeplearning4j.nn.layers.LayerHelper;
import org.deeplearning4j.nn.layers.convolution.ConvolutionHelper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The GPU check's decisions, fed device descriptions; its report of DL4J's layer helpers, fed
 * helper situations; and its report of this CPU machine.
 */
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

  /** The cuDNN helper classes DL4J 1.0.0-M2.1's layers ask for, as found in its bytecode. */
  static final Map<String, String> M2_1_CUDNN_HELPERS = Map.of(
      "ConvolutionLayer", "org.deeplearning4j.cuda.convolution.CudnnConvolutionHelper",
      "SubsamplingLayer", "org.deeplearning4j.cuda.convolution.subsampling.CudnnSubsamplingHelper",
      "BatchNormalization", "org.deeplearning4j.cuda.normalization.CudnnBatchNormalizationHelper",
      "LocalResponseNormalization",
      "org.deeplearning4j.cuda.normalization.CudnnLocalResponseNormalizationHelper",
      "LSTM", "org.deeplearning4j.cuda.recurrent.CudnnLSTMHelper",
      "Dropout", "org.deeplearning4j.cuda.dropout.CudnnDropoutHelper");

  @Test
  void helperNamesAndPropertyAreDl4jsOwn() {
    assertThat(LayerHelpers.CUDNN_HELPERS).containsExactlyInAnyOrderEntriesOf(M2_1_CUDNN_HELPERS);
    assertThat(LayerHelpers.DISABLE_PROPERTY)
        .isEqualTo("org.eclipse.deeplearning4j.helpers.disable");
    assertThat(LayerHelpers.DISABLE_DEFAULT).isEqualTo("true");
  }

  @Test
  void thisCpuMachineHasNoCudnnHelpersAndItsConvolutionsRunBuiltIn() {
    GpuEnvironment env = GpuEnvironment.current();
    LayerHelpers helpers = env.layerHelpers();
    assertThat(helpers.found()).isEmpty();
    assertThat(helpers.constructible()).isEmpty();
    assertThat(helpers.enabled()).isEqualTo(!Boolean.parseBoolean(
        System.getProperty(LayerHelpers.DISABLE_PROPERTY, "true")));
    assertThat(helpers.nativeVariant()).startsWith(Loader.getPlatform());
    assertThat(helpers.cudnnLibnd4j()).isFalse();

    List<String> lines = env.describe().lines().collect(Collectors.toList());
    assertThat(lines).hasSize(4);
    assertThat(lines.get(0)).isEqualTo(env.summary()).startsWith("backend CPU, devices none");
    assertThat(lines.get(1))
        .startsWith("DL4J layer helpers: " + (helpers.enabled() ? "on" : "off"))
        .contains("org.eclipse.deeplearning4j.helpers.disable");
    assertThat(lines.get(2))
        .startsWith("cuDNN helper classes DL4J 1.0.0-M2.1 looks for on CUDA: none on the class")
        .contains(M2_1_CUDNN_HELPERS.values());
    assertThat(lines.get(3))
        .startsWith("convolutions (CPU): built-in: ConvolutionLayer im2col + gemm")
        .contains("maxpool2d/avgpool2d").contains("BatchNormalization element-wise");
  }

  @Test
  void withHelpersOnButWithoutDl4jSnAccelTheCpuLineSaysTheOneDnnHelpersAreDropped() {
    LayerHelpers on = new LayerHelpers("false", List.of(), List.of(), null);

    List<String> lines = on.describe("CPU");

    assertThat(lines.get(0)).startsWith("DL4J layer helpers: on");
    // dl4j-sn-cuda's tests run without dl4j-sn-accel, so DL4J's oneDNN lookup fails here.
    assertThat(lines.get(2)).startsWith("convolutions (CPU): built-in")
        .contains("org.nd4j.nativeblas.Nd4jCpu$Environment", "renamed", "dl4j-sn-accel");
  }

  static GpuEnvironment cuda(String disable, List<String> found, List<String> constructible,
      String nativeVariant) {
    return new GpuEnvironment("CUDA", List.of(new Device("Tesla T4", 7, 5, 15 * GIB)), "11.6",
        new LayerHelpers(disable, found, constructible, nativeVariant));
  }

  @Test
  void onCudaConvolutionLayerRunsIm2colAndGemmAndTheCudnnBuildServesThePoolingOps() {
    String d = cuda(null, List.of(), List.of(), "linux-x86_64-cudnn").describe();
    assertThat(d).contains("DL4J layer helpers: off (org.eclipse.deeplearning4j.helpers.disable "
            + "unset, default true)")
        .contains("ConvolutionLayer built-in im2col + gemm (libnd4j im2col/col2im kernels and "
            + "cuBLAS, not cuDNN)")
        .contains("SubsamplingLayer the maxpool2d/avgpool2d ops (cuDNN where its checks pass: "
            + "libnd4j linux-x86_64-cudnn is loaded)")
        .contains("BatchNormalization element-wise ND4J ops (not cuDNN)")
        .contains("depthwise_conv2d").doesNotContain("Unable to find class");

    // Helpers on, no helper classes and the plain build: DL4J warns, and nothing is cuDNN.
    d = cuda("false", List.of(), List.of(), "linux-x86_64").describe();
    assertThat(d)
        .contains("DL4J layer helpers: on (org.eclipse.deeplearning4j.helpers.disable=false)")
        .contains("ConvolutionLayer built-in im2col + gemm")
        .contains("(CUDA kernels, not cuDNN: libnd4j linux-x86_64 is not the -cudnn build)")
        .contains("Unable to find class");
  }

  @Test
  void aHelperClassRunsOnlyIfHelpersAreOnAndHelperUtilsCanConstructIt() {
    String conv = M2_1_CUDNN_HELPERS.get("ConvolutionLayer");
    assertThat(cuda("false", List.of(conv), List.of(conv), null).describe())
        .contains("ConvolutionLayer the helper " + conv + " from the class path")
        .contains("SubsamplingLayer the maxpool2d/avgpool2d ops (cuDNN only with");
    assertThat(cuda("true", List.of(conv), List.of(conv), null).describe())
        .contains("cuDNN helper classes on the class path: " + conv)
        .contains("ConvolutionLayer built-in im2col + gemm");
    // Found but without the (Object...) constructor, e.g. DL4J 1.0.0-M1.1's own helper.
    assertThat(cuda("false", List.of(conv), List.of(), null).describe())
        .contains("not constructible by DL4J 1.0.0-M2.1").contains("public (Object...) constructor")
        .contains("ConvolutionLayer built-in im2col + gemm");
  }

  /** A helper HelperUtils 1.0.0-M2.1 can construct on CUDA. */
  public static class VarargsHelper implements LayerHelper {
    public final Object[] args;

    public VarargsHelper(Object... args) {
      this.args = args;
    }

    @Override
    public Map<String, Long> helperMemoryUse() {
      return Map.of();
    }

    @Override
    public boolean checkSupported() {
      return true;
    }
  }

  /** A helper with DL4J 1.0.0-M1.1's constructor, which HelperUtils 1.0.0-M2.1 cannot call. */
  public static class DataTypeHelper extends VarargsHelper {
    public DataTypeHelper(DataType dataType) {
      super(dataType);
    }
  }

  @Test
  void constructibleMirrorsTheReflectionHelperUtilsDoesOnCuda() {
    assertThat(LayerHelpers.constructible(VarargsHelper.class, LayerHelper.class)).isTrue();
    assertThat(LayerHelpers.constructible(DataTypeHelper.class, LayerHelper.class)).isFalse();
    assertThat(LayerHelpers.constructible(VarargsHelper.class, ConvolutionHelper.class)).isFalse();

    // HelperUtils.createHelper's CUDA branch: createNewInstance(name, type, new Object[]{args}).
    Object[] arguments = {DataType.FLOAT};
    Object helper = DL4JClassLoading.createNewInstance(VarargsHelper.class.getName(),
        LayerHelper.class, new Object[] {arguments});
    assertThat(((VarargsHelper) helper).args).containsExactly(DataType.FLOAT);
    // For the other, the lookup createNewInstance makes fails (it then logs and rethrows).
    assertThatThrownBy(() -> DataTypeHelper.class.getDeclaredConstructor(
        Stream.of(new Object[] {arguments}).map(Object::getClass).toArray(Class<?>[]::new)))
        .isInstanceOf(NoSuchMethodException.class).hasMessageContaining("[Ljava.lang.Object;");
  }

  @Test
  void nativeVariantIsTheFolderJavaCppLoadedLibnd4jFrom() {
    String cache = "/home/u/.javacpp/cache/nd4j-cuda-11.6-1.0.0-M2.1-linux-x86_64-cudnn.jar/"
        + "org/nd4j/linalg/jcublas/bindings/linux-x86_64-cudnn/";
    assertThat(LayerHelpers.nativeVariant(List.of(cache + "libjnind4jcuda.so",
        cache + "libnd4jcuda.so"), "linux-x86_64")).isEqualTo("linux-x86_64-cudnn");
    assertThat(LayerHelpers.nativeVariant(List.of("/usr/lib/libnd4jcuda.so"), "linux-x86_64"))
        .isNull();
    assertThat(LayerHelpers.nativeVariant(List.of(), "linux-x86_64")).isNull();
  }
}
