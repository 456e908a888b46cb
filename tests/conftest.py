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
