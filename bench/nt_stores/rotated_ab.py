"""softmax / log_softmax (8192, 1000) float32: NumPy floor, this tree's lossx and an old build, in
an order that rotates every repeat (each follows each: a kernel that leaves dirty lines in the
cache or none hands that to whoever runs next; bench/bench_softmax.py's fixed order does not).

    PYTHONPATH=python taskset -c 1 python bench/nt_stores/rotated_ab.py 36      # repeats
The old build: `cp -r <old tree>/python/lossx /tmp/s5c/old/lossx_old` (OLD_DIR to change).
Prints median/min per row and, in parentheses, the floor's time as a share of each.
"""
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.environ.get('OLD_DIR', '/tmp/s5c/old'))
import lossx, lossx_old
th = int(os.environ.get('TH', '1'))
lossx.set_num_threads(th); lossx_old.set_num_threads(th)
rng = np.random.default_rng(0)
x = (rng.standard_normal((8192, 1000)) * 3).astype(np.float32)
g = rng.standard_normal((8192, 1000)).astype(np.float32)
a = x.reshape(-1); b = (a * 0.5).astype(a.dtype); c = np.empty_like(a); c.fill(0)
floors = {"copy": lambda: np.copyto(c, a), "add": lambda: np.add(a, b, out=c)}
rows = [("softmax fwd", "copy", lambda m: m.softmax(x, 1)), ("softmax_with_grad", "add", lambda m: m.softmax_with_grad(x, 1)),
        ("softmax_backward", "add", lambda m: m.softmax_backward(g, x, 1)), ("log_softmax fwd", "copy", lambda m: m.log_softmax(x, 1)),
        ("log_softmax_with_grad", "add", lambda m: m.log_softmax_with_grad(x, 1)), ("log_softmax_backward", "add", lambda m: m.log_softmax_backward(g, x, 1))]
R = int(sys.argv[1]) if len(sys.argv) > 1 else 30
print(f"load {os.getloadavg()}; threads {th}; {R} repeats, order rotated")
for label, fl, f in rows:
    fns = [("floor", floors[fl]), ("new", lambda: f(lossx)), ("old", lambda: f(lossx_old))]
    for _, fn in fns: fn()
    t = {k: [] for k, _ in fns}
    for r in range(R):
        order = fns[r % 3:] + fns[:r % 3]
        if (r // 3) % 2: order = order[::-1]
        for k, fn in order:
            t0 = time.perf_counter(); fn(); t[k].append(time.perf_counter() - t0)
    md = {k: 1e3 * np.median(v) for k, v in t.items()}; mn = {k: 1e3 * np.min(v) for k, v in t.items()}
    print(f"{label:24s} floor {md['floor']:.2f}/{mn['floor']:.2f}  new {md['new']:.2f}/{mn['new']:.2f} ({100*md['floor']/md['new']:.0f}%/{100*mn['floor']/mn['new']:.0f}%)  old {md['old']:.2f}/{mn['old']:.2f} ({100*md['floor']/md['old']:.0f}%/{100*mn['floor']/mn['old']:.0f}%)  new/old med {md['new']/md['old']:.3f} min {mn['new']/mn['old']:.3f}")
print(f"load {os.getloadavg()}")
