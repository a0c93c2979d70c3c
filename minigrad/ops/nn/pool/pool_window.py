"""Pooling geometry shared by :mod:`minigrad.ops.nn.pool.max_pool` and
:mod:`minigrad.ops.nn.pool.avg_pool`:
argument checks, PyTorch's output-size rule (with ``ceil_mode``) and the strided slices
that visit every window at once, and the pooling family's implementations
(:data:`POOL`, :mod:`minigrad.ops.impl`).

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

The code is in three files: this one (the geometry), :mod:`minigrad.ops.nn.pool.max_pool` and
:mod:`minigrad.ops.nn.pool.avg_pool` (average and adaptive average pooling).
"""

from __future__ import annotations

from minigrad.ops import impl
from minigrad.ops.impl import COMPILED
from minigrad.ops.kernels.cpu.pool_jit import handles
from minigrad.ops.nn.window import int_tuple
from minigrad.ops.nn.window import slab as _slab
from minigrad.tensor import Tensor

POOL = impl.family("pool")
"""The implementations of the max and average pooling passes: "numpy" and "cupy" run the
``xp`` slab loops of :mod:`minigrad.ops.nn.pool.max_pool` and :mod:`minigrad.ops.nn.pool.avg_pool`;
"cpu-compiled" runs :mod:`minigrad.ops.kernels.cpu.pool_jit`'s loops (float32/float64 NumPy arrays;
the passes that loop over a window's taps only for its unrolled window sizes: the
``spec`` detail)."""
POOL.register(COMPILED, handles)


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


def _check_input(op, nd, x):
    """A pooling input must be an ``nd+1``-D (unbatched) or ``nd+2``-D (batched) Tensor."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: expected a Tensor input, got {type(x).__name__}")
    if x.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(
            f"{op}: expected {nd + 1}-D (unbatched) or {nd + 2}-D (batched) input, got "
            f"shape {tuple(x.shape)}"
        )


def _spec(op, nd, x, kernel_size, stride, padding, dilation, ceil_mode, max_pool):
    _check_input(op, nd, x)
    k = int_tuple(kernel_size, nd, "kernel_size", op)
    s = k if stride is None or (not isinstance(stride, int) and len(stride) == 0) else stride
    s = int_tuple(s, nd, "stride", op)
    p = int_tuple(padding, nd, "padding", op)
    d = int_tuple(dilation, nd, "dilation", op)
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
