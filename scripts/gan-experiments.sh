#!/usr/bin/env bash
# Runs the SN-GAN experiments of docs/gan.md and prints their tables (scripts/gan-report.py).
#   scripts/gan-experiments.sh mixtures [STEPS] [SEEDS]   ring and grid, SN vs plain, seeds 1..SEEDS
#   scripts/gan-experiments.sh settings [STEPS]           ring, settings A..F, SN vs plain, seed 1
#   scripts/gan-experiments.sh images [STEPS] [DATASETS]  images (default "mnist fashion-mnist"), SN vs plain
# Runs go to out/gan-exp/<experiment>/<run>/ (metrics.json, PNGs, log), JOBS (default 2) at a time,
# each JVM with OMP_NUM_THREADS=1 (faster than 2 threads per JVM on a 2-core machine). A run whose
# metrics.json exists is skipped, so an interrupted experiment continues where it stopped.
# PROTOCOL (default quick) is the 2-D protocol of mixtures and settings (GanExample --protocol);
# PROTOCOL=pacgan runs the protocol of the 2026-11-27 tables in docs/gan.md (whose generator
# still lacked its ReLUs; see there).
set -euo pipefail
cd "$(dirname "$0")/.."
what="${1:?usage: $0 mixtures|settings|images [STEPS] [SEEDS]}"
jobs="${JOBS:-2}"
protocol="${PROTOCOL:-quick}"
mvn -B -q install -DskipTests
mvn -B -q -pl dl4j-sn-examples dependency:build-classpath -Dmdep.outputFile=target/classpath.txt \
  -Dmdep.includeScope=runtime
root="out/gan-exp/$what"
mkdir -p "$root"
# A private copy of the class path, so that a later build does not change classes under a run.
snapshot="$root/.classes"
rm -rf "$snapshot" "$snapshot-lib" && cp -r dl4j-sn-examples/target/classes "$snapshot"
# The project's own jars too (a later `mvn install` replaces them in ~/.m2 under a running JVM).
mkdir -p "$snapshot-lib"
cp=""
for entry in $(tr ':' ' ' < dl4j-sn-examples/target/classpath.txt); do
  case "$(basename "$entry")" in
    dl4j-sn-*) cp -f "$entry" "$snapshot-lib/" && entry="$snapshot-lib/$(basename "$entry")" ;;
  esac
  cp="$cp:$entry"
done
cp="$snapshot$cp"
list="$root/.runs"
: > "$list"
case "$what" in
  mixtures)
    steps="${2:-3000}"; seeds="${3:-5}"
    for data in ring grid; do
      for seed in $(seq 1 "$seeds"); do
        for sn in sn no-sn; do
          echo "$data-$sn-seed$seed --dataset $data --$sn --seed $seed --steps $steps --protocol $protocol" >> "$list"
        done
      done
    done ;;
  settings)
    steps="${2:-1000}"
    for s in A B C D E F; do
      for sn in sn no-sn; do
        echo "ring-$s-$sn --dataset ring --setting $s --$sn --steps $steps --protocol $protocol" >> "$list"
      done
    done ;;
  images)
    steps="${2:-2000}"; datasets="${3:-mnist fashion-mnist}"
    bash scripts/fetch-data.sh all
    for data in $datasets; do
      for sn in sn no-sn; do
        echo "$data-$sn --dataset $data --$sn --steps $steps --log-every 100" >> "$list"
      done
    done ;;
  *) echo "unknown experiment $what" >&2; exit 2 ;;
esac
# The image runs share one classifier per data set: train it once, before the parallel runs.
if [ "$what" = images ]; then
  for data in $datasets; do
    [ -f "data/classifier-$data.zip" ] || OMP_NUM_THREADS=2 java -Djava.awt.headless=true \
      -cp "$cp" io.github.dl4jsn.examples.gan.GanExample --dataset "$data" --steps 1 \
      --eval-samples 100 --out "$root/.classifier-$data"
  done
fi
run_one() {
  name="$1"; shift
  dir="$root/$name"
  if [ -f "$dir/metrics.json" ]; then echo "skip $name (done)"; return; fi
  mkdir -p "$dir"
  echo "start $name: $*"
  OMP_NUM_THREADS=1 java -Xmx6g -Djava.awt.headless=true -cp "$cp" \
    io.github.dl4jsn.examples.gan.GanExample --out "$dir" "$@" > "$dir/run.log" 2>&1 \
    || { echo "FAILED $name (see $dir/run.log)"; return 1; }
  echo "done $name: $(grep -A1 'GAN on .* s)$' "$dir/run.log" | tail -1)"
}
export -f run_one
export root cp
xargs -P "$jobs" -L 1 bash -c 'run_one "$@"' _ < "$list"
python3 scripts/gan-report.py "$root"
