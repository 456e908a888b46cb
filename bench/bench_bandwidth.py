"""Achieved memory bandwidth of memory-bound lossx rows against a NumPy pass moving the same bytes.

    PYTHONPATH=python python bench/bench_bandwidth.py [--threads 1 2] [--repeats 21]

Each thread count runs in its own child process pinned to that many cores, with lossx and
OpenBLAS (which runs np.dot) limited to that many threads. In a child every repeat runs the
lossx row and its NumPy floor back to back (interleaved); the table gives medians, the bytes
each pass must move, GB/s (10^9 bytes per second) and lossx's share of the floor's GB/s.

Rows (float32) and their floors:
  mse_loss 16M forward ('mean')        reads 2 x 64 MB           np.dot(a, b)
  mse_loss 16M forward+backward        reads 128 MB, writes 64   np.add(a, b, out=c)
  softmax / log_softmax (8192, 1000)   reads 32 MB, writes 32    np.negative(x, out=c)
  nll_loss (8192, 1000) fwd+bwd        writes 32 MB (gradient)   c.fill(1.0)
lossx allocates its outputs per call (recycled mappings, python/bindings/alloc.hpp); the
NumPy floors write into a preallocated `c`. np.add / np.negative / fill are single-threaded.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time


def _child(threads: int, repeats: int) -> list:
    os.sched_setaffinity(0, set(sorted(os.sched_getaffinity(0))[:threads]))
    import numpy as np

    import lossx

    lossx.set_num_threads(threads)
    rng = np.random.default_rng(0)
    f32 = np.float32
    n = 16 * 1024 * 1024
    a = rng.standard_normal(n).astype(f32)
    b = rng.standard_normal(n).astype(f32)
    c = np.empty_like(a)
    x = (rng.standard_normal((8192, 1000)) * 3).astype(f32)
    lab = rng.integers(0, 1000, 8192)
    cx = np.empty_like(x)
    mb = 1 << 20
    rows = [
        ("mse_loss 16M fwd", 128 * mb, lambda: lossx.mse_loss(a, b), "np.dot(a, b)", lambda: np.dot(a, b)),
        ("mse_loss 16M fwd+bwd", 192 * mb, lambda: lossx.mse_loss_with_grad(a, b), "np.add(a, b, out=c)",
         lambda: np.add(a, b, out=c)),
        ("softmax (8192, 1000) fwd", 2 * x.nbytes, lambda: lossx.softmax(x, 1), "np.negative(x, out=c)",
         lambda: np.negative(x, out=cx)),
        ("log_softmax (8192, 1000) fwd", 2 * x.nbytes, lambda: lossx.log_softmax(x, 1), "np.negative(x, out=c)",
         lambda: np.negative(x, out=cx)),
        ("nll_loss (8192, 1000) fwd+bwd", x.nbytes, lambda: lossx.nll_loss_with_grad(x, lab), "c.fill(1.0)",
         lambda: cx.fill(1.0)),
    ]
    out = []
    for name, nbytes, fx, floor_name, fn in rows:
        fx()
        fn()
        tx, tn = [], []
        for _ in range(repeats):
            t0 = time.perf_counter()
            fx()
            t1 = time.perf_counter()
            fn()
            t2 = time.perf_counter()
            tx.append(t1 - t0)
            tn.append(t2 - t1)
        out.append((name, nbytes, float(np.median(tx)), floor_name, float(np.median(tn))))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--repeats", type=int, default=21)
    ap.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child is not None:
        print(json.dumps(_child(a.child, a.repeats)))
        return
    print(f"load average at start {os.getloadavg()}")
    print("| row | threads | MB moved | lossx ms | lossx GB/s | NumPy floor | floor ms | floor GB/s | lossx / floor |")
    print("|---|---|---|---|---|---|---|---|---|")
    for th in a.threads:
        env = dict(os.environ, OPENBLAS_NUM_THREADS=str(th), OMP_NUM_THREADS=str(th), MKL_NUM_THREADS=str(th))
        res = subprocess.run([sys.executable, __file__, "--child", str(th), "--repeats", str(a.repeats)],
                             env=env, capture_output=True, text=True, check=True)
        for name, nbytes, tx, floor_name, tn in json.loads(res.stdout.strip().splitlines()[-1]):
            gx, gn = nbytes / tx / 1e9, nbytes / tn / 1e9
            print(f"| {name} | {th} | {nbytes / 2**20:.0f} | {1e3 * tx:.2f} | {gx:.1f} | {floor_name} | "
                  f"{1e3 * tn:.2f} | {gn:.1f} | {gx / gn:.0%} |", flush=True)
    print(f"load average at end {os.getloadavg()}")


if __name__ == "__main__":
    main()
