package io.github.dl4jsn.benchmarks;

import io.github.dl4jsn.accel.Acceleration;
import io.github.dl4jsn.accel.HelperReport;
import java.util.concurrent.TimeUnit;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * One training step (forward, backward, Adam) and one inference pass of each workload, with
 * ({@code sn=true}) and without spectral normalization, batch 64, and with SN on the all-ops core
 * ({@code sn=all-ops}); on DL4J as shipped and with its oneDNN helpers on ({@code engine}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class StepBenchmark {

  @Param({"mlp", "sngan_cnn32"})
  public String workload;

  /**
   * "true": SN as users get it (on the CPU backend, the core with host scalars); "false": the same
   * network without SN; "all-ops": SN with the core that runs every step as an ND4J op (the path
   * a GPU backend takes), for the before/after comparison.
   */
  @Param({"true", "false", "all-ops"})
  public String sn;

  /**
   * "shipped": DL4J as released (its layer helpers off); "accel": DL4J's oneDNN layer helpers on
   * through dl4j-sn-accel. Both on the same native library (nd4j-native's oneDNN build).
   */
  @Param({"shipped", "accel"})
  public String engine;

  @Param({"64"})
  public int batch;

  private MultiLayerNetwork net;
  private DataSet data;
  private INDArray initialParams;
  private INDArray initialUpdaterState;

  @Setup(Level.Trial)
  public void setUp() {
    // ND4J calls System.gc() periodically by default; that would land inside measurements.
    Nd4j.getMemoryManager().togglePeriodicGc(false);
    boolean cnn = workload.equals("sngan_cnn32");
    boolean withSn = !sn.equals("false");
    if (engine.equals("accel")) {
      Acceleration.enable();
    } else {
      Acceleration.disable();
    }
    if (sn.equals("all-ops")) {
      System.setProperty("dl4jsn.core", "device");
    }
    try {
      net = new MultiLayerNetwork(cnn ? Workloads.snganCnn32(withSn) : Workloads.mlp(withSn));
      net.init();
      if (engine.equals("accel") && cnn && !HelperReport.of(net).rows().stream()
          .filter(r -> r.type().equals("ConvolutionLayer"))
          .allMatch(HelperReport.Row::accelerated)) {
        throw new IllegalStateException("Not every convolution got its helper:\n"
            + HelperReport.of(net));
      }
    } finally {
      System.clearProperty("dl4jsn.core");
    }
    Nd4j.getRandom().setSeed(2);
    long[] shape = cnn ? new long[] {batch, 3, 32, 32} : new long[] {batch, 784};
    INDArray x = Nd4j.rand(DataType.FLOAT, shape).subi(0.5).muli(2);
    data = new DataSet(x, Nd4j.ones(DataType.FLOAT, batch, 1));
    initialParams = net.params().dup();
    initialUpdaterState = net.getUpdater().getStateViewArray().dup();
  }

  /**
   * Puts the parameters (u and v included) and Adam's state back to their initial values before
   * every call, so that each call measures the same step. Without it the step time drifts as the
   * network trains towards the constant label: the plain MLP's step went from 25 to 82 ms over
   * five 5-second iterations in one run, which made the with/without ratios meaningless. The
   * iteration count still advances, so SN iterates once per step as in training.
   */
  @Setup(Level.Invocation)
  public void resetTrainingState() {
    net.params().assign(initialParams);
    net.getUpdater().getStateViewArray().assign(initialUpdaterState);
  }

  @Benchmark
  public double trainingStep() {
    net.fit(data);
    return net.score();
  }

  @Benchmark
  public INDArray inference() {
    return net.output(data.getFeatures(), false);
  }
}
