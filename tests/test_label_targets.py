"""Label targets given as integer or bool arrays (SPEC "Arrays and dtypes", issue 9 item 6).

The ±1 labels, 0/1 targets and counts of eight losses may be integer or bool arrays, converted
exactly to the prediction's dtype: the result and the gradient are bitwise those of the same
labels given as float arrays of the input's dtype. Float targets of the other float dtype still
raise, and the regression targets stay float-only.
"""

from __future__ import annotations

import numpy as np
import pytest

import lossx
from lossx import _convert as cv

DTYPES = (np.float32, np.float64)
REDUCTIONS = ("none", "mean", "sum")

SIGNED = (np.int8, np.int16, np.int32, np.int64, ">i2", ">i4", ">i8")
UNSIGNED = (np.uint8, np.uint16, np.uint32, np.uint64, ">u4")


def _pm1(rng, shape):
    return np.where(rng.random(shape) < 0.5, -1, 1)


def _01(rng, shape):
    return (rng.random(shape) < 0.5).astype(np.int64)


def _normal(rng, shape, dtype):
    return rng.standard_normal(shape).astype(dtype)


# name -> (make(rng, dtype) -> (predictions tuple, int64 labels), kind of labels)
LOSSES = {
    "hinge_embedding_loss": (lambda rng, d: ((np.abs(_normal(rng, (4, 5), d)),), _pm1(rng, (4, 5))), "pm1"),
    "margin_ranking_loss": (lambda rng, d: ((_normal(rng, 12, d), _normal(rng, 12, d)), _pm1(rng, 12)), "pm1"),
    "soft_margin_loss": (lambda rng, d: ((_normal(rng, (4, 5), d),), _pm1(rng, (4, 5))), "pm1"),
    "cosine_embedding_loss": (lambda rng, d: ((_normal(rng, (6, 4), d), _normal(rng, (6, 4), d)), _pm1(rng, 6)),
                              "pm1"),
    "multilabel_soft_margin_loss": (lambda rng, d: ((_normal(rng, (4, 5), d),), _01(rng, (4, 5))), "01"),
    "binary_cross_entropy": (lambda rng, d: ((rng.uniform(0.05, 0.95, (4, 5)).astype(d),), _01(rng, (4, 5))), "01"),
    "binary_cross_entropy_with_logits": (lambda rng, d: ((_normal(rng, (4, 5), d),), _01(rng, (4, 5))), "01"),
    "poisson_nll_loss": (lambda rng, d: ((_normal(rng, (4, 5), d),), rng.integers(0, 20, (4, 5))), "count"),
}

# Integer dtypes whose values make sense for each kind of label: ±1 needs a signed type.
INT_DTYPES = {
    "pm1": SIGNED,
    "01": SIGNED + UNSIGNED + (np.bool_,),
    "count": SIGNED + UNSIGNED,
}

CASES = [(name, np.dtype(t)) for name, (_, kind) in LOSSES.items() for t in INT_DTYPES[kind]]


def _call(name, preds, target, reduction):
    loss = getattr(lossx, name)(*preds, target, reduction=reduction)
    value, grad = getattr(lossx, name + "_with_grad")(*preds, target, reduction=reduction)
    return loss, value, grad if isinstance(grad, tuple) else (grad,)


def _assert_bitwise(got, want):
    for g, w in zip(got, want, strict=True):
        if isinstance(g, tuple):
            _assert_bitwise(g, w)
            continue
        assert g.dtype == w.dtype
        assert g.shape == w.shape
        np.testing.assert_array_equal(g, w, strict=True)
        assert g.tobytes() == w.tobytes()


def _make(name, dtype, seed=7):
    make, _ = LOSSES[name]
    return make(np.random.default_rng(seed), dtype)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,int_dtype", CASES, ids=[f"{n}-{t.str}" for n, t in CASES])
def test_integer_labels_bitwise_as_float_labels(name, int_dtype, dtype, reduction):
    preds, labels = _make(name, dtype)
    want = _call(name, preds, labels.astype(dtype), reduction)
    got = _call(name, preds, labels.astype(int_dtype), reduction)
    _assert_bitwise(got, want)
    # backward on its own, with a non-trivial grad_output
    g = np.full(np.shape(want[0]), 0.75, dtype)
    want_b = getattr(lossx, name + "_backward")(g, *preds, labels.astype(dtype), reduction=reduction)
    got_b = getattr(lossx, name + "_backward")(g, *preds, labels.astype(int_dtype), reduction=reduction)
    _assert_bitwise((got_b,), (want_b,))


@pytest.mark.parametrize("name", LOSSES)
def test_non_contiguous_integer_labels(name):
    """Strided, reversed and Fortran-ordered integer labels give the same bits as float labels."""
    preds, labels = _make(name, np.float64)
    wide = np.repeat(labels[..., None], 2, axis=-1).astype(">i4")[..., 0]  # strided, big-endian
    assert not wide.flags.c_contiguous
    _assert_bitwise(_call(name, preds, wide, "sum"), _call(name, preds, labels.astype(np.float64), "sum"))
    flipped = np.ascontiguousarray(labels[::-1])[::-1]  # negative strides, same values
    _assert_bitwise(_call(name, preds, flipped, "none"), _call(name, preds, labels.astype(np.float64), "none"))
    if labels.ndim == 2:
        fortran = np.asfortranarray(labels.astype(np.int16))
        _assert_bitwise(_call(name, preds, fortran, "none"), _call(name, preds, labels.astype(np.float64), "none"))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", LOSSES)
def test_float_target_of_the_other_dtype_is_type_error(name, dtype):
    preds, labels = _make(name, dtype)
    other = np.float64 if dtype == np.float32 else np.float32
    with pytest.raises(TypeError, match=f"{name}: 'target'"):
        getattr(lossx, name)(*preds, labels.astype(other))
    with pytest.raises(TypeError, match=f"{name}: 'target'"):
        getattr(lossx, name)(*preds, labels.astype(np.float16))
    with pytest.raises(TypeError, match=f"{name}: 'target'"):
        getattr(lossx, name)(*preds, labels.astype(np.complex128))


@pytest.mark.parametrize("name", LOSSES)
def test_inexact_huge_integer_is_value_error(name):
    for dtype, int_dtype, bad in [
        (np.float32, np.int32, 2**24 + 1),
        (np.float32, np.int64, -(2**24) - 1),
        (np.float32, np.uint32, 2**31),
        (np.float64, np.int64, 2**53 + 1),
        (np.float64, np.int64, -(2**53) - 1),
        (np.float64, np.uint64, 2**64 - 1),
        (np.float64, ">i8", 2**62),
    ]:
        preds, labels = _make(name, dtype)
        t = labels.astype(int_dtype)
        t.flat[-1] = bad
        with pytest.raises(ValueError, match=f"{name}: 'target' must hold integers .* exactly to {np.dtype(dtype)}"):
            getattr(lossx, name)(*preds, t)
        with pytest.raises(ValueError, match="'target'"):
            getattr(lossx, name + "_backward")(1.0, *preds, t)


@pytest.mark.parametrize("dtype,limit", [(np.float32, 2**24), (np.float64, 2**53)])
def test_integers_up_to_the_exact_limit_are_converted(dtype, limit):
    x = np.zeros(4, dtype)
    for t in (np.array([0, 3, limit, 1], np.int64), np.array([0, 3, limit, 1], np.uint64)):
        got = lossx.poisson_nll_loss(x, t, reduction="none")
        want = lossx.poisson_nll_loss(x, t.astype(dtype), reduction="none")
        _assert_bitwise((got,), (want,))
    y = cv.label_target(np.array([-limit, limit], np.int64), np.dtype(dtype), "target", "f")
    assert y.dtype == dtype and y.tolist() == [-limit, limit]


def test_label_target_does_not_copy_a_float_array_of_the_right_dtype():
    for dtype in DTYPES:
        y = np.ones((3, 4), dtype)
        assert cv.label_target(y, np.dtype(dtype), "target", "f") is y
    # Integer and bool arrays come out native, C-contiguous and of the prediction's dtype.
    for t in (np.ones((4, 3), ">i8").T, np.ones((3, 4), np.bool_), np.int64(1)):
        y = cv.label_target(t, np.dtype(np.float32), "target", "f")
        assert y.dtype == np.float32 and y.dtype.isnative and y.flags.c_contiguous
        assert y.shape == np.shape(t)


@pytest.mark.parametrize("name", LOSSES)
def test_lists_and_scalars_still_converted(name):
    preds, labels = _make(name, np.float32)
    got = getattr(lossx, name)(*preds, labels.tolist(), reduction="none")
    want = getattr(lossx, name)(*preds, labels.astype(np.float32), reduction="none")
    _assert_bitwise((got,), (want,))


@pytest.mark.parametrize("name,args", [
    ("l1_loss", ()),
    ("mse_loss", ()),
    ("smooth_l1_loss", ()),
    ("huber_loss", ()),
    ("gaussian_nll_loss", (np.ones(5),)),
    ("kl_div", ()),
])
@pytest.mark.parametrize("int_dtype", [np.int64, np.int32, np.bool_])
def test_regression_targets_stay_float_only(name, args, int_dtype):
    x = np.zeros(5)
    with pytest.raises(TypeError, match=f"{name}: 'target' must have the input's dtype"):
        getattr(lossx, name)(x, np.ones(5, int_dtype), *args)


def test_cross_entropy_probability_targets_stay_float_only():
    with pytest.raises(TypeError, match="'target'.*probability"):
        lossx.cross_entropy(np.zeros((2, 3)), np.eye(3, dtype=np.int64)[[0, 1]])


@pytest.mark.parametrize("name", LOSSES)
@pytest.mark.requires_torch
def test_torch_integer_tensor_target(name):
    import torch

    preds, labels = _make(name, np.float32)
    want = _call(name, preds, labels.astype(np.float32), "mean")
    _assert_bitwise(_call(name, preds, torch.from_numpy(labels), "mean"), want)
    tensor_preds = tuple(torch.from_numpy(p).requires_grad_() for p in preds)
    _assert_bitwise(_call(name, tensor_preds, torch.tensor(labels.tolist(), dtype=torch.int64), "mean"), want)
    if LOSSES[name][1] == "01":
        _assert_bitwise(_call(name, preds, torch.from_numpy(labels.astype(bool)), "mean"), want)
