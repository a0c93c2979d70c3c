"""Norm layers against PyTorch: every flag combination, several consecutive steps.

The reference values come from ``tests/fixtures/make_norm_fixtures.py`` (PyTorch CPU);
each configuration replays the same inputs through the minigrad layer and compares
outputs, the gradients of input, weight and bias, and the running buffers (including
``num_batches_tracked``) after every step, in training and then evaluation mode.
"""

import json

import numpy as np
import pytest
from conftest import load_fixture, to_numpy

import minigrad
from minigrad import nn

# every test here runs on NumPy's CPU path and on the compiled kernels (minigrad.jit)
pytestmark = pytest.mark.usefixtures("cpu_kernels")

FIX = load_fixture("norm_modules")
CONFIGS = sorted({k.split("__")[0] for k in FIX.files})


def _meta(cid):
    return json.loads(str(FIX[cid + "__meta"]))


def _ids(cid):
    m = _meta(cid)
    kw = ",".join(f"{k}={v}" for k, v in m["kwargs"].items() if k not in ("num_features",))
    return f"{cid}-{m['layer']}{tuple(m['shape'])}-{kw}"


def _close(got, want, what, rtol=2e-4, atol=2e-5):
    np.testing.assert_allclose(to_numpy(got), want, rtol=rtol, atol=atol, err_msg=what)


@pytest.mark.parametrize("cid", CONFIGS, ids=[_ids(c) for c in CONFIGS])
def test_layer_matches_pytorch(cid, device):
    meta = _meta(cid)
    kw = dict(meta["kwargs"])
    if "normalized_shape" in kw:
        kw["normalized_shape"] = tuple(kw["normalized_shape"])
    m = getattr(nn, meta["layer"])(**kw, device=device)
    for name in ("weight", "bias"):
        key = f"{cid}__{name}0"
        if key in FIX.files:
            getattr(m, name)._data[...] = minigrad.tensor(FIX[key], device=device)._data
        else:
            assert getattr(m, name, None) is None
    for k, mode in enumerate(meta["modes"]):
        s = f"{cid}__s{k}_"
        m.train(mode == "train")
        x = minigrad.tensor(FIX[s + "x"], device=device, requires_grad=True)
        m.zero_grad()
        y = m(x)
        assert y.dtype == minigrad.float32
        y.backward(minigrad.tensor(FIX[s + "gy"], device=device))
        where = f"step {k} ({mode})"
        _close(y, FIX[s + "out"], f"output, {where}")
        _close(x.grad, FIX[s + "gx"], f"grad of input, {where}", atol=1e-4)
        for name in ("weight", "bias"):
            if s + "g" + name in FIX.files:
                _close(getattr(m, name).grad, FIX[s + "g" + name], f"grad of {name}, {where}")
        for name in ("running_mean", "running_var", "num_batches_tracked"):
            buf = getattr(m, name, None)
            if s + name in FIX.files:
                assert buf is not None, f"{name} missing"
                if name == "num_batches_tracked":
                    assert buf.dtype == minigrad.int64
                    assert int(buf.item()) == int(FIX[s + name]), where
                else:
                    _close(buf, FIX[s + name], f"{name}, {where}")
            else:
                assert buf is None, f"{name} should be None"
