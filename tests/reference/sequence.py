"""NumPy references for the sequence losses (float64, from the formulas)."""

import numpy as np

from ._reduce import reduce


def _ctc_nll(lp, labels, blank):
    """-log p(labels | lp) for one sample: lp (T', C) float64, labels 1-D ints.

    The alpha recursion of Graves et al. (2006, eq. 6-8) over the extended
    sequence (blank, l1, blank, ..., lL, blank), in log space with np.logaddexp.
    """
    L = len(labels)
    if lp.shape[0] == 0:
        return 0.0 if L == 0 else np.inf
    ext = np.full(2 * L + 1, blank, dtype=np.int64)
    ext[1::2] = labels
    S = ext.size
    # a label state may also be entered from two states back when it differs from that label
    skip = np.zeros(S, dtype=bool)
    skip[2:] = (ext[2:] != blank) & (ext[2:] != ext[:-2])
    alpha = np.full(S, -np.inf)
    alpha[0] = lp[0, blank]
    if S > 1:
        alpha[1] = lp[0, ext[1]]
    one_back = np.full(S, -np.inf)
    two_back = np.full(S, -np.inf)
    for t in range(1, lp.shape[0]):
        one_back[1:] = alpha[:-1]
        two_back[2:] = np.where(skip[2:], alpha[:-2], -np.inf)
        alpha = np.logaddexp(np.logaddexp(alpha, one_back), two_back) + lp[t, ext]
    last = alpha[-1] if S == 1 else np.logaddexp(alpha[-1], alpha[-2])
    return -last


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean", zero_infinity=False):
    lp = np.asarray(log_probs, dtype=np.float64)
    targets = np.asarray(targets)
    il = np.asarray(input_lengths).astype(np.int64).reshape(-1)
    tl = np.asarray(target_lengths).astype(np.int64).reshape(-1)
    batched = lp.ndim == 3
    if not batched:
        lp = lp[:, None, :]
    N = lp.shape[1]
    per = np.zeros(N)
    start = 0
    for n in range(N):
        if targets.ndim == 2:
            labels = targets[n, : tl[n]]
        else:
            labels = targets[start : start + tl[n]]
            start += tl[n]
        per[n] = _ctc_nll(lp[: il[n], n, :], labels.astype(np.int64), blank)
    if zero_infinity:
        per = np.where(per == np.inf, 0.0, per)
    if reduction == "mean":
        return reduce(per / np.maximum(tl, 1), "mean")
    out = reduce(per, reduction)
    return out if batched or reduction != "none" else out.reshape(())
