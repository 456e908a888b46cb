"""Per-call cost of a small loss call, layer by layer, against torch.nn.functional.

Times, per call, each layer between the caller and the kernel of
``lossx.cross_entropy(x, y)`` (float32 logits, int64 labels): an empty pybind11
call, the compiled function called positionally and by keyword, the same call
without an output allocation (the partial sums), a preallocated ``out=``, the
public Python function (forward, ``_backward``, ``_with_grad``), and PyTorch's
``torch.nn.functional.cross_entropy`` on the same data. One thread for both.
Every variant runs as a ``timeit`` loop (no closure in between); the variants are
interleaved (A, B, C, ..., A, B, C, ...) and the table shows medians.

    PYTHONPATH=python python bench/bench_overhead.py [--repeats 31] [--label after] [--out FILE --append]

Run it once on the old tree and once on the new one to compare (``--label``).
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import sys
import time
import timeit

import numpy as np

import lossx
from lossx import _core

try:
    import torch
except ImportError:  # the lossx rows alone
    torch = None

SIZES = [(8, 10), (64, 10), (256, 1000)]


def _binding_takes_out() -> bool:
    """Whether the compiled functions take (mode, grad_output, out, grad_out, ...) (the new binding)."""
    return " grad_out:" in (_core.cross_entropy.__doc__ or "").splitlines()[0]


def variants(n: int, c: int) -> list[tuple[str, str, dict]]:
    """(label, statement, namespace) per layer, for an (n, c) float32 batch."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, c)).astype(np.float32)
    y = rng.integers(0, c, n).astype(np.int64)
    ns = dict(lossx=lossx, core=_core, x=x, y=y, np=np, g=np.ones(x.shape, np.float32),
              lo=np.empty((), np.float32), go=np.empty(x.shape, np.float32))
    new = _binding_takes_out()
    pre = "0, None, None, None, " if new else "0, None, "
    part = "3, None, None, None, " if new else "3, None, "
    kw = "mode=0, grad_output=None, out=None, grad_out=None, " if new else "mode=0, grad_output=None, "
    rows = [
        ("empty pybind11 call (`get_num_threads()`)", "core.get_num_threads()", ns),
        ("NumPy 0-d allocation (`np.empty((), np.float32)`)", "np.empty((), np.float32)", ns),
        ("binding, positional (8 args)", f"core.cross_entropy({pre}x, y, None, -100, 0.0, 'mean')", ns),
        ("binding, keyword (8 args)",
         f"core.cross_entropy({kw}input=x, target=y, weight=None, ignore_index=-100, label_smoothing=0.0, "
         "reduction='mean')", ns),
        ("binding, no output allocation (partial sums)", f"core.cross_entropy({part}x, y, None, -100, 0.0, 'mean')",
         ns),
    ]
    if new:
        rows.append(("binding, into a preallocated `out`",
                     "core.cross_entropy(0, None, lo, None, x, y, None, -100, 0.0, 'mean')", ns))
    rows += [
        ("**`lossx.cross_entropy(x, y)`**", "lossx.cross_entropy(x, y)", ns),
        ("`lossx.cross_entropy(x, y, reduction='sum', label_smoothing=0.1)`",
         "lossx.cross_entropy(x, y, reduction='sum', label_smoothing=0.1)", ns),
        ("`lossx.cross_entropy_backward(1.0, x, y)`", "lossx.cross_entropy_backward(1.0, x, y)", ns),
        ("`lossx.cross_entropy_with_grad(x, y)`", "lossx.cross_entropy_with_grad(x, y)", ns),
        ("`lossx.mse_loss(x, g)`", "lossx.mse_loss(x, g)", ns),
    ]
    if new:
        rows += [
            ("`lossx.cross_entropy(x, y, out=lo)`", "lossx.cross_entropy(x, y, out=lo)", ns),
            ("`lossx.cross_entropy_with_grad(x, y, out=lo, grad_out=go)`",
             "lossx.cross_entropy_with_grad(x, y, out=lo, grad_out=go)", ns),
        ]
    if torch is not None:
        tns = dict(F=torch.nn.functional, tx=torch.from_numpy(x), ty=torch.from_numpy(y))
        rows.append(("**`torch.nn.functional.cross_entropy(x, y)`**", "F.cross_entropy(tx, ty)", tns))
    return rows


def measure(rows: list[tuple[str, str, dict]], repeats: int, budget: float = 0.004) -> list[float]:
    """Median µs per call of each row, the rows interleaved within every repeat."""
    # CPU time of this process: on a loaded shared machine, wall time mostly measures the neighbours.
    timers = [timeit.Timer(stmt, timer=time.process_time, globals=ns) for _, stmt, ns in rows]
    numbers = []
    for t in timers:  # calls per sample: about `budget` seconds each
        t.timeit(50)
        once = t.timeit(200) / 200
        numbers.append(max(20, int(budget / max(once, 1e-8))))
    samples: list[list[float]] = [[] for _ in rows]
    for _ in range(repeats):
        for k, t in enumerate(timers):
            samples[k].append(t.timeit(numbers[k]) / numbers[k] * 1e6)
    return [statistics.median(s) for s in samples]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=31)
    ap.add_argument("--label", default="this tree")
    ap.add_argument("--out", default=None, help="markdown file to write (default: print)")
    ap.add_argument("--append", action="store_true")
    a = ap.parse_args()
    lossx.set_num_threads(1)
    if torch is not None:
        torch.set_num_threads(1)
    results = {}
    labels: list[str] = []
    for n, c in SIZES:
        rows = variants(n, c)
        meds = measure(rows, a.repeats)
        for (label, _, _), m in zip(rows, meds):
            if label not in labels:
                labels.append(label)
            results[(label, (n, c))] = m
    load = os.getloadavg()
    head = " | ".join(f"({n}, {c})" for n, c in SIZES)
    lines = [
        f"## {a.label}",
        "",
        f"Command: `PYTHONPATH=python python bench/bench_overhead.py --repeats {a.repeats} --label '{a.label}'`",
        "",
        f"- {platform.processor() or platform.machine()}, {os.cpu_count()} logical CPUs; Python "
        f"{platform.python_version()}, NumPy {np.__version__}"
        + (f", PyTorch {torch.__version__}" if torch is not None else "") + "; 1 thread",
        f"- Date: {datetime.date.today()}; load average at the end: {load[0]:.2f}, {load[1]:.2f}, {load[2]:.2f}",
        "",
        "µs per call, float32 logits `(N, C)`, int64 labels; medians of "
        f"{a.repeats} interleaved repeats.",
        "",
        f"| layer / call | {head} |",
        "|---|" + "---|" * len(SIZES),
    ]
    for label in labels:
        cells = [f"{results[(label, s)]:.2f}" if (label, s) in results else "" for s in SIZES]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    tl = "**`torch.nn.functional.cross_entropy(x, y)`**"
    ll = "**`lossx.cross_entropy(x, y)`**"
    if torch is not None:
        ratios = ", ".join(f"({n}, {c}): {results[(ll, (n, c))] / results[(tl, (n, c))]:.2f}" for n, c in SIZES)
        lines += ["", f"lossx / torch time per forward call: {ratios} (target at (8, 10): at most 0.5)."]
    text = "\n".join(lines) + "\n"
    if a.out:
        with open(a.out, "a" if a.append else "w") as f:
            f.write(("\n" if a.append else "") + text)
    print(text, file=sys.stdout)


if __name__ == "__main__":
    main()
