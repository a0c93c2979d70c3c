"""Tensor basics: factories and dtype inference, dtype preservation through ops and
backward, in-place ops and the version counter, conversions, DLPack, repr."""

import numpy as np
import pytest
from conftest import to_numpy
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad

F32, F64, F16 = minigrad.float32, minigrad.float64, minigrad.float16


# ----------------------------------------------------------------------- factories
def test_tensor_dtype_inference(device):
    assert minigrad.tensor(1, device=device).dtype == minigrad.int64
    assert minigrad.tensor([1, 2], device=device).dtype == minigrad.int64
    assert minigrad.tensor(1.5, device=device).dtype == F32
    assert minigrad.tensor([1, 2.5], device=device).dtype == F32
    assert minigrad.tensor(True, device=device).dtype == minigrad.bool
    assert minigrad.tensor(np.ones(2), device=device).dtype == F64  # arrays keep theirs
    assert minigrad.tensor(np.ones(2, np.int32), device=device).dtype == minigrad.int32


def test_tensor_copies_its_data(device):
    a = np.zeros(2, dtype=np.float32)
    t = minigrad.tensor(a, device=device)
    a[0] = 5
    np.testing.assert_array_equal(to_numpy(t), [0, 0])


def test_as_tensor_and_from_numpy_share_memory():
    a = np.zeros(2, dtype=np.float32)
    t, u = minigrad.as_tensor(a), minigrad.from_numpy(a)
    a[0] = 5
    assert t.tolist() == [5.0, 0.0] and u.tolist() == [5.0, 0.0]
    with pytest.raises(TypeError, match="numpy.ndarray"):
        minigrad.from_numpy([1, 2])


def test_tensor_with_explicit_float64_keeps_full_precision(device):
    t = minigrad.tensor([0.1, 1 / 3], dtype=F64, device=device)
    np.testing.assert_array_equal(to_numpy(t), np.array([0.1, 1 / 3]))


def test_filled_factories(device):
    for fn, value in ((minigrad.zeros, 0), (minigrad.ones, 1)):
        t = fn(2, 3, device=device)
        assert t.shape == (2, 3) and t.dtype == F32 and t.device == device
        assert (to_numpy(t) == value).all()
        assert fn((2, 3), device=device).shape == (2, 3)
        assert fn(2, dtype=minigrad.int32, device=device).dtype == minigrad.int32
    assert minigrad.empty(4, device=device).shape == (4,)
    f = minigrad.full((2,), 7.0, device=device)
    assert f.dtype == F32 and f.tolist() == [7.0, 7.0]
    assert minigrad.full((2,), 3, device=device).dtype == minigrad.int64
    assert minigrad.full((2,), True, device=device).dtype == minigrad.bool
    assert minigrad.full(3, 1.0, dtype=F64, device=device).shape == (3,)


def test_ranges(device):
    a = minigrad.arange(4, device=device)
    assert a.dtype == minigrad.int64 and a.tolist() == [0, 1, 2, 3]
    assert minigrad.arange(1, 7, 2, device=device).tolist() == [1, 3, 5]
    b = minigrad.arange(0, 1, 0.25, device=device)
    assert b.dtype == F32 and b.tolist() == [0.0, 0.25, 0.5, 0.75]
    assert minigrad.arange(3, dtype=F64, device=device).dtype == F64
    lin = minigrad.linspace(0, 1, 5, device=device)
    assert lin.dtype == F32
    np.testing.assert_allclose(to_numpy(lin), np.linspace(0, 1, 5))
    e = minigrad.eye(2, 3, device=device)
    np.testing.assert_array_equal(to_numpy(e), np.eye(2, 3))
    assert minigrad.eye(3, device=device).shape == (3, 3)


def test_random_factories(device):
    r = minigrad.rand(1000, device=device)
    rn = to_numpy(r)
    assert r.dtype == F32 and (rn >= 0).all() and (rn < 1).all()
    assert 0.4 < rn.mean() < 0.6
    n = to_numpy(minigrad.randn(4000, device=device))
    assert abs(n.mean()) < 0.1 and 0.9 < n.std() < 1.1
    assert minigrad.randn(3, dtype=F64, device=device).dtype == F64
    assert minigrad.rand(3, dtype=F16, device=device).dtype == F16
    i = to_numpy(minigrad.randint(2, 5, (500,), device=device))
    assert i.dtype == np.int64 and set(np.unique(i)) == {2, 3, 4}
    p = minigrad.randperm(10, device=device)
    assert p.dtype == minigrad.int64 and sorted(p.tolist()) == list(range(10))


def test_randint_high_size_form(device):
    x = minigrad.randint(3, (10,), device=device)
    assert x.shape == (10,) and (to_numpy(x) < 3).all()


def test_like_factories_copy_shape_dtype_device(device):
    x = minigrad.zeros(2, 3, dtype=F64, device=device)
    for fn in (minigrad.zeros_like, minigrad.ones_like, minigrad.empty_like):
        y = fn(x)
        assert (y.shape, y.dtype, y.device) == (x.shape, x.dtype, x.device)
    for fn in (minigrad.rand_like, minigrad.randn_like):
        y = fn(x)
        assert (y.shape, y.dtype, y.device) == (x.shape, x.dtype, x.device)
    f = minigrad.full_like(x, 2.5)
    assert f.dtype == F64 and (to_numpy(f) == 2.5).all()
    assert minigrad.ones_like(x, dtype=minigrad.int32).dtype == minigrad.int32
    assert minigrad.zeros_like(x, requires_grad=True).requires_grad


def test_randint_like_draws_whole_numbers_in_range(device):
    x = minigrad.zeros(200, dtype=F64, device=device)
    r = minigrad.randint_like(x, 3)  # PyTorch's randint_like(x, high): [0, high)
    assert (r.shape, r.dtype, r.device) == (x.shape, x.dtype, x.device)
    v = to_numpy(r)
    assert set(v.tolist()) == {0.0, 1.0, 2.0}
    v = to_numpy(minigrad.randint_like(x, 5, 7, dtype=minigrad.int32))
    assert v.dtype == np.int32 and set(v.tolist()) == {5, 6}


def test_requires_grad_only_for_floating_dtypes(device):
    assert minigrad.zeros(2, device=device, requires_grad=True).requires_grad
    assert minigrad.randn(2, dtype=F16, device=device, requires_grad=True).requires_grad
    with pytest.raises(RuntimeError, match="floating point"):
        minigrad.zeros(2, dtype=minigrad.int64, device=device, requires_grad=True)
    with pytest.raises(RuntimeError, match="floating point"):
        minigrad.tensor([1, 2], device=device, requires_grad=True)
    with pytest.raises(RuntimeError, match="floating point"):
        minigrad.arange(3, device=device).requires_grad_()


def test_unsupported_dtype_is_refused(device):
    with pytest.raises(TypeError, match="unsupported dtype"):
        minigrad.zeros(2, dtype=np.complex64, device=device)


# ----------------------------------------------------------------------- dtypes
def test_float32_stays_float32_with_python_scalars(device):
    x = minigrad.randn(3, device=device, requires_grad=True)
    y = (x * 2.5 + 1) / 3 - 0.5
    y = y**2 + 2.0**x + 1.0 / (x * x + 1)
    z = (y.exp().log() * 0.1).sum()
    assert y.dtype == F32 and z.dtype == F32
    z.backward()
    assert x.grad.dtype == F32


def test_float32_stays_float32_with_0d_numpy_arrays(device):
    x = minigrad.ones(2, device=device)
    assert (x * np.array(2.0)).dtype == F32


def test_float32_stays_float32_with_numpy_float64_scalar(device):
    x = minigrad.ones(2, device=device)
    assert (x * np.float64(2.0)).dtype == F32
    assert (np.float64(2.0) * x).dtype == F32


@pytest.mark.parametrize("dtype", [F16, F32, F64])
def test_gradient_dtype_matches_parameter_dtype(device, dtype):
    w = minigrad.randn(3, 2, dtype=dtype, device=device, requires_grad=True)
    x = minigrad.randn(4, 3, dtype=dtype, device=device)
    loss = ((x @ w).tanh() * 0.5).sum()
    assert loss.dtype == dtype
    loss.backward()
    assert w.grad.dtype == dtype and w.grad.shape == w.shape


def test_float16_forward_and_backward_values(device):
    x = minigrad.tensor(np.array([0.5, 1.0], dtype=np.float16), device=device, requires_grad=True)
    y = (x.exp() * 2.0).sum()
    y.backward()
    assert y.dtype == F16 and x.grad.dtype == F16
    np.testing.assert_allclose(to_numpy(x.grad), 2 * np.exp([0.5, 1.0]), rtol=2e-3)


def test_mixed_dtype_op_casts_gradients_back(device):
    a = minigrad.tensor(np.array([1.0, 2.0], np.float32), device=device, requires_grad=True)
    b = minigrad.tensor(np.array([3.0, 4.0]), device=device, requires_grad=True)  # float64
    y = (a * b).sum()
    assert y.dtype == F64
    y.backward()
    assert a.grad.dtype == F32 and b.grad.dtype == F64
    np.testing.assert_allclose(to_numpy(a.grad), [3.0, 4.0])
    np.testing.assert_allclose(to_numpy(b.grad), [1.0, 2.0])


def test_to_dtype_is_differentiable(device):
    x = minigrad.tensor(np.array([1.0, 2.0], np.float32), device=device, requires_grad=True)
    y = x.to(F64)
    assert y.dtype == F64 and y.grad_fn is not None
    (y * y).sum().backward()
    assert x.grad.dtype == F32
    np.testing.assert_allclose(to_numpy(x.grad), [2.0, 4.0])
    assert x.to(F32) is x  # nothing to do: the same tensor
    assert x.double().dtype == F64 and x.half().dtype == F16 and x.float() is x


def test_cast_to_integer_does_not_require_grad(device):
    x = minigrad.ones(2, device=device, requires_grad=True)
    for t in (x.to(minigrad.int64), x.long(), x.bool()):
        assert not t.requires_grad and t.grad_fn is None


@settings(max_examples=40, deadline=None)
@given(
    scalar=st.one_of(st.integers(-5, 5), st.floats(-3, 3, allow_nan=False)),
    op=st.sampled_from(["add", "sub", "mul", "div", "radd", "rsub", "rmul"]),
)
def test_property_python_scalars_never_upcast_float32(scalar, op):
    x = minigrad.tensor(np.array([1.5, -2.0], np.float32), requires_grad=True)
    y = {
        "add": lambda: x + scalar,
        "sub": lambda: x - scalar,
        "mul": lambda: x * scalar,
        "div": lambda: x / (abs(scalar) + 1),
        "radd": lambda: scalar + x,
        "rsub": lambda: scalar - x,
        "rmul": lambda: scalar * x,
    }[op]()
    assert y.dtype == F32
    y.sum().backward()
    assert x.grad.dtype == F32


# ----------------------------------------------------------------------- in-place
def test_inplace_ops_on_tensor_without_grad(device):
    t = minigrad.ones(3, device=device)
    t.add_(1).mul_(3).sub_(1, alpha=2).div_(2)
    np.testing.assert_allclose(to_numpy(t), [2.0, 2.0, 2.0])
    t.pow_(2)
    t.clamp_(max=3.0)
    np.testing.assert_allclose(to_numpy(t), [3.0, 3.0, 3.0])
    t.fill_(5.0)
    t[0] = 1.0
    np.testing.assert_allclose(to_numpy(t), [1.0, 5.0, 5.0])
    t.zero_()
    t.copy_(minigrad.tensor(np.array([1.0, 2.0, 3.0]), device=device))
    assert t.dtype == F32  # copy_ casts to the destination dtype
    np.testing.assert_allclose(to_numpy(t), [1.0, 2.0, 3.0])


def test_inplace_bumps_version(device):
    t = minigrad.ones(2, device=device)
    v = t._version
    t.add_(1)
    t[0] = 3.0
    assert t._version == v + 2


def test_inplace_on_leaf_requiring_grad_raises(device):
    w = minigrad.ones(2, device=device, requires_grad=True)
    for op in (lambda: w.add_(1), lambda: w.zero_(), lambda: w.mul_(2)):
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            op()
    with pytest.raises(RuntimeError, match="in-place"):
        w[0] = 2.0


def test_inplace_on_leaf_allowed_under_no_grad(device):
    w = minigrad.ones(2, device=device, requires_grad=True)
    with minigrad.no_grad():
        w.sub_(0.5).mul_(4)
    assert w.requires_grad and w.is_leaf
    np.testing.assert_allclose(to_numpy(w), [2.0, 2.0])
    (w * w).sum().backward()
    np.testing.assert_allclose(to_numpy(w.grad), [4.0, 4.0])


def test_modifying_saved_input_in_place_raises_at_backward(device):
    x = minigrad.ones(2, device=device, requires_grad=True)
    c = minigrad.tensor(np.array([2.0, 3.0], np.float32), device=device)
    y = (x * c).sum()  # Mul saves c for x's gradient
    c.mul_(10)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_modifying_saved_non_leaf_in_place_under_no_grad_raises(device):
    x = minigrad.ones(2, device=device, requires_grad=True)
    h = x * 2
    y = (h * h).sum()
    with minigrad.no_grad():
        h.add_(1)
    with pytest.raises(RuntimeError, match="input 0 of Mul"):
        y.backward()


def test_modifying_base_of_a_saved_view_raises_at_backward(device):
    base = minigrad.tensor(np.array([1.0, 2.0, 3.0], np.float32), device=device)
    view = base[:2]  # shares memory with base
    x = minigrad.ones(2, device=device, requires_grad=True)
    y = (view * x).sum()  # Mul saves the view for x's gradient
    base.mul_(10)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_inplace_through_detached_alias_raises_at_backward(device):
    x = minigrad.ones(2, device=device, requires_grad=True)
    y = x.exp()  # Exp saves its output for backward
    y.detach().mul_(0)  # PyTorch: detach() shares the version counter
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_inplace_after_backward_is_fine(device):
    c = minigrad.ones(2, device=device)
    x = minigrad.ones(2, device=device, requires_grad=True)
    (x * c).sum().backward()
    c.mul_(3)  # graph already used and freed
    np.testing.assert_allclose(to_numpy(x.grad), [1.0, 1.0])


# ----------------------------------------------------------------------- conversion
def test_item_tolist_numpy(device):
    t = minigrad.tensor([[1.0, 2.0], [3.0, 4.0]], device=device)
    assert t.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert t[1, 0].item() == 3.0 and isinstance(t[1, 0].item(), float)
    assert isinstance(minigrad.tensor(3, device=device).item(), int)
    with pytest.raises(RuntimeError, match="4 elements"):
        t.item()
    assert float(minigrad.tensor(2.5, device=device)) == 2.5
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(t)


def test_numpy_and_array_on_cpu():
    t = minigrad.tensor([1.0, 2.0])
    n = t.numpy()
    assert isinstance(n, np.ndarray) and n.dtype == np.float32
    n[0] = 9  # shares memory, like torch
    assert t.tolist() == [9.0, 2.0]
    np.testing.assert_array_equal(np.asarray(t), [9.0, 2.0])
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
    with pytest.raises(RuntimeError, match="detach"):
        minigrad.ones(1, requires_grad=True).numpy()
    assert minigrad.ones(1, requires_grad=True).detach().numpy().tolist() == [1.0]


def test_dlpack_both_ways():
    t = minigrad.tensor([1.0, 2.0, 3.0])
    a = np.from_dlpack(t)
    assert a.dtype == np.float32 and np.shares_memory(a, t._data)
    src = np.arange(4.0)
    u = minigrad.from_dlpack(src)
    assert u.dtype == F64 and u.device == "cpu"
    src[0] = 7.0
    assert u.tolist() == [7.0, 1.0, 2.0, 3.0]
    v = minigrad.from_dlpack(t)  # minigrad -> minigrad
    assert np.shares_memory(v._data, t._data)


def test_dlpack_device(device):
    t = minigrad.ones(2, device=device)
    kind, index = t.__dlpack_device__()
    assert int(kind) == (1 if device.type == "cpu" else 2)
    assert minigrad.from_dlpack(t).device == device


def test_repr():
    assert repr(minigrad.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(minigrad.tensor([1, 2])) == "tensor([1, 2])"
    assert repr(minigrad.ones(2, dtype=F64)) == "tensor([1., 1.], dtype=float64)"
    assert repr(minigrad.ones(2, requires_grad=True)) == "tensor([1., 1.], requires_grad=True)"
    y = minigrad.ones(2, requires_grad=True) * 2
    assert repr(y) == "tensor([2., 2.], grad_fn=<Mul backward>)"
    assert repr(minigrad.zeros(0)) == "tensor([], dtype=float32)"
    assert "..." in repr(minigrad.zeros(5000))  # summarized, not 5000 numbers


def test_attributes(device):
    t = minigrad.zeros(2, 3, 4, device=device)
    assert t.shape == (2, 3, 4) and t.ndim == 3 and t.dim() == 3
    assert t.size() == (2, 3, 4) and t.size(1) == 3 and t.numel() == 24 and len(t) == 2
    assert t.element_size() == 4 and t.is_leaf and not t.requires_grad
    assert t.is_cuda == (device.type == "cuda")
    with pytest.raises(TypeError):
        len(minigrad.tensor(1.0, device=device))


def test_inplace_on_input_of_add_is_fine_but_not_of_mul(device):
    # Add's backward reads only shapes, so changing its input afterwards is harmless (as in
    # PyTorch); Mul saved the value of b, so the same change must be refused.
    a = minigrad.ones(3, device=device, requires_grad=True)
    b = minigrad.ones(3, device=device)
    y = a + b
    b.add_(1)
    y.sum().backward()
    assert to_numpy(a.grad).tolist() == [1.0, 1.0, 1.0]
    z = a * b
    b.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()
