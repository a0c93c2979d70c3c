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

Speed on the CPU comes from three habits. The passes go through the data in tiles of
whole samples that fit in cache (:data:`TILE_BYTES`), so each step after a tile's first
works on cache; batch statistics are merged across tiles exactly (Chan et al.), so the
input is read once for them. Per-channel sums are ``einsum`` row reductions (SIMD, no
temporaries). Per-channel constants are spelled out as one sample's contiguous block
(:func:`_expand`), which keeps NumPy on its long SIMD loops. On CuPy the whole array is
one tile and the elementwise passes are fused kernels.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from minigrad import backend
from minigrad.autograd.function import Function

__all__ = []  # internal: the public ops live in minigrad.ops.norm


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
    """``sum(a * b)`` of two ``(A, C, B)`` arrays over axes 0 and 2: shape ``(C,)``."""
    xp = backend.array_module(a)
    A, C, B = a.shape
    if xp is not np:
        return _cupy_kernels().dot(a, b, axis=(0, 2))
    if B == 1:
        return np.einsum("ac,ac->c", a.reshape(A, C), b.reshape(A, C))
    r = np.einsum("ij,ij->i", a.reshape(A * C, B), b.reshape(A * C, B))
    return r.reshape(A, C).sum(axis=0) if A > 1 else r


def _col(v):
    """A ``(C,)`` vector as ``(1, C, 1)``, to broadcast against a 3-d view."""
    return v.reshape(1, -1, 1)


# ----------------------------------------------------------------------- CuPy kernels
_KERNELS = None


def _cupy_kernels():
    """Fused CuPy kernels for the passes over the data (built once, on first GPU use).

    Untested without a GPU: each kernel is the one-line formula of the NumPy code path
    it replaces (see :func:`_fwd_affine` and :func:`_bwd_combine`).
    """
    global _KERNELS
    if _KERNELS is None:
        import cupy

        class _K:
            dot = cupy.ReductionKernel(
                "T a, T b", "T s", "a * b", "x + y", "s = a", "0", "minigrad_norm_dot"
            )
            fwd = cupy.ElementwiseKernel(
                "T x, T m, T k, T c", "Y y", "y = (Y)((x - m) * k + c)", "minigrad_norm_fwd"
            )
            bwd = cupy.ElementwiseKernel(
                "T g, T x, T m, T c2, T c1, T k",
                "Y dx",
                "dx = (Y)(k * (g - c1 - (x - m) * c2))",
                "minigrad_norm_bwd",
            )

        _KERNELS = _K
    return _KERNELS


def _expand(v, n):
    """A ``(C,)`` vector as a constant that broadcasts against ``(t, C, n)``.

    NumPy runs a broadcast op as one inner loop per row of the broadcast operand, so a
    ``(1, C, 1)`` operand against short rows (say ``n = 784``) pays the loop overhead
    ``t * C`` times and misses the SIMD path. Spelled out as a contiguous ``(1, C, n)``
    block (one sample's worth), the op is one long loop per sample instead.
    """
    if backend.array_module(v) is np and 1 < n <= 8192:
        return np.ascontiguousarray(np.broadcast_to(v[:, None], (v.size, n)))[None]
    return _col(v)


def _fwd_affine(x, m, k, c, out):
    """``out = (x - m) * k + c``; ``m, k, c`` broadcast against ``x`` (``m``/``c`` may be
    None)."""
    xp = backend.array_module(x)
    if xp is not np:
        z = k.dtype.type(0)
        m, c = (z if m is None else m), (z if c is None else c)
        return _cupy_kernels().fwd(x, m, k, c, out)
    if m is None:
        np.multiply(x, k, out=out)
    else:
        np.subtract(x, m, out=out)
        out *= k
    if c is not None:
        out += c
    return out


def _bwd_combine(g, x, m, c2, c1, k, out, scratch):
    """``out = k * (g - c1 - (x - m) * c2)``; the constants broadcast against ``x``
    (``m``, ``c1`` may be None). ``scratch`` (shaped like ``x``, may be ``x`` itself)
    holds the intermediate; it stays in cache because the caller works tile by tile."""
    xp = backend.array_module(g)
    if xp is not np:
        z = k.dtype.type(0)
        m, c1 = (z if m is None else m), (z if c1 is None else c1)
        return _cupy_kernels().bwd(g, x, m, c2, c1, k, out)
    _fwd_affine(x, m, c2, c1, out=scratch)
    dst = out if out.dtype == scratch.dtype else scratch
    np.subtract(g, scratch, out=dst)
    dst *= k
    if dst is not out:
        out[...] = dst
    return out


# ----------------------------------------------------------------------- the core
TILE_BYTES = 1 << 19
"""The NumPy path works through the data in tiles of whole samples of about this many
bytes, so that a tile's temporaries stay in the CPU cache: every elementwise step after
the first reads and writes cache, not memory. (CuPy works on the whole array.)"""


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
        if xp is not np or self.T == 0:
            return [(0, self.T)]
        per = max(1, TILE_BYTES // max(1, self.L * itemsize))
        return [(i, min(i + per, self.T)) for i in range(0, self.T, per)]


def _loader(xp, a2, acc, tmax):
    """``load(t0, t1)``: rows ``t0:t1`` of ``a2`` in dtype ``acc`` (a view when it has
    it; else cast into a reused buffer, so float16 data is read in float32)."""
    if a2.dtype == acc:
        return lambda t0, t1: a2[t0:t1]
    buf = xp.empty((tmax, a2.shape[1]), dtype=acc)

    def load(t0, t1):
        out = buf[: t1 - t0]
        out[...] = a2[t0:t1]
        return out

    return load


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
    averages. The forward saves the input and ``mean``/``invstd``; the backward
    recomputes ``xhat`` tile by tile (cheaper than storing it: one read instead of a
    write and a read).
    """

    def __init__(
        self, samples, channels, per_sample, affine_k=None, eps=1e-5, center=True, save=True
    ):
        if not per_sample and affine_k is not None:
            raise ValueError("Normalize: shared statistics take a per-channel affine")
        self.args = (samples, channels, per_sample, affine_k)
        self.eps = eps
        self.center = center
        self.save = save

    def forward(self, x, w, b):
        xp = backend.array_module(x)
        lay = self.lay = _Layout(*self.args, x.size)
        self.M = lay.M
        self.in_dtype = x.dtype
        acc = self.acc = np.dtype(np.float32) if x.dtype == np.float16 else x.dtype
        self.b_dtype = None if b is None else b.dtype
        wa = None if w is None else w.astype(acc, copy=False)
        ba = None if b is None else b.astype(acc, copy=False)
        T, L = lay.T, lay.L
        tiles = lay.tiles(xp, acc.itemsize)
        tmax = max(t1 - t0 for t0, t1 in tiles)
        x2 = x.reshape(T, L)
        y2 = xp.empty((T, L), dtype=x.dtype)
        # saved for backward: xc = x - mean (shared statistics) or xhat (per sample)
        # (only a tile's worth, reused, when no gradient will be asked for)
        xs = self.xs = xp.empty((T if self.save else tmax, L), dtype=acc)
        at = 0 if self.save else 1  # xs[t0 - at * t0 : ...]: whole array or one tile
        scr = xp.empty((tmax, L), dtype=acc)
        load = _loader(xp, x2, acc, tmax)
        inv_m = 1.0 / max(lay.M, 1)
        sv = lay.sv_shape
        if not lay.per_sample:
            # shared statistics. Pass 1: each cached tile's mean and sum of squared
            # deviations (two-pass within the tile), merged exactly across tiles
            # (Chan, Golub & LeVeque); x is read from memory once. Pass 2: xc and the
            # output.
            mean = m2 = None
            n_seen = 0
            for t0, t1 in tiles:
                xt = load(t0, t1).reshape(sv(t1 - t0))
                if not self.center:
                    m2 = chan_dot(xt, xt) + (0 if m2 is None else m2)
                    continue
                n = (t1 - t0) * lay.B
                mt = chan_sum(xt) * (1.0 / n)
                st = xp.subtract(xt, _expand(mt, lay.B), out=scr[: t1 - t0].reshape(xt.shape))
                m2t = chan_dot(st, st)
                if mean is None:
                    mean, m2 = mt, m2t
                else:
                    delta = mt - mean
                    mean = mean + delta * (n / (n_seen + n))
                    m2 = m2 + m2t + delta * delta * (n_seen * n / (n_seen + n))
                n_seen += n
            var = m2 * inv_m
            mb = None if mean is None else _expand(mean, lay.B)
            invstd = 1.0 / xp.sqrt(var + self.eps)
            kb = _expand(invstd if wa is None else invstd * wa, lay.B)
            bb = None if ba is None else _expand(ba, lay.B)
            for t0, t1 in tiles:
                t = t1 - t0
                xst = xs[t0 - at * t0 : t1 - at * t0].reshape(sv(t))
                if mb is None:
                    xst[...] = load(t0, t1).reshape(sv(t))
                else:
                    xp.subtract(load(t0, t1).reshape(sv(t)), mb, out=xst)
                yt = y2[t0:t1].reshape(sv(t))
                dst = yt if y2.dtype == acc else scr[:t].reshape(sv(t))
                _fwd_affine(xst, None, kb, bb, out=dst)
                if dst is not yt:
                    yt[...] = dst
        else:
            # per-sample statistics: one pass, each tile holds whole statistics groups
            mean = xp.empty(lay.n_stats, dtype=acc) if self.center else None
            var = xp.empty(lay.n_stats, dtype=acc)
            invstd = xp.empty(lay.n_stats, dtype=acc)
            Q = lay.av_shape(1)[2]
            wb = None if wa is None else _expand(wa, Q)
            bb = None if ba is None else _expand(ba, Q)
            for t0, t1 in tiles:
                t, cs = t1 - t0, lay.stats_of(t0, t1)
                xt = load(t0, t1).reshape(sv(t))
                st = xs[t0 - at * t0 : t1 - at * t0].reshape(sv(t))
                if self.center:
                    m = mean[cs] = chan_sum(xt) * inv_m
                    xp.subtract(xt, _col(m), out=st)
                    v = var[cs] = chan_dot(st, st) * inv_m
                    inv = invstd[cs] = 1.0 / xp.sqrt(v + self.eps)
                    st *= _col(inv)  # xhat
                else:
                    v = var[cs] = chan_dot(xt, xt) * inv_m
                    inv = invstd[cs] = 1.0 / xp.sqrt(v + self.eps)
                    xp.multiply(xt, _col(inv), out=st)
                yt = y2[t0:t1]
                if wa is None and ba is None:
                    yt[...] = st.reshape(yt.shape)
                else:
                    ya = yt.reshape(lay.av_shape(t))
                    xa = st.reshape(ya.shape)
                    if wa is None:
                        xp.add(xa, bb, out=ya)
                    else:
                        _fwd_affine(xa, None, wb, bb, out=ya)
        self.mean, self.var, self.invstd = mean, var, invstd
        return y2.reshape(x.shape)

    def backward(self, gy):
        x, w, b = self.inputs
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

    _SAVED = ("lay", "M", "acc", "eps", "center", "in_dtype", "b_dtype", "xs", "mean", "invstd")

    def __init__(self, fwd, has_weight, has_bias):
        # a copy of what the forward node saved: the engine may release that node
        # while this one is still part of a graph (double backward)
        self.f = SimpleNamespace(**{k: getattr(fwd, k) for k in self._SAVED})
        self.has_weight, self.has_bias = has_weight, has_bias

    def forward(self, x, w, gy):
        f, lay = self.f, self.f.lay
        xp = backend.array_module(gy)
        acc = f.acc
        T, L = lay.T, lay.L
        inv_m = 1.0 / max(lay.M, 1)
        invstd = f.invstd
        wa = None if w is None else w.astype(acc, copy=False)
        tiles = lay.tiles(xp, acc.itemsize)
        tmax = max(t1 - t0 for t0, t1 in tiles)
        load_g = _loader(xp, gy.reshape(T, L), acc, tmax)
        xs = f.xs  # xc = x - mean (shared statistics) or xhat (per sample)
        scr = xp.empty((tmax, L), dtype=acc)
        dx2 = xp.empty((T, L), dtype=f.in_dtype)
        sv = lay.sv_shape
        if not lay.per_sample:
            # pass 1: sum(dy) and sum(dy * xc) per channel; pass 2: dx
            sg = sgx = 0
            for t0, t1 in tiles:
                t = t1 - t0
                gt, xt = load_g(t0, t1).reshape(sv(t)), xs[t0:t1].reshape(sv(t))
                if f.center or self.has_bias:
                    sg = sg + chan_sum(gt)
                sgx = sgx + chan_dot(gt, xt)
            gw = sgx * invstd  # sum(dy * xhat)
            gb = sg
            k = _expand(invstd if wa is None else invstd * wa, lay.B)
            c1 = _expand(sg * inv_m, lay.B) if f.center else None
            c2 = _expand(gw * (invstd * inv_m), lay.B)  # xc * c2 = xhat * mean(dy * xhat)
            for t0, t1 in tiles:
                t = t1 - t0
                gt, xt = load_g(t0, t1).reshape(sv(t)), xs[t0:t1].reshape(sv(t))
                out = dx2[t0:t1].reshape(sv(t))
                _bwd_combine(gt, xt, None, c2, c1, k, out, scr[:t].reshape(sv(t)))
        else:
            av = lay.av_shape
            gw = xp.zeros(lay.K, dtype=acc) if self.has_weight else None
            gb = xp.zeros(lay.K, dtype=acc) if self.has_bias else None
            gscr = xp.empty((tmax, L), dtype=acc) if wa is not None else None
            wb = None if wa is None else _expand(wa, av(1)[2])
            for t0, t1 in tiles:
                t, cs = t1 - t0, lay.stats_of(t0, t1)
                gt, xh = load_g(t0, t1), xs[t0:t1].reshape(sv(t))
                if gw is not None:
                    gw += chan_dot(gt.reshape(av(t)), xh.reshape(av(t)))
                if gb is not None:
                    gb += chan_sum(gt.reshape(av(t)))
                if wa is not None:  # g = dy * weight
                    ga = gscr[:t].reshape(av(t))
                    gt = xp.multiply(gt.reshape(ga.shape), wb, out=ga)
                gt = gt.reshape(sv(t))
                c1 = _col(chan_sum(gt) * inv_m) if f.center else None
                c2 = _col(chan_dot(gt, xh) * inv_m)
                out = dx2[t0:t1].reshape(sv(t))
                _bwd_combine(gt, xh, None, c2, c1, _col(invstd[cs]), out, scr[:t].reshape(sv(t)))
        outs = [dx2.reshape(x.shape)]
        if self.has_weight:
            outs.append(gw.astype(w.dtype, copy=False))
        if self.has_bias:
            outs.append(gb.astype(f.b_dtype, copy=False))
        return tuple(outs)

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
