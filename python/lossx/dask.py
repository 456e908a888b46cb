# dask's public API is only partly annotated (blockwise, rechunk, from_array, ... are untyped):
# mypy --strict would flag every call into it, so this file lifts those two checks.
# mypy: disable-error-code="no-untyped-call,no-any-return"
"""lossx's losses over dask arrays: data beyond one machine, on a ``dask.distributed`` cluster.

``lossx.dask.NAME(...)`` exists for every loss ``lossx.NAME`` that has a reduction, with the
same arguments, names and defaults. It takes dask arrays chunked along the batch axis (NumPy
arrays and lists are wrapped) and returns a lazy dask array:

* ``reduction='none'``: the per-sample (or per-element) losses, with the shape and dtype of
  the in-memory call, chunked along the batch axis like the input;
* otherwise a 0-d dask array of the input's dtype. Each block computes the exact partial sums
  ``lossx.NAME_partial(...) -> (total, denominator)`` (see SPEC "Partial reductions"); the
  pairs are added in float64 in a tree reduction and divided once at the end, so ``'mean'``
  with class weights or ``ignore_index`` is ``sum(w * loss) / sum(w)`` over the whole batch,
  ``kl_div``'s ``'batchmean'`` divides by the whole batch and CTC's ``'mean'`` divides each
  sample by its own target length. The result agrees with the in-memory call to rounding
  (the chunks are summed in another order: 1e-12 relative in float64).

Chunking rules (the batch axis is axis 0, and axis 1 of CTC's ``log_probs`` ``(T, N, C)``):

* per-row arguments (the predictions, ``target``, ``labels``, CTC's ``targets`` and lengths,
  and ``weight``/``pos_weight``/``var`` when they carry one value per row) are aligned to the
  batch chunks of the first dask argument (the prediction if it is one); another chunking is
  rechunked to it, and a NumPy array is wrapped with those chunks. With no dask argument at
  all, the batch is cut into chunks of dask's ``array.chunk-size`` (128 MiB by default);
* a chunk that splits another axis (the class axis, the feature axis, CTC's time axis) is
  rechunked into one block along that axis: each block holds whole rows;
* arguments without a batch axis (a class ``weight`` ``(C,)``, a broadcast ``weight``
  ``(1, C)``, options) go whole to every block;
* CTC targets concatenated 1-D (``(sum(target_lengths),)``) are cut at the offsets of the
  batch chunks; when ``target_lengths`` is a dask array it is computed first (N integers);
* ``batch_hard_triplet_loss`` mines every anchor's hardest pair over the whole batch, so its
  batch must be one chunk (``ValueError`` otherwise; NumPy inputs are one chunk);
* an unbatched call (a 1-D ``input`` of ``cross_entropy``, CTC's ``(T, C)``, a 0-d input of
  an elementwise loss) is one task.

Shapes, dtypes and options are checked when the graph is built (lossx itself is called on
an empty batch of the same layout), so a wrong shape raises at once; checks that need the
values (a class index out of range, a negative length) raise when the graph is computed.
The blocks call ``lossx.NAME`` / ``lossx.NAME_partial`` in the workers, which use lossx's own
thread count (``lossx.set_num_threads``; by default all cores of the worker's machine: with
several single-threaded workers on one machine, ``client.run(lossx.set_num_threads, 1)``).

Example::

    import numpy as np, dask.array as da, lossx.dask
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1) as cluster, Client(cluster):
        logits = da.random.default_rng(0).standard_normal((1_000_000, 100), chunks=(100_000, 100))
        labels = da.random.default_rng(1).integers(0, 100, 1_000_000, chunks=100_000)
        w = np.linspace(0.5, 2.0, 100)
        mean = lossx.dask.cross_entropy(logits, labels, w, ignore_index=3).compute()
        per_row = lossx.dask.cross_entropy(logits, labels, reduction="none")  # lazy (1000000,)

Install with ``pip install "lossx[dask]"`` (dask[array], distributed, zarr).
"""

from __future__ import annotations

import functools
import inspect
import itertools
import math
import os
from dataclasses import dataclass
from typing import Any, Callable, Dict, Optional, Tuple

import numpy as np

try:
    import dask
    import dask.array as da
except ImportError as _e:  # pragma: no cover - exercised only without dask
    raise ImportError(
        "lossx.dask needs dask: pip install 'lossx[dask]' (or: pip install 'dask[array]' distributed)"
    ) from _e

import lossx as _lx

from . import _convert as cv
from ._api import LossFunction, P

__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "batch_hard_triplet_loss",
    "cosine_embedding_loss",
    "cross_entropy",
    "ctc_loss",
    "evaluate",
    "from_path",
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


@dataclass(frozen=True)
class _Layout:
    """Which arguments of a loss hold one entry per batch row, and along which axis.

    ``pred``: the prediction arrays (their batch axis is ``batch_axis``); ``rows``: other
    per-row arrays (batch axis 0); ``bcast``: parameters broadcast onto the input, which are
    per-row when they have the input's number of dims (``var``: or one fewer) and the batch's
    length along axis 0, and whole otherwise; ``index``: row arguments holding integers (kept
    integer when given as lists). The call is batched when the first prediction has at
    least ``batched_ndim`` dims; ``whole_batch``: the loss needs the whole batch in one block.
    """

    pred: Tuple[str, ...]
    rows: Tuple[str, ...] = ("target",)
    bcast: Tuple[str, ...] = ()
    index: Tuple[str, ...] = ()
    batched_ndim: int = 1
    batch_axis: int = 0
    whole_batch: bool = False


_ELEMENTWISE = _Layout(("input",), bcast=("weight", "pos_weight", "var"))
_CLASS_INDEX = _Layout(("input",), index=("target",), batched_ndim=2)
_ROWWISE = _Layout(("input",), batched_ndim=2)

#: Every loss of this module: name -> (the in-memory lossx function, its layout).
_LOSSES: Dict[str, Tuple[Callable[..., Any], _Layout]] = {}


def _dask_loss(f: LossFunction[P], layout: _Layout) -> Callable[P, da.Array]:
    """``lossx.dask.NAME``: ``lossx.NAME``'s signature and documentation, over dask arrays."""
    name: str = getattr(f, "__name__")
    _LOSSES[name] = (f, layout)

    def call(*args: P.args, **kwargs: P.kwargs) -> da.Array:
        return _evaluate(name, args, kwargs)

    sig = inspect.signature(f)
    call.__name__ = call.__qualname__ = name
    call.__module__ = __name__
    call.__signature__ = sig.replace(return_annotation="dask.array.Array")  # type: ignore[attr-defined]
    call.__doc__ = _doc(name, layout, f.__doc__ or "")
    return call


def _doc(name: str, layout: _Layout, inner: str) -> str:
    summary = inner.strip().splitlines()[0] if inner.strip() else name
    rows = [*layout.pred, *layout.rows, *layout.bcast]
    sig = inspect.signature(getattr(_lx, name))
    rows = [r for r in rows if r in sig.parameters]
    where = "axis 1 of ``log_probs`` (T, N, C), axis 0 of the others" if layout.batch_axis else "axis 0"
    special = ""
    if layout.whole_batch:
        special = ("\n    Anchors are mined over the whole batch: the batch must be one chunk (``ValueError``\n"
                   "    otherwise; rechunk with ``x.rechunk({0: -1})`` if it fits in one worker's memory).\n")
    if name == "ctc_loss":
        special = ("\n    ``targets`` padded ``(N, S)`` are chunked like the batch; concatenated 1-D targets are cut\n"
                   "    at each chunk's offset (a dask ``target_lengths`` is computed for that: N integers).\n")
    if any(b in sig.parameters for b in layout.bcast):
        special += ("\n    " + ", ".join(f"``{b}``" for b in layout.bcast if b in sig.parameters)
                    + " is split with the batch when it has one entry per row along axis 0, and\n"
                    "    goes whole to every block when it is broadcast (e.g. ``(C,)`` or ``(1, C)``).\n")
    return f"""{summary} Over dask arrays.

    ``lossx.dask.{name}`` takes the arguments of :func:`lossx.{name}` (same names, order
    and defaults). The per-row arguments ({", ".join(f"``{r}``" for r in rows)}) may be dask
    arrays chunked along the batch axis ({where}) or NumPy arrays; they are aligned to the
    batch chunks of the first dask argument, and a chunk that splits another axis is
    rechunked to whole rows. Other arguments go whole to every block.{special}
    Returns a lazy dask array: for ``reduction='none'`` the losses with the shape and dtype
    of the in-memory call, chunked along the batch; otherwise a 0-d array of the input's
    dtype, reduced exactly across chunks through :func:`lossx.{name}_partial` (float64
    partial sums ``(total, denominator)``, added in a tree, divided once). ``.compute()``
    runs it on the current scheduler (a ``distributed.Client`` if one is active).

    Shape and option errors raise here; value errors (e.g. a class index out of range) raise
    in ``.compute()``. See the module documentation for the chunking rules.

    The in-memory function's documentation (:func:`lossx.{name}`) follows.

    {inner.strip()}
    """


# ------------------------------------------------------------------------------------------------ arguments


def _where(name: str) -> str:
    return f"lossx.dask.{name}"


def _known_shape(a: da.Array, arg: str, name: str) -> None:
    if any(isinstance(s, float) and math.isnan(s) for s in a.shape) or any(
        isinstance(c, float) and math.isnan(c) for cs in a.chunks for c in cs
    ):
        raise ValueError(
            f"{_where(name)}: '{arg}' has unknown chunk sizes (shape {a.shape}); "
            f"call {arg}.compute_chunk_sizes() first"
        )


def _array(v: Any, arg: str, name: str, kind: str, dtype: Optional[np.dtype]) -> Any:
    """A dask array stays as it is; anything else becomes a NumPy array with lossx's list rules.

    ``kind``: ``'pred'`` (lists become float64), ``'index'`` (integer lists stay integer),
    ``'value'`` (lists become the prediction's dtype, as lossx converts list targets).
    """
    if isinstance(v, da.Array):
        _known_shape(v, arg, name)
        return v
    if cv._is_array_like(v):
        return cv.array(v, arg, name)
    if kind == "pred":
        try:
            return np.asarray(v, dtype=np.float64)
        except (TypeError, ValueError) as e:
            raise TypeError(f"{_where(name)}: '{arg}' must be an array of numbers; got {type(v).__name__} ({e})") from None
    a = np.asarray(v)
    if dtype is not None and (a.dtype.kind == "f" or (kind == "value" and a.dtype.kind in "iub")):
        a = a.astype(dtype)
    return a


def _zero_rows(a: Any, axis: int) -> np.ndarray:
    """An empty batch of ``a``'s layout (for the check call): a NumPy view, or an empty array."""
    if isinstance(a, da.Array):
        shape = list(a.shape)
        shape[axis] = 0
        return np.empty(tuple(shape), dtype=a.dtype)
    return a[(slice(None),) * axis + (slice(0, 0),)]


def _placeholder(a: Any) -> Any:
    """A whole-argument dask array in the check call: ones of its shape and dtype (never read for shapes)."""
    if isinstance(a, da.Array):
        return np.ones(a.shape, dtype=a.dtype)
    return a


def _chunks_for(shape: Tuple[int, ...], axis: int, bchunks: Tuple[int, ...]) -> Tuple[Tuple[int, ...], ...]:
    """Chunks holding whole rows: ``bchunks`` along ``axis``, one block along every other axis."""
    return tuple(bchunks if k == axis else (n,) for k, n in enumerate(shape))


def _aligned(a: Any, axis: int, bchunks: Tuple[int, ...]) -> da.Array:
    """``a`` as a dask array with the batch chunks along ``axis`` and whole rows."""
    chunks = _chunks_for(tuple(a.shape), axis, bchunks)
    if isinstance(a, da.Array):
        return a if a.chunks == chunks else a.rechunk(chunks)
    return da.from_array(a, chunks=chunks, name=False)


def _whole(a: da.Array) -> da.Array:
    """A dask array in one block (it goes whole to every task)."""
    return a if a.npartitions == 1 else a.rechunk(tuple((n,) for n in a.shape))


# ------------------------------------------------------------------------------------------------ blocks


def _block(name: str, names: Tuple[str, ...], blocks: Tuple[bool, ...], mode: str, *values: Any) -> np.ndarray:
    """One task: ``lossx.NAME`` on a block (``'none'``), or its partial sums as a ``(1, 2)`` float64 array.

    ``blocks`` marks the arguments that are dask blocks. blockwise runs with ``concatenate=False``
    (with ``True`` it would copy every block through ``concatenate`` even when an axis has one
    block), so those come wrapped in one single-item list per axis outside the batch.
    """
    f = _LOSSES[name][0]
    unwrapped = []
    for is_block, v in zip(blocks, values):
        while is_block and isinstance(v, list):
            v = v[0]
        unwrapped.append(v)
    kwargs = dict(zip(names, unwrapped))
    if mode == "none":
        return f(**kwargs)
    total, denom = f.partial(**kwargs)  # type: ignore[attr-defined]
    return np.array([[total, denom]], dtype=np.float64)


def _finish(sums: np.ndarray, reduction: str, dtype: np.dtype) -> np.ndarray:
    """The reduction from the summed ``(total, denominator)``: ``total`` for ``'sum'``, else their quotient."""
    total, denom = np.float64(sums[0]), np.float64(sums[1])
    if reduction == "sum":
        return np.asarray(total, dtype=dtype)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(total / denom, dtype=dtype)


#: Partial sums combined per step of the tree reduction.
_SPLIT_EVERY = 16


def _evaluate(name: str, args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> da.Array:
    f, layout = _LOSSES[name]
    sig = inspect.signature(f)
    try:
        bound = sig.bind(*args, **kwargs)
    except TypeError as e:
        raise TypeError(f"{_where(name)}(): {e}") from None
    bound.apply_defaults()
    values: Dict[str, Any] = dict(bound.arguments)
    params = tuple(sig.parameters)
    reduction = values.get("reduction")

    # 1. Arrays: dask arrays as they are, the rest as NumPy arrays (lossx's rules for lists).
    for p in layout.pred:
        values[p] = _array(values[p], p, name, "pred", None)
    p0 = values[layout.pred[0]]
    pdtype = p0.dtype if p0.dtype.kind == "f" else None
    for r in layout.rows:
        if r in values and values[r] is not None:
            values[r] = _array(values[r], r, name, "index" if r in layout.index else "value", pdtype)
    bcast = [b for b in layout.bcast if b in values and values[b] is not None and not isinstance(values[b], float)]
    for b in bcast:
        values[b] = _array(values[b], b, name, "param", None)

    batched = p0.ndim >= layout.batched_ndim
    if not batched:
        return _unbatched(name, f, params, values, reduction)

    # 2. Which arguments are split with the batch, and along which axis.
    bax = layout.batch_axis
    n = int(p0.shape[bax])
    axes: Dict[str, int] = {p: bax for p in layout.pred}
    axes.update({r: 0 for r in layout.rows if r in values and values[r] is not None and values[r].ndim >= 1})
    for b in bcast:
        # Per row: the input's number of dims (NumPy broadcasting aligns trailing dims, so an
        # (N,) weight of an (N, C) input is per column), or for gaussian_nll_loss's var also the
        # input's shape without its last dim (PyTorch's one-variance-per-row form).
        v = values[b]
        per_row_ndim = (p0.ndim, p0.ndim - 1) if b == "var" else (p0.ndim,)
        if n != 1 and v.ndim >= 1 and v.ndim in per_row_ndim and v.shape[0] == n:
            axes[b] = 0
    concatenated = name == "ctc_loss" and values["targets"].ndim == 1
    for a, ax in axes.items():
        if a == "targets" and concatenated:
            continue
        v = values[a]
        if v.ndim <= ax or v.shape[ax] != n:
            raise ValueError(
                f"{_where(name)}: '{a}' must have {n} rows along axis {ax} to match '{layout.pred[0]}' "
                f"of shape {tuple(p0.shape)} (batch axis {bax}); got shape {tuple(v.shape)}"
            )

    # 3. Check shapes, dtypes and options now: lossx on an empty batch of the same layout.
    check = dict(values)
    for a, ax in axes.items():
        check[a] = _zero_rows(values[a], ax)
    for a in params:
        if a not in axes:
            check[a] = _placeholder(values[a])
    meta = np.asarray(f(**check))

    # 4. The batch chunks: those of the first dask row argument, else dask's automatic size.
    first = next((a for a in axes if isinstance(values[a], da.Array) and not (a == "targets" and concatenated)), None)
    if first is not None:
        bchunks = tuple(int(c) for c in values[first].chunks[axes[first]])
    elif layout.whole_batch:
        bchunks = (n,)
    else:
        auto = {k: ("auto" if k == bax else -1) for k in range(p0.ndim)}
        bchunks = tuple(int(c) for c in da.core.normalize_chunks(auto, p0.shape, dtype=p0.dtype)[bax])
    if layout.whole_batch and len(bchunks) > 1:
        raise ValueError(
            f"{_where(name)}: the batch must be one chunk (anchors are mined over the whole batch); "
            f"'{first}' has {len(bchunks)} chunks along axis {axes[first] if first else bax}: "
            f"rechunk with .rechunk({{0: -1}}) if it fits in one worker's memory"
        )

    # 5. Every split argument aligned to the batch chunks (whole rows), the rest whole.
    for a, ax in axes.items():
        if a == "targets" and concatenated:
            values[a] = _concatenated_targets(name, values, bchunks)
        else:
            values[a] = _aligned(values[a], ax, bchunks)
    letters = (f"a{k}" for k in itertools.count())
    pairs: list[Any] = []
    for a in params:
        v = values[a]
        if a in axes:
            pairs += [v, tuple("b" if k == axes[a] else next(letters) for k in range(v.ndim))]
        elif isinstance(v, da.Array):
            v = _whole(v)
            pairs += [v, tuple(next(letters) for _ in range(v.ndim))]
        else:
            pairs += [v, None]

    blocks = tuple(ind is not None for ind in pairs[1::2])
    token = f"lossx-{name}"
    if reduction == "none":
        trailing = tuple(next(letters) for _ in meta.shape[1:])
        return da.blockwise(
            functools.partial(_block, name, params, blocks, "none"), ("b", *trailing), *pairs,
            new_axes=dict(zip(trailing, meta.shape[1:])), adjust_chunks={"b": bchunks},
            concatenate=False, align_arrays=False, dtype=meta.dtype, meta=np.empty((0,) * meta.ndim, meta.dtype),
            token=token,
        )
    parts = da.blockwise(
        functools.partial(_block, name, params, blocks, "partial"), ("b", "z"), *pairs,
        new_axes={"z": 2}, adjust_chunks={"b": 1}, concatenate=False, align_arrays=False,
        dtype=np.float64, meta=np.empty((0, 0), np.float64), token=token + "-partial",
    )
    return _reduce(parts, name, str(reduction), meta.dtype)


def _reduce(parts: da.Array, name: str, reduction: str, dtype: np.dtype) -> da.Array:
    """The 0-d result from the ``(blocks, 2)`` partial sums: a float64 tree sum, then one division."""
    sums = parts.sum(axis=0, dtype=np.float64, split_every=_SPLIT_EVERY)
    return sums.map_blocks(_finish, reduction, dtype, drop_axis=0, dtype=dtype,
                           meta=np.empty((), dtype), token=f"lossx-{name}-{reduction}")


def _concatenated_targets(name: str, values: Dict[str, Any], bchunks: Tuple[int, ...]) -> da.Array:
    """CTC's concatenated 1-D targets, cut at the offsets of the batch chunks."""
    tl = values["target_lengths"]
    lengths = np.asarray(tl.compute() if isinstance(tl, da.Array) else tl).astype(np.int64)
    if (lengths < 0).any():
        raise ValueError(f"{_where(name)}: 'target_lengths' must be >= 0; got {int(lengths.min())}")
    ends = np.cumsum(bchunks)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    sizes = tuple(int(s) for s in np.diff(np.concatenate([[0], offsets[ends]])))
    targets = values["targets"]
    if int(offsets[-1]) != targets.shape[0]:
        raise ValueError(
            f"{_where(name)}: concatenated 'targets' must have sum(target_lengths) = {int(offsets[-1])} "
            f"entries; got {targets.shape[0]}"
        )
    return _aligned(targets, 0, sizes)


def _unbatched(name: str, f: Callable[..., Any], params: Tuple[str, ...], values: Dict[str, Any],
               reduction: Any) -> da.Array:
    """An unbatched call (one row, or a 0-d elementwise input): one task over whole arguments."""
    dasks = [a for a in params if isinstance(values[a], da.Array)]
    if not dasks:
        meta = np.asarray(f(**values))  # the whole thing is one row: checking it is computing it
        dtype = meta.dtype
    else:
        p0 = values[_LOSSES[name][1].pred[0]]
        if p0.dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
            raise TypeError(f"{_where(name)}: '{_LOSSES[name][1].pred[0]}' must be a float32 or float64 array; "
                            f"got an array of dtype {p0.dtype}")
        dtype = p0.dtype
    letters = (f"a{k}" for k in itertools.count())
    pairs: list[Any] = []
    for a in params:
        v = values[a]
        if isinstance(v, da.Array):
            v = _whole(v)
            pairs += [v, tuple(next(letters) for _ in range(v.ndim))]
        else:
            pairs += [v, None]
    blocks = tuple(ind is not None for ind in pairs[1::2])
    if reduction == "none":
        return da.blockwise(functools.partial(_block, name, params, blocks, "none"), (), *pairs, concatenate=False,
                            dtype=dtype, meta=np.empty((), dtype), token=f"lossx-{name}")
    parts = da.blockwise(functools.partial(_block, name, params, blocks, "partial"), ("y", "z"), *pairs,
                         new_axes={"y": 1, "z": 2}, concatenate=False, dtype=np.float64,
                         meta=np.empty((0, 0), np.float64), token=f"lossx-{name}-partial")
    return _reduce(parts, name, str(reduction), dtype)


# ------------------------------------------------------------------------------------------------ the losses

binary_cross_entropy = _dask_loss(_lx.binary_cross_entropy, _ELEMENTWISE)
binary_cross_entropy_with_logits = _dask_loss(_lx.binary_cross_entropy_with_logits, _ELEMENTWISE)
batch_hard_triplet_loss = _dask_loss(_lx.batch_hard_triplet_loss, _Layout(
    ("embeddings",), rows=("labels",), index=("labels",), batched_ndim=2, whole_batch=True))
cosine_embedding_loss = _dask_loss(_lx.cosine_embedding_loss, _Layout(("input1", "input2"), batched_ndim=2))
cross_entropy = _dask_loss(_lx.cross_entropy, _CLASS_INDEX)
ctc_loss = _dask_loss(_lx.ctc_loss, _Layout(
    ("log_probs",), rows=("targets", "input_lengths", "target_lengths"),
    index=("targets", "input_lengths", "target_lengths"), batched_ndim=3, batch_axis=1))
gaussian_nll_loss = _dask_loss(_lx.gaussian_nll_loss, _ELEMENTWISE)
hinge_embedding_loss = _dask_loss(_lx.hinge_embedding_loss, _ELEMENTWISE)
huber_loss = _dask_loss(_lx.huber_loss, _ELEMENTWISE)
kl_div = _dask_loss(_lx.kl_div, _ELEMENTWISE)
l1_loss = _dask_loss(_lx.l1_loss, _ELEMENTWISE)
margin_ranking_loss = _dask_loss(_lx.margin_ranking_loss, _Layout(("input1", "input2")))
mse_loss = _dask_loss(_lx.mse_loss, _ELEMENTWISE)
multi_margin_loss = _dask_loss(_lx.multi_margin_loss, _CLASS_INDEX)
multilabel_margin_loss = _dask_loss(_lx.multilabel_margin_loss, _CLASS_INDEX)
multilabel_soft_margin_loss = _dask_loss(_lx.multilabel_soft_margin_loss, _ROWWISE)
nll_loss = _dask_loss(_lx.nll_loss, _CLASS_INDEX)
poisson_nll_loss = _dask_loss(_lx.poisson_nll_loss, _ELEMENTWISE)
smooth_l1_loss = _dask_loss(_lx.smooth_l1_loss, _ELEMENTWISE)
soft_margin_loss = _dask_loss(_lx.soft_margin_loss, _ELEMENTWISE)
triplet_margin_loss = _dask_loss(_lx.triplet_margin_loss, _Layout(
    ("anchor", "positive", "negative"), rows=(), batched_ndim=2))


# ------------------------------------------------------------------------------------------------ by name, files


def evaluate(name: str, *args: Any, **kwargs: Any) -> da.Array:
    """``lossx.dask.NAME(*args, **kwargs)`` for a loss given by name (for command-line front ends).

    ``name`` is a loss of lossx with a reduction (``'cross_entropy'``, ``'ctc_loss'``, ...; a
    ``ValueError`` lists them otherwise). Returns the lazy dask array of that function.

    Example::

        x = lossx.dask.from_path("logits.npy", chunk_rows=100_000)
        y = lossx.dask.from_path("labels.npy", chunk_rows=100_000)
        mean = float(lossx.dask.evaluate("cross_entropy", x, y, ignore_index=-1).compute())
    """
    if not isinstance(name, str) or name not in _LOSSES:
        raise ValueError(f"lossx.dask.evaluate: unknown loss {name!r}; one of {', '.join(sorted(_LOSSES))}")
    return _evaluate(name, args, kwargs)


class _NpyRows:
    """A ``.npy`` file as an array-like for ``da.from_array``: each read maps the file, copies the
    requested rows and unmaps it, so a task holds only its own chunk (and only the path travels
    to the workers, which must see the file at the same path)."""

    def __init__(self, path: str, shape: Tuple[int, ...], dtype: np.dtype) -> None:
        self.path, self.shape, self.dtype, self.ndim = path, shape, dtype, len(shape)

    def __getitem__(self, key: Any) -> np.ndarray:
        mm = np.load(self.path, mmap_mode="r")
        try:
            return np.array(mm[key])
        finally:
            del mm


def _positive_rows(chunk_rows: Any) -> Optional[int]:
    if chunk_rows is None:
        return None
    if isinstance(chunk_rows, bool) or not isinstance(chunk_rows, (int, np.integer)) or chunk_rows < 1:
        raise ValueError(f"lossx.dask.from_path: 'chunk_rows' must be a positive int or None; got {chunk_rows!r}")
    return int(chunk_rows)


def from_path(path: "str | os.PathLike[str]", chunk_rows: Optional[int] = None) -> da.Array:
    """Open a ``.npy`` file or a zarr array as a dask array chunked along axis 0 (whole rows).

    * ``file.npy``: read lazily; each task memory-maps the file, copies its rows and unmaps it
      (nothing is read when the graph is built; the workers must see the file at the same path).
    * a zarr array: ``store.zarr`` (an array at the root) or ``store.zarr:name`` (an array in a
      group), read with :func:`dask.array.from_zarr` (needs ``zarr``).

    ``chunk_rows``: rows per chunk; ``None`` picks dask's automatic size (``array.chunk-size``,
    128 MiB by default) for whole rows. Every other axis is one block, as ``lossx.dask``'s
    losses need. A missing file, a file that is not an array, an unknown format or a ``.npz``
    archive (whose members cannot be read by chunks) raises ``ValueError`` naming the path.

    Example::

        logits = lossx.dask.from_path("logits.npy", chunk_rows=200_000)
        labels = lossx.dask.from_path("labels.zarr")
        lossx.dask.cross_entropy(logits, labels).compute()
    """
    rows = _positive_rows(chunk_rows)
    p = os.fspath(path)
    component: Optional[str] = None
    if not os.path.exists(p) and ":" in p:
        base, _, rest = p.rpartition(":")
        if os.path.isdir(base):
            p, component = base, rest
    if ".npz" in os.path.basename(p):
        raise ValueError(f"lossx.dask.from_path: '{p}': .npz archives cannot be read by chunks (a member is "
                         "read whole); save the array as .npy (np.save) or zarr")
    if not os.path.exists(p):
        raise ValueError(f"lossx.dask.from_path: '{p}': no such file or directory")
    if os.path.isdir(p):
        try:
            arr = da.from_zarr(p, component=component)
        except ImportError:
            raise ValueError(f"lossx.dask.from_path: '{p}' is a directory: reading zarr needs "
                             "pip install zarr (or 'lossx[dask]')") from None
        except Exception as e:
            raise ValueError(f"lossx.dask.from_path: '{p}'{':' + component if component else ''} "
                             f"is not a zarr array ({type(e).__name__}: {e})") from None
    elif p.endswith(".npy"):
        try:
            mm = np.load(p, mmap_mode="r")
        except Exception as e:
            raise ValueError(f"lossx.dask.from_path: '{p}' is not a readable .npy array ({e})") from None
        if not isinstance(mm, np.ndarray) or mm.dtype.hasobject:
            raise ValueError(f"lossx.dask.from_path: '{p}' is not a numeric .npy array")
        shape, dtype = tuple(mm.shape), mm.dtype
        del mm
        if not shape:
            return da.from_array(_NpyRows(p, shape, dtype), chunks=(), meta=np.empty((), dtype))
        arr = da.from_array(_NpyRows(p, shape, dtype), chunks=_rows_chunks(shape, dtype, rows),
                            meta=np.empty((0,) * len(shape), dtype), name=f"lossx-npy-{dask.base.tokenize(p, os.path.getmtime(p), rows)}")
        return arr
    else:
        raise ValueError(f"lossx.dask.from_path: '{p}': unknown format (expected a .npy file or a zarr directory)")
    if arr.ndim == 0:
        return arr
    return arr.rechunk(_rows_chunks(arr.shape, arr.dtype, rows))


def _rows_chunks(shape: Tuple[int, ...], dtype: np.dtype, rows: Optional[int]) -> Tuple[Tuple[int, ...], ...]:
    """Chunks of whole rows: ``rows`` per chunk, or dask's automatic size."""
    auto = {k: (rows or "auto") if k == 0 else -1 for k in range(len(shape))}
    return tuple(tuple(int(c) for c in cs) for cs in da.core.normalize_chunks(auto, shape, dtype=dtype))
