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
