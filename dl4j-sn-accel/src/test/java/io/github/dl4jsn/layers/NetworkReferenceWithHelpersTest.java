package io.github.dl4jsn.layers;

import io.github.dl4jsn.accel.Acceleration;
import org.junit.jupiter.api.BeforeAll;

/**
 * The PyTorch reference cases (1e-10, DOUBLE) through one-layer networks created with DL4J's
 * oneDNN helpers switched on: the FLOAT-only helpers decline DOUBLE and DL4J's built-in path
 * gives the exact results.
 */
class NetworkReferenceWithHelpersTest extends NetworkReferenceTest {

  @BeforeAll
  static void helpersOn() {
    Acceleration.enable();
  }
}
