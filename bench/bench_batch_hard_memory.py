"""Peak memory of batch_hard_triplet_loss_with_grad beyond its inputs and gradient.

    PYTHONPATH=python python bench/bench_batch_hard_memory.py [--n 20000] [--d 256] [--threads 2]

Each measurement runs in a fresh subprocess and reads the peak resident set size
(VmHWM in /proc/self/status; ru_maxrss as a cross-check):

* ``baseline``: import lossx, make the float32 embeddings (N, D) and int64 labels (N,),
  and allocate and touch one gradient-sized array, i.e. everything the call must hold;
* ``run``: the same inputs, then ``loss, grad = batch_hard_triplet_loss_with_grad(e, y)``.

``run - baseline`` is the memory the kernel needs beyond inputs and gradient. The
N×N float32 distance matrix that a brute-force implementation would build is
printed for comparison. The run also reports its wall time and checks a few anchors
against a brute-force NumPy computation.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time


def _vmhwm_kib() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")


def child(mode: str, n: int, d: int, threads: int) -> None:
    import numpy as np

    import lossx

    lossx.set_num_threads(threads)
    rng = np.random.default_rng(0)
    e = rng.standard_normal((n, d), dtype=np.float32)
    y = rng.integers(0, n // 8, n)
    out = {"mode": mode}
    if mode == "baseline":
        g = np.empty_like(e)
        g.fill(1.0)  # touch every page, as the kernel writes every gradient element
    else:
        t0 = time.perf_counter()
        loss, g = lossx.batch_hard_triplet_loss_with_grad(e, y)
        out["seconds"] = time.perf_counter() - t0
        out["loss"] = float(loss)
        out["vmhwm_kib"] = _vmhwm_kib()  # before the spot check's own temporaries
        out["maxrss_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        # Spot check: anchors 0..4 against brute force (float64 distances to all N samples).
        e64 = e.astype(np.float64)
        per = lossx.batch_hard_triplet_loss(e, y, reduction="none")
        for i in range(5):
            dist = np.sqrt(((e64 - e64[i]) ** 2).sum(1))
            same = (y == y[i]) & (np.arange(n) != i)
            want = max(0.0, dist[same].max() - dist[y != y[i]].min() + 1.0)
            assert abs(per[i] - want) <= 1e-4 * max(1.0, want), (i, per[i], want)
    if mode == "baseline":
        out["vmhwm_kib"] = _vmhwm_kib()
        out["maxrss_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps(out))


def measure(mode: str, n: int, d: int, threads: int) -> dict:
    res = subprocess.run([sys.executable, __file__, "--child", mode, "--n", str(n), "--d", str(d),
                          "--threads", str(threads)], check=True, capture_output=True, text=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=20000)
    ap.add_argument("--d", type=int, default=256)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--child", choices=["baseline", "run"])
    args = ap.parse_args()
    if args.child:
        child(args.child, args.n, args.d, args.threads)
        return

    n, d = args.n, args.d
    base = measure("baseline", n, d, args.threads)
    run = measure("run", n, d, args.threads)
    mib = 1.0 / 1024
    extra = (run["vmhwm_kib"] - base["vmhwm_kib"]) * mib
    print(f"# batch_hard_triplet_loss_with_grad, N={n}, D={d}, float32, {args.threads} threads")
    print()
    print("| quantity | MiB |")
    print("|---|---|")
    print(f"| inputs (embeddings + int64 labels) | {(n * d * 4 + n * 8) / 2**20:.1f} |")
    print(f"| gradient | {n * d * 4 / 2**20:.1f} |")
    print(f"| peak RSS, baseline (inputs + touched gradient-sized array) | {base['vmhwm_kib'] * mib:.1f} |")
    print(f"| peak RSS, run | {run['vmhwm_kib'] * mib:.1f} |")
    print(f"| **extra memory of the call (run - baseline)** | **{extra:.1f}** |")
    print(f"| for comparison: one N×N float32 distance matrix | {n * n * 4 / 2**20:.0f} |")
    print()
    print(f"ru_maxrss cross-check: baseline {base['maxrss_kib'] * mib:.1f} MiB, run {run['maxrss_kib'] * mib:.1f} MiB; "
          f"wall time of the call {run['seconds']:.2f} s; loss {run['loss']:.6f}")


if __name__ == "__main__":
    main()
