"""The normalization core's passes as compiled loops (Numba), for the CPU.

:mod:`minigrad.ops.nn.norm.norm_core` calls :func:`forward` and :func:`backward` here instead of
its NumPy passes when :func:`minigrad.jit.enabled` (Numba installed). The formulas are the
core's (see its docstring); what changes is only how often the data is read:

=====================  ===========================================  =====================
layout                 forward                                      backward
=====================  ===========================================  =====================
shared statistics      per channel: each ``(sample, channel)`` row   per channel: sums of
(batch norm)           summed twice in cache (mean, then squared     ``dy``, ``dy*(x-mean)``;
                       deviations), rows merged exactly (Chan et     then ``dx`` per row
                       al.); then ``y = x*k + c`` per row
per-sample statistics  per statistics row: mean, variance, output    per sample: the two
(layer, group,         while the row is in cache                     sums, then ``dx`` and
instance, RMS norm)                                                  the weight/bias
                                                                     gradients, in cache
=====================  ===========================================  =====================

So the input is read from memory once or twice per pass instead of a dozen times.
Sums are accumulated in float64 whatever the data's dtype. Each kernel's first two
arguments are the range ``lo:hi`` of its outer loop (channels, rows or column blocks),
and each iteration writes only its own outputs, so :meth:`minigrad.jit.Kernel.run` can
split the loop over threads and the results are the same for any number of threads.
"""

from __future__ import annotations

import numpy as np

from minigrad.jit import kernel

__all__ = []  # internal


# --------------------------------------------------------- shared statistics (A, C, B)
@kernel
def _shared_stats(lo, hi, x, center, mean, var):
    """Channels ``lo:hi`` of ``x`` ``(A, C, B)``: mean (0 without centering) and biased
    variance (mean square without centering) over axes 0 and 2. Each ``(a, c)`` row is
    summed twice while in cache (mean, then squared deviations); rows are merged exactly
    (Chan, Golub & LeVeque), so ``x`` is read from memory once."""
    A, C, B = x.shape
    for c in range(lo, hi):
        n = 0.0
        m = 0.0
        m2 = 0.0
        for a in range(A):
            row = x[a, c]
            mt = 0.0
            if center:
                for i in range(B):
                    mt += row[i]
                mt /= B
            q = 0.0
            for i in range(B):
                d = row[i] - mt
                q += d * d
            tot = n + B
            delta = mt - m
            m += delta * (B / tot)
            m2 += q + delta * delta * (n * B / tot)
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
def _shared_bwd_sums(lo, hi, g, x, mean, sg, sgx):
    """Channels ``lo:hi``: ``sum(g)`` and ``sum(g * (x - mean))`` over axes 0 and 2."""
    A, C, B = x.shape
    for c in range(lo, hi):
        m = mean[c]
        t1 = 0.0
        t2 = 0.0
        for a in range(A):
            gr = g[a, c]
            xr = x[a, c]
            s1 = 0.0
            s2 = 0.0
            for i in range(B):
                s1 += gr[i]
                s2 += gr[i] * (xr[i] - m)
            t1 += s1
            t2 += s2
        sg[c] = t1
        sgx[c] = t2


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


# ----------------------------------------------------- per-sample statistics (T, c, B)
@kernel
def _sample_fwd(lo, hi, x, center, eps, we, be, has_w, has_b, y, mean, var, invstd):
    """Rows ``lo:hi`` (row ``r = t * c + j`` is ``x[t, j]``, ``B`` elements) of ``x``
    ``(T, c, B)``: the row's statistics, then ``y = xhat * we[j] + be[j]`` while the row
    is in cache (``we``/``be`` are ``(c, B)``: the affine parameters spelled out per
    element of a sample). Writes ``y`` and ``mean``, ``var``, ``invstd`` (``(T*c,)``)."""
    T, c, B = x.shape
    for r in range(lo, hi):
        t = r // c
        j = r - t * c
        row = x[t, j]
        out = y[t, j]
        w = we[j % we.shape[0]]
        bb = be[j % be.shape[0]]
        m = 0.0
        if center:
            for i in range(B):
                m += row[i]
            m /= B
        q = 0.0
        for i in range(B):
            d = row[i] - m
            q += d * d
        v = q / B
        s = 1.0 / np.sqrt(v + eps)  # eps=0, constant row: inf, then NaN (as NumPy's path)
        mean[r] = m
        var[r] = v
        invstd[r] = s
        if has_w and has_b:
            for i in range(B):
                out[i] = (row[i] - m) * s * w[i] + bb[i]
        elif has_w:
            for i in range(B):
                out[i] = (row[i] - m) * s * w[i]
        elif has_b:
            for i in range(B):
                out[i] = (row[i] - m) * s + bb[i]
        else:
            for i in range(B):
                out[i] = (row[i] - m) * s


@kernel
def _sample_bwd(lo, hi, g, x, center, mean, invstd, wq, has_w, Q, S, dx, pw, pb):
    """Backward of :func:`_sample_fwd` on ``(T, c, B)`` arrays, for the chunks ``lo:hi``
    of ``S`` samples each.

    Each row ``x[t, j]`` is ``B / Q`` affine chunks of ``Q`` elements sharing one weight
    (group and instance norm: a channel's pixels; layer norm: ``Q = 1``, a weight per
    element); ``wq`` ``(c, B/Q)`` holds the weights. Per row, with ``gw = g * weight``::

        dx = invstd * (gw - mean(gw) - xhat * mean(gw * xhat))

    It also writes the partial weight and bias gradients ``sum(g * xhat)`` and
    ``sum(g)``: per row and affine chunk into ``pw[r, k]``, ``pb[r, k]`` when ``Q > 1``;
    per element of a sample, summed over the chunk's samples, into ``pw[chunk]``,
    ``pb[chunk]`` (``(c, B)`` each) when ``Q == 1``.
    """
    T, c, B = x.shape
    nq = B // Q
    for ch in range(lo, hi):
        if Q == 1:  # local accumulators (which the compiler vectorizes), in x's dtype:
            aw = np.zeros((c, B), x.dtype)  # each adds at most S terms
            ab = np.zeros((c, B), x.dtype)
        for t in range(ch * S, min(ch * S + S, T)):
            for j in range(c):
                r = t * c + j
                m = mean[r]
                s = invstd[r]
                gr = g[t, j]
                xr = x[t, j]
                dr = dx[t, j]
                w = wq[j % wq.shape[0]]
                s1 = 0.0
                s2 = 0.0
                if Q > 1:  # (slices, not offset loops: the compiler vectorizes those)
                    for k in range(nq):
                        gk = gr[k * Q : (k + 1) * Q]
                        xk = xr[k * Q : (k + 1) * Q]
                        a1 = 0.0
                        a2 = 0.0
                        for i in range(Q):
                            a1 += gk[i]
                            a2 += gk[i] * (xk[i] - m)
                        pb[r, k] = a1
                        pw[r, k] = a2 * s
                        wk = w[k] if has_w else 1.0
                        s1 += wk * a1
                        s2 += wk * a2
                elif has_w:
                    for i in range(B):
                        gi = gr[i] * w[i]
                        s1 += gi
                        s2 += gi * (xr[i] - m)
                else:
                    for i in range(B):
                        s1 += gr[i]
                        s2 += gr[i] * (xr[i] - m)
                c1 = s1 / B if center else 0.0
                c2 = s2 * s * s / B  # (x - m) * c2 = xhat * mean(gw * xhat)
                if not has_w:
                    for i in range(B):
                        dr[i] = s * (gr[i] - c1 - (xr[i] - m) * c2)
                elif Q > 1:
                    for k in range(nq):
                        gk = gr[k * Q : (k + 1) * Q]
                        xk = xr[k * Q : (k + 1) * Q]
                        dk = dr[k * Q : (k + 1) * Q]
                        wk = w[k]
                        for i in range(Q):
                            dk[i] = s * (gk[i] * wk - c1 - (xk[i] - m) * c2)
                else:
                    for i in range(B):
                        dr[i] = s * (gr[i] * w[i] - c1 - (xr[i] - m) * c2)
                if Q == 1:  # the row is still in cache
                    awj = aw[j]
                    abj = ab[j]
                    mm = xr.dtype.type(m)
                    ss = xr.dtype.type(s)
                    for i in range(B):
                        awj[i] += gr[i] * ((xr[i] - mm) * ss)
                        abj[i] += gr[i]
        if Q == 1:
            pw[ch] = aw
            pb[ch] = ab


SAMPLE_CHUNKS = 8
"""The per-sample backward splits the samples into this many chunks (fewer when there
are fewer samples): the unit of parallel work, and of the partial weight gradients
that are added afterwards in chunk order (a split that depends only on the shape)."""


# ------------------------------------------------------------------ entry points
def _as_acc(a, acc):
    """``a`` C-contiguous in dtype ``acc`` (float16 data is computed in float32)."""
    return np.ascontiguousarray(a, dtype=acc)


def _spelled_out(lay, p, acc):
    """Affine parameter ``p`` (``K`` entries) as a ``(c, B)`` block: its value at each
    element of one sample (``(1, 1)`` zeros when ``p`` is None)."""
    if p is None:
        return np.zeros((1, 1), dtype=acc)
    q = lay.L // lay.K
    return np.ascontiguousarray(np.repeat(p.astype(acc), q).reshape(lay.c, lay.B))


def _shared_views(lay, *arrays):
    """``(T, L)`` arrays as ``(T, c)`` (``B == 1``) or ``(T, c, B)`` views."""
    sh = (lay.T, lay.c) if lay.B == 1 else (lay.T, lay.c, lay.B)
    return [a.reshape(sh) for a in arrays]


def shared_moments(lay, xa, center):
    """Shared statistics, step "local moments": per channel the mean (0 without
    centering) and biased variance of ``xa`` (``(T, L)``, dtype ``acc``), in float64."""
    (xv,) = _shared_views(lay, xa)
    mean, var = np.empty(lay.c), np.empty(lay.c)
    (_shared_stats_2d if lay.B == 1 else _shared_stats).run(lay.c, xa.size, xv, center, mean, var)
    return mean, var


def shared_normalize(lay, xa, mean, invstd, w, b, acc, y):
    """Shared statistics, step "normalize": ``y = (xa - mean) * invstd * w + b`` per
    channel, written into ``y`` (``(T, L)``, dtype ``acc``)."""
    xv, yv = _shared_views(lay, xa, y)
    k = invstd if w is None else invstd * w
    shift = -mean * k if b is None else b - mean * k
    rows = lay.T if lay.B == 1 else lay.T * lay.c
    _shared_affine.run(rows, 2 * xa.size, xv, k.astype(acc), shift.astype(acc), yv)


def shared_grad_sums(lay, xa, ga, m):
    """Shared statistics, backward: per channel ``sum(dy)`` and ``sum(dy * (x - m))``
    (float64)."""
    gv, xv = _shared_views(lay, ga, xa)
    sg, sgx = np.empty(lay.c), np.empty(lay.c)
    fn = _shared_bwd_sums_2d if lay.B == 1 else _shared_bwd_sums
    fn.run(lay.c, 2 * xa.size, gv, xv, m, sg, sgx)
    return sg, sgx


def shared_grad_input(lay, xa, ga, w, m, inv, sg, sgx, M, center, acc, dx):
    """Shared statistics, backward: ``dx`` into ``dx`` (``(T, L)``, dtype ``acc``) from
    the channel sums ``sg``, ``sgx`` over ``M`` elements (all processes' with SyncBN)."""
    gv, xv, dv = _shared_views(lay, ga, xa, dx)
    k = inv if w is None else inv * w
    c1 = sg / M if center else np.zeros_like(sg)
    c2 = sgx * inv * inv / M
    # dx = k * (g - c1 - (x - m) * c2) = g * k + x * (-k c2) + k (m c2 - c1)
    p, q, r = k.astype(acc), (-k * c2).astype(acc), (k * (m * c2 - c1)).astype(acc)
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
        we, be = _spelled_out(lay, w, acc), _spelled_out(lay, b, acc)
        n = T * c
        mean, var, invstd = np.empty(n), np.empty(n), np.empty(n)
        _sample_fwd.run(
            n, 2 * size, xa.reshape(T, c, B), center, float(eps), we, be, w is not None,
            b is not None, y.reshape(T, c, B), mean, var, invstd,
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
        K = lay.K
        Q = B if K is None else L // K  # elements per affine entry
        if B % Q:  # an affine entry straddles statistics rows: not a layout of ours
            raise ValueError(f"norm_jit: affine chunks of {Q} do not tile rows of {B}")
        has_w = w is not None
        wq = np.ascontiguousarray(w.reshape(c, B // Q)) if has_w else np.zeros((1, 1), acc)
        n = T * c
        chunks = min(T, SAMPLE_CHUNKS)
        S = -(-T // chunks)  # samples per chunk
        chunks = -(-T // S)
        sh = (T, c, B)
        pw = np.empty((n, B // Q)) if Q > 1 else np.empty((chunks, c, B), acc)
        pb = np.empty_like(pw)
        _sample_bwd.run(
            chunks, 3 * size, ga.reshape(sh), xa.reshape(sh), center, m, inv, wq, has_w, Q, S,
            dx.reshape(sh), pw, pb,
        )  # fmt: skip
        if K is None:  # no affine parameters
            pass
        elif Q > 1:  # per (sample, affine entry) partial sums: add over samples
            gw, gb = pw.reshape(T, K).sum(axis=0), pb.reshape(T, K).sum(axis=0)
        else:  # per element, per chunk: add over chunks
            gw = pw.sum(axis=0, dtype=np.float64).reshape(K)
            gb = pb.sum(axis=0, dtype=np.float64).reshape(K)
        gw = gw if has_w else None
        gb = gb if has_b else None
    if dx is not out:
        out[...] = dx
    return gw, gb
