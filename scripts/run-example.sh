#!/usr/bin/env bash
# Runs an example main class in its own JVM, on the examples module's class path.
# Usage: scripts/run-example.sh MAIN_CLASS [ARGS...]   (after 'mvn install -DskipTests')
set -euo pipefail
cd "$(dirname "$0")/.."
main="$1"
shift
# One OpenMP thread unless set: faster for every example network on 2 cores (docs/benchmarks.md,
# "Threads").
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
cp_file=dl4j-sn-examples/target/classpath.txt
mvn -B -q -pl dl4j-sn-examples dependency:build-classpath -Dmdep.outputFile=target/classpath.txt \
  -Dmdep.includeScope=runtime
# JAVA_OPTS (e.g. -Xmx4g) go to the JVM; word splitting is intended.
# shellcheck disable=SC2086
exec java ${JAVA_OPTS:-} -Djava.awt.headless=true \
  -cp "dl4j-sn-examples/target/classes:$(cat "$cp_file")" "$main" "$@"
