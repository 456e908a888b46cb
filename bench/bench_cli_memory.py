"""Memory and throughput of ``lossx eval cross_entropy`` over a file larger than a chunk.

    PYTHONPATH=python python bench/bench_cli_memory.py [--rows 4000000] [--cols 100] [--repeats 5]
                                                       [--dir /tmp] [--write bench/results_cli.md]

1. Writes a (rows x cols) float32 ``.npy`` of logits (1.6 GB at the defaults) and int64 labels,
   plus a half-size pair, into a temporary directory (removed at the end).
2. **Memory**: runs ``python -m lossx eval cross_entropy --input x.npy --target y.npy`` as a
   subprocess and samples its ``/proc/PID/status`` every ~50 ms: ``RssAnon`` (anonymous memory:
   buffers, Python, NumPy), ``RssFile`` (file pages mapped into the process), ``VmRSS`` (their
   sum plus shared memory) and ``VmHWM`` (the kernel's own record of the peak ``VmRSS``). Each
   file size runs twice, ``--io map`` (the default: each chunk mapped, then unmapped) and
   ``--io read`` (each chunk copied into a reused buffer). The aim: peak ``RssAnon`` < 200 MB
   and a peak RSS that does not grow with the file size (half vs full size).
3. **Throughput**: the in-memory call ``lossx.cross_entropy(x, y)`` on the arrays loaded whole
   (``np.load``) against the command on the same files, interleaved (A, B, A, B, ...), medians
   over ``--repeats``. The command's time is its own measurement of the chunk loop (in its JSON
   summary: reading, computing, reducing); the wall time of the whole process (Python start-up,
   imports, opening the files) is reported next to it. Both use every core (``lossx`` default).
   The aim: the command reaches >= 80 % of the in-memory call's rows per second. The CPU time of
   both (``time.process_time``: all threads of the process, the command's own chunk loop only) is
   reported too: on a machine shared with other jobs it varies much less than the wall time.

The files are written once and read many times, so every run after the first reads from the page
cache (warm); a first, cold run is not part of the medians.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

import lossx
from lossx._npyio import NpyWriter

FIELDS = ("RssAnon", "RssFile", "VmRSS", "VmHWM")


def _env() -> dict[str, str]:
    env = dict(os.environ)
    pkg = os.path.dirname(os.path.dirname(os.path.abspath(lossx.__file__)))
    env["PYTHONPATH"] = pkg + os.pathsep + env.get("PYTHONPATH", "")
    return env


def make_files(d: str, rows: int, cols: int, tag: str) -> tuple[str, str]:
    """Write x_TAG.npy (rows, cols) float32 and y_TAG.npy (rows,) int64 chunk by chunk."""
    x, y = os.path.join(d, f"x_{tag}.npy"), os.path.join(d, f"y_{tag}.npy")
    rng = np.random.default_rng(0)
    step = 100_000
    with NpyWriter(x, np.dtype(np.float32), (rows, cols)) as wx, NpyWriter(y, np.dtype(np.int64), (rows,)) as wy:
        for lo in range(0, rows, step):
            n = min(step, rows - lo)
            wx.write(rng.standard_normal((n, cols), dtype=np.float32) * 3)
            wy.write(rng.integers(0, cols, n))
        wx.commit()
        wy.commit()
    return x, y


def _status(pid: int) -> dict[str, int] | None:
    try:
        with open(f"/proc/{pid}/status") as f:
            out = {}
            for line in f:
                key = line.split(":", 1)[0]
                if key in FIELDS:
                    out[key] = int(line.split()[1]) * 1024
            return out
    except (FileNotFoundError, ProcessLookupError):
        return None


def run_cli(x: str, y: str, d: str, io: str, extra: list[str] | None = None) -> dict[str, float]:
    """Run the command, sampling its memory every ~50 ms; its JSON summary plus the peaks and wall time."""
    js = os.path.join(d, "summary.json")
    cmd = [sys.executable, "-m", "lossx", "eval", "cross_entropy", "--input", x, "--target", y, "--quiet",
           "--json", js, "--io", io, *(extra or [])]
    peaks = dict.fromkeys(FIELDS, 0)
    samples = 0
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env())
    while p.poll() is None:
        s = _status(p.pid)
        if s:
            samples += 1
            for k, v in s.items():
                peaks[k] = max(peaks[k], v)
        time.sleep(0.05)
    wall = time.perf_counter() - t0
    out, err = p.communicate()
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({p.returncode}): {err}")
    summary = json.load(open(js))
    os.unlink(js)
    return {**{f"peak_{k}": v for k, v in peaks.items()}, "samples": samples, "wall": wall,
            "seconds": summary["seconds"], "cpu_seconds": summary["cpu_seconds"], "result": summary["result"], "threads": summary["threads"],
            "chunk_rows": summary["chunk_rows"], "line": out.strip()}


def _mb(b: float) -> str:
    return f"{b / 1e6:,.0f} MB"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=4_000_000)
    ap.add_argument("--cols", type=int, default=100)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--dir", default=None, help="where the temporary files go (default: the system temp dir)")
    ap.add_argument("--write", default=None, help="write the results as markdown to this file")
    a = ap.parse_args()

    d = tempfile.mkdtemp(prefix="lossx_bench_cli_", dir=a.dir)
    lines: list[str] = []

    def say(s: str = "") -> None:
        print(s, flush=True)
        lines.append(s)

    try:
        t = time.perf_counter()
        xf, yf = make_files(d, a.rows, a.cols, "full")
        xh, yh = make_files(d, a.rows // 2, a.cols, "half")
        size_f, size_h = os.path.getsize(xf), os.path.getsize(xh)
        print(f"wrote {_mb(size_f)} + {_mb(size_h)} of logits in {time.perf_counter() - t:.1f} s to {d}", flush=True)

        cmd = f"lossx eval cross_entropy --input x.npy --target y.npy --quiet --json s.json"
        say(f"Command: `{cmd}` (`--io map`, the default, and `--io read`); {a.rows:,} x {a.cols} float32 "
            f"logits ({_mb(size_f)}) + int64 labels ({_mb(a.rows * 8)}), and a half-size pair.")
        say(f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
            f"NumPy {np.__version__}, lossx threads {lossx.get_num_threads()}; load average at start "
            f"{' '.join(f'{v:.1f}' for v in os.getloadavg())}.")
        say()

        # Memory: a cold-ish first run (the files were just written: mostly still in the page cache), then warm runs.
        cold = run_cli(xf, yf, d, "map")
        say("### Memory (peaks sampled every 50 ms from /proc/PID/status; VmHWM is the kernel's peak RSS)")
        say()
        say("| file | --io | RssAnon | RssFile | VmRSS | VmHWM | loop time |")
        say("|---|---|---|---|---|---|---|")
        mem: dict[tuple[str, str], dict[str, float]] = {}
        for io in ("map", "read"):
            for tag, (x, y, size) in (("half", (xh, yh, size_h)), ("full", (xf, yf, size_f))):
                r = min((run_cli(x, y, d, io) for _ in range(2)), key=lambda r: r["peak_VmHWM"])
                mem[(tag, io)] = r
                say(f"| {tag} ({_mb(size)}) | {io} | {_mb(r['peak_RssAnon'])} | {_mb(r['peak_RssFile'])} | "
                    f"{_mb(r['peak_VmRSS'])} | {_mb(r['peak_VmHWM'])} | {r['seconds']:.2f} s |")
        say()
        worst_anon = max(r["peak_RssAnon"] for r in mem.values())
        growth = {io: mem[("full", io)]["peak_VmHWM"] - mem[("half", io)]["peak_VmHWM"] for io in ("map", "read")}
        say(f"Peak RssAnon over all runs: {_mb(worst_anon)} (aim < 200 MB: "
            f"{'met' if worst_anon < 200e6 else 'NOT met'}). Peak RSS growth from the half-size to the full-size "
            f"file ({_mb(size_f - size_h)} more data): map {growth['map'] / 1e6:+.0f} MB, "
            f"read {growth['read'] / 1e6:+.0f} MB. The first run after writing the files took "
            f"{cold['seconds']:.2f} s in its loop (peak VmHWM {_mb(cold['peak_VmHWM'])}).")
        say()

        # Throughput: in-memory call vs the command, interleaved; all cores, then one thread.
        t = time.perf_counter()
        x = np.load(xf)
        y = np.load(yf)
        load_s = time.perf_counter() - t
        want = lossx.cross_entropy(x, y)  # warm-up (and the value to compare)
        results = set()
        for threads in (lossx.get_num_threads(), 1):
            lossx.set_num_threads(threads)
            extra = ["--threads", str(threads)]
            mem_times, map_times, read_times, walls = [], [], [], []
            mem_cpu, map_cpu, read_cpu = [], [], []
            for _ in range(a.repeats):
                for io in ("map", "read"):  # A (in-memory), B (map), A, C (read), ...
                    t, c = time.perf_counter(), time.process_time()
                    lossx.cross_entropy(x, y)
                    mem_times.append(time.perf_counter() - t)
                    mem_cpu.append(time.process_time() - c)
                    r = run_cli(xf, yf, d, io, extra)
                    results.add(r["result"])
                    if io == "map":
                        map_times.append(r["seconds"])
                        map_cpu.append(r["cpu_seconds"])
                        walls.append(r["wall"])
                    else:
                        read_times.append(r["seconds"])
                        read_cpu.append(r["cpu_seconds"])
            t_mem, t_map, t_read, t_wall = (statistics.median(v) for v in (mem_times, map_times, read_times, walls))
            c_mem, c_map, c_read = (statistics.median(v) for v in (mem_cpu, map_cpu, read_cpu))
            say(f"### Throughput, {threads} thread{'s' if threads > 1 else ''} ({a.repeats} interleaved repeats, "
                f"medians; load average now {' '.join(f'{v:.1f}' for v in os.getloadavg())})")
            say()
            say("| what | wall time | rows/s | vs in-memory call | CPU time | vs in-memory call |")
            say("|---|---|---|---|---|---|")
            say(f"| in-memory `lossx.cross_entropy(x, y)` (arrays already loaded) | {t_mem:.3f} s | "
                f"{a.rows / t_mem / 1e6:.2f} M | 100 % | {c_mem:.3f} s | 100 % |")
            say(f"| `lossx eval` (--io map, the default), chunk loop | {t_map:.3f} s | "
                f"{a.rows / t_map / 1e6:.2f} M | {100 * t_mem / t_map:.0f} % | {c_map:.3f} s | "
                f"{100 * c_mem / c_map:.0f} % |")
            say(f"| `lossx eval --io read`, chunk loop | {t_read:.3f} s | {a.rows / t_read / 1e6:.2f} M | "
                f"{100 * t_mem / t_read:.0f} % | {c_read:.3f} s | {100 * c_mem / c_read:.0f} % |")
            say(f"| `lossx eval`, whole process (start-up, imports) | {t_wall:.3f} s | "
                f"{a.rows / t_wall / 1e6:.2f} M | {100 * t_mem / t_wall:.0f} % | | |")
            say(f"| `np.load` of both files (warm cache) + in-memory call | {load_s + t_mem:.3f} s | "
                f"{a.rows / (load_s + t_mem) / 1e6:.2f} M | {100 * t_mem / (load_s + t_mem):.0f} % | | |")
            say()
            say(f"Individual times: in-memory {', '.join(f'{v:.3f}' for v in mem_times)}; "
                f"map {', '.join(f'{v:.3f}' for v in map_times)}; read {', '.join(f'{v:.3f}' for v in read_times)}.")
            say()
        rel = max(abs(v - float(want)) / abs(float(want)) for v in results)
        say(f"Result: the command printed {sorted(results)} (float64 sum of the chunks' partial sums); the "
            f"in-memory float32 call {float(want)!r} (relative difference {rel:.1e}, float32 rounding). "
            f"Chunk rows: {mem[('full', 'map')]['chunk_rows']:,}.")
        del x, y
    finally:
        shutil.rmtree(d, ignore_errors=True)
    if a.write:
        with open(a.write, "a") as f:
            f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
