"""Shared fixtures and the opt-in markers (registered in pyproject.toml; bigmem below):

- ``requires_torch``: the test compares against PyTorch. Skipped when ``import torch`` fails,
  except under ``LOSSX_REQUIRE_TORCH=1`` (.ci/run's run with PyTorch installed), where a missing
  torch stops the run with an error instead of turning every comparison into a skip.
- ``slow``: the test builds the C++ library (minutes). Skipped unless ``--run-slow`` or
  ``LOSSX_RUN_SLOW=1`` (.ci/run turns it on).
- ``bigmem``: the test needs ~20 GiB (tests/test_sizes.py). Skipped unless ``LOSSX_BIGMEM=1`` or a
  ``-m`` expression names it; .ci/run does not.
"""

import os
import re
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))

import cases as _cases  # noqa: E402


def pytest_addoption(parser):
    parser.addoption("--run-slow", action="store_true", default=False,
                     help="also run the tests marked slow (the C++ build, ctest and the example consumer); "
                          "same as LOSSX_RUN_SLOW=1")


def _torch_import_error():
    """None if torch imports, else why it does not."""
    try:
        import torch  # noqa: F401
    except ImportError as e:
        return str(e)
    return None


def pytest_configure(config):
    # hypothesis' failure report imports mypy_extensions (when installed), which warns on import;
    # with filterwarnings = error that warning would replace the report of the real failure.
    config.addinivalue_line("filterwarnings", "ignore:mypy_extensions.TypedDict is deprecated:DeprecationWarning")
    if os.environ.get("LOSSX_REQUIRE_TORCH") == "1":
        why = _torch_import_error()
        if why is not None:
            raise pytest.UsageError(f"LOSSX_REQUIRE_TORCH=1 but torch does not import ({why}): "
                                    "the PyTorch comparison tests would all be skipped")


def pytest_collection_modifyitems(config, items):
    run_slow = config.getoption("--run-slow") or os.environ.get("LOSSX_RUN_SLOW") == "1"
    skip_slow = pytest.mark.skip(reason="slow: builds the C++ library; run with --run-slow or LOSSX_RUN_SLOW=1")
    torch_items = [item for item in items if item.get_closest_marker("requires_torch")]
    why = _torch_import_error() if torch_items else None
    # bigmem runs only when asked for: LOSSX_BIGMEM=1, or a -m expression naming it (not "not bigmem").
    run_bigmem = os.environ.get("LOSSX_BIGMEM") == "1" or re.search(r"(?<!not )\bbigmem\b", config.getoption("-m") or "")
    skip_bigmem = pytest.mark.skip(reason="bigmem: needs ~20 GiB; opt in with LOSSX_BIGMEM=1 or -m bigmem")
    for item in items:
        if not run_slow and item.get_closest_marker("slow"):
            item.add_marker(skip_slow)
        if not run_bigmem and item.get_closest_marker("bigmem"):
            item.add_marker(skip_bigmem)
    if why is not None:
        skip_torch = pytest.mark.skip(reason=f"requires_torch: PyTorch is not installed ({why})")
        for item in torch_items:
            item.add_marker(skip_torch)


def pytest_generate_tests(metafunc):
    if "loss_case" in metafunc.fixturenames:
        metafunc.parametrize("loss_case", _cases.CASES, ids=[c.id for c in _cases.CASES])


@pytest.fixture
def rng():
    return np.random.default_rng(12345)
