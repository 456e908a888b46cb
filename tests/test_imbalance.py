"""class_weights and pos_weight_from against NumPy references written from SPEC's definitions."""

from __future__ import annotations

import numpy as np
import pytest

import lossx


def ref_class_weights(target, num_classes=None, scheme="balanced", ignore_index=-100, beta=0.999):
    t = np.asarray(target).ravel()
    t = t[t != ignore_index]
    K = num_classes if num_classes is not None else (int(t.max()) + 1 if t.size else 0)
    n_c = np.bincount(t, minlength=K).astype(np.float64)
    present = n_c > 0
    w = np.zeros(K)
    if scheme == "balanced":
        w[present] = t.size / (K * n_c[present])
    elif scheme == "inverse":
        w[present] = 1.0 / n_c[present]
        w[present] /= w[present].mean()
    else:
        w[present] = (1 - beta) / (1 - beta ** n_c[present])
        w[present] *= present.sum() / w[present].sum()
    return w


@pytest.mark.parametrize("scheme", ["balanced", "inverse", "effective"])
@pytest.mark.parametrize("itype", [np.int64, np.int32, np.int16, np.uint8])
def test_matches_reference(scheme, itype):
    rng = np.random.default_rng(1)
    t = rng.choice(6, size=(40, 3), p=[0.5, 0.2, 0.15, 0.1, 0.05, 0.0]).astype(itype)
    got = lossx.class_weights(t, scheme=scheme)
    np.testing.assert_allclose(got, ref_class_weights(t, scheme=scheme), rtol=1e-13)
    assert got.dtype == np.float64


def test_balanced_is_sklearn_definition():
    # n_samples / (n_classes * bincount): 4 / (2 * [3, 1])
    np.testing.assert_allclose(lossx.class_weights([0, 0, 0, 1]), [4 / 6, 2.0])


def test_inverse_mean_one_and_effective_sum_count():
    t = [0, 0, 0, 0, 1, 1, 3]
    inv = lossx.class_weights(t, scheme="inverse")
    assert inv[2] == 0 and np.isclose(inv[[0, 1, 3]].mean(), 1.0)
    eff = lossx.class_weights(t, scheme="effective", beta=0.9)
    assert eff[2] == 0 and np.isclose(eff.sum(), 3.0)
    # beta = 0: every present class has weight 1
    np.testing.assert_allclose(lossx.class_weights(t, scheme="effective", beta=0.0), [1, 1, 0, 1])
    # beta close to 1 stays accurate (no cancellation): weights approach inverse frequency
    np.testing.assert_allclose(lossx.class_weights(t, scheme="effective", beta=1 - 1e-12),
                               lossx.class_weights(t, scheme="inverse") * 3 / inv.sum(), rtol=1e-6)


def test_ignore_index_num_classes_and_unseen():
    t = np.array([0, 2, 2, -100, 2, 7])
    w = lossx.class_weights(t, num_classes=8, ignore_index=-100)
    np.testing.assert_allclose(w, ref_class_weights(t, num_classes=8))
    assert w.shape == (8,) and w[1] == 0 and w[3:7].sum() == 0
    # ignore_index may be a real class
    np.testing.assert_allclose(lossx.class_weights([0, 1, 1, 2], ignore_index=1), [2 / 3, 0.0, 2 / 3])


def test_all_ignored():
    assert lossx.class_weights([-100, -100]).shape == (0,)
    np.testing.assert_array_equal(lossx.class_weights([-100], num_classes=3), [0, 0, 0])
    assert lossx.class_weights(np.zeros(0, np.int64)).shape == (0,)


def test_dtype_argument_and_use_with_cross_entropy():
    t = np.array([0, 0, 1, 2, 2, 2])
    w = lossx.class_weights(t, dtype=np.float32)
    assert w.dtype == np.float32
    x = np.random.default_rng(0).standard_normal((6, 3)).astype(np.float32)
    assert np.isfinite(lossx.cross_entropy(x, t, w))


@pytest.mark.parametrize(
    "kwargs, err, match",
    [
        (dict(target=[0, 5], num_classes=3), ValueError, "'target'"),
        (dict(target=[0, -2]), ValueError, "'target'"),
        (dict(target=[0.0, 1.0]), TypeError, "'target'"),
        (dict(target=[0, 1], scheme="sqrt"), ValueError, "'scheme'"),
        (dict(target=[0, 1], scheme="effective", beta=1.0), ValueError, "'beta'"),
        (dict(target=[0, 1], num_classes=-1), ValueError, "'num_classes'"),
        (dict(target=[0, 1], dtype=np.int32), TypeError, "'dtype'"),
    ],
)
def test_class_weights_errors(kwargs, err, match):
    with pytest.raises(err, match=match):
        lossx.class_weights(**kwargs)


def test_pos_weight_from():
    rng = np.random.default_rng(3)
    t = (rng.random((50, 4, 5)) < [0.1, 0.5, 0.3, 0.9, 0.05]).astype(np.float32)
    t[0, 0] = 1
    got = lossx.pos_weight_from(t)
    flat = t.reshape(-1, 5).astype(np.float64)
    np.testing.assert_allclose(got, (1 - flat).sum(0) / flat.sum(0), rtol=1e-13)
    assert got.dtype == np.float64 and lossx.pos_weight_from(t, dtype=np.float32).dtype == np.float32
    # bool and soft targets
    np.testing.assert_allclose(lossx.pos_weight_from(np.array([[True, False], [False, True]])), [1.0, 1.0])
    np.testing.assert_allclose(lossx.pos_weight_from([[0.5, 0.25], [0.5, 0.25]]), [1.0, 3.0])


@pytest.mark.parametrize(
    "target, match",
    [([[1, 0], [1, 0]], "class 1"), ([[1.5, 1.0]], "'target'"), (5.0, "'target'"), ([[np.nan, 1.0]], "'target'")],
)
def test_pos_weight_from_errors(target, match):
    with pytest.raises(ValueError, match=match):
        lossx.pos_weight_from(target)


def test_stray_huge_label_is_an_error_not_an_allocation():
    with pytest.raises(ValueError, match="'target'"):
        lossx.class_weights(np.array([0, 1, 2**40]))
    with pytest.raises(ValueError, match="'target'"):
        lossx.class_weights(np.array([0, 1, 2**63 - 1]))
    with pytest.raises(ValueError, match="'num_classes'"):
        lossx.class_weights([1], num_classes=2**40)


def test_beta_checked_even_when_no_class_is_present():
    with pytest.raises(ValueError, match="'beta'"):
        lossx.class_weights([-100, -100], num_classes=3, scheme="effective", beta=5.0)
