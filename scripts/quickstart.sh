#!/usr/bin/env bash
# Sets up the toolchain if needed, builds the project, and runs the main job: the SN-GAN example on
# its embedded default data set (8 Gaussians on a ring of radius 2, std 0.02, generated in code, no
# download), with spectral normalization in the discriminator (G 4x128, D 3x128 units), 4,000 steps
# at lr 1e-3 decaying to 0
# (--protocol pacgan runs PacGAN's original ring instead). It logs progress, and writes out/sngan/samples.png,
# sigma.png, losses.png, modes.png and metrics.json. Extra arguments go to the example (try --help),
# e.g. --dataset grid, --no-sn, --setting D, or --dataset mnist after scripts/fetch-data.sh mnist.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-toolchain.sh
mvn -B -q install -DskipTests
# The 2-D networks are small: one OpenMP thread is faster than two on a 2-core machine.
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
bash scripts/run-example.sh io.github.dl4jsn.examples.gan.GanExample "$@"
