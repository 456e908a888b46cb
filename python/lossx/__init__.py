"""lossx: PyTorch's loss functions and their gradients, on NumPy arrays, fast on the CPU.

Every loss has the name, arguments and defaults of its ``torch.nn.functional``
counterpart, plus ``NAME_backward`` (its gradient) and ``NAME_with_grad``
(loss and gradient in one fused pass). See the README for the list.
"""

from __future__ import annotations

from . import _core as _core
from . import classification, embedding, imbalance, margin, regression, sequence
from .classification import *  # noqa: F401,F403
from .embedding import *  # noqa: F401,F403
from .imbalance import *  # noqa: F401,F403
from .margin import *  # noqa: F401,F403
from .regression import *  # noqa: F401,F403
from .sequence import *  # noqa: F401,F403

__version__ = "0.1.0"


def set_num_threads(n: int) -> None:
    """Set the number of threads every following lossx kernel uses.

    ``n`` lies in ``[1, max_num_threads()]``, four times the CPUs this process may
    use (``ValueError`` otherwise: the OpenMP runtime ends the whole process when it
    cannot start a thread, so lossx refuses counts that no machine benefits from).
    Results do not depend on it: every reduction sums fixed-size blocks in a
    fixed order, so 1 and N threads give bitwise identical results.
    """
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"set_num_threads: 'n' must be an int; got {type(n).__name__}")
    # The C++ core checks the range and words the message; a value beyond a C int is
    # clipped to its limit first so that it reaches that check (and fails it).
    _core.set_num_threads(max(min(n, 2**31 - 1), -(2**31)))


def max_num_threads() -> int:
    """The largest thread count :func:`set_num_threads` accepts (4 x the CPUs).

    >>> import lossx
    >>> lossx.max_num_threads() >= lossx.get_num_threads()
    True
    """
    n: int = _core.max_num_threads()
    return n


def get_num_threads() -> int:
    """The number of threads lossx kernels use (by default, all cores)."""
    n: int = _core.get_num_threads()
    return n


_FAMILIES = (classification, regression, margin, embedding, sequence, imbalance)

__all__ = sorted(["set_num_threads", "get_num_threads", "max_num_threads", *(n for f in _FAMILIES for n in f.__all__)])
