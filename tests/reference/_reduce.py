"""Reduction helpers shared by the references."""

import numpy as np


def reduce(loss, reduction, denom=None):
    """'none' → the array; 'sum' → its sum; 'mean' → sum / denom (default: its size)."""
    loss = np.asarray(loss, dtype=np.float64)
    if reduction == "none":
        return loss
    total = loss.sum()
    if reduction == "sum":
        return total
    if reduction == "mean":
        n = loss.size if denom is None else denom
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.float64(total) / np.float64(n)
    raise ValueError(reduction)
