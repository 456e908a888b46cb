"""Bad inputs common to every loss: dtype, reduction, grad_output. Loss-specific
bad inputs live in test_<family>.py, with the same pytest.raises(match=...) style."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import fn


def _first_float_array(args):
    return next(i for i, a in enumerate(args) if isinstance(a, np.ndarray) and a.dtype.kind == "f")


@pytest.mark.parametrize("bad_dtype", [np.int64, np.float16, np.complex128, np.bool_])
def test_prediction_dtype_is_type_error(loss_case, bad_dtype, rng):
    args, kwargs = loss_case.make(rng, np.float64, 3)
    pos = loss_case.diff[0]
    bad = list(args)
    bad[pos] = np.asarray(args[pos]).astype(bad_dtype)
    with pytest.raises(TypeError, match="must be a float32 or float64"):
        fn(loss_case)(*bad, **kwargs)


def test_unknown_reduction(loss_case, rng):
    args, kwargs = loss_case.make(rng, np.float64, 3)
    with pytest.raises(ValueError, match="'reduction'"):
        fn(loss_case)(*args, reduction="avg", **kwargs)


def test_grad_output_shape(loss_case, rng):
    args, kwargs = loss_case.make(rng, np.float64, 3)
    with pytest.raises(ValueError, match="'grad_output'"):
        fn(loss_case, "_backward")(np.ones(7), *args, reduction="mean", **kwargs)
    if "none" in loss_case.reductions:
        with pytest.raises(ValueError, match="'grad_output'"):
            fn(loss_case, "_backward")(np.ones((2, 3, 5, 7)), *args, reduction="none", **kwargs)


def test_mixed_float_dtypes(loss_case, rng):
    """A float array argument of the other float dtype is a TypeError (no promotion)."""
    args, kwargs = loss_case.make(rng, np.float32, 3)
    floats = [i for i, a in enumerate(args)
              if i in loss_case.strict and isinstance(a, np.ndarray) and a.dtype.kind == "f" and a.ndim > 0]
    first = _first_float_array(args)
    others = [i for i in floats if i != first]
    if not others:
        pytest.skip("a single float array")
    bad = list(args)
    bad[others[0]] = args[others[0]].astype(np.float64)
    with pytest.raises(TypeError, match="dtype"):
        fn(loss_case)(*bad, **kwargs)
