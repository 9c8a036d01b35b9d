#!/usr/bin/env python3
"""Markdown tables of the translation experiments (scripts/translation-experiments.sh): per-epoch
validation BLEU of every run side by side, test BLEU of every best checkpoint, the reversal effect
per seed at equal epochs, and the raw weights' sigmas of SN and plain runs.

Usage: python3 scripts/translation-report.py [OUT]   (default out/tr)
       python3 scripts/translation-report.py --reversal NAME=DIR...
The second form: the reversal effect per framework and seed (test BLEU at the best and final
checkpoints, validation BLEU over epoch ranges) from run folders named
FRAMEWORK-rev-sSEED and FRAMEWORK-fwd-sSEED (each with train-history.json and eval-test.json,
and eval-last.json, the test BLEU of the final epoch's checkpoint, where it was measured),
e.g. dl4j-rev-s1=docs/data/translation-runs/dl4j-rev-s1-60.
"""
import json
import statistics
import sys
from pathlib import Path


def load(path):
    with open(path) as f:
        return json.load(f)


def best_row(history):
    """The epoch row of the highest greedy validation BLEU (the first on ties), as the runs'
    best checkpoints were chosen."""
    return max(history, key=lambda r: (r.get("validBleuGreedy", -1), -r["epoch"]))


def valid_bleu(history):
    """Greedy validation BLEU by epoch, without the untrained epoch 0."""
    return {r["epoch"]: r["validBleuGreedy"] for r in history if r["epoch"] > 0}


def reversal(args):
    """Test BLEU of each reversed and forward best (and, where measured, final) checkpoint per
    framework and seed, their difference, mean +- sd over seeds, how often the reversed model led
    on validation and by how much over epoch ranges, and the final-minus-best gain per run."""
    runs = {}
    for a in args:
        name, _, path = a.partition("=")
        fw, variant, seed = name.rsplit("-", 2)
        if variant not in ("rev", "fwd") or not seed.startswith("s") or not path:
            raise SystemExit(f"--reversal wants FRAMEWORK-rev|fwd-sSEED=DIR, got {a}")
        d = Path(path)
        last = load(d / "eval-last.json") if (d / "eval-last.json").exists() else None
        runs[(fw, int(seed[1:]), variant)] = (load(d / "train-history.json"),
                                              load(d / "eval-test.json"), last)
    keys = ("greedyBleu", "greedyRareWordBleu", "beamBleu", "beamRareWordBleu")
    print("| framework | seed | epochs | reversed: best epoch, test BLEU (greedy / + rare-word / "
          "beam / + rare-word) | forward: the same | reversal (beam + rare-word) | "
          "validation BLEU: reversed above forward | final epoch: reversed / forward (beam + "
          "rare-word), reversal |")
    print("|---|---|---|---|---|---|---|---|")
    for fw in sorted({k[0] for k in runs}):
        diffs, last_diffs = [], []
        for seed in sorted({k[1] for k in runs if k[0] == fw}):
            rev, fwd = runs.get((fw, seed, "rev")), runs.get((fw, seed, "fwd"))
            if not rev or not fwd:
                continue
            cells = []
            for hist, ev, _ in (rev, fwd):
                best = best_row(hist)
                cells.append(f"{best['epoch']}: " + " / ".join(f"{100 * ev[k]:.2f}" for k in keys))
            d = 100 * (rev[1]["beamRareWordBleu"] - fwd[1]["beamRareWordBleu"])
            diffs.append(d)
            vr, vf = valid_bleu(rev[0]), valid_bleu(fwd[0])
            common = sorted(set(vr) & set(vf))
            above = sum(vr[e] > vf[e] for e in common)
            mean = statistics.mean(100 * (vr[e] - vf[e]) for e in common)
            final = ""
            if rev[2] and fwd[2]:
                lr, lf = (100 * x[2]["beamRareWordBleu"] for x in (rev, fwd))
                last_diffs.append(lr - lf)
                # the final checkpoint is the history's last epoch (DL4J's eval names no epoch)
                er, ef = (max(r["epoch"] for r in x[0]) for x in (rev, fwd))
                final = f"{er}: {lr:.2f} / {ef}: {lf:.2f}, {lr - lf:+.2f}"
            print(f"| {fw} | {seed} | {max(common)} | {cells[0]} | {cells[1]} | {d:+.2f} | "
                  f"{above} of {len(common)} (mean {mean:+.2f}) | {final} |")
        if diffs:
            print(f"| {fw} | mean | | | | {mean_sd(diffs)} | | {mean_sd(last_diffs)} |")
    ranges = ((1, 10), (11, 20), (21, 30), (31, 42))
    print("\nGreedy validation BLEU, reversed minus forward, mean over epochs (reversed ahead at)\n")
    print("| | " + " | ".join(f"{lo}-{hi}" for lo, hi in ranges) + " |")
    print("|---|" + "---|" * len(ranges))
    for (fw, seed, variant), (hist, _, _) in sorted(runs.items()):
        if variant != "rev" or (fw, seed, "fwd") not in runs:
            continue
        vr, vf = valid_bleu(hist), valid_bleu(runs[(fw, seed, "fwd")][0])
        cells = []
        for lo, hi in ranges:
            ds = [100 * (vr[e] - vf[e]) for e in range(lo, hi + 1) if e in vr and e in vf]
            cells.append(f"{statistics.mean(ds):+.2f} ({sum(d > 0 for d in ds)}/{len(ds)})"
                         if ds else "")
        print(f"| {fw} seed {seed} | " + " | ".join(cells) + " |")
    gains = [100 * (last["beamRareWordBleu"] - ev["beamRareWordBleu"])
             for _, ev, last in runs.values() if last]
    if gains:
        print(f"\nFinal minus best checkpoint (test BLEU, beam + rare-word), per run: "
              f"{mean_sd(gains, 'run')}, final higher in {sum(g > 0 for g in gains)}, "
              f"equal in {sum(g == 0 for g in gains)}")


def mean_sd(values, unit="seed"):
    """'mean +- sd (n unit(s))' of a list of effects; empty for none."""
    if not values:
        return ""
    spread = f" +- {statistics.stdev(values):.2f}" if len(values) > 1 else ""
    return f"{statistics.mean(values):+.2f}{spread} ({len(values)} {unit}(s))"


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--reversal":
        reversal(sys.argv[2:])
        return
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "out/tr")
    runs = {d.name: d for d in sorted(out.iterdir())
            if d.is_dir() and (d / "train-history.json").is_file()}
    hist = {n: load(d / "train-history.json") for n, d in runs.items()}

    print("### Greedy validation BLEU per epoch (x 100, 962 sentences)\n")
    names = list(hist)
    longest = max(len(h) for h in hist.values())
    print("| epoch | " + " | ".join(names) + " |")
    print("|---" * (len(names) + 1) + "|")
    for e in range(1, longest + 1):
        cells = []
        for n in names:
            row = next((r for r in hist[n] if r["epoch"] == e), None)
            cells.append(f"{100 * row['validBleuGreedy']:.2f}" if row else "")
        print(f"| {e} | " + " | ".join(cells) + " |")

    print("\n### Test BLEU of the best epoch (x 100, 1,929 sentences)\n")
    print("| run | best epoch (valid BLEU) | greedy | + rare-word | + paragraph dictionary "
          "| beam | + rare-word | + paragraph dictionary |")
    print("|---|---|---|---|---|---|---|---|")
    for n, d in runs.items():
        f = d / "eval-test.json"
        if not f.is_file():
            continue
        ev = load(f)
        best = best_row(hist[n])

        def pct(key):
            return f"{100 * ev[key]:.2f}" if key in ev else ""
        beam = f"{ev.get('beam', '')} ({ev.get('lengthNorm', '')})"
        print(f"| {n} | {best['epoch']} ({100 * best['validBleuGreedy']:.2f}) | "
              f"{pct('greedyBleu')} | {pct('greedyRareWordBleu')} | "
              f"{pct('greedyRareWordParagraphsBleu')} | {beam}: {pct('beamBleu')} | "
              f"{pct('beamRareWordBleu')} | {pct('beamRareWordParagraphsBleu')} |")

    print("\n### Reversed minus forward source, greedy validation BLEU at equal epochs\n")
    for fw in ("twin", "dl4j"):
        for e in (4, 5, 6, 8, 12, 20):
            diffs = []
            for s in range(1, 10):
                r, f = hist.get(f"{fw}-rev-s{s}"), hist.get(f"{fw}-fwd-s{s}")
                if not r or not f:
                    continue
                rr = next((x for x in r if x["epoch"] == e), None)
                ff = next((x for x in f if x["epoch"] == e), None)
                if rr and ff:
                    diffs.append((s, 100 * rr["validBleuGreedy"], 100 * ff["validBleuGreedy"]))
            if diffs:
                d = [a - b for _, a, b in diffs]
                spread = f" +- {statistics.stdev(d):.2f}" if len(d) > 1 else ""
                print(f"- {fw}, epoch {e}: " + ", ".join(
                    f"seed {s}: {a:.2f} vs {b:.2f}" for s, a, b in diffs)
                    + f"; difference {statistics.mean(d):+.2f}{spread} over {len(d)} seed(s)")

    print("\n### Largest singular value of the raw weights, first and last epoch\n")
    for n, h in hist.items():
        if "sigmas" in h[0]:
            first, last = h[0]["sigmas"], h[-1]["sigmas"]
            print(f"- {n}: " + ", ".join(f"{k} {first[k]:.2f} -> {last[k]:.2f}" for k in first))


if __name__ == "__main__":
    main()
