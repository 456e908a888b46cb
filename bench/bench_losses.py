"""Forward+backward time of lossx vs PyTorch (CPU) per loss, same thread count, same run.

    pip install torch==2.13.0
    python bench/bench_losses.py [--threads 1 2] [--repeats 15] [--only cross_entropy ...] [--out FILE.md]

The complete benchmark (forward rows, 16M-element rows, JAX, bandwidth floors, plot) is
bench/run.py, which writes bench/RESULTS.md; this script is the quick forward+backward
comparison of every loss against PyTorch (its cases come from bench/bench_cases.py).

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
import sys
import time

import numpy as np

import lossx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_cases  # noqa: E402  (the case definitions shared with bench/run.py)

try:
    import torch
    import torch.nn.functional as F
except ImportError:  # pragma: no cover
    raise SystemExit("this benchmark compares against PyTorch: pip install torch==2.13.0")


def _t(a, grad=False):
    t = torch.from_numpy(a)
    return t.requires_grad_(True) if grad else t


def case_specs(rng=None):
    """name -> (size label, numpy args, kwargs): the shared cases of bench/bench_cases.py.

    `rng` is accepted for compatibility and ignored: every dataset is built from its own seed.
    """
    return bench_cases.legacy_case_specs()


def run_lossx(name, args, kwargs):
    return getattr(lossx, name.split("/")[0] + "_with_grad")(*args, **kwargs)


# Positions of the differentiable arguments beyond the first (PyTorch computes only those grads).
DIFF = bench_cases.DIFF


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
    specs = case_specs()
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
    names = a.only or list(case_specs().keys())
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
