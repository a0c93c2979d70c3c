"""Floating-point exceptions are silent, as in PyTorch: ``log(0)`` is ``-inf``,
``sqrt(-1)`` NaN, ``x / 0`` inf and a float32 overflow inf, in the forward, in the
backward and in an optimizer step, with no NumPy ``RuntimeWarning`` (each test turns
warnings into errors). The values are the IEEE ones PyTorch gives.
"""

import warnings

import numpy as np
import pytest
from conftest import to_numpy

import minigrad as mg
import minigrad.nn.functional as F

# inputs that make each op leave the finite range (or divide by zero) somewhere
X = [-1.0, 0.0, 2.0, 3e38]

OPS = {
    "sqrt": lambda t: t.sqrt(),
    "rsqrt": lambda t: t.rsqrt(),
    "log": lambda t: t.log(),
    "log2": lambda t: t.log2(),
    "log10": lambda t: t.log10(),
    "log1p": lambda t: (t - 1).log1p(),
    "div_by_zero": lambda t: t / mg.zeros(4, device=t.device),
    "rdiv": lambda t: 1 / t,
    "reciprocal": lambda t: t.reciprocal(),
    "exp": lambda t: t.exp(),
    "pow_half": lambda t: t**0.5,
    "pow_minus_one": lambda t: t**-1,
    "mul_overflow": lambda t: t * t,
    "square": lambda t: t.square(),
    "acos": lambda t: t.acos(),
    "asin": lambda t: t.asin(),
    "atanh": lambda t: t.atanh(),
    "acosh": lambda t: t.acosh(),
    "xlogy": lambda t: mg.xlogy(t, t),
    "fmod_zero": lambda t: mg.fmod(t, mg.zeros(4, device=t.device)),
    "remainder_zero": lambda t: mg.remainder(t, mg.zeros(4, device=t.device)),
    "sigmoid": lambda t: (-t).sigmoid(),
    "softplus": lambda t: F.softplus(t),
    "cosh": lambda t: t.cosh(),
    "sinh": lambda t: t.sinh(),
    "pow_tensor": lambda t: t**t,
    "atan2": lambda t: mg.atan2(t * 0, t * 0),
    "sum_overflow": lambda t: (t * 0 + 3e38).sum(),
    "prod": lambda t: t.prod(),
    "cumprod": lambda t: t.cumprod(0),
    "logsumexp_all_neg_inf": lambda t: (t * 0 - float("inf")).logsumexp(0),
    "log_softmax_inf": lambda t: (t * 0 + float("inf")).log_softmax(0),
    "var_one_sample": lambda t: t[:1].var(),
    "normalize_zero": lambda t: F.normalize((t * 0).reshape(1, 4)),
}


@pytest.mark.parametrize("name", sorted(OPS))
def test_op_forward_and_backward_are_silent(device, name):
    x = mg.tensor(X, device=device, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = OPS[name](x)
        y.sum().backward()
    assert x.grad is not None and x.grad.shape == x.shape


def test_values_are_ieee(device):
    """Silent, and the values still inf/NaN where IEEE arithmetic puts them (PyTorch's)."""
    x = mg.tensor(X, device=device, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        log = x.log()
        sq = x.sqrt()
        (log.sum() + sq.sum()).backward()
    np.testing.assert_array_equal(to_numpy(log)[:2], [np.nan, -np.inf])
    assert np.isnan(to_numpy(sq)[0]) and to_numpy(sq)[1] == 0
    g = to_numpy(x.grad)  # 1/x + 1/(2 sqrt x): NaN at -1 (sqrt), inf at 0
    assert np.isnan(g[0]) and g[1] == np.inf


def test_optimizer_step_with_inf_gradient_is_silent(device):
    w = mg.tensor([3e38, 1.0], device=device, requires_grad=True)
    opt = mg.optim.SGD([w], lr=1e10, momentum=0.9)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (w * w).sum().backward()  # d/dw = 2w: inf for the first entry
        opt.step()
    assert to_numpy(w)[0] == -np.inf


def test_user_warning_settings_come_back(device):
    """Outside minigrad's ops NumPy's own error state is the user's, unchanged."""
    x = mg.tensor(X, device=device)
    x.log()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(RuntimeWarning):
            np.log(np.zeros(1))


def test_quiet_fp_context():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with mg.backend.quiet_fp():
            assert np.log(np.zeros(1))[0] == -np.inf
        with pytest.raises(RuntimeWarning):
            np.log(np.zeros(1))
