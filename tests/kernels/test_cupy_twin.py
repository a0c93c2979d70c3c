"""The CuPy twin (``pytest --cupy-twin``) is strict where a GPU is: each check here is a
mistake the twin must catch on the CPU, and a faithful behaviour it must keep."""

import os
import sys

import cupy_twin
import numpy as np
import pytest

import minigrad
from minigrad import backend

CP = cupy_twin.build()["cupy"]
CUPYX = cupy_twin.build()["cupyx"]


def test_names_come_from_cupy_and_nothing_else():
    assert cupy_twin.VERSION.startswith("CuPy ")
    for name in ("exp", "einsum", "take_along_axis", "asnumpy", "ElementwiseKernel"):
        assert hasattr(CP, name), name
    for missing in ("vecdot", "errstate", "unstack"):  # NumPy has them, CuPy does not
        assert hasattr(np, missing)
        with pytest.raises(AttributeError, match="only names that CuPy"):
            getattr(CP, missing)
    a = CP.ones(3)
    assert callable(a.searchsorted)  # NumPy's methods that CuPy's array has are there...
    for missing in ("resize", "setflags", "getfield", "ctypes"):  # ... the others are not
        with pytest.raises(AttributeError):
            getattr(a, missing)
    assert CP.float32 is np.float32  # dtypes are NumPy's, as in CuPy


def test_arrays_refuse_numpy():
    a = CP.arange(3.0)
    assert not isinstance(a, np.ndarray)
    with pytest.raises(TypeError, match="Implicit conversion to a NumPy array"):
        np.asarray(a)
    for mix in (lambda: a + np.ones(3), lambda: np.ones(3) + a, lambda: CP.maximum(a, np.ones(3))):
        with pytest.raises(TypeError, match="Unsupported type"):
            mix()
    with pytest.raises(TypeError, match="Unsupported type"):
        CP.concatenate([a, np.ones(3)])
    with pytest.raises(TypeError):
        CP.exp([1.0, 2.0])  # CuPy's ufuncs take no lists


def test_arguments_are_checked_against_cupys_signatures():
    a = CP.ones((2, 3))
    assert float(CP.sum(a, axis=0, keepdims=True).sum()) == 6.0
    with pytest.raises(TypeError, match="unexpected keyword argument 'where'"):
        CP.sum(a, where=a > 0)  # NumPy has where=, CuPy does not
    with pytest.raises(TypeError):
        CP.argsort(a, stable=True)


def test_faithful_behaviour():
    a = CP.asarray(np.array([[3.0, 1.0], [2.0, 2.0]], np.float32))
    s = a.sum()
    assert isinstance(s, CP.ndarray) and s.ndim == 0  # 0-d device array, not a scalar
    assert float(s) == 8.0 and a.dtype == np.float32
    assert isinstance(a.get(), np.ndarray) and isinstance(CP.asnumpy(a), np.ndarray)
    np.testing.assert_array_equal(np.exp(a).get(), np.exp(a.get()))  # NEP 13/18 dispatch
    np.testing.assert_array_equal(CP.argsort(CP.asarray([1, 0, 1, 0])).get(), [1, 3, 0, 2])
    b = a[0]
    b *= 2  # views share memory
    assert a[0, 0].item() == 6.0
    CP.add.at(a, (CP.asarray([1, 1]),), 1.0)
    assert a.get()[1].tolist() == [4.0, 4.0]


def test_generator_has_only_cupys_methods():
    g = CP.random.default_rng(0)
    x = g.standard_normal((2, 3), dtype=np.float32)
    assert isinstance(x, CP.ndarray) and x.dtype == np.float32
    with pytest.raises(AttributeError, match="permutation"):
        g.permutation(3)


def test_host_reads_are_recorded_and_can_be_forbidden():
    a = CP.ones(2)
    start = len(cupy_twin.TRANSFERS)
    a.get()
    bool(a[0])
    kinds = [t[1] for t in cupy_twin.TRANSFERS[start:]]
    assert kinds == ["ndarray.get()", "bool(ndarray)"]
    assert cupy_twin.TRANSFERS[-1][2].startswith(__file__)  # the call site is this test
    with CUPYX.allow_synchronize(False), pytest.raises(CUPYX.DeviceSynchronized):
        float(a[0])
    del cupy_twin.TRANSFERS[start:]


def test_op_code_round_trips_fail_and_scalar_reads_are_counted(monkeypatch):
    from collections import Counter

    import conftest

    monkeypatch.setattr(conftest, "DEVICE_SYNCS", Counter())

    site = conftest.MINIGRAD_DIR + "ops/foo.py:12 (forward)"
    allowed = conftest.MINIGRAD_DIR + "tensor.py:3 (item)"
    copies = conftest._op_host_reads(
        [("d2h", "ndarray.get()", site), ("d2h", "ndarray.item()", allowed), ("h2d", "x", site)]
    )
    assert copies == ["ndarray.get() at minigrad/ops/foo.py:12 (forward)"]
    before = sum(conftest.DEVICE_SYNCS.values())
    assert conftest._op_host_reads([("d2h", "bool(ndarray)", site)]) == []
    assert sum(conftest.DEVICE_SYNCS.values()) == before + 1


def test_elementwise_kernel_runs_its_formula_and_checks_types():
    k = CP.ElementwiseKernel("T x, T m, T k, T c", "Y y", "y = (Y)((x - m) * k + c)", "fwd")
    x = CP.asarray(np.arange(6, dtype=np.float32).reshape(2, 3))
    m, s, c = (CP.asarray(np.array([[v]], np.float32)) for v in (1.0, 2.0, 0.5))
    out = CP.empty((2, 3), dtype=np.float16)
    assert k(x, m, s, c, out) is out
    np.testing.assert_array_equal(out.get(), ((np.arange(6).reshape(2, 3) - 1) * 2 + 0.5))
    assert out.dtype == np.float16
    with pytest.raises(TypeError, match="Type is mismatched"):
        k(x, CP.zeros((1, 1), dtype=np.float64), s, c, out)
    with pytest.raises(TypeError, match="Unsupported type"):
        k(x, np.zeros((1, 1), np.float32), s, c, out)
    with pytest.raises(NotImplementedError, match="register a NumPy reference"):
        CP.ElementwiseKernel("T x", "T y", "y = x > 0 ? x : 0", "relu")(x)


def test_reduction_kernel_and_raw_kernel():
    dot = CP.ReductionKernel("T a, T b", "T s", "a * b", "x + y", "s = a", "0", "dot")
    a = CP.asarray(np.arange(24.0).reshape(2, 3, 4))
    got = dot(a, a, axis=(0, 2))
    np.testing.assert_allclose(got.get(), (a.get() ** 2).sum(axis=(0, 2)))
    raw = CP.RawKernel("extern C __global__ void twice(...) {...}", "twice")
    with pytest.raises(NotImplementedError, match="RawKernel 'twice'"):
        raw((1,), (1,), (a,))
    cupy_twin.REFERENCES["twice"] = lambda x: np.multiply(x, 2, out=x)
    try:
        raw((1,), (1,), (a,))
    finally:
        del cupy_twin.REFERENCES["twice"]
    assert a.get()[1, 2, 3] == 46.0


def test_minigrad_norm_kernels_match_the_numpy_path(monkeypatch):
    """minigrad's CuPy kernels (the fused norm passes), run through the twin, give the
    NumPy path's values."""
    from minigrad.ops.kernels.cuda import norm_cupy as nc
    from minigrad.ops.nn.norm import norm_kernels as nk

    monkeypatch.setitem(sys.modules, "cupy", CP)
    monkeypatch.setattr(nc, "_KERNELS", None)
    rng = np.random.default_rng(0)
    x, g = (rng.standard_normal((3, 4, 5)).astype(np.float32) for _ in range(2))
    m, k, c, c2 = (rng.standard_normal((1, 4, 1)).astype(np.float32) for _ in range(4))
    want_dot = nk.chan_dot(x, g)
    want_fwd = nk.fwd_affine(x, m, k, c, np.empty_like(x))
    want_bwd = nk.bwd_combine(g, x, m, c2, c, k, np.empty_like(x), np.empty_like(x))
    dx, dg, dm, dk, dc, dc2 = (CP.asarray(a) for a in (x, g, m, k, c, c2))
    monkeypatch.setattr(backend, "_cupy", CP)
    np.testing.assert_allclose(nc.chan_dot(dx, dg).get(), want_dot, rtol=1e-5)
    np.testing.assert_allclose(nc.fwd_affine(dx, dm, dk, dc, CP.empty_like(dx)).get(), want_fwd)
    got = nc.bwd_combine(dg, dx, dm, dc2, dc, dk, CP.empty_like(dx), None).get()
    np.testing.assert_allclose(got, want_bwd, rtol=1e-6, atol=1e-6)
    monkeypatch.setattr(nc, "_KERNELS", None)


def test_cuda_device_of_the_twin():
    assert CP.cuda.runtime.getDeviceCount() == 1
    with CP.cuda.Device(0):
        assert CP.cuda.Device().id == 0
    with pytest.raises(RuntimeError, match="invalid device ordinal"):
        CP.cuda.Device(1).use()
    assert isinstance(minigrad.cuda.is_available(), bool)


def test_a_training_step_reads_the_device_only_where_known(monkeypatch):
    """A conv/norm/pool/linear training step on "cuda" reads device values on the host
    only in the loss's target checks: pooling, convolution, the norms, ReLU and SGD never
    stall a GPU (a regression guard for the reads the twin found and that were removed)."""
    import minigrad.nn as nn
    import minigrad.nn.functional as F
    from minigrad.ops.kernels.cuda import norm_cupy

    monkeypatch.setitem(sys.modules, "cupy", CP)
    monkeypatch.setattr(backend, "_cupy", CP)
    monkeypatch.setattr(norm_cupy, "_KERNELS", None)
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(4, 4, 3, padding=1), nn.GroupNorm(2, 4), nn.ReLU(), nn.AvgPool2d(2),
        nn.AdaptiveMaxPool2d(3), nn.Flatten(), nn.LayerNorm(36), nn.Linear(36, 10),
    ).to("cuda")  # fmt: skip
    opt = minigrad.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    rng = np.random.default_rng(0)
    x = minigrad.tensor(rng.standard_normal((8, 1, 10, 10)).astype(np.float32), device="cuda")
    y = minigrad.tensor(rng.integers(0, 10, 8), device="cuda")
    start = len(cupy_twin.TRANSFERS)
    for _ in range(2):
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
    package = os.path.dirname(os.path.abspath(minigrad.__file__)) + os.sep
    reads = {
        site[len(package) :].split(":")[0] + " " + site.rsplit("(", 1)[-1].rstrip(")")
        for d, _, site in cupy_twin.TRANSFERS[start:]
        if d == "d2h" and site.startswith(package)
    }
    del cupy_twin.TRANSFERS[start:]
    monkeypatch.setattr(norm_cupy, "_KERNELS", None)
    assert reads <= {"ops/nn/loss/loss.py _check_target", "ops/nn/loss/cross_entropy.py forward"}, (
        reads
    )
