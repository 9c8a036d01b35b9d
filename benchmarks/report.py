#!/usr/bin/env python3
"""Merges a JMH JSON result (StepBenchmark, PowerIterationBenchmark) and the PyTorch twin's JSON
into one Markdown table: step times with and without SN in each framework, and the ratios."""
import json
import sys


def jmh_scores(path):
    out = {}
    for r in json.load(open(path)):
        name = r["benchmark"].rsplit(".", 2)
        cls, method = name[-2], name[-1]
        params = r.get("params", {})
        key = (cls, method, params.get("workload") or params.get("size"), params.get("sn"))
        metric = r["primaryMetric"]
        secondary = r.get("secondaryMetrics", {})
        alloc = (secondary.get("gc.alloc.rate.norm") or secondary.get("\u00b7gc.alloc.rate.norm")
                 or {}).get("score")
        err = metric["scoreError"]
        err = float(err) if isinstance(err, (int, float)) else float("nan")
        out[key] = (metric["score"], err, metric["scoreUnit"], alloc)
    return out


def main(jmh_path, torch_path):
    j = jmh_scores(jmh_path)
    t = json.load(open(torch_path))
    tr = {(r["workload"], r["sn"]): r for r in t["runs"]}
    lines = ["| workload | pass | DL4J with SN | DL4J without | DL4J ratio | PyTorch with SN | "
             "PyTorch without | PyTorch ratio | DL4J/PyTorch (with SN) | DL4J SN all-ops core "
             "(ratio) |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for workload in ("mlp", "sngan_cnn32"):
        for method, tkey in (("trainingStep", "train_ms"), ("inference", "inference_ms")):
            a = j.get(("StepBenchmark", method, workload, "true"))
            b = j.get(("StepBenchmark", method, workload, "false"))
            pa = tr.get((workload, True), {}).get(tkey)
            pb = tr.get((workload, False), {}).get(tkey)
            if not a or not b:
                continue
            cells = [workload, "train step" if method == "trainingStep" else "inference",
                     f"{a[0]:.2f} ± {a[1]:.2f} ms", f"{b[0]:.2f} ± {b[1]:.2f} ms",
                     f"**{a[0] / b[0]:.3f}**"]
            if pa and pb:
                cells += [f"{pa:.2f} ms", f"{pb:.2f} ms", f"{pa / pb:.3f}", f"{a[0] / pa:.2f}"]
            else:
                cells += ["-", "-", "-", "-"]
            c = j.get(("StepBenchmark", method, workload, "all-ops"))
            cells.append(f"{c[0]:.2f} ± {c[1]:.2f} ms ({c[0] / b[0]:.3f})" if c else "-")
            lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "| matrix | power iteration (1 step) | two bare GEMVs | ratio | "
              "bytes allocated per op (iteration / GEMVs) | all-ops core (ratio) |",
              "|---|---|---|---|---|---|"]
    for size in ("512x4608", "256x256"):
        p = j.get(("PowerIterationBenchmark", "powerIteration", size, None))
        g = j.get(("PowerIterationBenchmark", "twoBareGemvs", size, None))
        if not p or not g:
            continue
        alloc = (f"{p[3]:.0f} / {g[3]:.0f}" if p[3] is not None and g[3] is not None
                 else "(run with -prof gc)")
        c = j.get(("PowerIterationBenchmark", "powerIterationAllOps", size, None))
        all_ops = f"{c[0]:.1f} ± {c[1]:.1f} us ({c[0] / g[0]:.2f})" if c else "-"
        lines.append(f"| {size} | {p[0]:.1f} ± {p[1]:.1f} us | {g[0]:.1f} ± {g[1]:.1f} us | "
                     f"**{p[0] / g[0]:.2f}** | {alloc} | {all_ops} |")
    lines.append("")
    lines.append(f"PyTorch {t['torch_version']}, {t['threads']} thread(s).")
    print("\n".join(lines))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
