"""softmax / log_softmax on outputs larger than the caches: the same bits as small outputs.

A large result takes other paths than a small one: the binding maps its own 2 MiB-aligned
memory for results of 1 MiB and more (``python/bindings/alloc.hpp``), and a kernel may store a
large output differently from a small one (with both outputs of 16 MiB and more, the wide-row kernel
streams the one it writes last with non-temporal stores: log_softmax's output, softmax's gradient;
see ``cpp/src/core/stream.hpp`` and ``bench/results_kernels.md``). Rows are independent, so every row of a large
result must carry the bits that the same row gets in a small call. The shapes have odd row
lengths (rows start at every offset modulo 64 bytes), caller buffers (``out=``) start one value
past an alignment boundary, and the wide-row (C >= 64) and narrow-row paths are both covered.
"""

from __future__ import annotations

import numpy as np
import pytest

import lossx
from reference import classification as ref

SOFTMAX = ["log_softmax", "softmax"]
# (rows, C, dtype): each large call writes >= 4.5 MiB per output; the last float32 shape
# >= 16 MiB (the streamed path of the wide rows: detail::stream_wanted).
LARGE = [(1200, 1001, np.float32), (300, 4099, np.float32), (18000, 67, np.float32), (600, 1001, np.float64),
         (4200, 1001, np.float32)]
assert 4200 * 1001 * 4 >= 16 * 2**20


def _fn(name, suffix=""):
    return getattr(lossx, name + suffix)


def _bits(a):
    return a.view(np.uint32 if a.dtype == np.float32 else np.uint64)


def _same_bits(a, b):
    assert a.shape == b.shape and a.dtype == b.dtype
    np.testing.assert_array_equal(_bits(a), _bits(b))


def _rows(rng, shape, dtype):
    x = (rng.standard_normal(shape) * 3).astype(dtype)
    x[1, 5] = -np.inf  # a -inf logit: softmax 0, log_softmax -inf, finite gradient
    return x


# Row slices compared against the large call: the first rows, some in the middle, the last.
def _slices(n):
    return [slice(0, 3), slice(n // 2 - 1, n // 2 + 4), slice(n - 5, n)]


@pytest.mark.parametrize("name", SOFTMAX)
@pytest.mark.parametrize("rows,C,dtype", LARGE)
def test_large_forward_rows_match_small_calls(name, rows, C, dtype, rng):
    x = _rows(rng, (rows, C), dtype)
    big = _fn(name)(x, 1)
    assert big.nbytes >= 4.5 * 2**20
    for s in _slices(rows):
        _same_bits(big[s], _fn(name)(np.ascontiguousarray(x[s]), 1))
    # and the values themselves, against the float64 NumPy reference
    tol = dict(rtol=1e-10, atol=1e-12) if dtype == np.float64 else dict(rtol=3e-5, atol=3e-5)
    s = slice(rows - 40, rows)
    np.testing.assert_allclose(big[s], getattr(ref, name)(x[s].astype(np.float64), 1), **tol)


@pytest.mark.parametrize("name", SOFTMAX)
@pytest.mark.parametrize("rows,C,dtype", LARGE)
@pytest.mark.parametrize("grad_kind", ["uniform", "array"])
def test_large_with_grad_and_backward_rows_match_small_calls(name, rows, C, dtype, grad_kind, rng):
    x = _rows(rng, (rows, C), dtype)
    g = rng.standard_normal((rows, C)).astype(dtype) if grad_kind == "array" else None
    kw = {} if g is None else {"grad_output": g}
    out, grad = _fn(name, "_with_grad")(x, 1, **kw)
    back = _fn(name, "_backward")(g, x, 1) if g is not None else None
    for s in _slices(rows):
        xs = np.ascontiguousarray(x[s])
        kws = {} if g is None else {"grad_output": np.ascontiguousarray(g[s])}
        o_small, g_small = _fn(name, "_with_grad")(xs, 1, **kws)
        _same_bits(out[s], o_small)
        _same_bits(grad[s], g_small)
        if back is not None:
            _same_bits(back[s], _fn(name, "_backward")(np.ascontiguousarray(g[s]), xs, 1))
    assert np.isfinite(grad).all()


@pytest.mark.parametrize("name", SOFTMAX)
@pytest.mark.parametrize("rows,C,dtype", [LARGE[0], LARGE[2], LARGE[4]])
def test_large_results_into_buffers_off_alignment(name, rows, C, dtype, rng):
    """out= / grad_out= buffers that start one value past a 64-byte boundary get the same bits."""
    x = _rows(rng, (rows, C), dtype)
    g = rng.standard_normal((rows, C)).astype(dtype)
    want_out, want_grad = _fn(name, "_with_grad")(x, 1, grad_output=g)
    n = rows * C
    store = np.empty(2 * n + 64, dtype)
    start = (-store.ctypes.data % 64) // store.itemsize + 1  # one value past a 64-byte boundary
    out = store[start:start + n].reshape(rows, C)
    grad_out = store[start + n + 3:start + 2 * n + 3].reshape(rows, C)  # a different offset again
    assert out.ctypes.data % 64 != 0 and grad_out.ctypes.data % 64 != out.ctypes.data % 64
    got_out, got_grad = _fn(name, "_with_grad")(x, 1, grad_output=g, out=out, grad_out=grad_out)
    assert got_out is out and got_grad is grad_out
    _same_bits(out, want_out)
    _same_bits(grad_out, want_grad)
    only = np.empty(n + 64, dtype)[5:5 + n].reshape(rows, C)
    assert _fn(name)(x, 1, out=only) is only
    _same_bits(only, want_out)


@pytest.mark.parametrize("name", SOFTMAX)
def test_large_rows_bitwise_across_threads(name, rng):
    x = _rows(rng, (1200, 1001), np.float32)
    g = rng.standard_normal(x.shape).astype(np.float32)
    before = lossx.get_num_threads()
    try:
        got = {}
        for t in (1, 2):
            lossx.set_num_threads(t)
            got[t] = (_fn(name)(x, 1), *_fn(name, "_with_grad")(x, 1, grad_output=g))
    finally:
        lossx.set_num_threads(before)
    for a, b in zip(got[1], got[2]):
        _same_bits(a, b)
