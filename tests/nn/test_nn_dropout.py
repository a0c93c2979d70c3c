"""Dropout: scaling, eval identity, reproducibility, masked gradients, double backward."""

import numpy as np
import pytest
from conftest import to_numpy

import minigrad
from minigrad import nn
from minigrad.autograd import gradcheck, gradgradcheck
from minigrad.nn import functional as F


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_scales_survivors_and_keeps_mean(p, device):
    x = minigrad.ones(200, 100, device=device)
    y = to_numpy(F.dropout(x, p))
    kept = y != 0
    np.testing.assert_allclose(y[kept], 1.0 / (1.0 - p), rtol=1e-6)
    np.testing.assert_allclose(kept.mean(), 1.0 - p, atol=0.015)
    np.testing.assert_allclose(y.mean(), 1.0, atol=0.05)
    assert y.dtype == np.float32


def test_dropout_eval_and_p0_are_identity(device):
    x = minigrad.randn(4, 5, device=device)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    m = nn.Dropout(0.3).eval()
    assert m(x) is x
    assert not bool(F.dropout(x, 1.0)._data.any())


def test_dropout_reproducible_with_manual_seed(device):
    x = minigrad.ones(50, device=device)
    minigrad.manual_seed(11)
    a = to_numpy(nn.Dropout(0.5)(x))
    minigrad.manual_seed(11)
    b = to_numpy(nn.Dropout(0.5)(x))
    c = to_numpy(nn.Dropout(0.5)(x))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(b, c)


def test_dropout_gradient_is_masked(device):
    x = minigrad.randn(30, 20, device=device, requires_grad=True)
    y = F.dropout(x, 0.4)
    y.sum().backward()
    yv, xv, g = to_numpy(y), to_numpy(x), to_numpy(x.grad)
    mask = yv != 0
    np.testing.assert_allclose(g[mask], 1 / 0.6, rtol=1e-6)
    assert not g[~mask].any()
    np.testing.assert_allclose(yv[mask], xv[mask] / 0.6, rtol=1e-6)


def test_dropout_gradcheck_with_fixed_mask(device):
    x = minigrad.randn(4, 3, dtype=minigrad.float64, device=device, requires_grad=True)

    def f(x):
        minigrad.manual_seed(5)  # the same mask at every evaluation
        return F.dropout(x, 0.5) * x

    assert gradcheck(f, (x,))
    assert gradgradcheck(f, (x,))


def test_dropout_errors_and_repr():
    with pytest.raises(ValueError, match="between 0 and 1, but got 1.5"):
        nn.Dropout(1.5)
    with pytest.raises(ValueError, match="but got -0.1"):
        F.dropout(minigrad.ones(2), -0.1)
    assert repr(nn.Dropout()) == "Dropout(p=0.5, inplace=False)"
