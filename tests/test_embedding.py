"""Embedding losses: PyTorch's documented values, kinks and ties on exact inputs, bad inputs,
and the batch-hard triplet loss's choices, left-out anchors and bounded-memory kernel.

The expected numbers of cosine_embedding_loss and triplet_margin_loss were observed with
PyTorch 2.13 on the same inputs (TORCH-SEMANTICS.md); the generic registry tests
(cases_embedding.py) compare against PyTorch on random inputs as well.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import lossx
from reference import embedding as ref

F64 = dict(rtol=1e-13, atol=0)


# ---------------------------------------------------------------- cosine_embedding_loss
def test_cosine_zero_vector_gives_cos_0_and_huge_finite_gradient():
    x1, x2, y = np.zeros((1, 2)), np.array([[1.0, 0.0]]), np.array([1.0])
    loss, (g1, g2) = lossx.cosine_embedding_loss_with_grad(x1, x2, y)
    assert loss == 1.0
    # PyTorch's EPSILON is float32(1e-12): 1 / sqrt(9.99999996e-13) = 1000000.0019974...
    np.testing.assert_allclose(g1, [[-1000000.0019974014, 0.0]], **F64)
    np.testing.assert_array_equal(g2, [[0.0, 0.0]])
    _, (g1, _) = lossx.cosine_embedding_loss_with_grad(x1.astype(np.float32), x2.astype(np.float32),
                                                       y.astype(np.float32))
    np.testing.assert_allclose(g1, [[-1e6, 0.0]], rtol=1e-7)


def test_cosine_tiny_vector_is_not_a_direction():
    # eps is added, not clamped: cos([1e-7, 0], [1, 0]) = 0.0995, where F.cosine_similarity gives 1.
    x1, x2 = np.array([[1e-7, 0.0]]), np.array([[1.0, 0.0]])
    loss, (g1, g2) = lossx.cosine_embedding_loss_with_grad(x1, x2, np.array([1.0]))
    np.testing.assert_allclose(1.0 - loss, 0.09950371921777945, **F64)
    np.testing.assert_allclose(g1, [[-985185.3387509193, 0.0]], rtol=1e-12)
    # ∂/∂x2 cancels two terms of size 0.1 down to 1e-13: equal up to their rounding.
    np.testing.assert_allclose(g2, [[-9.953149415764528e-14, 0.0]], rtol=0, atol=1e-16)
    loss32 = lossx.cosine_embedding_loss(x1.astype(np.float32), x2.astype(np.float32), np.float32([1.0]))
    np.testing.assert_allclose(1.0 - loss32, 0.09950369596481323, rtol=1e-6)


def test_cosine_hinge_kink_passes_the_gradient():
    # y = -1, cos = margin = 0 exactly: clamp_min lets the gradient of cos through.
    x1, x2 = np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]])
    loss, (g1, g2) = lossx.cosine_embedding_loss_with_grad(x1, x2, np.array([-1.0]), 0.0)
    assert loss == 0.0
    np.testing.assert_allclose(g1, [[0.0, 0.9999999999989999]], **F64)
    np.testing.assert_allclose(g2, [[0.9999999999989999, 0.0]], **F64)
    # Below the margin: no gradient.
    _, (g1, g2) = lossx.cosine_embedding_loss_with_grad(x1, x2, np.array([-1.0]), 0.25)
    np.testing.assert_array_equal(g1, 0.0)
    np.testing.assert_array_equal(g2, 0.0)


@pytest.mark.parametrize("y", [0.0, 0.5, 2.0, -0.5])
def test_cosine_targets_other_than_pm1_give_zero(y, rng):
    x1, x2 = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    loss, (g1, g2) = lossx.cosine_embedding_loss_with_grad(x1, x2, np.full(3, y), reduction="none")
    np.testing.assert_array_equal(loss, 0.0)
    np.testing.assert_array_equal(g1, 0.0)
    np.testing.assert_array_equal(g2, 0.0)


def test_cosine_values_and_shapes():
    x1 = np.array([[1.0, 0.0], [1.0, 1.0], [3.0, 4.0]])
    x2 = np.array([[0.0, 1.0], [1.0, 0.0], [3.0, 4.0]])
    y = np.array([1.0, -1.0, 1.0])
    want = [1.0, math.sqrt(0.5), 0.0]
    np.testing.assert_allclose(lossx.cosine_embedding_loss(x1, x2, y, reduction="none"), want, atol=1e-12)
    np.testing.assert_allclose(lossx.cosine_embedding_loss(x1, x2, y, -0.5, reduction="sum"),
                               1.0 + math.sqrt(0.5) + 0.5, atol=1e-12)
    one = lossx.cosine_embedding_loss(x1[1], x2[1], -1.0, reduction="none")
    assert one.shape == () and abs(one - math.sqrt(0.5)) < 1e-12
    # D = 0: cos = 0 / sqrt(eps·eps) = 0.
    np.testing.assert_array_equal(
        lossx.cosine_embedding_loss(np.zeros((2, 0)), np.zeros((2, 0)), [1.0, -1.0], reduction="none"), [1.0, 0.0])


def test_cosine_bad_inputs():
    x = np.ones((3, 4))
    y = np.ones(3)
    with pytest.raises(ValueError, match="'input2'"):
        lossx.cosine_embedding_loss(x, np.ones((1, 4)), y)  # PyTorch would broadcast
    with pytest.raises(ValueError, match="'target'"):
        lossx.cosine_embedding_loss(x, x, np.ones(4))
    with pytest.raises(ValueError, match="'target'"):
        lossx.cosine_embedding_loss(np.ones(4), np.ones(4), np.ones(1))
    with pytest.raises(ValueError, match="'input1'"):
        lossx.cosine_embedding_loss(np.ones((2, 3, 4)), np.ones((2, 3, 4)), np.ones((2, 3)))
    with pytest.raises(TypeError, match="'target'"):
        lossx.cosine_embedding_loss(x, x, np.ones(3, dtype=np.float32))
    with pytest.raises(TypeError, match="'input2'"):
        lossx.cosine_embedding_loss(x, x.astype(np.float32), y)
    with pytest.raises(TypeError):
        lossx.cosine_embedding_loss(x, x, y, 0.0, "sum")  # reduction is keyword-only
    with pytest.raises(TypeError, match="'margin'"):
        lossx.cosine_embedding_loss(x, x, y, "big")


# ---------------------------------------------------------------- triplet_margin_loss
@pytest.mark.parametrize("D, p, want", [(4, 2, 2e-6), (3, 1, 3e-6), (8, 3, 2e-6)])
def test_triplet_self_distance_is_eps_times_d_to_the_1_over_p(D, p, want):
    # d(a, a) = eps·D^(1/p); and pairwise_distance(0, 1e-6) = 0: the difference cancels eps.
    a = np.zeros((1, D))
    loss = lossx.triplet_margin_loss(a, a, np.full((1, D), 1e-6), p=p)
    np.testing.assert_allclose(loss - 1.0, want, rtol=1e-9)


def test_triplet_self_distance_gradient():
    a = np.zeros((1, 4))
    _, (ga, gp, gn) = lossx.triplet_margin_loss_with_grad(a, a, np.full((1, 4), 1e-6))
    np.testing.assert_allclose(ga, 0.5, **F64)
    np.testing.assert_allclose(gp, -0.5, **F64)
    np.testing.assert_array_equal(gn, 0.0)  # the zero distance has a zero gradient


def test_triplet_swap_example():
    a, p, n = np.array([[0.0, 0.0]]), np.array([[1.0, 0.0]]), np.array([[1.0, 0.5]])
    np.testing.assert_allclose(lossx.triplet_margin_loss(a, p, n), 0.8819663528913022, **F64)
    loss, (ga, gp, gn) = lossx.triplet_margin_loss_with_grad(a, p, n, swap=True)
    np.testing.assert_allclose(loss, 1.4999999999995, **F64)
    np.testing.assert_allclose(ga, [[-0.9999999999995001, 1.0000010000005002e-06]], **F64)
    np.testing.assert_allclose(gp, [[0.9999979999955001, 0.9999989999969999]], **F64)
    np.testing.assert_allclose(gn, [[2.0000040000039997e-06, -0.9999999999979999]], **F64)
    loss32 = lossx.triplet_margin_loss(a.astype(np.float32), p.astype(np.float32), n.astype(np.float32), swap=True)
    assert loss32.dtype == np.float32 and loss32 == np.float32(1.5)


def test_triplet_swap_tie_splits_the_gradient():
    # d(a, n) = d(p, n) = sqrt(1.25): torch.min's backward gives each half.
    a, p, n = np.array([[0.0, 0.0]]), np.array([[1.0, 0.0]]), np.array([[0.5, 1.0]])
    loss, (ga, gp, gn) = lossx.triplet_margin_loss_with_grad(a, p, n, swap=True, eps=0.0)
    np.testing.assert_allclose(loss, 2.0 - math.sqrt(1.25), **F64)
    np.testing.assert_allclose(ga, [[-0.7763932022500211, 0.4472135954999579]], **F64)
    np.testing.assert_allclose(gp, [[0.7763932022500211, 0.4472135954999579]], **F64)
    np.testing.assert_allclose(gn, [[0.0, -0.8944271909999159]], atol=1e-16)


def test_triplet_hinge_kink_passes_the_gradient():
    # margin + d(a,p) - d(a,n) = 1 + 1 - 2 = 0 exactly: clamp_min passes, grads (-1, +1) on (n, p).
    a, p, n = np.array([[0.0]]), np.array([[1.0]]), np.array([[2.0]])
    loss, (ga, gp, gn) = lossx.triplet_margin_loss_with_grad(a, p, n, eps=0.0)
    assert loss == 0.0
    np.testing.assert_array_equal(ga, [[0.0]])
    np.testing.assert_array_equal(gp, [[1.0]])
    np.testing.assert_array_equal(gn, [[-1.0]])
    # Just past the kink: no gradient.
    _, grads = lossx.triplet_margin_loss_with_grad(a, p, np.array([[2.5]]), eps=0.0)
    for g in grads:
        np.testing.assert_array_equal(g, 0.0)


@pytest.mark.parametrize("p, ga", [(2, 0.7071067811865476), (1, 1.0), (1.5, 0.7937005259840998),
                                   (0.5, 2.0), (3, 0.6299605249474364), (math.inf, 0.5)])
def test_triplet_zero_distance_gradient_is_zero(p, ga):
    # a - p + eps = 0 exactly: d(a, p) = 0 contributes no gradient (PyTorch's norm backward).
    a, pos, n = np.array([[0.0, 0.0]]), np.array([[1e-6, 1e-6]]), np.array([[0.1, 0.1]])
    _, (g_a, g_p, g_n) = lossx.triplet_margin_loss_with_grad(a, pos, n, p=p)
    np.testing.assert_allclose(g_a, [[ga, ga]], rtol=1e-12)
    np.testing.assert_array_equal(g_p, 0.0)
    np.testing.assert_allclose(g_n, [[-ga, -ga]], rtol=1e-12)


@pytest.mark.parametrize("p, k", [(1.5, 0.7937005259840998), (0.5, 2.0), (3, 0.6299605249474365)])
def test_triplet_zero_component_gradient_is_zero(p, k):
    # The first component of a - p + eps is exactly 0: its derivative is 0 for every p
    # (the true value for p > 1; PyTorch's choice for p < 1 where |x|^(p-1) is infinite).
    a, pos, n = np.array([[0.0, 1.0]]), np.array([[1e-6, 0.0]]), np.array([[0.5, 1.5]])
    _, (g_a, g_p, g_n) = lossx.triplet_margin_loss_with_grad(a, pos, n, p=p)
    assert g_p[0, 0] == 0.0
    np.testing.assert_allclose(g_p, [[0.0, -1.0]], rtol=1e-12)
    np.testing.assert_allclose(g_n, [[-k, -k]], rtol=1e-12)
    np.testing.assert_allclose(g_a, [[k, 1.0 + k]], rtol=1e-12)


def test_triplet_inf_norm_shares_the_gradient_among_ties():
    a, p, n = np.array([[0.0, 1.0]]), np.array([[1.0, 2.0]]), np.array([[0.5, 1.5]])
    loss, (ga, gp, gn) = lossx.triplet_margin_loss_with_grad(a, p, n, p=math.inf, eps=0.0)
    assert loss == 1.5
    np.testing.assert_array_equal(ga, [[0.0, 0.0]])
    np.testing.assert_array_equal(gp, [[0.5, 0.5]])
    np.testing.assert_array_equal(gn, [[-0.5, -0.5]])


def test_triplet_nan_propagates():
    a, p, n = np.array([[np.nan, 0.0]]), np.array([[1.0, 0.0]]), np.array([[1.0, 0.5]])
    for swap in (False, True):
        loss, grads = lossx.triplet_margin_loss_with_grad(a, p, n, swap=swap)
        assert np.isnan(loss)
        for g in grads:
            assert np.isnan(g).all()


def test_triplet_shapes(rng):
    a, p, n = (rng.standard_normal(6) for _ in range(3))
    out = lossx.triplet_margin_loss(a, p, n, reduction="none")
    assert out.shape == ()  # 1-D inputs give a 0-d 'none'
    np.testing.assert_allclose(out, ref.triplet_margin_loss(a, p, n, reduction="none"), rtol=1e-13)
    grads = lossx.triplet_margin_loss_backward(np.float64(2.0), a, p, n, reduction="none")
    assert [g.shape for g in grads] == [(6,)] * 3
    # D = 0: every distance is 0, the loss is the margin.
    e = np.zeros((3, 0))
    np.testing.assert_array_equal(lossx.triplet_margin_loss(e, e, e, 0.5, reduction="none"), [0.5] * 3)


def test_triplet_bad_inputs():
    x = np.ones((3, 4))
    with pytest.raises(ValueError, match="'margin'"):
        lossx.triplet_margin_loss(x, x, x, margin=0.0)  # PyTorch: "margin must be greater than 0"
    with pytest.raises(ValueError, match="'margin'"):
        lossx.triplet_margin_loss(x, x, x, margin=-1.0)
    for p in (0, -1, -0.5, math.nan):  # PyTorch silently accepts p <= 0; lossx does not
        with pytest.raises(ValueError, match="'p'"):
            lossx.triplet_margin_loss(x, x, x, p=p)
    with pytest.raises(ValueError, match="'positive'"):
        lossx.triplet_margin_loss(x, np.ones((1, 4)), x)  # PyTorch would broadcast
    with pytest.raises(ValueError, match="'negative'"):
        lossx.triplet_margin_loss(x, x, np.ones((3, 5)))
    with pytest.raises(ValueError, match="'positive'"):
        lossx.triplet_margin_loss(x, np.ones(4), x)
    with pytest.raises(ValueError, match="'anchor'"):
        lossx.triplet_margin_loss(np.ones((2, 3, 4)), np.ones((2, 3, 4)), np.ones((2, 3, 4)))
    with pytest.raises(TypeError, match="'negative'"):
        lossx.triplet_margin_loss(x, x, x.astype(np.float32))
    with pytest.raises(TypeError):
        lossx.triplet_margin_loss(x, x, x, 1.0, 2, 1e-6, False, "sum")  # reduction is keyword-only


# ---------------------------------------------------------------- batch_hard_triplet_loss
def _grad_from_choices(e, labels, margin, p, g):
    """Float64 gradient from the brute-force choices (per-anchor weights g, 0 where left out)."""
    dist, pos, neg = ref.batch_hard_choices(e, labels, p)
    grad = np.zeros_like(e, dtype=np.float64)

    def ddist(x, z, d):  # ∂||x - z||_p / ∂x, 0 at d = 0 and on zero components
        delta = x - z
        if d == 0:
            return np.zeros_like(delta)
        if p == 2:
            return delta / d
        return np.sign(delta) * np.abs(delta) ** (p - 1) * d ** (1 - p)

    for i in range(len(e)):
        if pos[i] < 0 or neg[i] < 0:
            continue
        if dist[i, pos[i]] - dist[i, neg[i]] + margin < 0:
            continue
        up = ddist(e[i], e[pos[i]], dist[i, pos[i]])
        un = ddist(e[i], e[neg[i]], dist[i, neg[i]])
        grad[i] += g[i] * (up - un)
        grad[pos[i]] -= g[i] * up
        grad[neg[i]] += g[i] * un
    return grad


def test_batch_hard_ties_take_the_lowest_index():
    e = np.array([[0.0, 0.0],    # anchor 0, label 0
                  [1.0, 0.0],    # positive at distance 1
                  [0.0, 1.0],    # positive at distance 1 (tie: 1 wins)
                  [0.0, -2.0],   # negative at distance 2
                  [-2.0, 0.0]])  # negative at distance 2 (tie: 3 wins)
    labels = np.array([0, 0, 0, 1, 1])
    g = np.array([1.0, 0.0, 0.0, 0.0, 0.0])  # only anchor 0's loss
    loss, grad = lossx.batch_hard_triplet_loss_with_grad(e, labels, 1.5, reduction="none", grad_output=g)
    assert loss[0] == 0.5  # 1 - 2 + 1.5
    np.testing.assert_array_equal(grad, [[-1.0, -1.0], [1.0, 0.0], [0.0, 0.0], [0.0, 1.0], [0.0, 0.0]])
    # The same points in reverse order: the lowest index is now the other one of each tie.
    r = slice(None, None, -1)
    _, grad_r = lossx.batch_hard_triplet_loss_with_grad(e[r], labels[r], 1.5, reduction="none", grad_output=g[r])
    # Anchor 4 = (0, 0): positives 2 = (0, 1) and 3 = (1, 0) tie, 2 wins; negatives 0 = (-2, 0)
    # and 1 = (0, -2) tie, 0 wins.
    np.testing.assert_array_equal(grad_r, [[1.0, 0.0], [0.0, 0.0], [0.0, 1.0], [0.0, 0.0], [-1.0, -1.0]])


def test_batch_hard_duplicates_tie_exactly(rng):
    # Duplicated rows give bit-identical distances: the lowest index is chosen, in float32 too.
    base = rng.standard_normal((4, 8))
    e = np.concatenate([base, base])  # rows 4..7 duplicate 0..3
    labels = np.array([0, 1, 2, 3, 0, 1, 2, 3])
    for dtype in (np.float64, np.float32):
        x = e.astype(dtype)
        got = lossx.batch_hard_triplet_loss(x, labels, 100.0, reduction="none")
        _, pos, neg = ref.batch_hard_choices(x, labels)
        assert list(pos) == [4, 5, 6, 7, 0, 1, 2, 3]  # the duplicate, at distance 0
        np.testing.assert_allclose(got, ref.batch_hard_triplet_loss(x, labels, 100.0, reduction="none"), rtol=1e-6)
        # Anchor 0's nearest negative is a tie between k and k + 4: the lower index gets the gradient.
        g = np.zeros(8, dtype)
        g[0] = 1
        grad = lossx.batch_hard_triplet_loss_backward(g, x, labels, 100.0, reduction="none")
        k = neg[0]
        assert k < 4 and np.any(grad[k] != 0) and np.all(grad[k + 4] == 0)


def test_batch_hard_kink_and_zero_distance():
    # Anchor 0: positive 1 is identical (d_ap = 0, no gradient), negative 2 at distance 1,
    # margin 1: the hinge argument is exactly 0 and the gradient passes.
    e = np.array([[0.0, 0.0], [0.0, 0.0], [1.0, 0.0]])
    labels = np.array([5, 5, 9])
    g = np.array([1.0, 0.0, 0.0])
    loss, grad = lossx.batch_hard_triplet_loss_with_grad(e, labels, reduction="none", grad_output=g)
    np.testing.assert_array_equal(loss, [0.0, 0.0, 0.0])  # anchor 2 has no positive: left out
    np.testing.assert_array_equal(grad, [[1.0, 0.0], [0.0, 0.0], [-1.0, 0.0]])


def test_batch_hard_left_out_anchors():
    e = np.array([[0.0, 0.0], [0.0, 1.0], [2.0, 0.0], [5.0, 5.0]])
    labels = np.array([0, 0, 1, 2])  # anchors 2 and 3 have no positive
    none = lossx.batch_hard_triplet_loss(e, labels, reduction="none")
    want0 = max(0.0, 1.0 - 2.0 + 1.0)
    want1 = max(0.0, 1.0 - math.sqrt(5.0) + 1.0)
    np.testing.assert_allclose(none, [want0, want1, 0.0, 0.0], **F64)
    np.testing.assert_allclose(lossx.batch_hard_triplet_loss(e, labels), (want0 + want1) / 2, **F64)
    np.testing.assert_allclose(lossx.batch_hard_triplet_loss(e, labels, reduction="sum"), want0 + want1, **F64)
    # No anchor kept: 'mean' is nan with a zero gradient, 'sum' is 0.
    same = np.zeros(4, np.int64)
    loss, grad = lossx.batch_hard_triplet_loss_with_grad(e, same)
    assert np.isnan(loss)
    np.testing.assert_array_equal(grad, 0.0)
    assert lossx.batch_hard_triplet_loss(e, same, reduction="sum") == 0.0
    np.testing.assert_array_equal(lossx.batch_hard_triplet_loss(e, np.arange(4), reduction="none"), 0.0)
    # 'none' ignores grad_output at left-out anchors.
    grad = lossx.batch_hard_triplet_loss_backward(np.array([0.0, 0.0, 7.0, 7.0]), e, labels, reduction="none")
    np.testing.assert_array_equal(grad, 0.0)


@pytest.mark.parametrize("p", [2, 1])
def test_batch_hard_partial_is_kept_sum_and_count(p, rng):
    # Three labels with several members each, plus singletons (no positive: left out) and one
    # label-only batch member; the partial sums are (Σ loss over kept anchors, kept count).
    e = rng.standard_normal((23, 5))
    labels = np.array([0, 1, 2] * 6 + [7, 8, 9, 10, 11])
    per = lossx.batch_hard_triplet_loss(e, labels, p=p, reduction="none")
    kept = 18.0
    for r in ("mean", "sum"):
        t, d = lossx.batch_hard_triplet_loss_partial(e, labels, p=p, reduction=r)
        assert isinstance(t, float) and isinstance(d, float)
        assert d == kept
        np.testing.assert_allclose(t, per.sum(), rtol=1e-14)
    mean = lossx.batch_hard_triplet_loss(e, labels, p=p)
    np.testing.assert_allclose(t / d, mean, rtol=1e-14)
    # partial_backward(s) is the gradient of s · total: 'sum''s gradient times s, under either
    # reduction; under 'mean', s = grad_output / kept gives the 'mean' gradient.
    want = lossx.batch_hard_triplet_loss_backward(1.0, e, labels, p=p, reduction="sum")
    for r in ("mean", "sum"):
        got = lossx.batch_hard_triplet_loss_partial_backward(0.375, e, labels, p=p, reduction=r)
        np.testing.assert_allclose(got, 0.375 * want, rtol=1e-13, atol=1e-15)
    got = lossx.batch_hard_triplet_loss_partial_backward(0.75 / kept, e, labels, p=p)
    np.testing.assert_array_equal(got, lossx.batch_hard_triplet_loss_backward(0.75, e, labels, p=p))


def test_batch_hard_partial_with_no_kept_anchor():
    e = np.arange(8.0).reshape(4, 2)
    assert lossx.batch_hard_triplet_loss_partial(e, np.zeros(4, np.int64)) == (0.0, 0.0)
    np.testing.assert_array_equal(lossx.batch_hard_triplet_loss_partial_backward(2.0, e, np.arange(4)), 0.0)
    with pytest.raises(ValueError, match="'reduction'"):
        lossx.batch_hard_triplet_loss_partial(e, np.arange(4), reduction="none")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("p", [2, 1, 1.5])
def test_batch_hard_many_tiles_against_brute_force(dtype, p, rng):
    # D = 256 in float64 makes 128-row candidate tiles: 300 rows span several tiles
    # and several 64-anchor blocks, with remainders in both.
    n, D = 300, 256 if p != 1.5 else 24
    e = rng.standard_normal((n, D)).astype(dtype)
    labels = rng.integers(0, 40, n).astype(np.int32)
    labels[:3] = 1000 + np.arange(3)  # three singletons
    margin = 1.0
    gw = rng.random(n) + 0.5
    loss, grad = lossx.batch_hard_triplet_loss_with_grad(e, labels, margin, p, reduction="none",
                                                         grad_output=gw.astype(dtype))
    e64 = e.astype(np.float64)
    tol = dict(rtol=1e-12, atol=1e-12) if dtype == np.float64 else dict(rtol=2e-5, atol=2e-5)
    np.testing.assert_allclose(loss, ref.batch_hard_triplet_loss(e64, labels, margin, p, reduction="none"), **tol)
    np.testing.assert_allclose(grad, _grad_from_choices(e64, labels, margin, p, gw), **tol)
    mean = lossx.batch_hard_triplet_loss(e, labels, margin, p)
    np.testing.assert_allclose(mean, ref.batch_hard_triplet_loss(e64, labels, margin, p), **tol)


def test_batch_hard_nan_propagates():
    e = np.array([[0.0, 0.0], [0.0, 1.0], [2.0, 0.0], [np.nan, 0.0]])
    labels = np.array([0, 0, 1, 1])
    loss, grad = lossx.batch_hard_triplet_loss_with_grad(e, labels, reduction="none")
    # Every anchor sees the NaN row as its hardest positive or negative.
    assert np.isnan(loss).all()
    assert np.isnan(grad).any()
    assert np.isnan(lossx.batch_hard_triplet_loss(e, labels))


@pytest.mark.parametrize("label_dtype", [np.int8, np.uint16, np.int32, np.uint64, np.int64])
def test_batch_hard_any_integer_labels(label_dtype, rng):
    e = rng.standard_normal((9, 3))
    labels = np.array([3, 1, 3, 2, 1, 2, 3, 1, 0])
    want = lossx.batch_hard_triplet_loss(e, labels, reduction="none")
    np.testing.assert_array_equal(lossx.batch_hard_triplet_loss(e, labels.astype(label_dtype), reduction="none"), want)
    np.testing.assert_array_equal(lossx.batch_hard_triplet_loss(e, labels.tolist(), reduction="none"), want)


def test_batch_hard_bad_inputs():
    e = np.ones((4, 3))
    y = np.arange(4)
    with pytest.raises(TypeError, match="'labels'"):
        lossx.batch_hard_triplet_loss(e, y.astype(np.float64))
    with pytest.raises(ValueError, match="'labels'"):
        lossx.batch_hard_triplet_loss(e, np.arange(5))
    with pytest.raises(ValueError, match="'labels'"):
        lossx.batch_hard_triplet_loss(e, y.reshape(2, 2))
    with pytest.raises(ValueError, match="'embeddings'"):
        lossx.batch_hard_triplet_loss(np.ones(4), y)
    with pytest.raises(ValueError, match="'embeddings'"):
        lossx.batch_hard_triplet_loss(np.ones((4, 3, 2)), y)
    with pytest.raises(ValueError, match="'margin'"):
        lossx.batch_hard_triplet_loss(e, y, margin=-0.1)
    for p in (0, -2, math.nan):
        with pytest.raises(ValueError, match="'p'"):
            lossx.batch_hard_triplet_loss(e, y, p=p)
    with pytest.raises(TypeError):
        lossx.batch_hard_triplet_loss(e, y, 1.0, 2, "sum")  # reduction is keyword-only


def test_public_names():
    for name in ("cosine_embedding_loss", "triplet_margin_loss", "batch_hard_triplet_loss"):
        for suffix in ("", "_backward", "_with_grad", "_partial", "_partial_backward"):
            assert name + suffix in lossx.__all__
            f = getattr(lossx, name + suffix)
            assert f.__doc__ and name in f.__doc__


def test_batch_hard_keys_that_overflow_float32_still_pick_the_farthest():
    # |differences| near 1e19: squared sums overflow float32 to inf; the exact distances decide.
    e = np.array([[0.0], [2e19], [3e19], [-1e19]], np.float32)
    lab = np.array([0, 0, 0, 1])
    got = lossx.batch_hard_triplet_loss(e, lab, reduction="none")
    want = lossx.batch_hard_triplet_loss(e.astype(np.float64), lab, reduction="none")
    np.testing.assert_allclose(got, want, rtol=1e-6)
