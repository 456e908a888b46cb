"""Thread scaling of lossx rows: 1 vs 2 threads, interleaved in one process.

    PYTHONPATH=python python bench/bench_scaling.py [--repeats 21] [--only SUBSTRING ...]

Every repeat runs the row at 1 thread and then at 2 threads (lossx.set_num_threads between
them), so load from other processes hits both alike. Prints median and minimum wall times and
the speed-up t(1) / t(2) of each (the minimum is the better estimate on a loaded machine).
Rows: forward+backward of mse / l1 / smooth_l1 / bce_with_logits on 16M float32, their
forward ('mean'), cross_entropy (8192, 1000) forward+backward and 'none' forward,
triplet_margin_loss (4096, 512) and ctc_loss at the two sizes of bench/bench_ctc.py.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

import lossx


def rows(rng):
    f32 = np.float32
    n = 16 * 1024 * 1024
    a = rng.standard_normal(n).astype(f32)
    b = rng.standard_normal(n).astype(f32)
    t01 = (rng.random(n) < 0.3).astype(f32)
    x = (rng.standard_normal((8192, 1000)) * 3).astype(f32)
    lab = rng.integers(0, 1000, 8192)
    emb = [rng.standard_normal((4096, 512)).astype(f32) for _ in range(3)]
    r = {}
    for name, second in (("mse_loss", b), ("l1_loss", b), ("smooth_l1_loss", b),
                         ("binary_cross_entropy_with_logits", t01)):
        r[f"{name} 16M fwd"] = lambda name=name, s=second: getattr(lossx, name)(a, s)
        r[f"{name} 16M fwd+bwd"] = lambda name=name, s=second: getattr(lossx, name + "_with_grad")(a, s)
    r["cross_entropy fwd+bwd"] = lambda: lossx.cross_entropy_with_grad(x, lab)
    r["cross_entropy none fwd"] = lambda: lossx.cross_entropy(x, lab, reduction="none")
    r["triplet_margin_loss fwd+bwd"] = lambda: lossx.triplet_margin_loss_with_grad(*emb)
    for T, N, C, S in [(200, 32, 40, 50), (500, 16, 100, 100)]:
        z = rng.standard_normal((T, N, C))
        lp = (z - np.log(np.exp(z).sum(-1, keepdims=True))).astype(f32)
        tg = rng.integers(1, C, size=(N, S))
        il, tl = np.full(N, T), np.full(N, S)
        r[f"ctc_loss T={T} fwd+bwd"] = lambda lp=lp, tg=tg, il=il, tl=tl: lossx.ctc_loss_with_grad(lp, tg, il, tl)
    return r


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=21)
    ap.add_argument("--only", nargs="*", default=None)
    a = ap.parse_args()
    print(f"load average at start {os.getloadavg()}")
    print("| row | 1 thread ms (median / min) | 2 threads ms (median / min) | speed-up median | speed-up min |")
    print("|---|---|---|---|---|")
    for name, fn in rows(np.random.default_rng(0)).items():
        if a.only and not any(s in name for s in a.only):
            continue
        t = {1: [], 2: []}
        for th in (1, 2):
            lossx.set_num_threads(th)
            fn()
        for _ in range(a.repeats):
            for th in (1, 2):
                lossx.set_num_threads(th)
                t0 = time.perf_counter()
                fn()
                t[th].append(time.perf_counter() - t0)
        m1, m2 = 1e3 * np.median(t[1]), 1e3 * np.median(t[2])
        n1, n2 = 1e3 * min(t[1]), 1e3 * min(t[2])
        print(f"| {name} | {m1:.2f} / {n1:.2f} | {m2:.2f} / {n2:.2f} | {m1 / m2:.2f} | {n1 / n2:.2f} |", flush=True)
    print(f"load average at end {os.getloadavg()}")


if __name__ == "__main__":
    main()
