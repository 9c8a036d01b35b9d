#!/usr/bin/env python3
"""Summarizes GanExample runs: reads every metrics.json under a folder and prints markdown tables.

2-D runs are grouped by framework (DL4J, or the PyTorch twin benchmarks/gan_twin.py), data set,
setting and SN, with mean and standard deviation over seeds and the seeds' individual values; image
runs are listed one per line, DL4J and the twin (benchmarks/gan_image_twin.py) alike.
Usage: gan-report.py FOLDER
       gan-report.py --merge-image-twin RUN   writes RUN/metrics.json from the image twin's
                                              RUN/run.json and ScoreImages' RUN/score.json
"""
import json
import pathlib
import statistics
import sys


def mean_std(values):
    if len(values) == 1:
        return f"{values[0]:.3g}"
    return f"{statistics.mean(values):.3g} ± {statistics.stdev(values):.2g}"


def normalized(run):
    """The twin's metrics.json in the Java program's terms (framework, dataset, setting, ...)."""
    if "framework" not in run:
        run["framework"] = "DL4J"
        return run
    a = run["args"]
    run.update(framework="twin", dataset=a["dataset"], setting=a["setting"],
               spectral_normalization=a["sn"], seed=a["seed"], steps=a["steps"])
    return run


def merge_image_twin(run_dir):
    """One image-twin run's metrics.json: its options and times (run.json) with the scores that
    the example's classifier gave its samples (score.json)."""
    run_dir = pathlib.Path(run_dir)
    with open(run_dir / "run.json") as f:
        run = json.load(f)
    with open(run_dir / "score.json") as f:
        score = json.load(f)
    run["metrics"] = score["metrics"]
    run["classifier_test_accuracy"] = score["classifier_test_accuracy"]
    with open(run_dir / "metrics.json", "w") as f:
        json.dump(run, f, indent=1)


def main(folder):
    runs = []
    for path in sorted(pathlib.Path(folder).glob("*/metrics.json")):
        if path.parent.name.startswith("."):  # the classifier's set-up run
            continue
        with open(path) as f:
            runs.append((path.parent.name, normalized(json.load(f))))
    if not runs:
        sys.exit(f"no metrics.json under {folder}")
    mixtures = [(n, r) for n, r in runs if r["dataset"] in ("ring", "grid")]
    images = [(n, r) for n, r in runs if r["dataset"] not in ("ring", "grid")]
    if mixtures:
        groups = {}
        for name, r in mixtures:
            key = (r["dataset"], r["setting"], "SN" if r["spectral_normalization"] else "plain",
                   r["framework"])
            groups.setdefault(key, []).append(r)
        print("| data | setting | D | framework | runs (seeds) | steps | modes covered "
              "| high-quality % | reverse KL | per seed: modes / HQ % | s per run |")
        print("|---|---|---|---|---|---|---|---|---|---|---|")
        for key in sorted(groups):
            rs = sorted(groups[key], key=lambda r: r["seed"])
            m = [r["metrics"] for r in rs]
            modes = [x["modes_covered"] for x in m]
            hq = [100 * x["high_quality_fraction"] for x in m]
            kl = [x["reverse_kl"] for x in m if x["reverse_kl"] is not None]
            per_seed = ", ".join(f"{a}/{x['modes']} {b:.1f}" for a, b, x in zip(modes, hq, m))
            seconds = statistics.mean(r["train_seconds"] for r in rs)
            print(f"| {key[0]} | {key[1]} | {key[2]} | {key[3]} | {len(rs)} ({', '.join(str(r['seed']) for r in rs)}) "
                  f"| {rs[0]['steps']} | {mean_std(modes)} / {m[0]['modes']} | {mean_std(hq)} "
                  f"| {mean_std(kl) if kl else 'n/a'} | {per_seed} | {seconds:.0f} |")
        print()
    if images:
        print("| data | setting | D | framework | seed | steps | classes >= 1% | KL to uniform "
              "| confident % | Fréchet distance (classifier features) | class histogram "
              "| s per run |")
        print("|---|---|---|---|---|---|---|---|---|---|---|---|")
        images.sort(key=lambda nr: (nr[1]["dataset"], nr[1]["setting"],
                                    not nr[1]["spectral_normalization"], nr[1]["framework"],
                                    nr[1]["seed"]))
        for name, r in images:
            m = r["metrics"]
            print(f"| {r['dataset']} | {r['setting']} "
                  f"| {'SN' if r['spectral_normalization'] else 'plain'} | {r['framework']} "
                  f"| {r['seed']} | {r['steps']} | {m['classes_with_at_least_1_percent']} "
                  f"| {m['kl_to_uniform']:.4f} | {100 * m['confident_fraction']:.1f} "
                  f"| {m['frechet_distance_classifier_features']:.2f} "
                  f"| {' '.join(str(c) for c in m['class_histogram'])} | {r['train_seconds']:.0f} |")
        print()
        seen = set()
        for name, r in images:
            if r["dataset"] in seen or "reference" not in r:
                continue
            seen.add(r["dataset"])
            ref = r["reference"]
            real = ref["real_training_images_measured_alike"]
            print(f"Reference, {r['dataset']}: classifier test accuracy "
                  f"{ref['classifier_test_accuracy']:.4f}; {real['samples']} real training images "
                  f"measured alike: KL {real['kl_to_uniform']:.4f}, confident "
                  f"{100 * real['confident_fraction']:.1f}%, Fréchet distance "
                  f"{real['frechet_distance_classifier_features']:.2f}")

if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--merge-image-twin":
        merge_image_twin(sys.argv[2])
    else:
        main(sys.argv[1] if len(sys.argv) > 1 else "out/gan-exp")
