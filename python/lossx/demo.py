"""``lossx demo``: a first real run of lossx on data shipped in the package, offline, in seconds.

Trains a small classifier of handwritten digits (UCI optdigits, 1,797 images of 8x8 pixels,
10 classes; see ``lossx/data/README.md``) in plain NumPy, getting the loss and its gradient
from lossx's fused ``cross_entropy_with_grad`` with ``class_weights``; then scores the held-out
images one by one (``reduction='none'``), prints the per-class report and draws the ten
hardest images, and times lossx's loss + gradient against the same computation in NumPy.

    lossx demo                      # or: python -m lossx.demo
    lossx demo --hidden 0           # softmax regression instead of the MLP
    lossx demo --epochs 20 --seed 3 --threads 1

The output is the same for the same options on the same machine, except the times.
"""

from __future__ import annotations

import argparse
import gzip
import importlib
import importlib.resources
import os
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, TextIO, Tuple

import numpy as np
from numpy.typing import NDArray

import lossx

from ._report import class_report

F32 = NDArray[np.float32]
I64 = NDArray[np.int64]
LossAndGrad = Callable[[F32, I64, F32], Tuple[Any, F32]]
#: What ``class_report`` returns: ``{"classes": [{"label", "count", "total", "mean"}, ...], ...}``.
ClassReport = Dict[str, Any]

#: Characters for pixel values 0..16, darkest last (each pixel is drawn two characters wide).
_SHADES = " .:-=+*#%@"


# ----------------------------------------------------------------------------------------- data
class DataFileError(ValueError):
    """The shipped data file is missing or damaged (a broken installation)."""


def load_digits() -> Tuple[NDArray[np.uint8], I64]:
    """The handwritten digits shipped with lossx: ``(images, labels)``.

    ``images`` is ``(1797, 64)`` uint8, the 8x8 pixels (values 0..16) row by row;
    ``labels`` is ``(1797,)`` int64, the digit 0..9. Read from the package data
    (``lossx/data/digits.csv.gz``; source, citation and licence in ``lossx/data/README.md``).
    Raises :class:`DataFileError` naming the file when it is missing or not what it should be.
    """
    resource = importlib.resources.files("lossx").joinpath("data", "digits.csv.gz")
    try:
        text = gzip.decompress(resource.read_bytes()).decode("ascii")
        if not text.strip():
            raise ValueError("no data")
        table = np.loadtxt(text.splitlines(), delimiter=",", dtype=np.int64, ndmin=2)
    except FileNotFoundError:
        raise DataFileError(f"the data file {resource} is missing from the installed lossx package") from None
    except (OSError, EOFError, UnicodeDecodeError, ValueError) as e:
        raise DataFileError(f"the data file {resource} is damaged ({e}); reinstall lossx") from None
    if table.shape != (1797, 65) or table.min() < 0 or table[:, :64].max() > 16 or table[:, 64].max() > 9:
        raise DataFileError(f"the data file {resource} must hold 1797 rows of 64 pixels (0..16) and a label (0..9); "
                            f"got shape {table.shape}")
    return table[:, :64].astype(np.uint8), np.ascontiguousarray(table[:, 64])


def stratified_split(labels: I64, held_out: float, rng: np.random.Generator) -> Tuple[I64, I64]:
    """Indices ``(train, test)``: a fraction ``held_out`` of each class (rounded) goes to ``test``.

    Both index arrays are sorted; which samples of a class are held out is drawn with ``rng``.
    """
    train: List[I64] = []
    test: List[I64] = []
    for c in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == c))
        k = int(np.round(held_out * len(members)))
        test.append(members[:k])
        train.append(members[k:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))


# ---------------------------------------------------------------------------------------- model
@dataclass
class Mlp:
    """A one-hidden-layer perceptron ``x -> relu(x W1 + b1) W2 + b2``, or softmax regression
    ``x -> x W2 + b2`` when it has no hidden layer (``W1`` is None). float32 parameters."""

    W1: Optional[F32]
    b1: Optional[F32]
    W2: F32
    b2: F32

    @staticmethod
    def init(features: int, hidden: int, classes: int, rng: np.random.Generator) -> "Mlp":
        """He-initialised weights (``hidden=0``: softmax regression with zero weights)."""
        if hidden == 0:
            return Mlp(None, None, np.zeros((features, classes), np.float32), np.zeros(classes, np.float32))
        W1 = (rng.standard_normal((features, hidden)) * np.sqrt(2.0 / features)).astype(np.float32)
        W2 = (rng.standard_normal((hidden, classes)) * np.sqrt(1.0 / hidden)).astype(np.float32)
        return Mlp(W1, np.zeros(hidden, np.float32), W2, np.zeros(classes, np.float32))

    def params(self) -> List[F32]:
        """The parameter arrays, in the order :meth:`grads` returns their gradients."""
        if self.W1 is None or self.b1 is None:
            return [self.W2, self.b2]
        return [self.W1, self.b1, self.W2, self.b2]

    def logits(self, x: F32) -> F32:
        """The class scores ``(N, classes)`` of the rows of ``x``."""
        return self._forward(x)[1]

    def _forward(self, x: F32) -> Tuple[F32, F32]:
        if self.W1 is None or self.b1 is None:
            return x, x @ self.W2 + self.b2
        h = np.maximum(x @ self.W1 + self.b1, np.float32(0))
        return h, h @ self.W2 + self.b2

    def loss_and_grads(self, x: F32, y: I64, weight: Optional[F32]) -> Tuple[float, List[F32]]:
        """The weighted mean cross-entropy of the batch and its gradient for each parameter.

        lossx gives the loss and its gradient w.r.t. the logits in one fused call; the rest
        is the chain rule through the two layers in NumPy.
        """
        h, z = self._forward(x)
        loss, dz = lossx.cross_entropy_with_grad(z, y, weight)
        dW2, db2 = h.T @ dz, dz.sum(axis=0)
        if self.W1 is None:
            return float(loss), [dW2, db2]
        dh = dz @ self.W2.T
        dh[h <= 0] = 0
        return float(loss), [x.T @ dh, dh.sum(axis=0), dW2, db2]


# ------------------------------------------------------------------------- NumPy baseline, timing
def numpy_cross_entropy_with_grad(logits: F32, target: I64, weight: F32) -> Tuple[Any, F32]:
    """The weighted mean cross-entropy and its gradient w.r.t. ``logits``, in plain NumPy.

    The same quantity as ``lossx.cross_entropy_with_grad(logits, target, weight)``:
    ``Σ w_y (lse - x_y) / Σ w_y`` and ``w_y (softmax(x) - onehot(y)) / Σ w_y``, written the way one
    would in NumPy (stable log-sum-exp, a few whole-array passes). The timing baseline.
    """
    rows = np.arange(len(target))
    shifted = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    s = e.sum(axis=1, keepdims=True)
    w = weight[target]
    scale = w / w.sum()
    loss = np.dot(scale, np.log(s[:, 0]) - shifted[rows, target])
    grad = e / s
    grad[rows, target] -= 1
    grad *= scale[:, None]
    return loss, grad


@dataclass
class Timing:
    """Median wall time of one loss + gradient call, lossx and NumPy, on one batch."""

    rows: int
    classes: int
    lossx_seconds: float
    numpy_seconds: float
    max_grad_difference: float


def time_loss_and_grad(logits: F32, target: I64, weight: F32, repeats: int) -> Timing:
    """Time lossx's fused weighted cross-entropy + gradient against :func:`numpy_cross_entropy_with_grad`.

    Both run on the same batch, interleaved (lossx, NumPy, lossx, ...) ``repeats`` times; each
    sample times enough calls to last about 2 ms, and the medians per call are returned.
    """
    candidates: Tuple[LossAndGrad, LossAndGrad] = (lossx.cross_entropy_with_grad, numpy_cross_entropy_with_grad)
    _, g_lossx = candidates[0](logits, target, weight)
    _, g_numpy = candidates[1](logits, target, weight)
    t0 = time.perf_counter()
    candidates[1](logits, target, weight)
    calls = max(1, int(2e-3 / max(time.perf_counter() - t0, 1e-7)))
    samples: List[List[float]] = [[], []]
    for _ in range(repeats):
        for f, out in zip(candidates, samples):
            t0 = time.perf_counter()
            for _ in range(calls):
                f(logits, target, weight)
            out.append((time.perf_counter() - t0) / calls)
    return Timing(len(target), logits.shape[1], float(np.median(samples[0])), float(np.median(samples[1])),
                  float(np.max(np.abs(g_lossx - g_numpy))))


# ------------------------------------------------------------------------------------ the demo
@dataclass
class Epoch:
    """What one epoch line shows: the training objective after the epoch (weighted mean
    cross-entropy over the whole training split) and the accuracies."""

    loss: float
    train_accuracy: float
    test_accuracy: float


@dataclass
class DemoResult:
    """Everything the demo computed, for tests and for reuse from Python."""

    images: NDArray[np.uint8]
    labels: I64
    train: I64
    test: I64
    mean: F32
    scale: F32
    weight: Optional[F32]
    model: Mlp
    history: List[Epoch]
    test_logits: F32
    test_losses: F32
    report: ClassReport
    hardest: I64
    timings: List[Timing] = field(default_factory=list)

    def features(self, rows: I64) -> F32:
        """The standardised features of the given samples (as the model sees them)."""
        return standardise(self.images[rows], self.mean, self.scale)


def standardise(images: NDArray[np.uint8], mean: F32, scale: F32) -> F32:
    """``(images - mean) / scale`` in float32 (``scale`` is 1 for pixels that never vary)."""
    out: F32 = (images.astype(np.float32) - mean) / scale
    return out


def ascii_digit(pixels: NDArray[Any]) -> List[str]:
    """An 8x8 image (64 values 0..16) as 8 lines of 16 characters, darker = more ink."""
    levels = np.minimum(np.asarray(pixels, dtype=np.int64).reshape(8, 8) * len(_SHADES) // 17, len(_SHADES) - 1)
    return ["".join(_SHADES[v] * 2 for v in row) for row in levels]


def _progress(total: int, enabled: bool) -> Any:
    """A tqdm progress bar on stderr, or None when disabled or tqdm is not installed."""
    if not enabled:
        return None
    try:
        tqdm = importlib.import_module("tqdm").tqdm
    except ImportError:
        return None
    return tqdm(total=total, desc="training", unit="batch", file=sys.stderr, leave=False, dynamic_ncols=True)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="lossx demo",
        description="Train a small classifier of handwritten digits (UCI optdigits, shipped with lossx) in NumPy "
        "with lossx's fused cross-entropy and gradient, then show the per-class report, the hardest "
        "held-out images and the speed of lossx against NumPy. Offline, a few seconds.",
        epilog="example: lossx demo --epochs 20 --hidden 0 --threads 1",
    )
    p.add_argument("--epochs", type=int, metavar="N", default=10, help="passes over the training split (default 10)")
    p.add_argument("--hidden", type=int, metavar="N", default=32,
                   help="hidden units; 0 trains a softmax regression (default 32)")
    p.add_argument("--batch-size", type=int, metavar="N", default=32, help="minibatch size (default 32)")
    p.add_argument("--lr", type=float, metavar="X", default=0.05,
                   help="learning rate of SGD with momentum 0.9 (default 0.05)")
    p.add_argument("--seed", type=int, metavar="N", default=0,
                   help="seed of the split, the initial weights and the shuffling")
    p.add_argument("--held-out", type=float, metavar="X", default=0.25,
                   help="fraction of each class held out, in [0.05, 0.95] (default 0.25)")
    p.add_argument("--weights", choices=["balanced", "inverse", "effective", "none"], default="balanced",
                   metavar="{balanced,inverse,effective,none}",
                   help="class weights from lossx.class_weights(scheme=...) on the training labels (default balanced)")
    p.add_argument("--threads", type=int, metavar="N", default=None, help="lossx threads (default: all cores)")
    p.add_argument("--bench-rows", type=int, metavar="N", default=100_000,
                   help="rows of the large timing batch, the digits' logits repeated; at most 1000000 (default 100000)")
    p.add_argument("--repeats", type=int, metavar="N", default=15,
                   help="timing repeats; 0 skips the timing (default 15)")
    p.add_argument("--quiet", action="store_true", help="no progress bar (there is none when stderr is not a terminal)")
    return p


def _check(p: argparse.ArgumentParser, a: argparse.Namespace) -> None:
    for name, low in (("epochs", 1), ("hidden", 0), ("batch_size", 1), ("bench_rows", 1), ("repeats", 0)):
        if getattr(a, name) < low:
            p.error(f"--{name.replace('_', '-')} must be >= {low}; got {getattr(a, name)}")
    if not 0.05 <= a.held_out <= 0.95:  # so that each class has images on both sides of the split
        p.error(f"--held-out must lie in [0.05, 0.95]; got {a.held_out}")
    if a.bench_rows > 1_000_000:
        p.error(f"--bench-rows must be <= 1000000 (NumPy's temporaries grow with it); got {a.bench_rows}")
    if not a.lr > 0:
        p.error(f"--lr must be > 0; got {a.lr}")
    if a.threads is not None and not 1 <= a.threads <= lossx.max_num_threads():
        p.error(f"--threads must lie in [1, {lossx.max_num_threads()}]; got {a.threads}")


def run(args: argparse.Namespace, out: TextIO, progress: bool = True) -> DemoResult:
    """Run the demo with parsed options (:func:`main`'s), printing to ``out``; return what it computed.

    ``progress=False`` never shows the progress bar; otherwise it is shown on stderr when stderr
    is a terminal and ``--quiet`` is not given. lossx's thread count is restored at the end.
    """
    threads = lossx.get_num_threads()
    if args.threads is not None:
        lossx.set_num_threads(args.threads)
    try:
        return _run(args, out, progress)
    finally:
        lossx.set_num_threads(threads)


class _Printer:
    """Prints lines to ``out``, above the progress bar while there is one."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.bar: Any = None

    def __call__(self, line: str = "") -> None:
        if self.bar is not None:
            self.bar.write(line, file=self.out)
        else:
            print(line, file=self.out)


def _run(args: argparse.Namespace, out: TextIO, progress: bool) -> DemoResult:
    split_rng, init_rng, shuffle_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(args.seed).spawn(3))
    say = _Printer(out)

    images, labels = load_digits()
    train, test = stratified_split(labels, args.held_out, split_rng)
    mean = images[train].mean(axis=0).astype(np.float32)
    std = images[train].std(axis=0).astype(np.float32)
    scale = np.where(std > 0, std, np.float32(1)).astype(np.float32)
    classes = 10
    weight = None if args.weights == "none" else lossx.class_weights(
        labels[train], num_classes=classes, scheme=args.weights, dtype=np.float32)
    model = Mlp.init(64, args.hidden, classes, init_rng)

    arch = f"MLP 64 -> {args.hidden} (ReLU) -> 10" if args.hidden else "softmax regression 64 -> 10"
    say(f"lossx demo: handwritten digits (UCI optdigits, {len(labels):,} images of 8x8 pixels, 10 classes, CC BY 4.0)")
    say(f"data     {len(train):,} to train, {len(test):,} held out (stratified, seed {args.seed}); pixels standardised")
    say(f"model    {arch}, SGD momentum 0.9, lr {args.lr:g}, batch {args.batch_size}, {args.epochs} epochs")
    say("loss     lossx.cross_entropy_with_grad: the loss and its gradient in one call")
    if weight is None:
        say("weights  none")
    else:
        say(f"weights  lossx.class_weights(train labels, scheme='{args.weights}'): "
            f"{weight.min():.3f} .. {weight.max():.3f}")
    say(f"threads  {lossx.get_num_threads()} (lossx)")
    say()

    x_train, x_test = standardise(images[train], mean, scale), standardise(images[test], mean, scale)
    bar = progress and not args.quiet and sys.stderr.isatty()
    history = _train(model, (x_train, labels[train]), (x_test, labels[test]), weight, args, shuffle_rng, say, bar)

    # Score the held-out images one by one: the plain (unweighted) cross-entropy of each.
    test_logits = model.logits(x_test)
    losses = lossx.cross_entropy(test_logits, labels[test], reduction="none")
    report = class_report(labels[test], losses)
    hardest = np.argsort(-losses, kind="stable")[:10]
    say()
    _print_class_table(say, report, labels[test], test_logits.argmax(axis=1), float(losses.mean()))
    say()
    _print_hardest(say, hardest, test, labels[test], test_logits.argmax(axis=1), losses, images)

    result = DemoResult(images, labels, train, test, mean, scale, weight, model, history,
                        test_logits, losses, report, hardest)
    if args.repeats > 0:
        all_logits = model.logits(standardise(images, mean, scale))
        w = weight if weight is not None else np.ones(classes, np.float32)
        result.timings = _print_timing(say, all_logits, labels, w, args)
    return result


def _train(model: Mlp, train: Tuple[F32, I64], test: Tuple[F32, I64], weight: Optional[F32],
           args: argparse.Namespace, rng: np.random.Generator, say: _Printer, bar: bool) -> List[Epoch]:
    """Minibatch SGD with momentum 0.9; one line per epoch. Returns the epochs' numbers."""
    (x_train, y_train), (x_test, y_test) = train, test
    steps = -(-len(y_train) // args.batch_size)
    velocity = [np.zeros_like(p) for p in model.params()]
    history: List[Epoch] = []
    t_start = time.perf_counter()
    say.bar = _progress(args.epochs * steps, bar)
    try:
        for epoch in range(1, args.epochs + 1):
            order = rng.permutation(len(y_train))
            for k in range(steps):
                rows = order[k * args.batch_size:(k + 1) * args.batch_size]
                _, grads = model.loss_and_grads(x_train[rows], y_train[rows], weight)
                for p, v, g in zip(model.params(), velocity, grads):
                    v *= np.float32(0.9)
                    v -= np.float32(args.lr) * g
                    p += v
                if say.bar is not None:
                    say.bar.update(1)
            z_train, z_test = model.logits(x_train), model.logits(x_test)
            h = Epoch(loss=float(lossx.cross_entropy(z_train, y_train, weight)),
                      train_accuracy=float(np.mean(z_train.argmax(axis=1) == y_train)),
                      test_accuracy=float(np.mean(z_test.argmax(axis=1) == y_test)))
            history.append(h)
            say(f"epoch {epoch:>3}/{args.epochs}  train loss {h.loss:.4f}  train accuracy {h.train_accuracy:.3f}  "
                f"held-out accuracy {h.test_accuracy:.3f}")
    finally:
        if say.bar is not None:
            say.bar.close()
            say.bar = None
    say(f"trained in {time.perf_counter() - t_start:.2f} s")
    return history


def _print_class_table(say: _Printer, report: ClassReport, labels: I64, pred: I64, mean_loss: float) -> None:
    """The per-class report (count, total, mean loss) with each class's accuracy and confusions."""
    say(f"held-out images, per class: lossx.cross_entropy(logits, labels, reduction='none'), mean {mean_loss:.4f}")
    say(f"{'class':>7} {'count':>7} {'total loss':>11} {'mean loss':>10} {'accuracy':>9}   mistaken for")
    for r in report["classes"]:
        c = r["label"]
        mine = pred[labels == c]
        wrong = np.bincount(mine[mine != c], minlength=10)
        mistaken = ", ".join(f"{d} ({wrong[d]})" for d in np.argsort(-wrong, kind="stable") if wrong[d] > 0)
        say(f"{c:>7} {r['count']:>7} {r['total']:>11.4f} {r['mean']:>10.4f} "
            f"{np.mean(mine == c):>9.3f}   {mistaken or '-'}")


def _print_hardest(say: _Printer, hardest: I64, test: I64, labels: I64, pred: I64, losses: F32,
                   images: NDArray[np.uint8], per_row: int = 4, width: int = 20) -> None:
    """The hardest held-out images as ASCII art, ``per_row`` side by side."""
    say(f"the {len(hardest)} hardest held-out images (highest loss): sample number, true -> predicted label, loss")
    for start in range(0, len(hardest), per_row):
        group = hardest[start:start + per_row]
        say("".join(f"#{test[i]:<5d}{labels[i]} -> {pred[i]}".ljust(width) for i in group).rstrip())
        say("".join(f"loss {losses[i]:.3f}".ljust(width) for i in group).rstrip())
        art = [ascii_digit(images[test[i]]) for i in group]
        for line in range(8):
            say("".join(("|" + a[line] + "|").ljust(width) for a in art).rstrip())
        say()


def _print_timing(say: _Printer, logits: F32, labels: I64, weight: F32, args: argparse.Namespace) -> List[Timing]:
    """Time lossx against NumPy on a training minibatch and on the digits' logits repeated to
    ``--bench-rows`` rows; one line each."""
    reps = -(-args.bench_rows // len(labels))
    batches = [
        (np.ascontiguousarray(logits[:args.batch_size]), labels[:args.batch_size]),
        (np.ascontiguousarray(np.tile(logits, (reps, 1))[:args.bench_rows]), np.tile(labels, reps)[:args.bench_rows]),
    ]
    n = lossx.get_num_threads()
    say(f"loss + gradient, weighted cross-entropy, float32: median of {args.repeats} interleaved runs, "
        f"lossx on {n} thread{'s' if n > 1 else ''}{_load()}")
    say(f"{'batch':>16} {'lossx':>10} {'NumPy':>10} {'speed-up':>9}   max |grad difference|")
    timings = []
    for z, y in batches:
        t = time_loss_and_grad(z, y, weight, args.repeats)
        timings.append(t)
        say(f"{f'{t.rows:,} x {t.classes}':>16} {_seconds(t.lossx_seconds):>10} {_seconds(t.numpy_seconds):>10} "
            f"{_ratio(t.numpy_seconds / t.lossx_seconds):>9}   {t.max_grad_difference:.1e}")
    return timings


def _load() -> str:
    """", load average L on C CPUs" where the OS tells (times are noisy on a busy machine)."""
    try:
        return f", load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    except (AttributeError, OSError):
        return ""


def _ratio(r: float) -> str:
    return f"{r:.1f}x" if r >= 1 else f"{r:.2f}x"


def _seconds(t: float) -> str:
    if t < 1e-3:
        return f"{t * 1e6:.1f} us"
    if t < 1:
        return f"{t * 1e3:.2f} ms"
    return f"{t:.2f} s"


def main(argv: Optional[Sequence[str]] = None) -> int:
    """The ``lossx demo`` command: parse ``argv`` (default ``sys.argv[1:]``), run, return the exit code.

    Bad options exit through argparse (status 2, one line on stderr); a missing or damaged data
    file prints one line and returns 1; Ctrl-C returns 130.
    """
    parser = _parser()
    args = parser.parse_args(argv)
    _check(parser, args)
    try:
        run(args, sys.stdout)
    except DataFileError as e:
        print(f"lossx demo: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("lossx demo: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
