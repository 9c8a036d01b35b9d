package io.github.dl4jsn.cuda;

import java.lang.reflect.Modifier;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import org.bytedeco.javacpp.Loader;
import org.deeplearning4j.config.DL4JClassLoading;
import org.deeplearning4j.config.DL4JSystemProperties;
import org.deeplearning4j.nn.conf.dropout.Dropout;
import org.deeplearning4j.nn.conf.dropout.DropoutHelper;
import org.deeplearning4j.nn.layers.convolution.ConvolutionHelper;
import org.deeplearning4j.nn.layers.convolution.ConvolutionLayer;
import org.deeplearning4j.nn.layers.convolution.subsampling.SubsamplingHelper;
import org.deeplearning4j.nn.layers.convolution.subsampling.SubsamplingLayer;
import org.deeplearning4j.nn.layers.normalization.BatchNormalization;
import org.deeplearning4j.nn.layers.normalization.BatchNormalizationHelper;
import org.deeplearning4j.nn.layers.normalization.LocalResponseNormalization;
import org.deeplearning4j.nn.layers.normalization.LocalResponseNormalizationHelper;
import org.deeplearning4j.nn.layers.recurrent.LSTM;
import org.deeplearning4j.nn.layers.recurrent.LSTMHelper;
import org.nd4j.linalg.factory.Nd4j;

/**
 * What ND4J runs on, and whether its CUDA backend can run here: the active backend, each device's
 * name, compute capability and memory, and an actionable verdict.
 *
 * <p>ND4J 1.0.0-M2.1's CUDA backend ({@code nd4j-cuda-11.6}, CUDA 11.6, cuDNN 8.3) ships kernels
 * (cubins) for compute capabilities 3.7, 5.0, 5.2, 6.0, 6.1, 7.0, 7.5, 8.0 and 8.6, and no PTX. A
 * cubin runs on devices of the same major version and an equal or higher minor version, so the
 * build runs on Kepler (3.7) through Ampere and Ada (8.x), and not on Hopper (9.0: H100, H200) or
 * newer, where the first kernel launch fails with "no kernel image is available for execution on
 * the device". {@link #check} turns that and the other ways the backend cannot run into one
 * message that says what to do.
 *
 * <p>{@link #describe} also says which code DL4J's convolution layers run on this backend
 * ({@link LayerHelpers}): DL4J 1.0.0-M2.1 looks for cuDNN helper classes that no published artifact
 * provides, and its layer helpers are off by default, so on CUDA {@code ConvolutionLayer} runs its
 * built-in im2col + gemm (CUDA kernels and cuBLAS, not cuDNN), while pooling and the conv1d and
 * depthwise convolutions go through libnd4j ops that the {@code linux-x86_64-cudnn} build serves
 * with cuDNN. This was read from the M2.1 bytecode and native library, not observed on a GPU; see
 * docs/cuda-helpers.md.
 *
 * <pre>{@code
 * GpuEnvironment env = GpuEnvironment.current();
 * System.out.println(env.describe());
 * env.requireUsableGpu();   // throws IllegalStateException with the reason and the fix
 * }</pre>
 */
public final class GpuEnvironment {

  /** The compute capabilities nd4j-cuda-11.6 1.0.0-M2.1 has kernels for, as {major, minor}. */
  public static final List<int[]> BUILT_FOR = List.of(
      new int[] {3, 7}, new int[] {5, 0}, new int[] {5, 2}, new int[] {6, 0}, new int[] {6, 1},
      new int[] {7, 0}, new int[] {7, 5}, new int[] {8, 0}, new int[] {8, 6});

  /** The CUDA runtime the backend is built against. */
  public static final String REQUIRED_CUDA = "11.6";

  /** One GPU as ND4J reports it. */
  public static final class Device {
    public final String name;
    public final int major;
    public final int minor;
    public final long totalMemory;

    public Device(String name, int major, int minor, long totalMemory) {
      this.name = name;
      this.major = major;
      this.minor = minor;
      this.totalMemory = totalMemory;
    }

    /** The compute capability, e.g. "8.6". */
    public String capability() {
      return major + "." + minor;
    }

    @Override
    public String toString() {
      return String.format(Locale.ROOT, "%s (compute capability %s, %.1f GiB)", name,
          capability(), totalMemory / (1024.0 * 1024 * 1024));
    }
  }

  /**
   * DL4J's layer helpers on this JVM, and what DL4J 1.0.0-M2.1 does with them (read from its
   * bytecode; docs/cuda-helpers.md quotes it).
   *
   * <p>{@code ConvolutionLayer}, {@code SubsamplingLayer}, {@code BatchNormalization},
   * {@code LocalResponseNormalization}, {@code LSTM} and {@code Dropout} create their helper in
   * their constructor through {@code HelperUtils.createHelper}. It returns no helper unless
   * {@value #DISABLE_PROPERTY} parses as false (its default is "true"). On the CUDA backend it then
   * loads the class named in {@link #CUDNN_HELPERS} and constructs it with a single
   * {@code Object[]} argument (the layer's DataType inside), so the class must be public, implement
   * the layer's helper interface and have a public {@code (Object...)} constructor; otherwise the
   * layer's constructor throws. When the class is absent, DL4J logs "Unable to find class" and the
   * layer runs its built-in code. No artifact on Maven Central provides these classes at M2.1
   * ({@code deeplearning4j-cuda-11.6} does not exist; {@code deeplearning4j-cuda-11.2} stops at
   * 1.0.0-M1.1, and its helpers have only a {@code (DataType)} constructor).
   */
  public static final class LayerHelpers {

    /**
     * The system property HelperUtils reads, "org.eclipse.deeplearning4j.helpers.disable"
     * ({@code DL4JSystemProperties.DISABLE_HELPER_PROPERTY}): helpers are created only if it
     * parses as false.
     */
    public static final String DISABLE_PROPERTY = DL4JSystemProperties.DISABLE_HELPER_PROPERTY;

    /**
     * The class DL4J 1.0.0-M2.1's oneDNN check looks up; ND4J M2.1 renamed it, dl4j-sn-accel
     * restores it.
     */
    static final String ONEDNN_LOOKUP = "org.nd4j.nativeblas.Nd4jCpu$Environment";

    /** DL4J 1.0.0-M2.1's default for {@link #DISABLE_PROPERTY}, "true": helpers off. */
    public static final String DISABLE_DEFAULT = DL4JSystemProperties.HELPER_DISABLE_DEFAULT_VALUE;

    /**
     * The cuDNN helper class each DL4J 1.0.0-M2.1 layer asks for on the CUDA backend (the layers'
     * own constants), e.g. "org.deeplearning4j.cuda.convolution.CudnnConvolutionHelper" for
     * ConvolutionLayer and its subclasses.
     */
    public static final Map<String, String> CUDNN_HELPERS;

    /** The interface HelperUtils casts each class of {@link #CUDNN_HELPERS} to, by class name. */
    private static final Map<String, Class<?>> HELPER_TYPES = new LinkedHashMap<>();

    static {
      Map<String, String> m = new LinkedHashMap<>();
      helper(m, "ConvolutionLayer", ConvolutionLayer.CUDA_CNN_HELPER_CLASS_NAME,
          ConvolutionHelper.class);
      helper(m, "SubsamplingLayer", SubsamplingLayer.CUDNN_SUBSAMPLING_HELPER_CLASS_NAME,
          SubsamplingHelper.class);
      helper(m, "BatchNormalization", BatchNormalization.BATCH_NORM_CUDNN_HELPER_CLASS_NAME,
          BatchNormalizationHelper.class);
      helper(m, "LocalResponseNormalization",
          LocalResponseNormalization.LOCAL_RESPONSE_NORM_CUDNN_HELPER_CLASS_NAME,
          LocalResponseNormalizationHelper.class);
      helper(m, "LSTM", LSTM.CUDNN_LSTM_CLASS_NAME, LSTMHelper.class);
      helper(m, "Dropout", Dropout.CUDNN_DROPOUT_HELPER_CLASS_NAME, DropoutHelper.class);
      CUDNN_HELPERS = Collections.unmodifiableMap(m);
    }

    private static void helper(Map<String, String> m, String layer, String className,
        Class<?> type) {
      m.put(layer, className);
      HELPER_TYPES.put(className, type);
    }

    private final String disableValue;
    private final List<String> found;
    private final List<String> constructible;
    private final String nativeVariant;

    /**
     * A layer-helper situation.
     *
     * @param disableValue the value of {@link #DISABLE_PROPERTY}, or null if unset
     * @param found the classes of {@link #CUDNN_HELPERS} on the class path
     * @param constructible those of {@code found} that HelperUtils can construct
     * @param nativeVariant the folder libnd4j was loaded from, e.g. "linux-x86_64-cudnn", or null
     */
    public LayerHelpers(String disableValue, Collection<String> found,
        Collection<String> constructible, String nativeVariant) {
      this.disableValue = disableValue;
      this.found = List.copyOf(found);
      this.constructible = List.copyOf(constructible);
      this.nativeVariant = nativeVariant;
    }

    /** The situation of this JVM: the property, DL4J's class loader and the loaded libnd4j. */
    public static LayerHelpers probe() {
      ClassLoader loader = DL4JClassLoading.getDl4jClassloader();
      List<String> found = new ArrayList<>();
      List<String> constructible = new ArrayList<>();
      for (String name : CUDNN_HELPERS.values()) {
        Class<?> c = load(name, loader);
        if (c != null) {
          found.add(name);
          if (constructible(c, HELPER_TYPES.get(name))) {
            constructible.add(name);
          }
        }
      }
      return new LayerHelpers(System.getProperty(DISABLE_PROPERTY), found, constructible,
          nativeVariant(Loader.getLoadedLibraries().values(), Loader.getPlatform()));
    }

    private static Class<?> load(String name, ClassLoader loader) {
      try {
        return Class.forName(name, false, loader);
      } catch (ClassNotFoundException | LinkageError e) {
        return null;
      }
    }

    /**
     * Whether HelperUtils 1.0.0-M2.1 can construct this class on CUDA: it calls
     * {@code asSubclass(helperType).getDeclaredConstructor(Object[].class).newInstance(...)}.
     */
    static boolean constructible(Class<?> c, Class<?> helperType) {
      try {
        return Modifier.isPublic(c.getModifiers()) && !Modifier.isAbstract(c.getModifiers())
            && helperType.isAssignableFrom(c)
            && Modifier.isPublic(c.getDeclaredConstructor(Object[].class).getModifiers());
      } catch (NoSuchMethodException | LinkageError e) {
        return false;
      }
    }

    /**
     * The folder JavaCPP loaded libnd4j (nd4jcuda or nd4jcpu) from, which names the build: e.g.
     * "linux-x86_64-cudnn" for nd4j-cuda's cuDNN classifier; null if none is loaded or the folder
     * is not named after the platform.
     *
     * @param loadedLibraryPaths the paths of {@code Loader.getLoadedLibraries()}
     * @param platform JavaCPP's platform, e.g. "linux-x86_64"
     */
    static String nativeVariant(Collection<String> loadedLibraryPaths, String platform) {
      for (String path : loadedLibraryPaths) {
        Path p = Paths.get(path);
        String file = String.valueOf(p.getFileName());
        String folder = p.getParent() == null ? "" : String.valueOf(p.getParent().getFileName());
        if (file.matches("(lib)?nd4j(cuda|cpu)\\..*") && folder.startsWith(platform)) {
          return folder;
        }
      }
      return null;
    }

    /** Whether DL4J creates layer helpers: {@link #DISABLE_PROPERTY} parses as false. */
    public boolean enabled() {
      return !Boolean.parseBoolean(disableValue == null ? DISABLE_DEFAULT : disableValue);
    }

    /** The classes of {@link #CUDNN_HELPERS} on the class path. */
    public List<String> found() {
      return found;
    }

    /** Those of {@link #found} that DL4J 1.0.0-M2.1 can construct. */
    public List<String> constructible() {
      return constructible;
    }

    /** The folder libnd4j was loaded from, e.g. "linux-x86_64-cudnn"; null if unknown. */
    public String nativeVariant() {
      return nativeVariant;
    }

    /** Whether the loaded libnd4j is the cuDNN build (nd4j-cuda's -cudnn classifier). */
    public boolean cudnnLibnd4j() {
      return nativeVariant != null && nativeVariant.endsWith("-cudnn");
    }

    /** The report's lines: the property, the helper classes, and the convolutions' path. */
    public List<String> describe(String backend) {
      List<String> lines = new ArrayList<>();
      lines.add("DL4J layer helpers: " + (enabled() ? "on" : "off") + " (" + DISABLE_PROPERTY
          + (disableValue == null ? " unset, default " + DISABLE_DEFAULT : "=" + disableValue)
          + ")");
      lines.add(helperClassesLine());
      if ("CUDA".equalsIgnoreCase(backend)) {
        lines.add(cudaPathLine());
      } else if ("CPU".equalsIgnoreCase(backend)) {
        boolean compat = load(ONEDNN_LOOKUP, GpuEnvironment.class.getClassLoader()) != null;
        if (enabled() && compat) {
          lines.add("convolutions (CPU): DL4J's oneDNN helpers where the native build has oneDNN "
              + "(dl4j-sn-accel's " + ONEDNN_LOOKUP + " is on the class path; "
              + "Acceleration.report(net) names each layer's path)");
        } else {
          lines.add("convolutions (CPU): built-in: ConvolutionLayer im2col + gemm, "
              + "SubsamplingLayer the libnd4j maxpool2d/avgpool2d ops, BatchNormalization "
              + "element-wise ND4J ops" + (enabled()
                  ? "; DL4J's oneDNN helpers are dropped: BaseMKLDNNHelper looks up "
                      + ONEDNN_LOOKUP + ", which ND4J 1.0.0-M2.1 renamed (dl4j-sn-accel provides "
                      + "it)"
                  : "; DL4J's oneDNN helpers are off (dl4j-sn-accel: Acceleration.enable())"));
        }
      } else {
        lines.add("convolutions (" + backend + "): DL4J's built-in code");
      }
      return lines;
    }

    private String helperClassesLine() {
      List<String> absent = new ArrayList<>(CUDNN_HELPERS.values());
      absent.removeAll(found);
      if (found.isEmpty()) {
        return "cuDNN helper classes DL4J 1.0.0-M2.1 looks for on CUDA: none on the class path ("
            + String.join(", ", absent) + "; no published artifact provides them)";
      }
      List<String> broken = new ArrayList<>(found);
      broken.removeAll(constructible);
      return "cuDNN helper classes on the class path: " + String.join(", ", found)
          + (broken.isEmpty() ? "" : "; not constructible by DL4J 1.0.0-M2.1, so with helpers "
              + "on CUDA layer construction fails (needs a public class implementing the layer's "
              + "helper interface with a public (Object...) constructor): "
              + String.join(", ", broken))
          + (absent.isEmpty() ? "" : "; absent: " + String.join(", ", absent));
    }

    private String cudaPathLine() {
      String cudnn = cudnnLibnd4j()
          ? " (cuDNN where its checks pass: libnd4j " + nativeVariant + " is loaded)"
          : nativeVariant == null ? " (cuDNN only with nd4j-cuda-11.6's linux-x86_64-cudnn build)"
          : " (CUDA kernels, not cuDNN: libnd4j " + nativeVariant + " is not the -cudnn build)";
      List<String> parts = new ArrayList<>();
      parts.add(path("ConvolutionLayer",
          "built-in im2col + gemm (libnd4j im2col/col2im kernels and cuBLAS, not cuDNN)"));
      parts.add(path("SubsamplingLayer", "the maxpool2d/avgpool2d ops" + cudnn));
      parts.add(path("BatchNormalization", "element-wise ND4J ops (not cuDNN)"));
      parts.add("Convolution1D, DepthwiseConvolution2D and dl4j-sn's SpectralNormConv2DSD the "
          + "conv1d (via conv2d), depthwise_conv2d and conv2d ops" + cudnn);
      parts.add("Deconvolution2D and SeparableConvolution2D the deconv2d and sconv2d ops (no "
          + "cuDNN helper in 1.0.0-M2.1)");
      boolean missing = enabled() && !(found.contains(CUDNN_HELPERS.get("ConvolutionLayer"))
          && found.contains(CUDNN_HELPERS.get("SubsamplingLayer"))
          && found.contains(CUDNN_HELPERS.get("BatchNormalization")));
      return "convolutions (CUDA): " + String.join("; ", parts)
          + (missing ? "; DL4J logs \"Unable to find class\" for each layer whose helper is absent"
              : "");
    }

    private String path(String layer, String builtIn) {
      return layer + " " + (enabled() && constructible.contains(CUDNN_HELPERS.get(layer))
          ? "the helper " + CUDNN_HELPERS.get(layer) + " from the class path" : builtIn);
    }
  }

  private final String backend;
  private final List<Device> devices;
  private final String cudaRuntime;
  private final LayerHelpers layerHelpers;

  /**
   * An environment description, with this JVM's layer helpers ({@link LayerHelpers#probe}).
   *
   * @param backend ND4J's backend, e.g. "CPU" or "CUDA"
   * @param devices the CUDA devices the backend sees (empty for CPU)
   * @param cudaRuntime the CUDA runtime version found, e.g. "11.6", or null if unknown
   */
  public GpuEnvironment(String backend, List<Device> devices, String cudaRuntime) {
    this(backend, devices, cudaRuntime, LayerHelpers.probe());
  }

  /**
   * An environment description.
   *
   * @param backend ND4J's backend, e.g. "CPU" or "CUDA"
   * @param devices the CUDA devices the backend sees (empty for CPU)
   * @param cudaRuntime the CUDA runtime version found, e.g. "11.6", or null if unknown
   * @param layerHelpers DL4J's layer-helper situation
   */
  public GpuEnvironment(String backend, List<Device> devices, String cudaRuntime,
      LayerHelpers layerHelpers) {
    this.backend = backend;
    this.devices = Collections.unmodifiableList(new ArrayList<>(devices));
    this.cudaRuntime = cudaRuntime;
    this.layerHelpers = layerHelpers;
  }

  /** The environment of the running ND4J backend. */
  public static GpuEnvironment current() {
    Properties p = Nd4j.getExecutioner().getEnvironmentInformation();
    Object backend = p.get("backend");
    List<Device> devices = new ArrayList<>();
    Object info = p.get("cuda.devicesInformation");
    if (info instanceof List) {
      for (Object o : (List<?>) info) {
        Map<?, ?> d = (Map<?, ?>) o;
        devices.add(new Device(String.valueOf(d.get("cuda.deviceName")),
            number(d.get("cuda.deviceMajor")), number(d.get("cuda.deviceMinor")),
            d.get("cuda.totalMemory") == null ? 0 : Long.parseLong(
                String.valueOf(d.get("cuda.totalMemory")))));
      }
    }
    String runtime = System.getProperty("dl4jsn.cudaRuntime");
    return new GpuEnvironment(backend == null ? Nd4j.getBackend().getClass().getSimpleName()
        : String.valueOf(backend), devices, runtime, LayerHelpers.probe());
  }

  private static int number(Object o) {
    return o == null ? -1 : Integer.parseInt(String.valueOf(o));
  }

  /** ND4J's backend, e.g. "CPU" or "CUDA". */
  public String backend() {
    return backend;
  }

  /** The CUDA devices the backend sees. */
  public List<Device> devices() {
    return devices;
  }

  /** DL4J's layer-helper situation: which code its convolution layers run here. */
  public LayerHelpers layerHelpers() {
    return layerHelpers;
  }

  /** Whether a device of this compute capability can run the backend's kernels. */
  public static boolean supported(int major, int minor) {
    for (int[] cc : BUILT_FOR) {
      if (cc[0] == major && cc[1] <= minor) {
        return true;
      }
    }
    return false;
  }

  /**
   * The reasons the CUDA backend cannot run here, each with what to do; empty if it can.
   */
  public List<String> check() {
    List<String> problems = new ArrayList<>();
    if (!"CUDA".equalsIgnoreCase(backend)) {
      problems.add("ND4J is running the " + backend + " backend, not CUDA. Add dl4j-sn-cuda with "
          + "the CUDA backend (build with -Pcuda, or depend on org.nd4j:nd4j-cuda-11.6:1.0.0-M2.1 "
          + "and its linux-x86_64-cudnn classifier) and make sure no higher-priority backend wins "
          + "(BACKEND_PRIORITY_GPU > BACKEND_PRIORITY_CPU).");
      return problems;
    }
    if (devices.isEmpty()) {
      problems.add("The CUDA backend sees no GPU: no NVIDIA driver or no device. Check "
          + "nvidia-smi; CUDA 11.6 needs driver 510.39 or newer (Linux).");
      return problems;
    }
    for (Device d : devices) {
      if (!supported(d.major, d.minor)) {
        problems.add("GPU " + d.name + " has compute capability " + d.capability()
            + ", but nd4j-cuda-11.6 1.0.0-M2.1 has kernels only for " + builtForList()
            + " and no PTX, so its kernels cannot run there"
            + (d.major >= 9 ? " (Hopper and newer)" : "") + ". Use the CPU backend "
            + "(nd4j-native), a GPU of compute capability 3.7 to 8.9, or an ND4J build compiled "
            + "for sm_" + d.major + d.minor + ".");
      }
    }
    if (cudaRuntime != null && !cudaRuntime.startsWith(REQUIRED_CUDA)) {
      problems.add("CUDA runtime " + cudaRuntime + " found, but nd4j-cuda-11.6 needs CUDA "
          + REQUIRED_CUDA + " and cuDNN 8.3: add org.bytedeco:cuda-platform-redist:11.6-8.3-1.5.7 "
          + "(bundles the runtime) or install CUDA 11.6.");
    }
    return problems;
  }

  /** Whether the CUDA backend can run on every device it sees. */
  public boolean isUsableGpu() {
    return check().isEmpty();
  }

  /**
   * Fails fast, before any kernel launch, when the CUDA backend cannot run.
   *
   * @throws IllegalStateException with every reason and what to do
   */
  public void requireUsableGpu() {
    List<String> problems = check();
    if (!problems.isEmpty()) {
      throw new IllegalStateException("The GPU cannot run dl4j-sn: " + String.join(" ", problems)
          + " [" + summary() + "]");
    }
  }

  /** One line: backend, devices and runtime. */
  public String summary() {
    return "backend " + backend + ", devices " + (devices.isEmpty() ? "none" : devices)
        + (cudaRuntime == null ? "" : ", CUDA runtime " + cudaRuntime);
  }

  /**
   * The {@link #summary} line, then one line each for DL4J's layer helpers, the cuDNN helper
   * classes it looks for, and the code DL4J's convolution layers run on this backend.
   */
  public String describe() {
    List<String> lines = new ArrayList<>();
    lines.add(summary());
    lines.addAll(layerHelpers.describe(backend));
    return String.join("\n", lines);
  }

  private static String builtForList() {
    StringBuilder sb = new StringBuilder();
    for (int[] cc : BUILT_FOR) {
      sb.append(sb.length() == 0 ? "" : " ").append(cc[0]).append('.').append(cc[1]);
    }
    return sb.toString();
  }

  /** Prints the environment and the verdict; exits 1 if the GPU cannot run the backend. */
  public static void main(String[] args) {
    GpuEnvironment env = current();
    System.out.println(env.describe());
    List<String> problems = env.check();
    if (problems.isEmpty()) {
      System.out.println("The CUDA backend can run here.");
      return;
    }
    problems.forEach(System.out::println);
    System.exit(1);
  }
}
