package org.nd4j.nativeblas;

import io.github.dl4jsn.accel.NativeBuild;

/**
 * A compatibility class that restores the lookup DL4J 1.0.0-M2.1 makes before it uses any of its
 * oneDNN layer helpers. Not an ND4J class: dl4j-sn-accel defines it.
 *
 * <p>{@code org.deeplearning4j.nn.layers.mkldnn.BaseMKLDNNHelper.mklDnnEnabled()}
 * (deeplearning4j-nn 1.0.0-M2.1) does, by reflection,
 * {@code Class.forName("org.nd4j.nativeblas.Nd4jCpu$Environment").getMethod("getInstance")
 * .invoke(null)} and then calls {@code isUseMKLDNN()} on the result. That
 * class and method existed in older ND4J releases. In ND4J 1.0.0-M2.1 the class is
 * {@code org.nd4j.linalg.cpu.nativecpu.bindings.Nd4jCpu$Environment} and the method
 * {@code isUseONEDNN()}, so the lookup throws {@code ClassNotFoundException}; DL4J catches it, sets
 * its {@code FAILED_CHECK} flag for the life of the JVM, and drops every oneDNN helper
 * (convolution, subsampling, batch normalization, local response normalization) as "not
 * supported". This class answers that lookup under the old name.
 *
 * <p>Unlike the real {@code isUseONEDNN()}, which answers true even on builds without oneDNN, the
 * answer here is true only when the loaded native build lists {@code HAVE_ONEDNN}: on a build
 * without oneDNN the helpers stay off and DL4J's built-in Java paths run, as before.
 */
public final class Nd4jCpu {

  private Nd4jCpu() {}

  /** The old name of ND4J's native environment singleton, as DL4J M2.1 looks it up. */
  public static final class Environment {

    private static final Environment INSTANCE = new Environment();

    private Environment() {}

    /** The singleton, as {@code BaseMKLDNNHelper.mklDnnEnabled()} asks for it. */
    public static Environment getInstance() {
      return INSTANCE;
    }

    /**
     * Whether DL4J may use its oneDNN helpers: the native build has oneDNN and ND4J's own switch
     * ({@code Nd4jCpu.Environment.isUseONEDNN()} in M2.1's bindings) is on.
     */
    public boolean isUseMKLDNN() {
      return NativeBuild.hasOneDnn()
          && org.nd4j.linalg.cpu.nativecpu.bindings.Nd4jCpu.Environment.getInstance()
              .isUseONEDNN();
    }
  }
}
