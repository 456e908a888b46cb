"""The ``lossx`` command: ``eval`` (chunked evaluation of files), ``list``, ``demo``, ``--version``.

Most tests call ``lossx._cli.main([...])`` in-process; a few run ``python -m lossx`` as a
subprocess (the entry point, one-line errors without a traceback, an interrupted run).
Streamed results are checked against the in-memory call on the same data: reduced results to
1e-12 relative in float64 (the chunks' partial sums), per-sample losses bitwise.
"""

from __future__ import annotations

import inspect
import json
import os
import pathlib
import signal
import subprocess
import sys
import time
import zlib

import numpy as np
import pytest

import lossx
from lossx import _cli
from lossx._report import class_report, format_class_report

ROOT = pathlib.Path(__file__).resolve().parent.parent
N = 23  # rows of the streaming cases: prime, so no chunk size divides it (except 1 and 23)
CHUNKS = [1, 7, N + 5]  # one row per chunk, a prime chunk (uneven last chunk), one chunk larger than the data


def run(argv, capsys):
    """(exit status, stdout, stderr) of ``lossx argv`` in-process."""
    code = _cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def save(d, name, a):
    p = d / name
    np.save(p, a)
    return str(p)


# ---------------------------------------------------------------------------------------------
# Streaming equals in-memory
# ---------------------------------------------------------------------------------------------


def _ctc_data(rng, padded):
    T, C, S = 12, 5, 4
    lp = rng.standard_normal((T, N, C))
    lp = lp - np.log(np.exp(lp).sum(-1, keepdims=True))
    tl = rng.integers(0, S + 1, N)
    il = rng.integers(2 * S + 1, T + 1, N)
    labels = [rng.integers(1, C, L) for L in tl]
    if padded:
        tg = np.zeros((N, S), np.int64)
        for i, lab in enumerate(labels):
            tg[i, :len(lab)] = lab
    else:
        tg = np.concatenate(labels).astype(np.int64)
    return lp, tg, il, tl


def _case(name, d, rng):
    """(argv after LOSS, in-memory call f(reduction), loss name, reductions)."""
    if name == "cross_entropy":
        x = rng.standard_normal((N, 5))
        y = rng.integers(0, 5, N)
        y[[0, 5, 17]] = -1
        w = rng.random(5) + 0.5
        argv = ["--input", save(d, "x.npy", x), "--target", save(d, "y.npy", y),
                "--opt", f"weight={save(d, 'w.npy', w)}", "ignore_index=-1", "label_smoothing=0.1"]
        return "cross_entropy", argv, lambda r: lossx.cross_entropy(x, y, w, ignore_index=-1, label_smoothing=0.1,
                                                                   reduction=r)
    if name == "cross_entropy_kdim":
        x = rng.standard_normal((N, 4, 3))
        y = rng.integers(0, 4, (N, 3))
        argv = ["-i", save(d, "x.npy", x), "-t", save(d, "y.npy", y)]
        return "cross_entropy", argv, lambda r: lossx.cross_entropy(x, y, reduction=r)
    if name == "nll_loss":
        x = rng.standard_normal((N, 4))
        y = rng.integers(0, 4, N).astype(np.int32)
        argv = ["-i", save(d, "x.npy", x), "-t", save(d, "y.npy", y), "--opt", "weight=[1, 2, 0.5, 3]"]
        return "nll_loss", argv, lambda r: lossx.nll_loss(x, y, np.array([1, 2, 0.5, 3]), reduction=r)
    if name == "mse_loss":
        x, y = rng.standard_normal((N, 3)), rng.standard_normal((N, 3))
        argv = ["-i", save(d, "x.npy", x), "-t", save(d, "y.npy", y)]
        return "mse_loss", argv, lambda r: lossx.mse_loss(x, y, reduction=r)
    if name == "kl_div":
        x = np.log(rng.dirichlet(np.ones(4), N))
        y = rng.dirichlet(np.ones(4), N)
        argv = ["-i", save(d, "x.npy", x), "-t", save(d, "y.npy", y)]
        return "kl_div", argv, lambda r: lossx.kl_div(x, y, reduction=r)
    if name == "bce_with_logits":
        # pos_weight (C,) is broadcast (read whole); weight (N, C) is per sample (read chunk by chunk)
        x = rng.standard_normal((N, 3))
        y = rng.integers(0, 2, (N, 3)).astype(np.float64)
        w = rng.random((N, 3))
        pw = rng.random(3) + 0.5
        argv = ["-i", save(d, "x.npy", x), "-t", save(d, "y.npy", y),
                "--opt", f"weight={save(d, 'w.npy', w)}", f"pos_weight={save(d, 'pw.npy', pw)}"]
        return "binary_cross_entropy_with_logits", argv, lambda r: lossx.binary_cross_entropy_with_logits(
            x, y, w, pos_weight=pw, reduction=r)
    if name in ("ctc_padded", "ctc_concatenated"):
        lp, tg, il, tl = _ctc_data(rng, name == "ctc_padded")
        argv = ["-i", save(d, "lp.npy", lp), "-t", save(d, "tg.npy", tg), "--input-lengths",
                save(d, "il.npy", il), "--target-lengths", save(d, "tl.npy", tl)]
        return "ctc_loss", argv, lambda r: lossx.ctc_loss(lp, tg, il, tl, reduction=r)
    if name == "margin_ranking_loss":
        a, b = rng.standard_normal(N), rng.standard_normal(N)
        y = rng.choice([-1, 1], N)
        argv = ["-i", save(d, "a.npy", a), save(d, "b.npy", b), "-t", save(d, "y.npy", y), "--opt", "margin=0.3"]
        return "margin_ranking_loss", argv, lambda r: lossx.margin_ranking_loss(a, b, y, 0.3, reduction=r)
    if name == "multi_margin_loss":
        x = rng.standard_normal((N, 4))
        y = rng.integers(0, 4, N)
        argv = ["-i", save(d, "x.npy", x), "-t", save(d, "y.npy", y), "--opt", "p=2", "margin=0.7"]
        return "multi_margin_loss", argv, lambda r: lossx.multi_margin_loss(x, y, p=2, margin=0.7, reduction=r)
    if name == "gaussian_nll_loss":
        x, y = rng.standard_normal((N, 3)), rng.standard_normal((N, 3))
        v = rng.random(N) + 0.1  # one variance per row: (N,) for an (N, 3) input
        argv = ["-i", save(d, "x.npy", x), "-t", save(d, "y.npy", y), "--var", save(d, "v.npy", v),
                "--opt", "full=true"]
        return "gaussian_nll_loss", argv, lambda r: lossx.gaussian_nll_loss(x, y, v, full=True, reduction=r)
    if name == "triplet_margin_loss":
        a, p, n = (rng.standard_normal((N, 4)) for _ in range(3))
        argv = ["-i", save(d, "a.npy", a), save(d, "p.npy", p), save(d, "n.npy", n), "--opt", "swap=true"]
        return "triplet_margin_loss", argv, lambda r: lossx.triplet_margin_loss(a, p, n, swap=True, reduction=r)
    raise AssertionError(name)


CASES = ["cross_entropy", "cross_entropy_kdim", "nll_loss", "mse_loss", "kl_div", "bce_with_logits", "ctc_padded",
         "ctc_concatenated", "margin_ranking_loss", "multi_margin_loss", "gaussian_nll_loss", "triplet_margin_loss"]


@pytest.mark.parametrize("case", CASES)
def test_streaming_equals_in_memory(case, tmp_path, capsys):
    rng = np.random.default_rng(zlib.crc32(case.encode()))
    loss, argv, memory = _case(case, tmp_path, rng)
    reductions = _cli.loss_specs()[loss].reductions
    assert ("batchmean" in reductions) == (loss == "kl_div")
    for r in reductions:
        want = memory(r)
        for rows in CHUNKS:
            out, js = tmp_path / f"out_{r}_{rows}.npy", tmp_path / f"s_{r}_{rows}.json"
            io = "read" if rows == 7 else "map"  # both ways of reading chunks
            code, stdout, err = run(["eval", loss, *argv, "--reduction", r, "--chunk-rows", rows, "--out", out,
                                     "--json", js, "--io", io], capsys)
            assert code == 0, err
            assert err == ""  # stderr is not a terminal: no progress bar, no notes
            summary = json.loads(js.read_text())
            assert summary["rows"] == N and summary["chunks"] == -(-N // rows) and summary["reduction"] == r
            got = np.load(out)
            assert got.dtype == want.dtype
            if r == "none":
                np.testing.assert_array_equal(got, want, err_msg=f"{r} chunk={rows}")
                assert summary["losses"]["count"] == want.size
                np.testing.assert_allclose(summary["losses"]["mean"], want.mean(), rtol=1e-12)
            else:
                assert got.shape == ()
                np.testing.assert_allclose(summary["result"], float(want), rtol=1e-12, atol=1e-300,
                                           err_msg=f"{r} chunk={rows}")
                assert repr(summary["result"]) in stdout
            assert not [p for p in os.listdir(tmp_path) if ".tmp" in p]


def test_float32_result_matches_the_partial_sums_of_the_whole(tmp_path, capsys):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((101, 10)).astype(np.float32)
    y = rng.integers(0, 10, 101)
    js = tmp_path / "s.json"
    assert run(["eval", "cross_entropy", "-i", save(tmp_path, "x.npy", x), "-t", save(tmp_path, "y.npy", y),
                "--chunk-rows", 13, "--json", js], capsys)[0] == 0
    t, d = lossx.cross_entropy_partial(x, y)
    s = json.loads(js.read_text())
    np.testing.assert_allclose(s["result"], t / d, rtol=1e-12)
    assert s["dtype"] == "float32"
    np.testing.assert_allclose(s["result"], float(lossx.cross_entropy(x, y)), rtol=1e-6)


def test_threads_do_not_change_the_result(tmp_path, capsys):
    rng = np.random.default_rng(4)
    x, y = rng.standard_normal((300, 6)), rng.integers(0, 6, 300)
    args = ["eval", "cross_entropy", "-i", save(tmp_path, "x.npy", x), "-t", save(tmp_path, "y.npy", y),
            "--chunk-rows", 17]
    before = lossx.get_num_threads()
    results = []
    for threads in (1, 2, 3):
        js = tmp_path / f"{threads}.json"
        assert run([*args, "--threads", threads, "--json", js], capsys)[0] == 0
        s = json.loads(js.read_text())
        assert s["threads"] == threads
        results.append(s["result"])
    assert results[0] == results[1] == results[2]
    assert lossx.get_num_threads() == before  # restored after the run
    # the default chunking depends on the data only, not on --threads
    x, y = rng.standard_normal((20_000, 6)), rng.integers(0, 6, 20_000)
    args = ["eval", "cross_entropy", "-i", save(tmp_path, "x2.npy", x), "-t", save(tmp_path, "y2.npy", y)]
    summaries = []
    for threads in (1, 2, 3):
        js = tmp_path / f"d{threads}.json"
        assert run([*args, "--threads", threads, "--json", js], capsys)[0] == 0
        summaries.append(json.loads(js.read_text()))
    assert len({(s["result"], s["chunk_rows"]) for s in summaries}) == 1 and summaries[0]["chunks"] > 1


def test_unbatched_input_is_one_chunk(tmp_path, capsys):
    x = np.array([0.5, -1.0, 2.0])
    y = np.array(2)
    js = tmp_path / "s.json"
    code, out, err = run(["eval", "cross_entropy", "-i", save(tmp_path, "x.npy", x), "-t",
                          save(tmp_path, "y.npy", y), "--json", js], capsys)
    assert code == 0, err
    s = json.loads(js.read_text())
    assert s["chunks"] == 1
    np.testing.assert_allclose(s["result"], float(lossx.cross_entropy(x, y)), rtol=1e-14)


def test_empty_batch(tmp_path, capsys):
    x, y = np.zeros((0, 4)), np.zeros(0, np.int64)
    argv = ["eval", "cross_entropy", "-i", save(tmp_path, "x.npy", x), "-t", save(tmp_path, "y.npy", y)]
    code, out, _ = run([*argv, "--reduction", "sum"], capsys)
    assert code == 0 and "= 0.0" in out
    code, out, _ = run([*argv, "--reduction", "mean"], capsys)
    assert code == 0 and "= nan" in out
    code, out, _ = run([*argv, "--reduction", "none", "--out", tmp_path / "o.npy"], capsys)
    assert code == 0 and np.load(tmp_path / "o.npy").shape == (0,)


def test_var_as_a_number(tmp_path, capsys):
    rng = np.random.default_rng(5)
    x, y = rng.standard_normal((9, 2)), rng.standard_normal((9, 2))
    js = tmp_path / "s.json"
    assert run(["eval", "gaussian_nll_loss", "-i", save(tmp_path, "x.npy", x), "-t", save(tmp_path, "y.npy", y),
                "--var", "0.5", "--chunk-rows", 2, "--json", js], capsys)[0] == 0
    np.testing.assert_allclose(json.loads(js.read_text())["result"], float(lossx.gaussian_nll_loss(x, y, 0.5)),
                               rtol=1e-12)


# ---------------------------------------------------------------------------------------------
# File formats
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("layout", ["npz", "npz_compressed", "npz_single", "fortran", "big_endian"])
def test_file_layouts(layout, tmp_path, capsys):
    rng = np.random.default_rng(6)
    x = rng.standard_normal((31, 5))
    y = rng.integers(0, 5, 31)
    if layout == "npz":
        np.savez(tmp_path / "d.npz", logits=x, labels=y)
        xi, yi = f"{tmp_path}/d.npz:logits", f"{tmp_path}/d.npz:labels"
    elif layout == "npz_compressed":
        np.savez_compressed(tmp_path / "d.npz", logits=x, labels=y)
        xi, yi = f"{tmp_path}/d.npz:logits", f"{tmp_path}/d.npz:labels"
    elif layout == "npz_single":
        np.savez(tmp_path / "x.npz", x)
        xi, yi = str(tmp_path / "x.npz"), save(tmp_path, "y.npy", y)
    elif layout == "fortran":
        xi, yi = save(tmp_path, "x.npy", np.asfortranarray(x)), save(tmp_path, "y.npy", y)
        assert np.load(xi).flags.f_contiguous
    else:
        xi, yi = save(tmp_path, "x.npy", x.astype(">f8")), save(tmp_path, "y.npy", y.astype(">i4"))
    for r in ("mean", "none"):
        out = tmp_path / f"o_{r}.npy"
        js = tmp_path / f"s_{r}.json"
        code, _, err = run(["eval", "cross_entropy", "-i", xi, "-t", yi, "--chunk-rows", 4, "--reduction", r,
                            "--out", out, "--json", js], capsys)
        assert code == 0, err
        if r == "none":
            np.testing.assert_array_equal(np.load(out), lossx.cross_entropy(x, y, reduction="none"))
        else:
            np.testing.assert_allclose(json.loads(js.read_text())["result"], float(lossx.cross_entropy(x, y)),
                                       rtol=1e-12)


def test_ctc_log_probs_fortran_order(tmp_path, capsys):
    """(T, N, C) chunked along axis 1 from a Fortran-ordered file."""
    rng = np.random.default_rng(7)
    lp, tg, il, tl = _ctc_data(rng, padded=True)
    js = tmp_path / "s.json"
    code, _, err = run(["eval", "ctc_loss", "-i", save(tmp_path, "lp.npy", np.asfortranarray(lp)),
                        "-t", save(tmp_path, "tg.npy", tg), "--input-lengths", save(tmp_path, "il.npy", il),
                        "--target-lengths", save(tmp_path, "tl.npy", tl), "--chunk-rows", 5, "--json", js], capsys)
    assert code == 0, err
    np.testing.assert_allclose(json.loads(js.read_text())["result"], float(lossx.ctc_loss(lp, tg, il, tl)),
                               rtol=1e-12)


# ---------------------------------------------------------------------------------------------
# Per-class report
# ---------------------------------------------------------------------------------------------


def _numpy_report(labels, losses, ignore):
    labels, losses = np.asarray(labels).ravel(), np.asarray(losses, np.float64).ravel()
    keep = labels != ignore if ignore is not None else np.ones(labels.size, bool)
    rows = []
    for c in np.unique(labels[keep]):
        m = keep & (labels == c)
        rows.append((int(c), int(m.sum()), float(losses[m].sum()), float(losses[m].mean())))
    return rows, int((~keep).sum())


def _check_report(report, labels, losses, ignore):
    rows, ignored = _numpy_report(labels, losses, ignore)
    got = [(c["label"], c["count"], c["total"], c["mean"]) for c in report["classes"]]
    assert [g[:2] for g in got] == [r[:2] for r in rows]
    np.testing.assert_allclose([g[2:] for g in got], [r[2:] for r in rows], rtol=1e-12)
    assert report["ignored"] == ignored
    assert report["count"] == sum(r[1] for r in rows)
    np.testing.assert_allclose(report["total"], sum(r[2] for r in rows), rtol=1e-12)


def test_class_report_against_numpy():
    rng = np.random.default_rng(8)
    labels = rng.integers(-1, 12, 500)
    losses = rng.exponential(size=500)
    for ignore in (None, -1):
        _check_report(class_report(labels, losses, ignore_index=ignore), labels, losses, ignore)
    # sparse labels (a range too wide for one bincount), float and bool labels
    wide = rng.choice([-(10**9), 3, 10**9], 50)
    _check_report(class_report(wide, losses[:50]), wide, losses[:50], None)
    _check_report(class_report(labels.astype(np.float32), losses), labels, losses, None)
    _check_report(class_report(labels > 5, losses), (labels > 5).astype(int), losses, None)
    empty = class_report(np.zeros(0, int), np.zeros(0))
    assert empty["classes"] == [] and empty["count"] == 0 and np.isnan(empty["mean"])


def test_class_report_errors():
    with pytest.raises(ValueError, match="same number of elements"):
        class_report([0, 1], [0.5])
    with pytest.raises(ValueError, match="not a whole number"):
        class_report([0.5, 1.0], [0.1, 0.2])
    with pytest.raises(TypeError, match="dtype"):
        class_report(np.array(["a"]), [0.1])


def test_format_class_report():
    r = class_report([0, 0, 1, 2, 2, 2, -100], [1.0, 3.0, 0.5, 4.0, 4.0, 4.0, 9.0], ignore_index=-100)
    text = format_class_report(r)
    lines = text.splitlines()
    assert lines[0].split() == ["class", "count", "total", "mean", "share", "mean", "loss"]
    body = [ln.split() for ln in lines[2:5]]
    assert [b[:4] for b in body] == [["0", "2", "4.00", "2.0000"], ["1", "1", "0.50", "0.5000"],
                                     ["2", "3", "12.00", "4.0000"]]
    assert body[2][5] == "#" * 20 and body[0][5] == "#" * 10  # bars: mean relative to the worst class
    assert "all" in lines[-2] and "6" in lines[-2] and "(1 sample with ignore_index=-100 not counted)" == lines[-1]
    assert len({len(ln) for ln in lines[2:5]}) >= 1 and lines[2].index("2.0000") == lines[4].index("4.0000")
    top = format_class_report(r, top=1).splitlines()
    assert top[2].split()[0] == "2" and "2 more classes" in top[3]


def test_by_class_cross_entropy(tmp_path, capsys):
    rng = np.random.default_rng(9)
    x = rng.standard_normal((200, 6))
    y = rng.integers(0, 6, 200)
    y[::11] = -100
    w = rng.random(6) + 0.2
    js = tmp_path / "s.json"
    code, out, err = run(["eval", "cross_entropy", "-i", save(tmp_path, "x.npy", x), "-t", save(tmp_path, "y.npy", y),
                          "--opt", f"weight={save(tmp_path, 'w.npy', w)}", "--by-class", "--chunk-rows", 37,
                          "--json", js], capsys)
    assert code == 0, err
    s = json.loads(js.read_text())
    none = lossx.cross_entropy(x, y, w, reduction="none")
    _check_report(s["by_class"], y, none, -100)
    np.testing.assert_allclose(s["result"], float(lossx.cross_entropy(x, y, w)), rtol=1e-12)
    assert "per class index:" in out and format_class_report(s["by_class"]) in out


def test_by_class_label_losses(tmp_path, capsys):
    """±1 targets (elementwise hinge) and 0/1 integer targets (bce): per target value."""
    rng = np.random.default_rng(10)
    x = rng.standard_normal((40, 3))
    y = rng.choice([-1, 1], (40, 3))
    js = tmp_path / "h.json"
    assert run(["eval", "hinge_embedding_loss", "-i", save(tmp_path, "x.npy", x), "-t", save(tmp_path, "y.npy", y),
                "--by-class", "--chunk-rows", 7, "--json", js], capsys)[0] == 0
    _check_report(json.loads(js.read_text())["by_class"], y, lossx.hinge_embedding_loss(x, y, reduction="none"),
                  None)
    p = 1 / (1 + np.exp(-x))
    t = rng.integers(0, 2, (40, 3))
    js = tmp_path / "b.json"
    code, out, err = run(["eval", "binary_cross_entropy", "-i", save(tmp_path, "p.npy", p), "-t",
                          save(tmp_path, "t.npy", t), "--by-class", "--json", js], capsys)
    assert code == 0, err
    rep = json.loads(js.read_text())["by_class"]
    assert [c["label"] for c in rep["classes"]] == [0, 1]
    _check_report(rep, t, lossx.binary_cross_entropy(p, t, reduction="none"), None)
    assert "per target value (0/1):" in out


def test_by_class_rejects_probability_targets(tmp_path, capsys):
    x = np.zeros((4, 3))
    code, _, err = run(["eval", "cross_entropy", "-i", save(tmp_path, "x.npy", x), "-t",
                        save(tmp_path, "p.npy", np.full((4, 3), 1 / 3)), "--by-class"], capsys)
    assert code == 1 and "holds float64 probabilities, not class indices" in err
    code, _, err = run(["eval", "binary_cross_entropy", "-i", save(tmp_path, "x2.npy", np.full((4, 3), 0.5)), "-t",
                        save(tmp_path, "t.npy", np.full((4, 3), 0.3)), "--by-class"], capsys)
    assert code == 1 and "not a whole number" in err and "t.npy" in err


def test_plot(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    rng = np.random.default_rng(11)
    x = rng.standard_normal((300, 4)) * 4
    y = rng.integers(0, 4, 300)
    png = tmp_path / "p.png"
    code, _, err = run(["eval", "cross_entropy", "-i", save(tmp_path, "x.npy", x), "-t", save(tmp_path, "y.npy", y),
                        "--by-class", "--plot", png], capsys)
    assert code == 0, err
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_without_matplotlib(tmp_path, capsys, monkeypatch):
    real = _cli.importlib.util.find_spec
    monkeypatch.setattr(_cli.importlib.util, "find_spec", lambda n, *a: None if n == "matplotlib" else real(n, *a))
    code, _, err = run(["eval", "mse_loss", "-i", save(tmp_path, "x.npy", np.zeros(3)), "-t",
                        save(tmp_path, "y.npy", np.zeros(3)), "--plot", tmp_path / "p.png"], capsys)
    assert code == 1
    assert err == "lossx: error: --plot needs matplotlib, which is not installed (pip install matplotlib)\n"
    assert not (tmp_path / "p.png").exists()


# ---------------------------------------------------------------------------------------------
# Bad input: one line, its exit status, no output file
# ---------------------------------------------------------------------------------------------


def _bad_files(d):
    rng = np.random.default_rng(12)
    save(d, "x.npy", rng.standard_normal((10, 3)))
    save(d, "y.npy", rng.integers(0, 3, 10))
    save(d, "y9.npy", rng.integers(0, 3, 9))
    save(d, "y_2d.npy", rng.integers(0, 3, (10, 2)))
    save(d, "y_late.npy", np.r_[np.zeros(9, np.int64), 5])  # out of range in the last chunk
    save(d, "x16.npy", np.zeros((10, 3), np.float16))
    save(d, "xi.npy", np.zeros((10, 3), np.int64))
    save(d, "x32.npy", np.zeros((10, 3), np.float32))
    save(d, "txt.npy", np.array(["a", "b"]))
    (d / "notnpy.npy").write_bytes(b"hello, world")
    (d / "corrupt.npy").write_bytes(b"\x93NUMPY\x01\x00\x10\x00{'descr': <f8,  }\n")
    np.save(d / "trunc.npy", np.zeros((10, 3)))
    with open(d / "trunc.npy", "r+b") as f:
        f.truncate(200)
    np.savez(d / "two.npz", a=np.zeros(3), b=np.zeros(3))
    lp, tg, il, tl = _ctc_data(rng, padded=False)
    save(d, "lp.npy", lp)
    save(d, "tg1.npy", tg[:-1])  # one label short of sum(target_lengths)
    save(d, "il.npy", il)
    save(d, "tl.npy", tl)
    save(d, "il9.npy", il[:9])


BAD = [
    # (argv after 'eval', message fragment, exit status)
    (["cross_entropi", "-i", "x.npy", "-t", "y.npy"], "unknown loss 'cross_entropi'; did you mean cross_entropy?", 2),
    (["cross_entropy", "-i", "missing.npy", "-t", "y.npy"], "missing.npy: no such file", 1),
    (["cross_entropy", "-i", "notnpy.npy", "-t", "y.npy"], "notnpy.npy: not a .npy file", 1),
    (["cross_entropy", "-i", "txt.npy", "-t", "y.npy"], "txt.npy: not a numeric array (dtype <U1)", 1),
    (["cross_entropy", "-i", "corrupt.npy", "-t", "y.npy"], "corrupt.npy: corrupt .npy header", 1),
    (["cross_entropy", "-i", "trunc.npy", "-t", "y.npy"], "trunc.npy: truncated: the header says (10, 3) float64", 1),
    (["cross_entropy", "-i", "two.npz", "-t", "y.npy"], "two.npz: the archive holds 2 arrays (a, b)", 1),
    (["cross_entropy", "-i", "two.npz:c", "-t", "y.npy"], "no array 'c' in", 1),
    (["cross_entropy", "-i", "x.npy", "-t", "y9.npy"], "y9.npy: 9 rows along axis 0 (9,), but", 1),
    (["cross_entropy", "-i", "x.npy", "-t", "y_2d.npy"], "cross_entropy: 'target' must", 1),
    (["cross_entropy", "-i", "x16.npy", "-t", "y.npy"],
     "x16.npy: predictions must be float32 or float64; got float16", 1),
    (["cross_entropy", "-i", "xi.npy", "-t", "y.npy"], "xi.npy: predictions must be float32 or float64; got int64", 1),
    (["mse_loss", "-i", "x32.npy", "-t", "x.npy"], "mse_loss: 'target' must have the input's dtype float32", 1),
    (["margin_ranking_loss", "-i", "x.npy", "x32.npy", "-t", "y.npy"], "need one dtype", 1),
    (["cross_entropy", "-i", "x.npy", "-t", "y_late.npy", "--chunk-rows", "3"],
     "'target' must hold class indices in [0, 3)", 1),
    (["cross_entropy", "-i", "x.npy", "-t", "y.npy", "--opt", "ignor_index=1"],
     "cross_entropy has no option 'ignor_index' (its options: weight, ignore_index, label_smoothing); "
     "did you mean ignore_index?", 2),
    (["cross_entropy", "-i", "x.npy", "-t", "y.npy", "--opt", "ignore_index=abc"],
     "--opt ignore_index=abc: cross_entropy's 'ignore_index' must be an integer", 2),
    (["cross_entropy", "-i", "x.npy", "-t", "y.npy", "--opt", "label_smoothing=yes"],
     "'label_smoothing' must be a number", 2),
    (["cross_entropy", "-i", "x.npy", "-t", "y.npy", "--opt", "label_smoothing"], "expected key=value", 2),
    (["cross_entropy", "-i", "x.npy", "-t", "y.npy", "--opt", "label_smoothing=1.5"],
     "'label_smoothing' must lie in [0, 1]", 1),
    (["cross_entropy", "-i", "x.npy", "-t", "y.npy", "--opt", "weight=[1,2]"], "'weight' must be", 1),
    (["cross_entropy", "-i", "x.npy", "-t", "y.npy", "--opt", "target=y.npy"], "give it with --target", 2),
    (["cross_entropy", "-i", "x.npy", "-t", "y.npy", "--reduction", "batchmean"],
     "--reduction batchmean: cross_entropy takes none | mean | sum", 2),
    (["cross_entropy", "-i", "x.npy"], "cross_entropy needs --target", 2),
    (["cross_entropy", "-i", "x.npy", "x.npy", "-t", "y.npy"], "takes 1 prediction array(s)", 2),
    (["mse_loss", "-i", "x.npy", "-t", "x.npy", "--var", "1.0"], "mse_loss takes no --var", 2),
    (["mse_loss", "-i", "x.npy", "-t", "x.npy", "--by-class"], "--by-class: mse_loss has no class", 2),
    (["cross_entropy", "-i", "x.npy", "-t", "y.npy", "--threads", "0"], "--threads 0: must lie in", 2),
    (["cross_entropy", "-i", "x.npy", "-t", "y.npy", "--chunk-rows", "0"], "--chunk-rows 0: must be >= 1", 2),
    (["cross_entropy", "-i", "x.npy", "-t", "y.npy", "--bogus"], "unrecognized arguments: --bogus", 2),
    (["cross_entropy", "-i", "x.npy", "-t", "y.npy", "--plot", "p.xyz"], "unknown image format 'xyz'", 2),
    (["ctc_loss", "-i", "lp.npy", "-t", "tg1.npy", "--input-lengths", "il.npy", "--target-lengths", "tl.npy"],
     "adds up to", 1),
    (["ctc_loss", "-i", "lp.npy", "-t", "tg1.npy", "--input-lengths", "il9.npy", "--target-lengths", "tl.npy"],
     "il9.npy: 9 rows along axis 0 (9,), but lp.npy has 23 along its batch axis 1", 1),
]


@pytest.mark.parametrize("argv, message, code", BAD, ids=[" ".join(b[0][:1] + b[0][-2:]) for b in BAD])
def test_bad_input(argv, message, code, tmp_path, capsys, monkeypatch):
    if "--plot" in argv:
        pytest.importorskip("matplotlib")  # the image formats are matplotlib's (without it: its own message)
    _bad_files(tmp_path)
    monkeypatch.chdir(tmp_path)
    outdir = tmp_path / "results"
    outdir.mkdir()
    before = set(os.listdir(tmp_path))
    outs = ["--out", str(outdir / "o.npy"), "--json", str(outdir / "s.json")]
    for extra in ([], ["--reduction", "none"]) if "--reduction" not in argv else ([],):
        got, out, err = run(["eval", *argv, *outs, *extra], capsys)
        assert got == code, err
        assert err.startswith("lossx: error: ") and err.count("\n") == 1 and message in err, err
        assert out == ""
        assert os.listdir(outdir) == []  # no output, no temporary file
        assert set(os.listdir(tmp_path)) == before


def test_output_may_not_overwrite_an_input(tmp_path, capsys):
    x = save(tmp_path, "x.npy", np.zeros((3, 2)))
    y = save(tmp_path, "y.npy", np.zeros(3, np.int64))
    code, _, err = run(["eval", "cross_entropy", "-i", x, "-t", y, "--reduction", "none", "--out", y], capsys)
    assert code == 2 and err == f"lossx: error: {y}: is also an input ({y}); write the result to another file\n"
    np.testing.assert_array_equal(np.load(y), np.zeros(3))


def test_loss_name_after_a_list_option(tmp_path, capsys):
    """'--input x.npy LOSS' and '--opt k=v LOSS': the loss name is not taken for a file or an option."""
    x = save(tmp_path, "x.npy", np.arange(6.0).reshape(3, 2))
    y = save(tmp_path, "y.npy", np.zeros((3, 2)))
    code, out, err = run(["eval", "--input", x, "mse_loss", "--target", y], capsys)
    assert code == 0 and out.startswith("mse_loss (mean) = 9.1666"), err
    code, out, err = run(["eval", "--target", y, "--input", x, "--opt", "weight=None", "mse_loss"], capsys)
    assert code == 0 and out.startswith("mse_loss (mean) = "), err
    code, _, err = run(["eval", "--input", x, "--target", y], capsys)
    assert code == 2 and "the loss to evaluate is missing" in err


def test_missing_output_directory(tmp_path, capsys):
    x = save(tmp_path, "x.npy", np.zeros(3))
    code, _, err = run(["eval", "mse_loss", "-i", x, "-t", x, "--out", tmp_path / "no" / "o.npy"], capsys)
    assert code == 1 and "directory" in err and "does not exist" in err


def test_error_in_a_late_chunk_leaves_no_output(tmp_path, capsys):
    """The temporary output has been written to when the bad chunk arrives; it is removed."""
    x = np.zeros((50, 3))
    y = np.zeros(50, np.int64)
    y[-1] = 7
    out = tmp_path / "o.npy"
    code, _, err = run(["eval", "cross_entropy", "-i", save(tmp_path, "x.npy", x), "-t", save(tmp_path, "y.npy", y),
                        "--reduction", "none", "--out", out, "--chunk-rows", 4, "--json", tmp_path / "s.json"],
                       capsys)
    assert code == 1 and "rows 48-49" in err
    assert sorted(os.listdir(tmp_path)) == ["x.npy", "y.npy"]


def test_subprocess_error_is_one_line(tmp_path):
    r = subprocess.run([sys.executable, "-m", "lossx", "eval", "cross_entropy", "-i", str(tmp_path / "nope.npy"),
                        "-t", "y.npy"], capture_output=True, text=True, env=_env(), timeout=60)
    assert r.returncode == 1
    assert r.stderr == f"lossx: error: {tmp_path / 'nope.npy'}: no such file\n" and r.stdout == ""


def _env():
    env = dict(os.environ)
    pkg = str(pathlib.Path(lossx.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = pkg + os.pathsep + env.get("PYTHONPATH", "")
    return env


@pytest.mark.parametrize("sig, status", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_interrupted_run_leaves_nothing(sig, status, tmp_path):
    """Ctrl-C (or SIGTERM) while the output is being written: no output, no temporary file."""
    rng = np.random.default_rng(13)
    x = save(tmp_path, "x.npy", rng.standard_normal((400_000, 2)))
    y = save(tmp_path, "y.npy", rng.integers(0, 2, 400_000))
    outdir = tmp_path / "out"
    outdir.mkdir()
    p = subprocess.Popen([sys.executable, "-m", "lossx", "eval", "cross_entropy", "-i", x, "-t", y,
                          "--reduction", "none", "--chunk-rows", "2", "--out", str(outdir / "o.npy"),
                          "--json", str(outdir / "s.json")],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env())
    try:
        deadline = time.monotonic() + 30
        while not os.listdir(outdir):  # the temporary output appears after the first chunk
            assert p.poll() is None, p.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert any(".tmp" in n for n in os.listdir(outdir))
        p.send_signal(sig)
        out, err = p.communicate(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
    assert p.returncode == status, err
    assert "no output written" in err and "Traceback" not in err
    assert os.listdir(outdir) == []


def test_interrupt_between_creating_and_owning_a_temporary_file_leaves_nothing(tmp_path, capsys, monkeypatch):
    """A Ctrl-C that lands after the temporary output exists but before a writer owns it
    (here: while its header is written) is still cleaned up, by the registry sweep."""
    import lossx._npyio as npyio

    rng = np.random.default_rng(3)
    x = save(tmp_path, "x.npy", rng.standard_normal((50, 4)))
    y = save(tmp_path, "y.npy", rng.integers(0, 4, 50))
    outdir = tmp_path / "out"
    outdir.mkdir()

    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(npyio.npformat, "write_array_header_1_0", interrupted)
    code, _, err = run(["eval", "cross_entropy", "-i", x, "-t", y, "--reduction", "none",
                        "--out", str(outdir / "o.npy")], capsys)
    assert code == 130 and "no output written" in err
    assert os.listdir(outdir) == [] and not npyio._LIVE_TEMPS


# ---------------------------------------------------------------------------------------------
# list, --version, demo, help
# ---------------------------------------------------------------------------------------------


def test_list_is_derived_from_the_signatures(capsys):
    code, out, _ = run(["list", "--json"], capsys)
    assert code == 0
    listed = json.loads(out)
    losses = {n for n in lossx.__all__ if callable(getattr(getattr(lossx, n), "partial", None))}
    assert set(listed) == losses and "cross_entropy" in losses and "ctc_loss" in losses
    for name in losses:
        params = inspect.signature(getattr(lossx, name)).parameters.values()
        want = {p.name: p.default for p in params if p.default is not inspect.Parameter.empty and p.name != "reduction"}
        assert {k: v["default"] for k, v in listed[name]["options"].items()} == want, name
        default = inspect.signature(getattr(lossx, name)).parameters["reduction"].default
        assert listed[name]["default_reduction"] == default
    assert listed["ctc_loss"]["arrays"] == {"log_probs": "--input", "targets": "--target",
                                            "input_lengths": "--input-lengths", "target_lengths": "--target-lengths"}
    assert listed["kl_div"]["reductions"] == ["none", "batchmean", "sum", "mean"]
    code, out, _ = run(["list"], capsys)
    assert code == 0
    block = out.split("\ncross_entropy\n")[1].split("\n\n")[0]
    assert "weight=None (array)  ignore_index=-100  label_smoothing=0.0" in block
    assert "--by-class: per class index" in block


def test_list_unknown_loss(capsys):
    code, _, err = run(["list", "mse"], capsys)
    assert code == 2 and "unknown loss 'mse'" in err


def test_version(capsys):
    code, out, _ = run(["--version"], capsys)
    assert code == 0 and out.strip() == f"lossx {lossx.__version__}"
    r = subprocess.run([sys.executable, "-m", "lossx", "--version"], capture_output=True, text=True, env=_env(),
                       timeout=60)
    assert r.returncode == 0 and r.stdout.strip() == f"lossx {lossx.__version__}"


def test_eval_help_has_an_example(capsys):
    code, out, _ = run(["eval", "--help"], capsys)
    assert code == 0
    assert "lossx eval cross_entropy --input logits.npy --target labels.npy" in out and "--by-class" in out


def test_no_command_prints_help(capsys):
    code, _, err = run([], capsys)
    assert code == 2 and "eval" in err and "list" in err


def test_demo_dispatches_to_lossx_demo(capsys, monkeypatch):
    import types

    seen = []
    fake = types.ModuleType("lossx.demo")
    fake.main = lambda argv=None: seen.append(argv) or 3
    monkeypatch.setitem(sys.modules, "lossx.demo", fake)
    monkeypatch.setattr(_cli.importlib.util, "find_spec", lambda n, *a: object())
    assert _cli.main(["demo", "--epochs", "2"]) == 3
    assert seen == [["--epochs", "2"]]


def test_demo_missing(capsys, monkeypatch):
    real = _cli.importlib.util.find_spec
    monkeypatch.setattr(_cli.importlib.util, "find_spec", lambda n, *a: None if n == "lossx.demo" else real(n, *a))
    code, _, err = run(["demo"], capsys)
    assert code == 2 and err == ("lossx: error: the demo is not part of this lossx installation "
                                 "(module lossx.demo is missing)\n")


def test_console_script_is_declared():
    tomllib = pytest.importorskip("tomllib")
    pyproject = ROOT / "pyproject.toml"
    if not pyproject.exists():
        pytest.skip("needs the source tree")
    meta = tomllib.loads(pyproject.read_text())["project"]
    assert meta["scripts"]["lossx"] == "lossx._cli:main"
    assert any(d.startswith("tqdm") for d in meta["dependencies"])


def test_parse_option_value():
    v = _cli.parse_option_value
    assert v("None") is None and v("true") is True and v("False") is False
    assert v("-100") == -100 and isinstance(v("3"), int)
    assert v("0.25") == 0.25 and v("1e-6") == 1e-6 and v("inf") == float("inf")
    np.testing.assert_array_equal(v("[1, 2.5]"), [1.0, 2.5])
    np.testing.assert_array_equal(v("1,2,3"), [1.0, 2.0, 3.0])
    assert v("w.npy") == "w.npy" and v("d.npz:w") == "d.npz:w"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="pseudo-terminal test (Linux)")
@pytest.mark.parametrize("quiet", [False, True])
def test_progress_bar_on_a_terminal(quiet, tmp_path):
    """On a terminal: a progress bar on stderr (none with --quiet); the result line either way."""
    import pty

    rng = np.random.default_rng(14)
    x = save(tmp_path, "x.npy", rng.standard_normal((200, 4)))
    y = save(tmp_path, "y.npy", rng.integers(0, 4, 200))
    argv = [sys.executable, "-m", "lossx", "eval", "cross_entropy", "-i", x, "-t", y, "--chunk-rows", "1"]
    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            os.execvpe(sys.executable, argv + (["--quiet"] if quiet else []), _env())
        finally:
            os._exit(127)
    out = b""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    text = out.decode(errors="replace")
    assert os.WEXITSTATUS(status) == 0, text
    assert "cross_entropy (mean) = " in text and "200 rows in" in text
    assert ("rows/s]" in text) is not quiet  # tqdm's rate field, only in the bar
