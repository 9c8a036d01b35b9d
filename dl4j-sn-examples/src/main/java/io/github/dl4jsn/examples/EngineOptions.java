package io.github.dl4jsn.examples;

import io.github.dl4jsn.accel.Acceleration;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import picocli.CommandLine.Option;

/**
 * The examples' engine options (a picocli mixin): DL4J's oneDNN layer helpers through
 * dl4j-sn-accel, on by default. ND4J's thread count is the environment variable
 * {@code OMP_NUM_THREADS}, read when the native library loads; the scripts set each example's
 * faster count (docs/benchmarks.md, "Threads").
 */
public final class EngineOptions {

  @Option(names = "--accel", negatable = true, defaultValue = "true", fallbackValue = "true",
      description = "Run convolutions, pooling and batch norm on DL4J's oneDNN layer helpers "
          + "(dl4j-sn-accel); --no-accel runs DL4J as shipped (default: ${DEFAULT-VALUE}).")
  public boolean accel = true;

  /**
   * Switches the helpers on or off for the networks created from now on, logs what is active,
   * and returns it in words for metrics files.
   */
  public String apply(Logger log) {
    String threads = System.getenv("OMP_NUM_THREADS");
    String engine;
    if (accel) {
      engine = Acceleration.enable().toString();
    } else {
      Acceleration.disable();
      engine = "DL4J as shipped (layer helpers off)";
    }
    log.info("Engine: {}; OMP_NUM_THREADS={} ({} ND4J threads)", engine,
        threads == null ? "unset" : threads, Nd4j.getEnvironment().maxMasterThreads());
    return engine;
  }
}
