"""Shared fixtures and the two opt-in markers (registered in pyproject.toml):

- ``requires_torch``: the test compares against PyTorch. Skipped when ``import torch`` fails,
  except under ``LOSSX_REQUIRE_TORCH=1`` (.ci/run's run with PyTorch installed), where a missing
  torch stops the run with an error instead of turning every comparison into a skip.
- ``slow``: the test builds the C++ library (minutes). Skipped unless ``--run-slow`` or
  ``LOSSX_RUN_SLOW=1`` (.ci/run turns it on).
"""

import os
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
    for item in items:
        if not run_slow and item.get_closest_marker("slow"):
            item.add_marker(skip_slow)
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


# Markers of the reliability tests (their pyproject registration is in docs/RELIABILITY.md;
# registering here too keeps --strict-markers happy until it lands, and duplicates are harmless).
def pytest_configure(config):
    config.addinivalue_line("markers", "slow: takes more than a few seconds")
    # hypothesis' failure report imports mypy_extensions (when installed), which warns on import;
    # with filterwarnings = error that warning would replace the report of the real failure.
    config.addinivalue_line("filterwarnings", "ignore:mypy_extensions.TypedDict is deprecated:DeprecationWarning")
    config.addinivalue_line("markers", "bigmem: needs about 20 GiB of memory; opt-in with LOSSX_BIGMEM=1 or -m bigmem")


def pytest_collection_modifyitems(config, items):
    """bigmem tests run only when asked for: LOSSX_BIGMEM=1, or a -m expression naming bigmem."""
    import re

    if os.environ.get("LOSSX_BIGMEM") == "1" or re.search(r"(?<!not )\bbigmem\b", config.getoption("-m") or ""):
        return
    skip = pytest.mark.skip(reason="needs ~20 GiB: opt in with LOSSX_BIGMEM=1 or -m bigmem")
    for item in items:
        if "bigmem" in item.keywords:
            item.add_marker(skip)
