#!/usr/bin/env python3
"""PyTorch twin of the DL4J benchmark workloads (io.github.dl4jsn.benchmarks.Workloads).

Same networks, batch 64, Adam(lr 2e-4, betas (0.0, 0.9)), loss softplus(-D(x)) (sigmoid
cross-entropy against label 1), FLOAT; spectral normalization with torch.nn.utils.spectral_norm
(the hook API, 1 power iteration). Times one training step and one inference pass, median over
repeated runs after a warm-up, with and without SN, each from the same saved parameters and Adam
state. Writes JSON to stdout or --out.

Usage: python3 pytorch_twin.py [--smoke] [--threads N] [--out FILE]
"""
import argparse
import copy
import json
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils import spectral_norm


def maybe_sn(module, sn):
    return spectral_norm(module) if sn else module


def mlp(sn):
    return nn.Sequential(
        maybe_sn(nn.Linear(784, 512), sn), nn.LeakyReLU(0.2),
        maybe_sn(nn.Linear(512, 256), sn), nn.LeakyReLU(0.2),
        maybe_sn(nn.Linear(256, 1), sn))


def sngan_cnn32(sn):
    layers = []
    c_in = 3
    for k, s, c_out in [(3, 1, 64), (4, 2, 64), (3, 1, 128), (4, 2, 128), (3, 1, 256),
                        (4, 2, 256), (3, 1, 512)]:
        layers += [maybe_sn(nn.Conv2d(c_in, c_out, k, s, 1), sn), nn.LeakyReLU(0.1)]
        c_in = c_out
    layers += [nn.Flatten(), maybe_sn(nn.Linear(512 * 4 * 4, 1), sn)]
    return nn.Sequential(*layers)


def median_ms(fn, warmup, reps, reset=lambda: None):
    for _ in range(warmup):
        reset()
        fn()
    times = []
    for _ in range(reps):
        reset()
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def run(workload, sn, batch, warmup, reps):
    torch.manual_seed(1)
    net = mlp(sn) if workload == "mlp" else sngan_cnn32(sn)
    shape = (batch, 784) if workload == "mlp" else (batch, 3, 32, 32)
    x = torch.rand(shape) * 2 - 1
    opt = torch.optim.Adam(net.parameters(), lr=2e-4, betas=(0.0, 0.9))

    def step():
        net.train()
        opt.zero_grad(set_to_none=True)
        loss = F.softplus(-net(x)).mean()
        loss.backward()
        opt.step()

    def infer():
        net.eval()
        with torch.no_grad():
            net(x)

    # As the JMH side: every timed step starts from the same parameters (u and v included) and
    # Adam state, taken after one step so that Adam's state tensors exist; otherwise the step time
    # drifts as the network trains towards the constant label.
    step()
    net_state = copy.deepcopy(net.state_dict())
    opt_state = copy.deepcopy(opt.state_dict())

    def reset():
        net.load_state_dict(net_state)
        opt.load_state_dict(opt_state)

    return {"train_ms": median_ms(step, warmup, reps, reset),
            "inference_ms": median_ms(infer, warmup, reps, reset)}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--smoke", action="store_true", help="one repetition of each, for CI")
    p.add_argument("--threads", type=int, default=0, help="torch threads (0: PyTorch's default)")
    p.add_argument("--out", help="write the JSON here instead of stdout")
    a = p.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    results = {"torch_version": torch.__version__, "threads": torch.get_num_threads(), "runs": []}
    for workload, warmup, reps in [("mlp", 20, 100), ("sngan_cnn32", 3, 10)]:
        if a.smoke:
            warmup, reps = 1, 1
        for sn in (True, False):
            r = run(workload, sn, 64, warmup, reps)
            r.update({"workload": workload, "sn": sn, "reps": reps})
            results["runs"].append(r)
            print(f"pytorch {workload} sn={sn}: train {r['train_ms']:.3f} ms, "
                  f"inference {r['inference_ms']:.3f} ms", file=sys.stderr)
    text = json.dumps(results, indent=2)
    if a.out:
        with open(a.out, "w") as f:
            f.write(text + "\n")
    else:
        print(text)


if __name__ == "__main__":
    main()
