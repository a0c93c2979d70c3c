"""Adaptive max pooling (PyTorch's ``F.adaptive_max_pool1d`` / ``F.adaptive_max_pool2d``).

Output cell ``i`` of an axis of length ``n`` pooled to ``out`` covers input positions
``[floor(i*n/out), ceil((i+1)*n/out))``: windows of unequal length that may overlap.
They are gathered at once: for every output cell the positions ``start + t`` for ``t <
K`` (``K`` the longest window), clamped to the window's last position (a repeat does not
change a maximum), so the pooling is one gather and one max over the ``K`` (or ``Kh*Kw``)
axis. Ties go to the first maximum in row-major order, and the indices are flat
positions ``h * W + w`` in each input plane, as PyTorch returns them.

Gradients: :class:`PlaneScatter` adds each output gradient into its argmax (windows may
overlap, so repeated positions add up); its adjoint :class:`PlaneGather` reads the
argmax back. Each is the other's backward, so gradients of any order are exact.
"""

from __future__ import annotations

import numpy as np

from minigrad import backend
from minigrad.autograd.function import Function
from minigrad.ops.nn.pool.pool_window import _check_input
from minigrad.ops.shape.indexing import scatter_add
from minigrad.tensor import Tensor

__all__ = ["adaptive_max_pool1d", "adaptive_max_pool2d"]


def _window_index(xp, n, out):
    """``(out, K)`` positions of each window, the tail clamped to the window's end (from
    shapes alone: computed on the host, then moved to the data's device)."""
    i = np.arange(out)
    start = (i * n) // out
    end = -((-(i + 1) * n) // out)
    k = int((end - start).max())
    idx = start[:, None] + np.arange(k)[None, :]
    return xp.asarray(np.minimum(idx, (end - 1)[:, None]))


class PlaneGather(Function):
    """``y[..., j] = x.reshape(..., P)[..., idx[..., j]]`` over the flattened last two axes
    (a plane of ``P`` positions); backward is :class:`PlaneScatter`."""

    def __init__(self, idx):
        self.idx = idx  # (N, C, Ho*Wo) flat positions

    def forward(self, x):
        xp = backend.array_module(x)
        self.xshape = x.shape
        flat = x.reshape(x.shape[:-2] + (-1,))
        return xp.take_along_axis(flat, self.idx, axis=-1).reshape(self.yshape)

    def backward(self, gy):
        return PlaneScatter(self.idx, self.xshape)(gy)


class PlaneScatter(Function):
    """``gx.reshape(..., P)[..., idx[..., j]] += gy[..., j]``; backward is
    :class:`PlaneGather`."""

    def __init__(self, idx, xshape):
        self.idx, self.xshape = idx, tuple(xshape)

    def forward(self, gy):
        xp = backend.array_module(gy)
        lead = self.xshape[:-2]
        p = self.xshape[-2] * self.xshape[-1]
        out = xp.zeros(lead + (p,), dtype=gy.dtype)
        g = gy.reshape(self.idx.shape)
        ii = xp.ix_(*[xp.arange(s) for s in lead], xp.arange(self.idx.shape[-1]))
        scatter_add(out, ii[:-1] + (self.idx,), g)
        self.yshape = gy.shape
        return out.reshape(self.xshape)

    def backward(self, ggx):
        f = PlaneGather(self.idx)
        f.yshape = self.yshape
        return f(ggx)


class AdaptiveMaxPool(Function):
    """The pooled maxima and their flat indices; backward is :class:`PlaneScatter`."""

    def __init__(self, out):
        self.outsize = out

    def forward(self, x):
        xp = backend.array_module(x)
        n, c, h, w = x.shape
        oh, ow = self.outsize
        ih = _window_index(xp, h, oh)  # (oh, Kh)
        iw = _window_index(xp, w, ow)  # (ow, Kw)
        kh, kw = ih.shape[1], iw.shape[1]
        flat = (ih[:, None, :, None] * w + iw[None, :, None, :]).reshape(oh * ow, kh * kw)
        win = x.reshape(n, c, h * w)[:, :, flat]  # (N, C, oh*ow, Kh*Kw)
        arg = win.argmax(axis=-1)
        nan = xp.isnan(win)
        if xp is not np or bool(nan.any()):  # a NaN wins, as in PyTorch (GPU: no check)
            arg = xp.where(nan.any(axis=-1), nan.argmax(axis=-1), arg)
        pos = xp.take_along_axis(xp.broadcast_to(flat, win.shape), arg[..., None], axis=-1)[
            ..., 0
        ]  # (N, C, oh*ow) flat input positions
        self.idx = pos
        self.xshape = x.shape
        y = xp.take_along_axis(win, arg[..., None], axis=-1)[..., 0]
        return y.reshape(n, c, oh, ow)

    def backward(self, gy):
        return PlaneScatter(self.idx, self.xshape)(gy)


def _adaptive_max(op, nd, input, output_size, return_indices):
    _check_input(op, nd, input)
    unbatched = input.ndim == nd + 1
    x = input.unsqueeze(0) if unbatched else input
    if nd == 1:
        x = x.unsqueeze(2)
    sizes = tuple(x.shape[-2:])
    if isinstance(output_size, int) or output_size is None:
        output_size = (output_size,) * nd
    output_size = tuple(output_size)
    if len(output_size) != nd:
        raise ValueError(f"{op}: output_size must have {nd} entries, got {output_size!r}")
    out = tuple(n if o is None else o for n, o in zip(sizes[2 - nd :], output_size))
    if nd == 1:
        out = (1,) + out
    if min(out) < 1 or min(sizes) < 1:
        raise ValueError(
            f"{op}: output_size {output_size} and input {tuple(input.shape)} must be positive"
        )
    f = AdaptiveMaxPool(out)
    y = f(x)
    idx = Tensor._make(f.idx.reshape(y.shape).astype(x.xp.int64))
    if nd == 1:
        y, idx = y.squeeze(2), idx.squeeze(2)
    if unbatched:
        y, idx = y.squeeze(0), idx.squeeze(0)
    return (y, idx) if return_indices else y


def adaptive_max_pool2d(input, output_size, return_indices: bool = False):
    """2-D adaptive max pooling (PyTorch's ``F.adaptive_max_pool2d``).

    Output pixel ``(i, j)`` is the maximum over input rows ``floor(i*H/h_out) ..
    ceil((i+1)*H/h_out)`` and the columns likewise.

    Parameters
    ----------
    input : Tensor
        ``(N, C, H, W)`` or ``(C, H, W)``.
    output_size : int or tuple of 2 (int or None)
        Target size; ``None`` keeps that input size.
    return_indices : bool
        Also return the argmax of each window as a flat index ``h * W + w`` (int64).

    Returns
    -------
    Tensor, or (Tensor, Tensor) with ``return_indices``

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
    >>> y, idx = F.adaptive_max_pool2d(x, 2, return_indices=True)
    >>> y
    tensor([[[[4., 5.],
              [7., 8.]]]])
    >>> idx
    tensor([[[[4, 5],
              [7, 8]]]])
    """
    return _adaptive_max("adaptive_max_pool2d", 2, input, output_size, return_indices)


def adaptive_max_pool1d(input, output_size, return_indices: bool = False):
    """1-D adaptive max pooling (PyTorch's ``F.adaptive_max_pool1d``).

    Parameters
    ----------
    input : Tensor
        ``(N, C, L)`` or ``(C, L)``.
    output_size : int
        Target length.
    return_indices : bool
        Also return the argmax positions (int64).

    Returns
    -------
    Tensor, or (Tensor, Tensor) with ``return_indices``

    Raises
    ------
    ValueError, RuntimeError
        As in :func:`adaptive_max_pool2d`.

    Examples
    --------
    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.adaptive_max_pool1d(minigrad.tensor([[[1.0, 5.0, 3.0, 4.0, 2.0]]]), 2)
    tensor([[[5., 4.]]])
    """
    return _adaptive_max("adaptive_max_pool1d", 1, input, output_size, return_indices)
