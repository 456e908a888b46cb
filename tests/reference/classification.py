"""NumPy references for the classification losses (float64, from the formulas)."""

import numpy as np

from ._reduce import reduce


def _log_softmax(x, axis):
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore"):
        return x - m - np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))


def cross_entropy(input, target, weight=None, *, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    x = np.asarray(input, dtype=np.float64)
    target = np.asarray(target)
    cdim = 0 if x.ndim == 1 else 1
    C = x.shape[cdim]
    logp = _log_softmax(x, cdim)
    w = np.ones(C) if weight is None else np.asarray(weight, dtype=np.float64)
    wshape = [1] * x.ndim
    wshape[cdim] = C
    wb = w.reshape(wshape)
    ls = label_smoothing
    if target.dtype.kind == "f":
        t = target.astype(np.float64) * (1 - ls) + ls / C
        with np.errstate(invalid="ignore"):
            per = -(wb * t * logp).sum(axis=cdim)
        return reduce(per, reduction)
    keep = target != ignore_index
    safe = np.where(keep, target, 0).astype(np.int64)
    picked = np.take_along_axis(logp, np.expand_dims(safe, cdim), axis=cdim).squeeze(cdim)
    wy = w[safe] * keep
    nll = -wy * picked
    nll = np.where(keep, nll, 0.0)
    smooth = np.where(keep, -(wb * logp).sum(axis=cdim), 0.0) if ls > 0 else 0.0
    per = (1 - ls) * nll + ls / C * smooth
    return reduce(per, reduction, denom=wy.sum())


def log_softmax(input, dim):
    x = np.asarray(input, dtype=np.float64)
    if x.ndim == 0:
        return np.zeros_like(x)
    return _log_softmax(x, dim)


def softmax(input, dim):
    return np.exp(log_softmax(input, dim))


def nll_loss(input, target, weight=None, *, ignore_index=-100, reduction="mean"):
    x = np.asarray(input, dtype=np.float64)
    target = np.asarray(target)
    cdim = 0 if x.ndim == 1 else 1
    C = x.shape[cdim]
    w = np.ones(C) if weight is None else np.asarray(weight, dtype=np.float64)
    keep = target != ignore_index
    safe = np.where(keep, target, 0).astype(np.int64)
    picked = np.take_along_axis(x, np.expand_dims(safe, cdim), axis=cdim).squeeze(cdim)
    wy = np.where(keep, w[safe], 0.0)
    return reduce(np.where(keep, -wy * picked, 0.0), reduction, denom=wy.sum())


def binary_cross_entropy(input, target, weight=None, *, reduction="mean"):
    x = np.asarray(input, dtype=np.float64)
    y = np.asarray(target, dtype=np.float64)
    with np.errstate(divide="ignore"):
        log_x = np.maximum(np.log(x), -100.0)
        log_1mx = np.maximum(np.log(1.0 - x), -100.0)
    loss = -(y * log_x + (1.0 - y) * log_1mx)
    if weight is not None:
        loss = loss * np.asarray(weight, dtype=np.float64)
    return reduce(loss, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, *, reduction="mean", pos_weight=None):
    x = np.asarray(input, dtype=np.float64)
    y = np.asarray(target, dtype=np.float64)
    p = 1.0 if pos_weight is None else np.asarray(pos_weight, dtype=np.float64)
    # -log σ(x) = log(1 + e^{-x}),  -log(1 - σ(x)) = log(1 + e^{x})
    loss = p * y * np.logaddexp(0.0, -x) + (1.0 - y) * np.logaddexp(0.0, x)
    if weight is not None:
        loss = loss * np.asarray(weight, dtype=np.float64)
    return reduce(loss, reduction)


def kl_div(input, target, *, reduction="mean", log_target=False):
    x = np.asarray(input, dtype=np.float64)
    t = np.asarray(target, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        if log_target:
            loss = np.exp(t) * (t - x)
        else:
            t_log_t = np.where(t == 0, 0.0, t * np.log(np.where(t == 0, 1.0, t)))
            t_log_t = np.where(np.isnan(t) | (t < 0), np.nan, t_log_t)
            loss = t_log_t - t * x
    if reduction == "batchmean":
        with np.errstate(invalid="ignore"):
            return reduce(loss, "sum") / np.float64(x.shape[0] if x.ndim else 1)
    return reduce(loss, reduction)
