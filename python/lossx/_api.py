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
from typing import Any, Callable, Dict, Generic, Sequence, Tuple, Union, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import _convert, _core

if sys.version_info >= (3, 10):
    from typing import Concatenate, ParamSpec
else:  # pragma: no cover
    from typing_extensions import Concatenate, ParamSpec

P = ParamSpec("P")

#: What a loss definition returns: the compiled function and its arguments by name.
Prepared = Tuple[Callable[..., Any], Dict[str, Any]]

#: A result array of the prediction's dtype (float32 or float64).
Array = NDArray[np.floating[Any]]

#: The type of ``out=`` (an array, or a tuple of arrays for several gradients). A definition
#: lists ``out: Buffer = None`` as its last, keyword-only parameter, so that type checkers see
#: ``NAME(..., out=)`` and ``NAME_backward(..., out=)``; the definition never receives it:
#: :func:`loss` takes it off the signature (PyTorch's signature stays what ``inspect`` shows)
#: and the generated NAME consumes it.
Buffer = Union[NDArray[Any], Sequence[NDArray[Any]], None]


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

# Every compiled loss takes (mode, grad_output, out, grad_out, <the loss's arguments>).
_LEADING = 4

_checked: set[int] = set()

_ND = np.ndarray

#: Losses kept off the lean path: their Python layer changes values the binding also
#: accepts (ctc_loss's lengths of mixed integer dtypes, multi_margin_loss's ``p``).
_GENERAL_ONLY = frozenset({"ctc_loss", "multi_margin_loss"})


def binding_parameters(core: Callable[..., Any]) -> list[str]:
    """The parameter names of a compiled function, from its pybind11 signature line."""
    return [n for n, _ in _binding_signature(core)]


def _binding_signature(core: Callable[..., Any]) -> list[tuple[str, str]]:
    """``(name, type)`` of each parameter of a compiled function, from its pybind11 signature line."""
    first = (core.__doc__ or "").strip().splitlines()[0] if core.__doc__ else ""
    m = re.match(r"\w+\((.*)\)\s*->", first)
    if not m:
        raise RuntimeError(f"lossx: internal: no signature in the docstring of {core!r}")
    params = []
    for p in re.split(r",\s*(?=\w+:)", m.group(1)):
        if p.strip():
            n, _, t = p.partition(":")
            params.append((n.strip(), t.strip()))
    return params


def _buffers(*bufs: Any) -> list[np.ndarray]:
    """The arrays among output buffers (an array, a tuple/list of arrays, or None)."""
    arrays: list[np.ndarray] = []
    for b in bufs:
        if isinstance(b, (tuple, list)):
            arrays += [a for a in b if isinstance(a, np.ndarray)]
        elif isinstance(b, np.ndarray):
            arrays.append(b)
    return arrays


def _overlap(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two arrays share memory (a cheap bounds test, then NumPy's exact one)."""
    return bool(np.may_share_memory(a, b)) and bool(np.shares_memory(a, b))


def _disjoint(out: Any, grad_out: Any, inputs: tuple[Any, ...]) -> bool:
    """The lean path's test: no output buffer shares memory with an input or another buffer."""
    bufs = _buffers(out, grad_out)
    for k, b in enumerate(bufs):
        for a in inputs:
            if type(a) is _ND and _overlap(a, b):
                return False
        for c in bufs[k + 1:]:
            if _overlap(b, c):
                return False
    return True


def _check_disjoint(fn: str, out: Any, grad_out: Any, g: Any, args: Dict[str, Any]) -> None:
    """A ValueError naming the buffer and the input when an output buffer shares memory with either."""
    named: list[tuple[str, Any]] = [("out", out), ("grad_out", grad_out)]
    inputs = [(k, v) for k, v in args.items() if isinstance(v, np.ndarray)]
    if isinstance(g, np.ndarray):
        inputs.insert(0, ("grad_output", g))
    seen: list[tuple[str, np.ndarray]] = []
    for bname, b in named:
        parts = list(b) if isinstance(b, (tuple, list)) else [b]
        for k, buf in enumerate(parts):
            if not isinstance(buf, np.ndarray):
                continue  # the binding says what is wrong with it
            label = f"{bname}[{k}]" if isinstance(b, (tuple, list)) else bname
            for iname, a in inputs:
                if _overlap(buf, a):
                    raise ValueError(f"{fn}: '{label}' must not share memory with the input '{iname}' "
                                     "(the result would overwrite its own input)")
            for oname, o in seen:
                if _overlap(buf, o):
                    raise ValueError(f"{fn}: '{label}' must not share memory with '{oname}'")
            seen.append((label, buf))


def _call(core: Callable[..., Any], mode: int, g: Any, args: Dict[str, Any], fn: str = "",
          out: Any = None, grad_out: Any = None) -> Any:
    """The general path's call of a compiled function, with the converted arguments."""
    key = id(core)
    if key not in _checked:
        target = getattr(core, "__wrapped__", core)
        want = binding_parameters(target)[_LEADING:]
        if list(args) != want:
            raise RuntimeError(f"lossx: internal: arguments {list(args)} do not match the binding's {want}")
        _checked.add(key)
    if out is not None or grad_out is not None:
        _check_disjoint(fn, out, grad_out, g, args)
    return core(mode, g, out, grad_out, *args.values())


def _first(args: Dict[str, Any]) -> Any:
    """The first (prediction) array of a loss's arguments."""
    return next(iter(args.values()))


# The lean path's test of each argument, by the binding's parameter type: exactly the Python
# types the general path would pass through unchanged (anything else takes the general path).
_GATES = {
    "numpy.ndarray": "type({v}) is _ND",
    "object": "({v} is None or type({v}) is _ND)",
    "str": "type({v}) is str",
    "bool": "type({v}) is bool",
    "int": "type({v}) is int",
    "float": "(type({v}) is float or type({v}) is int)",
}


def _gate_kind(binding_type: str) -> str | None:
    if "numpy.ndarray" in binding_type:
        return "numpy.ndarray"
    if "SupportsFloat" in binding_type:
        return "float"
    if "SupportsInt" in binding_type:
        return "int"
    return binding_type if binding_type in _GATES else None


def _lean_source(name: str, sig: inspect.Signature, core: Any) -> tuple[str, str, str, str] | None:
    """The pieces of the generated lean path of loss ``name``, or None when it has none.

    Returns (parameters, gate, binding arguments, array arguments) as source text: the
    definition's parameter list (defaults as ``_d_<name>``), the test that every argument
    is of a type the binding takes as it is, the binding's arguments after ``out, grad_out``,
    and the array arguments (for the overlap test of output buffers).
    """
    if name in _GENERAL_ONLY or core is None:
        return None
    try:
        bsig = _binding_signature(core)
    except RuntimeError:
        return None
    if [n for n, _ in bsig[:_LEADING]] != ["mode", "grad_output", "out", "grad_out"]:
        return None
    bparams = bsig[_LEADING:]
    public = sig.parameters
    gates: list[str] = []
    arrays: list[str] = []
    for bname, btype in bparams:
        kind = _gate_kind(btype)
        if bname not in public or kind is None:
            return None
        gates.append(_GATES[kind].format(v=bname))
        if kind in ("numpy.ndarray", "object"):
            arrays.append(bname)
    bnames = {n for n, _ in bparams}
    for pname, par in public.items():
        if pname not in bnames:  # a public option the binding does not take: lean only at its default
            if par.default is inspect.Parameter.empty:
                return None
            gates.append(f"{pname} is _d_{pname}")
    return (_params_source(sig), " and ".join(gates), ", ".join(n for n, _ in bparams),
            "(" + ", ".join(arrays) + ("," if len(arrays) == 1 else "") + ")")


def _params_source(sig: inspect.Signature) -> str:
    """A definition's parameter list as source text, each default as ``_d_<name>``."""
    parts: list[str] = []
    star = False
    for pname, par in sig.parameters.items():
        if par.kind is inspect.Parameter.KEYWORD_ONLY and not star:
            parts.append("*")
            star = True
        elif par.kind not in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY):
            raise TypeError(f"lossx: internal: {par.kind} parameter {pname!r} in a loss definition")
        parts.append(pname if par.default is inspect.Parameter.empty else f"{pname}=_d_{pname}")
    return ", ".join(parts)


def _doc_backward(name: str, grads: str) -> str:
    return f"""Gradient of :func:`lossx.{name}`.

    ``{name}_backward(grad_output, *args, **kwargs)`` takes the arguments of
    :func:`lossx.{name}` after ``grad_output`` and returns the gradient of
    ``sum(grad_output * {name}(*args, **kwargs))`` with respect to {grads}, with
    the input's dtype and shape. ``grad_output`` is a scalar for a reduced loss
    and an array of the unreduced output's shape for ``reduction='none'``.
    See :func:`lossx.{name}` for the formula and the differences from PyTorch.

    ``out=`` (keyword): the gradient's buffer, written into and returned (a tuple of
    arrays for a loss with several gradients); see :func:`lossx.{name}`.
    """


def _doc_with_grad(name: str, grads: str) -> str:
    return f"""Loss and gradient of :func:`lossx.{name}` in one fused pass.

    ``{name}_with_grad(*args, grad_output=None, **kwargs)`` returns
    ``(loss, grad)``: exactly ``{name}(*args, **kwargs)`` and
    ``{name}_backward(grad_output, *args, **kwargs)`` (the gradient with respect
    to {grads}). ``grad_output=None`` means 1 for a reduced loss and all ones for
    ``reduction='none'``. ``out=`` and ``grad_out=`` (keywords) are buffers for the
    loss and the gradient (a tuple of arrays for several gradients), written into and
    returned; see :func:`lossx.{name}`.
    """


def _doc_out(name: str) -> str:
    return f"""    Output buffer: the keyword ``out=`` (lossx's, not in PyTorch's signature) takes a
    C-contiguous, aligned, writeable NumPy array of the result's shape and dtype (0-d for
    a reduced loss); the result is written into it, with no copy, and ``out`` itself is
    returned, as NumPy's ufuncs do. ``{name}_backward(..., out=)`` and
    ``{name}_with_grad(..., out=, grad_out=)`` take buffers for the gradient (a tuple of
    arrays where the gradient is a tuple). A buffer of another shape, dtype or layout, or
    one that shares memory with an input, raises ``ValueError``/``TypeError`` naming it.
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
        # out= is handled here, not by the definition (see Buffer): PyTorch's signature without it.
        sig = sig.replace(parameters=[p for p in sig.parameters.values() if p.name != "out"])
        names = list(sig.parameters)
        r_at = names.index("reduction") if "reduction" in names else None
        r_positional = r_at is not None and sig.parameters["reduction"].kind is not inspect.Parameter.KEYWORD_ONLY

        def convert(args: Any, kwargs: Any) -> Prepared:
            if "out" in kwargs:  # NAME, NAME_backward and NAME_with_grad take it before this point
                raise TypeError(f"{name}(): got an unexpected keyword argument 'out'")
            if r_at is not None:
                if "reduction" in kwargs:
                    _convert.reduction(kwargs["reduction"], name, reductions)
                elif r_positional and len(args) > r_at:
                    _convert.reduction(args[r_at], name, reductions)
            return prepare(*args, **kwargs)

        core_fn = getattr(_core, name, None)
        lean_src = _lean_source(name, sig, core_fn)
        ns: dict[str, Any] = {"_ND": _ND, "_disjoint": _disjoint, "_call": _call, "_core_fn": core_fn,
                              "convert": convert}
        ns.update({f"_d_{p}": par.default for p, par in sig.parameters.items()})
        pos = [p for p, par in sig.parameters.items() if par.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD]
        kws = [p for p, par in sig.parameters.items() if par.kind is inspect.Parameter.KEYWORD_ONLY]
        call_general = (f"    core, cargs = convert(({''.join(p + ', ' for p in pos)}), "
                        f"{{{', '.join(f'{k!r}: {k}' for k in kws)}}})\n"
                        f"    return _call(core, {_LOSS}, None, cargs, {name!r}, out)\n")
        # NAME itself has the definition's exact signature (plus out=): its lean path tests
        # the arguments' types inline and calls the compiled function positionally; any other
        # argument, and any error, goes through convert() and the binding as before (so
        # results and error messages are those of the general path). Generated source, so
        # that no per-call argument re-binding (*args / **kwargs, inspect) is needed. For
        # mse_loss the source reads:
        #
        #   def mse_loss(input, target, *, reduction=_d_reduction, weight=_d_weight, out=None):
        #       if type(input) is _ND and type(target) is _ND and (weight is None or type(weight)
        #               is _ND) and type(reduction) is str and (out is None or _disjoint(...)):
        #           try:
        #               return _core_fn(0, None, out, None, input, target, weight, reduction)
        #           except (TypeError, ValueError):
        #               pass
        #       core, cargs = convert((input, target, ), {'reduction': reduction, 'weight': weight})
        #       return _call(core, 0, None, cargs, 'mse_loss', out)
        #
        # plus _lean_args (the same test, returning the binding's arguments) for the other
        # forms and _with_grad_exact for lossx.torch.
        if lean_src is not None:
            plist, gate, bargs, arrays = lean_src
            out_sep = ", out=None" if "*" in plist.split(", ") else ", *, out=None"
            src = (f"def {name}({plist}{out_sep}):\n"
                   f"    if {gate} and (out is None or _disjoint(out, None, {arrays})):\n"
                   f"        try:\n"
                   f"            return _core_fn({_LOSS}, None, out, None, {bargs})\n"
                   f"        except (TypeError, ValueError):\n"
                   f"            pass\n" + call_general +
                   f"def _lean_args({plist}):\n"
                   f"    return ({bargs},) if {gate} else None\n"
                   f"def _with_grad_exact({plist}):\n"
                   f"    if {gate}:\n"
                   f"        try:\n"
                   f"            return _core_fn({_BOTH}, None, None, None, {bargs})\n"
                   f"        except (TypeError, ValueError):\n"
                   f"            pass\n"
                   f"    return _with_grad({''.join(p + ', ' for p in pos)}"
                   f"{''.join(f'{k}={k}, ' for k in kws)})\n")
        else:
            plist = _params_source(sig)
            out_sep = ", out=None" if kws else ", *, out=None"
            src = f"def {name}({plist}{out_sep}):\n" + call_general + "_lean_args = None\n"
        exec(compile(src, f"<lossx.{name}>", "exec"), ns)
        forward: Callable[..., Any] = ns[name]
        lean_args: Callable[..., tuple[Any, ...] | None] | None = ns["_lean_args"]
        functools.update_wrapper(forward, prepare)  # name, docs, annotations
        forward.__signature__ = sig  # type: ignore[attr-defined]  # PyTorch's (out= is documented)

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

        # The other forms: a lean path through _lean_args (the definition's exact signature:
        # the binding's arguments, or None when one of them needs converting), else the
        # general path. Each public function calls convert() itself (no helper frame in
        # between), so that a warning raised while converting points at the caller's line
        # with one stacklevel.
        def lean(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...] | None:
            if lean_args is None:
                return None
            try:
                return lean_args(*args, **kwargs)
            except TypeError:  # a missing or surplus argument: the general path words it
                return None

        def backward(grad_output: Any, *args: Any, out: Any = None, **kwargs: Any) -> Any:
            if type(grad_output) is float or type(grad_output) is _ND:
                b = lean(args, kwargs)
                if b is not None and (out is None or _disjoint(out, None, b + (grad_output,))):
                    try:
                        return core_fn(_GRAD, grad_output, out, None, *b)  # type: ignore[misc]
                    except (TypeError, ValueError):
                        pass
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
            return _call(core, _GRAD, g, cargs, name, out)

        def with_grad(*args: Any, grad_output: Any = None, out: Any = None, grad_out: Any = None,
                      **kwargs: Any) -> Any:
            if grad_output is None or type(grad_output) is float or type(grad_output) is _ND:
                b = lean(args, kwargs)
                if b is not None and (out is None and grad_out is None
                                      or _disjoint(out, grad_out, b + (grad_output,))):
                    try:
                        return core_fn(_BOTH, grad_output, out, grad_out, *b)  # type: ignore[misc]
                    except (TypeError, ValueError):
                        pass
            try:
                core, cargs = convert(args, kwargs)
            except TypeError:
                err = bind_error(args, kwargs, "_with_grad")
                if err is None:
                    raise
                raise err from None
            g = _convert.grad_output(grad_output, _first(cargs).dtype, name + "_with_grad")
            return _call(core, _BOTH, g, cargs, name, out, grad_out)

        def partial(*args: Any, **kwargs: Any) -> tuple[float, float]:
            b = lean(args, kwargs)
            if b is not None:
                try:
                    return core_fn(_PARTIAL, None, None, None, *b)  # type: ignore[misc, no-any-return]
                except (TypeError, ValueError):
                    pass
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
            b = lean(args, kwargs)
            if b is not None:
                try:
                    return core_fn(_PARTIAL_GRAD, s, None, None, *b)  # type: ignore[misc]
                except (TypeError, ValueError):
                    pass
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
        forward.__doc__ = (forward.__doc__ or "").rstrip() + "\n\n" + _doc_out(name)
        forward.__annotations__ = {**getattr(prepare, "__annotations__", {}), "return": "NDArray[np.floating]"}
        # For lossx.torch, whose autograd node calls NAME_with_grad once per training step: the
        # fused call with the definition's exact signature (no *args/**kwargs re-packing and no
        # grad_output/out buffers), the same lean-or-general path and results as NAME_with_grad.
        ns["_with_grad"] = with_grad
        forward._with_grad_exact = ns.get("_with_grad_exact", with_grad)  # type: ignore[attr-defined]
        forward.backward = backward  # type: ignore[attr-defined]
        forward.with_grad = with_grad  # type: ignore[attr-defined]
        if r_at is not None:
            forward.partial = partial  # type: ignore[attr-defined]
            forward.partial_backward = partial_backward  # type: ignore[attr-defined]
        return cast("LossFunction[P]", forward)

    return wrap
