"""lossx's losses as differentiable drop-ins for ``torch.nn.functional``.

Each function has exactly the signature of its ``torch.nn.functional`` namesake
(positional order, defaults and the deprecated ``size_average``/``reduce``,
mapped to ``reduction`` with PyTorch's warning), takes and returns CPU tensors,
and is differentiable: one autograd node whose forward runs lossx's fused
loss-and-gradient kernel on zero-copy NumPy views of the tensors. Replace
``import torch.nn.functional as F`` by ``import lossx.torch.functional as F``.

Common to every function (besides its own notes):

* **Tensors.** float32 and float64 CPU tensors run through lossx. Other tensors
  (CUDA, meta, float16, bfloat16) run PyTorch's own function instead, with a
  :class:`LossxFallbackWarning` once per function and reason.
* **Dtypes.** Mixed float dtypes promote as in PyTorch (float32 input, float64
  target → float64 loss); integer/bool label targets (±1, 0/1, counts) become the
  input's dtype where PyTorch accepts them.
* **Gradients** are lossx's, for the prediction inputs only (and ``var`` of
  ``gaussian_nll_loss``). A float tensor PyTorch would also differentiate (a
  target, ``weight``, ``pos_weight``) raises ``RuntimeError`` at forward time if
  it requires grad. Double backward raises (``once_differentiable``).
* **lossx's checks apply**: shapes PyTorch would broadcast (with or without a
  warning) raise ``ValueError``; bad indices raise ``ValueError`` rather than
  ``IndexError``/``RuntimeError`` (see lossx's README, "Differences from PyTorch").
* ``torch.compile``: each call is a graph break (it runs eagerly).
"""

from __future__ import annotations

from typing import Any, Callable, Sequence, TypeVar

import torch
from torch import Tensor
from torch.nn import _reduction

from ._adapter import LossxFallbackWarning, Plan, labels_as, promote, run

__all__ = [
    "LossxFallbackWarning",
    "batch_hard_triplet_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cosine_embedding_loss",
    "cross_entropy",
    "ctc_loss",
    "gaussian_nll_loss",
    "hinge_embedding_loss",
    "huber_loss",
    "kl_div",
    "l1_loss",
    "margin_ranking_loss",
    "mse_loss",
    "multi_margin_loss",
    "multilabel_margin_loss",
    "multilabel_soft_margin_loss",
    "nll_loss",
    "poisson_nll_loss",
    "smooth_l1_loss",
    "soft_margin_loss",
    "triplet_margin_loss",
]


def _reduce(size_average: bool | None, reduce: bool | None, reduction: str) -> str:
    """PyTorch's legacy mapping (and deprecation warning) when ``size_average``/``reduce`` is given."""
    if size_average is not None or reduce is not None:
        return _reduction.legacy_get_string(size_average, reduce)
    return reduction


def _pair(input: Tensor, target: Tensor, int_labels: bool = True) -> tuple[Any, ...]:
    """Input and target in PyTorch's promoted dtype; integer labels as the input's dtype if allowed."""
    if int_labels:
        target = labels_as(target, input)
    return promote(input, target)


_F = TypeVar("_F", bound=Callable[..., Tensor])


def _doc(summary: str, notes: str = "") -> Callable[[_F], _F]:
    """Attach a docstring: the summary, this function's notes, and where the common rules are."""

    def wrap(f: _F) -> _F:
        common = ("the rules common to every lossx.torch function (fallback for non-CPU / float16 / bfloat16 "
                  "tensors, refused gradients of targets and weights, no double backward, lossx's shape checks); "
                  "see the :mod:`lossx.torch.functional` module docstring.")
        f.__doc__ = (
            f"{summary}\n\n"
            f"Drop-in for ``torch.nn.functional.{f.__name__}`` (same signature), computed by "
            f":func:`lossx.{f.__name__}` inside one autograd node.\n\n"
            + (f"Differences from PyTorch: {notes} Also {common}\n" if notes else f"Differences from PyTorch: {common}\n")
        )
        return f

    return wrap


_ELEMENTWISE: dict[str, Any] = dict(dim=None)
_INPUT_TARGET = ("input", "target")

# ---------------------------------------------------------------- regression

_L1 = Plan("l1_loss", _INPUT_TARGET, tensor_kwargs=("weight",), torch_name="l1_loss", **_ELEMENTWISE)
_MSE = Plan("mse_loss", _INPUT_TARGET, tensor_kwargs=("weight",), torch_name="mse_loss", **_ELEMENTWISE)
_SMOOTH_L1 = Plan("smooth_l1_loss", _INPUT_TARGET, torch_name="smooth_l1_loss", **_ELEMENTWISE)
_HUBER = Plan("huber_loss", _INPUT_TARGET, tensor_kwargs=("weight",), torch_name="huber_loss", **_ELEMENTWISE)
_POISSON = Plan("poisson_nll_loss", _INPUT_TARGET, torch_name="poisson_nll_loss", **_ELEMENTWISE)
# The var gradient of a broadcast var sums over output elements: reuse the fused one only
# when var has the input's shape (or is a float, which has no gradient).
_GAUSSIAN = Plan("gaussian_nll_loss", ("input", "target", "var"), diff=(0, 2), torch_name="gaussian_nll_loss",
                 fused_none=lambda args: not isinstance(args[2], torch.Tensor) or args[2].shape == args[0].shape,
                 **_ELEMENTWISE)


@_doc("Mean absolute error, ``|input - target|``.")
def l1_loss(
    input: Tensor,
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    weight: Tensor | None = None,
) -> Tensor:
    reduction = _reduce(size_average, reduce, reduction)
    return run(_L1, _pair(input, target), reduction, {"weight": weight})


@_doc("Mean squared error, ``(input - target)**2``.")
def mse_loss(
    input: Tensor,
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    weight: Tensor | None = None,
) -> Tensor:
    reduction = _reduce(size_average, reduce, reduction)
    return run(_MSE, _pair(input, target), reduction, {"weight": weight})


@_doc("Smooth L1 loss (quadratic below ``beta``, linear above).")
def smooth_l1_loss(
    input: Tensor,
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    beta: float = 1.0,
) -> Tensor:
    reduction = _reduce(size_average, reduce, reduction)
    return run(_SMOOTH_L1, _pair(input, target), reduction, {"beta": beta})


@_doc("Huber loss, ``delta * smooth_l1_loss(beta=delta)``.")
def huber_loss(
    input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0, weight: Tensor | None = None
) -> Tensor:
    return run(_HUBER, _pair(input, target), reduction, {"delta": delta, "weight": weight})


@_doc("Poisson negative log-likelihood.")
def poisson_nll_loss(
    input: Tensor,
    target: Tensor,
    log_input: bool = True,
    full: bool = False,
    size_average: bool | None = None,
    eps: float = 1e-8,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    reduction = _reduce(size_average, reduce, reduction)
    return run(_POISSON, _pair(input, target), reduction, {"log_input": log_input, "full": full, "eps": eps})


@_doc("Gaussian negative log-likelihood; differentiable in ``input`` and ``var``.",
      "``var`` may be a tensor (gradient supported) or a Python float, as in PyTorch.")
def gaussian_nll_loss(
    input: Tensor, target: Tensor, var: Tensor | float, full: bool = False, eps: float = 1e-6, reduction: str = "mean"
) -> Tensor:
    input, target, var = promote(*_pair(input, target), var)
    return run(_GAUSSIAN, (input, target, var), reduction, {"full": full, "eps": eps})


# ---------------------------------------------------------------- classification

_CE = Plan("cross_entropy", ("input", "target", "weight"), dim=1, torch_name="cross_entropy")
_NLL = Plan("nll_loss", ("input", "target", "weight"), dim=1, torch_name="nll_loss")
_BCE = Plan("binary_cross_entropy", ("input", "target", "weight"), torch_name="binary_cross_entropy", **_ELEMENTWISE)
_BCE_LOGITS = Plan("binary_cross_entropy_with_logits", ("input", "target", "weight"), tensor_kwargs=("pos_weight",),
                   torch_name="binary_cross_entropy_with_logits", **_ELEMENTWISE)
_KL = Plan("kl_div", _INPUT_TARGET, torch_name="kl_div", **_ELEMENTWISE)


@_doc("Cross-entropy of logits against class indices or class probabilities.",
      "class indices may be of any integer dtype (PyTorch: int64/uint8); ``weight`` is converted to the "
      "input's dtype (PyTorch raises on a mismatch).")
def cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    ignore_index: int = -100,
    reduce: bool | None = None,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    if size_average is not None or reduce is not None:
        reduction = _reduce(size_average, reduce, reduction)
    if target.is_floating_point() if isinstance(target, torch.Tensor) else False:
        input, target = promote(input, target)
    return run(_CE, (input, target, weight), reduction,
               {"ignore_index": ignore_index, "label_smoothing": label_smoothing})


@_doc("Negative log-likelihood of log-probabilities at class indices (K-dim inputs included).",
      "class indices may be of any integer dtype (PyTorch: int64/uint8).")
def nll_loss(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    ignore_index: int = -100,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    reduction = _reduce(size_average, reduce, reduction)
    return run(_NLL, (input, target, weight), reduction, {"ignore_index": ignore_index})


@_doc("Binary cross-entropy of probabilities (logs clamped at -100, PyTorch's backward).")
def binary_cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    reduction = _reduce(size_average, reduce, reduction)
    return run(_BCE, (*_pair(input, target, int_labels=False), weight), reduction, {})


@_doc("Binary cross-entropy of logits, with optional ``weight`` and ``pos_weight``.")
def binary_cross_entropy_with_logits(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    pos_weight: Tensor | None = None,
) -> Tensor:
    reduction = _reduce(size_average, reduce, reduction)
    return run(_BCE_LOGITS, (*_pair(input, target, int_labels=False), weight), reduction, {"pos_weight": pos_weight})


@_doc("Pointwise KL divergence of log-probabilities ``input`` from ``target``.",
      "``reduction='mean'`` gives PyTorch's value without its warning on every call.")
def kl_div(
    input: Tensor,
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    log_target: bool = False,
) -> Tensor:
    reduction = _reduce(size_average, reduce, reduction)
    return run(_KL, _pair(input, target, int_labels=False), reduction, {"log_target": log_target})


# ---------------------------------------------------------------- margin

_RANKING = Plan("margin_ranking_loss", ("input1", "input2", "target"), diff=(0, 1), torch_name="margin_ranking_loss",
                **_ELEMENTWISE)
_HINGE = Plan("hinge_embedding_loss", _INPUT_TARGET, torch_name="hinge_embedding_loss", **_ELEMENTWISE)
_SOFT_MARGIN = Plan("soft_margin_loss", _INPUT_TARGET, torch_name="soft_margin_loss", **_ELEMENTWISE)
_MULTILABEL_SOFT = Plan("multilabel_soft_margin_loss", ("input", "target", "weight"), dim=-1,
                        torch_name="multilabel_soft_margin_loss")
_MULTI_MARGIN = Plan("multi_margin_loss", _INPUT_TARGET, dim=-1, tensor_kwargs=("weight",),
                     torch_name="multi_margin_loss")
_MULTILABEL_MARGIN = Plan("multilabel_margin_loss", _INPUT_TARGET, dim=-1, torch_name="multilabel_margin_loss")


@_doc("Margin ranking loss ``max(0, -target * (input1 - input2) + margin)``; differentiable in both inputs.",
      "the three tensors must have one shape (PyTorch broadcasts within the same ndim).")
def margin_ranking_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    reduction = _reduce(size_average, reduce, reduction)
    input1, input2, target = promote(input1, input2, labels_as(target, input1))
    return run(_RANKING, (input1, input2, target), reduction, {"margin": margin})


@_doc("Hinge embedding loss of distances ``input`` with ±1 labels.")
def hinge_embedding_loss(
    input: Tensor,
    target: Tensor,
    margin: float = 1.0,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    reduction = _reduce(size_average, reduce, reduction)
    return run(_HINGE, _pair(input, target), reduction, {"margin": margin})


@_doc("Soft margin loss ``log(1 + exp(-target * input))``.",
      "computed with a stable softplus (finite where PyTorch's float32 overflows to inf).")
def soft_margin_loss(
    input: Tensor, target: Tensor, size_average: bool | None = None, reduce: bool | None = None, reduction: str = "mean"
) -> Tensor:
    reduction = _reduce(size_average, reduce, reduction)
    return run(_SOFT_MARGIN, _pair(input, target), reduction, {})


@_doc("Multi-label one-versus-all logistic loss, averaged over the classes (last dim).",
      "``weight`` must be ``(C,)``.")
def multilabel_soft_margin_loss(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    reduction = _reduce(size_average, reduce, reduction)
    return run(_MULTILABEL_SOFT, (*_pair(input, target), weight), reduction, {})


@_doc("Multi-class hinge loss at class indices (``p`` = 1 or 2).",
      "an empty batch gives nan ('mean') / 0 ('sum') where PyTorch returns uninitialised memory.")
def multi_margin_loss(
    input: Tensor,
    target: Tensor,
    p: int = 1,
    margin: float = 1.0,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    reduction = _reduce(size_average, reduce, reduction)
    return run(_MULTI_MARGIN, (input, target), reduction, {"p": p, "margin": margin, "weight": weight})


@_doc("Multi-label hinge loss with -1-terminated class-index targets.",
      "an empty batch gives nan ('mean') / 0 ('sum') where PyTorch returns uninitialised memory.")
def multilabel_margin_loss(
    input: Tensor, target: Tensor, size_average: bool | None = None, reduce: bool | None = None, reduction: str = "mean"
) -> Tensor:
    reduction = _reduce(size_average, reduce, reduction)
    return run(_MULTILABEL_MARGIN, (input, target), reduction, {})


# ---------------------------------------------------------------- embedding

_COSINE = Plan("cosine_embedding_loss", ("input1", "input2", "target"), diff=(0, 1), dim=-1,
               torch_name="cosine_embedding_loss")
_TRIPLET = Plan("triplet_margin_loss", ("anchor", "positive", "negative"), diff=(0, 1, 2), dim=-1,
                torch_name="triplet_margin_loss")
# 'none' couples rows (a sample is another anchor's hardest positive or negative): the backward
# pass calls batch_hard_triplet_loss_backward with the real grad_output.
_BATCH_HARD = Plan("batch_hard_triplet_loss", ("embeddings", "labels"), dim=-1, fused_none=False)


@_doc("Cosine embedding loss of ``(input1, input2)`` pairs with ±1 labels; differentiable in both inputs.")
def cosine_embedding_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    reduction = _reduce(size_average, reduce, reduction)
    input1, input2, target = promote(input1, input2, labels_as(target, input1))
    return run(_COSINE, (input1, input2, target), reduction, {"margin": margin})


@_doc("Triplet margin loss with PyTorch's ``pairwise_distance`` (eps added to the difference).",
      "anchor, positive and negative must have one shape, ``(N, D)`` or ``(D,)``, and ``p > 0``.")
def triplet_margin_loss(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    margin: float = 1.0,
    p: float = 2,
    eps: float = 1e-6,
    swap: bool = False,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    reduction = _reduce(size_average, reduce, reduction)
    return run(_TRIPLET, promote(anchor, positive, negative), reduction,
               {"margin": margin, "p": p, "eps": eps, "swap": swap})


def batch_hard_triplet_loss(
    embeddings: Tensor, labels: Tensor, margin: float = 1.0, p: float = 2, *, reduction: str = "mean"
) -> Tensor:
    """Batch-hard triplet loss (hardest positive and negative per anchor), differentiable in ``embeddings``.

    Same signature as :func:`lossx.batch_hard_triplet_loss` (PyTorch has no such loss, so
    non-float32/64 or non-CPU tensors raise ``TypeError`` instead of falling back).
    ``reduction='none'`` gives ``(N,)``; its backward runs
    :func:`lossx.batch_hard_triplet_loss_backward` with the incoming gradient, since a
    sample's gradient collects terms from every anchor it is hardest for.
    """
    return run(_BATCH_HARD, (embeddings, labels), reduction, {"margin": margin, "p": p})


# ---------------------------------------------------------------- sequence

_CTC = Plan("ctc_loss", ("log_probs", "targets", "input_lengths", "target_lengths"), dim=-1, torch_name="ctc_loss")


@_doc("Connectionist temporal classification loss of ``log_probs`` ``(T, N, C)`` or ``(T, C)``.",
      "the gradient is the true derivative with respect to ``log_probs``. After a ``log_softmax`` in the "
      "graph, autograd composes it into exactly PyTorch's gradient with respect to the logits; on "
      "log-probabilities that do not come from a ``log_softmax`` it is right where PyTorch's is not "
      "(PyTorch returns the logits' gradient there too). CTC labels outside ``[0, C)`` or equal to "
      "``blank`` raise ``ValueError``.")
def ctc_loss(
    log_probs: Tensor,
    targets: Tensor,
    input_lengths: Tensor | Sequence[int],
    target_lengths: Tensor | Sequence[int],
    blank: int = 0,
    reduction: str = "mean",
    zero_infinity: bool = False,
) -> Tensor:
    return run(_CTC, (log_probs, targets, input_lengths, target_lengths), reduction,
               {"blank": blank, "zero_infinity": zero_infinity})
