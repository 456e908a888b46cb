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
