"""Output buffers (SPEC "Output buffers"): ``out=`` on NAME and NAME_backward, ``out=``/``grad_out=`` on
NAME_with_grad, over every registered loss case (tests/cases*.py).

A result written into a buffer is bitwise the result of the call without one, and the buffer
itself is returned; every kind of bad buffer raises naming ``out``/``grad_out``.
"""

from __future__ import annotations

import numpy as np
import pytest

import lossx
from helpers import fn, grads_tuple, random_grad_output

DTYPES = [np.float32, np.float64]


def _same_bits(a, b):
    a, b = np.asarray(a), np.asarray(b)
    assert a.dtype == b.dtype and a.shape == b.shape
    assert a.tobytes() == b.tobytes()


def _fresh_like(result):
    """Buffers of a result's shape and dtype, filled with garbage (the call must overwrite all of it)."""
    if isinstance(result, tuple):
        return tuple(_fresh_like(r) for r in result)
    return np.full(np.shape(result), 7.25, dtype=result.dtype)


def _swapped(a):
    """The same values in the other byte order: the general (converting) path, not the lean one."""
    return a.astype(a.dtype.newbyteorder()) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a


def _check_into(got, buf, want):
    if isinstance(buf, tuple):
        assert isinstance(got, tuple) and len(got) == len(buf)
        for g, b, w in zip(got, buf, want):
            assert g is b
            _same_bits(g, w)
    else:
        assert got is buf
        _same_bits(got, want)


@pytest.mark.parametrize("dtype", DTYPES)
def test_out_is_bitwise_the_result_and_is_returned(loss_case, dtype, rng):
    args, kwargs = loss_case.make(rng, dtype, 5)
    swapped = (_swapped(args[0]),) + tuple(args[1:])
    for r in loss_case.reductions:
        f = fn(loss_case)
        want = f(*args, reduction=r, **kwargs)
        for a in (args, swapped):  # lean path, then the general one
            buf = _fresh_like(want)
            _check_into(f(*a, reduction=r, out=buf, **kwargs), buf, want)

        g = random_grad_output(rng, loss_case, args, kwargs, r, dtype)
        want_g = fn(loss_case, "_backward")(g, *args, reduction=r, **kwargs)
        for a in (args, swapped):
            gbuf = _fresh_like(want_g)
            _check_into(fn(loss_case, "_backward")(g, *a, reduction=r, out=gbuf, **kwargs), gbuf, want_g)

        wg = fn(loss_case, "_with_grad")
        for a in (args, swapped):
            lbuf, gbuf = _fresh_like(want), _fresh_like(want_g)
            loss, grad = wg(*a, reduction=r, grad_output=g, out=lbuf, grad_out=gbuf, **kwargs)
            _check_into(loss, lbuf, want)
            _check_into(grad, gbuf, want_g)
            # Either buffer alone.
            gbuf = _fresh_like(want_g)
            loss, grad = wg(*a, reduction=r, grad_output=g, grad_out=gbuf, **kwargs)
            _same_bits(loss, want)
            _check_into(grad, gbuf, want_g)
            lbuf = _fresh_like(want)
            loss, grad = wg(*a, reduction=r, grad_output=g, out=lbuf, **kwargs)
            _check_into(loss, lbuf, want)
            for x, y in zip(grads_tuple(grad, loss_case), grads_tuple(want_g, loss_case)):
                _same_bits(x, y)


def _bad_buffers(good):
    """(buffer, exception, message) for each kind of bad buffer of ``good``'s shape and dtype."""
    other = np.float64 if good.dtype == np.float32 else np.float32
    bad = [
        (np.empty(good.shape + (1,), good.dtype), ValueError, "shape"),
        (np.empty(good.shape, other), TypeError, "dtype"),
        (np.empty(good.shape, good.dtype.newbyteorder()), TypeError, "dtype"),
        (good.tolist() if good.ndim else 0.0, TypeError, "NumPy array"),
    ]
    ro = np.empty(good.shape, good.dtype)
    ro.flags.writeable = False
    bad.append((ro, ValueError, "writeable"))
    if good.size > 1 and good.ndim:
        nc = np.empty(good.shape[:-1] + (2 * good.shape[-1],), good.dtype)[..., ::2]
        if nc.shape == good.shape and not nc.flags.c_contiguous:
            bad.append((nc, ValueError, "C-contiguous"))
    return bad


@pytest.mark.parametrize("dtype", DTYPES)
def test_bad_buffers_raise_naming_them(loss_case, dtype, rng):
    args, kwargs = loss_case.make(rng, dtype, 4)
    r = "none" if "none" in loss_case.reductions else loss_case.reductions[0]
    loss = fn(loss_case)(*args, reduction=r, **kwargs)
    grad = fn(loss_case, "_backward")(np.ones_like(loss), *args, reduction=r, **kwargs)
    first_grad = grads_tuple(grad, loss_case)[0]
    multi = isinstance(grad, tuple)
    for buf, err, what in _bad_buffers(loss):
        with pytest.raises(err, match=rf"{loss_case.name}: 'out' must .*{what}"):
            fn(loss_case)(*args, reduction=r, out=buf, **kwargs)
        with pytest.raises(err, match=rf"{loss_case.name}: 'out' must .*{what}"):
            fn(loss_case, "_with_grad")(*args, reduction=r, out=buf, **kwargs)
    for buf, err, what in _bad_buffers(first_grad):
        gb = (buf,) + tuple(np.empty_like(x) for x in grad[1:]) if multi else buf
        label = r"'out\[0\]'" if multi else "'out'"
        with pytest.raises(err, match=rf"{loss_case.name}: {label} must .*{what}"):
            fn(loss_case, "_backward")(np.ones_like(loss), *args, reduction=r, out=gb, **kwargs)
        with pytest.raises(err, match=rf"{loss_case.name}: {label.replace('out', 'grad_out')} must .*{what}"):
            fn(loss_case, "_with_grad")(*args, reduction=r, grad_out=gb, **kwargs)
    if multi:
        with pytest.raises(ValueError, match=rf"'out' must be a tuple of {len(grad)} arrays"):
            fn(loss_case, "_backward")(np.ones_like(loss), *args, reduction=r, out=grad[:-1], **kwargs)
        with pytest.raises(TypeError, match=rf"'grad_out' must be a tuple of {len(grad)} arrays"):
            fn(loss_case, "_with_grad")(*args, reduction=r, grad_out=np.empty_like(grad[0]), **kwargs)


@pytest.mark.parametrize("dtype", DTYPES)
def test_buffers_sharing_memory_with_an_input_raise(loss_case, dtype, rng):
    args, kwargs = loss_case.make(rng, dtype, 4)
    r = "none" if "none" in loss_case.reductions else loss_case.reductions[0]
    loss = fn(loss_case)(*args, reduction=r, **kwargs)
    ones = np.ones_like(loss)
    # The classic mistake: the gradient written over the input it is the gradient of.
    for pos in loss_case.diff:
        x = args[pos]
        if not (isinstance(x, np.ndarray) and x.dtype == dtype and x.flags.c_contiguous and x.flags.writeable):
            continue
        grad = fn(loss_case, "_backward")(ones, *args, reduction=r, **kwargs)
        gb = tuple(x if k == loss_case.diff.index(pos) else np.empty_like(g) for k, g in enumerate(grad)) \
            if isinstance(grad, tuple) else x
        before = x.copy()
        with pytest.raises(ValueError, match=rf"{loss_case.name}: 'out(\[\d\])?' must not share memory with the input"):
            fn(loss_case, "_backward")(ones, *args, reduction=r, out=gb, **kwargs)
        with pytest.raises(ValueError, match=r"'grad_out(\[\d\])?' must not share memory with the input"):
            fn(loss_case, "_with_grad")(*args, reduction=r, grad_out=gb, **kwargs)
        _same_bits(x, before)
    # The loss written over (part of) the first input.
    x = args[0]
    if loss.size and isinstance(x, np.ndarray) and x.dtype == dtype and x.size >= loss.size and x.flags.writeable:
        view = x.reshape(-1)[: loss.size].reshape(loss.shape)
        with pytest.raises(ValueError, match=r"'out' must not share memory with the input"):
            fn(loss_case)(*args, reduction=r, out=view, **kwargs)
    # grad_output is an input too, and the two buffers may not overlap each other.
    if r == "none" and loss.shape == np.shape(grads_tuple(fn(loss_case, "_backward")(ones, *args, reduction=r,
                                                                                     **kwargs), loss_case)[0]):
        g = np.ones_like(loss)
        with pytest.raises(ValueError, match=r"'out' must not share memory with the input 'grad_output'"):
            fn(loss_case, "_backward")(g, *args, reduction=r, out=g, **kwargs)
        if len(loss_case.diff) == 1:
            buf = np.empty_like(loss)
            with pytest.raises(ValueError, match=r"'grad_out' must not share memory with 'out'"):
                fn(loss_case, "_with_grad")(*args, reduction=r, out=buf, grad_out=buf, **kwargs)


def test_reduced_loss_out_is_0d():
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    y = np.array([0, 2, 1, 1])
    out = np.empty((), np.float32)
    assert lossx.cross_entropy(x, y, out=out) is out
    assert out == lossx.cross_entropy(x, y)
    with pytest.raises(ValueError, match=r"cross_entropy: 'out' must be an array of the result's shape \(\); got \(1,\)"):
        lossx.cross_entropy(x, y, out=np.empty(1, np.float32))


def test_training_loop_reuses_its_gradient_buffer():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((8, 5))
    y = rng.integers(0, 5, 8)
    loss, grad = np.empty(()), np.empty_like(x)
    for _ in range(3):
        before = x.copy()
        l2, g2 = lossx.cross_entropy_with_grad(x, y, out=loss, grad_out=grad)
        assert l2 is loss and g2 is grad
        x -= 0.1 * grad
    _same_bits(grad, lossx.cross_entropy_backward(1.0, before, y))  # the last step's gradient
    _same_bits(loss, lossx.cross_entropy(before, y))


def test_tuple_gradients_into_buffers():
    rng = np.random.default_rng(2)
    a, p, n = (rng.standard_normal((6, 4)) for _ in range(3))
    bufs = tuple(np.empty((6, 4)) for _ in range(3))
    got = lossx.triplet_margin_loss_backward(1.0, a, p, n, out=bufs)
    assert all(g is b for g, b in zip(got, bufs))
    for g, w in zip(got, lossx.triplet_margin_loss_backward(1.0, a, p, n)):
        _same_bits(g, w)
    # a list is accepted too (a tuple comes back)
    got = lossx.triplet_margin_loss_backward(1.0, a, p, n, out=list(bufs))
    assert isinstance(got, tuple) and all(g is b for g, b in zip(got, bufs))


def test_softmax_dtype_gradient_buffer_has_the_inputs_dtype():
    x = np.random.default_rng(3).standard_normal((3, 4)).astype(np.float32)
    want = lossx.softmax_backward(np.ones((3, 4), np.float64), x, 1, dtype=np.float64)
    buf = np.empty((3, 4), np.float32)
    assert lossx.softmax_backward(np.ones((3, 4), np.float64), x, 1, dtype=np.float64, out=buf) is buf
    _same_bits(buf, want)
    with pytest.raises(TypeError, match=r"softmax: 'out' must be .*float32"):
        lossx.softmax_backward(np.ones((3, 4), np.float64), x, 1, dtype=np.float64, out=np.empty((3, 4)))


def test_partial_forms_take_no_buffer():
    x = np.zeros((2, 3))
    with pytest.raises(TypeError, match="out"):
        lossx.cross_entropy_partial(x, [0, 1], out=np.empty(()))


# ---------------------------------------------------------------- the lean path (same results, no conversion)


def test_common_calls_take_the_lean_path(monkeypatch):
    """Contiguous native arrays of the right dtype with plain options never reach the general
    path (lossx._api._call), in every form; the general path gives the same bits."""
    import lossx._api as api

    rng = np.random.default_rng(4)
    x = rng.standard_normal((6, 5)).astype(np.float32)
    t = rng.standard_normal((6, 5)).astype(np.float32)
    y = rng.integers(0, 5, 6)
    g = np.ones(6, np.float32)
    calls = [
        lambda: lossx.cross_entropy(x, y),
        lambda: lossx.cross_entropy(x, y, reduction="sum", label_smoothing=0.1, ignore_index=2),
        lambda: lossx.cross_entropy_backward(1.0, x, y),
        lambda: lossx.cross_entropy_backward(g, x, y, reduction="none"),
        lambda: lossx.cross_entropy_with_grad(x, y),
        lambda: lossx.cross_entropy_partial(x, y),
        lambda: lossx.cross_entropy_partial_backward(0.5, x, y),
        lambda: lossx.mse_loss(x, t),
        lambda: lossx.mse_loss_with_grad(x, t, reduction="sum"),
        lambda: lossx.log_softmax(x, 1),
        lambda: lossx.triplet_margin_loss_backward(1.0, x, t, x[::-1].copy()),
        lambda: lossx.cross_entropy(x, y, out=np.empty((), np.float32)),
    ]
    general = [c() for c in calls]

    def no_general_path(*args, **kwargs):
        raise AssertionError("took the general path")

    monkeypatch.setattr(api, "_call", no_general_path)
    for f in (lossx.cross_entropy, lossx.mse_loss, lossx.log_softmax, lossx.triplet_margin_loss):
        monkeypatch.setitem(f.__globals__, "_call", no_general_path)  # NAME's generated namespace
    for c, want in zip(calls, general):
        got = c()
        for a, b in zip(grads_tuple(got, None), grads_tuple(want, None)):
            if isinstance(a, tuple):
                for u, v in zip(a, b):
                    _same_bits(u, v)
            else:
                _same_bits(a, b)
    # Anything else takes the general path.
    with pytest.raises(AssertionError, match="general path"):
        lossx.cross_entropy(x.tolist(), y)
    with pytest.raises(AssertionError, match="general path"):
        lossx.cross_entropy(x, y.astype(np.int16))
    with pytest.raises(AssertionError, match="general path"):
        lossx.cross_entropy(x, y, ignore_index=np.int64(2))
