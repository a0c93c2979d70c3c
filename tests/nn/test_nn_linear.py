"""Linear, Identity, Flatten, Unflatten: PyTorch reference values
(tests/fixtures/nn_linear.npz, from tests/fixtures/make_nn_fixtures.py), finite
differences, default initialization and errors."""

import math

import numpy as np
import pytest
from conftest import load_fixture, to_numpy

import minigrad
from minigrad import nn
from minigrad.autograd import gradcheck, gradgradcheck
from minigrad.ops.nn.linear import linear

FIX = load_fixture("nn_linear")
CASES = sorted({k.split("__")[0] for k in FIX.files})
TOL = {"f64": dict(rtol=1e-10, atol=1e-12), "f32": dict(rtol=1e-5, atol=1e-5)}


@pytest.mark.parametrize("key", CASES)
def test_linear_matches_pytorch(key, device):
    def t(name):
        return minigrad.tensor(FIX[f"{key}__{name}"], device=device, requires_grad=True)

    x, w = t("x"), t("w")
    b = t("b") if f"{key}__b" in FIX.files else None
    y = linear(x, w, b)
    tol = TOL[key.rsplit("_", 1)[1]]
    assert y.dtype == x.dtype
    np.testing.assert_allclose(to_numpy(y), FIX[f"{key}__y"], **tol)
    y.backward(minigrad.tensor(FIX[f"{key}__gy"], device=device))
    np.testing.assert_allclose(to_numpy(x.grad), FIX[f"{key}__gx"], **tol)
    np.testing.assert_allclose(to_numpy(w.grad), FIX[f"{key}__gw"], **tol)
    if b is not None:
        np.testing.assert_allclose(to_numpy(b.grad), FIX[f"{key}__gb"], **tol)
    for g in (x.grad, w.grad) + ((b.grad,) if b is not None else ()):
        assert g.dtype == x.dtype


@pytest.mark.parametrize("xshape", [(3, 4), (2, 3, 4), (4,)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_gradcheck(xshape, bias, device):
    f64 = minigrad.float64
    x = minigrad.randn(*xshape, dtype=f64, device=device, requires_grad=True)
    w = minigrad.randn(2, 4, dtype=f64, device=device, requires_grad=True)
    inputs = (x, w)
    if bias:
        inputs += (minigrad.randn(2, dtype=f64, device=device, requires_grad=True),)
    assert gradcheck(linear, inputs)
    assert gradgradcheck(linear, inputs)


def test_linear_module_forward_and_repr(device):
    m = nn.Linear(3, 2, device=device)
    assert repr(m) == "Linear(in_features=3, out_features=2, bias=True)"
    assert repr(nn.Linear(3, 2, bias=False)) == "Linear(in_features=3, out_features=2, bias=False)"
    x = minigrad.randn(5, 3, device=device)
    expected = to_numpy(x) @ to_numpy(m.weight).T + to_numpy(m.bias)
    np.testing.assert_allclose(to_numpy(m(x)), expected, rtol=1e-5, atol=1e-6)
    assert m.weight.device == device and m.weight.dtype == minigrad.float32
    assert nn.Linear(3, 2, dtype=minigrad.float64).weight.dtype == minigrad.float64


def test_linear_no_bias_registers_none(device):
    m = nn.Linear(3, 2, bias=False, device=device)
    assert m.bias is None
    assert [n for n, _ in m.named_parameters()] == ["weight"]
    assert list(m.state_dict()) == ["weight"]


def test_linear_default_init_bounds(device):
    # PyTorch: kaiming_uniform_(a=sqrt(5)) gives U(-1/sqrt(in), 1/sqrt(in)); bias the same
    m = nn.Linear(400, 300, device=device)
    bound = 1 / math.sqrt(400)
    w, b = to_numpy(m.weight), to_numpy(m.bias)
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    assert np.abs(w).max() > 0.98 * bound  # the whole range is used
    np.testing.assert_allclose(w.std(), bound / math.sqrt(3), rtol=0.02)
    assert abs(w.mean()) < 0.02 * bound


def test_linear_init_is_reproducible(device):
    minigrad.manual_seed(3)
    a = nn.Linear(4, 4, device=device)
    minigrad.manual_seed(3)
    b = nn.Linear(4, 4, device=device)
    np.testing.assert_array_equal(to_numpy(a.weight), to_numpy(b.weight))


@pytest.mark.parametrize(
    "args, match",
    [
        (((2, 3), (4, 5), None), r"input of shape \(2, 3\) and weight of shape \(4, 5\)"),
        (((2, 5), (4, 5), (3,)), r"bias of shape \(3,\)"),
    ],
)
def test_linear_shape_errors(args, match, device):
    x, w, b = (minigrad.randn(*s, device=device) if s else None for s in args)
    with pytest.raises(RuntimeError, match=match):
        linear(x, w, b)


def test_linear_dtype_mismatch_error(device):
    m = nn.Linear(3, 2, device=device)
    with pytest.raises(RuntimeError, match="same dtype.*float64.*float32"):
        m(minigrad.randn(1, 3, dtype=minigrad.float64, device=device))


def test_identity_flatten_unflatten(device):
    x = minigrad.randn(2, 3, 4, 5, device=device, requires_grad=True)
    assert nn.Identity(7, foo=1)(x) is x
    assert nn.Flatten()(x).shape == (2, 60)
    assert nn.Flatten(0, 2)(x).shape == (24, 5)
    assert repr(nn.Flatten()) == "Flatten(start_dim=1, end_dim=-1)"
    y = nn.Unflatten(1, (3, 20))(nn.Flatten()(x))
    np.testing.assert_array_equal(to_numpy(y).reshape(x.shape), to_numpy(x))
    y.sum().backward()
    np.testing.assert_array_equal(to_numpy(x.grad), np.ones(x.shape, np.float32))
