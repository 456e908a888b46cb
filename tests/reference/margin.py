"""NumPy references for the margin losses (float64, from the formulas)."""

import numpy as np

from ._reduce import reduce


def _f64(a):
    return np.asarray(a, dtype=np.float64)


def margin_ranking_loss(input1, input2, target, margin=0, *, reduction="mean"):
    v = -_f64(target) * (_f64(input1) - _f64(input2)) + margin
    return reduce(np.maximum(v, 0.0), reduction)


def hinge_embedding_loss(input, target, margin=1.0, *, reduction="mean"):
    x, y = _f64(input), _f64(target)
    loss = np.where(y != 1, np.maximum(margin - x, 0.0), 0.0) + np.where(y != -1, x, 0.0)
    return reduce(loss, reduction)


def soft_margin_loss(input, target, *, reduction="mean"):
    # log(1 + exp(-y x)) without overflow
    return reduce(np.logaddexp(0.0, -_f64(target) * _f64(input)), reduction)


def multilabel_soft_margin_loss(input, target, weight=None, *, reduction="mean"):
    x, y = _f64(input), _f64(target)
    per = y * np.logaddexp(0.0, -x) + (1 - y) * np.logaddexp(0.0, x)
    if weight is not None:
        per = per * _f64(weight)
    return reduce(per.sum(axis=-1) / x.shape[-1], reduction)


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, *, reduction="mean"):
    x = _f64(input)
    t = np.asarray(target)
    rows = x.reshape(-1, x.shape[-1] if x.ndim else 1)
    ys = t.reshape(-1).astype(np.int64)
    C = rows.shape[1]
    w = np.ones(C) if weight is None else _f64(weight)
    per = np.zeros(len(ys))
    for r, y in enumerate(ys):
        z = margin - rows[r, y] + rows[r]
        z[y] = 0.0
        per[r] = w[y] * np.sum(np.maximum(z, 0.0) ** p) / C
    return reduce(per.reshape(t.shape), reduction)


def multilabel_margin_loss(input, target, *, reduction="mean"):
    x = _f64(input)
    t = np.asarray(target).astype(np.int64)
    C = x.shape[-1] if x.ndim else 1
    rows, trows = x.reshape(-1, C), t.reshape(-1, C)
    per = np.zeros(len(rows))
    for r in range(len(rows)):
        labels = []
        for v in trows[r]:
            if v < 0:
                break
            labels.append(int(v))
        others = [i for i in range(C) if i not in set(labels)]
        per[r] = sum(max(0.0, 1.0 - rows[r, j] + rows[r, i]) for j in labels for i in others) / C
    return reduce(per.reshape(x.shape[:-1]) if x.ndim == 2 else per.reshape(()), reduction)
