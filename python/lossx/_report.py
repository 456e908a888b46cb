"""Per-class loss reports: which classes a model gets wrong (``lossx eval --by-class``, ``lossx demo``).

A minimal version of the module the ``lossx`` command line shares (same names, same report
layout): :func:`class_report` sums per-sample losses by label, :func:`format_class_report`
prints the result as a table. A report is a plain dict (JSON-ready)::

    {"classes": [{"label": 0, "count": 3, "total": 1.5, "mean": 0.5}, ...],  # sorted by label
     "count": 10, "total": 4.2, "mean": 0.42,     # over every sample that is not ignored
     "ignored": 2, "ignore_index": -100}           # samples whose label is ignore_index
"""

from __future__ import annotations

import math
from typing import Any, Dict, Optional

import numpy as np
from numpy.typing import ArrayLike


def class_report(labels: ArrayLike, losses: ArrayLike, *, ignore_index: Optional[int] = None) -> Dict[str, Any]:
    """Count, total and mean of the per-sample ``losses`` for each label value.

    Args:
      labels: integer class of each sample (flattened).
      losses: the per-sample losses (e.g. ``reduction='none'``), as many as ``labels``.
      ignore_index: samples with this label are left out (and counted in ``"ignored"``).

    Returns:
      The report dict of the module docstring; totals are float64 sums.

    Example:
      >>> r = class_report([0, 1, 1], [0.5, 1.0, 2.0])
      >>> r["classes"][1], r["mean"]
      ({'label': 1, 'count': 2, 'total': 3.0, 'mean': 1.5}, 1.1666666666666667)
    """
    y = np.asarray(labels)
    loss = np.asarray(losses, dtype=np.float64).reshape(-1)
    if y.dtype.kind not in "iub":
        raise ValueError(f"class_report: 'labels' must hold integers; got dtype {y.dtype}")
    y = y.reshape(-1).astype(np.int64)
    if y.size != loss.size:
        raise ValueError(f"class_report: 'labels' and 'losses' must have the same number of elements; "
                         f"got {y.size} labels and {loss.size} losses")
    ignored = 0
    if ignore_index is not None:
        keep = y != ignore_index
        ignored = int(y.size - np.count_nonzero(keep))
        y, loss = y[keep], loss[keep]
    keys, index = np.unique(y, return_inverse=True)
    counts = np.bincount(index, minlength=len(keys))
    totals = np.bincount(index, weights=loss, minlength=len(keys))
    classes = [{"label": int(k), "count": int(n), "total": float(t), "mean": float(t) / int(n)}
               for k, n, t in zip(keys, counts, totals)]
    count, total = int(y.size), math.fsum(totals.tolist())
    return {"classes": classes, "count": count, "total": total, "mean": total / count if count else math.nan,
            "ignored": ignored, "ignore_index": ignore_index}


def format_class_report(report: Dict[str, Any], *, top: Optional[int] = None) -> str:
    """The report of :func:`class_report` as a text table, one line per class and one for all.

    ``top=k`` keeps the ``k`` classes with the highest mean loss, worst first; by default every
    class is listed by label.
    """
    classes = list(report["classes"])
    if top is not None:
        if top < 0:
            raise ValueError(f"format_class_report: 'top' must be >= 0; got {top}")
        classes = sorted(classes, key=lambda c: (-c["mean"], c["label"]))[:top]
    lines = [f"{'class':>7} {'count':>9} {'total':>12} {'mean':>10}"]
    for c in classes:
        lines.append(f"{c['label']:>7} {c['count']:>9,} {c['total']:>12.4f} {c['mean']:>10.4f}")
    lines.append(f"{'all':>7} {report['count']:>9,} {report['total']:>12.4f} {report['mean']:>10.4f}")
    return "\n".join(lines)
