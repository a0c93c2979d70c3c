"""Average and adaptive average pooling in 1-D and 2-D (PyTorch's ``F.avg_pool1d``,
``F.avg_pool2d``, ``F.adaptive_avg_pool1d``, ``F.adaptive_avg_pool2d``).

Average pooling sums the strided slices of every window and divides by the window sizes;
its backward is :class:`AvgPoolBackward`, whose backward is average pooling again. Adaptive
pooling is plain average pooling when the sizes divide, else two small averaging matrices.
See :mod:`minigrad.ops.nn.pool.pool_window` for how pooling works. On the CPU, with
:func:`minigrad.jit.enabled` and float32/float64 data, average pooling and its backward
run as compiled loops (:mod:`minigrad.ops.kernels.cpu.pool_jit`).
"""

from __future__ import annotations

import numpy as np

from minigrad import backend
from minigrad.autograd.function import Function
from minigrad.ops import impl
from minigrad.ops.impl import COMPILED
from minigrad.ops.kernels.cpu import pool_jit
from minigrad.ops.nn.pool.pool_window import POOL, _batched, _check_input, _spec
from minigrad.ops.nn.window import as_4d as _as_4d
from minigrad.ops.nn.window import from_4d as _from_4d
from minigrad.ops.nn.window import pad_array as _pad_array
from minigrad.tensor import Tensor

__all__ = ["avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d", "adaptive_avg_pool2d"]


def _window_counts(xp, n, out, k, s, p, count_include_pad):
    """Number of taps each window averages over along one axis (PyTorch's rule)."""
    start = xp.arange(out) * s - p
    end = xp.minimum(start + k, n + p)  # windows never count beyond the padding
    if count_include_pad:
        return end - start
    return xp.minimum(end, n) - xp.maximum(start, 0)


def _divisor(spec, xshape, dtype, xp, count_include_pad, divisor_override):
    """The divisor of each output pixel: a Python number when it is constant. It depends on
    shapes alone, so it is computed on the host (no device round trip) and moved to the
    data's device only when it varies."""
    if divisor_override is not None:
        return divisor_override
    h, w = xshape[2:]
    dims = zip((h, w), spec.out, spec.kernel, spec.stride, spec.pad)
    ch, cw = (_window_counts(np, *a, count_include_pad) for a in dims)
    div = ch.reshape(-1, 1) * cw
    first = int(div.ravel()[0])
    if bool((div == first).all()):
        return first
    return xp.asarray(div.astype(dtype))


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
        if impl.choose(self, POOL, x, spec=sp) == COMPILED:
            return _from_4d(pool_jit.avg_forward(x4, sp, div), sp.nd)
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
        div = _divisor(sp, self.xshape, gy.dtype, xp, self.cip, self.override)
        if impl.choose(self, POOL, gy, spec=sp) == COMPILED:
            return _from_4d(pool_jit.avg_backward(_as_4d(gy, sp.nd), sp, div, self.xshape), sp.nd)
        g = _as_4d(gy, sp.nd) / div
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
    _check_input(op, nd, x)
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
    from minigrad.ops.math.linalg import matmul

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
