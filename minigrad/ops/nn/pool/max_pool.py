"""Max pooling in 1-D and 2-D (PyTorch's ``F.max_pool1d`` and ``F.max_pool2d``).

A running maximum over the kernel offsets, keeping the offset where it was first reached;
backward is :class:`MaxPoolScatter`, whose backward is :class:`MaxPoolGather` (Chainer's
Grad-node pattern). See :mod:`minigrad.ops.nn.pool.pool_window` for how pooling works. On the CPU,
with :func:`minigrad.jit.enabled` and float32/float64 data, the three passes run as
compiled loops (:mod:`minigrad.ops.kernels.cpu.pool_jit`) with the same results.
"""

from __future__ import annotations

from minigrad import backend
from minigrad.autograd.function import Function
from minigrad.ops import impl
from minigrad.ops.impl import COMPILED, CUPY, NUMPY
from minigrad.ops.kernels.cpu import pool_jit
from minigrad.ops.nn.pool.pool_window import POOL, _batched, _spec
from minigrad.ops.nn.window import as_4d as _as_4d
from minigrad.ops.nn.window import from_4d as _from_4d
from minigrad.ops.nn.window import pad_array as _pad_array
from minigrad.tensor import Tensor

__all__ = ["max_pool1d", "max_pool2d"]


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
        name = impl.choose(self, POOL, x, spec=self.spec)
        if name == COMPILED:
            y, self.idx = pool_jit.max_forward(x4, self.spec)
            return _from_4d(y, nd)
        xpad = _pad_array(x4, self.spec.pad4, _lowest(xp, x.dtype))
        kh, kw = self.spec.kernel
        best = idx = None
        # PyTorch points at the last NaN of a window. The CPU checks for NaN once and fixes
        # the indices up after; a GPU takes NaN in the loop (a check would stall it).
        nan_in_loop = name == CUPY and x.dtype.kind == "f"
        for t, sl in self.spec.offsets():
            v = xpad[sl]
            if best is None:  # offset 0 starts the running maximum
                best = v.copy()
                idx = xp.zeros(best.shape, dtype=xp.int8 if kh * kw <= 127 else xp.int32)
                continue
            take = v > best  # strictly greater: the first maximum wins
            if nan_in_loop:
                take |= xp.isnan(v)
            xp.maximum(best, v, out=best)  # (NaN-propagating)
            idx += take.astype(idx.dtype) * (t - idx)  # branch-free "idx[take] = t"
        if not nan_in_loop and x.dtype.kind == "f" and bool(xp.isnan(best).any()):
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
        name = impl.choose(self, POOL, gy)
        if name == COMPILED:
            return _from_4d(pool_jit.max_scatter(gy4, self.idx, sp, self.xshape), sp.nd)
        zero = xp.zeros((), dtype=gy.dtype)
        pt, pb, pl, pr = sp.pad4
        gx = xp.zeros((n, c, h + pt + pb, w + pl + pr), dtype=gy.dtype)
        # gy * mask is branch-free and several times faster than where() on the random
        # masks of real data; it is exact unless gy holds inf/NaN (inf * 0 = NaN). On a
        # GPU, where() costs the same and checking would stall it: always select there.
        finite = name == NUMPY and bool(xp.isfinite(gy4).all())
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
        if impl.choose(self, POOL, x) == COMPILED:
            out = pool_jit.max_gather(_as_4d(x, self.spec.nd), self.idx, self.spec)
            return _from_4d(out, self.spec.nd)
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
