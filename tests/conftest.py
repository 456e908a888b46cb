import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))

import cases as _cases  # noqa: E402


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
