"""Every registered case against torch.nn.functional (forward and backward).

Marked requires_torch: skipped where PyTorch is not installed (conftest.py), except under
LOSSX_REQUIRE_TORCH=1 (.ci/run's run with the CPU build), where a missing torch fails.
"""

from __future__ import annotations

import numpy as np
import pytest

from helpers import fn, grads_tuple, random_grad_output

try:
    import torch
except ImportError:  # the tests below are skipped (conftest.py)
    torch = None

pytestmark = pytest.mark.requires_torch

TOL = {np.float64: dict(rtol=1e-10, atol=1e-12), np.float32: dict(rtol=1e-5, atol=1e-5)}


def to_torch(v, requires_grad=False):
    if isinstance(v, (np.ndarray, np.generic)):
        a = np.asarray(v)
        if a.dtype.kind in "iu":
            return torch.from_numpy(a.astype(np.int64))
        t = torch.from_numpy(np.array(a, copy=True))
        return t.requires_grad_(requires_grad)
    return v


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_matches_torch(loss_case, dtype, rng):
    if not loss_case.torch:
        pytest.skip("not comparable with PyTorch (see the case)")
    F = torch.nn.functional
    args, kwargs = loss_case.make(rng, dtype, 8)
    for r in loss_case.reductions:
        targs = [to_torch(a, i in loss_case.diff) for i, a in enumerate(args)]
        tkw = {k: to_torch(v) for k, v in kwargs.items()}
        if loss_case.torch_fn is not None:
            tout = loss_case.torch_fn(F, *targs, reduction=r, **tkw)
        else:
            tout = getattr(F, loss_case.name)(*targs, reduction=r, **tkw)
        got = fn(loss_case)(*args, reduction=r, **kwargs)
        np.testing.assert_allclose(got, tout.detach().numpy(), **TOL[dtype], err_msg=f"forward {r}")
        g = random_grad_output(rng, loss_case, args, kwargs, r, dtype)
        tout.backward(torch.as_tensor(np.asarray(g)))
        grads = grads_tuple(fn(loss_case, "_backward")(g, *args, reduction=r, **kwargs), loss_case)
        for pos, grad in zip(loss_case.diff, grads):
            np.testing.assert_allclose(grad, targs[pos].grad.numpy(), **TOL[dtype], err_msg=f"backward {r} arg {pos}")
