"""A full PyTorch training step's loss part, lossx.torch.nn against torch.nn, same thread count.

Each row times ``x.grad = None; criterion(x, ...).backward()`` on a leaf ``x`` that
requires grad (for CTC: logits -> ``log_softmax`` -> ``CTCLoss``, the usual
graph), for lossx's module and PyTorch's, float32, interleaved (lossx, torch,
lossx, torch, ...) and reports the median of the repeats. Both libraries get the
same thread count (``torch.set_num_threads`` and ``lossx.set_num_threads``).

    PYTHONPATH=python python bench/bench_torch_adapter.py [--threads 1 2] [--repeats 15] [--out FILE]
    PYTHONPATH=python python bench/bench_torch_adapter.py --threads 1 --clock cpu --out FILE --append
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import subprocess
import time

import torch

import lossx
from lossx.torch import nn as lnn


def _ce(n, c):
    def make(module):
        g = torch.Generator().manual_seed(0)
        x = torch.randn(n, c, generator=g).requires_grad_()
        y = torch.randint(0, c, (n,), generator=g)
        return lambda: module(x, y), x
    return make


def _ctc(t, n, c, s):
    def make(module):
        g = torch.Generator().manual_seed(0)
        logits = torch.randn(t, n, c, generator=g).requires_grad_()
        targets = torch.randint(1, c, (n, s), generator=g)
        il = torch.full((n,), t, dtype=torch.int64)
        tl = torch.randint(s // 2, s + 1, (n,), generator=g)
        return lambda: module(logits.log_softmax(-1), targets, il, tl), logits
    return make


def _triplet(n, d):
    def make(module):
        g = torch.Generator().manual_seed(0)
        a = torch.randn(n, d, generator=g).requires_grad_()
        p = (a.detach() + 0.5 * torch.randn(n, d, generator=g)).requires_grad_()
        q = torch.randn(n, d, generator=g).requires_grad_()
        return lambda: module(a, p, q), (a, p, q)
    return make


ROWS = [
    ("CrossEntropyLoss (64, 10)", "CrossEntropyLoss", _ce(64, 10)),
    ("CrossEntropyLoss (256, 1000)", "CrossEntropyLoss", _ce(256, 1000)),
    ("CrossEntropyLoss (8192, 1000)", "CrossEntropyLoss", _ce(8192, 1000)),
    ("CTCLoss T=200 N=32 C=40 S=50", "CTCLoss", _ctc(200, 32, 40, 50)),
    ("TripletMarginLoss (4096, 512)", "TripletMarginLoss", _triplet(4096, 512)),
]


def _step_timer(make, module, clock):
    loss_fn, leaves = make(module)
    leaves = leaves if isinstance(leaves, tuple) else (leaves,)

    def step():
        for leaf in leaves:
            leaf.grad = None
        loss_fn().backward()

    step()  # warm up (allocations, first-call paths)
    # Inner loop long enough (~20 ms) that the timer's resolution does not matter.
    t0 = time.perf_counter()
    step()
    one = max(time.perf_counter() - t0, 1e-7)
    inner = max(1, min(2000, int(0.02 / one)))

    def timed():
        t0 = clock()
        for _ in range(inner):
            step()
        return (clock() - t0) / inner

    return timed


def bench(threads, repeats, clock=time.perf_counter, only=None):
    torch.set_num_threads(threads)
    lossx.set_num_threads(threads)
    rows = []
    for label, cls, make in ROWS:
        if only and not any(o in label for o in only):
            continue
        ours = _step_timer(make, getattr(lnn, cls)(), clock)
        theirs = _step_timer(make, getattr(torch.nn, cls)(), clock)
        a, b = [], []
        for _ in range(repeats):
            a.append(ours())
            b.append(theirs())
        rows.append((label, threads, statistics.median(a), statistics.median(b)))
    return rows


def breakdown(repeats, clock):
    """The (64, 10) cross-entropy step with the adapter's layers peeled off one by one (1 thread)."""
    from lossx import _core
    from lossx.torch import _adapter, functional as LF

    torch.set_num_threads(1)
    lossx.set_num_threads(1)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(64, 10, generator=g).requires_grad_()
    y = torch.randint(0, 10, (64,), generator=g)
    loss0, grad0 = lossx.cross_entropy_with_grad(x.detach().numpy(), y.numpy())

    class Bare(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            ctx.g = torch.from_numpy(grad0.copy())
            return torch.from_numpy(loss0.copy())

        @staticmethod
        def backward(ctx, go):
            return ctx.g, None

    class BareLossx(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            loss, grad = _core.cross_entropy(2, None, None, None, x.detach().numpy(), y.numpy(), None, -100, 0.0,
                                             "mean")
            ctx.g = torch.from_numpy(grad)
            return torch.from_numpy(loss)

        @staticmethod
        def backward(ctx, go):
            return ctx.g, None

    opts = {"ignore_index": -100, "label_smoothing": 0.0}
    variants = [
        ("a bare `autograd.Function` returning precomputed tensors", lambda: Bare.apply(x, y)),
        ("the same + `x.detach().numpy()`, `y.numpy()`, one `_core.cross_entropy` call, two `torch.from_numpy`",
         lambda: BareLossx.apply(x, y)),
        ("`LossxFunction.apply` (the adapter's general node, lossx's public fused call)",
         lambda: _adapter.LossxFunction.apply(LF._CE, "mean", opts, x, y, None)),
        ("`_FusedSingle` (the lean node of a reduced single-input loss) through the C `Function.apply`",
         lambda: _adapter._fused_apply((LF._CE, "mean", opts), x, y, None)),
        ("`lossx.torch.functional.cross_entropy(x, y)`", lambda: LF.cross_entropy(x, y)),
        ("`lossx.torch.nn.CrossEntropyLoss()(x, y)`", lambda c=lnn.CrossEntropyLoss(): c(x, y)),
        ("`torch.nn.CrossEntropyLoss()(x, y)`", lambda c=torch.nn.CrossEntropyLoss(): c(x, y)),
    ]
    timers = []
    for _, f in variants:
        def make(module, f=f):
            return f, x
        timers.append(_step_timer(make, None, clock))
    samples = [[] for _ in variants]
    for _ in range(repeats):
        for k, t in enumerate(timers):
            samples[k].append(t())
    print("| variant of the (64, 10) step | µs |\n|---|---|")
    for (label, _), s in zip(variants, samples):
        print(f"| {label} | {statistics.median(s) * 1e6:.1f} |")


def _fmt(sec):
    return f"{sec * 1e6:.1f} µs" if sec < 1e-3 else f"{sec * 1e3:.2f} ms"


def _cpu():
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        return next(line.split(":", 1)[1].strip() for line in out.splitlines() if line.startswith("Model name"))
    except Exception:  # lscpu missing: the platform's description
        return platform.processor() or platform.machine()


def _compiler():
    try:
        out = subprocess.run(["c++", "--version"], capture_output=True, text=True, check=True).stdout
        return out.splitlines()[0]
    except Exception:
        return "unknown"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--out", default=None, help="also write the markdown table to this file")
    ap.add_argument("--append", action="store_true", help="append to --out instead of overwriting it")
    ap.add_argument("--rows", nargs="+", default=None,
                    help="only the rows whose label contains one of these strings (e.g. '(64, 10)')")
    ap.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                    help="wall: elapsed time (default); cpu: the calling thread's CPU time, which other "
                         "jobs on a shared machine do not inflate - meaningful with --threads 1 only")
    ap.add_argument("--breakdown", action="store_true",
                    help="instead: the (64, 10) cross-entropy step layer by layer (1 thread)")
    args = ap.parse_args()
    if args.breakdown:
        breakdown(args.repeats, time.perf_counter if args.clock == "wall" else time.thread_time)
        return
    if args.clock == "cpu" and args.threads != [1]:
        ap.error("--clock cpu measures the calling thread only: use it with --threads 1")
    clock = time.perf_counter if args.clock == "wall" else time.thread_time
    rows = [r for t in args.threads for r in bench(t, args.repeats, clock, args.rows)]
    lines = [
        "| training step (loss fwd + bwd, float32) | threads | lossx.torch.nn | torch.nn | speed-up |",
        "|---|---|---|---|---|",
    ]
    for label, threads, ours, theirs in rows:
        lines.append(f"| {label} | {threads} | {_fmt(ours)} | {_fmt(theirs)} | {theirs / ours:.2f}× |")
    table = "\n".join(lines)
    print(table)
    if args.out:
        cmd = "PYTHONPATH=python python bench/bench_torch_adapter.py " + " ".join(
            ["--threads", *map(str, args.threads), "--repeats", str(args.repeats), "--clock", args.clock]
            + (["--rows", *(repr(r) for r in args.rows)] if args.rows else [])
            + ["--out", args.out] + (["--append"] if args.append else []))
        with open(args.out, "a" if args.append else "w") as f:
            if args.append:
                f.write("\n")
            else:
                f.write("# lossx.torch.nn vs torch.nn: one training step's loss forward + backward\n\n")
            f.write(f"## {args.clock} clock\n\nCommand: `{cmd}`\n\n")
            load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
            f.write(f"- CPU: {_cpu()} ({os.cpu_count()} logical CPUs)\n- Compiler: {_compiler()}\n"
                    f"- PyTorch {torch.__version__}, lossx {lossx.__version__}, Python {platform.python_version()}\n"
                    f"- Date: {datetime.date.today().isoformat()}; load average at the end (1, 5, 15 min): {load} "
                    "(a shared machine: other jobs distort the 2-thread rows most)\n\n")
            f.write("Medians of interleaved repeats (lossx, torch, lossx, ...); each repeat averages a loop of "
                    "`leaf.grad = None; criterion(...).backward()` on leaves that require grad. CTC times "
                    "`log_softmax` + `CTCLoss` from the logits (the same `log_softmax` for both).\n\n")
            f.write(table + "\n")


if __name__ == "__main__":
    main()
