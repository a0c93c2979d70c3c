"""Max and average pooling as compiled loops (Numba), for the CPU.

:mod:`minigrad.ops.nn.pool.max_pool` and :mod:`minigrad.ops.nn.pool.avg_pool` call the functions
here
instead of their NumPy passes when :func:`minigrad.jit.enabled` (Numba installed) and the
data is float32 or float64. The NumPy path visits the windows one kernel offset at a time
(a padded copy of the input, then one strided slab, a comparison and a masked update per
offset); a compiled loop visits each window once, in cache, and reads the input once.

The kernels that loop over a window's taps (max and average pooling forward, average
pooling backward, the max pooling backward for windows that tile the input) are compiled
for each of the common window sizes in :data:`UNROLLED` (2x2, 3x3; 2 and 3 in 1-D): a
closure over the two sizes, so that Numba unrolls the taps. A loop over 2 or 3 taps whose
count is known only at run time costs more than the taps themselves and is no faster than
NumPy's slabs, so other window sizes keep the NumPy path for those passes; the max
pooling scatter and gather (one tap per window) take any size. Output pixels whose window
lies wholly inside the input (most of them) take a path without bounds checks; those whose
window reaches into the padding or past the edge check every tap. Stride, padding and
dilation are run-time arguments.

The results are the NumPy path's:

* max pooling keeps the same saved argmax ``idx`` (the flat kernel offset ``i * kw + j``
  of each window, int8 or int32): padding counts as ``-inf``, a later tap wins only when
  strictly greater (the first maximum wins ties), and a window holding a NaN gives NaN
  with the offset of its last NaN (PyTorch's rule); outputs and ``idx`` are identical;
* the max pooling backward adds each window's gradient into the input in the order the
  NumPy path does (output pixels in decreasing order), so overlapping windows round the
  same way; the average pooling backward too;
* average pooling sums a window's taps in kernel-offset order in the data's dtype and
  divides by the same divisor (equal up to rounding: the kernels' fast-math flags let
  LLVM reassociate the sums and divide by multiplying with the reciprocal).

Each kernel's first two arguments are the range ``lo:hi`` of its outer loop over the
``N * C`` planes, and each iteration reads and writes only its own plane, so
:meth:`minigrad.jit.Kernel.run` can split the loop over threads (overlapping windows
accumulate within one plane: no races) and results do not depend on the thread count.
"""

from __future__ import annotations

import numpy as np

from minigrad.jit import kernel

__all__ = []  # internal

# Indices are cast to unsigned before indexing (``xs[u(k)]``): Numba then skips the
# run-time check for negative (wrap-around) indices, which costs more than the load.
u = np.uint64


# ------------------------------------------------------------------------- kernels
def _make_max_fwd(kh, kw):
    """The max pooling forward kernel for ``kh x kw`` windows."""

    def max_fwd(lo, hi, x, geo, ninf, y, idx):
        """Planes ``lo:hi`` of ``x`` ``(N, C, H, W)``: each window's maximum into ``y``
        and its tap offset ``i * kw + j`` into ``idx`` (both ``(N, C, Ho, Wo)``). Taps in
        the padding are ``-inf``; a later tap wins only when strictly greater (ties keep
        the first); a window with NaNs gives NaN at its last NaN."""
        _, _, sh, sw, ph, pw, dh, dw, r0, r1, c0, c1 = geo  # (kh, kw: constants)
        N, C, H, W = x.shape
        ho, wo = y.shape[2], y.shape[3]
        xf = x.reshape(N * C, H * W)
        yf = y.reshape(N * C, ho * wo)
        jf = idx.reshape(N * C, ho * wo)
        for p in range(lo, hi):
            xs = xf[p]
            ys = yf[p]
            js = jf[p]
            for oh in range(ho):
                h0 = oh * sh - ph
                a, b = (c0, c1) if r0 <= oh < r1 else (wo, wo)
                xr = xs[max(h0, 0) * W :]  # (views of the rows: faster than flat indices)
                yr = ys[oh * wo : (oh + 1) * wo]
                jr = js[oh * wo : (oh + 1) * wo]
                for ow in range(a, b):  # the window is inside: no checks
                    base = ow * sw - pw
                    best = xr[u(base)]
                    bt = 0
                    tot = best
                    for i in range(kh):
                        for j in range(kw):
                            if i + j > 0:
                                v = xr[u(base + i * dh * W + j * dw)]
                                tot += v
                                if v > best:
                                    best = v
                                    bt = i * kw + j
                    if tot != tot:  # a NaN (or inf - inf): the last NaN wins
                        for i in range(kh):
                            for j in range(kw):
                                v = xr[u(base + i * dh * W + j * dw)]
                                if v != v:
                                    best = v
                                    bt = i * kw + j
                    yr[u(ow)] = best
                    jr[u(ow)] = bt
                for e in range(wo - (b - a)):  # windows at the edges: check each tap
                    ow = e if e < a else e + (b - a)
                    m = ninf
                    mt = 0
                    for i in range(kh):
                        h = h0 + i * dh
                        for j in range(kw):
                            w = ow * sw - pw + j * dw
                            if h >= 0 and h < H and w >= 0 and w < W:
                                v = xs[u(h * W + w)]
                                if v > m or v != v:
                                    m = v
                                    mt = i * kw + j
                    yr[u(ow)] = m
                    jr[u(ow)] = mt

    return kernel(max_fwd)


def _make_avg_fwd(kh, kw):
    """The average pooling forward kernel for ``kh x kw`` windows."""

    def avg_fwd(lo, hi, x, geo, div, zero, y):
        """Planes ``lo:hi``: each window's sum (in the data's dtype from ``zero``, taps
        in offset order, the zero padding skipped) divided by ``div[oh, ow]``."""
        _, _, sh, sw, ph, pw, dh, dw, r0, r1, c0, c1 = geo  # (kh, kw: constants)
        N, C, H, W = x.shape
        ho, wo = y.shape[2], y.shape[3]
        xf = x.reshape(N * C, H * W)
        yf = y.reshape(N * C, ho * wo)
        df = div.reshape(ho * wo)
        for p in range(lo, hi):
            xs = xf[p]
            ys = yf[p]
            for oh in range(ho):
                h0 = oh * sh - ph
                a, b = (c0, c1) if r0 <= oh < r1 else (wo, wo)
                xr = xs[max(h0, 0) * W :]
                yr = ys[oh * wo : (oh + 1) * wo]
                dr = df[oh * wo : (oh + 1) * wo]
                for ow in range(a, b):
                    base = ow * sw - pw
                    s = zero
                    for i in range(kh):
                        for j in range(kw):
                            s += xr[u(base + i * W + j)]
                    yr[u(ow)] = s / dr[u(ow)]
                for e in range(wo - (b - a)):
                    ow = e if e < a else e + (b - a)
                    t = zero
                    for i in range(kh):
                        h = h0 + i
                        for j in range(kw):
                            w = ow * sw - pw + j
                            if h >= 0 and h < H and w >= 0 and w < W:
                                t += xs[u(h * W + w)]
                    yr[u(ow)] = t / dr[u(ow)]

    return kernel(avg_fwd)


def _make_avg_bwd(kh, kw):
    """The average pooling backward kernel for ``kh x kw`` windows."""

    def avg_bwd(lo, hi, gy, geo, div, gx):
        """Planes ``lo:hi``: ``gx`` zeroed, then ``gy[oh, ow] / div[oh, ow]`` added over
        each window, output pixels in decreasing order (for every input position, the
        order of the NumPy path's per-offset slabs); the padding is dropped."""
        _, _, sh, sw, ph, pw, dh, dw, r0, r1, c0, c1 = geo  # (kh, kw: constants)
        N, C, H, W = gx.shape
        ho, wo = gy.shape[2], gy.shape[3]
        gf = gx.reshape(N * C, H * W)
        gyf = gy.reshape(N * C, ho * wo)
        df = div.reshape(ho * wo)
        for p in range(lo, hi):
            gs = gf[p]
            gys = gyf[p]
            for k in range(H * W):
                gs[k] = 0
            for oh in range(ho - 1, -1, -1):
                h0 = oh * sh - ph
                inner = r0 <= oh < r1
                gr = gs[max(h0, 0) * W :]
                gyr = gys[oh * wo : (oh + 1) * wo]
                dr = df[oh * wo : (oh + 1) * wo]
                for ow in range(wo - 1, -1, -1):
                    g = gyr[u(ow)] / dr[u(ow)]
                    if inner and c0 <= ow < c1:
                        base = ow * sw - pw
                        for i in range(kh):
                            for j in range(kw):
                                gr[u(base + i * W + j)] += g
                    else:
                        for i in range(kh):
                            h = h0 + i
                            for j in range(kw):
                                w = ow * sw - pw + j
                                if h >= 0 and h < H and w >= 0 and w < W:
                                    gs[u(h * W + w)] += g

    return kernel(avg_bwd)


def _make_max_scatter_tiled(kh, kw):
    """The max pooling backward for ``kh x kw`` windows that tile the input (stride =
    kernel, no dilation), the usual case: no two windows share an input position."""

    def max_scatter_tiled(lo, hi, gy, idx, geo, gx):
        """Planes ``lo:hi``: every tap of every window written once (``gy`` at the
        argmax ``idx``, 0 elsewhere; taps in the padding skipped), then the rows and
        columns past the last window zeroed: no zeroing pass, no read of ``gx``."""
        _, _, sh, sw, ph, pw, dh, dw, r0, r1, c0, c1 = geo  # (kh, kw: constants)
        N, C, H, W = gx.shape
        ho, wo = gy.shape[2], gy.shape[3]
        gf = gx.reshape(N * C, H * W)
        gyf = gy.reshape(N * C, ho * wo)
        jf = idx.reshape(N * C, ho * wo)
        hc = min(H, ho * kh - ph)  # windows cover rows 0:hc and columns 0:wc
        wc = min(W, wo * kw - pw)
        for p in range(lo, hi):
            gs = gf[p]
            gys = gyf[p]
            js = jf[p]
            for oh in range(ho):
                h0 = oh * kh - ph
                a, b = (c0, c1) if r0 <= oh < r1 else (wo, wo)
                gr = gs[max(h0, 0) * W :]
                gyr = gys[oh * wo : (oh + 1) * wo]
                jr = js[oh * wo : (oh + 1) * wo]
                for ow in range(a, b):
                    t = jr[u(ow)]
                    g = gyr[u(ow)]
                    base = ow * kw - pw
                    for i in range(kh):
                        for j in range(kw):
                            gr[u(base + i * W + j)] = g if t == i * kw + j else 0
                for e in range(wo - (b - a)):
                    ow = e if e < a else e + (b - a)
                    t = jr[u(ow)]
                    g = gyr[u(ow)]
                    for i in range(kh):
                        h = h0 + i
                        for j in range(kw):
                            w = ow * kw - pw + j
                            if h >= 0 and h < H and w >= 0 and w < W:
                                gs[u(h * W + w)] = g if t == i * kw + j else 0
                for i in range(kh):
                    h = h0 + i
                    if h >= 0 and h < H:
                        for w in range(wc, W):
                            gs[u(h * W + w)] = 0
            for k in range(hc * W, H * W):
                gs[k] = 0

    return kernel(max_scatter_tiled)


@kernel
def _max_scatter(lo, hi, gy, idx, geo, gx):
    """Planes ``lo:hi``: ``gx`` ``(N, C, H, W)`` zeroed, then each ``gy`` value added at
    its window's argmax ``idx``, output pixels in decreasing order (for every input
    position, the order of the NumPy path's per-offset slabs); an argmax in the padding
    is dropped."""
    kh, kw, sh, sw, ph, pw, dh, dw, r0, r1, c0, c1 = geo
    N, C, H, W = gx.shape
    ho, wo = gy.shape[2], gy.shape[3]
    gf = gx.reshape(N * C, H * W)
    gyf = gy.reshape(N * C, ho * wo)
    jf = idx.reshape(N * C, ho * wo)
    di = np.empty(kh * kw, np.int64)  # tap t -> (row, column) offset from the corner
    dj = np.empty(kh * kw, np.int64)
    for i in range(kh):
        for j in range(kw):
            di[i * kw + j] = i * dh - ph
            dj[i * kw + j] = j * dw - pw
    for p in range(lo, hi):
        gs = gf[p]
        gys = gyf[p]
        js = jf[p]
        for k in range(H * W):
            gs[k] = 0
        for oh in range(ho - 1, -1, -1):
            for ow in range(wo - 1, -1, -1):
                t = js[oh * wo + ow]
                h = oh * sh + di[t]
                w = ow * sw + dj[t]
                if h >= 0 and h < H and w >= 0 and w < W:
                    gs[u(h * W + w)] += gys[oh * wo + ow]


@kernel
def _max_gather(lo, hi, x, idx, geo, out):
    """Planes ``lo:hi``: ``out[oh, ow]`` = ``x`` at the window's argmax ``idx`` (0 in the
    padding)."""
    kh, kw, sh, sw, ph, pw, dh, dw, r0, r1, c0, c1 = geo
    N, C, H, W = x.shape
    ho, wo = out.shape[2], out.shape[3]
    xf = x.reshape(N * C, H * W)
    of = out.reshape(N * C, ho * wo)
    jf = idx.reshape(N * C, ho * wo)
    di = np.empty(kh * kw, np.int64)
    dj = np.empty(kh * kw, np.int64)
    for i in range(kh):
        for j in range(kw):
            di[i * kw + j] = i * dh - ph
            dj[i * kw + j] = j * dw - pw
    for p in range(lo, hi):
        xs = xf[p]
        os_ = of[p]
        js = jf[p]
        for oh in range(ho):
            for ow in range(wo):
                t = js[oh * wo + ow]
                h = oh * sh + di[t]
                w = ow * sw + dj[t]
                if h >= 0 and h < H and w >= 0 and w < W:
                    os_[oh * wo + ow] = xs[u(h * W + w)]
                else:
                    os_[oh * wo + ow] = 0


@kernel
def _max_fwd_pairs(lo, hi, x, y, idx, ho, wo, w2):
    """The common 2x2 / stride-2 max pooling without padding or dilation, for planes
    ``lo:hi``: ``x`` is the input viewed as complex ``(N*C, H*W/2)`` (each element a
    pair of neighbours along a row, ``w2 = W/2`` per row), ``y`` and ``idx`` are
    ``(N*C, ho*wo)``.

    The top and bottom pairs of every window of a plane are first copied into two small
    buffers (``ho*wo`` each, in cache), so that one flat loop over the plane, which LLVM
    vectorizes (a loop over each 7- or 14-window row did not), takes each window's
    maximum and argmax in a branch-free tournament: the first maximum wins ties, as in
    the general kernel. A plane holding a NaN (or ``inf - inf``) is then redone tap by
    tap with PyTorch's rule (the last NaN wins)."""
    q_n = ho * wo
    t0 = np.empty(q_n, x.dtype)
    t1 = np.empty(q_n, x.dtype)
    for p in range(lo, hi):
        xs = x[p]
        ys = y[p]
        js = idx[p]
        for oh in range(ho):
            s0 = u(2 * oh * w2)
            s1 = s0 + u(w2)
            d = u(oh * wo)
            for ow in range(u(wo)):
                t0[d + ow] = xs[s0 + ow]
            for ow in range(u(wo)):
                t1[d + ow] = xs[s1 + ow]
        bad = False
        for q in range(q_n):
            z0 = t0[u(q)]
            z1 = t1[u(q)]
            a = z0.real
            b = z0.imag
            c = z1.real
            d = z1.imag
            gb = b > a
            m0 = b if gb else a
            k0 = 1 if gb else 0
            gd = d > c
            m1 = d if gd else c
            k1 = 3 if gd else 2
            g = m1 > m0
            ys[u(q)] = m1 if g else m0
            js[u(q)] = k1 if g else k0
            s = a + b + c + d
            bad |= s != s
        if bad:
            for q in range(q_n):
                for t in range(4):
                    z = t0[u(q)] if t < 2 else t1[u(q)]
                    v = z.real if t % 2 == 0 else z.imag
                    if v != v:
                        ys[u(q)] = v
                        js[u(q)] = t


@kernel
def _max_scatter_pairs(lo, hi, gy, idx, gx, ho, wo, h, w2):
    """The backward of :func:`_max_fwd_pairs` for float32, planes ``lo:hi``: ``gy`` is
    the output gradient's bits as uint32 ``(N*C, ho*wo)``, ``idx`` the argmax taps and
    ``gx`` the input gradient as uint64 ``(N*C, h*w2)``, each element two neighbours of
    a row (``w2 = W/2``).

    A window's two rows are two 64-bit words: ``gy``'s bits in the half of its argmax tap,
    zeros elsewhere. They are built for the whole plane in one flat loop into two small
    buffers (LLVM vectorizes it; a loop over each 7- or 14-window row of the input did not,
    or did so with scatters), then copied row by row; the rows and columns past the last
    window are zeroed. The bits are copied, so the values are the general kernel's."""
    q_n = ho * wo
    t0 = np.empty(q_n, np.uint64)
    t1 = np.empty(q_n, np.uint64)
    z = np.uint64(0)
    sh = np.uint64(32)
    for p in range(lo, hi):
        gs = gx[p]
        gys = gy[p]
        js = idx[p]
        for q in range(q_n):
            t = js[u(q)]
            g = np.uint64(gys[u(q)])
            t0[u(q)] = (g if t == 0 else z) | ((g if t == 1 else z) << sh)
            t1[u(q)] = (g if t == 2 else z) | ((g if t == 3 else z) << sh)
        for oh in range(ho):
            d0 = u(2 * oh * w2)
            d1 = d0 + u(w2)
            s = u(oh * wo)
            for ow in range(u(wo)):
                gs[d0 + ow] = t0[s + ow]
            for ow in range(u(wo)):
                gs[d1 + ow] = t1[s + ow]
            for w in range(u(wo), u(w2)):
                gs[d0 + w] = z
                gs[d1 + w] = z
        for k in range(u(2 * ho * w2), u(h * w2)):
            gs[k] = z


# ------------------------------------------------------------------------ wrappers
UNROLLED = frozenset({(2, 2), (3, 3), (1, 2), (1, 3)})
"""Window sizes ``(kh, kw)`` (1-D: ``(1, k)``) that have window kernels (max and average
pooling forward, average pooling backward, the tiled max pooling backward), compiled
for that size with the taps unrolled. Other sizes keep the NumPy path there: with the
size known only at run time, a compiled loop over the taps is no faster than NumPy's
slabs (each compiled size also costs about a second the first time)."""

_BY_SIZE = {}  # (maker, kh, kw) -> Kernel


def _sized(make, kh, kw):
    """The kernel ``make(kh, kw)``, made once per window size."""
    k = _BY_SIZE.get((make, kh, kw))
    if k is None:
        k = _BY_SIZE[(make, kh, kw)] = make(kh, kw)
    return k


def handles(*arrays, spec=None):
    """Whether the kernels take these arrays (float32 or float64 NumPy arrays) and,
    with ``spec``, its window size (one of :data:`UNROLLED`)."""
    if spec is not None and spec.kernel not in UNROLLED:
        return False
    return all(a.dtype == np.float32 or a.dtype == np.float64 for a in arrays)


def _inside(n, out, k, s, p, d):
    """The outputs ``r0:r1`` along one axis whose windows lie wholly inside ``0:n``."""
    r0 = min(-(-p // s), out)
    r1 = min(max((n - 1 + p - d * (k - 1)) // s + 1, r0), out)
    return r0, r1


def _geometry(spec, shape):
    """``(kh, kw, sh, sw, ph, pw, dh, dw, r0, r1, c0, c1)``: the kernels' geometry
    argument for an input of ``shape`` (``r0:r1``, ``c0:c1`` as :func:`_inside`)."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = spec.kernel, spec.stride, spec.pad, spec.dilation
    ho, wo = spec.out
    r0, r1 = _inside(shape[2], ho, kh, sh, ph, dh)
    c0, c1 = _inside(shape[3], wo, kw, sw, pw, dw)
    return kh, kw, sh, sw, ph, pw, dh, dw, r0, r1, c0, c1


def _pairs(spec, shape):
    """Whether :func:`_max_fwd_pairs` takes this pooling: 2x2 windows at stride 2, no
    padding or dilation, an even width, and no partial window (``ceil_mode``)."""
    h, w = shape[2], shape[3]
    return (
        spec.kernel == (2, 2)
        and spec.stride == (2, 2)
        and spec.pad == (0, 0)
        and spec.dilation == (1, 1)
        and w % 2 == 0
        and tuple(spec.out) == (h // 2, w // 2)
    )


def max_forward(x, spec):
    """Max pooling of ``x`` ``(N, C, H, W)``: the output and the argmax offsets ``idx``
    (int8, or int32 for windows of more than 127 taps), as :class:`MaxPool` computes
    them."""
    x = np.ascontiguousarray(x)
    n, c, h, w = x.shape
    kh, kw = spec.kernel
    y = np.empty((n, c) + spec.out, dtype=x.dtype)
    idx = np.empty(y.shape, dtype=np.int8 if kh * kw <= 127 else np.int32)
    if _pairs(spec, x.shape):  # the usual 2x2 windows: a faster kernel (same results)
        pairs = x.reshape(n * c, h * w).view(np.complex64 if x.itemsize == 4 else np.complex128)
        ho, wo = spec.out
        nc = n * c
        _max_fwd_pairs.run(nc, x.size + 2 * y.size, pairs, y.reshape(nc, -1),
                           idx.reshape(nc, -1), ho, wo, w // 2)  # fmt: skip
        return y, idx
    k = _sized(_make_max_fwd, kh, kw)
    k.run(n * c, x.size + 2 * y.size, x, _geometry(spec, x.shape), x.dtype.type(-np.inf), y, idx)
    return y, idx


def max_scatter(gy, idx, spec, xshape):
    """The gradient of max pooling: ``gy`` added at each window's argmax, shape
    ``xshape``."""
    gy = np.ascontiguousarray(gy)
    gx = np.empty(xshape, dtype=gy.dtype)
    kh, kw = spec.kernel
    n, c = xshape[:2]
    geo = _geometry(spec, xshape)
    work = gx.size + 2 * gy.size
    if gy.dtype == np.float32 and _pairs(spec, xshape) and gx.size:  # the usual 2x2 windows
        h, w = xshape[2:]
        ho, wo = spec.out
        nc = n * c
        bits = gy.reshape(nc, ho * wo).view(np.uint32)
        words = gx.reshape(nc, h * w).view(np.uint64)
        jd = idx.reshape(nc, ho * wo)
        _max_scatter_pairs.run(nc, work, bits, jd, words, ho, wo, h, w // 2)
        return gx
    tiled = spec.stride == spec.kernel and spec.dilation == (1, 1)
    if tiled and spec.kernel in UNROLLED:  # no two windows share an input position
        _sized(_make_max_scatter_tiled, kh, kw).run(n * c, work, gy, idx, geo, gx)
    else:
        _max_scatter.run(n * c, work, gy, idx, geo, gx)
    return gx


def max_gather(x, idx, spec):
    """``x`` read at each window's argmax (0 where it lies in the padding)."""
    x = np.ascontiguousarray(x)
    out = np.empty(idx.shape, dtype=x.dtype)
    n, c = idx.shape[:2]
    _max_gather.run(n * c, 3 * out.size, x, idx, _geometry(spec, x.shape), out)
    return out


def _div_array(div, spec, dtype):
    """The divisor as a ``(Ho, Wo)`` array of ``dtype`` (it may be a number)."""
    if isinstance(div, np.ndarray):
        return np.ascontiguousarray(div, dtype=dtype)
    return np.full(spec.out, div, dtype=dtype)


def avg_forward(x, spec, div):
    """Average pooling of ``x`` ``(N, C, H, W)`` with the divisor ``div`` (a number or
    an ``(Ho, Wo)`` array), as :class:`AvgPool` computes it."""
    x = np.ascontiguousarray(x)
    n, c = x.shape[:2]
    kh, kw = spec.kernel
    y = np.empty((n, c) + spec.out, dtype=x.dtype)
    d = _div_array(div, spec, x.dtype)
    k = _sized(_make_avg_fwd, kh, kw)
    k.run(n * c, x.size + y.size, x, _geometry(spec, x.shape), d, x.dtype.type(0), y)
    return y


def avg_backward(gy, spec, div, xshape):
    """The gradient of average pooling: ``gy / div`` spread over each window, shape
    ``xshape``."""
    gy = np.ascontiguousarray(gy)
    n, c = xshape[:2]
    kh, kw = spec.kernel
    gx = np.empty(xshape, dtype=gy.dtype)
    d = _div_array(div, spec, gy.dtype)
    k = _sized(_make_avg_bwd, kh, kw)
    k.run(n * c, gx.size + gy.size, gy, _geometry(spec, xshape), d, gx)
    return gx
