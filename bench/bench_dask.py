"""The overhead of lossx.dask over the in-memory call, on a LocalCluster of 2 worker processes.

    python bench/bench_dask.py [--rows 1000000] [--classes 100] [--repeats 7] [--chunks 25000,100000,250000,500000]
                               [--out bench/results_dask.md]

cross_entropy over (rows x classes) float32 logits and int64 labels, 'mean' and 'none':

* in memory: ``lossx.cross_entropy(x, y)`` in this process, with lossx's default threads (all cores);
* dask: ``lossx.dask.cross_entropy(X, Y).compute()`` on a ``LocalCluster(n_workers=2,
  threads_per_worker=1, processes=True)`` whose workers run lossx with 1 thread each (2 cores in
  all, like the in-memory call), with X and Y already in the workers' memory (generated there by
  ``dask.array.random`` and persisted: the data of a cluster lives on it). 'none' includes
  gathering the (rows,) float32 result into this process. Also one row reading X from a
  ``.npy`` file through ``lossx.dask.from_path`` (page cache warm), to show the cost of reading.

Timings are medians of ``--repeats`` interleaved repeats (in memory, then each chunk size, in turn),
so that a change of machine load hits every variant alike; the in-memory and Dask results are
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

        tmp = tempfile.mkdtemp(prefix="lossx-bench-dask-")
        path = os.path.join(tmp, "logits.npy")
        np.save(path, x)
        np.save(os.path.join(tmp, "labels.npy"), y)
        file_chunk = 100_000
        Xf = ld.from_path(path, chunk_rows=file_chunk)
        Yf = ld.from_path(os.path.join(tmp, "labels.npy"), chunk_rows=file_chunk)

        variants: dict[str, tuple[str, int | None, object]] = {}
        for r in ("mean", "none"):
            variants[f"mem-{r}"] = (r, None, lambda r=r: lossx.cross_entropy(x, y, reduction=r))
            for c in chunk_sizes:
                X, Y = data[c]
                variants[f"dask-{r}-{c}"] = (r, c, lambda r=r, X=X, Y=Y: ld.cross_entropy(X, Y, reduction=r).compute())
            variants[f"npy-{r}"] = (r, file_chunk, lambda r=r: ld.cross_entropy(Xf, Yf, reduction=r).compute())

        want = {r: lossx.cross_entropy(x, y, reduction=r) for r in ("mean", "none")}
        times: dict[str, list[float]] = {k: [] for k in variants}
        for k, (r, _, fn) in variants.items():  # warm-up and correctness
            got = fn()  # type: ignore[operator]
            np.testing.assert_allclose(got, want[r], rtol=1e-5, atol=1e-6)
        for _ in range(a.repeats):
            for k, (_, _, fn) in variants.items():
                t0 = time.perf_counter()
                fn()  # type: ignore[operator]
                times[k].append(time.perf_counter() - t0)
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
        "| reduction | variant | chunk rows | chunks | median ms | / in-memory |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for r in ("mean", "none"):
        base = _median_ms(times[f"mem-{r}"])
        lines.append(f"| {r} | in memory | - | - | {base:.1f} | 1.00 |")
        for c in chunk_sizes:
            m = _median_ms(times[f"dask-{r}-{c}"])
            lines.append(f"| {r} | dask | {c:,} | {-(-a.rows // c)} | {m:.1f} | {m / base:.2f} |")
        m = _median_ms(times[f"npy-{r}"])
        lines.append(f"| {r} | dask, from_path (.npy) | {file_chunk:,} | {-(-a.rows // file_chunk)} | {m:.1f} | {m / base:.2f} |")
    cmd = "python bench/bench_dask.py" + "".join(f" {s}" for s in sys.argv[1:])
    lines += [
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
