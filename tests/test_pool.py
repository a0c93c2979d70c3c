"""Pooling ops and layers against PyTorch fixtures, finite differences and errors.

Fixtures: tests/fixtures/conv_pool.npz, made by tests/fixtures/make_conv_fixtures.py.
The inputs lie on a coarse grid, so windows hold ties: PyTorch's max pooling sends the
gradient to the first maximum, and so must ours.
"""

import json

import numpy as np
import pytest
from conftest import load_fixture, to_numpy

import minigrad
import minigrad.nn.functional as F
from minigrad import nn
from minigrad.autograd import gradcheck, gradgradcheck

FIX = load_fixture("conv_pool")
CASES = sorted(int(k.split("_")[0]) for k in FIX.files if k.endswith("_meta"))


def _meta(i):
    return json.loads(str(FIX[f"{i}_meta"]))


def _case_id(i):
    return f"{i}-" + "-".join(f"{k}={v}" for k, v in _meta(i).items() if v is not False)


def _opts(meta):
    return {k: tuple(v) if isinstance(v, list) else v for k, v in meta.items()
            if k not in ("op", "unbatched")}  # fmt: skip


@pytest.mark.parametrize("i", CASES, ids=_case_id)
def test_pool_matches_pytorch(i, device):
    meta = _meta(i)
    x = minigrad.tensor(FIX[f"{i}_x"], device=device, requires_grad=True)
    res = getattr(F, meta["op"])(x, **_opts(meta))
    y, idx = res if isinstance(res, tuple) else (res, None)
    np.testing.assert_allclose(to_numpy(y), FIX[f"{i}_y"], rtol=1e-12, atol=1e-14)
    if f"{i}_idx" in FIX.files:
        assert idx.dtype == minigrad.int64
        np.testing.assert_array_equal(to_numpy(idx), FIX[f"{i}_idx"])
    y.backward(minigrad.tensor(FIX[f"{i}_gy"], device=device))
    np.testing.assert_allclose(to_numpy(x.grad), FIX[f"{i}_gx"], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("i", CASES[::4], ids=_case_id)
def test_pool_float32_stays_float32(i, device):
    meta = _meta(i)
    x = minigrad.tensor(FIX[f"{i}_x"], dtype=minigrad.float32, device=device, requires_grad=True)
    res = getattr(F, meta["op"])(x, **_opts(meta))
    y = res[0] if isinstance(res, tuple) else res
    assert y.dtype == minigrad.float32
    y.backward(minigrad.tensor(FIX[f"{i}_gy"], dtype=minigrad.float32, device=device))
    assert x.grad.dtype == minigrad.float32
    np.testing.assert_allclose(to_numpy(x.grad), FIX[f"{i}_gx"], rtol=1e-5, atol=1e-5)


# --------------------------------------------------------------- finite differences
POOLS = [
    ("max2d", lambda x: F.max_pool2d(x, 2)),
    ("max2d-overlap", lambda x: F.max_pool2d(x, 3, 2, 1, ceil_mode=True)),
    ("max2d-dilated", lambda x: F.max_pool2d(x, 2, 1, dilation=(2, 1))),
    ("max1d", lambda x: F.max_pool1d(x.flatten(2), 3, 2, 1)),
    ("avg2d", lambda x: F.avg_pool2d(x, 2)),
    ("avg2d-pad", lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False)),
    ("avg2d-override", lambda x: F.avg_pool2d(x, (2, 3), 1, (1, 0), divisor_override=4)),
    ("avg1d", lambda x: F.avg_pool1d(x.flatten(2), 3, 2, 1)),
    ("adaptive2d", lambda x: F.adaptive_avg_pool2d(x, (2, 4))),
    ("adaptive2d-divisible", lambda x: F.adaptive_avg_pool2d(x, (1, 3))),
    ("adaptive1d", lambda x: F.adaptive_avg_pool1d(x.flatten(2), 7)),
]


def _distinct(device):
    """Well separated values: finite differences never cross a max-pool tie."""
    rng = np.random.default_rng(0)
    v = rng.permutation(30).reshape(1, 1, 5, 6) * 0.1
    return minigrad.tensor(v, dtype=minigrad.float64, device=device, requires_grad=True)


@pytest.mark.parametrize("name,fn", POOLS, ids=[p[0] for p in POOLS])
def test_pool_gradcheck_and_gradgradcheck(name, fn, device):
    x = _distinct(device)
    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))


def test_max_pool_gradient_goes_to_first_max(device):
    x = minigrad.ones(1, 1, 2, 4, device=device, requires_grad=True)
    F.max_pool2d(x, 2).sum().backward()
    expect = np.array([[1.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 0.0]])
    np.testing.assert_array_equal(to_numpy(x.grad)[0, 0], expect)


def test_max_pool_propagates_nan(device):
    x = minigrad.tensor([[[1.0, float("nan"), 3.0, 2.0]]], device=device)
    y, idx = F.max_pool1d(x, 2, return_indices=True)
    assert np.isnan(to_numpy(y)[0, 0, 0]) and to_numpy(y)[0, 0, 1] == 3.0
    np.testing.assert_array_equal(to_numpy(idx)[0, 0], [1, 2])


def test_max_pool_backward_with_infinite_gradient(device):
    """An inf upstream gradient reaches the argmax only: no NaN (inf * 0) elsewhere."""
    x = minigrad.tensor([[[1.0, 3.0, 2.0, 0.0]]], device=device, requires_grad=True)
    y = F.max_pool1d(x, 2)
    y.backward(minigrad.tensor([[[float("inf"), 1.0]]], device=device))
    np.testing.assert_array_equal(to_numpy(x.grad)[0, 0], [0.0, np.inf, 1.0, 0.0])


def test_max_pool_double_backward_is_gather(device):
    """The gradient of max pooling is linear in the upstream gradient; differentiating
    it again reads the upstream gradient back at the argmax positions."""
    x = _distinct(device)
    gy = minigrad.randn(1, 1, 2, 3, dtype=minigrad.float64, device=device, requires_grad=True)
    (gx,) = minigrad.grad(F.max_pool2d(x, 2), [x], gy, create_graph=True)
    v = minigrad.randn(*x.shape, dtype=minigrad.float64, device=device)
    (ggy,) = minigrad.grad((gx * v).sum(), [gy])
    _, idx = F.max_pool2d(x, 2, return_indices=True)
    expect = to_numpy(v).reshape(-1)[to_numpy(idx).reshape(-1)].reshape(1, 1, 2, 3)
    np.testing.assert_allclose(to_numpy(ggy), expect, rtol=1e-12)


def test_adaptive_global_pool_is_mean(device):
    x = minigrad.randn(2, 3, 5, 7, dtype=minigrad.float64, device=device)
    y = F.adaptive_avg_pool2d(x, 1)
    np.testing.assert_allclose(to_numpy(y), to_numpy(x).mean(axis=(2, 3), keepdims=True))


def test_max_pool_non_overlapping_fast_path_equals_general(device):
    x = minigrad.randn(2, 3, 8, 8, device=device)
    a = F.max_pool2d(x, 2)
    b = F.max_pool2d(x, (2, 2), stride=(2, 2), padding=0, dilation=1)
    c = F.max_pool2d(x, 2, stride=2, ceil_mode=True)
    np.testing.assert_array_equal(to_numpy(a), to_numpy(b))
    np.testing.assert_array_equal(to_numpy(a), to_numpy(c))
    ref = to_numpy(x).reshape(2, 3, 4, 2, 4, 2).max(axis=(3, 5))
    np.testing.assert_array_equal(to_numpy(a), ref)


# --------------------------------------------------------------- errors
@pytest.mark.parametrize(
    "call,exc,match",
    [
        (lambda x: F.max_pool2d(x, 3, padding=2), ValueError, "at most half"),
        (lambda x: F.avg_pool2d(x, 2, padding=2), ValueError, "at most half"),
        (lambda x: F.max_pool2d(x, 0), ValueError, "positive"),
        (lambda x: F.max_pool2d(x, 7), RuntimeError, "output size"),
        (lambda x: F.max_pool2d(x.flatten(), 2), RuntimeError, "3-D .unbatched. or 4-D"),
        (lambda x: F.max_pool1d(x, 2), RuntimeError, "2-D .unbatched. or 3-D"),
        (lambda x: F.avg_pool2d(x, 2, divisor_override=0), ValueError, "divisor_override"),
        (lambda x: F.adaptive_avg_pool2d(x, (1, 2, 3)), ValueError, "2 entries"),
        (lambda x: F.adaptive_avg_pool2d(x, 0), ValueError, "positive"),
    ],
)
def test_pool_errors(call, exc, match, device):
    x = minigrad.randn(1, 2, 5, 6, device=device)
    with pytest.raises(exc, match=match):
        call(x)


# --------------------------------------------------------------- layers
def test_pool_layers_call_functional(device):
    x = minigrad.randn(2, 3, 8, 9, device=device)
    x1 = minigrad.randn(2, 3, 11, device=device)
    pairs = [
        (nn.MaxPool2d(3, 2, 1, ceil_mode=True), F.max_pool2d(x, 3, 2, 1, ceil_mode=True)),
        (nn.AvgPool2d(2, count_include_pad=False), F.avg_pool2d(x, 2)),
        (nn.AdaptiveAvgPool2d((3, 4)), F.adaptive_avg_pool2d(x, (3, 4))),
    ]
    for m, ref in pairs:
        np.testing.assert_allclose(to_numpy(m(x)), to_numpy(ref), rtol=1e-6)
    pairs1 = [
        (nn.MaxPool1d(3, 2), F.max_pool1d(x1, 3, 2)),
        (nn.AvgPool1d(3, 2, 1), F.avg_pool1d(x1, 3, 2, 1)),
        (nn.AdaptiveAvgPool1d(4), F.adaptive_avg_pool1d(x1, 4)),
    ]
    for m, ref in pairs1:
        np.testing.assert_allclose(to_numpy(m(x1)), to_numpy(ref), rtol=1e-6)
    y, idx = nn.MaxPool2d(2, return_indices=True)(x)
    assert y.shape == (2, 3, 4, 4) and idx.shape == (2, 3, 4, 4)


def test_pool_layers_repr_and_no_parameters():
    assert repr(nn.MaxPool2d(2)) == (
        "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"
    )
    assert repr(nn.AvgPool2d(3, 1, 1)) == "AvgPool2d(kernel_size=3, stride=1, padding=1)"
    assert repr(nn.AdaptiveAvgPool2d(1)) == "AdaptiveAvgPool2d(output_size=1)"
    for m in (nn.MaxPool1d(2), nn.AvgPool1d(2), nn.AdaptiveAvgPool1d(2)):
        assert list(m.parameters()) == []
