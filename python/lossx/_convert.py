"""Argument conversion: lossx's dtype and array rules, applied in one place.

Every public function turns its arguments into NumPy arrays here before the
compiled core sees them (see SPEC "Arrays and dtypes"):

* prediction inputs are float32 or float64 arrays; lists and Python scalars
  become float64; any other array dtype is a ``TypeError`` (no silent cast);
* float targets given as arrays must have the prediction's dtype; lists and
  scalars are converted to it;
* parameters (``weight``, ``pos_weight``, ``var``) of any real dtype are
  converted to the prediction's dtype;
* class indices are integer arrays; int32 and int64 pass through, other
  integer dtypes become int64; a float array is a ``TypeError``.

Arrays come out native-endian and C-contiguous; an array that already is so is
passed through without a copy.
"""

from __future__ import annotations

import numpy as np

_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
_INDEX_DTYPES = (np.dtype(np.int32), np.dtype(np.int64))


def _is_array_like(x) -> bool:
    """True for objects that carry their own dtype (NumPy arrays, tensors, ...)."""
    return isinstance(x, (np.ndarray, np.generic)) or hasattr(x, "__array__") or hasattr(x, "__array_interface__")


def _as_array(x) -> np.ndarray:
    # PyTorch tensors that require grad refuse np.asarray: detach them (no copy).
    if type(x).__module__.startswith("torch") and hasattr(x, "detach"):
        x = x.detach()
        if getattr(x, "device", None) is not None and str(x.device) != "cpu":
            raise TypeError(f"lossx works on CPU arrays; got a tensor on {x.device}")
    return np.asarray(x)


def _native(dtype: np.dtype) -> np.dtype:
    return dtype.newbyteorder("=")


def contiguous(a: np.ndarray) -> np.ndarray:
    """Native byte order and C order, copying only when needed."""
    if not a.dtype.isnative:
        a = a.astype(a.dtype.newbyteorder("="))
    if not a.flags.c_contiguous or not a.flags.aligned:
        a = np.array(a, order="C", copy=True)
    return a


def _describe(a: np.ndarray) -> str:
    return f"an array of dtype {a.dtype}"


def prediction(x, name: str, fn: str) -> np.ndarray:
    """A prediction input (``input``, ``log_probs``, ...): float32 or float64."""
    if _is_array_like(x):
        a = _as_array(x)
        if _native(a.dtype) not in _FLOAT_DTYPES:
            raise TypeError(f"{fn}: '{name}' must be a float32 or float64 array; got {_describe(a)}")
    else:
        try:
            a = np.asarray(x, dtype=np.float64)
        except (TypeError, ValueError) as e:
            raise TypeError(f"{fn}: '{name}' must be an array of numbers; got {type(x).__name__} ({e})") from None
    return contiguous(a)


def same_dtype(fn: str, **arrays: np.ndarray) -> np.dtype:
    """Several prediction inputs of one loss must share one dtype."""
    items = list(arrays.items())
    name0, a0 = items[0]
    for name, a in items[1:]:
        if a.dtype != a0.dtype:
            raise TypeError(
                f"{fn}: '{name}' must have the dtype of '{name0}' ({a0.dtype}); got {a.dtype} "
                "(lossx does not promote mixed float dtypes)"
            )
    return a0.dtype


def float_target(x, dtype: np.dtype, name: str, fn: str) -> np.ndarray:
    """A float target (regression target, probabilities, ±1 labels)."""
    if _is_array_like(x):
        a = _as_array(x)
        if _native(a.dtype) != dtype:
            raise TypeError(f"{fn}: '{name}' must have the input's dtype {dtype}; got {_describe(a)}")
    else:
        try:
            a = np.asarray(x, dtype=dtype)
        except (TypeError, ValueError) as e:
            raise TypeError(f"{fn}: '{name}' must be an array of numbers; got {type(x).__name__} ({e})") from None
    return contiguous(a)


def parameter(x, dtype: np.dtype, name: str, fn: str):
    """An optional real-valued parameter (``weight``, ``pos_weight``, ``var``), converted to ``dtype``."""
    if x is None:
        return None
    a = _as_array(x) if _is_array_like(x) else np.asarray(x)
    if a.dtype.kind not in "fiu":
        raise TypeError(f"{fn}: '{name}' must hold real numbers; got {_describe(a)}")
    return contiguous(a.astype(dtype, copy=False))


def indices(x, name: str, fn: str) -> np.ndarray:
    """Class indices (or CTC labels and lengths): any integer dtype."""
    a = _as_array(x) if _is_array_like(x) else np.asarray(x)
    if a.dtype.kind not in "iu":
        if a.size == 0 and not _is_array_like(x):
            a = a.astype(np.int64)
        else:
            raise TypeError(f"{fn}: '{name}' must be an integer array of class indices; got {_describe(a)}")
    if _native(a.dtype) not in _INDEX_DTYPES:
        if a.dtype == np.uint64 and a.size and a.max() > np.iinfo(np.int64).max:
            raise ValueError(f"{fn}: '{name}' must hold class indices; got {a.max()}")
        a = a.astype(np.int64)
    return contiguous(a)


def is_float_array_like(x) -> bool:
    """True if ``x`` would convert to a float array (used to tell probability targets from indices)."""
    a = _as_array(x) if _is_array_like(x) else np.asarray(x)
    return a.dtype.kind == "f"


def grad_output(g, dtype: np.dtype, fn: str):
    """The incoming gradient, converted to the prediction's dtype (None stays None)."""
    if g is None:
        return None
    a = _as_array(g) if _is_array_like(g) else np.asarray(g)
    if a.dtype.kind not in "fiu":
        raise TypeError(f"{fn}: 'grad_output' must hold real numbers; got {_describe(a)}")
    return contiguous(a.astype(dtype, copy=False))
