#!/usr/bin/env bash
# Sets up the toolchain if needed, builds the project, and runs the quickstart example: an MLP with
# spectral normalization on every layer, trained on generated data, printing each layer's sigma.
# Extra arguments go to the example (try --help).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-toolchain.sh
mvn -B -q install -DskipTests
bash scripts/run-example.sh io.github.dl4jsn.examples.QuickstartExample "$@"
