"""Per-class loss reports and plots, for ``lossx eval --by-class`` and ``lossx demo``.

A per-class report answers "which classes does the model get wrong?": for every label
value, the number of samples, the sum and the mean of their per-sample losses
(``reduction='none'``). Class-index losses report per class; the ±1 and 0/1 losses
(``hinge_embedding_loss``, ``soft_margin_loss``, ``binary_cross_entropy``, ...) per target value.

* :func:`class_report` computes the report of arrays in memory, :class:`ClassAccumulator`
  the same over a stream of chunks (it is what :func:`class_report` uses);
* :func:`format_class_report` renders it as an aligned text table;
* :class:`LossSummary` keeps the count, sum, extremes and a bounded uniform sample of a
  stream of per-sample losses, and :func:`plot_losses` draws the sample's histogram and the
  per-class means (matplotlib, optional).

A report is a plain dict (JSON-ready)::

    {"classes": [{"label": 0, "count": 3, "total": 1.5, "mean": 0.5}, ...],  # sorted by label
     "count": 10, "total": 4.2, "mean": 0.42,     # over every sample that is not ignored
     "ignored": 2, "ignore_index": -100}           # samples whose label is ignore_index
"""

from __future__ import annotations

import math
from typing import Any, Dict, List, Sequence

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["class_report", "format_class_report", "ClassAccumulator", "LossSummary", "plot_losses"]

# A label range up to this size is tallied with one bincount; wider (sparse) labels go through np.unique.
_DENSE_RANGE = 1 << 16


def _integer_labels(labels: ArrayLike) -> np.ndarray:
    """Labels as int64: integer and bool arrays as they are, floats only when every value is a whole number."""
    a = np.asarray(labels)
    if a.dtype.kind in "iub":
        return a.astype(np.int64, copy=False)
    if a.dtype.kind == "f":
        finite = np.isfinite(a)
        if not finite.all() or not np.array_equal(a, np.round(a)):
            bad = a[~finite | (a != np.round(a))].ravel()[0]
            raise ValueError(f"class_report: 'labels' must be class indices or target values such as 0/1 or -1/+1; "
                             f"got {bad!r}, which is not a whole number (probability targets have no classes)")
        if a.size and np.abs(a).max() > 2**53:
            raise ValueError("class_report: 'labels' must be whole numbers below 2**53")
        return a.astype(np.int64)
    raise TypeError(f"class_report: 'labels' must be an integer, bool or float array; got dtype {a.dtype}")


class ClassAccumulator:
    """Per-label count and loss total over a stream of ``(labels, losses)`` chunks.

    ``acc = ClassAccumulator(ignore_index=-100)``; ``acc.add(labels, losses)`` for each chunk
    (arrays of the same size; flattened); ``acc.report()`` gives the dict of :func:`class_report`.
    Totals are accumulated in float64.
    """

    def __init__(self, *, ignore_index: int | None = None) -> None:
        self.ignore_index = ignore_index
        self._counts: Dict[int, int] = {}
        self._totals: Dict[int, float] = {}
        self.ignored = 0

    def add(self, labels: ArrayLike, losses: ArrayLike) -> None:
        """Add one chunk: ``labels`` and the per-sample ``losses`` (same number of elements)."""
        lab = _integer_labels(labels).ravel()
        loss = np.asarray(losses, dtype=np.float64).ravel()
        if lab.size != loss.size:
            raise ValueError(f"class_report: 'labels' and 'losses' must have the same number of elements; "
                             f"got {lab.size} labels and {loss.size} losses")
        if self.ignore_index is not None:
            keep = lab != self.ignore_index
            n_ignored = int(lab.size - np.count_nonzero(keep))
            if n_ignored:
                self.ignored += n_ignored
                lab, loss = lab[keep], loss[keep]
        if lab.size == 0:
            return
        lo, hi = int(lab.min()), int(lab.max())
        if hi - lo < _DENSE_RANGE:
            shifted = lab - lo
            counts = np.bincount(shifted, minlength=hi - lo + 1)
            totals = np.bincount(shifted, weights=loss, minlength=hi - lo + 1)
            present = np.flatnonzero(counts)
            keys = present + lo
            counts, totals = counts[present], totals[present]
        else:
            keys, inverse = np.unique(lab, return_inverse=True)
            counts = np.bincount(inverse, minlength=keys.size)
            totals = np.bincount(inverse, weights=loss, minlength=keys.size)
        for k, c, t in zip(keys.tolist(), counts.tolist(), totals.tolist()):
            self._counts[k] = self._counts.get(k, 0) + c
            self._totals[k] = self._totals.get(k, 0.0) + t

    def report(self) -> Dict[str, Any]:
        """The report so far (see the module docstring for its layout)."""
        classes: List[Dict[str, Any]] = []
        for k in sorted(self._counts):
            c, t = self._counts[k], self._totals[k]
            classes.append({"label": k, "count": c, "total": t, "mean": t / c})
        count = sum(self._counts.values())
        total = math.fsum(self._totals.values())
        return {"classes": classes, "count": count, "total": total, "mean": total / count if count else math.nan,
                "ignored": self.ignored, "ignore_index": self.ignore_index}


def class_report(labels: ArrayLike, losses: ArrayLike, *, ignore_index: int | None = None) -> Dict[str, Any]:
    """Count, total and mean loss per label value.

    Args:
      labels: class indices (any integer dtype) or target values (0/1, -1/+1; bool, or floats
        holding whole numbers), one per loss.
      losses: per-sample losses (``reduction='none'``), the same number of elements as
        ``labels`` (both are flattened: a K-dim ``(N, d1, ...)`` loss pairs with its ``(N, d1, ...)``
        targets element by element).
      ignore_index: a label to leave out (counted in ``"ignored"``), as cross-entropy's
        ``ignore_index``; ``None`` keeps every label.

    Returns:
      ``{"classes": [{"label", "count", "total", "mean"}, ...] (sorted by label), "count",
      "total", "mean", "ignored", "ignore_index"}``; totals are float64 sums, ``mean`` is
      ``total / count`` (``nan`` when nothing is counted).

    Raises ``ValueError`` when the sizes differ or a float label is not a whole number.

    >>> r = class_report([0, 1, 1, -100], [0.5, 1.0, 2.0, 0.0], ignore_index=-100)
    >>> [(c["label"], c["count"], c["mean"]) for c in r["classes"]], r["ignored"]
    ([(0, 1, 0.5), (1, 2, 1.5)], 1)
    """
    acc = ClassAccumulator(ignore_index=ignore_index)
    acc.add(labels, losses)
    return acc.report()


def _num(x: float, total: bool = False) -> str:
    """A loss value for a table: fixed decimals (4 for means, 2 for totals) in a readable range,
    scientific outside it."""
    if not math.isfinite(x):
        return str(x)
    if total and (x == 0 or 1e-2 <= abs(x) < 1e15):
        return f"{x:,.2f}"
    if x == 0 or 1e-3 <= abs(x) < 1e5:
        return f"{x:,.4f}"
    return f"{x:.3e}"


def format_class_report(report: Dict[str, Any], *, top: int | None = None, bar_width: int = 20) -> str:
    """The report of :func:`class_report` as an aligned text table.

    Columns: label, count, total loss, mean loss, share of the total loss, and a bar of the
    mean loss (relative to the largest class mean), so the classes the model gets wrong stand
    out. A last row sums every class. ``top=None`` lists every class by label; ``top=k`` lists
    the ``k`` classes with the highest mean loss, highest first, and says how many are left out.
    """
    classes: Sequence[Dict[str, Any]] = report["classes"]
    shown = list(classes)
    if top is not None:
        if top < 0:
            raise ValueError(f"format_class_report: 'top' must be >= 0; got {top}")
        shown = sorted(classes, key=lambda c: (-c["mean"] if math.isfinite(c["mean"]) else -math.inf, c["label"]))[:top]
    grand = report["total"]
    means = [c["mean"] for c in classes if math.isfinite(c["mean"]) and c["mean"] > 0]
    peak = max(means) if means else 0.0

    def share(t: float) -> str:
        return f"{100.0 * t / grand:.1f}%" if grand and math.isfinite(grand) and math.isfinite(t) else "-"

    def bar(m: float) -> str:
        if peak <= 0 or not math.isfinite(m) or m <= 0:
            return ""
        return "#" * max(1, round(bar_width * m / peak))

    rows = [["class", "count", "total", "mean", "share", "mean loss"]]
    for c in shown:
        rows.append([str(c["label"]), f"{c['count']:,}", _num(c["total"], True), _num(c["mean"]),
                     share(c["total"]), bar(c["mean"])])
    rows.append(["all", f"{report['count']:,}", _num(grand, True), _num(report["mean"]),
                 share(grand) if classes else "-", ""])
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = []
    for i, r in enumerate(rows):
        cells = [r[0].rjust(widths[0])] + [r[j].rjust(widths[j]) for j in range(1, 5)]
        lines.append(("  ".join(cells) + "  " + r[5]).rstrip())
        if i == 0:
            lines.append("-" * (sum(widths) + 2 * 4 + 2 + bar_width))
        if i == len(rows) - 2:
            if top is not None and len(classes) > len(shown):
                rest = len(classes) - len(shown)
                lines.append(f"... {rest:,} more class{'es' if rest != 1 else ''} with a lower mean loss")
            lines.append("-" * (sum(widths) + 2 * 4 + 2 + bar_width))
    if report.get("ignored"):
        n = report["ignored"]
        lines.append(f"({n:,} sample{'s' if n != 1 else ''} with ignore_index={report['ignore_index']} not counted)")
    return "\n".join(lines)


class LossSummary:
    """Count, float64 sum, min and max of a stream of per-sample losses, plus a uniform sample.

    ``LossSummary(expected, keep=1_000_000)``: ``expected`` is the number of losses the
    stream will bring (used to keep about ``keep`` of them, each with the same probability,
    seeded: the same input gives the same sample). ``add(chunk)`` for each chunk; ``sample()``
    returns what was kept (every loss when ``expected <= keep``).
    """

    def __init__(self, expected: int, keep: int = 1_000_000, seed: int = 0) -> None:
        self.count = 0
        self.total = 0.0
        self.nonfinite = 0
        self.min = math.inf
        self.max = -math.inf
        self.expected = expected
        self._p = 1.0 if expected <= keep else keep / expected
        self._rng = np.random.default_rng(seed)
        self._kept: List[np.ndarray] = []

    @property
    def sampled(self) -> bool:
        """True when the sample holds only part of the losses."""
        return self._p < 1.0

    def add(self, losses: ArrayLike) -> None:
        """Add a chunk of losses (any shape; flattened)."""
        a = np.asarray(losses).ravel()
        if a.size == 0:
            return
        self.count += a.size
        self.total += float(np.sum(a, dtype=np.float64))
        finite = np.isfinite(a)
        n_finite = int(np.count_nonzero(finite))
        self.nonfinite += a.size - n_finite
        if n_finite:
            f = a if n_finite == a.size else a[finite]
            self.min = min(self.min, float(f.min()))
            self.max = max(self.max, float(f.max()))
        if self._p >= 1.0:
            self._kept.append(a.astype(np.float64))
        else:
            self._kept.append(a[self._rng.random(a.size) < self._p].astype(np.float64))

    @property
    def mean(self) -> float:
        """The mean of every loss added (``nan`` when none)."""
        return self.total / self.count if self.count else math.nan

    def sample(self) -> np.ndarray:
        """The kept losses, float64."""
        return np.concatenate(self._kept) if self._kept else np.zeros(0)

    def as_dict(self) -> Dict[str, Any]:
        """``{"count", "mean", "min", "max", "nonfinite"}`` for a JSON summary (finite min/max)."""
        return {"count": self.count, "mean": self.mean, "min": self.min if self.count > self.nonfinite else None,
                "max": self.max if self.count > self.nonfinite else None, "nonfinite": self.nonfinite}


def plot_losses(path: str, losses: ArrayLike, report: Dict[str, Any] | None = None, *, title: str = "",
                sampled_from: int | None = None, fmt: str | None = None, max_bars: int = 60) -> None:
    """Save a figure: the histogram of the per-sample ``losses`` and, with a ``report``, the
    per-class mean loss as bars.

    The histogram uses logarithmic bins and axis when the positive losses span more than two
    decades (zeros and negative values are then counted in the legend, not drawn). With more
    than ``max_bars`` classes, the bars show the ``max_bars`` highest means. ``sampled_from``
    notes that ``losses`` is a sample of that many. ``fmt`` is the image format (by default
    from ``path``'s extension). Needs matplotlib (``ImportError`` otherwise).
    """
    from matplotlib.figure import Figure  # optional dependency: imported on use

    a = np.asarray(losses, dtype=np.float64).ravel()
    a = a[np.isfinite(a)]
    panels = 2 if report is not None and report["classes"] else 1
    fig = Figure(figsize=(6.4 * panels, 4.4), layout="constrained")
    axes = fig.subplots(1, panels, squeeze=False)[0]
    ax = axes[0]
    positive = a[a > 0]
    note = f"{a.size:,} losses"
    if sampled_from is not None:
        note = f"a uniform sample of {a.size:,} of {sampled_from:,} losses"
    if positive.size and positive.max() / positive.min() > 100.0:
        lo, hi = positive.min(), positive.max()
        bins = np.logspace(np.log10(lo), np.log10(hi) + 1e-9, 60)
        ax.hist(positive, bins=bins, color="tab:blue")
        ax.set_xscale("log")
        rest = a.size - positive.size
        if rest:
            note += f"; {rest:,} at or below 0 not drawn"
    elif a.size:
        ax.hist(a, bins=60, color="tab:blue")
    ax.set_xlabel("per-sample loss")
    ax.set_ylabel("samples")
    ax.set_title("Per-sample loss" + (f": {title}" if title else "") + f"\n({note})", fontsize=10)
    if panels == 2:
        assert report is not None
        classes = report["classes"]
        shown = classes
        if len(classes) > max_bars:
            shown = sorted(classes, key=lambda c: -c["mean"] if math.isfinite(c["mean"]) else math.inf)[:max_bars]
            shown = sorted(shown, key=lambda c: c["label"])
        bx = axes[1]
        xs = np.arange(len(shown))
        bx.bar(xs, [c["mean"] for c in shown], color="tab:orange")
        bx.set_xticks(xs, [str(c["label"]) for c in shown], fontsize=8 if len(shown) <= 20 else 6,
                      rotation=0 if len(shown) <= 20 else 90)
        bx.axhline(report["mean"], color="black", linewidth=0.8, linestyle="--", label="mean over all samples")
        bx.legend(fontsize=8)
        bx.set_xlabel("class")
        bx.set_ylabel("mean loss")
        extra = f" (the {max_bars} highest of {len(classes)})" if len(classes) > max_bars else ""
        bx.set_title(f"Mean loss per class{extra}\n({report['count']:,} samples)", fontsize=10)
    fig.savefig(path, format=fmt, dpi=100)
