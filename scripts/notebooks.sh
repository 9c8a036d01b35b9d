#!/usr/bin/env bash
# Executes every notebook in notebooks/ headlessly with Debian's jupyter-nbconvert and the
# project's test-harness kernel (dl4j-sn-notebooks), then checks their outputs.
#
#   bash scripts/notebooks.sh                  # build, execute all notebooks, check (what CI runs)
#   bash scripts/notebooks.sh quickstart       # only notebooks/quickstart.ipynb
#   bash scripts/notebooks.sh --libs-only      # only build dl4j-sn-notebooks/target/notebook-libs/
#   bash scripts/notebooks.sh --install-kernel # also install the kernel for your own Jupyter (--user)
#
# Everything Jupyter writes (kernelspec, runtime files, executed notebooks) stays under
# target/notebooks/; nothing goes to your home folder unless you ask for --install-kernel.
# Environment: NOTEBOOK_TIMEOUT (seconds per cell, default 600), KERNEL_JAVA_OPTS (default -Xmx4g),
# KERNEL_OMP_THREADS (ND4J's OpenMP threads in the kernel, default 1: the notebooks' models are
# tiny, and on a shared 2-core machine one thread ran the quickstart in 37 s against 67 s with two).
# The kernel switches on DL4J's oneDNN layer helpers (dl4j-sn-accel) at start; add
# -Ddl4jsn.accel=false to KERNEL_JAVA_OPTS for DL4J as shipped.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

libs_only=false
install_kernel=false
selected=()
for arg in "$@"; do
  case "$arg" in
    --libs-only) libs_only=true ;;
    --install-kernel) install_kernel=true ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    -*) echo "error: unknown option $arg" >&2; exit 2 ;;
    *) selected+=("notebooks/${arg%.ipynb}.ipynb") ;;
  esac
done

# 1. The kernel and the notebooks' classpath: target/notebook-libs/ holds the kernel jar and every
#    runtime dependency (dl4j-sn-core, dl4j-sn-examples, ND4J's CPU backend, JFreeChart, ...).
libs="$root/dl4j-sn-notebooks/target/notebook-libs"
rm -rf "$libs"
echo "== building dl4j-sn-notebooks and $libs"
if ! mvn -B -q -DskipTests -Pnotebook-libs -pl dl4j-sn-notebooks -am package; then
  echo "error: building dl4j-sn-notebooks failed" >&2
  exit 1
fi
if ! ls "$libs"/dl4j-sn-notebooks-*.jar >/dev/null 2>&1; then
  echo "error: $libs has no kernel jar after the build" >&2
  exit 1
fi
echo "   $(ls "$libs" | wc -l) jars in $libs"
$libs_only && exit 0

# 2. Jupyter: Debian's nbconvert, nbclient and jupyter-client.
py=/usr/bin/python3
if ! command -v jupyter-nbconvert >/dev/null 2>&1 \
    || ! "$py" -c 'import nbclient, jupyter_client' >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "== installing Debian's jupyter-nbconvert"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    apt-get install -y -q --no-install-recommends jupyter-nbconvert python3-nbclient \
      jupyter-client python3-ipykernel >/dev/null
  else
    echo "error: jupyter-nbconvert is missing. Install it as root with" >&2
    echo "  apt-get install --no-install-recommends jupyter-nbconvert python3-nbclient jupyter-client python3-ipykernel" >&2
    echo "or any Jupyter with nbconvert >= 6 on the PATH." >&2
    exit 1
  fi
fi

# 3. A private Jupyter: kernelspec, data, runtime and config under target/notebooks/.
work="$root/target/notebooks"
mkdir -p "$work/executed"
export JUPYTER_PATH="$work/jupyter" JUPYTER_DATA_DIR="$work/jupyter" \
  JUPYTER_RUNTIME_DIR="$work/runtime" JUPYTER_CONFIG_DIR="$work/config" IPYTHONDIR="$work/ipython"
spec="$JUPYTER_PATH/kernels/dl4j-sn"
mkdir -p "$spec"
java_bin=$(command -v java)
[ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ] && java_bin="$JAVA_HOME/bin/java"
"$py" - "$spec/kernel.json" "$java_bin" "$libs" "${KERNEL_JAVA_OPTS:--Xmx4g}" \
  "${KERNEL_OMP_THREADS:-1}" <<'PY'
import json, sys
path, java, libs, opts, omp = sys.argv[1:6]
argv = [java, "-Djava.awt.headless=true", *opts.split(),
        "-cp", libs + "/*", "io.github.dl4jsn.notebooks.kernel.SnKernel", "{connection_file}"]
json.dump({"argv": argv, "display_name": "Java (dl4j-sn test harness)", "language": "java",
           "interrupt_mode": "message", "env": {"OMP_NUM_THREADS": omp}},
          open(path, "w"), indent=1)
PY
echo "== kernelspec $spec/kernel.json"

if $install_kernel; then
  jupyter kernelspec install --user --name dl4j-sn "$spec"
fi

# 4. Execute each notebook with that kernel (whatever kernel its metadata names), then check.
if [ ${#selected[@]} -eq 0 ]; then
  selected=(notebooks/*.ipynb)
fi
status=0
for nb in "${selected[@]}"; do
  [ -f "$nb" ] || { echo "error: no notebook $nb" >&2; exit 2; }
  name=$(basename "$nb")
  echo "== executing $nb"
  start=$(date +%s)
  if ! jupyter nbconvert --to notebook --execute \
      --ExecutePreprocessor.kernel_name=dl4j-sn \
      --ExecutePreprocessor.timeout="${NOTEBOOK_TIMEOUT:-600}" \
      --ExecutePreprocessor.startup_timeout=120 \
      --output-dir "$work/executed" --output "$name" "$nb"; then
    echo "error: $nb failed (a cell raised an error; see above)" >&2
    status=1
  fi
  echo "   $name: $(( $(date +%s) - start ))s"
done
executed=()
for nb in "${selected[@]}"; do
  f="$work/executed/$(basename "$nb")"
  [ -f "$f" ] && executed+=("$f")
done
if [ ${#executed[@]} -gt 0 ]; then
  "$py" scripts/check-notebooks.py "${executed[@]}" || status=1
fi
[ $status -eq 0 ] && echo "== notebooks OK; executed copies in $work/executed"
exit $status
