"""``lossx demo``: the shipped digits load right, the demo runs end to end (fast settings), and every
number it prints is checked against NumPy recomputed from the same model: the epoch losses and
accuracies, the per-class table, the ten hardest images; plus the NumPy timing baseline and the
per-class report helpers (python/lossx/_report.py)."""

from __future__ import annotations

import csv
import gzip
import importlib.resources
import io
import os
import re
import subprocess
import sys

import numpy as np
import pytest
from reference import classification as ref

import lossx
from lossx import demo
from lossx._report import class_report, format_class_report

FAST = ["--epochs", "2", "--repeats", "1", "--bench-rows", "3000", "--quiet"]
COUNTS = [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]  # images per digit in optdigits.tes


def run_demo(argv):
    """(printed text, DemoResult) of the demo with the given options."""
    parser = demo._parser()
    args = parser.parse_args(argv)
    demo._check(parser, args)
    out = io.StringIO()
    threads = lossx.get_num_threads()
    result = demo.run(args, out, progress=False)
    assert lossx.get_num_threads() == threads  # --threads does not outlive the run
    return out.getvalue(), result


@pytest.fixture(scope="module")
def fast_run():
    return run_demo(FAST)


def numbers(line):
    return [float(v) for v in re.findall(r"-?\d+\.\d+|-?\d+", line.replace(",", ""))]


# ------------------------------------------------------------------------------------------ data
def test_digits_load_with_the_right_shape_labels_and_counts():
    images, labels = demo.load_digits()
    assert images.shape == (1797, 64) and images.dtype == np.uint8
    assert labels.shape == (1797,) and labels.dtype == np.int64
    assert images.min() == 0 and images.max() == 16
    np.testing.assert_array_equal(np.unique(labels), np.arange(10))
    np.testing.assert_array_equal(np.bincount(labels), COUNTS)
    # Independently parsed with the csv module: the same numbers, row for row.
    with importlib.resources.as_file(importlib.resources.files("lossx") / "data" / "digits.csv.gz") as path:
        with gzip.open(path, "rt") as f:
            rows = [[int(v) for v in row] for row in csv.reader(f)]
    table = np.array(rows)
    np.testing.assert_array_equal(table[:, :64], images)
    np.testing.assert_array_equal(table[:, 64], labels)


def test_data_readme_names_source_and_licence():
    text = (importlib.resources.files("lossx") / "data" / "README.md").read_text()
    for needed in ("Alpaydin", "Kaynak", "CC BY 4.0", "10.24432/C50P49", "digits.csv.gz"):
        assert needed in text


def test_stratified_split_holds_out_each_class_in_proportion():
    _, labels = demo.load_digits()
    train, test = demo.stratified_split(labels, 0.25, np.random.default_rng(5))
    assert len(np.intersect1d(train, test)) == 0
    np.testing.assert_array_equal(np.sort(np.concatenate([train, test])), np.arange(len(labels)))
    np.testing.assert_array_equal(np.bincount(labels[test], minlength=10), np.round(0.25 * np.array(COUNTS)))
    again, _ = demo.stratified_split(labels, 0.25, np.random.default_rng(5))
    np.testing.assert_array_equal(again, train)


def test_ascii_digit():
    pixels = np.zeros(64, np.uint8)
    pixels[0], pixels[9], pixels[63] = 16, 8, 1
    art = demo.ascii_digit(pixels)
    assert len(art) == 8 and all(len(r) == 16 for r in art)
    assert art[0] == "@@" + " " * 14
    assert art[1][2:4] in ("==", "++", "--") and art[1][:2] == "  "
    assert art[7] == " " * 16  # 1/16 of ink is still blank
    levels = [demo.ascii_digit(np.full(64, v))[0][0] for v in range(17)]
    assert levels == sorted(levels, key=demo._SHADES.index)  # darker never lighter


# ------------------------------------------------------------------------------ NumPy baseline
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_numpy_baseline_agrees_with_lossx(dtype):
    rng = np.random.default_rng(1)
    z = (rng.standard_normal((257, 10)) * 4).astype(dtype)
    y = rng.integers(0, 10, 257)
    w = rng.uniform(0.2, 3.0, 10).astype(dtype)
    loss, grad = demo.numpy_cross_entropy_with_grad(z, y, w)
    want_loss, want_grad = lossx.cross_entropy_with_grad(z, y, w)
    assert grad.dtype == dtype
    np.testing.assert_allclose(loss, want_loss, rtol=1e-6)
    np.testing.assert_allclose(grad, want_grad, rtol=0, atol=1e-6 if dtype == np.float32 else 1e-12)
    np.testing.assert_allclose(loss, ref.cross_entropy(z, y, w), rtol=1e-6 if dtype == np.float32 else 1e-12)


def test_timing_reports_both_and_the_gradient_difference():
    rng = np.random.default_rng(2)
    z = rng.standard_normal((100, 10)).astype(np.float32)
    y = rng.integers(0, 10, 100)
    t = demo.time_loss_and_grad(z, y, np.ones(10, np.float32), repeats=2)
    assert (t.rows, t.classes) == (100, 10)
    assert t.lossx_seconds > 0 and t.numpy_seconds > 0
    assert t.max_grad_difference < 1e-6


# ------------------------------------------------------------------------------------- the demo
def test_epoch_lines_equal_a_numpy_cross_entropy_of_the_model(fast_run):
    text, r = fast_run
    lines = [ln for ln in text.splitlines() if ln.startswith("epoch")]
    assert len(lines) == 2 == len(r.history)
    _, one_epoch = run_demo(["--epochs", "1", "--repeats", "0", "--quiet"])
    for line, model in zip(lines, [one_epoch.model, r.model]):
        x_train, x_test = r.features(r.train), r.features(r.test)
        z_train, z_test = model.logits(x_train), model.logits(x_test)
        loss = ref.cross_entropy(z_train, r.labels[r.train], r.weight)
        acc_train = np.mean(z_train.argmax(1) == r.labels[r.train])
        acc_test = np.mean(z_test.argmax(1) == r.labels[r.test])
        _, _, shown_loss, shown_train, shown_test = numbers(line)
        assert shown_loss == pytest.approx(loss, abs=5e-5 + 1e-5 * loss)
        assert shown_train == pytest.approx(acc_train, abs=5e-4)
        assert shown_test == pytest.approx(acc_test, abs=5e-4)
    # Balanced weights of the training labels, as printed.
    np.testing.assert_allclose(r.weight, len(r.train) / (10 * np.bincount(r.labels[r.train])), rtol=1e-6)


def test_the_model_learns(fast_run):
    _, r = fast_run
    assert r.history[-1].test_accuracy > 0.85
    assert r.history[-1].loss < r.history[0].loss


def test_per_class_table_equals_numpy(fast_run):
    text, r = fast_run
    y = r.labels[r.test]
    np.testing.assert_array_equal(r.test_logits, r.model.logits(r.features(r.test)))
    per_sample = ref.cross_entropy(r.test_logits, y, reduction="none")
    np.testing.assert_allclose(r.test_losses, per_sample, rtol=2e-5, atol=1e-6)
    pred = r.test_logits.argmax(1)
    head = text.index("held-out images, per class")
    mean_shown = numbers(text[head:].splitlines()[0])[-1]
    assert mean_shown == pytest.approx(per_sample.mean(), abs=5e-5)
    rows = text[head:].splitlines()[2:12]
    for c, line in enumerate(rows):
        shown = numbers(line)
        m = y == c
        assert shown[0] == c
        assert shown[1] == m.sum()
        assert shown[2] == pytest.approx(per_sample[m].sum(), abs=5e-4 + 1e-5 * per_sample[m].sum())
        assert shown[3] == pytest.approx(per_sample[m].mean(), abs=5e-5 + 1e-5 * per_sample[m].mean())
        assert shown[4] == pytest.approx(np.mean(pred[m] == c), abs=5e-4)
        wrong = np.bincount(pred[m][pred[m] != c], minlength=10)
        mistaken = line.rsplit("   ", 1)[1].strip()
        if wrong.sum() == 0:
            assert mistaken == "-"
        else:
            pairs = dict((int(a), int(b)) for a, b in re.findall(r"(\d) \((\d+)\)", mistaken))
            assert pairs == {d: int(wrong[d]) for d in range(10) if wrong[d]}
    assert r.report == class_report(y, r.test_losses)


def test_hardest_samples_are_the_top_ten_losses(fast_run):
    text, r = fast_run
    y = r.labels[r.test]
    per_sample = ref.cross_entropy(r.test_logits, y, reduction="none")
    top = np.argsort(-per_sample)[:10]
    np.testing.assert_array_equal(np.sort(per_sample[r.hardest]), np.sort(per_sample[top]))
    block = text[text.index("the 10 hardest"):text.index("loss + gradient")].splitlines()[1:]
    headers = [ln for ln in block if ln.startswith("#")]
    shown = [(int(a), int(b), int(c)) for ln in headers for a, b, c in re.findall(r"#(\d+)\s+(\d) -> (\d)", ln)]
    assert [s[0] for s in shown] == list(r.test[top])
    pred = r.test_logits.argmax(1)
    assert [(s[1], s[2]) for s in shown] == [(y[i], pred[i]) for i in top]
    losses = [float(v) for ln in block if ln.startswith("loss") for v in re.findall(r"loss (\d+\.\d+)", ln)]
    np.testing.assert_allclose(losses, per_sample[top], atol=5e-4 + 1e-5 * per_sample[top].max())
    # The first panel draws the first hardest image.
    first = [ln[1:17] for ln in block[2:10]]
    assert first == demo.ascii_digit(r.images[r.test[top[0]]])


def test_timing_section(fast_run):
    text, r = fast_run
    assert [(t.rows, t.classes) for t in r.timings] == [(32, 10), (3000, 10)]
    assert all(t.max_grad_difference < 1e-6 for t in r.timings)
    assert "3,000 x 10" in text and "32 x 10" in text


def test_output_is_deterministic_given_the_seed(fast_run):
    text, _ = fast_run

    def stable(t):
        return t[:t.index("trained in")] + t[t.index("held-out images"):t.index("loss + gradient")]

    again, _ = run_demo(FAST)
    assert stable(again) == stable(text)
    other, _ = run_demo(FAST + ["--seed", "1"])
    assert stable(other) != stable(text)


@pytest.mark.parametrize("extra", [["--hidden", "0"], ["--weights", "none", "--threads", "1"]])
def test_softmax_regression_and_unweighted(extra):
    text, r = run_demo(FAST + extra + ["--repeats", "0"])
    assert "loss + gradient" not in text and r.timings == []
    loss = ref.cross_entropy(r.model.logits(r.features(r.train)), r.labels[r.train], r.weight)
    assert r.history[-1].loss == pytest.approx(loss, rel=1e-5)
    assert r.history[-1].test_accuracy > 0.85
    if "--weights" in extra:
        assert r.weight is None and "weights  none" in text
    else:
        assert r.model.W1 is None and "softmax regression" in text


@pytest.mark.parametrize("argv, message", [
    (["--epochs", "0"], "--epochs must be >= 1"),
    (["--held-out", "1.5"], "--held-out must lie in [0.05, 0.95]"),
    (["--bench-rows", "2000000"], "--bench-rows must be <= 1000000"),
    (["--lr", "-1"], "--lr must be > 0"),
    (["--threads", "0"], "--threads must lie in"),
    (["--weights", "sqrt"], "invalid choice"),
])
def test_bad_options_exit_2_with_one_message(argv, message, capsys):
    with pytest.raises(SystemExit) as e:
        demo.main(argv)
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_python_m_lossx_demo_end_to_end():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([os.path.dirname(os.path.dirname(lossx.__file__)), env.get("PYTHONPATH", "")])
    out = subprocess.run([sys.executable, "-m", "lossx.demo", *FAST], capture_output=True, text=True, timeout=120,
                         env=env)
    assert out.returncode == 0, out.stderr
    assert out.stderr == ""  # no progress bar when stderr is not a terminal
    for needed in ("epoch   2/2", "held-out images, per class", "the 10 hardest", "speed-up"):
        assert needed in out.stdout


# ----------------------------------------------------------------------------- per-class report
def test_class_report_equals_numpy():
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 7, 500)
    labels[rng.random(500) < 0.1] = -100
    losses = rng.exponential(size=500)
    rep = class_report(labels, losses, ignore_index=-100)
    kept = labels != -100
    assert [c["label"] for c in rep["classes"]] == sorted(set(labels[kept].tolist()))
    for c in rep["classes"]:
        m = labels == c["label"]
        assert c["count"] == m.sum()
        assert c["total"] == pytest.approx(losses[m].sum(), rel=1e-12)
        assert c["mean"] == pytest.approx(losses[m].mean(), rel=1e-12)
    assert rep["count"] == kept.sum() and rep["ignored"] == (~kept).sum()
    assert rep["mean"] == pytest.approx(losses[kept].mean(), rel=1e-12)
    assert -100 in [c["label"] for c in class_report(labels, losses)["classes"]]
    table = format_class_report(rep, top=3)
    worst = sorted(rep["classes"], key=lambda c: -c["mean"])[:3]
    rows = [ln.split() for ln in table.splitlines() if ln.split() and ln.split()[0].lstrip("-").isdigit()]
    assert [int(r[0]) for r in rows] == [c["label"] for c in worst]


def test_class_report_bad_input():
    with pytest.raises(ValueError, match="'losses'"):
        class_report([0, 1], [1.0])


@pytest.mark.parametrize("content", [b"", b"not gzip", gzip.compress(b"1,2,3\n"), gzip.compress(b"\xff\xfe")])
def test_a_damaged_data_file_gives_one_line(content, tmp_path, monkeypatch, capsys):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "digits.csv.gz").write_bytes(content)
    monkeypatch.setattr(demo.importlib.resources, "files", lambda package: tmp_path)
    with pytest.raises(demo.DataFileError, match="digits.csv.gz"):
        demo.load_digits()
    assert demo.main(FAST) == 1
    err = capsys.readouterr().err
    assert err.startswith("lossx demo: error: the data file") and "digits.csv.gz" in err and err.count("\n") == 1
    (tmp_path / "data" / "digits.csv.gz").unlink()
    with pytest.raises(demo.DataFileError, match="missing"):
        demo.load_digits()
