"""The lossx benchmark: every row against PyTorch, JAX/XLA and the machine's memory bandwidth.

    PYTHONPATH=python python bench/run.py --quick        # the whole table, printed (< 3 min on 2 cores)
    PYTHONPATH=python python bench/run.py                # full: writes bench/RESULTS.md and bench/speedups.png
    PYTHONPATH=python python bench/run.py --smoke        # one tiny row, 1 repeat, lossx only (the test's mode)
    ... --json run1.json  (several full runs, minutes apart), then
    PYTHONPATH=python python bench/run.py --pool run1.json run2.json run3.json   # one table from all their samples
    ... --rows mse_loss cross_entropy/fwd+bwd            # a subset, printed (row ids or prefixes; --list shows them)
    ... --jax-python /work/venv-jax/bin/python           # JAX (and optax) from another environment

The rows are defined in bench/bench_cases.py. For each thread count (1 and 2), run.py starts worker
processes (bench/_worker.py), each pinned with `taskset` to the same first N CPUs:

* native: lossx, PyTorch and the NumPy bandwidth pass, interleaved call by call in one process
  (lossx.set_num_threads(N), torch.set_num_threads(N)); gives the PyTorch ratio, lossx's 2t/1t
  scaling and lossx's share of the bandwidth floor;
* lossx and jax: lossx alone and JAX alone (`jax.jit`, compiled before timing) in two separate
  processes, for the JAX ratio: XLA's and OpenMP's worker threads both spin while they wait, so in
  one process they steal each other's cycles. XLA's CPU runtime sizes its thread pool from the CPUs
  the process may run on: pinning to one CPU is what makes the 1-thread JAX rows single-threaded
  (XLA_FLAGS=--xla_cpu_multi_thread_eigen=false is set too, but alone it does not stop XLA from
  using every CPU: see "busy threads" in RESULTS.md).

JAX's compiled functions are cached in ~/.cache/lossx-bench-jax (LOSSX_BENCH_JAX_CACHE=DIR to move it,
empty to turn it off), which saves most of the setup after the first run. `--xla-probe` (on in a full
run) measures which setting keeps XLA to one thread and records it in RESULTS.md.

The workers take turns in rounds (native, lossx, jax, native, jax, lossx, ...), each timing every
row a few times per round, and the rounds alternate between the thread counts (1t, 2t, 1t, 2t, ...),
so slow phases of a shared machine hit every side and both thread counts; the tables give medians
over all repeats. Ratios are other / lossx (> 1: lossx faster).
"""

from __future__ import annotations

import argparse
import datetime
import glob
import gzip
import importlib.util
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import bench_cases  # noqa: E402

ISSUE_NOTE = "targets of issue 11"
# Everything from this line to the end of RESULTS.md is written by hand and kept when run.py rewrites the file.
NOTES_MARKER = "<!-- notes below are kept by bench/run.py -->"
NOTES_HELP = ("## Notes\n\nHand-written analysis (per-call cost breakdown, why a row misses its target) goes here;"
              " `bench/run.py` keeps this section when it rewrites the tables above.")
FLAG_NAMES = ("avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_bf16", "avx512_fp16", "amx_tile")


# ---------------------------------------------------------------------------------------------- workers


class Worker:
    """A bench/_worker.py process: started pinned, answers JSON lines."""

    def __init__(self, python: str, side: str, threads: int, cpus: list[int], rows: list, scale: int,
                 no_torch: bool, env: dict):
        cmd = [python, os.path.join(HERE, "_worker.py"), "--side", side, "--threads", str(threads),
               "--rows", ",".join(r.id for r in rows), "--scale", str(scale), "--cpus", ",".join(map(str, cpus))]
        if no_torch:
            cmd.append("--no-torch")
        if shutil.which("taskset"):
            cmd = ["taskset", "-c", ",".join(map(str, cpus))] + cmd
        self.side, self.cmd = side, cmd
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
        self.ready: dict | None = None

    def _read(self) -> dict:
        line = self.proc.stdout.readline()
        if not line:
            code = self.proc.wait()
            raise SystemExit(f"bench worker {self.side!r} exited with code {code} (command: {shlex.join(self.cmd)});"
                             " its error output is above")
        return json.loads(line)

    def wait_ready(self) -> dict:
        self.ready = self._read()
        return self.ready

    def time(self, repeats: int) -> dict:
        self.proc.stdin.write(json.dumps({"repeats": repeats}) + "\n")
        self.proc.stdin.flush()
        return self._read()

    def close(self) -> None:
        try:
            self.proc.stdin.write('{"quit": true}\n')
            self.proc.stdin.close()
        except (BrokenPipeError, ValueError):
            pass
        self.proc.wait(timeout=60)


def _jax_python(arg: str | None, no_jax: bool) -> tuple[str | None, str]:
    """The interpreter for the JAX side, or None and the reason."""
    if no_jax:
        return None, "not run (--no-jax)"
    py = arg or sys.executable
    probe = subprocess.run([py, "-c", "import jax, optax; print(jax.__version__, optax.__version__)"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        if arg:
            raise SystemExit(f"--jax-python {arg}: cannot import jax and optax there:\n{probe.stderr.strip()[-500:]}")
        return None, "not installed (pip install jax optax, or --jax-python PATH)"
    return py, "jax {} / optax {}".format(*probe.stdout.split())


def run_all(rows, threads_list, repeats, rounds, scale, no_torch, jax_py, log) -> dict:
    """Times every row at every thread count; returns the raw results (medians and all samples)."""
    cpus_all = sorted(os.sched_getaffinity(0))
    jax_rows = [r for r in rows if r.jax is not None] if jax_py else []
    env = dict(os.environ)
    env["OPENBLAS_NUM_THREADS"] = "1"  # the NumPy floor runs its own threads, one chunk each
    # lossx as this interpreter finds it (PYTHONPATH=python for an in-place build, or installed); failing
    # that, this checkout's in-place build
    pypath = os.path.join(ROOT, "python")
    if importlib.util.find_spec("lossx") is None and glob.glob(os.path.join(pypath, "lossx", "_core*")):
        env["PYTHONPATH"] = os.pathsep.join(p for p in (pypath, env.get("PYTHONPATH", "")) if p)
    out = {"threads": {}, "info": {}}
    per_round = max(1, -(-repeats // rounds))
    # Every thread count's workers start first; the rounds then alternate between thread counts
    # (round 1 at 1 thread, round 1 at 2 threads, round 2 at 1 thread, ...), so that the 1t→2t
    # scaling compares samples taken minutes apart at most in the same stretches of the machine's
    # drift, not all 1-thread samples in one stretch and all 2-thread ones in the next.
    sets = {}
    for th in threads_list:
        if th > len(cpus_all):
            raise SystemExit(f"--threads {th}: this process may use only {len(cpus_all)} CPUs")
        cpus = cpus_all[:th]
        wenv = dict(env)
        if th == 1:
            wenv["XLA_FLAGS"] = (env.get("XLA_FLAGS", "") + " --xla_cpu_multi_thread_eigen=false").strip()
        workers = [Worker(sys.executable, "native", th, cpus, rows, scale, no_torch, wenv)]
        if jax_rows:
            workers += [Worker(sys.executable, "lossx", th, cpus, jax_rows, scale, True, wenv),
                        Worker(jax_py, "jax", th, cpus, jax_rows, scale, True, wenv)]
        t0 = time.time()
        for w in workers:
            w.wait_ready()
        log(f"threads={th}: workers ready in {time.time() - t0:.0f} s (CPUs {cpus})")
        sets[th] = {"workers": workers, "samples": {}, "busy": {}}
    for rnd in range(rounds):
        for th in threads_list:
            workers, samples, busy = sets[th]["workers"], sets[th]["samples"], sets[th]["busy"]
            order = workers if rnd % 2 == 0 else [workers[0]] + workers[:0:-1]
            for w in order:
                time.sleep(0.2)  # let the previous worker's spinning threads go to sleep
                res = w.time(per_round)
                for rid, libs in res["times"].items():
                    for lib, ts in libs.items():
                        samples.setdefault(rid, {}).setdefault(f"{w.side}:{lib}", []).extend(ts)
                for lib, n in res["busy"].items():
                    key = f"{w.side}:{lib}"
                    busy[key] = max(busy.get(key, 0), n)
            out.setdefault("load", []).append(os.getloadavg()[0])
            log(f"threads={th}: round {rnd + 1}/{rounds} done (load average {os.getloadavg()[0]:.2f})")
    for th in threads_list:
        workers = sets[th]["workers"]
        for w in workers:
            w.close()
        out["threads"][th] = {"samples": sets[th]["samples"], "busy": sets[th]["busy"],
                              "values": {w.side: w.ready["values"] for w in workers},
                              "info": {w.side: w.ready["info"] for w in workers}}
    return out


XLA_ONE_THREAD_FLAGS = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"


def xla_probe(jax_py: str, repeats: int = 6) -> list[dict]:
    """Which setting keeps XLA to one thread: busy threads of JAX on 16M-element rows, per setting."""
    cpus_all = sorted(os.sched_getaffinity(0))
    rows = [bench_cases.ROWS_BY_ID[i] for i in ("mse_loss/16M/fwd+bwd", "binary_cross_entropy_with_logits/16M/fwd+bwd")]
    out = []
    for cpus, flags in ((cpus_all[:2], ""), (cpus_all[:2], XLA_ONE_THREAD_FLAGS), (cpus_all[:1], "")):
        env = dict(os.environ)
        env["XLA_FLAGS"] = flags
        w = Worker(jax_py, "jax", len(cpus), cpus, rows, 1, True, env)
        w.wait_ready()
        res = w.time(repeats)
        w.close()
        med = {rid: _median(v["jax"]) for rid, v in res["times"].items()}
        out.append({"cpus": cpus, "xla_flags": flags, "busy": res["busy"].get("jax"), "median_s": med})
    return out


# ---------------------------------------------------------------------------------------------- analysis


def _median(v):
    s = sorted(v)
    n = len(s)
    return None if n == 0 else (s[n // 2] if n % 2 else 0.5 * (s[n // 2 - 1] + s[n // 2]))


def analyse(rows, raw) -> dict:
    """Per row: medians (seconds) per side:lib and thread count, ratios, floors and target misses."""
    res = {}
    ths = sorted(raw["threads"])
    for r in rows:
        e = {"id": r.id, "label": r.label, "loss": r.loss, "size": r.size, "mode": r.mode, "floor": r.floor,
             "targets": r.targets, "t": {}}
        for th in ths:
            s = raw["threads"][th]["samples"].get(r.id, {})
            med = {k: _median(v) for k, v in s.items()}
            d = {"lossx": med.get("native:lossx"), "torch": med.get("native:torch"), "floor": med.get("native:floor"),
                 "lossx_pinned": med.get("lossx:lossx"), "jax": med.get("jax:jax"),
                 "n": max((len(v) for v in s.values()), default=0)}
            d["vs_torch"] = d["torch"] / d["lossx"] if d["torch"] and d["lossx"] else None
            d["of_floor"] = d["floor"] / d["lossx"] if d["floor"] and d["lossx"] else None
            d["vs_jax"] = d["jax"] / d["lossx_pinned"] if d["jax"] and d["lossx_pinned"] else None
            e["t"][th] = d
        if 1 in e["t"] and 2 in e["t"] and e["t"][1]["lossx"] and e["t"][2]["lossx"]:
            e["scaling"] = e["t"][1]["lossx"] / e["t"][2]["lossx"]
        else:
            e["scaling"] = None
        # lossx's own process (pinned, no PyTorch in it): its scaling is undisturbed by PyTorch's
        # OpenMP threads, which spin on after each torch call in the native process
        if e["t"].get(1, {}).get("lossx_pinned") and e["t"].get(2, {}).get("lossx_pinned"):
            e["alone_scaling"] = e["t"][1]["lossx_pinned"] / e["t"][2]["lossx_pinned"]
        else:
            e["alone_scaling"] = None
        if e["t"].get(1, {}).get("jax") and e["t"].get(2, {}).get("jax"):
            e["jax_scaling"] = e["t"][1]["jax"] / e["t"][2]["jax"]
        else:
            e["jax_scaling"] = None
        # do the libraries compute the same loss? (the sum of the forward output)
        worst = {}
        for th in ths:
            vals = raw["threads"][th]["values"]
            ref = vals.get("native", {}).get(r.id, {}).get("lossx")
            for side, lib in (("native", "torch"), ("jax", "jax")):
                v = vals.get(side, {}).get(r.id, {}).get(lib)
                if ref is not None and v is not None:
                    rel = abs(v - ref) / max(abs(ref), 1e-30)
                    worst[lib] = max(worst.get(lib, 0.0), rel)
        e["value_rel_diff"] = worst
        # Each miss with the thread count whose floor share decides whether it is bandwidth-bound:
        # a ratio miss at N threads by the N-thread share; the scaling miss by the share at the most
        # threads (a row that already runs at its memory floor there cannot gain more from them).
        miss = []
        tg = r.targets
        for th in ths:
            d = e["t"][th]
            if "torch" in tg and d["vs_torch"] is not None and d["vs_torch"] < tg["torch"]:
                miss.append((f"torch {th}t {d['vs_torch']:.2f}x < {tg['torch']:g}x", th))
            if "jax" in tg and d["vs_jax"] is not None and d["vs_jax"] < tg["jax"]:
                miss.append((f"jax {th}t {d['vs_jax']:.2f}x < {tg['jax']:g}x", th))
            if "floor" in tg and d["of_floor"] is not None and d["of_floor"] < tg["floor"]:
                miss.append((f"floor {th}t {100 * d['of_floor']:.0f}% < {100 * tg['floor']:.0f}%", None))
        # Scaling: the better of the two measurements (lossx alone in its pinned process, or the
        # native process interleaved with PyTorch, whose idle OpenMP threads spin and steal a CPU)
        sc = max((v for v in (e["scaling"], e["alone_scaling"]) if v is not None), default=None)
        if "scaling" in tg and sc is not None and sc < tg["scaling"]:
            miss.append((f"scaling {sc:.2f}x < {tg['scaling']:g}x", max(ths)))
        # The issue's rule: a row that misses may stay only if it runs at >= 80 % of its bandwidth
        # floor; such misses are listed as bandwidth-bound (with the shares), not as missed. A miss
        # of the floor target itself never is.
        def share(th):
            v = e["t"][th]["of_floor"] if r.floor and th is not None else None
            return v
        bound = [(text, th) for text, th in miss if share(th) is not None and share(th) >= 0.8]
        if bound:
            shares = [e["t"][th]["of_floor"] for th in ths]
            e["bound"] = [text for text, _ in bound] + [
                "at " + ", ".join("-" if v is None else f"{100 * v:.0f} %" for v in shares) + " of the floor ("
                + ", ".join(f"{th}t" for th in ths) + ")"]
        else:
            e["bound"] = []
        miss = [text for text, th in miss if (text, th) not in bound]
        e["missed"] = miss
        res[r.id] = e
    return res


# ---------------------------------------------------------------------------------------------- output


def _t(sec) -> str:
    if sec is None:
        return "–"
    if sec < 1e-3:
        return f"{sec * 1e6:.1f} µs"
    return f"{sec * 1e3:.2f} ms"


def _x(v) -> str:
    return "–" if v is None else f"{v:.2f}×"


def _pct(v) -> str:
    return "–" if v is None else f"{100 * v:.0f} %"


def _row_name(e) -> str:
    return f"`{e['loss']}` {e['size']}"


def _table(entries, ths, lead, per_thread, tail=()):
    """A markdown table: the `lead` columns of each entry, then the `per_thread` columns of its
    timings at each thread count ('{th}' in the header), then, with several thread counts, the
    `tail` columns ('{a}'/'{b}': the first and last thread count)."""
    tail = tail if len(ths) > 1 else ()
    head = [h for h, _ in lead] + [h.format(th=th) for th in ths for h, _ in per_thread]
    head += [h.format(a=ths[0], b=ths[-1]) for h, _ in tail]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for e in entries:
        cells = [f(e) for _, f in lead] + [f(e["t"][th]) for th in ths for _, f in per_thread]
        cells += [f(e) for _, f in tail]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def tables(res: dict, ths: list[int], torch_status: str, jax_status: str) -> str:
    """The markdown tables (the same text is printed and written to RESULTS.md)."""
    L = []
    entries = list(res.values())
    # 1. PyTorch
    L += ["## lossx vs PyTorch (same process, interleaved, same thread count)", ""]
    if torch_status != "ok":
        L += [f"PyTorch: {torch_status}; the torch columns are empty.", ""]
    L += _table(entries, ths, [("row", _row_name), ("pass", lambda e: e["mode"])],
                [("lossx {th}t", lambda d: _t(d["lossx"])), ("torch {th}t", lambda d: _t(d["torch"])),
                 ("torch/lossx {th}t", lambda d: _x(d["vs_torch"]))],
                [("lossx {a}t→{b}t speed-up", lambda e: _x(e["scaling"]))])
    # 2. floors
    fl = [e for e in entries if e["floor"]]
    if fl:
        L += ["", "## lossx vs the NumPy bandwidth floor (same process, interleaved)", "",
              "The floor is a NumPy pass over arrays of the row's size, on preallocated and already faulted-in",
              "outputs, split into one contiguous chunk per thread (Python threads; NumPy releases the GIL;",
              "OPENBLAS_NUM_THREADS=1). lossx % = floor time / lossx time. Passes:", ""]
        L += [f"- `{k}`: {v}" for k, v in bench_cases.FLOORS.items() if any(e["floor"] == k for e in fl)]
        L += [""] + _table(fl, ths, [("row", _row_name), ("pass", lambda e: e["mode"]), ("floor", lambda e: e["floor"])],
                           [("floor {th}t", lambda d: _t(d["floor"])), ("lossx {th}t", lambda d: _t(d["lossx"])),
                            ("lossx % {th}t", lambda d: _pct(d["of_floor"]))])
    # 3. JAX
    L += ["", "## lossx vs JAX/optax under jax.jit (separate pinned processes)", ""]
    jx = [e for e in entries if any(e["t"][th]["jax"] is not None for th in ths)]
    if not jx:
        L += [f"JAX: {jax_status}.", ""]
    else:
        L += _table(jx, ths, [("row", _row_name), ("pass", lambda e: e["mode"])],
                    [("lossx {th}t", lambda d: _t(d["lossx_pinned"])), ("jax {th}t", lambda d: _t(d["jax"])),
                     ("jax/lossx {th}t", lambda d: _x(d["vs_jax"]))],
                    [("lossx alone {a}t→{b}t speed-up", lambda e: _x(e["alone_scaling"])),
                     ("jax {a}t→{b}t speed-up", lambda e: _x(e["jax_scaling"]))])
    # 4. targets
    L += ["", f"## Rows that miss the {ISSUE_NOTE}", ""]
    missed = [e for e in entries if e["missed"]]
    if not missed:
        L.append("None (of the rows and columns measured).")
    for e in missed:
        L.append(f"- {_row_name(e)} {e['mode']}: " + "; ".join(e["missed"]))
    bound = [e for e in entries if e.get("bound")]
    if bound:
        L += ["", "Rows below a ratio target where they run at >= 80 % of their NumPy bandwidth floor "
              "(a ratio at N threads: the N-thread share; the 1t→2t scaling: the 2-thread share, since a row at "
              "its memory floor there cannot gain more from the second thread). Bandwidth-bound: the issue's "
              "rule lets them stay; see Notes:", ""]
        L += [f"- {_row_name(e)} {e['mode']}: " + "; ".join(e["bound"]) for e in bound]
    bad = [(e, lib, v) for e in entries for lib, v in e["value_rel_diff"].items() if v > 1e-3]
    if bad:
        L += ["", "Loss values that differ from lossx's by more than 1e-3 (relative; check the case definitions):"]
        L += [f"- {_row_name(e)} {e['mode']}: {lib} {v:.1e}" for e, lib, v in bad]
    return "\n".join(L) + "\n"


def _cmd_out(cmd: list[str]) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return ""


def machine_info(raw: dict) -> dict:
    """CPU, flags, compilers, versions, commit: what RESULTS.md states about the run."""
    lscpu = _cmd_out(["lscpu"])
    model = next((ln.split(":", 1)[1].strip() for ln in lscpu.splitlines() if ln.startswith("Model name:")), "unknown")
    flags = next((ln.split(":", 1)[1].split() for ln in lscpu.splitlines() if ln.startswith("Flags:")), [])
    info = {"cpu": model, "cpus": os.cpu_count(), "arch": platform.machine(),
            "flags": [f for f in FLAG_NAMES if f in flags],
            "cxx": (_cmd_out(["c++", "--version"]).splitlines() or ["unknown"])[0]}
    any_th = next(iter(raw["threads"].values()), None) if raw.get("threads") else None
    ninfo = any_th["info"].get("native", {}) if any_th else {}
    info["lossx_file"] = ninfo.get("lossx_file", "")
    info["torch"] = ninfo.get("torch")
    info["numpy"] = ninfo.get("numpy")
    jinfo = any_th["info"].get("jax", {}) if any_th else {}
    info["jax"] = jinfo.get("jax")
    info["optax"] = jinfo.get("optax")
    pkg = os.path.dirname(info["lossx_file"]) if info["lossx_file"] else ""
    if pkg:
        so = [f for f in os.listdir(pkg) if f.startswith("_core") and f.endswith(".so")]
        if so:
            comment = _cmd_out(["readelf", "-p", ".comment", os.path.join(pkg, so[0])])
            gcc = sorted({ln.split("]", 1)[1].strip() for ln in comment.splitlines() if "]" in ln and "GCC" in ln})
            info["built_with"] = "; ".join(gcc) or "unknown"
        top = _cmd_out(["git", "-C", pkg, "rev-parse", "--show-toplevel"]).strip()
        if top:
            head = _cmd_out(["git", "-C", top, "rev-parse", "--short", "HEAD"]).strip()
            code = _cmd_out(["git", "-C", top, "log", "-1", "--format=%h", "--", "cpp", "python"]).strip()
            dirty = _cmd_out(["git", "-C", top, "status", "--porcelain", "--", "cpp", "python"]).strip()
            info["commit"] = (f"{head} (last change to cpp/ or python/: {code}"
                              + ("; with uncommitted changes there" if dirty else "") + ")")
        else:
            info["commit"] = "unknown (not a git checkout)"
    return info


def write_results(path: str, text: str, info: dict, meta: dict, raw: dict, plot_name: str | None) -> None:
    ths = sorted(raw["threads"])
    busy_lines = []
    for th in ths:
        b = raw["threads"][th]["busy"]
        parts = [f"{k} {v}" for k, v in sorted(b.items())]
        busy_lines.append(f"- {th} thread(s), CPUs {raw['threads'][th]['info']['native']['cpus']}: " + ", ".join(parts))
    probe_lines = []
    for p in meta.get("xla_probe") or []:
        times = ", ".join(f"{rid.split('/')[0]} {_t(v)}" for rid, v in p["median_s"].items())
        probe_lines.append(f"- CPUs {p['cpus']}, XLA_FLAGS=`{p['xla_flags'] or '(unset)'}`: {p['busy']} busy"
                           f" thread(s); {times}")
    if probe_lines:
        probe_lines = ["", "The probe of this run (`--xla-probe`; JAX forward+backward on 16M elements, busy threads"
                       " as below):", "", *probe_lines]
    flags = ", ".join(info["flags"]) or "none of " + "/".join(FLAG_NAMES)
    where = os.path.relpath(info["lossx_file"], ROOT) if info["lossx_file"] else "?"
    head = [
        "# lossx benchmark results",
        "",
        f"Produced by `{meta['command']}` on {meta['date']} "
        f"({meta['elapsed']:.0f} s"
        + (f" of timing; the runs pooled, each row's samples of all of them in one median: "
           + "; ".join(meta["pooled"]) if meta.get("pooled") else "")
        + "). This is the table of issue 11's targets; other benchmarks, each with its own",
        "command: `ctc_loss` against PyTorch and optax per build in [results_ctc.md](results_ctc.md)"
        " (`bench/bench_ctc.py`); `triplet_margin_loss` variants and `batch_hard_triplet_loss` peak memory in"
        " [results_embedding.md](results_embedding.md); the reduction-driver refactoring before/after in"
        " [results_architecture.md](results_architecture.md); the PyTorch adapter in"
        " [results_torch_adapter.md](results_torch_adapter.md). The first table of this file (forward+backward"
        " of every loss against PyTorch, `bench/bench_losses.py`, 2026-11-25) is kept in"
        " [results_losses_2026-11.md](results_losses_2026-11.md).",
        "",
        "| | |",
        "|---|---|",
        f"| CPU | {info['cpu']}, {info['cpus']} CPUs ({info['arch']}); flags: {flags} |",
        f"| lossx | commit {info.get('commit', '?')}, `{where}`; extension built with {info.get('built_with', '?')};"
        f" `c++ --version`: {info['cxx']} |",
        f"| PyTorch | {info['torch'] or meta['torch_status']} |",
        f"| JAX | {('jax ' + info['jax'] + ', optax ' + info['optax']) if info['jax'] else meta['jax_status']} |",
        f"| NumPy | {info['numpy']} |",
        f"| load average (1, 5, 15 min) | start {meta['load_start']}; end {meta['load_end']}; 1-min after each round:"
        f" {meta['load_rounds']} (on {info['cpus']} CPUs, shared with other jobs: expect ±10 % between runs,"
        " more at a load above the CPU count) |",
        f"| repeats | {meta['repeats']} per library and row, in {meta['rounds']} rounds; medians |",
        "",
        "How it is measured (see `bench/run.py` and `bench/bench_cases.py`): float32, reduction 'mean' unless"
        " stated. `fwd` is the loss alone (`lossx.NAME`, `F.NAME` on tensors made once with `torch.from_numpy`);"
        " `fwd+bwd` is `lossx.NAME_with_grad` against `F.NAME(...)` on fresh leaf tensors and `.backward()`"
        " (the gradients of the same arguments). Tiny rows give the time per call (a loop of calls per sample)."
        " Every thread count runs in worker processes pinned with `taskset` to that many CPUs;"
        " ratios are other / lossx (> 1: lossx faster); `lossx 1t→2t speed-up` is time at 1 thread / time at"
        " 2 threads.",
        "",
        "JAX's threads: in jax 0.10 the XLA CPU runtime sizes its intra-op pool from the CPUs the process may"
        " use; `XLA_FLAGS=--xla_cpu_multi_thread_eigen=false` (and `intra_op_parallelism_threads=1`) does not"
        " keep it to one thread (a fused 16M loop still spreads over several threads), while `taskset -c 0`"
        " does. So the 1-thread JAX rows run pinned to one CPU (the flag is set as well).",
        *probe_lines,
        "",
        "Threads that did at least a quarter of the busiest thread's CPU time while each side ran (the check that"
        " the settings held; native:lossx also counts PyTorch's threads still spinning from the call before):",
        "",
        *busy_lines,
        "",
    ]
    if plot_name:
        head += [f"![speed-ups per row]({plot_name})", ""]
    kept = NOTES_MARKER + "\n\n" + NOTES_HELP + "\n"
    if os.path.exists(path):
        with open(path) as f:
            old = f.read()
        if NOTES_MARKER in old:
            kept = NOTES_MARKER + old.split(NOTES_MARKER, 1)[1]
    with open(path, "w") as f:
        f.write("\n".join(head) + "\n" + text + "\n" + kept)


def plot(res: dict, ths: list[int], path: str) -> str | None:
    """Horizontal bars of the speed-up per row vs PyTorch and vs JAX, log scale; None if no matplotlib."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import matplotlib.ticker
    except ImportError:
        return "matplotlib is not installed (pip install matplotlib): no plot written"
    entries = [e for e in res.values() if any(e["t"][th]["vs_torch"] or e["t"][th]["vs_jax"] for th in ths)]
    if not entries:
        return "nothing to plot (no PyTorch or JAX column)"
    panels = [("vs_torch", "PyTorch 2.13 CPU", 3.0), ("vs_jax", "JAX/optax (jax.jit, pinned processes)", 2.0)]
    panels = [p for p in panels if any(e["t"][th][p[0]] for e in entries for th in ths)]
    n = len(entries)
    fig, axes = plt.subplots(1, len(panels), figsize=(7.5 * len(panels), 0.32 * n + 1.8), sharey=True,
                             squeeze=False)
    colors = {1: "#4477aa", 2: "#ee7733"}
    h = 0.8 / len(ths)
    for ax, (key, title, target) in zip(axes[0], panels):
        for k, th in enumerate(ths):
            vals = [e["t"][th][key] for e in entries]
            ys = [i - 0.4 + h * (k + 0.5) for i in range(n)]
            ax.barh([y for y, v in zip(ys, vals) if v], [v for v in vals if v], height=h,
                    color=colors.get(th, None), label=f"{th} thread{'s' if th > 1 else ''}")
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}×"))
        ax.axvline(1.0, color="black", lw=0.8)
        ax.axvline(3.0, color="green", lw=1.2, ls="--", label="3× target")
        if target != 3.0:
            ax.axvline(target, color="gray", lw=1.0, ls=":", label=f"{target:g}× target")
        ax.set_title(f"speed-up of lossx vs {title}\n(time other / time lossx; > 1: lossx faster)", fontsize=10)
        ax.grid(axis="x", which="both", alpha=0.3)
        ax.legend(loc="lower right", fontsize=8)
    axes[0][0].set_yticks(range(n))
    axes[0][0].set_yticklabels([f"{e['loss']} {e['size']} {e['mode']}" for e in entries], fontsize=8)
    axes[0][0].set_ylim(n - 0.5, -0.5)  # first row on top
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return None


# ---------------------------------------------------------------------------------------------- pool


def write_json(path: str, meta: dict, res: dict, raw: dict) -> None:
    """The run's meta data, analysis and raw samples (gzip-compressed if the name ends with .gz)."""
    data = {"meta": meta, "rows": res, "raw": {str(k): v for k, v in raw["threads"].items()}}
    with (gzip.open(path, "wt") if path.endswith(".gz") else open(path, "w")) as f:
        json.dump(data, f, indent=None if path.endswith(".gz") else 1)


def pooled_raw(runs: list[dict]) -> dict:
    """The raw results of several runs (their --json contents) as one run's: per thread count, row and
    side:lib the samples of all runs in one list; busy threads the most any run saw; the values and the
    worker info of the first run. Every run must have timed the same thread counts."""
    ths = [sorted(int(k) for k in r["raw"]) for r in runs]
    if any(t != ths[0] for t in ths):
        raise SystemExit(f"--pool: the runs timed different thread counts: {ths}")
    out = {"threads": {}, "load": []}
    for th in ths[0]:
        parts = [r["raw"][str(th)] for r in runs]
        samples: dict = {}
        busy: dict = {}
        for part in parts:
            for rid, libs in part["samples"].items():
                for lib, ts in libs.items():
                    samples.setdefault(rid, {}).setdefault(lib, []).extend(ts)
            for lib, n in part["busy"].items():
                busy[lib] = max(busy.get(lib, 0), n)
        out["threads"][th] = {"samples": samples, "busy": busy, "values": parts[0]["values"], "info": parts[0]["info"]}
    return out


def pool_runs(a, argv) -> int:
    """--pool: the tables of issue 11 from the samples of several earlier full runs.

    On a shared VM a row's speed drifts over minutes (other guests' memory traffic slows some streaming
    kernels by a third for tens of seconds while the NumPy floor barely moves), so one ~2-minute run can
    catch a row in a slow spell; runs spread over time, pooled, give the median over all those minutes.
    The rows are those of the first run that every run has."""
    runs = []
    for path in a.pool:
        with (gzip.open(path, "rt") if path.endswith(".gz") else open(path)) as f:
            runs.append(json.load(f))
    ids = [rid for rid in runs[0]["rows"] if all(rid in r["rows"] for r in runs)]
    if not ids:
        raise SystemExit("--pool: the runs have no row in common")
    rows = [r for r in bench_cases.select(ids) if r.id in ids]
    raw = pooled_raw(runs)
    res = analyse(rows, raw)
    ths = sorted(raw["threads"])
    metas = [r["meta"] for r in runs]
    text = tables(res, ths, metas[0]["torch_status"], metas[0]["jax_status"])
    print(text)
    meta = {"command": command_line(argv),
            "date": f"{metas[0]['date']} to {metas[-1]['date']} ({len(runs)} runs pooled)",
            "elapsed": sum(m["elapsed"] for m in metas), "load_start": metas[0]["load_start"],
            "load_end": metas[-1]["load_end"], "repeats": sum(m["repeats"] for m in metas),
            "rounds": sum(m["rounds"] for m in metas),
            "load_rounds": "; ".join(m["load_rounds"] for m in metas),
            "torch_status": metas[0]["torch_status"], "jax_status": metas[0]["jax_status"],
            "xla_probe": next((m["xla_probe"] for m in metas if m.get("xla_probe")), None),
            "pooled": [f"`{m['command']}` ({m['date']})" for m in metas]}
    save(res, raw, text, meta, a.out or os.path.join(HERE, "RESULTS.md"), a.plot or os.path.join(HERE, "speedups.png"),
         a.json, lambda msg: print(msg, file=sys.stderr))
    return 0


def command_line(argv) -> str:
    """This invocation of bench/run.py as a shell command (with PYTHONPATH if set), for RESULTS.md."""
    pp = os.environ.get("PYTHONPATH")
    return ((f"PYTHONPATH={shlex.quote(pp)} " if pp else "") + "python bench/run.py "
            + " ".join(shlex.quote(x) for x in (argv if argv is not None else sys.argv[1:])))


def save(res, raw, text, meta, out_md, out_png, json_path, log) -> None:
    """Writes what was asked for: the plot (out_png), RESULTS markdown (out_md), the JSON (json_path)."""
    ths = sorted(raw["threads"])
    plot_name = None
    if out_png:
        msg = plot(res, ths, out_png)
        if msg:
            log(msg)
        else:
            plot_name = os.path.relpath(out_png, os.path.dirname(os.path.abspath(out_md)) if out_md else HERE)
            log(f"wrote {out_png}")
    if out_md:
        write_results(out_md, text, machine_info(raw), meta, raw, plot_name)
        log(f"wrote {out_md}")
    if json_path:
        write_json(json_path, meta, res, raw)


# ---------------------------------------------------------------------------------------------- main


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="few repeats, print only (the whole table in < 3 min)")
    ap.add_argument("--smoke", action="store_true",
                    help="one small row, 1 repeat, 1 thread, no torch/jax unless asked (for tests/test_bench_tool.py)")
    ap.add_argument("--rows", nargs="+", default=None, help="row ids or prefixes (default: all); see --list")
    ap.add_argument("--list", action="store_true", help="list the row ids and exit")
    ap.add_argument("--threads", type=int, nargs="+", default=None, help="thread counts (default: 1 2)")
    ap.add_argument("--repeats", type=int, default=None, help="samples per library and row (default 15; quick 4)")
    ap.add_argument("--rounds", type=int, default=None, help="turns per worker the repeats are split into")
    ap.add_argument("--scale", type=int, default=None, help="divide the large dimension of every case by this")
    ap.add_argument("--jax-python", default=None, help="a Python that imports jax and optax (default: this one)")
    ap.add_argument("--no-jax", action="store_true")
    ap.add_argument("--xla-probe", action=argparse.BooleanOptionalAction, default=None,
                    help="measure which setting keeps XLA to one thread (default: on in a full run with JAX)")
    ap.add_argument("--no-torch", action="store_true")
    ap.add_argument("--torch", action="store_true", help="with --smoke: time PyTorch too")
    ap.add_argument("--out", default=None, help="write RESULTS markdown here (full run default: bench/RESULTS.md)")
    ap.add_argument("--plot", default=None, help="write the PNG here (full run default: bench/speedups.png)")
    ap.add_argument("--json", default=None, help="write the raw samples and the analysis as JSON here")
    ap.add_argument("--pool", nargs="+", default=None, metavar="JSON",
                    help="time nothing: the tables from the samples of earlier runs' --json files pooled (medians"
                         " over all of them); writes --out / --plot (default bench/RESULTS.md, speedups.png)")
    a = ap.parse_args(argv)
    if a.list:
        for r in bench_cases.ROWS:
            print(f"{r.id:45s} {r.label}")
        return 0
    if a.pool:
        return pool_runs(a, argv)
    full = not (a.quick or a.smoke)
    if a.smoke:
        rows = bench_cases.select(a.rows or ["mse_loss/16M/fwd"])
        threads = a.threads or [1]
        repeats, rounds, scale = a.repeats or 1, a.rounds or 1, a.scale or 4096
        no_torch, no_jax = not a.torch, a.no_jax or a.jax_python is None  # smoke: lossx (torch/JAX if asked)
    else:
        rows = bench_cases.select(a.rows, quick=a.quick)
        threads = a.threads or [1, 2]
        repeats = a.repeats or (4 if a.quick else 15)
        rounds = a.rounds or (2 if a.quick else 3)
        scale = a.scale or 1
        no_torch, no_jax = a.no_torch, a.no_jax
    # Only a full run over every row replaces the committed table and plot; a subset (--rows)
    # prints, or writes where --out / --plot say.
    whole = full and not a.rows
    out_md = a.out or (os.path.join(HERE, "RESULTS.md") if whole else None)
    out_png = a.plot or (os.path.join(HERE, "speedups.png") if whole else None)
    jax_py, jax_status = _jax_python(a.jax_python, no_jax)

    def log(msg):
        print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)

    load_start = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    t0 = time.time()
    probe = None
    if jax_py and (a.xla_probe or (a.xla_probe is None and full)) and len(os.sched_getaffinity(0)) >= 2:
        probe = xla_probe(jax_py)
        for p in probe:
            log(f"XLA probe: CPUs {p['cpus']}, XLA_FLAGS={p['xla_flags']!r}: {p['busy']} busy threads")
    log(f"{len(rows)} rows, threads {threads}, {repeats} repeats in {rounds} rounds, scale {scale}; JAX: {jax_status}")
    raw = run_all(rows, threads, repeats, rounds, scale, no_torch, jax_py, log)
    res = analyse(rows, raw)
    ths = sorted(raw["threads"])
    ninfo = raw["threads"][ths[0]]["info"]["native"]
    torch_status = "ok" if ninfo.get("torch") else ("not run (--no-torch)" if no_torch else "not installed")
    text = tables(res, ths, torch_status, jax_status)
    loads = raw.get("load", []) + [os.getloadavg()[0]]
    ncpu = len(os.sched_getaffinity(0))
    if max(loads) > ncpu:
        text = (f"**Warning: the machine was busy** (1-min load average up to {max(loads):.1f} on {ncpu} CPUs"
                " during the run): other processes competed for the CPUs, so times are inflated and noisy,"
                " the multi-thread rows most (a thread that waits for a CPU stalls the others at every"
                " barrier). Compare ratios from the same run only, and rerun on a quieter machine before"
                " drawing conclusions.\n\n" + text)
    print(text)
    meta = {"command": command_line(argv),
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "elapsed": time.time() - t0, "load_start": load_start,
            "load_end": ", ".join(f"{v:.2f}" for v in os.getloadavg()), "repeats": repeats, "rounds": rounds,
            "load_rounds": ", ".join(f"{v:.2f}" for v in raw.get("load", [])),
            "torch_status": torch_status, "jax_status": jax_status, "xla_probe": probe}
    save(res, raw, text, meta, out_md, out_png, a.json, log)
    log(f"done in {time.time() - t0:.0f} s; load average {meta['load_end']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
