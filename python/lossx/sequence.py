"""Sequence losses: the CTC loss.

Each loss has PyTorch's name, arguments and defaults (``torch.nn.functional``);
its gradient is ``NAME_backward``, both together ``NAME_with_grad``, and the exact
partial sums of its reduction (for chunked evaluation) ``NAME_partial`` and
``NAME_partial_backward``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from . import _convert as cv
from . import _core
from ._api import Buffer, Prepared, loss

__all__ = [
    "ctc_loss",
    "ctc_loss_backward",
    "ctc_loss_with_grad",
    "ctc_loss_partial",
    "ctc_loss_partial_backward",
]

_LENGTH_DTYPES = (np.dtype(np.int32), np.dtype(np.int64))


def _lengths(x: ArrayLike, name: str, fn: str) -> np.ndarray:
    """CTC lengths: an int, a sequence of ints, or an integer array/tensor (no floats)."""
    if isinstance(x, (bool, np.bool_)):
        raise TypeError(f"{fn}: '{name}' must be integers (an int, a sequence of ints or an integer array); got bool")
    array_like = cv._is_array_like(x)
    a = cv.array(x, name, fn)
    if a.dtype.kind not in "iu":
        if a.size == 0 and not array_like:
            a = a.astype(np.int64)
        else:
            raise TypeError(
                f"{fn}: '{name}' must be integers (an int, a sequence of ints or an integer array); "
                f"got {'an array of dtype ' + str(a.dtype) if array_like else type(x).__name__ + ' of ' + str(a.dtype)}"
            )
    if a.dtype.newbyteorder("=") not in _LENGTH_DTYPES:
        if a.dtype == np.uint64 and a.size and a.max() > np.iinfo(np.int64).max:
            raise ValueError(f"{fn}: '{name}' must hold lengths that fit int64; got {a.max()}")
        a = a.astype(np.int64)
    return cv.contiguous(a)


@loss("``log_probs``")
def ctc_loss(
    log_probs: ArrayLike,
    targets: ArrayLike,
    input_lengths: ArrayLike,
    target_lengths: ArrayLike,
    blank: int = 0,
    reduction: str = "mean",
    zero_infinity: bool = False,
    *,
    out: Buffer = None,
) -> Prepared:
    r"""Connectionist Temporal Classification loss, as ``torch.nn.functional.ctc_loss``.

    For sample :math:`n` with frames :math:`x_t = \text{log\_probs}[t, n, :]`,
    :math:`t < T_n` (``input_lengths[n]``), and target :math:`l` of length :math:`L_n`
    (``target_lengths[n]``), the loss is the negative log-probability of all alignments
    that collapse to :math:`l` (repeats merged, then blanks removed):

    .. math::
        \ell_n = -\log \sum_{\pi \in \mathcal{B}^{-1}(l)} \prod_{t < T_n} e^{x_t[\pi_t]},

    computed with the alpha recursion over the extended sequence
    :math:`l' = (b, l_1, b, \dots, l_{L_n}, b)` in log space (Graves et al., 2006, eq. 6-8).
    ``'mean'`` divides each :math:`\ell_n` by :math:`\max(L_n, 1)`, then averages over the
    batch; ``'sum'`` adds them; ``'none'`` returns them. Accordingly ``ctc_loss_partial``
    gives :math:`(\sum_n \ell_n / \max(L_n, 1),\ N)` under ``'mean'`` and
    :math:`(\sum_n \ell_n,\ N)` under ``'sum'``, and ``ctc_loss_partial_backward(scale, ...)``
    under ``'mean'`` carries the :math:`1 / \max(L_n, 1)` that ``'sum'`` lacks.

    Numerics: the alpha and beta recursions run in log space with a stable log-add-exp
    (no underflow at any length: a loss of 17000 nats over 5000 frames agrees with a NumPy
    reference to 5e-15 in float64), one sample per thread, results bitwise identical for any thread count.
    The running log-scale of each recursion, the loss and the per-frame normalisation of
    the posteriors are accumulated in double; float32 inputs of up to 1024 frames run the
    recursions themselves in float32 (loss to ~1e-7 relative, gradient to ~3e-5 absolute,
    about 10x closer to float64 than PyTorch's float32), longer ones in double.

    Args:
      log_probs: ``(T, N, C)`` log-probabilities (normally a ``log_softmax`` over ``C``), or
        ``(T, C)`` for one unbatched sequence; float32 or float64. Not checked for
        normalisation: adding a constant ``k`` to every frame lowers the loss by ``k·T_n``.
      targets: padded ``(N, S)`` (row ``n`` holds its labels in the first ``L_n`` entries;
        the rest is never read and may hold anything) or concatenated 1-D
        ``(sum(target_lengths),)``; unbatched ``(L,)`` or ``(1, S)``. Any integer dtype.
        Labels must lie in ``[0, C)`` and differ from ``blank``.
      input_lengths: ``(N,)`` frames used per sample, each in ``[0, T]``; an int (or
        shape ``()``/``(1,)``) unbatched. Integer arrays/tensors, or sequences of ints.
      target_lengths: ``(N,)`` label counts, each ``>= 0`` (and ``<= S`` when padded);
        they must add up to ``len(targets)`` when concatenated.
      blank: the blank class, in ``[0, C)``.
      reduction: ``'none'`` | ``'mean'`` | ``'sum'``.
      zero_infinity: give loss 0 and gradient 0 for impossible alignments (target too
        long for its input) instead of ``inf`` and a ``nan`` gradient.

    Returns:
      A 0-d array (reduced), or ``(N,)`` per-sample losses (``()`` unbatched), in the
      input's dtype. ``input_lengths[n] = 0`` gives 0 if ``L_n = 0``, else ``inf``;
      ``L_n = 0`` gives :math:`-\sum_t x_t[b]`.

    Gradient (``ctc_loss_backward`` / ``ctc_loss_with_grad``): the true derivative with
    respect to ``log_probs``, :math:`-\gamma_n(t, c)\cdot g_n` for :math:`t < T_n` and 0 for
    :math:`t \ge T_n`, where :math:`\gamma_n(t, c) = \sum_{s: l'_s = c}
    \alpha_t(s)\beta_t(s) / (p\, e^{x_t[c]})` is the posterior probability of class ``c``
    at frame ``t`` (Graves eq. 14). **PyTorch returns** :math:`(e^{x_t[c]} - \gamma_n(t,c))\,g_n`
    instead: the gradient with respect to the *logits* of a ``log_softmax`` that produced
    ``log_probs``, correct only when that ``log_softmax`` is part of the graph.
    ``log_softmax_backward(ctc_loss_backward(...), logits, -1)`` gives PyTorch's value.

    Example:
      >>> import numpy as np, lossx
      >>> log_probs = np.log(np.full((4, 1, 3), 1 / 3))   # T=4 frames, N=1, C=3, uniform
      >>> loss = lossx.ctc_loss(log_probs, [[1, 2]], [4], [2], reduction="sum")
      >>> float(loss), float(-np.log(15 / 81))  # 15 of the 3**4 paths collapse to (1, 2)  # doctest: +ELLIPSIS
      (1.686..., 1.686...)

    Differences from PyTorch: the gradient (above); labels outside ``[0, C)`` or equal to
    ``blank`` raise ``ValueError`` (PyTorch reads out of bounds or silently accepts
    them); an empty batch ``N = 0`` is allowed (``'mean'`` nan, ``'sum'`` 0; PyTorch
    raises); errors are ``ValueError``/``TypeError``; floating-point lengths raise
    ``TypeError``.

    Reference: A. Graves, S. Fernández, F. Gomez, J. Schmidhuber, "Connectionist Temporal
    Classification: Labelling Unsegmented Sequence Data with Recurrent Neural Networks",
    ICML 2006.
    """
    fn = "ctc_loss"
    lp = cv.prediction(log_probs, "log_probs", fn)
    tg = cv.indices(targets, "targets", fn)
    il = _lengths(input_lengths, "input_lengths", fn)
    tl = _lengths(target_lengths, "target_lengths", fn)
    if il.dtype != tl.dtype:
        il, tl = il.astype(np.int64), tl.astype(np.int64)
    return _core.ctc_loss, dict(log_probs=lp, targets=tg, input_lengths=il, target_lengths=tl,
                                blank=cv.integer(blank, "blank", fn), zero_infinity=bool(zero_infinity),
                                reduction=reduction)


ctc_loss_backward = ctc_loss.backward
ctc_loss_with_grad = ctc_loss.with_grad
ctc_loss_partial = ctc_loss.partial
ctc_loss_partial_backward = ctc_loss.partial_backward

ctc_loss_backward.__doc__ = """Gradient of :func:`lossx.ctc_loss` with respect to ``log_probs``.

    ``ctc_loss_backward(grad_output, log_probs, targets, input_lengths, target_lengths,
    blank=0, reduction='mean', zero_infinity=False)`` returns the gradient of
    ``sum(grad_output * ctc_loss(...))`` with respect to ``log_probs`` (its shape and
    dtype): ``-gamma[t, n, c] * g_n`` for ``t < input_lengths[n]`` and exactly 0 beyond,
    where ``gamma`` is the CTC posterior occupation probability and ``g_n`` the
    incoming gradient of sample ``n`` (divided by ``N * max(target_length, 1)`` for
    ``'mean'``). ``grad_output`` is a scalar for a reduced loss, ``(N,)`` for ``'none'``.
    Impossible alignments give ``nan`` rows (``0`` with ``zero_infinity=True``).

    Note - this differs from PyTorch on purpose: it is the true derivative with respect
    to ``log_probs``. PyTorch's ``ctc_loss`` backward returns ``exp(log_probs) - gamma``
    (times ``g_n``), which is the gradient with respect to the logits of a preceding
    ``log_softmax`` and is only right when that ``log_softmax`` is in the graph.
    Composing lossx's gradient with the log_softmax backward,
    ``g - softmax(logits) * g.sum(-1, keepdims=True)``, gives PyTorch's gradient with
    respect to the logits. See :func:`lossx.ctc_loss` for the formula.
    """
