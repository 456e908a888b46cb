"""Cases of the embedding losses (see cases.py)."""

import numpy as np

from cases import case, normal
from reference import embedding as ref

# ---------------------------------------------------------------- cosine_embedding_loss
COSINE = dict(diff=(0, 1), strict=(0, 1, 2))


def _signs(rng, dtype, n):
    return rng.choice([-1.0, 1.0], size=n).astype(dtype)


@case("cosine_embedding_loss", "plain", ref.cosine_embedding_loss, **COSINE)
def _(rng, dtype, n):
    return (normal(rng, (n, 5), dtype), normal(rng, (n, 5), dtype), _signs(rng, dtype, n)), {}


@case("cosine_embedding_loss", "margin-other-targets", ref.cosine_embedding_loss, **COSINE)
def _(rng, dtype, n):
    # Targets other than ±1 give 0 in PyTorch; the margin moves the y = -1 hinge.
    y = rng.choice([-1.0, 1.0, 0.0, 0.5], size=n).astype(dtype)
    return (normal(rng, (n, 4), dtype), normal(rng, (n, 4), dtype), y, -0.3), {}


def _torch_float_target(F, x1, x2, y, *args, **kwargs):
    """PyTorch wants a tensor target; lossx also takes a Python float."""
    import torch

    return F.cosine_embedding_loss(x1, x2, torch.tensor(y, dtype=x1.dtype), *args, **kwargs)


@case("cosine_embedding_loss", "unbatched", ref.cosine_embedding_loss, empty=False, torch_fn=_torch_float_target,
      **COSINE)
def _(rng, dtype, n):
    # A Python float target (converted to the inputs' dtype), as a 0-d target often is.
    return (normal(rng, (6,), dtype), normal(rng, (6,), dtype), -1.0), {"margin": -0.5}


# ---------------------------------------------------------------- triplet_margin_loss
TRIPLET = dict(diff=(0, 1, 2), strict=(0, 1, 2))


def _triplets(rng, dtype, n, D=5):
    a = normal(rng, (n, D), dtype)
    # Positives near the anchors, so that both sides of the hinge occur.
    p = (a + normal(rng, (n, D), np.float64, 0.7)).astype(dtype)
    return a, p, normal(rng, (n, D), dtype)


@case("triplet_margin_loss", "p2", ref.triplet_margin_loss, **TRIPLET)
def _(rng, dtype, n):
    return _triplets(rng, dtype, n), {}


@case("triplet_margin_loss", "p1-swap", ref.triplet_margin_loss, **TRIPLET)
def _(rng, dtype, n):
    return _triplets(rng, dtype, n), {"p": 1, "swap": True, "margin": 0.5}


@case("triplet_margin_loss", "p2-swap-eps", ref.triplet_margin_loss, **TRIPLET)
def _(rng, dtype, n):
    return (*_triplets(rng, dtype, n, D=7), 1.5, 2, 0.05, True), {}


@case("triplet_margin_loss", "p1.5", ref.triplet_margin_loss, **TRIPLET)
def _(rng, dtype, n):
    return _triplets(rng, dtype, n), {"p": 1.5, "margin": 2.0}


@case("triplet_margin_loss", "p0.5-swap", ref.triplet_margin_loss, **TRIPLET)
def _(rng, dtype, n):
    return _triplets(rng, dtype, n), {"p": 0.5, "swap": True, "margin": 3.0}


@case("triplet_margin_loss", "p3", ref.triplet_margin_loss, **TRIPLET)
def _(rng, dtype, n):
    return _triplets(rng, dtype, n), {"p": 3.0}


@case("triplet_margin_loss", "pinf-swap", ref.triplet_margin_loss, **TRIPLET)
def _(rng, dtype, n):
    return _triplets(rng, dtype, n), {"p": float("inf"), "swap": True}


@case("triplet_margin_loss", "unbatched", ref.triplet_margin_loss, empty=False, **TRIPLET)
def _(rng, dtype, n):
    a, p, q = _triplets(rng, dtype, 1, D=8)
    return (a[0], p[0], q[0]), {"margin": 2.0}


# ---------------------------------------------------------------- batch_hard_triplet_loss
# Not in PyTorch (torch=False). O(N²) time: the generic thread test asks for 20,000
# rows; 2,048 still give 32 blocks of anchors and of gradient rows.
BATCH_HARD = dict(diff=(0,), strict=(0,), torch=False)


def _labelled(rng, dtype, n, D=5, label_dtype=np.int64):
    n = min(n, 2048)
    e = normal(rng, (n, D), dtype)
    labels = np.arange(n) % max(2, n // 3)
    if n >= 3:
        labels[-1] = n + 7  # a singleton: an anchor without a positive, left out
    return e, rng.permutation(labels).astype(label_dtype)


@case("batch_hard_triplet_loss", "p2", ref.batch_hard_triplet_loss, **BATCH_HARD)
def _(rng, dtype, n):
    return _labelled(rng, dtype, n), {}


@case("batch_hard_triplet_loss", "p1-int32", ref.batch_hard_triplet_loss, **BATCH_HARD)
def _(rng, dtype, n):
    return _labelled(rng, dtype, n, label_dtype=np.int32), {"p": 1, "margin": 0.5}


@case("batch_hard_triplet_loss", "p1.5-uint8-margin0", ref.batch_hard_triplet_loss, **BATCH_HARD)
def _(rng, dtype, n):
    e, y = _labelled(rng, dtype, n, D=3)
    return (e, (y % 250).astype(np.uint8), 0.0, 1.5), {}


@case("batch_hard_triplet_loss", "p3-int16", ref.batch_hard_triplet_loss, **BATCH_HARD)
def _(rng, dtype, n):
    e, y = _labelled(rng, dtype, n, D=6, label_dtype=np.int16)
    return (e, y), {"p": 3, "margin": 2.5}


@case("batch_hard_triplet_loss", "pinf", ref.batch_hard_triplet_loss, **BATCH_HARD)
def _(rng, dtype, n):
    return _labelled(rng, dtype, n), {"p": float("inf"), "margin": 1.5}
