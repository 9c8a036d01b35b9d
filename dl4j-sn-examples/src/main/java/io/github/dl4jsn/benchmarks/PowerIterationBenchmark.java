package io.github.dl4jsn.benchmarks;

import io.github.dl4jsn.math.SpectralNormCore;
import io.github.dl4jsn.math.WeightLayout;
import java.util.concurrent.TimeUnit;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
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
 * The power iteration alone (one step: {@code v = normalize(M^T u); u = normalize(M v)} on a
 * FLOAT matrix held like a convolution weight, M = [rows, cols]) against two bare matrix-vector
 * products of the same size into preallocated outputs. Run with {@code -prof gc} for bytes
 * allocated per operation.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class PowerIterationBenchmark {

  @Param({"512x4608", "256x256"})
  public String size;

  private INDArray weight;
  private SpectralNormCore core;
  private SpectralNormCore allOpsCore;
  private INDArray uRow;
  private INDArray vRow;
  private INDArray outH;
  private INDArray outW;

  @Setup(Level.Trial)
  public void setUp() {
    // ND4J calls System.gc() periodically by default; that would land inside measurements.
    Nd4j.getMemoryManager().togglePeriodicGc(false);
    String[] hw = size.split("x");
    long h = Long.parseLong(hw[0]);
    long w = Long.parseLong(hw[1]);
    Nd4j.getRandom().setSeed(3);
    weight = Nd4j.randn(DataType.FLOAT, h, w);
    core = SpectralNormCore.create(WeightLayout.CONV, new long[] {h, w}, 'c', DataType.FLOAT,
        1e-12, 1.0, false);
    core.bind(Nd4j.randn(DataType.FLOAT, h), Nd4j.randn(DataType.FLOAT, w));
    core.normalizeVectors();
    allOpsCore = new SpectralNormCore(WeightLayout.CONV, new long[] {h, w}, 'c', DataType.FLOAT,
        1e-12, 1.0, false);
    allOpsCore.bind(Nd4j.randn(DataType.FLOAT, h), Nd4j.randn(DataType.FLOAT, w));
    allOpsCore.normalizeVectors();
    uRow = Nd4j.randn(DataType.FLOAT, 1, h);
    vRow = Nd4j.randn(DataType.FLOAT, 1, w);
    outH = Nd4j.create(DataType.FLOAT, 1, h);
    outW = Nd4j.create(DataType.FLOAT, 1, w);
  }

  @Benchmark
  public INDArray powerIteration() {
    core.powerIterate(weight, 1);
    return core.u();
  }

  /** The same step on the core that runs every step as an ND4J op (a GPU backend's path). */
  @Benchmark
  public INDArray powerIterationAllOps() {
    allOpsCore.powerIterate(weight, 1);
    return allOpsCore.u();
  }

  @Benchmark
  public INDArray twoBareGemvs() {
    Nd4j.gemm(uRow, weight, outW, false, false, 1.0, 0.0);
    Nd4j.gemm(vRow, weight, outH, false, true, 1.0, 0.0);
    return outH;
  }
}
