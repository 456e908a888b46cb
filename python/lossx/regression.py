"""Regression losses: L1, MSE, smooth L1, Huber, Poisson NLL, Gaussian NLL.

Each loss has PyTorch's name, arguments and defaults (``torch.nn.functional``);
its gradient is ``NAME_backward`` and both together ``NAME_with_grad``.

Common to all of them (differences from PyTorch): ``input`` and ``target`` must
have the same shape — where PyTorch would broadcast a mismatch (with a warning,
or silently for ``poisson_nll_loss``), lossx raises ``ValueError``; a float
``target`` array must have the input's dtype (no promotion), and an integer one is
a ``TypeError``, except ``poisson_nll_loss``'s counts (converted exactly); gradients
are taken with respect to the predictions (and ``var`` for ``gaussian_nll_loss``),
not the target; the deprecated ``size_average``/``reduce`` arguments do not exist.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from . import _convert as cv
from . import _core
from ._api import Buffer, Prepared, loss

__all__ = [
    "l1_loss",
    "l1_loss_backward",
    "l1_loss_with_grad",
    "l1_loss_partial",
    "l1_loss_partial_backward",
    "mse_loss",
    "mse_loss_backward",
    "mse_loss_with_grad",
    "mse_loss_partial",
    "mse_loss_partial_backward",
    "smooth_l1_loss",
    "smooth_l1_loss_backward",
    "smooth_l1_loss_with_grad",
    "smooth_l1_loss_partial",
    "smooth_l1_loss_partial_backward",
    "huber_loss",
    "huber_loss_backward",
    "huber_loss_with_grad",
    "huber_loss_partial",
    "huber_loss_partial_backward",
    "poisson_nll_loss",
    "poisson_nll_loss_backward",
    "poisson_nll_loss_with_grad",
    "poisson_nll_loss_partial",
    "poisson_nll_loss_partial_backward",
    "gaussian_nll_loss",
    "gaussian_nll_loss_backward",
    "gaussian_nll_loss_with_grad",
    "gaussian_nll_loss_partial",
    "gaussian_nll_loss_partial_backward",
]


def _pair(input: ArrayLike, target: ArrayLike, fn: str, strided: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """input and float target; ``strided``: the kernel reads them in place in any layout."""
    x = cv.prediction(input, "input", fn, strided)
    return x, cv.float_target(target, x.dtype, "target", fn, strided)


@loss()
def l1_loss(
    input: ArrayLike, target: ArrayLike, *, reduction: str = "mean", weight: ArrayLike | None = None, out: Buffer = None
) -> Prepared:
    r"""Absolute error :math:`|x - y|`, as ``torch.nn.functional.l1_loss``.

    Gradient :math:`\operatorname{sign}(x - y)`, with PyTorch's choice
    :math:`\operatorname{sign}(0) = 0` at the kink. With ``weight`` (the input's
    shape) each element's loss is multiplied by it and ``'mean'`` is
    :math:`\sum w\ell / \sum w` (PyTorch 2.x's rule for ``l1_loss``/``mse_loss``).

    Args:
      input: predictions, any shape; float32 or float64.
      target: the input's shape (no broadcasting: a mismatch raises ``ValueError``).
      reduction: ``'none'`` | ``'mean'`` | ``'sum'``.
      weight: optional per-element weight of the input's shape (converted to its dtype).

    Returns:
      A 0-d array (reduced) or the per-element losses (the input's shape), in the input's dtype.

    Example:
      >>> import lossx
      >>> float(lossx.l1_loss([1.0, 2.0, 3.0, 4.0], [1.5, 2.5, 3.5, 4.5]))
      0.5
      >>> float(lossx.l1_loss([1.0, 3.0], [0.0, 0.0], weight=[1.0, 3.0]))  # (1·1 + 3·3) / 4
      2.5

    Differences from PyTorch: see the module docstring (same shape required, no
    ``size_average``/``reduce``); a ``nan`` difference gets gradient 0, as in PyTorch.
    """
    fn = "l1_loss"
    x, y = _pair(input, target, fn, strided=True)
    return _core.l1_loss, dict(input=x, target=y, weight=cv.parameter(weight, x.dtype, "weight", fn),
                                reduction=reduction)


@loss()
def mse_loss(
    input: ArrayLike, target: ArrayLike, *, reduction: str = "mean", weight: ArrayLike | None = None, out: Buffer = None
) -> Prepared:
    r"""Squared error :math:`(x - y)^2`, as ``torch.nn.functional.mse_loss``.

    Gradient :math:`2(x - y)`. With ``weight`` (the input's shape) each element's
    loss is multiplied by it and ``'mean'`` is :math:`\sum w\ell / \sum w` (PyTorch 2.x).

    Args:
      input: predictions, any shape; float32 or float64.
      target: the input's shape (no broadcasting: a mismatch raises ``ValueError``).
      reduction: ``'none'`` | ``'mean'`` | ``'sum'``.
      weight: optional per-element weight of the input's shape.

    Returns:
      A 0-d array (reduced) or the per-element losses (the input's shape), in the input's dtype.

    Example:
      >>> import lossx
      >>> float(lossx.mse_loss([1.0, 2.0, 3.0, 4.0], [1.5, 2.5, 3.5, 4.5]))
      0.25

    Differences from PyTorch: see the module docstring (same shape required, no
    ``size_average``/``reduce``).
    """
    fn = "mse_loss"
    x, y = _pair(input, target, fn, strided=True)
    return _core.mse_loss, dict(input=x, target=y, weight=cv.parameter(weight, x.dtype, "weight", fn),
                                 reduction=reduction)


@loss()
def smooth_l1_loss(
    input: ArrayLike, target: ArrayLike, *, reduction: str = "mean", beta: float = 1.0, out: Buffer = None
) -> Prepared:
    r"""Smooth L1 loss, as ``torch.nn.functional.smooth_l1_loss``.

    With :math:`d = x - y`:

    .. math::
       \ell = \begin{cases} \tfrac12 d^2/\beta & |d| < \beta \\ |d| - \tfrac12\beta & \text{otherwise}\end{cases}
       \qquad \frac{\partial\ell}{\partial x} = \begin{cases} d/\beta & |d| < \beta \\
       \operatorname{sign}(d) & \text{otherwise}\end{cases}

    At :math:`|d| = \beta` the gradient is :math:`\pm 1` (PyTorch's choice).
    ``beta=0`` is :func:`lossx.l1_loss` exactly (bitwise, as PyTorch dispatches to it).

    Args:
      input: predictions, any shape; float32 or float64.
      target: the input's shape (no broadcasting: a mismatch raises ``ValueError``).
      reduction: ``'none'`` | ``'mean'`` | ``'sum'``.
      beta: the width of the quadratic zone, ``>= 0`` (``ValueError`` if negative).

    Returns:
      A 0-d array (reduced) or the per-element losses (the input's shape), in the input's dtype.

    Example:
      >>> import lossx
      >>> lossx.smooth_l1_loss([0.5, 3.0], [0.0, 0.0], reduction="none").tolist()
      [0.125, 2.5]

    Differences from PyTorch: see the module docstring; a negative ``beta`` is a
    ``ValueError`` (PyTorch raises ``RuntimeError``).
    """
    fn = "smooth_l1_loss"
    x, y = _pair(input, target, fn, strided=True)
    return _core.smooth_l1_loss, dict(input=x, target=y, beta=cv.real(beta, "beta", fn), reduction=reduction)


@loss()
def huber_loss(
    input: ArrayLike,
    target: ArrayLike,
    reduction: str = "mean",
    delta: float = 1.0,
    weight: ArrayLike | None = None,
    *,
    out: Buffer = None,
) -> Prepared:
    r"""Huber loss, as ``torch.nn.functional.huber_loss``.

    With :math:`d = x - y`:

    .. math::
       \ell = \begin{cases} \tfrac12 d^2 & |d| < \delta \\ \delta(|d| - \tfrac12\delta) & \text{otherwise}\end{cases}
       \qquad \frac{\partial\ell}{\partial x} = \begin{cases} d & |d| < \delta \\
       \delta\operatorname{sign}(d) & \text{otherwise}\end{cases}

    so ``huber_loss(x, y, delta=δ) == δ * smooth_l1_loss(x, y, beta=δ)`` (up to rounding).
    At :math:`|d| = \delta` the gradient is :math:`\pm\delta` (PyTorch's choice).
    With ``weight`` (the input's shape) each element's loss is multiplied by it and
    ``'mean'`` is :math:`\operatorname{mean}(w\ell)`: it divides by the number of
    elements, **not** by :math:`\sum w` as ``l1_loss``/``mse_loss`` do (PyTorch 2.x's rules differ).

    As in PyTorch (which has no ``size_average`` here), every argument may be positional.

    Args:
      input: predictions, any shape; float32 or float64.
      target: the input's shape (no broadcasting: a mismatch raises ``ValueError``).
      reduction: ``'none'`` | ``'mean'`` | ``'sum'``.
      delta: the threshold between the quadratic and linear zones, ``> 0``.
      weight: optional per-element weight of the input's shape (converted to its dtype).

    Returns:
      A 0-d array (reduced) or the per-element losses (the input's shape), in the input's dtype.

    Example:
      >>> import lossx
      >>> float(lossx.huber_loss([1.0, 3.0], [0.0, 0.0], delta=5.0, weight=[1.0, 1.0]))  # (0.5 + 4.5) / 2
      2.5

    Differences from PyTorch: see the module docstring; ``delta <= 0`` is a
    ``ValueError`` (PyTorch raises ``RuntimeError``).
    """
    fn = "huber_loss"
    x, y = _pair(input, target, fn, strided=True)
    return _core.huber_loss, dict(input=x, target=y, delta=cv.real(delta, "delta", fn),
                                   weight=cv.parameter(weight, x.dtype, "weight", fn), reduction=reduction)


@loss()
def poisson_nll_loss(
    input: ArrayLike,
    target: ArrayLike,
    log_input: bool = True,
    full: bool = False,
    *,
    eps: float = 1e-8,
    reduction: str = "mean",
    out: Buffer = None,
) -> Prepared:
    r"""Poisson negative log-likelihood, as ``torch.nn.functional.poisson_nll_loss``.

    For a target count :math:`y` and a predicted rate given by :math:`x`:

    * ``log_input=True`` (:math:`x = \log\lambda`): :math:`\ell = e^x - yx`, gradient :math:`e^x - y`;
    * ``log_input=False`` (:math:`x = \lambda`): :math:`\ell = x - y\log(x + \epsilon)`,
      gradient :math:`1 - y/(x + \epsilon)`.

    ``full=True`` adds Stirling's approximation of :math:`\log y!`,
    :math:`y\log y - y + \tfrac12\log(2\pi y)`, only where :math:`y > 1` (as PyTorch;
    it is 0 for :math:`y \le 1`). It does not depend on :math:`x`.

    Args:
      input: log-rates or rates, any shape; float32 or float64.
      target: counts, the input's shape (no broadcasting: a mismatch raises ``ValueError``): a
        float array of its dtype, or an integer or bool array (converted exactly).
      log_input: whether ``input`` is the log of the rate.
      full: add the Stirling term.
      eps: added to the rate inside the log when ``log_input=False``.
      reduction: ``'none'`` | ``'mean'`` | ``'sum'``.

    Returns:
      A 0-d array (reduced) or the per-element losses (the input's shape), in the input's dtype.

    Example:
      >>> import lossx
      >>> round(float(lossx.poisson_nll_loss([0.0], [2.0], log_input=False)), 5)  # -2·log(1e-8)
      36.84136

    Differences from PyTorch: see the module docstring (PyTorch broadcasts input
    and target silently here; lossx requires the same shape). The gradient is with
    respect to ``input`` only.
    """
    fn = "poisson_nll_loss"
    x = cv.prediction(input, "input", fn, strided=True)
    y = cv.label_target(target, x.dtype, "target", fn, strided=True)
    return _core.poisson_nll_loss, dict(input=x, target=y, log_input=bool(log_input), full=bool(full),
                                         eps=cv.real(eps, "eps", fn), reduction=reduction)


def _var(var: ArrayLike | float, x: np.ndarray, fn: str) -> tuple[np.ndarray, bool]:
    """``var``: a Python float (one variance for every element) or an array (PyTorch's shape rules)."""
    if var is None or isinstance(var, bool) or isinstance(var, int):
        # PyTorch 2.13 only accepts a tensor or a Python float here; an int (or bool)
        # fails inside it with a TypeError. lossx keeps that, with a clearer message.
        raise TypeError(
            f"{fn}: 'var' must be an array or a Python float; got {type(var).__name__} {var!r} "
            "(write it as a float, e.g. 1.0, as PyTorch requires)"
        )
    if isinstance(var, float):  # also NumPy float64 scalars, which are floats (as in PyTorch)
        return cv.contiguous(np.asarray(var, dtype=x.dtype)), True
    v = cv.parameter(var, x.dtype, "var", fn)
    assert v is not None  # None was refused above
    return v, False


@loss(grads="``input`` and ``var`` (a tuple ``(grad_input, grad_var)``, ``grad_var`` of var's own shape)")
def gaussian_nll_loss(
    input: ArrayLike,
    target: ArrayLike,
    var: ArrayLike | float,
    full: bool = False,
    eps: float = 1e-6,
    reduction: str = "mean",
    *,
    out: Buffer = None,
) -> Prepared:
    r"""Gaussian negative log-likelihood, as ``torch.nn.functional.gaussian_nll_loss``.

    With :math:`v = \max(\mathrm{var}, \epsilon)` broadcast onto the input:

    .. math::
       \ell = \tfrac12\left(\log v + \frac{(x - y)^2}{v}\right) \;[+\ \tfrac12\log 2\pi \text{ if full}]

    Gradients: :math:`\partial\ell/\partial x = (x - y)/v` and
    :math:`\partial\ell/\partial\mathrm{var} = \tfrac12(1/v - (x-y)^2/v^2)`, summed over
    the elements each variance is broadcast to. As in PyTorch (which clamps a copy of
    ``var`` under ``no_grad``), the clamp lets the var gradient through: below
    ``eps`` it is that expression evaluated at ``eps``, not 0.

    ``var`` is an array or a Python float (one variance for every element; its
    gradient is then a 0-d array). An array ``var`` may have, as in PyTorch:

    * the input's shape (one variance per element);
    * the input's shape without its last dim, e.g. ``(N,)`` for an ``(N, D)`` input (one per row);
    * the input's number of dims with exactly one dim that differs, where ``var`` has size 1,
      e.g. ``(N, 1)`` or ``(1, D)`` for ``(N, D)``, ``(N, 1, H, W)`` for ``(N, C, H, W)``.

    Anything else, and any ``var < 0``, raises ``ValueError``.

    All arguments may be positional, as in PyTorch (no ``size_average`` here).

    Args:
      input: predicted means, any shape; float32 or float64.
      target: observations, the input's shape and dtype.
      var: variances (``>= 0``): an array of a shape above (any real dtype, converted to the
        input's dtype) or a Python float.
      full: add the constant :math:`\tfrac12\log 2\pi`.
      eps: the clamp of ``var`` (not validated, as in PyTorch).
      reduction: ``'none'`` | ``'mean'`` | ``'sum'`` (``'mean'`` over all elements).

    Returns:
      A 0-d array (reduced) or the per-element losses (the input's shape), in the input's dtype.
      ``gaussian_nll_loss_backward`` returns ``(grad_input, grad_var)``.

    Example:
      >>> import lossx
      >>> float(lossx.gaussian_nll_loss([1.0], [0.0], [0.0]))  # var clamped at 1e-6
      499993.092244721
      >>> g_in, g_var = lossx.gaussian_nll_loss_backward(1.0, [[1.0, 2.0]], [[0.0, 0.0]], [2.0])
      >>> g_var.shape
      (1,)

    Differences from PyTorch: ``target`` must have the input's shape (PyTorch
    broadcasts it); a Python ``int`` var raises ``TypeError`` as in PyTorch 2.13 (write
    ``1.0``), while an integer *array* is converted like any parameter; a ``var`` of
    size 0 in its one mismatched dim is rejected (PyTorch lets it through to a
    broadcasting error). The gradient is not taken with respect to ``target``.
    """
    fn = "gaussian_nll_loss"
    x, y = _pair(input, target, fn)
    v, scalar = _var(var, x, fn)
    return _core.gaussian_nll_loss, dict(input=x, target=y, var=v, scalar_var=scalar, full=bool(full),
                                          eps=cv.real(eps, "eps", fn), reduction=reduction)


l1_loss_backward = l1_loss.backward
l1_loss_with_grad = l1_loss.with_grad
l1_loss_partial = l1_loss.partial
l1_loss_partial_backward = l1_loss.partial_backward
mse_loss_backward = mse_loss.backward
mse_loss_with_grad = mse_loss.with_grad
mse_loss_partial = mse_loss.partial
mse_loss_partial_backward = mse_loss.partial_backward
smooth_l1_loss_backward = smooth_l1_loss.backward
smooth_l1_loss_with_grad = smooth_l1_loss.with_grad
smooth_l1_loss_partial = smooth_l1_loss.partial
smooth_l1_loss_partial_backward = smooth_l1_loss.partial_backward
huber_loss_backward = huber_loss.backward
huber_loss_with_grad = huber_loss.with_grad
huber_loss_partial = huber_loss.partial
huber_loss_partial_backward = huber_loss.partial_backward
poisson_nll_loss_backward = poisson_nll_loss.backward
poisson_nll_loss_with_grad = poisson_nll_loss.with_grad
poisson_nll_loss_partial = poisson_nll_loss.partial
poisson_nll_loss_partial_backward = poisson_nll_loss.partial_backward
gaussian_nll_loss_backward = gaussian_nll_loss.backward
gaussian_nll_loss_with_grad = gaussian_nll_loss.with_grad
gaussian_nll_loss_partial = gaussian_nll_loss.partial
gaussian_nll_loss_partial_backward = gaussian_nll_loss.partial_backward
