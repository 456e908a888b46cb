"""One side of bench/run.py, in its own process (run.py starts it; not meant to be run by hand).

    taskset -c CPUS python bench/_worker.py --side native|lossx|jax --threads T --rows ID,ID,... [--scale K]
        [--cpus CPUS]

Sides:
  native  lossx, PyTorch (when importable) and the NumPy bandwidth floor, interleaved in this process
  lossx   lossx alone (the pinned side of the lossx-vs-JAX comparison)
  jax     the rows' JAX definitions under jax.jit, alone (XLA's threads must not meet OpenMP's)

The worker builds the rows' arrays and functions, warms every function up (JAX compiles
then), and prints one JSON line {"ready": ..., "info": ..., "values": ...}. Then it reads
commands from stdin, one JSON object a line:
  {"repeats": k}  time every row k times, the libraries interleaved within a row; answer
                  {"times": {row: {lib: [seconds per call, ...]}}, "busy": {lib: threads}}
  {"quit": true}  exit
"busy" counts the threads that did at least a quarter of the busiest thread's CPU time while
a library ran (from /proc/self/task), the check that the thread settings hold. Only JSON goes
to stdout: anything a library prints there is sent to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor

# Our JSON goes to a copy of stdout; fd 1 then points at stderr, so that C++ libraries' prints cannot
# corrupt the protocol.
_OUT = os.fdopen(os.dup(1), "w")
os.dup2(2, 1)
sys.stdout = sys.stderr

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np  # noqa: E402

import bench_cases  # noqa: E402


def _send(obj) -> None:
    _OUT.write(json.dumps(obj) + "\n")
    _OUT.flush()


def _task_ticks() -> dict[str, int]:
    """CPU time (clock ticks) of each thread of this process."""
    out = {}
    try:
        tids = os.listdir("/proc/self/task")
    except OSError:
        return out
    for tid in tids:
        try:
            with open(f"/proc/self/task/{tid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            out[tid] = int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return out


def _value(ret, mode: str) -> float:
    """A number to compare across libraries: the sum of the loss (forward output)."""
    v = ret[0] if mode == "fwd+bwd" else ret
    if hasattr(v, "detach"):
        v = v.detach().numpy()
    return float(np.sum(np.asarray(v, dtype=np.float64)))


class Floor:
    """The NumPy bandwidth pass of a row, split into one contiguous chunk per thread."""

    def __init__(self, kind: str, arrays: tuple, threads: int, pool):
        flat = [np.ascontiguousarray(a).reshape(-1) for a in arrays]
        a = flat[0]
        b = flat[1] if len(flat) > 1 else a
        n = a.size
        c = np.empty_like(a)
        c.fill(0)  # fault the output's pages in once, outside the timing
        # copy2 / copy3: each of the first 2 / 3 arrays into an output of its own
        copies = int(kind[4:]) if kind in ("copy2", "copy3") else 0
        outs = [c] + [np.zeros_like(f) for f in flat[1:copies]]
        bounds = [(n * k // threads, n * (k + 1) // threads) for k in range(threads)]

        def part(lo_hi):
            lo, hi = lo_hi
            if kind == "dot":
                return float(np.dot(a[lo:hi], b[lo:hi]))
            if kind == "dot1":
                return float(np.dot(a[lo:hi], a[lo:hi]))
            if kind == "add":
                np.add(a[lo:hi], b[lo:hi], out=c[lo:hi])
            elif kind == "copy":
                np.copyto(c[lo:hi], a[lo:hi])
            elif copies:
                for src, dst in zip(flat[:copies], outs):
                    np.copyto(dst[lo:hi], src[lo:hi])
            elif kind == "fill":
                c[lo:hi].fill(0)
            else:
                raise ValueError(f"unknown floor {kind!r}")
            return 0.0

        if threads == 1:
            self.run = lambda: part(bounds[0])
        else:
            self.run = lambda: sum(pool.map(part, bounds))


def _torch_fn(row, args, torch):
    F = torch.nn.functional
    f = getattr(F, row.loss)
    tens = [torch.from_numpy(np.ascontiguousarray(a)) for a in args]
    if row.mode == "fwd":
        return lambda: f(*tens, **row.kwargs)

    def fwd_bwd():
        leaves = [t.detach().requires_grad_(True) if (i == 0 or i in row.diff) else t for i, t in enumerate(tens)]
        out = f(*leaves, **row.kwargs)
        if out.dim():
            out.backward(torch.ones_like(out))
        else:
            out.backward()
        return out, leaves[0].grad
    return fwd_bwd


def _lossx_fn(row, args, lossx):
    f = getattr(lossx, row.loss + ("_with_grad" if row.mode == "fwd+bwd" else ""))
    kw = row.kwargs
    return lambda: f(*args, **kw)


def _jax_fn(row, d, jax, jnp, optax):
    raw = row.jax_args(d) if row.jax_args else row.args(d)
    args = [jnp.asarray(a.astype(np.int32) if np.issubdtype(a.dtype, np.integer) else a) for a in raw]
    fn = bench_cases.jax_function(row, jax, jnp, optax, d)
    return lambda: jax.block_until_ready(fn(*args))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--side", choices=["native", "lossx", "jax"], required=True)
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--rows", required=True, help="comma-separated row ids (bench_cases.ROWS)")
    ap.add_argument("--scale", type=int, default=1)
    ap.add_argument("--no-torch", action="store_true")
    ap.add_argument("--cpus", default=None, help="comma-separated CPUs to pin to (as taskset -c does)")
    a = ap.parse_args()
    if a.cpus:  # before any library starts threads (run.py starts us under taskset too, where it exists)
        os.sched_setaffinity(0, {int(c) for c in a.cpus.split(",")})
    rows = [bench_cases.ROWS_BY_ID[i] for i in a.rows.split(",") if i]
    info = {"side": a.side, "threads": a.threads, "cpus": sorted(os.sched_getaffinity(0)),
            "python": sys.executable, "numpy": np.__version__}
    data = bench_cases.Data(a.scale)
    fns: dict[str, dict] = {}
    if a.side == "jax":
        import jax
        import jax.numpy as jnp
        import optax
        # compiled executables persist across the thread counts and runs (a few seconds each otherwise)
        cache = os.environ.get("LOSSX_BENCH_JAX_CACHE",
                               os.path.join(os.path.expanduser("~"), ".cache", "lossx-bench-jax"))
        if cache:
            jax.config.update("jax_compilation_cache_dir", cache)
            jax.config.update("jax_persistent_cache_min_compile_time_secs", 0)
            jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
        info.update(jax=jax.__version__, optax=optax.__version__, devices=[str(x) for x in jax.devices()],
                    xla_flags=os.environ.get("XLA_FLAGS", ""))
        for r in rows:
            if r.jax is not None:
                fns[r.id] = {"jax": _jax_fn(r, data[r.data], jax, jnp, optax)}
    else:
        import lossx
        lossx.set_num_threads(a.threads)
        info.update(lossx=getattr(lossx, "__version__", "?"), lossx_file=lossx.__file__,
                    lossx_threads=lossx.get_num_threads())
        torch = None
        if a.side == "native" and not a.no_torch:
            try:
                import torch
                torch.set_num_threads(a.threads)
                info.update(torch=torch.__version__, torch_threads=torch.get_num_threads())
            except ImportError:
                info["torch"] = None
        pool = ThreadPoolExecutor(a.threads) if a.threads > 1 else None
        for r in rows:
            d = data[r.data]
            args = r.args(d)
            fns[r.id] = {"lossx": _lossx_fn(r, args, lossx)}
            if torch is not None:
                fns[r.id]["torch"] = _torch_fn(r, args, torch)
            if a.side == "native" and r.floor:
                fns[r.id]["floor"] = Floor(r.floor, r.floor_args(d), a.threads, pool).run
    values = {}
    for r in rows:  # warm-up: page faults, SIMD clone dispatch, JIT compilation
        values[r.id] = {}
        for lib, fn in fns.get(r.id, {}).items():
            ret = fn()
            fn()
            if lib != "floor":
                values[r.id][lib] = _value(ret, r.mode)
    _send({"ready": True, "info": info, "values": values})
    for line in sys.stdin:
        cmd = json.loads(line)
        if cmd.get("quit"):
            break
        times: dict[str, dict[str, list]] = {}
        ticks: dict[str, dict[str, int]] = {}
        for r in rows:
            times[r.id] = {lib: [] for lib in fns.get(r.id, {})}
            for _ in range(cmd["repeats"]):
                for lib, fn in fns.get(r.id, {}).items():
                    before = _task_ticks()
                    for _ in range(r.samples):
                        t0 = time.perf_counter()
                        for _ in range(r.inner):
                            fn()
                        t1 = time.perf_counter()
                        times[r.id][lib].append((t1 - t0) / r.inner)
                    after = _task_ticks()
                    acc = ticks.setdefault(lib, {})
                    for tid, v in after.items():
                        acc[tid] = acc.get(tid, 0) + v - before.get(tid, 0)
        busy = {}
        for lib, acc in ticks.items():
            top = max(acc.values(), default=0)
            busy[lib] = sum(1 for v in acc.values() if top and v >= top / 4)
        _send({"times": times, "busy": busy})


if __name__ == "__main__":
    main()
