"""Elementwise gradients larger than the cache: the same bits as small calls.

The dense elementwise driver (``core/elementwise.hpp``) writes a gradient of 16 MiB or more with
non-temporal stores (``cpp/src/core/stream.hpp``): whole 64-byte lines streamed, the values around them stored as
usual, every value from the same expression. These tests pin that a large gradient carries, element
by element, the bits a small call (cached stores) gives for the same elements: at the start, the
middle and the end, with odd lengths (the streamed lines start at every offset), caller buffers
(``grad_out=``) one value past a 64-byte boundary, float32 and float64, and 1 vs 2 threads.
'sum' and a per-element grad_output ('none') make each gradient element independent of n.
"""

from __future__ import annotations

import numpy as np
import pytest

import lossx

# name -> target maker (from a standard normal draw)
LOSSES = {
    "mse_loss": lambda y: y,
    "l1_loss": lambda y: y,
    "smooth_l1_loss": lambda y: y,
    "huber_loss": lambda y: y,
    "kl_div": lambda y: np.abs(y) / 4,
    "hinge_embedding_loss": lambda y: np.where(y > 0, 1.0, -1.0),
    # core/elementwise_shared.hpp (plain stores: streaming measured no faster there); the same
    # bits across sizes all the same
    "binary_cross_entropy_with_logits": lambda y: (y > 0).astype(np.float64),
    "poisson_nll_loss": lambda y: np.abs(y),
}
# >= 16 MiB of gradient (the streaming threshold), odd lengths
SIZES = {np.float32: 4_500_001, np.float64: 2_250_003}


def _bits(a):
    return np.asarray(a).tobytes()


def _data(rng, name, dtype):
    n = SIZES[dtype]
    x = rng.standard_normal(n).astype(dtype)
    y = LOSSES[name](rng.standard_normal(n)).astype(dtype)
    x[7] = y[7]  # a kink of l1 / smooth_l1 / huber at zero difference
    return x, y


def _slices(n):
    return [slice(0, 1001), slice(n // 2 - 17, n // 2 + 990), slice(n - 1003, n)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(LOSSES))
def test_large_gradient_matches_small_calls(name, dtype, rng):
    f = getattr(lossx, name)
    x, y = _data(rng, name, dtype)
    g = rng.standard_normal(x.size).astype(dtype)
    total, grad = f.with_grad(x, y, reduction="sum")
    assert grad.nbytes >= 16 * 2**20 and np.isfinite(total)
    back = f.backward(g, x, y, reduction="none")
    for s in _slices(x.size):
        xs, ys = np.ascontiguousarray(x[s]), np.ascontiguousarray(y[s])
        assert _bits(grad[s]) == _bits(f.with_grad(xs, ys, reduction="sum")[1])
        assert _bits(back[s]) == _bits(f.backward(np.ascontiguousarray(g[s]), xs, ys, reduction="none"))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_large_mse_gradient_values(dtype, rng):
    x, y = _data(rng, "mse_loss", dtype)
    _, grad = lossx.mse_loss.with_grad(x, y, reduction="sum")
    want = 2 * (x.astype(np.float64) - y)
    tol = dict(rtol=1e-6, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-15, atol=1e-15)
    np.testing.assert_allclose(grad, want, **tol)
    _, gmean = lossx.mse_loss.with_grad(x, y)  # 'mean': the same stores, scaled by 1/n
    np.testing.assert_allclose(gmean, want / x.size, **tol)


@pytest.mark.parametrize("name", ["mse_loss", "smooth_l1_loss"])
def test_large_gradient_into_buffers_off_alignment(name, rng):
    f = getattr(lossx, name)
    x, y = _data(rng, name, np.float32)
    want = f.with_grad(x, y, reduction="sum")[1]
    store = np.empty(x.size + 64, np.float32)
    start = (-store.ctypes.data % 64) // 4 + 1  # one value past a 64-byte boundary
    buf = store[start:start + x.size]
    _, got = f.with_grad(x, y, reduction="sum", grad_out=buf)
    assert got is buf and _bits(buf) == _bits(want)
    g = rng.standard_normal(x.size).astype(np.float32)
    back = store[start + 3:start + 3 + x.size]  # another offset
    assert f.backward(g, x, y, reduction="none", out=back) is back
    assert _bits(back) == _bits(f.backward(g, x, y, reduction="none"))


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss"])
def test_large_gradient_bitwise_across_threads(name, rng):
    f = getattr(lossx, name)
    x, y = _data(rng, name, np.float32)
    before = lossx.get_num_threads()
    try:
        got = {}
        for t in (1, 2):
            lossx.set_num_threads(t)
            got[t] = f.with_grad(x, y)
    finally:
        lossx.set_num_threads(before)
    assert _bits(got[1][0]) == _bits(got[2][0]) and _bits(got[1][1]) == _bits(got[2][1])
