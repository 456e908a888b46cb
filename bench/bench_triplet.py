"""triplet_margin_loss forward+backward: lossx vs PyTorch (CPU), same thread count, same run.

    pip install torch==2.13.0
    PYTHONPATH=python python bench/bench_triplet.py [--threads 1 2] [--repeats 25] [--n 4096] [--d 512]

Both libraries compute the 'mean' loss on (N, D) float32 anchors/positives/negatives and
the three gradients: lossx with ``triplet_margin_loss_with_grad``, PyTorch with
``F.triplet_margin_loss(...).backward()`` on leaf tensors that share the NumPy memory.
Repeats are interleaved (torch, lossx, lossx, torch, ...) so that load on a shared
machine hits both alike; we report medians and the ratio torch / lossx (> 1: lossx is
faster). The results are checked to agree before timing.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

import numpy as np

import lossx

try:
    import torch
    import torch.nn.functional as F
except ImportError:  # pragma: no cover
    raise SystemExit("this benchmark compares against PyTorch: pip install torch==2.13.0")


VARIANTS = {
    "p=2": {},
    "p=2, swap": {"swap": True},
    "p=1": {"p": 1},
}


def run_lossx(a, p, n, kw):
    return lossx.triplet_margin_loss_with_grad(a, p, n, **kw)


def run_torch(ta, tp, tn, kw):
    for t in (ta, tp, tn):
        t.grad = None
    loss = F.triplet_margin_loss(ta, tp, tn, **kw)
    loss.backward()
    return loss, (ta.grad, tp.grad, tn.grad)


def check(a, p, n, kw):
    ta, tp, tn = (torch.from_numpy(x).requires_grad_(True) for x in (a, p, n))
    tl, tg = run_torch(ta, tp, tn, kw)
    ll, lg = run_lossx(a, p, n, kw)
    np.testing.assert_allclose(ll, tl.detach().numpy(), rtol=1e-5)
    for x, y in zip(lg, tg):
        np.testing.assert_allclose(x, y.numpy(), rtol=1e-4, atol=1e-8)


def bench(a, p, n, kw, repeats):
    ta, tp, tn = (torch.from_numpy(x).requires_grad_(True) for x in (a, p, n))
    run_lossx(a, p, n, kw)  # warm-up
    run_torch(ta, tp, tn, kw)
    times = {"torch": [], "lossx": []}
    for r in range(repeats):
        order = ("torch", "lossx") if r % 2 == 0 else ("lossx", "torch")
        for who in order:
            t0 = time.perf_counter()
            if who == "torch":
                run_torch(ta, tp, tn, kw)
            else:
                run_lossx(a, p, n, kw)
            times[who].append(time.perf_counter() - t0)
    return statistics.median(times["torch"]), statistics.median(times["lossx"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--repeats", type=int, default=25)
    ap.add_argument("--n", type=int, default=4096)
    ap.add_argument("--d", type=int, default=512)
    args = ap.parse_args()

    rng = np.random.default_rng(0)
    N, D = args.n, args.d
    a = rng.standard_normal((N, D)).astype(np.float32)
    p = (a + 0.5 * rng.standard_normal((N, D))).astype(np.float32)
    n = rng.standard_normal((N, D)).astype(np.float32)
    for kw in VARIANTS.values():
        check(a, p, n, kw)

    print(f"# triplet_margin_loss forward+backward, ({N}, {D}) float32, reduction='mean'")
    print(f"# {platform.processor() or platform.machine()}, torch {torch.__version__}, numpy {np.__version__}, "
          f"{args.repeats} interleaved repeats, medians")
    print()
    print("| variant | threads | torch (ms) | lossx (ms) | torch / lossx |")
    print("|---|---|---|---|---|")
    for threads in args.threads:
        torch.set_num_threads(threads)
        lossx.set_num_threads(threads)
        for name, kw in VARIANTS.items():
            t_torch, t_lossx = bench(a, p, n, kw, args.repeats)
            print(f"| {name} | {threads} | {t_torch * 1e3:.2f} | {t_lossx * 1e3:.2f} | {t_torch / t_lossx:.2f} |",
                  flush=True)


if __name__ == "__main__":
    main()
