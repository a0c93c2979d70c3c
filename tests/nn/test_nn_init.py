"""nn.init: gains, fans, bounds and statistics on large tensors, reproducibility."""

import math

import numpy as np
import pytest
from conftest import to_numpy

import minigrad
from minigrad import nn
from minigrad.nn import init
from minigrad.nn.init import _calculate_fan_in_and_fan_out


def test_calculate_gain_values():
    assert init.calculate_gain("linear") == 1.0 and init.calculate_gain("conv2d") == 1.0
    assert init.calculate_gain("sigmoid") == 1.0
    assert init.calculate_gain("tanh") == 5.0 / 3
    assert init.calculate_gain("relu") == math.sqrt(2.0)
    assert init.calculate_gain("leaky_relu") == math.sqrt(2.0 / (1 + 0.01**2))
    assert init.calculate_gain("leaky_relu", 0.2) == math.sqrt(2.0 / 1.04)
    assert init.calculate_gain("selu") == 0.75
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        init.calculate_gain("swish")
    with pytest.raises(ValueError, match="not a valid number"):
        init.calculate_gain("leaky_relu", "x")


def test_fans(device):
    assert _calculate_fan_in_and_fan_out(minigrad.empty(7, 5, device=device)) == (5, 7)
    assert _calculate_fan_in_and_fan_out(minigrad.empty(16, 3, 5, 5, device=device)) == (75, 400)
    assert _calculate_fan_in_and_fan_out(minigrad.empty(8, 2, 3, device=device)) == (6, 24)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        _calculate_fan_in_and_fan_out(minigrad.empty(5, device=device))


def _np(t):
    return to_numpy(t).astype(np.float64)


@pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
def test_kaiming_uniform_bounds_and_std(mode, device):
    w = init.kaiming_uniform_(minigrad.empty(200, 50, 3, device=device), mode=mode,
                              nonlinearity="relu")  # fmt: skip
    fan = 150 if mode == "fan_in" else 600
    bound = math.sqrt(2.0) * math.sqrt(3.0 / fan)
    a = _np(w)
    assert np.abs(a).max() <= bound and np.abs(a).max() > 0.99 * bound
    np.testing.assert_allclose(a.std(), math.sqrt(2.0 / fan), rtol=0.02)


def test_kaiming_normal_std_and_a(device):
    w = init.kaiming_normal_(minigrad.empty(300, 200, device=device), a=0.5)
    gain = math.sqrt(2.0 / (1 + 0.25))
    np.testing.assert_allclose(_np(w).std(), gain / math.sqrt(200), rtol=0.02)
    assert abs(_np(w).mean()) < 0.01 * gain


def test_xavier_uniform_and_normal(device):
    w = init.xavier_uniform_(minigrad.empty(300, 200, device=device), gain=2.0)
    std = 2.0 * math.sqrt(2.0 / 500)
    assert np.abs(_np(w)).max() <= math.sqrt(3) * std
    np.testing.assert_allclose(_np(w).std(), std, rtol=0.02)
    w = init.xavier_normal_(minigrad.empty(300, 200, device=device))
    np.testing.assert_allclose(_np(w).std(), math.sqrt(2.0 / 500), rtol=0.02)


def test_uniform_normal_constant(device):
    w = init.uniform_(minigrad.empty(100, 100, device=device), -2.0, 3.0)
    assert _np(w).min() >= -2.0 and _np(w).max() < 3.0
    np.testing.assert_allclose(_np(w).mean(), 0.5, atol=0.05)
    w = init.normal_(minigrad.empty(100, 100, device=device), 1.0, 0.5)
    np.testing.assert_allclose([_np(w).mean(), _np(w).std()], [1.0, 0.5], atol=0.02)
    assert init.constant_(minigrad.empty(3, device=device), 0.25).tolist() == [0.25] * 3
    assert init.ones_(minigrad.empty(2, device=device)).tolist() == [1.0, 1.0]
    assert init.zeros_(minigrad.ones(2, device=device)).tolist() == [0.0, 0.0]


def test_trunc_normal(device):
    w = init.trunc_normal_(minigrad.empty(200, 100, device=device), mean=0.5, std=1.0,
                           a=-0.5, b=1.5)  # fmt: skip
    a = _np(w)
    assert a.min() >= -0.5 and a.max() <= 1.5
    np.testing.assert_allclose(a.mean(), 0.5, atol=0.02)  # symmetric window: mean kept
    # variance of N(0, 1) truncated to +-1: 1 - 2 phi(1) / (2 Phi(1) - 1)
    phi1 = math.exp(-0.5) / math.sqrt(2 * math.pi)
    var = 1 - 2 * phi1 / math.erf(1 / math.sqrt(2))
    np.testing.assert_allclose(a.std(), math.sqrt(var), rtol=0.02)
    with pytest.raises(ValueError, match="a < b"):
        init.trunc_normal_(minigrad.empty(2, device=device), a=1.0, b=0.0)


def test_init_works_on_parameters_in_place_and_keeps_dtype(device):
    p = nn.Parameter(minigrad.empty(20, 10, device=device))
    before = p._data
    out = init.kaiming_uniform_(p, a=math.sqrt(5))
    assert out is p and p._data is before and p.dtype == minigrad.float32
    assert p.requires_grad and p.is_leaf
    q = nn.Parameter(minigrad.empty(20, 10, dtype=minigrad.float64, device=device))
    assert init.xavier_normal_(q).dtype == minigrad.float64


def test_init_reproducible_with_manual_seed(device):
    minigrad.manual_seed(7)
    a = _np(init.normal_(minigrad.empty(5, device=device)))
    minigrad.manual_seed(7)
    b = _np(init.normal_(minigrad.empty(5, device=device)))
    np.testing.assert_array_equal(a, b)


def test_bad_mode():
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_uniform_(minigrad.empty(2, 2), mode="fan_avg")
