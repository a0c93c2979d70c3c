"""What a recorded graph node keeps alive, and the cached constants of small ops.

Python's cyclic GC scans every container that lives until backward, so a node keeps as
few as it can (PERF_NOTES, "W4 and the GC"): shared ``needs_input_grad`` tuples, no
version tuple while its inputs were never changed in place, one output's weak reference
without a list, and its result has no version counter until one is needed. These tests
pin that, and that the shortcuts keep PyTorch's in-place checks.
"""

import gc
import weakref

import numpy as np
import pytest
from conftest import to_numpy

import minigrad
from minigrad.ops.math.promotion import constant, operand


def _chain(x, w, n):
    y = x
    for i in range(n):
        k = i % 4
        y = y * 0.999 if k == 0 else y + 0.001 if k == 1 else y.tanh() if k == 2 else y * w
    return y


def test_a_recorded_op_keeps_at_most_four_tracked_objects():
    # the output Tensor, the node, the inputs tuple, the weak reference (no version
    # counter until the tensor is changed in place or viewed)
    x = minigrad.tensor(np.ones(10, np.float32), requires_grad=True)
    w = minigrad.tensor(np.ones(10, np.float32), requires_grad=True)
    _chain(x, w, 8).sum().backward()  # warm up (caches, first-call allocations)
    gc.collect()
    was = gc.isenabled()
    gc.disable()
    try:
        before = len(gc.get_objects())
        y = _chain(x, w, 400)
        per_op = (len(gc.get_objects()) - before) / 400
    finally:
        if was:
            gc.enable()
    assert per_op <= 4.0, per_op
    y.sum().backward()
    assert x.grad is not None and w.grad is not None


def test_nodes_share_needs_input_grad_and_keep_no_versions_at_zero(device):
    x = minigrad.ones(3, device=device, requires_grad=True)
    c = minigrad.ones(3, device=device)
    a, b = x * c, c * x
    assert a.grad_fn.needs_input_grad == (True, False)
    assert b.grad_fn.needs_input_grad == (False, True)
    assert a.grad_fn.needs_input_grad is (x * 2.0).grad_fn.needs_input_grad
    assert a.grad_fn._versions is None  # every input at version 0
    c.add_(1)
    d = x * c
    assert d.grad_fn._versions == (0, 1)


@pytest.mark.parametrize("create_graph", [False, True])
def test_an_input_changed_before_and_after_the_op_is_caught(device, create_graph):
    x = minigrad.ones(3, device=device, requires_grad=True)
    c = minigrad.tensor(np.array([1.0, 2.0, 3.0], np.float32), device=device)
    c.mul_(2)  # version 1 when the op runs
    y = (x * c).sum()
    c.mul_(2)  # version 2 at backward
    with pytest.raises(RuntimeError, match=r"input 1 of Mul .* version 2; expected version 1"):
        minigrad.grad(y, [x], create_graph=create_graph)


@pytest.mark.parametrize("create_graph", [False, True])
def test_an_input_changed_only_before_the_op_is_fine(device, create_graph):
    x = minigrad.ones(3, dtype=minigrad.float64, device=device, requires_grad=True)
    c = minigrad.tensor(np.array([1.0, 2.0, 3.0]), device=device)
    c.mul_(2)
    y = (x * c).tanh().sum()
    (g,) = minigrad.grad(y, [x], create_graph=create_graph)
    t = np.tanh(np.array([2.0, 4.0, 6.0]))
    np.testing.assert_allclose(to_numpy(g), (1 - t * t) * [2.0, 4.0, 6.0], rtol=1e-5)


def test_a_version_counter_appears_on_first_use_and_is_shared(device):
    x = minigrad.ones(4, device=device, requires_grad=True)
    y = x * 2
    assert y._vc_list is None and y._version == 0
    with minigrad.no_grad():
        v = y[:2]  # a view shares (and so creates) its base's counter
        assert y._vc_list is not None and v._vc is y._vc
        y.add_(1)
    assert (y._version, v._version) == (1, 1)
    d = (x * 3).detach()
    d._vc[0] += 1  # the way other modules bump a version: creates the counter
    assert d._version == 1


def test_outputs_are_weak_references_until_release(device):
    x = minigrad.ones(4, device=device, requires_grad=True)
    y = x.exp()
    (ref,) = y.grad_fn.outputs
    assert isinstance(ref, weakref.ref) and ref() is y
    parts = x.split(2)
    assert [r() for r in parts[0].grad_fn.outputs] == list(parts)
    fn = y.grad_fn
    y.sum().backward()
    assert fn.outputs == () and fn.inputs is None
    assert "out" not in vars(fn)  # the saved result is freed while ``y`` lives on
    with pytest.raises(RuntimeError, match="second time"):
        y.sum().backward()


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_constant_gives_the_bits_of_the_python_float(dtype):
    x = np.random.default_rng(0).standard_normal(64).astype(dtype)
    for v in [0.999, 0.001, 1.0, -2.5, 1e-30, 3.0e38, 1e300, float("inf"), -float("inf")]:
        with np.errstate(all="ignore"):  # (1e300 overflows float32 as the ops do, silently)
            c = constant(v, x.dtype)
            for got, want in [(x * c, x * v), (x + c, x + v), (c - x, v - x), (x / c, x / v)]:
                assert got.dtype == want.dtype == x.dtype
                assert got.tobytes() == want.tobytes(), (v, dtype)


def test_constant_is_shared_read_only_and_leaves_zero_and_nan_alone():
    c = constant(0.5, np.dtype(np.float32))
    assert c is constant(0.5, np.dtype(np.float32)) and c.ndim == 0
    assert c.dtype == np.float32 and not c.flags.writeable
    assert constant(0.5, np.dtype(np.float64)).dtype == np.float64
    assert constant(-0.0, np.dtype(np.float32)) == 0.0
    assert np.signbit(constant(-0.0, np.dtype(np.float32)))  # still the Python -0.0
    assert isinstance(constant(float("nan"), np.dtype(np.float32)), float)


def test_operand_converts_only_python_floats_next_to_numpy_float_arrays():
    f32 = np.ones(2, np.float32)
    assert operand(0.5, f32) is constant(0.5, f32.dtype)
    assert operand(2, f32) == 2 and isinstance(operand(2, f32), int)
    assert isinstance(operand(0.5, np.ones(2, np.int64)), float)
    t = minigrad.ones(2)
    assert isinstance(operand(0.5, t), float)
