"""Regression losses: L1, MSE, smooth L1, Huber, Poisson NLL, Gaussian NLL.

Each loss has PyTorch's name, arguments and defaults (``torch.nn.functional``);
its gradient is ``NAME_backward`` and both together ``NAME_with_grad``.
"""

from __future__ import annotations

from . import _convert as cv
from . import _core
from ._api import loss

__all__ = [
    "mse_loss",
    "mse_loss_backward",
    "mse_loss_with_grad",
]


def _pair(input, target, fn):
    x = cv.prediction(input, "input", fn)
    return x, cv.float_target(target, x.dtype, "target", fn)


@loss()
def mse_loss(input, target, *, reduction="mean", weight=None):
    r"""Squared error :math:`(x - y)^2`, as ``torch.nn.functional.mse_loss``.

    Gradient :math:`2(x - y)`. With ``weight`` (the input's shape) each element's
    loss is multiplied by it and ``'mean'`` is :math:`\sum w\ell / \sum w` (PyTorch 2.x).

    Args:
      input: predictions, any shape; float32 or float64.
      target: the input's shape (no broadcasting: a mismatch raises ``ValueError``).
      reduction: ``'none'`` | ``'mean'`` | ``'sum'``.
      weight: optional per-element weight of the input's shape.

    Example:
      >>> import lossx
      >>> float(lossx.mse_loss([1.0, 2.0, 3.0, 4.0], [1.5, 2.5, 3.5, 4.5]))
      0.25
    """
    fn = "mse_loss"
    x, y = _pair(input, target, fn)
    return _core.mse_loss, (x, y, reduction, cv.parameter(weight, x.dtype, "weight", fn))


mse_loss_backward = mse_loss.backward
mse_loss_with_grad = mse_loss.with_grad
