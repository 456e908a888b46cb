"""Kernel-side rows of issue 11: lossx against PyTorch (and optionally an older lossx build), one run.

    PYTHONPATH=python python bench/bench_kernels.py [--threads 1 2] [--repeats 15] [--only ROW ...]
        [--old DIR]     # DIR holds an older build renamed to the package `lossx_old` (see below)

Rows (float32): cross_entropy 'none' forward and forward+backward (class index and probability
targets, (8192, 1000)); mse / l1 / smooth_l1 / binary_cross_entropy_with_logits on 16M elements,
forward ('mean') and forward+backward; triplet_margin_loss (4096, 512); ctc_loss at the two sizes of
bench/bench_ctc.py. Every repeat runs torch, lossx (and lossx_old) back to back (interleaved), so load
on a shared machine hits all alike; the table gives medians, the ratio torch / lossx, the minor page
faults per lossx call (getrusage, the whole process) and the load average at the start.

To compare against an older build in the same process, copy its package directory and rename it:
`cp -r python/lossx /tmp/old/lossx_old` (the package uses relative imports only).
"""

from __future__ import annotations

import argparse
import importlib
import os
import resource
import sys
import time

import numpy as np

try:
    import torch
    import torch.nn.functional as F
except ImportError:  # pragma: no cover
    raise SystemExit("this benchmark compares against PyTorch: pip install torch==2.13.0")

import lossx


def _grad_torch(fn, args, diff=(0,)):
    ts = [torch.from_numpy(a).requires_grad_(i in diff) for i, a in enumerate(args)]
    out = fn(*ts)
    out.backward()
    return ts[0].grad


def rows(rng):
    """name -> (torch callable, lossx callable taking the module)."""
    f32 = np.float32
    N, C = 8192, 1000
    logits = rng.standard_normal((N, C)).astype(f32) * 3
    labels = rng.integers(0, C, N)
    probs = rng.random((N, C)).astype(f32)
    probs /= probs.sum(1, keepdims=True)
    n = 16 * 1024 * 1024
    a = rng.standard_normal(n).astype(f32)
    b = rng.standard_normal(n).astype(f32)
    t01 = (rng.random(n) < 0.3).astype(f32)
    emb = [rng.standard_normal((4096, 512)).astype(f32) for _ in range(3)]
    tl, tlab = torch.from_numpy(logits), torch.from_numpy(labels)
    ta, tb, tt = torch.from_numpy(a), torch.from_numpy(b), torch.from_numpy(t01)
    r = {
        "cross_entropy none fwd": (lambda: F.cross_entropy(tl, tlab, reduction="none"),
                                   lambda m: m.cross_entropy(logits, labels, reduction="none")),
        "cross_entropy fwd+bwd": (lambda: _grad_torch(F.cross_entropy, (logits, labels)),
                                  lambda m: m.cross_entropy_with_grad(logits, labels)),
        "cross_entropy/probs fwd+bwd": (lambda: _grad_torch(F.cross_entropy, (logits, probs)),
                                        lambda m: m.cross_entropy_with_grad(logits, probs)),
    }
    for name, second in (("mse_loss", b), ("l1_loss", b), ("smooth_l1_loss", b),
                         ("binary_cross_entropy_with_logits", t01)):
        ts = tb if second is b else tt
        r[f"{name} 16M fwd"] = (lambda name=name, ts=ts: getattr(F, name)(ta, ts),
                                lambda m, name=name, second=second: getattr(m, name)(a, second))
        r[f"{name} 16M fwd+bwd"] = (lambda name=name, second=second: _grad_torch(getattr(F, name), (a, second)),
                                    lambda m, name=name, second=second: getattr(m, name + "_with_grad")(a, second))
    r["triplet_margin_loss fwd+bwd"] = (
        lambda: _grad_torch(F.triplet_margin_loss, tuple(emb), diff=(0, 1, 2)),
        lambda m: m.triplet_margin_loss_with_grad(*emb))
    for T, Nb, Cc, S in [(200, 32, 40, 50), (500, 16, 100, 100)]:
        x = rng.standard_normal((T, Nb, Cc))
        lp = (x - np.log(np.exp(x).sum(-1, keepdims=True))).astype(f32)
        tg = rng.integers(1, Cc, size=(Nb, S))
        il, tln = np.full(Nb, T), np.full(Nb, S)
        targs = (torch.from_numpy(tg), torch.from_numpy(il), torch.from_numpy(tln))

        def torch_ctc(lp=lp, targs=targs):
            t = torch.from_numpy(lp).requires_grad_(True)
            F.ctc_loss(t, *targs).backward()
            return t.grad

        r[f"ctc_loss T={T} N={Nb} C={Cc} S={S} fwd+bwd"] = (
            torch_ctc, lambda m, lp=lp, tg=tg, il=il, tln=tln: m.ctc_loss_with_grad(lp, tg, il, tln))
    return r


def minflt():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--only", nargs="*", default=None, help="substrings of row names")
    ap.add_argument("--old", default=None, help="directory holding the package lossx_old")
    a = ap.parse_args()
    mods = [("lossx", lossx)]
    if a.old:
        sys.path.insert(0, a.old)
        mods.append(("old", importlib.import_module("lossx_old")))
    table = rows(np.random.default_rng(0))
    names = [k for k in table if not a.only or any(s in k for s in a.only)]
    print(f"load average {os.getloadavg()}; lossx {lossx.__file__}")
    for th in a.threads:
        torch.set_num_threads(th)
        for _, m in mods:
            m.set_num_threads(th)
        for name in names:
            tfn, lfn = table[name]
            tfn()
            for _, m in mods:
                lfn(m)
            times = {"torch": []} | {k: [] for k, _ in mods}
            faults = {k: 0 for k, _ in mods}
            for _ in range(a.repeats):
                t0 = time.perf_counter()
                tfn()
                times["torch"].append(time.perf_counter() - t0)
                for k, m in mods:
                    f0 = minflt()
                    t0 = time.perf_counter()
                    lfn(m)
                    times[k].append(time.perf_counter() - t0)
                    faults[k] += minflt() - f0
            med = {k: 1e3 * float(np.median(v)) for k, v in times.items()}
            line = f"{name:48s} th={th} torch {med['torch']:8.2f} ms  lossx {med['lossx']:8.2f} ms " \
                   f"x{med['torch'] / med['lossx']:5.2f}  flt/call {faults['lossx'] // a.repeats:6d}"
            if a.old:
                line += f" | old {med['old']:8.2f} ms x{med['torch'] / med['old']:5.2f} " \
                        f"flt/call {faults['old'] // a.repeats:6d}  new/old {med['lossx'] / med['old']:.3f}"
            print(line, flush=True)
    print(f"load average {os.getloadavg()}")


if __name__ == "__main__":
    main()
