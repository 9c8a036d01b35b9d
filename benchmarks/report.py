#!/usr/bin/env python3
"""Merges JMH JSON results (StepBenchmark, PowerIterationBenchmark) and the PyTorch twin's JSON
into one Markdown table: step times with and without SN in each framework, DL4J as shipped and
with its oneDNN helpers on (dl4j-sn-accel), and the ratios."""
import json
import sys


def jmh_scores(path):
    out = {}
    for r in json.load(open(path)):
        name = r["benchmark"].rsplit(".", 2)
        cls, method = name[-2], name[-1]
        params = r.get("params", {})
        key = (cls, method, params.get("workload") or params.get("size"), params.get("sn"),
               params.get("engine"))
        metric = r["primaryMetric"]
        secondary = r.get("secondaryMetrics", {})
        alloc = (secondary.get("gc.alloc.rate.norm") or secondary.get("\u00b7gc.alloc.rate.norm")
                 or {}).get("score")
        err = metric["scoreError"]
        err = float(err) if isinstance(err, (int, float)) else float("nan")
        out[key] = (metric["score"], err, metric["scoreUnit"], alloc)
    return out


def main(jmh_paths, torch_path):
    j = {}
    for path in jmh_paths:
        j.update(jmh_scores(path))
    t = json.load(open(torch_path))
    tr = {(r["workload"], r["sn"]): r for r in t["runs"]}
    lines = ["| workload | pass | DL4J as shipped, SN | DL4J accel, SN | DL4J accel, no SN | "
             "SN ratio accel (shipped) | PyTorch SN | PyTorch no SN | PyTorch SN ratio | "
             "DL4J/PyTorch with SN: accel (shipped) | speed-up of accel | "
             "DL4J shipped SN all-ops core |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]

    def ms(x):
        return f"{x[0]:.2f} ± {x[1]:.2f} ms" if x else "-"

    for workload in ("mlp", "sngan_cnn32"):
        for method, tkey in (("trainingStep", "train_ms"), ("inference", "inference_ms")):
            sa = j.get(("StepBenchmark", method, workload, "true", "accel"))
            pa = j.get(("StepBenchmark", method, workload, "false", "accel"))
            ss = j.get(("StepBenchmark", method, workload, "true", "shipped"))
            ps = j.get(("StepBenchmark", method, workload, "false", "shipped"))
            if not (sa or ss):
                continue
            ta = tr.get((workload, True), {}).get(tkey)
            tb = tr.get((workload, False), {}).get(tkey)
            ratio = f"**{sa[0] / pa[0]:.3f}**" if sa and pa else "-"
            ratio += f" ({ss[0] / ps[0]:.3f})" if ss and ps else ""
            cells = [workload, "train step" if method == "trainingStep" else "inference",
                     ms(ss), ms(sa), ms(pa), ratio]
            if ta and tb:
                vs = f"**{sa[0] / ta:.2f}**" if sa else "-"
                vs += f" ({ss[0] / ta:.2f})" if ss else ""
                cells += [f"{ta:.2f} ms", f"{tb:.2f} ms", f"{ta / tb:.3f}", vs]
            else:
                cells += ["-", "-", "-", "-"]
            cells.append(f"{ss[0] / sa[0]:.2f}x" if ss and sa else "-")
            c = j.get(("StepBenchmark", method, workload, "all-ops", "shipped"))
            cells.append(f"{c[0]:.2f} ± {c[1]:.2f} ms ({c[0] / ps[0]:.3f})" if c and ps else "-")
            lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "| matrix | power iteration (1 step) | two bare GEMVs | ratio | "
              "bytes allocated per op (iteration / GEMVs) | all-ops core (ratio) |",
              "|---|---|---|---|---|---|"]
    for size in ("512x4608", "256x256"):
        p = j.get(("PowerIterationBenchmark", "powerIteration", size, None, None))
        g = j.get(("PowerIterationBenchmark", "twoBareGemvs", size, None, None))
        if not p or not g:
            continue
        alloc = (f"{p[3]:.0f} / {g[3]:.0f}" if p[3] is not None and g[3] is not None
                 else "(run with -prof gc)")
        c = j.get(("PowerIterationBenchmark", "powerIterationAllOps", size, None, None))
        all_ops = f"{c[0]:.1f} ± {c[1]:.1f} us ({c[0] / g[0]:.2f})" if c else "-"
        lines.append(f"| {size} | {p[0]:.1f} ± {p[1]:.1f} us | {g[0]:.1f} ± {g[1]:.1f} us | "
                     f"**{p[0] / g[0]:.2f}** | {alloc} | {all_ops} |")
    lines.append("")
    lines.append(f"PyTorch {t['torch_version']}, {t['threads']} thread(s).")
    print("\n".join(lines))


if __name__ == "__main__":
    # report.py JMH_JSON [JMH_JSON ...] PYTORCH_JSON
    main(sys.argv[1:-1], sys.argv[-1])
