"""conv1d / conv2d against PyTorch fixtures, finite differences, dtypes and errors.

Fixtures: tests/fixtures/conv_conv.npz, made by tests/fixtures/make_conv_fixtures.py.
"""

import json
import math

import numpy as np
import pytest
from conftest import JIT_SKIP, assert_same_bits_at_thread_counts, load_fixture, to_numpy

import minigrad
import minigrad.nn.functional as F
import minigrad.ops.kernels.cpu.conv_jit as conv_jit
import minigrad.ops.nn.conv.conv as conv_ops
from minigrad.autograd import gradcheck, gradgradcheck

pytestmark = pytest.mark.usefixtures("cpu_kernels")

FIX = load_fixture("conv_conv")
CASES = sorted(int(k.split("_")[0]) for k in FIX.files if k.endswith("_meta"))


def _meta(i):
    return json.loads(str(FIX[f"{i}_meta"]))


def _opts(meta):
    out = {}
    for k in ("stride", "padding", "dilation", "groups"):
        if k in meta:
            v = meta[k]
            out[k] = tuple(v) if isinstance(v, list) else v
    return out


def _t(i, name, device, dtype=minigrad.float64, requires_grad=True):
    key = f"{i}_{name}"
    if key not in FIX.files:
        return None
    return minigrad.tensor(FIX[key], dtype=dtype, device=device, requires_grad=requires_grad)


FUNCTIONAL = [i for i in CASES if _meta(i)["op"] in ("conv1d", "conv2d")]
LAYERS = [i for i in CASES if _meta(i)["op"] in ("Conv1d", "Conv2d")]


def _case_id(i):
    m = _meta(i)
    return f"{i}-" + "-".join(f"{k}={v}" for k, v in m.items())


@pytest.fixture(params=["per-sample", "one-gemm"])
def layout(request, monkeypatch):
    """Run a test with each of the two im2col layouts of minigrad.ops.nn.conv.conv (chosen by the
    size of the reduction in normal use; forced here)."""
    monkeypatch.setattr(conv_ops, "PER_SAMPLE_BELOW", 10**9 if request.param == "per-sample" else 0)
    return request.param


@pytest.mark.parametrize("i", FUNCTIONAL, ids=_case_id)
def test_conv_matches_pytorch(i, device, layout):
    meta = _meta(i)
    fn = F.conv2d if meta["op"] == "conv2d" else F.conv1d
    x, w, b = _t(i, "x", device), _t(i, "w", device), _t(i, "b", device)
    y = fn(x, w, b, **_opts(meta))
    np.testing.assert_allclose(to_numpy(y), FIX[f"{i}_y"], rtol=1e-10, atol=1e-12)
    y.backward(minigrad.tensor(FIX[f"{i}_gy"], device=device))
    np.testing.assert_allclose(to_numpy(x.grad), FIX[f"{i}_gx"], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(to_numpy(w.grad), FIX[f"{i}_gw"], rtol=1e-10, atol=1e-12)
    if b is not None:
        np.testing.assert_allclose(to_numpy(b.grad), FIX[f"{i}_gb"], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("i", FUNCTIONAL[::5], ids=_case_id)
def test_conv_float32_matches_and_stays_float32(i, device, layout):
    meta = _meta(i)
    fn = F.conv2d if meta["op"] == "conv2d" else F.conv1d
    f32 = minigrad.float32
    x, w, b = _t(i, "x", device, f32), _t(i, "w", device, f32), _t(i, "b", device, f32)
    y = fn(x, w, b, **_opts(meta))
    assert y.dtype == f32
    np.testing.assert_allclose(to_numpy(y), FIX[f"{i}_y"], rtol=1e-4, atol=1e-4)
    y.backward(minigrad.tensor(FIX[f"{i}_gy"], dtype=f32, device=device))
    for t, name in ((x, "gx"), (w, "gw")) + (((b, "gb"),) if b is not None else ()):
        assert t.grad.dtype == f32
        np.testing.assert_allclose(to_numpy(t.grad), FIX[f"{i}_{name}"], rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("i", LAYERS, ids=_case_id)
def test_conv_layer_padding_modes_match_pytorch(i, device):
    meta = _meta(i)
    cls = minigrad.nn.Conv2d if meta["op"] == "Conv2d" else minigrad.nn.Conv1d
    w = FIX[f"{i}_w"]
    pad = tuple(meta["padding"]) if isinstance(meta["padding"], list) else meta["padding"]
    mode = meta["padding_mode"]
    m = cls(w.shape[1], w.shape[0], w.shape[2:], padding=pad, padding_mode=mode,
            dtype=minigrad.float64, device=device)  # fmt: skip
    with minigrad.no_grad():
        m.weight.copy_(minigrad.tensor(w, device=device))
        m.bias.copy_(minigrad.tensor(FIX[f"{i}_b"], device=device))
    x = _t(i, "x", device)
    y = m(x)
    np.testing.assert_allclose(to_numpy(y), FIX[f"{i}_y"], rtol=1e-10, atol=1e-12)
    y.backward(minigrad.tensor(FIX[f"{i}_gy"], device=device))
    np.testing.assert_allclose(to_numpy(x.grad), FIX[f"{i}_gx"], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(to_numpy(m.weight.grad), FIX[f"{i}_gw"], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(to_numpy(m.bias.grad), FIX[f"{i}_gb"], rtol=1e-10, atol=1e-12)


# --------------------------------------------------------------- finite differences
GRAD_CASES = [
    (2, {"padding": 1}),
    (2, {"stride": 2, "padding": 1, "groups": 2}),
    (2, {"padding": "same", "dilation": (1, 2)}),  # even kernel: asymmetric padding
    (2, {"padding": 2, "stride": (1, 2)}),  # padding wider than the kernel (col2im path)
    (1, {"stride": 2, "padding": 1, "dilation": 2}),
    (1, {"padding": "same", "groups": 2}),
]


def _small(nd, opts, device):
    g = opts.get("groups", 1)
    sp = (4, 4) if nd == 2 else (6,)
    k = (2, 3) if nd == 2 else (3,)
    x = minigrad.randn(1, 2, *sp, dtype=minigrad.float64, device=device, requires_grad=True)
    w = minigrad.randn(2, 2 // g, *k, dtype=minigrad.float64, device=device, requires_grad=True)
    b = minigrad.randn(2, dtype=minigrad.float64, device=device, requires_grad=True)
    fn = F.conv2d if nd == 2 else F.conv1d
    return (lambda x, w, b: fn(x, w, b, **opts)), (x, w, b)


@pytest.mark.parametrize("nd,opts", GRAD_CASES, ids=str)
def test_conv_gradcheck(nd, opts, device, layout):
    fn, inputs = _small(nd, opts, device)
    assert gradcheck(fn, inputs)


@pytest.mark.parametrize("nd,opts", GRAD_CASES, ids=str)
def test_conv_gradgradcheck(nd, opts, device, layout):
    fn, inputs = _small(nd, opts, device)
    assert gradgradcheck(fn, inputs)


def test_conv_third_order_is_exact(device):
    """Everything is bilinear: d/dw of (d/dx of sum(conv(x, w)^2)) checked numerically."""
    x = minigrad.randn(1, 1, 3, 3, dtype=minigrad.float64, device=device, requires_grad=True)
    w = minigrad.randn(1, 1, 2, 2, dtype=minigrad.float64, device=device, requires_grad=True)

    def gx(x, w):
        (g,) = minigrad.grad((F.conv2d(x, w, padding=1) ** 2).sum(), [x], create_graph=True)
        return g

    assert gradgradcheck(gx, (x, w))


def test_conv_no_grad_for_input_that_does_not_need_it(device):
    x = minigrad.randn(2, 1, 5, 5, device=device)
    w = minigrad.randn(3, 1, 3, 3, device=device, requires_grad=True)
    F.conv2d(x, w, padding=1).sum().backward()
    assert x.grad is None and w.grad is not None
    # d/dw of sum(conv) is the sum of the input under each tap
    xp = np.pad(to_numpy(x), ((0, 0), (0, 0), (1, 1), (1, 1)))
    expect = np.array([[xp[:, 0, i : i + 5, j : j + 5].sum() for j in range(3)] for i in range(3)])
    np.testing.assert_allclose(to_numpy(w.grad)[0, 0], expect, rtol=1e-5, atol=1e-5)


# --------------------------------------------------------------- compiled kernels
KERNEL_CASES = [
    (2, (8, 8, 3, 3), {"padding": 1}),  # unit strides and the same width: one run per tap
    (2, (8, 4, 3, 2), {"stride": (2, 3), "padding": (3, 1), "dilation": (2, 1), "groups": 2}),
    (2, (8, 8, 2, 4), {"padding": "same", "dilation": (3, 2)}),  # asymmetric padding
    (1, (6, 8, 5), {"stride": 2, "padding": 9}),  # windows wholly in the padding
]


@pytest.mark.parametrize("nd,wshape,opts", KERNEL_CASES, ids=str)
def test_conv_kernels_equal_numpy_path_split_over_threads(nd, wshape, opts, layout, monkeypatch):
    """The compiled kernels (minigrad.ops.kernels.cpu.conv_jit) against the NumPy path, on float32
    arrays large enough for minigrad.jit to split the loops over threads (3, an uneven
    split). The data are small integers, so every sum is exact in any order and the two
    paths must agree bit for bit."""
    if JIT_SKIP:
        pytest.skip(f"Numba is {JIT_SKIP}")
    monkeypatch.setattr(minigrad.jit, "NUM_THREADS", 3)
    monkeypatch.setattr(minigrad.jit, "SERIAL_BELOW", 1 << 16)  # split these arrays
    calls = []
    for name in ("im2col", "col2im", "to_nchw", "add_bias", "channel_sums"):
        real = getattr(conv_jit, name)
        monkeypatch.setattr(
            conv_jit, name, lambda *a, _f=real, _n=name, **kw: calls.append(_n) or _f(*a, **kw)
        )
    rng = np.random.default_rng(0)
    x0 = rng.integers(-3, 4, (6, 8, 40, 36) if nd == 2 else (6, 8, 1500)).astype(np.float32)
    w0 = rng.integers(-3, 4, wshape).astype(np.float32)
    b0 = rng.integers(-3, 4, wshape[0]).astype(np.float32)
    fn = F.conv2d if nd == 2 else F.conv1d
    out = {}
    for on in (False, True):
        with minigrad.jit.enabled_as(on):
            x, w, b = (minigrad.tensor(a, requires_grad=True) for a in (x0, w0, b0))
            y = fn(x, w, b, **opts)
            gy = np.random.default_rng(1).integers(-3, 4, y.shape).astype(np.float32)
            y.backward(minigrad.tensor(gy))
            out[on] = [to_numpy(t) for t in (y, x.grad, w.grad, b.grad)]
    ncols = x0.shape[1] * math.prod(wshape[2:]) * (math.prod(y.shape) // wshape[0])  # C*kh*kw*N*P
    assert ncols >= minigrad.jit.SERIAL_BELOW  # (large enough to be split)
    for a, b_, name in zip(out[False], out[True], ("y", "gx", "gw", "gb")):
        assert a.dtype == b_.dtype == np.float32, name
        np.testing.assert_array_equal(b_, a, err_msg=name)
    expect = {"im2col", "col2im", "channel_sums"}
    expect |= {"to_nchw"} if layout == "one-gemm" else {"add_bias"}
    assert set(calls) == expect


def test_conv_in_chunks_of_images(cpu_kernels, monkeypatch):
    """The compiled one-GEMM path runs its three passes a few images at a time
    (COLS_CHUNK; the forward keeps no column matrix, the weight gradient redoes im2col):
    chunks of 2 images of 5 give the whole-batch values; a retained graph gives the
    same gradients twice; gradcheck and gradgradcheck hold with one image per chunk."""
    monkeypatch.setattr(conv_ops, "PER_SAMPLE_BELOW", 0)  # the one-GEMM layout
    rng = np.random.default_rng(3)
    x0, w0 = rng.standard_normal((5, 4, 6, 5)), rng.standard_normal((6, 2, 3, 2))
    b0 = rng.standard_normal(6)
    gy = minigrad.tensor(rng.standard_normal((5, 6, 6, 6)))
    per_image = 4 * 3 * 2 * 6 * 6  # C*kh*kw * Ho*Wo elements of column matrix
    results = []
    for chunk in (1 << 30, 2 * per_image):
        monkeypatch.setattr(conv_ops, "COLS_CHUNK", chunk)
        x, w, b = (minigrad.tensor(a, requires_grad=True) for a in (x0, w0, b0))
        y = F.conv2d(x, w, b, padding=1, groups=2)
        assert cpu_kernels == "numpy" or y.grad_fn.cols is None  # (nothing kept)
        y.backward(gy, retain_graph=True)
        first = [to_numpy(t.grad) for t in (x, w, b)]
        x.grad = w.grad = b.grad = None
        y.backward(gy)
        second = [to_numpy(t.grad) for t in (x, w, b)]
        for a, b_ in zip(first, second):
            np.testing.assert_array_equal(a, b_)
        results.append([to_numpy(y)] + first)
    for a, b_ in zip(*results):
        np.testing.assert_allclose(b_, a, rtol=1e-12, atol=1e-12)
    x = minigrad.tensor(x0[:3, :, :4, :3], requires_grad=True)
    w = minigrad.tensor(w0, requires_grad=True)
    monkeypatch.setattr(conv_ops, "COLS_CHUNK", 4 * 3 * 2 * 4 * 4)  # one image
    assert gradcheck(lambda x, w: F.conv2d(x, w, padding=1, groups=2), (x, w))
    assert gradgradcheck(lambda x, w: F.conv2d(x, w, padding=1, groups=2), (x, w))


def test_conv_chunks_keep_blas_reductions_aligned():
    """W2's second layer (64 images of 14x14, K = 144): chunks of 16 images (3136
    pixels, a multiple of 32), not the 18 that fit the budget; a budget below the
    alignment unit is taken as it is."""
    assert conv_ops._chunks(64, 144 * 196, 196) == [(0, 16), (16, 32), (32, 48), (48, 64)]
    assert conv_ops._chunks(5, 100, 36)[:2] == [(0, 5)]  # (all fit: 5 < the unit, 8)
    assert all(b - a == 8 for a, b in conv_ops._chunks(64, conv_ops.COLS_CHUNK // 9, 36))


_BLAS_CHILD = """
import hashlib, sys, numpy as np, minigrad, minigrad.nn.functional as F
rng = np.random.default_rng(0)
x = minigrad.tensor(rng.standard_normal((64, 16, 14, 14)).astype(np.float32), requires_grad=True)
w = minigrad.tensor(rng.standard_normal((32, 16, 3, 3)).astype(np.float32), requires_grad=True)
b = minigrad.tensor(rng.standard_normal(32).astype(np.float32), requires_grad=True)
y = F.conv2d(x, w, b, padding=1)
y.backward(minigrad.tensor(rng.standard_normal(y.shape).astype(np.float32)))
h = hashlib.sha256()
for t in (y, x.grad, w.grad, b.grad):
    h.update(np.ascontiguousarray(t.detach().numpy()).tobytes())
print(h.hexdigest())
"""


def test_conv_bits_do_not_depend_on_the_thread_counts(cpu_kernels):
    """W2's second convolution, forward and backward, in processes with 1 and 2 threads
    for BLAS and for minigrad: the same bits (the chunked compiled path included)."""
    assert_same_bits_at_thread_counts(_BLAS_CHILD, cpu_kernels)


def test_conv_kernels_leave_float16_to_numpy(cpu_kernels, monkeypatch):
    """Only float32 and float64 have compiled kernels; float16 takes the NumPy path."""
    x = minigrad.randn(2, 3, 6, 6, requires_grad=True)
    w = minigrad.randn(4, 3, 3, 3, requires_grad=True)
    xh = x.detach().to(minigrad.float16).requires_grad_()
    wh = w.detach().to(minigrad.float16).requires_grad_()
    F.conv2d(x, w, padding=1).sum().backward()
    for name in ("im2col", "col2im", "to_nchw", "add_bias", "channel_sums"):  # calls raise
        monkeypatch.setattr(conv_jit, name, None)
    yh = F.conv2d(xh, wh, padding=1)
    yh.sum().backward()
    assert yh.dtype == xh.grad.dtype == wh.grad.dtype == minigrad.float16
    for a, b in ((xh.grad, x.grad), (wh.grad, w.grad)):
        np.testing.assert_allclose(to_numpy(a).astype(np.float32), to_numpy(b), rtol=0.02, atol=0.1)


# --------------------------------------------------------------- semantics
def test_conv2d_same_keeps_size_with_even_kernel_and_dilation(device):
    x = minigrad.randn(2, 3, 9, 10, device=device)
    for k, d in [((2, 4), 1), ((4, 2), (2, 3)), (5, 2)]:
        w = minigrad.randn(4, 3, *((k, k) if isinstance(k, int) else k), device=device)
        assert F.conv2d(x, w, padding="same", dilation=d).shape == (2, 4, 9, 10)


def test_conv2d_depthwise_is_per_channel(device):
    x = minigrad.randn(2, 3, 6, 6, dtype=minigrad.float64, device=device)
    w = minigrad.randn(3, 1, 3, 3, dtype=minigrad.float64, device=device)
    y = F.conv2d(x, w, groups=3, padding=1)
    for c in range(3):
        yc = F.conv2d(x[:, c : c + 1], w[c : c + 1], padding=1)
        np.testing.assert_allclose(to_numpy(y[:, c : c + 1]), to_numpy(yc), rtol=1e-12)


def test_conv1d_equals_conv2d_of_height_one(device):
    x = minigrad.randn(2, 4, 9, dtype=minigrad.float64, device=device)
    w = minigrad.randn(6, 2, 3, dtype=minigrad.float64, device=device)
    y1 = F.conv1d(x, w, stride=2, padding=1, dilation=2, groups=2)
    y2 = F.conv2d(x.unsqueeze(2), w.unsqueeze(2), stride=(1, 2), padding=(0, 1),
                  dilation=(1, 2), groups=2)  # fmt: skip
    np.testing.assert_allclose(to_numpy(y1), to_numpy(y2.squeeze(2)), rtol=1e-12)


@pytest.mark.parametrize("nd", [1, 2])
def test_conv_empty_batch(nd, device, layout):
    """A batch of 0 samples gives empty outputs and input gradients, zero weight and
    bias gradients (as PyTorch)."""
    x = minigrad.randn(0, 4, *(6,) * nd, device=device, requires_grad=True)
    w = minigrad.randn(6, 4, *(3,) * nd, device=device, requires_grad=True)
    b = minigrad.randn(6, device=device, requires_grad=True)
    y = (F.conv2d if nd == 2 else F.conv1d)(x, w, b, padding=1)
    assert y.shape == (0, 6) + (6,) * nd
    y.sum().backward()
    assert x.grad.shape == x.shape
    assert not to_numpy(w.grad).any() and not to_numpy(b.grad).any()


def test_conv_unbatched_input(device):
    x = minigrad.randn(3, 5, 5, device=device)
    w = minigrad.randn(2, 3, 3, 3, device=device)
    y = F.conv2d(x, w)
    assert y.shape == (2, 3, 3)
    np.testing.assert_allclose(to_numpy(y), to_numpy(F.conv2d(x.unsqueeze(0), w)[0]), rtol=1e-6)


# --------------------------------------------------------------- errors
@pytest.mark.parametrize(
    "xshape,wshape,kwargs,exc,match",
    [
        ((2, 3, 5, 5), (4, 2, 3, 3), {}, RuntimeError, "to have 2 channels, but got 3"),
        ((2, 4, 5, 5), (6, 1, 3, 3), {"groups": 3}, RuntimeError, "to have 3 channels"),
        ((2, 4, 5, 5), (5, 2, 3, 3), {"groups": 2}, RuntimeError, "divisible by groups"),
        ((3, 5), (4, 3, 3, 3), {}, RuntimeError, "3-D .unbatched. or 4-D"),
        ((2, 3, 5, 5), (4, 3, 3), {}, RuntimeError, "4-D weight"),
        ((1, 1, 2, 2), (1, 1, 3, 3), {}, RuntimeError, "smaller than the .dilated. kernel"),
        ((1, 1, 5, 5), (1, 1, 3, 3), {"padding": "same", "stride": 2}, ValueError, "strided"),
        ((1, 1, 5, 5), (1, 1, 3, 3), {"padding": "full"}, ValueError, "invalid padding"),
        ((1, 1, 5, 5), (1, 1, 3, 3), {"padding": (1, 2, 3)}, ValueError, "tuple of 2"),
        ((1, 1, 5, 5), (1, 1, 3, 3), {"stride": 0}, ValueError, "positive"),
        ((1, 1, 5, 5), (1, 1, 3, 3), {"stride": 2.0}, ValueError, "stride must be an int"),
        ((1, 1, 5, 5), (1, 1, 3, 3), {"groups": 0}, ValueError, "groups"),
    ],
)
def test_conv2d_errors(xshape, wshape, kwargs, exc, match, device):
    x, w = minigrad.randn(*xshape, device=device), minigrad.randn(*wshape, device=device)
    with pytest.raises(exc, match=match):
        F.conv2d(x, w, **kwargs)


def test_conv_error_mixed_dtype_and_bias_shape(device):
    x, w = minigrad.randn(1, 2, 5, 5, device=device), minigrad.randn(3, 2, 3, 3, device=device)
    with pytest.raises(RuntimeError, match="same dtype"):
        F.conv2d(x, w.double())
    with pytest.raises(RuntimeError, match=r"bias of shape \(3,\)"):
        F.conv2d(x, w, minigrad.randn(4, device=device))
    with pytest.raises(RuntimeError, match="2-D .unbatched. or 3-D"):
        F.conv1d(minigrad.randn(5, device=device), minigrad.randn(1, 1, 3, device=device))
