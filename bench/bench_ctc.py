"""ctc_loss forward + backward: lossx against PyTorch's CPU ctc_loss (and optax under jax.jit).

    PYTHONPATH=python python bench/bench_ctc.py [--repeats 15] [--threads 1,2] [--out bench/results_ctc.md]
        [--append] [--title "build: ..."]

Each thread count runs in its own child process, pinned to that many cores
(os.sched_setaffinity) with lossx.set_num_threads / torch.set_num_threads and XLA's
intra-op pool set to the same count. Within a child, the libraries are timed in
interleaved repeats (lossx, torch, optax, lossx, torch, optax, ...), so load from other
processes on the machine affects all of them alike; the table gives medians and the
ratios other / lossx.

What is timed, float32, every sequence at full length (input_lengths = T,
target_lengths = S), random labels, log_probs = log_softmax(randn), reduction 'mean':
  lossx   lossx.ctc_loss_with_grad(log_probs, targets, input_lengths, target_lengths)
  torch   F.ctc_loss(leaf log_probs, ...).backward()
  optax   jax.jit(jax.value_and_grad(mean of optax.ctc_loss(log_probs as logits, ...)))
          (optax applies its own log_softmax to the logits; the same arrays are passed,
          as jax arrays already on the device; compiled before timing).
optax is skipped when `import optax` fails (it is never a lossx dependency).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

CONFIGS = [(200, 32, 40, 50), (500, 16, 100, 100)]  # (T, N, C, S)


def _child(threads: int, repeats: int, use_optax: bool) -> dict:
    os.sched_setaffinity(0, set(sorted(os.sched_getaffinity(0))[:threads]))
    import numpy as np
    import torch

    import lossx

    F = torch.nn.functional
    lossx.set_num_threads(threads)
    torch.set_num_threads(threads)
    optax = jax = None
    if use_optax:
        try:
            import jax
            import optax
        except ImportError:
            optax = None
    out = {"threads": threads, "configs": []}
    rng = np.random.default_rng(0)
    for T, N, C, S in CONFIGS:
        x = rng.standard_normal((T, N, C))
        lp = (x - np.log(np.exp(x).sum(-1, keepdims=True))).astype(np.float32)
        tg = rng.integers(1, C, size=(N, S))
        il, tl = np.full(N, T), np.full(N, S)
        tg_t, il_t, tl_t = torch.from_numpy(tg), torch.from_numpy(il), torch.from_numpy(tl)

        def run_lossx():
            return float(lossx.ctc_loss_with_grad(lp, tg, il, tl)[0])

        def run_torch():
            a = torch.from_numpy(lp).requires_grad_()
            loss = F.ctc_loss(a, tg_t, il_t, tl_t)
            loss.backward()
            return float(loss)

        runs = {"lossx": run_lossx, "torch": run_torch}
        if optax is not None:
            logits = jax.numpy.asarray(np.ascontiguousarray(lp.transpose(1, 0, 2)))  # (N, T, C)
            labels = jax.numpy.asarray(tg.astype(np.int32))
            lpad = jax.numpy.zeros((N, T), np.float32)
            tpad = jax.numpy.zeros((N, S), np.float32)

            @jax.jit
            def value_and_grad(z):
                # optax's per-sequence loss; 'mean' as PyTorch: divided by the target length, averaged
                return jax.value_and_grad(lambda v: (optax.ctc_loss(v, lpad, labels, tpad) / S).mean())(z)

            def run_optax():
                val, grad = value_and_grad(logits)
                grad.block_until_ready()
                return float(val)

            runs["optax"] = run_optax
        values = {name: fn() for name, fn in runs.items()}  # warm-up (and jit compilation)
        for fn in runs.values():
            fn()
        times = {name: [] for name in runs}
        for _ in range(repeats):
            for name, fn in runs.items():
                t0 = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - t0)
        med = {name: float(np.median(v)) * 1e3 for name, v in times.items()}
        out["configs"].append({"T": T, "N": N, "C": C, "S": S, "median_ms": med, "loss": values})
    return out


def _table(results: list[dict], repeats: int, command: str, title: str) -> str:
    libs = [lib for lib in ("lossx", "torch", "optax") if lib in results[0]["configs"][0]["median_ms"]]
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    lines = [
        f"## {title}" if title else "## ctc_loss: forward + backward, float32",
        "",
        f"Command: `{command}`",
        "",
        f"Load average when the run ended (1, 5, 15 min): {load} on {os.cpu_count()} cores.",
        "",
        f"Median of {repeats} interleaved repeats per library, in ms; ratios are other / lossx (higher is better"
        " for lossx). Every sequence at full length, reduction 'mean'. Each thread count runs in its own process"
        " pinned to that many cores.",
        "",
        "| T | N | C | S | threads | " + " | ".join(f"{lib} (ms)" for lib in libs) + " | "
        + " | ".join(f"{lib} / lossx" for lib in libs if lib != "lossx") + " |",
        "|" + "---|" * (5 + len(libs) + len(libs) - 1),
    ]
    for k, (T, N, C, S) in enumerate(CONFIGS):
        for res in results:
            med = res["configs"][k]["median_ms"]
            row = [str(T), str(N), str(C), str(S), str(res["threads"])]
            row += [f"{med[lib]:.2f}" for lib in libs]
            row += [f"{med[lib] / med['lossx']:.1f}x" for lib in libs if lib != "lossx"]
            lines.append("| " + " | ".join(row) + " |")
    lines += ["", "Scaling from 1 to 2 threads (time with 1 / time with 2):", ""]
    by_threads = {res["threads"]: res for res in results}
    if 1 in by_threads and 2 in by_threads:
        for k, (T, N, C, S) in enumerate(CONFIGS):
            parts = []
            for lib in libs:
                one = by_threads[1]["configs"][k]["median_ms"][lib]
                two = by_threads[2]["configs"][k]["median_ms"][lib]
                parts.append(f"{lib} {one / two:.2f}x")
            lines.append(f"- T={T}, N={N}, C={C}, S={S}: " + ", ".join(parts))
    losses = [res["configs"][k]["loss"] for res in results for k in range(len(CONFIGS))]
    worst = max(abs(v["lossx"] - v["torch"]) / abs(v["torch"]) for v in losses)
    lines += ["", f"Sanity: the lossx and PyTorch losses agree to {worst:.1e} relative in every run.", ""]
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    ap.add_argument("--no-optax", action="store_true", help="skip the optax comparison")
    ap.add_argument("--out", default=None, help="write the markdown table here")
    ap.add_argument("--note", default="", help="a line added under the table (the build used, say)")
    ap.add_argument("--title", default="", help="the section title (the build used, say)")
    ap.add_argument("--append", action="store_true", help="append to --out instead of overwriting it")
    ap.add_argument("--child", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(_child(args.child, args.repeats, not args.no_optax)))
        return
    results = []
    for t in (int(v) for v in args.threads.split(",")):
        env = dict(os.environ)
        env["XLA_FLAGS"] = (env.get("XLA_FLAGS", "") + f" --xla_cpu_multi_thread_eigen={'true' if t > 1 else 'false'}"
                            f" intra_op_parallelism_threads={t}").strip()
        cmd = [sys.executable, __file__, "--child", str(t), "--repeats", str(args.repeats)]
        if args.no_optax:
            cmd.append("--no-optax")
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
        results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        print(f"threads={t} done", file=sys.stderr)
    command = "PYTHONPATH=python python bench/bench_ctc.py " + " ".join(
        f'"{a}"' if " " in a else a for a in sys.argv[1:])
    text = _table(results, args.repeats, command.strip(), args.title)
    if args.note:
        text += "\n" + args.note + "\n"
    print(text)
    if args.out:
        with open(args.out, "a" if args.append else "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
