#!/usr/bin/env bash
# Training step time of the translation example, DL4J's `state` model beside its PyTorch twin, on
# the same first 200 batches of epoch 1 (2 x 256, embeddings 256, vocabularies 8,000, batch 64,
# Adam 1e-3, global clipping at 5, no SN, one thread each), one after the other. Run it on an
# otherwise idle machine: the two runs are compared, so anything beside them skews the ratio.
# Needs the prepared DDTP splits (scripts/fetch-ddtp.sh) and `mvn install -DskipTests`.
# ENGINE (default DIRECT) picks how DL4J computes its gradients (TranslationExample train --engine).
# Usage: scripts/translation-step-bench.sh [OUT]   (default out/translation-step)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-out/translation-step}"
mkdir -p "$out"
export OMP_NUM_THREADS=1
export JAVA_OPTS="${JAVA_OPTS:--Xmx4g -Dorg.bytedeco.javacpp.maxbytes=6G \
-Dorg.bytedeco.javacpp.maxphysicalbytes=12G}"
echo "twin: 200 updates -> $out/twin.json"
/usr/bin/python3 benchmarks/translation_twin.py bench --data data/ddtp --warmup 10 --updates 190 \
  --out "$out/twin.json" > "$out/twin.log" 2>&1
echo "DL4J: 200 updates -> $out/dl4j.log"
rm -rf "$out/dl4j"
bash scripts/run-example.sh io.github.dl4jsn.examples.translation.TranslationExample train \
  --data data/ddtp --out "$out/dl4j" --architecture state --layers 2 --hidden 256 \
  --embedding 256 --src-vocab 8000 --tgt-vocab 8000 --optimizer adam --lr 0.001 \
  --batch-size 64 --valid-sentences 962 --epochs 1 --log-every 10 --seed 1 \
  --engine "${ENGINE:-DIRECT}" > "$out/dl4j.log" 2>&1 &
java_pid=$!
until grep -q "batch 200/" "$out/dl4j.log" 2>/dev/null; do
  kill -0 "$java_pid" 2>/dev/null || { echo "DL4J run ended early: see $out/dl4j.log" >&2; exit 1; }
  sleep 2
done
kill "$java_pid"
wait "$java_pid" 2>/dev/null || true
/usr/bin/python3 - "$out" <<'PY'
import json, re, statistics, sys
out = sys.argv[1]
t = json.load(open(f"{out}/twin.json"))["msPerUpdate"]
log = open(f"{out}/dl4j.log").read()
s = {int(b): float(x) for b, x in re.findall(r"batch (\d+)/\d+: .*?, ([\d.]+) s", log)}
rows = [("updates 11-100", statistics.mean(t[:90]), (s[100] - s[10]) / 90 * 1000),
        ("updates 101-200", statistics.mean(t[90:]), (s[200] - s[100]) / 100 * 1000)]
for name, twin, dl4j in rows:
    print(f"{name}: twin {twin:.1f} ms, DL4J {dl4j:.1f} ms, DL4J/twin {dl4j / twin:.2f}x")
PY
