"""lossx's losses as drop-ins for the ``torch.nn`` loss modules.

Each class subclasses its ``torch.nn`` namesake and replaces only ``forward``,
which calls :mod:`lossx.torch.functional`. Everything else is PyTorch's own: the
constructor (arguments, defaults, the deprecated ``size_average``/``reduce``),
the ``weight``/``pos_weight`` buffers, ``state_dict``/``load_state_dict``,
``repr``, and ``isinstance(criterion, torch.nn.CrossEntropyLoss)``. So one
changed import moves a training script onto lossx::

    from lossx.torch import nn as lnn
    criterion = lnn.CrossEntropyLoss(label_smoothing=0.1)

The differences from PyTorch are those of :mod:`lossx.torch.functional`
(fallback to PyTorch for CUDA/meta/float16/bfloat16 tensors with a one-time
warning, no gradients for targets and weights, no double backward, lossx's
shape checks, the true CTC gradient on inputs that are not log-softmax outputs).
:class:`BatchHardTripletLoss` has no PyTorch counterpart.
"""

from __future__ import annotations

import warnings
from typing import Sequence

import torch
from torch import Tensor

from . import functional as F
from ._adapter import run as _run

__all__ = [
    "BCELoss",
    "BCEWithLogitsLoss",
    "BatchHardTripletLoss",
    "CTCLoss",
    "CosineEmbeddingLoss",
    "CrossEntropyLoss",
    "GaussianNLLLoss",
    "HingeEmbeddingLoss",
    "HuberLoss",
    "KLDivLoss",
    "L1Loss",
    "MSELoss",
    "MarginRankingLoss",
    "MultiLabelMarginLoss",
    "MultiLabelSoftMarginLoss",
    "MultiMarginLoss",
    "NLLLoss",
    "NLLLoss2d",
    "PoissonNLLLoss",
    "SmoothL1Loss",
    "SoftMarginLoss",
    "TripletMarginLoss",
]

_nn = torch.nn


def _buffer(module: torch.nn.Module, name: str) -> Tensor | None:
    """``module.<name>`` for a registered buffer (``weight``, ``pos_weight``), read from the
    buffer dict: ``nn.Module.__getattr__`` costs about a microsecond per read, which a
    training step at minibatch size feels (the fallback covers a buffer replaced by a
    parameter or a plain attribute)."""
    buffers = module._buffers
    return buffers[name] if name in buffers else getattr(module, name)


class L1Loss(_nn.L1Loss):
    """``torch.nn.L1Loss`` computed by :func:`lossx.torch.functional.l1_loss`."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.l1_loss(input, target, reduction=self.reduction)


class MSELoss(_nn.MSELoss):
    """``torch.nn.MSELoss`` computed by :func:`lossx.torch.functional.mse_loss`."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.mse_loss(input, target, reduction=self.reduction)


class SmoothL1Loss(_nn.SmoothL1Loss):
    """``torch.nn.SmoothL1Loss`` computed by :func:`lossx.torch.functional.smooth_l1_loss`."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_nn.HuberLoss):
    """``torch.nn.HuberLoss`` computed by :func:`lossx.torch.functional.huber_loss`."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class PoissonNLLLoss(_nn.PoissonNLLLoss):
    """``torch.nn.PoissonNLLLoss`` computed by :func:`lossx.torch.functional.poisson_nll_loss`."""

    def forward(self, log_input: Tensor, target: Tensor) -> Tensor:
        return F.poisson_nll_loss(log_input, target, log_input=self.log_input, full=self.full, eps=self.eps,
                                  reduction=self.reduction)


class GaussianNLLLoss(_nn.GaussianNLLLoss):
    """``torch.nn.GaussianNLLLoss`` computed by :func:`lossx.torch.functional.gaussian_nll_loss`.

    Differentiable in ``input`` and ``var``.
    """

    def forward(self, input: Tensor, target: Tensor, var: Tensor | float) -> Tensor:
        return F.gaussian_nll_loss(input, target, var, full=self.full, eps=self.eps, reduction=self.reduction)


class CrossEntropyLoss(_nn.CrossEntropyLoss):
    """``torch.nn.CrossEntropyLoss`` computed by :func:`lossx.torch.functional.cross_entropy`.

    ``weight`` is a buffer, as in PyTorch (class indices of any integer dtype are accepted).
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        if isinstance(target, Tensor) and not target.is_floating_point():
            # Class indices (the common training step): straight to the bridge, as
            # F.cross_entropy would go (no dtype promotion applies), one call layer less.
            return _run(F._CE, (input, target, _buffer(self, "weight")), self.reduction,
                        {"ignore_index": self.ignore_index, "label_smoothing": self.label_smoothing})
        return F.cross_entropy(input, target, _buffer(self, "weight"), ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)


class NLLLoss(_nn.NLLLoss):
    """``torch.nn.NLLLoss`` computed by :func:`lossx.torch.functional.nll_loss` (K-dim inputs included)."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.nll_loss(input, target, _buffer(self, "weight"), ignore_index=self.ignore_index,
                          reduction=self.reduction)


with warnings.catch_warnings():
    # PyTorch marks NLLLoss2d deprecated, which also warns when it is subclassed (at import
    # time here); creating an instance still warns, as PyTorch's does.
    warnings.filterwarnings("ignore", message=".*NLLLoss2d.* has been deprecated", category=FutureWarning)

    class NLLLoss2d(_nn.NLLLoss2d):
        """``torch.nn.NLLLoss2d`` (deprecated by PyTorch) computed by :func:`lossx.torch.functional.nll_loss`."""

        forward = NLLLoss.forward


class BCELoss(_nn.BCELoss):
    """``torch.nn.BCELoss`` computed by :func:`lossx.torch.functional.binary_cross_entropy`."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.binary_cross_entropy(input, target, _buffer(self, "weight"), reduction=self.reduction)


class BCEWithLogitsLoss(_nn.BCEWithLogitsLoss):
    """``torch.nn.BCEWithLogitsLoss`` computed by :func:`lossx.torch.functional.binary_cross_entropy_with_logits`.

    ``weight`` and ``pos_weight`` are buffers, as in PyTorch.
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.binary_cross_entropy_with_logits(input, target, _buffer(self, "weight"), reduction=self.reduction,
                                                  pos_weight=_buffer(self, "pos_weight"))


class KLDivLoss(_nn.KLDivLoss):
    """``torch.nn.KLDivLoss`` computed by :func:`lossx.torch.functional.kl_div` (no warning for 'mean')."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


class MarginRankingLoss(_nn.MarginRankingLoss):
    """``torch.nn.MarginRankingLoss`` computed by :func:`lossx.torch.functional.margin_ranking_loss`."""

    def forward(self, input1: Tensor, input2: Tensor, target: Tensor) -> Tensor:
        return F.margin_ranking_loss(input1, input2, target, margin=self.margin, reduction=self.reduction)


class HingeEmbeddingLoss(_nn.HingeEmbeddingLoss):
    """``torch.nn.HingeEmbeddingLoss`` computed by :func:`lossx.torch.functional.hinge_embedding_loss`."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.hinge_embedding_loss(input, target, margin=self.margin, reduction=self.reduction)


class SoftMarginLoss(_nn.SoftMarginLoss):
    """``torch.nn.SoftMarginLoss`` computed by :func:`lossx.torch.functional.soft_margin_loss` (stable softplus)."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.soft_margin_loss(input, target, reduction=self.reduction)


class MultiLabelSoftMarginLoss(_nn.MultiLabelSoftMarginLoss):
    """``torch.nn.MultiLabelSoftMarginLoss`` computed by :func:`lossx.torch.functional.multilabel_soft_margin_loss`."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.multilabel_soft_margin_loss(input, target, _buffer(self, "weight"), reduction=self.reduction)


class MultiMarginLoss(_nn.MultiMarginLoss):
    """``torch.nn.MultiMarginLoss`` computed by :func:`lossx.torch.functional.multi_margin_loss`."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.multi_margin_loss(input, target, p=self.p, margin=self.margin, weight=_buffer(self, "weight"),
                                   reduction=self.reduction)


class MultiLabelMarginLoss(_nn.MultiLabelMarginLoss):
    """``torch.nn.MultiLabelMarginLoss`` computed by :func:`lossx.torch.functional.multilabel_margin_loss`."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.multilabel_margin_loss(input, target, reduction=self.reduction)


class CosineEmbeddingLoss(_nn.CosineEmbeddingLoss):
    """``torch.nn.CosineEmbeddingLoss`` computed by :func:`lossx.torch.functional.cosine_embedding_loss`."""

    def forward(self, input1: Tensor, input2: Tensor, target: Tensor) -> Tensor:
        return F.cosine_embedding_loss(input1, input2, target, margin=self.margin, reduction=self.reduction)


class TripletMarginLoss(_nn.TripletMarginLoss):
    """``torch.nn.TripletMarginLoss`` computed by :func:`lossx.torch.functional.triplet_margin_loss`."""

    def forward(self, anchor: Tensor, positive: Tensor, negative: Tensor) -> Tensor:
        return F.triplet_margin_loss(anchor, positive, negative, margin=self.margin, p=self.p, eps=self.eps,
                                     swap=self.swap, reduction=self.reduction)


class CTCLoss(_nn.CTCLoss):
    """``torch.nn.CTCLoss`` computed by :func:`lossx.torch.functional.ctc_loss`.

    After a ``log_softmax`` the gradient with respect to the logits equals PyTorch's; on
    log-probabilities from anywhere else it is the true gradient (PyTorch's is not).
    """

    def forward(
        self,
        log_probs: Tensor,
        targets: Tensor,
        input_lengths: Tensor | Sequence[int],
        target_lengths: Tensor | Sequence[int],
    ) -> Tensor:
        return F.ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=self.blank,
                          reduction=self.reduction, zero_infinity=self.zero_infinity)


class BatchHardTripletLoss(torch.nn.modules.loss._Loss):
    """Batch-hard triplet loss module (no PyTorch counterpart): :func:`lossx.batch_hard_triplet_loss`.

    For each anchor, the farthest sample with its label and the nearest with another label:
    ``max(0, d_ap - d_an + margin)`` with ``d = ||a - b||_p``; anchors without a positive or a
    negative are left out. ``forward(embeddings, labels)``: ``(N, D)`` float embeddings and
    ``(N,)`` integer labels. A ``torch.nn.modules.loss._Loss`` like PyTorch's loss modules
    (``reduction`` attribute, no parameters or buffers).

    Args:
      margin: the hinge margin (>= 0).
      p: the norm of the distance (> 0, ``float('inf')`` allowed).
      reduction: ``'none'`` | ``'mean'`` | ``'sum'``.
    """

    __constants__ = ["margin", "p", "reduction"]

    def __init__(self, margin: float = 1.0, p: float = 2, reduction: str = "mean") -> None:
        super().__init__(reduction=reduction)
        self.margin = margin
        self.p = p

    def forward(self, embeddings: Tensor, labels: Tensor) -> Tensor:
        return F.batch_hard_triplet_loss(embeddings, labels, margin=self.margin, p=self.p, reduction=self.reduction)
