#!/usr/bin/env bash
# Trains a small English->French translation model in a few minutes, so that 'translate' works
# right after set-up, and says how good it is. Fetches Debian's package descriptions (DDTP, apt
# index files, scripts/fetch-ddtp.sh) if missing, builds the project, prepares the splits, trains
# the paper's encoder-decoder (--architecture state: 1 x 256 LSTMs, embeddings 128,
# vocabularies of 4,000 words, reversed source, batch 128, Adam 3e-3) for at most QUICK_MINUTES
# (default 8) minutes, keeping the epoch with the best greedy validation BLEU
# (out/quickstart-translation/best.zip),
# then reports greedy test BLEU on the first 500 test sentences and translates a few examples.
# The model is small and short-trained: docs/translation.md has the long runs (BLEU 20+).
# Extra arguments go to 'train' (try --help), e.g. --max-minutes 20 or --hidden 512.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-toolchain.sh
bash scripts/fetch-ddtp.sh
mvn -B -q install -DskipTests
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
# The JVM's native memory follows its heap's garbage collections (SameDiff's decoding graphs, and
# training with --engine SAMEDIFF): a smaller heap keeps it bounded (docs/translation.md, "Shapes").
memory="-Xmx4g -Dorg.bytedeco.javacpp.maxbytes=6G -Dorg.bytedeco.javacpp.maxphysicalbytes=12G"
export JAVA_OPTS="${JAVA_OPTS:-$memory}"
M=io.github.dl4jsn.examples.translation.TranslationExample
out=out/quickstart-translation
minutes="${QUICK_MINUTES:-8}"
bash scripts/run-example.sh $M train --out "$out" --architecture state --layers 1 --hidden 256 \
  --embedding 128 --src-vocab 4000 --tgt-vocab 4000 --optimizer adam --lr 0.003 --batch-size 128 \
  --valid-sentences 300 --epochs 50 --max-minutes "$minutes" "$@"
bash scripts/run-example.sh $M eval --model "$out/best.zip" --beam 1 --limit 500 \
  --out "$out/eval-test.json"
examples=("Scriptable screen reader" "development files for the GTK library"
  "documentation for the Python bindings" "command-line tool to convert images")
echo "Translations (greedy, rare-word step):"
mapfile -t french < <(bash scripts/run-example.sh $M translate --model "$out/best.zip" --beam 1 \
  "${examples[@]}" 2>/dev/null | sed 's/\x1b\[[0-9;]*m//g' | tail -n "${#examples[@]}")
for i in "${!examples[@]}"; do
  echo "  ${examples[$i]} -> ${french[$i]:-}"
done
echo "Translate your own: bash scripts/run-example.sh $M translate --model $out/best.zip \"text\""
