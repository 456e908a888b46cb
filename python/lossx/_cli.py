"""The ``lossx`` command (also ``python -m lossx``).

Subcommands:

* ``lossx eval LOSS --input preds.npy --target labels.npy [...]``: evaluate a loss over ``.npy`` /
  ``.npz`` files of any size, chunk by chunk along the batch axis in bounded memory; reduced
  results come from the exact partial sums (``NAME_partial``), so they equal the in-memory call;
  ``--reduction none --out losses.npy`` writes the per-sample losses; ``--by-class`` prints a
  per-class report, ``--plot`` draws it, ``--json`` writes a summary.
* ``lossx list [LOSS ...]``: the losses, the arrays they read and their options with defaults,
  taken from the functions' signatures.
* ``lossx demo``: a first run on data shipped with the package (``lossx.demo``).
* ``lossx --version``.

Errors are one line on stderr (``lossx: error: ...``) naming the file or option and the
problem, with exit status 2 for a usage error (unknown loss, option or flag), 1 for bad data
(missing file, corrupt header, mismatched shapes, wrong dtype, an error raised by the loss
itself), 130 after Ctrl-C. Output files are written under temporary names and renamed only
when the whole run succeeded. ``LOSSX_DEBUG=1`` shows the traceback of an unexpected error.
"""

from __future__ import annotations

import argparse
import ast
import collections
import concurrent.futures
import difflib
import importlib.util
import inspect
import json
import math
import os
import re
import signal
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np

import lossx

from ._npyio import ArrayFile, ArrayFileError, NpyWriter, atomic_path, release_temp, remove_live_temps, remove_temp
from ._report import ClassAccumulator, LossSummary, format_class_report, plot_losses

__all__ = ["main", "loss_specs", "LossSpec", "parse_option_value", "CliError"]

# ---------------------------------------------------------------------------------------------
# What a loss reads, derived from its Python signature
# ---------------------------------------------------------------------------------------------

#: Required parameters that are not predictions, and the flag that supplies each.
_ROLE_FLAGS = {
    "target": "--target",
    "targets": "--target",
    "labels": "--target",
    "var": "--var",
    "input_lengths": "--input-lengths",
    "target_lengths": "--target-lengths",
}

#: The prediction's number of dims from which it holds a batch (fewer: one unbatched sample, read
#: whole). Elementwise losses (not listed) are batched from 1-D on: their axis 0 is always the batch.
_BATCHED_NDIM = {
    "cross_entropy": 2, "nll_loss": 2, "multi_margin_loss": 2, "multilabel_margin_loss": 2,
    "multilabel_soft_margin_loss": 2, "cosine_embedding_loss": 2, "triplet_margin_loss": 2,
    "batch_hard_triplet_loss": 2, "ctc_loss": 3,
}

#: Losses whose chunks are not a split of one batch (anchors are mined over the whole batch).
_WHOLE_BATCH = {"batch_hard_triplet_loss"}

#: ``--by-class``: what the labels are. Class-index losses report per class, the ±1 and 0/1 label
#: losses per target value.
_BY_CLASS = {
    "cross_entropy": "class index", "nll_loss": "class index", "multi_margin_loss": "class index",
    "batch_hard_triplet_loss": "class label",
    "hinge_embedding_loss": "target value (-1/+1)", "soft_margin_loss": "target value (-1/+1)",
    "margin_ranking_loss": "target value (-1/+1)", "cosine_embedding_loss": "target value (-1/+1)",
    "binary_cross_entropy": "target value (0/1)", "binary_cross_entropy_with_logits": "target value (0/1)",
}



#: Default bytes of input per chunk (all arrays of a chunk together). A mapped chunk is read by the
#: kernel straight from the page cache, as an in-memory call reads its arrays, so the size does
#: not need to fit a cache; it only has to amortise the per-chunk costs (the mapping and unmapping,
#: whose TLB shootdown interrupts every core the process runs on, and a few tens of microseconds of
#: Python). Measured on cross_entropy (N, 100) float32: the process's CPU time drops from 1.6x
#: the in-memory call's at 1 MiB chunks to 1.1x at 16-32 MiB (bench/results_cli.md). threads + 1
#: chunks are in flight: their pages are mapped file pages (page cache), not anonymous memory.
CHUNK_BYTES = 16 << 20

#: ...but at least this many chunks when the data allows, so that the threads share the work evenly
#: (a file of a few chunks would leave a thread idle), and never below this size. The chunking depends
#: on the data's shape only, never on the thread count: a result is bitwise the same for any --threads.
MIN_CHUNKS = 16
MIN_CHUNK_BYTES = 256 << 10

#: Arrays whose chunks are smaller than this are copied (pread) rather than mapped: for a small
#: chunk the mapping costs more than the copy (e.g. the int64 labels next to (N, 100) logits).
MIN_MAP_BYTES = 1 << 20


@dataclass
class OptionSpec:
    """One keyword option of a loss: name, default and kind ('int', 'float', 'bool', 'array', 'value')."""

    name: str
    default: Any
    kind: str
    annotation: str


@dataclass
class LossSpec:
    """What ``lossx eval`` needs to know about a loss, read off its signature and docstring."""

    name: str
    fn: Any  # the loss function (with .partial)
    arrays: List[str]  # required parameters, in order
    predictions: List[str]  # the arrays given by --input, in order
    options: Dict[str, OptionSpec]
    reductions: List[str]
    default_reduction: str
    summary: str
    by_class: Optional[str] = None

    def flag(self, param: str) -> str:
        """The command-line flag that supplies the array ``param``."""
        return _ROLE_FLAGS.get(param, "--input")


def _kind(annotation: Any, default: Any) -> str:
    ann = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", str(annotation))
    if "ArrayLike" in ann:
        return "array"
    for k in ("bool", "int", "float"):
        if re.fullmatch(rf"{k}(\s*\|\s*None)?", ann.strip()):
            return k
    if isinstance(default, bool):
        return "bool"
    if isinstance(default, int):
        return "int"
    if isinstance(default, float):
        return "float"
    return "value"


def _reductions(fn: Callable[..., Any]) -> List[str]:
    """The reductions a loss accepts, from the ``reduction:`` line of its docstring."""
    for line in (fn.__doc__ or "").splitlines():
        m = re.match(r"\s*reduction:\s*(.*)", line)
        if m:
            found = re.findall(r"``'(\w+)'``", m.group(1).split("(")[0])
            if found:
                return found
    return ["none", "mean", "sum"]


_SPECS: Dict[str, LossSpec] = {}


def loss_specs() -> Dict[str, LossSpec]:
    """Every loss that ``lossx eval`` can evaluate (those with a ``reduction`` and partial sums), by name."""
    if _SPECS:
        return _SPECS
    for name in sorted(lossx.__all__):
        fn = getattr(lossx, name)
        if not callable(getattr(fn, "partial", None)):
            continue
        sig = inspect.signature(fn)
        arrays, options = [], {}
        default_reduction = "mean"
        for p in sig.parameters.values():
            if p.name == "reduction":
                default_reduction = p.default
            elif p.default is inspect.Parameter.empty:
                arrays.append(p.name)
            else:
                options[p.name] = OptionSpec(p.name, p.default, _kind(p.annotation, p.default), str(p.annotation))
        doc = (fn.__doc__ or "").strip().splitlines()
        _SPECS[name] = LossSpec(
            name=name, fn=fn, arrays=arrays, predictions=[a for a in arrays if a not in _ROLE_FLAGS],
            options=options, reductions=_reductions(fn), default_reduction=default_reduction,
            summary=doc[0] if doc else "", by_class=_BY_CLASS.get(name))
    return _SPECS


# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------


class CliError(Exception):
    """A problem to report in one line, with the exit status to return (2: usage, 1: data)."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


class _Interrupted(BaseException):
    """SIGTERM while evaluating (cleaned up like Ctrl-C)."""


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are a one-line :class:`CliError` (status 2), not usage + exit."""

    #: The subcommand being parsed (for the help hint of errors the top-level parser reports).
    command: Optional[str] = None

    def error(self, message: str) -> Any:
        prog = self.prog
        if prog == "lossx" and _Parser.command in ("eval", "list"):
            prog = f"lossx {_Parser.command}"
        raise CliError(f"{message} (see '{prog} --help')", 2)


# ---------------------------------------------------------------------------------------------
# --opt key=value
# ---------------------------------------------------------------------------------------------


def parse_option_value(text: str) -> Any:
    """The Python value of an ``--opt`` value: None, a bool, an int, a float, a list of numbers
    (``[1, 2.5]`` or ``1,2.5``) as an array, or else the text itself (a file name for arrays).

    >>> [parse_option_value(t) for t in ("None", "true", "-100", "0.1", "1e-6", "inf")]
    [None, True, -100, 0.1, 1e-06, inf]
    >>> parse_option_value("[1, 2, 0.5]")
    array([1. , 2. , 0.5])
    """
    t = text.strip()
    low = t.lower()
    if low in ("none", "null"):
        return None
    if low == "true":
        return True
    if low == "false":
        return False
    try:
        return int(t, 10)
    except ValueError:
        pass
    try:
        return float(t)
    except ValueError:
        pass
    if (t.startswith("[") and t.endswith("]")) or ("," in t and not os.path.exists(t)):
        try:
            value = ast.literal_eval(t if t.startswith("[") else f"[{t}]")
            arr = np.asarray(value, dtype=np.float64)
        except (ValueError, SyntaxError, TypeError):
            raise CliError(f"cannot read {t!r} as a list of numbers", 2) from None
        return arr
    return t


def _is_file_value(text: Any) -> bool:
    return isinstance(text, str)


def _coerce_option(spec: LossSpec, opt: OptionSpec, raw: str, value: Any) -> Any:
    """Check an option's parsed value against its kind; arrays given as a file stay a string."""
    where = f"--opt {opt.name}={raw}"
    if opt.kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise CliError(f"{where}: {spec.name}'s '{opt.name}' must be an integer", 2)
        return value
    if opt.kind == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise CliError(f"{where}: {spec.name}'s '{opt.name}' must be a number", 2)
        return float(value)
    if opt.kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        raise CliError(f"{where}: {spec.name}'s '{opt.name}' must be true or false", 2)
    if opt.kind == "array":
        if value is None or isinstance(value, np.ndarray):
            return value
        if isinstance(value, bool):
            raise CliError(f"{where}: {spec.name}'s '{opt.name}' must be an array (a .npy/.npz file or "
                           "a list such as [1,2,3]) or None", 2)
        if isinstance(value, (int, float)):
            return np.asarray(float(value))
        return value  # a file name, opened later
    return value


def _parse_options(spec: LossSpec, items: Sequence[str]) -> Dict[str, Tuple[str, Any]]:
    """``--opt key=value`` items -> {key: (raw text, value)}, checked against the loss's options."""
    out: Dict[str, Tuple[str, Any]] = {}
    for item in items:
        if "=" not in item:
            raise CliError(f"--opt {item}: expected key=value (e.g. --opt ignore_index=-100)", 2)
        key, raw = item.split("=", 1)
        key = key.strip().replace("-", "_")
        if key == "reduction":
            raise CliError("--opt reduction=...: use --reduction", 2)
        if key in spec.arrays:
            raise CliError(f"--opt {key}=...: '{key}' is an array of {spec.name}: give it with {spec.flag(key)}", 2)
        if key not in spec.options:
            known = ", ".join(spec.options) or "none"
            close = difflib.get_close_matches(key, list(spec.options), n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            raise CliError(f"--opt {item}: {spec.name} has no option '{key}' (its options: {known}){hint}", 2)
        if key in out:
            raise CliError(f"--opt {key}: given twice", 2)
        out[key] = (raw, _coerce_option(spec, spec.options[key], raw, parse_option_value(raw)))
    return out


# ---------------------------------------------------------------------------------------------
# The evaluation plan: which array comes from where, and how it is chunked
# ---------------------------------------------------------------------------------------------


@dataclass
class _Source:
    """One argument of the loss: a file read chunk by chunk, a file read whole, or a constant."""

    param: str
    file: Optional[ArrayFile] = None
    value: Any = None  # the whole value when not chunked
    axis: int = 0
    chunked: bool = False
    ragged: bool = False  # CTC's concatenated 1-D targets: rows located through target_lengths

    @property
    def label(self) -> str:
        return self.file.name if self.file is not None else repr(self.value)


@dataclass
class _Plan:
    spec: LossSpec
    sources: List[_Source]  # required arrays, in the loss's order
    option_sources: Dict[str, _Source]  # array options that live in files or are per-sample
    options: Dict[str, Any]  # constant options
    reduction: str
    n: int  # batch size (1 for an unbatched sample)
    batched: bool
    chunk_rows: int
    dtype: np.dtype[Any]
    main: ArrayFile
    files: List[ArrayFile] = field(default_factory=list)
    mmap: bool = True  # map single-run chunks instead of copying them (see ArrayFile.read)

    @property
    def bounds(self) -> Iterator[Tuple[int, int]]:
        if not self.batched or self.n == 0:
            yield 0, self.n
            return
        for lo in range(0, self.n, self.chunk_rows):
            yield lo, min(self.n, lo + self.chunk_rows)

    @property
    def n_chunks(self) -> int:
        return 1 if not self.batched or self.n == 0 else -(-self.n // self.chunk_rows)

    def close(self) -> None:
        for f in self.files:
            f.close()


def _open(plan_files: List[ArrayFile], spec: str) -> ArrayFile:
    f = ArrayFile(spec)
    plan_files.append(f)
    return f


def _rows_mismatch(f: ArrayFile, axis: int, main: ArrayFile, main_axis: int, n: int) -> CliError:
    return CliError(f"{f.name}: {f.shape[axis]:,} rows along axis {axis} {tuple(f.shape)}, but {main.name} "
                    f"has {n:,} along its batch axis {main_axis} {tuple(main.shape)}")


def _check_roles(args: argparse.Namespace, spec: LossSpec) -> Tuple[str, Dict[str, Tuple[str, Any]], Dict[str, Any]]:
    """The command line's arrays and options against the loss's signature: (reduction, options, role flags)."""
    preds = args.input or []
    if len(preds) != len(spec.predictions):
        want = ", ".join(spec.predictions)
        if not preds:
            raise CliError(f"{spec.name} needs --input ({want})", 2)
        raise CliError(f"{spec.name} takes {len(spec.predictions)} prediction array(s) ({want}) through --input; "
                       f"got {len(preds)}: {' '.join(preds)}", 2)
    given = {"--target": args.target, "--var": args.var, "--input-lengths": args.input_lengths,
             "--target-lengths": args.target_lengths}
    needed = {spec.flag(p) for p in spec.arrays if p in _ROLE_FLAGS}
    for flag, value in given.items():
        if value is not None and flag not in needed:
            raise CliError(f"{spec.name} takes no {flag} (its arrays: {', '.join(spec.arrays)})", 2)
    for p in spec.arrays:
        if p in _ROLE_FLAGS and given[_ROLE_FLAGS[p]] is None:
            raise CliError(f"{spec.name} needs {_ROLE_FLAGS[p]} ('{p}')", 2)
    if args.reduction is not None and args.reduction not in spec.reductions:
        raise CliError(f"--reduction {args.reduction}: {spec.name} takes {' | '.join(spec.reductions)}", 2)
    reduction = args.reduction or spec.default_reduction
    return reduction, _parse_options(spec, args.opt or []), given


def _make_plan(args: argparse.Namespace, spec: LossSpec, files: List[ArrayFile]) -> _Plan:
    reduction, opts, given = _check_roles(args, spec)
    preds = args.input or []

    # The first prediction fixes the batch axis and size.
    pred_files = [_open(files, p) for p in preds]
    main = pred_files[0]
    for f in pred_files:
        if f.dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
            raise CliError(f"{f.name}: predictions must be float32 or float64; got {f.stored_dtype} "
                           "(convert with numpy's astype; lossx never casts silently)")
    for f in pred_files[1:]:
        if f.dtype != main.dtype:
            raise CliError(f"{f.name} is {f.dtype} but {main.name} is {main.dtype}: the predictions of "
                           f"{spec.name} need one dtype")
    axis = 1 if spec.predictions[0] == "log_probs" else 0
    batched = len(main.shape) >= _BATCHED_NDIM.get(spec.name, 1)
    n = main.shape[axis] if batched else 1
    ndim = len(main.shape)

    sources: List[_Source] = []
    pred_iter = iter(pred_files)
    for p in spec.arrays:
        if p in spec.predictions:
            f = next(pred_iter)
            if batched and (len(f.shape) <= axis or f.shape[axis] != n):
                if len(f.shape) <= axis:
                    raise CliError(f"{f.name}: {len(f.shape)}-D {f.shape}, but {main.name} is {main.shape}")
                raise _rows_mismatch(f, axis, main, axis, n)
            sources.append(_Source(p, file=f, axis=axis, chunked=batched))
            continue
        text = given[_ROLE_FLAGS[p]]
        if p == "var" or p.endswith("_lengths"):
            literal = parse_option_value(text)
            if p == "var" and isinstance(literal, (int, float)) and not isinstance(literal, bool):
                sources.append(_Source(p, value=float(literal)))
                continue
            if p.endswith("_lengths") and isinstance(literal, int) and not isinstance(literal, bool):
                sources.append(_Source(p, value=literal))
                continue
        f = _open(files, text)
        src = _Source(p, file=f, axis=0)
        if batched and f.shape:
            if p == "var":
                per_sample = (len(f.shape) in (ndim, ndim - 1)) and f.shape[0] == n
                if not per_sample and f.shape[0] not in (1, n):
                    raise _rows_mismatch(f, 0, main, axis, n)
                src.chunked = per_sample
            elif p == "targets" and spec.name == "ctc_loss" and len(f.shape) == 1:
                src.chunked = src.ragged = True
            else:
                if f.shape[0] != n:
                    raise _rows_mismatch(f, 0, main, axis, n)
                src.chunked = True
        sources.append(src)

    option_sources: Dict[str, _Source] = {}
    options: Dict[str, Any] = {}
    for key, (raw, value) in opts.items():
        if spec.options[key].kind == "array" and isinstance(value, str):
            f = _open(files, value)
            per_sample = batched and n > 1 and len(f.shape) == ndim and f.shape[axis] == n
            option_sources[key] = _Source(key, file=f, axis=axis, chunked=per_sample)
        else:
            options[key] = value

    # CTC with concatenated targets: the lengths must add up to the targets (checked in one streamed pass).
    ragged = [s for s in sources if s.ragged]
    if ragged:
        tl = next(s for s in sources if s.param == "target_lengths")
        if tl.file is None or not tl.chunked:
            raise CliError("ctc_loss: --target-lengths must be a file of one length per sample")
        if tl.file.compressed:
            raise CliError(f"{tl.file.name}: with concatenated 1-D targets, target_lengths is read twice: store it "
                           "uncompressed (np.savez) or as .npy")
        total = 0
        step = 1 << 20
        for lo in range(0, n, step):
            lens = tl.file.read(0, lo, min(n, lo + step)).astype(np.int64, copy=False)
            if lens.size and lens.min() < 0:
                i = lo + int(np.argmin(lens))
                raise CliError(f"{tl.file.name}: target lengths must be >= 0; got {int(lens.min())} at index {i}")
            total += int(lens.sum())
        ragged_file = ragged[0].file
        assert ragged_file is not None
        if total != ragged_file.shape[0]:
            raise CliError(f"{ragged_file.name}: 1-D (concatenated) targets hold {ragged_file.shape[0]:,} "
                           f"labels, but {tl.file.name} adds up to {total:,}")

    # Compressed .npz members stream along axis 0 only.
    for s in [*sources, *option_sources.values()]:
        if s.file is not None and s.chunked and not s.file.streamable(s.axis):
            raise CliError(f"{s.file.name}: a compressed .npz member can be streamed along its first axis only "
                           f"(C order); this one is read along axis {s.axis}"
                           f"{' in Fortran order' if s.file.fortran else ''}: "
                           "store it uncompressed (np.savez) or as .npy")

    if spec.name in _WHOLE_BATCH and batched:
        chunk_rows = max(n, 1)
    elif args.chunk_rows is not None:
        chunk_rows = args.chunk_rows
    else:
        row_bytes = 0.0
        for s in [*sources, *option_sources.values()]:
            if s.file is not None and s.chunked and n:
                row_bytes += s.file.dtype.itemsize * float(np.prod(s.file.shape, dtype=np.float64)) / n
        row_bytes = max(row_bytes, 1.0)
        chunk_rows = int(CHUNK_BYTES // row_bytes)
        chunk_rows = min(chunk_rows, -(-n // MIN_CHUNKS) if n else 1)
        chunk_rows = max(chunk_rows, int(MIN_CHUNK_BYTES // row_bytes), 1)
    chunk_rows = max(1, min(chunk_rows, max(n, 1)))

    # Whole (non-chunked) arrays are read once, now.
    for s in [*sources, *option_sources.values()]:
        if s.file is not None and not s.chunked:
            s.value = s.file.read_all()
    return _Plan(spec=spec, sources=sources, option_sources=option_sources, options=options, reduction=reduction,
                 n=n, batched=batched, chunk_rows=chunk_rows, dtype=main.dtype, main=main, files=files)


# ---------------------------------------------------------------------------------------------
# Evaluation
# ---------------------------------------------------------------------------------------------


class _Slot:
    """The reusable read buffers of one chunk in flight (grown on demand), and its file mappings."""

    def __init__(self) -> None:
        self.buffers: Dict[str, np.ndarray] = {}
        self.maps: List[Any] = []

    def release(self) -> None:
        """Unmap the previous chunk's mappings (their views must be gone by now)."""
        for mm in self.maps:
            try:
                mm.close()
            except BufferError:  # a view is still referenced somewhere: the mapping goes when it does
                pass
        self.maps.clear()

    def buffer(self, key: str, dtype: np.dtype[Any], count: int) -> np.ndarray:
        b = self.buffers.get(key)
        if b is None or b.size < count or b.dtype != dtype:
            b = np.empty(max(count, 1), dtype)
            self.buffers[key] = b
        return b


def _read_chunk(plan: _Plan, slot: _Slot, lo: int, hi: int, ragged_at: List[int]) -> Tuple[List[Any], Dict[str, Any]]:
    """The loss's arguments for rows [lo, hi): positional arrays and keyword options."""
    chunk: Dict[str, Any] = {}
    slot.release()
    for s in plan.sources:
        if s.ragged:
            continue
        if s.file is not None and s.chunked:
            count = int(np.prod(s.file.chunk_shape(s.axis, hi - lo), dtype=np.int64))
            if plan.mmap and s.file.mappable(s.axis) and count * s.file.dtype.itemsize >= MIN_MAP_BYTES:
                chunk[s.param] = s.file.read(s.axis, lo, hi, maps=slot.maps)
            else:
                chunk[s.param] = s.file.read(s.axis, lo, hi, slot.buffer(s.param, s.file.dtype, count))
        else:
            chunk[s.param] = s.value
    for s in plan.sources:
        if s.ragged:
            assert s.file is not None
            length = int(np.sum(chunk["target_lengths"], dtype=np.int64))
            start = ragged_at[0]
            chunk[s.param] = s.file.read(0, start, start + length, slot.buffer(s.param, s.file.dtype, length))
            ragged_at[0] = start + length
    kwargs = dict(plan.options)
    for key, s in plan.option_sources.items():
        if s.chunked:
            assert s.file is not None
            count = int(np.prod(s.file.chunk_shape(s.axis, hi - lo), dtype=np.int64))
            kwargs[key] = s.file.read(s.axis, lo, hi, slot.buffer("opt:" + key, s.file.dtype, count))
        else:
            kwargs[key] = s.value
    return [chunk[p] for p in plan.spec.arrays], kwargs


def _message_context(plan: _Plan, message: str, lo: int, hi: int) -> str:
    """Name the files behind the arguments a lossx error message mentions, and the rows."""
    named = []
    for s in [*plan.sources, *plan.option_sources.values()]:
        if f"'{s.param}'" in message and s.file is not None:
            named.append(f"{s.param} = {s.file.describe()}")
    for key, value in plan.options.items():
        if f"'{key}'" in message:
            named.append(f"--opt {key}={value if not isinstance(value, np.ndarray) else value.tolist()}")
    if plan.batched and plan.n_chunks > 1 and named:
        named.append(f"rows {lo:,}-{hi - 1:,}")
    return " [" + "; ".join(named) + "]" if named else ""


@dataclass
class _Result:
    value: Optional[float]
    total: Optional[float]
    denominator: Optional[float]
    summary: Optional[LossSummary]
    report: Optional[Dict[str, Any]]
    seconds: float
    cpu_seconds: float
    threads: int
    none_shape: Optional[Tuple[int, ...]]


def _progress(total: int, args: argparse.Namespace, desc: str) -> Any:
    enabled = not args.quiet and sys.stderr.isatty()
    if not enabled:
        return None
    try:
        tqdm = importlib.import_module("tqdm").tqdm
    except ImportError:  # pragma: no cover - tqdm is a dependency
        return None
    try:
        sized = os.get_terminal_size(sys.stderr.fileno()).columns > 0
    except (OSError, ValueError, AttributeError):
        sized = False
    # A terminal that reports no width (some pseudo-terminals) would get an empty bar: use 80 columns.
    return tqdm(total=total, desc=desc, unit=" rows", unit_scale=True, file=sys.stderr, dynamic_ncols=sized,
                ncols=None if sized else 80, nrows=None if sized else 24, leave=False, smoothing=0.1)


def _evaluate(plan: _Plan, args: argparse.Namespace, out_path: Optional[str], threads: int,
              writers: List[NpyWriter]) -> _Result:
    spec = plan.spec
    fn = spec.fn
    reduction = plan.reduction
    want_none = reduction == "none" or args.by_class or bool(args.plot)
    ignore_index = None
    if args.by_class and "ignore_index" in spec.options:
        ignore_index = plan.options.get("ignore_index", spec.options["ignore_index"].default)
    labels_param = next((p for p in spec.arrays if _ROLE_FLAGS.get(p) == "--target"), None)
    acc = ClassAccumulator(ignore_index=ignore_index) if args.by_class else None

    def work(a: List[Any], kw: Dict[str, Any]) -> Tuple[Optional[np.ndarray], Optional[Tuple[float, float]]]:
        none = fn(*a, reduction="none", **kw) if want_none else None
        part = fn.partial(*a, reduction=reduction, **kw) if reduction != "none" else None
        return none, part

    workers = max(1, min(threads, plan.n_chunks))
    # Parallel over chunks, each kernel call single-threaded (no per-call thread start and barrier);
    # one chunk (an unbatched sample, or data smaller than a chunk): the kernel's own threads.
    lossx.set_num_threads(1 if workers > 1 else threads)
    depth = workers + 1
    slots = [_Slot() for _ in range(depth)]
    totals: List[float] = []
    denoms: List[float] = []
    summary: Optional[LossSummary] = None
    writer: Optional[NpyWriter] = None
    none_shape: Optional[Tuple[int, ...]] = None
    ragged_at = [0]
    bar = _progress(plan.n, args, spec.name)
    start = time.perf_counter()
    cpu_start = time.process_time()

    def consume(item: Tuple[int, int, List[Any], "concurrent.futures.Future[Any]"]) -> None:
        nonlocal summary, writer, none_shape
        lo, hi, a, fut = item
        try:
            none, part = fut.result()
        except (ValueError, TypeError) as e:
            raise CliError(str(e) + _message_context(plan, str(e), lo, hi)) from None
        if part is not None:
            totals.append(part[0])
            denoms.append(part[1])
        if none is not None:
            if none_shape is None:
                rows = hi - lo
                none_shape = ((plan.n,) + tuple(none.shape[1:])) if plan.batched else tuple(none.shape)
                per_row = none.size / rows if rows else float(np.prod(none_shape[1:], dtype=np.float64))
                expected = int(round(per_row * plan.n)) if plan.batched else none.size
                summary = LossSummary(expected)
                if reduction == "none" and out_path is not None:
                    writer = NpyWriter(out_path, none.dtype, none_shape)
                    writers.append(writer)
            assert summary is not None
            summary.add(none)
            if writer is not None:
                writer.write(none)
            if acc is not None:
                assert labels_param is not None
                labels = a[spec.arrays.index(labels_param)]
                try:
                    acc.add(labels, none)
                except (ValueError, TypeError) as e:
                    src = next(s for s in plan.sources if s.param == labels_param)
                    raise CliError(f"--by-class: {src.label}: {str(e).replace('class_report: ', '')}") from None
        if bar is not None:
            bar.update(hi - lo)

    pool = concurrent.futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lossx-eval")
    pending: collections.deque[Tuple[int, int, List[Any], "concurrent.futures.Future[Any]"]] = collections.deque()
    try:
        for k, (lo, hi) in enumerate(plan.bounds):
            if len(pending) >= depth:
                consume(pending.popleft())
            a, kw = _read_chunk(plan, slots[k % depth], lo, hi, ragged_at)
            pending.append((lo, hi, a, pool.submit(work, a, kw)))
        while pending:
            consume(pending.popleft())
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        pending.clear()
        for slot in slots:
            slot.release()
        if bar is not None:
            bar.close()
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu_start
    value = total = denom = None
    if reduction != "none":
        total, denom = math.fsum(totals), math.fsum(denoms)
        if reduction == "sum":
            value = total
        else:
            value = total / denom if denom != 0 else (math.nan if total == 0 or math.isnan(total) else
                                                       math.copysign(math.inf, total))
    return _Result(value, total, denom, summary, acc.report() if acc else None, seconds, cpu_seconds, workers,
                   none_shape)


# ---------------------------------------------------------------------------------------------
# eval: outputs
# ---------------------------------------------------------------------------------------------


def _jsonable(x: Any) -> Any:
    """JSON-safe values: numpy scalars to Python, non-finite floats to the strings 'nan', 'inf', '-inf'."""
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, np.ndarray):
        return _jsonable(x.tolist())
    if isinstance(x, np.generic):
        return _jsonable(x.item())
    if isinstance(x, float) and not math.isfinite(x):
        return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")
    return x


def _fmt_rate(rows: int, seconds: float) -> str:
    r = rows / seconds if seconds > 0 else math.inf
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if r >= scale:
            return f"{r / scale:.3g} {unit} rows/s"
    return f"{r:.3g} rows/s"


def _check_plot_path(path: str) -> str:
    if importlib.util.find_spec("matplotlib") is None:
        raise CliError("--plot needs matplotlib, which is not installed (pip install matplotlib)")
    ext = os.path.splitext(path)[1].lower().lstrip(".")
    from matplotlib.figure import Figure

    supported = Figure().canvas.get_supported_filetypes()
    if ext not in supported:
        raise CliError(f"--plot {path}: unknown image format '{ext or '(no extension)'}'; use one of "
                       f"{', '.join(sorted(supported))}", 2)
    return ext


def _cmd_eval(args: argparse.Namespace) -> int:
    specs = loss_specs()
    if args.loss is None:
        # 'lossx eval --input x.npy LOSS ...': the list-valued --input/--opt took the loss name along.
        for lst in (args.input, args.opt):
            for item in list(lst or []):
                if item in specs and not os.path.exists(item):
                    lst.remove(item)
                    args.loss = item
                    break
            if args.loss is not None:
                break
        else:
            raise CliError("the loss to evaluate is missing: lossx eval LOSS --input ... (see 'lossx eval --help')", 2)
    if args.loss not in specs:
        close = difflib.get_close_matches(args.loss, list(specs), n=1)
        hint = f"; did you mean {close[0]}?" if close else ""
        raise CliError(f"unknown loss '{args.loss}'{hint} ('lossx list' shows them all)", 2)
    spec = specs[args.loss]
    if args.threads is not None and not 1 <= args.threads <= lossx.max_num_threads():
        raise CliError(f"--threads {args.threads}: must lie in [1, {lossx.max_num_threads()}]", 2)
    if args.chunk_rows is not None and args.chunk_rows < 1:
        raise CliError(f"--chunk-rows {args.chunk_rows}: must be >= 1", 2)
    if args.top is not None and args.top < 1:
        raise CliError(f"--top {args.top}: must be >= 1", 2)
    if args.by_class and spec.by_class is None:
        able = ", ".join(n for n, s in specs.items() if s.by_class)
        raise CliError(f"--by-class: {spec.name} has no class or label targets (it works with: {able})", 2)
    outputs = [p for p in (args.out, args.json, args.plot) if p]
    if len(set(map(os.path.abspath, outputs))) != len(outputs):
        raise CliError("--out, --json and --plot must name different files", 2)
    for path in outputs:
        directory = os.path.dirname(os.path.abspath(path))
        if os.path.isdir(path):
            raise CliError(f"{path}: is a directory; give a file name", 2)
        if not os.path.isdir(directory):
            raise CliError(f"{path}: cannot write: directory {directory} does not exist")
        if not os.access(directory, os.W_OK):
            raise CliError(f"{path}: cannot write: directory {directory} is not writable")
    if args.dask is not None:
        return _cmd_eval_dask(args, spec)
    plot_fmt = _check_plot_path(args.plot) if args.plot else None
    threads = args.threads or lossx.get_num_threads()

    def note(msg: str) -> None:
        if not args.quiet:
            print(f"lossx: {msg}", file=sys.stderr)

    files: List[ArrayFile] = []
    writers: List[NpyWriter] = []
    temps: List[str] = []
    previous_threads = lossx.get_num_threads()
    try:
        plan = _make_plan(args, spec, files)
        plan.mmap = args.io == "map"
        for path in outputs:
            for f in files:
                if os.path.exists(path) and os.path.samefile(path, f.path):
                    raise CliError(f"{path}: is also an input ({f.name}); write the result to another file", 2)
        if args.by_class:
            src = next(s for s in plan.sources if _ROLE_FLAGS.get(s.param) == "--target")
            if src.file is not None and src.file.dtype.kind == "f" and spec.by_class == "class index":
                raise CliError(f"--by-class: {src.file.name} holds {src.file.dtype} probabilities, not class indices")
        if spec.name in _WHOLE_BATCH and plan.batched and plan.n > 0:
            note(f"{spec.name} mines its pairs over the whole batch: the input is read in one chunk")
        result = _evaluate(plan, args, args.out if plan.reduction == "none" else None, threads, writers)

        # Outputs: every file is prepared under a temporary name, then all are renamed together.
        if args.out and plan.reduction != "none":
            w = NpyWriter(args.out, plan.dtype, ())
            writers.append(w)
            w.write(np.asarray(result.value, dtype=plan.dtype))
        elif args.out and result.none_shape is None:  # pragma: no cover - 'none' always produces a shape
            raise CliError("internal: no per-sample losses to write")
        summary: Dict[str, Any] = {
            "lossx_version": lossx.__version__,
            "loss": spec.name,
            "reduction": plan.reduction,
            "result": result.value,
            "inputs": {s.param: s.label for s in plan.sources},
            "options": {**{k: o.default for k, o in spec.options.items()}, **plan.options,
                        **{k: s.label for k, s in plan.option_sources.items()}},
            "rows": plan.n,
            "shape": list(plan.main.shape),
            "dtype": str(plan.dtype),
            "seconds": result.seconds,
            "cpu_seconds": result.cpu_seconds,
            "rows_per_second": plan.n / result.seconds if result.seconds > 0 else None,
            "threads": result.threads,
            "chunk_rows": plan.chunk_rows,
            "chunks": plan.n_chunks,
            "io": args.io,
        }
        if plan.reduction != "none":
            summary["total"] = result.total
            summary["denominator"] = result.denominator
        if result.summary is not None:
            summary["losses"] = result.summary.as_dict()
        summary["out"] = args.out
        if result.report is not None:
            summary["by_class"] = result.report
        if args.json:
            tmp = atomic_path(args.json)
            temps.append(tmp)
            with open(tmp, "w") as fh:
                json.dump(_jsonable(summary), fh, indent=2)
                fh.write("\n")
        if args.plot:
            assert result.summary is not None
            tmp = atomic_path(args.plot)
            temps.append(tmp)
            s = result.summary
            plot_losses(tmp, s.sample(), result.report, title=spec.name,
                        sampled_from=s.count if s.sampled else None, fmt=plot_fmt)
        # Commit: rename the temporary files into place.
        for w in writers:
            w.commit()
        for tmp, final in zip(temps, [p for p in (args.json, args.plot) if p]):
            os.replace(tmp, final)
            release_temp(tmp)
        temps.clear()
    finally:
        for w in writers:
            w.abort()
        for tmp in temps:
            try:
                remove_temp(tmp)
            except OSError:
                pass
        for f in files:
            f.close()
        lossx.set_num_threads(previous_threads)

    # The result line (stdout), then the per-class table.
    rate = f"{plan.n:,} rows in {result.seconds:.3g} s ({_fmt_rate(plan.n, result.seconds)}, {result.threads} " \
           f"thread{'s' if result.threads != 1 else ''})"
    if plan.reduction == "none":
        ls = result.summary
        assert ls is not None
        stats = f"mean {ls.mean:.6g}" + (f", min {ls.min:.6g}, max {ls.max:.6g}" if ls.count > ls.nonfinite else "")
        if ls.nonfinite:
            stats += f", {ls.nonfinite:,} non-finite"
        dest = f" -> {args.out}" if args.out else ""
        print(f"{spec.name} (none): {ls.count:,} losses{dest} [{stats}]; {rate}")
    else:
        print(f"{spec.name} ({plan.reduction}) = {result.value!r}; {rate}")
    if result.report is not None:
        top = args.top if args.top is not None else (None if len(result.report["classes"]) <= 40 else 20)
        print()
        print(f"per {spec.by_class}:")
        print(format_class_report(result.report, top=top))
    sys.stdout.flush()
    return 0


def _cmd_eval_dask(args: argparse.Namespace, spec: LossSpec) -> int:
    """``lossx eval ... --dask ADDRESS``: the same loss through :mod:`lossx.dask` on a running cluster.

    The arrays are opened lazily with :func:`lossx.dask.from_path` (``.npy`` or zarr; the workers
    read them at the same paths), the reduction is exact across chunks as in-memory, and
    ``--out`` with ``'none'`` is written block by block, in order, under a temporary name.
    """
    for flag, on in (("--by-class", args.by_class), ("--plot", args.plot), ("--io read", args.io != "map")):
        if on:
            raise CliError(f"{flag} is not available with --dask (run without --dask on one machine)", 2)
    try:
        import distributed
        from . import dask as lxdask
    except ImportError as e:
        raise CliError(f"--dask needs dask and distributed ({e}); install them with: pip install 'lossx[dask]'") \
            from None
    reduction, opts, given = _check_roles(args, spec)

    def open_array(text: str, what: str) -> Any:
        try:
            return lxdask.from_path(text, chunk_rows=args.chunk_rows)
        except ValueError as e:
            raise CliError(f"{what}: {str(e).replace('lossx.dask.from_path: ', '')}") from None

    preds = iter(args.input or [])
    values: List[Any] = []
    for p in spec.arrays:
        if p not in _ROLE_FLAGS:
            values.append(open_array(next(preds), "--input"))
            continue
        flag = _ROLE_FLAGS[p]
        text = given[flag]
        literal = parse_option_value(text) if (p == "var" or p.endswith("_lengths")) else None
        if p == "var" and isinstance(literal, (int, float)) and not isinstance(literal, bool):
            values.append(float(literal))
        elif p.endswith("_lengths") and isinstance(literal, int) and not isinstance(literal, bool):
            values.append(literal)
        else:
            values.append(open_array(text, flag))
    options: Dict[str, Any] = {}
    shown: Dict[str, Any] = {}  # the options as the JSON summary shows them (files by name)
    for key, (_, val) in opts.items():
        is_file = spec.options[key].kind == "array" and isinstance(val, str)
        options[key] = open_array(val, f"--opt {key}") if is_file else val
        shown[key] = val

    dtype = values[0].dtype
    axis = 1 if spec.predictions[0] == "log_probs" else 0
    n = int(values[0].shape[axis]) if values[0].ndim > axis else 1
    try:
        result: Any = lxdask.evaluate(spec.name, *values, reduction=reduction, **options)
    except (ValueError, TypeError) as e:
        raise CliError(str(e).splitlines()[0]) from None
    t0 = time.perf_counter()
    try:
        client_type: Any = distributed.Client  # untyped package: keep mypy --strict quiet
        client: Any = client_type(args.dask, timeout="20s", set_as_default=False)
    except (OSError, TimeoutError, ValueError) as e:
        raise CliError(f"--dask {args.dask}: cannot reach the scheduler ({e})") from None
    writers: List[NpyWriter] = []
    temps: List[str] = []
    try:
        workers = len(client.scheduler_info().get("workers", {}))
        if reduction == "none":
            writer = NpyWriter(args.out, dtype, result.shape) if args.out else None
            if writer is not None:
                writers.append(writer)
            blocks = [result.blocks[i] for i in range(result.numblocks[0])] if result.ndim else [result]
            futures = client.compute(blocks)
            total, count, finite_count, lo, hi = 0.0, 0, 0, float("inf"), float("-inf")
            bar = _progress(n, args, spec.name)
            try:
                for fut in futures:
                    block = np.asarray(fut.result())
                    fut.release()
                    if writer is not None:
                        writer.write(block)
                    finite = block[np.isfinite(block)].astype(np.float64)
                    count += block.size
                    if finite.size:
                        total += math.fsum(finite.tolist())
                        finite_count += finite.size
                        lo, hi = min(lo, float(finite.min())), max(hi, float(finite.max()))
                    if bar is not None:
                        bar.update(block.shape[0] if block.ndim else 1)
            finally:
                if bar is not None:
                    bar.close()
            value: Any = None
        else:
            value = np.asarray(client.compute(result).result(), dtype=dtype).item()
            if args.out:
                w = NpyWriter(args.out, dtype, ())
                writers.append(w)
                w.write(np.asarray(value, dtype=dtype))
        seconds = time.perf_counter() - t0
        if args.json:
            summary = {"lossx_version": lossx.__version__, "loss": spec.name, "reduction": reduction,
                       "result": value, "rows": n, "dtype": str(dtype), "seconds": seconds,
                       "rows_per_second": n / seconds if seconds > 0 else None, "dask": args.dask,
                       "workers": workers, "out": args.out,
                       "options": {**{k: o.default for k, o in spec.options.items()}, **shown}}
            tmp = atomic_path(args.json)
            temps.append(tmp)
            with open(tmp, "w") as fh:
                json.dump(_jsonable(summary), fh, indent=2)
                fh.write("\n")
        for w in writers:
            w.commit()
        if temps:
            os.replace(temps[0], args.json)
            release_temp(temps[0])
            temps.clear()
    except (ValueError, TypeError) as e:  # raised by lossx on a worker (a value check)
        raise CliError(str(e).splitlines()[0]) from None
    finally:
        for w in writers:
            w.abort()
        for tmp in temps:
            remove_temp(tmp)
        client.close()
    rate = f"{n:,} rows in {seconds:.3g} s ({_fmt_rate(n, seconds)}, dask: {workers} worker" \
           f"{'s' if workers != 1 else ''} at {args.dask})"
    if reduction == "none":
        dest = f" -> {args.out}" if args.out else ""
        stats = f"mean {total / finite_count:.6g}, min {lo:.6g}, max {hi:.6g}" if finite_count else "no finite loss"
        if finite_count < count:
            stats += f", {count - finite_count:,} non-finite"
        print(f"{spec.name} (none): {count:,} losses{dest} [{stats}]; {rate}")
    else:
        print(f"{spec.name} ({reduction}) = {value!r}; {rate}")
    sys.stdout.flush()
    return 0


# ---------------------------------------------------------------------------------------------
# list
# ---------------------------------------------------------------------------------------------


def _cmd_list(args: argparse.Namespace) -> int:
    specs = loss_specs()
    names = args.names or list(specs)
    for n in names:
        if n not in specs:
            close = difflib.get_close_matches(n, list(specs), n=1)
            raise CliError(f"unknown loss '{n}'" + (f"; did you mean {close[0]}?" if close else ""), 2)
    if args.json:
        out = {n: {"arrays": {p: specs[n].flag(p) for p in specs[n].arrays},
                   "options": {k: {"default": o.default, "kind": o.kind} for k, o in specs[n].options.items()},
                   "reductions": specs[n].reductions, "default_reduction": specs[n].default_reduction,
                   "by_class": specs[n].by_class, "summary": specs[n].summary} for n in names}
        print(json.dumps(_jsonable(out), indent=2))
        return 0
    for n in names:
        s = specs[n]
        arrays = "  ".join(f"{s.flag(p)} {p}" for p in s.arrays)
        opts = "  ".join(f"{k}={o.default!r}" + (f" ({o.kind})" if o.kind in ("array",) else "")
                         for k, o in s.options.items()) or "-"
        reds = ", ".join(r + (" (default)" if r == s.default_reduction else "") for r in s.reductions)
        print(n)
        print(f"    {s.summary}")
        print(f"    arrays:     {arrays}")
        print(f"    options:    {opts}")
        print(f"    reductions: {reds}")
        if s.by_class:
            print(f"    --by-class: per {s.by_class}")
        if n in _WHOLE_BATCH:
            print("    note:       mines over the whole batch: read in one chunk")
    return 0


# ---------------------------------------------------------------------------------------------
# demo
# ---------------------------------------------------------------------------------------------


def _cmd_demo(argv: Sequence[str]) -> int:
    if importlib.util.find_spec("lossx.demo") is None:
        raise CliError("the demo is not part of this lossx installation (module lossx.demo is missing)", 2)
    from importlib import import_module

    demo = import_module("lossx.demo")
    code = demo.main(list(argv))
    return int(code or 0)


# ---------------------------------------------------------------------------------------------
# Parser and entry point
# ---------------------------------------------------------------------------------------------

_EVAL_EXAMPLES = """\
examples:
  # mean cross-entropy of saved logits (N, C) float32 against int64 labels (N,)
  lossx eval cross_entropy --input logits.npy --target labels.npy

  # per-sample losses to a file, the per-class report, a plot and a JSON summary
  lossx eval cross_entropy --input logits.npy --target labels.npy --reduction none \\
      --out losses.npy --by-class --plot losses.png --json summary.json

  # options of the loss (as in Python): numbers, true/false, None, arrays from files or lists
  lossx eval cross_entropy --input run.npz:logits --target run.npz:labels \\
      --opt label_smoothing=0.1 ignore_index=-1 weight=class_weights.npy

  # two prediction arrays; CTC with its length files
  lossx eval margin_ranking_loss --input scores1.npy scores2.npy --target y.npy --opt margin=0.5
  lossx eval ctc_loss --input log_probs.npy --target targets.npy \\
      --input-lengths input_lengths.npy --target-lengths target_lengths.npy

Files are .npy or .npz members (FILE.npz:KEY); they are read chunk by chunk along the batch
axis (axis 0; axis 1 for ctc_loss's (T, N, C) log_probs), so they may be larger than memory.
Reduced results are exact: the chunks' partial sums (NAME_partial) are added in float64.
'lossx list' shows every loss with its arrays and options.
"""


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="lossx", description="lossx: PyTorch's losses on NumPy arrays and files, fast on the CPU.")
    p.add_argument("--version", action="version", version=f"lossx {lossx.__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    e = sub.add_parser("eval", help="evaluate a loss over .npy/.npz files (any size)",
                       usage="lossx eval LOSS --input FILE [FILE ...] [--target FILE] [--reduction R] [--out FILE.npy] "
                             "[--json FILE.json] [--opt KEY=VALUE ...] [--by-class] [--plot FILE.png] [options]",
                       description="Evaluate a loss over .npy/.npz files, chunk by chunk, in bounded memory.",
                       epilog=_EVAL_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    e.add_argument("loss", metavar="LOSS", nargs="?", help="the loss, e.g. cross_entropy ('lossx list' shows them)")
    e.add_argument("--input", "-i", nargs="+", action="extend", metavar="FILE",
                   help="the predictions (several for losses with several: input1 input2, anchor positive negative)")
    e.add_argument("--target", "-t", metavar="FILE", help="the targets / labels")
    e.add_argument("--var", metavar="FILE|FLOAT", help="gaussian_nll_loss's variances (a file or one number)")
    e.add_argument("--input-lengths", metavar="FILE", help="ctc_loss: frames per sample")
    e.add_argument("--target-lengths", metavar="FILE", help="ctc_loss: labels per sample")
    e.add_argument("--reduction", "-r", choices=["none", "mean", "sum", "batchmean"],
                   help="default: the loss's own ('mean'); 'none' gives per-sample losses (see --out)")
    e.add_argument("--out", "-o", metavar="FILE.npy",
                   help="write the result: the per-sample losses for --reduction none, else a 0-d array")
    e.add_argument("--json", metavar="FILE.json", help="write a JSON summary (result, options, rows, time, "
                   "threads, per-class report; non-finite numbers as the strings 'nan'/'inf')")
    e.add_argument("--opt", nargs="+", action="extend", metavar="KEY=VALUE",
                   help="an option of the loss, e.g. ignore_index=-100 label_smoothing=0.1 weight=w.npy")
    e.add_argument("--threads", "-j", type=int, metavar="N", help="threads (default: all cores)")
    e.add_argument("--chunk-rows", type=int, metavar="N",
                   help=f"rows per chunk (default: about {CHUNK_BYTES >> 20} MiB of input per chunk, and at least "
                        f"{MIN_CHUNKS} chunks; the result does not depend on --threads)")
    e.add_argument("--by-class", action="store_true",
                   help="per-class count, total and mean loss (class-index and ±1/0-1 label losses)")
    e.add_argument("--top", type=int, metavar="K",
                   help="--by-class table: the K classes with the highest mean loss (default: all up to 40)")
    e.add_argument("--plot", metavar="FILE.png", help="histogram of the per-sample losses and per-class means "
                   "(needs matplotlib)")
    e.add_argument("--io", choices=["map", "read"], default="map",
                   help="how chunks are read: 'map' (default) maps each chunk of a .npy (or uncompressed .npz) "
                        "and unmaps it after use, without a copy; 'read' copies it into a reused buffer "
                        "(byte-swapped, Fortran-ordered and compressed inputs are always read; use 'read' if an "
                        "input may be truncated while it is evaluated: a mapped page that vanishes ends the process)")
    e.add_argument("--dask", metavar="ADDRESS",
                   help="evaluate on an existing dask.distributed scheduler (e.g. tcp://host:8786; needs "
                        "'pip install lossx[dask]'); inputs are .npy files or zarr arrays (store.zarr or "
                        "store.zarr:name) that the workers see at the same paths; --chunk-rows sets the dask "
                        "chunks; --by-class, --plot and --io are not available in this mode")
    e.add_argument("--quiet", "-q", action="store_true", help="no progress bar or notes on stderr")

    ls = sub.add_parser("list", help="the losses, their arrays, options and defaults",
                        description="The losses 'lossx eval' evaluates, with their arrays, options and defaults "
                                    "(from the functions' signatures).")
    ls.add_argument("names", nargs="*", metavar="LOSS", help="only these losses")
    ls.add_argument("--json", action="store_true", help="as JSON")

    sub.add_parser("demo", help="a first run on data shipped with lossx (see 'lossx demo --help')", add_help=False)
    return p


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the ``lossx`` command with ``argv`` (default ``sys.argv[1:]``); returns the exit status.

    Never raises for bad input: errors are printed as one line on stderr.
    """
    args_list = list(sys.argv[1:] if argv is None else argv)
    restore: Any = None
    if sys.platform != "win32" and _in_main_thread():
        def on_term(signum: int, frame: Any) -> None:
            raise _Interrupted()
        restore = signal.signal(signal.SIGTERM, on_term)
    try:
        if args_list and args_list[0] == "demo":
            return _cmd_demo(args_list[1:])
        parser = _parser()
        if not args_list:
            parser.print_help(sys.stderr)
            return 2
        _Parser.command = args_list[0]
        args = parser.parse_args(args_list)
        if args.command == "eval":
            return _cmd_eval(args)
        if args.command == "list":
            return _cmd_list(args)
        parser.print_help(sys.stderr)  # pragma: no cover - argparse requires a command
        return 2
    except CliError as e:
        print(f"lossx: error: {e}", file=sys.stderr)
        return e.code
    except ArrayFileError as e:
        print(f"lossx: error: {e}", file=sys.stderr)
        return 1
    except SystemExit as e:  # argparse's --help and --version
        return e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except KeyboardInterrupt:
        print("lossx: interrupted; no output written", file=sys.stderr)
        return 130
    except _Interrupted:
        print("lossx: terminated; no output written", file=sys.stderr)
        return 143
    except BrokenPipeError:
        return 141
    except MemoryError:
        print("lossx: error: out of memory (try a smaller --chunk-rows)", file=sys.stderr)
        return 1
    except (ValueError, TypeError) as e:  # raised by lossx itself outside the chunk loop
        print(f"lossx: error: {str(e).splitlines()[0] if str(e) else type(e).__name__}", file=sys.stderr)
        return 1
    except Exception as e:
        if os.environ.get("LOSSX_DEBUG") == "1":
            raise
        print(f"lossx: internal error: {type(e).__name__}: {e} (LOSSX_DEBUG=1 shows the traceback)",
              file=sys.stderr)
        return 1
    finally:
        # Last resort: a temporary output created just before an interrupt, not yet known to the
        # code that would remove it, is still in _npyio's registry.
        remove_live_temps()
        if restore is not None:
            signal.signal(signal.SIGTERM, restore)


def _in_main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()
