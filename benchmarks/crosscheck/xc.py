"""Replays the step Xc.java exported in PyTorch and compares samples, losses and Adam steps."""
import numpy as np, torch
from torch import nn
from torch.nn import functional as F
L = lambda n: torch.tensor(np.loadtxt(f"/tmp/xc/{n}.txt", ndmin=2), dtype=torch.float32)
torch.set_num_threads(1)
g = nn.Sequential(*[m for i in range(4) for m in (nn.Linear(2 if i == 0 else 400, 400), nn.BatchNorm1d(400, eps=1e-5, momentum=0.1), nn.ReLU())], nn.Linear(400, 2))
d = nn.Sequential(nn.Linear(2, 200), nn.LeakyReLU(0.2), nn.Linear(200, 200), nn.LeakyReLU(0.2), nn.Linear(200, 200), nn.LeakyReLU(0.2), nn.Linear(200, 1))
glin = [g[0], g[3], g[6], g[9], g[12]]; gbn = [g[1], g[4], g[7], g[10]]; dlin = [d[0], d[2], d[4], d[6]]
def load(prefix):
    with torch.no_grad():
        for k, lin in enumerate(glin):
            lin.weight.copy_(L(f"g{prefix}_{3*k}_W").T); lin.bias.copy_(L(f"g{prefix}_{3*k}_b").flatten())
        for k, bn in enumerate(gbn):
            bn.weight.copy_(L(f"g{prefix}_{3*k+1}_gamma").flatten()); bn.bias.copy_(L(f"g{prefix}_{3*k+1}_beta").flatten())
def loadd(prefix):
    with torch.no_grad():
        for k, lin in enumerate(dlin):
            lin.weight.copy_(L(f"d{prefix}_{k}_W").T); lin.bias.copy_(L(f"d{prefix}_{k}_b").flatten())
load("0"); loadd("0")
z, real = L("z"), L("real")
g.train(); fake = g(z)
print("fake max|diff| vs DL4J", float((fake - L("fake")).abs().max()), "fake scale", float(fake.abs().max()))
opt_d = torch.optim.Adam(d.parameters(), 1e-3, (0.5, 0.999), eps=1e-8)
logits = d(torch.cat([real, fake.detach()]))
lab = torch.cat([torch.ones(256, 1), torch.zeros(256, 1)])
loss = F.binary_cross_entropy_with_logits(logits, lab); print("D loss torch", float(loss))
opt_d.zero_grad(); loss.backward(); opt_d.step()
for k, lin in enumerate(dlin):
    st, sd = (lin.weight.T - L(f'd0_{k}_W')), (L(f'd1_{k}_W') - L(f'd0_{k}_W'))
    print(f"D layer {k}: same-direction share {float(((st * sd) > 0).float().mean()):.4f}; W after step max|diff| {float((lin.weight.T - L(f'd1_{k}_W')).abs().max()):.3e}, step size torch {float((lin.weight.T - L(f'd0_{k}_W')).abs().max()):.3e} dl4j {float((L(f'd1_{k}_W') - L(f'd0_{k}_W')).abs().max()):.3e}; b diff {float((lin.bias - L(f'd1_{k}_b').flatten()).abs().max()):.3e}")
# G step
loadd("1")
opt_g = torch.optim.Adam(g.parameters(), 1e-3, (0.5, 0.999), eps=1e-8)
z2 = L("z2"); d.eval(); g.train()
fake2 = g(z2); lg = F.softplus(-d(fake2)).mean(); print("G loss torch (before step)", float(lg))
opt_g.zero_grad(); lg.backward(); opt_g.step()
for k, lin in enumerate(glin):
    idx = 3 * k
    st, sd = (lin.weight.T - L(f'g1_{idx}_W')), (L(f'g2_{idx}_W') - L(f'g1_{idx}_W'))
    print(f"G dense {k}: same-direction share {float(((st * sd) > 0).float().mean()):.4f}; W diff {float((lin.weight.T - L(f'g2_{idx}_W')).abs().max()):.3e}, step torch {float((lin.weight.T - L(f'g1_{idx}_W')).abs().max()):.3e} dl4j {float((L(f'g2_{idx}_W') - L(f'g1_{idx}_W')).abs().max()):.3e}")
for k, bn in enumerate(gbn):
    idx = 3 * k + 1
    print(f"G BN {k}: gamma diff {float((bn.weight - L(f'g2_{idx}_gamma').flatten()).abs().max()):.3e} beta diff {float((bn.bias - L(f'g2_{idx}_beta').flatten()).abs().max()):.3e}; dl4j gamma step {float((L(f'g2_{idx}_gamma') - L(f'g1_{idx}_gamma')).abs().max()):.3e}")
