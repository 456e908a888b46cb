"""binary_cross_entropy_with_logits, unweighted float32 on large inputs.

On AVX-512 machines these calls take the 16-lane kernel of
cpp/src/classification/binary_cross_entropy_with_logits.cpp (a table polynomial for
log1p(exp(-|x|)) below |x| = 15.75, the exp form above), elsewhere the scalar-form path: the
checks hold for both. The generic tests (tests/test_all_losses.py) run small arrays; these use
arrays of several 1024-element sub-chunks and 16384-element blocks, lengths that are not a
multiple of 16, and logits on both sides of the table's cut.
"""
import numpy as np
import pytest

import lossx
from reference.classification import binary_cross_entropy_with_logits as ref

F32_ULP = 2.0 ** -23  # spacing at 1: the relative size of one float32 ulp is between half and all of this


def _ref_none(x, y):
    return ref(x.astype(np.float64), y.astype(np.float64), reduction="none")


def _data(rng, n, scale=3.0):
    x = (rng.standard_normal(n) * scale).astype(np.float32)
    y = rng.choice(np.array([0.0, 1.0, 0.3, 0.75], np.float32), n)
    return x, y


@pytest.mark.parametrize("n", [16 * 1024 * 3 + 7, 1000, 33, 5])
def test_values_within_a_few_ulp(rng, n):
    """Every element's loss against the float64 reference: a few float32 ulp (relative)."""
    x, y = _data(rng, n)
    got = lossx.binary_cross_entropy_with_logits(x, y, reduction="none")
    want = _ref_none(x, y)
    assert got.dtype == np.float32
    assert np.max(np.abs(got - want) / want) <= 3 * F32_ULP


def test_dense_sweep_relative_accuracy_in_the_tails():
    """|x| up to 80 with the targets that leave only log1p(exp(-|x|)): tiny losses keep their relative accuracy."""
    x = np.linspace(-80, 80, 200_003, dtype=np.float32)
    for yv in (0.0, 1.0):
        # y = 1 leaves log1p(exp(-x)) for x > 0; y = 0 leaves it for x < 0
        y = np.full_like(x, yv)
        got = lossx.binary_cross_entropy_with_logits(x, y, reduction="none").astype(np.float64)
        want = _ref_none(x, y)
        tiny = (x > 0) if yv == 1.0 else (x < 0)
        rel = np.abs(got[tiny] - want[tiny]) / want[tiny]
        assert np.max(rel) <= 2 * F32_ULP, float(np.max(rel))
        # the other side is |x| plus that tiny term
        rel = np.abs(got[~tiny] - want[~tiny]) / want[~tiny]
        assert np.max(rel) <= 2 * F32_ULP


def test_sum_and_mean_against_the_reference(rng):
    x, y = _data(rng, 16384 * 4 + 123)
    want = float(ref(x.astype(np.float64), y.astype(np.float64), reduction="sum"))
    got = float(lossx.binary_cross_entropy_with_logits(x, y, reduction="sum"))
    assert got == pytest.approx(want, rel=1e-6)
    assert float(lossx.binary_cross_entropy_with_logits(x, y)) == pytest.approx(want / x.size, rel=1e-6)
    # the total of the 'none' values, summed in float64, agrees as closely
    none = lossx.binary_cross_entropy_with_logits(x, y, reduction="none").astype(np.float64)
    assert float(none.sum()) == pytest.approx(want, rel=1e-6)


def test_infinities_nan_and_huge_logits_keep_their_values(rng):
    """Lanes past the cut (|x| >= 15.75, inf) in the middle of ordinary ones: the scalar form's values."""
    x, y = _data(rng, 4096 + 9)
    inf = np.float32(np.inf)
    special = {
        10: (inf, 0.0, inf), 11: (inf, 1.0, np.nan), 12: (inf, 0.5, inf),
        13: (-inf, 0.0, np.nan), 14: (-inf, 1.0, inf), 15: (-inf, 0.25, inf),
        16: (1e4, 0.0, 1e4), 17: (1e4, 1.0, 0.0), 18: (-1e4, 1.0, 1e4), 19: (-1e4, 0.0, 0.0),
        20: (np.nan, 0.0, np.nan), 21: (0.5, np.nan, np.nan),
        2000: (20.0, 1.0, None), 2001: (-20.0, 0.0, None), 2002: (15.75, 1.0, None), 2003: (-16.0, 0.3, None),
    }
    for i, (xv, yv, _) in special.items():
        x[i], y[i] = xv, yv
    got = lossx.binary_cross_entropy_with_logits(x, y, reduction="none")
    for i, (xv, yv, want) in special.items():
        if want is None:
            want = float(_ref_none(np.array([xv], np.float32), np.array([yv], np.float32))[0])
            assert got[i] == pytest.approx(want, rel=2 * F32_ULP), (i, xv, yv)
        elif np.isnan(want):
            assert np.isnan(got[i]), (i, xv, yv)
        else:
            assert got[i] == np.float32(want), (i, xv, yv)
    # every other element is what it is without the special ones around it
    clean_x, clean_y = x.copy(), y.copy()
    for i in special:
        clean_x[i], clean_y[i] = 0.0, 0.0
    clean = lossx.binary_cross_entropy_with_logits(clean_x, clean_y, reduction="none")
    keep = np.ones(x.size, bool)
    keep[list(special)] = False
    np.testing.assert_array_equal(got[keep], clean[keep])
    # reductions: NaN present gives NaN; without NaN, an inf term gives inf
    assert np.isnan(lossx.binary_cross_entropy_with_logits(x, y, reduction="sum"))
    ok = np.ones(x.size, bool)
    ok[[11, 13, 20, 21]] = False
    assert lossx.binary_cross_entropy_with_logits(x[ok], y[ok], reduction="sum") == np.inf


@pytest.mark.parametrize("scale", [3.0, 40.0])
def test_bitwise_across_threads_layouts_and_fused_calls(rng, scale):
    """Threads, a strided view and the fused forward+backward give the same bits (scale 40: most
    sub-chunks hold lanes past the cut)."""
    x, y = _data(rng, 16384 * 5 + 77, scale)
    before = lossx.get_num_threads()
    try:
        lossx.set_num_threads(1)
        one = [lossx.binary_cross_entropy_with_logits(x, y, reduction=r) for r in ("mean", "sum", "none")]
        lossx.set_num_threads(2)
        two = [lossx.binary_cross_entropy_with_logits(x, y, reduction=r) for r in ("mean", "sum", "none")]
    finally:
        lossx.set_num_threads(before)
    for a, b in zip(one, two):
        np.testing.assert_array_equal(a, b)
    xs = np.empty(2 * x.size, np.float32)
    xs[::2] = x
    np.testing.assert_array_equal(lossx.binary_cross_entropy_with_logits(xs[::2], y), one[0])
    np.testing.assert_array_equal(lossx.binary_cross_entropy_with_logits(xs[::2], y, reduction="none"), one[2])
    loss, grad = lossx.binary_cross_entropy_with_logits_with_grad(x, y)
    np.testing.assert_array_equal(loss, one[0])
    np.testing.assert_array_equal(grad, lossx.binary_cross_entropy_with_logits_backward(1.0, x, y))
    loss, grad = lossx.binary_cross_entropy_with_logits_with_grad(x, y, reduction="none")
    np.testing.assert_array_equal(loss, one[2])


def test_gradient_against_the_reference(rng):
    x, y = _data(rng, 16384 + 5)
    grad = lossx.binary_cross_entropy_with_logits_backward(1.0, x, y, reduction="sum").astype(np.float64)
    xd, yd = x.astype(np.float64), y.astype(np.float64)
    want = 1.0 / (1.0 + np.exp(-xd)) - yd
    np.testing.assert_allclose(grad, want, rtol=1e-6, atol=1e-7)
