package io.github.dl4jsn.accel;

import java.util.Locale;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.layers.mkldnn.BaseMKLDNNHelper;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Switches on DL4J 1.0.0-M2.1's oneDNN layer helpers, which the stock release leaves off, so that
 * convolution, pooling, batch-normalization and LRN layers (spectrally normalized or not) run on
 * oneDNN's kernels instead of DL4J's im2col + gemm Java path.
 *
 * <p>Two things keep the helpers off in M2.1, and both are mended here:
 *
 * <ol>
 *   <li>{@code HelperUtils.createHelper} returns no helper unless the system property {@value
 *       #HELPERS_DISABLE_PROPERTY} is {@code "false"} (its default is {@code "true"}). {@link
 *       #enable} sets it. DL4J reads it when a layer is created, so call {@code enable()} before
 *       building networks: layers created earlier keep running without helpers.
 *   <li>DL4J's oneDNN support check looks up a class that ND4J M2.1 renamed; dl4j-sn-accel ships
 *       {@link org.nd4j.nativeblas.Nd4jCpu} under the old name (see there).
 * </ol>
 *
 * <p>The helpers need ND4J's oneDNN build ({@code org.nd4j:nd4j-native:1.0.0-M2.1} with classifier
 * {@code linux-x86_64-onednn}, which this module depends on) and FLOAT networks: on DOUBLE they
 * decline each call and DL4J's built-in path runs, with identical results. Dense and recurrent
 * layers have no helper in DL4J. {@link HelperReport} shows per layer which path runs.
 *
 * <pre>{@code
 * Acceleration.Status status = Acceleration.enable();   // before any network is created
 * MultiLayerNetwork net = new MultiLayerNetwork(conf);
 * net.init();
 * System.out.println(Acceleration.report(net));
 * }</pre>
 */
public final class Acceleration {

  /** DL4J's switch for its layer helpers: they exist only when this is {@code "false"}. */
  public static final String HELPERS_DISABLE_PROPERTY =
      "org.eclipse.deeplearning4j.helpers.disable";

  /** The Maven coordinates of ND4J's CPU backend with oneDNN, for Linux x86-64. */
  public static final String ONEDNN_COORDINATES =
      "org.nd4j:nd4j-native:1.0.0-M2.1 with <classifier>linux-x86_64-onednn</classifier>"
          + " (or linux-x86_64-onednn-avx2 / linux-x86_64-onednn-avx512)";

  private static final Logger log = LoggerFactory.getLogger(Acceleration.class);

  private Acceleration() {}

  /** What is active: the backend, oneDNN in the native build, DL4J's switch and support check. */
  public record Status(String backend, boolean oneDnnInBuild, boolean helpersEnabled,
      boolean dl4jSupportCheck, int threads) {

    /** Whether layers created from now on get DL4J's oneDNN helpers. */
    public boolean active() {
      return oneDnnInBuild && helpersEnabled && dl4jSupportCheck;
    }

    @Override
    public String toString() {
      return String.format(Locale.ROOT,
          "oneDNN layer helpers %s (backend %s, oneDNN in native build: %s, DL4J helpers switch"
              + " %s, DL4J oneDNN check: %s, OpenMP threads %d)",
          active() ? "ACTIVE" : "inactive", backend, yes(oneDnnInBuild),
          helpersEnabled ? "on" : "off", dl4jSupportCheck ? "passes" : "fails", threads);
    }

    private static String yes(boolean b) {
      return b ? "yes" : "no";
    }
  }

  /**
   * Switches DL4J's oneDNN layer helpers on for the networks created from now on, and returns
   * what is active.
   *
   * @throws IllegalStateException if the backend is not ND4J's CPU backend, if the loaded native
   *     library has no oneDNN (the message names the Maven coordinates to add), or if DL4J's own
   *     support check still fails
   */
  public static Status enable() {
    requireOneDnn(NativeBuild.backend(), NativeBuild.buildInfo());
    System.setProperty(HELPERS_DISABLE_PROPERTY, "false");
    if (!Nd4j.getEnvironment().helpersAllowed()) {
      Nd4j.getEnvironment().allowHelpers(true);
    }
    Status status = status();
    if (!status.dl4jSupportCheck()) {
      throw new IllegalStateException("DL4J's oneDNN support check"
          + " (BaseMKLDNNHelper.mklDnnEnabled) fails although the native build has oneDNN: the"
          + " compatibility class org.nd4j.nativeblas.Nd4jCpu$Environment of dl4j-sn-accel is not"
          + " visible to DL4J's class loader, or the check failed earlier in this JVM and"
          + " latched.");
    }
    log.info("{}", status);
    return status;
  }

  /** Throws, naming what to add, unless the backend is CPU and its build has oneDNN. */
  static void requireOneDnn(String backend, String buildInfo) {
    if (!"CPU".equalsIgnoreCase(backend)) {
      throw new IllegalStateException("Acceleration.enable() speeds up ND4J's CPU backend, but the"
          + " active backend is " + backend + ". DL4J 1.0.0-M2.1's cuDNN layer helpers"
          + " (deeplearning4j-cuda-11.6) are not on Maven Central; see GpuEnvironment in"
          + " dl4j-sn-cuda for what runs on a GPU.");
    }
    if (!buildInfo.contains(NativeBuild.ONEDNN_TOKEN)) {
      throw new IllegalStateException("The loaded ND4J native library has no oneDNN (its build"
          + " information lacks " + NativeBuild.ONEDNN_TOKEN + "). Add " + ONEDNN_COORDINATES
          + " to your dependencies (io.github.dl4jsn:dl4j-sn-accel brings it), and do not select"
          + " another build with -Dorg.bytedeco.javacpp.platform.extension.");
    }
  }

  /** Switches the helpers off again for networks created from now on (DL4J's default). */
  public static void disable() {
    System.setProperty(HELPERS_DISABLE_PROPERTY, "true");
  }

  /** Whether DL4J's switch lets layers created now get helpers. */
  public static boolean helpersEnabled() {
    return !Boolean.parseBoolean(System.getProperty(HELPERS_DISABLE_PROPERTY, "true"));
  }

  /** What is active now, without changing anything. */
  public static Status status() {
    String backend = NativeBuild.backend();
    boolean cpu = "CPU".equalsIgnoreCase(backend);
    return new Status(backend, NativeBuild.hasOneDnn(), helpersEnabled(),
        cpu && BaseMKLDNNHelper.mklDnnEnabled(), Nd4j.getEnvironment().maxMasterThreads());
  }

  /** Which path each layer of the network takes; see {@link HelperReport}. */
  public static HelperReport report(Model model) {
    return HelperReport.of(model);
  }
}
