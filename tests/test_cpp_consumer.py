"""The C++ library on its own: build it without Python (with its C++ tests), run ctest,
install its CMake package, build examples/cpp against it with find_package(lossx), run it,
check its numbers. One C++ build serves all three.

Marked slow (a few minutes on 2 cores): run with --run-slow or LOSSX_RUN_SLOW=1, as .ci/run does.
Needs cmake and a C++17 compiler (cmake comes with the test extra). Skipped where
they are missing, except in CI (CI=true), where a missing tool is a failure.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent


def _tool(name):
    path = shutil.which(name)
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{name} is required in CI for the C++ consumer test")
        pytest.skip(f"{name} not found")
    return path


def _run(*cmd, cwd=None):
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, f"{' '.join(map(str, cmd))} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc.stdout


@pytest.mark.slow
@pytest.mark.skipif(not (ROOT / "cpp" / "CMakeLists.txt").exists(), reason="needs the source tree")
def test_ctest_installed_cmake_package_and_example(tmp_path):
    cmake = _tool("cmake")
    if shutil.which("c++") is None and shutil.which("g++") is None:
        _tool("c++")
    gen = ["-G", "Ninja"] if shutil.which("ninja") else []
    build, prefix, example = tmp_path / "build", tmp_path / "prefix", tmp_path / "example"
    _run(cmake, "-S", str(ROOT), "-B", str(build), *gen, f"-DCMAKE_INSTALL_PREFIX={prefix}",
         "-DCMAKE_BUILD_TYPE=Release", "-DLOSSX_BUILD_PYTHON=OFF", "-DLOSSX_BUILD_TESTS=ON")
    _run(cmake, "--build", str(build), "-j", str(os.cpu_count() or 2))
    ctest_out = _run(_tool("ctest"), "--test-dir", str(build), "--output-on-failure")
    assert "100% tests passed" in ctest_out, ctest_out
    _run(cmake, "--install", str(build))
    assert (prefix / "include" / "lossx" / "lossx.hpp").exists()
    _run(cmake, "-S", str(ROOT / "examples" / "cpp"), "-B", str(example), *gen, f"-DCMAKE_PREFIX_PATH={prefix}")
    _run(cmake, "--build", str(example))
    exe = next(p for p in example.rglob("lossx_example*") if p.is_file() and os.access(p, os.X_OK))
    out = _run(str(exe)).splitlines()

    # NumPy reference: mean cross-entropy of two rows [1, 2, 3] with targets 2 and 0.
    x = np.array([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]])
    y = np.array([2, 0])
    p = np.exp(x - x.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    loss = -np.log(p[np.arange(2), y]).mean()
    grad = (p - np.eye(3)[y]) / 2

    assert out[0].startswith("loss ")
    np.testing.assert_allclose(float(out[0].split()[1]), loss, rtol=1e-11)
    np.testing.assert_allclose([float(v) for v in out[1].split()[1:]], grad.ravel(), atol=1e-11)
    assert out[2].startswith("error cross_entropy: 'target' must hold class indices in [0, 3)")
    assert int(out[3].split()[1]) >= 1
