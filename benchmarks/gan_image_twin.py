#!/usr/bin/env python3
"""PyTorch twin of the SN-GAN example's image protocol (GanExample --dataset mnist|fashion-mnist).

The same networks, loss, data and training loop as the Java example (GanModels.imageGenerator,
GanModels.imageDiscriminator, GanTrainer), so that the image results have an anchor:

- data: the IDX files of data/mnist or data/fashion-mnist (scripts/fetch-data.sh), scaled to
  [-1, 1] as IdxImages; real batches drawn uniformly with replacement, as the Java task;
- generator, as DL4J builds it: z (64) -> Linear 3136, ReLU -> BatchNorm1d(3136) -> [64, 7, 7]
  -> ConvTranspose 4x4 s2 p1 to 32 x 14 x 14, ReLU -> BatchNorm2d(32) -> ConvTranspose 4x4 s2 p1
  to 1 x 28 x 28, tanh. (DL4J M2.1's BatchNormalization ignores its activation, so the example's
  ReLUs come from the dense and deconvolution layers, before each batch norm.) --g-order dcgan
  puts each ReLU after its batch norm instead (DCGAN's order), and --g-channels C widens the
  generator (C x 7 x 7, then C / 2 channels; 64 is the example's);
- discriminator: conv 3x3 s1 (w), conv 4x4 s2 (w), conv 3x3 s1 (2w), conv 4x4 s2 (2w), padding
  1, LeakyReLU 0.1, then Linear 2w x 7 x 7 -> 1 logit; w = --width (16); with --sn every layer is
  spectrally normalized (PyTorch's spectral_norm: the weight reshaped to [out, rest], as dl4j-sn
  does for convolutions; 15 power iterations at registration, then one per training forward);
- Xavier-normal weights and zero biases (DL4J's WeightInit.XAVIER), BatchNorm momentum 0.1
  (DL4J's decay 0.9), eps 1e-5;
- loss and steps as the 2-D twin (benchmarks/gan_twin.py): non-saturating BCE or hinge, n_dis D
  updates on real and fake stacked in one forward, then a G update with D in eval mode (its power
  iteration paused); Adam settings A-F, --lr-decay linear to 0.

It writes OUT/samples.f32 (--eval-samples generated images, float32 little-endian, [n, 784] in
[-1, 1], G in eval mode) and OUT/run.json. The Java class
io.github.dl4jsn.examples.gan.ScoreImages judges the samples with the example's own classifier, so
both frameworks are scored by the same network (`TWIN=1 scripts/gan-experiments.sh images|image-settings` does both).

Usage: python3 benchmarks/gan_image_twin.py --dataset mnist --steps 5000 --lr-decay --out DIR
"""
import argparse
import gzip
import json
import math
import struct
import time
from pathlib import Path

import torch
from torch import nn

from gan_twin import SETTINGS, d_loss, g_loss

ROOT = Path(__file__).resolve().parent.parent


def load_images(folder, split="train"):
    """IDX images as a float tensor [n, 1, 28, 28] in [-1, 1] (IdxImages.java)."""
    path = Path(folder) / f"{split}-images-idx3-ubyte"
    opener = gzip.open if not path.is_file() and Path(str(path) + ".gz").is_file() else open
    if opener is gzip.open:
        path = Path(str(path) + ".gz")
    if not path.is_file():
        raise SystemExit(f"Missing {path}; fetch the data with: bash scripts/fetch-data.sh "
                         f"{Path(folder).name}")
    with opener(path, "rb") as f:
        magic, n, rows, cols = struct.unpack(">IIII", f.read(16))
        if magic != 0x803 or (rows, cols) != (28, 28):
            raise SystemExit(f"{path}: not an IDX3 file of 28 x 28 images (magic {magic:x})")
        data = torch.frombuffer(bytearray(f.read(n * 784)), dtype=torch.uint8)
    return (data.float().reshape(n, 1, 28, 28) / 255.0) * 2 - 1


def xavier(m):
    if isinstance(m, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.xavier_normal_(m.weight)
        nn.init.zeros_(m.bias)


def generator(latent, channels, order):
    c2 = channels // 2
    if order == "dl4j":
        body = [nn.Linear(latent, channels * 49), nn.ReLU(), nn.BatchNorm1d(channels * 49),
                nn.Unflatten(1, (channels, 7, 7)),
                nn.ConvTranspose2d(channels, c2, 4, 2, 1), nn.ReLU(), nn.BatchNorm2d(c2)]
    else:
        body = [nn.Linear(latent, channels * 49), nn.BatchNorm1d(channels * 49), nn.ReLU(),
                nn.Unflatten(1, (channels, 7, 7)),
                nn.ConvTranspose2d(channels, c2, 4, 2, 1), nn.BatchNorm2d(c2), nn.ReLU()]
    g = nn.Sequential(*body, nn.ConvTranspose2d(c2, 1, 4, 2, 1), nn.Tanh())
    g.apply(xavier)
    return g


def discriminator(width, sn):
    def wrap(layer):
        xavier(layer)
        return nn.utils.parametrizations.spectral_norm(layer) if sn else layer

    layers, n = [], 1
    for k, s, mult in ((3, 1, 1), (4, 2, 1), (3, 1, 2), (4, 2, 2)):
        layers += [wrap(nn.Conv2d(n, mult * width, k, s, 1)), nn.LeakyReLU(0.1)]
        n = mult * width
    return nn.Sequential(*layers, nn.Flatten(), wrap(nn.Linear(n * 49, 1)))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dataset", choices=["mnist", "fashion-mnist"], default="mnist")
    p.add_argument("--data", help="IDX folder (default data/DATASET)")
    p.add_argument("--sn", action=argparse.BooleanOptionalAction, default=True)
    p.add_argument("--loss", choices=["bce", "hinge"], default="bce")
    p.add_argument("--setting", choices=list(SETTINGS), default="C")
    p.add_argument("--lr", type=float, help="overrides the setting's learning rate")
    p.add_argument("--lr-decay", action=argparse.BooleanOptionalAction, default=False,
                   help="learning rate decaying linearly to 0 over the steps")
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--latent", type=int, default=64)
    p.add_argument("--width", type=int, default=16, help="discriminator width w (16)")
    p.add_argument("--g-channels", type=int, default=64, help="generator channels (64)")
    p.add_argument("--g-order", choices=["dl4j", "dcgan"], default="dl4j",
                   help="ReLU before batch norm as the example's DL4J network (default), or "
                        "after it as DCGAN")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--eval-samples", type=int, default=10000)
    p.add_argument("--log-every", type=int, default=500)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", required=True, help="output folder")
    a = p.parse_args()
    for name in ("steps", "batch_size", "latent", "width", "g_channels", "eval_samples",
                 "log_every"):
        if getattr(a, name) < 1:
            raise SystemExit(f"--{name.replace('_', '-')} must be >= 1, got {getattr(a, name)}")
    if a.g_channels % 2:
        raise SystemExit(f"--g-channels must be even, got {a.g_channels}")
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    gen = torch.Generator().manual_seed(a.seed)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    images = load_images(a.data or ROOT / "data" / a.dataset)
    lr, beta1, beta2, n_dis = SETTINGS[a.setting]
    lr = a.lr if a.lr is not None else lr
    g = generator(a.latent, a.g_channels, a.g_order)
    d = discriminator(a.width, a.sn)
    opt_g = torch.optim.Adam(g.parameters(), lr, (beta1, beta2), eps=1e-8)
    opt_d = torch.optim.Adam(d.parameters(), lr, (beta1, beta2), eps=1e-8)
    scheds = []
    if a.lr_decay:
        scheds = [torch.optim.lr_scheduler.LambdaLR(o, lambda s: 1 - s / a.steps)
                  for o in (opt_g, opt_d)]
    b = a.batch_size
    history, start = [], time.time()
    for step in range(1, a.steps + 1):
        d.train()
        for _ in range(n_dis):
            real = images[torch.randint(len(images), (b,), generator=gen)]
            with torch.no_grad():
                fake = g(torch.randn(b, a.latent, generator=gen))
            logits = d(torch.cat([real, fake]))[:, 0]
            loss_d = d_loss(a.loss, logits[:b], logits[b:])
            opt_d.zero_grad()
            loss_d.backward()
            opt_d.step()
        d.eval()
        fake_logits = d(g(torch.randn(b, a.latent, generator=gen)))[:, 0]
        loss_g = g_loss(a.loss, fake_logits)
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
        for s in scheds:
            s.step()
        if step % a.log_every == 0 or step == a.steps:
            elapsed = time.time() - start
            history.append({"step": step, "seconds": elapsed, "d_loss": float(loss_d),
                            "g_loss": float(loss_g)})
            left = elapsed / step * (a.steps - step)
            print(f"step {step}/{a.steps} ({elapsed:.0f} s, ~{left:.0f} s left) "
                  f"D {float(loss_d):.4f} G {float(loss_g):.4f}", flush=True)
    seconds = time.time() - start
    g.eval()
    with torch.no_grad():
        samples = torch.cat([g(torch.randn(min(1000, a.eval_samples - i), a.latent,
                                           generator=gen))
                             for i in range(0, a.eval_samples, 1000)])
    samples.reshape(len(samples), 784).numpy().astype("<f4").tofile(out / "samples.f32")
    run = {"framework": "pytorch " + torch.__version__, "args": vars(a), "learning_rate": lr,
           "n_dis": n_dis, "train_seconds": seconds, "ms_per_step": 1000 * seconds / a.steps,
           "samples": len(samples), "history": history}
    with open(out / "run.json", "w") as f:
        json.dump(run, f, indent=1)
    print(f"Wrote {out / 'samples.f32'} ({len(samples)} images) and {out / 'run.json'}; "
          f"{math.floor(seconds)} s, {run['ms_per_step']:.1f} ms a step", flush=True)


if __name__ == "__main__":
    main()
