#!/usr/bin/python3
"""Generates more PyTorch spectral-norm reference cases for the Java tests (3-D, depthwise, pointwise).

Writes dl4j-sn-core/src/test/resources/reference/reference_cases_more.json, in exactly the schema
of the existing reference_cases.json (written by make_reference.py, which we do not have; see
/work/shared/reference/semantics.md and that file's "meta"), so ReferenceCases.java can read it with
only the file name changed.

Run with Debian's python3-torch 1.13 (plain `python3` may lack torch):

    /usr/bin/python3 scripts/make-reference-cases.py [--out PATH] [--skip-validation]

Cases (PyTorch weight layouts; dim is PyTorch's default: 1 for ConvTranspose, else 0):
  conv3d_6x3x2x3x3            Conv3d(3, 6, (2,3,3))           W [out, in, kD, kH, kW]  dim 0  M [6, 54]
  conv3d_4x2x3x3x3            Conv3d(2, 4, 3)                 W [out, in, kD, kH, kW]  dim 0  M [4, 54]
  convT3d_4x6x2x2x3_dim1      ConvTranspose3d(4, 6, (2,2,3))  W [in, out, kD, kH, kW]  dim 1  M [6, 48]
  convT3d_3x5x3x3x3_dim1      ConvTranspose3d(3, 5, 3)        W [in, out, kD, kH, kW]  dim 1  M [5, 81]
  depthwise_4x1_3x3           Conv2d(4, 4, 3, groups=4)       W [C*m, 1, kH, kW]       dim 0  M [4, 9]
  depthwise_3x2_3x3           Conv2d(3, 6, 3, groups=3)       W [C*m, 1, kH, kW]       dim 0  M [6, 9]
  depthwise_5x3_2x4           Conv2d(5, 15, (2,4), groups=5)  W [C*m, 1, kH, kW]       dim 0  M [15, 8]
  pointwise_8x6x1x1           Conv2d(6, 8, 1)                 W [out, in, 1, 1]        dim 0  M [8, 6]
M = W.permute(dim, other dims in increasing order).reshape(h, -1). Depthwise output channel
o = c*m + j belongs to input channel c (PyTorch's grouped-conv order).

For each case (float64, eps 1e-12), from a torch.Generator seeded with the case's seed:
W = randn(weight_shape), u0 = normalize(randn(h)), v0 = normalize(randn(w)), G = randn(weight_shape)
(drawn in that order; u0 and v0 are unit vectors like the existing file's). Then, on real modules:
  * spectral_norm[n=1,5]: torch.nn.utils.spectral_norm, weight_u/weight_v set to u0/v0, training
    forward, L = sum(G * W_sn), grad_W = dL/d weight_orig by autograd;
  * parametrizations_spectral_norm[n=1,5]: torch.nn.utils.parametrizations.spectral_norm, _u/_v set
    to u0/v0, same loss; grad_W = dL/d parametrizations.weight.original;
  * spectral_norm_eval_initial_uv: spectral_norm module in eval mode with u0/v0 (no iteration).
Every result is checked against an independent numpy re-implementation (power iteration and the
analytic gradient G/sigma - sum(G*W)/sigma^2 * reshape^-1(u v^T)); the largest relative deviations
(per array, relative to its max-abs) go into meta as in the existing file.

Before writing, the script regenerates every case of the existing reference_cases.json from its
stored W/u0/v0/G and fails unless all outputs match the stored ones to 1e-12 (relative to each
array's max-abs); --skip-validation turns that off. The output is deterministic except meta.created,
which honours SOURCE_DATE_EPOCH.
"""
import argparse
import datetime
import json
import os
import platform
import sys

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.spectral_norm import SpectralNorm

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REF_DIR = os.path.join(REPO, "dl4j-sn-core", "src", "test", "resources", "reference")
DEFAULT_OUT = os.path.join(REF_DIR, "reference_cases_more.json")
EXISTING = os.path.join(REF_DIR, "reference_cases.json")

EPS = 1e-12
ITERATIONS = (1, 5)
VALIDATION_TOL = 1e-12
SELF_CHECK_TOL = 1e-12

# name, module, weight_shape, seed, extra keys. Seeds continue the existing file's 20240601..08.
CASES = [
    ("conv3d_6x3x2x3x3", "conv3d", [6, 3, 2, 3, 3], 20240611, {}),
    ("conv3d_4x2x3x3x3", "conv3d", [4, 2, 3, 3, 3], 20240612, {}),
    ("convT3d_4x6x2x2x3_dim1", "convtranspose3d", [4, 6, 2, 2, 3], 20240613, {}),
    ("convT3d_3x5x3x3x3_dim1", "convtranspose3d", [3, 5, 3, 3, 3], 20240614, {}),
    ("depthwise_4x1_3x3", "depthwise_conv2d", [4, 1, 3, 3], 20240615,
     {"in_channels": 4, "depth_multiplier": 1}),
    ("depthwise_3x2_3x3", "depthwise_conv2d", [6, 1, 3, 3], 20240616,
     {"in_channels": 3, "depth_multiplier": 2}),
    ("depthwise_5x3_2x4", "depthwise_conv2d", [15, 1, 2, 4], 20240617,
     {"in_channels": 5, "depth_multiplier": 3}),
    ("pointwise_8x6x1x1", "conv2d", [8, 6, 1, 1], 20240618, {}),
]

META_TEXT = {
    "dtype": "float64",
    "layout": "tensors are {shape, data}; data is the row-major (C-order) flattening",
    "u_v_semantics": "u has length h = W.shape[dim], v has length w = numel/h; W_mat = "
                     "W.permute(dim, other dims in order).reshape(h, -1)",
    "spectral_norm": "torch.nn.utils.spectral_norm: for n iters {v = normalize(W_mat^T u); u = "
                     "normalize(W_mat v)} under no_grad; sigma = dot(u, W_mat v); W_sn = W / sigma; "
                     "u, v constants for autograd. u0 used, v0 unused in training",
    "parametrizations_spectral_norm": "torch.nn.utils.parametrizations.spectral_norm: for n iters "
                                      "{u = normalize(W_mat v); v = normalize(W_mat^T u)} (opposite "
                                      "order; v0 used, u0 unused in training); otherwise same",
    "normalize": "x / max(||x||_2, eps), eps = 1e-12",
    "eval": "spectral_norm_eval_initial_uv: module.eval(), no power iteration, u = u0, v = v0",
    "loss": "L = sum(G * W_sn); grad_W = dL/dW_orig = G/sigma - (sum(G*W)/sigma^2) * reshape(u v^T)",
}


# ----------------------------------------------------------------------------------------------
# Modules and their dummy inputs
# ----------------------------------------------------------------------------------------------

def make_module(module, shape, extra):
    """A float64 torch module whose weight has `shape`, plus an input it accepts."""
    if module == "linear":
        out_f, in_f = shape
        return nn.Linear(in_f, out_f, bias=False), torch.zeros(1, in_f)
    if module == "conv2d":
        out_c, in_c, kh, kw = shape
        return nn.Conv2d(in_c, out_c, (kh, kw), bias=False), torch.zeros(1, in_c, kh + 1, kw + 1)
    if module == "convtranspose2d":
        in_c, out_c, kh, kw = shape
        return nn.ConvTranspose2d(in_c, out_c, (kh, kw), bias=False), torch.zeros(1, in_c, 2, 2)
    if module == "conv3d":
        out_c, in_c, kd, kh, kw = shape
        return (nn.Conv3d(in_c, out_c, (kd, kh, kw), bias=False),
                torch.zeros(1, in_c, kd + 1, kh + 1, kw + 1))
    if module == "convtranspose3d":
        in_c, out_c, kd, kh, kw = shape
        return (nn.ConvTranspose3d(in_c, out_c, (kd, kh, kw), bias=False),
                torch.zeros(1, in_c, 2, 2, 2))
    if module == "depthwise_conv2d":
        c, m = extra["in_channels"], extra["depth_multiplier"]
        out_c, one, kh, kw = shape
        assert out_c == c * m and one == 1, (shape, extra)
        return (nn.Conv2d(c, c * m, (kh, kw), groups=c, bias=False),
                torch.zeros(1, c, kh + 1, kw + 1))
    raise ValueError(module)


def fresh_module(module, W, extra):
    mod, x = make_module(module, list(W.shape), extra)
    mod = mod.double()
    assert tuple(mod.weight.shape) == tuple(W.shape), (mod.weight.shape, W.shape)
    with torch.no_grad():
        mod.weight.copy_(W)
    return mod, x.double()


def default_dim(module):
    return 1 if module.startswith("convtranspose") else 0


# ----------------------------------------------------------------------------------------------
# PyTorch runs
# ----------------------------------------------------------------------------------------------

def run_spectral_norm(module, W, u0, v0, G, n, training, extra, eps):
    """torch.nn.utils.spectral_norm (forward-pre-hook API) on a real module."""
    mod, x = fresh_module(module, W, extra)
    # dim=None lets PyTorch pick its default (1 for ConvTranspose, else 0).
    mod = torch.nn.utils.spectral_norm(mod, n_power_iterations=n, eps=eps)
    hook = next(h for h in mod._forward_pre_hooks.values()
                if isinstance(h, SpectralNorm))
    assert hook.dim == default_dim(module), (hook.dim, module)
    with torch.no_grad():
        mod.weight_u.copy_(u0)
        mod.weight_v.copy_(v0)
    mod.train(training)
    mod(x)  # the pre-hook computes mod.weight = weight_orig / sigma
    W_sn = mod.weight
    loss = (G * W_sn).sum()
    loss.backward()
    u_after = mod.weight_u.detach().clone()
    v_after = mod.weight_v.detach().clone()
    W_mat = reshape_to_matrix_torch(W, hook.dim)
    sigma = torch.dot(u_after, torch.mv(W_mat, v_after)).item()
    return dict(u_after=u_after, v_after=v_after, sigma=sigma, W_sn=W_sn.detach().clone(),
                grad_W=mod.weight_orig.grad.detach().clone(), dim=hook.dim)


def run_parametrizations(module, W, u0, v0, G, n, extra, eps):
    """torch.nn.utils.parametrizations.spectral_norm on a real module, training mode."""
    mod, _ = fresh_module(module, W, extra)
    mod = torch.nn.utils.parametrizations.spectral_norm(mod, n_power_iterations=n, eps=eps)
    param = mod.parametrizations.weight[0]
    assert param.dim == default_dim(module), (param.dim, module)
    # Registration ran 15 iterations on random u, v; replace them with the case's u0, v0.
    with torch.no_grad():
        param._u.copy_(u0)
        param._v.copy_(v0)
    mod.train()
    # One access of mod.weight = one run of the parametrization (n power iterations, then
    # weight / sigma); a forward would access it once more and iterate again, so none is made.
    W_sn = mod.weight
    loss = (G * W_sn).sum()
    loss.backward()
    u_after = param._u.detach().clone()
    v_after = param._v.detach().clone()
    W_mat = reshape_to_matrix_torch(W, param.dim)
    sigma = torch.dot(u_after, torch.mv(W_mat, v_after)).item()
    return dict(u_after=u_after, v_after=v_after, sigma=sigma, W_sn=W_sn.detach().clone(),
                grad_W=mod.parametrizations.weight.original.grad.detach().clone(), dim=param.dim)


def reshape_to_matrix_torch(W, dim):
    if dim != 0:
        W = W.permute(dim, *[d for d in range(W.dim()) if d != dim])
    return W.reshape(W.shape[0], -1)


# ----------------------------------------------------------------------------------------------
# Independent numpy re-implementation
# ----------------------------------------------------------------------------------------------

def np_matrix(W, dim):
    return np.moveaxis(W, dim, 0).reshape(W.shape[dim], -1)


def np_unmatrix(M, shape, dim):
    """Inverse of np_matrix: [h, w] back to the weight's shape."""
    perm_shape = [shape[dim]] + [s for d, s in enumerate(shape) if d != dim]
    return np.moveaxis(M.reshape(perm_shape), 0, dim)


def np_normalize(x, eps):
    return x / max(np.sqrt(np.dot(x, x)), eps)


def np_reference(W, u0, v0, G, dim, n, order, training, eps):
    """order 'vu' = spectral_norm, 'uv' = parametrizations. Returns u, v, sigma, W_sn, grad_W."""
    M = np_matrix(W, dim)
    u, v = u0.copy(), v0.copy()
    if training:
        for _ in range(n):
            if order == "vu":
                v = np_normalize(M.T @ u, eps)
                u = np_normalize(M @ v, eps)
            else:
                u = np_normalize(M @ v, eps)
                v = np_normalize(M.T @ u, eps)
    sigma = float(u @ (M @ v))
    W_sn = W / sigma
    grad = analytic_grad(W, G, u, v, sigma, dim)
    return u, v, sigma, W_sn, grad


def analytic_grad(W, G, u, v, sigma, dim):
    return G / sigma - (np.sum(G * W) / sigma ** 2) * np_unmatrix(np.outer(u, v), W.shape, dim)


def rel_dev(a, b):
    """max|a - b| relative to max|b| (scalars: relative to |b|)."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    assert a.shape == b.shape, (a.shape, b.shape)
    scale = np.max(np.abs(b)) if b.size else 0.0
    diff = np.max(np.abs(a - b)) if b.size else 0.0
    if scale == 0.0:
        return float(diff)
    return float(diff / scale)


# ----------------------------------------------------------------------------------------------
# Case computation
# ----------------------------------------------------------------------------------------------

class Deviations:
    def __init__(self):
        self.autograd_vs_analytic = 0.0
        self.numpy_vs_torch = 0.0

    def note(self, kind, value, what):
        if kind == "autograd":
            self.autograd_vs_analytic = max(self.autograd_vs_analytic, value)
        else:
            self.numpy_vs_torch = max(self.numpy_vs_torch, value)
        if value > SELF_CHECK_TOL:
            raise AssertionError("self-check failed: %s deviates by %.3g" % (what, value))


def tensor_json(t):
    a = np.asarray(t.detach().numpy() if isinstance(t, torch.Tensor) else t, dtype=np.float64)
    return {"shape": list(a.shape), "data": [float(x) for x in a.reshape(-1)]}


def compute_case(name, module, shape, seed, extra, W, u0, v0, G, eps, devs):
    """All results for one case from given float64 torch tensors W, u0, v0, G."""
    dim = default_dim(module)
    W_np, u0_np, v0_np, G_np = (t.numpy() for t in (W, u0, v0, G))
    W_mat = reshape_to_matrix_torch(W, dim)
    h, w = W_mat.shape
    sigma_exact = torch.linalg.svdvals(W_mat)[0].item()
    devs.note("numpy", rel_dev(np.linalg.svd(np_matrix(W_np, dim), compute_uv=False)[0],
                               sigma_exact), name + " sigma_exact")

    case = {"name": name, "module": module, "weight_shape": list(shape), "dim": dim,
            "matrix_shape": [int(h), int(w)], "eps": eps, "seed": seed}
    case.update(extra)
    case.update({"W": tensor_json(W), "u0": tensor_json(u0), "v0": tensor_json(v0),
                 "G": tensor_json(G), "sigma_exact": sigma_exact})

    def check(res, order, n, training, label):
        assert res["dim"] == dim
        u, v, sigma, W_sn, grad = np_reference(W_np, u0_np, v0_np, G_np, dim, n, order, training,
                                               eps)
        for key, ref in (("u_after", u), ("v_after", v), ("W_sn", W_sn), ("grad_W", grad)):
            if key in res:
                devs.note("numpy", rel_dev(res[key].numpy(), ref), "%s %s %s" % (name, label, key))
        devs.note("numpy", rel_dev(res["sigma"], sigma), "%s %s sigma" % (name, label))
        # autograd vs the analytic formula evaluated with torch's own u, v, sigma
        ana = analytic_grad(W_np, G_np, res["u_after"].numpy(), res["v_after"].numpy(),
                            res["sigma"], dim)
        devs.note("autograd", rel_dev(res["grad_W"].numpy(), ana), "%s %s grad" % (name, label))
        # W_sn is W / sigma exactly
        devs.note("numpy", rel_dev(res["W_sn"].numpy(), W_np / res["sigma"]),
                  "%s %s W/sigma" % (name, label))

    def entry(res, n):
        return {"n_power_iterations": n, "training": True,
                "u_after": tensor_json(res["u_after"]), "v_after": tensor_json(res["v_after"]),
                "sigma": res["sigma"], "W_sn": tensor_json(res["W_sn"]),
                "grad_W": tensor_json(res["grad_W"]),
                "sigma_rel_err_vs_exact": (res["sigma"] - sigma_exact) / sigma_exact}

    sn, par = [], []
    for n in ITERATIONS:
        r = run_spectral_norm(module, W, u0, v0, G, n, True, extra, eps)
        check(r, "vu", n, True, "spectral_norm n=%d" % n)
        sn.append(entry(r, n))
        r = run_parametrizations(module, W, u0, v0, G, n, extra, eps)
        check(r, "uv", n, True, "parametrizations n=%d" % n)
        par.append(entry(r, n))
    r = run_spectral_norm(module, W, u0, v0, G, 1, False, extra, eps)
    check(r, "vu", 1, False, "eval")
    assert torch.equal(r["u_after"], u0) and torch.equal(r["v_after"], v0), "eval changed u/v"
    case["spectral_norm"] = sn
    case["parametrizations_spectral_norm"] = par
    case["spectral_norm_eval_initial_uv"] = {"training": False, "sigma": r["sigma"],
                                             "W_sn": tensor_json(r["W_sn"]),
                                             "grad_W": tensor_json(r["grad_W"])}
    return case


def draw(shape, dim, seed, eps):
    g = torch.Generator().manual_seed(seed)
    W = torch.randn(shape, generator=g, dtype=torch.float64)
    h = shape[dim]
    w = W.numel() // h
    u0 = F.normalize(torch.randn(h, generator=g, dtype=torch.float64), dim=0, eps=eps)
    v0 = F.normalize(torch.randn(w, generator=g, dtype=torch.float64), dim=0, eps=eps)
    G = torch.randn(shape, generator=g, dtype=torch.float64)
    return W, u0, v0, G


def from_json(t):
    return torch.tensor(t["data"], dtype=torch.float64).reshape(t["shape"])


# ----------------------------------------------------------------------------------------------
# Validation against the existing file
# ----------------------------------------------------------------------------------------------

def compare(mine, ref, path, worst):
    """Recursively compares two case dicts; records the worst relative deviation per path."""
    if isinstance(ref, dict) and "data" in ref and "shape" in ref:
        assert mine["shape"] == ref["shape"], (path, mine["shape"], ref["shape"])
        d = rel_dev(mine["data"], ref["data"])
        worst.append((d, path))
    elif isinstance(ref, dict):
        assert set(mine) == set(ref), (path, sorted(set(mine) ^ set(ref)))
        for k in ref:
            compare(mine[k], ref[k], path + "." + k, worst)
    elif isinstance(ref, list) and ref and isinstance(ref[0], dict):
        assert len(mine) == len(ref), path
        for i, (a, b) in enumerate(zip(mine, ref)):
            compare(a, b, "%s[%d]" % (path, i), worst)
    elif isinstance(ref, float) and not isinstance(ref, bool):
        worst.append((rel_dev(mine, ref), path))
    else:
        assert mine == ref, (path, mine, ref)


def validate(existing_path):
    with open(existing_path) as f:
        existing = json.load(f)
    devs = Deviations()
    print("validation against %s:" % os.path.relpath(existing_path, REPO))
    overall = 0.0
    for ref in existing["cases"]:
        W, u0, v0, G = (from_json(ref[k]) for k in ("W", "u0", "v0", "G"))
        extra = {k: ref[k] for k in ("in_channels", "depth_multiplier") if k in ref}
        mine = compute_case(ref["name"], ref["module"], ref["weight_shape"], ref["seed"], extra,
                            W, u0, v0, G, ref["eps"], devs)
        assert list(mine) == list(ref), (list(mine), list(ref))
        worst = []
        compare(mine, ref, ref["name"], worst)
        # sigma_rel_err_vs_exact is a difference of near-equal numbers; judge it absolutely.
        worst = [(d if not p.endswith("sigma_rel_err_vs_exact") else
                  abs(_get(mine, p) - _get(ref, p)), p) for d, p in worst]
        d, p = max(worst)
        overall = max(overall, d)
        print("  %-24s max rel dev %.3g (%s)%s" % (ref["name"], d, p.split(".", 1)[1],
                                                  "" if d <= VALIDATION_TOL else "  FAIL"))
    print("  overall max rel dev %.3g (tolerance %g)" % (overall, VALIDATION_TOL))
    print("  self-check on these cases: autograd vs analytic grad %.3g, numpy re-implementation "
          "vs torch %.3g" % (devs.autograd_vs_analytic, devs.numpy_vs_torch))
    if overall > VALIDATION_TOL:
        sys.exit("validation failed")
    return overall


def _get(obj, path):
    parts = path.split(".")[1:]
    for part in parts:
        if "[" in part:
            key, idx = part[:-1].split("[")
            obj = obj[key][int(idx)]
        else:
            obj = obj[part]
    return obj


# ----------------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=DEFAULT_OUT, help="output JSON (default: %(default)s)")
    ap.add_argument("--existing", default=EXISTING,
                    help="reference file to validate against (default: %(default)s)")
    ap.add_argument("--skip-validation", action="store_true")
    args = ap.parse_args()

    torch.set_default_dtype(torch.float64)
    torch.manual_seed(0)  # the modules' own init and u/v draws; all of it is overwritten

    if not args.skip_validation:
        validate(args.existing)

    devs = Deviations()
    cases = []
    print("new cases:")
    for name, module, shape, seed, extra in CASES:
        W, u0, v0, G = draw(shape, default_dim(module), seed, EPS)
        case = compute_case(name, module, shape, seed, extra, W, u0, v0, G, EPS, devs)
        cases.append(case)
        s5 = next(e["sigma"] for e in case["spectral_norm"] if e["n_power_iterations"] == 5)
        print("  %-24s %-17s W %-16s M %-9s sigma_exact %.15g  sigma(n=5) %.15g" % (
            name, module, "x".join(map(str, shape)), "x".join(map(str, case["matrix_shape"])),
            case["sigma_exact"], s5))

    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    created = (datetime.datetime.utcfromtimestamp(int(epoch)) if epoch
               else datetime.datetime.now()).strftime("%Y-%m-%dT%H:%M:%S")
    meta = {"generator": "scripts/make-reference-cases.py", "created": created,
            "torch_version": torch.__version__, "python": platform.python_version()}
    meta.update(META_TEXT)
    meta["self_check_max_rel_dev_autograd_vs_analytic_grad"] = devs.autograd_vs_analytic
    meta["self_check_max_rel_dev_numpy_reimpl_vs_torch"] = devs.numpy_vs_torch

    with open(args.out, "w") as f:
        json.dump({"meta": meta, "cases": cases}, f)
    print("self-check: autograd vs analytic grad %.3g, numpy re-implementation vs torch %.3g" % (
        devs.autograd_vs_analytic, devs.numpy_vs_torch))
    print("wrote %s (%d cases, %d bytes)" % (args.out, len(cases), os.path.getsize(args.out)))


if __name__ == "__main__":
    main()
