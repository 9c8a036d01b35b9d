#!/usr/bin/env bash
# Installs JDK 17 and Maven from Debian's packages where the machine lacks them (needs root).
set -euo pipefail
if command -v mvn >/dev/null 2>&1 && command -v javac >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "JDK 17 and Maven are missing; install them (Debian: apt-get install openjdk-17-jdk-headless maven)" >&2
  exit 1
fi
echo "Installing JDK 17 and Maven from Debian's packages"
apt-get update -q
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
  openjdk-17-jdk-headless maven
