"""ReLU and its gradient as compiled loops (Numba), for the CPU.

:class:`minigrad.ops.math.unary.ReLU` calls these when :func:`minigrad.jit.enabled` and the
data is float32 or float64. NumPy needs three passes for a ReLU and its backward
(``maximum``, the mask ``x > 0``, then ``gy * mask`` with a bool-to-float cast); each
loop here is one pass, and the backward reads the output instead of a saved mask.
Results are the NumPy path's exactly: NaN propagates forward and passes the gradient
(PyTorch's ``threshold_backward``: 0 only where the output is ``<= 0``), ``-0.0``
becomes ``+0.0``.
"""

from __future__ import annotations

import numpy as np

from minigrad.jit import kernel

__all__ = []  # internal

BLOCK = 1 << 14
"""Elements per iteration of the kernels' outer loop."""

STREAM_WORK = 1
"""The work a pass declares per element to :meth:`minigrad.jit.Kernel.run` (which splits
calls from :data:`minigrad.jit.SERIAL_BELOW`): one, not the two or three arrays it reads
and writes. A ReLU pass only streams memory, so a second thread gains little at sizes
where its hand-off costs as much: in W2's step (2 threads), the backward of its
(64,16,28,28) ReLU took 0.47 ms split, while the unsplit one of half that size took
0.13 ms (the other core was still busy with the BLAS threads of the GEMM just before)."""


@kernel
def _relu(lo, hi, x, y):
    """Blocks ``lo:hi``: ``y = x`` where ``x > 0`` or NaN, else ``+0``."""
    n = x.size
    for b in range(lo, hi):
        xs = x[b * BLOCK : min(n, (b + 1) * BLOCK)]
        ys = y[b * BLOCK : min(n, (b + 1) * BLOCK)]
        for i in range(xs.size):
            v = xs[i]
            ys[i] = v if not v <= 0 else 0  # (NaN <= 0 is False: NaN passes)


@kernel
def _relu_grad(lo, hi, g, y, dx):
    """Blocks ``lo:hi``: ``dx = 0`` where ``y <= 0``, else ``g`` (NaN ``y`` passes)."""
    n = g.size
    for b in range(lo, hi):
        gs = g[b * BLOCK : min(n, (b + 1) * BLOCK)]
        ys = y[b * BLOCK : min(n, (b + 1) * BLOCK)]
        ds = dx[b * BLOCK : min(n, (b + 1) * BLOCK)]
        for i in range(gs.size):
            ds[i] = 0 if ys[i] <= 0 else gs[i]


def handles(*arrays):
    """Whether the kernels take these arrays: float32 or float64, all of one dtype."""
    dt = arrays[0].dtype
    return dt in (np.float32, np.float64) and all(a.dtype == dt for a in arrays)


def relu(x):
    """``maximum(x, 0)`` (NaN kept) as a new C-contiguous array shaped like ``x``."""
    xc = np.ascontiguousarray(x).reshape(-1)
    y = np.empty(x.shape, dtype=x.dtype)
    _relu.run(-(-xc.size // BLOCK), STREAM_WORK * xc.size, xc, y.reshape(-1))
    return y


def relu_grad(g, y):
    """``g`` where ``y`` is not ``<= 0``, else 0, as a new array shaped like ``g``."""
    gc = np.ascontiguousarray(g).reshape(-1)
    yc = np.ascontiguousarray(y).reshape(-1)
    dx = np.empty(g.shape, dtype=g.dtype)
    _relu_grad.run(-(-gc.size // BLOCK), STREAM_WORK * gc.size, gc, yc, dx.reshape(-1))
    return dx
