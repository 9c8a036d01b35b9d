package io.github.dl4jsn.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Collection;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/** CI's smoke run of every JMH benchmark: one invocation each, in this JVM. */
class BenchmarksSmokeTest {

  @Test
  void everyBenchmarkRunsOnceWithAndWithoutSpectralNormalization() throws Exception {
    Options options = new OptionsBuilder()
        .include("io\\.github\\.dl4jsn\\.benchmarks\\..*")
        .forks(0)
        .warmupIterations(0)
        .measurementIterations(1)
        .mode(Mode.SingleShotTime)
        .shouldFailOnError(true)
        .build();
    Collection<RunResult> results = new Runner(options).run();
    // StepBenchmark: 2 workloads x SN on/off/all-ops x engine shipped/accel x (training step,
    // inference); power iteration: 2 sizes x (iteration, all-ops iteration, bare GEMVs).
    assertThat(results).hasSize(30);
    for (RunResult r : results) {
      assertThat(r.getPrimaryResult().getScore()).as(r.getParams().toString()).isPositive();
    }
  }
}
