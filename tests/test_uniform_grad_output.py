"""The uniform grad_output of an unreduced gradient (issue 11, Request::grad_output).

``NAME_with_grad(..., reduction='none')`` without a grad_output hands the kernel one 0-d
value (1) for every term instead of an array of ones. The gradient must be bitwise the one
``NAME_backward(ones, ...)`` gives, for every loss of the registry (tests/cases.py, so that a
new loss is covered by adding its cases) and for softmax / log_softmax in each of their
code paths (contiguous rows narrow and wide: the 16-lane body for float32 rows of >= 64
values; tiles of rows when dim is not the last axis). The Python API itself still asks a
caller's grad_output of a 'none' loss to have the loss's shape.
"""

from __future__ import annotations

import numpy as np
import pytest

import lossx
from helpers import fn, grads_tuple, tol
from reference import classification as ref

DTYPES = [np.float32, np.float64]


def _assert_bitwise(a, b, msg=""):
    assert a.dtype == b.dtype and a.shape == b.shape, msg
    u = np.dtype(f"u{a.dtype.itemsize}")
    np.testing.assert_array_equal(np.reshape(a, -1).view(u), np.reshape(b, -1).view(u), err_msg=msg)


def _with_threads(t, f):
    before = lossx.get_num_threads()
    try:
        lossx.set_num_threads(t)
        return f()
    finally:
        lossx.set_num_threads(before)


# ------------------------------------------------------------------------------ the registry

@pytest.mark.parametrize("dtype", DTYPES)
def test_none_with_grad_default_is_backward_of_ones_bitwise(loss_case, dtype, rng):
    """A batch large enough for several blocks, SIMD bodies and their tails, at 1 and 3 threads."""
    if "none" not in loss_case.reductions:
        pytest.skip("no 'none' reduction")
    args, kwargs = loss_case.make(rng, dtype, 257)
    loss, grad = fn(loss_case, "_with_grad")(*args, reduction="none", **kwargs)
    ones = np.ones(np.shape(loss), dtype)
    want = grads_tuple(fn(loss_case, "_backward")(ones, *args, reduction="none", **kwargs), loss_case)
    for t in (1, 3):
        got = _with_threads(t, lambda: fn(loss_case, "_with_grad")(*args, reduction="none", **kwargs))
        _assert_bitwise(got[0], loss, f"loss, {t} threads")
        for k, (a, b) in enumerate(zip(grads_tuple(got[1], loss_case), want)):
            _assert_bitwise(a, b, f"gradient {k}, {t} threads")
    for a in grads_tuple(grad, loss_case):
        assert np.all(np.isfinite(a)) or loss_case.name == "ctc_loss"  # ctc: inf losses give nan rows


def test_none_backward_still_needs_the_loss_shape(loss_case, rng):
    """A 0-d grad_output (a float or a 0-d array) for a 'none' loss of another shape is refused."""
    if "none" not in loss_case.reductions:
        pytest.skip("no 'none' reduction")
    args, kwargs = loss_case.make(rng, np.float64, 4)
    shape = np.shape(fn(loss_case)(*args, reduction="none", **kwargs))
    if shape == ():
        pytest.skip("the 'none' loss is 0-d: a 0-d grad_output is its shape")
    for g in (1.0, np.array(1.0), np.float64(1.0)):
        with pytest.raises(ValueError, match="'grad_output' must have the shape of the unreduced loss"):
            fn(loss_case, "_backward")(g, *args, reduction="none", **kwargs)
        with pytest.raises(ValueError, match="'grad_output' must have the shape of the unreduced loss"):
            fn(loss_case, "_with_grad")(*args, reduction="none", grad_output=g, **kwargs)


# ------------------------------------------------------------------------ softmax / log_softmax

SOFTMAX = ["log_softmax", "softmax"]
# Contiguous rows: narrow (plain loops) and wide (float32: the 16-lane body, with and without a
# C % 16 tail, and one block of 8 vectors or several); tiles of rows (dim not last); 0-d, 1-d.
SHAPES_DIMS = [
    ((6, 63), 1), ((5, 64), 1), ((3, 80), -1), ((4, 129), 1), ((5, 1000), 1), ((3, 1007), -1),
    ((2, 3, 200), 2), ((300,), 0),
    ((3, 70, 5), 1), ((2, 65, 3), 0), ((4, 3, 70), 1), ((2, 5, 3, 4), 1), ((3, 1000, 2), 1),
    ((7,), 0), ((), 0),
]


def _x(rng, shape, dtype, scale=3.0):
    return np.asarray(rng.standard_normal(shape) * scale).astype(dtype)


def _grad64(name, x, g, dim):
    """The analytic gradient in float64 (the backward's formulas, from the float64 reference)."""
    x, g = x.astype(np.float64), g.astype(np.float64)
    s = ref.softmax(x, dim)
    ax = dim if x.ndim else None
    if name == "log_softmax":
        return g - s * np.sum(g, axis=ax, keepdims=True)
    return s * (g - np.sum(g * s, axis=ax, keepdims=True))


@pytest.mark.parametrize("name", SOFTMAX)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,dim", SHAPES_DIMS)
def test_softmax_with_grad_default_is_backward_of_ones_bitwise(name, dtype, shape, dim, rng):
    x = _x(rng, shape, dtype)
    out, grad = getattr(lossx, name + "_with_grad")(x, dim)
    _assert_bitwise(out, getattr(lossx, name)(x, dim), "forward")
    _assert_bitwise(grad, getattr(lossx, name + "_backward")(np.ones(shape, dtype), x, dim), "gradient")
    _, g3 = _with_threads(3, lambda: getattr(lossx, name + "_with_grad")(x, dim))
    _assert_bitwise(g3, grad, "3 threads")


@pytest.mark.parametrize("name", SOFTMAX)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,dim", SHAPES_DIMS)
def test_softmax_paths_match_float64(name, dtype, shape, dim, rng):
    """Forward and gradient (random and uniform grad_output) of every path against float64."""
    x = _x(rng, shape, dtype)
    g = rng.standard_normal(shape).astype(dtype)
    out, grad = getattr(lossx, name + "_with_grad")(x, dim, grad_output=g)
    np.testing.assert_allclose(out, getattr(ref, name)(x.astype(np.float64), dim), **tol(dtype))
    t = dict(rtol=1e-10, atol=1e-12) if dtype == np.float64 else dict(rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(grad, _grad64(name, x, g, dim), **t)
    _assert_bitwise(grad, getattr(lossx, name + "_backward")(g, x, dim), "with_grad == backward")
    _, g1 = getattr(lossx, name + "_with_grad")(x, dim)
    np.testing.assert_allclose(g1, _grad64(name, x, np.ones(shape, dtype), dim), **t)


@pytest.mark.parametrize("name", SOFTMAX)
@pytest.mark.parametrize("shape,dim", [((700, 1000), 1), ((300, 1007), 1), ((40, 130, 33), 1)])
def test_softmax_wide_rows_threads_bitwise(name, shape, dim, rng):
    x = _x(rng, shape, np.float32)
    g = rng.standard_normal(shape).astype(np.float32)
    res = {t: _with_threads(t, lambda: (getattr(lossx, name + "_with_grad")(x, dim, grad_output=g),
                                        getattr(lossx, name + "_with_grad")(x, dim),
                                        getattr(lossx, name + "_backward")(g, x, dim),
                                        getattr(lossx, name)(x, dim)))
           for t in (1, 2, 3)}
    for t in (2, 3):
        (o, gr), (o1, g1), b, f = res[t]
        (wo, wgr), (wo1, wg1), wb, wf = res[1]
        for a, w in ((o, wo), (gr, wgr), (o1, wo1), (g1, wg1), (b, wb), (f, wf)):
            _assert_bitwise(a, w, f"{t} threads")


@pytest.mark.parametrize("name", SOFTMAX)
def test_softmax_wide_rows_extreme_values(name):
    """The 16-lane body keeps the edge cases of the plain one: -inf among finite values, huge logits."""
    x = np.zeros((3, 100), np.float32)
    x[0, ::7] = -np.inf
    x[1, :] = np.linspace(-1e4, 1e4, 100, dtype=np.float32)
    x[2, 99] = 1e30
    g = np.linspace(-1, 1, 300).reshape(3, 100).astype(np.float32)
    out, grad = getattr(lossx, name + "_with_grad")(x, 1, grad_output=g)
    want = getattr(ref, name)(x.astype(np.float64), 1)
    np.testing.assert_allclose(out[np.isfinite(want)], want[np.isfinite(want)], rtol=3e-5, atol=3e-5)
    assert np.all(np.isfinite(grad))
    np.testing.assert_allclose(grad, _grad64(name, x, g, 1), rtol=1e-4, atol=1e-5)
    if name == "log_softmax":
        assert np.all(out[0, ::7] == -np.inf)
    else:
        assert np.all(out[0, ::7] == 0)
    # As the plain rows: a row of only -inf, or holding NaN or +inf, is nan everywhere.
    bad = np.zeros((3, 100), np.float32)
    bad[0] = -np.inf
    bad[1, 5] = np.nan
    bad[2, 70] = np.inf
    for gout in (None, np.ones_like(bad)):
        o, gr = getattr(lossx, name + "_with_grad")(bad, 1, grad_output=gout)
        assert np.all(np.isnan(o)) and np.all(np.isnan(gr))


@pytest.mark.parametrize("name", SOFTMAX)
def test_softmax_backward_still_needs_the_input_shape(name, rng):
    x = _x(rng, (4, 100), np.float32)
    for g in (1.0, np.array(1.0, np.float32), np.float32(1.0)):
        with pytest.raises(ValueError, match=r"'grad_output' must have the shape of the unreduced loss \(4, 100\)"):
            getattr(lossx, name + "_backward")(g, x, 1)
        with pytest.raises(ValueError, match="'grad_output' must have the shape"):
            getattr(lossx, name + "_with_grad")(x, 1, grad_output=g)
    # A 0-d input's grad_output is 0-d: a float is its shape.
    assert getattr(lossx, name + "_backward")(1.0, np.float32(2.0), 0).shape == ()
