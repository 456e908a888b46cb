"""NumPy references for the embedding losses (float64, from the formulas)."""

import numpy as np  # noqa: F401

from ._reduce import reduce  # noqa: F401
