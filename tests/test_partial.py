"""Exact partial reductions (NAME_partial / NAME_partial_backward) over every registered case.

A batch split into chunks (one row, a prime number of rows, uneven sizes, one chunk of
everything) must give back the whole batch's reduction from the chunks' partial sums,
'mean' (and 'batchmean') = Σ total / Σ denominator and 'sum' = Σ total, to 1e-12 relative
in float64, and the concatenated chunk gradients of NAME_partial_backward must equal the
whole batch's gradient.
"""

from __future__ import annotations

import numpy as np
import pytest

import lossx
from cases import CASES
from helpers import fn, grads_tuple

N = 37  # a batch size that no class count or feature size of the registry equals

# batch_hard_triplet_loss mines each anchor's hardest pair over the whole batch: its chunks
# are separate batches, not a split of one (the chunk identity does not hold by design).
_WHOLE_BATCH_ONLY = {"batch_hard_triplet_loss"}


def _splits(n, rng):
    """Chunk boundaries: single rows first, a prime-sized chunk, an uneven rest, and the whole."""
    cuts = sorted({1, 2, 2 + 7, 2 + 7 + 13, int(rng.integers(23, n))} | {n})
    return [(0, n)], list(zip([0] + cuts[:-1], cuts))


def _take(v, lo, hi, n, axis=0):
    if isinstance(v, np.ndarray) and v.ndim > axis and v.shape[axis] == n:
        return np.take(v, np.arange(lo, hi), axis=axis)
    return v


def _chunk(case, args, kwargs, lo, hi, n):
    """The arguments of rows [lo, hi) of a batch of n."""
    if case.name == "ctc_loss":
        lp, tg, il, tl = args
        lp = lp[:, lo:hi]
        if tg.ndim == 2:
            tg = tg[lo:hi]
        else:
            off = np.concatenate([[0], np.cumsum(tl)])
            tg = tg[off[lo]:off[hi]]
        return (lp, tg, il[lo:hi], tl[lo:hi]), kwargs
    return tuple(_take(a, lo, hi, n) for a in args), {k: _take(v, lo, hi, n) for k, v in kwargs.items()}


def _batched(case, args):
    a0 = args[0]
    if case.name == "ctc_loss":
        return a0.ndim == 3 and a0.shape[1] == N
    return isinstance(a0, np.ndarray) and a0.ndim >= 1 and a0.shape[0] == N


def _reduced(case):
    return [r for r in case.reductions if r != "none"]


@pytest.mark.parametrize("seed", [0, 1])
def test_partial_sums_recover_the_reduction(loss_case, seed):
    if loss_case.name in _WHOLE_BATCH_ONLY:
        pytest.skip("anchors are mined over the whole batch")
    rng = np.random.default_rng(seed)
    args, kwargs = loss_case.make(rng, np.float64, N)
    if not _batched(loss_case, args):
        pytest.skip("unbatched case")
    whole, parts = _splits(N, rng)
    for r in _reduced(loss_case):
        want = fn(loss_case)(*args, reduction=r, **kwargs)
        for split in (whole, parts):
            totals, denoms = [], []
            for lo, hi in split:
                cargs, ckw = _chunk(loss_case, args, kwargs, lo, hi, N)
                t, d = fn(loss_case, "_partial")(*cargs, reduction=r, **ckw)
                assert isinstance(t, float) and isinstance(d, float)
                totals.append(t)
                denoms.append(d)
            got = sum(totals) if r == "sum" else sum(totals) / sum(denoms)
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-300, err_msg=f"{r} {split}")


@pytest.mark.parametrize("seed", [0, 1])
def test_partial_backward_concatenates_to_the_gradient(loss_case, seed):
    if loss_case.name in _WHOLE_BATCH_ONLY:
        pytest.skip("anchors are mined over the whole batch")
    rng = np.random.default_rng(seed)
    args, kwargs = loss_case.make(rng, np.float64, N)
    if not _batched(loss_case, args):
        pytest.skip("unbatched case")
    _, split = _splits(N, rng)
    g = 0.75
    for r in _reduced(loss_case):
        want = grads_tuple(fn(loss_case, "_backward")(g, *args, reduction=r, **kwargs), loss_case)
        chunks = [_chunk(loss_case, args, kwargs, lo, hi, N) for lo, hi in split]
        denom = sum(fn(loss_case, "_partial")(*a, reduction=r, **k)[1] for a, k in chunks)
        scale = g if r == "sum" else g / denom
        pieces = [grads_tuple(fn(loss_case, "_partial_backward")(scale, *a, reduction=r, **k), loss_case)
                  for a, k in chunks]
        for pos, w in enumerate(want):
            axis = 1 if loss_case.name == "ctc_loss" else 0
            if w.ndim == 0 or w.shape[axis] != N:  # a parameter-like gradient (var of one value): summed
                got = sum(p[pos] for p in pieces)
            else:
                got = np.concatenate([p[pos] for p in pieces], axis=axis)
            np.testing.assert_allclose(got, w, rtol=1e-12, atol=1e-15, err_msg=f"{r} grad {pos}")


def test_partial_rejects_none():
    x = np.zeros((3, 2))
    with pytest.raises(ValueError, match="'reduction' must be 'mean', 'sum'"):
        lossx.mse_loss_partial(x, x, reduction="none")


def test_partial_weighted_mean_is_weight_total():
    """l1 with weight: (Σ w·|d|, Σ w)."""
    x = np.array([1.0, 2.0, 4.0])
    y = np.zeros(3)
    w = np.array([1.0, 0.5, 2.0])
    t, d = lossx.l1_loss_partial(x, y, weight=w)
    assert (t, d) == (1.0 + 1.0 + 8.0, 3.5)
    assert lossx.l1_loss_partial(x, y, reduction="sum") == (7.0, 3.0)


def test_partial_functions_exist_for_every_reduced_loss():
    for c in CASES:
        if "mean" in c.reductions or "sum" in c.reductions:
            assert callable(getattr(lossx, c.name + "_partial"))
            assert callable(getattr(lossx, c.name + "_partial_backward"))
            assert c.name + "_partial" in lossx.__all__
