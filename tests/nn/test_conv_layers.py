"""nn.Conv1d / nn.Conv2d: default initialization, shapes, repr, errors."""

import math

import numpy as np
import pytest
from conftest import to_numpy

import minigrad
import minigrad.nn.functional as F
from minigrad import nn

pytestmark = pytest.mark.usefixtures("cpu_kernels")


@pytest.mark.parametrize(
    "cls,args,kwargs,fan_in",
    [
        (nn.Conv2d, (16, 32, 3), {}, 16 * 9),
        (nn.Conv2d, (8, 16, (3, 5)), {"groups": 4}, 2 * 15),
        (nn.Conv1d, (6, 12, 5), {"groups": 6}, 5),
    ],
)
def test_conv_default_init_bounds(cls, args, kwargs, fan_in, device):
    """PyTorch's default: kaiming_uniform_(a=sqrt(5)) gives U(-1/sqrt(fan_in), ...) for
    the weight, and the bias is U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
    minigrad.manual_seed(0)
    m = cls(*args, **kwargs, device=device)
    bound = 1 / math.sqrt(fan_in)
    w, b = to_numpy(m.weight), to_numpy(m.bias)
    assert m.weight.dtype == minigrad.float32 and m.weight.device == device
    assert np.abs(w).max() <= bound * (1 + 1e-6)
    assert np.abs(b).max() <= bound * (1 + 1e-6)
    # uniform on [-bound, bound]: variance bound^2 / 3, and the draws reach near the ends
    assert abs(w.var() - bound**2 / 3) < 0.2 * bound**2 / 3
    assert np.abs(w).max() > 0.9 * bound
    assert m.weight.requires_grad and m.bias.requires_grad


def test_conv_layer_shapes_and_parameters(device):
    m = nn.Conv2d(4, 8, (3, 2), stride=2, padding=1, dilation=(1, 2), groups=2, bias=False,
                  device=device, dtype=minigrad.float64)  # fmt: skip
    assert m.weight.shape == (8, 2, 3, 2) and m.bias is None
    assert [n for n, _ in m.named_parameters()] == ["weight"]
    x = minigrad.randn(2, 4, 9, 9, dtype=minigrad.float64, device=device)
    y = m(x)
    ref = F.conv2d(x, m.weight, None, 2, 1, (1, 2), 2)
    np.testing.assert_array_equal(to_numpy(y), to_numpy(ref))
    assert y.shape == (2, 8, 5, 5)
    m1 = nn.Conv1d(3, 5, 4, padding="same", device=device)
    assert m1(minigrad.randn(2, 3, 10, device=device)).shape == (2, 5, 10)
    assert set(m1.state_dict()) == {"weight", "bias"}


def test_conv_layer_trains_in_float32(device):
    m = nn.Conv2d(1, 4, 3, padding=1, device=device)
    x = minigrad.randn(2, 1, 6, 6, device=device)
    (m(x) ** 2).mean().backward()
    assert m.weight.grad.dtype == minigrad.float32 and m.bias.grad.dtype == minigrad.float32


def test_conv_layer_repr_matches_pytorch():
    assert repr(nn.Conv2d(1, 16, 3, padding=1)) == (
        "Conv2d(1, 16, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))"
    )
    assert repr(nn.Conv2d(4, 8, (3, 5), stride=2, dilation=2, groups=4, bias=False)) == (
        "Conv2d(4, 8, kernel_size=(3, 5), stride=(2, 2), dilation=(2, 2), groups=4, bias=False)"
    )
    assert repr(nn.Conv1d(2, 3, 3, padding="same", padding_mode="reflect")) == (
        "Conv1d(2, 3, kernel_size=(3,), stride=(1,), padding=same, padding_mode=reflect)"
    )


@pytest.mark.parametrize(
    "args,kwargs,match",
    [
        ((3, 4, 3), {"groups": 2}, "in_channels .3. must be divisible by groups .2."),
        ((4, 6, 3), {"groups": 4}, "out_channels .6. must be divisible by groups .4."),
        ((4, 4, 3), {"groups": 0}, "groups must be a positive integer"),
        ((4, 4, 3), {"padding": "full"}, "invalid padding string"),
        ((4, 4, 3), {"padding": "same", "stride": 2}, "strided"),
        ((4, 4, 3), {"padding_mode": "mirror"}, "padding_mode"),
        ((4, 4, (3, 3, 3)), {}, "kernel_size"),
    ],
)
def test_conv_layer_constructor_errors(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        nn.Conv2d(*args, **kwargs)


def test_conv_layer_forward_errors(device):
    m = nn.Conv2d(3, 4, 3, device=device)
    with pytest.raises(RuntimeError, match="to have 3 channels, but got 2"):
        m(minigrad.randn(1, 2, 5, 5, device=device))
    with pytest.raises(RuntimeError, match="3-D .unbatched. or 4-D"):
        m(minigrad.randn(5, 5, device=device))
    with pytest.raises(RuntimeError, match="2-D .unbatched. or 3-D"):
        nn.Conv1d(3, 4, 3, device=device)(minigrad.randn(1, 3, 5, 5, device=device))
