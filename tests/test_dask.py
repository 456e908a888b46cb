"""lossx.dask: every loss over dask arrays, and on a real dask.distributed cluster (2 worker processes).

Every case of the registry (tests/cases*.py) runs through lossx.dask on the local synchronous
scheduler (the graphs of all 74 cases hold a few thousand tasks, which a cluster on a busy 2-core
machine schedules at several ms each); the focused tests below run on a module-scoped LocalCluster
of 2 worker processes. Each result is checked against the in-memory lossx call on the same data (float64: 1e-12
relative): 'none' (shape, dtype, chunks), 'mean', 'sum' and 'batchmean' on uneven batch chunks
(a single row, prime sizes), targets chunked differently from the input, a class axis split
into chunks, NumPy inputs, class weights with ignore_index, CTC across chunks (padded and
concatenated targets), float32, .npy and zarr files, and the errors. Skipped without dask.
"""

from __future__ import annotations

import inspect
import math
import warnings

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

import dask  # noqa: E402

import lossx  # noqa: E402
import lossx.dask as ld  # noqa: E402
from cases import CASES  # noqa: E402

N = 37
BATCH_CHUNKS = (1, 2, 7, 13, 14)  # a single row, primes, an uneven rest (sum 37)
TARGET_CHUNKS = (5, 32)           # per-row arguments chunked differently from the input


@pytest.fixture(scope="module")
def client():
    """A LocalCluster of 2 worker processes (not threads), one thread each, no dashboard."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # distributed's start-up notices (ports, config) are not ours to fail on
        cluster = distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                           dashboard_address=None, memory_limit="2GiB")
        c = distributed.Client(cluster)
    try:
        yield c
    finally:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            c.close()
            cluster.close()


def _batch_axis(case, a):
    return 1 if case.name == "ctc_loss" and a.ndim == 3 else 0


def _batched(case, args):
    a0 = args[0]
    if case.name == "ctc_loss":
        return a0.ndim == 3 and a0.shape[1] == N
    return isinstance(a0, np.ndarray) and a0.ndim >= 1 and a0.shape[0] == N


def _to_dask(case, args, kwargs, batched):
    """The case's arrays as dask arrays: the prediction in BATCH_CHUNKS with its other axes
    split in two where they can be (lossx.dask rechunks them to whole rows), the other per-row
    arrays in TARGET_CHUNKS (realigned to the prediction's), the rest in two chunks (they go
    whole to every block)."""
    first = [True]

    def conv(a):
        if not isinstance(a, np.ndarray) or a.ndim == 0:
            return a
        ax = _batch_axis(case, a)
        if batched and a.shape[ax] == N and not (case.name == "ctc_loss" and a.ndim == 1 and a is args[1]):
            if case.name == "batch_hard_triplet_loss":
                chunks = {ax: -1} if first[0] else {ax: TARGET_CHUNKS}
            elif first[0]:
                chunks = {k: (BATCH_CHUNKS if k == ax else math.ceil(n / 2) if n > 1 else -1)
                          for k, n in enumerate(a.shape)}
            else:
                chunks = {ax: TARGET_CHUNKS}
            first[0] = False
            return da.from_array(a, chunks=chunks)
        return da.from_array(a, chunks=max(1, math.ceil(a.shape[0] / 2)))

    return tuple(conv(a) for a in args), {k: conv(v) for k, v in kwargs.items()}


def _close(got, want, rtol=1e-12):
    assert got.shape == want.shape and got.dtype == want.dtype, (got.shape, got.dtype, want.shape, want.dtype)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * 1e-2)


@pytest.fixture(scope="module")
def registry():
    """Every registered case through lossx.dask, for each of its reductions, computed in one
    ``dask.compute`` with the synchronous local scheduler: case id ->
    (reductions, in-memory results, lazy results, computed results, batched) or the exception
    that building the graph raised."""
    out, lazies = {}, []
    for case in CASES:
        try:
            rng = np.random.default_rng(7)
            args, kwargs = case.make(rng, np.float64, N)
            batched = _batched(case, args)
            dargs, dkw = _to_dask(case, args, kwargs, batched)
            f, df = getattr(lossx, case.name), getattr(ld, case.name)
            wants = [np.asarray(f(*args, reduction=r, **kwargs)) for r in case.reductions]
            lazy = [df(*dargs, reduction=r, **dkw) for r in case.reductions]
        except Exception as e:  # reported by that case's test
            out[case.id] = e
            continue
        out[case.id] = (case.reductions, wants, lazy, len(lazies), batched)
        lazies += lazy
    computed = dask.compute(*lazies, scheduler="sync")
    return {k: v if isinstance(v, Exception) else v[:3] + (computed[v[3]:v[3] + len(v[2])], v[4])
            for k, v in out.items()}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_every_registered_case_matches_the_in_memory_call(registry, case):
    res = registry[case.id]
    if isinstance(res, Exception):
        raise res
    reductions, wants, lazies, gots, batched = res
    for r, lazy, got, want in zip(reductions, lazies, gots, wants):
        assert isinstance(lazy, da.Array) and lazy.shape == want.shape and lazy.dtype == want.dtype, r
        if r == "none" and batched and want.ndim:
            assert lazy.chunks[0] == ((N,) if case.name == "batch_hard_triplet_loss" else BATCH_CHUNKS)
        _close(got, want)


def _weighted_ce_reference(x, y, w, ignore_index):
    """NumPy: Σ w_y·(lse - x_y) / Σ w_y over the rows not ignored."""
    keep = y != ignore_index
    lse = np.log(np.exp(x - x.max(1, keepdims=True)).sum(1)) + x.max(1)
    yk = y[keep]
    terms = w[yk] * (lse[keep] - x[keep, yk])
    return terms.sum() / w[yk].sum()


@pytest.mark.parametrize("fn", ["cross_entropy", "nll_loss"])
def test_weighted_mean_with_ignore_index_across_chunks(client, fn):
    rng = np.random.default_rng(1)
    n, c = 211, 9
    x = rng.standard_normal((n, c))
    if fn == "nll_loss":
        x = x - np.log(np.exp(x).sum(1, keepdims=True))
    y = rng.integers(0, c, n)
    y[rng.random(n) < 0.3] = 4
    y[20:33] = 4  # a whole chunk of ignored rows: its denominator is 0
    w = rng.uniform(0.1, 3.0, c)
    X = da.from_array(x, chunks=((1, 19, 13, 31, 147), (4, 5)))  # 1 row, primes, a split class axis
    Y = da.from_array(y, chunks=17)                                 # misaligned with X
    got = getattr(ld, fn)(X, Y, w, ignore_index=4)
    want = getattr(lossx, fn)(x, y, w, ignore_index=4)
    _close(got.compute(), want)
    np.testing.assert_allclose(float(want), _weighted_ce_reference(x, y, w, 4), rtol=1e-12)
    total = getattr(ld, fn)(X, Y, da.from_array(w, chunks=3), ignore_index=4, reduction="sum").compute()
    _close(total, getattr(lossx, fn)(x, y, w, ignore_index=4, reduction="sum"))


def test_kl_div_batchmean_divides_by_the_whole_batch(client):
    rng = np.random.default_rng(2)
    x = np.log(rng.dirichlet(np.ones(6), 101))
    t = rng.dirichlet(np.ones(6), 101)
    got = ld.kl_div(da.from_array(x, chunks=(7, 3)), da.from_array(t, chunks=50), reduction="batchmean").compute()
    want = lossx.kl_div(x, t, reduction="batchmean")
    _close(got, want)
    np.testing.assert_allclose(float(got), (t * (np.log(t) - x)).sum() / 101, rtol=1e-12)


@pytest.mark.parametrize("concatenated", [False, True])
def test_ctc_mean_and_sum_across_chunks(client, concatenated):
    rng = np.random.default_rng(3)
    T, n, C, S = 12, 23, 5, 4
    z = rng.standard_normal((T, n, C))
    lp = z - np.log(np.exp(z).sum(-1, keepdims=True))
    il = rng.integers(8, T + 1, n)
    tl = rng.integers(0, S + 1, n)
    tl[5] = 0
    tg = rng.integers(1, C, (n, S))
    targets = np.concatenate([tg[k, :tl[k]] for k in range(n)]) if concatenated else tg
    LP = da.from_array(lp, chunks=((5, 7), (1, 3, 5, 7, 7), (2, 3)))  # time and class axes split too
    TG = da.from_array(targets, chunks=6)
    IL, TL = da.from_array(il, chunks=11), da.from_array(tl, chunks=4)
    for r in ("mean", "sum", "none"):
        got = ld.ctc_loss(LP, TG, IL, TL, reduction=r)
        want = lossx.ctc_loss(lp, targets, il, tl, reduction=r)
        _close(got.compute(), want)
    # 'mean' divides each sample by its own target length (at least 1) before averaging the batch
    per = lossx.ctc_loss(lp, targets, il, tl, reduction="none")
    np.testing.assert_allclose(ld.ctc_loss(LP, TG, IL, TL).compute(), (per / np.maximum(tl, 1)).mean(), rtol=1e-12)


def test_float32_keeps_its_dtype(client):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((97, 11)).astype(np.float32)
    y = rng.integers(0, 11, 97)
    X = da.from_array(x, chunks=13)
    for r in ("none", "mean", "sum"):
        lazy = ld.cross_entropy(X, y, reduction=r, label_smoothing=0.1)
        got, want = lazy.compute(), lossx.cross_entropy(x, y, reduction=r, label_smoothing=0.1)
        assert lazy.dtype == got.dtype == want.dtype == np.float32
        _close(got, want, rtol=2e-6)
    got = ld.mse_loss(X, da.from_array(x[::-1].copy(), chunks=41)).compute()
    assert got.dtype == np.float32
    _close(got, lossx.mse_loss(x, x[::-1].copy()), rtol=2e-6)


def test_split_class_and_spatial_axes_are_rechunked_to_whole_rows(client):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((29, 6, 4, 3))
    y = rng.integers(0, 6, (29, 4, 3))
    X = da.from_array(x, chunks=(3, 2, 3, 1))
    lazy = ld.cross_entropy(X, y, reduction="none")
    assert lazy.chunks == ((3,) * 9 + (2,), (4,), (3,))
    _close(lazy.compute(), lossx.cross_entropy(x, y, reduction="none"))
    _close(ld.cross_entropy(X, y).compute(), lossx.cross_entropy(x, y))


def test_numpy_inputs_and_a_numpy_input_with_a_dask_target(client):
    rng = np.random.default_rng(6)
    x, t = rng.standard_normal((50, 3)), rng.standard_normal((50, 3))
    lazy = ld.huber_loss(x, t, delta=0.5, reduction="none")
    assert isinstance(lazy, da.Array)
    _close(lazy.compute(), lossx.huber_loss(x, t, delta=0.5, reduction="none"))
    lazy = ld.smooth_l1_loss(x, da.from_array(t, chunks=(9, 2)))
    assert lazy.npartitions == 1
    _close(lazy.compute(), lossx.smooth_l1_loss(x, t))
    # lists follow lossx's list rules (float targets become the input's dtype)
    x32 = x.astype(np.float32)
    _close(ld.l1_loss(da.from_array(x32[:, 0], chunks=7), t[:, 0].tolist()).compute(),
           lossx.l1_loss(x32[:, 0], t[:, 0].tolist()), rtol=2e-6)


def test_per_row_and_broadcast_weights(client):
    rng = np.random.default_rng(8)
    p = rng.uniform(0.05, 0.95, (31, 4))
    y = (rng.random((31, 4)) < 0.5).astype(np.int64)
    full, row = rng.random((31, 4)), rng.random((1, 4))
    P = da.from_array(p, chunks=(7, 2))
    for w in (full, row, row[0], da.from_array(full, chunks=5)):
        want = lossx.binary_cross_entropy(p, y, np.asarray(w))
        _close(ld.binary_cross_entropy(P, y, w).compute(), want)
    # a square batch: a (C,) weight broadcasts along the columns (NumPy's rule), it is not per row
    sq = rng.uniform(0.05, 0.95, (4, 4))
    _close(ld.binary_cross_entropy(da.from_array(sq, chunks=1), y[:4], row[0], reduction="none").compute(),
           lossx.binary_cross_entropy(sq, y[:4], row[0], reduction="none"))
    var = rng.uniform(0.5, 2.0, (31,))
    _close(ld.gaussian_nll_loss(P, p[::-1].copy(), var).compute(), lossx.gaussian_nll_loss(p, p[::-1].copy(), var))
    _close(ld.gaussian_nll_loss(P, p[::-1].copy(), 0.7).compute(), lossx.gaussian_nll_loss(p, p[::-1].copy(), 0.7))


def test_batch_hard_triplet_needs_the_batch_in_one_chunk(client):
    rng = np.random.default_rng(9)
    e, lab = rng.standard_normal((40, 5)), rng.integers(0, 4, 40)
    with pytest.raises(ValueError, match="batch must be one chunk.*'embeddings' has 3 chunks"):
        ld.batch_hard_triplet_loss(da.from_array(e, chunks=15), lab)
    with dask.config.set({"array.chunk-size": "256B"}):  # NumPy inputs stay one chunk (others would be cut)
        assert ld.mse_loss(e, e, reduction="none").npartitions > 1
        assert ld.batch_hard_triplet_loss(e, lab, reduction="none").npartitions == 1
    got = ld.batch_hard_triplet_loss(da.from_array(e, chunks=(40, 2)), da.from_array(lab, chunks=7)).compute()
    _close(got, lossx.batch_hard_triplet_loss(e, lab))


def test_errors_are_raised_when_the_graph_is_built(client):
    rng = np.random.default_rng(10)
    X = da.from_array(rng.standard_normal((40, 3)), chunks=9)
    with pytest.raises(ValueError, match=r"lossx.dask.cross_entropy: 'target' must have 40 rows along axis 0.*got shape \(39,\)"):
        ld.cross_entropy(X, np.zeros(39, np.int64))
    with pytest.raises(ValueError, match=r"'log_probs'"):
        ld.ctc_loss(da.zeros((5, 4, 3), chunks=2), np.ones((3, 2), np.int64), [5] * 4, [1] * 4)
    with pytest.raises(TypeError, match="'input' must be a float32 or float64 array"):
        ld.mse_loss(da.zeros((4, 2), dtype=np.int32, chunks=2), np.zeros((4, 2)))
    with pytest.raises(TypeError, match="'target' must have the input's dtype float64"):
        ld.mse_loss(X, da.zeros((40, 3), dtype=np.float32, chunks=5))
    with pytest.raises(ValueError, match="'weight'"):
        ld.cross_entropy(X, np.zeros(40, np.int64), np.ones(4))
    with pytest.raises(ValueError, match="'reduction'"):
        ld.mse_loss(X, X, reduction="avg")
    with pytest.raises(TypeError, match=r"lossx.dask.mse_loss\(\)"):
        ld.mse_loss(X)
    with pytest.raises(ValueError, match="unknown chunk sizes"):
        ld.mse_loss(X[X[:, 0] > 0], X[X[:, 0] > 0])
    with pytest.raises(ValueError, match=r"concatenated 'targets' must have sum\(target_lengths\) = 8"):
        ld.ctc_loss(da.zeros((5, 4, 3), chunks=2), np.ones(7, np.int64), [5] * 4, [2] * 4)
    with pytest.raises(ValueError, match="unknown loss 'softmax'"):
        ld.evaluate("softmax", X)
    # a value error (class index out of range) surfaces from the workers at compute time
    lazy = ld.cross_entropy(X, np.full(40, 7))
    with pytest.raises(ValueError, match="'target'"):
        lazy.compute()


def test_evaluate_by_name(client):
    rng = np.random.default_rng(11)
    x, y = rng.standard_normal((30, 4)), rng.integers(0, 4, 30)
    X = da.from_array(x, chunks=7)
    _close(ld.evaluate("nll_loss", X, y, reduction="sum").compute(), lossx.nll_loss(x, y, reduction="sum"))
    _close(ld.evaluate("cross_entropy", X, target=y, label_smoothing=0.2).compute(),
           lossx.cross_entropy(x, y, label_smoothing=0.2))


def test_from_path_npy_chunks_rows_and_reads_on_the_workers(client, tmp_path):
    rng = np.random.default_rng(12)
    x = rng.standard_normal((45, 6)).astype(np.float32)
    y = rng.integers(0, 6, 45).astype(np.int32)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y)
    np.save(tmp_path / "xf.npy", np.asfortranarray(x))
    X = ld.from_path(tmp_path / "x.npy", chunk_rows=7)
    assert X.chunks == ((7,) * 6 + (3,), (6,)) and X.dtype == np.float32
    np.testing.assert_array_equal(X.compute(), x)
    np.testing.assert_array_equal(ld.from_path(str(tmp_path / "xf.npy"), chunk_rows=10).compute(), x)
    Y = ld.from_path(tmp_path / "y.npy")
    assert Y.npartitions == 1
    _close(ld.evaluate("cross_entropy", X, Y).compute(), lossx.cross_entropy(x, y), rtol=2e-6)
    with pytest.raises(ValueError, match="no such file"):
        ld.from_path(tmp_path / "missing.npy")
    (tmp_path / "bad.npy").write_bytes(b"not an array")
    with pytest.raises(ValueError, match="bad.npy' is not a readable .npy array"):
        ld.from_path(tmp_path / "bad.npy")
    with pytest.raises(ValueError, match="unknown format"):
        ld.from_path(_write(tmp_path / "x.csv"))
    np.savez(tmp_path / "a.npz", x=x)
    for p in (tmp_path / "a.npz", f"{tmp_path / 'a.npz'}:x"):
        with pytest.raises(ValueError, match=".npz archives cannot be read by chunks"):
            ld.from_path(p)
    with pytest.raises(ValueError, match="'chunk_rows' must be a positive int"):
        ld.from_path(tmp_path / "x.npy", chunk_rows=0)


def _write(path):
    path.write_text("1,2\n")
    return path


def test_from_path_zarr(client, tmp_path):
    zarr = pytest.importorskip("zarr")
    rng = np.random.default_rng(13)
    x = rng.standard_normal((40, 5))
    z = zarr.create_array(store=str(tmp_path / "x.zarr"), shape=x.shape, chunks=(6, 2), dtype="f8")
    z[:] = x
    g = zarr.open_group(str(tmp_path / "g.zarr"), mode="w")
    g.create_array("preds", shape=x.shape, chunks=(10, 5), dtype="f8")[:] = x
    X = ld.from_path(tmp_path / "x.zarr", chunk_rows=9)
    assert X.chunks == ((9, 9, 9, 9, 4), (5,))
    np.testing.assert_array_equal(X.compute(), x)
    np.testing.assert_array_equal(ld.from_path(f"{tmp_path / 'g.zarr'}:preds").compute(), x)
    _close(ld.mse_loss(X, ld.from_path(tmp_path / "x.zarr")[::-1]).compute(), lossx.mse_loss(x, x[::-1].copy()))
    with pytest.raises(ValueError, match="is not a zarr array"):
        ld.from_path(f"{tmp_path / 'g.zarr'}:nothing")


def test_threaded_scheduler_without_a_cluster():
    """The default local scheduler (threads) runs the same graphs; no cluster involved."""
    rng = np.random.default_rng(14)
    x, y = rng.standard_normal((64, 5)), rng.integers(0, 5, 64)
    X = da.from_array(x, chunks=(11, 2))
    got = ld.cross_entropy(X, y, reduction="sum").compute(scheduler="threads")
    _close(got, lossx.cross_entropy(x, y, reduction="sum"))
    got = ld.cross_entropy(X, y, reduction="none").compute(scheduler="sync")
    _close(got, lossx.cross_entropy(x, y, reduction="none"))


def test_every_loss_has_a_dask_function_with_its_signature_and_docs():
    losses = {n for n in lossx.__all__ if hasattr(getattr(lossx, n), "partial")}
    assert losses == set(ld._LOSSES)
    assert set(ld.__all__) == losses | {"evaluate", "from_path"}
    for name in losses:
        f, g = getattr(lossx, name), getattr(ld, name)
        assert list(inspect.signature(g).parameters.values()) == list(inspect.signature(f).parameters.values())
        assert g.__name__ == name and g.__module__ == "lossx.dask"
        assert f"lossx.dask.{name}" in g.__doc__ and f"{name}_partial" in g.__doc__
    assert ld.evaluate.__doc__ and ld.from_path.__doc__


# ------------------------------------------------------------------------------------------------ lossx eval --dask


def _eval_cli(argv, capsys):
    from lossx import _cli

    code = _cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_eval_on_the_cluster_equals_the_in_memory_call(client, tmp_path, capsys):
    """``lossx eval --dask ADDRESS``: weighted 'mean' with ignore_index, 'none' to a file (uneven
    chunks), CTC 'mean'; all against the in-memory lossx call."""
    import json

    addr = client.scheduler.address
    rng = np.random.default_rng(11)
    n, c = 101, 7
    x = rng.standard_normal((n, c))
    y = rng.integers(0, c, n)
    y[::9] = -1
    w = rng.random(c) + 0.5
    for name, a in (("x", x), ("y", y), ("w", w)):
        np.save(tmp_path / f"{name}.npy", a)
    common = ["eval", "cross_entropy", "-i", tmp_path / "x.npy", "-t", tmp_path / "y.npy", "--dask", addr,
              "--chunk-rows", 13, "--quiet"]

    code, out, err = _eval_cli(common + ["--opt", f"weight={tmp_path / 'w.npy'}", "ignore_index=-1",
                                         "label_smoothing=0.1", "--json", tmp_path / "s.json"], capsys)
    assert code == 0, err
    want = float(lossx.cross_entropy(x, y, w, ignore_index=-1, label_smoothing=0.1))
    got = json.loads((tmp_path / "s.json").read_text())
    assert math.isclose(got["result"], want, rel_tol=1e-12) and got["workers"] == 2 and got["rows"] == n
    assert "cross_entropy (mean) = " in out and "dask: 2 workers" in out

    code, out, err = _eval_cli(common + ["--reduction", "none", "--opt", "ignore_index=-1", "--out",
                                         tmp_path / "o.npy"], capsys)
    assert code == 0, err
    np.testing.assert_array_equal(np.load(tmp_path / "o.npy"), lossx.cross_entropy(x, y, reduction="none",
                                                                                   ignore_index=-1))

    t_, b, k, s = 12, 9, 5, 4
    lp = lossx.log_softmax(rng.standard_normal((t_, b, k)), dim=2)
    tl = rng.integers(1, s + 1, b)
    tg = rng.integers(1, k, (b, s))
    il = np.full(b, t_)
    for name, a in (("lp", lp), ("tg", tg), ("il", il), ("tl", tl)):
        np.save(tmp_path / f"{name}.npy", a)
    code, out, err = _eval_cli(["eval", "ctc_loss", "-i", tmp_path / "lp.npy", "-t", tmp_path / "tg.npy",
                                "--input-lengths", tmp_path / "il.npy", "--target-lengths", tmp_path / "tl.npy",
                                "--dask", addr, "--chunk-rows", 4, "--out", tmp_path / "c.npy", "--quiet"], capsys)
    assert code == 0, err
    assert math.isclose(float(np.load(tmp_path / "c.npy")), float(lossx.ctc_loss(lp, tg, il, tl)), rel_tol=1e-12)


def test_cli_eval_dask_errors(client, tmp_path, capsys):
    addr = client.scheduler.address
    np.save(tmp_path / "x.npy", np.zeros((4, 3)))
    np.save(tmp_path / "y.npy", np.zeros(5, np.int64))
    base = ["eval", "cross_entropy", "-i", tmp_path / "x.npy", "-t", tmp_path / "y.npy", "--dask", addr]
    code, _, err = _eval_cli(base + ["--by-class"], capsys)
    assert code == 2 and "--by-class is not available with --dask" in err
    code, _, err = _eval_cli(base + ["--out", tmp_path / "o.npy"], capsys)
    assert code == 1 and "Traceback" not in err and err.count("\n") == 1 and "lossx: error:" in err
    assert not list(tmp_path.glob("*o.npy*"))
    code, _, err = _eval_cli(["eval", "cross_entropy", "-i", tmp_path / "missing.npy", "-t", tmp_path / "y.npy",
                              "--dask", addr], capsys)
    assert code == 1 and "missing.npy" in err


def test_cli_eval_dask_reads_zarr_inputs(client, tmp_path, capsys):
    zarr = pytest.importorskip("zarr")
    rng = np.random.default_rng(12)
    x = rng.standard_normal((57, 5))
    y = rng.integers(0, 5, 57)
    zx = zarr.open_array(str(tmp_path / "x.zarr"), mode="w", shape=x.shape, chunks=(10, 5), dtype=x.dtype)
    zx[:] = x
    np.save(tmp_path / "y.npy", y)
    code, out, err = _eval_cli(["eval", "cross_entropy", "-i", tmp_path / "x.zarr", "-t", tmp_path / "y.npy",
                                "--reduction", "sum", "--dask", client.scheduler.address, "--quiet",
                                "--out", tmp_path / "s.npy"], capsys)
    assert code == 0, err
    assert math.isclose(float(np.load(tmp_path / "s.npy")), float(lossx.cross_entropy(x, y, reduction="sum")),
                        rel_tol=1e-12)
