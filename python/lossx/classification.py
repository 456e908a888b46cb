"""Classification losses: softmax, cross-entropy, NLL, binary cross-entropy, KL divergence.

Each loss has PyTorch's name, arguments and defaults (``torch.nn.functional``);
its gradient is ``NAME_backward`` and both together ``NAME_with_grad``.
"""

from __future__ import annotations

import operator
import warnings
from typing import Any, Callable, cast

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from . import _convert as cv
from . import _core
from ._api import Buffer, Prepared, loss

__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_backward",
    "binary_cross_entropy_with_grad",
    "binary_cross_entropy_partial",
    "binary_cross_entropy_partial_backward",
    "binary_cross_entropy_with_logits",
    "binary_cross_entropy_with_logits_backward",
    "binary_cross_entropy_with_logits_with_grad",
    "binary_cross_entropy_with_logits_partial",
    "binary_cross_entropy_with_logits_partial_backward",
    "cross_entropy",
    "cross_entropy_backward",
    "cross_entropy_with_grad",
    "cross_entropy_partial",
    "cross_entropy_partial_backward",
    "kl_div",
    "kl_div_backward",
    "kl_div_with_grad",
    "kl_div_partial",
    "kl_div_partial_backward",
    "log_softmax",
    "log_softmax_backward",
    "log_softmax_with_grad",
    "nll_loss",
    "nll_loss_backward",
    "nll_loss_with_grad",
    "nll_loss_partial",
    "nll_loss_partial_backward",
    "softmax",
    "softmax_backward",
    "softmax_with_grad",
]


def _class_or_prob_target(target: ArrayLike, x: np.ndarray, fn: str) -> np.ndarray:
    """Class indices (integer) or probabilities (float, the input's shape and dtype)."""
    a = cv.array(target, "target", fn)
    if a.dtype.kind != "f":
        if a.shape == x.shape and x.ndim >= 2 and a.dtype.kind in "iub":
            raise TypeError(
                f"{fn}: 'target' has the input's shape {x.shape} but dtype {a.dtype}: probability (e.g. one-hot) "
                f"targets must be float arrays of the input's dtype {x.dtype} (target.astype(np.{x.dtype})); "
                f"for class indices pass shape {x.shape[:1] + x.shape[2:]} (e.g. target.argmax(axis=1))"
            )
        return cv.indices(a, "target", fn)
    if a.shape != x.shape:
        raise TypeError(
            f"{fn}: 'target' must be an integer array of class indices, or probabilities of the input's shape "
            f"{x.shape}; got a float array of shape {a.shape}"
        )
    if cv._is_array_like(target):
        return cv.float_target(a, x.dtype, "target", fn)
    return cv.contiguous(a.astype(x.dtype))


@loss()
def cross_entropy(
    input: ArrayLike,
    target: ArrayLike,
    weight: ArrayLike | None = None,
    *,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
    out: Buffer = None,
) -> Prepared:
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

    :func:`cross_entropy_partial` gives the exact partial sums of a chunk,
    :math:`(\sum w_y\ell, \sum w_y)` for class indices and :math:`(\sum \ell, \text{rows})` for
    probabilities. Computed in one fused, log-sum-exp-stable pass per row (no N×C temporary).

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
    t = _class_or_prob_target(target, x, fn)
    w = cv.parameter(weight, x.dtype, "weight", fn)
    return _core.cross_entropy, dict(
        input=x,
        target=t,
        weight=w,
        ignore_index=cv.integer(ignore_index, "ignore_index", fn),
        label_smoothing=cv.real(label_smoothing, "label_smoothing", fn),
        reduction=reduction,
    )


cross_entropy_backward = cross_entropy.backward
cross_entropy_with_grad = cross_entropy.with_grad
cross_entropy_partial = cross_entropy.partial
cross_entropy_partial_backward = cross_entropy.partial_backward


# ---------------------------------------------------------------- softmax / log_softmax


def _implicit_dim(ndim: int) -> int:
    """PyTorch's legacy choice when ``dim`` is omitted: 0 for 0-, 1- and 3-D inputs, else 1."""
    return 0 if ndim in (0, 1, 3) else 1


def _softmax_dtype(dtype: object, fn: str) -> np.dtype | None:
    """``dtype=`` as a NumPy float dtype (float32/float64); torch dtypes are accepted by name."""
    if dtype is None:
        return None
    if type(dtype).__module__.startswith("torch"):
        dtype = str(dtype).replace("torch.", "")
    try:
        d = np.dtype(cast("DTypeLike", dtype))  # anything else: np.dtype's TypeError, reworded below
    except TypeError:
        raise TypeError(f"{fn}: 'dtype' must be float32 or float64; got {dtype!r}") from None
    if d not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise TypeError(f"{fn}: 'dtype' must be float32 or float64; got {d}")
    return d


def _cast_gradient(core: Callable[..., Any], dtype: np.dtype) -> Callable[..., Any]:
    """Wraps a core function so that the gradient comes back in ``dtype`` (the caller's input dtype)."""

    def call(mode: int, g: Any, out: Any, grad_out: Any, *args: Any) -> Any:
        # The gradient's buffer (backward's out, with_grad's grad_out) has the caller's dtype:
        # the gradient is computed in the cast dtype, then converted into it.
        gbuf = out if mode == 1 else grad_out if mode == 2 else None
        res = core(mode, g, None if mode == 1 else out, None, *args)
        if mode == 1:
            return _into(res, gbuf, dtype, core.__name__, "out")
        if mode == 2:
            return res[0], _into(res[1], gbuf, dtype, core.__name__, "grad_out")
        return res

    # _api checks the argument names against the compiled function's
    call.__wrapped__ = core  # type: ignore[attr-defined]
    return call


def _into(grad: np.ndarray, buf: Any, dtype: np.dtype, fn: str, name: str) -> Any:
    """``grad`` as ``dtype``: converted into the caller's buffer ``buf`` (checked as the binding
    checks a buffer), or a new array when there is none."""
    if buf is None:
        return grad.astype(dtype)
    what = f"{fn}: '{name}' must be "
    if not isinstance(buf, np.ndarray):
        raise TypeError(what + f"a NumPy array; got {type(buf).__name__}")
    if buf.dtype != dtype or not buf.dtype.isnative:
        raise TypeError(what + f"a native-endian array of the result's dtype {dtype}; got dtype {buf.dtype}")
    if buf.shape != grad.shape:
        raise ValueError(what + f"an array of the result's shape {grad.shape}; got {buf.shape}")
    if not (buf.flags.c_contiguous and buf.flags.aligned):
        raise ValueError(what + "C-contiguous and aligned; got a non-contiguous or unaligned array")
    if not buf.flags.writeable:
        raise ValueError(what + "writeable; got a read-only array")
    np.copyto(buf, grad, casting="unsafe")
    return buf


def _softmax_args(core: Callable[..., Any], input: ArrayLike, dim: int | None, dtype: object, fn: str) -> Prepared:
    x = cv.prediction(input, "input", fn)
    if dim is None:
        dim = _implicit_dim(x.ndim)
        # stacklevel 5: the caller of lossx.NAME / NAME_backward / NAME_with_grad (through _api)
        # (through the wrapper in _api.py and this helper).
        warnings.warn(
            f"{fn}: implicit choice of 'dim' (dim={dim} for a {x.ndim}-D input) is deprecated, as in PyTorch; "
            "pass dim=X explicitly.",
            UserWarning,
            stacklevel=5,
        )
    elif isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{fn}: 'dim' must be an int or None; got {type(dim).__name__}")
    dim = operator.index(dim)
    d = _softmax_dtype(dtype, fn)
    if d is not None and d != x.dtype:
        return _cast_gradient(core, x.dtype), dict(input=x.astype(d), dim=dim)
    return core, dict(input=x, dim=dim)


@loss()
def log_softmax(input: ArrayLike, dim: int | None = None, *, dtype: object = None, out: Buffer = None) -> Prepared:
    r"""Logarithm of the softmax along ``dim``, as ``torch.nn.functional.log_softmax``.

    .. math::
       \mathrm{log\_softmax}(x)_c = x_c - m - \log\sum_k e^{x_k - m},\qquad m = \max_k x_k

    computed in one max-subtracted pass per row (stable for logits of any magnitude;
    the sum is accumulated in double). Its gradient is
    :math:`g_c - \mathrm{softmax}(x)_c \sum_k g_k`; :func:`log_softmax_backward` takes the same
    ``input`` as the forward (not its output), so that gradients compose:
    ``log_softmax_backward(nll_loss_backward(g, log_softmax(x, 1), y), x, 1)`` is
    ``cross_entropy_backward(g, x, y)``.

    Args:
      input: any shape (a 0-d input is a single value, whose log-softmax is 0); float32 or float64.
      dim: the axis to normalise along; negative values count from the end. ``None``
        follows PyTorch's deprecated implicit rule (0 for 0-, 1- and 3-D inputs, else 1) and
        emits a ``UserWarning``, as PyTorch does.
      dtype: optional ``float32``/``float64`` (NumPy or torch dtype); the input is cast to it
        first, as PyTorch's ``dtype=`` does. The output then has that dtype, while the gradient
        (w.r.t. the caller's ``input``) keeps the input's dtype.

    Returns:
      An array of the input's shape.

    Example:
      >>> import lossx
      >>> lossx.log_softmax([[1.0, 2.0, 3.0]], dim=1).round(4)
      array([[-2.4076, -1.4076, -0.4076]])

    Differences from PyTorch: ``dtype`` may only be float32 or float64, and the input must
    already be a float array (PyTorch casts an integer input when ``dtype`` is given); a
    ``dim`` out of range raises ``ValueError`` (PyTorch: ``IndexError``). As in PyTorch, a
    row holding ``+inf`` or ``nan``, or only ``-inf``, gives ``nan``.
    """
    return _softmax_args(_core.log_softmax, input, dim, dtype, "log_softmax")


log_softmax_backward = log_softmax.backward
log_softmax_with_grad = log_softmax.with_grad


@loss()
def softmax(input: ArrayLike, dim: int | None = None, *, dtype: object = None, out: Buffer = None) -> Prepared:
    r"""Softmax along ``dim``, as ``torch.nn.functional.softmax``.

    .. math::
       \mathrm{softmax}(x)_c = \frac{e^{x_c - m}}{\sum_k e^{x_k - m}},\qquad m = \max_k x_k

    computed in one max-subtracted pass per row (no overflow; the sum is accumulated in
    double). Its gradient is :math:`s_c\,(g_c - \sum_k g_k s_k)` with :math:`s = \mathrm{softmax}(x)`;
    :func:`softmax_backward` takes the forward's ``input`` (not its output).

    Args:
      input: any shape (a 0-d input gives 1); float32 or float64.
      dim: the axis to normalise along; negative values count from the end. ``None``
        follows PyTorch's deprecated implicit rule (0 for 0-, 1- and 3-D inputs, else 1) and
        emits a ``UserWarning``, as PyTorch does.
      dtype: optional ``float32``/``float64``; the input is cast to it first (PyTorch's
        ``dtype=``). The output has that dtype; the gradient keeps the input's dtype.

    Returns:
      An array of the input's shape whose slices along ``dim`` sum to 1.

    Example:
      >>> import lossx
      >>> lossx.softmax([[1.0, 2.0, 3.0]], dim=-1).round(4)
      array([[0.09  , 0.2447, 0.6652]])

    Differences from PyTorch: as for :func:`log_softmax` (float32/float64 only, ``ValueError``
    for a bad ``dim``).
    """
    return _softmax_args(_core.softmax, input, dim, dtype, "softmax")


softmax_backward = softmax.backward
softmax_with_grad = softmax.with_grad


# ---------------------------------------------------------------- nll_loss


@loss()
def nll_loss(
    input: ArrayLike,
    target: ArrayLike,
    weight: ArrayLike | None = None,
    *,
    ignore_index: int = -100,
    reduction: str = "mean",
    out: Buffer = None,
) -> Prepared:
    r"""Negative log-likelihood of class indices, as ``torch.nn.functional.nll_loss``.

    For a row of log-probabilities :math:`x` (classes along dim 1, or dim 0 for a 1-D input)
    and its class index :math:`y`:

    .. math::
       \ell = -w_y\,x_y \quad (0 \text{ where } y = \text{ignore\_index})

    ``'mean'`` divides the sum by :math:`\sum w_y` over the rows not ignored (their count
    without ``weight``), exactly as :func:`cross_entropy`; if every target is ignored it is
    ``nan`` (with a zero gradient) and ``'sum'`` is 0; :func:`nll_loss_partial` gives a chunk's
    :math:`(\sum \ell, \sum w_y)`. ``nll_loss(log_softmax(x, 1), y)`` is
    ``cross_entropy(x, y)``. The gradient is :math:`-w_y` at the target class, 0 elsewhere.

    Args:
      input: log-probabilities ``(C)``, ``(N, C)`` or ``(N, C, d1, ..., dk)`` (the K-dim form
        covers PyTorch's old ``NLLLoss2d``); float32 or float64. Not checked: any values
        are accepted, as in PyTorch.
      target: class indices ``()``, ``(N)`` or ``(N, d1, ..., dk)``, any integer dtype
        (int32 and int64 are used without a copy), in ``[0, C)`` or equal to ``ignore_index``.
      weight: optional per-class weight ``(C,)``.
      ignore_index: targets equal to it contribute nothing; it may be a valid class.
      reduction: ``'none'`` | ``'mean'`` | ``'sum'``.

    Returns:
      A 0-d array (reduced), or the per-row losses of the target's shape.

    Example:
      >>> import lossx
      >>> float(lossx.nll_loss([[1.0, 2.0, 3.0]], [2]))
      -3.0

    Differences from PyTorch: class indices may have any integer dtype (PyTorch: int64 or
    uint8); an index out of range raises ``ValueError`` naming ``'target'`` (PyTorch:
    ``IndexError``).
    """
    fn = "nll_loss"
    x = cv.prediction(input, "input", fn)
    t = cv.indices(target, "target", fn)
    w = cv.parameter(weight, x.dtype, "weight", fn)
    return _core.nll_loss, dict(input=x, target=t, weight=w, ignore_index=cv.integer(ignore_index, "ignore_index", fn),
                                reduction=reduction)


nll_loss_backward = nll_loss.backward
nll_loss_with_grad = nll_loss.with_grad
nll_loss_partial = nll_loss.partial
nll_loss_partial_backward = nll_loss.partial_backward


# ---------------------------------------------------------------- binary cross-entropy


def _pair(input: ArrayLike, target: ArrayLike, fn: str) -> tuple[np.ndarray, np.ndarray]:
    """kl_div's input and float target, read in place in any layout."""
    x = cv.prediction(input, "input", fn, strided=True)
    return x, cv.float_target(target, x.dtype, "target", fn, strided=True)


def _labelled(input: ArrayLike, target: ArrayLike, fn: str) -> tuple[np.ndarray, np.ndarray]:
    """``input`` and its 0/1 ``target`` (integer and bool arrays are converted exactly)."""
    x = cv.prediction(input, "input", fn, strided=True)
    return x, cv.label_target(target, x.dtype, "target", fn, strided=True)


@loss()
def binary_cross_entropy(
    input: ArrayLike, target: ArrayLike, weight: ArrayLike | None = None, *, reduction: str = "mean", out: Buffer = None
) -> Prepared:
    r"""Binary cross-entropy of probabilities, as ``torch.nn.functional.binary_cross_entropy``.

    .. math::
       \ell = -w\,[\,y \max(\log x, -100) + (1-y)\max(\log(1-x), -100)\,]

    The logs are clamped at -100 as in PyTorch, so ``x = 0`` with ``y = 1`` gives 100. The
    gradient is PyTorch's
    :math:`w\,(x - y) / \max(x(1-x), 10^{-12})`, which is the derivative of the loss
    except where the clamp is active: at ``x = 0, y = 1`` it is about ``-1e12`` although the
    clamped loss is flat there (PyTorch does the same, for stability of training). For
    logits, prefer :func:`binary_cross_entropy_with_logits`.

    Args:
      input: probabilities in ``[0, 1]``, any shape; float32 or float64.
      target: values in ``[0, 1]`` (soft labels allowed), the input's shape: a float array of
        its dtype, or an integer or bool array (converted exactly).
      weight: optional weight broadcast (NumPy rules) to the target's shape, e.g. ``(C,)``
        for an ``(N, C)`` input.
      reduction: ``'none'`` | ``'mean'`` | ``'sum'`` (``'mean'`` over all elements).

    Returns:
      A 0-d array (reduced), or the per-element losses of the input's shape.

    Example:
      >>> import lossx
      >>> round(float(lossx.binary_cross_entropy([0.8, 0.4], [1.0, 0.0])), 6)
      0.366985

    Differences from PyTorch: an input or target value outside ``[0, 1]`` (or ``nan`` in the
    input or target) raises ``ValueError`` naming the argument (PyTorch: ``RuntimeError``); an
    integer or bool ``target`` is accepted (PyTorch raises).
    """
    fn = "binary_cross_entropy"
    x, y = _labelled(input, target, fn)
    return _core.binary_cross_entropy, dict(input=x, target=y, weight=cv.parameter(weight, x.dtype, "weight", fn),
                                             reduction=reduction)


binary_cross_entropy_backward = binary_cross_entropy.backward
binary_cross_entropy_with_grad = binary_cross_entropy.with_grad
binary_cross_entropy_partial = binary_cross_entropy.partial
binary_cross_entropy_partial_backward = binary_cross_entropy.partial_backward


@loss()
def binary_cross_entropy_with_logits(
    input: ArrayLike,
    target: ArrayLike,
    weight: ArrayLike | None = None,
    *,
    reduction: str = "mean",
    pos_weight: ArrayLike | None = None,
    out: Buffer = None,
) -> Prepared:
    r"""Binary cross-entropy of logits, as ``torch.nn.functional.binary_cross_entropy_with_logits``.

    With :math:`p` = ``pos_weight`` (1 if absent) and :math:`\sigma` the sigmoid:

    .. math::
       \ell = w\,[\,(1-y)\,x - (1 + (p-1)\,y)\log\sigma(x)\,]
            = -w\,[\,p\,y\log\sigma(x) + (1-y)\log(1-\sigma(x))\,]

    computed as :math:`w\,[(1-y)\,\mathrm{softplus}(x) + p\,y\,\mathrm{softplus}(-x)]`: logits of any
    magnitude give finite values, and no term cancels, so even a tiny loss far in the tails
    keeps its relative accuracy. Gradient: :math:`w\,[(1-y)\,\sigma(x) - p\,y\,\sigma(-x)]`
    :math:`= w\,[(1 + (p-1)y)\,\sigma(x) - p\,y]`.

    Args:
      input: logits, any shape; float32 or float64.
      target: 0/1 or soft labels (not checked), the input's shape: a float array of its dtype,
        or an integer or bool array (converted exactly).
      weight: optional weight broadcast (NumPy rules) to the target's shape.
      reduction: ``'none'`` | ``'mean'`` | ``'sum'`` (``'mean'`` over all elements).
      pos_weight: optional weight of the positive term, broadcast likewise: a ``(C,)``
        vector runs along the last (class) dim of an ``(N, C)`` target. See
        :func:`lossx.pos_weight_from` to compute it from the labels.

    Returns:
      A 0-d array (reduced), or the per-element losses of the input's shape.

    Example:
      >>> import lossx
      >>> round(float(lossx.binary_cross_entropy_with_logits([0.3], [0.4], pos_weight=[3.0])), 6)
      1.177839

    Differences from PyTorch: ``weight``/``pos_weight`` must broadcast to the target's shape
    without enlarging it (``ValueError`` otherwise); an integer or bool ``target`` is accepted
    (PyTorch raises).
    """
    fn = "binary_cross_entropy_with_logits"
    x, y = _labelled(input, target, fn)
    return _core.binary_cross_entropy_with_logits, dict(
        input=x,
        target=y,
        weight=cv.parameter(weight, x.dtype, "weight", fn),
        pos_weight=cv.parameter(pos_weight, x.dtype, "pos_weight", fn),
        reduction=reduction,
    )


binary_cross_entropy_with_logits_backward = binary_cross_entropy_with_logits.backward
binary_cross_entropy_with_logits_with_grad = binary_cross_entropy_with_logits.with_grad
binary_cross_entropy_with_logits_partial = binary_cross_entropy_with_logits.partial
binary_cross_entropy_with_logits_partial_backward = binary_cross_entropy_with_logits.partial_backward


# ---------------------------------------------------------------- kl_div


@loss(reductions=("none", "batchmean", "sum", "mean"))
def kl_div(
    input: ArrayLike, target: ArrayLike, *, reduction: str = "mean", log_target: bool = False, out: Buffer = None
) -> Prepared:
    r"""Pointwise Kullback-Leibler divergence, as ``torch.nn.functional.kl_div``.

    ``input`` holds log-probabilities :math:`x`; ``target`` holds probabilities :math:`t`
    (or log-probabilities with ``log_target=True``):

    .. math::
       \ell = t\log t - t\,x \quad\text{or}\quad \ell = e^{t}\,(t - x)\ \ (\text{log\_target})

    with :math:`t\log t = 0` at :math:`t = 0` (but :math:`0\cdot(-\infty)` = ``nan`` when
    :math:`x = -\infty` there too) and ``nan`` for :math:`t < 0`, as in PyTorch. The gradient
    (w.r.t. ``input`` only) is :math:`-t` (or :math:`-e^t`).

    Reductions: ``'sum'``; ``'batchmean'`` divides the sum by ``input.shape[0]`` (the sum for
    a 0-d input) — this is the KL divergence per sample, the mathematically correct choice;
    ``'mean'`` (the default, as in PyTorch) divides by the number of elements, i.e. also by
    the size of the distribution, which is rarely what is wanted.

    Args:
      input: log-probabilities, any shape; float32 or float64.
      target: the input's shape and dtype.
      reduction: ``'none'`` | ``'batchmean'`` | ``'sum'`` | ``'mean'``.
      log_target: whether ``target`` is given in log space.

    Returns:
      A 0-d array (reduced), or the per-element terms of the input's shape.

    Example:
      >>> import lossx
      >>> round(float(lossx.kl_div([-1.0, -2.0], [0.5, 0.5], reduction="sum")), 6)
      0.806853

    Differences from PyTorch: ``'mean'`` does not emit PyTorch's ``UserWarning`` (it gives
    PyTorch's value; use ``'batchmean'`` for the true KL divergence); the input and the target
    must have the same shape (PyTorch broadcasts them).
    """
    fn = "kl_div"
    x, y = _pair(input, target, fn)
    return _core.kl_div, dict(input=x, target=y, log_target=bool(log_target), reduction=reduction)


kl_div_backward = kl_div.backward
kl_div_with_grad = kl_div.with_grad
kl_div_partial = kl_div.partial
kl_div_partial_backward = kl_div.partial_backward
