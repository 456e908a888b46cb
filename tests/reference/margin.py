"""NumPy references for the margin losses (float64, from the formulas)."""

import numpy as np  # noqa: F401

from ._reduce import reduce  # noqa: F401
