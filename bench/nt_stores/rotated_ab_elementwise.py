"""Elementwise losses on 16M float32 (mse, l1, smooth_l1, huber): NumPy floor np.add(a, b, out=c),
this tree's lossx and an old build, forward+backward (`NAME.with_grad`, 'mean': the dense path
writes the 64 MiB gradient) and backward with a per-element grad_output ('none'), the call order
rotated every repeat (see rotated_ab.py).

    PYTHONPATH=python taskset -c 1 python bench/nt_stores/rotated_ab_elementwise.py 30   # repeats
    TH=2 PYTHONPATH=python python bench/nt_stores/rotated_ab_elementwise.py 30
The old build: `cp -r <old tree>/python/lossx /tmp/s5c/old/lossx_old` (OLD_DIR to change).
"""
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.environ.get("OLD_DIR", "/tmp/s5c/old"))
import lossx  # noqa: E402
import lossx_old  # noqa: E402

th = int(os.environ.get("TH", "1"))
lossx.set_num_threads(th)
lossx_old.set_num_threads(th)
rng = np.random.default_rng(0)
n = 1 << 24
x = rng.standard_normal(n).astype(np.float32)
y = rng.standard_normal(n).astype(np.float32)
g = rng.standard_normal(n).astype(np.float32)
c = np.empty_like(x)
c.fill(0)
bounds = [(n * k // th, n * (k + 1) // th) for k in range(th)]
if th == 1:
    floor = lambda: np.add(x, y, out=c)  # noqa: E731
else:
    from concurrent.futures import ThreadPoolExecutor
    pool = ThreadPoolExecutor(th)
    floor = lambda: list(pool.map(lambda lh: np.add(x[lh[0]:lh[1]], y[lh[0]:lh[1]], out=c[lh[0]:lh[1]]), bounds))  # noqa: E731
rows = []
for name in ("mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss"):
    rows.append((f"{name} fwd+bwd", lambda m, name=name: getattr(m, name).with_grad(x, y)))
    rows.append((f"{name} bwd(g) none", lambda m, name=name: getattr(m, name).backward(g, x, y, reduction="none")))
R = int(sys.argv[1]) if len(sys.argv) > 1 else 30
print(f"load {os.getloadavg()}; threads {th}; {R} repeats, order rotated; times median/min ms")
for label, f in rows:
    fns = [("floor", floor), ("new", lambda: f(lossx)), ("old", lambda: f(lossx_old))]
    for _, fn in fns:
        fn()
    t = {k: [] for k, _ in fns}
    for r in range(R):
        order = fns[r % 3:] + fns[:r % 3]
        if (r // 3) % 2:
            order = order[::-1]
        for k, fn in order:
            t0 = time.perf_counter()
            fn()
            t[k].append(time.perf_counter() - t0)
    md = {k: 1e3 * np.median(v) for k, v in t.items()}
    mn = {k: 1e3 * np.min(v) for k, v in t.items()}
    print(f"{label:26s} floor {md['floor']:6.2f}/{mn['floor']:6.2f}  new {md['new']:6.2f}/{mn['new']:6.2f} "
          f"({100 * mn['floor'] / mn['new']:3.0f}% of floor)  old {md['old']:6.2f}/{mn['old']:6.2f} "
          f"({100 * mn['floor'] / mn['old']:3.0f}%)  new/old med {md['new'] / md['old']:.3f} min {mn['new'] / mn['old']:.3f}")
print(f"load {os.getloadavg()}")
