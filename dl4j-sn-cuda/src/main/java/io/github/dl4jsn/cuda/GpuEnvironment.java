package io.github.dl4jsn.cuda;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
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

  private final String backend;
  private final List<Device> devices;
  private final String cudaRuntime;

  /**
   * An environment description.
   *
   * @param backend ND4J's backend, e.g. "CPU" or "CUDA"
   * @param devices the CUDA devices the backend sees (empty for CPU)
   * @param cudaRuntime the CUDA runtime version found, e.g. "11.6", or null if unknown
   */
  public GpuEnvironment(String backend, List<Device> devices, String cudaRuntime) {
    this.backend = backend;
    this.devices = Collections.unmodifiableList(new ArrayList<>(devices));
    this.cudaRuntime = cudaRuntime;
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
        : String.valueOf(backend), devices, runtime);
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
          + " [" + describe() + "]");
    }
  }

  /** One line: backend, devices and runtime. */
  public String describe() {
    return "backend " + backend + ", devices " + (devices.isEmpty() ? "none" : devices)
        + (cudaRuntime == null ? "" : ", CUDA runtime " + cudaRuntime);
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
