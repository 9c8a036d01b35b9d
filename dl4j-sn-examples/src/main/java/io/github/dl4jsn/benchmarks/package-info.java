/**
 * JMH benchmarks of spectral normalization's overhead: each workload with and without SN in the
 * same run. {@code scripts/benchmark.sh} runs them beside a PyTorch twin.
 */
package io.github.dl4jsn.benchmarks;
