#!/usr/bin/env bash
# Runs the SN-GAN experiments of docs/gan.md and prints their tables (scripts/gan-report.py).
#   scripts/gan-experiments.sh main [SEEDS]                 the main job (quickstart), seeds 1..SEEDS (5)
#   scripts/gan-experiments.sh mixtures [STEPS] [SEEDS]   ring and grid, SN vs plain, seeds 1..SEEDS
#   scripts/gan-experiments.sh settings [STEPS] [SEEDS]   ring, settings A..F, SN vs plain, seeds 1..SEEDS (1)
#   scripts/gan-experiments.sh images [STEPS] [DATASETS]  images (default "mnist fashion-mnist"), SN vs plain
#   scripts/gan-experiments.sh image-settings [STEPS] [SEEDS]  MNIST, settings A..F (lr decaying), SN vs plain
# Runs go to out/gan-exp/<experiment>/<run>/ (or ROOT/<run>/; metrics.json, PNGs, log), JOBS (default 2) at a time,
# each JVM with OMP_NUM_THREADS=1 (faster than 2 threads per JVM on a 2-core machine). A run whose
# metrics.json exists is skipped, so an interrupted experiment continues where it stopped.
# TWIN=1 (default for main, mixtures and settings) also runs the PyTorch twin
# (benchmarks/gan_twin.py, Debian's python3-torch at /usr/bin/python3) on every 2-D run's
# protocol and seed, into out/gan-exp/<experiment>/twin-<run>/; TWIN=0 runs DL4J only. For
# images (default TWIN=0) the twin is benchmarks/gan_image_twin.py, and its samples are scored
# by the example's own classifier (ScoreImages) into the same metrics.json form.
# SETTINGS (default "A B C D E F") limits settings and image-settings to some of the settings.
# PROTOCOL (default quick) is the 2-D protocol of mixtures and settings (GanExample --protocol);
# PROTOCOL=pacgan runs the protocol of the 2026-11-27 tables in docs/gan.md (whose generator
# still lacked its ReLUs; see there). EXTRA is appended to every DL4J and twin command line.
set -euo pipefail
cd "$(dirname "$0")/.."
what="${1:?usage: $0 main|mixtures|settings|images [STEPS] [SEEDS]}"
jobs="${JOBS:-2}"
protocol="${PROTOCOL:-quick}"
case "$what" in
  images|image-settings) twin="${TWIN:-0}" ;;
  *) twin="${TWIN:-1}" ;;
esac
extra="${EXTRA:-}"
python=/usr/bin/python3
mvn -B -q ${MVN_OFFLINE:-} install -DskipTests
mvn -B -q -pl dl4j-sn-examples dependency:build-classpath -Dmdep.outputFile=target/classpath.txt \
  -Dmdep.includeScope=runtime
root="${ROOT:-out/gan-exp/$what}"
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
# The twin's options for a GanExample 2-D protocol (the Java program's defaults made explicit).
twin_protocol() {
  if [ "$protocol" = quick ]; then
    echo "--ring-radius 2 --mode-std ${1:-0.02} --lr-decay --g-width 128 --d-width 128 --steps 4000"
  else
    echo "--ring-radius 1 --steps 1500"
  fi
}
# One line per run: NAME FRAMEWORK ARGS..., FRAMEWORK java (GanExample) or twin (gan_twin.py).
add() {
  local name="$1" args="$2" twin_args="$3"
  echo "$name java $args${extra:+ $extra}" >> "$list"
  if [ "$twin" = 1 ]; then echo "twin-$name twin $twin_args${extra:+ $extra}" >> "$list"; fi
}
case "$what" in
  main)
    seeds="${2:-5}"
    for seed in $(seq 1 "$seeds"); do
      add "ring-sn-seed$seed" "--seed $seed" "$(twin_protocol) --lr 1e-3 --seed $seed"
    done ;;
  mixtures)
    steps="${2:-3000}"; seeds="${3:-5}"
    for data in ring grid; do
      for seed in $(seq 1 "$seeds"); do
        for sn in sn no-sn; do
          std=""; [ "$data" = grid ] && std=0.05
          add "$data-$sn-seed$seed" "--dataset $data --$sn --seed $seed --steps $steps --protocol $protocol" \
            "$(twin_protocol $std) --lr 1e-3 --dataset $data --$sn --seed $seed --steps $steps"
        done
      done
    done ;;
  settings)
    steps="${2:-1000}"; seeds="${3:-1}"
    for seed in $(seq 1 "$seeds"); do
      for s in ${SETTINGS:-A B C D E F}; do
        for sn in sn no-sn; do
          add "ring-$s-$sn-seed$seed" \
            "--dataset ring --setting $s --$sn --seed $seed --steps $steps --protocol $protocol" \
            "$(twin_protocol) --setting $s --$sn --seed $seed --steps $steps"
        done
      done
    done ;;
  images)
    steps="${2:-2000}"; datasets="${3:-mnist fashion-mnist}"
    bash scripts/fetch-data.sh all
    for data in $datasets; do
      for sn in sn no-sn; do
        args="--dataset $data --$sn --steps $steps"
        add "$data-$sn" "$args --log-every 100" "$args"
      done
    done ;;
  image-settings)
    steps="${2:-1000}"; seeds="${3:-1}"; datasets=mnist
    bash scripts/fetch-data.sh mnist
    for seed in $(seq 1 "$seeds"); do
      for s in ${SETTINGS:-A B C D E F}; do
        for sn in sn no-sn; do
          args="--dataset mnist --setting $s --lr-decay --$sn --seed $seed --steps $steps"
          add "mnist-$s-$sn-seed$seed" "$args --log-every $((steps / 4))" "$args"
        done
      done
    done ;;
  *) echo "unknown experiment $what" >&2; exit 2 ;;
esac
# The image runs share one classifier per data set: train it once, before the parallel runs.
if [ "$what" = images ] || [ "$what" = image-settings ]; then
  for data in $datasets; do
    [ -f "data/classifier-$data.zip" ] || OMP_NUM_THREADS=2 java -Djava.awt.headless=true \
      -cp "$cp" io.github.dl4jsn.examples.gan.GanExample --dataset "$data" --steps 1 \
      --eval-samples 100 --out "$root/.classifier-$data"
  done
fi
run_one() {
  name="$1"; framework="$2"; shift 2
  dir="$root/$name"
  if [ -f "$dir/metrics.json" ]; then echo "skip $name (done)"; return; fi
  mkdir -p "$dir"
  echo "start $name: $framework $*"
  if [ "$framework" = twin ] && [ "$what" != images ] && [ "$what" != image-settings ]; then
    # Later options win in argparse, so the run's own options override the protocol's.
    OMP_NUM_THREADS=1 "$python" benchmarks/gan_twin.py --log-every 500 --out "$dir/metrics.tmp" \
      "$@" > "$dir/run.log" 2>&1 && mv "$dir/metrics.tmp" "$dir/metrics.json" \
      || { echo "FAILED $name (see $dir/run.log)"; return 1; }
    echo "done $name: $(tail -1 "$dir/run.log" | cut -c1-160)"
    return
  fi
  if [ "$framework" = twin ]; then
    # The image twin writes its samples; the example's classifier scores them (ScoreImages), and
    # run.json and score.json together become the run's metrics.json.
    local data; data="$(echo " $* " | sed -E 's/.* --dataset ([^ ]+) .*/\1/')"
    { OMP_NUM_THREADS=1 "$python" benchmarks/gan_image_twin.py --out "$dir" "$@" \
      && OMP_NUM_THREADS=1 java -Djava.awt.headless=true -cp "$cp" \
        io.github.dl4jsn.examples.gan.ScoreImages --dataset "$data" --samples "$dir/samples.f32" \
        --out "$dir/score.json" \
      && "$python" scripts/gan-report.py --merge-image-twin "$dir"; } > "$dir/run.log" 2>&1 \
      || { echo "FAILED $name (see $dir/run.log)"; return 1; }
    echo "done $name: $(grep -h "confident" "$dir/run.log" | tail -1 | cut -c1-160)"
    return
  fi
  OMP_NUM_THREADS=1 java -Xmx6g -Djava.awt.headless=true -cp "$cp" \
    io.github.dl4jsn.examples.gan.GanExample --out "$dir" "$@" > "$dir/run.log" 2>&1 \
    || { echo "FAILED $name (see $dir/run.log)"; return 1; }
  echo "done $name: $(grep -A1 'GAN on .* s)$' "$dir/run.log" | tail -1)"
}
export -f run_one
export root cp python what
xargs -P "$jobs" -L 1 bash -c 'run_one "$@"' _ < "$list"
"$python" scripts/gan-report.py "$root"
