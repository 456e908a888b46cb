"""The one autograd bridge between PyTorch tensors and lossx's NumPy functions.

Every loss of :mod:`lossx.torch.functional` is a :class:`Plan` (which lossx
function, which positional arguments are differentiable, how a ``'none'``
``grad_output`` lines up with the gradient) run through :func:`run`, which

1. falls back to ``torch.nn.functional`` (with a one-time
   :class:`LossxFallbackWarning`) for tensors lossx cannot take: not on the CPU,
   or float16 / bfloat16 (and other non-float32/64 floating dtypes);
2. refuses, at forward time, a float tensor that requires grad where lossx has
   no gradient for it (a target, ``weight``, ``pos_weight``);
3. applies :class:`LossxFunction`, whose forward hands zero-copy NumPy views to
   ``lossx.NAME_with_grad`` (or ``lossx.NAME`` when no gradient is wanted) and
   whose backward scales the kept gradient by ``grad_output``, or calls
   ``lossx.NAME_backward`` where the fused gradient cannot be reused.

No arithmetic of the losses happens here: only lossx's public functions are
called, so the adapter follows lossx's numbers (and its internal refactors).
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any, Callable, Iterable, NoReturn, TypeVar, cast

import numpy as np
import torch

import lossx

_LOSSX_DTYPES = (torch.float32, torch.float64)
_from_numpy = torch.from_numpy

_F = TypeVar("_F", bound=Callable[..., Any])
_T = TypeVar("_T")

if TYPE_CHECKING:

    class _Ctx(torch.autograd.function.BackwardCFunction):
        """What the autograd nodes below keep on their ``ctx`` (for type checkers only)."""

        #: (plan, which differentiable arguments want a gradient, the forward's arguments, reduction, options)
        call: tuple[Plan, tuple[bool, ...], tuple[Any, ...], str, dict[str, Any]]
        grads: tuple[torch.Tensor, ...] | None
        #: _FusedSingle: the kept gradient, and (call, first argument, other arguments)
        g: torch.Tensor | None
        fused: tuple[tuple[Plan, str, dict[str, Any]], torch.Tensor, tuple[Any, ...]]
        name: str


class LossxFallbackWarning(UserWarning):
    """A lossx.torch loss ran PyTorch's own function (CUDA/meta tensors, float16, bfloat16)."""


_warned: set[tuple[str, str]] = set()


def _warn_fallback(name: str, reason: str) -> None:
    key = (name, reason)
    if key not in _warned:
        _warned.add(key)
        warnings.warn(
            f"lossx.torch.functional.{name}: {reason}; lossx computes float32/float64 CPU tensors only, "
            f"so this call (and later ones like it) runs torch.nn.functional.{name} instead",
            LossxFallbackWarning,
            stacklevel=4,  # the caller of the lossx.torch.functional function (via run)
        )


class Plan:
    """What the bridge needs to know about one loss, built once at import time.

    Args:
      name: the lossx function (``lossx.NAME``, ``NAME_with_grad``, ``NAME_backward``).
      arg_names: the names of the positional data arguments passed to :func:`run`
        (for error messages).
      diff: positions (in ``arg_names``) of the arguments lossx differentiates, in the
        order of lossx's gradient tuple.
      dim: where a ``'none'`` output's ``grad_output`` gets a size-1 axis to broadcast
        against the gradient (``None``: the output has the input's shape; ``1``: the
        class dim of cross-entropy-like losses; ``-1``: per-row losses).
      fused_none: whether the fused gradient, scaled by ``grad_output``, is right for
        ``reduction='none'`` (each gradient entry depends only on its own output
        element); ``False`` or a predicate on the arguments; otherwise
        ``NAME_backward`` runs in the backward pass.
      tensor_kwargs: options that may be tensors (``weight``, ``pos_weight``).
      torch_name: the ``torch.nn.functional`` function to fall back to (None: none).
    """

    __slots__ = ("name", "arg_names", "diff", "diff_slots", "fixed", "single", "rest", "dim", "fused_none", "tensor_kwargs", "torch_fn",
                 "forward", "with_grad", "backward")

    def __init__(
        self,
        name: str,
        arg_names: Iterable[str],
        diff: Iterable[int] = (0,),
        dim: int | None = None,
        fused_none: bool | Callable[[tuple[Any, ...]], bool] = True,
        tensor_kwargs: Iterable[str] = (),
        torch_name: str | None = None,
    ) -> None:
        self.name = name
        self.arg_names = tuple(arg_names)
        self.diff = tuple(diff)
        self.fixed = tuple(i for i in range(len(self.arg_names)) if i not in self.diff)
        self.diff_slots = tuple(3 + i for i in self.diff)  # in needs_input_grad (after plan, reduction, kwargs)
        self.single = self.diff == (0,)
        self.rest = (None,) * (len(self.arg_names) - 1)  # backward's Nones after the first argument's gradient
        self.dim = dim
        self.fused_none = fused_none
        self.tensor_kwargs = tuple(tensor_kwargs)
        self.torch_fn: Callable[..., torch.Tensor] | None = (
            getattr(torch.nn.functional, torch_name) if torch_name else None
        )
        self.forward: Callable[..., Any] = getattr(lossx, name)
        # NAME_with_grad with the definition's exact signature (lossx._api): the same results,
        # without re-packing *args/**kwargs on every training step.
        self.with_grad: Callable[..., Any] = getattr(self.forward, "_with_grad_exact", None) or getattr(
            lossx, name + "_with_grad")
        self.backward: Callable[..., Any] = getattr(lossx, name + "_backward")


class LossxFunction(torch.autograd.Function):
    """The autograd node of every lossx.torch loss: ``apply(plan, reduction, kwargs, *args)``.

    Forward: one fused ``NAME_with_grad`` call when a differentiable argument requires
    grad (the gradient is kept for the backward), else ``NAME``. Backward: the kept
    gradient scaled by ``grad_output`` in place and handed over to autograd, which then
    stores it without a copy; a second backward of the same graph (``retain_graph=True``),
    or a loss whose ``'none'`` gradient cannot be scaled, calls ``NAME_backward``.
    """

    @staticmethod
    def forward(ctx: _Ctx, plan: Plan, reduction: str, kwargs: dict[str, Any], *args: Any) -> torch.Tensor:
        # Zero-copy NumPy views (detach only what requires grad: .numpy() refuses it).
        arrays = [(a.detach() if a.requires_grad else a).numpy() if isinstance(a, torch.Tensor) else a for a in args]
        if plan.tensor_kwargs:
            kwargs = {k: v.detach().numpy() if isinstance(v, torch.Tensor) else v for k, v in kwargs.items()}
        needs = ctx.needs_input_grad  # run() applies this node only with grad mode on
        for i in plan.fixed:
            if needs[3 + i]:
                _refuse(plan, plan.arg_names[i])
        want = tuple(map(needs.__getitem__, plan.diff_slots))
        if True not in want:
            return torch.from_numpy(plan.forward(*arrays, reduction=reduction, **kwargs))
        ctx.call = (plan, want, args, reduction, kwargs)
        if reduction != "none" or plan.fused_none is True or (plan.fused_none and plan.fused_none(args)):
            # The fused pass: the gradient is computed now from the forward's inputs, so a later
            # in-place change of them cannot affect it (as PyTorch's cross-entropy, whose
            # backward reads its saved output, not the input); nothing to save.
            out, grads = plan.with_grad(*arrays, reduction=reduction, **kwargs)
            ctx.grads = (torch.from_numpy(grads),) if type(grads) is np.ndarray else tuple(map(torch.from_numpy, grads))
            return torch.from_numpy(out)
        # NAME_backward will read the inputs: the tensors go through save_for_backward (an
        # in-place change before the backward is then detected), the other arguments as they are.
        ctx.save_for_backward(*(a for a in args if isinstance(a, torch.Tensor)))
        ctx.grads = None
        return torch.from_numpy(plan.forward(*arrays, reduction=reduction, **kwargs))

    @staticmethod
    def backward(ctx: _Ctx, grad_output: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        kept, plan = ctx.grads, ctx.call[0]
        if kept is not None and plan.single and grad_output.dim() == 0 and not torch.is_grad_enabled():
            # The common training step, inline: a reduced loss, one gradient kept by the
            # forward, handed over (scaled unless grad_output is exactly 1); see _backward.
            ctx.grads = None
            if grad_output.item() != 1.0:
                kept[0].mul_(grad_output)
            return (None, None, None, kept[0]) + plan.rest
        if torch.is_grad_enabled():
            # create_graph=True: lossx gives first derivatives only. The gradients returned
            # here are marked (_FirstDerivativeOnly) so that differentiating them raises a
            # clear error instead of silently treating them as constants.
            with torch.no_grad():
                grads = _backward(ctx, grad_output)
            inputs = [a for a in _arguments(ctx) if isinstance(a, torch.Tensor) and a.requires_grad]
            return tuple(g if g is None else _FirstDerivativeOnly.apply(ctx.call[0].name, g, *inputs)  # type: ignore[no-untyped-call]
                         for g in grads)
        return _backward(ctx, grad_output)


class _FusedSingle(torch.autograd.Function):
    """The common training step's node: a reduced loss whose only differentiable argument is
    the first (cross-entropy, MSE, ... with ``'mean'`` or ``'sum'``): ``apply(call, *args)``
    with ``call = (plan, reduction, kwargs)``.

    What :class:`LossxFunction` does for that case, with less per-call bookkeeping (a training
    loop at minibatch size pays this on every step): one fused ``NAME_with_grad`` call in
    the forward, the kept gradient handed over in the backward (scaled unless ``grad_output``
    is exactly 1). The rarer cases fall through to the general code: a second backward of the
    same graph (``retain_graph=True``) recomputes with ``NAME_backward``, and
    ``create_graph=True`` marks the gradient as first-derivative-only.
    """

    @staticmethod
    def forward(ctx: _Ctx, call: tuple[Plan, str, dict[str, Any]], x: torch.Tensor, *rest: Any) -> torch.Tensor:
        plan, reduction, kwargs = call
        needs = ctx.needs_input_grad
        if True in needs[2:]:  # a target or weight that requires grad: refuse, as LossxFunction
            _refuse(plan, plan.arg_names[needs.index(True, 2) - 1])
        if plan.tensor_kwargs:
            kwargs = {k: v.detach().numpy() if isinstance(v, torch.Tensor) else v for k, v in kwargs.items()}
        # numpy(force=True): the detached view in one call (x requires grad)
        out, grad = plan.with_grad(x.numpy(force=True), *[a.numpy() if isinstance(a, torch.Tensor) else a for a in rest],
                                   reduction=reduction, **kwargs)
        ctx.g = _from_numpy(grad)
        ctx.fused = (call, x, rest)  # for the general backward (second backward, create_graph)
        return _from_numpy(out)

    @staticmethod
    def backward(ctx: _Ctx, grad_output: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        g = ctx.g
        if g is None or torch.is_grad_enabled():
            (plan, reduction, kwargs), x, rest = ctx.fused
            ctx.call = (plan, (True,), (x, *rest), reduction, kwargs)
            ctx.grads = None if g is None else (g,)
            ctx.g = None
            return (None,) + LossxFunction.backward(ctx, grad_output)[3:]  # (None, None, None, grad, ...) there
        ctx.g = None  # used once: autograd then keeps the tensor as .grad without a copy
        if grad_output.item() != 1.0:
            g.mul_(grad_output)
        return (None, g) + ctx.fused[0][0].rest


class _FirstDerivativeOnly(torch.autograd.Function):
    """Identity on a lossx gradient whose backward (a second derivative) raises."""

    @staticmethod
    def forward(ctx: _Ctx, name: str, grad: torch.Tensor, *inputs: torch.Tensor) -> torch.Tensor:
        ctx.name = name
        return grad.clone()

    @staticmethod
    def backward(ctx: _Ctx, *grad_outputs: torch.Tensor) -> NoReturn:
        raise RuntimeError(
            f"lossx.torch.functional.{ctx.name}: trying to differentiate twice (double backward, e.g. "
            "create_graph=True then grad again); lossx computes first derivatives only - use "
            f"torch.nn.functional.{ctx.name} where a second derivative is needed"
        )


def _arguments(ctx: _Ctx) -> tuple[Any, ...]:
    """The forward's positional arguments (reading saved_tensors checks that no tensor among
    them was modified in place since the forward)."""
    ctx.saved_tensors
    return ctx.call[2]


def _backward(ctx: _Ctx, grad_output: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
    plan, want, _, reduction, kwargs = ctx.call
    grads = ctx.grads
    if grads is not None:
        # The kept gradient is used once: dropping the reference lets autograd keep the
        # tensor as .grad without copying it (a 32 MB copy at (8192, 1000) float32).
        ctx.grads = None
        g = grad_output
        if g.dim() == 0:
            if g.item() != 1.0:  # loss.backward() passes exactly 1: nothing to scale
                for x in grads:
                    x.mul_(g)
        else:
            for x in grads:
                # plan.dim is None only where the output has the input's shape (then g.dim() == x.dim())
                x.mul_(g if g.dim() == x.dim() else g.unsqueeze(cast(int, plan.dim)))
    else:
        arrays = [a.detach().numpy() if isinstance(a, torch.Tensor) else a for a in _arguments(ctx)]
        grads = plan.backward(grad_output.detach().numpy(), *arrays, reduction=reduction, **kwargs)
        grads = tuple(map(torch.from_numpy, grads)) if isinstance(grads, tuple) else (torch.from_numpy(grads),)
    if plan.single:  # one differentiable argument, the first (which requires grad, or we would not be here)
        return (None, None, None, grads[0]) + plan.rest
    result: list[torch.Tensor | None] = [None] * (3 + len(plan.arg_names))
    for pos, wanted, grad in zip(plan.diff, want, grads):
        if wanted:
            result[3 + pos] = grad
    return tuple(result)


def _fallback_reason(t: torch.Tensor) -> str | None:
    if not t.is_cpu:
        return f"'{t.device.type}' tensors"
    if t.is_floating_point() and t.dtype not in _LOSSX_DTYPES:
        return f"{t.dtype} tensors"
    return None


def _refuse(plan: Plan, arg: str) -> NoReturn:
    grads = ", ".join(f"'{plan.arg_names[i]}'" for i in plan.diff)
    raise RuntimeError(
        f"lossx.torch.functional.{plan.name}: '{arg}' requires grad, but lossx computes gradients only "
        f"for {grads}; pass {arg}.detach() (or use torch.nn.functional.{plan.name} to differentiate it)"
    )


def _evaluate(plan: Plan, args: tuple[Any, ...], reduction: str, kwargs: dict[str, Any]) -> torch.Tensor:
    """The loss alone, outside autograd."""
    arrays = [a.detach().numpy() if isinstance(a, torch.Tensor) else a for a in args]
    if plan.tensor_kwargs:
        kwargs = {k: v.detach().numpy() if isinstance(v, torch.Tensor) else v for k, v in kwargs.items()}
    return torch.from_numpy(plan.forward(*arrays, reduction=reduction, **kwargs))


def _graph_break(fn: _F) -> _F:
    """``torch.compiler.disable`` (untyped in PyTorch's hints), keeping ``fn``'s type."""
    return cast(_F, torch.compiler.disable(fn))  # type: ignore[no-untyped-call]


def run(plan: Plan, args: tuple[Any, ...], reduction: str, kwargs: dict[str, Any]) -> torch.Tensor:
    """Compute ``plan``'s loss on ``args`` (tensors and plain values) through lossx, differentiably.

    ``args`` are the positional data arguments of lossx's function (dtype promotion
    already done by the caller); ``kwargs`` its options (``reduction`` apart).
    Under ``torch.compile`` this call is a graph break (through :func:`_run_outside_graph`,
    a ``torch.compiler.disable`` of this function): it runs eagerly, between the compiled
    graphs before and after it. Eager calls skip that wrapper, which costs a few
    microseconds per call (it switches the frame-evaluation hook twice).
    """
    if torch.compiler.is_compiling():
        return _run_outside_graph(plan, args, reduction, kwargs)
    for i in plan.diff:
        a = args[i]
        if isinstance(a, torch.Tensor):
            if a.dtype in _LOSSX_DTYPES and a.is_cpu:
                continue
            reason = _fallback_reason(a)
            if reason is not None:
                if plan.torch_fn is None:
                    raise TypeError(f"lossx.torch.functional.{plan.name}: '{plan.arg_names[i]}' must be a float32 or "
                                    f"float64 CPU tensor; got {a.dtype} on {a.device} (PyTorch has no such loss "
                                    "to fall back to)")
                _warn_fallback(plan.name, reason)
                return plan.torch_fn(*args, reduction=reduction, **kwargs)
        elif i == 0:
            raise TypeError(f"lossx.torch.functional.{plan.name}: '{plan.arg_names[0]}' must be a Tensor; "
                            f"got {type(a).__name__}")
    if not torch.is_grad_enabled():  # no_grad / inference_mode: no graph, just the loss
        return _evaluate(plan, args, reduction, kwargs)
    # A float tensor PyTorch would differentiate but lossx does not must not require grad:
    # options here; positional arguments in LossxFunction.forward (from needs_input_grad).
    if plan.tensor_kwargs:
        for k in plan.tensor_kwargs:
            v = kwargs.get(k)
            if isinstance(v, torch.Tensor) and v.requires_grad:
                _refuse(plan, k)
    if plan.single and reduction != "none" and args[0].requires_grad:
        if _fused_apply is not None and not torch._C._are_functorch_transforms_active():
            fused: torch.Tensor = _fused_apply((plan, reduction, kwargs), *args)
        else:
            fused = _FusedSingle.apply((plan, reduction, kwargs), *args)  # type: ignore[no-untyped-call]
        return fused
    out: torch.Tensor = LossxFunction.apply(plan, reduction, kwargs, *args)  # type: ignore[no-untyped-call]
    return out


_run_outside_graph = _graph_break(run)


def _c_apply(fn: type[torch.autograd.Function]) -> Callable[..., torch.Tensor] | None:
    """``fn.apply`` without its Python wrapper: the C implementation of ``Function.apply``
    (``torch._C._FunctionBase.apply``) bound to ``fn``, or None where this PyTorch lacks it.

    ``Function.apply`` itself is a Python classmethod that, for a function without
    ``setup_context`` and outside functorch transforms (``run`` checks that), only unwraps
    functorch's dead tensor wrappers and calls this; skipping it saves ~3 µs of a
    (64, 10) training step (``bench/bench_torch_adapter.py --breakdown``).
    """
    base = getattr(torch._C, "_FunctionBase", None)
    raw = getattr(base, "__dict__", {}).get("apply")
    if raw is None or not hasattr(raw, "__get__") or _is_setup_context_defined(fn):
        return None
    return cast(Callable[..., torch.Tensor], raw.__get__(None, fn))


def _is_setup_context_defined(fn: type[torch.autograd.Function]) -> bool:
    return fn.setup_context is not torch.autograd.Function.setup_context


_fused_apply = _c_apply(_FusedSingle)


def promote(*tensors: Any) -> tuple[Any, ...]:
    """Cast float tensors to their common dtype by PyTorch's type promotion (``torch.result_type``).

    Differentiable casts (outside the lossx node), so gradients come back in each
    tensor's own dtype. Non-float tensors and plain values are returned as they are.
    """
    floats = [t for t in tensors if isinstance(t, torch.Tensor) and t.is_floating_point()]
    if len(floats) < 2:
        return tensors
    dt = floats[0].dtype
    if all(t.dtype == dt for t in floats):
        return tensors
    # Two tensors: PyTorch's exact rule (a 0-d tensor does not promote a dimensioned one).
    # More (the three triplet inputs): the plain dtype lattice.
    if len(floats) == 2:
        dt = torch.result_type(floats[0], floats[1])
    else:
        for t in floats[1:]:
            dt = torch.promote_types(dt, t.dtype)
    return tuple(t.to(dt) if isinstance(t, torch.Tensor) and t.is_floating_point() else t for t in tensors)


def labels_as(target: _T, input: object) -> _T | torch.Tensor:
    """Integer or bool label tensors (±1, 0/1, counts) as the input's dtype, exactly as PyTorch promotes them."""
    if (isinstance(target, torch.Tensor) and isinstance(input, torch.Tensor) and not target.is_floating_point()
            and not target.is_complex() and input.is_floating_point()):
        return target.to(input.dtype)
    return target
