"""Fused recurrent steps: the gate math of one LSTM or GRU step as one Function each, and
the two shape ops a time loop needs (split a sequence into steps, stack steps back).

A recurrent layer computes the input projection of all time steps in one matmul, then
loops over time. Per step, the hidden projection ``hg = h @ W_hh.T + b_hh`` is one
:func:`~minigrad.ops.nn.linear.linear`, and everything after it is one of these Functions:

- :class:`LSTMCellFunction` takes the two pre-activations ``xg = W_ih x + b_ih`` and
  ``hg = W_hh h + b_hh`` (each ``(B, 4H)``, gate order i, f, g, o, as PyTorch) and the
  cell ``c``; it returns ``(h', c')`` with::

      i, f, o = sigmoid(xg + hg)[i, f, o]     g = tanh(xg + hg)[g]
      c' = f * c + i * g                       h' = o * tanh(c')

- :class:`GRUCellFunction` takes ``xg``, ``hg`` (each ``(B, 3H)``, order r, z, n) and
  ``h``; it returns ``h'`` with::

      r = sigmoid(xg_r + hg_r)    z = sigmoid(xg_z + hg_z)
      n = tanh(xg_n + r * hg_n)   h' = (1 - z) * n + z * h

Backward is the closed form (with ``dc = gc + gh * o * (1 - tanh(c')^2)`` for the LSTM;
``da_n = gh (1 - z)(1 - n^2)`` for the GRU, whose ``hg_n`` gradient is ``da_n * r``).
When no graph is being built (ordinary training) it runs on raw arrays; under
``create_graph=True`` the same formulas are written in differentiable tensor ops from the
saved inputs, so higher-order gradients work (the pattern of
:mod:`minigrad.ops.nn.linear`).

:class:`Steps` (a sequence ``(T, ...)`` to ``T`` tensors) and :class:`StackSteps` (the
reverse) are each other's backward, so they too are differentiable to any order.
"""

from __future__ import annotations

from minigrad import backend
from minigrad.autograd.function import Function
from minigrad.autograd.grad_mode import _GradMode
from minigrad.ops import impl
from minigrad.ops.impl import COMPILED
from minigrad.ops.kernels.cpu import rnn_jit
from minigrad.ops.shape.shape import cat, split
from minigrad.tensor import Tensor

__all__ = ["lstm_cell", "gru_cell", "unbind_steps", "stack_steps"]


def _sigmoid_(a, xp):
    """In-place logistic function in its tanh form (stable, keeps the dtype)."""
    a *= 0.5
    xp.tanh(a, out=a)
    a *= 0.5
    a += 0.5
    return a


class Steps(Function):
    """Split ``x`` of shape ``(T, ...)`` into ``T`` tensors ``x[t]`` (views)."""

    is_view = False  # several outputs; none is version-tracked as input 0's view

    def forward(self, x):
        return tuple(x[t] for t in range(x.shape[0]))

    def backward(self, *gys):
        (x,) = self.inputs
        if not _GradMode.enabled:
            g = x.xp.zeros(x.shape, dtype=x.dtype)
            for t, gy in enumerate(gys):
                if gy is not None:
                    g[t] = gy._data
            return Tensor._make(g)
        zero = None
        parts = []
        for gy in gys:
            if gy is None:
                if zero is None:
                    zero = Tensor._make(x.xp.zeros(x.shape[1:], dtype=x.dtype))
                gy = zero
            parts.append(gy)
        return StackSteps()(*parts)


class StackSteps(Function):
    """Stack ``T`` tensors of one shape into one ``(T, ...)`` tensor."""

    uses_input_values = False

    def forward(self, *xs):
        return backend.array_module(xs[0]).stack(xs)

    def backward(self, gy):
        if not _GradMode.enabled:
            g = gy._data
            return tuple(Tensor._make(g[t]) for t in range(g.shape[0]))
        return Steps()(gy)


def unbind_steps(x):
    """Split a sequence ``(T, ...)`` into its ``T`` steps (one graph node for all).

    Parameters
    ----------
    x : Tensor
        At least one dimension; the first is time.

    Returns
    -------
    tuple of Tensor
        ``x[0], ..., x[T-1]``.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.ops.nn.rnn.rnn_cell import unbind_steps
    >>> [s.tolist() for s in unbind_steps(minigrad.tensor([[1.0, 2.0], [3.0, 4.0]]))]
    [[1.0, 2.0], [3.0, 4.0]]
    """
    if x.ndim == 0 or x.shape[0] == 0:
        raise RuntimeError(
            f"unbind_steps: expected a tensor with a non-empty first (time) dimension, got "
            f"shape {tuple(x.shape)}"
        )
    out = Steps()(x)
    return out if isinstance(out, tuple) else (out,)


def stack_steps(steps):
    """Stack steps of one shape into a sequence ``(T, ...)`` (one graph node for all).

    Parameters
    ----------
    steps : sequence of Tensor
        Tensors of one shape, dtype and device.

    Returns
    -------
    Tensor

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.ops.nn.rnn.rnn_cell import stack_steps
    >>> stack_steps([minigrad.zeros(2), minigrad.ones(2)])
    tensor([[0., 0.],
            [1., 1.]])
    """
    steps = list(steps)
    if not steps:
        raise RuntimeError("stack_steps: expected a non-empty sequence of tensors")
    ref = steps[0].shape
    for i, s in enumerate(steps):
        if s.shape != ref:
            raise RuntimeError(
                f"stack_steps: expected steps of one shape, got {tuple(ref)} at step 0 and "
                f"{tuple(s.shape)} at step {i}"
            )
    return StackSteps()(*steps)


RNN = impl.family("rnn")
"""The recurrent steps' implementations: "numpy" and "cupy" are the ``xp`` code below;
"cpu-compiled" the kernels of :mod:`minigrad.ops.kernels.cpu.rnn_jit` (2-D float32/float64
NumPy)."""
RNN.register(COMPILED, rnn_jit.handles)


# ------------------------------------------------------------------------------ LSTM
def lstm_step_arrays(xg, hg, c, which=None):
    """One LSTM step on arrays: ``(h', c', acts, tanh(c'))``, ``acts`` the activated
    gates (i, f, g, o); the compiled kernels when they apply, else NumPy/CuPy.
    ``which``: the implementation already chosen (else :func:`~minigrad.ops.impl.select`)."""
    xp = backend.array_module(xg)
    if (which or impl.select(RNN, xg, hg, c)) == COMPILED:
        return rnn_jit.lstm_forward(xg, hg, c)
    H = c.shape[-1]
    a = xg + hg
    _sigmoid_(a[..., : 2 * H], xp)
    xp.tanh(a[..., 2 * H : 3 * H], out=a[..., 2 * H : 3 * H])
    _sigmoid_(a[..., 3 * H :], xp)
    i, f, g, o = a[..., :H], a[..., H : 2 * H], a[..., 2 * H : 3 * H], a[..., 3 * H :]
    c2 = f * c
    c2 += i * g
    tc = xp.tanh(c2)
    return o * tc, c2, a, tc


def lstm_step_grad_arrays(gh, gc, a, tc, c):
    """Backward of :func:`lstm_step_arrays` on arrays (``gh``/``gc`` may be None):
    ``(d pre-activations, d c)``."""
    xp = backend.array_module(a)
    if impl.select(RNN, a, tc, c, *(g for g in (gh, gc) if g is not None)) == COMPILED:
        return rnn_jit.lstm_backward(gh, gc, a, tc, c)
    H = tc.shape[-1]
    i, f, g, o = a[..., :H], a[..., H : 2 * H], a[..., 2 * H : 3 * H], a[..., 3 * H :]
    da = xp.empty_like(a)
    if gh is not None:
        dc = 1 - tc * tc
        dc *= o
        dc *= gh
        if gc is not None:
            dc += gc
        do = da[..., 3 * H :]
        xp.multiply(gh, tc, out=do)
        do *= o
        do *= 1 - o
    else:
        dc = gc.copy() if gc is not None else xp.zeros_like(tc)
        da[..., 3 * H :] = 0
    di, df, dg = da[..., :H], da[..., H : 2 * H], da[..., 2 * H : 3 * H]
    xp.multiply(dc, g, out=di)
    di *= i
    di *= 1 - i
    xp.multiply(dc, c, out=df)
    df *= f
    df *= 1 - f
    xp.multiply(dc, i, out=dg)
    dg *= 1 - g * g
    dc *= f
    return da, dc


class LSTMCellFunction(Function):
    """One LSTM step from its pre-activations: ``(xg, hg, c) -> (h', c')``."""

    def forward(self, xg, hg, c):
        which = impl.choose(self, RNN, xg, hg, c)
        h2, c2, self.acts, self.tc = lstm_step_arrays(xg, hg, c, which)
        self.out = (h2, c2)
        return h2, c2

    def backward(self, gh, gc):
        xg, hg, c = self.inputs
        if not _GradMode.enabled:
            return self._backward_arrays(gh, gc, c)
        return self._backward_graph(gh, gc, xg, hg, c)

    def _backward_arrays(self, gh, gc, c):
        n_x, n_h, n_c = self.needs_input_grad
        da, dcp = lstm_step_grad_arrays(
            None if gh is None else gh._data, None if gc is None else gc._data,
            self.acts, self.tc, c._data,
        )  # fmt: skip
        gda = Tensor._make(da)
        return (gda if n_x else None), (gda if n_h else None), (Tensor._make(dcp) if n_c else None)

    def _backward_graph(self, gh, gc, xg, hg, c):
        H = c.shape[-1]
        ai, af, ag, ao = split(xg + hg, H, -1)
        i, f, g, o = ai.sigmoid(), af.sigmoid(), ag.tanh(), ao.sigmoid()
        c2 = f * c + i * g
        tc = c2.tanh()
        if gh is not None:
            dc = gh * o * (1 - tc * tc)
            if gc is not None:
                dc = dc + gc
            do = gh * tc * o * (1 - o)
        else:
            dc = gc if gc is not None else c2 * 0
            do = o * 0
        di = dc * g * i * (1 - i)
        df = dc * c * f * (1 - f)
        dg = dc * i * (1 - g * g)
        da = cat([di, df, dg, do], -1)
        n_x, n_h, n_c = self.needs_input_grad
        return (da if n_x else None), (da if n_h else None), (dc * f if n_c else None)


def lstm_cell(xg, hg, c):
    """One LSTM step from its two pre-activations (gate order i, f, g, o, as PyTorch).

    Parameters
    ----------
    xg : Tensor
        ``input @ W_ih.T + b_ih``, shape ``(B, 4H)``.
    hg : Tensor
        ``h @ W_hh.T + b_hh``, shape ``(B, 4H)``.
    c : Tensor
        The cell state, shape ``(B, H)``.

    Returns
    -------
    (Tensor, Tensor)
        The new hidden state ``h'`` and cell state ``c'``, each ``(B, H)``.

    Raises
    ------
    RuntimeError
        If the shapes do not fit.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.ops.nn.rnn.rnn_cell import lstm_cell
    >>> h, c = lstm_cell(minigrad.zeros(1, 4), minigrad.zeros(1, 4), minigrad.ones(1, 1))
    >>> c  # f = sigmoid(0) = 0.5 keeps half the cell, i * g = 0.5 * tanh(0) adds nothing
    tensor([[0.5]])
    """
    H = c.shape[-1]
    if xg.shape != hg.shape or xg.shape[-1] != 4 * H or xg.shape[:-1] != c.shape[:-1]:
        raise RuntimeError(
            f"lstm_cell: expected xg and hg of shape (*, 4H) and c of shape (*, H), got xg "
            f"{tuple(xg.shape)}, hg {tuple(hg.shape)}, c {tuple(c.shape)}"
        )
    return LSTMCellFunction()(xg, hg, c)


# ------------------------------------------------------------------------------- GRU
def gru_step_arrays(xg, hg, h, which=None):
    """One GRU step on arrays: ``(h', rz, n)`` (``rz``: activated r, z; ``n``: candidate).
    ``which``: the implementation already chosen (else :func:`~minigrad.ops.impl.select`)."""
    xp = backend.array_module(xg)
    if (which or impl.select(RNN, xg, hg, h)) == COMPILED:
        return rnn_jit.gru_forward(xg, hg, h)
    H = h.shape[-1]
    rz = xg[..., : 2 * H] + hg[..., : 2 * H]
    _sigmoid_(rz, xp)
    r, z = rz[..., :H], rz[..., H:]
    n = r * hg[..., 2 * H :]
    n += xg[..., 2 * H :]
    xp.tanh(n, out=n)
    h2 = h - n
    h2 *= z
    h2 += n  # (1 - z) * n + z * h
    return h2, rz, n


def gru_step_grad_arrays(g, hg, h, rz, n):
    """Backward of :func:`gru_step_arrays` on arrays: ``(d xg, d hg, d h)``."""
    xp = backend.array_module(rz)
    if impl.select(RNN, g, hg, h, rz, n) == COMPILED:
        return rnn_jit.gru_backward(g, hg, h, rz, n)
    H = n.shape[-1]
    r, z = rz[..., :H], rz[..., H:]
    dx = xp.empty(rz.shape[:-1] + (3 * H,), dtype=rz.dtype)
    dr, dz, dn = dx[..., :H], dx[..., H : 2 * H], dx[..., 2 * H :]
    xp.subtract(h, n, out=dz)  # dz = g (h - n) z (1 - z)
    dz *= g
    dz *= z
    dz *= 1 - z
    xp.multiply(n, n, out=dn)  # da_n = g (1 - z)(1 - n^2)
    xp.subtract(1, dn, out=dn)
    dn *= 1 - z
    dn *= g
    xp.multiply(dn, hg[..., 2 * H :], out=dr)  # dr = da_n hg_n r (1 - r)
    dr *= r
    dr *= 1 - r
    dhg = dx.copy()
    dhg[..., 2 * H :] *= r
    return dx, dhg, g * z


class GRUCellFunction(Function):
    """One GRU step from its pre-activations: ``(xg, hg, h) -> h'``."""

    def forward(self, xg, hg, h):
        which = impl.choose(self, RNN, xg, hg, h)
        h2, self.rz, self.n = gru_step_arrays(xg, hg, h, which)
        self.out = h2
        return h2

    def backward(self, gy):
        xg, hg, h = self.inputs
        if not _GradMode.enabled:
            return self._backward_arrays(gy, hg, h)
        return self._backward_graph(gy, xg, hg, h)

    def _backward_arrays(self, gy, hg, h):
        n_x, n_hg, n_h = self.needs_input_grad
        dx, dhg, dh = gru_step_grad_arrays(gy._data, hg._data, h._data, self.rz, self.n)
        return (
            Tensor._make(dx) if n_x else None,
            Tensor._make(dhg) if n_hg else None,
            Tensor._make(dh) if n_h else None,
        )

    def _backward_graph(self, gy, xg, hg, h):
        H = h.shape[-1]
        xr, xz, xn = split(xg, H, -1)
        hr, hz, hn = split(hg, H, -1)
        r, z = (xr + hr).sigmoid(), (xz + hz).sigmoid()
        n = (xn + r * hn).tanh()
        dan = gy * (1 - z) * (1 - n * n)
        dz = gy * (h - n) * z * (1 - z)
        dr = dan * hn * r * (1 - r)
        n_x, n_hg, n_h = self.needs_input_grad
        gxg = cat([dr, dz, dan], -1) if n_x else None
        ghg = cat([dr, dz, dan * r], -1) if n_hg else None
        return gxg, ghg, (gy * z if n_h else None)


def gru_cell(xg, hg, h):
    """One GRU step from its two pre-activations (gate order r, z, n, as PyTorch).

    ``n = tanh(xg_n + r * hg_n)``: the reset gate multiplies the hidden projection
    including its bias ``b_hn``, as in PyTorch (and cuDNN).

    Parameters
    ----------
    xg : Tensor
        ``input @ W_ih.T + b_ih``, shape ``(B, 3H)``.
    hg : Tensor
        ``h @ W_hh.T + b_hh``, shape ``(B, 3H)``.
    h : Tensor
        The hidden state, shape ``(B, H)``.

    Returns
    -------
    Tensor
        The new hidden state, ``(B, H)``.

    Raises
    ------
    RuntimeError
        If the shapes do not fit.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.ops.nn.rnn.rnn_cell import gru_cell
    >>> gru_cell(minigrad.zeros(1, 3), minigrad.zeros(1, 3), minigrad.ones(1, 1))
    tensor([[0.5]])
    """
    H = h.shape[-1]
    if xg.shape != hg.shape or xg.shape[-1] != 3 * H or xg.shape[:-1] != h.shape[:-1]:
        raise RuntimeError(
            f"gru_cell: expected xg and hg of shape (*, 3H) and h of shape (*, H), got xg "
            f"{tuple(xg.shape)}, hg {tuple(hg.shape)}, h {tuple(h.shape)}"
        )
    return GRUCellFunction()(xg, hg, h)
