"""The registry of loss cases that drives the generic tests (test_all_losses.py, test_torch.py).

A case names a lossx function, a variant of its options, how to make random
arguments for a batch of ``n`` rows in a given float dtype, its NumPy reference,
and which positional arguments are differentiable. Adding a loss to lossx means
adding its cases here; every generic check (reference agreement per dtype and
reduction, finite differences, fused == separate, threads, strides, empty
batches, PyTorch) then runs on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np



@dataclass
class Case:
    name: str                      # lossx function name (NAME, NAME_backward, NAME_with_grad)
    variant: str                   # short label of the options
    make: Callable                 # make(rng, dtype, n) -> (args tuple, kwargs dict)
    reference: Callable            # NumPy float64 reference with the same signature
    diff: tuple = (0,)             # positions of the differentiable arguments (backward order)
    reductions: tuple = ("none", "mean", "sum")
    torch_fn: Callable | None = None   # f(F, *tensor_args, **kwargs) -> tensor; None: F.<name>
    torch: bool = True             # compare against PyTorch
    fd: bool = True                # finite-difference check applies
    empty: bool = True             # n = 0 is a valid batch
    strict: tuple = (0, 1)         # positions whose float arrays must share the input's dtype
                                   # (prediction inputs and float targets; not parameters like weight)
    extra: dict = field(default_factory=dict)

    @property
    def id(self):
        return f"{self.name}-{self.variant}"


CASES: list[Case] = []


def case(name, variant, reference, **kw):
    """Decorator registering ``make`` as a case."""

    def wrap(make):
        CASES.append(Case(name=name, variant=variant, make=make, reference=reference, **kw))
        return make

    return wrap


def normal(rng, shape, dtype, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(dtype)


def by_name(name):
    return [c for c in CASES if c.name == name]


# Each family registers its cases in its own module (one file per family, so
# that families can be added without touching each other's cases).
import cases_classification  # noqa: E402,F401
import cases_embedding  # noqa: E402,F401
import cases_margin  # noqa: E402,F401
import cases_regression  # noqa: E402,F401
import cases_sequence  # noqa: E402,F401
