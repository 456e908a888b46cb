"""Margin losses: documented values, PyTorch's subgradients at kinks (exact inputs),
stability, the empty-batch rule, PyTorch's odd shapes, and bad inputs.

The generic checks (reference, finite differences, threads, strides, PyTorch on random
data) run on the cases of cases_margin.py; this file holds what they cannot see.
"""

from __future__ import annotations

import numpy as np
import pytest

import lossx

NAN = float("nan")


def f64(*rows):
    """A float64 array of the given rows (or values): f64(1.0, 2.0) is 1-D, f64([..], [..]) 2-D."""
    return np.array(rows, dtype=np.float64)


def s64(value):
    """A 0-d float64 array."""
    return np.array(value, dtype=np.float64)


# ---------------------------------------------------------------- documented values
def test_multilabel_margin_doc_example():
    x = f64([0.1, 0.2, 0.4, 0.8])
    for t in ([[3, 0, -1, 1]], [[3, 0, -1, -1]]):  # what follows the first -1 is ignored
        loss, grad = lossx.multilabel_margin_loss_with_grad(x, t)
        assert float(loss) == pytest.approx(0.85, abs=1e-15)
        np.testing.assert_allclose(grad, [[-0.5, 0.5, 0.5, -0.5]], atol=1e-15)


def test_multilabel_margin_duplicated_label_counts_twice():
    x = f64([0.1, 0.2, 0.4, 0.8])
    loss, grad = lossx.multilabel_margin_loss_with_grad(x, [[3, 3, -1, 1]])
    assert float(loss) == pytest.approx(0.65, abs=1e-15)
    assert float(loss) == pytest.approx(2 * float(lossx.multilabel_margin_loss(x, [[3, -1, 0, 0]])), abs=1e-15)
    np.testing.assert_allclose(grad, [[0.5, 0.5, 0.5, -1.5]], atol=1e-15)


def test_multilabel_margin_no_label_and_all_labels():
    x = f64([0.1, 0.2, 0.4, 0.8])
    assert float(lossx.multilabel_margin_loss(x, [[-1, 3, 0, 1]])) == 0.0
    loss, grad = lossx.multilabel_margin_loss_with_grad(x, [[0, 1, 2, 3]])  # no -1 at all: no non-label
    assert float(loss) == 0.0 and not grad.any()


def test_multi_margin_doc_example():
    loss, grad = lossx.multi_margin_loss_with_grad(f64([0.1, 0.2, 0.4, 0.8]), [3])
    assert float(loss) == pytest.approx(0.325, abs=1e-15)
    np.testing.assert_allclose(grad, [[0.25, 0.25, 0.25, -0.75]], atol=1e-15)


def test_multi_margin_weight_after_power():
    """w_y·z^p (0.305), not (w_y·z)^p (0.61)."""
    x = f64([0.1, 0.2, 0.4, 0.8])
    loss, grad = lossx.multi_margin_loss_with_grad(x, [3], p=2, weight=[1, 1, 1, 2])
    assert float(loss) == pytest.approx(0.305, abs=1e-15)
    np.testing.assert_allclose(grad, [[0.3, 0.4, 0.6, -1.3]], atol=1e-15)


def test_hinge_embedding_label_zero_incurs_both_terms():
    loss, grad = lossx.hinge_embedding_loss_with_grad(s64(0.3), s64(0.0), reduction="none")
    assert float(loss) == pytest.approx(1.0, abs=1e-15)  # (1 - 0.3) + 0.3
    assert float(grad) == 0.0                             # -1 + 1
    # any label other than ±1 behaves like 0; +1 keeps x, -1 keeps the hinge
    np.testing.assert_allclose(lossx.hinge_embedding_loss(f64(0.3, 0.3, 0.3, 2.0), f64(2.0, 1.0, -1.0, -1.0),
                                                          reduction="none"), [1.0, 0.3, 0.7, 0.0], atol=1e-15)


def test_margin_ranking_any_label():
    x1, x2 = f64(1.5, 1.5, 1.5), f64(1.0, 1.0, 1.0)
    loss, (g1, g2) = lossx.margin_ranking_loss_with_grad(x1, x2, f64(0.0, 2.0, -2.0), margin=0.5, reduction="none")
    np.testing.assert_array_equal(loss, [0.5, 0.0, 1.5])  # y=0: max(0, margin)
    np.testing.assert_array_equal(g1, [0.0, 0.0, 2.0])
    np.testing.assert_array_equal(g2, [0.0, 0.0, -2.0])
    assert float(lossx.margin_ranking_loss(x1, x2, f64(0.0, 0.0, 0.0), margin=-0.5)) == 0.0


def test_multilabel_soft_margin_value():
    x, y = f64([1.0, -2.0, 0.5], [0.0, 3.0, -1.0]), f64([1, 0, 0], [0, 1, 1])
    sp = lambda v: np.log1p(np.exp(v))  # noqa: E731 (small values: the literal softplus is exact enough)
    rows = [(sp(-1.0) + sp(-2.0) + sp(0.5)) / 3, (sp(0.0) + sp(-3.0) + sp(1.0)) / 3]
    np.testing.assert_allclose(lossx.multilabel_soft_margin_loss(x, y, reduction="none"), rows, rtol=1e-14)
    w = f64(2.0, 1.0, 0.5)
    want = [(2 * sp(-1.0) + sp(-2.0) + 0.5 * sp(0.5)) / 3, (2 * sp(0.0) + sp(-3.0) + 0.5 * sp(1.0)) / 3]
    np.testing.assert_allclose(lossx.multilabel_soft_margin_loss(x, y, w, reduction="none"), want, rtol=1e-14)
    grad = lossx.multilabel_soft_margin_loss_backward(np.ones(2), x, y, w, reduction="none")
    np.testing.assert_allclose(grad, w / 3 * (1 / (1 + np.exp(-x)) - y), rtol=1e-14)


def test_margin_ranking_gradients_are_a_tuple():
    x1, x2, y = f64(1.0, 2.0), f64(2.0, 1.0), f64(1.0, -1.0)
    grads = lossx.margin_ranking_loss_backward(1.0, x1, x2, y, margin=0.5)
    assert isinstance(grads, tuple) and len(grads) == 2
    loss, grads2 = lossx.margin_ranking_loss_with_grad(x1, x2, y, margin=0.5)
    assert float(loss) == 1.5
    for a, b in zip(grads, grads2):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(grads[0], [-0.5, 0.5])
    np.testing.assert_array_equal(grads[1], [0.5, -0.5])


# ---------------------------------------------------------------- kinks (exact inputs)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_margin_ranking_kink_passes_gradient(dtype):
    """clamp_min passes the gradient at 0: grads (-y, +y) where -y(x1-x2)+m == 0."""
    x1, x2 = np.array([1.0, 2.0], dtype), np.array([1.0, 2.0], dtype)
    y = np.array([1.0, -1.0], dtype)
    loss, (g1, g2) = lossx.margin_ranking_loss_with_grad(x1, x2, y, reduction="none")
    np.testing.assert_array_equal(loss, [0, 0])
    np.testing.assert_array_equal(g1, [-1, 1])
    np.testing.assert_array_equal(g2, [1, -1])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_margin_ranking_kink_with_margin(dtype):
    x1, x2 = np.array([1.0, 1.5], dtype), np.array([1.5, 1.0], dtype)
    y = np.array([1.0, -1.0], dtype)
    loss, (g1, g2) = lossx.margin_ranking_loss_with_grad(x1, x2, y, margin=-0.5, reduction="none")
    np.testing.assert_array_equal(loss, [0.0, 0.0])  # v = 0 exactly in both rows
    np.testing.assert_array_equal(g1, [-1.0, 1.0])
    np.testing.assert_array_equal(g2, [1.0, -1.0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_hinge_embedding_kink_passes_gradient(dtype):
    x = np.array([1.0, 1.0, 1.0, 0.25], dtype)
    y = np.array([-1.0, 0.0, 1.0, -1.0], dtype)
    loss, grad = lossx.hinge_embedding_loss_with_grad(x, y, reduction="none")
    np.testing.assert_array_equal(loss, [0.0, 1.0, 1.0, 0.75])
    np.testing.assert_array_equal(grad, [-1.0, 0.0, 1.0, -1.0])
    loss, grad = lossx.hinge_embedding_loss_with_grad(x[3:], y[3:], margin=0.25, reduction="none")
    np.testing.assert_array_equal(loss, [0.0])
    np.testing.assert_array_equal(grad, [-1.0])


@pytest.mark.parametrize("p", [1, 2])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_multi_margin_kink_has_zero_gradient(dtype, p):
    x = np.array([[1.5, 0.5, 0.25]], dtype)  # z_1 = 1 - 1.5 + 0.5 = 0 exactly, z_2 < 0
    loss, grad = lossx.multi_margin_loss_with_grad(x, [0], p=p, reduction="none")
    np.testing.assert_array_equal(loss, [0.0])
    np.testing.assert_array_equal(grad, [[0.0, 0.0, 0.0]])
    loss, grad = lossx.multi_margin_loss_with_grad(x, [1], p=p, margin=-0.25, reduction="none")
    # z_0 = -0.25 - 0.5 + 1.5 = 0.75 > 0, z_2 = -0.25 - 0.5 + 0.25 = -0.5
    np.testing.assert_allclose(loss, [0.75**p / 3], rtol=1e-7)
    np.testing.assert_allclose(grad, [[p * 0.75 ** (p - 1) / 3, -p * 0.75 ** (p - 1) / 3, 0.0]], rtol=1e-7)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_multilabel_margin_kink_has_zero_gradient(dtype):
    x = np.array([[1.5, 0.5, 0.25]], dtype)  # label 0: z_1 = 1 - 1.5 + 0.5 = 0 exactly, z_2 < 0
    loss, grad = lossx.multilabel_margin_loss_with_grad(x, [[0, -1, 0]], reduction="none")
    np.testing.assert_array_equal(loss, [0.0])
    np.testing.assert_array_equal(grad, [[0.0, 0.0, 0.0]])


@pytest.mark.requires_torch
def test_kinks_and_nans_match_torch():
    """The same exact inputs through PyTorch (when installed)."""
    import torch
    F = torch.nn.functional

    def run(tf, lf, arrays, n_diff, **kw):
        ts = [torch.tensor(a, requires_grad=i < n_diff) for i, a in enumerate(arrays)]
        out = tf(*ts, reduction="none", **kw)
        out.sum().backward()
        loss, g = lf(*arrays, reduction="none", **kw)
        g = g if isinstance(g, tuple) else (g,)
        np.testing.assert_array_equal(loss, out.detach().numpy())
        for i in range(n_diff):
            np.testing.assert_array_equal(g[i], ts[i].grad.numpy())

    run(F.margin_ranking_loss, lossx.margin_ranking_loss_with_grad,
        (f64(1.0, 2.0, NAN, 1.0, np.inf), f64(1.0, 2.0, 1.0, 1.5, 1.0), f64(1.0, -1.0, 1.0, -1.0, -1.0)), 2)
    run(F.margin_ranking_loss, lossx.margin_ranking_loss_with_grad,
        (f64(1.0, 1.5), f64(1.5, 1.0), f64(1.0, -1.0)), 2, margin=-0.5)
    run(F.hinge_embedding_loss, lossx.hinge_embedding_loss_with_grad,
        (f64(1.0, 1.0, 1.0, NAN, NAN, NAN, 0.3), f64(-1.0, 0.0, 1.0, -1.0, 0.0, 1.0, 0.0)), 1)
    for p in (1, 2):
        run(F.multi_margin_loss, lossx.multi_margin_loss_with_grad,
            (f64([1.5, 0.5, 0.25], [NAN, 1.0, 3.0], [np.inf, 1.0, 3.0]), np.array([0, 1, 1])), 1, p=p)
    run(F.multilabel_margin_loss, lossx.multilabel_margin_loss_with_grad,
        (f64([1.5, 0.5, 0.25], [NAN, 1.0, 3.0]), np.array([[0, -1, 0], [1, -1, 2]])), 1)


def test_nan_propagation():
    # margin_ranking / hinge: nan value, gradient blocked where the clamp sees nan (as PyTorch)
    loss, (g1, g2) = lossx.margin_ranking_loss_with_grad(f64(NAN), f64(1.0), f64(1.0), reduction="none")
    assert np.isnan(loss[0]) and g1[0] == 0 and g2[0] == 0
    # multi_margin: a nan score of another class fails the strict z > 0 test and adds nothing
    loss = lossx.multi_margin_loss(f64([NAN, 1.0, 3.0]), [1], reduction="none")
    np.testing.assert_allclose(loss, [1.0], rtol=1e-15)
    assert np.isnan(lossx.soft_margin_loss(f64(NAN), f64(1.0)))
    assert np.isnan(lossx.multilabel_soft_margin_loss(f64([NAN, 1.0]), f64([1.0, 0.0])))


# ---------------------------------------------------------------- stability
def test_soft_margin_is_stable_where_torch_overflows():
    """SPEC difference: PyTorch gives inf (grad nan) for x=-100, y=1 in float32."""
    x = np.array([-100.0, 100.0, 1e4, -1e4], np.float32)
    y = np.array([1.0, -1.0, 1.0, 1.0], np.float32)
    loss, grad = lossx.soft_margin_loss_with_grad(x, y, reduction="none")
    np.testing.assert_array_equal(loss, [100.0, 100.0, 0.0, 1e4])
    np.testing.assert_array_equal(grad, [-1.0, 1.0, 0.0, -1.0])
    loss, grad = lossx.soft_margin_loss_with_grad(f64(-800.0, 800.0), f64(1.0, 1.0), reduction="none")
    np.testing.assert_array_equal(loss, [800.0, 0.0])
    np.testing.assert_array_equal(grad, [-1.0, 0.0])


@pytest.mark.requires_torch
def test_soft_margin_torch_overflows_there():
    import torch
    out = torch.nn.functional.soft_margin_loss(torch.tensor([-100.0]), torch.tensor([1.0]))
    assert torch.isinf(out)  # the behaviour lossx deliberately does not reproduce


def test_multilabel_soft_margin_is_stable():
    x = np.array([[1e4, -1e4], [-1e4, 1e4]], np.float32)
    y = np.array([[0.0, 1.0], [0.0, 1.0]], np.float32)
    loss, grad = lossx.multilabel_soft_margin_loss_with_grad(x, y, reduction="none")
    np.testing.assert_array_equal(loss, [1e4, 0.0])
    np.testing.assert_array_equal(grad, [[0.5, -0.5], [0.0, 0.0]])


# ---------------------------------------------------------------- empty batch (SPEC difference)
@pytest.mark.parametrize("name", ["multi_margin_loss", "multilabel_margin_loss"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_empty_batch_is_nan_and_zero(name, dtype):
    """PyTorch returns uninitialised memory here; lossx gives nan ('mean') and 0 ('sum')."""
    x = np.zeros((0, 4), dtype)
    t = np.zeros((0,) if name == "multi_margin_loss" else (0, 4), np.int64)
    f = getattr(lossx, name)
    assert np.isnan(f(x, t)) and f(x, t).dtype == dtype
    assert f(x, t, reduction="sum") == 0
    assert f(x, t, reduction="none").shape == (0,)
    loss, grad = getattr(lossx, name + "_with_grad")(x, t)
    assert np.isnan(loss) and grad.shape == (0, 4)


# ---------------------------------------------------------------- partial sums: what 'mean' divides by
def _row_cases(rng):
    """(name, args, kwargs, denominator of 'mean'): rows for the row losses, elements for margin_ranking."""
    x = rng.standard_normal((5, 6))
    return [
        ("margin_ranking_loss", (x, rng.standard_normal((5, 6)), np.sign(x)), {"margin": 0.3}, 30.0),
        ("multilabel_soft_margin_loss", (x, (x > 0).astype(float)), {"weight": rng.random(6) + 0.5}, 5.0),
        ("multilabel_soft_margin_loss", (x.reshape(5, 2, 3), (x > 0).astype(float).reshape(5, 2, 3)), {}, 10.0),
        ("multilabel_soft_margin_loss", (x[0], (x[0] > 0).astype(float)), {}, 1.0),
        ("multi_margin_loss", (x, rng.integers(0, 6, 5)), {"p": 2, "weight": rng.random(6) + 0.5}, 5.0),
        ("multi_margin_loss", (x[0], 2), {}, 1.0),
        ("multilabel_margin_loss", (x, np.tile([3, 0, -1, 1, 2, 5], (5, 1))), {}, 5.0),
        ("multilabel_margin_loss", (x[0], [3, 0, -1, 1, 2, 5]), {}, 1.0),
    ]


def test_partial_denominator_counts_rows_or_elements():
    """The row losses average rows ('none' has one value per row); margin_ranking averages elements."""
    for name, args, kwargs, denom in _row_cases(np.random.default_rng(0)):
        f = getattr(lossx, name)
        for r in ("mean", "sum"):
            total, d = getattr(lossx, name + "_partial")(*args, reduction=r, **kwargs)
            assert d == denom, name
            assert total == float(f(*args, reduction="sum", **kwargs)), name
            assert total / d == float(f(*args, reduction="mean", **kwargs)), name


def test_partial_backward_is_the_scaled_sum_gradient():
    """scale 1 gives the 'sum' gradient bitwise (both gradients of margin_ranking)."""
    for name, args, kwargs, _ in _row_cases(np.random.default_rng(1)):
        got = getattr(lossx, name + "_partial_backward")(1.0, *args, **kwargs)
        want = getattr(lossx, name + "_backward")(1.0, *args, reduction="sum", **kwargs)
        for g, w in zip(*(t if isinstance(t, tuple) else (t,) for t in (got, want))):
            np.testing.assert_array_equal(g, w, err_msg=name)


@pytest.mark.parametrize("name", ["multi_margin_loss", "multilabel_margin_loss"])
def test_partial_of_an_empty_chunk_is_zero_over_zero(name):
    """An empty chunk adds (0, 0): the rest of the batch's 'mean' is unchanged; alone it is nan."""
    x = np.random.default_rng(2).standard_normal((3, 4))
    t = np.array([1, 0, 3]) if name == "multi_margin_loss" else np.array([[1, -1, 0, 0], [2, 3, -1, 0], [0, 1, 2, 3]])
    partial = getattr(lossx, name + "_partial")
    assert partial(x[:0], t[:0]) == (0.0, 0.0)
    (t0, d0), (t1, d1) = partial(x[:0], t[:0]), partial(x, t)
    assert (t0 + t1) / (d0 + d1) == float(getattr(lossx, name)(x, t))
    grad = getattr(lossx, name + "_partial_backward")(0.5, x[:0], t[:0])
    assert grad.shape == (0, 4)


# ---------------------------------------------------------------- PyTorch's shapes
def test_multi_margin_shapes():
    x = f64([0.1, 0.2, 0.4, 0.8])
    assert lossx.multi_margin_loss(x[0], 3, reduction="none").shape == ()
    assert lossx.multi_margin_loss(x[0], [3], reduction="none").shape == (1,)  # PyTorch: 'none' has the target's shape
    assert lossx.multi_margin_loss(x, np.int64(3), reduction="none").shape == ()
    np.testing.assert_allclose(lossx.multi_margin_loss(x[0], 3), 0.325, rtol=1e-15)
    loss, grad = lossx.multi_margin_loss_with_grad(s64(0.5), 0)  # a 0-d input is one row of one class
    assert loss == 0 and grad.shape == () and grad == 0


def test_multilabel_margin_shapes():
    x = f64([0.1, 0.2, 0.4, 0.8])
    out = lossx.multilabel_margin_loss(x[0], [3, 0, -1, 1], reduction="none")
    assert out.shape == () and float(out) == pytest.approx(0.85)
    assert lossx.multilabel_margin_loss(x, [[3, 0, -1, 1]], reduction="none").shape == (1,)
    loss, grad = lossx.multilabel_margin_loss_with_grad(s64(0.1), 0)
    assert loss == 0 and grad.shape == ()


def test_multilabel_soft_margin_shapes():
    x = np.linspace(-2, 2, 24).reshape(2, 3, 4)
    y = (x > 0).astype(np.float64)
    out = lossx.multilabel_soft_margin_loss(x, y, reduction="none")
    assert out.shape == (2, 3)
    np.testing.assert_allclose(out, lossx.multilabel_soft_margin_loss(x.reshape(6, 4), y.reshape(6, 4),
                                                                      reduction="none").reshape(2, 3), rtol=1e-15)
    assert lossx.multilabel_soft_margin_loss(x[0, 0], y[0, 0], reduction="none").shape == ()


@pytest.mark.parametrize("itype", [np.uint8, np.int8, np.int16, np.int32, np.uint32, np.int64, np.uint64])
def test_any_integer_target_dtype(itype):
    x = f64([0.1, 0.2, 0.4, 0.8], [0.5, -0.3, 0.2, 0.0])
    want_mm = lossx.multi_margin_loss(x, np.array([3, 0]), reduction="none")
    np.testing.assert_array_equal(lossx.multi_margin_loss(x, np.array([3, 0], itype), reduction="none"), want_mm)
    t = np.array([[3, 0, -1, 1], [1, 2, 3, -1]])
    want_mlm = lossx.multilabel_margin_loss(x, t, reduction="none")
    if np.issubdtype(itype, np.signedinteger):
        np.testing.assert_array_equal(lossx.multilabel_margin_loss(x, t.astype(itype), reduction="none"), want_mlm)


def test_p_may_be_a_float_equal_to_1_or_2():
    x = f64([0.1, 0.2, 0.4, 0.8])
    assert lossx.multi_margin_loss(x, [3], p=2.0) == lossx.multi_margin_loss(x, [3], p=2)


# ---------------------------------------------------------------- bad inputs
def test_margin_ranking_bad_inputs():
    a = np.zeros((3,))
    with pytest.raises(ValueError, match="'input2'"):
        lossx.margin_ranking_loss(a, np.zeros((3, 1)), a)
    with pytest.raises(ValueError, match="'target'"):
        lossx.margin_ranking_loss(a, a, np.zeros((1,)))  # PyTorch would broadcast
    with pytest.raises(TypeError, match="'input2'"):
        lossx.margin_ranking_loss(a, a.astype(np.float32), a)
    with pytest.raises(TypeError, match="'target'"):
        lossx.margin_ranking_loss(a, a, np.ones(3, np.float32))
    with pytest.raises(TypeError, match="'margin'"):
        lossx.margin_ranking_loss(a, a, a, margin="1")
    with pytest.raises(TypeError, match="must be a float32 or float64"):
        lossx.margin_ranking_loss(a, a.astype(np.int32), a)


@pytest.mark.parametrize("name", ["hinge_embedding_loss", "soft_margin_loss"])
def test_elementwise_target_shape(name):
    with pytest.raises(ValueError, match="'target'"):
        getattr(lossx, name)(np.zeros((3, 1)), np.zeros((3,)))


def test_multilabel_soft_margin_bad_inputs():
    x = np.zeros((2, 3))
    with pytest.raises(ValueError, match="'weight'"):
        lossx.multilabel_soft_margin_loss(x, x, np.ones(2))
    with pytest.raises(ValueError, match="'weight'"):
        lossx.multilabel_soft_margin_loss(x, x, np.ones((2, 3)))
    with pytest.raises(ValueError, match="'target'"):
        lossx.multilabel_soft_margin_loss(x, np.zeros((2, 2)))
    with pytest.raises(ValueError, match="'input'"):
        lossx.multilabel_soft_margin_loss(np.float64(1.0), np.float64(1.0))


def test_multi_margin_bad_inputs():
    x = np.zeros((2, 3))
    for p in (3, 0, 1.5, "1"):
        with pytest.raises(ValueError, match="'p'"):
            lossx.multi_margin_loss(x, [0, 1], p=p)
    for t in ([0, 3], [-1, 0]):
        with pytest.raises(ValueError, match="'target'.*class indices in \\[0, 3\\)"):
            lossx.multi_margin_loss(x, t)
    with pytest.raises(ValueError, match="'target'"):
        lossx.multi_margin_loss(x, [[0], [1]])
    with pytest.raises(ValueError, match="'target'"):
        lossx.multi_margin_loss(x, [0, 1, 2])
    with pytest.raises(ValueError, match="'weight'"):
        lossx.multi_margin_loss(x, [0, 1], weight=np.ones((1, 3)))
    with pytest.raises(ValueError, match="'weight'"):
        lossx.multi_margin_loss(x, [0, 1], weight=np.ones(4))
    with pytest.raises(ValueError, match="'input'"):
        lossx.multi_margin_loss(np.zeros((2, 2, 2)), [0, 1])
    with pytest.raises(ValueError, match="'input'"):
        lossx.multi_margin_loss(np.zeros((2, 0)), [0, 1])
    with pytest.raises(TypeError, match="'target'"):
        lossx.multi_margin_loss(x, np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="'target'"):  # the backward checks too
        lossx.multi_margin_loss_backward(1.0, x, [0, 5])


def test_multilabel_margin_bad_inputs():
    x = np.zeros((2, 3))
    for t in ([[0, -2, 1], [0, 1, 2]], [[3, -1, 0], [0, 1, 2]], [[0, -1, 7], [0, 1, 2]]):
        with pytest.raises(ValueError, match="'target'.*labels in \\[0, 3\\) or -1"):
            lossx.multilabel_margin_loss(x, t)
    with pytest.raises(ValueError, match="'target'"):
        lossx.multilabel_margin_loss(x, [0, 1, 2])
    with pytest.raises(ValueError, match="'input'"):
        lossx.multilabel_margin_loss(np.zeros((1, 1, 3)), np.zeros((1, 1, 3), np.int64))
    with pytest.raises(ValueError, match="'input'"):
        lossx.multilabel_margin_loss(np.zeros((2, 0)), np.zeros((2, 0), np.int64))
    with pytest.raises(TypeError, match="'target'"):
        lossx.multilabel_margin_loss(x, np.zeros((2, 3)))


def test_positional_parameters_follow_pytorch():
    """PyTorch's parameters before size_average stay positional; reduction is keyword-only."""
    x = f64([0.1, 0.2, 0.4, 0.8])
    assert lossx.multi_margin_loss(x, [3], 2, 1.0, [1, 1, 1, 2]) == pytest.approx(0.305)
    assert lossx.hinge_embedding_loss(f64(0.3), f64(-1.0), 0.5) == pytest.approx(0.2)
    assert lossx.margin_ranking_loss(f64(1.0), f64(1.0), f64(1.0), 0.5) == 0.5
    with pytest.raises(TypeError):
        lossx.soft_margin_loss(f64(1.0), f64(1.0), None)
    with pytest.raises(TypeError):
        lossx.multilabel_margin_loss(x, [[3, -1, 0, 0]], "sum")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("p", [1, 2])
def test_multi_margin_loss_alone_is_bitwise_the_fused_loss(dtype, p):
    """The loss alone and NAME_with_grad run the same row loop (FMA contraction could otherwise
    round a sum of z² differently), for row lengths around the vector widths."""
    rng = np.random.default_rng(7)
    for C in (3, 15, 16, 17, 33, 255, 1000):
        x = rng.standard_normal((129, C)).astype(dtype)
        y = rng.integers(0, C, 129)
        w = (rng.random(C) + 0.5).astype(dtype)
        for reduction in ("none", "mean", "sum"):
            alone = lossx.multi_margin_loss(x, y, p=p, margin=0.7, weight=w, reduction=reduction)
            fused, _ = lossx.multi_margin_loss_with_grad(x, y, p=p, margin=0.7, weight=w, reduction=reduction)
            np.testing.assert_array_equal(alone, fused)
