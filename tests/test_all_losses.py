"""Generic checks over every registered loss case (tests/cases.py)."""

from __future__ import annotations

import numpy as np
import pytest

import lossx
from helpers import args64, fd_gradient, fn, grads_tuple, random_grad_output, tol

DTYPES = [np.float32, np.float64]


def _reductions(case):
    return case.reductions


@pytest.mark.parametrize("dtype", DTYPES)
def test_forward_matches_reference(loss_case, dtype, rng):
    args, kwargs = loss_case.make(rng, dtype, 6)
    a64, k64 = args64(args, kwargs)
    for r in loss_case.reductions:
        got = fn(loss_case)(*args, reduction=r, **kwargs)
        want = loss_case.reference(*a64, reduction=r, **k64)
        assert got.dtype == dtype, r
        assert np.shape(got) == np.shape(want), r
        np.testing.assert_allclose(got, want, **tol(dtype), err_msg=r)


@pytest.mark.parametrize("dtype", DTYPES)
def test_backward_matches_fd_of_reference(loss_case, dtype, rng):
    """The gradient against 4th-order central differences of the NumPy reference (float64)."""
    if not loss_case.fd:
        pytest.skip("no finite-difference check for this case")
    args, kwargs = loss_case.make(rng, np.float64, 4)
    for r in loss_case.reductions:
        g = random_grad_output(rng, loss_case, args, kwargs, r, np.float64)
        grads = grads_tuple(fn(loss_case, "_backward")(g, *args, reduction=r, **kwargs), loss_case)
        assert len(grads) == len(loss_case.diff)
        for pos, grad in zip(loss_case.diff, grads):
            def objective(a):
                return np.sum(g * loss_case.reference(*a, reduction=r, **kwargs))

            want = fd_gradient(objective, args, pos)
            assert grad.shape == np.shape(args[pos])
            np.testing.assert_allclose(grad, want, rtol=1e-6, atol=1e-7, err_msg=f"{r} arg {pos}")
        # The same gradient in float32 agrees with the float64 one.
        if dtype == np.float32:
            a32 = tuple(x.astype(np.float32) if isinstance(x, np.ndarray) and x.dtype.kind == "f" else x for x in args)
            k32 = {k: (v.astype(np.float32) if isinstance(v, np.ndarray) and v.dtype.kind == "f" else v)
                   for k, v in kwargs.items()}
            g32 = np.asarray(g, dtype=np.float32) if r == "none" else np.float32(g)
            grads32 = grads_tuple(fn(loss_case, "_backward")(g32, *a32, reduction=r, **k32), loss_case)
            for g64, gg in zip(grads, grads32):
                assert gg.dtype == np.float32
                np.testing.assert_allclose(gg, g64, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("dtype", DTYPES)
def test_with_grad_is_loss_and_backward(loss_case, dtype, rng):
    args, kwargs = loss_case.make(rng, dtype, 5)
    for r in loss_case.reductions:
        g = random_grad_output(rng, loss_case, args, kwargs, r, dtype)
        loss, grad = fn(loss_case, "_with_grad")(*args, reduction=r, grad_output=g, **kwargs)
        np.testing.assert_array_equal(loss, fn(loss_case)(*args, reduction=r, **kwargs))
        for a, b in zip(grads_tuple(grad, loss_case),
                        grads_tuple(fn(loss_case, "_backward")(g, *args, reduction=r, **kwargs), loss_case)):
            np.testing.assert_array_equal(a, b)
        # grad_output=None means ones.
        ones = np.ones(np.shape(loss), dtype) if r == "none" else dtype(1)
        _, g_default = fn(loss_case, "_with_grad")(*args, reduction=r, **kwargs)
        for a, b in zip(grads_tuple(g_default, loss_case),
                        grads_tuple(fn(loss_case, "_backward")(ones, *args, reduction=r, **kwargs), loss_case)):
            np.testing.assert_array_equal(a, b)


def test_threads_bitwise_identical(loss_case, rng):
    args, kwargs = loss_case.make(rng, np.float32, 20000)
    before = lossx.get_num_threads()
    try:
        out = {}
        for t in (1, 2, 3):
            lossx.set_num_threads(t)
            out[t] = [fn(loss_case)(*args, reduction=r, **kwargs) for r in loss_case.reductions]
            out[t] += list(grads_tuple(fn(loss_case, "_backward")(np.float32(1.0), *args, reduction="sum", **kwargs),
                                       loss_case)) if "sum" in loss_case.reductions else []
        for t in (2, 3):
            for a, b in zip(out[1], out[t]):
                np.testing.assert_array_equal(a, b)
    finally:
        lossx.set_num_threads(before)


def _strided(a):
    """The same values as ``a`` in a non-contiguous, reversed-stride layout."""
    if not isinstance(a, np.ndarray) or a.ndim == 0:
        return a
    big = np.empty(a.shape[:-1] + (2 * a.shape[-1],), a.dtype)[..., ::-2]
    big[...] = a
    return big[::-1][::-1] if a.ndim > 1 else big


def test_strided_fortran_readonly_inputs(loss_case, rng):
    args, kwargs = loss_case.make(rng, np.float64, 5)
    want = [fn(loss_case)(*args, reduction=r, **kwargs) for r in loss_case.reductions]
    for transform in (_strided, lambda a: np.asfortranarray(a) if isinstance(a, np.ndarray) else a,
                      lambda a: a.astype(a.dtype.newbyteorder(">")) if isinstance(a, np.ndarray) else a):
        targs = tuple(transform(a) for a in args)
        tkw = {k: transform(v) for k, v in kwargs.items()}
        for r, w in zip(loss_case.reductions, want):
            np.testing.assert_array_equal(fn(loss_case)(*targs, reduction=r, **tkw), w)
    ro = tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)
    for a in ro:
        if isinstance(a, np.ndarray):
            a.flags.writeable = False
    np.testing.assert_array_equal(fn(loss_case)(*ro, reduction="sum", **kwargs), want[loss_case.reductions.index("sum")]) \
        if "sum" in loss_case.reductions else None


def test_inputs_unmodified(loss_case, rng):
    args, kwargs = loss_case.make(rng, np.float64, 5)
    copies = [np.array(a, copy=True) for a in args]
    kcopies = {k: np.array(v, copy=True) for k, v in kwargs.items() if isinstance(v, np.ndarray)}
    for r in loss_case.reductions:
        fn(loss_case, "_with_grad")(*args, reduction=r, **kwargs)
    for a, c in zip(args, copies):
        np.testing.assert_array_equal(a, c)
    for k, c in kcopies.items():
        np.testing.assert_array_equal(kwargs[k], c)


def test_empty_batch(loss_case, rng):
    if not loss_case.empty:
        pytest.skip("no empty form")
    args, kwargs = loss_case.make(rng, np.float32, 0)
    for r in loss_case.reductions:
        out = fn(loss_case)(*args, reduction=r, **kwargs)
        assert out.dtype == np.float32
        if r == "none":
            assert out.size == 0
        elif r == "sum":
            assert out.shape == () and out == 0
        else:
            assert out.shape == () and np.isnan(out)
        g = np.zeros(out.shape, np.float32) if r == "none" else np.float32(1)
        for grad, pos in zip(grads_tuple(fn(loss_case, "_backward")(g, *args, reduction=r, **kwargs), loss_case),
                             loss_case.diff):
            assert grad.shape == np.shape(args[pos]) and grad.dtype == np.float32


def test_lists_become_float64(loss_case, rng):
    args, kwargs = loss_case.make(rng, np.float64, 3)
    as_lists = tuple(a.tolist() if isinstance(a, np.ndarray) else a for a in args)
    for r in loss_case.reductions:
        got = fn(loss_case)(*as_lists, reduction=r, **kwargs)
        assert got.dtype == np.float64
        np.testing.assert_array_equal(got, fn(loss_case)(*args, reduction=r, **kwargs))


def _int_positions(args, kwargs):
    pos = [i for i, a in enumerate(args) if isinstance(a, np.ndarray) and a.dtype.kind in "iu"]
    keys = [k for k, v in kwargs.items() if isinstance(v, np.ndarray) and v.dtype.kind in "iu"]
    return pos, keys


@pytest.mark.parametrize("dtype", DTYPES)
def test_index_dtype_bitwise_identical(loss_case, dtype):
    """The same integer values give the same bits whatever their integer dtype (SPEC "Threads, determinism")."""
    for seed in range(6):
        rng = np.random.default_rng(seed)
        args, kwargs = loss_case.make(rng, dtype, int(rng.integers(3, 300)))
        pos, keys = _int_positions(args, kwargs)
        if not pos and not keys:
            pytest.skip("no integer arguments")
        results = []
        for it in (np.int64, np.int32, np.int16):
            if any(np.any(np.asarray(args[p]) > np.iinfo(it).max) for p in pos):
                continue
            a = tuple(np.asarray(x).astype(it) if i in pos else x for i, x in enumerate(args))
            k = {n: (v.astype(it) if n in keys else v) for n, v in kwargs.items()}
            out = [fn(loss_case)(*a, reduction=r, **k) for r in loss_case.reductions]
            for r in loss_case.reductions:
                g = random_grad_output(np.random.default_rng(seed), loss_case, a, k, r, dtype)
                out += list(grads_tuple(fn(loss_case, "_backward")(g, *a, reduction=r, **k), loss_case))
            results.append(out)
        for other in results[1:]:
            for x, y in zip(results[0], other):
                assert x.tobytes() == y.tobytes()


def _broadcast_rows(a):
    """A zero-stride view repeating the first row (np.broadcast_to), or ``a`` itself."""
    if not isinstance(a, np.ndarray) or a.ndim == 0 or a.shape[0] < 2 or a.dtype.kind != "f":
        return a
    return np.broadcast_to(a[:1], a.shape)


def test_zero_stride_inputs_give_the_contiguous_result(loss_case, rng):
    """np.broadcast_to views (stride 0) give exactly the result of their contiguous copies."""
    args, kwargs = loss_case.make(rng, np.float64, 6)
    for pos in range(len(args)):
        if _broadcast_rows(args[pos]) is args[pos]:
            continue
        b = tuple(_broadcast_rows(a) if i == pos else a for i, a in enumerate(args))
        c = tuple(np.ascontiguousarray(a) if i == pos else a for i, a in enumerate(b))
        for r in loss_case.reductions:
            try:
                want = fn(loss_case)(*c, reduction=r, **kwargs)
            except ValueError:
                continue  # the repeated row is not a valid input for this loss (e.g. BCE bounds): skip
            np.testing.assert_array_equal(fn(loss_case)(*b, reduction=r, **kwargs), want, err_msg=f"arg {pos} {r}")
            g = np.ones(np.shape(want)) if r == "none" else 1.0
            for x, y in zip(grads_tuple(fn(loss_case, "_backward")(g, *b, reduction=r, **kwargs), loss_case),
                            grads_tuple(fn(loss_case, "_backward")(g, *c, reduction=r, **kwargs), loss_case)):
                np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("name", ["l1_loss", "mse_loss", "smooth_l1_loss", "huber_loss", "soft_margin_loss",
                                  "binary_cross_entropy_with_logits", "kl_div", "poisson_nll_loss",
                                  "hinge_embedding_loss", "binary_cross_entropy"])
def test_zero_stride_inputs_are_read_in_place(name):
    """Two broadcast scalars of 2^24 elements: no copy (the issue: 2^31 of them cost 16 GiB)."""
    import tracemalloc

    n = 2**24
    x = np.broadcast_to(np.float32(0.25), (n,))
    y = np.broadcast_to(np.float32(1.0 if "hinge" in name or "soft" in name else 0.5), (n,))
    tracemalloc.start()
    try:
        out = getattr(lossx, name)(x, y, reduction="sum")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20, f"{peak} bytes allocated"
    want = getattr(lossx, name)(np.full(4, 0.25, np.float32), np.full(4, y[0]), reduction="mean") * n
    np.testing.assert_allclose(out, want, rtol=1e-6)
