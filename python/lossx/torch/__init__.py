"""lossx for PyTorch users: differentiable drop-ins for ``torch.nn`` losses on CPU tensors.

``lossx.torch.functional`` mirrors ``torch.nn.functional`` (same signatures) and
``lossx.torch.nn`` the loss modules (same constructors, ``state_dict`` and
``repr``), computed by lossx inside autograd::

    from lossx.torch import nn as lnn
    criterion = lnn.CrossEntropyLoss(label_smoothing=0.1)   # was torch.nn.CrossEntropyLoss

PyTorch is an optional dependency (``pip install lossx[torch]``); ``import lossx``
never imports it, ``import lossx.torch`` needs it. See the README, "With PyTorch".
"""

from __future__ import annotations

try:
    import torch as _torch  # noqa: F401
except ImportError as e:  # also a torch blocked by sys.modules["torch"] = None
    raise ImportError(
        "lossx.torch needs PyTorch, which is not installed: pip install lossx[torch] "
        "(or pip install torch); the rest of lossx works without it"
    ) from e

from . import functional, nn  # noqa: E402
from .functional import LossxFallbackWarning  # noqa: E402

__all__ = ["LossxFallbackWarning", "functional", "nn"]
