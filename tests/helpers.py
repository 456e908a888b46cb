"""Utilities shared by the generic tests."""

from __future__ import annotations

import numpy as np

import lossx


def as64(v):
    """Float arrays to float64 (other values unchanged)."""
    if isinstance(v, (np.ndarray, np.generic)) and np.asarray(v).dtype.kind == "f":
        return np.asarray(v, dtype=np.float64)
    return v


def args64(args, kwargs):
    return tuple(as64(a) for a in args), {k: as64(v) for k, v in kwargs.items()}


def fn(case, suffix=""):
    return getattr(lossx, case.name + suffix)


def grads_tuple(g, case):
    return g if isinstance(g, tuple) else (g,)


def random_grad_output(rng, case, args, kwargs, reduction, dtype):
    """A grad_output of the right shape: a scalar if reduced, else the 'none' shape."""
    if reduction == "none":
        shape = np.shape(fn(case)(*args, reduction="none", **kwargs))
        return (rng.random(shape) + 0.5).astype(dtype)
    return dtype(rng.random() + 0.5)


def fd_gradient(objective, args, pos, h=1e-4):
    """4th-order central differences of objective(args) w.r.t. args[pos] (float64)."""
    base = [np.array(a, dtype=np.float64, copy=True) if i == pos else a for i, a in enumerate(args)]
    x = base[pos]
    grad = np.zeros_like(x)
    flat = x.reshape(-1)
    gflat = grad.reshape(-1)
    for i in range(flat.size):
        orig = flat[i]
        vals = []
        for step in (2, 1, -1, -2):
            flat[i] = orig + step * h
            vals.append(float(objective(base)))
        flat[i] = orig
        gflat[i] = (-vals[0] + 8 * vals[1] - 8 * vals[2] + vals[3]) / (12 * h)
    return grad


def tol(dtype):
    return dict(rtol=1e-10, atol=1e-12) if dtype == np.float64 else dict(rtol=3e-5, atol=3e-5)
