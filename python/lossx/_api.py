"""The one mechanism that turns a loss definition into its three public functions.

A loss is written once, as a function with PyTorch's signature and lossx's
docstring that converts its arguments and returns ``(core_function, args)``,
with ``args[0]`` the (first) prediction array. :func:`loss` wraps it into

* ``NAME(...)``: the loss;
* ``NAME.backward(grad_output, ...)``: the gradient of ``sum(grad_output * NAME(...))``;
* ``NAME.with_grad(..., grad_output=None)``: ``(loss, grad)`` from one fused kernel call;

and the family modules publish the last two as ``NAME_backward`` / ``NAME_with_grad``.
"""

from __future__ import annotations

import functools
import inspect

from . import _convert

_LOSS, _GRAD, _BOTH = 0, 1, 2


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


def loss(grads: str = "``input``", reductions=("none", "mean", "sum")):
    """Decorator: build ``NAME``, ``NAME.backward`` and ``NAME.with_grad`` from a definition.

    ``reductions`` only words the error for a ``reduction`` that is not a string
    (the C++ core checks the value itself).
    """

    def wrap(prepare):
        name = prepare.__name__
        sig = inspect.signature(prepare)
        names = list(sig.parameters)
        r_at = names.index("reduction") if "reduction" in names else None
        r_positional = r_at is not None and sig.parameters["reduction"].kind is not inspect.Parameter.KEYWORD_ONLY

        def convert(args, kwargs):
            if r_at is not None:
                if "reduction" in kwargs:
                    _convert.reduction(kwargs["reduction"], name, reductions)
                elif r_positional and len(args) > r_at:
                    _convert.reduction(args[r_at], name, reductions)
            return prepare(*args, **kwargs)

        @functools.wraps(prepare)
        def forward(*args, **kwargs):
            core, cargs = convert(args, kwargs)
            return core(_LOSS, None, *cargs)

        def bind_error(args, kwargs, suffix):
            """For a missing or surplus argument: a TypeError against the called function's signature."""
            try:
                sig.bind(*args, **kwargs)
            except TypeError as e:
                hint = ""
                if suffix == "_backward":
                    hint = (f"; the first argument of {name}_backward is grad_output (1.0 for a reduced "
                            "loss, an array of the 'none' output's shape otherwise)")
                return TypeError(f"{name}{suffix}(): {e}{hint}")
            return None

        def backward(grad_output, *args, **kwargs):
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
            g = _convert.grad_output(grad_output, cargs[0].dtype, name + "_backward")
            return core(_GRAD, g, *cargs)

        def with_grad(*args, grad_output=None, **kwargs):
            try:
                core, cargs = convert(args, kwargs)
            except TypeError:
                err = bind_error(args, kwargs, "_with_grad")
                if err is None:
                    raise
                raise err from None
            g = _convert.grad_output(grad_output, cargs[0].dtype, name + "_with_grad")
            return core(_BOTH, g, *cargs)

        params = list(sig.parameters.values())
        g_pos = inspect.Parameter("grad_output", inspect.Parameter.POSITIONAL_OR_KEYWORD)
        g_kw = inspect.Parameter("grad_output", inspect.Parameter.KEYWORD_ONLY, default=None)
        for fn, suffix, fsig, doc in (
            (backward, "_backward", sig.replace(parameters=[g_pos] + params), _doc_backward(name, grads)),
            (with_grad, "_with_grad", sig.replace(parameters=params + [g_kw]), _doc_with_grad(name, grads)),
        ):
            fn.__name__ = fn.__qualname__ = name + suffix
            fn.__module__ = "lossx"
            fn.__signature__ = fsig
            fn.__doc__ = doc
        forward.__module__ = "lossx"
        forward.backward = backward
        forward.with_grad = with_grad
        return forward

    return wrap
