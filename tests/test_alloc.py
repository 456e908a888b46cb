"""Large result arrays (python/bindings/alloc.hpp): 2 MiB-aligned mappings, recycled after release.

A result of 1 MiB or more is its own mapping (huge pages advised), owned by a capsule; when NumPy
frees it the mapping is kept in a small cache (LOSSX_RESULT_CACHE_MB, default 256) for the next
result of the same size. What a user must be able to rely on: the arrays behave like any NumPy
array, a result that is still referenced (directly or through a view) is never handed out
again, and the cache setting changes nothing but speed.
"""

from __future__ import annotations

import gc
import os
import pickle
import subprocess
import sys
import threading

import numpy as np
import pytest

import lossx

N = 1 << 19  # 2 MiB of float32: a large result
pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the mapped path is Linux-only")


def _inputs(seed, n=N, dtype=np.float32):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(n).astype(dtype), rng.standard_normal(n).astype(dtype)


def _want_grad(x, y):
    return (2.0 * (x.astype(np.float64) - y) / x.size).astype(x.dtype)


def test_large_results_are_ordinary_aligned_writable_arrays():
    x, y = _inputs(0)
    g = lossx.mse_loss_backward(1.0, x, y)
    assert g.dtype == np.float32 and g.shape == (N,) and g.flags.c_contiguous and g.flags.writeable
    assert g.ctypes.data % (2 << 20) == 0
    np.testing.assert_allclose(g, _want_grad(x, y), rtol=1e-6, atol=0)
    g[:3] = 7.0                               # writable, and the write sticks
    assert (g[:3] == 7.0).all()
    back = pickle.loads(pickle.dumps(g))      # pickles like any array
    np.testing.assert_array_equal(back, g)
    per = lossx.mse_loss(x, y, reduction="none")
    np.testing.assert_allclose(per, (x.astype(np.float64) - y) ** 2, rtol=1e-6)


def test_a_result_still_referenced_is_never_reused():
    x, y = _inputs(1)
    x2, y2 = _inputs(2)
    kept = lossx.mse_loss_backward(1.0, x, y)
    view = lossx.mse_loss_backward(1.0, x2, y2)[N // 2:]   # only a view keeps this one alive
    snapshot_kept, snapshot_view = kept.copy(), view.copy()
    for seed in range(3, 9):                  # more results of the same size, each dropped at once
        a, b = _inputs(seed)
        fresh = lossx.mse_loss_backward(1.0, a, b)
        assert not np.shares_memory(fresh, kept) and not np.shares_memory(fresh, view)
        np.testing.assert_allclose(fresh, _want_grad(a, b), rtol=1e-6, atol=0)
        del fresh
        gc.collect()
    np.testing.assert_array_equal(kept, snapshot_kept)
    np.testing.assert_array_equal(view, snapshot_view)


def test_a_released_result_is_recycled_and_rewritten():
    x, y = _inputs(10)
    first = lossx.mse_loss_backward(1.0, x, y)
    address = first.ctypes.data
    first[:] = np.nan                          # garbage left in the mapping
    del first
    a, b = _inputs(11)
    second = lossx.mse_loss_backward(1.0, a, b)
    if os.environ.get("LOSSX_RESULT_CACHE_MB", "") != "0":
        assert second.ctypes.data == address   # the cached mapping came back
    np.testing.assert_allclose(second, _want_grad(a, b), rtol=1e-6, atol=0)   # every element rewritten


def test_many_threads_allocating_and_releasing_get_correct_results():
    sizes = [N, N + 12345, 3 * N]
    errors = []

    def work(seed):
        try:
            for k in range(12):
                x, y = _inputs(seed * 100 + k, sizes[(seed + k) % len(sizes)])
                g = lossx.mse_loss_backward(1.0, x, y)
                np.testing.assert_allclose(g, _want_grad(x, y), rtol=1e-6, atol=0)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(s,)) for s in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[0]


@pytest.mark.parametrize("setting", ["0", "1", "not-a-number", "99999999999999999999"])
def test_the_cache_setting_changes_nothing_but_speed(setting):
    code = (
        "import numpy as np, lossx\n"
        "rng = np.random.default_rng(5)\n"
        "outs = []\n"
        "for n in (1 << 19, 1 << 20, 1 << 19, 3 << 18):\n"
        "    x = rng.standard_normal(n).astype(np.float32); y = rng.standard_normal(n).astype(np.float32)\n"
        "    loss, g = lossx.mse_loss_with_grad(x, y)\n"
        "    outs.append(float(loss)); outs.append(float(g.astype(np.float64).sum()))\n"
        "    del g\n"
        "print(repr(outs))\n"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    env.pop("LOSSX_RESULT_CACHE_MB", None)
    base = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    env["LOSSX_RESULT_CACHE_MB"] = setting
    other = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert base.returncode == 0 and other.returncode == 0, base.stderr + other.stderr
    assert base.stdout == other.stdout
