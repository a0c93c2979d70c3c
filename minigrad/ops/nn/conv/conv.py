"""Convolution: :func:`conv1d` and :func:`conv2d` (PyTorch's ``F.conv1d`` / ``F.conv2d``).

How it works (im2col)
---------------------
A convolution is one matrix product. A strided *view* of the zero-padded input lists,
for every kernel offset ``(i, j)`` and every output pixel, the input value under it;
copying that view once gives the matrix ``cols`` of shape ``(C*kh*kw, N*Ho*Wo)`` (rows
in the weight's order, columns over batch and pixels). Then::

    y    = W @ cols                      # (O, C*kh*kw) @ (C*kh*kw, N*Ho*Wo): one GEMM
    gW   = gy @ cols.T                   # gradient of the weight: one GEMM
    gx   = col2im(W.T @ gy)              # gradient of the input: a transposed convolution

``col2im`` adds each kernel offset's slab back into the padded input with a strided add
(a loop over the ``kh*kw`` offsets, never over batch, channels or pixels). (Computing it
instead as a "full" convolution of the padded gradient with the flipped kernel was
measured slower: its column matrix is ``C_out/C_in`` times larger.)

Two layouts of ``cols``, chosen by the size of the reduction ``K = C*kh*kw``:

- ``K >= 64`` (compute-bound, e.g. 16 -> 32 channels 3x3): columns ordered
  ``(N, Ho, Wo)``, so each product is ONE large BLAS call that can use every core; the
  output and its gradient pay one cheap transposing copy each.
- ``K < 64`` (memory-bound, e.g. a first layer with one input channel): ``cols`` is
  ``(N, K, Ho*Wo)`` and the products are batched per sample (``np.matmul`` broadcasting);
  the output comes out in NCHW order and nothing is transposed. A single GEMM with
  ``K = 9`` was measured slower than the 64 small ones, and the transposes doubled the
  memory traffic.

Groups are a batch dimension of the products in both layouts.

Double backward (Chainer's Grad-node pattern): :class:`ConvNd`'s backward calls
:class:`ConvNdGradInput` and :class:`ConvNdGradWeight`. The three are linear in each
argument and are each other's adjoints, so every backward is again one of the three and
gradients of any order are exact.

1-D convolutions are 2-D convolutions of height 1 (a free reshape of the arrays).

On the CPU with :mod:`minigrad.jit` enabled (Numba installed) and float32/float64 data,
the data movement (im2col, col2im, and the transpose of the one-GEMM output) runs as
compiled loops from :mod:`minigrad.ops.kernels.cpu.conv_jit`; the layouts, the GEMMs and the
results are the same, except that the one-GEMM layout then runs each pass a chunk of
images at a time (:data:`COLS_CHUNK`), so that a chunk's columns are still in cache when
they are used, and keeps no column matrix for the backward (the weight gradient redoes
im2col per chunk); the sums are then grouped by chunk, equal up to rounding.
"""

from __future__ import annotations

import math

from minigrad import backend
from minigrad.autograd.function import Function
from minigrad.ops import impl
from minigrad.ops.impl import COMPILED
from minigrad.ops.kernels.cpu import conv_jit
from minigrad.ops.nn.window import as_4d, from_4d, int_tuple, pad_array, same_pad, slab
from minigrad.tensor import Tensor

__all__ = ["conv1d", "conv2d"]

# Reductions K = C_in/groups * kH * kW below this use one GEMM per sample (see above).
PER_SAMPLE_BELOW = 64

COLS_CHUNK = 1 << 19
"""Elements of column matrix (2 MiB of float32) per chunk of images on the compiled
one-GEMM path, which runs its three passes a chunk of images at a time (the chunks
depend only on the shapes, never on the threads):

* forward: im2col of the chunk into one reused buffer (in cache), its GEMM, its part of
  the output; the column matrix is not kept for the backward;
* weight gradient: im2col of the chunk again, and ``gW += gy_chunk @ cols_chunk.T``;
* input gradient: ``W.T @ gy_chunk``, then col2im of it while it is in cache.

On W2's second layer (64 images, K = 144, 14x14; one thread): the input gradient alone
took 2.1-2.2 ms with the whole (144, 12544) gradient matrix and 1.8-1.9 ms in chunks of
16-18 images; the three passes with cold caches (as in a step) 7.0-7.4 ms whole and
5.8-6.0 ms in chunks of 8-16 images, the second im2col included. The peak memory of a W2
step drops by the two 7 MB matrices."""


BLAS_K_ALIGN = 32
"""Chunks hold a number of images whose pixels (the reduction of the weight gradient's
GEMM) are a multiple of this when the budget allows. OpenBLAS (as NumPy ships it, on this
AVX-512 machine) gives a float32 GEMM with a long reduction the same bits on 1 and 2
threads only when the reduction's length is a multiple of 32: measured (144, m*196) @
(m*196, 32) for m = 1..64: identical for m a multiple of 8 (and m <= 2), different for
every other m. Whole batches had the same exposure (64 x 196 is a multiple of 32)."""


def _chunks(n, per_image, pixels):
    """``(start, stop)`` of the chunks of ``n`` images of ``per_image`` column elements
    (``pixels`` output pixels each): the most images within :data:`COLS_CHUNK`, rounded
    down to a multiple of the images that make a multiple of :data:`BLAS_K_ALIGN` pixels
    (when at least that many fit)."""
    step = max(1, COLS_CHUNK // max(per_image, 1))
    unit = BLAS_K_ALIGN // math.gcd(max(pixels, 1), BLAS_K_ALIGN)
    if step >= unit:
        step -= step % unit
    return [(n0, min(n, n0 + step)) for n0 in range(0, n, step)]


def _chunked(spec, n, compiled):
    """Whether a pass runs in chunks of images: the compiled one-GEMM path, 2+ images."""
    return compiled and not spec.per_sample and n > 1


CONV = impl.family("conv")
"""The implementations of the three convolution passes: "numpy" and "cupy" run the
``xp`` code here; "cpu-compiled" moves the data with :mod:`minigrad.ops.kernels.cpu.conv_jit`'s
loops (float32/float64 NumPy arrays)."""
CONV.register(COMPILED, conv_jit.supports)


# ------------------------------------------------------------------ geometry helpers
class ConvSpec:
    """Static parameters of one convolution, in 2-D form.

    ``pad`` is ``(top, bottom, left, right)``; ``nd`` (1 or 2) is the number of spatial
    dimensions the caller sees (1-D arrays get a unit height here); ``per_sample`` picks
    the layout of the column matrix (see the module docstring).
    """

    __slots__ = ("stride", "pad", "dilation", "groups", "nd", "per_sample")

    def __init__(self, stride, pad, dilation, groups, nd, per_sample=False):
        self.stride, self.pad, self.dilation = stride, pad, dilation
        self.groups, self.nd, self.per_sample = groups, nd, per_sample


def _out_size(n, k, s, p0, p1, d):
    """Output length of a window of ``k`` taps, dilation ``d``, stride ``s`` over ``n``."""
    return (n + p0 + p1 - d * (k - 1) - 1) // s + 1


def _windows(x, kh, kw, ho, wo, stride, dilation, per_sample):
    """A read-only strided view of ``x`` (N, C, H, W) holding every window tap, no copy:
    ``v[c, i, j, n, a, b] = x[n, c, a*sH + i*dH, b*sW + j*dW]``, or with axes ordered
    ``(n, c, i, j, a, b)`` when ``per_sample``."""
    xp = backend.array_module(x)
    sn, sc, sh_, sw_ = x.strides
    (sh, sw), (dh, dw) = stride, dilation
    n, c = x.shape[:2]
    shape = (c, kh, kw, n, ho, wo)
    strides = (sc, dh * sh_, dw * sw_, sn, sh * sh_, sw * sw_)
    if per_sample:
        shape = (n,) + shape[:3] + shape[4:]
        strides = (sn,) + strides[:3] + strides[4:]
    return xp.lib.stride_tricks.as_strided(x, shape=shape, strides=strides)


def _im2col(x, kh, kw, spec, compiled=False):
    """The column matrix of ``x`` (N, C, H, W), one contiguous copy: (C*kh*kw, N*Ho*Wo),
    or (N, C*kh*kw, Ho*Wo) when ``spec.per_sample``. ``compiled``: the "cpu-compiled"
    implementation (:mod:`minigrad.ops.kernels.cpu.conv_jit`) was chosen."""
    n, c, h, w = x.shape
    pt, pb, pl, pr = spec.pad
    (sh, sw), (dh, dw) = spec.stride, spec.dilation
    ho = _out_size(h, kh, sh, pt, pb, dh)
    wo = _out_size(w, kw, sw, pl, pr, dw)
    if compiled:
        return conv_jit.im2col(x, kh, kw, spec, ho, wo), ho, wo
    if spec.per_sample:
        xpad = pad_array(x, spec.pad)
    else:
        # Pad into channel-major memory, (C, N, Hp, Wp), so that the copy below reads
        # the input in nearly the order it writes the columns (measured ~1.7x faster).
        xp = backend.array_module(x)
        xpad = xp.zeros((c, n, h + pt + pb, w + pl + pr), dtype=x.dtype).transpose(1, 0, 2, 3)
        xpad[:, :, pt : pt + h, pl : pl + w] = x
    v = _windows(xpad, kh, kw, ho, wo, spec.stride, spec.dilation, spec.per_sample)
    if spec.per_sample:
        return v.reshape(n, c * kh * kw, ho * wo), ho, wo
    return v.reshape(c * kh * kw, n * ho * wo), ho, wo


def _gy_mat(gy, g, per_sample):
    """The output gradient (N, O, Ho, Wo) as GEMM operand: (N, G, O/G, Ho*Wo) (a view)
    when ``per_sample``, else (G, O/G, N*Ho*Wo) (one transposing copy)."""
    xp = backend.array_module(gy)
    n, o, ho, wo = gy.shape
    if per_sample:
        return gy.reshape(n, g, o // g, ho * wo)
    t = xp.ascontiguousarray(gy.transpose(1, 0, 2, 3))
    return t.reshape(g, o // g, n * ho * wo)


# ------------------------------------------------------------------ raw-array kernels
def _conv_forward(x, w, spec, b=None, compiled=False):
    """y = conv(x, w) (+ ``b`` over the output channels) for 4-D arrays; returns
    ``(y, cols)``."""
    xp = backend.array_module(x)
    n = x.shape[0]
    o, cg, kh, kw = w.shape
    g, k = spec.groups, cg * kh * kw
    if _chunked(spec, n, compiled):
        return _conv_forward_chunks(x, w, spec, b), None
    cols, ho, wo = _im2col(x, kh, kw, spec, compiled)
    wmat = w.reshape(g, o // g, k)
    if spec.per_sample:  # (G, O/G, K) @ (N, G, K, P) -> (N, G, O/G, P): already NCHW
        y = xp.matmul(wmat, cols.reshape(n, g, k, ho * wo)).reshape(n, o, ho, wo)
    else:
        y = xp.matmul(wmat, cols.reshape(g, k, n * ho * wo))  # (G, O/G, N*P)
        if compiled:  # transpose to NCHW and add the bias in one pass
            return conv_jit.to_nchw(y, n, o, ho * wo, b).reshape(n, o, ho, wo), cols
        y = xp.ascontiguousarray(y.reshape(o, n, ho, wo).transpose(1, 0, 2, 3))
    if b is not None:
        if compiled:  # one pass over the planes (NumPy's broadcast add is ~3x slower)
            conv_jit.add_bias(y, b)
        else:
            y += b.reshape(1, -1, 1, 1)
    return y, cols


def _conv_forward_chunks(x, w, spec, b):
    """The compiled one-GEMM forward a chunk of images at a time (see
    :data:`COLS_CHUNK`); returns ``y`` (N, O, Ho, Wo)."""
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    g, k = spec.groups, cg * kh * kw
    pt, pb, pl, pr = spec.pad
    (sh, sw), (dh, dw) = spec.stride, spec.dilation
    ho, wo = _out_size(h, kh, sh, pt, pb, dh), _out_size(wd, kw, sw, pl, pr, dw)
    p = ho * wo
    wmat = w.reshape(g, o // g, k)
    xp = backend.array_module(x)
    y = xp.empty((n, o, ho, wo), dtype=x.dtype)
    chunks = _chunks(n, g * k * p, p)
    buf = xp.empty((chunks[0][1] - chunks[0][0]) * g * k * p, dtype=x.dtype)  # reused
    for n0, n1 in chunks:
        m = n1 - n0
        cols = conv_jit.im2col(x[n0:n1], kh, kw, spec, ho, wo, out=buf[: m * g * k * p])
        yc = xp.matmul(wmat, cols.reshape(g, k, m * p))  # (G, O/G, m*P)
        conv_jit.to_nchw(yc, m, o, p, b, out=y[n0:n1])
    return y


def _conv_grad_weight(x, gy, wshape, spec, cols=None, gym=None, compiled=False):
    """dL/dW for 4-D arrays: ``gy @ cols.T`` (per group). ``cols`` and ``gym`` may pass
    the column matrix and :func:`_gy_mat` of ``gy`` when already computed."""
    xp = backend.array_module(gy)
    o, cg, kh, kw = wshape
    g, k = spec.groups, cg * kh * kw
    if gym is None:
        gym = _gy_mat(gy, g, spec.per_sample)
    if cols is None and _chunked(spec, x.shape[0], compiled):
        # im2col again, a chunk at a time, each chunk's product added in chunk order
        n, ho, wo = gy.shape[0], gy.shape[2], gy.shape[3]
        p = ho * wo
        chunks = _chunks(n, g * k * p, p)
        buf = xp.empty((chunks[0][1] - chunks[0][0]) * g * k * p, dtype=x.dtype)  # reused
        gw = None
        for n0, n1 in chunks:
            m = n1 - n0
            c = conv_jit.im2col(x[n0:n1], kh, kw, spec, ho, wo, out=buf[: m * g * k * p])
            part = xp.matmul(c.reshape(g, k, m * p), gym[:, :, n0 * p : n1 * p].transpose(0, 2, 1))
            gw = part if gw is None else xp.add(gw, part, out=gw)
        return xp.ascontiguousarray(gw.transpose(0, 2, 1)).reshape(wshape)
    if cols is None:
        cols = _im2col(x, kh, kw, spec, compiled)[0]
    # (cols @ gy.T).T rather than gy @ cols.T: BLAS is markedly faster with the long
    # reduction over the pixels running along the rows of both operands as stored.
    n, p = gy.shape[0], gy.shape[2] * gy.shape[3]  # (explicit sizes: n may be 0)
    if spec.per_sample:
        gw = xp.matmul(cols.reshape(n, g, k, p), gym.transpose(0, 1, 3, 2)).sum(axis=0)
    else:
        gw = xp.matmul(cols.reshape(g, k, n * p), gym.transpose(0, 2, 1))  # (G, K, O/G)
    return xp.ascontiguousarray(gw.transpose(0, 2, 1)).reshape(wshape)


def _conv_grad_input(gy, w, xshape, spec, gym=None, compiled=False):
    """dL/dx for 4-D arrays: the transposed convolution of ``gy`` with ``w``.

    The gradient columns ``W.T @ gy`` (per group) are added back into the padded input,
    one strided slab per kernel offset (col2im). ``gym`` may pass :func:`_gy_mat` of
    ``gy`` when already computed.
    """
    xp = backend.array_module(gy)
    n, c, h, wd = xshape
    o, cg, kh, kw = w.shape
    g, k = spec.groups, cg * kh * kw
    pt, pb, pl, pr = spec.pad
    ho, wo = gy.shape[2:]
    wmat = w.reshape(g, o // g, k).transpose(0, 2, 1)  # (G, K, O/G)
    if gym is None:
        gym = _gy_mat(gy, g, spec.per_sample)
    if _chunked(spec, n, compiled):
        # A few images at a time: each chunk's gradient columns are still in cache when
        # col2im adds them up, and the full (K, N*Ho*Wo) matrix is never held.
        gx = xp.empty(xshape, dtype=gy.dtype)
        p = ho * wo
        for n0, n1 in _chunks(n, g * k * p, p):
            gcols = xp.matmul(wmat, gym[:, :, n0 * p : n1 * p])
            conv_jit.col2im(gcols, (n1 - n0, c, h, wd), kh, kw, spec, ho, wo, out=gx[n0:n1])
        return gx
    gcols = xp.matmul(wmat, gym)
    if compiled:  # scatter-add straight into (N, C, H, W), plane by plane
        return conv_jit.col2im(gcols, xshape, kh, kw, spec, ho, wo)
    hp, wp = h + pt + pb, wd + pl + pr
    if spec.per_sample:  # gcols (N, G, K, P); gx in (N, C, Hp, Wp)
        gcols = gcols.reshape(n, c, kh, kw, ho, wo)
        gx = xp.zeros((n, c, hp, wp), dtype=gy.dtype)
    else:  # gcols (G, K, N*P); gx in (C, N, Hp, Wp)
        gcols = gcols.reshape(c, kh, kw, n, ho, wo).transpose(3, 0, 1, 2, 4, 5)
        gx = xp.zeros((c, n, hp, wp), dtype=gy.dtype).transpose(1, 0, 2, 3)
    for i in range(kh):
        for j in range(kw):
            gx[(slice(None), slice(None)) + slab(i, j, ho, wo, spec.stride, spec.dilation)] += (
                gcols[:, :, i, j]
            )
    return xp.ascontiguousarray(gx[:, :, pt : pt + h, pl : pl + wd])


# ------------------------------------------------------------------ Functions
class ConvNd(Function):
    """``y = conv(x, W) + b`` (1-D or 2-D); backward calls the two Grad Functions."""

    def __init__(self, spec):
        self.spec = spec

    def forward(self, x, w, b=None):
        nd = self.spec.nd
        compiled = impl.choose(self, CONV, x, w) == COMPILED
        y, self.cols = _conv_forward(as_4d(x, nd), as_4d(w, nd), self.spec, b, compiled)
        return from_4d(y, nd)

    def backward(self, gy):
        x, w, b = self.inputs
        nx, nw, nb = self.needs_input_grad
        gym = None
        if nx and nw and not self.spec.per_sample:  # one transposing copy of gy for both
            gym = _gy_mat(as_4d(gy._data, self.spec.nd), self.spec.groups, False)
        gx = ConvNdGradInput(self.spec, x.shape, gym)(gy, w) if nx else None
        gw = ConvNdGradWeight(self.spec, w.shape, self.cols, gym)(x, gy) if nw else None
        gb = ConvBiasGrad()(gy) if nb else None
        return gx, gw, gb


class ConvBiasGrad(Function):
    """``gb = gy`` summed over the batch and the pixels: the bias gradient of
    :class:`ConvNd`.

    Linear in ``gy``; its backward spreads ``ggb`` over every pixel of every image.
    Compiled: one pass, float64 per plane (``conv_jit.channel_sums``).
    """

    uses_input_values = False  # backward needs only the shape

    def forward(self, gy):
        self.shape = gy.shape
        if impl.choose(self, CONV, gy) == COMPILED:
            return conv_jit.channel_sums(gy)
        return gy.sum(axis=(0,) + tuple(range(2, gy.ndim)))

    def backward(self, ggb):
        return ggb.reshape((1, -1) + (1,) * (len(self.shape) - 2)).expand(*self.shape)


class ConvNdGradInput(Function):
    """``gx = conv_transpose(gy, W)``: the input gradient of :class:`ConvNd`.

    Linear in ``gy`` and in ``W``; its backward is a convolution (for ``gy``) and a
    weight gradient (for ``W``).
    """

    def __init__(self, spec, xshape, gym=None):
        self.spec, self.xshape, self.gym = spec, tuple(xshape), gym

    def forward(self, gy, w):
        nd = self.spec.nd
        xshape = self.xshape if nd == 2 else self.xshape[:2] + (1,) + self.xshape[2:]
        gym, self.gym = self.gym, None
        compiled = impl.choose(self, CONV, gy, w) == COMPILED
        gx = _conv_grad_input(as_4d(gy, nd), as_4d(w, nd), xshape, self.spec, gym, compiled)
        return from_4d(gx, nd)

    def backward(self, ggx):
        gy, w = self.inputs
        ngy, nw = self.needs_input_grad
        g_gy = ConvNd(self.spec)(ggx, w, None) if ngy else None
        g_w = ConvNdGradWeight(self.spec, w.shape)(ggx, gy) if nw else None
        return g_gy, g_w


class ConvNdGradWeight(Function):
    """``gW = gy @ im2col(x).T``: the weight gradient of :class:`ConvNd`.

    Linear in ``x`` and in ``gy``; its backward is a transposed convolution (for ``x``)
    and a convolution (for ``gy``). ``cols`` may pass the forward's column matrix, and
    ``gym`` the GEMM operand of ``gy`` (:func:`_gy_mat`).
    """

    def __init__(self, spec, wshape, cols=None, gym=None):
        self.spec, self.wshape, self.cols, self.gym = spec, tuple(wshape), cols, gym

    def forward(self, x, gy):
        nd = self.spec.nd
        wshape = self.wshape if nd == 2 else self.wshape[:2] + (1,) + self.wshape[2:]
        gym, self.gym = self.gym, None
        compiled = impl.choose(self, CONV, x, gy) == COMPILED
        x4, gy4 = as_4d(x, nd), as_4d(gy, nd)
        gw = _conv_grad_weight(x4, gy4, wshape, self.spec, self.cols, gym, compiled)
        return gw.reshape(self.wshape)

    def backward(self, ggw):
        x, gy = self.inputs
        nx, ngy = self.needs_input_grad
        g_x = ConvNdGradInput(self.spec, x.shape)(gy, ggw) if nx else None
        g_gy = ConvNd(self.spec)(x, ggw, None) if ngy else None
        return g_x, g_gy


# ------------------------------------------------------------------ argument parsing


def _padding(padding, ksize, stride, dilation, nd, op):
    """``(top, bottom, left, right)`` from an int, a tuple, 'valid' or 'same'."""
    if isinstance(padding, str):
        if padding == "valid":
            pads = [(0, 0)] * nd
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise ValueError(
                    f"{op}: padding='same' is not supported for strided convolutions "
                    f"(stride={stride})"
                )
            pads = [same_pad(k, d) for k, d in zip(ksize, dilation)]
        else:
            raise ValueError(
                f"{op}: invalid padding string {padding!r}, should be one of ['valid', 'same']"
            )
    else:
        p = int_tuple(padding, nd, "padding", op)
        if any(a < 0 for a in p):
            raise ValueError(f"{op}: padding must be non-negative, got {padding!r}")
        pads = [(a, a) for a in p]
    if nd == 1:
        pads = [(0, 0)] + pads
    return pads[0] + pads[1]


def _conv(op, nd, input, weight, bias, stride, padding, dilation, groups):
    if not isinstance(input, Tensor) or not isinstance(weight, Tensor):
        raise TypeError(f"{op}: input and weight must be Tensors")
    if weight.ndim != nd + 2:
        raise RuntimeError(
            f"{op}: expected a {nd + 2}-D weight (out_channels, in_channels/groups, "
            f"{'kW' if nd == 1 else 'kH, kW'}), got shape {tuple(weight.shape)}"
        )
    if input.ndim == nd + 1:  # unbatched input, as PyTorch allows
        out = _conv(op, nd, input.unsqueeze(0), weight, bias, stride, padding, dilation, groups)
        return out.squeeze(0)
    if input.ndim != nd + 2:
        raise RuntimeError(
            f"{op}: expected {nd + 1}-D (unbatched) or {nd + 2}-D (batched) input, got "
            f"shape {tuple(input.shape)}"
        )
    if not isinstance(groups, int) or groups < 1:
        raise ValueError(f"{op}: groups must be a positive integer, got {groups!r}")
    stride = int_tuple(stride, nd, "stride", op)
    dilation = int_tuple(dilation, nd, "dilation", op)
    if any(s < 1 for s in stride) or any(d < 1 for d in dilation):
        raise ValueError(
            f"{op}: stride and dilation must be positive, got stride={stride}, dilation={dilation}"
        )
    o, cg = weight.shape[:2]
    ksize = tuple(weight.shape[2:])
    c = input.shape[1]
    if cg * groups != c:
        raise RuntimeError(
            f"{op}: given groups={groups}, weight of size {tuple(weight.shape)}, expected "
            f"input {tuple(input.shape)} to have {cg * groups} channels, but got {c} "
            f"channels instead"
        )
    if o % groups:
        raise RuntimeError(
            f"{op}: out_channels ({o}, weight shape {tuple(weight.shape)}) must be "
            f"divisible by groups ({groups})"
        )
    if input.dtype != weight.dtype or (bias is not None and bias.dtype != input.dtype):
        raise RuntimeError(
            f"{op}: input ({input.dtype}), weight ({weight.dtype})"
            + (f" and bias ({bias.dtype})" if bias is not None else "")
            + " must have the same dtype"
        )
    if bias is not None and tuple(bias.shape) != (o,):
        raise RuntimeError(
            f"{op}: expected bias of shape ({o},) for weight {tuple(weight.shape)}, got "
            f"{tuple(bias.shape)}"
        )
    pad = _padding(padding, ksize, stride, dilation, nd, op)
    s2 = (1,) * (2 - nd) + stride
    d2 = (1,) * (2 - nd) + dilation
    k2 = (1,) * (2 - nd) + ksize
    sp = (1,) * (2 - nd) + tuple(input.shape[2:])
    outs = [
        _out_size(n, k, s, pad[2 * a], pad[2 * a + 1], d)
        for a, (n, k, s, d) in enumerate(zip(sp, k2, s2, d2))
    ]
    if min(outs) < 1:
        padded = tuple(n + pad[2 * a] + pad[2 * a + 1] for a, n in enumerate(sp))[2 - nd :]
        eff = tuple(d * (k - 1) + 1 for k, d in zip(ksize, dilation))
        raise RuntimeError(
            f"{op}: calculated padded input size per channel {padded} is smaller than the "
            f"(dilated) kernel size {eff}: input {tuple(input.shape)}, weight "
            f"{tuple(weight.shape)}"
        )
    per_sample = cg * math.prod(ksize) < PER_SAMPLE_BELOW
    return ConvNd(ConvSpec(s2, pad, d2, groups, nd, per_sample))(input, weight, bias)


# ------------------------------------------------------------------ public API
def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution over a batch of images (PyTorch's ``F.conv2d``).

    ``out[n, o] = bias[o] + sum_c sum_{i,j} weight[o, c, i, j] *
    input_padded[n, g*C/G + c, y*sH + i*dH, x*sW + j*dW]`` (a cross-correlation, as in
    PyTorch), with ``g`` the group of output channel ``o``.

    Parameters
    ----------
    input : Tensor
        ``(N, C_in, H, W)``, or ``(C_in, H, W)`` unbatched.
    weight : Tensor
        ``(C_out, C_in / groups, kH, kW)``.
    bias : Tensor, optional
        ``(C_out,)``.
    stride : int or tuple of 2 ints
        Step between windows (default 1).
    padding : int, tuple of 2 ints, 'valid' or 'same'
        Zeros added on both sides; ``'valid'`` is no padding; ``'same'`` keeps the
        input size (stride 1 only), putting the odd extra zero at the bottom/right as
        PyTorch does for even kernels.
    dilation : int or tuple of 2 ints
        Spacing between kernel taps (default 1).
    groups : int
        Split input and output channels into this many independent groups
        (``groups == C_in`` is a depthwise convolution).

    Returns
    -------
    Tensor
        ``(N, C_out, H_out, W_out)`` with ``H_out = (H + pT + pB - dH*(kH-1) - 1)//sH + 1``.

    Raises
    ------
    RuntimeError
        For a wrong input or weight rank, channels that do not match the weight and
        groups, mixed dtypes, a bias of the wrong shape, or a kernel larger than the
        padded input.
    ValueError
        For a bad stride, dilation, padding or groups value, or ``padding='same'`` with
        a stride other than 1.

    Examples
    --------
    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> x = minigrad.ones(1, 1, 4, 4)
    >>> w = minigrad.ones(1, 1, 3, 3)
    >>> F.conv2d(x, w, padding=1)[0, 0]
    tensor([[4., 6., 6., 4.],
            [6., 9., 9., 6.],
            [6., 9., 9., 6.],
            [4., 6., 6., 4.]])
    >>> F.conv2d(x, minigrad.ones(2, 1, 2, 2), padding="same").shape
    (1, 2, 4, 4)
    """
    return _conv("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution over a batch of sequences (PyTorch's ``F.conv1d``).

    Computed as a 2-D convolution of height 1 (the reshape is free).

    Parameters
    ----------
    input : Tensor
        ``(N, C_in, L)``, or ``(C_in, L)`` unbatched.
    weight : Tensor
        ``(C_out, C_in / groups, kL)``.
    bias : Tensor, optional
        ``(C_out,)``.
    stride, dilation : int or tuple of 1 int
        Step between windows and spacing between taps (default 1).
    padding : int, tuple of 1 int, 'valid' or 'same'
        As in :func:`conv2d`.
    groups : int
        Number of channel groups.

    Returns
    -------
    Tensor
        ``(N, C_out, L_out)`` with ``L_out = (L + 2p - d*(k-1) - 1)//s + 1``.

    Raises
    ------
    RuntimeError, ValueError
        As in :func:`conv2d`.

    Examples
    --------
    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> x = minigrad.tensor([[[1.0, 2.0, 3.0, 4.0]]])
    >>> w = minigrad.tensor([[[1.0, 0.0, -1.0]]])
    >>> F.conv1d(x, w)
    tensor([[[-2., -2.]]])
    >>> F.conv1d(x, w, padding="same", dilation=2).shape
    (1, 1, 4)
    """
    return _conv("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)
