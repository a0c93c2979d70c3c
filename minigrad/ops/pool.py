"""Pooling: max, average and adaptive average pooling in 1-D and 2-D (PyTorch's names).

How it works
------------
Every window of a pooling op is visited through *strided slices*: for each kernel offset
``(i, j)`` the slice ``x_padded[:, :, i*dH :: sH, j*dW :: sW]`` (cut to the output size)
holds the tap ``(i, j)`` of every window at once. A pooling op is then a loop over the
``kH*kW`` offsets of whole-array operations (never over batch, channels or pixels):

- max pooling keeps a running maximum and the offset where it was first reached (PyTorch
  picks the first maximum; a NaN wins, as in PyTorch);
- average pooling sums the slices and divides by the window sizes.

The common non-overlapping case (``kernel == stride``, no padding) needs no separate
path: its slices are exactly the views ``x.reshape(N, C, H/k, k, W/k, k)[:, :, :, i, :, j]``,
and ``k*k`` whole-array operations on them were measured about 3x faster than NumPy
reductions over the short ``k`` axes of that reshape. What it does get: since windows are
disjoint, gradients are *assigned* slab by slab rather than accumulated.

Gradients are strided adds into the padded input. Double backward uses Chainer's
Grad-node pattern: max pooling's backward is :class:`MaxPoolScatter` (send each output
gradient to its window's argmax), whose backward is :class:`MaxPoolGather` (read the
argmax back), and vice versa; average pooling's backward is :class:`AvgPoolBackward`,
whose backward is average pooling again.

1-D pooling is 2-D pooling of height 1.
"""

from __future__ import annotations

from minigrad import backend
from minigrad.autograd.function import Function
from minigrad.ops.conv import _as_4d, _from_4d, _pad_array, _slab, _tuple
from minigrad.tensor import Tensor

__all__ = [
    "max_pool1d",
    "max_pool2d",
    "avg_pool1d",
    "avg_pool2d",
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
]


# ------------------------------------------------------------------ geometry
class _PoolSpec:
    """2-D pooling geometry: kernel, stride, padding, dilation (pairs), the output size
    and the extra zeros/-inf needed on the bottom/right when ``ceil_mode`` lets the last
    window run past the padded input."""

    __slots__ = ("kernel", "stride", "pad", "dilation", "out", "extra", "nd")

    def __init__(self, kernel, stride, pad, dilation, out, extra, nd):
        self.kernel, self.stride, self.pad, self.dilation = kernel, stride, pad, dilation
        self.out, self.extra, self.nd = out, extra, nd

    @property
    def pad4(self):
        """``(top, bottom, left, right)`` padding including the ceil-mode extra."""
        (ph, pw), (eh, ew) = self.pad, self.extra
        return ph, ph + eh, pw, pw + ew

    def offsets(self):
        """``(t, slices)`` for every kernel offset, ``t`` its flat index."""
        kh, kw = self.kernel
        ho, wo = self.out
        for i in range(kh):
            for j in range(kw):
                sl = (slice(None), slice(None)) + _slab(i, j, ho, wo, self.stride, self.dilation)
                yield i * kw + j, sl

    @property
    def disjoint(self):
        """Windows never overlap (e.g. kernel == stride): gradients can be assigned
        slab by slab instead of accumulated."""
        (kh, kw), (sh, sw), (dh, dw) = self.kernel, self.stride, self.dilation
        return sh >= dh * (kh - 1) + 1 and sw >= dw * (kw - 1) + 1


def _pool_out(n, k, s, p, d, ceil_mode):
    """PyTorch's pooling output size, and the extra padding the last window needs."""
    num = n + 2 * p - d * (k - 1) - 1
    out = (-(-num // s) if ceil_mode else num // s) + 1
    if ceil_mode and (out - 1) * s >= n + p:  # the last window must start inside
        out -= 1
    extra = max((out - 1) * s + d * (k - 1) + 1 - (n + 2 * p), 0)
    return out, extra


def _spec(op, nd, x, kernel_size, stride, padding, dilation, ceil_mode, max_pool):
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: expected a Tensor input, got {type(x).__name__}")
    if x.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(
            f"{op}: expected {nd + 1}-D (unbatched) or {nd + 2}-D (batched) input, got "
            f"shape {tuple(x.shape)}"
        )
    k = _tuple(kernel_size, nd, "kernel_size", op)
    s = k if stride is None or (not isinstance(stride, int) and len(stride) == 0) else stride
    s = _tuple(s, nd, "stride", op)
    p = _tuple(padding, nd, "padding", op)
    d = _tuple(dilation, nd, "dilation", op)
    if min(k) < 1 or min(s) < 1 or min(d) < 1 or min(p) < 0:
        raise ValueError(
            f"{op}: kernel_size, stride and dilation must be positive and padding "
            f"non-negative, got kernel_size={k}, stride={s}, padding={p}, dilation={d}"
        )
    for kk, pp, dd in zip(k, p, d):
        if 2 * pp > dd * (kk - 1) + 1:
            what = "effective kernel size" if max_pool else "kernel size"
            raise ValueError(
                f"{op}: pad should be at most half of {what}, but got padding={p}, "
                f"kernel_size={k}" + (f" and dilation={d}" if max_pool else "")
            )
    sizes = tuple(x.shape[-nd:])
    geo = [_pool_out(n, kk, ss, pp, dd, ceil_mode) for n, kk, ss, pp, dd in zip(sizes, k, s, p, d)]
    out = tuple(g[0] for g in geo)
    if min(out) < 1:
        raise RuntimeError(
            f"{op}: output size {out} is too small for input {tuple(x.shape)} with "
            f"kernel_size={k}, stride={s}, padding={p}, dilation={d}"
        )
    one = (1,) * (2 - nd)
    zero = (0,) * (2 - nd)
    return _PoolSpec(
        one + k, one + s, zero + p, one + d, one + out, zero + tuple(g[1] for g in geo), nd
    )


def _batched(x, nd, fn):
    """Run ``fn`` on a batched input; unbatched inputs get a unit batch dimension."""
    if x.ndim == nd + 1:
        out = fn(x.unsqueeze(0))
        if isinstance(out, tuple):
            return tuple(o.squeeze(0) for o in out)
        return out.squeeze(0)
    return fn(x)


# ------------------------------------------------------------------ max pooling
def _lowest(xp, dtype):
    return -xp.inf if dtype.kind == "f" else xp.iinfo(dtype).min


class MaxPool(Function):
    """Max pooling; saves the argmax offset of each window for the backward."""

    def __init__(self, spec):
        self.spec = spec

    def forward(self, x):
        xp = backend.array_module(x)
        nd = self.spec.nd
        x4 = _as_4d(x, nd)
        self.xshape = x4.shape
        xpad = _pad_array(x4, self.spec.pad4, _lowest(xp, x.dtype))
        kh, kw = self.spec.kernel
        best = idx = None
        for t, sl in self.spec.offsets():
            v = xpad[sl]
            if best is None:  # offset 0 starts the running maximum
                best = v.copy()
                idx = xp.zeros(best.shape, dtype=xp.int8 if kh * kw <= 127 else xp.int32)
                continue
            take = v > best  # strictly greater: the first maximum wins
            xp.maximum(best, v, out=best)  # (NaN-propagating)
            idx += take.astype(idx.dtype) * (t - idx)  # branch-free "idx[take] = t"
        if x.dtype.kind == "f" and bool(xp.isnan(best).any()):
            for t, sl in self.spec.offsets():  # PyTorch points at the last NaN
                idx = xp.where(xp.isnan(xpad[sl]), idx.dtype.type(t), idx)
        self.idx = idx
        return _from_4d(best, nd)

    def backward(self, gy):
        return MaxPoolScatter(self.spec, self.idx, self.xshape)(gy)

    def indices(self):
        """PyTorch's ``return_indices``: flat positions in the (unpadded) input plane."""
        xp = backend.array_module(self.idx)
        kh, kw = self.spec.kernel
        (sh, sw), (dh, dw) = self.spec.stride, self.spec.dilation
        ph, pw = self.spec.pad
        ho, wo = self.spec.out
        idx = self.idx.astype(xp.int64)
        h = xp.arange(ho).reshape(-1, 1) * sh - ph + (idx // kw) * dh
        w = xp.arange(wo) * sw - pw + (idx % kw) * dw
        return _from_4d(h * self.xshape[3] + w, self.spec.nd)


class MaxPoolScatter(Function):
    """Send each window's gradient to its argmax (the backward of :class:`MaxPool`)."""

    def __init__(self, spec, idx, xshape):
        self.spec, self.idx, self.xshape = spec, idx, xshape

    def forward(self, gy):
        xp = backend.array_module(gy)
        sp = self.spec
        n, c, h, w = self.xshape
        gy4 = _as_4d(gy, sp.nd)
        zero = xp.zeros((), dtype=gy.dtype)
        pt, pb, pl, pr = sp.pad4
        gx = xp.zeros((n, c, h + pt + pb, w + pl + pr), dtype=gy.dtype)
        # gy * mask is branch-free and several times faster than where() on the random
        # masks of real data; it is exact unless gy holds inf/NaN (inf * 0 = NaN).
        finite = bool(xp.isfinite(gy4).all())
        for t, sl in sp.offsets():
            g = gy4 * (self.idx == t) if finite else xp.where(self.idx == t, gy4, zero)
            if sp.disjoint:
                gx[sl] = g
            else:
                gx[sl] += g
        return _from_4d(xp.ascontiguousarray(gx[:, :, pt : pt + h, pl : pl + w]), sp.nd)

    def backward(self, ggx):
        return MaxPoolGather(self.spec, self.idx, self.xshape)(ggx)


class MaxPoolGather(Function):
    """Read each window's argmax (the backward of :class:`MaxPoolScatter`)."""

    def __init__(self, spec, idx, xshape):
        self.spec, self.idx, self.xshape = spec, idx, xshape

    def forward(self, x):
        xp = backend.array_module(x)
        xpad = _pad_array(_as_4d(x, self.spec.nd), self.spec.pad4)
        out = xp.zeros(self.idx.shape, dtype=x.dtype)
        for t, sl in self.spec.offsets():
            xp.copyto(out, xpad[sl], where=self.idx == t)
        return _from_4d(out, self.spec.nd)

    def backward(self, gy):
        return MaxPoolScatter(self.spec, self.idx, self.xshape)(gy)


def _max_pool(op, nd, x, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    spec = _spec(op, nd, x, kernel_size, stride, padding, dilation, ceil_mode, True)

    def run(xb):
        f = MaxPool(spec)
        y = f(xb)
        if return_indices:
            return y, Tensor._make(f.indices())
        return y

    return _batched(x, nd, run)


def max_pool2d(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    """2-D max pooling (PyTorch's ``F.max_pool2d``).

    Parameters
    ----------
    input : Tensor
        ``(N, C, H, W)`` or ``(C, H, W)``.
    kernel_size : int or tuple of 2 ints
        Window size.
    stride : int or tuple of 2 ints, optional
        Step between windows (default: ``kernel_size``).
    padding : int or tuple of 2 ints
        Implicit ``-inf`` padding on both sides; at most half the effective kernel.
    dilation : int or tuple of 2 ints
        Spacing between window taps.
    ceil_mode : bool
        Round the output size up (a last, partial window), never starting a window in
        the right padding.
    return_indices : bool
        Also return the argmax of each window as a flat index into the input plane
        (``h * W + w``), as PyTorch does.

    Returns
    -------
    Tensor, or (Tensor, Tensor)
        The pooled tensor (and the int64 indices).

    Raises
    ------
    ValueError
        For non-positive sizes or padding larger than half the effective kernel.
    RuntimeError
        For an input of the wrong rank or an empty output.

    Examples
    --------
    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> x = minigrad.arange(16.0).reshape(1, 1, 4, 4)
    >>> F.max_pool2d(x, 2)
    tensor([[[[ 5.,  7.],
              [13., 15.]]]])
    >>> F.max_pool2d(x, 3, stride=2, ceil_mode=True, return_indices=True)[1]
    tensor([[[[10, 11],
              [14, 15]]]])
    """
    return _max_pool(
        "max_pool2d", 2, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices
    )


def max_pool1d(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    """1-D max pooling (PyTorch's ``F.max_pool1d``); see :func:`max_pool2d`.

    Parameters
    ----------
    input : Tensor
        ``(N, C, L)`` or ``(C, L)``.
    kernel_size, stride, padding, dilation : int or tuple of 1 int
        As in :func:`max_pool2d` (``stride`` defaults to ``kernel_size``).
    ceil_mode, return_indices : bool
        As in :func:`max_pool2d`; indices are positions along ``L``.

    Returns
    -------
    Tensor, or (Tensor, Tensor)

    Raises
    ------
    ValueError, RuntimeError
        As in :func:`max_pool2d`.

    Examples
    --------
    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.max_pool1d(minigrad.tensor([[[1.0, 3.0, 2.0, 5.0, 4.0]]]), 2)
    tensor([[[3., 5.]]])
    """
    return _max_pool(
        "max_pool1d", 1, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices
    )


# ------------------------------------------------------------------ average pooling
def _window_counts(xp, n, out, k, s, p, count_include_pad):
    """Number of taps each window averages over along one axis (PyTorch's rule)."""
    start = xp.arange(out) * s - p
    end = xp.minimum(start + k, n + p)  # windows never count beyond the padding
    if count_include_pad:
        return end - start
    return xp.minimum(end, n) - xp.maximum(start, 0)


def _divisor(spec, xshape, dtype, xp, count_include_pad, divisor_override):
    """The divisor of each output pixel: a Python number when it is constant."""
    if divisor_override is not None:
        return divisor_override
    h, w = xshape[2:]
    dims = zip((h, w), spec.out, spec.kernel, spec.stride, spec.pad)
    ch, cw = (_window_counts(xp, *a, count_include_pad) for a in dims)
    div = ch.reshape(-1, 1) * cw
    first = int(div.ravel()[0])
    if bool((div == first).all()):
        return first
    return div.astype(dtype)


class AvgPool(Function):
    """Average pooling over windows of the zero-padded input."""

    def __init__(self, spec, count_include_pad, divisor_override):
        self.spec, self.cip, self.override = spec, count_include_pad, divisor_override

    def forward(self, x):
        xp = backend.array_module(x)
        sp = self.spec
        x4 = _as_4d(x, sp.nd)
        self.xshape = x4.shape
        div = _divisor(sp, x4.shape, x.dtype, xp, self.cip, self.override)
        xpad = _pad_array(x4, sp.pad4)
        y = xp.zeros((x4.shape[0], x4.shape[1]) + sp.out, dtype=x.dtype)
        for _, sl in sp.offsets():
            y += xpad[sl]
        y /= div
        return _from_4d(y, sp.nd)

    def backward(self, gy):
        return AvgPoolBackward(self.spec, self.cip, self.override, self.xshape)(gy)


class AvgPoolBackward(Function):
    """Spread each output gradient evenly over its window (the backward of
    :class:`AvgPool`); its own backward is average pooling again."""

    def __init__(self, spec, count_include_pad, divisor_override, xshape):
        self.spec, self.cip, self.override, self.xshape = (
            spec,
            count_include_pad,
            divisor_override,
            xshape,
        )

    def forward(self, gy):
        xp = backend.array_module(gy)
        sp = self.spec
        n, c, h, w = self.xshape
        g = _as_4d(gy, sp.nd) / _divisor(sp, self.xshape, gy.dtype, xp, self.cip, self.override)
        pt, pb, pl, pr = sp.pad4
        gx = xp.zeros((n, c, h + pt + pb, w + pl + pr), dtype=gy.dtype)
        for _, sl in sp.offsets():
            if sp.disjoint:
                gx[sl] = g
            else:
                gx[sl] += g
        return _from_4d(xp.ascontiguousarray(gx[:, :, pt : pt + h, pl : pl + w]), sp.nd)

    def backward(self, ggx):
        return AvgPool(self.spec, self.cip, self.override)(ggx)


def _avg_pool(op, nd, x, kernel_size, stride, padding, ceil_mode, cip, divisor_override):
    if divisor_override is not None and (
        not isinstance(divisor_override, int) or divisor_override == 0
    ):
        raise ValueError(f"{op}: divisor_override must be a non-zero int, got {divisor_override!r}")
    spec = _spec(op, nd, x, kernel_size, stride, padding, 1, ceil_mode, False)
    return _batched(x, nd, lambda xb: AvgPool(spec, cip, divisor_override)(xb))


def avg_pool2d(
    input,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode=False,
    count_include_pad=True,
    divisor_override=None,
):
    """2-D average pooling (PyTorch's ``F.avg_pool2d``).

    Parameters
    ----------
    input : Tensor
        ``(N, C, H, W)`` or ``(C, H, W)``.
    kernel_size : int or tuple of 2 ints
        Window size.
    stride : int or tuple of 2 ints, optional
        Step between windows (default: ``kernel_size``).
    padding : int or tuple of 2 ints
        Implicit zero padding on both sides; at most half the kernel.
    ceil_mode : bool
        Round the output size up (a last, partial window).
    count_include_pad : bool
        Count padding zeros in the divisor (the part of a ceil-mode window beyond the
        padding is never counted).
    divisor_override : int, optional
        Divide every window sum by this instead.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        For non-positive sizes, too much padding or a zero ``divisor_override``.
    RuntimeError
        For an input of the wrong rank or an empty output.

    Examples
    --------
    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> x = minigrad.arange(16.0).reshape(1, 1, 4, 4)
    >>> F.avg_pool2d(x, 2)
    tensor([[[[ 2.5,  4.5],
              [10.5, 12.5]]]])
    >>> F.avg_pool2d(x, 3, stride=1, padding=1, count_include_pad=False)[0, 0, 0]
    tensor([2.5, 3. , 4. , 4.5])
    """
    return _avg_pool(
        "avg_pool2d", 2, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
        divisor_override,
    )  # fmt: skip


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """1-D average pooling (PyTorch's ``F.avg_pool1d``); see :func:`avg_pool2d`.

    Parameters
    ----------
    input : Tensor
        ``(N, C, L)`` or ``(C, L)``.
    kernel_size, stride, padding : int or tuple of 1 int
        As in :func:`avg_pool2d`.
    ceil_mode, count_include_pad : bool
        As in :func:`avg_pool2d`.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError, RuntimeError
        As in :func:`avg_pool2d`.

    Examples
    --------
    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.avg_pool1d(minigrad.tensor([[[1.0, 3.0, 2.0, 6.0]]]), 2)
    tensor([[[2., 4.]]])
    """
    return _avg_pool(
        "avg_pool1d", 1, input, kernel_size, stride, padding, ceil_mode, count_include_pad, None
    )


# ------------------------------------------------------------------ adaptive pooling
def _adaptive_matrix(xp, n, out, dtype):
    """``(out, n)`` averaging matrix: row ``i`` averages ``[floor(i*n/out), ceil((i+1)*n/out))``."""
    i = xp.arange(out).reshape(-1, 1)
    start = (i * n) // out
    end = -((-(i + 1) * n) // out)
    j = xp.arange(n)
    inside = (j >= start) & (j < end)
    return (inside / (end - start)).astype(dtype)


def _adaptive(op, nd, x, output_size):
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: expected a Tensor input, got {type(x).__name__}")
    if x.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(
            f"{op}: expected {nd + 1}-D (unbatched) or {nd + 2}-D (batched) input, got "
            f"shape {tuple(x.shape)}"
        )
    sizes = tuple(x.shape[-nd:])
    if isinstance(output_size, int) or output_size is None:
        output_size = (output_size,) * nd
    output_size = tuple(output_size)
    if len(output_size) != nd:
        raise ValueError(f"{op}: output_size must have {nd} entries, got {output_size!r}")
    out = tuple(n if o is None else o for n, o in zip(sizes, output_size))
    if min(out) < 1 or min(sizes) < 1:
        raise ValueError(f"{op}: output_size {out} and input {tuple(x.shape)} must be positive")
    if all(n % o == 0 for n, o in zip(sizes, out)):  # uniform windows: plain average pool
        k = tuple(n // o for n, o in zip(sizes, out))
        pool = avg_pool2d if nd == 2 else avg_pool1d
        return pool(x, k, k)
    from minigrad.ops.linalg import matmul

    y = x
    for axis in range(nd):  # contract the last nd axes one at a time: y @ P^T
        dim = x.ndim - nd + axis
        p = Tensor._make(_adaptive_matrix(x.xp, sizes[axis], out[axis], x.dtype).T.copy())
        y = matmul(y.transpose(dim, -1), p).transpose(dim, -1)
    return y


def adaptive_avg_pool2d(input, output_size):
    """2-D adaptive average pooling (PyTorch's ``F.adaptive_avg_pool2d``).

    Output pixel ``(i, j)`` averages input rows ``floor(i*H/h_out) .. ceil((i+1)*H/h_out)``
    (and likewise columns). When the sizes divide, this is :func:`avg_pool2d` with
    ``kernel = stride = H // h_out``; otherwise two small averaging matrices are applied.

    Parameters
    ----------
    input : Tensor
        ``(N, C, H, W)`` or ``(C, H, W)``.
    output_size : int or tuple of 2 (int or None)
        Target size; ``None`` keeps that input size.

    Returns
    -------
    Tensor
        ``(N, C, h_out, w_out)``.

    Raises
    ------
    ValueError
        For a badly formed or non-positive ``output_size``.
    RuntimeError
        For an input of the wrong rank.

    Examples
    --------
    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> x = minigrad.arange(9.0).reshape(1, 1, 3, 3)
    >>> F.adaptive_avg_pool2d(x, 2)
    tensor([[[[2., 3.],
              [5., 6.]]]])
    >>> F.adaptive_avg_pool2d(x, 1).flatten()
    tensor([4.])
    """
    return _adaptive("adaptive_avg_pool2d", 2, input, output_size)


def adaptive_avg_pool1d(input, output_size):
    """1-D adaptive average pooling (PyTorch's ``F.adaptive_avg_pool1d``).

    Parameters
    ----------
    input : Tensor
        ``(N, C, L)`` or ``(C, L)``.
    output_size : int
        Target length.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError, RuntimeError
        As in :func:`adaptive_avg_pool2d`.

    Examples
    --------
    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.adaptive_avg_pool1d(minigrad.tensor([[[1.0, 2.0, 3.0, 4.0, 5.0]]]), 2)
    tensor([[[2., 4.]]])
    """
    return _adaptive("adaptive_avg_pool1d", 1, input, output_size)
