"""Cases of the classification losses (see cases.py)."""

import numpy as np

from cases import case, normal
from reference import classification as ref

def _logits_targets(rng, dtype, n, C=7, spatial=()):
    x = normal(rng, (n, C, *spatial), dtype, 2.0)
    y = rng.integers(0, C, size=(n, *spatial))
    return x, y


@case("cross_entropy", "index", ref.cross_entropy)
def _(rng, dtype, n):
    return _logits_targets(rng, dtype, n), {}


@case("cross_entropy", "index-weight-ignore-smooth", ref.cross_entropy)
def _(rng, dtype, n):
    x, y = _logits_targets(rng, dtype, n)
    y[::3] = 2
    w = rng.random(7).astype(dtype) + 0.1
    return (x, y, w), {"ignore_index": 2, "label_smoothing": 0.15}


@case("cross_entropy", "kdim-int32-weight", ref.cross_entropy)
def _(rng, dtype, n):
    x, y = _logits_targets(rng, dtype, n, C=5, spatial=(3, 2))
    w = rng.random(5).astype(dtype) + 0.1
    return (x, y.astype(np.int32), w), {"label_smoothing": 0.1}


@case("cross_entropy", "probs", ref.cross_entropy)
def _(rng, dtype, n):
    x = normal(rng, (n, 6), dtype, 2.0)
    p = rng.random((n, 6))
    p = (p / p.sum(1, keepdims=True)).astype(dtype)
    return (x, p), {}


@case("cross_entropy", "probs-kdim-weight-smooth", ref.cross_entropy)
def _(rng, dtype, n):
    x = normal(rng, (n, 4, 3), dtype, 2.0)
    p = rng.random((n, 4, 3)).astype(dtype)
    return (x, p, rng.random(4).astype(dtype)), {"label_smoothing": 0.3}


@case("cross_entropy", "unbatched", ref.cross_entropy, empty=False)
def _(rng, dtype, n):
    return (normal(rng, (9,), dtype), np.int64(rng.integers(0, 9))), {"label_smoothing": 0.05}


# ---------------------------------------------------------------- nll_loss

def _log_probs(rng, dtype, n, C=7, spatial=()):
    x = rng.standard_normal((n, C, *spatial))
    x = x - np.log(np.exp(x).sum(1, keepdims=True))
    return x.astype(dtype), rng.integers(0, C, size=(n, *spatial))


@case("nll_loss", "plain", ref.nll_loss)
def _(rng, dtype, n):
    return _log_probs(rng, dtype, n), {}


@case("nll_loss", "weight-ignore", ref.nll_loss)
def _(rng, dtype, n):
    x, y = _log_probs(rng, dtype, n)
    y[::3] = 4
    return (x, y, rng.random(7).astype(dtype) + 0.1), {"ignore_index": 4}


@case("nll_loss", "kdim-int32-weight", ref.nll_loss)
def _(rng, dtype, n):
    x, y = _log_probs(rng, dtype, n, C=5, spatial=(3, 2))
    return (x, y.astype(np.int32), rng.random(5).astype(dtype) + 0.1), {}


@case("nll_loss", "kdim-ignore-raw", ref.nll_loss)
def _(rng, dtype, n):
    # Raw (not log-probability) values: nll_loss does not check its input.
    x = normal(rng, (n, 4, 5), dtype, 3.0)
    y = rng.integers(-1, 4, size=(n, 5))
    return (x, y), {"ignore_index": -1}


@case("nll_loss", "unbatched", ref.nll_loss, empty=False)
def _(rng, dtype, n):
    x, _ = _log_probs(rng, dtype, 1, C=6)
    return (x[0], np.int64(rng.integers(0, 6)), rng.random(6).astype(dtype)), {}


# ---------------------------------------------------------------- binary_cross_entropy

def _probs(rng, shape, dtype):
    # Away from 0 and 1, where PyTorch's backward is not the derivative of the clamped loss.
    return (0.05 + 0.9 * rng.random(shape)).astype(dtype)


@case("binary_cross_entropy", "plain", ref.binary_cross_entropy)
def _(rng, dtype, n):
    return (_probs(rng, (n, 3), dtype), rng.random((n, 3)).astype(dtype)), {}


@case("binary_cross_entropy", "weight-bcast", ref.binary_cross_entropy)
def _(rng, dtype, n):
    return (_probs(rng, (n, 3), dtype), rng.integers(0, 2, (n, 3)).astype(dtype), rng.random(3).astype(dtype)), {}


@case("binary_cross_entropy", "weight-full", ref.binary_cross_entropy)
def _(rng, dtype, n):
    return (_probs(rng, (n, 2, 3), dtype), rng.random((n, 2, 3)).astype(dtype),
            rng.random((n, 2, 3)).astype(dtype)), {}


# ---------------------------------------------------------------- binary_cross_entropy_with_logits

@case("binary_cross_entropy_with_logits", "plain", ref.binary_cross_entropy_with_logits)
def _(rng, dtype, n):
    return (normal(rng, (n, 4), dtype, 3.0), rng.random((n, 4)).astype(dtype)), {}


@case("binary_cross_entropy_with_logits", "pos_weight", ref.binary_cross_entropy_with_logits)
def _(rng, dtype, n):
    return (normal(rng, (n, 4), dtype, 3.0), rng.integers(0, 2, (n, 4)).astype(dtype)), {
        "pos_weight": (rng.random(4) * 3).astype(dtype)}


@case("binary_cross_entropy_with_logits", "weight-pos_weight", ref.binary_cross_entropy_with_logits)
def _(rng, dtype, n):
    return (normal(rng, (n, 2, 4), dtype, 3.0), rng.random((n, 2, 4)).astype(dtype),
            rng.random((2, 1)).astype(dtype)), {"pos_weight": (rng.random(4) * 3).astype(dtype)}


# ---------------------------------------------------------------- kl_div

def _kl_torch(F, *args, **kwargs):
    # PyTorch warns on every reduction='mean' call; lossx gives the same value without warning.
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="reduction: 'mean' divides the total loss")
        return F.kl_div(*args, **kwargs)


_KL_REDUCTIONS = ("none", "mean", "sum", "batchmean")


@case("kl_div", "probs", ref.kl_div, reductions=_KL_REDUCTIONS, torch_fn=_kl_torch)
def _(rng, dtype, n):
    x = normal(rng, (n, 5), dtype) - 1.0
    t = rng.random((n, 5))
    t[:, 0] = 0.0  # t = 0 terms are 0
    return (x, (t / t.sum(1, keepdims=True)).astype(dtype)), {}


@case("kl_div", "log_target", ref.kl_div, reductions=_KL_REDUCTIONS, torch_fn=_kl_torch)
def _(rng, dtype, n):
    return (normal(rng, (n, 3, 2), dtype) - 1.0, normal(rng, (n, 3, 2), dtype) - 1.0), {"log_target": True}
