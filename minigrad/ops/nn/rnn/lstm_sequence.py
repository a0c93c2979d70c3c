"""One direction of an LSTM layer, input projection included, in the transposed layout.

The compiled CPU path of :class:`minigrad.nn.LSTM` (biases on): the same math as
:mod:`minigrad.ops.nn.rnn.rnn_sequence` (one input projection for all steps, per step one
matmul and the fused gate kernel, the weight gradients as single matmuls after the loop),
with every recurrent array stored transposed, batch last: gates ``(4H, B)`` and states
``(H, B)`` per step. The per-step matmuls become ``W_hh @ h^T`` (M = 4H = 512 rows) and
``W_hh^T @ dG^T`` (M = H) instead of ``h @ W_hh^T`` and ``dG @ W_hh`` (M = B = 64 rows):
OpenBLAS splits the tall ones better over two threads (W5 shapes, 40 steps, 2 threads:
forward 2.4 -> 1.8 ms, backward 2.2 -> 2.1 ms). For that layout the input projection is
computed here as ``W_ih @ X^T`` (``(4H, T*B)``), and the weight gradients read the
transposed arrays directly: ``dW_hh = dG (4H, T*B) @ H^T``, ``dW_ih = dG @ X``,
``dx = dG^T @ W_ih``, the bias gradient the row sums of ``dG``. The layer's output and
final states are transposed back once.

Everything runs in the processing order (``reverse`` reads the sequence from its end):
the projection, the saved arrays and the gradient of the pre-activations, so the weight
gradients pair each step with the state it read.

Only for NumPy float32/float64 arrays with the compiled kernels on
(:func:`supported`); float32 steps in one kernel (the rational ``tanh`` of
:mod:`minigrad.ops.kernels.cpu.rnn_jit`), float64 with NumPy's ``tanh`` between two
kernels. Under ``create_graph=True`` the backward differentiates a replay through
:class:`~minigrad.ops.nn.linear.Linear` and
:class:`~minigrad.ops.nn.rnn.rnn_sequence.RecurrentSequence` (whose own replay is step by
step), so higher-order gradients hold.
"""

from __future__ import annotations

from minigrad import backend
from minigrad.autograd.function import Function
from minigrad.autograd.grad_mode import _GradMode
from minigrad.ops import impl
from minigrad.ops.impl import COMPILED
from minigrad.ops.kernels.cpu import rnn_jit
from minigrad.ops.nn.linear import Linear
from minigrad.ops.nn.rnn.rnn_cell import RNN
from minigrad.ops.nn.rnn.rnn_sequence import RecurrentSequence
from minigrad.tensor import Tensor

__all__ = ["lstm_sequence", "supported"]


def supported(x, w_ih, w_hh, h0, c0) -> bool:
    """Whether :func:`lstm_sequence` takes these tensors: the compiled kernels enabled and
    taking them (NumPy, float32 or float64, one dtype), ``x`` 3-D."""
    return (
        x.ndim == 3
        and impl.select(RNN, x.data[0], w_ih.data, w_hh.data, h0.data, c0.data) == COMPILED
    )


CHUNK = 5
"""Steps per block of input projections (forward) and of pre-activation gradients
(backward): ``(4H, CHUNK, B)``, 640 KB at the W5 shapes in float32, so a block stays in
the L2 cache between its matmul and the step kernels."""


def _odd(n):
    """``n`` or ``n + 1``, whichever is odd: the step count of the ``(rows, steps, B)``
    arrays whose ``[:, k]`` blocks a step reads or writes. Rows ``steps * B`` elements
    apart with ``steps`` even (40 * 64 * 4 bytes = 160 cache lines) fall in few cache sets
    (two of L1's 64 when B*itemsize is 256 bytes)."""
    return n + 1 - n % 2


class LSTMSequence(Function):
    """``(x, w_ih, b_ih, h0, c0, w_hh, b_hh) -> (out, h_n, c_n)`` for one direction of an
    LSTM layer: ``x`` ``(T, B, I)``, ``h0``/``c0`` ``(B, H)``, ``w_ih`` ``(4H, I)``,
    ``w_hh`` ``(4H, H)``, both biases ``(4H,)``; ``out`` ``(T, B, H)``, ``out[t]`` the
    hidden state after reading step ``t``."""

    def __init__(self, reverse: bool = False):
        self.reverse = reverse

    def forward(self, x, w_ih, b_ih, h0, c0, w_hh, b_hh):
        xp = backend.array_module(x)
        T, B, In = x.shape
        H = h0.shape[-1]
        dt = x.dtype
        impl.choose(self, RNN, x[0], w_ih, w_hh, h0, c0)
        xk = x[::-1] if self.reverse else x  # processing order
        x2 = xp.ascontiguousarray(xk).reshape(T * B, In)
        C = min(CHUNK, T)
        xg = xp.empty((4 * H, C, B), dtype=dt)  # the input projections of C steps
        bias = b_ih + b_hh
        hs = xp.empty((H, _odd(T + 1), B), dtype=dt)  # hs[:, k]: the state step k reads
        hs[:, 0] = h0.T
        cs = xp.empty((T + 1, H, B), dtype=dt)
        cs[0] = c0.T
        acts = xp.empty((T, 4 * H, B), dtype=dt)
        tcs = xp.empty((T, H, B), dtype=dt)
        hg = xp.empty((4 * H, B), dtype=dt)
        f32 = dt == xp.float32
        if f32:
            step = rnn_jit._lstm_fwd_t_f32.compiled()
        else:  # float64: NumPy's tanh between two kernels
            pre, post = rnn_jit._lstm_pre_t.compiled(), rnn_jit._lstm_post_t.compiled()
        for k in range(T):
            kx = k % C
            if kx == 0:  # the next C steps' projections, in one matmul
                c = min(C, T - k)
                xp.matmul(w_ih, x2[k * B : (k + c) * B].T, out=xg[:, :c].reshape(4 * H, c * B))
            xp.matmul(w_hh, hs[:, k], out=hg)
            if f32:
                step(0, H, k, kx, xg, hg, bias, hs, cs, acts, tcs)
                continue
            pre(0, 4 * H, k, kx, xg, hg, bias, acts)
            xp.tanh(acts[k], out=acts[k])
            post(0, H, k, acts, cs)
            xp.tanh(cs[k + 1], out=tcs[k])
            xp.multiply(acts[k, 3 * H :], tcs[k], out=hs[:, k + 1])
        self.x2, self.hs, self.cs, self.acts, self.tcs = x2, hs, cs, acts, tcs
        states = hs[:, T:0:-1] if self.reverse else hs[:, 1 : T + 1]  # time order
        out = xp.ascontiguousarray(states.transpose(1, 2, 0))  # (T, B, H), a fresh array
        return out, xp.ascontiguousarray(hs[:, T].T), xp.ascontiguousarray(cs[T].T)

    def backward(self, gout, gh, gc):
        if _GradMode.enabled:
            return self._backward_graph(gout, gh, gc)
        n_x, n_wih, n_bih, n_h0, n_c0, n_whh, n_bhh = self.needs_input_grad
        w_ih, w_hh = self.inputs[1].data, self.inputs[5].data
        xp = backend.array_module(w_hh)
        acts, tcs, cs, hs, x2 = self.acts, self.tcs, self.cs, self.hs, self.x2
        T, H, B = tcs.shape
        dt = tcs.dtype
        use_go = gout is not None
        if not use_go:
            go = xp.zeros((1, H, B), dtype=dt)  # (not read)
        elif gout.data.strides[0] == 0:  # broadcast over time (from a sum): one (H, B) copy
            go = xp.ascontiguousarray(gout.data[0].T)[None]
        else:
            gk = gout.data[::-1] if self.reverse else gout.data
            go = xp.ascontiguousarray(gk.transpose(0, 2, 1))  # (T, H, B), processing order
        per_step = go.shape[0] > 1
        dh = xp.zeros((H, B), dt) if gh is None else xp.ascontiguousarray(gh.data.T)
        dcs = [xp.zeros((H, B), dt) if gc is None else xp.ascontiguousarray(gc.data.T),
               xp.empty((H, B), dt)]  # fmt: skip
        C = min(CHUNK, T)
        dgc = xp.empty((4 * H, C, B), dtype=dt)  # the pre-activations' gradients of C steps
        wt = xp.ascontiguousarray(w_hh.T)
        gx = xp.empty((T * B, x2.shape[1]), dtype=dt) if n_x else None
        gwih = xp.zeros(w_ih.shape, dtype=dt) if n_wih else None
        gwhh = xp.zeros(w_hh.shape, dtype=dt) if n_whh else None
        gb = xp.zeros(4 * H, dtype=dt) if n_bih or n_bhh else None
        kern = rnn_jit._lstm_bwd_t.compiled()
        for k in range(T - 1, -1, -1):
            kd = k % C
            kern(0, H, k, kd, k if per_step else 0, dh, go, use_go, dcs[0], acts, tcs, cs,
                 dgc, dcs[1])  # fmt: skip
            dcs.reverse()
            if k or n_h0:  # (dh of the initial state only when asked for)
                xp.matmul(wt, dgc[:, kd], out=dh)
            if kd:
                continue
            # a block of C steps (k ... k+c-1) done: its share of the other gradients
            c = min(C, T - k)
            dg = dgc[:, :c].reshape(4 * H, c * B)
            if n_x:
                xp.matmul(dg.T, w_ih, out=gx[k * B : (k + c) * B])
            if n_wih:
                gwih += dg @ x2[k * B : (k + c) * B]
            if n_whh:
                gwhh += dg @ hs[:, k : k + c].reshape(H, c * B).T
            if gb is not None:
                rnn_jit._row_sums.compiled()(0, 4 * H, dgc.reshape(4 * H, -1), c * B, gb)
        g_x = g_wih = g_bih = g_h0 = g_c0 = g_whh = g_bhh = None
        if n_x:
            gx = gx.reshape(T, B, -1)
            g_x = Tensor._make(xp.ascontiguousarray(gx[::-1]) if self.reverse else gx)
        if n_wih:
            g_wih = Tensor._make(gwih)
        if gb is not None:
            g_bih = Tensor._make(gb) if n_bih else None
            g_bhh = Tensor._make(gb.copy() if n_bih else gb) if n_bhh else None
        if n_h0:
            g_h0 = Tensor._make(xp.ascontiguousarray(dh.T))
        if n_c0:
            g_c0 = Tensor._make(xp.ascontiguousarray(dcs[0].T))
        if n_whh:
            g_whh = Tensor._make(gwhh)
        return g_x, g_wih, g_bih, g_h0, g_c0, g_whh, g_bhh

    def _backward_graph(self, gout, gh, gc):
        """Replay through Linear and RecurrentSequence and differentiate that with graph
        recording on (create_graph): higher-order gradients for free."""
        from minigrad.autograd.engine import grad

        x, w_ih, b_ih, h0, c0, w_hh, b_hh = self.inputs
        xg = Linear()(x, w_ih, None)
        ys = RecurrentSequence("LSTM", self.reverse)(xg, h0, c0, w_hh, b_hh, b_ih)
        pairs = [(y, g) for y, g in zip(ys, (gout, gh, gc)) if g is not None]
        wanted = [t for t, need in zip(self.inputs, self.needs_input_grad) if need]
        if not pairs or not wanted:
            return (None,) * len(self.inputs)
        gs = iter(
            grad([p[0] for p in pairs], wanted, [p[1] for p in pairs], create_graph=True,
                 allow_unused=True)
        )  # fmt: skip
        return tuple(next(gs) if need else None for need in self.needs_input_grad)


def lstm_sequence(x, w_ih, b_ih, h0, c0, w_hh, b_hh, reverse=False):
    """Run one direction of an LSTM layer (input projection included) over a sequence.

    The compiled CPU path of :class:`minigrad.nn.LSTM`; see :func:`supported` for the
    inputs it takes (the layer runs
    :func:`~minigrad.ops.nn.rnn.rnn_sequence.recurrent_sequence` otherwise).

    Parameters
    ----------
    x : Tensor
        ``(T, B, I)``.
    w_ih, b_ih : Tensor
        ``(4H, I)`` and ``(4H,)``.
    h0, c0 : Tensor
        ``(B, H)`` initial hidden and cell states.
    w_hh, b_hh : Tensor
        ``(4H, H)`` and ``(4H,)``.
    reverse : bool
        Read the sequence from its end (the reverse direction).

    Returns
    -------
    tuple of Tensor
        ``(out, h_n, c_n)``; ``out`` is ``(T, B, H)``.

    Raises
    ------
    RuntimeError
        If the shapes do not fit, or the compiled kernels do not take the inputs.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.ops.nn.rnn import lstm_sequence as ls
    >>> x, w_ih, w_hh = minigrad.zeros(5, 2, 3), minigrad.zeros(4, 3), minigrad.zeros(4, 1)
    >>> b, h0, c0 = minigrad.zeros(4), minigrad.zeros(2, 1), minigrad.ones(2, 1)
    >>> if ls.supported(x, w_ih, w_hh, h0, c0):  # (Numba installed and enabled)
    ...     out, hn, cn = ls.lstm_sequence(x, w_ih, b, h0, c0, w_hh, b)
    ... else:
    ...     from minigrad.ops.nn.rnn.rnn_sequence import recurrent_sequence
    ...     out, hn, cn = recurrent_sequence("LSTM", x @ w_ih.T, h0, c0, w_hh, b, b_ih=b)
    >>> out.shape, [round(v, 4) for v in cn.flatten().tolist()]  # f = 0.5: c halves per step
    ((5, 2, 1), [0.0312, 0.0312])
    """
    T, B, In = x.shape if x.ndim == 3 else (0, 0, 0)
    H = h0.shape[-1]
    ok = x.ndim == 3 and T > 0 and tuple(w_ih.shape) == (4 * H, In)
    ok = ok and tuple(h0.shape) == (B, H) and tuple(c0.shape) == (B, H)
    ok = ok and tuple(w_hh.shape) == (4 * H, H)
    ok = ok and tuple(b_ih.shape) == (4 * H,) and tuple(b_hh.shape) == (4 * H,)
    if not ok:
        raise RuntimeError(
            "lstm_sequence: expected x (T>0, B, I), w_ih (4H, I), b_ih (4H,), h0 and c0 "
            f"(B, H), w_hh (4H, H), b_hh (4H,); got x {tuple(x.shape)}, w_ih "
            f"{tuple(w_ih.shape)}, b_ih {tuple(b_ih.shape)}, h0 {tuple(h0.shape)}, c0 "
            f"{tuple(c0.shape)}, w_hh {tuple(w_hh.shape)}, b_hh {tuple(b_hh.shape)}"
        )
    if not supported(x, w_ih, w_hh, h0, c0):
        raise RuntimeError(
            "lstm_sequence: needs the compiled CPU kernels (Numba installed and "
            "minigrad.jit enabled) and NumPy float32 or float64 inputs of one dtype; got "
            f"{x.dtype} on {x.device}"
        )
    return LSTMSequence(reverse)(x, w_ih, b_ih, h0, c0, w_hh, b_hh)
