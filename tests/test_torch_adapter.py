"""lossx.torch: the autograd drop-ins for torch.nn.functional and the torch.nn loss modules.

Driven by the case registry (tests/cases*.py): forward values and gradients
against torch.nn.functional for every case and reduction, gradcheck in float64
for every case; then training runs, modules, errors, the fallback policy and
torch.compile. Skipped where PyTorch is not installed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import lossx  # noqa: E402
import lossx.torch.functional as LF  # noqa: E402
from lossx.torch import _adapter  # noqa: E402
from lossx.torch import nn as lnn  # noqa: E402
from lossx.torch.functional import LossxFallbackWarning  # noqa: E402

pytestmark = pytest.mark.requires_torch
F = torch.nn.functional

TOL = {np.float64: dict(rtol=1e-10, atol=1e-12), np.float32: dict(rtol=2e-5, atol=2e-5)}
LEGACY = "size_average and reduce args will be deprecated"


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """Small inputs: one thread for lossx and PyTorch keeps this file's time steady on a busy
    machine (with two, a parallel region waits for a descheduled worker: seconds per test)."""
    n, m = lossx.get_num_threads(), torch.get_num_threads()
    lossx.set_num_threads(1)
    torch.set_num_threads(1)
    yield
    lossx.set_num_threads(n)
    torch.set_num_threads(m)


def as_tensor(v, requires_grad=False, int64=False):
    """Arrays and NumPy scalars to tensors (a copy); plain Python values unchanged."""
    if isinstance(v, (np.ndarray, np.generic)):
        a = np.array(v, copy=True)
        if a.dtype.kind in "iu":
            return torch.from_numpy(a.astype(np.int64) if int64 or a.dtype == np.uint16 else a)
        return torch.from_numpy(a).requires_grad_(requires_grad)
    return v


def torch_args(case, args, kwargs, int64):
    targs = [as_tensor(a, i in case.diff, int64) for i, a in enumerate(args)]
    return targs, {k: as_tensor(v, int64=int64) for k, v in kwargs.items()}


def torch_reference(case, targs, tkw, reduction):
    if case.torch_fn is not None:
        return case.torch_fn(F, *targs, reduction=reduction, **tkw)
    return getattr(F, case.name)(*targs, reduction=reduction, **tkw)


def grad_output_for(out, rng):
    return torch.as_tensor((rng.random(tuple(out.shape)) + 0.5).astype(np.float64)).to(out.dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_matches_torch_functional(loss_case, dtype, rng):
    """Forward and every gradient equal torch.nn.functional's, for each case and reduction."""
    if loss_case.name == "batch_hard_triplet_loss":
        pytest.skip("no PyTorch counterpart (test_batch_hard_matches_lossx)")
    ctc = loss_case.name == "ctc_loss"
    args, kwargs = loss_case.make(rng, dtype, 6)
    for r in loss_case.reductions:
        # lossx gets the case's own integer dtypes (int32, uint8 ...); PyTorch int64.
        ours_args, ours_kw = torch_args(loss_case, args, kwargs, int64=False)
        ref_args, ref_kw = torch_args(loss_case, args, kwargs, int64=True)
        if ctc:
            # CTC is compared through a log_softmax (PyTorch's gradient is the logits' one):
            # the case's log-probs serve as logits (their log_softmax is themselves).
            ours_leaf, ref_leaf = ours_args[0], ref_args[0]
            ours_args[0], ref_args[0] = ours_leaf.log_softmax(-1), ref_leaf.log_softmax(-1)
            leaves = ([ours_leaf], [ref_leaf])
        else:
            leaves = ([ours_args[i] for i in loss_case.diff], [ref_args[i] for i in loss_case.diff])
        got = getattr(LF, loss_case.name)(*ours_args, reduction=r, **ours_kw)
        want = torch_reference(loss_case, ref_args, ref_kw, r)
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), **TOL[dtype], err_msg=f"forward {r}")
        g = grad_output_for(want, rng)
        got_grads = torch.autograd.grad(got, leaves[0], g)
        want_grads = torch.autograd.grad(want, leaves[1], g)
        for k, (a, b) in enumerate(zip(got_grads, want_grads)):
            assert a.dtype == b.dtype
            np.testing.assert_allclose(a.numpy(), b.numpy(), **TOL[dtype], err_msg=f"backward {r} grad {k}")


def test_gradcheck(loss_case, rng):
    """torch.autograd.gradcheck in float64, every reduction (the 'none' Jacobian included)."""
    # batch-hard needs several samples per label to have any positive
    args, kwargs = loss_case.make(rng, np.float64, 7 if loss_case.name == "batch_hard_triplet_loss" else 3)
    targs, tkw = torch_args(loss_case, args, kwargs, int64=False)
    fn = getattr(LF, loss_case.name)
    diff = [i for i in loss_case.diff if isinstance(targs[i], torch.Tensor)]
    inputs = tuple(targs[i] for i in diff)
    for r in loss_case.reductions:
        def f(*xs):
            call = list(targs)
            for i, x in zip(diff, xs):
                call[i] = x
            return fn(*call, reduction=r, **tkw)

        assert torch.autograd.gradcheck(f, inputs, eps=1e-6, atol=1e-6, rtol=1e-4), r


def test_batch_hard_matches_lossx(rng):
    """batch_hard_triplet_loss: lossx's values; 'none' backs through NAME_backward with the real grad_output."""
    e = rng.standard_normal((9, 4))
    labels = np.array([0, 1, 2, 0, 1, 2, 0, 1, 5])
    for r in ("none", "mean", "sum"):
        x = torch.from_numpy(e.copy()).requires_grad_()
        out = LF.batch_hard_triplet_loss(x, torch.from_numpy(labels), 0.7, reduction=r)
        np.testing.assert_array_equal(out.detach().numpy(), lossx.batch_hard_triplet_loss(e, labels, 0.7, reduction=r))
        g = rng.random(out.shape) + 0.5
        (grad,) = torch.autograd.grad(out, x, torch.from_numpy(np.asarray(g)))
        np.testing.assert_allclose(grad.numpy(), lossx.batch_hard_triplet_loss_backward(g, e, labels, 0.7, reduction=r),
                                   rtol=1e-14, atol=1e-15)


# ---------------------------------------------------------------- CTC gradients


def _ctc_data(rng, T=8, N=3, C=5):
    targets = torch.from_numpy(rng.integers(1, C, size=(N, 3)))
    il = torch.tensor([T, T - 1, T - 2])
    tl = torch.tensor([3, 2, 1])
    return targets, il, tl


def test_ctc_true_gradient_where_torch_is_wrong(rng):
    """On log-probs not from a log_softmax (a leaf, even unnormalised), lossx's gradient is the true one."""
    targets, il, tl = _ctc_data(rng)
    lp = torch.from_numpy(rng.standard_normal((8, 3, 5)) - 1.5).requires_grad_()
    for r in ("none", "mean", "sum"):
        assert torch.autograd.gradcheck(lambda x: LF.ctc_loss(x, targets, il, tl, reduction=r), (lp,))
    # ... where PyTorch's own is the logits' gradient, not this one.
    assert not torch.autograd.gradcheck(lambda x: F.ctc_loss(x, targets, il, tl), (lp,), raise_exception=False)


def test_ctc_unbatched_and_list_lengths(rng):
    targets, il, tl = _ctc_data(rng)
    logits = torch.from_numpy(rng.standard_normal((8, 3, 5))).requires_grad_()
    got = LF.ctc_loss(logits.log_softmax(-1), targets, tuple(il.tolist()), list(tl.tolist()))
    want = F.ctc_loss(logits.log_softmax(-1), targets, tuple(il.tolist()), tuple(tl.tolist()))
    torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-12)
    one = LF.ctc_loss(logits[:, 0].log_softmax(-1), targets[0], il[0], tl[0], reduction="sum")
    torch.testing.assert_close(one, F.ctc_loss(logits[:, 0].log_softmax(-1), targets[0], il[0], tl[0],
                                               reduction="sum"), rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------- training runs


def _train(criterion, model, batches, steps=50, lr=0.1):
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    for step in range(steps):
        args = batches(step)
        opt.zero_grad()
        criterion(model(args[0]), *args[1:]).backward()
        opt.step()
    return [p.detach().clone() for p in model.parameters()]


def _assert_same_weights(a, b):
    for p, q in zip(a, b):
        np.testing.assert_allclose(p.numpy(), q.numpy(), rtol=1e-6, atol=1e-9)


def test_mlp_trains_like_torch():
    """An MLP trained 50 steps with lossx's CrossEntropyLoss ends with PyTorch's weights (float64)."""
    g = torch.Generator().manual_seed(0)
    X = torch.randn(50, 32, 12, generator=g, dtype=torch.float64)
    Y = torch.randint(0, 5, (50, 32), generator=g)

    def run(criterion):
        torch.manual_seed(1)
        model = torch.nn.Sequential(torch.nn.Linear(12, 16), torch.nn.Tanh(), torch.nn.Linear(16, 5)).double()
        return _train(criterion, model, lambda s: (X[s], Y[s]))

    w = torch.rand(5, dtype=torch.float64) + 0.5
    ours = run(lnn.CrossEntropyLoss(weight=w, label_smoothing=0.1))
    theirs = run(torch.nn.CrossEntropyLoss(weight=w, label_smoothing=0.1))
    _assert_same_weights(ours, theirs)
    assert not torch.equal(ours[0], run(torch.nn.CrossEntropyLoss())[0])  # the training did something


class _TinyRecognizer(torch.nn.Module):
    """GRU over (T, N, F) features, then per-frame log-probabilities (T, N, C)."""

    def __init__(self, features=6, hidden=8, classes=5):
        super().__init__()
        self.gru = torch.nn.GRU(features, hidden)
        self.out = torch.nn.Linear(hidden, classes)

    def forward(self, x):
        return self.out(self.gru(x)[0]).log_softmax(-1)


def test_ctc_recurrent_model_trains_like_torch():
    """A GRU + Linear trained 50 steps with lossx's CTCLoss ends with PyTorch's weights (float64)."""
    g = torch.Generator().manual_seed(0)
    T, N = 10, 4
    X = torch.randn(T, N, 6, generator=g, dtype=torch.float64)
    targets = torch.randint(1, 5, (N, 4), generator=g)
    il = torch.tensor([10, 9, 8, 10])
    tl = torch.tensor([4, 3, 2, 1])

    def run(criterion):
        torch.manual_seed(2)
        model = _TinyRecognizer().double()
        return _train(criterion, model, lambda s: (X, targets, il, tl), lr=0.05)

    _assert_same_weights(run(lnn.CTCLoss()), run(torch.nn.CTCLoss()))


# ---------------------------------------------------------------- modules

MODULES = [
    ("L1Loss", dict(reduction="sum")),
    ("MSELoss", {}),
    ("SmoothL1Loss", dict(beta=0.5)),
    ("HuberLoss", dict(delta=2.0)),
    ("PoissonNLLLoss", dict(log_input=False, full=True)),
    ("GaussianNLLLoss", dict(full=True, eps=1e-3)),
    ("CrossEntropyLoss", dict(weight=torch.rand(4, dtype=torch.float64), ignore_index=1, label_smoothing=0.2)),
    ("NLLLoss", dict(weight=torch.rand(4, dtype=torch.float64), reduction="sum")),
    ("BCELoss", dict(weight=torch.rand(4, dtype=torch.float64))),
    ("BCEWithLogitsLoss", dict(weight=torch.rand(4, dtype=torch.float64), pos_weight=torch.rand(4, dtype=torch.float64))),
    ("KLDivLoss", dict(reduction="batchmean", log_target=True)),
    ("MarginRankingLoss", dict(margin=0.3)),
    ("HingeEmbeddingLoss", dict(margin=0.5)),
    ("SoftMarginLoss", {}),
    ("MultiLabelSoftMarginLoss", dict(weight=torch.rand(4, dtype=torch.float64))),
    ("MultiMarginLoss", dict(p=2, margin=0.7, weight=torch.rand(4, dtype=torch.float64))),
    ("MultiLabelMarginLoss", {}),
    ("CosineEmbeddingLoss", dict(margin=0.1)),
    ("TripletMarginLoss", dict(margin=0.5, p=1.0, swap=True)),
    ("CTCLoss", dict(blank=4, zero_infinity=True)),
]


def _module_inputs(name, g):
    N, C = 5, 4
    x = torch.randn(N, C, generator=g, dtype=torch.float64)
    signs = torch.randint(0, 2, (N, C), generator=g).double() * 2 - 1
    if name in ("CrossEntropyLoss", "NLLLoss", "MultiMarginLoss"):
        return x, torch.randint(0, C, (N,), generator=g)
    if name == "MultiLabelMarginLoss":
        return x, torch.tensor([[0, 2, -1, 1]] * N)
    if name in ("BCELoss",):
        return x.sigmoid(), torch.rand(N, C, generator=g, dtype=torch.float64)
    if name in ("BCEWithLogitsLoss", "MultiLabelSoftMarginLoss"):
        return x, torch.randint(0, 2, (N, C), generator=g).double()
    if name == "KLDivLoss":
        return x.log_softmax(-1), torch.randn(N, C, generator=g, dtype=torch.float64).log_softmax(-1)
    if name == "PoissonNLLLoss":
        return x.exp(), torch.randint(0, 4, (N, C), generator=g).double()
    if name == "GaussianNLLLoss":
        return x, torch.randn(N, C, generator=g, dtype=torch.float64), torch.rand(N, 1, generator=g,
                                                                                   dtype=torch.float64) + 0.1
    if name in ("HingeEmbeddingLoss", "SoftMarginLoss"):
        return x, signs
    if name == "MarginRankingLoss":
        return x, torch.randn(N, C, generator=g, dtype=torch.float64), signs
    if name == "CosineEmbeddingLoss":
        return x, torch.randn(N, C, generator=g, dtype=torch.float64), signs[:, 0]
    if name == "TripletMarginLoss":
        return x, x + 0.3 * torch.randn(N, C, generator=g, dtype=torch.float64), torch.randn(N, C, generator=g,
                                                                                             dtype=torch.float64)
    if name == "CTCLoss":
        lp = torch.randn(7, 2, 5, generator=g, dtype=torch.float64).log_softmax(-1)
        return lp, torch.tensor([[1, 2, 2], [3, 0, 0]]), torch.tensor([7, 6]), torch.tensor([3, 2])
    return x, torch.randn(N, C, generator=g, dtype=torch.float64)


@pytest.mark.parametrize("name,kwargs", MODULES, ids=[m[0] for m in MODULES])
def test_module_matches_torch(name, kwargs):
    """Same constructor, repr, state_dict, isinstance; forward and input gradients equal PyTorch's."""
    ours, theirs = getattr(lnn, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
    assert isinstance(ours, getattr(torch.nn, name))
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    assert ours.reduction == theirs.reduction
    inputs = _module_inputs(name, torch.Generator().manual_seed(3))
    a = [t.clone().requires_grad_(t.is_floating_point() and i == 0) for i, t in enumerate(inputs)]
    b = [t.clone().requires_grad_(t.is_floating_point() and i == 0) for i, t in enumerate(inputs)]
    got, want = ours(*a), theirs(*b)
    torch.testing.assert_close(got, want, rtol=1e-10, atol=1e-12)
    (ga,), (gb,) = torch.autograd.grad(got, a[:1]), torch.autograd.grad(want, b[:1])
    if name != "CTCLoss":  # a log_softmax output as a leaf: PyTorch's is the logits' gradient
        torch.testing.assert_close(ga, gb, rtol=1e-10, atol=1e-12)


def test_module_state_dict_round_trip():
    w, pw = torch.rand(4), torch.rand(4)
    theirs = torch.nn.BCEWithLogitsLoss(weight=w, pos_weight=pw)
    ours = lnn.BCEWithLogitsLoss(weight=torch.zeros(4), pos_weight=torch.zeros(4))
    ours.load_state_dict(theirs.state_dict())
    assert torch.equal(ours.weight, w) and torch.equal(ours.pos_weight, pw)
    back = torch.nn.CrossEntropyLoss(weight=torch.zeros(3))
    back.load_state_dict(lnn.CrossEntropyLoss(weight=torch.ones(3)).state_dict())
    assert torch.equal(back.weight, torch.ones(3))
    # the legacy constructor arguments map like PyTorch's
    with pytest.warns(UserWarning, match=LEGACY):
        assert lnn.MSELoss(size_average=False).reduction == "sum"


def test_nll_loss_2d_and_batch_hard_module():
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*NLLLoss2d", category=FutureWarning)
        m2d = lnn.NLLLoss2d(ignore_index=2)
        ref = torch.nn.NLLLoss2d(ignore_index=2)
    x = torch.randn(2, 3, 4, 5, dtype=torch.float64).log_softmax(1)
    y = torch.randint(0, 3, (2, 4, 5))
    torch.testing.assert_close(m2d(x, y), ref(x, y), rtol=1e-12, atol=1e-12)
    assert repr(m2d) == repr(ref)
    bh = lnn.BatchHardTripletLoss(margin=0.5, p=1, reduction="sum")
    e, labels = torch.randn(8, 3, dtype=torch.float64), torch.tensor([0, 1, 0, 1, 2, 2, 3, 3])
    assert float(bh(e, labels)) == float(lossx.batch_hard_triplet_loss(e.numpy(), labels.numpy(), 0.5, 1,
                                                                       reduction="sum"))
    assert dict(bh.state_dict()) == {}


# ---------------------------------------------------------------- dtypes, signatures, legacy reduction


def test_mixed_dtypes_promote_like_torch():
    x = torch.randn(4, 3, requires_grad=True)
    t = torch.randn(4, 3, dtype=torch.float64)
    got, want = LF.mse_loss(x, t), F.mse_loss(x, t)
    assert got.dtype == want.dtype == torch.float64
    torch.testing.assert_close(got, want)
    (gx,) = torch.autograd.grad(got, x)
    assert gx.dtype == torch.float32
    torch.testing.assert_close(gx, torch.autograd.grad(F.mse_loss(x, t), x)[0])
    # a 0-d float64 target does not promote a float32 input (PyTorch's rule)
    assert LF.l1_loss(x, torch.tensor(0.5, dtype=torch.float64).expand(4, 3)).dtype == torch.float64
    p = torch.rand(4, 3, dtype=torch.float64)
    assert LF.cross_entropy(x, p / p.sum(1, keepdim=True)).dtype == torch.float64


def test_integer_labels_like_torch():
    x = torch.randn(6, 3, dtype=torch.float64, requires_grad=True)
    signs = torch.randint(0, 2, (6, 3)) * 2 - 1
    for name in ("hinge_embedding_loss", "soft_margin_loss", "multilabel_soft_margin_loss", "l1_loss"):
        target = signs.clamp(min=0) if name == "multilabel_soft_margin_loss" else signs
        torch.testing.assert_close(getattr(LF, name)(x, target), getattr(F, name)(x, target))
    torch.testing.assert_close(LF.margin_ranking_loss(x, x.flip(0), signs), F.margin_ranking_loss(x, x.flip(0), signs))
    torch.testing.assert_close(LF.cosine_embedding_loss(x, x.flip(0), signs[:, 0]),
                               F.cosine_embedding_loss(x, x.flip(0), signs[:, 0]))


@pytest.mark.parametrize("legacy", [dict(size_average=False), dict(reduce=False), dict(size_average=True, reduce=True),
                                    dict(reduce=False, size_average=True)])
def test_size_average_reduce_map_like_torch(legacy):
    x = torch.randn(5, 4, dtype=torch.float64)
    y = torch.randint(0, 4, (5,))
    for ours, theirs, args in ((LF.cross_entropy, F.cross_entropy, (x, y)), (LF.mse_loss, F.mse_loss, (x, x.flip(0))),
                               (LF.triplet_margin_loss, F.triplet_margin_loss, (x, x + 1, x.flip(0)))):
        with pytest.warns(UserWarning, match=LEGACY):
            got = ours(*args, **legacy)
        with pytest.warns(UserWarning, match=LEGACY):
            want = theirs(*args, **legacy)
        torch.testing.assert_close(got, want)


def test_signatures_are_torchs():
    import inspect

    for name in LF.__all__:
        if name in ("LossxFallbackWarning", "batch_hard_triplet_loss"):
            continue
        ours = inspect.signature(getattr(LF, name))
        theirs = inspect.signature(getattr(F, name))
        assert [(p.name, p.kind, p.default) for p in ours.parameters.values()] == \
            [(p.name, p.kind, p.default) for p in theirs.parameters.values()], name
        assert getattr(LF, name).__doc__


def test_positional_call_binds_like_torch():
    x, y = torch.randn(4, 3, dtype=torch.float64), torch.randint(0, 3, (4,))
    w = torch.rand(3, dtype=torch.float64)
    # weight, size_average, ignore_index, reduce, reduction, label_smoothing
    torch.testing.assert_close(LF.cross_entropy(x, y, w, None, 1, None, "sum", 0.1),
                               F.cross_entropy(x, y, w, None, 1, None, "sum", 0.1))


# ---------------------------------------------------------------- errors and the fallback policy


@pytest.mark.parametrize("call,arg", [
    (lambda x, t: LF.mse_loss(x, t), "target"),
    (lambda x, t: LF.kl_div(x, t), "target"),
    (lambda x, t: LF.binary_cross_entropy(x.sigmoid().detach().requires_grad_(), t.sigmoid()), "target"),
    (lambda x, t: LF.gaussian_nll_loss(x, t, torch.ones(4, 3)), "target"),
    (lambda x, t: LF.cross_entropy(x, t.softmax(1)), "target"),
    (lambda x, t: LF.cross_entropy(x.detach().requires_grad_(), torch.tensor([0, 1, 2, 0]),
                                   torch.ones(3, requires_grad=True)), "weight"),
    (lambda x, t: LF.binary_cross_entropy_with_logits(x.detach(), t.detach(),
                                                      pos_weight=torch.ones(3, requires_grad=True)), "pos_weight"),
    (lambda x, t: LF.l1_loss(x.detach(), t.detach(), weight=torch.ones(4, 3, requires_grad=True)), "weight"),
])
def test_gradient_lossx_does_not_give_raises(call, arg):
    x = torch.randn(4, 3, requires_grad=True)
    t = torch.rand(4, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match=f"'{arg}' requires grad"):
        call(x, t)
    with torch.no_grad():  # nothing to differentiate: fine
        call(x, t)


def test_double_backward_raises():
    x = torch.randn(4, 3, dtype=torch.float64, requires_grad=True)
    for reduction in ("mean", "none"):
        out = LF.cross_entropy(x, torch.tensor([0, 1, 2, 0]), reduction=reduction)
        (g,) = torch.autograd.grad(out.sum(), x, create_graph=True)
        torch.testing.assert_close(g, torch.autograd.grad(F.cross_entropy(x, torch.tensor([0, 1, 2, 0]),
                                                                          reduction=reduction).sum(), x)[0])
        with pytest.raises(RuntimeError, match="differentiate twice"):
            g.sum().backward()
    # the gradient of a second-order term that does not go through lossx's gradient is fine
    y = x.detach().clone().requires_grad_()
    (g,) = torch.autograd.grad(LF.mse_loss(y, torch.zeros(4, 3, dtype=torch.float64)) + (y**3).sum(), y,
                               create_graph=True)
    assert g.requires_grad


@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_retain_graph_backward_twice(reduction):
    """The fused gradient is handed to autograd once; a second backward recomputes it (NAME_backward)."""
    x = torch.randn(5, 4, dtype=torch.float64, requires_grad=True)
    y = torch.randint(0, 4, (5,))
    out = LF.cross_entropy(x, y, reduction=reduction, label_smoothing=0.1)
    g = torch.rand(out.shape, dtype=torch.float64) + 0.5
    first = torch.autograd.grad(out, x, g, retain_graph=True)[0]
    second = torch.autograd.grad(out, x, g)[0]
    want = torch.autograd.grad(F.cross_entropy(x, y, reduction=reduction, label_smoothing=0.1), x, g)[0]
    torch.testing.assert_close(first, want, rtol=1e-12, atol=1e-14)
    torch.testing.assert_close(second, want, rtol=1e-12, atol=1e-14)


def test_no_grad_and_inference_mode_skip_autograd():
    x = torch.randn(5, 4, requires_grad=True)
    y = torch.randint(0, 4, (5,))
    for mode in (torch.no_grad, torch.inference_mode):
        with mode():
            out = LF.cross_entropy(x, y)
        assert out.grad_fn is None and not out.requires_grad
        torch.testing.assert_close(out, F.cross_entropy(x, y).detach())


@pytest.fixture
def fresh_warnings(monkeypatch):
    monkeypatch.setattr(_adapter, "_warned", set())


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_falls_back_to_torch_once(dtype, fresh_warnings):
    x = torch.randn(8, 5).to(dtype).requires_grad_()
    y = torch.randint(0, 5, (8,))
    with pytest.warns(LossxFallbackWarning, match=f"{dtype}"):
        got = LF.cross_entropy(x, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # once per function and reason
        again = LF.cross_entropy(x, y)
    want = F.cross_entropy(x, y)
    assert got.dtype == dtype and torch.equal(got, want) and torch.equal(again, want)
    (gx,) = torch.autograd.grad(got, x)
    assert torch.equal(gx, torch.autograd.grad(want, x)[0])
    # a float16 input with a float32 target promotes (PyTorch's rule) and runs through lossx
    assert LF.mse_loss(x.detach(), torch.randn(8, 5)).dtype == torch.float32


def test_non_cpu_tensors_fall_back_to_torch(fresh_warnings):
    """CUDA cannot be created here; the 'meta' device takes the same non-CPU path."""
    x = torch.empty(8, 5, device="meta")
    y = torch.empty(8, dtype=torch.int64, device="meta")
    with pytest.warns(LossxFallbackWarning, match="'meta' tensors"):
        out = LF.cross_entropy(x, y, reduction="none")
    assert out.device.type == "meta" and out.shape == (8,)
    with pytest.raises(TypeError, match="float32 or float64 CPU tensor"):
        LF.batch_hard_triplet_loss(x, y)


def test_lossx_errors_come_through():
    x = torch.randn(4, 3)
    with pytest.raises(ValueError, match="'target'"):
        LF.mse_loss(x, torch.randn(4, 1))  # PyTorch broadcasts (with a warning); lossx refuses
    with pytest.raises(ValueError, match="'target'"):
        LF.cross_entropy(x, torch.tensor([0, 1, 2, 3]))
    with pytest.raises(TypeError, match="must be a Tensor"):
        LF.cross_entropy(x.numpy(), torch.tensor([0, 1, 2, 0]))


# ---------------------------------------------------------------- torch.compile, imports


@pytest.mark.filterwarnings("ignore:The .grad attribute of a Tensor that is not a leaf Tensor:UserWarning")
def test_under_torch_compile():
    """A compiled training step works (the lossx call is a graph break) and matches eager."""
    torch._dynamo.reset()
    model = torch.nn.Linear(6, 4).double()
    criterion = lnn.CrossEntropyLoss()
    x, y = torch.randn(16, 6, dtype=torch.float64), torch.randint(0, 4, (16,))

    def step(x, y):
        return criterion(model(x).relu(), y) * 2.0

    compiled = torch.compile(step, backend="eager")  # inductor would only add compile time here
    got = compiled(x, y)
    want = step(x, y)
    torch.testing.assert_close(got, want)
    (g1,) = torch.autograd.grad(got, model.weight)
    (g2,) = torch.autograd.grad(want, model.weight)
    torch.testing.assert_close(g1, g2)


def test_import_lossx_does_not_import_torch():
    code = "import sys, lossx; assert 'torch' not in sys.modules, 'lossx imported torch'"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    subprocess.run([sys.executable, "-c", code], check=True, env=env)


def test_lossx_torch_without_torch_says_how_to_install():
    code = ("import sys; sys.modules['torch'] = None\n"
            "try:\n    import lossx.torch\nexcept ImportError as e:\n    print(e)\nelse:\n    sys.exit('imported')")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    out = subprocess.run([sys.executable, "-c", code], check=True, env=env, capture_output=True, text=True).stdout
    assert "pip install lossx[torch]" in out


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_reduced_single_input_losses_take_the_lean_node(reduction):
    """A reduced loss with one differentiable input runs through _FusedSingle (the training
    step's node), 'none' through LossxFunction; both give PyTorch's gradient for any grad_output."""
    x = torch.randn(6, 5, dtype=torch.float64, requires_grad=True)
    y = torch.randint(0, 5, (6,))
    w = torch.rand(5, dtype=torch.float64) + 0.5
    out = LF.cross_entropy(x, y, w, reduction=reduction, label_smoothing=0.2)
    node = type(out.grad_fn).__name__
    assert node == ("LossxFunctionBackward" if reduction == "none" else "_FusedSingleBackward")
    g = torch.full(out.shape, 2.5, dtype=torch.float64)
    got = torch.autograd.grad(out, x, g)[0]
    want = torch.autograd.grad(F.cross_entropy(x, y, w, reduction=reduction, label_smoothing=0.2), x, g)[0]
    torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-14)
    # the module reads its weight buffer (also after it is replaced) as PyTorch's does
    crit = lnn.CrossEntropyLoss(weight=w, reduction=reduction)
    crit.weight = torch.ones(5, dtype=torch.float64)
    torch.testing.assert_close(crit(x, y), F.cross_entropy(x, y, reduction=reduction), rtol=1e-12, atol=1e-14)


def test_lean_node_skips_the_python_apply_wrapper_but_not_functorch_checks():
    """run() applies _FusedSingle through the C implementation of Function.apply (PyTorch 2.13
    has it); under a functorch transform it goes through Function.apply, which refuses clearly."""
    assert _adapter._fused_apply is not None
    x = torch.randn(4, 3, dtype=torch.float64, requires_grad=True)
    y = torch.tensor([0, 1, 2, 0])
    out = LF.cross_entropy(x, y)
    assert type(out.grad_fn).__name__ == "_FusedSingleBackward"
    out.backward()
    torch.testing.assert_close(x.grad, torch.autograd.grad(F.cross_entropy(x, y), x)[0], rtol=1e-12, atol=1e-14)
    with pytest.raises(RuntimeError, match="functorch transforms"):
        torch.func.grad(lambda t: LF.cross_entropy(t, y))(x.detach())


def test_lean_node_without_the_c_apply(monkeypatch):
    """Where PyTorch lacks the C Function.apply (_c_apply returns None), run() uses _FusedSingle.apply."""
    monkeypatch.setattr(_adapter, "_fused_apply", None)
    x = torch.randn(5, 4, dtype=torch.float64, requires_grad=True)
    y = torch.randint(0, 4, (5,))
    out = LF.cross_entropy(x, y, label_smoothing=0.1)
    assert type(out.grad_fn).__name__ == "_FusedSingleBackward"
    (out * 3.0).backward()
    want = torch.autograd.grad(3.0 * F.cross_entropy(x, y, label_smoothing=0.1), x)[0]
    torch.testing.assert_close(x.grad, want, rtol=1e-12, atol=1e-14)
