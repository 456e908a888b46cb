"""Class-imbalance helpers (beyond PyTorch): weights computed from the targets.

``class_weights`` gives the ``weight=`` argument of :func:`lossx.cross_entropy` /
:func:`lossx.nll_loss`; ``pos_weight_from`` the ``pos_weight=`` argument of
:func:`lossx.binary_cross_entropy_with_logits`. Both count in one pass in C++.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from . import _convert as cv
from . import _core

__all__ = ["class_weights", "pos_weight_from"]


def _out_dtype(dtype: DTypeLike, fn: str) -> np.dtype[Any]:
    d = np.dtype(dtype)
    if d not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise TypeError(f"{fn}: 'dtype' must be float32 or float64; got {d}")
    return d


def class_weights(
    target: ArrayLike,
    num_classes: int | None = None,
    scheme: str = "balanced",
    ignore_index: int = -100,
    beta: float = 0.999,
    dtype: DTypeLike = np.float64,
) -> NDArray[np.floating[Any]]:
    r"""Per-class weights that counter class imbalance, for ``cross_entropy(weight=...)``.

    Counts :math:`n_c` of each class over the targets that are not ``ignore_index``
    (:math:`n` counted in all, :math:`K` = ``num_classes`` or ``max(target) + 1``):

    * ``'balanced'``: :math:`w_c = n / (K\,n_c)` (scikit-learn's ``compute_class_weight``);
    * ``'inverse'``: :math:`w_c \propto 1/n_c`, scaled so that the mean over the present classes is 1;
    * ``'effective'``: :math:`w_c \propto (1-\beta)/(1-\beta^{n_c})` (Cui et al., 2019), scaled so
      that the sum over the present classes is their number.

    Classes that never occur get weight 0 (they cannot contribute to a loss anyway).
    If every target is ignored, all weights are 0; with ``num_classes=None`` the result is then empty.

    Args:
      target: class indices, any shape, any integer dtype.
      num_classes: K; default ``max(target) + 1``. Targets outside ``[0, K)`` (other than
        ``ignore_index``) raise ``ValueError``, and so does K above 2**26 (a stray huge label
        would otherwise allocate a huge table).
      scheme: ``'balanced'`` | ``'inverse'`` | ``'effective'``.
      ignore_index: targets equal to it are not counted.
      beta: :math:`\beta \in [0, 1)` of ``'effective'``.
      dtype: float32 or float64 (default), the dtype of the result.

    Returns:
      ``(K,)`` array of weights.

    Example:
      >>> import lossx
      >>> lossx.class_weights([0, 0, 0, 1])
      array([0.66666667, 2.        ])
    """
    fn = "class_weights"
    t = cv.indices(target, "target", fn)
    d = _out_dtype(dtype, fn)
    if num_classes is None:
        k = -1
    else:
        if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) or num_classes < 0:
            raise ValueError(f"{fn}: 'num_classes' must be a non-negative int or None; got {num_classes!r}")
        k = int(num_classes)
    out: NDArray[np.floating[Any]] = _core.class_weights(
        target=t, num_classes=k, scheme=scheme, ignore_index=cv.integer(ignore_index, "ignore_index", fn),
        beta=cv.real(beta, "beta", fn), dtype=d)
    return out


def pos_weight_from(target: ArrayLike, dtype: DTypeLike = np.float64) -> NDArray[np.floating[Any]]:
    r"""``pos_weight`` for :func:`lossx.binary_cross_entropy_with_logits` from multi-label targets.

    Per class (the last dim): :math:`\sum(1-t) / \sum t` over every other dim — the ratio of
    negatives to positives for 0/1 targets; soft targets in [0, 1] count fractionally.

    Args:
      target: ``(..., C)`` targets in [0, 1], any real or bool dtype.
      dtype: float32 or float64 (default), the dtype of the result.

    Returns:
      ``(C,)`` array. A class with no positive raises ``ValueError`` naming it.

    Example:
      >>> import lossx
      >>> lossx.pos_weight_from([[1, 0], [0, 1], [0, 1]])
      array([2. , 0.5])
    """
    fn = "pos_weight_from"
    a = cv.array(target, "target", fn)
    if a.dtype.kind not in "fiub":
        raise TypeError(f"{fn}: 'target' must hold real numbers; got an array of dtype {a.dtype}")
    d = _out_dtype(dtype, fn)
    a = cv.contiguous(a.astype(np.float64, copy=False))
    out: NDArray[np.floating[Any]] = _core.pos_weight_from(target=a).astype(d, copy=False)
    return out
