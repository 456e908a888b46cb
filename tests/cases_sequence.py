"""Cases of the sequence losses (see cases.py).

CTC's arguments are (log_probs, targets, input_lengths, target_lengths): only
log_probs is differentiable and it is the only float array (diff=(0,), strict=(0,)).
The generic PyTorch comparison is off (torch=False): PyTorch's CTC gradient is the
gradient w.r.t. the logits of a log_softmax, not w.r.t. log_probs, so
test_sequence.py compares with PyTorch itself, through `torch_ctc` and a
log_softmax backward.
"""

import numpy as np

from cases import case
from reference import sequence as ref


def torch_ctc(F, log_probs, targets, input_lengths, target_lengths, **kwargs):
    """F.ctc_loss with the lengths made tensors (PyTorch takes no plain ints, nor a list next to a tensor)."""
    import torch

    return F.ctc_loss(log_probs, targets, torch.as_tensor(np.asarray(input_lengths, dtype=np.int64)),
                      torch.as_tensor(np.asarray(target_lengths, dtype=np.int64)), **kwargs)


def log_softmax(x, axis=-1):
    m = x.max(axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


def ctc_batch(rng, dtype, n, T=10, C=5, S=4, blank=0, min_frames=6, labels=None, pad=-1):
    """log_probs (T, n, C) normalised per frame, padded targets (n, S) (padding `pad`), and
    lengths with every alignment possible: target length <= (input length + 1) // 2."""
    x = rng.standard_normal((T, n, C)) * 2.0
    lp = log_softmax(x).astype(dtype)
    choices = np.array([c for c in range(C) if c != blank] if labels is None else labels)
    il = rng.integers(min_frames, T + 1, size=n)
    tl = np.array([rng.integers(0, min(S, (i + 1) // 2) + 1) for i in il], dtype=np.int64)
    tg = np.full((n, S), pad, dtype=np.int64)
    for k in range(n):
        tg[k, : tl[k]] = rng.choice(choices, size=tl[k])
    return lp, tg, il.astype(np.int64), tl


def concatenate(tg, tl):
    return np.concatenate([tg[k, : tl[k]] for k in range(len(tl))]) if len(tl) else np.zeros(0, tg.dtype)


_CTC = dict(diff=(0,), strict=(0,), torch=False, torch_fn=torch_ctc)


@case("ctc_loss", "padded", ref.ctc_loss, **_CTC)
def _(rng, dtype, n):
    return ctc_batch(rng, dtype, n), {}


@case("ctc_loss", "concat-int32-blank3", ref.ctc_loss, **_CTC)
def _(rng, dtype, n):
    lp, tg, il, tl = ctc_batch(rng, dtype, n, T=9, C=6, S=5, blank=3, min_frames=1)
    return (lp, concatenate(tg, tl).astype(np.int32), il.astype(np.int32), tl.astype(np.int32)), {"blank": 3}


@case("ctc_loss", "repeats-blank-last", ref.ctc_loss, **_CTC)
def _(rng, dtype, n):
    # labels from {0, 1}: many repeated neighbours (no blank skip between them); blank = C-1; padding = blank
    lp, tg, il, tl = ctc_batch(rng, dtype, n, T=11, C=4, S=5, blank=3, labels=[0, 1], pad=3)
    return (lp, tg.astype(np.int32), il, tl), {"blank": 3}


@case("ctc_loss", "zero-infinity-edge-lengths", ref.ctc_loss, **_CTC)
def _(rng, dtype, n):
    # impossible alignments, input length 0 and target length 0 mixed in; zero_infinity makes them 0
    lp, tg, il, tl = ctc_batch(rng, dtype, n, T=8, C=5, S=5, min_frames=0)
    tl[::3] = 5          # 5 labels need at least 5 frames: impossible where il < 5
    tg[::3] = rng.integers(1, 5, size=(len(tg[::3]), 5))
    il[1::4] = 0
    tl[2::5] = 0
    return (lp, tg, il, tl), {"zero_infinity": True}


@case("ctc_loss", "unbatched", ref.ctc_loss, empty=False, **_CTC)
def _(rng, dtype, n):
    lp, tg, il, tl = ctc_batch(rng, dtype, 1, T=9, C=5, S=4, min_frames=9)
    tl[0] = 3
    tg[0, :3] = [2, 2, 4]
    return (lp[:, 0, :], tg[0, :3].copy(), int(il[0]), int(tl[0])), {}
