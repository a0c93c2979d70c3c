"""The LSTM and GRU step math as compiled loops (Numba), for the CPU.

:class:`minigrad.ops.nn.rnn.rnn_cell.LSTMCellFunction` and ``GRUCellFunction`` call these when
:func:`minigrad.jit.enabled` and the data is float32 or float64 on the CPU. NumPy needs
about fifteen passes over the ``(B, 4H)`` gates for one LSTM step forward and as many
backward. Backward is one compiled pass here. Forward in float64 keeps NumPy's
vectorized ``tanh`` (Numba's scalar ``math.tanh`` calls libm per element and measured
25x slower: 513 us against about 20 us for a (64, 512) step) and fuses the arithmetic
around it into three passes. The formulas are the NumPy path's (sigmoid in its tanh form
``0.5 tanh(x / 2) + 0.5``), so both paths agree to rounding.
The loops run over batch rows; a step is far below the size where splitting it over
threads pays, so they run on the calling thread (splitting the whole time loop over
batch rows was measured too: see benchmarks/PERF_NOTES.md, W5).

float32 forward (LSTM and GRU): one pass. NumPy's vectorized ``tanh`` costs as much as
the rest of the step together (12 of 31 us for a (64, 512) LSTM step, plus the passes
around it), so for float32 the whole forward step is one compiled loop with a rational
approximation of
``tanh`` that vectorizes: ``tanh(x) ~ x P(x^2) / Q(x^2)``, ``P`` of degree 6 and ``Q`` of
degree 3 in ``x^2``, the input clamped to [-9, 9] (``|tanh| > 1 - 3e-8`` beyond). The
coefficients were fitted here for the relative error on [0, 9] (linearized least squares,
reweighted towards the minimax; max relative error 6.6e-9 in exact arithmetic); evaluated
in float32 (with fused multiply-adds) it is within 5 ulp of the correctly rounded
``tanh`` over every float32 in [1e-30, 9.5] (mean 0.5-0.9 ulp; NumPy's: 1 ulp), checked
by ``tests/nn/test_rnn.py::test_tanh_f32_ulp``. NaN propagates; ``|x| >= 9`` (and +-inf)
gives +-1 exactly.
float64 keeps NumPy's ``tanh`` (gradcheck precision).
"""

from __future__ import annotations

import numpy as np

from minigrad.jit import kernel

__all__ = []  # internal


@kernel
def _lstm_pre(lo, hi, xg, hg, bias, use_bias, a):
    """``a = xg + hg (+ bias)``, halved in the sigmoid gates (i, f, o) for the tanh form."""
    H = a.shape[1] // 4
    for b in range(lo, hi):
        for k in range(4 * H):
            v = xg[b, k] + hg[b, k]
            if use_bias:
                v += bias[k]
            a[b, k] = v if 2 * H <= k < 3 * H else 0.5 * v


@kernel
def _lstm_post(lo, hi, a, c, c2):
    """Finish the sigmoid gates in ``a`` (``0.5 t + 0.5``) and ``c2 = f c + i g``."""
    H = c.shape[1]
    for b in range(lo, hi):
        for j in range(H):
            i = 0.5 * a[b, j] + 0.5
            f = 0.5 * a[b, H + j] + 0.5
            a[b, j] = i
            a[b, H + j] = f
            a[b, 3 * H + j] = 0.5 * a[b, 3 * H + j] + 0.5
            c2[b, j] = f * c[b, j] + i * a[b, 2 * H + j]


# tanh(x) ~ x P(x^2) / Q(x^2) on [-9, 9] (float32 constants: no float64 promotion)
_F = np.float32
_T_CLAMP = _F(9.0)
_T_P0, _T_P1, _T_P2, _T_P3 = (
    _F(1.0),
    _F(0.13084011126455752),
    _F(0.0031039573902087486),
    _F(1.1154321343453608e-05),
)
_T_P4, _T_P5, _T_P6 = (
    _F(-2.0225283224281495e-08),
    _F(5.277978310732734e-11),
    _F(-8.488792361977984e-14),
)
_T_Q1, _T_Q2, _T_Q3 = _F(0.46417338227322935), _F(0.024495182997921153), _F(0.000254614697911574)
_ZERO, _HALF, _ONE = _F(0.0), _F(0.5), _F(1.0)


@kernel
def _tanh_f32(lo, hi, x, out):
    """``out = tanh(x)`` (1-D float32) by the rational approximation (the same lines as
    inlined in :func:`_lstm_fwd_f32`; for the accuracy test)."""
    for i in range(lo, hi):
        v = x[i]
        v = _T_CLAMP if v > _T_CLAMP else v
        v = -_T_CLAMP if v < -_T_CLAMP else v
        s = v * v
        p = _T_P4 + s * (_T_P5 + s * _T_P6)
        p = _T_P0 + s * (_T_P1 + s * (_T_P2 + s * (_T_P3 + s * p)))
        t = v * p / (_ONE + s * (_T_Q1 + s * (_T_Q2 + s * _T_Q3)))
        t = _ONE if v >= _T_CLAMP else t  # saturated: exactly +-1
        out[i] = -_ONE if v <= -_T_CLAMP else t


@kernel
def _lstm_fwd_f32(lo, hi, xg, hg, bias, use_bias, c, h2, c2, a, tc, out, use_out):
    """One float32 LSTM step in one pass per row: the gates ``a`` (i, f, g, o activated;
    sigmoid as ``0.5 tanh(x / 2) + 0.5``), ``c2 = f c + i g``, ``tc = tanh(c2)``,
    ``h2 = o tc`` (also into ``out`` when ``use_out``). ``tanh``: the rational
    approximation of :func:`_tanh_f32`, written out twice (gates, cell)."""
    H = c.shape[1]
    for b in range(lo, hi):
        for gate in range(4):  # (a loop per gate: no per-element branch, measured faster)
            sig = gate != 2
            scale = _HALF if sig else _ONE
            shift = _HALF if sig else _ZERO
            for j in range(H):
                k = gate * H + j
                v = xg[b, k] + hg[b, k]
                if use_bias:
                    v += bias[k]
                v = scale * v
                v = _T_CLAMP if v > _T_CLAMP else v
                v = -_T_CLAMP if v < -_T_CLAMP else v
                s = v * v
                p = _T_P0 + s * (
                    _T_P1 + s * (_T_P2 + s * (_T_P3 + s * (_T_P4 + s * (_T_P5 + s * _T_P6))))
                )
                t = v * p / (_ONE + s * (_T_Q1 + s * (_T_Q2 + s * _T_Q3)))
                t = _ONE if v >= _T_CLAMP else t
                t = -_ONE if v <= -_T_CLAMP else t
                a[b, k] = scale * t + shift
        for j in range(H):
            v = a[b, H + j] * c[b, j] + a[b, j] * a[b, 2 * H + j]
            c2[b, j] = v
            v = _T_CLAMP if v > _T_CLAMP else v
            v = -_T_CLAMP if v < -_T_CLAMP else v
            s = v * v
            p = _T_P0 + s * (
                _T_P1 + s * (_T_P2 + s * (_T_P3 + s * (_T_P4 + s * (_T_P5 + s * _T_P6))))
            )
            t = v * p / (_ONE + s * (_T_Q1 + s * (_T_Q2 + s * _T_Q3)))
            t = _ONE if v >= _T_CLAMP else t
            t = -_ONE if v <= -_T_CLAMP else t
            tc[b, j] = t
            hv = a[b, 3 * H + j] * t
            h2[b, j] = hv
            if use_out:
                out[b, j] = hv


@kernel
def _lstm_bwd(lo, hi, gh, gc, use_gh, use_gc, acts, tc, c, da, dcp):
    H = c.shape[1]
    for b in range(lo, hi):
        for j in range(H):
            i = acts[b, j]
            f = acts[b, H + j]
            g = acts[b, 2 * H + j]
            o = acts[b, 3 * H + j]
            t = tc[b, j]
            dc = gc[b, j] if use_gc else 0.0
            if use_gh:
                ghv = gh[b, j]
                dc += ghv * o * (1 - t * t)
                da[b, 3 * H + j] = ghv * t * o * (1 - o)
            else:
                da[b, 3 * H + j] = 0.0
            da[b, j] = dc * g * i * (1 - i)
            da[b, H + j] = dc * c[b, j] * f * (1 - f)
            da[b, 2 * H + j] = dc * i * (1 - g * g)
            dcp[b, j] = dc * f


@kernel
def _lstm_bwd_seq(lo, hi, gh, go, use_go, gc, acts, tc, c, da, dcp):
    """One step of the sequence backward: as :func:`_lstm_bwd` with both state gradients
    given, plus the output's gradient ``go`` (added to ``gh`` when ``use_go``); in the
    dtype of the data (float32 constants: no float64 intermediates)."""
    H = c.shape[1]
    for b in range(lo, hi):
        for j in range(H):
            i = acts[b, j]
            f = acts[b, H + j]
            g = acts[b, 2 * H + j]
            o = acts[b, 3 * H + j]
            t = tc[b, j]
            ghv = gh[b, j]
            if use_go:
                ghv += go[b, j]
            dc = gc[b, j] + ghv * o * (_ONE - t * t)
            do = ghv * t * o * (_ONE - o)
            di = dc * g * i * (_ONE - i)
            df = dc * c[b, j] * f * (_ONE - f)
            dg = dc * i * (_ONE - g * g)
            da[b, j] = di
            da[b, H + j] = df
            da[b, 2 * H + j] = dg
            da[b, 3 * H + j] = do
            dcp[b, j] = dc * f


@kernel
def _gru_fwd_f32(lo, hi, xg, hg, bias, use_bias, h, h2, rz, n, out, use_out):
    """One float32 GRU step in one pass per row: ``hg += bias`` (in place: the backward
    reads ``hg`` with its bias), ``r, z`` (sigmoid as ``0.5 tanh(x / 2) + 0.5``) into
    ``rz``, ``n = tanh(xg_n + r hg_n)``, ``h2 = (h - n) z + n`` (also into ``out`` when
    ``use_out``). ``tanh``: the rational approximation of :func:`_tanh_f32`."""
    H = h.shape[1]
    for b in range(lo, hi):
        if use_bias:
            for k in range(3 * H):
                hg[b, k] += bias[k]
        for k in range(2 * H):
            v = _HALF * (xg[b, k] + hg[b, k])
            v = _T_CLAMP if v > _T_CLAMP else v
            v = -_T_CLAMP if v < -_T_CLAMP else v
            s = v * v
            p = _T_P0 + s * (
                _T_P1 + s * (_T_P2 + s * (_T_P3 + s * (_T_P4 + s * (_T_P5 + s * _T_P6))))
            )
            t = v * p / (_ONE + s * (_T_Q1 + s * (_T_Q2 + s * _T_Q3)))
            t = _ONE if v >= _T_CLAMP else t
            t = -_ONE if v <= -_T_CLAMP else t
            rz[b, k] = _HALF * t + _HALF
        for j in range(H):
            v = xg[b, 2 * H + j] + rz[b, j] * hg[b, 2 * H + j]
            v = _T_CLAMP if v > _T_CLAMP else v
            v = -_T_CLAMP if v < -_T_CLAMP else v
            s = v * v
            p = _T_P0 + s * (
                _T_P1 + s * (_T_P2 + s * (_T_P3 + s * (_T_P4 + s * (_T_P5 + s * _T_P6))))
            )
            t = v * p / (_ONE + s * (_T_Q1 + s * (_T_Q2 + s * _T_Q3)))
            t = _ONE if v >= _T_CLAMP else t
            t = -_ONE if v <= -_T_CLAMP else t
            n[b, j] = t
            hv = (h[b, j] - t) * rz[b, H + j] + t
            h2[b, j] = hv
            if use_out:
                out[b, j] = hv


@kernel
def _gru_pre(lo, hi, xg, hg, rz):
    """``rz = (xg + hg) / 2`` over the r and z gates (the tanh form of the sigmoid)."""
    H2 = rz.shape[1]
    for b in range(lo, hi):
        for k in range(H2):
            rz[b, k] = 0.5 * (xg[b, k] + hg[b, k])


@kernel
def _gru_mid(lo, hi, xg, hg, rz, n):
    """Finish ``r, z`` (``0.5 t + 0.5``) and ``n = xg_n + r hg_n`` (before its tanh)."""
    H = n.shape[1]
    for b in range(lo, hi):
        for j in range(H):
            r = 0.5 * rz[b, j] + 0.5
            rz[b, j] = r
            rz[b, H + j] = 0.5 * rz[b, H + j] + 0.5
            n[b, j] = xg[b, 2 * H + j] + r * hg[b, 2 * H + j]


@kernel
def _gru_post(lo, hi, h, rz, n, h2):
    """``h2 = (h - n) z + n``."""
    H = n.shape[1]
    for b in range(lo, hi):
        for j in range(H):
            h2[b, j] = (h[b, j] - n[b, j]) * rz[b, H + j] + n[b, j]


@kernel
def _gru_bwd(lo, hi, gy, hg, h, rz, n, dx, dhg, dh):
    H = h.shape[1]
    for b in range(lo, hi):
        for j in range(H):
            g = gy[b, j]
            r = rz[b, j]
            z = rz[b, H + j]
            nv = n[b, j]
            dz = g * (h[b, j] - nv) * z * (1 - z)
            dan = g * (1 - z) * (1 - nv * nv)
            dr = dan * hg[b, 2 * H + j] * r * (1 - r)
            dx[b, j] = dr
            dx[b, H + j] = dz
            dx[b, 2 * H + j] = dan
            dhg[b, j] = dr
            dhg[b, H + j] = dz
            dhg[b, 2 * H + j] = dan * r
            dh[b, j] = g * z


def handles(*arrays):
    """Whether the kernels take these arrays: NumPy, 2-D, float32 or float64, one dtype."""
    dt = arrays[0].dtype
    return dt in (np.float32, np.float64) and all(
        type(a) is np.ndarray and a.ndim == 2 and a.dtype == dt for a in arrays
    )


def lstm_forward(xg, hg, c, bias=None, out=None, h_copy=None):
    """``(h', c', acts, tanh(c'))`` of one LSTM step (``acts``: i, f, g, o activated)
    from ``xg + hg (+ bias)``; written into ``out`` (four arrays) when given, and ``h'``
    also into ``h_copy`` when given.

    float32: one compiled pass (:func:`_lstm_fwd_f32`, rational ``tanh``). float64: the
    transcendental functions are NumPy's (vectorized ``tanh``) and the kernels do the
    rest of the arithmetic around them, five passes instead of fifteen."""
    B, H = c.shape
    if out is None:
        out = (np.empty((B, H), c.dtype), np.empty((B, H), c.dtype),
               np.empty((B, 4 * H), c.dtype), np.empty((B, H), c.dtype))  # fmt: skip
    h2, c2, a, tc = out
    use_bias = bias is not None
    if c.dtype == np.float32:
        _lstm_fwd_f32.compiled()(
            0, B, xg, hg, bias if use_bias else _EMPTY["f"], use_bias, c, h2, c2, a, tc,
            h2 if h_copy is None else h_copy, h_copy is not None,
        )  # fmt: skip
        return out
    _lstm_pre.compiled()(0, B, xg, hg, bias if use_bias else _EMPTY[c.dtype.char], use_bias, a)
    np.tanh(a, out=a)
    _lstm_post.compiled()(0, B, a, c, c2)
    np.tanh(c2, out=tc)
    np.multiply(a[:, 3 * H :], tc, out=h2)
    if h_copy is not None:
        h_copy[...] = h2
    return out


_EMPTY = {"f": np.zeros(1, np.float32), "d": np.zeros(1, np.float64)}


def lstm_backward(gh, gc, acts, tc, c, out=None):
    """``(d pre-activations, d c)`` of one LSTM step; ``gh``/``gc`` may be None; written
    into ``out`` (two arrays) when given."""
    B, H = c.shape
    if out is None:
        out = (np.empty((B, 4 * H), dtype=c.dtype), np.empty((B, H), dtype=c.dtype))
    da, dcp = out
    empty = np.zeros((1, 1), dtype=c.dtype)
    _lstm_bwd.compiled()(
        0, B, empty if gh is None else gh, empty if gc is None else gc,
        gh is not None, gc is not None, acts, tc, c, da, dcp,
    )  # fmt: skip
    return da, dcp


def gru_forward(xg, hg, h, out=None, bias=None, h_copy=None):
    """``(h', rz, n)`` of one GRU step (``rz``: r, z activated; ``n``: the candidate);
    written into ``out`` (three arrays) when given, ``h'`` also into ``h_copy`` when
    given; ``bias`` (``b_hh``) is first added to ``hg`` in place.

    float32: one compiled pass (:func:`_gru_fwd_f32`, rational ``tanh``). float64: NumPy's
    ``tanh`` between three compiled passes."""
    B, H = h.shape
    if out is None:
        out = (np.empty((B, H), h.dtype), np.empty((B, 2 * H), h.dtype), np.empty((B, H), h.dtype))
    h2, rz, n = out
    if h.dtype == np.float32:
        use_bias, use_out = bias is not None, h_copy is not None
        _gru_fwd_f32.compiled()(
            0, B, xg, hg, bias if use_bias else _EMPTY["f"], use_bias, h, h2, rz, n,
            h_copy if use_out else h2, use_out,
        )  # fmt: skip
        return out
    if bias is not None:
        hg += bias
    _gru_pre.compiled()(0, B, xg, hg, rz)
    np.tanh(rz, out=rz)
    _gru_mid.compiled()(0, B, xg, hg, rz, n)
    np.tanh(n, out=n)
    _gru_post.compiled()(0, B, h, rz, n, h2)
    if h_copy is not None:
        h_copy[...] = h2
    return out


def gru_backward(gy, hg, h, rz, n, out=None):
    """``(d xg, d hg, d h)`` of one GRU step; written into ``out`` when given."""
    B, H = h.shape
    if out is None:
        out = (np.empty((B, 3 * H), h.dtype), np.empty((B, 3 * H), h.dtype),
               np.empty((B, H), h.dtype))  # fmt: skip
    dx, dhg, dh = out
    _gru_bwd.compiled()(0, B, gy, hg, h, rz, n, dx, dhg, dh)
    return out
