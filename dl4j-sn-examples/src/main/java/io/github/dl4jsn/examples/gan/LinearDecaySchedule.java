package io.github.dl4jsn.examples.gan;

import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * A learning rate that falls linearly from its initial value to 0 over {@code maxIterations}
 * updates: {@code lr(i) = lr0 * max(0, 1 - i / maxIterations)}, as PyTorch's
 * {@code LambdaLR(lambda s: 1 - s / steps)}.
 *
 * <p>Not DL4J's {@code PolySchedule}: in ND4J 1.0.0-M2.1 that computes
 * {@code lr0 * (1 + i / maxIter)^power}, which grows (to 2 lr0 for power 1) instead of decaying.
 */
public final class LinearDecaySchedule implements ISchedule {

  @JsonProperty private double initialValue;
  @JsonProperty private int maxIterations;

  /** For Jackson. */
  private LinearDecaySchedule() {}

  public LinearDecaySchedule(double initialValue, int maxIterations) {
    if (!(initialValue > 0) || maxIterations < 1) {
      throw new IllegalArgumentException("LinearDecaySchedule: initial value must be > 0 and"
          + " maxIterations >= 1, got " + initialValue + " and " + maxIterations);
    }
    this.initialValue = initialValue;
    this.maxIterations = maxIterations;
  }

  @Override
  public double valueAt(int iteration, int epoch) {
    return initialValue * Math.max(0, 1 - (double) iteration / maxIterations);
  }

  @Override
  public ISchedule clone() {
    return new LinearDecaySchedule(initialValue, maxIterations);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof LinearDecaySchedule l && l.initialValue == initialValue
        && l.maxIterations == maxIterations;
  }

  @Override
  public int hashCode() {
    return Double.hashCode(initialValue) * 31 + maxIterations;
  }

  @Override
  public String toString() {
    return "LinearDecaySchedule(" + initialValue + " -> 0 over " + maxIterations + ")";
  }
}
