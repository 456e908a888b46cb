"""Snapshot every registered loss case's results, or compare against a snapshot bitwise.

    python scripts/results_snapshot.py save  FILE.npz   # record loss + gradients of every case
    python scripts/results_snapshot.py check FILE.npz   # compare bitwise; list what differs

Each case of tests/cases.py is run with fixed seeds for float32 and float64, every
reduction, with a fixed grad_output, through NAME and NAME_backward, at 1 thread and
at 2 threads; each array goes into the file under "<case>/<dtype>/<reduction>/<what>".
`check` prints every key whose bits differ (with the largest relative difference), then
a summary; it exits 1 when anything differs that is not listed with --allow PREFIX.
Used to show that a refactoring changes no result (issue 9), except named exemptions.
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))

import lossx  # noqa: E402
import cases  # noqa: E402
from helpers import grads_tuple, random_grad_output  # noqa: E402


def _same_bits(x: np.ndarray, y: np.ndarray) -> bool:
    return x.shape == y.shape and x.dtype == y.dtype and x.tobytes() == y.tobytes()


def collect() -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    before = lossx.get_num_threads()
    try:
        for threads in (1, 2):
            lossx.set_num_threads(threads)
            for c in cases.CASES:
                for dtype in (np.float32, np.float64):
                    rng = np.random.default_rng(20261206)
                    args, kwargs = c.make(rng, dtype, 37)
                    for r in c.reductions:
                        key = f"{c.id}/{np.dtype(dtype).name}/{r}"
                        loss = getattr(lossx, c.name)(*args, reduction=r, **kwargs)
                        g = random_grad_output(rng, c, args, kwargs, r, dtype)
                        grads = grads_tuple(getattr(lossx, c.name + "_backward")(g, *args, reduction=r, **kwargs), c)
                        items = {"loss": np.asarray(loss)}
                        items.update({f"grad{k}": np.asarray(a) for k, a in enumerate(grads)})
                        for what, a in items.items():
                            k = f"{key}/{what}"
                            if threads == 1:
                                out[k] = a
                            elif not _same_bits(out[k], a):
                                out[k + "@2threads"] = a
    finally:
        lossx.set_num_threads(before)
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("action", choices=["save", "check"])
    p.add_argument("file")
    p.add_argument("--allow", action="append", default=[], help="key prefix allowed to differ (repeatable)")
    a = p.parse_args()
    now = collect()
    if a.action == "save":
        np.savez_compressed(a.file, **now)
        print(f"saved {len(now)} arrays to {a.file}")
        return 0
    base = dict(np.load(a.file))
    bad = allowed = 0
    for k in sorted(set(base) | set(now)):
        if k not in base or k not in now:
            print(f"{'only now' if k in now else 'only before'}: {k}")
            bad += 1
            continue
        x, y = base[k], now[k]
        if _same_bits(x, y):
            continue
        ok = any(k.startswith(pre) for pre in a.allow)
        allowed += ok
        bad += not ok
        with np.errstate(all="ignore"):
            rel = np.nanmax(np.abs(x - y) / np.maximum(np.abs(x), 1e-300)) if x.shape == y.shape else np.inf
        print(f"{'allowed' if ok else 'DIFFERS'}: {k} (max rel diff {rel:.3g})")
    print(f"{len(base)} arrays compared: {bad} differ, {allowed} differ as allowed")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
