#!/usr/bin/env bash
# Runs the JMH benchmarks (SN against the same network without SN, in one run) and the PyTorch
# twin in the same session, and prints one table. Results go to out/benchmarks/.
# Usage: scripts/benchmark.sh [--smoke]      THREADS=n sets the thread count of both (default 2).
# StepBenchmark runs each workload on DL4J as shipped and with its oneDNN layer helpers on
# (engine=shipped|accel, dl4j-sn-accel). The full run ends with CPU profiles of the training steps
# (out/benchmarks/profile.md);
# PROFILE=0 skips them. JMH_INCLUDE=regex runs a subset of the JMH benchmarks (e.g. StepBenchmark).
# Needs Debian's python3-torch for the PyTorch side, with OpenBLAS as the system BLAS (without
# libopenblas0-pthread, Debian's torch falls back to the reference BLAS, 10x slower); both are
# installed here when missing, as root.
set -euo pipefail
cd "$(dirname "$0")/.."
smoke="${1:-}"
threads="${THREADS:-2}"
bash scripts/setup-toolchain.sh
if ! /usr/bin/python3 -c "import torch" 2>/dev/null \
    || [ ! -e /usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
      --no-install-recommends python3-torch libopenblas0-pthread
  else
    echo "Missing: apt-get install python3-torch libopenblas0-pthread" >&2
    exit 1
  fi
fi
mvn -B -q install -DskipTests
mkdir -p out/benchmarks
mvn -B -q -pl dl4j-sn-examples dependency:build-classpath -Dmdep.outputFile=target/classpath.txt \
  -Dmdep.includeScope=runtime
cp="dl4j-sn-examples/target/classes:$(cat dl4j-sn-examples/target/classpath.txt)"
if [ "$smoke" = "--smoke" ]; then
  jmh_args=(-f 1 -wi 0 -i 1 -r 1s)
  torch_args=(--smoke)
else
  jmh_args=(-f 1 -wi 3 -i 5 -w 3s -r 5s)
  torch_args=()
fi
echo "== JMH (OMP_NUM_THREADS=$threads): DL4J as shipped and with oneDNN helpers, SN and plain"
OMP_NUM_THREADS="$threads" java -cp "$cp" org.openjdk.jmh.Main "${jmh_args[@]}" -prof gc \
  -p sn=true,false -p engine=shipped,accel -rf json -rff out/benchmarks/jmh.json \
  "${JMH_INCLUDE:-io.github.dl4jsn.benchmarks.StepBenchmark}" | tee out/benchmarks/jmh.txt
jmh_files=(out/benchmarks/jmh.json)
if [ -z "${JMH_INCLUDE:-}" ]; then
  echo "== JMH: SN on the all-ops core (the GPU path) on DL4J as shipped; the power iteration"
  OMP_NUM_THREADS="$threads" java -cp "$cp" org.openjdk.jmh.Main "${jmh_args[@]}" -prof gc \
    -p sn=all-ops -p engine=shipped -rf json -rff out/benchmarks/jmh-all-ops.json \
    'io.github.dl4jsn.benchmarks.StepBenchmark' | tee out/benchmarks/jmh-all-ops.txt
  OMP_NUM_THREADS="$threads" java -cp "$cp" org.openjdk.jmh.Main "${jmh_args[@]}" -prof gc \
    -rf json -rff out/benchmarks/jmh-power.json 'io.github.dl4jsn.benchmarks.PowerIteration.*' \
    | tee out/benchmarks/jmh-power.txt
  jmh_files+=(out/benchmarks/jmh-all-ops.json out/benchmarks/jmh-power.json)
fi
echo "== PyTorch twin ($threads threads)"
/usr/bin/python3 benchmarks/pytorch_twin.py --threads "$threads" "${torch_args[@]}" \
  --out out/benchmarks/pytorch.json
echo "== Table"
/usr/bin/python3 benchmarks/report.py "${jmh_files[@]}" out/benchmarks/pytorch.json \
  | tee out/benchmarks/table.md
if [ "$smoke" != "--smoke" ] && [ "${PROFILE:-1}" != 0 ]; then
  # CPU profiles of the SN training steps: async-profiler (Maven Central) in itimer mode, which
  # needs no perf events (this VM has none); collapsed stacks, summarized per frame. One OpenMP
  # thread, so that every sample of an op lands under the Java stack that called it.
  echo "== Profiles of the training steps"
  mvn -B -q dependency:get -Dartifact=tools.profiler:async-profiler:3.0
  lib="$PWD/out/benchmarks/libasyncProfiler.so"
  unzip -p "$HOME/.m2/repository/tools/profiler/async-profiler/3.0/async-profiler-3.0.jar" \
    linux-x64/libasyncProfiler.so > "$lib"
  # With and without SN, oneDNN helpers on: outside SN's own code the two profiles should match.
  rm -rf out/benchmarks/profile-*
  for workload in mlp sngan_cnn32; do
    for sn in true false; do
      dir="out/benchmarks/profile-$workload-sn-$sn"
      OMP_NUM_THREADS=1 java -cp "$cp" org.openjdk.jmh.Main -f 1 -wi 2 -i 3 -w 3s -r 5s \
        -p workload="$workload" -p sn="$sn" -p engine=accel \
        -prof "async:libPath=$lib;event=itimer;output=collapsed;dir=$dir" \
        'io.github.dl4jsn.benchmarks.StepBenchmark.trainingStep' > "$dir.log"
    done
  done
  /usr/bin/python3 benchmarks/profile_summary.py \
    $(find out/benchmarks -path '*profile-*' -name 'collapsed*' | sort) \
    | tee out/benchmarks/profile.md
fi
