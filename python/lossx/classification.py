"""Classification losses: softmax, cross-entropy, NLL, binary cross-entropy, KL divergence.

Each loss has PyTorch's name, arguments and defaults (``torch.nn.functional``);
its gradient is ``NAME_backward`` and both together ``NAME_with_grad``.
"""

from __future__ import annotations

import numpy as np

from . import _convert as cv
from . import _core
from ._api import loss

__all__ = [
    "cross_entropy",
    "cross_entropy_backward",
    "cross_entropy_with_grad",
]


def _class_or_prob_target(target, dtype, fn):
    """Class indices (integer) or probabilities (float, the input's dtype)."""
    if cv._is_array_like(target):
        a = cv._as_array(target)
        if a.dtype.kind == "f":
            return cv.float_target(a, dtype, "target", fn)
        return cv.indices(a, "target", fn)
    a = np.asarray(target)
    if a.dtype.kind == "f":
        return cv.contiguous(a.astype(dtype))
    return cv.indices(a, "target", fn)


@loss()
def cross_entropy(input, target, weight=None, *, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    r"""Cross-entropy between softmax(``input``) and ``target``, as ``torch.nn.functional.cross_entropy``.

    For a row of logits :math:`x` (classes along dim 1, or dim 0 for a 1-D input) and
    :math:`\mathrm{lse} = \log\sum_c e^{x_c}`:

    * class-index target :math:`y`:
      :math:`\ell = (1-\epsilon)\,w_y(\mathrm{lse}-x_y) + \frac{\epsilon}{C}\sum_c w_c(\mathrm{lse}-x_c)`,
      zero where :math:`y` = ``ignore_index``; ``'mean'`` divides the sum by
      :math:`\sum w_y` over the rows not ignored (their count without ``weight``);
    * probability target :math:`t` (the input's shape, float):
      :math:`\ell = \sum_c w_c t'_c(\mathrm{lse}-x_c)` with :math:`t' = (1-\epsilon)t + \epsilon/C`;
      ``'mean'`` divides by the number of rows.

    Computed in one fused, log-sum-exp-stable pass per row (no N×C temporary).

    Args:
      input: logits ``(C)``, ``(N, C)`` or ``(N, C, d1, ..., dk)``; float32 or float64.
      target: class indices ``()``, ``(N)`` or ``(N, d1, ..., dk)`` of any integer dtype, or
        probabilities of the input's shape and dtype.
      weight: optional per-class weight ``(C,)``.
      ignore_index: class-index targets equal to it contribute nothing (not allowed
        with probability targets unless negative).
      reduction: ``'none'`` | ``'mean'`` | ``'sum'``.
      label_smoothing: :math:`\epsilon \in [0, 1]`.

    Returns:
      A 0-d array (reduced) or the per-row losses (target's shape without the class dim), in the input's dtype.

    Example:
      >>> import lossx
      >>> float(lossx.cross_entropy([[1.0, 2.0, 3.0]], [2]))  # doctest: +ELLIPSIS
      0.4076...

    Differences from PyTorch: class indices may have any integer dtype; out-of-range
    indices and ``label_smoothing`` outside [0, 1] raise ``ValueError`` (PyTorch raises
    ``IndexError`` / silently treats a negative smoothing as 0).
    """
    fn = "cross_entropy"
    x = cv.prediction(input, "input", fn)
    t = _class_or_prob_target(target, x.dtype, fn)
    w = cv.parameter(weight, x.dtype, "weight", fn)
    return _core.cross_entropy, (x, t, w, int(ignore_index), reduction, float(label_smoothing))


cross_entropy_backward = cross_entropy.backward
cross_entropy_with_grad = cross_entropy.with_grad
