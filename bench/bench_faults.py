"""Page faults and kernel (sys) time of a fresh 64 MB gradient: mse_loss_with_grad on 16M float32.

    PYTHONPATH=python python bench/bench_faults.py [--threads 1 2] [--calls 20] [--old DIR]
    LOSSX_RESULT_CACHE_MB=0 PYTHONPATH=python python bench/bench_faults.py   # recycling off

Per call: minor page faults, user and sys CPU ms (getrusage of the whole process) and the
median / minimum wall time, after one warm-up call. `--old DIR` measures instead the package
`lossx_old` found in DIR (an older build, see bench/bench_kernels.py).
"""

from __future__ import annotations

import argparse
import importlib
import resource
import sys
import time

import numpy as np


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--calls", type=int, default=20)
    ap.add_argument("--old", default=None)
    a = ap.parse_args()
    if a.old:
        sys.path.insert(0, a.old)
    m = importlib.import_module("lossx_old" if a.old else "lossx")
    rng = np.random.default_rng(0)
    n = 16 << 20
    x = rng.standard_normal(n).astype(np.float32)
    y = rng.standard_normal(n).astype(np.float32)
    for th in a.threads:
        m.set_num_threads(th)
        m.mse_loss_with_grad(x, y)
        r0 = resource.getrusage(resource.RUSAGE_SELF)
        wall = []
        for _ in range(a.calls):
            t0 = time.perf_counter()
            m.mse_loss_with_grad(x, y)
            wall.append(time.perf_counter() - t0)
        r1 = resource.getrusage(resource.RUSAGE_SELF)
        k = a.calls
        print(f"{m.__name__} threads={th}: minflt/call {(r1.ru_minflt - r0.ru_minflt) / k:.1f}  "
              f"user {1e3 * (r1.ru_utime - r0.ru_utime) / k:.2f} ms  sys {1e3 * (r1.ru_stime - r0.ru_stime) / k:.2f} ms  "
              f"wall median {1e3 * np.median(wall):.2f} ms  min {1e3 * min(wall):.2f} ms")


if __name__ == "__main__":
    main()
