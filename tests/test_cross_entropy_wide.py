"""cross_entropy on wide contiguous rows (C >= 64), where float32 rows take the 16-lane table exp
(row_max16 / row_sumexp16 / row_sumexp16_soft in cpp/src/core/rows.hpp): class-index and
probability targets, with weights and label smoothing, C % 16 from 0 to 15, against the float64
NumPy reference and an independent float64 gradient; thread counts and fused calls bitwise equal.
The registry cases (tests/cases_classification.py) use C <= 7 and never reach these rows."""

from __future__ import annotations

import numpy as np
import pytest

import lossx
from reference import classification as ref

# C % 16 = 0, 1, 13, 4, 15 (the overlapping tail vector), and one row of 1000 (the benchmark).
WIDTHS = [64, 65, 77, 100, 127, 1000]


def _probs(rng, n, C, dtype, scale=3.0):
    x = (rng.standard_normal((n, C)) * scale).astype(dtype)
    p = rng.random((n, C)) ** 4  # uneven, some near zero
    p = (p / p.sum(1, keepdims=True)).astype(dtype)
    return x, p


def _prob_grad(x, p, w, ls, g):
    """d Σ_r g_r·loss_r / dx in float64: (Σ_c w_c t'_c)·softmax(x) - w·t', t' = (1-ls)·t + ls/C."""
    x = x.astype(np.float64)
    C = x.shape[1]
    t = p.astype(np.float64) * (1 - ls) + ls / C
    wt = t * (np.ones(C) if w is None else w.astype(np.float64))
    e = np.exp(x - x.max(1, keepdims=True))
    s = e / e.sum(1, keepdims=True)
    return np.reshape(g, (-1, 1)) * (wt.sum(1, keepdims=True) * s - wt)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("C", WIDTHS)
@pytest.mark.parametrize("weighted,ls", [(False, 0.0), (True, 0.0), (False, 0.2), (True, 0.1)])
def test_probability_targets_match_reference(dtype, C, weighted, ls, rng):
    x, p = _probs(rng, 37, C, dtype)
    w = (rng.random(C) + 0.1).astype(dtype) if weighted else None
    loss = lossx.cross_entropy(x, p, w, reduction="none", label_smoothing=ls)
    want = ref.cross_entropy(x, p, w, reduction="none", label_smoothing=ls)
    rtol = 2e-6 if dtype == np.float32 else 1e-12
    assert loss.dtype == dtype
    np.testing.assert_allclose(loss, want, rtol=rtol, atol=rtol)
    for reduction in ("mean", "sum"):
        got = lossx.cross_entropy(x, p, w, reduction=reduction, label_smoothing=ls)
        np.testing.assert_allclose(got, ref.cross_entropy(x, p, w, reduction=reduction, label_smoothing=ls),
                                   rtol=rtol, atol=rtol)
    g = (rng.random(37) + 0.5).astype(dtype)
    loss2, grad = lossx.cross_entropy_with_grad(x, p, w, reduction="none", label_smoothing=ls, grad_output=g)
    np.testing.assert_array_equal(loss2, loss)  # the fused pass computes the same loss bits
    np.testing.assert_array_equal(grad, lossx.cross_entropy_backward(g, x, p, w, reduction="none", label_smoothing=ls))
    gtol = 2e-7 if dtype == np.float32 else 1e-15
    np.testing.assert_allclose(grad, _prob_grad(x, p, w, ls, g), rtol=0, atol=gtol * 10)


@pytest.mark.parametrize("C", WIDTHS)
def test_class_index_targets_match_reference(C, rng):
    x = (rng.standard_normal((37, C)) * 3).astype(np.float32)
    y = rng.integers(0, C, 37)
    w = (rng.random(C) + 0.1).astype(np.float32)
    for kwargs in ({}, {"label_smoothing": 0.1}):
        loss = lossx.cross_entropy(x, y, w, reduction="none", **kwargs)
        np.testing.assert_allclose(loss, ref.cross_entropy(x, y, w, reduction="none", **kwargs), rtol=2e-6, atol=2e-6)


@pytest.mark.parametrize("C", [64, 77, 1000])
def test_probability_targets_bitwise_across_threads(C, rng):
    """Rows over many reduction blocks (grain 32768 / C rows): 1, 2 and 3 threads give the same bits."""
    n = 3 * max(1, 32768 // C) + 5
    x, p = _probs(rng, n, C, np.float32)
    w = (rng.random(C) + 0.1).astype(np.float32)
    before = lossx.get_num_threads()
    try:
        out = {}
        for threads in (1, 2, 3):
            lossx.set_num_threads(threads)
            out[threads] = [lossx.cross_entropy(x, p, reduction="none"),
                            *lossx.cross_entropy_with_grad(x, p, w, label_smoothing=0.1),
                            lossx.cross_entropy(x, p, reduction="sum")]
        for threads in (2, 3):
            for a, b in zip(out[1], out[threads]):
                np.testing.assert_array_equal(a, b)
    finally:
        lossx.set_num_threads(before)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_probability_targets_nonfinite_logits(dtype):
    """-inf where the target is 0 gives nan (0·inf, as PyTorch); -inf where it is > 0 gives inf;
    a row of -inf gives nan; huge finite logits stay finite."""
    C = 80
    base = np.zeros((4, C), dtype)
    p = np.full((4, C), 1.0 / C, dtype)
    x = base.copy()
    x[0, 5] = -np.inf
    p0 = p.copy()
    p0[0] = 0
    p0[0, 1] = 1
    p0[1] = p0[0]
    x[1, 1] = -np.inf
    x[2] = -np.inf
    x[3, ::2] = 1e4
    x[3, 1::2] = -1e4
    loss = lossx.cross_entropy(x, p0, reduction="none")
    assert np.isnan(loss[0]) and loss[1] == np.inf and np.isnan(loss[2])
    np.testing.assert_allclose(loss[3], ref.cross_entropy(x[3:], p0[3:], reduction="none")[0], rtol=1e-6)
    _, grad = lossx.cross_entropy_with_grad(x[3:], p0[3:])
    assert np.all(np.isfinite(grad))


def test_probability_targets_confident_row_is_accurate():
    """A confident row (loss ~ 1e-6): the loss is Wt·log Σ exp - Σ t'(x - max), a sum of terms
    >= 0, so it keeps its size; the float partial sums may round away terms below 2^-24 of the
    row's leading exp (absolute error < 1e-6)."""
    C = 200
    x = np.zeros((1, C), np.float32)
    x[0, 3] = 16.0
    p = np.zeros((1, C), np.float32)
    p[0, 3] = 1.0
    got = float(lossx.cross_entropy(x, p, reduction="sum"))
    want = float(ref.cross_entropy(x, p, reduction="sum"))  # log(1 + 199·e^-16) ~ 2.2e-5
    assert abs(got - want) < 1e-6
    assert got >= 0.0


@pytest.mark.parametrize("C", [64, 77, 1000])
def test_one_hot_probabilities_share_the_class_index_exps(C, rng):
    """One-hot probability targets and the same class indices: both paths compute exp(x - max)
    and Σ exp the same way (row_sumexp16_soft vs row_sumexp16), so the gradient entries away
    from the target, Σt/Σexp · exp(x_c - max) with Σt = 1, are bitwise equal."""
    x = (rng.standard_normal((50, C)) * 3).astype(np.float32)
    y = rng.integers(0, C, 50)
    p = np.eye(C, dtype=np.float32)[y]
    g_index = lossx.cross_entropy_backward(np.float32(1), x, y, reduction="sum")
    g_probs = lossx.cross_entropy_backward(np.float32(1), x, p, reduction="sum")
    off = p == 0
    np.testing.assert_array_equal(g_probs[off], g_index[off])
    np.testing.assert_allclose(g_probs[~off], g_index[~off], rtol=1e-6, atol=1e-7)


def _class_index_rows(rng, n, C, scale=3.0):
    x = (rng.standard_normal((n, C)) * scale).astype(np.float32)
    y = rng.integers(0, C, n)
    return x, y


@pytest.mark.parametrize("C", [64, 77, 1000])
def test_class_index_ignored_rows_between_others(C, rng):
    """The forward takes each row's max in the previous row's exp pass (row_sumexp16_next_max):
    ignored rows anywhere (first and last of a reduction block of 32768 / C rows, runs of them,
    every other row) leave the other rows' losses right, 1 and 2 threads and int32 / int64 targets
    bitwise equal, and the fused pass (plain row order) gives the forward's bits."""
    grain = max(1, 32768 // C)
    n = 2 * grain + 7
    x, y = _class_index_rows(rng, n, C)
    ignored = [0, 1, 2, grain - 1, grain, grain + 1, n - 2, n - 1] + list(range(5, grain - 3, 2))
    y[ignored] = -100
    want = ref.cross_entropy(x, y, reduction="none")
    before = lossx.get_num_threads()
    try:
        out = {}
        for threads in (1, 2):
            lossx.set_num_threads(threads)
            out[threads] = (lossx.cross_entropy(x, y, reduction="none"), lossx.cross_entropy(x, y),
                            *lossx.cross_entropy_with_grad(x, y, reduction="none"))
    finally:
        lossx.set_num_threads(before)
    for a, b in zip(out[1], out[2]):
        np.testing.assert_array_equal(a, b)
    loss, mean, fused_loss, grad = out[1]
    np.testing.assert_allclose(loss, want, rtol=2e-6, atol=2e-6)
    assert np.all(loss[ignored] == 0) and np.all(grad[ignored] == 0)
    np.testing.assert_allclose(mean, ref.cross_entropy(x, y), rtol=2e-6)
    np.testing.assert_array_equal(fused_loss, loss)
    np.testing.assert_array_equal(lossx.cross_entropy(x, y.astype(np.int32), reduction="none"), loss)


@pytest.mark.parametrize("C", [77, 1000])
def test_class_index_nonfinite_rows_stay_in_their_row(C, rng):
    """A NaN row gives NaN and a row of -inf gives NaN (as PyTorch) without touching the rows
    around them, whose max the same loop computes; -inf logits away from the target give exact
    zero gradient; huge logits (max 1e30) stay finite."""
    x, y = _class_index_rows(rng, 12, C)
    x[2, 5] = np.nan
    x[5] = -np.inf
    x[8, ::3] = -np.inf
    y[8] = 1
    x[10, 3] = 1e30
    y[10] = 3
    loss = lossx.cross_entropy(x, y, reduction="none")
    assert np.isnan(loss[2]) and np.isnan(loss[5])
    ok = [i for i in range(12) if i not in (2, 5)]
    np.testing.assert_allclose(loss[ok], ref.cross_entropy(x[ok], y[ok], reduction="none"), rtol=2e-6, atol=2e-6)
    _, grad = lossx.cross_entropy_with_grad(x[8:], y[8:], reduction="none")
    assert np.all(grad[0, ::3] == 0)
    assert loss[10] == 0 and np.all(np.isfinite(grad))


@pytest.mark.parametrize("scale", [1.0, 10.0, 100.0])
def test_class_index_loss_error_in_ulp(scale, rng):
    """The 32-entry table exp (vexp16_nonpos32: <= 2.6 ulp per term where it matters, float
    partial sums of 8 terms per lane): the 'none' loss of (300, 1000) rows stays within 1 ulp of
    the float64 reference where the loss is not tiny (> 1e-2), and within 2e-6 absolute below."""
    x, y = _class_index_rows(rng, 300, 1000, scale)
    got = lossx.cross_entropy(x, y, reduction="none").astype(np.float64)
    want = ref.cross_entropy(x, y, reduction="none")
    err = np.abs(got - want)
    big = want > 1e-2
    assert np.all(err[big] <= np.spacing(want[big].astype(np.float32)).astype(np.float64))
    assert np.all(err[~big] <= 2e-6)
