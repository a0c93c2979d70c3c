"""Array-level building blocks of the normalization core (:mod:`minigrad.ops.nn.norm.norm_core`).

Everything here works on raw arrays: per-channel sums, the two fused elementwise
formulas of the forward and backward passes as short sequences of in-place NumPy ufuncs
(:func:`chan_dot`, :func:`fwd_affine` and :func:`bwd_combine` are the "numpy"
implementation; :mod:`minigrad.ops.kernels.cuda.norm_cupy` has the same three as fused CuPy
kernels),
and the CPU machinery that runs those passes tile by tile (cache-sized tiles of whole
samples, on minigrad's thread pool, :func:`minigrad.jit.map_tasks`, with per-thread
scratch buffers; on CuPy the whole array is one tile).
"""

from __future__ import annotations

import threading

import numpy as np

from minigrad import backend, jit

__all__ = []  # internal


# ----------------------------------------------------------------------- channel sums
def chan_sum(v):
    """Sum of a ``(A, C, B)`` array over axes 0 and 2: shape ``(C,)``."""
    xp = backend.array_module(v)
    A, C, B = v.shape
    if xp is not np:
        return v.sum(axis=(0, 2))
    # einsum's contiguous row sums are single-threaded SIMD: as fast as a BLAS gemv
    # against a ones vector here, and immune to BLAS threads fighting for shared cores
    if B == 1:
        return np.einsum("ac->c", v.reshape(A, C))
    r = np.einsum("ij->i", v.reshape(A * C, B))
    return r.reshape(A, C).sum(axis=0) if A > 1 else r


def chan_dot(a, b):
    """``sum(a * b)`` of two ``(A, C, B)`` NumPy arrays over axes 0 and 2: shape ``(C,)``."""
    A, C, B = a.shape
    if B == 1:
        return np.einsum("ac,ac->c", a.reshape(A, C), b.reshape(A, C))
    r = np.einsum("ij,ij->i", a.reshape(A * C, B), b.reshape(A * C, B))
    return r.reshape(A, C).sum(axis=0) if A > 1 else r


def col(v):
    """A ``(C,)`` vector as ``(1, C, 1)``, to broadcast against a 3-d view."""
    return v.reshape(1, -1, 1)


def expand(v, n):
    """A ``(C,)`` vector as a constant that broadcasts against ``(t, C, n)``.

    NumPy runs a broadcast op as one inner loop per row of the broadcast operand, so a
    ``(1, C, 1)`` operand against short rows (say ``n = 784``) pays the loop overhead
    ``t * C`` times and misses the SIMD path. Spelled out as a contiguous ``(1, C, n)``
    block (one sample's worth), the op is one long loop per sample instead.
    """
    if backend.array_module(v) is np and 1 < n <= 8192:
        return np.ascontiguousarray(np.broadcast_to(v[:, None], (v.size, n)))[None]
    return col(v)


def fwd_affine(x, m, k, c, out):
    """``out = (x - m) * k + c`` (NumPy); ``m, k, c`` broadcast against ``x`` (``m``/``c``
    may be None)."""
    if m is None:
        np.multiply(x, k, out=out)
    else:
        np.subtract(x, m, out=out)
        out *= k
    if c is not None:
        out += c
    return out


def bwd_combine(g, x, m, c2, c1, k, out, scratch):
    """``out = k * (g - c1 - (x - m) * c2)``; the constants broadcast against ``x``
    (``m``, ``c1`` may be None). ``scratch`` (shaped like ``x``, may be ``x`` itself)
    holds the intermediate; it stays in cache because the caller works tile by tile."""
    fwd_affine(x, m, c2, c1, out=scratch)
    dst = out if out.dtype == scratch.dtype else scratch
    np.subtract(g, scratch, out=dst)
    dst *= k
    if dst is not out:
        out[...] = dst
    return out


# ----------------------------------------------------------------------- the core
TILE_BYTES = 1 << 21
"""The NumPy path works through the data in tiles of whole samples of about this many
bytes, so that a tile's temporaries stay in the CPU cache: every elementwise step after
the first reads and writes cache, not memory. (CuPy works on the whole array.)"""

_local = threading.local()


MIN_THREADED_TILES = 4
"""Fewer tiles than this run on the calling thread: for a few megabytes the hand-offs
cost more than the second core gives (measured on workload W2's BatchNorm2d of
(64,16,28,28): 5.5 ms on one thread, 7-9 ms on two)."""


def map_tiles(xp, work, tiles):
    """``[work(t0, t1) for (t0, t1) in tiles]``: tiles are independent and NumPy releases
    the GIL inside its loops, so with at least :data:`MIN_THREADED_TILES` tiles they run
    on minigrad's thread pool (:func:`minigrad.jit.map_tasks`, ``MINIGRAD_NUM_THREADS``
    threads). Results come back in tile order and partial sums are merged in that order,
    so they do not depend on the number of threads."""
    if xp is not np or len(tiles) < MIN_THREADED_TILES:
        return [work(t0, t1) for t0, t1 in tiles]
    return jit.map_tasks(work, tiles)


def tile_ranges(xp, n, row_bytes):
    """``(t0, t1)`` ranges covering ``0:n`` rows of ``row_bytes`` each: about
    :data:`TILE_BYTES` per tile on the CPU (at least one row), one tile on CuPy."""
    if xp is not np or n == 0:
        return [(0, n)]
    per = max(1, TILE_BYTES // max(1, row_bytes))
    return [(i, min(i + per, n)) for i in range(0, n, per)]


def scratch(xp, name, rows, cols, dtype):
    """A ``(rows, cols)`` scratch array: on the CPU a per-thread buffer reused from call
    to call (it stays warm in that core's cache); on CuPy a fresh array."""
    n = rows * cols
    if xp is not np or n * dtype.itemsize > 4 * TILE_BYTES:
        return xp.empty((rows, cols), dtype=dtype)
    bufs = _local.__dict__.setdefault("bufs", {})
    a = bufs.get(name)
    if a is None or a.size < n or a.dtype != dtype:
        a = bufs[name] = np.empty(n, dtype=dtype)
    return a[:n].reshape(rows, cols)


def loader(xp, a2, acc, name):
    """``load(t0, t1)``: rows ``t0:t1`` of ``a2`` in dtype ``acc`` (a view when it has
    it; else cast into scratch ``name``, so float16 data is computed in float32)."""
    if a2.dtype == acc:
        return lambda t0, t1: a2[t0:t1]

    def load(t0, t1):
        out = scratch(xp, name, t1 - t0, a2.shape[1], acc)
        out[...] = a2[t0:t1]
        return out

    return load
