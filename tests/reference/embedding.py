"""NumPy references for the embedding losses (float64, from the formulas)."""

import numpy as np

from ._reduce import reduce

# PyTorch declares the cosine EPSILON as a float: 1e-12 rounded to float32.
COSINE_EPSILON = float(np.float32(1e-12))


def cosine_embedding_loss(input1, input2, target, margin=0, *, reduction="mean"):
    x1 = np.asarray(input1, np.float64)
    x2 = np.asarray(input2, np.float64)
    y = np.asarray(target, np.float64)
    prod = (x1 * x2).sum(-1)
    m1 = (x1 * x1).sum(-1) + COSINE_EPSILON
    m2 = (x2 * x2).sum(-1) + COSINE_EPSILON
    cos = prod / np.sqrt(m1 * m2)
    loss = np.where(y == 1, 1.0 - cos, np.where(y == -1, np.maximum(cos - margin, 0.0), 0.0))
    return reduce(loss, reduction)


def _norm(d, p):
    """||d||_p along the last axis (p = inf: the max of |d|; empty rows: 0)."""
    a = np.abs(d)
    if np.isinf(p):
        return a.max(axis=-1, initial=0.0)
    if p == 2:
        return np.sqrt((a * a).sum(-1))
    return (a**p).sum(-1) ** (1.0 / p)


def pairwise_distance(x, y, p=2, eps=1e-6):
    """torch.pairwise_distance: the norm of x - y + eps (eps added to every component)."""
    return _norm(np.asarray(x, np.float64) - np.asarray(y, np.float64) + eps, p)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False, *, reduction="mean"):
    d_ap = pairwise_distance(anchor, positive, p, eps)
    d_an = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_an = np.minimum(d_an, pairwise_distance(positive, negative, p, eps))
    return reduce(np.maximum(margin + d_ap - d_an, 0.0), reduction)


def batch_hard_choices(embeddings, labels, p=2):
    """Brute force over the full distance matrix: (distances, positive index, negative index),
    -1 where an anchor has no positive / negative. Ties and NaN: the first index (np.argmax/argmin)."""
    e = np.asarray(embeddings, np.float64)
    y = np.asarray(labels)
    n = e.shape[0]
    dist = _norm(e[:, None, :] - e[None, :, :], p) if n else np.zeros((0, 0))
    pos = np.full(n, -1)
    neg = np.full(n, -1)
    for i in range(n):
        same = np.flatnonzero((y == y[i]) & (np.arange(n) != i))
        other = np.flatnonzero(y != y[i])
        if same.size:
            pos[i] = same[np.argmax(dist[i, same])]
        if other.size:
            neg[i] = other[np.argmin(dist[i, other])]
    return dist, pos, neg


def batch_hard_triplet_loss(embeddings, labels, margin=1.0, p=2, *, reduction="mean"):
    dist, pos, neg = batch_hard_choices(embeddings, labels, p)
    kept = (pos >= 0) & (neg >= 0)
    idx = np.arange(len(pos))
    loss = np.where(kept, np.maximum(dist[idx, pos] - dist[idx, neg] + margin, 0.0), 0.0)
    return reduce(loss, reduction, denom=kept.sum())
