"""Activation layers: each module equals its functional op, reprs, Softmax dims."""

import numpy as np
import pytest
from conftest import to_numpy

import minigrad
from minigrad import nn
from minigrad.nn import functional as F

X = [[-3.0, -0.5, 0.0], [0.25, 2.0, 30.0]]


@pytest.mark.parametrize(
    "module, reference",
    [
        (nn.ReLU(), lambda x: np.maximum(x, 0)),
        (nn.ReLU6(), lambda x: np.clip(x, 0, 6)),
        (nn.LeakyReLU(0.2), lambda x: np.where(x > 0, x, 0.2 * x)),
        (nn.ELU(0.7), lambda x: np.where(x > 0, x, 0.7 * np.expm1(x))),
        (nn.Sigmoid(), lambda x: 1 / (1 + np.exp(-x))),
        (nn.LogSigmoid(), lambda x: -np.logaddexp(0, -x)),
        (nn.Tanh(), np.tanh),
        (nn.SiLU(), lambda x: x / (1 + np.exp(-x))),
        (nn.Softplus(), lambda x: np.where(x > 20, x, np.log1p(np.exp(x)))),
        (nn.Softplus(beta=2.0), lambda x: np.where(2 * x > 20, x, np.log1p(np.exp(2 * x)) / 2)),
        (nn.Hardtanh(-2.0, 2.0), lambda x: np.clip(x, -2, 2)),
        (nn.Hardsigmoid(), lambda x: np.clip(x / 6 + 0.5, 0, 1)),
        (nn.Hardswish(), lambda x: x * np.clip(x / 6 + 0.5, 0, 1)),
        (nn.GELU(approximate="tanh"),
         lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))),
        (nn.Softmax(dim=1), lambda x: np.exp(x) / np.exp(x).sum(1, keepdims=True)),
        (nn.LogSoftmax(dim=0), lambda x: x - np.log(np.exp(x).sum(0, keepdims=True))),
    ],
)  # fmt: skip
def test_activation_matches_formula(module, reference, device):
    x = minigrad.tensor(X, dtype=minigrad.float64, device=device, requires_grad=True)
    y = module(x)
    np.testing.assert_allclose(to_numpy(y), reference(np.array(X)), rtol=1e-12, atol=1e-12)
    y.sum().backward()  # differentiable
    assert x.grad.shape == x.shape


def test_gelu_exact_and_mish_selu(device):
    x = minigrad.tensor([-1.0, 0.0, 1.0], dtype=minigrad.float64, device=device)
    gelu = [-0.15865525393145707, 0.0, 0.8413447460685429]  # x * Phi(x)
    np.testing.assert_allclose(to_numpy(nn.GELU()(x)), gelu, rtol=1e-12)
    sp = np.log1p(np.exp(to_numpy(x)))
    np.testing.assert_allclose(to_numpy(nn.Mish()(x)), to_numpy(x) * np.tanh(sp), rtol=1e-12)
    np.testing.assert_allclose(to_numpy(nn.SELU()(x)), to_numpy(F.selu(x)), rtol=1e-15)


def test_activations_keep_float32(device):
    x = minigrad.randn(3, 4, device=device)
    for m in (nn.ReLU(), nn.GELU(), nn.SiLU(), nn.Softplus(), nn.ELU(), nn.LeakyReLU(),
              nn.Sigmoid(), nn.Tanh(), nn.Softmax(-1), nn.LogSoftmax(-1)):  # fmt: skip
        assert m(x).dtype == minigrad.float32, type(m).__name__


def test_softmax_legacy_default_dim(device):
    x = minigrad.randn(2, 3, device=device)
    np.testing.assert_allclose(to_numpy(nn.Softmax()(x)).sum(1), [1, 1], rtol=1e-6)
    x3 = minigrad.randn(2, 3, 4, device=device)
    np.testing.assert_allclose(to_numpy(nn.Softmax()(x3)).sum(0), np.ones((3, 4)), rtol=1e-6)


def test_activation_reprs():
    assert repr(nn.ReLU()) == "ReLU()"
    assert repr(nn.ReLU(inplace=True)) == "ReLU(inplace=True)"
    assert repr(nn.LeakyReLU()) == "LeakyReLU(negative_slope=0.01)"
    assert repr(nn.GELU()) == "GELU(approximate='none')"
    assert repr(nn.Softmax(dim=1)) == "Softmax(dim=1)"
    assert repr(nn.ELU()) == "ELU(alpha=1.0)"
    assert repr(nn.Softplus()) == "Softplus(beta=1.0, threshold=20.0)"
