"""The normalization core's passes as compiled loops (Numba), for the CPU.

:mod:`minigrad.ops.nn.norm.norm_core` calls :func:`forward` and :func:`backward` here instead of
its NumPy passes when :func:`minigrad.jit.enabled` (Numba installed). The formulas are the
core's (see its docstring); what changes is only how often the data is read:

=====================  ===========================================  =====================
layout                 forward                                      backward
=====================  ===========================================  =====================
shared statistics      per chunk of samples, in memory order: each   per chunk of samples:
(batch norm)           ``(sample, channel)`` row summed twice in     sums of ``dy``,
                       cache (mean, then squared deviations), rows   ``dy*(x-mean)``; then
                       merged exactly (Chan et al.), chunks merged   ``dx`` per row
                       in order; then ``y = x*k + c`` per row
per-sample statistics  per statistics row: mean, variance, output    per statistics row:
(layer, group,         while the row is in cache (group/instance     the two sums, then
instance, RMS norm)    norm: per-channel ``a``, ``b``)               ``dx`` in cache; per-
                                                                     element weight/bias
                                                                     gradients (layer
                                                                     norm) per chunk of
                                                                     samples
=====================  ===========================================  =====================

So the input is read from memory once or twice per pass instead of a dozen times.
Row sums are accumulated in the data's dtype over short blocks whose sums are added in
float64 (see :data:`BLOCK`; the ``(A, C)`` batch-norm kernels sum in float64). Each
kernel's first two arguments are the range ``lo:hi`` of its outer loop (channels, rows,
chunks of samples or column blocks), and each iteration writes only its own outputs, so
:meth:`minigrad.jit.Kernel.run` can split the loop over threads and the results are the
same for any number of threads.
"""

from __future__ import annotations

import numpy as np

from minigrad.jit import kernel

__all__ = []  # internal


BLOCK = 1024
"""Sums are taken in the data's dtype over blocks of at most this many elements (about 16
terms per SIMD lane), and the blocks' sums added in float64: float32 arithmetic runs
twice as many lanes as float64. A row's mean is summed as deviations from its first
element, so a constant row's mean is exact and its variance exactly 0 (then ``eps=0``
gives NaN, as in PyTorch); squared deviations are taken from the mean rounded to the
data's dtype, and corrected for that rounding in float64."""


# --------------------------------------------------------- shared statistics (A, C, B)
@kernel
def _shared_stats(lo, hi, x, center, S, pn, pm, pq):
    """Chunks ``lo:hi`` of ``S`` samples of ``x`` ``(A, C, B)``, in memory order: each
    ``(a, c)`` row's mean and squared deviations (the row in cache, :data:`BLOCK`), merged
    into the chunk's per-channel count ``pn[chunk, c]``, mean ``pm`` (0 without
    centering) and sum of squared deviations ``pq`` exactly (Chan, Golub & LeVeque).
    The chunks are merged in order afterwards (:func:`shared_moments`)."""
    A, C, B = x.shape
    dt = x.dtype.type
    for ch in range(lo, hi):
        n = 0.0
        mm = np.zeros(C)
        m2 = np.zeros(C)
        for a in range(ch * S, min(ch * S + S, A)):
            tot = n + B
            for c in range(C):
                row = x[a, c]
                mt = 0.0
                if center:
                    x0 = row[0]
                    for k0 in range(0, B, BLOCK):
                        blk = row[k0 : min(k0 + BLOCK, B)]
                        s = dt(0)
                        for i in range(blk.shape[0]):
                            s += blk[i] - x0
                        mt += s
                    mt = x0 + mt / B
                mf = dt(mt)
                q = 0.0
                for k0 in range(0, B, BLOCK):
                    blk = row[k0 : min(k0 + BLOCK, B)]
                    s = dt(0)
                    for i in range(blk.shape[0]):
                        d = blk[i] - mf
                        s += d * d
                    q += s
                dmt = mt - mf  # sum((x - mf)^2) = sum((x - mt)^2) + B * dmt^2
                q = max(q - B * dmt * dmt, 0.0)
                delta = mt - mm[c]
                mm[c] += delta * (B / tot)
                m2[c] += q + delta * delta * (n * B / tot)
            n = tot
        pn[ch] = n
        pm[ch] = mm
        pq[ch] = m2


@kernel
def _merge_moments(lo, hi, pn, pm, pq, mean, var):
    """Channels ``lo:hi``: :func:`_shared_stats`'s chunks merged in chunk order (Chan et
    al.) into the ``mean`` and biased variance ``var``."""
    for c in range(lo, hi):
        n = pn[0]
        m = pm[0, c]
        m2 = pq[0, c]
        for k in range(1, pn.shape[0]):
            tot = n + pn[k]
            delta = pm[k, c] - m
            m += delta * (pn[k] / tot)
            m2 += pq[k, c] + delta * delta * (n * pn[k] / tot)
            n = tot
        mean[c] = m
        var[c] = m2 / n


@kernel
def _shared_stats_2d(lo, hi, x, center, mean, var):
    """:func:`_shared_stats` of an ``(A, C)`` array (``B == 1``), channels ``lo:hi``;
    loops run along rows, into local accumulators (which the compiler vectorizes)."""
    A, C = x.shape
    n = hi - lo
    m = np.zeros(n)
    if center:
        for a in range(A):
            row = x[a, lo:hi]
            for i in range(n):
                m[i] += row[i]
        for i in range(n):
            m[i] /= A
    q = np.zeros(n)
    for a in range(A):
        row = x[a, lo:hi]
        for i in range(n):
            d = row[i] - m[i]
            q[i] += d * d
    for i in range(n):
        mean[lo + i] = m[i]
        var[lo + i] = q[i] / A


@kernel
def _shared_affine(lo, hi, x, k, b, y):
    """``y = x * k[c] + b[c]`` on rows ``lo:hi`` of ``(A, C, B)`` arrays (row ``a * C +
    c``), or of ``(A, C)`` arrays (row ``a``)."""
    if x.ndim == 2:
        for a in range(lo, hi):
            xr = x[a]
            yr = y[a]
            for c in range(x.shape[1]):
                yr[c] = xr[c] * k[c] + b[c]
        return
    A, C, B = x.shape
    for r in range(lo, hi):
        a = r // C
        c = r - a * C
        kc = k[c]
        bc = b[c]
        xr = x[a, c]
        yr = y[a, c]
        for i in range(B):
            yr[i] = xr[i] * kc + bc


@kernel
def _shared_bwd_sums(lo, hi, g, x, mean, S, p1, p2):
    """Chunks ``lo:hi`` of ``S`` samples, in memory order: per channel ``sum(g)`` and
    ``sum(g * (x - mean))`` into ``p1[chunk]``, ``p2[chunk]`` (added over the chunks in
    order afterwards, :func:`shared_grad_sums`)."""
    A, C, B = x.shape
    dt = x.dtype.type
    for ch in range(lo, hi):
        s1 = np.zeros(C)
        s2 = np.zeros(C)
        for a in range(ch * S, min(ch * S + S, A)):
            for c in range(C):
                m = mean[c]
                mf = dt(m)
                gr = g[a, c]
                xr = x[a, c]
                t1 = 0.0
                t2 = 0.0
                for k0 in range(0, B, BLOCK):
                    k1 = min(k0 + BLOCK, B)
                    gk = gr[k0:k1]
                    xk = xr[k0:k1]
                    b1 = dt(0)
                    b2 = dt(0)
                    for i in range(k1 - k0):
                        b1 += gk[i]
                        b2 += gk[i] * (xk[i] - mf)
                    t1 += b1
                    t2 += b2
                s1[c] += t1
                s2[c] += t2 - (m - mf) * t1  # sum(g * (x - m)) = sum(g * (x - mf)) - ...
        p1[ch] = s1
        p2[ch] = s2


@kernel
def _shared_bwd_sums_2d(lo, hi, g, x, mean, sg, sgx):
    """:func:`_shared_bwd_sums` of ``(A, C)`` arrays, channels ``lo:hi`` (local
    accumulators, as in :func:`_shared_stats_2d`)."""
    A, C = x.shape
    n = hi - lo
    m = mean[lo:hi]
    s1 = np.zeros(n)
    s2 = np.zeros(n)
    for a in range(A):
        gr = g[a, lo:hi]
        xr = x[a, lo:hi]
        for i in range(n):
            s1[i] += gr[i]
            s2[i] += gr[i] * (xr[i] - m[i])
    for i in range(n):
        sg[lo + i] = s1[i]
        sgx[lo + i] = s2[i]


@kernel
def _shared_bwd_dx(lo, hi, g, x, p, q, r, dx):
    """``dx = g * p[c] + x * q[c] + r[c]`` on rows ``lo:hi`` (as :func:`_shared_affine`)."""
    if x.ndim == 2:
        for a in range(lo, hi):
            gr = g[a]
            xr = x[a]
            dr = dx[a]
            for c in range(x.shape[1]):
                dr[c] = gr[c] * p[c] + xr[c] * q[c] + r[c]
        return
    A, C, B = x.shape
    for j in range(lo, hi):
        a = j // C
        c = j - a * C
        pc = p[c]
        qc = q[c]
        rc = r[c]
        gr = g[a, c]
        xr = x[a, c]
        dr = dx[a, c]
        for i in range(B):
            dr[i] = gr[i] * pc + xr[i] * qc + rc


@kernel
def _affine_coefs(lo, hi, mean, invstd, w, b, k, shift):
    """Channels ``lo:hi``: ``k = invstd * w`` and ``shift = b - mean * k`` (an empty
    ``w``/``b``: 1/0), computed in float64 and stored in ``k``'s dtype, for
    :func:`_shared_affine` (``y = x * k + shift``)."""
    has_w = w.size > 0
    has_b = b.size > 0
    for c in range(lo, hi):
        kc = invstd[c] * w[c] if has_w else invstd[c]
        k[c] = kc
        shift[c] = (b[c] if has_b else 0.0) - mean[c] * kc


@kernel
def _dx_coefs(lo, hi, sg, sgx, inv, m, w, M, center, p, q, r):
    """Channels ``lo:hi``: the coefficients of :func:`_shared_bwd_dx` from the sums
    ``sg = sum(dy)``, ``sgx = sum(dy * (x - m))`` over ``M`` elements, in float64, stored
    in ``p``'s dtype: with ``k = inv * w``, ``c1 = sg / M``, ``c2 = sgx * inv^2 / M``,
    ``dx = k * (g - c1 - (x - m) * c2) = g * p + x * q + r``."""
    has_w = w.size > 0
    for c in range(lo, hi):
        k = inv[c] * w[c] if has_w else inv[c]
        c1 = sg[c] / M if center else 0.0
        c2 = sgx[c] * inv[c] * inv[c] / M
        p[c] = k
        q[c] = -k * c2
        r[c] = k * (m[c] * c2 - c1)


# ----------------------------------------------------- per-sample statistics (T, c, B)
@kernel
def _sample_fwd(lo, hi, x, center, eps, wq, bq, nq, y, mean, var, invstd):
    """Rows ``lo:hi`` (row ``r = t * c + j`` is ``x[t, j]``, ``B`` elements) of ``x``
    ``(T, c, B)``: the row's statistics, then the output while the row is in cache.

    Each row is ``nq`` affine chunks of ``Q = B / nq`` elements that share one weight
    ``wq[j, k]`` and bias ``bq[j, k]`` (group norm: a channel's pixels; instance norm and
    no affine: ``nq == 1``); an empty ``wq`` or ``bq`` (shape ``(0, 0)``) means none. Per
    chunk ``y = (x - mean) * a + bias`` with ``a = invstd * w``. Writes ``y``
    and ``mean``, ``var``, ``invstd`` (``(T*c,)``, float64).
    """
    T, c, B = x.shape
    Q = B // nq
    dt = x.dtype.type
    has_w = wq.size > 0
    has_b = bq.size > 0
    for r in range(lo, hi):
        t = r // c
        j = r - t * c
        row = x[t, j]
        out = y[t, j]
        m = 0.0
        if center:
            x0 = row[0]
            for k0 in range(0, B, BLOCK):
                blk = row[k0 : min(k0 + BLOCK, B)]
                a = dt(0)
                for i in range(blk.shape[0]):
                    a += blk[i] - x0
                m += a
            m = x0 + m / B
        mf = dt(m)
        q = 0.0
        for k0 in range(0, B, BLOCK):
            blk = row[k0 : min(k0 + BLOCK, B)]
            a = dt(0)
            for i in range(blk.shape[0]):
                d = blk[i] - mf
                a += d * d
            q += a
        dm = m - mf  # sum((x - mf)^2) = sum((x - m)^2) + B * dm^2
        v = max(q / B - dm * dm, 0.0)
        s = 1.0 / np.sqrt(v + eps)  # eps=0, constant row: inf, then NaN (as NumPy's path)
        mean[r] = m
        var[r] = v
        invstd[r] = s
        for k in range(nq):
            ak = dt(s * wq[j, k]) if has_w else dt(s)
            bk = bq[j, k] if has_b else dt(0)
            xk = row[k * Q : (k + 1) * Q]
            ok = out[k * Q : (k + 1) * Q]
            for i in range(Q):
                ok[i] = (xk[i] - mf) * ak + bk


@kernel
def _sample_fwd_elem(lo, hi, x, center, eps, we, be, y, mean, var, invstd):
    """:func:`_sample_fwd` with a weight and bias per element of a sample (layer and
    RMS norm): ``we``, ``be`` are ``(c, B)`` (or empty: none), and
    ``y = (x - mean) * invstd * we[j] + be[j]``. The loop runs over pairs of samples
    ``2u, 2u + 1`` (``u`` in ``lo:hi``): the two rows' statistics, then both outputs in
    one pass, which reads each weight and bias once for two rows (a lone last row is
    paired with itself); each row's values are those of a row on its own."""
    T, c, B = x.shape
    dt = x.dtype.type
    has_w = we.size > 0
    has_b = be.size > 0
    mf = np.empty(2, x.dtype)
    sf = np.empty(2, x.dtype)
    for u in range(lo, hi):
        t0 = 2 * u
        pair = min(2, T - t0)
        for j in range(c):
            for p in range(pair):
                r = (t0 + p) * c + j
                row = x[t0 + p, j]
                m = 0.0
                if center:
                    x0 = row[0]
                    for k0 in range(0, B, BLOCK):
                        blk = row[k0 : min(k0 + BLOCK, B)]
                        a = dt(0)
                        for i in range(blk.shape[0]):
                            a += blk[i] - x0
                        m += a
                    m = x0 + m / B
                mp = dt(m)
                q = 0.0
                for k0 in range(0, B, BLOCK):
                    blk = row[k0 : min(k0 + BLOCK, B)]
                    a = dt(0)
                    for i in range(blk.shape[0]):
                        d = blk[i] - mp
                        a += d * d
                    q += a
                dm = m - mp
                v = max(q / B - dm * dm, 0.0)
                s = 1.0 / np.sqrt(v + eps)
                mean[r] = m
                var[r] = v
                invstd[r] = s
                mf[p] = mp
                sf[p] = dt(s)
            t1 = t0 + pair - 1  # (t0 again for a lone row: its output is written twice)
            xa, xb, ya, yb = x[t0, j], x[t1, j], y[t0, j], y[t1, j]
            ma, mb, sa, sb = mf[0], mf[pair - 1], sf[0], sf[pair - 1]
            if has_w and has_b:
                w = we[j]
                bb = be[j]
                for i in range(B):
                    wi = w[i]
                    bi = bb[i]
                    ya[i] = (xa[i] - ma) * sa * wi + bi
                    yb[i] = (xb[i] - mb) * sb * wi + bi
            elif has_w:
                w = we[j]
                for i in range(B):
                    wi = w[i]
                    ya[i] = (xa[i] - ma) * sa * wi
                    yb[i] = (xb[i] - mb) * sb * wi
            elif has_b:
                bb = be[j]
                for i in range(B):
                    bi = bb[i]
                    ya[i] = (xa[i] - ma) * sa + bi
                    yb[i] = (xb[i] - mb) * sb + bi
            else:
                for i in range(B):
                    ya[i] = (xa[i] - ma) * sa
                    yb[i] = (xb[i] - mb) * sb


@kernel
def _sample_bwd(lo, hi, g, x, center, mean, invstd, wq, nq, dx, pw, pb):
    """Backward of :func:`_sample_fwd` on ``(T, c, B)`` arrays, rows ``lo:hi``. Per row,
    with ``gw = g * weight``::

        dx = invstd * (gw - mean(gw) - xhat * mean(gw * xhat))

    First the chunks' sums ``sum(g)`` and ``sum(g * xhat)``, written to ``pb[r, k]`` and
    ``pw[r, k]`` (the partial bias and weight gradients) and combined with the weights
    into the row's two sums; then ``dx = g * a + (x - mean) * b + e`` per chunk while the
    row is in cache.
    """
    T, c, B = x.shape
    Q = B // nq
    dt = x.dtype.type
    has_w = wq.size > 0
    for r in range(lo, hi):
        t = r // c
        j = r - t * c
        m = mean[r]
        s = invstd[r]
        mf = dt(m)
        dm = m - mf  # sum(g * (x - m)) = sum(g * (x - mf)) - dm * sum(g)
        gr = g[t, j]
        xr = x[t, j]
        dr = dx[t, j]
        s1 = 0.0
        s2 = 0.0
        for k in range(nq):
            a1 = 0.0
            a2 = 0.0
            for k0 in range(k * Q, (k + 1) * Q, BLOCK):
                k1 = min(k0 + BLOCK, (k + 1) * Q)
                gk = gr[k0:k1]
                xk = xr[k0:k1]
                b1 = dt(0)
                b2 = dt(0)
                for i in range(k1 - k0):
                    b1 += gk[i]
                    b2 += gk[i] * (xk[i] - mf)
                a1 += b1
                a2 += b2
            a2 -= dm * a1
            pb[r, k] = a1
            pw[r, k] = a2 * s
            wk = wq[j, k] if has_w else 1.0
            s1 += wk * a1
            s2 += wk * a2
        c1 = s1 / B if center else 0.0
        c2 = s2 * s * s / B  # (x - m) * c2 = xhat * mean(gw * xhat)
        # dx = s * (g * w - c1 - (x - m) * c2) = g * (s * w) + (x - mf) * bx + e
        bx = dt(-s * c2)
        e = dt(s * (c2 * dm - c1))
        for k in range(nq):
            ak = dt(s * wq[j, k]) if has_w else dt(s)
            gk = gr[k * Q : (k + 1) * Q]
            xk = xr[k * Q : (k + 1) * Q]
            dk = dr[k * Q : (k + 1) * Q]
            for i in range(Q):
                dk[i] = gk[i] * ak + (xk[i] - mf) * bx + e


ELEM_CHUNKS = 4
""":func:`_elem_bwd` splits the samples into about this many chunks (see
:func:`_elem_group`)."""

SAMPLE_GROUP = 32
""":func:`_elem_bwd` adds each element's weight-gradient terms in the data's dtype over
chunks of at most this many samples, and the chunks' sums in float64 in chunk order
(:func:`_chunk_sum`): a split fixed by the shape (:func:`_elem_group`). Each chunk zeroes
and writes out its ``(c, B)`` accumulators, and the merge reads them all: fewer, longer
chunks cost less (layer norm fwd+bwd on (64, 32, 28, 28), 2 threads: 8 chunks of 8
samples -> 4 of 16, about 10% less time)."""


def _elem_group(T):
    """Samples per chunk of :func:`_elem_bwd` for ``T`` samples: :data:`ELEM_CHUNKS`
    chunks (so that they split over threads), of an even number of samples (pairs of
    samples do not straddle chunks), at least 2 and at most :data:`SAMPLE_GROUP`."""
    S = -(-T // ELEM_CHUNKS)
    return max(2, min(SAMPLE_GROUP, S + (S & 1)))


@kernel
def _elem_bwd(lo, hi, g, x, center, mean, invstd, we, S, wgrad, dx, pw, pb):
    """Backward of :func:`_sample_fwd_elem` for the chunks ``lo:hi`` of ``S`` samples,
    two samples at a time: for each statistics channel ``j``, both rows' sums of
    ``gw = g * we[j]`` and ``gw * (x - mean)`` (read from memory), then, the rows still in
    cache, one pass that writes both rows of ``dx``::

        dx = s * (gw - mean(gw) - xhat * mean(gw * xhat))

    and, when ``wgrad``, adds both rows' ``g * xhat`` and ``g`` into the chunk's
    accumulators ``pw[chunk]``, ``pb[chunk]`` (``(c, B)``, the data's dtype): each weight
    and accumulator is read once for two rows. ``we`` holds ones without a weight.
    A lone last row of a chunk is done on its own.
    """
    T, c, B = x.shape
    dt = x.dtype.type
    bx = np.empty(2, x.dtype)
    e = np.empty(2, x.dtype)
    mf = np.empty(2, x.dtype)
    sf = np.empty(2, x.dtype)
    for ch in range(lo, hi):
        shape = (c, B) if wgrad else (0, 0)
        aw = np.zeros(shape, x.dtype)  # local accumulators (which the compiler vectorizes)
        ab = np.zeros(shape, x.dtype)
        for ta in range(ch * S, min(ch * S + S, T), 2):
            pair = min(2, T - ta, ch * S + S - ta)
            for j in range(c):
                w = we[j]
                for p in range(pair):
                    r = (ta + p) * c + j
                    m = mean[r]
                    s = invstd[r]
                    mp = dt(m)
                    gr = g[ta + p, j]
                    xr = x[ta + p, j]
                    s1 = 0.0
                    s2 = 0.0
                    for k0 in range(0, B, BLOCK):
                        k1 = min(k0 + BLOCK, B)
                        gk = gr[k0:k1]
                        xk = xr[k0:k1]
                        wk = w[k0:k1]
                        b1 = dt(0)
                        b2 = dt(0)
                        for i in range(k1 - k0):
                            gi = gk[i] * wk[i]
                            b1 += gi
                            b2 += gi * (xk[i] - mp)
                        s1 += b1
                        s2 += b2
                    dm = m - mp  # sum(gw * (x - m)) = sum(gw * (x - mp)) - dm * sum(gw)
                    s2 -= dm * s1
                    c1 = s1 / B if center else 0.0
                    c2 = s2 * s * s / B  # (x - m) * c2 = xhat * mean(gw * xhat)
                    # dx = g * w * s + (x - mp) * bx + e
                    bx[p] = dt(-s * c2)
                    e[p] = dt(s * (c2 * dm - c1))
                    mf[p] = mp
                    sf[p] = dt(s)
                ga, xa, da = g[ta, j], x[ta, j], dx[ta, j]
                ma, sa, bxa, ea = mf[0], sf[0], bx[0], e[0]
                if pair == 2:
                    gb, xb, db = g[ta + 1, j], x[ta + 1, j], dx[ta + 1, j]
                    mb, sb, bxb, eb = mf[1], sf[1], bx[1], e[1]
                    if wgrad:
                        awj = aw[j]
                        abj = ab[j]
                        for i in range(B):
                            wi = w[i]
                            gai = ga[i]
                            gbi = gb[i]
                            xca = xa[i] - ma
                            xcb = xb[i] - mb
                            da[i] = gai * wi * sa + xca * bxa + ea
                            db[i] = gbi * wi * sb + xcb * bxb + eb
                            awj[i] += gai * (xca * sa) + gbi * (xcb * sb)
                            abj[i] += gai + gbi
                    else:
                        for i in range(B):
                            wi = w[i]
                            da[i] = ga[i] * wi * sa + (xa[i] - ma) * bxa + ea
                            db[i] = gb[i] * wi * sb + (xb[i] - mb) * bxb + eb
                elif wgrad:
                    awj = aw[j]
                    abj = ab[j]
                    for i in range(B):
                        gai = ga[i]
                        xca = xa[i] - ma
                        da[i] = gai * w[i] * sa + xca * bxa + ea
                        awj[i] += gai * (xca * sa)
                        abj[i] += gai
                else:
                    for i in range(B):
                        da[i] = ga[i] * w[i] * sa + (xa[i] - ma) * bxa + ea
        if wgrad:  # (pw, pb are (chunks, c * B): a group norm has c > 1 channels here)
            pw[ch] = aw.reshape(c * B)
            pb[ch] = ab.reshape(c * B)


@kernel
def _chunk_sum(lo, hi, pw, pb, gw, gb):
    """Columns ``lo:hi`` of ``(chunks, n)`` partial sums added in float64 in chunk
    order, ``BLOCK`` columns at a time into local accumulators: ``gw[i] = sum(pw[:, i])``,
    ``gb[i] = sum(pb[:, i])``."""
    a = np.empty(BLOCK)
    b = np.empty(BLOCK)
    for i0 in range(lo, hi, BLOCK):
        nb = min(BLOCK, hi - i0)
        a[:nb] = 0.0
        b[:nb] = 0.0
        for k in range(pw.shape[0]):
            pk = pw[k, i0 : i0 + nb]
            qk = pb[k, i0 : i0 + nb]
            for i in range(nb):
                a[i] += pk[i]
                b[i] += qk[i]
        gw[i0 : i0 + nb] = a[:nb]
        gb[i0 : i0 + nb] = b[:nb]


# ------------------------------------------------------------------ entry points
def _as_acc(a, acc):
    """``a`` C-contiguous in dtype ``acc`` (float16 data is computed in float32)."""
    return np.ascontiguousarray(a, dtype=acc)


_NONE = {}  # empty (0, 0) arrays per dtype: "no weight" / "no bias" for the kernels


def _affine_rows(lay, p, acc):
    """Affine parameter ``p`` (``K`` entries) as a C-contiguous ``(c, K / c)`` block in
    dtype ``acc``: the entries of each statistics channel of a sample (an empty array
    when ``p`` is None)."""
    if p is None:
        return _NONE.setdefault(acc, np.empty((0, 0), dtype=acc))
    return np.ascontiguousarray(p, dtype=acc).reshape(lay.c, -1)


def _ones(c, B, acc):
    """A ``(c, B)`` block of ones in dtype ``acc`` (the weight of a norm without one)."""
    o = _ONES.get((c, B, acc))
    if o is None:
        o = _ONES[(c, B, acc)] = np.ones((c, B), dtype=acc)
        o.flags.writeable = False
    return o


_ONES = {}


def _vec(p, acc):
    """A per-channel parameter as a 1-d array (an empty one when ``p`` is None)."""
    return _NONE1.setdefault(acc, np.empty(0, dtype=acc)) if p is None else p


_NONE1 = {}


def _chunk(lay):
    """``Q``, the elements of a statistics row per affine entry (``B`` without an
    affine parameter)."""
    Q = lay.B if lay.K is None else lay.L // lay.K
    if Q == 0 or lay.B % Q:  # an affine entry straddles statistics rows: not a layout of ours
        raise ValueError(f"norm_jit: affine chunks of {Q} do not tile rows of {lay.B}")
    return Q


def _shared_views(lay, *arrays):
    """``(T, L)`` arrays as ``(T, c)`` (``B == 1``) or ``(T, c, B)`` views."""
    sh = (lay.T, lay.c) if lay.B == 1 else (lay.T, lay.c, lay.B)
    return [a.reshape(sh) for a in arrays]


SHARED_CHUNKS = 8
"""Shared statistics (batch norm) are summed over this many chunks of samples (fewer
when there are fewer samples), each read in memory order, and the chunks' sums merged in
order: a split that depends only on the shape, so any thread count gives the same bits."""


def _sample_chunks(T):
    """``(chunks, S)``: ``T`` samples as ``chunks`` chunks of ``S`` (the last may be
    shorter)."""
    S = -(-T // max(1, min(T, SHARED_CHUNKS)))
    return -(-T // S), S


def shared_moments(lay, xa, center):
    """Shared statistics, step "local moments": per channel the mean (0 without
    centering) and biased variance of ``xa`` (``(T, L)``, dtype ``acc``), in float64."""
    (xv,) = _shared_views(lay, xa)
    if lay.B == 1:
        mean, var = np.empty(lay.c), np.empty(lay.c)
        _shared_stats_2d.run(lay.c, xa.size, xv, center, mean, var)
        return mean, var
    chunks, S = _sample_chunks(lay.T)
    pn, pm, pq = np.empty(chunks), np.empty((chunks, lay.c)), np.empty((chunks, lay.c))
    _shared_stats.run(chunks, xa.size, xv, center, S, pn, pm, pq)
    mean, var = np.empty(lay.c), np.empty(lay.c)
    _merge_moments.compiled()(0, lay.c, pn, pm, pq, mean, var)
    return mean, var


def shared_normalize(lay, xa, mean, invstd, w, b, acc, y):
    """Shared statistics, step "normalize": ``y = (xa - mean) * invstd * w + b`` per
    channel, written into ``y`` (``(T, L)``, dtype ``acc``)."""
    xv, yv = _shared_views(lay, xa, y)
    k, shift = np.empty(lay.c, acc), np.empty(lay.c, acc)
    m = np.zeros(lay.c) if mean is None else mean
    _affine_coefs.compiled()(0, lay.c, m, invstd, _vec(w, acc), _vec(b, acc), k, shift)
    rows = lay.T if lay.B == 1 else lay.T * lay.c
    _shared_affine.run(rows, 2 * xa.size, xv, k, shift, yv)


def shared_grad_sums(lay, xa, ga, m):
    """Shared statistics, backward: per channel ``sum(dy)`` and ``sum(dy * (x - m))``
    (float64)."""
    gv, xv = _shared_views(lay, ga, xa)
    if lay.B == 1:
        sg, sgx = np.empty(lay.c), np.empty(lay.c)
        _shared_bwd_sums_2d.run(lay.c, 2 * xa.size, gv, xv, m, sg, sgx)
        return sg, sgx
    chunks, S = _sample_chunks(lay.T)
    p1, p2 = np.empty((chunks, lay.c)), np.empty((chunks, lay.c))
    _shared_bwd_sums.run(chunks, 2 * xa.size, gv, xv, m, S, p1, p2)
    return p1.sum(axis=0), p2.sum(axis=0)  # (row after row: in chunk order)


def shared_grad_input(lay, xa, ga, w, m, inv, sg, sgx, M, center, acc, dx):
    """Shared statistics, backward: ``dx`` into ``dx`` (``(T, L)``, dtype ``acc``) from
    the channel sums ``sg``, ``sgx`` over ``M`` elements (all processes' with SyncBN)."""
    gv, xv, dv = _shared_views(lay, ga, xa, dx)
    p, q, r = np.empty(lay.c, acc), np.empty(lay.c, acc), np.empty(lay.c, acc)
    _dx_coefs.compiled()(0, lay.c, sg, sgx, inv, m, _vec(w, acc), float(M), center, p, q, r)
    rows = lay.T if lay.B == 1 else lay.T * lay.c
    _shared_bwd_dx.run(rows, 3 * xa.size, gv, xv, p, q, r, dv)


def forward(lay, x2, w, b, eps, center, acc):
    """The core's forward on the CPU: ``x2`` is the ``(T, L)`` input.

    Returns ``(y2, mean, var, invstd)``: the output ``(T, L)`` in ``x2``'s dtype and the
    statistics in dtype ``acc`` (``mean`` is None without centering).
    """
    T, L, c, B = lay.T, lay.L, lay.c, lay.B
    xa = _as_acc(x2, acc)
    y = np.empty((T, L), dtype=acc)
    size = xa.size  # (a kernel's work: elements read plus written)
    if not lay.per_sample:
        mean, var = shared_moments(lay, xa, center)
        invstd = 1.0 / np.sqrt(var + eps)
        shared_normalize(lay, xa, mean, invstd, w, b, acc, y)
    else:
        n, sh = T * c, (T, c, B)
        mean, var, invstd = np.empty(n), np.empty(n), np.empty(n)
        wq, bq = _affine_rows(lay, w, acc), _affine_rows(lay, b, acc)
        Q = _chunk(lay)
        if Q > 1:  # an affine entry per chunk of Q elements (or none)
            _sample_fwd.run(
                n, 2 * size, xa.reshape(sh), center, float(eps), wq, bq, B // Q, y.reshape(sh),
                mean, var, invstd,
            )  # fmt: skip
        else:  # an affine entry per element
            _sample_fwd_elem.run(
                (T + 1) // 2, 2 * size, xa.reshape(sh), center, float(eps), wq, bq,
                y.reshape(sh), mean, var, invstd,
            )  # fmt: skip
    y = y.astype(x2.dtype, copy=False)
    return y, (mean.astype(acc) if center else None), var.astype(acc), invstd.astype(acc)


def backward(lay, x2, g2, w, mean, invstd, center, has_w, has_b, acc, out):
    """The core's first derivative on the CPU: writes ``dx`` into ``out`` ``(T, L)`` and
    returns ``(dweight, dbias)`` in float64 (None when the norm has no such parameter)."""
    T, L, c, B = lay.T, lay.L, lay.c, lay.B
    xa, ga = _as_acc(x2, acc), _as_acc(g2, acc)
    inv = invstd.astype(np.float64)
    m = np.zeros_like(inv) if mean is None else mean.astype(np.float64)
    dx = out if out.dtype == acc else np.empty((T, L), dtype=acc)
    size = xa.size  # (a kernel's work: elements read plus written)
    gw = gb = None
    if not lay.per_sample:
        sg, sgx = shared_grad_sums(lay, xa, ga, m)
        gw, gb = sgx * inv, sg  # sum(dy * xhat), sum(dy)
        shared_grad_input(lay, xa, ga, w, m, inv, sg, sgx, T * B, center, acc, dx)
    else:
        n, sh = T * c, (T, c, B)
        Q = _chunk(lay)
        wq = _affine_rows(lay, w, acc)
        gv, xv, dv = ga.reshape(sh), xa.reshape(sh), dx.reshape(sh)
        if Q > 1:  # per (row, affine chunk) partial sums, added over the samples
            nq = B // Q
            pw, pb = np.empty((n, nq)), np.empty((n, nq))
            _sample_bwd.run(n, 3 * size, gv, xv, center, m, inv, wq, nq, dv, pw, pb)
            if lay.K is not None:
                gw, gb = np.empty(lay.K), np.empty(lay.K)
                _chunk_sum.compiled()(0, lay.K, pw.reshape(T, lay.K), pb.reshape(T, lay.K), gw, gb)
        else:  # a weight per element: dx, and its gradients per chunk of samples
            wgrad = has_w or has_b
            S = _elem_group(T)
            chunks = -(-T // S)
            shape = (chunks, c * B) if wgrad else (0, 0)
            pw, pb = np.empty(shape, acc), np.empty(shape, acc)
            we = wq if has_w else _ones(c, B, acc)
            _elem_bwd.run(chunks, 3 * size, gv, xv, center, m, inv, we, S, wgrad, dv, pw, pb)
            if wgrad:
                gw, gb = np.empty(c * B), np.empty(c * B)
                _chunk_sum.compiled()(0, c * B, pw, pb, gw, gb)
        gw = gw if has_w else None
        gb = gb if has_b else None
    if dx is not out:
        out[...] = dx
    return gw, gb
