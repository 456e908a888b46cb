"""Old vs new build of the transcendental elementwise losses, interleaved, in process CPU time.

    PYTHONPATH=python python bench/bench_transcendental.py --old /tmp/main-python --new python [--cases kl_div ...]

Two persistent worker processes, one per build (`--old` / `--new`: directories holding the
`lossx` package, put first on each worker's PYTHONPATH), each pinned to the same CPU and run at
1 thread. For every repeat and case the parent asks both workers in alternating order (old, new /
new, old) to time a loop of calls in process CPU time (steal-free on a shared machine), and the
NumPy floor of the row in the same worker: `np.dot(a, b)` for a reduced forward, `np.add(a, b,
out=c)` for forward+backward (the bandwidth floors of bench/run.py; none for the CTC rows). Prints medians per case and
build, the speedup and the share of the floor (floor / lossx).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

CASES = {
    "bce_with_logits 16M fwd": ("bcel_fwd", "dot16"),
    "bce_with_logits 16M fwd+bwd": ("bcel_fb", "add16"),
    "binary_cross_entropy 4M fwd+bwd": ("bce_fb", "add4"),
    "poisson_nll_loss 4M fwd+bwd": ("poisson_fb", "add4"),
    "gaussian_nll_loss 4M fwd+bwd": ("gauss_fb", "add4"),
    "margin_ranking_loss 4M fwd+bwd": ("mrank_fb", "add4"),
    "soft_margin_loss 4M fwd+bwd": ("softm_fb", "add4"),
    "kl_div 4M batchmean fwd+bwd": ("kl_fb", "add4"),
    "kl_div 4M log_target fwd+bwd": ("kllt_fb", "add4"),
    "poisson_nll_loss 4M fwd": ("poisson_f", "dot4"),
    "multilabel_soft_margin_loss (4096, 256) fwd+bwd": ("mlsm_fb", "add1m"),
    "multilabel_soft_margin_loss (4096, 256) fwd": ("mlsm_f", "dot1m"),
    "ctc_loss T=200 N=32 C=40 S=50 fwd+bwd": ("ctc0_fb", None),
    "ctc_loss T=500 N=16 C=100 S=100 fwd+bwd": ("ctc1_fb", None),
}
# --cases PREFIX ... picks a subset (by the start of the row name).

WORKER = r"""
import json, sys, time
import numpy as np, lossx
lossx.set_num_threads(1)
rng = np.random.default_rng(0)
def mk(n):
    return dict(x=rng.standard_normal(n, dtype=np.float32), y=rng.standard_normal(n, dtype=np.float32),
                p01=rng.random(n, dtype=np.float32) * np.float32(0.98) + np.float32(0.01),
                t01=(rng.random(n, dtype=np.float32) < 0.3).astype(np.float32),
                pm1=np.where(rng.random(n, dtype=np.float32) < 0.5, np.float32(-1), np.float32(1)))
d16, d4 = mk(1 << 24), mk(4_000_000)
ay, v = np.abs(d4["y"]), d4["p01"] + np.float32(0.5)
c16, c4 = np.empty(1 << 24, np.float32), np.empty(4_000_000, np.float32)
sc = rng.standard_normal((4096, 256), dtype=np.float32)
mt = (rng.random((4096, 256), dtype=np.float32) < 0.1).astype(np.float32)
c1m = np.empty_like(sc)
lpt = np.log(d4["p01"])
def ctc(T, N, C, S):  # as bench/bench_ctc.py: log_softmax of randn, full lengths, random labels
    z = rng.standard_normal((T, N, C)).astype(np.float32)
    lp = (z - np.log(np.exp(z).sum(-1, keepdims=True))).astype(np.float32)
    tg = rng.integers(1, C, size=(N, S)).astype(np.int64)
    return lp, tg, np.full(N, T, np.int64), np.full(N, S, np.int64)
k0, k1 = ctc(200, 32, 40, 50), ctc(500, 16, 100, 100)
F = {
    "bcel_fwd": lambda: lossx.binary_cross_entropy_with_logits(d16["x"], d16["t01"]),
    "bcel_fb": lambda: lossx.binary_cross_entropy_with_logits_with_grad(d16["x"], d16["t01"]),
    "bce_fb": lambda: lossx.binary_cross_entropy_with_grad(d4["p01"], d4["t01"]),
    "poisson_fb": lambda: lossx.poisson_nll_loss_with_grad(d4["x"], ay),
    "gauss_fb": lambda: lossx.gaussian_nll_loss_with_grad(d4["x"], d4["y"], v),
    "mrank_fb": lambda: lossx.margin_ranking_loss_with_grad(d4["x"], d4["y"], d4["pm1"], margin=0.1),
    "softm_fb": lambda: lossx.soft_margin_loss_with_grad(d4["x"], d4["pm1"]),
    "kl_fb": lambda: lossx.kl_div_with_grad(d4["x"], d4["p01"], reduction="batchmean"),
    "kllt_fb": lambda: lossx.kl_div_with_grad(d4["x"], lpt, reduction="batchmean", log_target=True),
    "poisson_f": lambda: lossx.poisson_nll_loss(d4["x"], ay),
    "mlsm_fb": lambda: lossx.multilabel_soft_margin_loss_with_grad(sc, mt),
    "mlsm_f": lambda: lossx.multilabel_soft_margin_loss(sc, mt),
    "ctc0_fb": lambda: lossx.ctc_loss_with_grad(*k0),
    "ctc1_fb": lambda: lossx.ctc_loss_with_grad(*k1),
    "dot4": lambda: np.dot(d4["x"], d4["y"]),
    "dot1m": lambda: np.dot(sc.ravel(), mt.ravel()),
    "add1m": lambda: np.add(sc, mt, out=c1m),
    "dot16": lambda: np.dot(d16["x"], d16["t01"]),
    "add16": lambda: np.add(d16["x"], d16["t01"], out=c16),
    "add4": lambda: np.add(d4["x"], d4["y"], out=c4),
}
for f in F.values():
    f()
print("ready", flush=True)
for line in sys.stdin:
    name, loops = line.split()
    f = F[name]
    t = time.process_time()
    for _ in range(int(loops)):
        f()
    print(json.dumps((time.process_time() - t) / int(loops)), flush=True)
"""


def start(path: str, cpu: int) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([os.path.abspath(path), os.environ.get("PYTHONPATH", "")]),
               OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    p = subprocess.Popen(["taskset", "-c", str(cpu), sys.executable, "-c", WORKER], env=env, text=True,
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert p.stdout.readline().strip() == "ready"
    return p


def ask(p: subprocess.Popen, name: str, loops: int) -> float:
    p.stdin.write(f"{name} {loops}\n")
    p.stdin.flush()
    return json.loads(p.stdout.readline())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--old", required=True, help="directory with the old build's lossx package")
    ap.add_argument("--new", required=True, help="directory with the new build's lossx package")
    ap.add_argument("--repeats", type=int, default=11)
    ap.add_argument("--loops", type=int, default=4)
    ap.add_argument("--cpu", type=int, default=0)
    ap.add_argument("--cases", nargs="+", default=None, help="only the rows whose name starts with one of these")
    a = ap.parse_args()
    cases = {c: v for c, v in CASES.items() if a.cases is None or any(c.startswith(p) for p in a.cases)}
    workers = {"old": start(a.old, a.cpu), "new": start(a.new, a.cpu)}
    t = {(b, c): [] for b in workers for c in cases}
    fl = {(b, c): [] for b in workers for c in cases}
    load0 = os.getloadavg()[0]
    for r in range(a.repeats):
        order = ("old", "new") if r % 2 == 0 else ("new", "old")
        for case, (fn, floor) in cases.items():
            for b in order:
                t[b, case].append(ask(workers[b], fn, a.loops))
                if floor:
                    fl[b, case].append(ask(workers[b], floor, a.loops))
    load1 = os.getloadavg()[0]
    for p in workers.values():
        p.stdin.close()
        p.wait()
    med = statistics.median
    print(f"1 thread, CPU {a.cpu}, process CPU time per call, medians of {a.repeats} interleaved repeats "
          f"({a.loops} calls each); load average {load0:.1f} -> {load1:.1f}")
    print("| row | old ms | new ms | speedup | floor ms | old % of floor | new % of floor |")
    print("|---|---|---|---|---|---|---|")
    for case in cases:
        o, n = med(t["old", case]) * 1e3, med(t["new", case]) * 1e3
        if not fl["old", case]:  # no NumPy floor for this row
            print(f"| {case} | {o:.2f} | {n:.2f} | {o / n:.2f}x | — | — | — |")
            continue
        f = med(fl["old", case] + fl["new", case]) * 1e3
        print(f"| {case} | {o:.2f} | {n:.2f} | {o / n:.2f}x | {f:.2f} | {100 * f / o:.0f} % | {100 * f / n:.0f} % |")


if __name__ == "__main__":
    main()
