"""The one mechanism that turns a loss definition into its public functions.

A loss is written once, as a function with PyTorch's signature and lossx's
docstring that converts its arguments and returns ``(core_function, args)``:
``args`` is a dict naming every argument of the compiled function after
``mode`` and ``grad_output`` (``input``, ``target``, ..., ``reduction``), in the
binding's order, with the (first) prediction array first. :func:`loss` wraps it into

* ``NAME(...)``: the loss;
* ``NAME.backward(grad_output, ...)``: the gradient of ``sum(grad_output * NAME(...))``;
* ``NAME.with_grad(..., grad_output=None)``: ``(loss, grad)`` from one fused kernel call;
* ``NAME.partial(...)`` and ``NAME.partial_backward(scale, ...)`` for a loss with a
  ``reduction``: the exact partial sums of the reduction and their gradient;

and the family modules publish them as ``NAME_backward``, ``NAME_with_grad``,
``NAME_partial`` and ``NAME_partial_backward``.

The compiled functions take their arguments positionally (a keyword call costs
about a microsecond more per call, which the smallest batches feel); the names of
``args`` are checked against the binding's parameter names on the first call of each
compiled function, so that the two layers cannot silently disagree on the order.
"""

from __future__ import annotations

import functools
import inspect
import re
import sys
from typing import Any, Callable, Dict, Generic, Tuple, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import _convert

if sys.version_info >= (3, 10):
    from typing import Concatenate, ParamSpec
else:  # pragma: no cover
    from typing_extensions import Concatenate, ParamSpec

P = ParamSpec("P")

#: What a loss definition returns: the compiled function and its arguments by name.
Prepared = Tuple[Callable[..., Any], Dict[str, Any]]

#: A result array of the prediction's dtype (float32 or float64).
Array = NDArray[np.floating[Any]]


class LossFunction(Generic[P]):
    """The type of a public loss: ``NAME(...)`` with PyTorch's signature, plus its
    gradient (``NAME.backward``), the fused form (``NAME.with_grad``) and, for a loss
    with a reduction, the partial sums (``NAME.partial``, ``NAME.partial_backward``).
    Only for type checkers: the objects are plain functions with these attributes."""

    backward: Callable[Concatenate[ArrayLike, P], Any]
    with_grad: Callable[..., Tuple[Array, Any]]
    partial: Callable[P, Tuple[float, float]]
    partial_backward: Callable[Concatenate[float, P], Any]

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> Array:  # pragma: no cover
        raise NotImplementedError

# The call modes of every compiled loss (python/bindings/common.hpp, enum Mode).
_LOSS, _GRAD, _BOTH, _PARTIAL, _PARTIAL_GRAD = 0, 1, 2, 3, 4

_checked: set[int] = set()


def binding_parameters(core: Callable[..., Any]) -> list[str]:
    """The parameter names of a compiled function, from its pybind11 signature line."""
    first = (core.__doc__ or "").strip().splitlines()[0] if core.__doc__ else ""
    m = re.match(r"\w+\((.*)\)\s*->", first)
    if not m:
        raise RuntimeError(f"lossx: internal: no signature in the docstring of {core!r}")
    return [p.split(":")[0].strip() for p in m.group(1).split(",") if p.strip()]


def _call(core: Callable[..., Any], mode: int, g: Any, args: Dict[str, Any]) -> Any:
    key = id(core)
    if key not in _checked:
        target = getattr(core, "__wrapped__", core)
        want = binding_parameters(target)[2:]
        if list(args) != want:
            raise RuntimeError(f"lossx: internal: arguments {list(args)} do not match the binding's {want}")
        _checked.add(key)
    return core(mode, g, *args.values())


def _first(args: Dict[str, Any]) -> Any:
    """The first (prediction) array of a loss's arguments."""
    return next(iter(args.values()))


def _doc_backward(name: str, grads: str) -> str:
    return f"""Gradient of :func:`lossx.{name}`.

    ``{name}_backward(grad_output, *args, **kwargs)`` takes the arguments of
    :func:`lossx.{name}` after ``grad_output`` and returns the gradient of
    ``sum(grad_output * {name}(*args, **kwargs))`` with respect to {grads}, with
    the input's dtype and shape. ``grad_output`` is a scalar for a reduced loss
    and an array of the unreduced output's shape for ``reduction='none'``.
    See :func:`lossx.{name}` for the formula and the differences from PyTorch.
    """


def _doc_with_grad(name: str, grads: str) -> str:
    return f"""Loss and gradient of :func:`lossx.{name}` in one fused pass.

    ``{name}_with_grad(*args, grad_output=None, **kwargs)`` returns
    ``(loss, grad)``: exactly ``{name}(*args, **kwargs)`` and
    ``{name}_backward(grad_output, *args, **kwargs)`` (the gradient with respect
    to {grads}). ``grad_output=None`` means 1 for a reduced loss and all ones for
    ``reduction='none'``.
    """


def _doc_partial(name: str) -> str:
    return f"""Exact partial sums of :func:`lossx.{name}`'s reduction, for chunked evaluation.

    ``{name}_partial(*args, **kwargs)`` takes the arguments of :func:`lossx.{name}`
    (with a reduction other than ``'none'``) and returns two Python floats
    ``(total, denominator)``, accumulated in float64, such that over any split of a
    batch into chunks the whole batch's ``'mean'`` (or ``'batchmean'``) is
    ``sum(totals) / sum(denominators)`` and its ``'sum'`` is ``sum(totals)``.
    The denominator is what ``'mean'`` divides by (the element or row count, the
    total weight of the targets that are not ignored, the batch size); for
    ``'sum'`` it is reported all the same.

    Example (two chunks give the whole batch's mean)::

        t1, d1 = lossx.{name}_partial(*chunk1_args)
        t2, d2 = lossx.{name}_partial(*chunk2_args)
        mean = (t1 + t2) / (d1 + d2)
    """


def _doc_partial_backward(name: str, grads: str) -> str:
    return f"""Gradient of ``scale * total`` of :func:`lossx.{name}_partial`.

    ``{name}_partial_backward(scale, *args, **kwargs)`` returns the gradient with
    respect to {grads} of ``scale`` times the ``total`` that
    ``{name}_partial(*args, **kwargs)`` reports. Under a mean over the whole batch,
    a chunk's share of the gradient is
    ``{name}_partial_backward(grad_output / sum(denominators), *chunk_args)``; under
    ``'sum'`` it is ``{name}_partial_backward(grad_output, *chunk_args)``. The
    concatenated chunk gradients equal the whole batch's gradient.
    """


def loss(
    grads: str = "``input``", reductions: tuple[str, ...] = ("none", "mean", "sum")
) -> Callable[[Callable[P, Prepared]], LossFunction[P]]:
    """Decorator: build ``NAME``, ``NAME.backward``, ``NAME.with_grad`` (and, with a
    ``reduction``, ``NAME.partial`` and ``NAME.partial_backward``) from a definition.

    ``reductions`` only words the error for a ``reduction`` that is not a string
    (the C++ core checks the value itself).
    """

    def wrap(prepare: Callable[P, Prepared]) -> LossFunction[P]:
        name = prepare.__name__
        sig = inspect.signature(prepare)
        names = list(sig.parameters)
        r_at = names.index("reduction") if "reduction" in names else None
        r_positional = r_at is not None and sig.parameters["reduction"].kind is not inspect.Parameter.KEYWORD_ONLY

        def convert(args: Any, kwargs: Any) -> Prepared:
            if r_at is not None:
                if "reduction" in kwargs:
                    _convert.reduction(kwargs["reduction"], name, reductions)
                elif r_positional and len(args) > r_at:
                    _convert.reduction(args[r_at], name, reductions)
            return prepare(*args, **kwargs)

        @functools.wraps(prepare)
        def forward(*args: Any, **kwargs: Any) -> Any:
            core, cargs = convert(args, kwargs)
            return _call(core, _LOSS, None, cargs)

        def bind_error(args: tuple[Any, ...], kwargs: dict[str, Any], suffix: str) -> TypeError | None:
            """For a missing or surplus argument: a TypeError against the called function's signature."""
            try:
                sig.bind(*args, **kwargs)
            except TypeError as e:
                hint = ""
                if suffix in ("_backward", "_partial_backward"):
                    first = "grad_output" if suffix == "_backward" else "scale"
                    hint = f"; the first argument of {name}{suffix} is {first}"
                    if suffix == "_backward":
                        hint += " (1.0 for a reduced loss, an array of the 'none' output's shape otherwise)"
                return TypeError(f"{name}{suffix}(): {e}{hint}")
            return None

        # Each public function calls convert() itself (no helper frame in between), so that a
        # warning raised while converting points at the caller's line with one stacklevel.
        def backward(grad_output: Any, *args: Any, **kwargs: Any) -> Any:
            if grad_output is None:
                raise TypeError(f"{name}_backward: 'grad_output' must be a number or an array; got None "
                                f"({name}_with_grad takes grad_output=None to mean ones)")
            try:
                core, cargs = convert(args, kwargs)
            except TypeError:
                err = bind_error(args, kwargs, "_backward")
                if err is None:
                    raise
                raise err from None
            g = _convert.grad_output(grad_output, _first(cargs).dtype, name + "_backward")
            return _call(core, _GRAD, g, cargs)

        def with_grad(*args: Any, grad_output: Any = None, **kwargs: Any) -> Any:
            try:
                core, cargs = convert(args, kwargs)
            except TypeError:
                err = bind_error(args, kwargs, "_with_grad")
                if err is None:
                    raise
                raise err from None
            g = _convert.grad_output(grad_output, _first(cargs).dtype, name + "_with_grad")
            return _call(core, _BOTH, g, cargs)

        def partial(*args: Any, **kwargs: Any) -> tuple[float, float]:
            try:
                core, cargs = convert(args, kwargs)
            except TypeError:
                err = bind_error(args, kwargs, "_partial")
                if err is None:
                    raise
                raise err from None
            return _call(core, _PARTIAL, None, cargs)  # type: ignore[no-any-return]

        def partial_backward(scale: float, *args: Any, **kwargs: Any) -> Any:
            s = _convert.real(scale, "scale", name + "_partial_backward")
            try:
                core, cargs = convert(args, kwargs)
            except TypeError:
                err = bind_error(args, kwargs, "_partial_backward")
                if err is None:
                    raise
                raise err from None
            return _call(core, _PARTIAL_GRAD, s, cargs)

        params = list(sig.parameters.values())
        g_pos = inspect.Parameter("grad_output", inspect.Parameter.POSITIONAL_OR_KEYWORD)
        g_kw = inspect.Parameter("grad_output", inspect.Parameter.KEYWORD_ONLY, default=None)
        s_pos = inspect.Parameter("scale", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=float)
        extras: list[tuple[Callable[..., Any], str, inspect.Signature, str]] = [
            (backward, "_backward", sig.replace(parameters=[g_pos] + params), _doc_backward(name, grads)),
            (with_grad, "_with_grad", sig.replace(parameters=params + [g_kw]), _doc_with_grad(name, grads)),
        ]
        if r_at is not None:
            extras += [
                (partial, "_partial", sig.replace(parameters=params, return_annotation="tuple[float, float]"),
                 _doc_partial(name)),
                (partial_backward, "_partial_backward", sig.replace(parameters=[s_pos] + params),
                 _doc_partial_backward(name, grads)),
            ]
        for fn, suffix, fsig, doc in extras:
            fn.__name__ = fn.__qualname__ = name + suffix
            fn.__module__ = "lossx"
            fn.__signature__ = fsig  # type: ignore[attr-defined]
            fn.__doc__ = doc
        forward.__module__ = "lossx"
        forward.__annotations__ = {**getattr(prepare, "__annotations__", {}), "return": "NDArray[np.floating]"}
        forward.backward = backward  # type: ignore[attr-defined]
        forward.with_grad = with_grad  # type: ignore[attr-defined]
        if r_at is not None:
            forward.partial = partial  # type: ignore[attr-defined]
            forward.partial_backward = partial_backward  # type: ignore[attr-defined]
        return cast("LossFunction[P]", forward)

    return wrap
