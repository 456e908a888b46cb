"""Embedding losses: cosine embedding, triplet margin, and the batch-hard triplet loss.

``cosine_embedding_loss`` and ``triplet_margin_loss`` have PyTorch's names,
arguments and defaults (``torch.nn.functional``); ``batch_hard_triplet_loss`` is
beyond PyTorch. Each loss's gradient is ``NAME_backward``, both together
``NAME_with_grad``, and the exact partial sums of its reduction (for chunked
evaluation) ``NAME_partial`` and ``NAME_partial_backward``.
"""

from __future__ import annotations

from numpy.typing import ArrayLike

from . import _convert as cv
from . import _core
from ._api import Buffer, Prepared, loss

__all__ = [
    "batch_hard_triplet_loss",
    "batch_hard_triplet_loss_backward",
    "batch_hard_triplet_loss_with_grad",
    "batch_hard_triplet_loss_partial",
    "batch_hard_triplet_loss_partial_backward",
    "cosine_embedding_loss",
    "cosine_embedding_loss_backward",
    "cosine_embedding_loss_with_grad",
    "cosine_embedding_loss_partial",
    "cosine_embedding_loss_partial_backward",
    "triplet_margin_loss",
    "triplet_margin_loss_backward",
    "triplet_margin_loss_with_grad",
    "triplet_margin_loss_partial",
    "triplet_margin_loss_partial_backward",
]


@loss(grads="``input1`` and ``input2`` (a tuple)")
def cosine_embedding_loss(
    input1: ArrayLike,
    input2: ArrayLike,
    target: ArrayLike,
    margin: float = 0,
    *,
    reduction: str = "mean",
    out: Buffer = None,
) -> Prepared:
    r"""Cosine embedding loss, as ``torch.nn.functional.cosine_embedding_loss``.

    For each pair of rows :math:`(x_1, x_2)` with target :math:`y`:

    .. math::

        \cos = \frac{\sum x_1 x_2}{\sqrt{(\sum x_1^2 + \epsilon)(\sum x_2^2 + \epsilon)}},\qquad
        \ell = \begin{cases} 1 - \cos & y = 1\\ \max(0, \cos - \text{margin}) & y = -1\\
        0 & \text{any other } y \end{cases}

    with PyTorch's :math:`\epsilon` = ``float32(1e-12)`` *added* to each squared norm (not a
    clamp). So a zero vector gives :math:`\cos = 0` (loss 1 for :math:`y = 1`) and a huge but
    finite gradient (about :math:`-10^6` against a unit vector), and a tiny vector is not
    treated as a direction: ``[1e-7, 0]`` against ``[1, 0]`` gives :math:`\cos \approx 0.0995`
    where ``F.cosine_similarity`` would give 1. At :math:`\cos = \text{margin}` (for
    :math:`y = -1`) the gradient of :math:`\cos` passes through, as PyTorch's ``clamp_min`` does.

    Computed in one pass per row pair (sums in double), the gradients in a second pass over
    the same rows; no N×D temporaries.

    Args:
      input1: ``(N, D)`` or ``(D)``; float32 or float64.
      input2: the shape and dtype of ``input1`` (no broadcasting: a mismatch raises ``ValueError``).
      target: ``(N)`` (or ``()`` for 1-D inputs), normally ±1: a float array of the inputs' dtype,
        or an integer or bool array (converted exactly).
      margin: subtracted from :math:`\cos` for :math:`y = -1`; any real number (PyTorch suggests [-1, 1]).
      reduction: ``'none'`` | ``'mean'`` | ``'sum'``.

    Returns:
      A 0-d array (reduced) or the per-pair losses ``(N)`` (``()`` for 1-D inputs), in the inputs' dtype.
      ``cosine_embedding_loss_backward`` returns ``(grad_input1, grad_input2)``.

    Example:
      >>> import lossx
      >>> x1 = [[1.0, 0.0], [1.0, 1.0]]
      >>> x2 = [[0.0, 1.0], [1.0, 0.0]]
      >>> lossx.cosine_embedding_loss(x1, x2, [1.0, -1.0], reduction="none")
      array([1.        , 0.70710678])

    Differences from PyTorch: ``input1``, ``input2`` and ``target`` must have matching shapes
    (PyTorch broadcasts) and one float dtype (a float ``target`` of another dtype is a ``TypeError``).
    """
    fn = "cosine_embedding_loss"
    x1 = cv.prediction(input1, "input1", fn)
    x2 = cv.prediction(input2, "input2", fn)
    cv.same_dtype(fn, input1=x1, input2=x2)
    y = cv.label_target(target, x1.dtype, "target", fn)
    return _core.cosine_embedding_loss, dict(input1=x1, input2=x2, target=y, margin=cv.real(margin, "margin", fn),
                                             reduction=reduction)


cosine_embedding_loss_backward = cosine_embedding_loss.backward
cosine_embedding_loss_with_grad = cosine_embedding_loss.with_grad
cosine_embedding_loss_partial = cosine_embedding_loss.partial
cosine_embedding_loss_partial_backward = cosine_embedding_loss.partial_backward


@loss(grads="``anchor``, ``positive`` and ``negative`` (a tuple)")
def triplet_margin_loss(
    anchor: ArrayLike,
    positive: ArrayLike,
    negative: ArrayLike,
    margin: float = 1.0,
    p: float = 2,
    eps: float = 1e-6,
    swap: bool = False,
    *,
    reduction: str = "mean",
    out: Buffer = None,
) -> Prepared:
    r"""Triplet margin loss, as ``torch.nn.functional.triplet_margin_loss``.

    With PyTorch's ``pairwise_distance`` :math:`d(x, y) = \lVert x - y + \text{eps}\rVert_p`
    (``eps`` is added to *every component* of the difference, before the norm):

    .. math::

        \ell = \max\bigl(0,\ \text{margin} + d(a, p) - d_{an}\bigr),\qquad
        d_{an} = \begin{cases} d(a, n) & \text{swap = False}\\ \min(d(a, n), d(p, n)) & \text{swap = True}\end{cases}

    So :math:`d(a, a) = \text{eps}\cdot D^{1/p}` (``2e-6`` for :math:`D = 4`, :math:`p = 2`).
    ``p`` may be any positive number: 2 and 1 have vectorised fast paths, ``math.inf`` is the
    max norm, other values (fractions included) go through ``pow``.

    Gradients follow PyTorch at its non-differentiable points: at
    :math:`\text{margin} + d(a,p) - d_{an} = 0` the gradient passes (``clamp_min``); with
    ``swap`` and :math:`d(a, n) = d(p, n)` each distance gets half of it (``torch.min``); a
    zero distance has a zero gradient; for :math:`p = 1` the derivative of :math:`|0|` is 0;
    for :math:`p = \infty` the components reaching the max share the gradient equally.

    One fused kernel: each row's distances come from one pass over the three rows, the
    gradients from a second pass over the same rows; rows run in parallel, and no N×D
    temporary is allocated.

    Args:
      anchor: ``(N, D)`` or ``(D)``; float32 or float64.
      positive: the shape and dtype of ``anchor`` (no broadcasting).
      negative: the shape and dtype of ``anchor`` (no broadcasting).
      margin: must be greater than 0 (``ValueError`` otherwise, as in PyTorch).
      p: the norm degree, any ``p > 0`` (``math.inf`` included).
      eps: added to every component of each difference.
      swap: use the distance swap of Balntas et al. (2016).
      reduction: ``'none'`` | ``'mean'`` | ``'sum'``.

    Returns:
      A 0-d array (reduced) or the per-triplet losses ``(N)`` (``()`` for 1-D inputs), in the
      inputs' dtype. ``triplet_margin_loss_backward`` returns
      ``(grad_anchor, grad_positive, grad_negative)``.

    Example:
      >>> import lossx
      >>> a, p, n = [[0.0, 0.0]], [[1.0, 0.0]], [[1.0, 0.5]]
      >>> float(lossx.triplet_margin_loss(a, p, n))  # doctest: +ELLIPSIS
      0.88196...
      >>> float(lossx.triplet_margin_loss(a, p, n, swap=True))  # doctest: +ELLIPSIS
      1.49999...

    Differences from PyTorch: ``p <= 0`` raises ``ValueError`` (PyTorch silently accepts it
    and computes a "norm" that is not a distance: ``p = 0`` counts non-zero components and
    has no gradient); the three inputs must have one shape (PyTorch broadcasts within the
    same number of dimensions) and one dtype; only ``(N, D)`` and ``(D)`` inputs are accepted.

    Reference: Balntas, Riba, Ponsa, Mikolajczyk, "Learning local feature descriptors with
    triplets and shallow convolutional neural networks", BMVC 2016.
    """
    fn = "triplet_margin_loss"
    a = cv.prediction(anchor, "anchor", fn)
    pos = cv.prediction(positive, "positive", fn)
    neg = cv.prediction(negative, "negative", fn)
    cv.same_dtype(fn, anchor=a, positive=pos, negative=neg)
    return _core.triplet_margin_loss, dict(
        anchor=a, positive=pos, negative=neg, margin=cv.real(margin, "margin", fn), p=cv.real(p, "p", fn),
        eps=cv.real(eps, "eps", fn), swap=bool(swap), reduction=reduction,
    )


triplet_margin_loss_backward = triplet_margin_loss.backward
triplet_margin_loss_with_grad = triplet_margin_loss.with_grad
triplet_margin_loss_partial = triplet_margin_loss.partial
triplet_margin_loss_partial_backward = triplet_margin_loss.partial_backward


@loss(grads="``embeddings``")
def batch_hard_triplet_loss(
    embeddings: ArrayLike,
    labels: ArrayLike,
    margin: float = 1.0,
    p: float = 2,
    *,
    reduction: str = "mean",
    out: Buffer = None,
) -> Prepared:
    r"""Batch-hard triplet loss (Hermans et al., 2017): the hardest triplet of each anchor in a batch.

    Beyond PyTorch. With :math:`d(x, y) = \lVert x - y\rVert_p` (no eps), for each anchor
    :math:`i` the hardest positive is the farthest :math:`j \ne i` with the same label and the
    hardest negative the nearest sample with a different label (ties: the lowest index):

    .. math::

        \ell_i = \max\Bigl(0,\ \max_{j \ne i,\ y_j = y_i} d(e_i, e_j)
                 - \min_{k:\ y_k \ne y_i} d(e_i, e_k) + \text{margin}\Bigr)

    Anchors with no positive or no negative are left out: ``'none'`` gives 0 there,
    ``'mean'`` averages over the kept anchors (``nan`` if there are none, with a zero
    gradient), ``'sum'`` adds the kept ones. ``batch_hard_triplet_loss_partial`` gives
    ``(sum over the kept anchors, number kept)``; as anchors are mined within the batch
    given, the partial sums of separate chunks describe separate batches, not a split of one.

    The gradient treats the chosen positive and negative as fixed (the loss is piecewise a
    function of those two distances). At a zero distance the distance's gradient is 0; at
    :math:`\ell_i`'s kink (argument exactly 0) the gradient passes, as in
    :func:`triplet_margin_loss`. A NaN distance counts as the hardest, so NaN propagates.

    Memory stays small: distances are computed in cache-sized tiles of anchors × candidates
    and only the chosen indices are kept (about 80 bytes per sample, e.g. 1.6 MB for
    N = 20,000), never the N×N matrix; the gradient is gathered row by row from inverse lists,
    without atomics, bitwise the same for any thread count. The search compares
    :math:`\sum|\delta|^p` accumulated in the input's dtype; the loss uses the two chosen
    distances recomputed in double. Time is O(N²·D).

    Args:
      embeddings: ``(N, D)``; float32 or float64.
      labels: ``(N)`` integer class labels of any integer dtype (compared for equality only).
      margin: a number ``>= 0``.
      p: the norm degree, any ``p > 0`` (2 and 1 are the fast paths; ``math.inf`` is the max norm).
      reduction: ``'none'`` | ``'mean'`` | ``'sum'``.

    Returns:
      A 0-d array (reduced) or the per-anchor losses ``(N)``, in the embeddings' dtype.

    Example:
      >>> import lossx
      >>> e = [[0.0, 0.0], [0.0, 1.0], [3.0, 0.0], [0.0, 2.0]]
      >>> lossx.batch_hard_triplet_loss(e, [0, 0, 1, 1], reduction="none")
      array([0.        , 1.        , 1.60555128, 3.60555128])

    ``batch_all_triplet_loss`` (every valid triplet) is not offered: it does not come out of
    the same min/max search.

    Reference: A. Hermans, L. Beyer, B. Leibe, "In Defense of the Triplet Loss for Person
    Re-Identification", arXiv:1703.07737, 2017.
    """
    fn = "batch_hard_triplet_loss"
    e = cv.prediction(embeddings, "embeddings", fn)
    y = cv.indices(labels, "labels", fn)
    return _core.batch_hard_triplet_loss, dict(embeddings=e, labels=y, margin=cv.real(margin, "margin", fn),
                                               p=cv.real(p, "p", fn), reduction=reduction)


batch_hard_triplet_loss_backward = batch_hard_triplet_loss.backward
batch_hard_triplet_loss_with_grad = batch_hard_triplet_loss.with_grad
batch_hard_triplet_loss_partial = batch_hard_triplet_loss.partial
batch_hard_triplet_loss_partial_backward = batch_hard_triplet_loss.partial_backward
