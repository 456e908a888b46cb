"""Regression losses: semantics specific to each loss, PyTorch's edge-case choices, bad inputs.

The generic checks (reference per dtype and reduction, finite differences,
threads, strides, empty batches, PyTorch) run on the cases in cases_regression.py.
"""

from __future__ import annotations

import inspect
import math

import numpy as np
import pytest

import lossx
from reference import regression as ref

DTYPES = [np.float32, np.float64]
REDUCTIONS = ["none", "mean", "sum"]


# ---------------------------------------------------------------- values from the docs / TORCH-SEMANTICS

@pytest.mark.parametrize("dtype", DTYPES)
def test_tutorial_values(dtype):
    pred = np.array([1, 2, 3, 4], dtype)
    target = np.array([1.5, 2.5, 3.5, 4.5], dtype)
    assert lossx.l1_loss(pred, target) == dtype(0.5)
    assert lossx.mse_loss(pred, target) == dtype(0.25)
    assert lossx.l1_loss(pred, target).dtype == dtype


def test_l1_mse_weighted_mean_divides_by_weight_sum():
    x, y, w = np.array([1.0, 2.0]), np.zeros(2), np.array([1.0, 3.0])
    assert lossx.l1_loss(x, y, weight=w) == 1.75  # (1·1 + 3·2) / 4
    assert lossx.mse_loss(x, y, weight=w) == 3.25  # (1·1 + 3·4) / 4
    assert lossx.l1_loss(x, y, weight=w, reduction="sum") == 7.0
    np.testing.assert_array_equal(lossx.l1_loss(x, y, weight=w, reduction="none"), [1.0, 6.0])
    # Gradient of Σ w·|d| / Σ w.
    np.testing.assert_allclose(lossx.l1_loss_backward(1.0, x, y, weight=w), [0.25, 0.75], rtol=1e-15)
    np.testing.assert_allclose(lossx.mse_loss_backward(1.0, x, y, weight=w), [0.5, 3.0], rtol=1e-15)


def test_huber_weighted_mean_divides_by_count():
    x, y = np.array([1.0, 3.0]), np.zeros(2)
    assert lossx.huber_loss(x, y, delta=5.0, weight=np.ones(2)) == 2.5  # (0.5 + 4.5) / 2
    # With unequal weights the two rules differ: mean(w·l) = (0.5 + 3·4.5)/2 = 7, not 14/4.
    w = np.array([1.0, 3.0])
    assert lossx.huber_loss(x, y, delta=5.0, weight=w) == 7.0
    np.testing.assert_allclose(lossx.huber_loss_backward(1.0, x, y, delta=5.0, weight=w), [0.5, 4.5], rtol=1e-15)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("r", REDUCTIONS)
def test_smooth_l1_beta0_is_l1_bitwise(dtype, r, rng):
    x = rng.standard_normal((50, 7)).astype(dtype)
    y = rng.standard_normal((50, 7)).astype(dtype)
    y[0, :3] = x[0, :3]  # d = 0 exactly
    g = np.asarray(rng.random((50, 7)) if r == "none" else rng.random()).astype(dtype)
    np.testing.assert_array_equal(lossx.smooth_l1_loss(x, y, reduction=r, beta=0.0), lossx.l1_loss(x, y, reduction=r))
    np.testing.assert_array_equal(lossx.smooth_l1_loss_backward(g, x, y, reduction=r, beta=0.0),
                                  lossx.l1_loss_backward(g, x, y, reduction=r))
    for a, b in zip(lossx.smooth_l1_loss_with_grad(x, y, reduction=r, beta=0.0, grad_output=g),
                    lossx.l1_loss_with_grad(x, y, reduction=r, grad_output=g)):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("delta", [0.3, 1.0, 2.0])
def test_huber_is_delta_times_smooth_l1(delta, rng):
    x, y = rng.standard_normal((40, 3)) * 3, rng.standard_normal((40, 3))
    for r in REDUCTIONS:
        np.testing.assert_allclose(lossx.huber_loss(x, y, r, delta),
                                   delta * lossx.smooth_l1_loss(x, y, reduction=r, beta=delta), rtol=1e-14)
    np.testing.assert_allclose(lossx.huber_loss_backward(1.0, x, y, delta=delta),
                               delta * lossx.smooth_l1_loss_backward(1.0, x, y, beta=delta), rtol=1e-14)


@pytest.mark.parametrize("dtype", DTYPES)
def test_kink_subgradients(dtype):
    """PyTorch's choices where the loss is not differentiable, with exact inputs."""
    y = np.zeros(5, dtype)
    # l1: sign(0) = 0.
    x = np.array([0.0, -0.0, 1.0, -1.0, 2.0], dtype)
    np.testing.assert_array_equal(lossx.l1_loss_backward(np.ones(5, dtype), x, y, reduction="none"),
                                  [0, 0, 1, -1, 1])
    # smooth_l1 at |d| == beta: value 0.5·beta, gradient ±1.
    x = np.array([1.0, -1.0, 0.5, -2.0, 0.0], dtype)
    np.testing.assert_array_equal(lossx.smooth_l1_loss(x, y, reduction="none"), [0.5, 0.5, 0.125, 1.5, 0.0])
    np.testing.assert_array_equal(lossx.smooth_l1_loss_backward(np.ones(5, dtype), x, y, reduction="none"),
                                  [1, -1, 0.5, -1, 0])
    # huber at |d| == delta: value 0.5·delta², gradient ±delta.
    x = np.array([2.0, -2.0, 1.0, -3.0, 0.0], dtype)
    np.testing.assert_array_equal(lossx.huber_loss(x, y, "none", 2.0), [2.0, 2.0, 0.5, 4.0, 0.0])
    np.testing.assert_array_equal(lossx.huber_loss_backward(np.ones(5, dtype), x, y, "none", 2.0),
                                  [2, -2, 1, -2, 0])


def test_nan_gradients_follow_pytorch():
    x, y = np.array([np.nan, np.inf]), np.zeros(2)
    ones = np.ones(2)
    np.testing.assert_array_equal(lossx.l1_loss_backward(ones, x, y, reduction="none"), [0.0, 1.0])
    np.testing.assert_array_equal(lossx.smooth_l1_loss_backward(ones, x, y, reduction="none"), [np.nan, 1.0])
    np.testing.assert_array_equal(lossx.huber_loss_backward(ones, x, y, reduction="none"), [np.nan, 1.0])
    assert np.isnan(lossx.l1_loss(x, y))


# ---------------------------------------------------------------- poisson_nll_loss

def test_poisson_values():
    got = lossx.poisson_nll_loss([0.0], [2.0], log_input=False)
    assert math.isclose(float(got), -2 * math.log(1e-8), rel_tol=1e-15)
    assert round(float(got), 5) == 36.84136
    # full: Stirling's term only where y > 1.
    assert math.isclose(float(lossx.poisson_nll_loss([0.5], [1.0], full=True)), math.exp(0.5) - 0.5, rel_tol=1e-15)
    assert math.isclose(float(lossx.poisson_nll_loss([0.5], [2.0], full=True)), 1.3005277553046641, rel_tol=1e-15)
    assert float(lossx.poisson_nll_loss([0.5], [0.0], full=True)) == float(lossx.poisson_nll_loss([0.5], [0.0]))
    # The gradient is w.r.t. the input only, and not affected by full.
    g = lossx.poisson_nll_loss_backward(1.0, [0.5, 0.5], [0.0, 3.0], full=True, reduction="sum")
    np.testing.assert_allclose(g, [math.exp(0.5), math.exp(0.5) - 3.0], rtol=1e-15)


def test_poisson_rate_gradient_at_zero_is_huge_not_inf():
    g = lossx.poisson_nll_loss_backward(1.0, [0.0], [2.0], log_input=False, reduction="sum")
    np.testing.assert_allclose(g, [1 - 2 / 1e-8], rtol=1e-15)
    g = lossx.poisson_nll_loss_backward(1.0, [0.0], [2.0], False, eps=1e-2, reduction="sum")
    np.testing.assert_allclose(g, [1 - 2 / 1e-2], rtol=1e-15)


def test_poisson_float32_exp_over_the_whole_range():
    # log_input: exp(x) for any float32 x (a polynomial exp with the exponent added in the bits):
    # within a few ulp of float64 exp where finite, inf where float32 exp overflows (from the
    # float nearest ln(FLT_MAX) up), 0 below ln(FLT_MIN), nan stays nan.
    f32 = np.float32
    x = np.array([-np.inf, -1e30, -200.0, -104.0, -87.4, -87.33, -50.0, -1.0, -1e-3, -0.0, 0.0, 1e-3, 0.5,
                  1.0, 10.0, 40.0, 80.0, 88.0, 88.72283, 88.72284, 88.8, 100.0, 1e30, np.inf, np.nan],
                 dtype=f32)
    y = np.full_like(x, 0.5)
    loss, grad = lossx.poisson_nll_loss_with_grad(x, y, reduction="none")
    with np.errstate(invalid="ignore", over="ignore"):
        e = np.exp(x.astype(np.float64))
        want_exp = np.where(x.astype(np.float64) < np.log(np.finfo(f32).tiny), 0.0, e)  # lossx: no subnormal exp
        want_exp = np.where(want_exp > np.finfo(f32).max, np.inf, want_exp)
        want_grad = (want_exp - 0.5).astype(f32)
        want_loss = (want_exp - 0.5 * x.astype(np.float64)).astype(f32)
    assert loss.dtype == grad.dtype == f32
    np.testing.assert_allclose(grad, want_grad, rtol=4e-7, atol=0)
    np.testing.assert_allclose(loss, want_loss, rtol=4e-7, atol=0)
    assert grad[x == f32(88.72284)][0] == np.inf and np.isfinite(grad[x == f32(88.72283)][0])
    assert np.isnan(loss[x == np.inf][0])  # inf - 0.5·inf, as in PyTorch
    assert np.isnan(loss[-1]) and np.isnan(grad[-1])
    # dense: every exp in [-87, 88] within 2 ulp of float64's (the loss's gradient + y is exp(x))
    xs = np.linspace(-87.0, 88.0, 200_001, dtype=f32)
    g = lossx.poisson_nll_loss_backward(np.ones_like(xs), xs, np.zeros_like(xs), reduction="none")
    ref_e = np.exp(xs.astype(np.float64))
    assert np.max(np.abs(g - ref_e) / np.spacing(ref_e.astype(f32))) <= 2.0


@pytest.mark.parametrize("n", [1, 17, 1025, 16385, 40_003])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_poisson_fused_loop_gives_the_separate_bits(n, dtype):
    # the loss, its sum and the gradient come from one loop (detail::elementwise_fused): the same
    # bits as a forward and a backward alone, for every reduction, across sub-chunk (1024) and
    # block (16384) edges, at 1 and 2 threads
    rng = np.random.default_rng(n)
    x = (rng.standard_normal(n) * 3).astype(dtype)
    y = np.abs(rng.standard_normal(n)).astype(dtype)
    before = lossx.get_num_threads()
    try:
        for full in (False, True):
            for red in ("mean", "sum", "none"):
                go = rng.standard_normal(n).astype(dtype) if red == "none" else dtype(1.7)
                lossx.set_num_threads(1)
                loss, grad = lossx.poisson_nll_loss_with_grad(x, y, full=full, reduction=red)
                g2 = lossx.poisson_nll_loss_backward(go, x, y, full=full, reduction=red)
                np.testing.assert_array_equal(loss, lossx.poisson_nll_loss(x, y, full=full, reduction=red))
                np.testing.assert_array_equal(grad, lossx.poisson_nll_loss_backward(np.ones_like(loss), x, y, full=full,
                                                                                     reduction=red))
                lossx.set_num_threads(2)
                l2, gr2 = lossx.poisson_nll_loss_with_grad(x, y, full=full, reduction=red)
                np.testing.assert_array_equal(l2, loss)
                np.testing.assert_array_equal(gr2, grad)
                np.testing.assert_array_equal(lossx.poisson_nll_loss_backward(go, x, y, full=full, reduction=red), g2)
    finally:
        lossx.set_num_threads(before)


# ---------------------------------------------------------------- gaussian_nll_loss

def _sum_to(g, shape):
    """Sums a dense (input-shaped) var gradient over the dims a var of `shape` is broadcast along."""
    v_nd = shape + (1,) * (g.ndim - len(shape))  # (N,) for (N, D) is unsqueezed to (N, 1)
    axes = tuple(k for k in range(g.ndim) if v_nd[k] == 1 and g.shape[k] != 1)
    return g.sum(axis=axes, keepdims=True).reshape(shape)


@pytest.mark.parametrize("var_shape", [(4, 3), (4,), (4, 1), (1, 3)])
def test_gaussian_var_shapes_accepted(var_shape, rng):
    x, y = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    v = rng.random(var_shape) + 0.5
    dense = np.broadcast_to(v[:, None] if v.ndim == 1 else v, (4, 3)).copy()
    np.testing.assert_allclose(lossx.gaussian_nll_loss(x, y, v, reduction="none"),
                               0.5 * (np.log(dense) + (x - y) ** 2 / dense), rtol=1e-14)
    gx, gv = lossx.gaussian_nll_loss_backward(1.0, x, y, v, reduction="sum")
    assert gx.shape == (4, 3) and gv.shape == var_shape
    # The var gradient is the dense one summed over the elements each variance is broadcast to.
    gxd, gd = lossx.gaussian_nll_loss_backward(1.0, x, y, dense, reduction="sum")
    np.testing.assert_array_equal(gx, gxd)
    np.testing.assert_allclose(gv, _sum_to(gd, var_shape), rtol=1e-13)


@pytest.mark.parametrize("var_shape", [(3,), (1, 1), (1,), (), (4, 3, 1), (2, 3), (4, 1, 1), (0, 1)])
def test_gaussian_var_shapes_rejected(var_shape):
    with pytest.raises(ValueError, match="'var'"):
        lossx.gaussian_nll_loss(np.zeros((4, 3)), np.zeros((4, 3)), np.ones(var_shape))


def test_gaussian_var_shapes_1d_and_kdim(rng):
    x, y = rng.standard_normal(5), rng.standard_normal(5)
    for s in [(), (1,), (5,)]:  # () is the input's shape without its last dim
        np.testing.assert_allclose(lossx.gaussian_nll_loss(x, y, np.full(s, 2.0)),
                                   lossx.gaussian_nll_loss(x, y, np.full(5, 2.0)), rtol=1e-15)
    x, y = rng.standard_normal((2, 3, 4, 5)), rng.standard_normal((2, 3, 4, 5))
    v = rng.random((2, 1, 4, 5)) + 0.5
    np.testing.assert_allclose(lossx.gaussian_nll_loss(x, y, v, reduction="none"),
                               ref.gaussian_nll_loss(x, y, v, reduction="none"), rtol=1e-14)
    _, gv = lossx.gaussian_nll_loss_backward(1.0, x, y, v, reduction="sum")
    _, gd = lossx.gaussian_nll_loss_backward(1.0, x, y, np.broadcast_to(v, x.shape).copy(), reduction="sum")
    np.testing.assert_allclose(gv, _sum_to(gd, v.shape), rtol=1e-13)


@pytest.mark.parametrize("dtype", DTYPES)
def test_gaussian_python_float_var(dtype, rng):
    x, y = rng.standard_normal((6, 3)).astype(dtype), rng.standard_normal((6, 3)).astype(dtype)
    dense = np.full((6, 3), 0.7, dtype)
    for r in REDUCTIONS:
        np.testing.assert_array_equal(lossx.gaussian_nll_loss(x, y, 0.7, reduction=r),
                                      lossx.gaussian_nll_loss(x, y, dense, reduction=r))
    gx, gv = lossx.gaussian_nll_loss_backward(dtype(1), x, y, 0.7, reduction="mean")
    gxd, gvd = lossx.gaussian_nll_loss_backward(dtype(1), x, y, dense, reduction="mean")
    np.testing.assert_array_equal(gx, gxd)
    assert gv.shape == () and gv.dtype == dtype
    np.testing.assert_allclose(gv, gvd.astype(np.float64).sum(), rtol=1e-6 if dtype == np.float32 else 1e-13)
    # NumPy float64 scalars are Python floats (as in PyTorch's isinstance check).
    np.testing.assert_array_equal(lossx.gaussian_nll_loss(x, y, np.float64(0.7)), lossx.gaussian_nll_loss(x, y, 0.7))


def test_gaussian_int_var_is_type_error_like_pytorch():
    # PyTorch 2.13 accepts a tensor or a Python float; F.gaussian_nll_loss(x, y, 2)
    # raises TypeError (from torch.any(bool)). lossx raises it with a clear message.
    x = np.zeros((2, 3))
    for bad in (2, True):
        with pytest.raises(TypeError, match="'var'"):
            lossx.gaussian_nll_loss(x, x, bad)
    # Integer *arrays* are parameters like any other: converted to the input's dtype.
    np.testing.assert_array_equal(lossx.gaussian_nll_loss(x, x, np.full((2, 3), 2)),
                                  lossx.gaussian_nll_loss(x, x, np.full((2, 3), 2.0)))


def test_gaussian_negative_var():
    x = np.zeros((2, 3))
    with pytest.raises(ValueError, match=r"'var' must be >= 0.*-1.*flat position 4"):
        lossx.gaussian_nll_loss(x, x, np.array([[1.0, 1.0, 0.0], [1.0, -1.0, 2.0]]))
    with pytest.raises(ValueError, match="'var'"):
        lossx.gaussian_nll_loss(x, x, -0.5)
    with pytest.raises(ValueError, match="'var'"):
        lossx.gaussian_nll_loss_backward(1.0, x, x, np.array([1.0, -1e-30]))
    # nan is not negative: it propagates, as in PyTorch.
    assert np.isnan(lossx.gaussian_nll_loss(x, x, np.full(2, np.nan)))


def test_gaussian_clamp_value_and_gradient_passthrough():
    assert float(lossx.gaussian_nll_loss([1.0], [0.0], [0.0])) == pytest.approx(499993.092244721, rel=1e-15)
    # Below eps, the var gradient is 0.5·(1/eps − d²/eps²) (the clamp passes it through), not 0.
    eps = 1e-6
    _, gv = lossx.gaussian_nll_loss_backward(1.0, [1.0], [0.0], [1e-8])
    np.testing.assert_allclose(gv, [0.5 * (1 / eps - 1 / eps**2)], rtol=1e-14)
    assert gv[0] == pytest.approx(-4.999995e11, rel=1e-12)
    gx, _ = lossx.gaussian_nll_loss_backward(1.0, [1.0], [0.0], [1e-8])
    np.testing.assert_allclose(gx, [1 / eps], rtol=1e-14)
    # full adds 0.5·log(2π) per element; eps is the clamp.
    assert float(lossx.gaussian_nll_loss([1.0], [0.0], [0.0], True, 0.5)) == pytest.approx(
        0.5 * (math.log(0.5) + 2.0) + 0.5 * math.log(2 * math.pi), rel=1e-15)


@pytest.mark.parametrize("var_shape", [None, (2, 1, 1), (2, 30000)])
def test_gaussian_var_gradient_chunked_is_thread_independent(var_shape, rng):
    """Var elements broadcast over > 16384 inputs: chunked partial sums, bitwise equal for any thread count."""
    x = rng.standard_normal((2, 30000, 1)).astype(np.float32)
    y = rng.standard_normal((2, 30000, 1)).astype(np.float32)
    if var_shape is None:
        v, dense = 1.3, np.full(x.shape, 1.3)
    elif var_shape == (2, 30000):
        v = (rng.random(var_shape) + 0.5).astype(np.float32)  # one per row of the last dim
        dense = v[..., None].astype(np.float64)
    else:
        v = (rng.random(var_shape) + 0.5).astype(np.float32)
        dense = np.broadcast_to(v, x.shape).astype(np.float64)
    before = lossx.get_num_threads()
    try:
        out = {}
        for t in (1, 2, 3):
            lossx.set_num_threads(t)
            out[t] = lossx.gaussian_nll_loss_with_grad(x, y, v, reduction="mean")
        for t in (2, 3):
            np.testing.assert_array_equal(out[t][0], out[1][0])
            np.testing.assert_array_equal(out[t][1][0], out[1][1][0])
            np.testing.assert_array_equal(out[t][1][1], out[1][1][1])
    finally:
        lossx.set_num_threads(before)
    d2 = (x.astype(np.float64) - y) ** 2
    want = _sum_to(0.5 * (1 / dense - d2 / dense**2) / x.size, np.shape(v))
    np.testing.assert_allclose(out[1][1][1], want, rtol=1e-5, atol=1e-10)


# ---------------------------------------------------------------- signatures (PyTorch's, minus size_average/reduce)
