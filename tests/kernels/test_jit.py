"""The optional compiled CPU kernels (minigrad.jit): switching, thread splits, fallbacks.

The ops that have kernels are tested on both paths by their own modules (the
``cpu_kernels`` fixture); here are the properties of the machinery itself.
"""

import threading

import numpy as np
import pytest
from conftest import JIT_SKIP, assert_compiled_matches_numpy, norm_case_outputs, to_numpy

import minigrad
import minigrad.nn.functional as F
from minigrad import jit

needs_numba = pytest.mark.skipif(JIT_SKIP is not None, reason=f"numba: Numba is {JIT_SKIP}")


def _norm_cases():
    """(name, fn(x, w, b), x shape, affine shape) covering every layout of the core."""
    return [
        ("batch3d", lambda x, w, b: F.batch_norm(x, None, None, w, b, True), (6, 4, 5), 4),
        ("batch2d", lambda x, w, b: F.batch_norm(x, None, None, w, b, True), (9, 4), 4),
        ("batch_plain", lambda x, w, b: F.batch_norm(x, None, None, training=True), (5, 4, 3), 4),
        ("group", lambda x, w, b: F.group_norm(x, 2, w, b), (5, 4, 3, 2), 4),
        ("group_noaffine", lambda x, w, b: F.group_norm(x, 2), (5, 4, 6), 4),
        ("instance", lambda x, w, b: F.instance_norm(x, None, None, w, b), (3, 4, 7), 4),
        ("layer", lambda x, w, b: F.layer_norm(x, (4, 3), w, b), (5, 4, 3), (4, 3)),
        ("layer_bias_only", lambda x, w, b: F.layer_norm(x, (4,), None, b), (7, 4), 4),
        ("rms", lambda x, w, b: F.rms_norm(x, (4, 3), w), (5, 4, 3), (4, 3)),
        ("renorm", lambda x, w, b: F.batch_renorm(
            x, minigrad.zeros(4, dtype=x.dtype) + 0.5, minigrad.ones(4, dtype=x.dtype) * 2, w, b,
            True, rmax=2.0, dmax=1.0), (6, 4, 5), 4),
    ]  # fmt: skip


def _run(fn, shape, k, dtype, seed=0):
    """Output and every gradient of ``fn`` on fixed random data, as float64 arrays."""
    return [a.astype(np.float64) for a in norm_case_outputs(fn, shape, k, dtype, seed)]


def test_switching_restores_the_setting():
    before = jit.enabled()
    with jit.enabled_as(False):
        assert not jit.enabled()
        with jit.enabled_as(True):
            assert jit.enabled() == jit.available()
        assert not jit.enabled()
    assert jit.enabled() == before
    old = jit.set_enabled(False)
    assert jit.set_enabled(old) is False


def test_without_numba_the_numpy_path_runs(monkeypatch):
    """No Numba: enabled() is False, every norm still works, and a kernel says why it
    cannot run instead of failing obscurely."""
    monkeypatch.setitem(jit._state, "available", False)
    assert not jit.enabled()
    for name, fn, shape, k in _norm_cases():
        out = _run(fn, shape, k, "float64")
        assert all(np.isfinite(a).all() for a in out), name
    from minigrad.ops.kernels.cpu import norm_jit

    norm_jit._shared_stats._compiled = None  # force the compile step
    with pytest.raises(RuntimeError, match="_shared_stats needs Numba"):
        norm_jit._shared_stats.compiled()


@needs_numba
@pytest.mark.parametrize("dtype", ["float64", "float32", "float16"])
def test_compiled_kernels_match_the_numpy_path(dtype):
    tol = {"float64": 1e-12, "float32": 3e-5, "float16": 2e-2}[dtype]
    assert_compiled_matches_numpy(_norm_cases(), dtype, tol)


@needs_numba
def test_results_do_not_depend_on_the_thread_split(monkeypatch):
    """Every iteration of a kernel's outer loop is computed whole by one call, so any
    split over threads gives bit-identical results."""
    monkeypatch.setattr(jit, "SERIAL_BELOW", 0)  # split even these small arrays
    results = {}
    with jit.enabled_as(True):
        for threads in (1, 2, 3, 5):
            monkeypatch.setattr(jit, "NUM_THREADS", threads)
            jit._pool_state["pool"] = None  # a pool of the new size
            results[threads] = [_run(fn, shape, k, "float32") for _, fn, shape, k in _norm_cases()]
    jit._pool_state["pool"] = None
    for threads in (2, 3, 5):
        for case_a, case_b in zip(results[1], results[threads]):
            for a, b in zip(case_a, case_b):
                np.testing.assert_array_equal(a, b)


@needs_numba
def test_concurrent_callers_get_their_own_results(monkeypatch):
    """Two Python threads running norms at once (sharing the kernel thread pool) get
    the same results as one after the other."""
    monkeypatch.setattr(jit, "SERIAL_BELOW", 0)
    monkeypatch.setattr(jit, "NUM_THREADS", 2)
    jit._pool_state["pool"] = None
    cases = _norm_cases()
    with jit.enabled_as(True):
        expected = [
            _run(fn, shape, k, "float64", seed=i) for i, (_, fn, shape, k) in enumerate(cases)
        ]
        got = [None] * len(cases)

        def work(i):
            _, fn, shape, k = cases[i]
            for _ in range(5):
                got[i] = _run(fn, shape, k, "float64", seed=i)

        threads = [threading.Thread(target=work, args=(i,)) for i in range(len(cases))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    jit._pool_state["pool"] = None
    for e, g in zip(expected, got):
        for a, b in zip(e, g):
            np.testing.assert_array_equal(a, b)


@needs_numba
def test_large_inputs_take_the_threaded_path(monkeypatch):
    """Above SERIAL_BELOW the loop is split (counted in jit.SPLITS); below it, not; values
    agree with the NumPy path either way."""
    monkeypatch.setattr(jit, "SERIAL_BELOW", 1 << 16)
    monkeypatch.setattr(jit, "NUM_THREADS", 2)
    jit._pool_state["pool"] = None
    big, small = (8, 16, 32, 32), (2, 16, 4, 4)  # 131072 elements: over; 512: under
    assert np.prod(big) >= jit.SERIAL_BELOW > 4 * np.prod(small)
    for name, fn, k in [
        ("batch", lambda x, w, b: F.batch_norm(x, None, None, w, b, True), 16),
        ("group", lambda x, w, b: F.group_norm(x, 4, w, b), 16),
        ("layer", lambda x, w, b: F.layer_norm(x, x.shape[1:], w, b), None),
    ]:
        for shape in (big, small):
            kk = k if k is not None else shape[1:]
            with jit.enabled_as(False):
                ref = _run(fn, shape, kk, "float32")
            before = dict(jit.SPLITS)
            with jit.enabled_as(True):
                got = _run(fn, shape, kk, "float32")
            calls = jit.SPLITS["calls"] - before["calls"]
            chunks = jit.SPLITS["chunks"] - before["chunks"]
            if shape == big:  # forward and backward kernels each split in two
                assert calls >= 2 and chunks == 2 * calls, (name, calls, chunks)
            else:
                assert calls == 0, (name, calls)
            for a, b in zip(ref, got):
                np.testing.assert_allclose(b, a, rtol=1e-4, atol=1e-4, err_msg=name)
    jit._pool_state["pool"] = None


# ----------------------------------------------------------------------- ReLU
@needs_numba
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_relu_kernels_match_the_numpy_path(dtype, monkeypatch):
    """Values, gradients and second derivatives agree bit for bit, including NaN, +-inf,
    -0.0 (which becomes +0.0), a non-contiguous input and a split over threads."""
    monkeypatch.setattr(jit, "SERIAL_BELOW", 1 << 10)
    monkeypatch.setattr(jit, "NUM_THREADS", 3)
    jit._pool_state["pool"] = None
    rng = np.random.default_rng(0)
    base = rng.standard_normal((70, 90)).astype(dtype)
    base[0, :4] = [np.nan, np.inf, -np.inf, -0.0]
    gy = rng.standard_normal((90, 70)).astype(dtype)
    out = {}
    for on in (False, True):
        with jit.enabled_as(on):
            x = minigrad.tensor(base, requires_grad=True)
            v = minigrad.tensor(gy, requires_grad=True)
            y = x.t().relu()  # (a non-contiguous input)
            (g,) = minigrad.grad(y, x, v, create_graph=True)
            (gv,) = minigrad.grad((g * g).sum(), v)  # through the gradient's own backward
            out[on] = [to_numpy(t) for t in (y.detach(), g.detach(), gv)]
    jit._pool_state["pool"] = None
    for a, b in zip(out[False], out[True]):
        assert a.dtype == b.dtype == np.dtype(dtype)
        np.testing.assert_array_equal(a, b)
    if dtype != "float16":  # (float16 stays on NumPy: its maximum keeps -0.0)
        assert not np.signbit(out[True][0][3, 0])  # relu(-0.0) is +0.0, as NumPy's


@needs_numba
def test_relu_kernel_path_is_differentiable_twice():
    from minigrad.autograd import gradcheck, gradgradcheck

    with jit.enabled_as(True):
        x = minigrad.tensor(np.array([-1.5, -0.3, 0.4, 2.0, 3.1]), requires_grad=True)
        assert gradcheck(lambda t: t.relu() * t, (x,))
        assert gradgradcheck(lambda t: t.relu() * t, (x,))


@needs_numba
def test_relu_output_modified_in_place_is_caught():
    """The compiled backward reads the output, as PyTorch's does: changing the output
    in place before backward raises instead of giving a wrong gradient."""
    with jit.enabled_as(True):
        x = minigrad.tensor([-1.0, 2.0], requires_grad=True)
        y = x.relu()
        z = y * 1.0
        with minigrad.no_grad():
            y.add_(1.0)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            z.sum().backward()
