"""NumPy references for the regression losses (float64, from the formulas)."""

import math

import numpy as np

from ._reduce import reduce


def _diff(input, target):
    return np.asarray(input, np.float64) - np.asarray(target, np.float64)


def _weighted(loss, reduction, weight, mean_by_weight_sum):
    if weight is None:
        return reduce(loss, reduction)
    w = np.asarray(weight, np.float64)
    return reduce(w * loss, reduction, denom=w.sum() if mean_by_weight_sum else None)


def l1_loss(input, target, *, reduction="mean", weight=None):
    return _weighted(np.abs(_diff(input, target)), reduction, weight, True)


def mse_loss(input, target, *, reduction="mean", weight=None):
    d = _diff(input, target)
    return _weighted(d * d, reduction, weight, True)


def smooth_l1_loss(input, target, *, reduction="mean", beta=1.0):
    z = np.abs(_diff(input, target))
    if beta == 0:
        return reduce(z, reduction)
    return reduce(np.where(z < beta, 0.5 * z * z / beta, z - 0.5 * beta), reduction)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    z = np.abs(_diff(input, target))
    loss = np.where(z < delta, 0.5 * z * z, delta * (z - 0.5 * delta))
    return _weighted(loss, reduction, weight, False)  # 'mean' is mean(w·l), not Σw·l/Σw


def poisson_nll_loss(input, target, log_input=True, full=False, *, eps=1e-8, reduction="mean"):
    x = np.asarray(input, np.float64)
    y = np.asarray(target, np.float64)
    loss = np.exp(x) - y * x if log_input else x - y * np.log(x + eps)
    if full:
        big = y > 1
        ys = np.where(big, y, 2.0)  # keep the masked-out logs finite
        loss = loss + np.where(big, ys * np.log(ys) - ys + 0.5 * np.log(2 * math.pi * ys), 0.0)
    return reduce(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    x = np.asarray(input, np.float64)
    y = np.asarray(target, np.float64)
    v = np.asarray(var, np.float64)
    if v.shape != x.shape and v.ndim == x.ndim - 1:
        v = v[..., None]  # one variance per row: PyTorch unsqueezes the last dim
    v = np.maximum(v, eps)
    loss = 0.5 * (np.log(v) + (x - y) ** 2 / v) + np.zeros_like(x)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return reduce(loss, reduction)
