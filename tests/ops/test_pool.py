"""Pooling ops and layers against PyTorch fixtures, finite differences and errors.

Fixtures: tests/fixtures/conv_pool.npz, made by tests/fixtures/make_conv_fixtures.py.
The inputs lie on a coarse grid, so windows hold ties: PyTorch's max pooling sends the
gradient to the first maximum, and so must ours. Every test runs on NumPy's CPU path and
on the compiled kernels (``cpu_kernels``); the window reference below (a strided view of
the padded input) checks both on the geometries the fixtures do not reach.
"""

import json

import numpy as np
import pytest
from conftest import load_fixture, to_numpy

import minigrad
import minigrad.nn.functional as F
from minigrad import nn
from minigrad.autograd import gradcheck, gradgradcheck

pytestmark = pytest.mark.usefixtures("cpu_kernels")

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


# --------------------------------------------------------------- window reference
def _windows(x, k, s, p, d, ceil_mode, fill, extra_fill=None):
    """Every window of ``x`` (N, C, *L) as ``(N, C, *out, taps)``, taps in kernel
    order: an independent reference for both CPU paths (NumPy's strided view of the
    input padded by ``p`` with ``fill`` and past it, for ceil-mode windows, with
    ``extra_fill``, default ``fill``)."""
    nd = x.ndim - 2
    out, extra = [], []
    for n, kk, ss, pp, dd in zip(x.shape[2:], k, s, p, d):
        num = n + 2 * pp - dd * (kk - 1) - 1
        o = (-(-num // ss) if ceil_mode else num // ss) + 1
        if ceil_mode and (o - 1) * ss >= n + pp:  # the last window starts inside
            o -= 1
        out.append(o)
        extra.append(max((o - 1) * ss + dd * (kk - 1) + 1 - (n + 2 * pp), 0))
    xp = np.pad(x, [(0, 0)] * 2 + [(pp, pp) for pp in p], constant_values=fill)
    xp = np.pad(
        xp,
        [(0, 0)] * 2 + [(0, e) for e in extra],
        constant_values=fill if extra_fill is None else extra_fill,
    )
    span = [dd * (kk - 1) + 1 for kk, dd in zip(k, d)]
    v = np.lib.stride_tricks.sliding_window_view(xp, span, axis=tuple(range(2, 2 + nd)))
    v = v[(slice(None),) * 2 + tuple(slice(0, (o - 1) * ss + 1, ss) for o, ss in zip(out, s))]
    v = v[(Ellipsis,) + tuple(slice(None, None, dd) for dd in d)]
    return v.reshape(v.shape[: 2 + nd] + (-1,))


def _positions(shape, k, s, p, d, ceil_mode):
    """Windows of the flat input position of each tap (-1 in the padding)."""
    plane = np.arange(int(np.prod(shape[2:]))).reshape((1, 1) + tuple(shape[2:]))
    return _windows(plane, k, s, p, d, ceil_mode, -1)


def _scatter(shape, pos, g):
    """Add ``g`` (broadcast against ``pos``) at the input positions ``pos`` >= 0."""
    pos, g = np.broadcast_arrays(pos, g)
    n, c = np.indices(pos.shape[:2]).reshape(2, *pos.shape[:2], *(1,) * (pos.ndim - 2))
    n, c = np.broadcast_arrays(n, c, pos)[:2]
    gx = np.zeros((shape[0], shape[1], int(np.prod(shape[2:]))), dtype=g.dtype)
    inside = pos >= 0
    np.add.at(gx, (n[inside], c[inside], pos[inside]), g[inside])
    return gx.reshape(shape)


def _max_reference(x, gy, k, s, p, d, ceil_mode):
    """Max pooling, PyTorch's flat indices and the input gradient: the first maximum
    wins; a window with NaNs gives NaN at its last NaN."""
    w = _windows(x, k, s, p, d, ceil_mode, -np.inf)
    nan = np.isnan(w)
    last_nan = w.shape[-1] - 1 - np.argmax(nan[..., ::-1], axis=-1)
    t = np.where(nan.any(-1), last_nan, np.argmax(np.where(nan, -np.inf, w), axis=-1))
    y = np.take_along_axis(w, t[..., None], -1)[..., 0]
    pos = np.broadcast_to(_positions(x.shape, k, s, p, d, ceil_mode), w.shape)
    flat = np.take_along_axis(pos, t[..., None], -1)[..., 0]
    return y, flat, _scatter(x.shape, flat, gy)


def _no_all_minus_inf_window(v, k, s, p, d, ceil_mode):
    """Set the first tap inside the input of every window that holds only -inf to 0.
    (In such a window PyTorch points at that tap; minigrad at tap 0, even when it lies
    in the padding: a known difference, left out here.)"""
    allneg = (_windows(v, k, s, p, d, ceil_mode, -np.inf) == -np.inf).all(-1)
    pos = _positions(v.shape, k, s, p, d, ceil_mode)[0, 0]
    first = np.take_along_axis(pos, np.argmax(pos >= 0, -1)[..., None], -1)[..., 0]
    n, c, *o = np.nonzero(allneg)
    v.reshape(v.shape[0], v.shape[1], -1)[n, c, first[tuple(o)]] = 0


MAX_GEOMETRIES = [  # (input shape, kernel, stride, padding, dilation, ceil_mode)
    ((2, 3, 8, 8), (2, 2), (2, 2), (0, 0), (1, 1), False),
    ((2, 3, 9, 10), (2, 2), (2, 2), (0, 0), (1, 1), False),  # pairs kernel, a row left over
    ((2, 3, 7, 9), (2, 2), (2, 2), (1, 0), (1, 1), True),  # tiled, padded, partial windows
    ((2, 3, 7, 9), (3, 3), (3, 3), (1, 1), (1, 1), True),
    ((2, 3, 9, 8), (3, 3), (2, 2), (1, 1), (1, 1), True),  # overlapping
    ((2, 3, 9, 8), (3, 2), (1, 1), (1, 0), (1, 1), False),  # overlapping, stride 1
    ((1, 2, 10, 9), (3, 2), (2, 1), (2, 1), (2, 3), True),  # dilated
    ((1, 2, 13, 12), (12, 11), (1, 1), (0, 0), (1, 1), False),  # 132 taps: int32 offsets
    ((3, 2, 17), (4,), (3,), (2,), (1,), True),
    ((3, 2, 17), (3,), (1,), (1,), (2,), False),
]


def _geo_id(g):
    return "-".join("x".join(map(str, v)) if isinstance(v, tuple) else str(v) for v in g)


@pytest.mark.parametrize("geo", MAX_GEOMETRIES, ids=_geo_id)
@pytest.mark.parametrize("data", ["ties", "nan", "inf", "noncontiguous", "float32"])
def test_max_pool_matches_window_reference(geo, data):
    shape, k, s, p, d, ceil_mode = geo
    rng = np.random.default_rng(1)
    v = rng.integers(-2, 3, shape).astype(np.float64)  # coarse grid: ties everywhere
    if data == "nan":
        v[rng.random(shape) < 0.15] = np.nan
    if data == "inf":  # +inf and -inf in one window (their sum is NaN, yet no NaN here)
        v[rng.random(shape) < 0.2] = np.inf
        v[rng.random(shape) < 0.3] = -np.inf
        _no_all_minus_inf_window(v, k, s, p, d, ceil_mode)
    if data == "noncontiguous":
        v = np.ascontiguousarray(v.swapaxes(-1, -2)).swapaxes(-1, -2)
        assert not v.flags.c_contiguous
    if data == "float32":
        v = v.astype(np.float32)
    x = minigrad.Tensor._make(v, requires_grad=True)  # (keeps the layout)
    pool = F.max_pool1d if len(k) == 1 else F.max_pool2d
    y, idx = pool(x, k, s, p, d, ceil_mode, return_indices=True)
    gy = rng.standard_normal(y.shape).astype(v.dtype)
    y.backward(minigrad.tensor(gy))
    ry, ridx, rgx = _max_reference(v, gy, k, s, p, d, ceil_mode)
    assert y.dtype == x.grad.dtype == v.dtype
    np.testing.assert_array_equal(to_numpy(y), ry)
    np.testing.assert_array_equal(to_numpy(idx), ridx)
    np.testing.assert_allclose(to_numpy(x.grad), rgx, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("geo", MAX_GEOMETRIES[1:8], ids=_geo_id)
def test_max_pool_double_backward_reads_the_argmax(geo):
    """Double backward (the gather) with padding, overlap and dilation."""
    shape, k, s, p, d, ceil_mode = geo
    rng = np.random.default_rng(2)
    x = minigrad.tensor(rng.permutation(np.prod(shape)).reshape(shape) * 0.5, requires_grad=True)
    y, idx = F.max_pool2d(x, k, s, p, d, ceil_mode, return_indices=True)
    gy = minigrad.tensor(rng.standard_normal(y.shape), requires_grad=True)
    (gx,) = minigrad.grad(y, [x], gy, create_graph=True)
    v = rng.standard_normal(shape)
    (ggy,) = minigrad.grad((gx * minigrad.tensor(v)).sum(), [gy])
    flat = to_numpy(idx).reshape(shape[0], shape[1], -1)
    expect = np.take_along_axis(v.reshape(shape[0], shape[1], -1), flat, -1)
    np.testing.assert_allclose(to_numpy(ggy), expect.reshape(y.shape), rtol=1e-12)


AVG_GEOMETRIES = [  # (input shape, kernel, stride, padding, ceil_mode, count_include_pad)
    ((2, 3, 8, 8), (2, 2), (2, 2), (0, 0), False, True),
    ((2, 3, 9, 7), (3, 3), (2, 2), (1, 1), True, False),  # overlapping, partial windows
    ((2, 3, 9, 7), (3, 2), (1, 2), (1, 1), True, True),
    ((2, 3, 10, 9), (4, 3), (3, 2), (2, 1), True, True),
    ((3, 2, 17), (4,), (3,), (2,), True, False),
]


@pytest.mark.parametrize("geo", AVG_GEOMETRIES, ids=_geo_id)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_avg_pool_matches_window_reference(geo, dtype):
    shape, k, s, p, ceil_mode, cip = geo
    d = (1,) * len(k)
    rng = np.random.default_rng(3)
    v = rng.standard_normal(shape).astype(dtype)
    x = minigrad.Tensor._make(v[..., ::-1].copy()[..., ::-1], requires_grad=True)
    pool = F.avg_pool1d if len(k) == 1 else F.avg_pool2d
    y = pool(x, k, s, p, ceil_mode, cip)
    gy = rng.standard_normal(y.shape).astype(dtype)
    y.backward(minigrad.tensor(gy))
    # the divisor counts the padding (with count_include_pad), never the ceil-mode extra
    ones = np.ones((1, 1) + shape[2:])
    div = _windows(ones, k, s, p, d, ceil_mode, float(cip), 0.0).sum(-1)
    ry = _windows(v.astype(np.float64), k, s, p, d, ceil_mode, 0.0).sum(-1) / div
    pos = _positions(shape, k, s, p, d, ceil_mode)
    rgx = _scatter(shape, pos, (gy / div)[..., None])
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == "float32" else dict(rtol=1e-12, atol=1e-14)
    assert y.dtype == x.grad.dtype == np.dtype(dtype)
    np.testing.assert_allclose(to_numpy(y), ry, **tol)
    np.testing.assert_allclose(to_numpy(x.grad), rgx, **tol)


def test_pool_kernels_do_not_depend_on_the_thread_split(monkeypatch):
    """The kernels split their loop over planes; every split gives the same values."""
    rng = np.random.default_rng(4)
    v = rng.integers(-3, 4, (3, 5, 9, 8)).astype(np.float32)
    results = []
    for threads in (1, 2, 4):
        monkeypatch.setattr(minigrad.jit, "SERIAL_BELOW", 0)
        monkeypatch.setattr(minigrad.jit, "NUM_THREADS", threads)
        out = []
        for fn in (
            lambda x: F.max_pool2d(x, 3, 2, 1, ceil_mode=True),
            lambda x: F.max_pool2d(x, 2),
            lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True),
        ):
            x = minigrad.tensor(v, requires_grad=True)
            y = fn(x)
            y.backward(minigrad.ones(*y.shape))
            out += [to_numpy(y), to_numpy(x.grad)]
        results.append(out)
    for other in results[1:]:
        for a, b in zip(results[0], other):
            np.testing.assert_array_equal(a, b)


def test_max_pool_float16_keeps_its_dtype(device):
    """float16 takes the NumPy path on the CPU (the kernels are float32/float64)."""
    v = np.random.default_rng(5).integers(-4, 5, (2, 3, 6, 7)).astype(np.float16)
    x = minigrad.tensor(v, device=device, requires_grad=True)
    y = F.max_pool2d(x, 3, 2, 1)
    y.backward(minigrad.ones(*y.shape, dtype=minigrad.float16, device=device))
    assert y.dtype == x.grad.dtype == minigrad.float16
    ry, _, rgx = _max_reference(v.astype(np.float64), np.ones(y.shape), (3, 3), (2, 2),
                                (1, 1), (1, 1), False)  # fmt: skip
    np.testing.assert_array_equal(to_numpy(y), ry)
    np.testing.assert_array_equal(to_numpy(x.grad), rgx)


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
