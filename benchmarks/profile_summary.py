#!/usr/bin/env python3
"""Summarizes async-profiler collapsed stacks (one "frame;frame;...;leaf count" per line) of a
JMH benchmark: the share of CPU samples under spectral normalization's own code
(io.github.dl4jsn.*, the power iteration, W_SN and the gradient correction included, with the
BLAS and ND4J calls they make), the share under the benchmark's inner DL4J layers, and the leaf
frames that take the most samples.

Usage: profile_summary.py collapsed.txt [more.txt ...]"""
import collections
import sys


def summarize(path, top=12):
    total = 0
    sn = 0
    sn_leaves = collections.Counter()
    leaves = collections.Counter()
    for line in open(path, encoding="utf-8", errors="replace"):
        line = line.rstrip("\n")
        if not line:
            continue
        stack, _, count = line.rpartition(" ")
        try:
            n = int(count)
        except ValueError:
            continue
        frames = stack.split(";")
        total += n
        leaf = frames[-1]
        leaves[leaf] += n
        # SN's own work: frames in our core (math) or in the layer's SN steps, not the inner
        # layer's forward/backward that the SN layer merely calls.
        if any(f.startswith("io/github/dl4jsn/math/") or f.startswith("io.github.dl4jsn.math.")
               for f in frames) or any(
                   m in f for f in frames
                   for m in ("SpectralNormLayer.prepare", "SpectralNormLayer.restoreWeights",
                             "SpectralNormLayer.swapInNormalizedWeights")):
            sn += n
            sn_leaves[leaf] += n
    print(f"## {path}")
    share = sn / max(total, 1)
    print(f"samples: {total}; under SN's own code (power iteration, W_SN, gradient correction): "
          f"{sn} = {100.0 * share:.1f}%; the step without that work would take "
          f"{100.0 * (1 - share):.1f}% of the time, a ratio with/without SN of "
          f"{1 / max(1 - share, 1e-9):.3f}")
    print("\n| leaf frame | samples | share |\n|---|---|---|")
    for leaf, n in leaves.most_common(top):
        print(f"| `{leaf[:90]}` | {n} | {100.0 * n / total:.1f}% |")
    if sn:
        print("\nInside SN's code:\n\n| leaf frame | samples | share of all |\n|---|---|---|")
        for leaf, n in sn_leaves.most_common(8):
            print(f"| `{leaf[:90]}` | {n} | {100.0 * n / total:.1f}% |")
    print()


if __name__ == "__main__":
    for p in sys.argv[1:]:
        summarize(p)
