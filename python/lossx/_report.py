"""Per-class loss reports: which classes a model gets wrong (``lossx eval --by-class``, ``lossx demo``).

A minimal version of the API shared with the command line: :func:`class_report` sums per-sample
losses by class, :func:`format_class_report` prints them as a table.
"""

from __future__ import annotations

from typing import Dict, Optional

import numpy as np
from numpy.typing import ArrayLike

#: ``{class: {"count": n, "total": sum of the losses, "mean": total / n}}``, classes in increasing order.
ClassReport = Dict[int, Dict[str, float]]


def class_report(labels: ArrayLike, losses: ArrayLike, *, ignore_index: Optional[int] = None) -> ClassReport:
    """Count, total and mean of per-sample ``losses`` for each class in ``labels``.

    Args:
      labels: integer class of each sample, any shape.
      losses: the per-sample losses (e.g. ``reduction='none'``), the shape of ``labels``.
      ignore_index: samples with this label are left out.

    Returns:
      ``{class: {"count": n, "total": Σ loss, "mean": Σ loss / n}}`` for every class that occurs,
      in increasing class order; totals are summed in float64.

    Example:
      >>> class_report([0, 1, 1], [0.5, 1.0, 2.0])[1]
      {'count': 2, 'total': 3.0, 'mean': 1.5}
    """
    y = np.asarray(labels)
    loss = np.asarray(losses, dtype=np.float64)
    if y.dtype.kind not in "iub":
        raise TypeError(f"class_report: 'labels' must hold integers; got dtype {y.dtype}")
    if y.shape != loss.shape:
        raise ValueError(f"class_report: 'losses' must have the shape of 'labels' {y.shape}; got {loss.shape}")
    y, loss = y.reshape(-1).astype(np.int64), loss.reshape(-1)
    if ignore_index is not None:
        keep = y != ignore_index
        y, loss = y[keep], loss[keep]
    classes, index = np.unique(y, return_inverse=True)
    counts = np.bincount(index, minlength=len(classes))
    totals = np.bincount(index, weights=loss, minlength=len(classes))
    return {
        int(c): {"count": int(n), "total": float(t), "mean": float(t) / int(n)}
        for c, n, t in zip(classes, counts, totals)
    }


def format_class_report(report: ClassReport, *, top: Optional[int] = None) -> str:
    """The report of :func:`class_report` as a text table, one line per class.

    ``top=k`` keeps the ``k`` classes with the highest mean loss, worst first; by default every
    class is listed in class order.
    """
    classes = list(report)
    if top is not None:
        if top < 0:
            raise ValueError(f"format_class_report: 'top' must be >= 0; got {top}")
        classes = sorted(classes, key=lambda c: -report[c]["mean"])[:top]
    lines = [f"{'class':>7} {'count':>9} {'total loss':>12} {'mean loss':>10}"]
    for c in classes:
        r = report[c]
        lines.append(f"{c:>7} {int(r['count']):>9,} {r['total']:>12.4f} {r['mean']:>10.4f}")
    return "\n".join(lines)
