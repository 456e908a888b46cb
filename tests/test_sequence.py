"""ctc_loss: PyTorch agreement (forward, and the gradient through log_softmax), the
true-derivative gradient, PyTorch's edge cases, long sequences, and bad inputs.

The generic tests (test_all_losses.py) run on the cases of cases_sequence.py too.
"""

from __future__ import annotations

import numpy as np
import pytest

import cases
import lossx
from cases_sequence import concatenate, ctc_batch, log_softmax, torch_ctc
from reference import sequence as ref

REDUCTIONS = ("none", "mean", "sum")
CTC_CASES = cases.by_name("ctc_loss")


def softmax(x):
    return np.exp(log_softmax(x))


def log_softmax_backward(g, x):
    """The log_softmax backward along the last axis, in NumPy: g - softmax(x)·Σg.

    (the tests also compose with lossx.log_softmax_backward, from the classification family;
    this NumPy version keeps the check independent of it.)"""
    return g - softmax(x) * g.sum(axis=-1, keepdims=True)


# ---------------------------------------------------------------- PyTorch
try:
    import torch

    F = torch.nn.functional
except ImportError:  # conftest skips the requires_torch tests; the others use torch only if present
    torch = F = None
TOL = {np.float64: dict(rtol=1e-10, atol=1e-12), np.float32: dict(rtol=1e-5, atol=1e-5)}


def _torch_args(args):
    lp, tg, il, tl = args
    return torch.from_numpy(np.asarray(tg).astype(np.int64)), il, tl


@pytest.mark.requires_torch
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CTC_CASES, ids=[c.variant for c in CTC_CASES])
def test_matches_torch_forward_and_logits_gradient(case, dtype, rng):
    """Forward as F.ctc_loss; log_softmax_backward(lossx gradient) == PyTorch's gradient w.r.t. the logits."""
    args, kwargs = case.make(rng, dtype, 8)
    logits = args[0]  # already log-softmax normalised, so log_softmax(logits) == log_probs up to rounding
    for r in REDUCTIONS:
        xt = torch.from_numpy(np.array(logits, copy=True)).requires_grad_()
        lp_t = xt.log_softmax(-1)
        tout = case.torch_fn(F, lp_t, *_torch_args(args), reduction=r, **kwargs)
        lp = lp_t.detach().numpy()
        got = lossx.ctc_loss(lp, *args[1:], reduction=r, **kwargs)
        np.testing.assert_allclose(got, tout.detach().numpy(), **TOL[dtype], err_msg=f"forward {r}")
        g = (rng.random(np.shape(got)) + 0.5).astype(dtype)
        tout.backward(torch.from_numpy(np.asarray(g)))
        grad = lossx.ctc_loss_backward(g, lp, *args[1:], reduction=r, **kwargs)
        assert grad.dtype == dtype and grad.shape == lp.shape
        via = log_softmax_backward(grad.astype(np.float64), logits.astype(np.float64))
        np.testing.assert_allclose(via, xt.grad.numpy(), **TOL[dtype], err_msg=f"logits gradient {r}")
        if hasattr(lossx, "log_softmax_backward"):  # the same composition with lossx's own log_softmax backward
            via_lossx = lossx.log_softmax_backward(grad, logits, -1)
            np.testing.assert_allclose(via_lossx, xt.grad.numpy(), **TOL[dtype], err_msg=f"lossx composition {r}")


@pytest.mark.requires_torch
def test_torch_leaf_gradient_is_true_gradient_plus_exp(rng):
    """PyTorch's gradient w.r.t. a leaf log_probs is exp(log_probs)·g_n + lossx's, on frames t < T_n."""
    lp, tg, il, tl = ctc_batch(rng, np.float64, 5, T=12, C=6, S=5)
    lpt = torch.from_numpy(lp.copy()).requires_grad_()
    g = rng.random(5) + 0.5
    torch_ctc(F, lpt, torch.from_numpy(tg), il, tl, reduction="none").backward(torch.from_numpy(g))
    ours = lossx.ctc_loss_backward(g, lp, tg, il, tl, reduction="none")
    frames = (np.arange(12)[:, None] < il[None, :])[..., None]
    np.testing.assert_allclose(lpt.grad.numpy(), ours + np.exp(lp) * g[None, :, None] * frames, atol=1e-12)
    assert not np.allclose(lpt.grad.numpy(), ours)


@pytest.mark.requires_torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("layout", ["padded", "concatenated"])
@pytest.mark.parametrize("lengths", ["int32", "int64", "list"])
def test_matches_torch_variants(rng, reduction, layout, lengths):
    """Every reduction x target layout x length type, blank != 0, variable lengths, with and without zero_infinity."""
    lp, tg, il, tl = ctc_batch(rng, np.float64, 7, T=20, C=7, S=6, blank=2, min_frames=1)
    tl[0] = 6
    il[0] = 4  # impossible: zero_infinity matters
    tg[0] = [1, 3, 4, 5, 6, 1]
    targets = tg if layout == "padded" else concatenate(tg, tl)
    conv = {"int32": lambda a: a.astype(np.int32), "int64": lambda a: a, "list": lambda a: a.tolist()}[lengths]
    for zi in (False, True):
        want = torch_ctc(F, torch.from_numpy(lp), torch.from_numpy(targets), il, tl, blank=2, reduction=reduction,
                         zero_infinity=zi).numpy()
        got = lossx.ctc_loss(lp, targets, conv(il), conv(tl), blank=2, reduction=reduction, zero_infinity=zi)
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


@pytest.mark.requires_torch
def test_long_sequence_no_underflow(rng):
    """T = 5000 frames: probabilities near 1e-4000 stay exact in log space; float64 to 1e-9 relative."""
    T, C = 5000, 20
    lp = log_softmax(rng.standard_normal((T, 2, C)) * 2.0)
    tg = rng.integers(1, C, size=(2, 400))
    il, tl = np.array([5000, 4321]), np.array([400, 250])
    want = torch_ctc(F, torch.from_numpy(lp), torch.from_numpy(tg), il, tl, reduction="none").numpy()
    assert np.all(want > 5000)  # p < e^-5000: far below the smallest double
    got = lossx.ctc_loss(lp, tg, il, tl, reduction="none")
    np.testing.assert_allclose(got, want, rtol=1e-9)
    np.testing.assert_allclose(got, ref.ctc_loss(lp, tg, il, tl, reduction="none"), rtol=1e-9)
    # float32 inputs beyond 1024 frames run the recursions in double: only the input rounding differs
    lp32 = lp.astype(np.float32)
    got32, grad32 = lossx.ctc_loss_with_grad(lp32, tg, il, tl, reduction="none")
    np.testing.assert_allclose(got32, ref.ctc_loss(lp32, tg, il, tl, reduction="none"), rtol=1e-7)
    grad64 = lossx.ctc_loss_backward(np.ones(2), lp32.astype(np.float64), tg, il, tl, reduction="none")
    np.testing.assert_allclose(grad32, grad64, rtol=0, atol=1e-6)
    # the gradient still sums to -1 per frame (posteriors sum to 1)
    grad = lossx.ctc_loss_backward(np.ones(2), lp, tg, il, tl, reduction="none")
    np.testing.assert_allclose(grad[:4321].sum(-1), -1.0, atol=1e-9)


@pytest.mark.parametrize("T", [300, 1024])
def test_float32_accuracy_float_work(rng, T):
    """float32 inputs up to 1024 frames run the recursions in float32, offsets and sums in double:
    the loss to ~1e-7 relative, the posteriors (gradient) to ~3e-5 absolute."""
    C, L = 30, T // 5
    lp = log_softmax(rng.standard_normal((T, 3, C)) * 2.0).astype(np.float32)
    tg = rng.integers(1, C, size=(3, L))
    il, tl = np.array([T, T * 3 // 4, T // 2]), np.array([L, L // 2, 7])
    loss32, grad32 = lossx.ctc_loss_with_grad(lp, tg, il, tl, reduction="none")
    loss64, grad64 = lossx.ctc_loss_with_grad(lp.astype(np.float64), tg, il, tl, reduction="none")
    np.testing.assert_allclose(loss32, loss64, rtol=3e-7)
    np.testing.assert_allclose(grad32, grad64, rtol=0, atol=1e-4)
    assert np.abs(grad32 - grad64).max() < 1e-4


def test_extreme_logits_float32(rng):
    """Logits of magnitude 1e4 in float32: log_probs down to -4e4, no overflow, as the float64 reference."""
    lp, tg, il, tl = ctc_batch(rng, np.float64, 4, T=12, C=5, S=4)
    x = (rng.standard_normal((12, 4, 5)) * 1e4).astype(np.float32)
    lp32 = log_softmax(x)
    got = lossx.ctc_loss(lp32, tg, il, tl, reduction="none")
    want = ref.ctc_loss(lp32, tg, il, tl, reduction="none")
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got, want, rtol=1e-6)
    grad = lossx.ctc_loss_backward(np.ones(4, np.float32), lp32, tg, il, tl, reduction="none")
    assert np.all(np.isfinite(grad))


# ---------------------------------------------------------------- the gradient
def _lossx_fd(f, x, h=1e-5):
    """Central differences of f at x (float64), element by element."""
    g = np.zeros_like(x)
    flat, gflat = x.reshape(-1), g.reshape(-1)
    for i in range(flat.size):
        orig = flat[i]
        flat[i] = orig + h
        up = f(x)
        flat[i] = orig - h
        down = f(x)
        flat[i] = orig
        gflat[i] = (up - down) / (2 * h)
    return g


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_gradient_finite_differences_of_lossx(rng, reduction):
    """lossx's own loss, differentiated numerically, gives lossx's gradient (blank != 0, repeats, variable lengths)."""
    lp, tg, il, tl = ctc_batch(rng, np.float64, 3, T=9, C=5, S=4, blank=4, labels=[0, 1, 1, 2])
    lp = lp + rng.standard_normal(lp.shape) * 0.3  # unnormalised log_probs are allowed
    g = rng.random(3) + 0.5 if reduction == "none" else np.float64(0.7)
    grad = lossx.ctc_loss_backward(g, lp, tg, il, tl, blank=4, reduction=reduction)
    fd = _lossx_fd(lambda x: np.sum(g * lossx.ctc_loss(x, tg, il, tl, blank=4, reduction=reduction)), lp.copy())
    np.testing.assert_allclose(grad, fd, rtol=1e-6, atol=1e-8)


def test_gradient_is_posterior(rng):
    """-grad[t, n, :] is a distribution over classes for t < T_n, exactly 0 beyond."""
    lp, tg, il, tl = ctc_batch(rng, np.float64, 6, T=15, C=6, S=5, min_frames=2)
    grad = lossx.ctc_loss_backward(np.ones(6), lp, tg, il, tl, reduction="none")
    for n in range(6):
        np.testing.assert_allclose(grad[: il[n], n].sum(-1), -1.0, atol=1e-12)
        assert np.all(grad[: il[n], n] <= 0)
        assert np.all(grad[il[n]:, n] == 0)
        # classes outside the target and other than blank get nothing
        unused = np.setdiff1d(np.arange(6), np.r_[tg[n, : tl[n]], 0])
        assert np.all(grad[:, n, unused] == 0)


def test_with_grad_matches_separate_calls(rng):
    lp, tg, il, tl = ctc_batch(rng, np.float32, 9, T=30, C=8, S=10)
    for r in REDUCTIONS:
        g = rng.random(9).astype(np.float32) if r == "none" else np.float32(1.3)
        loss, grad = lossx.ctc_loss_with_grad(lp, tg, il, tl, reduction=r, grad_output=g)
        np.testing.assert_array_equal(loss, lossx.ctc_loss(lp, tg, il, tl, reduction=r))
        np.testing.assert_array_equal(grad, lossx.ctc_loss_backward(g, lp, tg, il, tl, reduction=r))


# ---------------------------------------------------------------- semantics and edge cases
def test_padded_equals_concatenated_and_padding_is_never_read(rng):
    lp, tg, il, tl = ctc_batch(rng, np.float64, 5, T=14, C=6, S=6)
    base = lossx.ctc_loss(lp, tg, il, tl, reduction="none")
    np.testing.assert_array_equal(lossx.ctc_loss(lp, concatenate(tg, tl), il, tl, reduction="none"), base)
    for pad in (0, -7, 99, 2**40):
        t2 = tg.copy()
        for n in range(5):
            t2[n, tl[n]:] = pad
        np.testing.assert_array_equal(lossx.ctc_loss(lp, t2, il, tl, reduction="none"), base)
    for dt in (np.int8, np.uint8, np.int16, np.uint32):
        np.testing.assert_array_equal(lossx.ctc_loss(lp, np.maximum(tg, 0).astype(dt), il, tl, reduction="none"), base)


def test_reductions(rng):
    lp, tg, il, tl = ctc_batch(rng, np.float64, 6, T=12, C=5, S=4)
    tl[2] = 0
    per = lossx.ctc_loss(lp, tg, il, tl, reduction="none")
    assert per.shape == (6,)
    np.testing.assert_allclose(lossx.ctc_loss(lp, tg, il, tl, reduction="sum"), per.sum(), rtol=1e-15)
    np.testing.assert_allclose(lossx.ctc_loss(lp, tg, il, tl), np.mean(per / np.maximum(tl, 1)), rtol=1e-15)


def _ctc_chunks(lp, tg, il, tl, cuts, concatenated):
    """The chunks [cuts[k], cuts[k+1]) of a padded batch, with padded or concatenated targets."""
    for lo, hi in zip(cuts[:-1], cuts[1:]):
        t = concatenate(tg[lo:hi], tl[lo:hi]) if concatenated else tg[lo:hi]
        yield lp[:, lo:hi], t, il[lo:hi], tl[lo:hi]


@pytest.mark.parametrize("concatenated", [False, True])
def test_partial_chunks_with_different_target_lengths(rng, concatenated):
    # Target lengths differ between chunks (0, short, long), so 'mean' (a mean of loss_n / L_n)
    # is not a mean of the chunks' means; the partial sums recover it exactly, and 'sum'.
    n = 11
    lp, tg, il, tl = ctc_batch(rng, np.float64, n, T=16, C=6, S=6)
    tl[:3] = 0
    tl[3:6] = 1
    tl[6:] = np.minimum(6, (il[6:] + 1) // 2)
    for k in range(n):
        tg[k, : tl[k]] = rng.integers(1, 6, tl[k])
    cuts = [0, 1, 4, 9, 11]
    targets = concatenate(tg, tl) if concatenated else tg
    for r in ("mean", "sum"):
        parts = [lossx.ctc_loss_partial(*c, reduction=r) for c in _ctc_chunks(lp, tg, il, tl, cuts, concatenated)]
        total, denom = (sum(x) for x in zip(*parts))
        assert denom == n
        want = lossx.ctc_loss(lp, targets, il, tl, reduction=r)
        np.testing.assert_allclose(total if r == "sum" else total / denom, want, rtol=1e-13)
        # the chunk gradients of scale · total concatenate to the whole batch's gradient;
        # under 'mean' each carries the 1 / max(L_n, 1) that 'sum' lacks
        g = 0.6
        scale = g if r == "sum" else g / denom
        pieces = [lossx.ctc_loss_partial_backward(scale, *c, reduction=r)
                  for c in _ctc_chunks(lp, tg, il, tl, cuts, concatenated)]
        np.testing.assert_allclose(np.concatenate(pieces, axis=1), lossx.ctc_loss_backward(g, lp, targets, il, tl,
                                                                                           reduction=r),
                                   rtol=1e-13, atol=1e-16)
    per = lossx.ctc_loss(lp, targets, il, tl, reduction="none")
    t, d = lossx.ctc_loss_partial(lp, targets, il, tl)
    np.testing.assert_allclose(t, np.sum(per / np.maximum(tl, 1)), rtol=1e-14)
    assert d == n


def test_partial_zero_infinity(rng):
    lp, tg, il, tl = ctc_batch(rng, np.float64, 4, T=8, C=5, S=4)
    il[1] = 1
    tl[1] = 3  # impossible: 3 labels in 1 frame
    tg[1, :3] = [1, 2, 3]
    t, d = lossx.ctc_loss_partial(lp, tg, il, tl, reduction="sum")
    assert t == np.inf and d == 4
    t, d = lossx.ctc_loss_partial(lp, tg, il, tl, reduction="sum", zero_infinity=True)
    np.testing.assert_allclose(t, lossx.ctc_loss(lp, tg, il, tl, reduction="sum", zero_infinity=True), rtol=1e-15)
    grad = lossx.ctc_loss_partial_backward(1.0, lp, tg, il, tl, reduction="sum", zero_infinity=True)
    np.testing.assert_array_equal(grad[:, 1], 0.0)
    assert np.isnan(lossx.ctc_loss_partial_backward(1.0, lp, tg, il, tl, reduction="sum")[0, 1]).all()


def test_unbatched_equals_batch_row(rng):
    lp, tg, il, tl = ctc_batch(rng, np.float64, 3, T=10, C=5, S=4)
    tl[0] = 2
    batch = lossx.ctc_loss(lp, tg, il, tl, reduction="none")
    labels = tg[0, :2]
    for targets, i_len, t_len in ((labels, int(il[0]), int(tl[0])), (tg[:1], il[:1], tl[:1]),
                                  (labels, np.int64(il[0]), np.array(tl[0], np.int32))):
        out = lossx.ctc_loss(lp[:, 0], targets, i_len, t_len, reduction="none")
        assert out.shape == ()
        assert out == batch[0]
    grad = lossx.ctc_loss_backward(1.0, lp[:, 0], labels, int(il[0]), 2, reduction="sum")
    np.testing.assert_array_equal(grad, lossx.ctc_loss_backward(np.array([1.0, 0, 0]), lp, tg, il, tl,
                                                                 reduction="none")[:, 0])
    assert lossx.ctc_loss(lp[:, 0], labels, int(il[0]), 2) == batch[0] / 2


def _impossible_alignment(rng):
    lp = log_softmax(rng.standard_normal((6, 2, 4)))
    tg = np.array([[1, 1, 1], [1, 2, 3]])
    il, tl = np.array([4, 6]), np.array([3, 3])  # 1,1,1 needs 5 frames
    return lp, tg, il, tl


def test_impossible_alignment_inf_and_nan_gradient(rng):
    lp, tg, il, tl = _impossible_alignment(rng)
    loss = lossx.ctc_loss(lp, tg, il, tl, reduction="none")
    assert loss[0] == np.inf and np.isfinite(loss[1])
    assert lossx.ctc_loss(lp, tg, il, tl, reduction="sum") == np.inf
    grad = lossx.ctc_loss_backward(np.ones(2), lp, tg, il, tl, reduction="none")
    assert np.all(np.isnan(grad[:4, 0])) and np.all(grad[4:, 0] == 0)
    assert np.all(np.isfinite(grad[:, 1]))
    # zero_infinity: loss 0, gradient 0 for that sample, the other unchanged
    loss_z, grad_z = lossx.ctc_loss_with_grad(lp, tg, il, tl, reduction="none", zero_infinity=True)
    assert loss_z[0] == 0 and loss_z[1] == loss[1]
    assert np.all(grad_z[:, 0] == 0)
    np.testing.assert_array_equal(grad_z[:, 1], grad[:, 1])


@pytest.mark.requires_torch
def test_impossible_alignment_nan_gradient_as_torch(rng):
    lp, tg, il, tl = _impossible_alignment(rng)
    grad = lossx.ctc_loss_backward(np.ones(2), lp, tg, il, tl, reduction="none")
    lpt = torch.from_numpy(lp.copy()).requires_grad_()
    torch_ctc(F, lpt, torch.from_numpy(tg), il, tl, reduction="none").backward(torch.ones(2, dtype=torch.float64))
    np.testing.assert_array_equal(np.isnan(grad), np.isnan(lpt.grad.numpy()))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_tight_alignments(rng, dtype):
    """Input lengths at or just above the minimum (L + repeats): a single alignment or a handful."""
    T, C = 12, 6
    lp = log_softmax(rng.standard_normal((T, 4, C))).astype(dtype)
    tg = np.array([[1, 2, 3, 4, 5, 1, 2, 3], [1, 1, 2, 2, 3, 0, 0, 0], [4, 4, 4, 0, 0, 0, 0, 0], [1, 2, 1, 2, 1, 2, 1, 2]])
    tl = np.array([8, 5, 3, 8])
    for extra in (0, 1, 2):
        il = np.array([8, 7, 5, 8]) + extra  # L + repeats (+ extra)
        loss, grad = lossx.ctc_loss_with_grad(lp, tg, il, tl, reduction="none")
        want = ref.ctc_loss(lp, tg, il, tl, reduction="none")
        np.testing.assert_allclose(loss, want, rtol=1e-6 if dtype == np.float32 else 1e-12)
        if extra == 0:  # one alignment: every frame is certain
            np.testing.assert_allclose(loss[0], -lp[np.arange(8), 0, tg[0]].astype(np.float64).sum(), rtol=1e-6)
            np.testing.assert_allclose(grad[np.arange(8), 0, tg[0]], -1.0, rtol=0, atol=1e-6)
        for n in range(4):
            np.testing.assert_allclose(grad[: il[n], n].sum(-1), -1.0, atol=1e-5)
    # one frame short: impossible
    loss = lossx.ctc_loss(lp, tg, np.array([7, 6, 4, 7]), tl, reduction="none")
    assert np.all(loss == np.inf)


def _zero_lengths(rng):
    lp = log_softmax(rng.standard_normal((5, 4, 3)))
    tg = np.array([[1, 2], [1, 2], [0, 0], [2, 1]])
    il, tl = np.array([0, 0, 5, 3]), np.array([0, 2, 0, 0])
    return lp, tg, il, tl


def test_input_length_zero_and_target_length_zero(rng):
    lp, tg, il, tl = _zero_lengths(rng)
    loss, grad = lossx.ctc_loss_with_grad(lp, tg, il, tl, reduction="none", blank=0)
    assert loss[0] == 0 and loss[1] == np.inf
    np.testing.assert_allclose(loss[2], -lp[:, 2, 0].sum(), rtol=1e-15)
    np.testing.assert_allclose(loss[3], -lp[:3, 3, 0].sum(), rtol=1e-15)
    assert np.all(grad[:, :2] == 0)  # no frame read: zero gradient even for the inf loss (as PyTorch)
    expect = np.zeros((5, 3))
    expect[:, 0] = -1
    np.testing.assert_allclose(grad[:, 2], expect, rtol=0, atol=1e-15)  # the only path: posterior 1 on blank
    expect[3:] = 0
    np.testing.assert_allclose(grad[:, 3], expect, rtol=0, atol=1e-15)
    assert np.all(grad[3:, 3] == 0)


@pytest.mark.requires_torch
def test_input_length_zero_and_target_length_zero_as_torch(rng):
    lp, tg, il, tl = _zero_lengths(rng)
    want = torch_ctc(F, torch.from_numpy(lp), torch.from_numpy(tg), il, tl, reduction="none").numpy()
    np.testing.assert_allclose(lossx.ctc_loss(lp, tg, il, tl, reduction="none"), want, rtol=1e-14)


def test_unnormalised_log_probs_shift(rng):
    """The forward does not assume normalised frames: log_probs + k lowers each loss by k·T_n (as PyTorch)."""
    lp, tg, il, tl = ctc_batch(rng, np.float64, 4, T=10, C=5, S=4)
    a = lossx.ctc_loss(lp, tg, il, tl, reduction="none")
    b = lossx.ctc_loss(lp + 1.5, tg, il, tl, reduction="none")
    np.testing.assert_allclose(a - b, 1.5 * il, rtol=1e-12)


def test_nan_propagates_only_from_frames_and_classes_read(rng):
    lp, tg, il, tl = ctc_batch(rng, np.float64, 2, T=8, C=5, S=3, min_frames=6)
    tg[:, :] = [[1, 2, 1], [3, 3, 3]]
    il[:], tl[:] = [6, 8], [2, 1]
    base = lossx.ctc_loss(lp, tg, il, tl, reduction="none")
    x = lp.copy()
    x[2, 0, 4] = np.nan  # class 4 unused by sample 0
    x[7, 0, 0] = np.nan  # beyond sample 0's input length
    np.testing.assert_array_equal(lossx.ctc_loss(x, tg, il, tl, reduction="none"), base)
    x[3, 1, 0] = np.nan  # a blank frame of sample 1
    out = lossx.ctc_loss(x, tg, il, tl, reduction="none")
    assert out[0] == base[0] and np.isnan(out[1])


def test_empty_batch_and_empty_time():
    lp = np.zeros((5, 0, 4), np.float32)
    args = (lp, np.zeros((0, 3), np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64))
    assert np.isnan(lossx.ctc_loss(*args))
    assert lossx.ctc_loss(*args, reduction="sum") == 0
    assert lossx.ctc_loss(*args, reduction="none").shape == (0,)
    assert lossx.ctc_loss(lp, [], [], []).shape == ()  # concatenated, lists
    assert lossx.ctc_loss_backward(np.float32(1), *args).shape == (5, 0, 4)
    # T = 0 frames: every input length is 0
    out = lossx.ctc_loss(np.zeros((0, 2, 4)), [[1], [2]], [0, 0], [0, 1], reduction="none")
    np.testing.assert_array_equal(out, [0.0, np.inf])


def test_threads_bitwise_identical_variable_lengths(rng):
    lp, tg, il, tl = ctc_batch(rng, np.float32, 37, T=80, C=12, S=20, min_frames=1)
    before = lossx.get_num_threads()
    try:
        out = {}
        for t in (1, 2):
            lossx.set_num_threads(t)
            out[t] = [lossx.ctc_loss(lp, tg, il, tl, reduction=r) for r in REDUCTIONS]
            out[t] += list(lossx.ctc_loss_with_grad(lp, tg, il, tl, reduction="mean"))
        for a, b in zip(out[1], out[2]):
            np.testing.assert_array_equal(a, b)
    finally:
        lossx.set_num_threads(before)


def test_inputs_not_copied_or_modified(rng):
    lp, tg, il, tl = ctc_batch(rng, np.float64, 3, T=10, C=5, S=4)
    tg, il, tl = tg.astype(np.int32), il.astype(np.int32), tl.astype(np.int32)
    copies = [a.copy() for a in (lp, tg, il, tl)]
    lossx.ctc_loss_with_grad(lp, tg, il, tl, reduction="none")
    for a, c in zip((lp, tg, il, tl), copies):
        np.testing.assert_array_equal(a, c)


# ---------------------------------------------------------------- bad inputs
def _args(rng):
    lp, tg, il, tl = ctc_batch(rng, np.float64, 3, T=6, C=5, S=3, min_frames=6)
    tl[:] = [3, 1, 2]
    tg[:] = [[1, 2, 3], [4, -1, -1], [2, 2, -1]]
    return lp, tg, il, tl


@pytest.mark.parametrize(
    "change, arg, message",
    [
        (lambda a: a.update(il=np.array([6, 7, 6])), "input_lengths", r"lie in \[0, T\] = \[0, 6\].*got 7 for sample 1"),
        (lambda a: a.update(il=np.array([6, -1, 6])), "input_lengths", "got -1 for sample 1"),
        (lambda a: a.update(tl=np.array([3, -2, 2])), "target_lengths", "be >= 0; got -2 for sample 1"),
        (lambda a: a.update(tl=np.array([4, 1, 2])), "target_lengths", "at most S = 3"),
        (lambda a: a.update(tg=np.array([1, 2, 3, 4, 2])), "target_lengths", r"sum to the length of the concatenated"),
        (lambda a: a.update(tg=np.array([1, 2, 3, 4, 2, 2, 9])), "target_lengths", "a sum of 6"),
        (lambda a: a.update(blank=5), "blank", r"lie in \[0, C\) = \[0, 5\); got 5"),
        (lambda a: a.update(blank=-1), "blank", "got -1"),
        (lambda a: a["tg"].__setitem__((1, 0), 5), "targets", r"labels in \[0, 5\) other than blank=0.*got 5 at sample 1"),
        (lambda a: a["tg"].__setitem__((2, 1), -3), "targets", "got -3 at sample 2, position 1"),
        (lambda a: a["tg"].__setitem__((0, 2), 0), "targets", "other than blank=0.*got 0 at sample 0, position 2"),
        (lambda a: a.update(lp=np.zeros((6, 3, 5, 1))), "log_probs", "2 and 3 dimensions"),
        (lambda a: a.update(lp=np.zeros(6)), "log_probs", "2 and 3 dimensions"),
        (lambda a: a.update(tg=np.zeros((3, 3, 1), np.int64)), "targets", "between 1 and 2 dimensions"),
        (lambda a: a.update(tg=np.ones((2, 3), np.int64)), "targets", r"have 3 row\(s\)"),
        (lambda a: a.update(il=np.array([6, 6])), "input_lengths", r"shape \(3,\)"),
        (lambda a: a.update(tl=np.array([[3, 1, 2]])), "target_lengths", r"shape \(3,\)"),
    ],
)
def test_bad_inputs_value_error(rng, change, arg, message):
    a = dict(zip(("lp", "tg", "il", "tl"), _args(rng)), blank=0)
    change(a)
    with pytest.raises(ValueError, match=f"ctc_loss: '{arg}' must .*{message}"):
        lossx.ctc_loss(a["lp"], a["tg"], a["il"], a["tl"], blank=a["blank"])
    with pytest.raises(ValueError, match=f"'{arg}'"):
        lossx.ctc_loss_with_grad(a["lp"], a["tg"], a["il"], a["tl"], blank=a["blank"])


def test_bad_unbatched_lengths(rng):
    lp = log_softmax(rng.standard_normal((6, 5)))
    with pytest.raises(ValueError, match="'input_lengths' must be a scalar"):
        lossx.ctc_loss(lp, [1, 2], [6, 6], 2)
    with pytest.raises(ValueError, match="'target_lengths'"):
        lossx.ctc_loss(lp, [1, 2], 6, 3)  # 1-D targets are concatenated: length must match


@pytest.mark.parametrize("which", ["input_lengths", "target_lengths"])
def test_float_lengths_type_error(rng, which):
    lp, tg, il, tl = _args(rng)
    bads = [np.array([3.0, 1.0, 2.0]), [3.0, 1.0, 2.0], np.array([True] * 3), True]
    if torch is not None:
        bads.append(torch.tensor([3.0, 1.0, 2.0]))
    for bad in bads:
        kw = dict(input_lengths=il, target_lengths=tl)
        kw[which] = bad
        with pytest.raises(TypeError, match=f"'{which}' must be integers"):
            lossx.ctc_loss(lp, tg, **kw)


def test_other_type_errors(rng):
    lp, tg, il, tl = _args(rng)
    with pytest.raises(TypeError, match="'targets'"):
        lossx.ctc_loss(lp, tg.astype(np.float64), il, tl)
    with pytest.raises(TypeError, match="'log_probs' must be a float32 or float64"):
        lossx.ctc_loss(lp.astype(np.float16), tg, il, tl)
    with pytest.raises(TypeError, match="'blank' must be an int"):
        lossx.ctc_loss(lp, tg, il, tl, blank=1.0)


def test_lengths_any_integer_dtype_and_mixed(rng):
    lp, tg, il, tl = _args(rng)
    base = lossx.ctc_loss(lp, tg, il, tl, reduction="none")
    variants = [(il.astype(np.int32), tl), (il.astype(np.uint8), tl.astype(np.int16)), (tuple(il), list(tl)),
                (il.astype(">i8"), tl.astype(">i4")), (il[::-1].copy()[::-1], tl)]
    if torch is not None:
        variants.append((torch.from_numpy(il), torch.from_numpy(tl).int()))
    for a, b in variants:
        np.testing.assert_array_equal(lossx.ctc_loss(lp, tg, a, b, reduction="none"), base)


def test_positional_signature_as_pytorch(rng):
    """(log_probs, targets, input_lengths, target_lengths, blank, reduction, zero_infinity), all positional-or-keyword."""
    lp, tg, il, tl = _args(rng)
    il[0] = 2  # impossible
    a = lossx.ctc_loss(lp, tg, il, tl, 0, "none", True)
    b = lossx.ctc_loss(log_probs=lp, targets=tg, input_lengths=il, target_lengths=tl, blank=0, reduction="none",
                       zero_infinity=True)
    np.testing.assert_array_equal(a, b)
    assert a[0] == 0
    g = lossx.ctc_loss_backward(np.ones(3), lp, tg, il, tl, 0, "none", True)
    np.testing.assert_array_equal(g, lossx.ctc_loss_with_grad(lp, tg, il, tl, 0, "none", True)[1])


def test_signature_is_pytorchs():
    import inspect

    p = inspect.signature(lossx.ctc_loss).parameters
    assert list(p) == ["log_probs", "targets", "input_lengths", "target_lengths", "blank", "reduction", "zero_infinity"]
    assert all(v.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD for v in p.values())
    assert (p["blank"].default, p["reduction"].default, p["zero_infinity"].default) == (0, "mean", False)
    assert list(inspect.signature(lossx.ctc_loss_backward).parameters)[:2] == ["grad_output", "log_probs"]
    w = inspect.signature(lossx.ctc_loss_with_grad).parameters
    assert w["grad_output"].kind is inspect.Parameter.KEYWORD_ONLY and w["grad_output"].default is None
    assert "exp(log_probs) - gamma" in lossx.ctc_loss_backward.__doc__


def test_batch_first_log_probs_names_the_layout():
    """(N, T, C) log_probs: say that the layout is time-major and how to transpose, not blame the lengths."""
    lp = np.full((4, 20, 5), -np.log(5.0))
    with pytest.raises(ValueError, match=r"'log_probs' must be time-major \(T, N, C\).*transpose\(1, 0, 2\); "
                                         r"got \(4, 20, 5\)"):
        lossx.ctc_loss(lp, np.ones((4, 3), np.int64), np.full(4, 20), np.full(4, 3))
    # the time-major layout of the same data works
    lossx.ctc_loss(lp.transpose(1, 0, 2), np.ones((4, 3), np.int64), np.full(4, 20), np.full(4, 3))
