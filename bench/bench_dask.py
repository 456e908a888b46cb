"""The overhead of lossx.dask over the in-memory call, on a LocalCluster of 2 worker processes.

    python bench/bench_dask.py [--rows 1000000] [--classes 100] [--repeats 7] [--chunks 25000,100000,250000,500000]
                               [--out bench/results_dask.md]

cross_entropy over (rows x classes) float32 logits and int64 labels, 'mean' and 'none':

* in memory: ``lossx.cross_entropy(x, y)`` in this process, with lossx's default threads (all
  cores), and with 1 thread;
* dask: ``lossx.dask.cross_entropy(X, Y).compute()`` on a ``LocalCluster(n_workers=2,
  threads_per_worker=1, processes=True)`` whose workers run lossx with 1 thread each (2 cores in
  all, like the in-memory call), with X and Y already in the workers' memory (generated there by
  ``dask.array.random`` and persisted: the data of a cluster lives on it). 'none' includes
  gathering the (rows,) float32 result into this process. Also one row reading X from a
  ``.npy`` file through ``lossx.dask.from_path`` (page cache warm), to show the cost of reading.

Timings are medians of ``--repeats`` interleaved repeats (in memory, then each chunk size, in turn),
so that a change of machine load hits every variant alike. Besides the wall time, each call's CPU
time summed over this process, the scheduler (a thread of it) and the worker processes (psutil)
is reported: on a busy shared machine wall times mostly measure the other jobs, while the CPU
seconds a call costs barely depend on them; the in-memory and Dask results are
checked to agree (float32: 1e-5 relative). The table, the command and the load average go to
``--out`` (and stdout).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time


def _median_ms(ts: list[float]) -> float:
    return statistics.median(ts) * 1e3


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--classes", type=int, default=100)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--chunks", default="25000,100000,250000,500000")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "results_dask.md"))
    a = ap.parse_args()
    chunk_sizes = [int(c) for c in a.chunks.split(",")]

    import dask
    import dask.array as da
    import distributed
    import numpy as np

    import lossx
    import lossx.dask as ld

    load_before = os.getloadavg()
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        client.run(lossx.set_num_threads, 1)
        rng = da.random.default_rng(0)
        X0 = rng.standard_normal((a.rows, a.classes), dtype=np.float32, chunks=(chunk_sizes[0], a.classes))
        Y0 = rng.integers(0, a.classes, a.rows, chunks=chunk_sizes[0])
        x, y = dask.compute(X0, Y0)  # the same data in this process, for the in-memory call
        data = {}
        for c in chunk_sizes:
            X, Y = X0.rechunk((c, a.classes)).persist(), Y0.rechunk(c).persist()
            distributed.wait([X, Y])
            data[c] = (X, Y)
        # Spread the chunks evenly over the workers: a worker holding most of them would make
        # the other fetch its share over TCP, which measures dask's data placement, not lossx.
        client.rebalance()
        placement = {c: sorted(len([k for k, w in client.who_has(data[c][0]).items() if addr in w])
                               for addr in client.scheduler_info()["workers"]) for c in chunk_sizes}

        tmp = tempfile.mkdtemp(prefix="lossx-bench-dask-")
        path = os.path.join(tmp, "logits.npy")
        np.save(path, x)
        np.save(os.path.join(tmp, "labels.npy"), y)
        file_chunk = 100_000
        Xf = ld.from_path(path, chunk_rows=file_chunk)
        Yf = ld.from_path(os.path.join(tmp, "labels.npy"), chunk_rows=file_chunk)

        import psutil

        procs = [psutil.Process()] + psutil.Process().children(recursive=True)

        def cpu() -> float:
            return sum(t.user + t.system for t in (p.cpu_times() for p in procs))

        def one_thread(r: str) -> object:
            n = lossx.get_num_threads()
            lossx.set_num_threads(1)
            try:
                return lossx.cross_entropy(x, y, reduction=r)
            finally:
                lossx.set_num_threads(n)

        variants: dict[str, tuple[str, int | None, object]] = {}
        for r in ("mean", "none"):
            variants[f"mem-{r}"] = (r, None, lambda r=r: lossx.cross_entropy(x, y, reduction=r))
            variants[f"mem1-{r}"] = (r, None, lambda r=r: one_thread(r))
            for c in chunk_sizes:
                X, Y = data[c]
                variants[f"dask-{r}-{c}"] = (r, c, lambda r=r, X=X, Y=Y: ld.cross_entropy(X, Y, reduction=r).compute())
            variants[f"npy-{r}"] = (r, file_chunk, lambda r=r: ld.cross_entropy(Xf, Yf, reduction=r).compute())

        want = {r: lossx.cross_entropy(x, y, reduction=r) for r in ("mean", "none")}
        times: dict[str, list[float]] = {k: [] for k in variants}
        cpus: dict[str, list[float]] = {k: [] for k in variants}
        for k, (r, _, fn) in variants.items():  # warm-up and correctness
            got = fn()  # type: ignore[operator]
            np.testing.assert_allclose(got, want[r], rtol=1e-5, atol=1e-6)
        for _ in range(a.repeats):
            for k, (_, _, fn) in variants.items():
                c0, t0 = cpu(), time.perf_counter()
                fn()  # type: ignore[operator]
                times[k].append(time.perf_counter() - t0)
                cpus[k].append(cpu() - c0)
        for f in os.listdir(tmp):
            os.remove(os.path.join(tmp, f))
        os.rmdir(tmp)
    load_after = os.getloadavg()

    lines = [
        "# lossx.dask: overhead over the in-memory call",
        "",
        f"cross_entropy over ({a.rows:,} x {a.classes}) float32 logits and int64 labels; medians of "
        f"{a.repeats} interleaved repeats. Dask: `LocalCluster(n_workers=2, threads_per_worker=1, processes=True)`, "
        "lossx with 1 thread per worker, data persisted in the workers (generated there); 'none' includes "
        "gathering the per-row result into the client. In memory: `lossx.cross_entropy` in one process with "
        f"lossx's default threads ({lossx.get_num_threads()}). `from_path`: the logits and labels read from `.npy` "
        f"files in chunks of {file_chunk:,} rows by the workers (page cache warm).",
        "",
        "Chunks of the logits per worker (after `client.rebalance()`): "
        + ", ".join(f"{c:,} rows: {'/'.join(map(str, placement[c]))}" for c in chunk_sizes) + ".",
        "",
        "Wall: median wall time of a call; CPU: median CPU time of a call summed over the client "
        "(with the scheduler) and the 2 worker processes; ratios against the in-memory call "
        f"with {lossx.get_num_threads()} threads.",
        "",
        "| reduction | variant | chunk rows | chunks | wall ms | wall / in-memory | CPU ms | CPU / in-memory |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]

    def row(r: str, label: str, key: str, rows: str, nchunks: str, base: float, cbase: float) -> str:
        m, c = _median_ms(times[key]), _median_ms(cpus[key])
        return f"| {r} | {label} | {rows} | {nchunks} | {m:.1f} | {m / base:.2f} | {c:.1f} | {c / cbase:.2f} |"

    for r in ("mean", "none"):
        base, cbase = _median_ms(times[f"mem-{r}"]), _median_ms(cpus[f"mem-{r}"])
        lines.append(row(r, f"in memory, {lossx.get_num_threads()} threads", f"mem-{r}", "-", "-", base, cbase))
        lines.append(row(r, "in memory, 1 thread", f"mem1-{r}", "-", "-", base, cbase))
        for c in chunk_sizes:
            lines.append(row(r, "dask", f"dask-{r}-{c}", f"{c:,}", str(-(-a.rows // c)), base, cbase))
        lines.append(row(r, "dask, from_path (.npy)", f"npy-{r}", f"{file_chunk:,}", str(-(-a.rows // file_chunk)),
                         base, cbase))
    cmd = "python bench/bench_dask.py" + "".join(f" {s}" for s in sys.argv[1:])
    lines += [
        "",
        "CPU times come in the kernel's 10 ms ticks. On a shared machine the wall times carry the other "
        "jobs' load (see the load average below); the CPU columns are the steadier measure of the overhead.",
        "",
        f"Command: `{cmd}`. Machine: {platform.machine()}, {os.cpu_count()} CPUs, "
        f"load average {load_before[0]:.1f} before / {load_after[0]:.1f} after (1-minute), "
        f"Python {platform.python_version()}, numpy {np.__version__}, dask {dask.__version__}, "
        f"distributed {distributed.__version__}.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    with open(a.out, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
