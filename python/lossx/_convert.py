"""Argument conversion: lossx's dtype and array rules, applied in one place.

Every public function turns its arguments into NumPy arrays here before the
compiled core sees them (see SPEC "Arrays and dtypes"):

* prediction inputs are float32 or float64 arrays; lists and Python scalars
  become float64; any other array dtype is a ``TypeError`` (no silent cast);
* float targets given as arrays must have the prediction's dtype; lists and
  scalars are converted to it;
* label targets (±1 labels, 0/1 targets, counts) follow the float-target rule,
  and integer or bool arrays are also accepted, converted exactly to the
  prediction's dtype (``ValueError`` for an integer too large to be exact);
* parameters (``weight``, ``pos_weight``, ``var``) of any real dtype are
  converted to the prediction's dtype;
* class indices are integer arrays; int32 and int64 pass through, other
  integer dtypes become int64; a float array is a ``TypeError``.

Arrays come out native-endian and C-contiguous; an array that already is so is
passed through without a copy.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
_INDEX_DTYPES = (np.dtype(np.int32), np.dtype(np.int64))


def _is_array_like(x: Any) -> bool:
    """True for objects that carry their own dtype (NumPy arrays, tensors, ...)."""
    return isinstance(x, (np.ndarray, np.generic)) or hasattr(x, "__array__") or hasattr(x, "__array_interface__")


def _as_array(x: Any, name: str, fn: str) -> np.ndarray:
    """An array-like object (``_is_array_like``) as a NumPy array, without a copy where possible."""
    # PyTorch tensors that require grad refuse np.asarray: detach them (no copy).
    if type(x).__module__.startswith("torch") and hasattr(x, "detach"):
        x = x.detach()
        if getattr(x, "device", None) is not None and str(x.device) != "cpu":
            raise TypeError(f"{fn}: '{name}' must be a CPU array; got a tensor on {x.device}")
        try:
            return np.asarray(x)
        except (TypeError, RuntimeError):  # bfloat16 and other dtypes NumPy has no equivalent for
            raise TypeError(f"{fn}: '{name}' must be a float32 or float64 array (or integer indices); "
                            f"got a tensor of dtype {x.dtype}") from None
    return np.asarray(x)


def array(x: Any, name: str, fn: str) -> np.ndarray:
    """Any argument as a NumPy array: array-likes keep their dtype, lists and scalars get NumPy's."""
    return _as_array(x, name, fn) if _is_array_like(x) else np.asarray(x)


def real(value: Any, name: str, fn: str) -> float:
    """A real scalar option (margin, beta, eps, label_smoothing, ...) as a Python float.

    Python and NumPy real numbers and 0-d real arrays; bool, str and anything else is a TypeError.
    """
    if isinstance(value, (bool, np.bool_, str, bytes)):
        raise TypeError(f"{fn}: '{name}' must be a real number; got {type(value).__name__}")
    if isinstance(value, numbers.Real):
        return float(value)
    if _is_array_like(value):
        a = _as_array(value, name, fn)
        if a.ndim == 0 and a.dtype.kind in "fiu":
            return float(a)
    raise TypeError(f"{fn}: '{name}' must be a real number; got {type(value).__name__}")


def integer(value: Any, name: str, fn: str) -> int:
    """An integer scalar option (ignore_index, blank, ...) as a Python int within int64."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{fn}: '{name}' must be an int; got {type(value).__name__} {value!r}")
    v = int(value)
    if not -(2**63) <= v < 2**63:
        raise ValueError(f"{fn}: '{name}' must fit in 64 bits; got {v}")
    return v


def reduction(value: Any, fn: str, allowed: tuple[str, ...] = ("none", "mean", "sum")) -> str:
    """The ``reduction`` argument: one of ``allowed`` (checked in C++ too), and a str here."""
    if not isinstance(value, str):
        raise ValueError(f"{fn}: 'reduction' must be one of {', '.join(repr(a) for a in allowed)}; got {value!r}")
    return value


def _native(dtype: np.dtype) -> np.dtype:
    return dtype.newbyteorder("=")


def contiguous(a: np.ndarray) -> np.ndarray:
    """Native byte order and C order, copying only when needed."""
    if not a.dtype.isnative:
        a = a.astype(a.dtype.newbyteorder("="))
    if not a.flags.c_contiguous or not a.flags.aligned:
        a = np.array(a, order="C", copy=True)
    return a


def native(a: np.ndarray) -> np.ndarray:
    """Native byte order and aligned, in any layout (strided, reversed, broadcast with zero
    strides), copying only when needed: for the arguments that the kernels read in place."""
    if not a.dtype.isnative:
        a = a.astype(a.dtype.newbyteorder("="))
    if not a.flags.aligned:
        a = np.array(a, order="C", copy=True)
    return a


def _layout(a: np.ndarray, strided: bool) -> np.ndarray:
    return native(a) if strided else contiguous(a)


def _describe(a: np.ndarray) -> str:
    return f"an array of dtype {a.dtype}"


def prediction(x: Any, name: str, fn: str, strided: bool = False) -> np.ndarray:
    """A prediction input (``input``, ``log_probs``, ...): float32 or float64.

    ``strided``: the kernel reads any layout in place (the elementwise losses), so a
    non-contiguous view (e.g. ``np.broadcast_to``) is not copied.
    """
    if _is_array_like(x):
        a = _as_array(x, name, fn)
        if _native(a.dtype) not in _FLOAT_DTYPES:
            raise TypeError(f"{fn}: '{name}' must be a float32 or float64 array; got {_describe(a)}")
    else:
        try:
            a = np.asarray(x, dtype=np.float64)
        except (TypeError, ValueError) as e:
            raise TypeError(f"{fn}: '{name}' must be an array of numbers; got {type(x).__name__} ({e})") from None
    return _layout(a, strided)


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


def float_target(x: Any, dtype: np.dtype, name: str, fn: str, strided: bool = False) -> np.ndarray:
    """A float target (regression target, probabilities); ``strided`` as for :func:`prediction`."""
    if _is_array_like(x):
        a = _as_array(x, name, fn)
        if _native(a.dtype) != dtype:
            raise TypeError(f"{fn}: '{name}' must have the input's dtype {dtype}; got {_describe(a)}")
    else:
        try:
            a = np.asarray(x, dtype=dtype)
        except (TypeError, ValueError) as e:
            raise TypeError(f"{fn}: '{name}' must be an array of numbers; got {type(x).__name__} ({e})") from None
    return _layout(a, strided)


# Every integer of magnitude up to 2**(mantissa bits + 1) is exact in the float dtype.
_EXACT_INTEGERS = {np.dtype(np.float32): 2**24, np.dtype(np.float64): 2**53}


def label_target(x: Any, dtype: np.dtype, name: str, fn: str, strided: bool = False) -> np.ndarray:
    """A label target (±1 labels, 0/1 targets, counts): a float target, or an integer/bool array.

    Float arrays must have the prediction's ``dtype`` (``TypeError`` otherwise, as
    :func:`float_target`); integer and bool arrays of any integer dtype and byte order
    are converted to ``dtype``, exactly: an integer of magnitude above 2**24 (float32) or
    2**53 (float64) is a ``ValueError``. Lists and scalars are converted as float targets.
    ``strided`` as for :func:`prediction` (float arrays only: a converted one is new anyway).
    """
    if not _is_array_like(x):
        return float_target(x, dtype, name, fn)
    a = _as_array(x, name, fn)
    if a.dtype.kind not in "biu":
        return float_target(a, dtype, name, fn, strided)
    limit = _EXACT_INTEGERS[dtype]
    if a.dtype.kind != "b" and a.size:
        info = np.iinfo(a.dtype)
        # Only dtypes whose range exceeds the exact range need a look at the values.
        big = a.max() if info.max > limit else 0
        small = a.min() if info.min < -limit else 0
        if big > limit or small < -limit:
            raise ValueError(
                f"{fn}: '{name}' must hold integers of magnitude at most 2**{limit.bit_length() - 1} "
                f"to be converted exactly to {dtype}; got {big if big > limit else small}"
            )
    return a.astype(dtype, order="C")


def parameter(x: Any, dtype: np.dtype, name: str, fn: str) -> np.ndarray | None:
    """An optional real-valued parameter (``weight``, ``pos_weight``, ``var``), converted to ``dtype``."""
    if x is None:
        return None
    a = array(x, name, fn)
    if a.dtype.kind not in "fiu":
        raise TypeError(f"{fn}: '{name}' must hold real numbers; got {_describe(a)}")
    return contiguous(a.astype(dtype, copy=False))


def indices(x: Any, name: str, fn: str) -> np.ndarray:
    """Class indices (or CTC labels and lengths): any integer dtype."""
    a = array(x, name, fn)
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


def grad_output(g: Any, dtype: np.dtype, fn: str) -> np.ndarray | None:
    """The incoming gradient, converted to the prediction's dtype (None stays None)."""
    if g is None:
        return None
    a = array(g, "grad_output", fn)
    if a.dtype.kind not in "fiu":
        raise TypeError(f"{fn}: 'grad_output' must hold real numbers; got {_describe(a)}")
    return contiguous(a.astype(dtype, copy=False))
