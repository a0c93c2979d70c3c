"""The data movement of convolution as compiled loops (Numba), for the CPU.

:mod:`minigrad.ops.nn.conv.conv` calls :func:`im2col`, :func:`col2im` and :func:`to_nchw` here
instead of its NumPy code when :func:`minigrad.jit.enabled` (Numba installed) and the
data is float32 or float64. The matrix products stay in BLAS; what moves here is only
the copying around them:

* :func:`im2col` gathers every window tap of the input into the column matrix, in
  either layout of :mod:`minigrad.ops.nn.conv.conv` (``(C*kh*kw, N*Ho*Wo)``, or
  ``(N, C*kh*kw, Ho*Wo)`` per sample), reading the unpadded input directly: the zeros
  of the padding are written where a tap falls outside, so there is no padded copy of
  the input and no strided-view copy.
* :func:`col2im` adds the gradient columns back into the input gradient, straight into
  a fresh ``(N, C, H, W)`` array: taps that fall in the padding are skipped, so there
  is no padded buffer to crop, and each image plane is written while it is in cache
  (NumPy's version makes ``kh*kw`` strided passes over the whole padded gradient).
* With unit strides and an output as wide as the input (``padding='same'``, the common
  case), output pixel ``p`` of kernel offset ``(i, j)`` reads input pixel ``p + const``
  of the plane: each offset's block is then one long shifted copy (im2col) or add
  (col2im) instead of ``Ho`` short ones, and the few elements that wrapped around a
  row edge are fixed up afterwards (zeroed in the column matrix; in col2im, zeroed in
  the gradient columns first, so that they add an exact ``+0``).
* :func:`to_nchw` turns the one-GEMM output ``(C_out, N*Ho*Wo)`` into ``(N, C_out, Ho,
  Wo)`` and adds the bias in the same pass.

Every kernel's outer loop runs over ``(image, channel)`` planes (row ``r = n*C + c``),
and each plane's outputs (its rows of the column matrix, its plane of the gradient) are
written by that iteration alone, so :meth:`minigrad.jit.Kernel.run` can split the loop
over threads with no races. The results equal the NumPy path's bit for bit (the same
additions in the same order per element) for any number of threads.
"""

from __future__ import annotations

import numpy as np

from minigrad.jit import kernel

__all__ = []  # internal

DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
"""The dtypes the kernels are compiled for; other dtypes take the NumPy path."""


def supports(*arrays):
    """Whether the kernels handle these arrays (all float32 or all float64)."""
    return all(a.dtype in DTYPES for a in arrays)


# ------------------------------------------------------------------ kernels
# The kernels index flat (1-D) views of C-contiguous arrays with unsigned offsets:
# Numba then needs no negative-index wraparound in the inner loops, which LLVM
# vectorizes (measured 4x faster than indexing row views of the 4-D arrays).
@kernel
def _im2col(lo, hi, x, cols, C, H, W, kh, kw, sh, sw, dh, dw, pt, pl, ho, wo, sn, sk):
    """Planes ``lo:hi`` (``r = n*C + c``) of ``x``, a flat ``(N, C, H, W)`` array, into
    the flat column matrix ``cols``: element ``n*sn + ((c*kh + i)*kw + j)*sk + a*wo +
    b`` is ``x[n, c, a*sh + i*dh - pt, b*sw + j*dw - pl]``, or 0 in the padding."""
    # With unit strides and wo == W, output pixel p = a*wo + b reads plane element
    # p + yo*W + xo: each kernel offset's block is ONE shifted copy, whose few elements
    # that wrapped around a row edge are then overwritten with the padding's zeros.
    flat = sh == 1 and sw == 1 and wo == W
    for r in range(lo, hi):
        n = r // C
        c = r - n * C
        src = r * H * W
        for i in range(kh):
            yo = i * dh - pt
            # a0:a1 are the output rows whose tap lies inside 0:H
            a0 = 0 if yo >= 0 else (-yo + sh - 1) // sh
            a1 = 0 if H - 1 - yo < 0 else (H - 1 - yo) // sh + 1
            a0 = min(a0, ho)
            a1 = max(a0, min(a1, ho))
            for j in range(kw):
                dst = n * sn + ((c * kh + i) * kw + j) * sk
                xo = j * dw - pl
                # b0:b1 are the output columns whose tap lies inside 0:W
                b0 = 0 if xo >= 0 else (-xo + sw - 1) // sw
                b1 = 0 if W - 1 - xo < 0 else (W - 1 - xo) // sw + 1
                b0 = min(b0, wo)
                b1 = max(b0, min(b1, wo))
                if flat and a1 > a0 and b1 > b0:
                    p0 = a0 * wo + b0  # the first and one past the last tap inside
                    p1 = (a1 - 1) * wo + b1
                    d = np.uint64(dst)
                    for q in range(np.uint64(p0)):
                        cols[d + q] = 0
                    s = np.uint64(src + p0 + yo * W + xo)
                    d = np.uint64(dst + p0)
                    for q in range(np.uint64(p1 - p0)):
                        cols[d + q] = x[s + q]
                    d = np.uint64(dst)
                    for q in range(np.uint64(p1), np.uint64(ho * wo)):
                        cols[d + q] = 0
                    # the wrapped elements: columns outside b0:b1 between p0 and p1
                    step = np.uint64(wo)
                    for b in range(b0):
                        d = np.uint64(dst + (a0 + 1) * wo + b)
                        for q in range(np.uint64(a1 - a0 - 1)):
                            cols[d + q * step] = 0
                    for b in range(b1, wo):
                        d = np.uint64(dst + a0 * wo + b)
                        for q in range(np.uint64(a1 - a0 - 1)):
                            cols[d + q * step] = 0
                    continue
                # rows in the padding: zeros (one contiguous block above, one below)
                d = np.uint64(dst)
                for q in range(np.uint64(a0 * wo)):
                    cols[d + q] = 0
                d = np.uint64(dst + a1 * wo)
                for q in range(np.uint64((ho - a1) * wo)):
                    cols[d + q] = 0
                # columns in the padding: zeros, down each column (a short loop per row
                # becomes a memset call per row, measured 1.6x slower in all)
                step = np.uint64(wo)
                for b in range(b0):
                    d = np.uint64(dst + a0 * wo + b)
                    for q in range(np.uint64(a1 - a0)):
                        cols[d + q * step] = 0
                for b in range(b1, wo):
                    d = np.uint64(dst + a0 * wo + b)
                    for q in range(np.uint64(a1 - a0)):
                        cols[d + q * step] = 0
                # the taps inside the input: one contiguous (or sw-strided) run per row
                for a in range(a0, a1):
                    d = np.uint64(dst + a * wo + b0)
                    s = np.uint64(src + (a * sh + yo) * W + b0 * sw + xo)
                    if sw == 1:
                        for q in range(np.uint64(b1 - b0)):
                            cols[d + q] = x[s + q]
                    else:
                        xstep = np.uint64(sw)
                        for q in range(np.uint64(b1 - b0)):
                            cols[d + q] = x[s + q * xstep]


@kernel
def _col2im(lo, hi, gcols, gx, C, H, W, kh, kw, sh, sw, dh, dw, pt, pl, ho, wo, sn, sk):
    """Planes ``lo:hi`` (``r = n*C + c``) of ``gx``, a flat ``(N, C, H, W)`` array:
    zeroed, then every element of the flat gradient columns ``gcols`` (laid out as
    ``cols`` in :func:`_im2col`) added at its tap, kernel offsets in order ``(i, j)``;
    taps in the padding are dropped. With unit strides and ``wo == W``, the elements
    of ``gcols`` whose tap is in the left or right padding are set to 0 (``gcols`` is
    a scratch array) and each offset's block is added as one shifted run."""
    flat = sh == 1 and sw == 1 and wo == W
    for r in range(lo, hi):
        n = r // C
        c = r - n * C
        dst = r * H * W
        d = np.uint64(dst)
        for q in range(np.uint64(H * W)):
            gx[d + q] = 0
        for i in range(kh):
            yo = i * dh - pt
            a0 = 0 if yo >= 0 else (-yo + sh - 1) // sh
            a1 = 0 if H - 1 - yo < 0 else (H - 1 - yo) // sh + 1
            a0 = min(a0, ho)
            a1 = max(a0, min(a1, ho))
            for j in range(kw):
                src = n * sn + ((c * kh + i) * kw + j) * sk
                xo = j * dw - pl
                b0 = 0 if xo >= 0 else (-xo + sw - 1) // sw
                b1 = 0 if W - 1 - xo < 0 else (W - 1 - xo) // sw + 1
                b0 = min(b0, wo)
                b1 = max(b0, min(b1, wo))
                if flat:
                    if a1 <= a0 or b1 <= b0:
                        continue
                    # gx += 0 where a tap wrapped around a row edge: an exact no-op
                    # (gx starts at +0 and a sum of floats is never -0 from there)
                    step = np.uint64(wo)
                    for b in range(b0):
                        s = np.uint64(src + (a0 + 1) * wo + b)
                        for q in range(np.uint64(a1 - a0 - 1)):
                            gcols[s + q * step] = 0
                    for b in range(b1, wo):
                        s = np.uint64(src + a0 * wo + b)
                        for q in range(np.uint64(a1 - a0 - 1)):
                            gcols[s + q * step] = 0
                    p0 = a0 * wo + b0
                    p1 = (a1 - 1) * wo + b1
                    s = np.uint64(src + p0)
                    d = np.uint64(dst + p0 + yo * W + xo)
                    for q in range(np.uint64(p1 - p0)):
                        gx[d + q] += gcols[s + q]
                    continue
                for a in range(a0, a1):
                    s = np.uint64(src + a * wo + b0)
                    d = np.uint64(dst + (a * sh + yo) * W + b0 * sw + xo)
                    if sw == 1:
                        for q in range(np.uint64(b1 - b0)):
                            gx[d + q] += gcols[s + q]
                    else:
                        step = np.uint64(sw)
                        for q in range(np.uint64(b1 - b0)):
                            gx[d + q * step] += gcols[s + q]


@kernel
def _to_nchw(lo, hi, y, b, has_b, out, N, O_, P):
    """Planes ``lo:hi`` (``r = n*O_ + o``) of ``out``, a flat ``(N, O_, P)`` array, from
    the flat ``(O_, N, P)`` array ``y``, plus ``b[o]`` when ``has_b``."""
    for r in range(lo, hi):
        n = r // O_
        o = r - n * O_
        s = np.uint64((o * N + n) * P)
        d = np.uint64(r * P)
        if has_b:  # (not y + 0 without a bias: that would turn -0.0 into +0.0)
            bo = b[o]
            for p in range(np.uint64(P)):
                out[d + p] = y[s + p] + bo
        else:
            for p in range(np.uint64(P)):
                out[d + p] = y[s + p]


@kernel
def _add_bias(lo, hi, y, b, O_, P):
    """Planes ``lo:hi`` (``r = n*O_ + o``) of ``y``, a flat ``(N, O_, P)`` array, plus
    ``b[o]`` in place."""
    for r in range(lo, hi):
        bo = b[r % O_]
        d = np.uint64(r * P)
        for p in range(np.uint64(P)):
            y[d + p] += bo


@kernel
def _plane_sums(lo, hi, g, out, P):
    """``out[r]`` = the sum of plane ``r`` of ``g``, a flat ``(R, P)`` array, for
    ``r`` in ``lo:hi``, accumulated in float64."""
    for r in range(lo, hi):
        s = 0.0
        d = np.uint64(r * P)
        for p in range(np.uint64(P)):
            s += g[d + p]
        out[r] = s


# ------------------------------------------------------------------ entry points
def _geometry(spec, kh, kw, ho, wo):
    """The scalar arguments the kernels share, after the arrays and ``C, H, W``."""
    (sh, sw), (dh, dw) = spec.stride, spec.dilation
    return kh, kw, sh, sw, dh, dw, spec.pad[0], spec.pad[2], ho, wo


def _strides(spec, n, k, p):
    """``(sn, sk)``: the offset of one image and of one row in the column matrix,
    ``(N, K, P)`` per sample or ``(K, N*P)``."""
    return (k * p, p) if spec.per_sample else (p, n * p)


def im2col(x, kh, kw, spec, ho, wo, out=None):
    """The column matrix of a convolution's input (the NumPy path's ``_im2col``).

    Parameters
    ----------
    x : numpy.ndarray
        The input, ``(N, C, H, W)``, float32 or float64 (any strides).
    kh, kw : int
        The kernel size.
    spec : minigrad.ops.nn.conv.conv.ConvSpec
        Stride, padding ``(top, bottom, left, right)``, dilation and the layout
        (``spec.per_sample``).
    ho, wo : int
        The output size.
    out : numpy.ndarray, optional
        A C-contiguous array of the result's size and dtype to write into (a scratch
        buffer reused over chunks of images); every element is written.

    Returns
    -------
    numpy.ndarray
        ``out`` or a new array, C-contiguous: ``(C*kh*kw, N*ho*wo)``, or ``(N, C*kh*kw,
        ho*wo)`` when ``spec.per_sample``; rows ordered ``(c, i, j)``, zeros in the padding.
    """
    x = np.ascontiguousarray(x)
    n, c, h, w = x.shape
    k, p = c * kh * kw, ho * wo
    shape = (n, k, p) if spec.per_sample else (k, n * p)
    cols = np.empty(shape, dtype=x.dtype) if out is None else out.reshape(shape)
    args = (c, h, w) + _geometry(spec, kh, kw, ho, wo) + _strides(spec, n, k, p)
    _im2col.run(n * c, cols.size, x.reshape(-1), cols.reshape(-1), *args)
    return cols


def col2im(gcols, xshape, kh, kw, spec, ho, wo, out=None):
    """The adjoint of :func:`im2col`: the input gradient from the gradient columns.

    Parameters
    ----------
    gcols : numpy.ndarray
        The gradient of the column matrix, float32 or float64, its elements in the
        order of :func:`im2col`'s result (any shape). A C-contiguous ``gcols`` is used
        as scratch: the entries whose tap lies in the padding may be set to 0.
    xshape : tuple of int
        The input's shape ``(N, C, H, W)``.
    kh, kw, spec, ho, wo
        As in :func:`im2col`.

    out : numpy.ndarray, optional
        A C-contiguous array of ``xshape`` to write the result into (every element is
        written).

    Returns
    -------
    numpy.ndarray
        ``out``, or a new ``(N, C, H, W)`` array: each element the sum, over the kernel
        offsets in order, of the gradient columns whose tap it is.
    """
    n, c, h, w = xshape
    k, p = c * kh * kw, ho * wo
    g = np.ascontiguousarray(gcols).reshape(-1)
    gx = np.empty((n, c, h, w), dtype=g.dtype) if out is None else out
    args = (c, h, w) + _geometry(spec, kh, kw, ho, wo) + _strides(spec, n, k, p)
    _col2im.run(n * c, g.size + gx.size, g, gx.reshape(-1), *args)
    return gx


def to_nchw(y, n, o, p, b=None, out=None):
    """The one-GEMM output in batch-major order, with the bias added in the same pass.

    Parameters
    ----------
    y : numpy.ndarray
        ``(O, N*P)`` (or any shape with those elements in that order), float32 or
        float64.
    n, o, p : int
        The batch size ``N``, the output channels ``O`` and the pixels ``P`` per plane.
    b : numpy.ndarray, optional
        ``(O,)``, added to every pixel of channel ``o``.
    out : numpy.ndarray, optional
        A C-contiguous array of ``N*O*P`` elements to write into.

    Returns
    -------
    numpy.ndarray
        ``out`` (as ``(N, O, P)``) or a new C-contiguous ``(N, O, P)`` array.
    """
    y = np.ascontiguousarray(y).reshape(-1)
    out = np.empty((n, o, p), dtype=y.dtype) if out is None else out.reshape(n, o, p)
    has_b = b is not None
    bb = np.ascontiguousarray(b, dtype=y.dtype) if has_b else np.zeros(1, dtype=y.dtype)
    _to_nchw.run(n * o, out.size, y, bb, has_b, out.reshape(-1), n, o, p)
    return out


def add_bias(y, b):
    """``y += b`` over the channels of ``y``, in place.

    Parameters
    ----------
    y : numpy.ndarray
        A C-contiguous ``(N, O, ...)`` array, float32 or float64 (the per-sample GEMM's
        output, already in NCHW order).
    b : numpy.ndarray
        ``(O,)``.

    Returns
    -------
    numpy.ndarray
        ``y`` (each element rounded once, as NumPy's broadcast ``+=``).
    """
    n, o = y.shape[:2]
    p = y.size // max(n * o, 1)
    bb = np.ascontiguousarray(b, dtype=y.dtype)
    _add_bias.run(n * o, 2 * y.size, y.reshape(-1), bb, o, p)
    return y


def channel_sums(g):
    """The bias gradient of a convolution: ``g`` summed over the batch and the pixels.

    Parameters
    ----------
    g : numpy.ndarray
        ``(N, O, ...)``, float32 or float64.

    Returns
    -------
    numpy.ndarray
        ``(O,)`` of ``g``'s dtype: each plane summed in float64 (one pass), the planes
        then added over the batch in order, so the result does not depend on how the
        planes were split over threads.
    """
    n, o = g.shape[:2]
    p = g.size // max(n * o, 1)
    gc = np.ascontiguousarray(g).reshape(-1)
    part = np.empty(n * o, dtype=np.float64)
    _plane_sums.run(n * o, gc.size, gc, part, p)
    return part.reshape(n, o).sum(axis=0).astype(g.dtype)
