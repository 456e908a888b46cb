"""Margin losses: ranking, hinge-embedding, soft-margin and the multi-class / multi-label hinges.

Each loss has PyTorch's name, arguments and defaults (``torch.nn.functional``);
its gradient is ``NAME_backward`` and both together ``NAME_with_grad``.
``NAME_partial`` returns the exact partial sums ``(total, denominator)`` of the
reduction and ``NAME_partial_backward(scale, ...)`` the gradient of ``scale * total``:
the denominator counts elements (``margin_ranking_loss``, ``hinge_embedding_loss``,
``soft_margin_loss``) or rows (``multilabel_soft_margin_loss``, ``multi_margin_loss``,
``multilabel_margin_loss``, whose ``'mean'`` averages the per-row losses).
"""

from __future__ import annotations

import numbers

import numpy as np
from numpy.typing import ArrayLike

from . import _convert as cv
from . import _core
from ._api import Buffer, Prepared, loss

__all__ = [
    "margin_ranking_loss",
    "margin_ranking_loss_backward",
    "margin_ranking_loss_with_grad",
    "margin_ranking_loss_partial",
    "margin_ranking_loss_partial_backward",
    "hinge_embedding_loss",
    "hinge_embedding_loss_backward",
    "hinge_embedding_loss_with_grad",
    "hinge_embedding_loss_partial",
    "hinge_embedding_loss_partial_backward",
    "soft_margin_loss",
    "soft_margin_loss_backward",
    "soft_margin_loss_with_grad",
    "soft_margin_loss_partial",
    "soft_margin_loss_partial_backward",
    "multilabel_soft_margin_loss",
    "multilabel_soft_margin_loss_backward",
    "multilabel_soft_margin_loss_with_grad",
    "multilabel_soft_margin_loss_partial",
    "multilabel_soft_margin_loss_partial_backward",
    "multi_margin_loss",
    "multi_margin_loss_backward",
    "multi_margin_loss_with_grad",
    "multi_margin_loss_partial",
    "multi_margin_loss_partial_backward",
    "multilabel_margin_loss",
    "multilabel_margin_loss_backward",
    "multilabel_margin_loss_with_grad",
    "multilabel_margin_loss_partial",
    "multilabel_margin_loss_partial_backward",
]


def _pair(input: ArrayLike, target: ArrayLike, fn: str, strided: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """``input`` and its label ``target`` (integer and bool arrays are converted exactly);
    ``strided``: the kernel reads them in place in any layout (the elementwise losses)."""
    x = cv.prediction(input, "input", fn, strided)
    return x, cv.label_target(target, x.dtype, "target", fn, strided)


@loss(grads="``input1`` and ``input2`` (a tuple)")
def margin_ranking_loss(
    input1: ArrayLike,
    input2: ArrayLike,
    target: ArrayLike,
    margin: float = 0,
    *,
    reduction: str = "mean",
    out: Buffer = None,
) -> Prepared:
    r"""Ranking hinge :math:`\max(0, -y(x_1 - x_2) + m)`, as ``torch.nn.functional.margin_ranking_loss``.

    With :math:`y = 1` the loss asks :math:`x_1` to rank above :math:`x_2` by at least
    the margin :math:`m`, with :math:`y = -1` the reverse. :math:`y` is not restricted to
    ±1 (as in PyTorch): :math:`y = 0` gives :math:`\max(0, m)`.

    Gradients (``margin_ranking_loss_backward`` returns the tuple ``(grad_input1, grad_input2)``):
    :math:`\partial/\partial x_1 = -y\,[v \ge 0]`, :math:`\partial/\partial x_2 = y\,[v \ge 0]` with
    :math:`v = -y(x_1 - x_2) + m`. At the kink :math:`v = 0` the gradient is passed through,
    ``(-y, +y)``, as PyTorch's ``clamp_min`` does; where :math:`v` is nan it is 0.

    Args:
      input1: first scores, any shape; float32 or float64.
      input2: second scores, the shape and dtype of ``input1``.
      target: labels :math:`y` (usually ±1), the shape of ``input1``: a float array of its dtype,
        or an integer or bool array (converted exactly).
      margin: :math:`m`, any real number.
      reduction: ``'none'`` | ``'mean'`` | ``'sum'``.

    Returns:
      A 0-d array (reduced) or the per-element losses (the inputs' shape), in the inputs' dtype.

    Example:
      >>> import lossx
      >>> float(lossx.margin_ranking_loss([1.0, 2.0], [2.0, 1.0], [1.0, 1.0], margin=0.5))
      0.75
      >>> g1, g2 = lossx.margin_ranking_loss_backward(1.0, [1.0, 2.0], [2.0, 1.0], [1.0, -1.0], margin=0.5)
      >>> g1.tolist(), g2.tolist()
      ([-0.5, 0.5], [0.5, -0.5])

    Differences from PyTorch: the three arrays must have one shape and one dtype
    (PyTorch broadcasts them within one ndim and promotes dtypes); a mismatch raises
    ``ValueError`` / ``TypeError``.
    """
    fn = "margin_ranking_loss"
    x1 = cv.prediction(input1, "input1", fn)
    x2 = cv.prediction(input2, "input2", fn)
    cv.same_dtype(fn, input1=x1, input2=x2)
    y = cv.label_target(target, x1.dtype, "target", fn)
    return _core.margin_ranking_loss, dict(
        input1=x1, input2=x2, target=y, margin=cv.real(margin, "margin", fn), reduction=reduction
    )


margin_ranking_loss_backward = margin_ranking_loss.backward
margin_ranking_loss_with_grad = margin_ranking_loss.with_grad
margin_ranking_loss_partial = margin_ranking_loss.partial
margin_ranking_loss_partial_backward = margin_ranking_loss.partial_backward


@loss()
def hinge_embedding_loss(
    input: ArrayLike, target: ArrayLike, margin: float = 1.0, *, reduction: str = "mean", out: Buffer = None
) -> Prepared:
    r"""Hinge embedding loss, as ``torch.nn.functional.hinge_embedding_loss``.

    .. math:: \ell = [y \ne 1]\,\max(0, m - x) + [y \ne -1]\,x

    so :math:`y = 1` gives :math:`x` (typically a distance to shrink), :math:`y = -1` gives
    :math:`\max(0, m - x)`, and any other label, 0 included, incurs **both** terms
    (PyTorch's definition: :math:`x = 0.3, y = 0, m = 1` gives 1.0).

    Gradient :math:`-[y \ne 1][m - x \ge 0] + [y \ne -1]`. At the kink :math:`x = m` the
    hinge's gradient -1 is passed through, as PyTorch's ``clamp_min`` does.

    Args:
      input: the inputs :math:`x` (e.g. distances), any shape; float32 or float64.
      target: labels :math:`y` (usually ±1), the input's shape: a float array of its dtype, or an
        integer or bool array (converted exactly).
      margin: :math:`m`.
      reduction: ``'none'`` | ``'mean'`` | ``'sum'``.

    Returns:
      A 0-d array (reduced) or the per-element losses (the input's shape), in the input's dtype.

    Example:
      >>> import lossx
      >>> float(lossx.hinge_embedding_loss([0.3, 2.0, 0.5], [0.0, -1.0, 1.0]))
      0.5

    Differences from PyTorch: ``target`` must have the input's shape (PyTorch broadcasts).
    """
    fn = "hinge_embedding_loss"
    x, y = _pair(input, target, fn, strided=True)
    return _core.hinge_embedding_loss, dict(input=x, target=y, margin=cv.real(margin, "margin", fn), reduction=reduction)


hinge_embedding_loss_backward = hinge_embedding_loss.backward
hinge_embedding_loss_with_grad = hinge_embedding_loss.with_grad
hinge_embedding_loss_partial = hinge_embedding_loss.partial
hinge_embedding_loss_partial_backward = hinge_embedding_loss.partial_backward


@loss()
def soft_margin_loss(input: ArrayLike, target: ArrayLike, *, reduction: str = "mean", out: Buffer = None) -> Prepared:
    r"""Two-class logistic loss :math:`\log(1 + e^{-yx})`, as ``torch.nn.functional.soft_margin_loss``.

    Computed as the stable softplus :math:`\max(-yx, 0) + \log(1 + e^{-|yx|})`; gradient
    :math:`-y\,\sigma(-yx)`.

    Args:
      input: scores :math:`x`, any shape; float32 or float64.
      target: labels :math:`y` (usually ±1; any value is accepted), the input's shape: a float
        array of its dtype, or an integer or bool array (converted exactly).
      reduction: ``'none'`` | ``'mean'`` | ``'sum'``.

    Returns:
      A 0-d array (reduced) or the per-element losses (the input's shape), in the input's dtype.

    Example:
      >>> import numpy as np, lossx
      >>> round(float(lossx.soft_margin_loss([2.0, -1.0], [1.0, 1.0])), 6)
      0.720095
      >>> float(lossx.soft_margin_loss(np.float32([-100.0]), np.float32([1.0])))  # PyTorch: inf
      100.0

    Differences from PyTorch: PyTorch evaluates :math:`\log(1 + e^{-yx})` literally, so it
    overflows to ``inf`` (and its gradient to ``nan``) once :math:`-yx` exceeds about 88 in
    float32 (709 in float64); lossx returns the finite value and gradient. ``target`` must
    have the input's shape.
    """
    fn = "soft_margin_loss"
    x, y = _pair(input, target, fn, strided=True)
    return _core.soft_margin_loss, dict(input=x, target=y, reduction=reduction)


soft_margin_loss_backward = soft_margin_loss.backward
soft_margin_loss_with_grad = soft_margin_loss.with_grad
soft_margin_loss_partial = soft_margin_loss.partial
soft_margin_loss_partial_backward = soft_margin_loss.partial_backward


@loss()
def multilabel_soft_margin_loss(
    input: ArrayLike, target: ArrayLike, weight: ArrayLike | None = None, *, reduction: str = "mean", out: Buffer = None
) -> Prepared:
    r"""Multi-label one-versus-all logistic loss, as ``torch.nn.functional.multilabel_soft_margin_loss``.

    For a row of :math:`C` logits :math:`x` (the last dim) with 0/1 targets :math:`y`:

    .. math:: \ell = \frac{1}{C}\sum_c w_c\,\bigl[y_c \log(1 + e^{-x_c}) + (1 - y_c)\log(1 + e^{x_c})\bigr]

    (:math:`w \equiv 1` without ``weight``); ``'mean'`` averages the rows. Gradient
    :math:`\frac{w_c}{C}(\sigma(x_c) - y_c)`. Computed with a stable softplus (one exponential
    per element), so logits of magnitude 1e4 are fine in float32.

    Args:
      input: logits ``(C)`` or ``(N, C)`` (more leading dims are allowed, as in PyTorch; the
        classes are always the last dim); float32 or float64.
      target: 0/1 labels (soft values are accepted), the input's shape: a float array of its
        dtype, or an integer or bool array (converted exactly).
      weight: optional per-class weight of shape ``(C,)``.
      reduction: ``'none'`` | ``'mean'`` | ``'sum'``.

    Returns:
      A 0-d array (reduced) or the per-row losses: shape ``(N,)`` (``()`` for a 1-D input).

    Example:
      >>> import lossx
      >>> round(float(lossx.multilabel_soft_margin_loss([[1.0, -2.0, 0.5]], [[1.0, 0.0, 0.0]])), 6)
      0.471422

    Differences from PyTorch: ``weight`` must have shape ``(C,)`` (PyTorch's documented form;
    its implementation also broadcasts other shapes).
    """
    fn = "multilabel_soft_margin_loss"
    x, y = _pair(input, target, fn)
    w = cv.parameter(weight, x.dtype, "weight", fn)
    return _core.multilabel_soft_margin_loss, dict(input=x, target=y, weight=w, reduction=reduction)


multilabel_soft_margin_loss_backward = multilabel_soft_margin_loss.backward
multilabel_soft_margin_loss_with_grad = multilabel_soft_margin_loss.with_grad
multilabel_soft_margin_loss_partial = multilabel_soft_margin_loss.partial
multilabel_soft_margin_loss_partial_backward = multilabel_soft_margin_loss.partial_backward


def _power(p: float, fn: str) -> int:
    """``p`` of multi_margin_loss: 1 or 2 (as a number: 2.0 is accepted, like PyTorch)."""
    if not isinstance(p, numbers.Real) or p not in (1, 2):
        raise ValueError(f"{fn}: 'p' must be 1 or 2 (only p == 1 and p == 2 are supported); got {p!r}")
    return int(p)


@loss()
def multi_margin_loss(
    input: ArrayLike,
    target: ArrayLike,
    p: float = 1,
    margin: float = 1.0,
    weight: ArrayLike | None = None,
    *,
    reduction: str = "mean",
    out: Buffer = None,
) -> Prepared:
    r"""Multi-class hinge loss, as ``torch.nn.functional.multi_margin_loss``.

    For a row of :math:`C` scores :math:`x` with class :math:`y`:

    .. math:: \ell = \frac{1}{C}\sum_{i \ne y} w_y\,\max(0, \mathrm{margin} - x_y + x_i)^p

    with :math:`p \in \{1, 2\}` and :math:`w \equiv 1` without ``weight``; the weight multiplies
    *after* the power (PyTorch's behaviour, as its 2.x docs state). ``'mean'`` averages the rows.
    The gradient uses PyTorch's strict test :math:`z > 0`, so at a kink
    (:math:`\mathrm{margin} - x_y + x_i = 0`) it is 0.

    Args:
      input: scores ``(N, C)``, or a single row ``(C)``; float32 or float64. ``C >= 1``.
      target: class indices in ``[0, C)``: ``(N,)`` for a 2-D input, ``()`` for a single row;
        any integer dtype.
      p: 1 or 2 (anything else raises ``ValueError``).
      margin: the margin.
      weight: optional per-class weight of shape ``(C,)``.
      reduction: ``'none'`` | ``'mean'`` | ``'sum'``.

    Returns:
      A 0-d array (reduced) or the per-row losses, of the target's shape.

    Example:
      >>> import lossx
      >>> round(float(lossx.multi_margin_loss([[0.1, 0.2, 0.4, 0.8]], [3])), 6)
      0.325
      >>> round(float(lossx.multi_margin_loss([[0.1, 0.2, 0.4, 0.8]], [3], p=2, weight=[1, 1, 1, 2])), 6)
      0.305

    Differences from PyTorch: the target may have any integer dtype; an index outside
    ``[0, C)`` raises ``ValueError`` (PyTorch: ``RuntimeError``); an empty batch gives ``nan``
    for ``'mean'`` and 0 for ``'sum'`` (PyTorch returns uninitialised memory there).
    """
    fn = "multi_margin_loss"
    x = cv.prediction(input, "input", fn)
    t = cv.indices(target, "target", fn)
    w = cv.parameter(weight, x.dtype, "weight", fn)
    return _core.multi_margin_loss, dict(
        input=x, target=t, p=_power(p, fn), margin=cv.real(margin, "margin", fn), weight=w, reduction=reduction
    )


multi_margin_loss_backward = multi_margin_loss.backward
multi_margin_loss_with_grad = multi_margin_loss.with_grad
multi_margin_loss_partial = multi_margin_loss.partial
multi_margin_loss_partial_backward = multi_margin_loss.partial_backward


@loss()
def multilabel_margin_loss(
    input: ArrayLike, target: ArrayLike, *, reduction: str = "mean", out: Buffer = None
) -> Prepared:
    r"""Multi-label hinge loss, as ``torch.nn.functional.multilabel_margin_loss``.

    Each target row lists the row's labels (class indices) first and ends the list with -1;
    what follows the first -1 is ignored. With :math:`J` the listed labels and :math:`L` their set:

    .. math:: \ell = \frac{1}{C}\sum_{j \in J}\sum_{i \notin L} \max(0, 1 - x_j + x_i)

    A label listed twice counts twice (PyTorch's behaviour): ``[3, 3, -1, ..]`` gives twice the
    loss of ``[3, -1, ..]``. A row with no label (starting with -1) has loss 0. ``'mean'``
    averages the rows. The gradient uses PyTorch's strict test :math:`1 - x_j + x_i > 0`, so at a
    kink it is 0.

    Args:
      input: scores ``(N, C)`` or a single row ``(C)``; float32 or float64. ``C >= 1``.
      target: the input's shape, any integer dtype; every entry (also after the first -1) in
        ``[-1, C)``, else ``ValueError``.
      reduction: ``'none'`` | ``'mean'`` | ``'sum'``.

    Returns:
      A 0-d array (reduced) or the per-row losses: ``(N,)`` for a 2-D input, ``()`` for one row.

    Example:
      >>> import lossx
      >>> round(float(lossx.multilabel_margin_loss([[0.1, 0.2, 0.4, 0.8]], [[3, 0, -1, 1]])), 6)
      0.85

    Differences from PyTorch: the target may have any integer dtype (PyTorch: int64 only); a bad
    label raises ``ValueError`` (PyTorch: ``RuntimeError``); an empty batch gives ``nan`` for
    ``'mean'`` and 0 for ``'sum'`` (PyTorch returns uninitialised memory there).
    """
    fn = "multilabel_margin_loss"
    x = cv.prediction(input, "input", fn)
    t = cv.indices(target, "target", fn)
    return _core.multilabel_margin_loss, dict(input=x, target=t, reduction=reduction)


multilabel_margin_loss_backward = multilabel_margin_loss.backward
multilabel_margin_loss_with_grad = multilabel_margin_loss.with_grad
multilabel_margin_loss_partial = multilabel_margin_loss.partial
multilabel_margin_loss_partial_backward = multilabel_margin_loss.partial_backward
