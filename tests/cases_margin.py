"""Cases of the margin losses (see cases.py).

The hinge-type losses have kinks; the generators move every argument at least
``GAP`` away from them, so that the finite-difference checks (steps of 2e-4)
never straddle one. The kinks themselves are tested with exact inputs in
test_margin.py.
"""

import numpy as np

from cases import case, normal
from reference import margin as ref

GAP = 0.02


def _off_kink(v):
    """Moves values within GAP of 0 to ±GAP·2 (keeping their side)."""
    return np.where(np.abs(v) < GAP, np.where(v < 0, -2 * GAP, 2 * GAP), v)


def _signs(rng, shape, dtype):
    return rng.choice([-1.0, 1.0], size=shape).astype(dtype)


# ---------------------------------------------------------------- margin_ranking_loss
def _ranking(rng, dtype, shape, labels, margin):
    x1 = normal(rng, shape, np.float64)
    x2 = normal(rng, shape, np.float64)
    y = rng.choice(labels, size=shape)
    # v = -y (x1 - x2) + m must stay off 0 where it depends on x (y != 0): adjust x1.
    v = -y * (x1 - x2) + margin
    x1 = np.where((y != 0) & (np.abs(v) < GAP), x1 - np.sign(y) * 3 * GAP, x1)
    # np.asarray keeps 0-d values arrays (not NumPy scalars), as the generic tests expect
    return tuple(np.asarray(a, dtype=dtype) for a in (x1, x2, y))


@case("margin_ranking_loss", "pm1", ref.margin_ranking_loss, diff=(0, 1), strict=(0, 1, 2))
def _(rng, dtype, n):
    return _ranking(rng, dtype, (n, 3), [-1.0, 1.0], 0.0), {}


@case("margin_ranking_loss", "any-y-margin", ref.margin_ranking_loss, diff=(0, 1), strict=(0, 1, 2))
def _(rng, dtype, n):
    x1, x2, y = _ranking(rng, dtype, (n,), [-1.0, 0.0, 1.0, 2.5, -0.5], 0.3)
    return (x1, x2, y, 0.3), {}


@case("margin_ranking_loss", "0d", ref.margin_ranking_loss, diff=(0, 1), strict=(0, 1, 2), empty=False)
def _(rng, dtype, n):
    x1, x2, y = _ranking(rng, dtype, (), [-1.0, 1.0], 0.5)
    return (x1, x2, y), {"margin": 0.5}


# ---------------------------------------------------------------- hinge_embedding_loss
def _hinge(rng, dtype, shape, labels, margin):
    x = np.abs(normal(rng, shape, np.float64)) * 1.5
    x = margin + _off_kink(x - margin)
    return x.astype(dtype), rng.choice(labels, size=shape).astype(dtype)


@case("hinge_embedding_loss", "pm1", ref.hinge_embedding_loss)
def _(rng, dtype, n):
    return _hinge(rng, dtype, (n, 4), [-1.0, 1.0], 1.0), {}


@case("hinge_embedding_loss", "y0-margin", ref.hinge_embedding_loss)
def _(rng, dtype, n):
    x, y = _hinge(rng, dtype, (n, 2, 3), [-1.0, 0.0, 1.0, 0.5], 0.7)
    return (x, y, 0.7), {}


# ---------------------------------------------------------------- soft_margin_loss
@case("soft_margin_loss", "pm1", ref.soft_margin_loss)
def _(rng, dtype, n):
    return (normal(rng, (n, 5), dtype, 2.0), _signs(rng, (n, 5), dtype)), {}


@case("soft_margin_loss", "any-y", ref.soft_margin_loss)
def _(rng, dtype, n):
    return (normal(rng, (n,), dtype, 2.0), normal(rng, (n,), dtype)), {}


# ---------------------------------------------------------------- multilabel_soft_margin_loss
@case("multilabel_soft_margin_loss", "plain", ref.multilabel_soft_margin_loss)
def _(rng, dtype, n):
    x = normal(rng, (n, 5), dtype, 2.0)
    return (x, rng.integers(0, 2, size=(n, 5)).astype(dtype)), {}


@case("multilabel_soft_margin_loss", "weight-soft", ref.multilabel_soft_margin_loss)
def _(rng, dtype, n):
    x = normal(rng, (n, 4), dtype, 2.0)
    w = (rng.random(4) + 0.2).astype(dtype)
    return (x, rng.random((n, 4)).astype(dtype), w), {}


@case("multilabel_soft_margin_loss", "kdim", ref.multilabel_soft_margin_loss)
def _(rng, dtype, n):
    x = normal(rng, (n, 2, 3), dtype, 2.0)
    return (x, rng.integers(0, 2, size=(n, 2, 3)).astype(dtype)), {"weight": np.array([1.0, 2.0, 0.5], dtype)}


@case("multilabel_soft_margin_loss", "unbatched", ref.multilabel_soft_margin_loss, empty=False)
def _(rng, dtype, n):
    return (normal(rng, (6,), dtype, 2.0), rng.integers(0, 2, size=6).astype(dtype)), {}


# ---------------------------------------------------------------- multi_margin_loss
def _multi_margin(rng, dtype, rows, C, margin, index_dtype=np.int64):
    x = normal(rng, (rows, C), np.float64)
    y = rng.integers(0, C, size=rows)
    while True:  # redraw the rows with some z = margin - x_y + x_i (i != y) near the kink
        z = margin - x[np.arange(rows), y][:, None] + x
        z[np.arange(rows), y] = 1.0
        bad = np.abs(z).min(axis=1) < GAP
        if not bad.any():
            break
        x[bad] = rng.standard_normal((int(bad.sum()), C))
    return x.astype(dtype), y.astype(index_dtype)


@case("multi_margin_loss", "p1", ref.multi_margin_loss)
def _(rng, dtype, n):
    return _multi_margin(rng, dtype, n, 6, 1.0), {}


@case("multi_margin_loss", "p2-weight-margin-int32", ref.multi_margin_loss)
def _(rng, dtype, n):
    x, y = _multi_margin(rng, dtype, n, 5, 0.5, np.int32)
    w = (rng.random(5) + 0.2).astype(dtype)
    return (x, y), {"p": 2, "margin": 0.5, "weight": w}


@case("multi_margin_loss", "unbatched", ref.multi_margin_loss, empty=False)
def _(rng, dtype, n):
    x, y = _multi_margin(rng, dtype, 1, 7, 1.0)
    return (x[0], y[0]), {"weight": (rng.random(7) + 0.2).astype(dtype)}


# ---------------------------------------------------------------- multilabel_margin_loss
def _multilabel_margin(rng, dtype, rows, C, duplicates=False, index_dtype=np.int64):
    """Targets: k labels (0..C, distinct unless `duplicates`), then -1, then arbitrary labels in [-1, C)."""
    order = np.argsort(rng.random((rows, C)), axis=1)  # a random permutation per row
    if duplicates:
        order[:, 1] = order[:, 0]
    k = rng.integers(0, C + 1, size=rows)
    cols = np.arange(C)[None, :]
    t = np.where(cols < k[:, None], order, rng.integers(-1, C, size=(rows, C)))
    t[cols == k[:, None]] = -1
    is_label = np.zeros((rows, C), bool)
    np.put_along_axis(is_label, np.where(cols < k[:, None], order, order[:, :1]), True, axis=1)
    is_label[k == 0] = False
    x = normal(rng, (rows, C), np.float64)
    while True:  # redraw the rows with some 1 - x_j + x_i (j a label, i not) near the kink
        xj = np.where(is_label, x, np.nan)
        z = 1.0 - xj[:, :, None] + x[:, None, :]          # z[r, j, i]
        z = np.where(is_label[:, None, :], np.nan, z)
        with np.errstate(invalid="ignore"):
            bad = (np.abs(z) < GAP).any(axis=(1, 2))
        if not bad.any():
            break
        x[bad] = rng.standard_normal((int(bad.sum()), C))
    return x.astype(dtype), t.astype(index_dtype)


@case("multilabel_margin_loss", "plain", ref.multilabel_margin_loss)
def _(rng, dtype, n):
    return _multilabel_margin(rng, dtype, n, 5), {}


@case("multilabel_margin_loss", "dup-int32", ref.multilabel_margin_loss)
def _(rng, dtype, n):
    return _multilabel_margin(rng, dtype, n, 6, duplicates=True, index_dtype=np.int32), {}


@case("multilabel_margin_loss", "unbatched", ref.multilabel_margin_loss, empty=False)
def _(rng, dtype, n):
    x, t = _multilabel_margin(rng, dtype, 1, 7)
    return (x[0], t[0]), {}
