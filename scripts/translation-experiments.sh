#!/usr/bin/env bash
# The translation experiments of docs/translation.md, DL4J beside its PyTorch twin
# (benchmarks/translation_twin.py, Debian's python3-torch), on the DDTP splits
# (scripts/fetch-ddtp.sh, then TranslationExample prepare). Every run: 2 x 256 LSTMs, embeddings
# 256, vocabularies of 8,000 words, Adam 1e-3, batch 64, global clipping at 5, greedy BLEU on the
# 962 validation sentences after each epoch, OUT/best.zip|best.pt the best epoch. One OpenMP /
# torch thread per job: run two jobs at a time on a 2-core machine, not more.
#
# Usage: scripts/translation-experiments.sh STAGE [NAME...]
#   converge   reversed, forward and reversed + SN on the LSTMs, seed 1, EPOCHS (20) epochs,
#              patience 3: dl4j-rev-s1 dl4j-fwd-s1 dl4j-revsn-s1 twin-rev-s1 twin-fwd-s1
#              twin-revsn-s1 (give NAMEs to run only those)
#   seeds      reversed and forward, seeds 2 and 3, SEED_EPOCHS (6) epochs: twin-rev-s2 ...
#              (DL4J too with DL4J=1)
#   sweep      beam 3 and 12 x length norm none/average/gnmt on the validation split, with the
#              twin's best reversed model (the choice then applies to both frameworks)
#   eval       test BLEU of every best checkpoint under OUT: greedy and beam BEAM (12) with
#              LENGTH_NORM (gnmt), with the rare-word step (model, identity and paragraph
#              dictionary); rare-word reports
#   gates      gate statistics (TranslationExample gates / the twin's gates) of every best
#              checkpoint under OUT, or of the NAMEs given, on the validation split, and
#              docs/img/translation-gates*.png
#   figures    docs/img/translation-*.png from the histories under OUT
# OUT (out/tr) holds one folder and one log per run; an existing run is resumed.
# Every training run stops after PATIENCE (3) epochs without a better validation BLEU; PATIENCE=0
# trains the whole budget (the seeds at convergence: SEED_EPOCHS=42 PATIENCE=0).
set -euo pipefail
cd "$(dirname "$0")/.."
stage="${1:?usage: scripts/translation-experiments.sh converge|seeds|sweep|eval|figures [NAME...]}"
shift
OUT="${OUT:-out/tr}"
EPOCHS="${EPOCHS:-20}"
SEED_EPOCHS="${SEED_EPOCHS:-6}"
PATIENCE="${PATIENCE:-3}"
BEAM="${BEAM:-12}"
LENGTH_NORM="${LENGTH_NORM:-gnmt}"
export OMP_NUM_THREADS=1
memory="-Xmx4g -Dorg.bytedeco.javacpp.maxbytes=6G -Dorg.bytedeco.javacpp.maxphysicalbytes=12G"
export JAVA_OPTS="${JAVA_OPTS:-$memory}"
M=io.github.dl4jsn.examples.translation.TranslationExample
TWIN=(/usr/bin/python3 benchmarks/translation_twin.py)
mkdir -p "$OUT"

# Options of a run from its name: FRAMEWORK-VARIANT-sSEED.
options() {
  local variant seed
  variant="$(echo "$1" | cut -d- -f2)"
  seed="${1##*-s}"
  case "$variant" in
    rev) echo "--seed $seed" ;;
    fwd) echo "--seed $seed --no-reverse-source" ;;
    revsn) echo "--seed $seed --sn --no-sn-output" ;;
    *) echo "unknown run variant in $1" >&2; exit 2 ;;
  esac
}

train() { # NAME EPOCHS
  local name="$1" epochs="$2" opts
  opts="$(options "$name")"
  echo "$(date +%T) training $name ($epochs epochs) -> $OUT/$name.log"
  # shellcheck disable=SC2086
  case "$name" in
    dl4j-*) bash scripts/run-example.sh $M train --data data/ddtp --out "$OUT/$name" \
        --architecture state --layers 2 --hidden 256 --embedding 256 --src-vocab 8000 \
        --tgt-vocab 8000 --optimizer adam --lr 0.001 --batch-size 64 --valid-sentences 962 \
        --epochs "$epochs" --patience "$PATIENCE" --resume $opts >> "$OUT/$name.log" 2>&1 ;;
    twin-*) "${TWIN[@]}" train --data data/ddtp --out "$OUT/$name" --valid-sentences 962 \
        --epochs "$epochs" --patience "$PATIENCE" --resume $opts >> "$OUT/$name.log" 2>&1 ;;
  esac
}

case "$stage" in
  converge)
    names=("$@")
    [ ${#names[@]} -gt 0 ] || names=(dl4j-rev-s1 dl4j-fwd-s1 dl4j-revsn-s1 twin-rev-s1 \
      twin-fwd-s1 twin-revsn-s1)
    for n in "${names[@]}"; do train "$n" "$EPOCHS"; done ;;
  seeds)
    names=("$@")
    if [ ${#names[@]} -eq 0 ]; then
      for s in 2 3; do
        for v in rev fwd; do
          names+=("twin-$v-s$s")
          [ "${DL4J:-0}" = 1 ] && names+=("dl4j-$v-s$s")
        done
      done
    fi
    for n in "${names[@]}"; do train "$n" "$SEED_EPOCHS"; done ;;
  sweep)
    ckpt="$OUT/twin-rev-s1/best.pt"
    mkdir -p "$OUT/sweep"
    for b in 3 12; do
      for norm in none average gnmt; do
        "${TWIN[@]}" eval --checkpoint "$ckpt" --split valid --beam "$b" --length-norm "$norm" \
          --no-paragraph-dictionary --out "$OUT/sweep/valid-b$b-$norm.json" \
          > "$OUT/sweep/valid-b$b-$norm.log" 2>&1
        grep "BLEU beam" "$OUT/sweep/valid-b$b-$norm.log"
      done
    done ;;
  eval)
    for dir in "$OUT"/*/; do
      name="$(basename "$dir")"
      case "$name" in
        dl4j-*) [ -f "$dir/best.zip" ] || continue
          bash scripts/run-example.sh $M eval --data data/ddtp --model "$dir/best.zip" \
            --beam "$BEAM" --length-norm "$LENGTH_NORM" --out "$dir/eval-test.json" \
            > "$dir/eval-test.log" 2>&1 ;;
        twin-*) [ -f "$dir/best.pt" ] || continue
          "${TWIN[@]}" eval --data data/ddtp --checkpoint "$dir/best.pt" --beam "$BEAM" \
            --length-norm "$LENGTH_NORM" --out "$dir/eval-test.json" > "$dir/eval-test.log" 2>&1 ;;
        *) continue ;;
      esac
      "${TWIN[@]}" rare-report "$dir/eval-test.tsv" --out "$dir/rare-test.json" > /dev/null
      echo "$name: $(grep -h "BLEU" "$dir/eval-test.log" | tr '\n' ' ')"
    done ;;
  gates)
    names=("$@")
    if [ ${#names[@]} -eq 0 ]; then
      for dir in "$OUT"/*/; do names+=("$(basename "$dir")"); done
    fi
    args=()
    for name in "${names[@]}"; do
      dir="$OUT/$name"
      case "$name" in
        dl4j-*) [ -f "$dir/best.zip" ] || continue
          bash scripts/run-example.sh $M gates --data data/ddtp --model "$dir/best.zip" \
            --out "$dir/gates-valid.json" > "$dir/gates-valid.log" 2>&1 ;;
        twin-*) [ -f "$dir/best.pt" ] || continue
          "${TWIN[@]}" gates --data data/ddtp --checkpoint "$dir/best.pt" \
            --out "$dir/gates-valid.json" > "$dir/gates-valid.log" 2>&1 ;;
        *) continue ;;
      esac
      grep -v INFO "$dir/gates-valid.log" | grep -A8 "^layer"
      args+=("$name=$dir/gates-valid.json")
    done
    [ ${#args[@]} -gt 0 ] || { echo "no best checkpoint under $OUT" >&2; exit 1; }
    mvn -B -q -pl dl4j-sn-examples dependency:build-classpath \
      -Dmdep.outputFile=target/classpath.txt -Dmdep.includeScope=runtime
    java -Djava.awt.headless=true \
      -cp "dl4j-sn-examples/target/classes:$(cat dl4j-sn-examples/target/classpath.txt)" \
      io.github.dl4jsn.examples.translation.TranslationGatesFigure \
      --out docs/img/translation-gates.png "${args[@]}" ;;
  figures)
    mvn -B -q -pl dl4j-sn-examples dependency:build-classpath \
      -Dmdep.outputFile=target/classpath.txt -Dmdep.includeScope=runtime
    run=(java -cp "dl4j-sn-examples/target/classes:$(cat dl4j-sn-examples/target/classpath.txt)"
      io.github.dl4jsn.examples.translation.TranslationCurves)
    args=()
    for dir in "$OUT"/*-s1/; do
      [ -f "$dir/train-history.json" ] && args+=("$(basename "$dir")=$dir/train-history.json")
    done
    "${run[@]}" --out docs/img/translation-curves.png --sigmas "${args[@]}" ;;
  *) echo "unknown stage $stage" >&2; exit 2 ;;
esac
