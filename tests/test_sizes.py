"""Sizes: element counts above 2^31 compute correctly, impossible sizes raise a clear error,
nothing wraps around (issue 8, "Sizes").

NumPy itself refuses an array whose byte size overflows int64, so the largest shapes the
Python API can be handed are zero-stride views (np.broadcast_to) of up to 2^60 float32
elements; the C++ API's overflowing shape products are fuzzed in cpp/fuzz/. The real 8 GiB
case is opt-in (marker ``bigmem``: LOSSX_BIGMEM=1 or ``-m bigmem``).
"""

from __future__ import annotations

import time

import numpy as np
import pytest

import lossx

BIG = 2**31 + 16  # more elements than an int32 counts

# (name, input value, target value, expected per-element loss) for 0.25 vs the target
ELEMENTWISE = [
    ("l1_loss", 0.25, 0.5, 0.25),
    ("mse_loss", 0.25, 0.5, 0.0625),
    ("smooth_l1_loss", 0.25, 0.5, 0.5 * 0.0625),
    ("huber_loss", 0.25, 0.5, 0.5 * 0.0625),
    ("soft_margin_loss", 0.25, 1.0, float(np.log1p(np.exp(-0.25)))),
    ("hinge_embedding_loss", 0.25, 1.0, 0.25),
]


def _scalar_views(x, y, n, dtype=np.float32):
    return np.broadcast_to(dtype(x), (n,)), np.broadcast_to(dtype(y), (n,))


# 20 s each (2 cores): two point functors of the one elementwise driver run under `slow` (which CI
# turns on); the rest of ELEMENTWISE is checked the same way by LOSSX_BIGMEM=1 runs.
@pytest.mark.slow
@pytest.mark.parametrize("name,x,y,per_element",
                         [e if e[0] in ("mse_loss", "soft_margin_loss") else pytest.param(*e, marks=pytest.mark.bigmem)
                          for e in ELEMENTWISE], ids=[e[0] for e in ELEMENTWISE])
def test_more_than_2_31_elements_sum_and_mean(name, x, y, per_element):
    """A (2^31 + 16,) broadcast pair: 'sum' is n·l and 'mean' is l (float32, summed in double)."""
    xs, ys = _scalar_views(x, y, BIG)
    start = time.perf_counter()
    total = getattr(lossx, name)(xs, ys, reduction="sum")
    mean = getattr(lossx, name)(xs, ys, reduction="mean")
    elapsed = time.perf_counter() - start
    l32 = float(getattr(lossx, name)(np.float32([x]), np.float32([y]), reduction="sum"))
    np.testing.assert_allclose(float(mean), l32, rtol=1e-6)
    np.testing.assert_allclose(float(total), l32 * BIG, rtol=1e-6)
    np.testing.assert_allclose(l32, per_element, rtol=1e-6)
    print(f"{name}: 2 calls over {BIG} elements in {elapsed:.1f} s")


@pytest.mark.slow
def test_more_than_2_31_elements_gradient_of_a_broadcast_pair_needs_its_output():
    """The gradient of a (2^31 + 16,) pair is a real 8 GiB array: the reduced call is checked
    through its partial sums instead (the same kernel, no output)."""
    xs, ys = _scalar_views(0.25, 0.5, BIG, np.float64)
    p = lossx.mse_loss_partial(xs, ys, reduction="mean") if hasattr(lossx, "mse_loss_partial") else None
    if p is None:
        pytest.skip("no mse_loss_partial in this build")
    total, denominator = p
    assert denominator == BIG
    np.testing.assert_allclose(total, 0.0625 * BIG, rtol=1e-12)


@pytest.mark.parametrize("shape", [(2**30, 2**30), (2**20, 2**20, 2**20)])
def test_none_output_that_cannot_be_allocated_is_a_memory_error(shape):
    """'none' of a broadcast pair of 2^60 elements needs a 4 EiB output: NumPy's MemoryError (or a
    ValueError naming the size), raised before any kernel runs, and the process goes on."""
    x = np.broadcast_to(np.float32(0.25), shape)
    y = np.broadcast_to(np.float32(0.5), shape)
    with pytest.raises((MemoryError, ValueError)):
        lossx.mse_loss(x, y, reduction="none")
    with pytest.raises((MemoryError, ValueError)):
        lossx.mse_loss_backward(np.float32(1), x, y, reduction="sum")
    assert lossx.mse_loss(np.float32([0.25]), np.float32([0.5])) == np.float32(0.0625)


@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss", "multi_margin_loss"])
def test_row_loss_of_an_impossible_broadcast_is_an_error(name):
    """Row losses need contiguous rows: a broadcast (2^30, 2^30) input would need a 4 EiB copy.
    That is a clean MemoryError/ValueError, quickly, never a crash or a wrapped-around size."""
    x = np.broadcast_to(np.float32(0.0), (2**30, 2**30))
    y = np.broadcast_to(np.int64(0), (2**30,))
    start = time.perf_counter()
    with pytest.raises((MemoryError, ValueError)):
        getattr(lossx, name)(x, y)
    assert time.perf_counter() - start < 5


def test_ctc_huge_lengths_and_labels_are_value_errors():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 2, 4))
    lp = x - np.log(np.exp(x).sum(-1, keepdims=True))
    tg = np.array([[1, 2], [3, 1]])
    ok_il, ok_tl = np.array([6, 6]), np.array([2, 2])
    for il, tl, tgt, what in [
        (np.array([2**62, 6]), ok_tl, tg, "input_lengths"),
        (np.array([-(2**62), 6]), ok_tl, tg, "input_lengths"),
        (ok_il, np.array([2**62, 1]), tg, "target_lengths"),
        (ok_il, np.array([2, -(2**63)]), tg, "target_lengths"),
        (ok_il, ok_tl, np.array([[2**62, 1], [1, 1]]), "targets"),
        (ok_il, ok_tl, np.array([[1, -(2**63)], [1, 1]]), "targets"),
    ]:
        with pytest.raises(ValueError, match=f"'{what}'"):
            lossx.ctc_loss(lp, tgt, il, tl)


@pytest.mark.parametrize("label", [2**62, 2**63 - 1, -(2**63)])
def test_class_index_at_the_int64_limits_is_a_value_error(label):
    x = np.zeros((2, 3))
    y = np.array([0, label], dtype=np.int64)
    with pytest.raises(ValueError, match="'target'"):
        lossx.cross_entropy(x, y)
    with pytest.raises(ValueError, match="'target'"):
        lossx.nll_loss(x, y)
    with pytest.raises(ValueError, match="'target'"):
        lossx.multi_margin_loss(x, y)


def test_uint64_labels_above_int64_do_not_wrap_to_negative():
    """2^64 - 100 as uint64 must not become -100 (ignore_index) through a cast."""
    x = np.zeros((2, 3))
    y = np.array([0, 2**64 - 100], dtype=np.uint64)
    with pytest.raises((ValueError, TypeError), match="'target'"):
        lossx.cross_entropy(x, y)
    with pytest.raises((ValueError, TypeError), match="'target'"):
        lossx.nll_loss(x, y)


@pytest.mark.parametrize("num_classes", [2**62, 2**63 - 1])
def test_class_weights_with_an_impossible_class_count(num_classes):
    with pytest.raises((MemoryError, ValueError)):
        lossx.class_weights(np.array([0, 1, 1]), num_classes=num_classes)


@pytest.mark.bigmem
def test_real_8_gib_input():
    """A real 2^31 + 16 element float32 input (8 GiB, every page touched) and its 8 GiB gradient."""
    x = np.full(BIG, 0.25, np.float32)
    y = np.broadcast_to(np.float32(0.5), (BIG,))
    np.testing.assert_allclose(float(lossx.mse_loss(x, y, reduction="sum")), 0.0625 * BIG, rtol=1e-6)
    g = lossx.mse_loss_backward(np.float32(1), x, y, reduction="sum")
    assert g.shape == (BIG,) and g[0] == g[-1] == np.float32(-0.5) and g[2**31 + 3] == np.float32(-0.5)
    del g
    # a row loss: (2^27 + 1, 16) logits, 8 GiB, rows past 2^31 elements
    rows = 2**27 + 1
    logits = x[: rows * 16].reshape(rows, 16)
    labels = np.zeros(rows, np.int32)
    np.testing.assert_allclose(float(lossx.cross_entropy(logits, labels)), np.log(16), rtol=1e-6)
