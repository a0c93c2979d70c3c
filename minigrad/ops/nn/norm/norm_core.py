"""The one normalization core behind every norm: :class:`Normalize` and its Grad node.

Every normalization in minigrad (batch, layer, group, instance, RMS, batch renorm) is
the same computation on a different *view* of the input (all views are reshapes of the
contiguous input, so they are views, not copies):

* the **statistics view** ``(A, C, B)``: each of the ``C`` "channels" owns the
  ``M = A * B`` elements that share one mean and one variance (BatchNorm2d:
  ``(N, C, H*W)``; LayerNorm: ``(1, rows, prod(normalized_shape))``; GroupNorm:
  ``(1, N*G, C/G*H*W)``; InstanceNorm: ``(1, N*C, H*W)``);
* the **affine view** ``(T, K, Q)``: the ``K`` entries of ``weight`` and ``bias`` run
  along axis 1 (GroupNorm/InstanceNorm: ``(N, C, H*W)``; LayerNorm:
  ``(rows, prod(normalized_shape), 1)``). For BatchNorm the affine transform is per
  statistics channel and folds into the per-channel scale.

Forward, per channel (numerically stable: deviations are taken from the mean before
they are squared; float16 inputs get float32 statistics)::

    mean   = sum(x) / M
    xc     = x - mean
    invstd = 1 / sqrt(sum(xc * xc) / M + eps)
    y      = xc * invstd * weight + bias

Backward (:class:`NormalizeGrad`: two channel sums, then one pass), with
``xhat = xc * invstd`` and ``g = dy * weight``::

    dx      = invstd * (g - mean(g) - xhat * mean(g * xhat))     # = invstd * P(g)
    dweight = sum(dy * xhat)
    dbias   = sum(dy)

``P`` is the projection that removes the mean and the ``xhat`` component of a vector;
it is self-adjoint, which makes the second derivative short (see
:meth:`NormalizeGrad.backward`). RMSNorm is the same core with ``center=False``:
no mean is subtracted and ``P(v) = v - xhat * mean(v * xhat)``.

On the CPU, when :func:`minigrad.jit.enabled` (Numba installed), both passes run as
compiled loops that read the data once or twice (:mod:`minigrad.ops.kernels.cpu.norm_jit`).
Otherwise NumPy's speed comes from a few habits (the array-level pieces are in
:mod:`minigrad.ops.nn.norm.norm_kernels`). The passes go through the data in tiles of whole
samples that fit in cache, on a small thread pool, so each step after a tile's first
works on cache; batch statistics are merged across tiles exactly (Chan et al.), so the
input is read once for them. Per-channel sums are ``einsum`` row reductions (SIMD, no
temporaries). Per-channel constants are spelled out as one sample's contiguous block
(:func:`~minigrad.ops.nn.norm.norm_kernels.expand`), which keeps NumPy on its long SIMD loops.
The output and the input gradient are fresh arrays that own their memory. On CuPy the
whole array is one tile and the elementwise passes are fused kernels.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from minigrad import backend
from minigrad.autograd.function import Function
from minigrad.autograd.grad_mode import _GradMode
from minigrad.ops import impl
from minigrad.ops.impl import COMPILED, CUPY, NUMPY
from minigrad.ops.kernels.cpu import norm_jit
from minigrad.ops.kernels.cuda import norm_cupy
from minigrad.ops.nn.norm import norm_kernels
from minigrad.ops.nn.norm.norm_kernels import (
    chan_sum,
    col,
    expand,
    loader,
    map_tiles,
    scratch,
    tile_ranges,
)

__all__ = []  # internal: the public ops live in minigrad.ops.nn.norm.norm

NORM = impl.family("norm")
"""The normalization core's implementations: "numpy" (the tiled ``xp`` passes below),
"cupy" (the same passes as one tile, with the fused CuPy kernels of
:mod:`minigrad.ops.kernels.cuda.norm_cupy`) and "cpu-compiled"
(:mod:`minigrad.ops.kernels.cpu.norm_jit`'s loops, every dtype: float16 is computed in
float32)."""
NORM.register(COMPILED)

FUSED = {NUMPY: norm_kernels, CUPY: norm_cupy}
"""Where the fused passes ``chan_dot``, ``fwd_affine`` and ``bwd_combine`` of each
implementation live (the compiled one has its own loops,
:mod:`minigrad.ops.kernels.cpu.norm_jit`)."""


def chan_dot(a, b):
    """``sum(a * b)`` over axes 0 and 2 of two ``(A, C, B)`` arrays, by the implementation
    the selector picks for them (callers outside the core's nodes: :mod:`minigrad.ops.nn.norm.norm`;
    the compiled implementation's channel sums are NumPy's)."""
    return FUSED.get(impl.select(NORM, a), norm_kernels).chan_dot(a, b)


class _Layout:
    """Where the statistics and the affine parameters live in an input of ``size``.

    The input is seen as ``(T, L)``: ``T`` samples (the outer axis) of ``L`` elements.
    Each sample holds ``c`` statistics channels of ``B`` elements each, which are either
    shared by all samples (``per_sample=False``: batch norm, statistics view
    ``(T, c, B)``) or private to the sample (``per_sample=True``: layer/group/instance
    norm, statistics view ``(1, T*c, B)``). The affine parameters (``K`` entries) run
    along axis 1 of the affine view ``(T, K, L // K)``; with shared statistics they are
    per statistics channel and fold into the normalization (``affine_k=None``).
    """

    def __init__(self, samples, channels, per_sample, affine_k, size):
        self.T, self.c, self.per_sample, self.K = samples, channels, per_sample, affine_k
        self.L = size // samples if samples else 0
        self.B = self.L // channels if channels else 0
        self.M = self.B if per_sample else samples * self.B
        self.n_stats = samples * channels if per_sample else channels
        self.stat_view = self.sv_shape(samples)
        self.affine_view = None if affine_k is None else self.av_shape(samples)

    def sv_shape(self, t):
        """The statistics view of ``t`` samples."""
        return (1, t * self.c, self.B) if self.per_sample else (t, self.c, self.B)

    def av_shape(self, t):
        """The affine view of ``t`` samples."""
        return (t, self.K, self.L // self.K if self.K else 0)

    def stats_of(self, t0, t1):
        """The statistics channels of samples ``t0:t1``."""
        return slice(t0 * self.c, t1 * self.c) if self.per_sample else slice(None)

    def tiles(self, xp, itemsize):
        """``(t0, t1)`` sample ranges covering ``0:T``: cache-sized on the CPU."""
        return tile_ranges(xp, self.T, self.L * itemsize)


def local_moments(xp, lay, src, acc, center, name):
    """Shared statistics, step 1 "local moments": ``(n, mean, var)`` of this batch.

    ``src`` is the ``(T, L)`` input (C-contiguous in dtype ``acc`` for the compiled
    implementation; ``name`` is the implementation, :mod:`minigrad.ops.impl`);
    ``n = T * B`` elements per channel, ``mean`` (None without centering) and the
    biased ``var`` per channel. NumPy: each cache-sized tile's mean and sum of squared
    deviations (two-pass within the tile), merged exactly across tiles (Chan, Golub &
    LeVeque), so the input is read from memory once.
    """
    n = lay.T * lay.B
    if name == COMPILED:
        mean, var = norm_jit.shared_moments(lay, src, center)
        return n, (mean if center else None), var
    chan_dot = FUSED[name].chan_dot
    B, L, sv = lay.B, lay.L, lay.sv_shape
    load = loader(xp, src, acc, "x")

    def tile_stats(t0, t1):
        xt = load(t0, t1).reshape(sv(t1 - t0))
        n = (t1 - t0) * B
        if not center:
            return n, None, chan_dot(xt, xt)
        mt = chan_sum(xt) * (1.0 / n)
        st = scratch(xp, "s", t1 - t0, L, acc).reshape(xt.shape)
        xp.subtract(xt, expand(mt, B), out=st)
        return n, mt, chan_dot(st, st)

    n_seen, mean, m2 = 0, None, 0
    for nt, mt, m2t in map_tiles(xp, tile_stats, lay.tiles(xp, acc.itemsize)):
        if mean is None or mt is None:
            mean, m2 = mt, m2 + m2t
        else:
            delta = mt - mean
            mean = mean + delta * (nt / (n_seen + nt))
            m2 = m2 + m2t + delta * delta * (n_seen * nt / (n_seen + nt))
        n_seen += nt
    return n, mean, m2 * (1.0 / max(lay.M, 1))


def combine_moments(parts):
    """Shared statistics, step 2 "combine": merge ``(n, mean, var)`` moments of disjoint
    batches (per channel, ``var`` biased) into those of their union, exactly (Chan,
    Golub & LeVeque), in the order given; parts with ``n == 0`` are left out.

    Examples
    --------
    The moments of ``[0, 2]``, of nothing, and of ``[4, 6]`` give those of ``[0, 2, 4, 6]``:

    >>> import numpy as np
    >>> from minigrad.ops.nn.norm.norm_core import combine_moments
    >>> combine_moments([(2, np.array([1.0]), np.array([1.0])), (0, np.zeros(1), np.zeros(1)),
    ...                  (2, np.array([5.0]), np.array([1.0]))])
    (4, array([3.]), array([5.]))
    """
    n_seen, mean, m2 = 0, None, None
    for n, mt, vt in parts:
        if n == 0:
            continue
        if mean is None:
            n_seen, mean, m2 = n, mt, vt * n
            continue
        delta = mt - mean
        tot = n_seen + n
        mean = mean + delta * (n / tot)
        m2 = m2 + vt * n + delta * delta * (n_seen * n / tot)
        n_seen = tot
    if mean is None:
        raise ValueError("combine_moments: every part is empty")
    return n_seen, mean, m2 / n_seen


def normalize_shared(xp, lay, src, mean, invstd, wa, ba, acc, shape, dtype, name):
    """Shared statistics, step 3 "normalize": ``(x - mean) * invstd * weight + bias``
    per channel, as a new array of ``shape`` and ``dtype`` (``src`` as in
    :func:`local_moments`)."""
    T, L, B, sv = lay.T, lay.L, lay.B, lay.sv_shape
    if name == COMPILED:
        y2 = np.empty((T, L), dtype=acc)
        norm_jit.shared_normalize(lay, src, mean, invstd, wa, ba, acc, y2)
        return y2.astype(dtype, copy=False).reshape(shape)
    fwd_affine = FUSED[name].fwd_affine
    load = loader(xp, src, acc, "x")
    y = xp.empty(shape, dtype=dtype)  # owns its memory (not a view)
    y2 = y.reshape(T, L)
    mb = None if mean is None else expand(mean, B)
    kb = expand(invstd if wa is None else invstd * wa, B)
    bb = None if ba is None else expand(ba, B)

    def tile_output(t0, t1):
        t = t1 - t0
        xst = scratch(xp, "xs", t, L, acc).reshape(sv(t))
        if mb is None:
            xst[...] = load(t0, t1).reshape(sv(t))
        else:
            xp.subtract(load(t0, t1).reshape(sv(t)), mb, out=xst)
        yt = y2[t0:t1].reshape(sv(t))
        dst = yt if y2.dtype == acc else scratch(xp, "s", t, L, acc).reshape(sv(t))
        fwd_affine(xst, None, kb, bb, out=dst)
        if dst is not yt:
            yt[...] = dst

    map_tiles(xp, tile_output, lay.tiles(xp, acc.itemsize))
    return y


class Normalize(Function):
    """Normalize each statistics channel, then apply the affine transform.

    Parameters
    ----------
    samples : int
        ``T``, the length of the outer (sample) axis; the input is seen as ``(T, L)``.
    channels : int
        Statistics channels per sample (``per_sample``) or shared by all samples.
    per_sample : bool
        Whether each sample has its own statistics (see :class:`_Layout`).
    affine_k : int or None
        Number of weight/bias entries along the affine view; ``None`` when they are per
        shared statistics channel (batch norm) or absent.
    eps : float
        Added to the variance.
    center : bool
        Subtract the mean (False for RMSNorm: the "variance" is the mean square).

    After the forward, ``self.mean`` (None without centering) and ``self.var`` (biased)
    hold the statistics, one per statistics channel, for callers that keep running
    averages. For the backward it saves, like PyTorch, the input, ``mean`` and
    ``invstd``: the backward recomputes ``xhat`` tile by tile in cache, which costs less
    than writing a saved ``xhat`` and reading it back (and keeps no extra copy of the
    activation alive).

    Examples
    --------
    Batch norm of a ``(N, C, L) = (2, 1, 2)`` input, statistics shared by the samples:

    >>> import minigrad
    >>> from minigrad.ops.nn.norm.norm_core import Normalize
    >>> x = minigrad.tensor([[[1.0, 2.0]], [[4.0, 7.0]]])
    >>> Normalize(samples=2, channels=1, per_sample=False, eps=0.0)(x, None, None)
    tensor([[[-1.0911, -0.6547]],
    <BLANKLINE>
            [[ 0.2182,  1.5275]]])
    """

    def __init__(
        self, samples, channels, per_sample, affine_k=None, eps=1e-5, center=True, sync=None
    ):
        if not per_sample and affine_k is not None:
            raise ValueError("Normalize: shared statistics take a per-channel affine")
        if sync is not None and (per_sample or not center):
            raise ValueError("Normalize: sync needs shared, centered statistics (batch norm)")
        self.args = (samples, channels, per_sample, affine_k)
        self.eps = eps
        self.center = center
        self.sync = sync

    def forward(self, x, w, b):
        xp = backend.array_module(x)
        impl.choose(self, NORM, x)
        lay = self.lay = _Layout(*self.args, x.size)
        self.M = lay.M
        self.in_dtype = x.dtype
        acc = self.acc = np.dtype(np.float32) if x.dtype == np.float16 else x.dtype
        self.b_dtype = None if b is None else b.dtype
        self.b_shape = None if b is None else b.shape
        # weight and bias may have any shape of K entries (layer norm's is normalized_shape)
        wa = None if w is None else w.astype(acc, copy=False).reshape(-1)
        ba = None if b is None else b.astype(acc, copy=False).reshape(-1)
        T, L, sv = lay.T, lay.L, lay.sv_shape
        if not lay.per_sample:  # local moments -> combine -> normalize
            return self._forward_shared(xp, x, wa, ba)
        if x.size == 0:  # an empty batch: nothing to normalize
            self.x2 = x
            self.mean = self.var = self.invstd = xp.zeros(lay.n_stats if T else 0, dtype=acc)
            return xp.empty(x.shape, dtype=x.dtype)
        x2 = self.x2 = x.reshape(T, L)  # saved for backward (with mean and invstd)
        if self.impl == COMPILED:  # compiled loops (minigrad.ops.kernels.cpu.norm_jit)
            y2, mean, var, invstd = norm_jit.forward(lay, x2, wa, ba, self.eps, self.center, acc)
            self.mean, self.var, self.invstd = mean, var, invstd
            return y2.reshape(x.shape)
        chan_dot, fwd_affine = FUSED[self.impl].chan_dot, FUSED[self.impl].fwd_affine
        tiles = lay.tiles(xp, acc.itemsize)
        load = loader(xp, x2, acc, "x")
        y = xp.empty(x.shape, dtype=x.dtype)  # owns its memory (not a view)
        y2 = y.reshape(T, L)

        def xs_tile(t0, t1):  # x - mean, or xhat, for one tile (in cache)
            return scratch(xp, "xs", t1 - t0, L, acc).reshape(sv(t1 - t0))

        inv_m = 1.0 / max(lay.M, 1)
        # per-sample statistics: one pass, each tile holds whole statistics groups
        mean = xp.empty(lay.n_stats, dtype=acc) if self.center else None
        var = xp.empty(lay.n_stats, dtype=acc)
        invstd = xp.empty(lay.n_stats, dtype=acc)
        Q = lay.av_shape(1)[2]
        wb = None if wa is None else expand(wa, Q)
        bb = None if ba is None else expand(ba, Q)

        def tile_norm(t0, t1):
            t, cs = t1 - t0, lay.stats_of(t0, t1)
            xt = load(t0, t1).reshape(sv(t))
            st = xs_tile(t0, t1)
            if self.center:
                m = mean[cs] = chan_sum(xt) * inv_m
                xp.subtract(xt, col(m), out=st)
                v = var[cs] = chan_dot(st, st) * inv_m
                inv = invstd[cs] = 1.0 / xp.sqrt(v + self.eps)
                st *= col(inv)  # xhat
            else:
                v = var[cs] = chan_dot(xt, xt) * inv_m
                inv = invstd[cs] = 1.0 / xp.sqrt(v + self.eps)
                xp.multiply(xt, col(inv), out=st)
            yt = y2[t0:t1]
            if wa is None and ba is None:
                yt[...] = st.reshape(yt.shape)
            else:
                ya = yt.reshape(lay.av_shape(t))
                xa = st.reshape(ya.shape)
                if wa is None:
                    xp.add(xa, bb, out=ya)
                else:
                    fwd_affine(xa, None, wb, bb, out=ya)

        map_tiles(xp, tile_norm, tiles)
        self.mean, self.var, self.invstd = mean, var, invstd
        return y

    def _forward_shared(self, xp, x, wa, ba):
        """Shared statistics (batch norm): local moments, combined across processes by
        ``self.sync`` (SyncBatchNorm), then normalize."""
        lay, acc = self.lay, self.acc
        use_jit = self.impl == COMPILED
        name = self.impl
        if x.size == 0:  # an empty batch: nothing to normalize (but a SyncBN rank
            self.x2 = x  # with no samples still takes part in the collectives)
            n, z = 0, xp.zeros(lay.c if (lay.T or self.sync) else 0, dtype=acc)
            mean, var = (z if self.center else None), z
            if self.sync is None:
                self.mean = self.var = self.invstd = z
                return xp.empty(x.shape, dtype=x.dtype)
        else:
            x2 = self.x2 = x.reshape(lay.T, lay.L)  # saved for backward
            src = np.ascontiguousarray(x2, dtype=acc) if use_jit else x2
            n, mean, var = local_moments(xp, lay, src, acc, self.center, name)
        if self.sync is not None:
            n, mean, var = self.sync.combine(n, mean, var)
            self.M = n
        invstd = 1.0 / xp.sqrt(var + self.eps)
        if x.size == 0:
            y = xp.empty(x.shape, dtype=x.dtype)
        else:
            y = normalize_shared(xp, lay, src, mean, invstd, wa, ba, acc, x.shape, x.dtype, name)
        self.mean = None if mean is None else mean.astype(acc, copy=False)
        self.var, self.invstd = var.astype(acc, copy=False), invstd.astype(acc, copy=False)
        return y

    def backward(self, gy):
        x, w, b = self.inputs
        if self.sync is not None and self.sync.size > 1 and _GradMode.enabled:
            raise RuntimeError(
                "SyncBatchNorm: create_graph=True (double backward) across processes is not "
                "supported; take higher derivatives in one process (nn.BatchNorm)"
            )
        outs = NormalizeGrad(self, has_weight=w is not None, has_bias=b is not None)(x, w, gy)
        gx = outs[0]
        gw = outs[1] if w is not None else None
        gb = outs[-1] if b is not None else None
        return gx, gw, gb


class NormalizeGrad(Function):
    """The backward of :class:`Normalize` as a Function of ``(x, weight, dy)``.

    Its forward is the closed-form first derivative (fast, on raw arrays); its backward
    is the analytic second derivative written in differentiable tensor ops, so any
    order of derivative is exact (Chainer's Grad-node pattern).

    Outputs ``(dx, [dweight], [dbias])``: ``dweight`` when the norm has a weight,
    ``dbias`` when it has a bias.
    """

    _SAVED = (
        "lay", "M", "acc", "eps", "center", "in_dtype", "b_dtype", "b_shape", "x2", "mean",
        "invstd", "sync",
    )  # fmt: skip

    def __init__(self, fwd, has_weight, has_bias):
        # a copy of what the forward node saved: the engine may release that node
        # while this one is still part of a graph (double backward)
        self.f = SimpleNamespace(**{k: getattr(fwd, k) for k in self._SAVED})
        self.has_weight, self.has_bias = has_weight, has_bias

    def forward(self, x, w, gy):
        f, lay = self.f, self.f.lay
        xp = backend.array_module(gy)
        impl.choose(self, NORM, gy)
        acc = f.acc
        T, L, sv, av = lay.T, lay.L, lay.sv_shape, lay.av_shape
        inv_m = 1.0 / max(lay.M, 1)
        invstd = f.invstd
        wa = None if w is None else w.astype(acc, copy=False).reshape(-1)
        dx = xp.empty(x.shape, dtype=f.in_dtype)  # owns its memory: no copy downstream
        dx2 = dx.reshape(T, L)
        need_sg = f.center or self.has_bias
        if not lay.per_sample:
            gw, gb = self._forward_shared(xp, x, wa, gy, dx2, need_sg)
        elif x.size == 0:
            gw = xp.zeros(w.shape, dtype=w.dtype) if self.has_weight else None
            gb = xp.zeros(w.shape if w is not None else lay.K, dtype=f.b_dtype)
        elif self.impl == COMPILED:  # compiled loops (minigrad.ops.kernels.cpu.norm_jit)
            gw, gb = norm_jit.backward(
                lay, f.x2, gy.reshape(T, L), wa, f.mean, invstd, f.center,
                self.has_weight, self.has_bias, acc, dx2,
            )  # fmt: skip
        else:
            fused = FUSED[self.impl]
            chan_dot, fwd_affine, bwd_combine = fused.chan_dot, fused.fwd_affine, fused.bwd_combine
            tiles = lay.tiles(xp, acc.itemsize)
            load_g = loader(xp, gy.reshape(T, L), acc, "g")
            load_x = loader(xp, f.x2, acc, "x")
            K, c = lay.K, lay.c
            Q = av(1)[2] if K else 0
            wb = None if wa is None else expand(wa, Q)
            # Group/instance norm (each affine channel owns Q > 1 elements of a sample,
            # and whole channels make a group): per-(sample, channel) sums of dy and
            # dy * xhat give all four reductions at once, the group ones as weighted
            # sums of channels. Otherwise (layer norm) reduce along the views.
            by_channel = K is not None and Q >= 8 and K % c == 0

            def tile_grad(t0, t1):
                t, cs = t1 - t0, lay.stats_of(t0, t1)
                gt = load_g(t0, t1)
                xh = scratch(xp, "s", t, L, acc).reshape(sv(t))  # xhat, in cache
                m = col(f.mean[cs]) if f.center else None
                inv = col(invstd[cs])
                fwd_affine(load_x(t0, t1).reshape(sv(t)), m, inv, None, out=xh)
                if by_channel:
                    rows = (1, t * K, Q)
                    s_g = chan_sum(gt.reshape(rows)).reshape(t, K)
                    s_gx = chan_dot(gt.reshape(rows), xh.reshape(rows)).reshape(t, K)
                    gwt, gbt = s_gx.sum(axis=0), s_g.sum(axis=0)
                    if wa is not None:  # the sums of g = dy * weight
                        s_g, s_gx = s_g * wa, s_gx * wa
                    c1 = col(s_g.reshape(t * c, K // c).sum(axis=1) * inv_m) if f.center else None
                    c2 = col(s_gx.reshape(t * c, K // c).sum(axis=1) * inv_m)
                else:
                    gwt = chan_dot(gt.reshape(av(t)), xh.reshape(av(t))) if self.has_weight else 0
                    gbt = chan_sum(gt.reshape(av(t))) if self.has_bias else 0
                if wa is not None:  # g = dy * weight
                    ga = scratch(xp, "g2", t, L, acc).reshape(av(t))
                    gt = xp.multiply(gt.reshape(ga.shape), wb, out=ga)
                gt = gt.reshape(sv(t))
                if not by_channel:
                    c1 = col(chan_sum(gt) * inv_m) if f.center else None
                    c2 = col(chan_dot(gt, xh) * inv_m)
                out = dx2[t0:t1].reshape(sv(t))
                bwd_combine(gt, xh, None, c2, c1, inv, out, xh)
                return gwt, gbt

            parts = map_tiles(xp, tile_grad, tiles)
            gw = sum(p[0] for p in parts) if self.has_weight else None
            gb = sum(p[1] for p in parts) if self.has_bias else None
        outs = [dx]
        if self.has_weight:
            outs.append(gw.astype(w.dtype, copy=False).reshape(w.shape))
        if self.has_bias:
            outs.append(gb.astype(f.b_dtype, copy=False).reshape(f.b_shape))
        return tuple(outs)

    def _forward_shared(self, xp, x, wa, gy, dx2, need_sg):
        """Shared statistics (batch norm): pass 1, per channel ``sum(dy)`` and
        ``sum(dy * (x - mean))``, summed across processes by ``sync`` (SyncBatchNorm: one
        all-reduce); pass 2, ``dx``. Returns the local ``(dweight, dbias)``."""
        f, lay, acc = self.f, self.f.lay, self.f.acc
        T, L, sv = lay.T, lay.L, lay.sv_shape
        if x.size == 0:
            if f.sync is not None:  # no samples here, but the others wait for our sums
                f.sync.reduce(xp.zeros(lay.c, dtype=acc), xp.zeros(lay.c, dtype=acc))
            return xp.zeros(lay.c, dtype=acc), xp.zeros(lay.c, dtype=acc)  # not one array
        invstd = f.invstd
        if self.impl == COMPILED:  # compiled loops (minigrad.ops.kernels.cpu.norm_jit)
            xa = np.ascontiguousarray(f.x2, dtype=acc)
            ga = np.ascontiguousarray(gy.reshape(T, L), dtype=acc)
            inv = invstd.astype(np.float64)
            m = np.zeros_like(inv) if f.mean is None else f.mean.astype(np.float64)
            sg, sgx = norm_jit.shared_grad_sums(lay, xa, ga, m)
            gw, gb = sgx * inv, sg  # sum(dy * xhat), sum(dy): local
            if f.sync is not None:
                sg, sgx = f.sync.reduce(sg, sgx)
            dx = dx2 if dx2.dtype == acc else np.empty((T, L), dtype=acc)
            norm_jit.shared_grad_input(lay, xa, ga, wa, m, inv, sg, sgx, f.M, f.center, acc, dx)
            if dx is not dx2:
                dx2[...] = dx
            return gw, gb
        chan_dot, bwd_combine = FUSED[self.impl].chan_dot, FUSED[self.impl].bwd_combine
        inv_m = 1.0 / max(f.M, 1)
        tiles = lay.tiles(xp, acc.itemsize)
        load_g = loader(xp, gy.reshape(T, L), acc, "g")
        load_x = loader(xp, f.x2, acc, "x")
        mb = None if f.mean is None else expand(f.mean, lay.B)

        def tile_sums(t0, t1):
            t = t1 - t0
            gt, xt = load_g(t0, t1).reshape(sv(t)), load_x(t0, t1).reshape(sv(t))
            if mb is not None:  # xc = x - mean, in cache
                xt = xp.subtract(xt, mb, out=scratch(xp, "s", t, L, acc).reshape(sv(t)))
            return (chan_sum(gt) if need_sg else None), chan_dot(gt, xt)

        parts = map_tiles(xp, tile_sums, tiles)
        sg = sum(p[0] for p in parts) if need_sg else None
        sgx = sum(p[1] for p in parts)
        gw = gs = sgx * invstd  # sum(dy * xhat)
        gb = sg
        if f.sync is not None:
            sg, sgx = f.sync.reduce(sg, sgx)
            gs = sgx * invstd
        k = expand(invstd if wa is None else invstd * wa, lay.B)
        c1 = expand(sg * inv_m, lay.B) if f.center else None
        c2 = expand(gs * (invstd * inv_m), lay.B)  # xc * c2 = xhat * mean(dy * xhat)

        def tile_grad(t0, t1):
            t = t1 - t0
            gt, xt = load_g(t0, t1).reshape(sv(t)), load_x(t0, t1).reshape(sv(t))
            out = dx2[t0:t1].reshape(sv(t))
            scr = scratch(xp, "s", t, L, acc).reshape(sv(t))
            bwd_combine(gt, xt, mb, c2, c1, k, out, scr)

        map_tiles(xp, tile_grad, tiles)
        return gw, gb

    def backward(self, *ggs):
        """Second derivative. With ``u = ddx`` (the gradient flowing into ``dx``), ``s =
        invstd`` and sums/means over each statistics group::

            d x  = -(s^2/M) (xhat <u, P(g)> + P(g) sum(u xhat) + P(u) sum(g xhat))
                   + s P(dy * ddweight)
            d dy = weight * s P(u) + xhat * ddweight + ddbias
            d weight = sum(dy * s P(u))

        All in tensor ops from ``x``, so the result is differentiable again.
        """
        f = self.f
        x, w, gy = self.inputs
        it = iter(ggs)
        ggx = next(it)
        ggw = next(it) if self.has_weight else None
        ggb = next(it) if self.has_bias else None
        ax = (0, 2)
        M = f.M
        sv = f.lay.stat_view
        av = f.lay.affine_view or sv

        xv = x.reshape(sv)
        if f.acc != x.dtype:
            xv = xv.to(f.acc)
        if f.center:
            xc = xv - xv.mean(ax, keepdim=True)
        else:
            xc = xv
        s = ((xc * xc).mean(ax, keepdim=True) + f.eps).rsqrt()
        xhat = xc * s

        def proj(v):
            r = v - xhat * (v * xhat).mean(ax, keepdim=True)
            return r - v.mean(ax, keepdim=True) if f.center else r

        gya = gy.reshape(av)
        if f.acc != gy.dtype:
            gya = gya.to(f.acc)
        wc = None if w is None else w.reshape(1, -1, 1)
        if wc is not None and wc.dtype != f.acc:
            wc = wc.to(f.acc)
        g = (gya * wc if wc is not None else gya).reshape(sv)

        dx = dgy = dw = None
        if ggx is not None:
            u = ggx.reshape(sv)
            if u.dtype != f.acc:
                u = u.to(f.acc)
            pu, pg = proj(u), proj(g)
            dx = (xhat * (u * pg).sum(ax, keepdim=True)
                  + pg * (u * xhat).sum(ax, keepdim=True)
                  + pu * (g * xhat).sum(ax, keepdim=True)) * (s * s * (-1.0 / M))  # fmt: skip
            spu = (s * pu).reshape(av)
            dgy = spu * wc if wc is not None else spu
            if w is not None and self.needs_input_grad[1]:
                dw = (gya * spu).sum(ax).reshape(w.shape)
        if ggw is not None:
            v = ggw.reshape(1, -1, 1)
            if v.dtype != f.acc:
                v = v.to(f.acc)
            t = xhat.reshape(av) * v
            dgy = t if dgy is None else dgy + t
            t = s * proj((gya * v).reshape(sv))
            dx = t if dx is None else dx + t
        if ggb is not None:
            t = ggb.reshape(1, -1, 1)
            if t.dtype != f.acc:
                t = t.to(f.acc)
            dgy = t.broadcast_to(av) if dgy is None else dgy + t
        if dx is not None:
            dx = dx.reshape(x.shape).to(x.dtype) if x.dtype != f.acc else dx.reshape(x.shape)
        if dgy is not None:
            dgy = dgy.reshape(gy.shape)
            if dgy.dtype != gy.dtype:
                dgy = dgy.to(gy.dtype)
        if dw is not None and dw.dtype != w.dtype:
            dw = dw.to(w.dtype)
        return dx, dw, dgy
