"""Property tests (hypothesis) over the case registry and a few targeted strategies.

For random seeds, batch sizes, reductions, dtypes and layouts drawn by hypothesis:
- ``NAME_backward`` is the derivative of ``NAME`` (4th-order central differences, float64);
- results are bitwise the same for 1 and 2 threads, and for every integer dtype of the targets;
- inputs are never modified;
- non-contiguous, negative-stride, Fortran, read-only and zero-stride (np.broadcast_to)
  arguments give bitwise the result of their contiguous copies;
- float32 stays within the float32 tolerance of the tests (helpers.tol: rtol = atol = 3e-5)
  of the float64 result on the same values.

LOSSX_HYPOTHESIS_EXAMPLES sets the examples per test (default 20, quick enough for every run;
scripts/extended-checks uses 500). With CI=true the examples are derandomized so that a CI
failure reproduces.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, assume, given, note, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import lossx  # noqa: E402
from cases import CASES  # noqa: E402
from helpers import fn, grads_tuple, tol  # noqa: E402
from reference import classification as ref_cls  # noqa: E402
from reference import regression as ref_reg  # noqa: E402
from reference import sequence as ref_seq  # noqa: E402



def _examples_per_test() -> int:
    """The hypothesis examples per property test: LOSSX_HYPOTHESIS_EXAMPLES, default 20."""
    raw = os.environ.get("LOSSX_HYPOTHESIS_EXAMPLES", "20")
    try:
        n = int(raw)
    except ValueError:
        n = 0
    if n < 1:
        raise ValueError(f"LOSSX_HYPOTHESIS_EXAMPLES must be a positive integer; got {raw!r}")
    return n


EXAMPLES = _examples_per_test()
PROPERTY = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=os.environ.get("CI", "").lower() == "true",
    database=None if os.environ.get("CI", "").lower() == "true" else settings.default.database,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    print_blob=True,
)

case_st = st.sampled_from(CASES)
seed_st = st.integers(0, 2**32 - 1)
dtype_st = st.sampled_from([np.float32, np.float64])


def _make(case, seed, dtype, n):
    if not case.empty:
        n = max(n, 1)
    args, kwargs = case.make(np.random.default_rng(seed), dtype, n)
    note(f"case {case.id} seed {seed} n {n} dtype {np.dtype(dtype).name}")
    return args, kwargs


def _grad_output(case, args, kwargs, r, dtype, seed):
    rng = np.random.default_rng(seed ^ 0x5EED)
    if r == "none":
        shape = np.shape(fn(case)(*args, reduction=r, **kwargs))
        return (rng.random(shape) + 0.5).astype(dtype)
    return dtype(rng.random() + 0.5)


def _everything(case, args, kwargs, dtype, seed):
    """Every output of the loss for these arguments, as a list of arrays: the loss for each
    reduction, its gradients, and the fused loss + gradients."""
    out = []
    for r in case.reductions:
        out.append(fn(case)(*args, reduction=r, **kwargs))
        g = _grad_output(case, args, kwargs, r, dtype, seed)
        out += list(grads_tuple(fn(case, "_backward")(g, *args, reduction=r, **kwargs), case))
        loss, grads = fn(case, "_with_grad")(*args, reduction=r, grad_output=g, **kwargs)
        out += [loss, *grads_tuple(grads, case)]
    return out


def _assert_bitwise(a_list, b_list, what):
    assert len(a_list) == len(b_list)
    for k, (a, b) in enumerate(zip(a_list, b_list)):
        a, b = np.asarray(a), np.asarray(b)
        assert a.dtype == b.dtype and a.shape == b.shape, f"{what}: output {k}"
        assert a.tobytes() == b.tobytes(), f"{what}: output {k} differs"


def _outcome(f):
    """Run f(); return ('ok', result) or ('error', exception type, message)."""
    try:
        return ("ok", f())
    except (ValueError, TypeError) as e:
        return ("error", type(e), str(e))


# ------------------------------------------------------------------------- gradients

def _fd(f, x, i, h):
    flat = x.reshape(-1)
    orig = flat[i]
    vals = []
    for step in (2, 1, -1, -2):
        flat[i] = orig + step * h
        vals.append(f())
    flat[i] = orig
    return (-vals[0] + 8 * vals[1] - 8 * vals[2] + vals[3]) / (12 * h)


@PROPERTY
@given(case=case_st.filter(lambda c: c.fd), seed=seed_st, n=st.integers(1, 3), data=st.data())
def test_backward_is_the_derivative_of_the_forward(case, seed, n, data):
    """NAME_backward agrees with 4th-order central differences of NAME itself (float64).
    Elements where the loss is not smooth within the step (a hinge, a max, |x|) are those where
    two step sizes disagree; they are left out (the reference tests cover the kinks' one-sided rules)."""
    args, kwargs = _make(case, seed, np.float64, n)
    r = data.draw(st.sampled_from(case.reductions), label="reduction")
    g = _grad_output(case, args, kwargs, r, np.float64, seed)
    grads = grads_tuple(fn(case, "_backward")(g, *args, reduction=r, **kwargs), case)
    base = [np.array(a, dtype=np.float64, copy=True) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a
            for a in args]
    for pos, grad in zip(case.diff, grads):
        x = base[pos]
        assert grad.shape == np.shape(x)

        def objective():
            return float(np.sum(g * fn(case)(*base, reduction=r, **kwargs)))

        for i in range(x.size):
            a, b = _fd(objective, x, i, 1e-4), _fd(objective, x, i, 2.5e-5)
            if not (np.isfinite(a) and np.isfinite(b)) or abs(a - b) > 1e-6 * (1 + abs(a)):
                continue  # not smooth here
            got = grad.reshape(-1)[i]
            assert abs(got - a) <= 1e-7 + 1e-6 * abs(a), f"{case.id} {r} arg {pos} element {i}: {got} vs fd {a}"


# ------------------------------------------------------------------------- determinism

n_st = st.one_of(st.integers(0, 9), st.integers(10, 3000))


@PROPERTY
@given(case=case_st, seed=seed_st, n=n_st, dtype=dtype_st)
def test_one_and_two_threads_bitwise(case, seed, n, dtype):
    args, kwargs = _make(case, seed, dtype, n)
    before = lossx.get_num_threads()
    try:
        lossx.set_num_threads(1)
        one = _everything(case, args, kwargs, dtype, seed)
        lossx.set_num_threads(2)
        two = _everything(case, args, kwargs, dtype, seed)
    finally:
        lossx.set_num_threads(before)
    _assert_bitwise(one, two, "1 vs 2 threads")


INT_DTYPES = [np.int64, np.int32, np.int16, np.int8, np.uint8, np.uint16, np.uint32, np.uint64]


@PROPERTY
@given(case=case_st, seed=seed_st, n=n_st, dtype=dtype_st, other=st.sampled_from(INT_DTYPES[1:]))
def test_integer_dtype_of_targets_bitwise(case, seed, n, dtype, other):
    args, kwargs = _make(case, seed, dtype, n)
    pos = [i for i, a in enumerate(args) if isinstance(a, np.ndarray) and a.dtype.kind in "iu"]
    keys = [k for k, v in kwargs.items() if isinstance(v, np.ndarray) and v.dtype.kind in "iu"]
    assume(pos or keys)
    ints = [np.asarray(args[p]) for p in pos] + [kwargs[k] for k in keys]
    info = np.iinfo(other)
    assume(all(a.size == 0 or (a.min() >= info.min and a.max() <= info.max) for a in ints))
    results = []
    for it in (np.int64, other):
        a = tuple(np.asarray(x).astype(it) if i in pos else x for i, x in enumerate(args))
        k = {name: (v.astype(it) if name in keys else v) for name, v in kwargs.items()}
        results.append(_everything(case, a, k, dtype, seed))
    _assert_bitwise(results[0], results[1], f"int64 vs {np.dtype(other).name}")


@PROPERTY
@given(case=case_st, seed=seed_st, n=st.integers(0, 40), dtype=dtype_st)
def test_inputs_never_modified(case, seed, n, dtype):
    args, kwargs = _make(case, seed, dtype, n)
    before = [np.array(a, copy=True) for a in args]
    kbefore = {k: np.array(v, copy=True) for k, v in kwargs.items() if isinstance(v, np.ndarray)}
    _everything(case, args, kwargs, dtype, seed)
    for a, b in zip(args, before):
        assert np.asarray(a).tobytes() == b.tobytes()
    for k, b in kbefore.items():
        assert kwargs[k].tobytes() == b.tobytes()


# ------------------------------------------------------------------------- layouts

def _noncontiguous(a, rng):
    """The same values in a layout with gaps, and a negative stride on a random axis."""
    if a.ndim == 0:
        return a
    axis = int(rng.integers(a.ndim))
    shape = list(a.shape)
    shape[axis] *= 2
    big = np.zeros(shape, a.dtype)
    index = [slice(None)] * a.ndim
    index[axis] = slice(None, None, -2)
    view = big[tuple(index)]
    view[...] = a[tuple(slice(None, None, -1) if k == axis else slice(None) for k in range(a.ndim))]
    return view[tuple(slice(None, None, -1) if k == axis else slice(None) for k in range(a.ndim))]


def _readonly(a, rng):
    b = a.copy()
    b.flags.writeable = False
    return b


def _fortran(a, rng):
    return np.array(a, order="F")  # (np.asfortranarray would make a 0-d array 1-d)


def _broadcast(a, rng):
    """A zero-stride view: one index of a random axis repeated along it (np.broadcast_to)."""
    if a.ndim == 0 or a.size == 0:
        return a
    axis = int(rng.integers(a.ndim))
    if a.shape[axis] < 2:
        return a
    one = np.take(a, [int(rng.integers(a.shape[axis]))], axis=axis)
    return np.broadcast_to(one, a.shape)


LAYOUTS = {"noncontiguous": _noncontiguous, "readonly": _readonly, "fortran": _fortran, "broadcast": _broadcast}


@PROPERTY
@given(case=case_st, seed=seed_st, n=st.integers(0, 40), dtype=dtype_st,
       layout=st.sampled_from(sorted(LAYOUTS)), which=st.integers(0, 2**16))
def test_views_give_the_contiguous_result(case, seed, n, dtype, layout, which):
    args, kwargs = _make(case, seed, dtype, n)
    arrays = [i for i, a in enumerate(args) if isinstance(a, np.ndarray)]
    arrays += [k for k, v in kwargs.items() if isinstance(v, np.ndarray)]
    assume(arrays)
    rng = np.random.default_rng(which)
    chosen = [p for p in arrays if rng.random() < 0.5] or [arrays[which % len(arrays)]]
    transform = LAYOUTS[layout]
    viewed_args, viewed_kw = list(args), dict(kwargs)
    for p in chosen:
        if isinstance(p, int):
            viewed_args[p] = transform(args[p], rng)
        else:
            viewed_kw[p] = transform(kwargs[p], rng)
    note(f"{layout} of {chosen}")
    def contiguous(a):  # (np.ascontiguousarray would make a 0-d array 1-d)
        return np.array(a, order="C", copy=True) if isinstance(a, np.ndarray) else a

    contig_args = [contiguous(a) for a in viewed_args]
    contig_kw = {k: contiguous(v) for k, v in viewed_kw.items()}
    want = _outcome(lambda: _everything(case, contig_args, contig_kw, dtype, seed))
    got = _outcome(lambda: _everything(case, viewed_args, viewed_kw, dtype, seed))
    if want[0] == "error":
        # a broadcast row may not be a valid input (BCE bounds, CTC lengths): the same error then
        assert got[:2] == want[:2], (got, want)
        return
    assert got[0] == "ok", got
    _assert_bitwise(want[1], got[1], layout)


# ------------------------------------------------------------------------- float32 vs float64

def _to32(v):
    if isinstance(v, np.ndarray) and v.dtype == np.float64:
        return v.astype(np.float32)
    return v


@PROPERTY
@given(case=case_st, seed=seed_st, n=st.integers(0, 200))
def test_float32_within_tolerance_of_float64(case, seed, n):
    """The same values (float32-representable) in float32 and float64: the float32 result is
    within the float32 test tolerance (rtol = atol = 3e-5) of the float64 one."""
    args32, kwargs32 = _make(case, seed, np.float32, n)

    def to64(v):
        return v.astype(np.float64) if isinstance(v, np.ndarray) and v.dtype == np.float32 else v

    args64 = tuple(to64(a) for a in args32)
    kwargs64 = {k: to64(v) for k, v in kwargs32.items()}
    for r in case.reductions:
        a = fn(case)(*args32, reduction=r, **kwargs32)
        b = fn(case)(*args64, reduction=r, **kwargs64)
        assert a.dtype == np.float32
        np.testing.assert_allclose(a, b, **tol(np.float32), err_msg=f"{case.id} {r}")
        g32 = grads_tuple(fn(case, "_with_grad")(*args32, reduction=r, **kwargs32)[1], case)
        g64 = grads_tuple(fn(case, "_with_grad")(*args64, reduction=r, **kwargs64)[1], case)
        for x, y in zip(g32, g64):
            np.testing.assert_allclose(x, y, **tol(np.float32), err_msg=f"{case.id} {r} gradient")


# ------------------------------------------------------------------------- targeted strategies

@st.composite
def class_index_batches(draw):
    """cross_entropy / nll_loss arguments: (N, C, d...) logits with extreme values mixed in,
    targets at every boundary including ignore_index, optional weight, label smoothing."""
    n = draw(st.integers(0, 6))
    c = draw(st.integers(1, 9))
    spatial = tuple(draw(st.lists(st.integers(0, 3), max_size=2)))
    seed = draw(seed_st)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c, *spatial)) * draw(st.sampled_from([1.0, 30.0]))
    special = draw(st.sampled_from([None, 1e4, -1e4, -np.inf]))
    if special is not None and x.size:
        mask = rng.random(x.shape) < 0.2
        x[mask] = special
        if special == -np.inf:
            x[:, 0] = np.where(np.isinf(x[:, 0]), 0.0, x[:, 0])  # one finite logit per row
    ignore = draw(st.sampled_from([-100, 0, c - 1, c + 3]))
    y = rng.integers(0, c, size=(n, *spatial))
    if y.size:
        y[rng.random(y.shape) < 0.2] = c - 1
        y[rng.random(y.shape) < 0.2] = 0
        y[rng.random(y.shape) < 0.3] = ignore  # a valid class that is ignored, or an out-of-range ignore_index
    w = (rng.random(c) + draw(st.sampled_from([0.0, 0.1]))) if draw(st.booleans()) else None
    smoothing = draw(st.sampled_from([0.0, 0.0, 0.1, 1.0]))
    return x, y, w, ignore, smoothing


@PROPERTY
@given(batch=class_index_batches(), reduction=st.sampled_from(["none", "mean", "sum"]))
def test_cross_entropy_matches_reference_on_hostile_batches(batch, reduction):
    x, y, w, ignore, smoothing = batch
    got = lossx.cross_entropy(x, y, w, ignore_index=ignore, reduction=reduction, label_smoothing=smoothing)
    with np.errstate(all="ignore"):
        want = ref_cls.cross_entropy(x, y, w, ignore_index=ignore, reduction=reduction, label_smoothing=smoothing)
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9, equal_nan=True)
    nll_in = np.where(np.isfinite(x), x, -1e300) if x.size else x
    got = lossx.nll_loss(nll_in, y, w, ignore_index=ignore, reduction=reduction)
    want = ref_cls.nll_loss(nll_in, y, w, ignore_index=ignore, reduction=reduction)
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9, equal_nan=True)


finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False, width=64)
anyfloat = st.floats(width=64)  # NaN and ±inf included


@PROPERTY
@given(data=st.data(), name=st.sampled_from(["l1_loss", "mse_loss", "smooth_l1_loss", "huber_loss"]),
       reduction=st.sampled_from(["none", "mean", "sum"]), nonfinite=st.booleans())
def test_regression_matches_reference_on_any_values(data, name, reduction, nonfinite):
    """Any float64 values, NaN and ±inf included, propagate as the reference (PyTorch) does."""
    from hypothesis.extra import numpy as hnp

    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=5), label="shape")
    values = anyfloat if nonfinite else finite
    x = data.draw(hnp.arrays(np.float64, shape, elements=values), label="input")
    y = data.draw(hnp.arrays(np.float64, shape, elements=values), label="target")
    got = getattr(lossx, name)(x, y, reduction=reduction)
    with np.errstate(all="ignore"):
        want = getattr(ref_reg, name)(x, y, reduction=reduction)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=0, equal_nan=True)


@st.composite
def ctc_batches(draw):
    """CTC arguments with lengths at every boundary: 0 frames, 0 labels, impossible alignments,
    labels equal to each other (no blank skip), the blank anywhere in [0, C)."""
    t = draw(st.integers(0, 7))
    n = draw(st.integers(0, 4))
    c = draw(st.integers(2, 5))
    s = draw(st.integers(0, 5))
    blank = draw(st.integers(0, c - 1))
    rng = np.random.default_rng(draw(seed_st))
    x = rng.standard_normal((t, n, c)) * 2
    lp = x - np.log(np.exp(x).sum(-1, keepdims=True)) if x.size else x
    labels = [k for k in range(c) if k != blank]
    tg = rng.choice(labels, size=(n, s)) if s and n else np.zeros((n, s), np.int64)
    il = rng.integers(0, t + 1, size=n)
    tl = rng.integers(0, s + 1, size=n)
    return lp, tg.astype(np.int64), il.astype(np.int64), tl.astype(np.int64), blank


@PROPERTY
@given(batch=ctc_batches(), reduction=st.sampled_from(["none", "mean", "sum"]), zero_infinity=st.booleans())
def test_ctc_matches_reference_on_edge_lengths(batch, reduction, zero_infinity):
    lp, tg, il, tl, blank = batch
    kw = dict(blank=blank, reduction=reduction, zero_infinity=zero_infinity)
    got = lossx.ctc_loss(lp, tg, il, tl, **kw)
    with np.errstate(all="ignore"):
        want = ref_seq.ctc_loss(lp, tg, il, tl, **kw)
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9, equal_nan=True)
    grad = lossx.ctc_loss_backward(np.ones(np.shape(got)) if reduction == "none" else 1.0, lp, tg, il, tl, **kw)
    assert grad.shape == lp.shape
    if zero_infinity:
        assert np.all(np.isfinite(grad))
