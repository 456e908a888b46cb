"""softmax / log_softmax (8192, 1000) float32 dim=1 against their NumPy bandwidth floors (issue 11).

    PYTHONPATH=python python bench/bench_softmax.py [--threads 1 2] [--repeats 31] [--old DIR]
    PYTHONPATH=python taskset -c 0 python bench/bench_softmax.py --threads 1   # one core

Rows: NAME (forward; floor np.copyto(c, a): one array read, one written), NAME_with_grad
(forward + gradient of ones; floor np.add(a, b, out=c): three arrays moved) and
NAME_backward(g, x) (reads two arrays, writes one; floor np.add too). The floors write into
preallocated outputs and, at 2 threads, run as one contiguous half per thread (NumPy releases
the GIL). Every repeat runs the floors and each library back to back (interleaved: A, B, A, B),
so that load on a shared machine hits all alike; the table gives medians (or minima: --stat min), lossx's share of
the floor (floor time / lossx time) and the load average at start and end.

`--old DIR`: DIR holds an older build renamed to the package `lossx_old`
(`cp -r python/lossx DIR/lossx_old`; the package uses relative imports only).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

import lossx


def floors(x, threads, pool):
    """name -> callable: the NumPy passes, split into one contiguous chunk per thread."""
    a = x.reshape(-1)
    b = (a * 0.5).astype(a.dtype)
    c = np.empty_like(a)
    c.fill(0)  # fault the output's pages in outside the timing
    n = a.size
    bounds = [(n * k // threads, n * (k + 1) // threads) for k in range(threads)]

    def split(part):
        if threads == 1:
            return lambda: part(bounds[0])
        return lambda: list(pool.map(part, bounds))

    return {
        "copy": split(lambda lh: np.copyto(c[lh[0]:lh[1]], a[lh[0]:lh[1]])),
        "add": split(lambda lh: np.add(a[lh[0]:lh[1]], b[lh[0]:lh[1]], out=c[lh[0]:lh[1]])),
    }


def rows(x, g):
    """(label, floor, f(module))."""
    r = []
    for name in ("softmax", "log_softmax"):
        r.append((f"{name} fwd", "copy", lambda m, name=name: getattr(m, name)(x, 1)))
        r.append((f"{name}_with_grad", "add", lambda m, name=name: getattr(m, name + "_with_grad")(x, 1)))
        r.append((f"{name}_backward(g, x)", "add", lambda m, name=name: getattr(m, name + "_backward")(g, x, 1)))
    return r


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--repeats", type=int, default=31)
    ap.add_argument("--stat", choices=("median", "min"), default="median",
                    help="min: the fastest repeat (robust to a busy shared machine; report which)")
    ap.add_argument("--shape", type=int, nargs=2, default=[8192, 1000])
    ap.add_argument("--old", default=None, help="directory holding the package lossx_old")
    a = ap.parse_args()
    mods = [("lossx", lossx)]
    if a.old:
        sys.path.insert(0, a.old)
        mods.append(("old", importlib.import_module("lossx_old")))
    rng = np.random.default_rng(0)
    x = (rng.standard_normal(tuple(a.shape)) * 3).astype(np.float32)
    g = rng.standard_normal(tuple(a.shape)).astype(np.float32)
    pool = ThreadPoolExecutor(max(a.threads))
    print(f"load average at start {os.getloadavg()}; lossx {lossx.__file__}; shape {tuple(a.shape)} float32; "
          f"affinity {sorted(os.sched_getaffinity(0))}; {a.stat} of {a.repeats} interleaved repeats")
    hdr = f"{'row':26s} th  floor        floor ms  lossx ms  % floor"
    if a.old:
        hdr += "    old ms  % floor  new/old"
    print(hdr)
    for th in a.threads:
        for _, m in mods:
            m.set_num_threads(th)
        fl = floors(x, th, pool)
        for label, floor, f in rows(x, g):
            for _, m in mods:
                f(m)
            fl[floor]()
            times = {"floor": []} | {k: [] for k, _ in mods}
            for _ in range(a.repeats):
                t0 = time.perf_counter()
                fl[floor]()
                times["floor"].append(time.perf_counter() - t0)
                for k, m in mods:
                    t0 = time.perf_counter()
                    f(m)
                    times[k].append(time.perf_counter() - t0)
            stat = np.median if a.stat == "median" else np.min
            med = {k: 1e3 * float(stat(v)) for k, v in times.items()}
            line = (f"{label:26s} {th:2d}  {floor:5s}  {med['floor']:10.2f} {med['lossx']:9.2f} "
                    f"{100 * med['floor'] / med['lossx']:7.0f} %")
            if a.old:
                line += (f" {med['old']:9.2f} {100 * med['floor'] / med['old']:7.0f} %"
                         f" {med['lossx'] / med['old']:8.3f}")
            print(line, flush=True)
    print(f"load average at end {os.getloadavg()}")


if __name__ == "__main__":
    main()
