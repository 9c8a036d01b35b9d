#!/usr/bin/env python3
"""PyTorch twin of the SN-GAN example's 2-D protocol (GanExample --dataset ring|grid).

The same models, loss, data, metrics and options as the Java example, so that every claim about
the example is checked against PyTorch on the same protocol and seeds:

- generator: latent z ~ N(0, I) -> 4 x [Linear 400, BatchNorm1d, ReLU] -> Linear 2 (Xavier-normal
  weights, zero biases, as DL4J's WeightInit.XAVIER);
- discriminator: 3 x [Linear W, LeakyReLU 0.2] -> Linear 1 (W = --d-width, 200 by default), every
  layer spectrally normalized (torch.nn.utils.parametrizations.spectral_norm: one power iteration
  per training-mode forward, 15 at initialization, as dl4j-sn's defaults) with coefficient c, or
  none;
- loss: non-saturating BCE (D minimizes BCE(D(x), 1) + BCE(D(G(z)), 0) averaged over the 2n
  samples; G minimizes BCE(D(G(z)), 1) = softplus(-logit)), or the hinge loss of Miyato et al.;
- G step: D in eval mode, so that its power iteration pauses and G sees D's current W_SN exactly
  (the Java trainer pauses D's power iteration the same way);
- Adam settings A-F of Miyato et al. Table 1, or explicit --lr/--beta1/--beta2/--n-dis;
- data: 8 Gaussians on a ring of --ring-radius (1) with --mode-std (0.01), or the 5x5 grid (0.05);
- metrics (PacGAN): a sample is high-quality within 3 std of its nearest mode; a mode is covered
  with at least one high-quality sample; reverse KL of the high-quality samples over modes.

Usage: python3 benchmarks/gan_twin.py --dataset ring --steps 1500 --seed 1 --out run.json
"""
import argparse
import json
import math
import time

import torch
from torch import nn
from torch.nn import functional as F

SETTINGS = {
    "A": (1e-4, 0.5, 0.9, 5),
    "B": (1e-4, 0.5, 0.999, 1),
    "C": (2e-4, 0.5, 0.999, 1),
    "D": (1e-3, 0.5, 0.9, 5),
    "E": (1e-3, 0.5, 0.999, 5),
    "F": (1e-3, 0.9, 0.999, 5),
}


def modes(dataset, radius):
    if dataset == "ring":
        return torch.tensor([[radius * math.cos(2 * math.pi * k / 8),
                              radius * math.sin(2 * math.pi * k / 8)] for k in range(8)])
    return torch.tensor([[-4.0 + 2 * i, -4.0 + 2 * j] for i in range(5) for j in range(5)])


def sample(centres, std, n, gen):
    idx = torch.randint(len(centres), (n,), generator=gen)
    return centres[idx] + std * torch.randn(n, 2, generator=gen)


def metrics(x, centres, std):
    d = torch.cdist(x.double(), centres.double())
    dist, nearest = d.min(dim=1)
    hq = dist <= 3 * std
    counts = torch.bincount(nearest[hq], minlength=len(centres))
    n_hq = int(hq.sum())
    kl = float("nan")
    if n_hq > 0:
        p = counts[counts > 0].double() / n_hq
        kl = float((p * torch.log(p * len(centres))).sum())
    return {"samples": len(x), "modes": len(centres), "modes_covered": int((counts > 0).sum()),
            "high_quality_fraction": n_hq / len(x), "reverse_kl": kl,
            "high_quality_per_mode": counts.tolist()}


def xavier(m):
    if isinstance(m, nn.Linear):
        nn.init.xavier_normal_(m.weight)
        nn.init.zeros_(m.bias)


class ScaledSN(nn.Module):
    """A linear layer with W_SN = c W / sigma(W)."""

    def __init__(self, n_in, n_out, coefficient):
        super().__init__()
        self.lin = nn.utils.parametrizations.spectral_norm(nn.Linear(n_in, n_out))
        self.c = coefficient

    def forward(self, x):
        return F.linear(x, self.c * self.lin.weight, self.lin.bias)


def generator(latent, width=400, depth=4):
    layers, n = [], latent
    for _ in range(depth):
        layers += [nn.Linear(n, width), nn.BatchNorm1d(width), nn.ReLU()]
        n = width
    layers.append(nn.Linear(n, 2))
    return nn.Sequential(*layers)


def discriminator(sn, coefficient, width=200, depth=3):
    def linear(n_in, n_out):
        lin = nn.Linear(n_in, n_out)
        xavier(lin)
        if not sn:
            return lin
        layer = ScaledSN(n_in, n_out, coefficient)
        with torch.no_grad():
            layer.lin.parametrizations.weight.original.copy_(lin.weight)
            layer.lin.bias.copy_(lin.bias)
        return layer

    layers, n = [], 2
    for _ in range(depth):
        layers += [linear(n, width), nn.LeakyReLU(0.2)]
        n = width
    layers.append(linear(n, 1))
    return nn.Sequential(*layers)


def d_loss(loss, real_logits, fake_logits):
    """The discriminator's loss: BCE averaged over real and fake, or the hinge loss."""
    if loss == "hinge":
        return F.relu(1 - real_logits).mean() / 2 + F.relu(1 + fake_logits).mean() / 2
    logits = torch.cat([real_logits, fake_logits])
    labels = torch.cat([torch.ones_like(real_logits), torch.zeros_like(fake_logits)])
    return F.binary_cross_entropy_with_logits(logits, labels)


def g_loss(loss, fake_logits):
    """The generator's loss: non-saturating BCE (softplus(-logit)) or the hinge loss."""
    if loss == "hinge":
        return -fake_logits.mean()
    return F.softplus(-fake_logits).mean()


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", choices=["ring", "grid"], default="ring")
    p.add_argument("--ring-radius", type=float, default=1.0, help="ring radius (default 1)")
    p.add_argument("--mode-std", type=float, default=None, help="mode std (ring 0.01, grid 0.05)")
    p.add_argument("--sn", action=argparse.BooleanOptionalAction, default=True)
    p.add_argument("--sn-coefficient", type=float, default=1.0)
    p.add_argument("--loss", choices=["bce", "hinge"], default="bce")
    p.add_argument("--setting", choices=list(SETTINGS), default="C")
    p.add_argument("--lr", type=float, help="overrides the setting's learning rate")
    p.add_argument("--n-dis", type=int, help="overrides the setting's discriminator steps")
    p.add_argument("--lr-decay", action=argparse.BooleanOptionalAction, default=False,
                   help="linear learning-rate decay to 0 over the run")
    p.add_argument("--steps", type=int, default=1500)
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--latent", type=int, default=2)
    p.add_argument("--g-width", type=int, default=400)
    p.add_argument("--d-width", type=int, default=200)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--eval-samples", type=int, default=2500)
    p.add_argument("--log-every", type=int, default=100)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", help="write the metrics JSON here")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    gen = torch.Generator().manual_seed(a.seed)
    std = a.mode_std if a.mode_std is not None else (0.01 if a.dataset == "ring" else 0.05)
    centres = modes(a.dataset, a.ring_radius)
    lr, beta1, beta2, n_dis = SETTINGS[a.setting]
    lr = a.lr if a.lr is not None else lr
    n_dis = a.n_dis if a.n_dis is not None else n_dis

    g = generator(a.latent, a.g_width)
    g.apply(xavier)
    d = discriminator(a.sn, a.sn_coefficient, a.d_width)
    opt_g = torch.optim.Adam(g.parameters(), lr, (beta1, beta2), eps=1e-8)
    opt_d = torch.optim.Adam(d.parameters(), lr, (beta1, beta2), eps=1e-8)
    scheds = []
    if a.lr_decay:
        scheds = [torch.optim.lr_scheduler.LambdaLR(o, lambda s: 1 - s / a.steps)
                  for o in (opt_g, opt_d)]


    history = []
    start = time.time()
    for step in range(1, a.steps + 1):
        d.train()
        for _ in range(n_dis):
            real = sample(centres, std, a.batch_size, gen)
            with torch.no_grad():
                fake = g(torch.randn(a.batch_size, a.latent, generator=gen))
            # One forward over real and fake together, as the Java trainer's D.fit on the
            # stacked batch: one power iteration per discriminator update, as there.
            logits = d(torch.cat([real, fake]))
            loss_d = d_loss(a.loss, logits[:a.batch_size], logits[a.batch_size:])
            opt_d.zero_grad()
            loss_d.backward()
            opt_d.step()
        d.eval()
        fake = g(torch.randn(a.batch_size, a.latent, generator=gen))
        loss_g = g_loss(a.loss, d(fake))
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
        for s in scheds:
            s.step()
        if step % a.log_every == 0 or step == a.steps:
            g.eval()
            with torch.no_grad():
                m = metrics(g(torch.randn(a.eval_samples, a.latent, generator=gen)), centres, std)
            g.train()
            elapsed = time.time() - start
            history.append({"step": step, "seconds": elapsed, "d_loss": float(loss_d),
                            "g_loss": float(loss_g), "modes_covered": m["modes_covered"],
                            "high_quality_fraction": m["high_quality_fraction"]})
            print(f"step {step}/{a.steps} ({elapsed:.0f}s) D {float(loss_d):.4f} "
                  f"G {float(loss_g):.4f} modes {m['modes_covered']}/{m['modes']} "
                  f"hq {100 * m['high_quality_fraction']:.1f}%", flush=True)
    seconds = time.time() - start
    g.eval()
    with torch.no_grad():
        final = metrics(g(torch.randn(a.eval_samples, a.latent, generator=gen)), centres, std)
    out = {"framework": "pytorch " + torch.__version__, "args": vars(a), "std": std,
           "learning_rate": lr, "n_dis": n_dis, "train_seconds": seconds,
           "ms_per_step": 1000 * seconds / a.steps, "metrics": final, "history": history}
    print(json.dumps({k: out[k] for k in ("metrics", "train_seconds", "ms_per_step")}))
    if a.out:
        with open(a.out, "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
