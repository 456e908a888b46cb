"""Cases of the regression losses (see cases.py)."""

import numpy as np

from cases import case, normal
from reference import regression as ref

@case("mse_loss", "plain", ref.mse_loss)
def _(rng, dtype, n):
    return (normal(rng, (n, 3), dtype), normal(rng, (n, 3), dtype)), {}


@case("mse_loss", "weight", ref.mse_loss)
def _(rng, dtype, n):
    return (normal(rng, (n, 4), dtype), normal(rng, (n, 4), dtype)), {"weight": rng.random((n, 4)).astype(dtype)}
