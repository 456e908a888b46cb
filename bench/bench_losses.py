"""Forward+backward time of lossx vs PyTorch (CPU) per loss, same thread count, same run.

    pip install torch==2.13.0
    python bench/bench_losses.py [--threads 1 2] [--repeats 15] [--only cross_entropy ...] [--out bench/RESULTS.md]

For every case both libraries compute the loss (default reduction 'mean') and its
gradient w.r.t. the prediction: lossx with NAME_with_grad, PyTorch with
F.NAME(...).backward(). Repeats are interleaved (torch, lossx, torch, lossx, ...)
so that load on a shared machine hits both alike; we report medians and the
ratio torch / lossx (> 1: lossx is faster).
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import subprocess
import time

import numpy as np

import lossx

try:
    import torch
    import torch.nn.functional as F
except ImportError:  # pragma: no cover
    raise SystemExit("this benchmark compares against PyTorch: pip install torch==2.13.0")


def _t(a, grad=False):
    t = torch.from_numpy(a)
    return t.requires_grad_(True) if grad else t


def case_specs(rng):
    """name -> (size label, numpy args, kwargs, torch args builder)."""
    f32 = np.float32
    N, C = 8192, 1000
    logits = rng.standard_normal((N, C)).astype(f32) * 3
    labels = rng.integers(0, C, N)
    probs = rng.random((N, C)).astype(f32)
    probs /= probs.sum(1, keepdims=True)
    big = rng.standard_normal(4_000_000).astype(f32)
    big2 = rng.standard_normal(4_000_000).astype(f32)
    p01 = rng.random(4_000_000).astype(f32) * 0.98 + 0.01
    t01 = (rng.random(4_000_000) < 0.3).astype(f32)
    img = rng.standard_normal((16, 21, 128, 128)).astype(f32)
    img_t = rng.integers(0, 21, (16, 128, 128))
    pm1 = np.where(rng.random(4_000_000) < 0.5, -1.0, 1.0).astype(f32)
    S, K = 4096, 256
    scores = rng.standard_normal((S, K)).astype(f32)
    multi_t = (rng.random((S, K)) < 0.1).astype(f32)
    ml_idx = np.full((S, K), -1, np.int64)
    ml_idx[:, :8] = rng.integers(0, K, (S, 8))
    emb = [rng.standard_normal((4096, 512)).astype(f32) for _ in range(3)]
    pm1_rows = np.where(rng.random(4096) < 0.5, -1.0, 1.0).astype(f32)
    specs = {
        "cross_entropy": ("(8192, 1000) int64 targets", (logits, labels), {}),
        "cross_entropy/smooth+weight": ("(8192, 1000), ls=0.1, weight", (logits, labels, rng.random(C).astype(f32)),
                                        {"label_smoothing": 0.1}),
        "cross_entropy/probs": ("(8192, 1000) prob targets", (logits, probs), {}),
        "cross_entropy/kdim": ("(16, 21, 128, 128) segmentation", (img, img_t), {}),
        "nll_loss": ("(8192, 1000)", (logits, labels), {}),
        "log_softmax": ("(8192, 1000) dim=1", (logits,), {"dim": 1}),
        "softmax": ("(8192, 1000) dim=1", (logits,), {"dim": 1}),
        "binary_cross_entropy": ("4M", (p01, t01), {}),
        "binary_cross_entropy_with_logits": ("4M", (big, t01), {}),
        "kl_div": ("4M batchmean", (big, p01), {"reduction": "batchmean"}),
        "l1_loss": ("4M", (big, big2), {}),
        "mse_loss": ("4M", (big, big2), {}),
        "smooth_l1_loss": ("4M", (big, big2), {}),
        "huber_loss": ("4M", (big, big2), {}),
        "poisson_nll_loss": ("4M", (big, np.abs(big2)), {}),
        "gaussian_nll_loss": ("4M", (big, big2, p01 + 0.5), {}),
        "margin_ranking_loss": ("4M", (big, big2, pm1), {"margin": 0.1}),
        "hinge_embedding_loss": ("4M", (big, pm1), {}),
        "soft_margin_loss": ("4M", (big, pm1), {}),
        "multilabel_soft_margin_loss": ("(4096, 256)", (scores, multi_t), {}),
        "multi_margin_loss": ("(4096, 256)", (scores, rng.integers(0, K, S)), {}),
        "multilabel_margin_loss": ("(4096, 256), 8 labels", (scores, ml_idx), {}),
        "cosine_embedding_loss": ("(4096, 512)", (emb[0], emb[1], pm1_rows), {}),
        "triplet_margin_loss": ("(4096, 512) p=2", (emb[0], emb[1], emb[2]), {}),
    }
    return specs


def run_lossx(name, args, kwargs):
    return getattr(lossx, name.split("/")[0] + "_with_grad")(*args, **kwargs)


# Positions of the differentiable arguments beyond the first (PyTorch computes only those grads).
DIFF = {"gaussian_nll_loss": (2,), "margin_ranking_loss": (1,), "cosine_embedding_loss": (1,),
        "triplet_margin_loss": (1, 2)}


def run_torch(name, args, kwargs):
    base = name.split("/")[0]
    targs = [_t(args[0], True)] + [_t(a, i + 1 in DIFF.get(base, ())) for i, a in enumerate(args[1:])]
    out = getattr(F, base)(*targs, **kwargs)
    if out.dim():
        out.backward(torch.ones_like(out))
    else:
        out.backward()
    return targs[0].grad


def timeit(fn, repeats):
    return [fn() for _ in range(repeats)]


def bench(names, threads, repeats):
    rng = np.random.default_rng(0)
    specs = case_specs(rng)
    rows = []
    for th in threads:
        torch.set_num_threads(th)
        lossx.set_num_threads(th)
        for name in names:
            if name not in specs or not hasattr(lossx, name.split("/")[0] + "_with_grad"):
                continue
            size, args, kwargs = specs[name]
            run_lossx(name, args, kwargs)  # warm-up (page faults, clone dispatch)
            run_torch(name, args, kwargs)
            tt, tl = [], []
            for _ in range(repeats):
                t0 = time.perf_counter()
                run_torch(name, args, kwargs)
                t1 = time.perf_counter()
                run_lossx(name, args, kwargs)
                t2 = time.perf_counter()
                tt.append(t1 - t0)
                tl.append(t2 - t1)
            mt, ml = 1e3 * np.median(tt), 1e3 * np.median(tl)
            rows.append((name, size, th, mt, ml, mt / ml))
            print(f"{name:34s} {size:30s} threads={th}  torch {mt:8.2f} ms  lossx {ml:8.2f} ms  x{mt / ml:5.2f}",
                  flush=True)
    return rows


def machine_line():
    """CPU model (lscpu), the C++ compiler on PATH (the one `pip install .` built lossx with), today's date."""
    def first_line(cmd, prefix=""):
        try:
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout
        except OSError:
            return "unknown"
        lines = [ln for ln in out.splitlines() if ln.startswith(prefix)]
        return lines[0][len(prefix):].strip() if lines else "unknown"

    cpu = first_line(["lscpu"], "Model name:")
    return (f"Machine: {cpu} ({os.cpu_count()} CPUs, {platform.machine()}); compiler: "
            f"{first_line(['c++', '--version'])}; measured {datetime.date.today().isoformat()}.\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--only", nargs="*", default=None)
    ap.add_argument("--out", default=None, help="write a markdown table here")
    a = ap.parse_args()
    names = a.only or list(case_specs(np.random.default_rng(0)).keys())
    rows = bench(names, a.threads, a.repeats)
    if a.out:
        with open(a.out, "w") as f:
            f.write("# lossx vs PyTorch (CPU), forward + backward\n\n")
            f.write(f"Produced by `python bench/bench_losses.py --threads {' '.join(map(str, a.threads))} "
                    f"--repeats {a.repeats} --out {a.out}` on {platform.processor() or platform.machine()}, "
                    f"{lossx.__name__} {lossx.__version__}, torch {torch.__version__}, numpy {np.__version__}.\n"
                    + machine_line() +
                    "Medians of interleaved repeats; ratio = torch / lossx (> 1: lossx faster). float32, "
                    "reduction 'mean' unless stated; lossx runs NAME_with_grad, PyTorch the functional loss "
                    "and .backward() (gradients for the same inputs).\n\n"
                    "Other benchmarks, each with its own command: `ctc_loss` against PyTorch and optax in "
                    "[results_ctc.md](results_ctc.md) (`bench/bench_ctc.py`); `triplet_margin_loss` variants "
                    "and `batch_hard_triplet_loss` peak memory in [results_embedding.md](results_embedding.md) "
                    "(`bench/bench_triplet.py`, `bench/bench_batch_hard_memory.py`).\n\n")
            f.write("| loss | size | threads | torch ms | lossx ms | ratio |\n|---|---|---|---|---|---|\n")
            for name, size, th, mt, ml, r in rows:
                f.write(f"| {name} | {size} | {th} | {mt:.2f} | {ml:.2f} | {r:.2f} |\n")


if __name__ == "__main__":
    main()
