"""Cases of the regression losses (see cases.py)."""

import numpy as np

from cases import case, normal
from reference import regression as ref


def _away_from(rng, dtype, shape, kink, scale=2.0):
    """(input, target) with |input - target| kept at least 0.05 away from `kink` (for finite differences)."""
    x = normal(rng, shape, dtype, scale)
    d = rng.uniform(0.05, 0.95, shape) * kink if kink else np.zeros(shape)
    far = rng.random(shape) < 0.5
    d = np.where(far, kink + 0.05 + rng.random(shape) * 2, d) if kink else 0.05 + rng.random(shape) * 2
    d *= np.where(rng.random(shape) < 0.5, -1.0, 1.0)
    return x, (x.astype(np.float64) - d).astype(dtype)


@case("l1_loss", "plain", ref.l1_loss)
def _(rng, dtype, n):
    return _away_from(rng, dtype, (n, 3), 0.0), {}


@case("l1_loss", "weight", ref.l1_loss)
def _(rng, dtype, n):
    x, y = _away_from(rng, dtype, (n, 2, 3), 0.0)
    return (x, y), {"weight": (rng.random((n, 2, 3)) + 0.1).astype(dtype)}


@case("mse_loss", "plain", ref.mse_loss)
def _(rng, dtype, n):
    return (normal(rng, (n, 3), dtype), normal(rng, (n, 3), dtype)), {}


@case("mse_loss", "weight", ref.mse_loss)
def _(rng, dtype, n):
    return (normal(rng, (n, 4), dtype), normal(rng, (n, 4), dtype)), {"weight": rng.random((n, 4)).astype(dtype)}


@case("smooth_l1_loss", "default", ref.smooth_l1_loss)
def _(rng, dtype, n):
    return _away_from(rng, dtype, (n, 5), 1.0), {}


@case("smooth_l1_loss", "beta", ref.smooth_l1_loss)
def _(rng, dtype, n):
    return _away_from(rng, dtype, (n, 2, 2), 0.4), {"beta": 0.4}


@case("smooth_l1_loss", "beta0", ref.smooth_l1_loss)
def _(rng, dtype, n):
    return _away_from(rng, dtype, (n, 3), 0.0), {"beta": 0.0}


@case("huber_loss", "default", ref.huber_loss)
def _(rng, dtype, n):
    return _away_from(rng, dtype, (n, 5), 1.0), {}


@case("huber_loss", "delta-weight", ref.huber_loss)
def _(rng, dtype, n):
    x, y = _away_from(rng, dtype, (n, 4), 1.5)
    return (x, y), {"delta": 1.5, "weight": (rng.random((n, 4)) + 0.1).astype(dtype)}


def _counts(rng, dtype, shape):
    return rng.poisson(2.0, size=shape).astype(dtype)


@case("poisson_nll_loss", "log_input", ref.poisson_nll_loss)
def _(rng, dtype, n):
    return (normal(rng, (n, 4), dtype), _counts(rng, dtype, (n, 4))), {}


@case("poisson_nll_loss", "log_input-full", ref.poisson_nll_loss)
def _(rng, dtype, n):
    return (normal(rng, (n, 4), dtype), _counts(rng, dtype, (n, 4))), {"full": True}


@case("poisson_nll_loss", "rate-full-eps", ref.poisson_nll_loss)
def _(rng, dtype, n):
    x = (rng.random((n, 3)) * 3 + 0.2).astype(dtype)
    y = (rng.random((n, 3)) * 4).astype(dtype)  # non-integer targets, some <= 1
    return (x, y), {"log_input": False, "full": True, "eps": 1e-3}


def _gauss(rng, dtype, shape, var_shape, n_var_lo=0.5):
    x = normal(rng, shape, dtype)
    y = normal(rng, shape, dtype)
    v = (rng.random(var_shape) + n_var_lo).astype(dtype)
    return x, y, v


# The var gradient makes the backward a tuple (grad_input, grad_var); var is a
# parameter (converted to the input's dtype), so only input and target are strict.
_GAUSS = dict(diff=(0, 2), strict=(0, 1))


@case("gaussian_nll_loss", "var-same-shape", ref.gaussian_nll_loss, **_GAUSS)
def _(rng, dtype, n):
    return _gauss(rng, dtype, (n, 3), (n, 3)), {}


@case("gaussian_nll_loss", "var-per-row-full", ref.gaussian_nll_loss, **_GAUSS)
def _(rng, dtype, n):
    return _gauss(rng, dtype, (n, 4), (n,)), {"full": True}


@case("gaussian_nll_loss", "var-n1", ref.gaussian_nll_loss, **_GAUSS)
def _(rng, dtype, n):
    return _gauss(rng, dtype, (n, 3), (n, 1)), {}


@case("gaussian_nll_loss", "var-1d-eps", ref.gaussian_nll_loss, **_GAUSS)
def _(rng, dtype, n):
    return _gauss(rng, dtype, (n, 3), (1, 3)), {"eps": 1e-3}


@case("gaussian_nll_loss", "var-kdim-middle", ref.gaussian_nll_loss, **_GAUSS)
def _(rng, dtype, n):
    return _gauss(rng, dtype, (n, 3, 2), (n, 1, 2)), {}
