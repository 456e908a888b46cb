"""Processes and signals: Ctrl-C during a long call, and a concurrency soak (issue 8).
(The fork() child case is tests/test_api.py::test_forked_children_work_after_parallel_calls.)

Ctrl-C: lossx releases the GIL while a kernel runs and does not poll for signals inside it,
so SIGINT is noted by Python's handler and KeyboardInterrupt is raised when the running call
returns to Python (or at once in a main thread that waits in Thread.join while a worker runs
the call). Either way the process stays usable: the next call gives the right result.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import lossx
from cases import CASES
from helpers import fn, grads_tuple

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGINT") or os.name != "posix", reason="POSIX signals")

_SIGINT_CHILD = r"""
import sys, threading, time
import numpy as np, lossx
lossx.set_num_threads(int(sys.argv[2]))
x = np.random.default_rng(0).standard_normal((4000, 1000)).astype(np.float32)
y = np.zeros(4000, np.int64)
want = lossx.cross_entropy_with_grad(x, y, label_smoothing=0.1)

def long_calls(stop):
    while not stop.is_set():
        lossx.cross_entropy_with_grad(x, y, label_smoothing=0.1)

where = sys.argv[1]
interrupted = False
if where == "main":
    print("started", flush=True)
    try:
        for _ in range(100000):          # each call ~10-50 ms; the signal lands inside one
            lossx.cross_entropy_with_grad(x, y, label_smoothing=0.1)
    except KeyboardInterrupt:
        interrupted = True
else:
    stop = threading.Event()
    t = threading.Thread(target=long_calls, args=(stop,))
    t.start()
    print("started", flush=True)
    try:
        t.join()                          # the main thread waits; the worker is inside lossx
    except KeyboardInterrupt:
        interrupted = True
    stop.set()
    t.join()
assert interrupted, "no KeyboardInterrupt"
got = lossx.cross_entropy_with_grad(x, y, label_smoothing=0.1)
assert got[0].tobytes() == want[0].tobytes() and got[1].tobytes() == want[1].tobytes()
lossx.set_num_threads(2)
assert lossx.cross_entropy(x, y, label_smoothing=0.1).tobytes() == want[0].tobytes()
print("ok", flush=True)
"""


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("where", ["main", "worker"])
def test_ctrl_c_during_a_long_call_leaves_the_process_usable(tmp_path, where, threads):
    script = tmp_path / "sigint_child.py"
    script.write_text(_SIGINT_CHILD)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    proc = subprocess.Popen([sys.executable, str(script), where, str(threads)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout.readline().strip() == "started"
        time.sleep(0.5)                   # well inside the loop of long calls
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()                # reaps the child and closes its pipes (no ResourceWarning later)
    assert proc.returncode == 0 and out.strip() == "ok", err[-3000:]


# One case per loss (the first registered), with a batch that spans several blocks.
_SOAK_CASES = list({c.name: c for c in reversed(CASES)}.values())


def _outputs(case, args, kwargs):
    r = "sum" if "sum" in case.reductions else case.reductions[0]
    loss, grads = fn(case, "_with_grad")(*args, reduction=r, **kwargs)
    return [fn(case)(*args, reduction=case.reductions[0], **kwargs), loss, *grads_tuple(grads, case)]


def test_concurrency_soak_16_threads_mixed_losses_flipping_thread_count():
    """16 Python threads call every loss at once while another flips set_num_threads between 1
    and 2: every result is bitwise the serial one, and everything finishes (no deadlock) in time."""
    rng = np.random.default_rng(7)
    work = []
    for case in _SOAK_CASES:
        args, kwargs = case.make(rng, np.float32, 1500 if case.name != "batch_hard_triplet_loss" else 200)
        work.append((case, args, kwargs))
    before = lossx.get_num_threads()
    lossx.set_num_threads(1)
    want = [_outputs(*w) for w in work]
    errors: list[str] = []
    stop = threading.Event()
    deadline = time.monotonic() + 25

    def flip():
        k = 0
        while not stop.is_set():
            lossx.set_num_threads(1 + k % 2)
            k += 1
            time.sleep(0.001)

    def caller(t):
        try:
            for step in range(10):
                for j in range(len(work)):
                    i = (j + t * 5 + step) % len(work)
                    got = _outputs(*work[i])
                    for a, b in zip(got, want[i]):
                        if np.asarray(a).tobytes() != np.asarray(b).tobytes():
                            errors.append(f"thread {t}: {work[i][0].id} differs")
                    if time.monotonic() > deadline:
                        return
        except Exception as e:  # pragma: no cover - reported below
            errors.append(f"thread {t}: {type(e).__name__}: {e}")

    flipper = threading.Thread(target=flip, daemon=True)
    callers = [threading.Thread(target=caller, args=(t,), daemon=True) for t in range(16)]
    start = time.monotonic()
    try:
        flipper.start()
        for c in callers:
            c.start()
        for c in callers:
            c.join(timeout=max(0.1, start + 30 - time.monotonic()))
        hung = [c.name for c in callers if c.is_alive()]
    finally:
        stop.set()
        flipper.join(timeout=5)
        lossx.set_num_threads(before)
    assert not hung, f"threads still running after 30 s (deadlock?): {hung}"
    assert not errors, errors[:10]
    print(f"soak: {len(_SOAK_CASES)} losses x 16 threads in {time.monotonic() - start:.1f} s")
