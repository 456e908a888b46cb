"""Classification losses: semantics, edge cases and bad inputs beyond the generic registry tests.

softmax/log_softmax have no reduction, so the registry (which passes ``reduction=``)
does not cover them: their generic checks (reference per dtype and dim, finite
differences, fused == separate, threads, strides, empty inputs, lists, PyTorch)
live here too.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import lossx
from lossx import _convert
from helpers import fd_gradient, tol
from reference import classification as ref

DTYPES = [np.float32, np.float64]
inf, nan = np.inf, np.nan


# ====================================================================== softmax / log_softmax

SOFTMAX = ["log_softmax", "softmax"]
# (shape, dim): last and inner dims, negative dims, 0-d, and tiles wider than the
# 64 rows the interleaved path handles at once (inner = 140 and 65).
SHAPES_DIMS = [
    ((7,), 0),
    ((4, 5), 1),
    ((4, 5), 0),
    ((4, 5), -1),
    ((3, 4, 5), 0),
    ((3, 4, 5), 1),
    ((3, 4, 5), -2),
    ((2, 3, 70, 2), 1),
    ((2, 65, 3), 0),
    ((2, 3, 1), 2),
    ((), 0),
    ((), -1),
]


def _sm(name, suffix=""):
    return getattr(lossx, name + suffix)


def _x(rng, shape, dtype, scale=3.0):
    return np.asarray(rng.standard_normal(shape) * scale).astype(dtype)


@pytest.mark.parametrize("name", SOFTMAX)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,dim", SHAPES_DIMS)
def test_softmax_matches_reference(name, dtype, shape, dim, rng):
    x = _x(rng, shape, dtype)
    got = _sm(name)(x, dim)
    assert got.dtype == dtype and got.shape == x.shape
    np.testing.assert_allclose(got, getattr(ref, name)(x.astype(np.float64), dim), **tol(dtype))


@pytest.mark.parametrize("name", SOFTMAX)
@pytest.mark.parametrize("shape,dim", SHAPES_DIMS)
def test_softmax_backward_matches_fd(name, shape, dim, rng):
    x = _x(rng, shape, np.float64, 1.0)
    g = rng.standard_normal(shape)
    grad = _sm(name, "_backward")(g, x, dim)
    assert grad.shape == x.shape and grad.dtype == np.float64
    want = fd_gradient(lambda a: np.sum(g * getattr(ref, name)(a[0], dim)), (x,), 0)
    np.testing.assert_allclose(grad, want, rtol=1e-6, atol=1e-8)
    g32 = _sm(name, "_backward")(g.astype(np.float32), x.astype(np.float32), dim)
    assert g32.dtype == np.float32
    np.testing.assert_allclose(g32, grad, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", SOFTMAX)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,dim", [((5, 6), 1), ((3, 4, 70), 1), ((4,), 0), ((), 0)])
def test_softmax_with_grad_is_forward_and_backward(name, dtype, shape, dim, rng):
    x = _x(rng, shape, dtype)
    g = rng.standard_normal(shape).astype(dtype)
    out, grad = _sm(name, "_with_grad")(x, dim, grad_output=g)
    np.testing.assert_array_equal(out, _sm(name)(x, dim))
    np.testing.assert_array_equal(grad, _sm(name, "_backward")(g, x, dim))
    _, g_default = _sm(name, "_with_grad")(x, dim)
    np.testing.assert_array_equal(g_default, _sm(name, "_backward")(np.ones(shape, dtype), x, dim))


@pytest.mark.parametrize("name", SOFTMAX)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,dim", [((6, 9), 1), ((2, 5, 3, 4), 1), ((4, 3, 70), 0), ((5,), -1), ((), 0)])
@pytest.mark.requires_torch
def test_softmax_matches_torch(name, dtype, shape, dim, rng):
    import torch
    x = _x(rng, shape, dtype)
    g = np.asarray(rng.standard_normal(shape)).astype(dtype)
    tx = torch.from_numpy(x.copy()).requires_grad_(True)
    tout = getattr(torch.nn.functional, name)(tx, dim)
    tout.backward(torch.from_numpy(g))
    t = dict(rtol=1e-12, atol=1e-14) if dtype == np.float64 else dict(rtol=2e-6, atol=2e-6)
    np.testing.assert_allclose(_sm(name)(x, dim), tout.detach().numpy(), **t)
    np.testing.assert_allclose(_sm(name, "_backward")(g, x, dim), tx.grad.numpy(), **t)


@pytest.mark.parametrize("name", SOFTMAX)
@pytest.mark.parametrize("shape,dim", [((20000, 7), 1), ((30, 7, 300), 1), ((300, 4, 50), 0)])
def test_softmax_threads_bitwise_identical(name, shape, dim, rng):
    x = _x(rng, shape, np.float32)
    g = rng.standard_normal(shape).astype(np.float32)
    before = lossx.get_num_threads()
    try:
        out = {}
        for t in (1, 2, 3):
            lossx.set_num_threads(t)
            out[t] = _sm(name, "_with_grad")(x, dim, grad_output=g)
        for t in (2, 3):
            np.testing.assert_array_equal(out[1][0], out[t][0])
            np.testing.assert_array_equal(out[1][1], out[t][1])
    finally:
        lossx.set_num_threads(before)


@pytest.mark.parametrize("name", SOFTMAX)
def test_softmax_strided_fortran_byteswapped_readonly(name, rng):
    x = _x(rng, (4, 6), np.float64)
    want = _sm(name)(x, 1)
    big = np.empty((4, 12))[:, ::-2]
    big[...] = x
    ro = x.copy()
    ro.flags.writeable = False
    for v in (big, np.asfortranarray(x), x.astype(">f8"), ro, x[::-1][::-1]):
        np.testing.assert_array_equal(_sm(name)(v, 1), want)
    copy = x.copy()
    _sm(name, "_with_grad")(x, 1)
    np.testing.assert_array_equal(x, copy)


@pytest.mark.parametrize("name", SOFTMAX)
@pytest.mark.parametrize("shape,dim", [((0, 5), 1), ((5, 0), 1), ((0, 3, 4), 1), ((2, 0, 4), 1)])
def test_softmax_empty(name, shape, dim):
    x = np.zeros(shape, np.float32)
    out, grad = _sm(name, "_with_grad")(x, dim)
    assert out.shape == shape and grad.shape == shape and out.dtype == np.float32


@pytest.mark.parametrize("name", SOFTMAX)
def test_softmax_lists_become_float64(name):
    out = _sm(name)([[1, 2, 3], [0.5, 0.5, 0.5]], 1)
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, _sm(name)(np.array([[1, 2, 3], [0.5, 0.5, 0.5]], np.float64), 1))


def test_softmax_known_values():
    np.testing.assert_allclose(lossx.log_softmax([[1.0, 2.0, 3.0]], 1), [[-2.40760596, -1.40760596, -0.40760596]])
    np.testing.assert_allclose(lossx.softmax([1.0, 2.0, 3.0], 0), [0.09003057, 0.24472847, 0.66524096], rtol=1e-7)
    assert lossx.softmax(np.float64(3.0), 0) == 1.0 and lossx.softmax(np.float64(3.0), 0).shape == ()
    assert lossx.log_softmax(np.float32(3.0), -1) == 0.0


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_extreme_values(dtype):
    """Max-subtracted: no overflow at 1e4; -inf harmless; +inf, nan and all -inf rows give nan (as PyTorch)."""
    x = np.array([1e4, 0, -1e4], dtype)
    np.testing.assert_array_equal(lossx.log_softmax(x, 0), np.array([0, -1e4, -2e4], dtype))
    np.testing.assert_array_equal(lossx.softmax(x, 0), np.array([1, 0, 0], dtype))
    out, grad = lossx.log_softmax_with_grad(np.array([-inf, 1, 2], dtype), 0, grad_output=np.array([1, 2, 3], dtype))
    assert out[0] == -inf and np.all(np.isfinite(out[1:]))
    s = np.exp([1.0, 2.0]) / np.exp([1.0, 2.0]).sum()
    np.testing.assert_allclose(grad, [1.0, 2 - 6 * s[0], 3 - 6 * s[1]], rtol=1e-6)
    out, grad = lossx.softmax_with_grad(np.array([-inf, 1, 2], dtype), 0, grad_output=np.array([1, 2, 3], dtype))
    assert out[0] == 0 and grad[0] == 0
    d = 2 * s[0] + 3 * s[1]
    np.testing.assert_allclose(grad[1:], [s[0] * (2 - d), s[1] * (3 - d)], rtol=1e-6)
    for row in ([inf, 1.0], [-inf, -inf], [nan, 1.0]):
        for name in SOFTMAX:
            out, grad = _sm(name, "_with_grad")(np.array(row, dtype), 0)
            assert np.all(np.isnan(out)), (name, row)


def test_softmax_rows_sum_to_one(rng):
    x = _x(rng, (3, 50, 130), np.float32, 10.0)
    np.testing.assert_allclose(lossx.softmax(x, 1).sum(1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(np.exp(lossx.log_softmax(x, -1).astype(np.float64)).sum(-1), 1.0, rtol=1e-5)


@pytest.mark.parametrize("name", SOFTMAX)
@pytest.mark.parametrize("ndim,implicit", [(0, 0), (1, 0), (2, 1), (3, 0), (4, 1)])
def test_softmax_implicit_dim_warns(name, ndim, implicit, rng):
    """dim=None: PyTorch's legacy rule (0 for 0-, 1-, 3-D inputs, else 1) with a UserWarning."""
    x = _x(rng, (2, 3, 4, 5)[:ndim], np.float64)
    with pytest.warns(UserWarning, match=f"implicit choice of 'dim' \\(dim={implicit} "):
        got = _sm(name)(x)
    np.testing.assert_array_equal(got, _sm(name)(x, implicit))
    with pytest.warns(UserWarning, match="implicit choice of 'dim'") as record:
        _sm(name, "_backward")(np.ones_like(x), x)
        _sm(name, "_with_grad")(x)
    assert len(record) == 2
    assert all(r.filename == __file__ for r in record)  # points at the caller's line


@pytest.mark.parametrize("name", SOFTMAX)
@pytest.mark.requires_torch
def test_softmax_implicit_dim_like_torch(name, rng):
    import torch
    x = _x(rng, (2, 3, 4), np.float64)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Implicit dimension choice")
        want = getattr(torch.nn.functional, name)(torch.from_numpy(x)).numpy()
    with pytest.warns(UserWarning, match="implicit choice"):
        np.testing.assert_allclose(_sm(name)(x), want, rtol=1e-12)


@pytest.mark.parametrize("name", SOFTMAX)
@pytest.mark.parametrize("src,dst", [(np.float32, np.float64), (np.float64, np.float32)])
def test_softmax_dtype_casts_input_first(name, src, dst, rng):
    x = _x(rng, (3, 5), src)
    g = rng.standard_normal((3, 5))
    out = _sm(name)(x, 1, dtype=dst)
    assert out.dtype == dst
    np.testing.assert_array_equal(out, _sm(name)(x.astype(dst), 1))
    grad = _sm(name, "_backward")(g, x, 1, dtype=dst)
    assert grad.dtype == src  # the gradient w.r.t. the caller's input keeps its dtype
    np.testing.assert_array_equal(grad, _sm(name, "_backward")(g.astype(dst), x.astype(dst), 1).astype(src))
    out2, grad2 = _sm(name, "_with_grad")(x, 1, dtype=dst, grad_output=g)
    assert out2.dtype == dst and grad2.dtype == src
    np.testing.assert_array_equal(out2, out)
    np.testing.assert_array_equal(grad2, grad)
    # Same dtype, string and torch spellings.
    np.testing.assert_array_equal(_sm(name)(x, 1, dtype=src), _sm(name)(x, 1))
    np.testing.assert_array_equal(_sm(name)(x, 1, dtype=np.dtype(dst).name), out)


@pytest.mark.requires_torch
def test_softmax_dtype_like_torch(rng):
    import torch
    x = _x(rng, (3, 5), np.float32)
    tx = torch.from_numpy(x.copy()).requires_grad_(True)
    tout = torch.nn.functional.log_softmax(tx, 1, dtype=torch.float64)
    tout.sum().backward()
    out, grad = lossx.log_softmax_with_grad(x, 1, dtype=torch.float64)
    assert out.dtype == np.float64 and grad.dtype == np.float32 and tx.grad.dtype == torch.float32
    np.testing.assert_allclose(out, tout.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(grad, tx.grad.numpy(), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", SOFTMAX)
def test_softmax_bad_arguments(name):
    x = np.zeros((2, 3))
    with pytest.raises(ValueError, match="'dim'"):
        _sm(name)(x, 2)
    with pytest.raises(ValueError, match="'dim'"):
        _sm(name)(x, -3)
    with pytest.raises(ValueError, match="'dim'"):
        _sm(name)(np.float64(1.0), 1)
    with pytest.raises(TypeError, match="'dim'"):
        _sm(name)(x, 1.0)
    with pytest.raises(TypeError, match="'dtype'"):
        _sm(name)(x, 1, dtype=np.float16)
    with pytest.raises(TypeError, match="'dtype'"):
        _sm(name)(x, 1, dtype=np.int64)
    with pytest.raises(TypeError, match="float32 or float64"):
        _sm(name)(x.astype(np.int64), 1)
    with pytest.raises(TypeError, match="float32 or float64"):
        _sm(name)(x.astype(np.float16), 1)
    with pytest.raises(ValueError, match="'grad_output'"):
        _sm(name, "_backward")(np.ones((3, 2)), x, 1)
    with pytest.raises(TypeError):
        _sm(name)(x, 1, np.float64)  # dtype is keyword-only


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("spatial", [(), (3, 4)])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_log_softmax_backward_composes_with_nll(dtype, spatial, reduction, rng):
    """log_softmax_backward(nll_loss_backward(g, log_softmax(x), y), x) == cross_entropy_backward(g, x, y)."""
    x = _x(rng, (6, 5, *spatial), dtype)
    y = rng.integers(0, 5, (6, *spatial))
    y[0] = 3
    w = (rng.random(5) + 0.2).astype(dtype)
    kw = dict(weight=w, ignore_index=3, reduction=reduction)
    g = rng.random(y.shape).astype(dtype) + 0.5 if reduction == "none" else dtype(0.7)
    lsm = lossx.log_softmax(x, 1)
    np.testing.assert_allclose(lossx.nll_loss(lsm, y, **kw), lossx.cross_entropy(x, y, **kw), **tol(dtype))
    chained = lossx.log_softmax_backward(lossx.nll_loss_backward(g, lsm, y, **kw), x, 1)
    np.testing.assert_allclose(chained, lossx.cross_entropy_backward(g, x, y, **kw), **tol(dtype))


# ====================================================================== tutorial values

PRED = [1.0, 2.0, 3.0, 4.0]
TARGET = [1.5, 2.5, 3.5, 4.5]


def test_tutorial_values():
    assert float(lossx.cross_entropy(PRED, TARGET)) == pytest.approx(18.2823, abs=5e-5)
    # kl_div's default 'mean' divides by the 4 elements; for a 1-D input 'batchmean'
    # divides by input.shape[0] = 4 as well, so both give the tutorial value.
    for r in ("mean", "batchmean"):
        assert float(lossx.kl_div(PRED, TARGET, reduction=r)) == pytest.approx(-5.2370, abs=5e-5)
        assert float(lossx.kl_div(PRED, TARGET, reduction=r, log_target=True)) == pytest.approx(17.4746, abs=5e-5)
    assert float(lossx.kl_div(PRED, TARGET)) == float(lossx.kl_div(PRED, TARGET, reduction="mean"))
    assert float(lossx.kl_div(PRED, TARGET, reduction="sum")) == pytest.approx(-20.9481, abs=5e-5)
    for y, want in ((0, -1.0), (1, -2.0), (2, -3.0)):
        assert float(lossx.nll_loss([[1.0, 2.0, 3.0]], [y])) == want
    assert float(lossx.cross_entropy([[1.0, 2.0, 3.0]], [2])) == pytest.approx(0.4076, abs=5e-5)


@pytest.mark.requires_torch
def test_tutorial_values_match_torch():
    import torch
    F = torch.nn.functional
    p, t = torch.tensor(PRED, dtype=torch.float64), torch.tensor(TARGET, dtype=torch.float64)
    assert float(lossx.cross_entropy(PRED, TARGET)) == pytest.approx(float(F.cross_entropy(p, t)), rel=1e-12)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="reduction: 'mean' divides the total loss")
        for lt in (False, True):
            assert float(lossx.kl_div(PRED, TARGET, log_target=lt)) == pytest.approx(
                float(F.kl_div(p, t, log_target=lt)), rel=1e-12)


# ====================================================================== cross_entropy

def test_cross_entropy_large_logits_float32():
    x = np.array([[1e4, 0, -1e4]], np.float32)
    loss, grad = lossx.cross_entropy_with_grad(x, [2])
    assert loss.dtype == np.float32 and float(loss) == 20000.0
    assert np.all(np.isfinite(grad))
    np.testing.assert_array_equal(grad, [[1, 0, -1]])


@pytest.mark.parametrize("dtype", DTYPES)
def test_cross_entropy_infinite_logits(dtype):
    # -inf away from the target: harmless (the class simply has probability 0).
    loss, grad = lossx.cross_entropy_with_grad(np.array([[-inf, 1, 2]], dtype), [2])
    assert float(loss) == pytest.approx(float(lossx.cross_entropy(np.array([[1, 2]], dtype), [1])), rel=1e-6)
    assert grad[0, 0] == 0 and np.all(np.isfinite(grad))
    # -inf on the target: the loss is inf.
    assert float(lossx.cross_entropy(np.array([[-inf, 1, 2]], dtype), [0])) == inf
    # A row of -inf only: nan loss and gradient.
    loss, grad = lossx.cross_entropy_with_grad(np.array([[-inf, -inf, -inf]], dtype), [0])
    assert np.isnan(loss) and np.all(np.isnan(grad))


@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss"])
def test_all_targets_ignored(name, rng):
    x = rng.standard_normal((4, 3))
    y = np.full(4, -100)
    loss, grad = getattr(lossx, name + "_with_grad")(x, y)
    assert np.isnan(loss)
    np.testing.assert_array_equal(grad, 0)
    loss, grad = getattr(lossx, name + "_with_grad")(x, y, reduction="sum")
    assert loss == 0
    np.testing.assert_array_equal(grad, 0)
    np.testing.assert_array_equal(getattr(lossx, name)(x, y, reduction="none"), np.zeros(4))


@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss"])
def test_ignore_index_may_be_a_valid_class(name, rng):
    x = rng.standard_normal((6, 4))
    y = np.array([0, 1, 0, 2, 3, 0])
    keep = y != 0
    f = getattr(lossx, name)
    np.testing.assert_allclose(f(x, y, ignore_index=0), f(x[keep], y[keep]), rtol=1e-14)
    none = f(x, y, ignore_index=0, reduction="none")
    np.testing.assert_array_equal(none[~keep], 0)
    grad = getattr(lossx, name + "_backward")(1.0, x, y, ignore_index=0)
    np.testing.assert_array_equal(grad[~keep], 0)


@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss"])
@pytest.mark.parametrize("bad", [3, -1, 100])
def test_class_index_out_of_range(name, bad):
    x = np.zeros((3, 3))
    with pytest.raises(ValueError, match="'target'"):
        getattr(lossx, name)(x, [0, bad, 1])
    with pytest.raises(ValueError, match="'target'"):
        getattr(lossx, name + "_backward")(1.0, x, [0, bad, 1])


@pytest.mark.parametrize("ls", [-0.1, 1.5])
def test_cross_entropy_label_smoothing_range(ls):
    with pytest.raises(ValueError, match="'label_smoothing'"):
        lossx.cross_entropy(np.zeros((2, 3)), [0, 1], label_smoothing=ls)
    with pytest.raises(ValueError, match="'label_smoothing'"):
        lossx.cross_entropy(np.zeros((2, 3)), np.full((2, 3), 1 / 3), label_smoothing=ls)


def test_cross_entropy_probability_target_rejects_ignore_index():
    with pytest.raises(ValueError, match="'ignore_index'"):
        lossx.cross_entropy(np.zeros((2, 3)), np.full((2, 3), 1 / 3), ignore_index=0)
    lossx.cross_entropy(np.zeros((2, 3)), np.full((2, 3), 1 / 3), ignore_index=-1)  # negative is fine


@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss"])
@pytest.mark.parametrize("w", [np.ones(2), np.ones(4), np.ones((3, 1))])
def test_weight_of_wrong_length(name, w):
    with pytest.raises(ValueError, match="'weight'"):
        getattr(lossx, name)(np.zeros((2, 3)), [0, 1], w)


@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss"])
@pytest.mark.parametrize("idtype", [np.int64, np.int32, np.int16, np.int8, np.uint8, np.uint16, np.uint32, np.uint64])
def test_integer_target_dtypes(name, idtype, rng):
    x = rng.standard_normal((5, 4))
    y = np.array([0, 3, 1, 2, 3])
    want = getattr(lossx, name)(x, y, reduction="none")
    np.testing.assert_array_equal(getattr(lossx, name)(x, y.astype(idtype), reduction="none"), want)
    np.testing.assert_array_equal(getattr(lossx, name + "_backward")(1.0, x, y.astype(idtype)),
                                  getattr(lossx, name + "_backward")(1.0, x, y))


@pytest.mark.parametrize("idtype", [np.int32, np.int64])
def test_int32_int64_targets_are_not_copied(idtype):
    y = np.array([0, 2, 1], idtype)
    assert _convert.indices(y, "target", "nll_loss") is y


@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss"])
def test_float_class_target_is_type_error(name):
    # A float target is a probability target for cross_entropy: wrong shape there; nll_loss has no such form.
    with pytest.raises((TypeError, ValueError), match="'target'"):
        getattr(lossx, name)(np.zeros((2, 3)), np.array([0.0, 1.0]))


def test_nll_loss_float_target_is_type_error():
    with pytest.raises(TypeError, match="'target'"):
        lossx.nll_loss(np.zeros((2, 3)), np.array([0.0, 1.0]))


@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_kdim_equals_permuted_2d_exactly(name, dtype, rng):
    x = _x(rng, (3, 5, 4, 2), dtype)
    y = rng.integers(0, 5, (3, 4, 2))
    w = (rng.random(5) + 0.1).astype(dtype)
    f = getattr(lossx, name)
    x2 = np.ascontiguousarray(np.moveaxis(x, 1, -1).reshape(-1, 5))
    got = f(x, y, w, reduction="none")
    assert got.shape == (3, 4, 2)
    np.testing.assert_array_equal(got, f(x2, y.reshape(-1), w, reduction="none").reshape(3, 4, 2))
    g = getattr(lossx, name + "_backward")(dtype(1), x, y, w, reduction="sum")
    g2 = getattr(lossx, name + "_backward")(dtype(1), x2, y.reshape(-1), w, reduction="sum")
    np.testing.assert_array_equal(np.moveaxis(g, 1, -1).reshape(-1, 5), g2)


@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss"])
def test_unbatched_equals_batch_row(name, rng):
    x = rng.standard_normal(6)
    w = rng.random(6) + 0.1
    f = getattr(lossx, name)
    for r in ("none", "mean", "sum"):
        got = f(x, 4, w, reduction=r)
        assert got.shape == ()
        want = f(x[None], [4], w, reduction=r)
        np.testing.assert_allclose(got, want.reshape(()), rtol=1e-15)
    np.testing.assert_array_equal(getattr(lossx, name + "_backward")(1.0, x, np.int64(4)),
                                  getattr(lossx, name + "_backward")(1.0, x[None], [4])[0])
    with pytest.raises(ValueError, match="'target'"):
        f(x, [4])


# ====================================================================== nll_loss

def test_nll_loss_accepts_raw_values():
    assert float(lossx.nll_loss([[0.3, 0.7]], [1])) == pytest.approx(-0.7)
    np.testing.assert_array_equal(lossx.nll_loss_backward(1.0, [[0.3, 0.7]], [1]), [[0.0, -1.0]])


def test_nll_loss_weighted_mean(rng):
    x = rng.standard_normal((5, 3))
    y = np.array([0, 1, 2, 1, 1])
    w = np.array([1.0, 2.0, 3.0])
    want = -sum(w[c] * x[i, c] for i, c in enumerate(y)) / w[y].sum()
    assert float(lossx.nll_loss(x, y, w)) == pytest.approx(want, rel=1e-14)
    grad = lossx.nll_loss_backward(2.0, x, y, w)
    expect = np.zeros_like(x)
    expect[np.arange(5), y] = -2.0 * w[y] / w[y].sum()
    np.testing.assert_allclose(grad, expect, rtol=1e-15)


@pytest.mark.requires_torch
def test_nll_loss_kdim_matches_torch(rng):
    import torch
    x = rng.standard_normal((2, 4, 3, 5))
    y = rng.integers(0, 4, (2, 3, 5))
    y[0, 0] = 1
    w = rng.random(4) + 0.1
    tx = torch.from_numpy(x.copy()).requires_grad_(True)
    tout = torch.nn.functional.nll_loss(tx, torch.from_numpy(y), torch.from_numpy(w), ignore_index=1)
    tout.backward()
    loss, grad = lossx.nll_loss_with_grad(x, y, w, ignore_index=1)
    np.testing.assert_allclose(loss, tout.item(), rtol=1e-13)
    np.testing.assert_allclose(grad, tx.grad.numpy(), rtol=1e-13)


def test_nll_loss_keyword_only():
    with pytest.raises(TypeError):
        lossx.nll_loss(np.zeros((2, 3)), [0, 1], None, -100)


# ====================================================================== binary_cross_entropy

@pytest.mark.parametrize("dtype", DTYPES)
def test_bce_at_zero_and_one(dtype):
    x = np.array([0, 1, 0, 1, 0.5], dtype)
    y = np.array([1, 0, 0.5, 1, 0.5], dtype)
    loss, grad = lossx.binary_cross_entropy_with_grad(x, y, reduction="none")
    np.testing.assert_allclose(loss, [100, 100, 50, 0, math.log(2)], rtol=1e-6)
    assert np.all(np.isfinite(grad))
    # PyTorch's backward: (x - y) / max(x(1-x), eps), eps = float32(1e-12) in both precisions.
    eps = dtype(np.float32(1e-12))
    np.testing.assert_array_equal(grad[:3], (x[:3] - y[:3]) / eps)
    assert grad[0] == pytest.approx(-1e12, rel=1e-7) and grad[1] == pytest.approx(1e12, rel=1e-7)
    assert grad[3] == 0 and grad[4] == 0


@pytest.mark.requires_torch
def test_bce_at_zero_and_one_matches_torch():
    import torch
    for dtype in DTYPES:
        x = np.array([0, 1, 0, 1e-30, 0.5], dtype)
        y = np.array([1, 0, 0.5, 1, 0.25], dtype)
        tx = torch.from_numpy(x.copy()).requires_grad_(True)
        tout = torch.nn.functional.binary_cross_entropy(tx, torch.from_numpy(y), reduction="none")
        tout.sum().backward()
        loss, grad = lossx.binary_cross_entropy_with_grad(x, y, reduction="none")
        np.testing.assert_allclose(loss, tout.detach().numpy(), rtol=1e-6)
        np.testing.assert_array_equal(grad, tx.grad.numpy())


@pytest.mark.parametrize("arg", ["input", "target"])
@pytest.mark.parametrize("bad", [1.5, -0.1, nan, inf])
def test_bce_values_outside_unit_interval(arg, bad):
    x = np.array([0.2, 0.5, 0.7])
    y = np.array([0.0, 1.0, 0.5])
    (x if arg == "input" else y)[1] = bad
    with pytest.raises(ValueError, match=f"'{arg}' must hold probabilities in \\[0, 1\\]; got .* at flat position 1"):
        lossx.binary_cross_entropy(x, y)
    with pytest.raises(ValueError, match=f"'{arg}'"):
        lossx.binary_cross_entropy_backward(1.0, x, y)


def test_bce_check_finds_first_bad_value_in_large_input(rng):
    x = rng.random(200_000)
    x[123_457] = 2.0
    x[150_000] = -1.0
    with pytest.raises(ValueError, match="position 123457"):
        lossx.binary_cross_entropy(x, x.clip(0, 1))


def test_bce_weight_broadcast():
    x = np.full((2, 3), 0.5)
    w = np.array([1.0, 2.0, 3.0])
    assert float(lossx.binary_cross_entropy(x, x, w, reduction="sum")) == pytest.approx(12 * math.log(2))
    rng = np.random.default_rng(0)
    x = rng.random((2, 3)) * 0.8 + 0.1
    y = rng.random((2, 3))
    np.testing.assert_allclose(lossx.binary_cross_entropy(x, y, w, reduction="none"),
                               lossx.binary_cross_entropy(x, y, np.broadcast_to(w, (2, 3)), reduction="none"),
                               rtol=1e-15)
    np.testing.assert_allclose(lossx.binary_cross_entropy_backward(1.0, x, y, w[None, :]),
                               lossx.binary_cross_entropy_backward(1.0, x, y, np.broadcast_to(w, (2, 3)).copy()),
                               rtol=1e-15)
    for bad in (np.ones(2), np.ones((2, 2, 3)), np.ones((3, 3))):
        with pytest.raises(ValueError, match="'weight'"):
            lossx.binary_cross_entropy(x, y, bad)


@pytest.mark.parametrize("name", ["binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div"])
def test_elementwise_target_shape_mismatch(name):
    with pytest.raises(ValueError, match="'target'"):
        getattr(lossx, name)(np.full((2, 3), 0.5), np.full((3,), 0.5))
    with pytest.raises(ValueError, match="'target'"):
        getattr(lossx, name)(np.full((2, 3), 0.5), np.full((2, 1), 0.5))


@pytest.mark.parametrize("name", ["binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy",
                                  "nll_loss"])
def test_batchmean_only_for_kl_div(name):
    x = np.full((2, 3), 0.5)
    y = [0, 1] if name in ("cross_entropy", "nll_loss") else x
    with pytest.raises(ValueError, match="'reduction'"):
        getattr(lossx, name)(x, y, reduction="batchmean")


def test_bce_target_float_dtype_strict():
    with pytest.raises(TypeError, match="'target'"):
        lossx.binary_cross_entropy(np.full(3, 0.5, np.float32), np.full(3, 0.5))
    # Integer labels are converted exactly (tests/test_label_targets.py), lists to the input's dtype.
    assert lossx.binary_cross_entropy(np.full(3, 0.5), np.ones(3, np.int64)).dtype == np.float64
    assert lossx.binary_cross_entropy(np.full(3, 0.5, np.float32), [0, 1, 1]).dtype == np.float32


# ====================================================================== binary_cross_entropy_with_logits

@pytest.mark.parametrize("dtype", DTYPES)
def test_bce_with_logits_large_logits(dtype):
    x = np.array([1e4, -1e4, 1e4, -1e4], dtype)
    y = np.array([0, 1, 1, 0], dtype)
    loss, grad = lossx.binary_cross_entropy_with_logits_with_grad(x, y, reduction="none")
    np.testing.assert_array_equal(loss, np.array([1e4, 1e4, 0, 0], dtype))
    np.testing.assert_array_equal(grad, np.array([1, -1, 0, 0], dtype))
    loss, grad = lossx.binary_cross_entropy_with_logits_with_grad(x, y, reduction="none",
                                                                   pos_weight=np.array([3.0]))
    np.testing.assert_array_equal(loss, np.array([1e4, 3e4, 0, 0], dtype))
    np.testing.assert_array_equal(grad, np.array([1, -3, 0, 0], dtype))


def test_bce_with_logits_known_value():
    got = lossx.binary_cross_entropy_with_logits([0.3], [0.4], pos_weight=[3.0])
    assert float(got) == pytest.approx(1.177839440043349, rel=1e-14)


def test_bce_with_logits_pos_weight_per_column(rng):
    x = rng.standard_normal((5, 3))
    y = rng.integers(0, 2, (5, 3)).astype(np.float64)
    pw = np.array([0.5, 2.0, 4.0])
    none = lossx.binary_cross_entropy_with_logits(x, y, reduction="none", pos_weight=pw)
    for c in range(3):
        np.testing.assert_allclose(
            none[:, c],
            lossx.binary_cross_entropy_with_logits(x[:, c], y[:, c], reduction="none", pos_weight=pw[c]),
            rtol=1e-15)
    sig = 1 / (1 + np.exp(-x))
    want = pw * y * -np.log(sig) + (1 - y) * -np.log(1 - sig)
    np.testing.assert_allclose(none, want, rtol=1e-12)
    for bad in (np.ones(5), np.ones((2, 3)), np.ones((5, 3, 1))):
        with pytest.raises(ValueError, match="'pos_weight'"):
            lossx.binary_cross_entropy_with_logits(x, y, pos_weight=bad)


def test_bce_with_logits_keyword_only():
    with pytest.raises(TypeError):
        lossx.binary_cross_entropy_with_logits(np.zeros(2), np.zeros(2), None, "sum")


# ====================================================================== kl_div

def test_kl_div_pointwise_semantics():
    x = np.array([-inf, 1.0, 2.0, -1.0, -1.0])
    t = np.array([0.0, 0.0, -1.0, 2.0, nan])
    loss, grad = lossx.kl_div_with_grad(x, t, reduction="none")
    assert np.isnan(loss[0])  # 0·log 0 - 0·(-inf): nan, as in PyTorch
    assert loss[1] == 0       # t = 0: no contribution
    assert np.isnan(loss[2])  # t < 0: nan
    assert loss[3] == pytest.approx(2 * math.log(2) + 2)
    assert np.isnan(loss[4])
    np.testing.assert_array_equal(grad[:4], -t[:4])
    loss, grad = lossx.kl_div_with_grad([-1.0], [-2.0], reduction="none", log_target=True)
    assert loss[0] == pytest.approx(-0.1353352832366127, rel=1e-14)
    assert grad[0] == pytest.approx(-math.exp(-2), rel=1e-14)


def test_kl_div_float32_log_and_exp_edges():
    # float32 runs lossx's division-free log / exp polynomials: a few ulp from float64, with the
    # special values of log (t = 0, inf, nan) and exp (overflow to inf, 0 far below) intact.
    f32 = np.float32
    t = np.array([0.0, 1e-45, 1e-38, 1e-20, 0.25, 1.0, 3.0, 1e30, np.inf, np.nan, -1.0], dtype=f32)
    x = np.full_like(t, -0.5)
    loss, grad = lossx.kl_div_with_grad(x, t, reduction="none")
    t64 = t.astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        want = np.where(t64 == 0, 0.0, t64 * np.log(t64)) + 0.5 * t64
    np.testing.assert_allclose(loss, want.astype(f32), rtol=4e-7, atol=1e-44)
    np.testing.assert_array_equal(grad, -t)
    lt = np.array([-np.inf, -200.0, -87.0, -1.0, 0.0, 1.0, 50.0, 88.0, 88.8, np.inf, np.nan], dtype=f32)
    xl = np.full_like(lt, 0.25)
    loss, grad = lossx.kl_div_with_grad(xl, lt, reduction="none", log_target=True)
    lt64 = lt.astype(np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        e = np.exp(lt64)
        e = np.where(e > np.finfo(f32).max, np.inf, e)
        want, want_grad = (e * (lt64 - 0.25)).astype(f32), (-e).astype(f32)
    np.testing.assert_allclose(loss, want, rtol=4e-7, atol=0)
    np.testing.assert_allclose(grad, want_grad, rtol=4e-7, atol=0)
    assert grad[lt == f32(88.8)][0] == -np.inf and loss[-2] == np.inf and np.isnan(grad[-1])


@pytest.mark.parametrize("n", [1, 17, 1025, 16385, 40_003])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_kl_div_fused_loop_gives_the_separate_bits(n, dtype):
    # loss (or sum) and gradient in one loop (detail::elementwise_fused): the bits of a forward and
    # a backward alone, every reduction (batchmean too), both targets, 1 and 2 threads
    rng = np.random.default_rng(n)
    x = (rng.standard_normal(n) * 3).astype(dtype)
    t = rng.random(n).astype(dtype)
    t[::7] = 0
    before = lossx.get_num_threads()
    try:
        for lt in (False, True):
            tt = np.log(t + dtype(1e-3)).astype(dtype) if lt else t
            for red in ("mean", "sum", "none", "batchmean"):
                lossx.set_num_threads(1)
                loss, grad = lossx.kl_div_with_grad(x, tt, reduction=red, log_target=lt)
                np.testing.assert_array_equal(loss, lossx.kl_div(x, tt, reduction=red, log_target=lt))
                np.testing.assert_array_equal(grad, lossx.kl_div_backward(np.ones_like(loss), x, tt, reduction=red,
                                                                          log_target=lt))
                lossx.set_num_threads(2)
                l2, g2 = lossx.kl_div_with_grad(x, tt, reduction=red, log_target=lt)
                np.testing.assert_array_equal(l2, loss)
                np.testing.assert_array_equal(g2, grad)
    finally:
        lossx.set_num_threads(before)


@pytest.mark.requires_torch
def test_kl_div_pointwise_matches_torch():
    import torch
    x = np.array([-inf, 1.0, 2.0, -1.0, 0.5])
    t = np.array([0.0, 0.0, -1.0, 2.0, 0.25])
    tx = torch.from_numpy(x.copy()).requires_grad_(True)
    tout = torch.nn.functional.kl_div(tx, torch.from_numpy(t), reduction="none")
    tout.sum().backward()
    loss, grad = lossx.kl_div_with_grad(x, t, reduction="none")
    np.testing.assert_array_equal(np.isnan(loss), np.isnan(tout.detach().numpy()))
    np.testing.assert_allclose(loss, tout.detach().numpy(), rtol=1e-15)
    np.testing.assert_array_equal(grad, tx.grad.numpy())


def test_kl_div_reductions(rng):
    x = rng.standard_normal((4, 5))
    t = rng.random((4, 5))
    s = float(lossx.kl_div(x, t, reduction="sum"))
    assert float(lossx.kl_div(x, t, reduction="mean")) == pytest.approx(s / 20, rel=1e-14)
    assert float(lossx.kl_div(x, t, reduction="batchmean")) == pytest.approx(s / 4, rel=1e-14)
    assert float(lossx.kl_div_backward(1.0, x, t, reduction="batchmean")[0, 0]) == pytest.approx(-t[0, 0] / 4)
    # 0-d input: 'batchmean' is the sum.
    assert float(lossx.kl_div(np.float64(0.5), np.float64(0.3), reduction="batchmean")) == pytest.approx(
        0.3 * math.log(0.3) - 0.15)
    # 'mean' gives PyTorch's value and, unlike PyTorch, no warning (warnings are errors here).
    lossx.kl_div(x, t)
    with pytest.raises(ValueError, match="'reduction'"):
        lossx.kl_div(x, t, reduction="avg")


def test_kl_div_keyword_only():
    with pytest.raises(TypeError):
        lossx.kl_div(np.zeros(2), np.zeros(2), "sum")


@pytest.mark.parametrize("name,x,y", [
    ("binary_cross_entropy", 0.25, 1.0),
    ("binary_cross_entropy_with_logits", -0.5, 1.0),
    ("kl_div", -0.5, 0.25),
])
def test_elementwise_zero_dim(name, x, y):
    f = getattr(lossx, name)
    for r in ("none", "mean", "sum"):
        got = f(np.float64(x), np.float64(y), reduction=r)
        assert got.shape == ()
        np.testing.assert_allclose(got, f(np.array([x]), np.array([y]), reduction="sum"), rtol=1e-15)
    loss, grad = getattr(lossx, name + "_with_grad")(np.float64(x), np.float64(y), reduction="none")
    assert loss.shape == () and grad.shape == ()


def test_bce_with_logits_accuracy_far_in_the_tails():
    """log σ(x) for large |x| keeps its relative accuracy (the loss is tiny but not 0)."""
    x = np.array([20.0, 40.0, 80.0, -20.0])
    y = np.array([1.0, 1.0, 1.0, 0.0])
    got = lossx.binary_cross_entropy_with_logits(x, y, reduction="none")
    np.testing.assert_allclose(got, np.log1p(np.exp(-np.abs(x))), rtol=1e-14)
    got32 = lossx.binary_cross_entropy_with_logits(x.astype(np.float32), y.astype(np.float32), reduction="none")
    np.testing.assert_allclose(got32, np.log1p(np.exp(-np.abs(x))), rtol=1e-6)


# ====================================================================== regressions (issue 8, "Defects found")
def test_bce_backward_clamp_is_pytorchs_float_epsilon():
    """PyTorch clamps x(1-x) at float(1e-12) = 9.99999996e-13, in float64 too."""
    eps = float(np.float32(1e-12))
    x = np.array([1e-13, 5e-13, 1 - 1e-13, 0.3])
    y = np.array([1.0, 1.0, 0.0, 1.0])
    got = lossx.binary_cross_entropy_backward(1.0, x, y, reduction="sum")
    want = (x - y) / np.maximum(x * (1 - x), eps)
    np.testing.assert_array_equal(got, want)
    assert got[0] != (x[0] - y[0]) / 1e-12  # not the exact 1e-12


@pytest.mark.requires_torch
def test_bce_backward_clamp_matches_torch():
    import torch
    x = np.array([0.0, 1e-13, 5e-13, 1 - 1e-13, 1.0, 0.3])
    y = np.array([1.0, 1.0, 1.0, 0.0, 0.0, 1.0])
    tx = torch.tensor(x, requires_grad=True)
    torch.nn.functional.binary_cross_entropy(tx, torch.tensor(y), reduction="sum").backward()
    np.testing.assert_array_equal(lossx.binary_cross_entropy_backward(1.0, x, y, reduction="sum"), tx.grad.numpy())


@pytest.mark.parametrize("dtype", DTYPES)
def test_cross_entropy_smoothing_zero_total_weight_is_nan(dtype):
    """'mean' with label smoothing and Σ w_y = 0: PyTorch divides each part by 0 and gets nan, not inf."""
    x = np.zeros((1, 2), dtype)
    y = np.array([0])
    w = np.array([0.0, 1.0], dtype)
    assert np.isnan(lossx.cross_entropy(x, y, w, label_smoothing=0.1))
    assert np.isnan(lossx.cross_entropy(x, y, w, label_smoothing=0.0))
    assert np.all(np.isnan(lossx.cross_entropy_backward(1.0, x, y, w, label_smoothing=0.1)))
    # 'sum' is the plain sum (finite)
    assert np.isfinite(lossx.cross_entropy(x, y, w, label_smoothing=0.1, reduction="sum"))


@pytest.mark.requires_torch
def test_cross_entropy_smoothing_zero_total_weight_matches_torch():
    import torch
    x = np.array([[0.5, -1.0], [0.2, 0.3]])
    y = np.array([0, 0])
    w = np.array([0.0, 1.0])
    tx = torch.tensor(x, requires_grad=True)
    out = torch.nn.functional.cross_entropy(tx, torch.tensor(y), torch.tensor(w), label_smoothing=0.1)
    out.backward()
    np.testing.assert_array_equal(lossx.cross_entropy(x, y, w, label_smoothing=0.1), out.detach().numpy())
    np.testing.assert_array_equal(lossx.cross_entropy_backward(1.0, x, y, w, label_smoothing=0.1), tx.grad.numpy())


# ---------------------------------------------------------------- partial sums of cross_entropy / nll_loss


def _class_index_batch(rng, shape=(41, 7, 3)):
    """Logits (N, C, d), targets with ignored positions, and a class weight with a zero entry."""
    x = rng.standard_normal(shape) * 3
    y = rng.integers(0, shape[1], (shape[0],) + shape[2:])
    y[rng.random(y.shape) < 0.25] = 3  # ignore_index=3 is also a valid class
    w = rng.random(shape[1]) + 0.1
    w[5] = 0.0
    return x, y, w


@pytest.mark.parametrize("name,kwargs", [
    ("cross_entropy", dict(ignore_index=3, label_smoothing=0.15)),
    ("cross_entropy", dict(ignore_index=3)),
    ("nll_loss", dict(ignore_index=3)),
])
@pytest.mark.parametrize("shape", [(41, 7, 3), (41, 70)])  # lane-major tiles; wide rows
def test_class_index_partial_is_weighted_total_and_weight(name, kwargs, shape, rng):
    """(Σ w_y·ℓ, Σ w_y over targets not ignored); uneven chunks (1 row, prime, rest) rebuild 'mean',
    'sum' and the whole-batch gradient, with weights, ignore_index and label smoothing."""
    x, y, w = _class_index_batch(rng, shape)
    f = getattr(lossx, name)
    total, denom = getattr(lossx, name + "_partial")(x, y, w, **kwargs)
    assert denom == pytest.approx(w[y[y != 3]].sum(), rel=1e-14)
    assert total == pytest.approx(float(f(x, y, w, reduction="sum", **kwargs)), rel=1e-13)
    bounds = [0, 1, 2, 9, 22, 41]
    chunks = [(x[a:b], y[a:b]) for a, b in zip(bounds, bounds[1:])]
    parts = [getattr(lossx, name + "_partial")(xc, yc, w, **kwargs) for xc, yc in chunks]
    t = sum(p[0] for p in parts)
    d = sum(p[1] for p in parts)
    np.testing.assert_allclose(t / d, f(x, y, w, **kwargs), rtol=1e-12)
    np.testing.assert_allclose(t, f(x, y, w, reduction="sum", **kwargs), rtol=1e-12)
    g = 0.7
    want = getattr(lossx, name + "_backward")(g, x, y, w, **kwargs)
    got = np.concatenate([getattr(lossx, name + "_partial_backward")(g / d, xc, yc, w, **kwargs)
                          for xc, yc in chunks])
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


def test_cross_entropy_partial_of_an_all_ignored_chunk_is_zero(rng):
    """A chunk whose targets are all ignored adds (0, 0): the global mean stays finite."""
    x, y, w = _class_index_batch(rng, (5, 7))
    y[:2] = -100
    t0, d0 = lossx.cross_entropy_partial(x[:2], y[:2], w, label_smoothing=0.1)
    assert (t0, d0) == (0.0, 0.0)
    t1, d1 = lossx.cross_entropy_partial(x[2:], y[2:], w, label_smoothing=0.1)
    np.testing.assert_allclose((t0 + t1) / (d0 + d1), lossx.cross_entropy(x, y, w, label_smoothing=0.1), rtol=1e-13)


def test_cross_entropy_probs_partial_counts_rows(rng):
    x = rng.standard_normal((6, 4, 5))
    p = rng.random((6, 4, 5))
    total, denom = lossx.cross_entropy_partial(x, p, label_smoothing=0.2)
    assert denom == 30.0
    np.testing.assert_allclose(total / denom, lossx.cross_entropy(x, p, label_smoothing=0.2), rtol=1e-14)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_has_no_partial(name):
    assert not hasattr(lossx, name + "_partial")
    assert name + "_partial" not in lossx.__all__


def test_one_hot_integer_targets_say_what_to_do():
    x = np.zeros((4, 5), np.float32)
    with pytest.raises(TypeError, match=r"'target' has the input's shape \(4, 5\).*float.*argmax"):
        lossx.cross_entropy(x, np.eye(5, dtype=np.int64)[:4])
    with pytest.raises(TypeError, match="probability"):
        lossx.cross_entropy(x, np.eye(5, dtype=bool)[:4])


@pytest.mark.parametrize("name,make", [
    ("softmax", lambda x: lossx.softmax(x, 1)),
    ("cross_entropy", lambda x: lossx.cross_entropy(x, np.zeros(x.shape[0], np.int64), reduction="none")),
    ("kl_div", lambda x: lossx.kl_div(x, np.full_like(x, 0.5), reduction="none")),
    ("bce_with_logits", lambda x: lossx.binary_cross_entropy_with_logits(x, np.full_like(x, 0.5), reduction="none")),
    ("poisson_nll", lambda x: lossx.poisson_nll_loss(x, np.full_like(x, 2.0), reduction="none")),
    ("soft_margin", lambda x: lossx.soft_margin_loss(x, np.ones_like(x), reduction="none")),
])
@pytest.mark.parametrize("dtype", DTYPES)
def test_nan_inputs_propagate_through_exp(name, make, dtype):
    """NaN reaches vexp (once undefined behaviour in its integer part): rows/elements with NaN give NaN."""
    x = np.array([[np.nan, 0.5, 1.0], [0.1, 0.2, 0.3], [np.inf, -np.inf, 0.0]], dtype)
    out = np.asarray(make(x))
    if name == "softmax":
        assert np.all(np.isnan(out[0])) and np.all(np.isfinite(out[1]))
    elif name == "cross_entropy":
        assert np.isnan(out[0]) and np.isfinite(out[1])
    else:
        assert np.isnan(out[0, 0]) and np.all(np.isfinite(out[1]))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bce_hard_labels_take_one_log_with_the_same_values(dtype, rng):
    """Unweighted binary_cross_entropy takes one log per element in a 1024-element sub-chunk whose
    targets are all 0 or 1: the values equal the two-log path's (forced by one soft target in that
    sub-chunk), and match the float64 reference, edge probabilities included."""
    n = 2048
    x = rng.random(n).astype(dtype)
    x[:6] = [0.0, 1.0, 1e-30, 1 - 1e-7, 0.5, 1e-3]
    y = (rng.random(n) < 0.4).astype(dtype)
    y[:6] = [0, 1, 0, 1, 1, 0]
    soft = y.copy()
    soft[-1] = 0.5  # the second sub-chunk now takes the two-log path
    hard_loss = lossx.binary_cross_entropy(x, y, reduction="none")
    soft_loss = lossx.binary_cross_entropy(x, soft, reduction="none")
    np.testing.assert_array_equal(hard_loss[1024:-1], soft_loss[1024:-1])
    x64 = x.astype(np.float64)
    with np.errstate(divide="ignore"):
        want = -(y * np.maximum(np.log(x64), -100) + (1 - y) * np.maximum(np.log1p(-x64), -100))
    np.testing.assert_allclose(hard_loss, want, rtol=1e-6 if dtype == np.float32 else 1e-14, atol=0)
    g = lossx.binary_cross_entropy_with_grad(x, y)
    np.testing.assert_allclose(g[0], want.mean(), rtol=1e-6 if dtype == np.float32 else 1e-14)
