"""Bad inputs common to every loss: dtype, reduction, grad_output. Loss-specific
bad inputs live in test_<family>.py, with the same pytest.raises(match=...) style."""

from __future__ import annotations

import numpy as np
import pytest

import lossx

from helpers import fn


def _first_float_array(args):
    return next(i for i, a in enumerate(args) if isinstance(a, np.ndarray) and a.dtype.kind == "f")


@pytest.mark.parametrize("bad_dtype", [np.int64, np.float16, np.complex128, np.bool_])
def test_prediction_dtype_is_type_error(loss_case, bad_dtype, rng):
    args, kwargs = loss_case.make(rng, np.float64, 3)
    pos = loss_case.diff[0]
    bad = list(args)
    bad[pos] = np.asarray(args[pos]).astype(bad_dtype)
    with pytest.raises(TypeError, match="must be a float32 or float64"):
        fn(loss_case)(*bad, **kwargs)


def test_unknown_reduction(loss_case, rng):
    args, kwargs = loss_case.make(rng, np.float64, 3)
    with pytest.raises(ValueError, match="'reduction'"):
        fn(loss_case)(*args, reduction="avg", **kwargs)


def test_grad_output_shape(loss_case, rng):
    args, kwargs = loss_case.make(rng, np.float64, 3)
    with pytest.raises(ValueError, match="'grad_output'"):
        fn(loss_case, "_backward")(np.ones(7), *args, reduction="mean", **kwargs)
    if "none" in loss_case.reductions:
        with pytest.raises(ValueError, match="'grad_output'"):
            fn(loss_case, "_backward")(np.ones((2, 3, 5, 7)), *args, reduction="none", **kwargs)


def test_mixed_float_dtypes(loss_case, rng):
    """A float array argument of the other float dtype is a TypeError (no promotion)."""
    args, kwargs = loss_case.make(rng, np.float32, 3)
    floats = [i for i, a in enumerate(args)
              if i in loss_case.strict and isinstance(a, np.ndarray) and a.dtype.kind == "f" and a.ndim > 0]
    first = _first_float_array(args)
    others = [i for i in floats if i != first]
    if not others:
        pytest.skip("a single float array")
    bad = list(args)
    bad[others[0]] = args[others[0]].astype(np.float64)
    with pytest.raises(TypeError, match="dtype"):
        fn(loss_case)(*bad, **kwargs)


@pytest.mark.parametrize("bad", [None, 1, b"mean"])
def test_reduction_that_is_not_a_string(loss_case, bad, rng):
    args, kwargs = loss_case.make(rng, np.float64, 3)
    with pytest.raises(ValueError, match="'reduction'"):
        fn(loss_case)(*args, reduction=bad, **kwargs)


def test_backward_needs_grad_output(loss_case, rng):
    args, kwargs = loss_case.make(rng, np.float64, 3)
    with pytest.raises(TypeError, match="'grad_output'"):
        fn(loss_case, "_backward")(None, *args, **kwargs)


@pytest.mark.requires_torch
def test_tensor_dtype_numpy_cannot_hold():
    import torch
    import lossx

    with pytest.raises(TypeError, match="mse_loss: 'input'"):
        lossx.mse_loss(torch.ones(2, dtype=torch.bfloat16), [0.0, 0.0])
    with pytest.raises(TypeError, match="cross_entropy: 'weight'"):
        lossx.cross_entropy(np.ones((2, 3)), [0, 1], weight=torch.ones(3, dtype=torch.bfloat16))


@pytest.mark.parametrize(
    "call, err, match",
    [
        (lambda lx: lx.cross_entropy(np.ones((3, 4), np.float32), np.array([0, 1, 2], np.float32)), TypeError,
         "integer array of class indices"),
        (lambda lx: lx.cross_entropy(np.ones((3, 4)), [0, 1, 2], ignore_index=1.5), TypeError, "'ignore_index'"),
        (lambda lx: lx.cross_entropy(np.ones((3, 4)), [0, 1, 2], ignore_index=None), TypeError, "'ignore_index'"),
        (lambda lx: lx.cross_entropy(np.ones((3, 4)), [0, 1, 2], ignore_index=2**70), ValueError, "'ignore_index'"),
        (lambda lx: lx.cross_entropy(np.ones((3, 4)), [0, 1, 2], label_smoothing=None), TypeError,
         "'label_smoothing'"),
        (lambda lx: lx.nll_loss(np.ones((3, 4)), [0, 1, 2], ignore_index="a"), TypeError, "'ignore_index'"),
        (lambda lx: lx.triplet_margin_loss(np.ones((2, 3)), np.ones((2, 3)), np.ones((2, 3)), margin="2"), TypeError,
         "'margin'"),
        (lambda lx: lx.cosine_embedding_loss(np.ones((2, 3)), np.ones((2, 3)), np.ones(2), margin="0.5"), TypeError,
         "'margin'"),
        (lambda lx: lx.smooth_l1_loss(np.ones(2), np.ones(2), beta=True), TypeError, "'beta'"),
        (lambda lx: lx.ctc_loss(np.zeros((2, 1, 3)), [[1]], [2], [1], blank=0.0), TypeError, "'blank'"),
        (lambda lx: lx.class_weights([0, 1], beta="x", scheme="effective"), TypeError, "'beta'"),
    ],
)
def test_scalar_options_are_checked(call, err, match):
    import lossx

    with pytest.raises(err, match=match):
        call(lossx)


def test_backward_without_grad_output_names_it():
    x = np.zeros((2, 3))
    with pytest.raises(TypeError, match=r"cross_entropy_backward\(\): missing a required argument: 'target'; "
                                        r"the first argument of cross_entropy_backward is grad_output"):
        lossx.cross_entropy_backward(x, np.array([0, 1]))
    with pytest.raises(TypeError, match=r"mse_loss_with_grad\(\): missing a required argument: 'target'"):
        lossx.mse_loss_with_grad(x)
    with pytest.raises(TypeError, match=r"mse_loss_backward\(\): too many positional arguments"):
        lossx.mse_loss_backward(1.0, x, x, None, None, "sum")
