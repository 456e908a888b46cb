"""bench/run.py keeps working: a tiny run in a subprocess (seconds), and the rows issue 11 names exist.

The smoke mode times one row on a small array, once, with lossx and the NumPy floor only (no
PyTorch or JAX needed); the test checks the shape of the printed table and of the JSON output,
not the timings.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import os
import re
import subprocess
import sys

import pytest

import lossx

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUN = os.path.join(ROOT, "bench", "run.py")


def _env() -> dict:
    """The subprocess imports the lossx this test process imported (in-place build or installed)."""
    env = dict(os.environ)
    here = os.path.dirname(os.path.dirname(os.path.abspath(lossx.__file__)))
    env["PYTHONPATH"] = os.pathsep.join(p for p in (here, env.get("PYTHONPATH", "")) if p)
    return env


def _run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, RUN, *args], capture_output=True, text=True, env=_env(), timeout=timeout)
    assert proc.returncode == 0, f"bench/run.py {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc


def _table(text: str, title: str) -> list[list[str]]:
    """The rows (cells) of the markdown table under the heading `title`."""
    part = text.split("## " + title, 1)
    assert len(part) == 2, f"no section {title!r} in:\n{text}"
    lines = [ln for ln in part[1].split("\n## ", 1)[0].splitlines() if ln.startswith("|")]
    return [[c.strip() for c in ln.strip("|").split("|")] for ln in lines]


def test_smoke_run_prints_the_tables_and_writes_json(tmp_path):
    js, md = tmp_path / "r.json", tmp_path / "r.md"
    proc = _run("--smoke", "--rows", "mse_loss/16M/fwd", "cross_entropy/8x10/fwd", "--threads", "1", "2",
                "--json", str(js), "--out", str(md))
    text = proc.stdout
    torch_tab = _table(text, "lossx vs PyTorch")
    assert torch_tab[0] == ["row", "pass", "lossx 1t", "torch 1t", "torch/lossx 1t", "lossx 2t", "torch 2t",
                            "torch/lossx 2t", "lossx 1t→2t speed-up"]
    assert set(torch_tab[1]) == {"---"}
    body = torch_tab[2:]
    assert [r[:2] for r in body] == [["`cross_entropy` (8, 10)", "fwd"], ["`mse_loss` 16M", "fwd"]]
    for r in body:
        for cell in (r[2], r[5]):  # lossx times at 1 and 2 threads
            assert re.fullmatch(r"\d+\.\d+ (µs|ms)", cell), cell
        assert r[3] == r[4] == "–"  # no PyTorch in smoke mode
        assert re.fullmatch(r"\d+\.\d\d×", r[8]), r[8]
    floor_tab = _table(text, "lossx vs the NumPy bandwidth floor")
    assert floor_tab[0][:3] == ["row", "pass", "floor"] and len(floor_tab) == 3
    assert floor_tab[2][:3] == ["`mse_loss` 16M", "fwd", "dot"]
    assert re.fullmatch(r"\d+ %", floor_tab[2][5]), floor_tab[2]
    assert "JAX: not run" in text
    data = json.loads(js.read_text())
    row = data["rows"]["mse_loss/16M/fwd"]
    for th in ("1", "2"):
        d = row["t"][th]
        assert d["lossx"] > 0 and d["floor"] > 0 and d["n"] == 1
        assert d["torch"] is None and d["jax"] is None
    assert row["floor"] == "dot" and row["mode"] == "fwd"
    results = md.read_text()
    assert results.startswith("# lossx benchmark results")
    for what in ("| CPU |", "| lossx | commit", "| load average", "--smoke"):
        assert what in results


def test_rows_cover_issue_11():
    spec = importlib.util.spec_from_file_location("bench_cases", os.path.join(ROOT, "bench", "bench_cases.py"))
    cases = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench_cases", cases)  # dataclasses looks the module up
    spec.loader.exec_module(cases)
    ids = set(cases.ROWS_BY_ID)
    need = ["cross_entropy/8x10/fwd", "cross_entropy/64x10/fwd", "cross_entropy/256x1000/fwd",
            "cross_entropy/fwd+bwd", "cross_entropy/probs/fwd+bwd", "cross_entropy/none/fwd",
            "triplet_margin_loss/fwd+bwd", "ctc_loss/T200/fwd+bwd", "ctc_loss/T500/fwd+bwd",
            "softmax/fwd", "log_softmax/fwd", "nll_loss/fwd+bwd"]
    need += [f"{n}/16M/{m}" for n in ("mse_loss", "l1_loss", "smooth_l1_loss", "binary_cross_entropy_with_logits")
             for m in ("fwd", "fwd+bwd")]
    assert not set(need) - ids
    # every loss of lossx with a PyTorch counterpart has a row (batch_hard_triplet_loss has none)
    losses = {r.loss for r in cases.ROWS}
    public = {n[: -len("_with_grad")] for n in dir(lossx) if n.endswith("_with_grad")}
    missing = public - losses - {"batch_hard_triplet_loss"}
    assert not missing, f"losses without a benchmark row (add one to bench/bench_cases.py): {sorted(missing)}"
    for r in cases.ROWS:
        assert r.floor is None or r.floor in cases.FLOORS
        assert r.mode in ("fwd", "fwd+bwd")


def test_list_and_bad_row_name():
    out = _run("--list").stdout
    assert "mse_loss/16M/fwd+bwd" in out and "ctc_loss/T500/fwd+bwd" in out
    proc = subprocess.run([sys.executable, RUN, "--smoke", "--rows", "no_such_loss"], capture_output=True, text=True,
                          env=_env(), timeout=60)
    assert proc.returncode != 0 and "no_such_loss" in proc.stderr


@pytest.mark.requires_torch
def test_smoke_with_torch_writes_the_plot(tmp_path):
    pytest.importorskip("matplotlib")
    png = tmp_path / "s.png"
    proc = _run("--smoke", "--torch", "--rows", "cross_entropy/8x10/fwd", "--plot", str(png))
    row = _table(proc.stdout, "lossx vs PyTorch")[2]
    assert re.fullmatch(r"\d+\.\d\d×", row[4]), row
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_rerun_keeps_the_hand_written_notes(tmp_path):
    md = tmp_path / "RESULTS.md"
    _run("--smoke", "--out", str(md))
    first = md.read_text()
    assert first.count("<!-- notes below are kept by bench/run.py -->") == 1
    md.write_text(first + "\nThe per-call breakdown: measured by hand.\n")
    _run("--smoke", "--out", str(md))
    second = md.read_text()
    assert second.count("<!-- notes below are kept by bench/run.py -->") == 1
    assert second.endswith("\nThe per-call breakdown: measured by hand.\n")


def test_pool_merges_the_samples_of_runs(tmp_path):
    a, b, md = tmp_path / "a.json", tmp_path / "b.json.gz", tmp_path / "p.md"
    for js in (a, b):
        _run("--smoke", "--rows", "mse_loss/16M/fwd", "--threads", "1", "--json", str(js), "--out", str(tmp_path / "x.md"))
    pooled = tmp_path / "p.json"
    proc = _run("--pool", str(a), str(b), "--out", str(md), "--plot", str(tmp_path / "p.png"), "--json", str(pooled))
    assert _table(proc.stdout, "lossx vs the NumPy bandwidth floor")[2][:3] == ["`mse_loss` 16M", "fwd", "dot"]
    runs = [json.loads(a.read_text()), json.loads(gzip.decompress(b.read_bytes()))]  # --json NAME.gz: compressed
    data = json.loads(pooled.read_text())
    for lib in ("native:lossx", "native:floor"):
        both = sorted(runs[0]["raw"]["1"]["samples"]["mse_loss/16M/fwd"][lib]
                      + runs[1]["raw"]["1"]["samples"]["mse_loss/16M/fwd"][lib])
        assert sorted(data["raw"]["1"]["samples"]["mse_loss/16M/fwd"][lib]) == both
    row = data["rows"]["mse_loss/16M/fwd"]["t"]["1"]
    assert row["n"] == 2 and row["lossx"] == pytest.approx(sum(runs[i]["rows"]["mse_loss/16M/fwd"]["t"]["1"]["lossx"]
                                                              for i in (0, 1)) / 2)
    text = md.read_text()
    assert "2 runs pooled" in text and text.count("--smoke") == 2
