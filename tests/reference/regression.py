"""NumPy references for the regression losses (float64, from the formulas)."""

import numpy as np

from ._reduce import reduce


def mse_loss(input, target, *, reduction="mean", weight=None):
    d = np.asarray(input, np.float64) - np.asarray(target, np.float64)
    loss = d * d
    if weight is None:
        return reduce(loss, reduction)
    w = np.asarray(weight, np.float64)
    return reduce(w * loss, reduction, denom=w.sum())
