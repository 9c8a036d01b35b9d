package io.github.dl4jsn.accel;

import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;

/** What the loaded ND4J native library was built with, from its build information. */
public final class NativeBuild {

  /** The token libnd4j's build information holds when oneDNN is compiled in. */
  public static final String ONEDNN_TOKEN = "HAVE_ONEDNN";

  private NativeBuild() {}

  /** The active ND4J backend as it names itself, e.g. "CPU" or "CUDA". */
  public static String backend() {
    return Nd4j.getExecutioner().getEnvironmentInformation().getProperty("backend", "unknown");
  }

  /** The native library's build information (empty when the backend gives none). */
  public static String buildInfo() {
    String info = NativeOpsHolder.getInstance().getDeviceNativeOps().buildInfo();
    return info == null ? "" : info;
  }

  /** Whether the loaded native library has oneDNN compiled in. */
  public static boolean hasOneDnn() {
    return "CPU".equalsIgnoreCase(backend()) && buildInfo().contains(ONEDNN_TOKEN);
  }
}
