"""Typing: the package is typed (py.typed, _core.pyi in sync with the binding) and passes
``mypy --strict``; public functions carry real annotations, and a type checker sees each
loss's PyTorch signature (a call missing an argument is an error before it runs)."""

from __future__ import annotations

import importlib.util
import os
import pathlib
import subprocess
import sys

import pytest

import lossx

ROOT = pathlib.Path(__file__).resolve().parent.parent
PKG = pathlib.Path(lossx.__file__).resolve().parent


def _mypy(*args: str, cwd: pathlib.Path) -> subprocess.CompletedProcess[str]:
    if importlib.util.find_spec("mypy") is None:
        pytest.skip("mypy is not installed (pip install '.[test]')")
    env = dict(os.environ)
    if "site-packages" not in str(PKG):
        # lossx imported from the source tree (PYTHONPATH=python): mypy reads MYPYPATH, not PYTHONPATH.
        # An installed lossx is found in site-packages (it has py.typed).
        env["MYPYPATH"] = str(PKG.parent)
    return subprocess.run([sys.executable, "-m", "mypy", "--no-incremental", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=300, env=env)


def test_package_is_marked_typed():
    assert (PKG / "py.typed").exists()
    assert (PKG / "_core.pyi").exists()


@pytest.mark.skipif(not (ROOT / "scripts" / "gen_core_stub.py").exists(), reason="needs the source tree")
def test_core_stub_matches_the_binding():
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import gen_core_stub
    finally:
        sys.path.pop(0)
    assert (PKG / "_core.pyi").read_text() == gen_core_stub.render(), "run python scripts/gen_core_stub.py"


def test_public_functions_are_annotated():
    for name in lossx.__all__:
        f = getattr(lossx, name)
        ann = getattr(f, "__annotations__", {})
        if name.endswith(("_backward", "_with_grad", "_partial")):
            continue  # generated from the annotated forward function (their __signature__ carries the types)
        assert "return" in ann, name
        params = [p for p in __import__("inspect").signature(f).parameters]
        assert all(p in ann for p in params), (name, params, ann)
    assert lossx.cross_entropy.__annotations__["return"]


@pytest.mark.requires_torch  # lossx.torch is checked against PyTorch's own type hints
@pytest.mark.skipif(not (ROOT / "python" / "lossx").exists(), reason="needs the source tree")
def test_mypy_strict_on_the_package():
    out = _mypy("--strict", "python/lossx", cwd=ROOT)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]


def test_user_code_is_checked_against_the_signatures(tmp_path):
    good = tmp_path / "good.py"
    good.write_text(
        "import numpy as np\nimport lossx\n"
        "x = np.zeros((4, 3))\ny = np.array([0, 1, 2, 0])\n"
        "loss = lossx.cross_entropy(x, y, label_smoothing=0.1)\n"
        "g = lossx.cross_entropy_backward(1.0, x, y)\n"
        "t, d = lossx.mse_loss_partial(x, x, reduction='sum')\n"
        "total: float = t + d\n"
    )
    bad = tmp_path / "bad.py"
    bad.write_text("import numpy as np\nimport lossx\nlossx.mse_loss(np.zeros(3), np.zeros(3), 'sum')\n")
    ok = _mypy("--strict", str(good), cwd=tmp_path)
    assert ok.returncode == 0, ok.stdout
    ko = _mypy(str(bad), cwd=tmp_path)
    # mypy names the callee '"__call__" of "LossFunction"' (every loss's type), not mse_loss: the error
    # must be on line 3, the mse_loss call, and be about its arguments (reduction is keyword-only).
    assert ko.returncode != 0 and "bad.py:3: error: Too many positional arguments" in ko.stdout, ko.stdout
