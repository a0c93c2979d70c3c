"""Activations and erf: values and gradients against PyTorch fixtures, finite differences
to second order, the pure-array erf against math.erf, dtype preservation."""

import math

import numpy as np
import pytest
from conftest import load_fixture, to_numpy

import minigrad as mg
import minigrad.nn.functional as F
from minigrad.autograd import gradcheck, gradgradcheck
from minigrad.ops.nn.activation import activation

F64 = mg.float64

CASES = {
    "erf": mg.erf,
    "gelu": F.gelu,
    "gelu_tanh": lambda t: F.gelu(t, approximate="tanh"),
    "leaky_relu": lambda t: F.leaky_relu(t, 0.2),
    "softplus": F.softplus,
    "softplus_beta": lambda t: F.softplus(t, beta=2.0, threshold=5.0),
    "silu": F.silu,
    "elu": lambda t: F.elu(t, alpha=0.5),
    "selu": F.selu,
    "hardtanh": lambda t: F.hardtanh(t, -2.0, 3.0),
    "relu6": F.relu6,
    "logsigmoid": F.logsigmoid,
    "mish": F.mish,
    "hardsigmoid": F.hardsigmoid,
    "hardswish": F.hardswish,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_pytorch(device, name):
    ref = load_fixture("ops_reference")
    x = mg.tensor(ref[f"{name}.x"], device=device, requires_grad=True)
    y = CASES[name](x)
    np.testing.assert_allclose(to_numpy(y), ref[f"{name}.out"], rtol=1e-13, atol=1e-15)
    w = mg.tensor(ref[f"{name}.w"], device=device)
    (g,) = mg.grad((y * w).sum(), [x])
    # PyTorch's float64 hardsigmoid backward multiplies by a float32 1/6 (rel. error 3e-8)
    rtol = 1e-7 if name.startswith("hards") else 1e-12
    np.testing.assert_allclose(to_numpy(g), ref[f"{name}.grad"], rtol=rtol, atol=1e-13)


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradients(device, name):
    # values away from the kinks of the piecewise ones (0, +-3, -2, 6, thresholds)
    base = np.array([-4.1, -2.6, -1.3, -0.4, 0.35, 1.2, 2.2, 3.4, 6.3])
    x = mg.tensor(base.reshape(3, 3), dtype=F64, device=device, requires_grad=True)
    fn = CASES[name]
    assert gradcheck(lambda a: fn(a.T) ** 2, (x,))  # non-contiguous input
    assert gradgradcheck(lambda a: fn(a) * a, (x,))


@pytest.mark.parametrize("name", sorted(CASES))
def test_float32_stays_float32(device, name):
    x = mg.randn(2, 3, device=device, requires_grad=True)
    y = CASES[name](x)
    assert y.dtype == mg.float32
    (g,) = mg.grad(y.sum(), [x])
    assert g.dtype == mg.float32


def test_pure_array_erf_matches_math_erf():
    x = np.concatenate(
        [np.linspace(-7.0, 7.0, 4001), [0.0, -0.0, 1e-300, -1e-12, 2.5, -2.5, 2.5000001, 30.0]]
    )
    ref = np.array([math.erf(v) for v in x])
    got = activation._erf_series(x)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, ref, rtol=2e-15, atol=1e-15)
    assert np.signbit(activation._erf_series(np.array([-0.0])))[0]
    special = activation._erf_series(np.array([np.inf, -np.inf, np.nan]))
    assert special[:2].tolist() == [1.0, -1.0] and np.isnan(special[2])
    got32 = activation._erf_series(np.linspace(-4, 4, 101, dtype=np.float32))
    assert got32.dtype == np.float32
    x32 = np.linspace(-4, 4, 101, dtype=np.float32)
    np.testing.assert_allclose(got32, [math.erf(v) for v in x32.astype(float)], atol=1e-6)


def test_erf_without_scipy(monkeypatch):
    """The op itself works (and agrees) when SciPy cannot be imported."""
    import sys

    x = mg.linspace(-4, 4, 17, dtype=F64, requires_grad=True)
    with_scipy = to_numpy(mg.erf(x.detach()))
    monkeypatch.setitem(sys.modules, "scipy", None)
    monkeypatch.setitem(sys.modules, "scipy.special", None)
    np.testing.assert_allclose(to_numpy(mg.erf(x.detach())), with_scipy, rtol=1e-15, atol=1e-16)
    assert gradcheck(mg.erf, (x,))
    assert gradgradcheck(lambda a: F.gelu(a) * a, (x,))


def test_erf_gradient_formula(device):
    x = mg.tensor([0.0, 1.0], dtype=F64, device=device, requires_grad=True)
    (g,) = mg.grad(mg.erf(x).sum(), [x])
    np.testing.assert_allclose(to_numpy(g), 2 / math.sqrt(math.pi) * np.exp([0.0, -1.0]))


def test_gelu_third_derivative_exists(device):
    """GELU's backward is itself a Function with a differentiable backward."""
    x = mg.tensor(np.array([0.3]), device=device, requires_grad=True)
    (g1,) = mg.grad(F.gelu(x).sum(), [x], create_graph=True)
    (g2,) = mg.grad(g1.sum(), [x], create_graph=True)
    (g3,) = mg.grad(g2.sum(), [x])
    v = 0.3
    pdf = math.exp(-v * v / 2) / math.sqrt(2 * math.pi)
    np.testing.assert_allclose(to_numpy(g2), [pdf * (2 - v * v)], rtol=1e-12)
    np.testing.assert_allclose(to_numpy(g3), [pdf * (v**3 - 4 * v)], rtol=1e-12)


def test_bad_arguments(device):
    x = mg.randn(3, device=device)
    with pytest.raises(ValueError, match="gelu: approximate must be 'none' or 'tanh'"):
        F.gelu(x, approximate="fast")
    with pytest.raises(ValueError, match="hardtanh: max_val"):
        F.hardtanh(x, 1.0, -1.0)


def test_softplus_large_inputs_are_exact(device):
    y = to_numpy(F.softplus(mg.tensor([100.0, -100.0], device=device)))
    assert y[0] == 100.0 and 0 < y[1] < 1e-40
