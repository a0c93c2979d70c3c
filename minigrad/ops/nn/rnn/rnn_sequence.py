"""One direction of an LSTM or GRU layer over a whole sequence, as one Function.

The layer (:mod:`minigrad.nn.rnn`) computes the input projection of every step in one
matmul, ``xg = x @ W_ih.T + b_ih`` of shape ``(T, B, G*H)``; this Function does the rest:
the loop over time, with per step one matmul ``h @ W_hh.T`` and the fused gate math of
:mod:`minigrad.ops.nn.rnn.rnn_cell` on raw arrays. What it saves over recording each step as
graph nodes is in the backward:

- the recurrent weight's gradient is ONE matmul over all steps,
  ``dW_hh = dG.reshape(T*B, G*H).T @ H_prev.reshape(T*B, H)``, instead of ``T`` small
  ones each summed into the gradient (and the bias gradient one sum);
- per step only what the recursion needs remains: the gate backward and ``dh = dG @ W_hh``;
- no graph node, no gradient buffer per step.

For the LSTM, the biases are added inside the step kernel (``b_ih + b_hh`` summed once,
when the layer passes ``b_ih`` here instead of adding it to its input projection: one
pass over ``(T, B, 4H)`` fewer each way, and one bias gradient serves both); the GRU needs
``W_hn h + b_hn`` apart (the reset gate multiplies it), so there ``b_hh`` is added per
step.

Under ``create_graph=True`` the backward replays the sequence step by step with the
differentiable step Functions (:class:`~minigrad.ops.nn.rnn.rnn_cell.LSTMCellFunction`...)
and differentiates that replay with graph recording on, so higher-order gradients hold.
"""

from __future__ import annotations

from minigrad import backend
from minigrad.autograd.function import Function
from minigrad.autograd.grad_mode import _GradMode
from minigrad.ops import impl
from minigrad.ops.impl import COMPILED
from minigrad.ops.kernels.cpu import rnn_jit
from minigrad.ops.nn.linear import Linear
from minigrad.ops.nn.rnn.rnn_cell import (
    RNN,
    GRUCellFunction,
    LSTMCellFunction,
    StackSteps,
    Steps,
    gru_step_arrays,
    gru_step_grad_arrays,
    lstm_step_arrays,
    lstm_step_grad_arrays,
)
from minigrad.tensor import Tensor

__all__ = ["recurrent_sequence"]


class RecurrentSequence(Function):
    """``(xg, h0, c0, W_hh, b_hh[, b_ih]) -> (out, h_n[, c_n])`` for one direction of a
    layer.

    ``xg``: ``(T, B, G*H)`` input projections (with ``b_ih`` unless ``b_ih`` is given
    here, which only the LSTM takes); ``h0``, ``c0``: ``(B, H)`` (``c0`` None for the
    GRU); ``b_hh``, ``b_ih`` may be None. ``reverse`` runs from the last step to the
    first (the backward direction of a bidirectional layer); ``out[t]`` is the hidden
    state after reading step ``t`` in either case.
    """

    def __init__(self, mode: str, reverse: bool = False):
        self.mode, self.reverse = mode, reverse

    def forward(self, xg, h0, c0, w, b, b_ih=None):
        xp = backend.array_module(xg)
        T, B, _ = xg.shape
        H = h0.shape[-1]
        lstm = self.mode == "LSTM"
        order = range(T - 1, -1, -1) if self.reverse else range(T)
        hs = xp.empty((T + 1, B, H), dtype=xg.dtype)  # hs[k]: state before the k-th step read
        hs[0] = h0
        wt = xp.ascontiguousarray(w.T)  # (measured: NN 92 us, NT 116 us per step matmul)
        self.use_jit = impl.choose(self, RNN, xg[0], h0, wt) == COMPILED
        if b_ih is not None:  # (LSTM only) both biases added in the step, summed once
            b = b_ih if b is None else b_ih + b
        out = None
        if lstm and self.use_jit:  # kernels write straight into the saved arrays
            cs = xp.empty((T + 1, B, H), dtype=xg.dtype)
            cs[0] = c0
            acts = xp.empty((T, B, 4 * H), dtype=xg.dtype)
            tcs = xp.empty((T, B, H), dtype=xg.dtype)
            out = xp.empty((T, B, H), dtype=xg.dtype)  # written by the kernel, not a copy
            hg = xp.empty((B, 4 * H), dtype=xg.dtype)
            step = rnn_jit.lstm_forward
            for k, t in enumerate(order):
                xp.matmul(hs[k], wt, out=hg)
                step(xg[t], hg, cs[k], b, (hs[k + 1], cs[k + 1], acts[k], tcs[k]), out[t])
            self.cs, self.acts, self.tcs = cs, acts, tcs
        elif lstm:
            xb = xg if b is None else xg + b
            cs = xp.empty((T + 1, B, H), dtype=xg.dtype)
            cs[0] = c0
            acts = xp.empty((T, B, 4 * H), dtype=xg.dtype)
            tcs = xp.empty((T, B, H), dtype=xg.dtype)
            for k, t in enumerate(order):
                h2, c2, a, tc = lstm_step_arrays(xb[t], hs[k] @ wt, cs[k])
                hs[k + 1], cs[k + 1], acts[k], tcs[k] = h2, c2, a, tc
            self.cs, self.acts, self.tcs = cs, acts, tcs
        else:
            hgs = xp.empty((T, B, 3 * H), dtype=xg.dtype)
            rzs = xp.empty((T, B, 2 * H), dtype=xg.dtype)
            ns = xp.empty((T, B, H), dtype=xg.dtype)
            if self.use_jit:  # the kernels write into the saved arrays (and the output)
                out = xp.empty((T, B, H), dtype=xg.dtype)
            for k, t in enumerate(order):
                hg = hgs[k]
                xp.matmul(hs[k], wt, out=hg)
                if self.use_jit:  # (b_hh added to hg in the kernel)
                    step_out = (hs[k + 1], rzs[k], ns[k])
                    rnn_jit.gru_forward(xg[t], hg, hs[k], step_out, b, out[t])
                    continue
                if b is not None:
                    hg += b
                h2, rz, n = gru_step_arrays(xg[t], hg, hs[k])
                hs[k + 1], rzs[k], ns[k] = h2, rz, n
            self.hgs, self.rzs, self.ns = hgs, rzs, ns
        self.hs = hs
        # a copy: the output must not alias the saved states (an in-place change of the
        # output would otherwise corrupt the backward silently)
        if out is None:
            out = (hs[1:][::-1] if self.reverse else hs[1:]).copy()
        if lstm:
            return out, hs[T].copy(), cs[T].copy()
        return out, hs[T].copy()

    def backward(self, gout, gh, gc=None):
        if _GradMode.enabled:
            return self._backward_graph(gout, gh, gc)
        xg, h0, c0, w, b = self.inputs[:5]
        n_xg, n_h0, n_c0, n_w, n_b = self.needs_input_grad[:5]
        n_bih = len(self.inputs) > 5 and self.needs_input_grad[5]
        xp = xg.xp
        T, B, GH = xg.shape
        H = h0.shape[-1]
        lstm = self.mode == "LSTM"
        wd = w._data
        go = None if gout is None else gout._data
        if go is not None and self.reverse:
            go = go[::-1]  # processing order
        dh = None if gh is None else gh._data
        dc = None if gc is None else gc._data
        dG = xp.empty((T, B, GH), dtype=xg.dtype)  # gradients of the pre-activations, k order
        dHG = dG if lstm else xp.empty((T, B, GH), dtype=xg.dtype)
        given = [g for g in (dh, dc) if g is not None]
        compiled = self.use_jit and impl.select(RNN, wd, *given) == COMPILED
        if compiled and not lstm:  # kernels write straight into dG, dHG
            dhb = xp.zeros((B, H), xg.dtype) if dh is None else dh.copy()
            dhd = xp.empty_like(dhb)
            for k in range(T - 1, -1, -1):
                if go is not None:
                    dhb += go[k]
                step_out = (dG[k], dHG[k], dhd)
                rnn_jit.gru_backward(dhb, self.hgs[k], self.hs[k], self.rzs[k], self.ns[k],
                                     out=step_out)  # fmt: skip
                if k or n_h0:  # (the initial state's gradient only when asked for)
                    xp.matmul(dHG[k], wd, out=dhb)
                    dhb += dhd
            dh = dhb
        elif compiled:  # one kernel per step writes dG[k] and the next dc
            dhb = xp.zeros((B, H), xg.dtype) if dh is None else dh.copy()
            dcs = [xp.zeros((B, H), xg.dtype) if dc is None else dc.copy(), xp.empty_like(dhb)]
            kern = rnn_jit._lstm_bwd_seq.compiled()
            go_step = None  # the output gradient of every step, when it is one array
            if go is not None and go.strides[0] == 0:  # broadcast over time (from a sum)
                go_step = xp.ascontiguousarray(go[0])  # one (B, H) copy serves every step
            elif go is not None and not go.flags.c_contiguous:
                go = xp.ascontiguousarray(go)  # one copy, not a kernel of strided reads
            acts, tcs, cs = self.acts, self.tcs, self.cs
            for k in range(T - 1, -1, -1):
                gok = dhb if go is None else go[k] if go_step is None else go_step
                kern(0, B, dhb, gok, go is not None, dcs[0], acts[k], tcs[k], cs[k], dG[k],
                     dcs[1])  # fmt: skip
                dcs.reverse()
                if k or n_h0:  # (the initial state's gradient only when asked for)
                    xp.matmul(dG[k], wd, out=dhb)
            dh, dc = dhb, dcs[0]
        for k in range(T - 1, -1, -1) if not compiled else ():
            if go is not None:
                dh = go[k] if dh is None else dh + go[k]
            if dh is None:
                dh = xp.zeros((B, H), dtype=xg.dtype)
            if lstm:
                da, dc = lstm_step_grad_arrays(dh, dc, self.acts[k], self.tcs[k], self.cs[k])
                dG[k] = da
                dh = da @ wd
            else:
                dx, dhg, dhd = gru_step_grad_arrays(
                    dh, self.hgs[k], self.hs[k], self.rzs[k], self.ns[k]
                )
                dG[k], dHG[k] = dx, dhg
                dh = dhd
                dh += dhg @ wd
        gxg = gh0 = gc0 = gw = gb = None
        if n_xg:
            gxg = Tensor._make(xp.ascontiguousarray(dG[::-1]) if self.reverse else dG)
        if n_h0:
            gh0 = Tensor._make(dh)
        if n_c0 and lstm:
            gc0 = Tensor._make(dc if dc is not None else xp.zeros((B, H), dtype=xg.dtype))
        if n_w:
            gw = Tensor._make(dHG.reshape(T * B, GH).T @ self.hs[:T].reshape(T * B, H))
        if n_b or n_bih:
            gbias = dHG.reshape(T * B, GH).sum(axis=0)
            gb = Tensor._make(gbias) if n_b else None
            if n_bih:  # (LSTM) the same gradient: b_ih and b_hh enter as one sum
                return gxg, gh0, gc0, gw, gb, Tensor._make(gbias.copy() if n_b else gbias)
        return (gxg, gh0, gc0, gw, gb) + ((None,) if len(self.inputs) > 5 else ())

    def _backward_graph(self, gout, gh, gc):
        """Replay with the differentiable step Functions, then differentiate the replay
        with graph recording on (create_graph): higher-order gradients for free."""
        from minigrad.autograd.engine import grad

        xg, h0, c0, w, b = self.inputs[:5]
        b_ih = self.inputs[5] if len(self.inputs) > 5 else None
        lstm = self.mode == "LSTM"
        steps = Steps()(xg)
        steps = steps if isinstance(steps, tuple) else (steps,)
        T = len(steps)
        order = range(T - 1, -1, -1) if self.reverse else range(T)
        h, c = h0, c0
        outs = [None] * T
        for t in order:
            if lstm:
                xt = steps[t] if b is None else steps[t] + b
                xt = xt if b_ih is None else xt + b_ih
                h, c = LSTMCellFunction()(xt, Linear()(h, w, None), c)
            else:
                h = GRUCellFunction()(steps[t], Linear()(h, w, b), h)
            outs[t] = h
        ys = [StackSteps()(*outs), h] + ([c] if lstm else [])
        gys = [gout, gh] + ([gc] if lstm else [])
        pairs = [(y, g) for y, g in zip(ys, gys) if g is not None]
        wanted = [x for x, need in zip(self.inputs, self.needs_input_grad) if need]
        if not pairs or not wanted:
            return (None,) * len(self.inputs)
        gs = iter(
            grad([p[0] for p in pairs], wanted, [p[1] for p in pairs], create_graph=True,
                 allow_unused=True)
        )  # fmt: skip
        return tuple(next(gs) if need else None for need in self.needs_input_grad)


def recurrent_sequence(mode, xg, h0, c0, w_hh, b_hh=None, reverse=False, b_ih=None):
    """Run one direction of an LSTM or GRU layer over a sequence of input projections.

    Parameters
    ----------
    mode : str
        ``"LSTM"`` or ``"GRU"``.
    xg : Tensor
        ``(T, B, G*H)``: ``x @ W_ih.T + b_ih`` for every step (G = 4 LSTM, 3 GRU), or
        ``x @ W_ih.T`` when ``b_ih`` is given.
    h0 : Tensor
        ``(B, H)`` initial hidden state.
    c0 : Tensor or None
        ``(B, H)`` initial cell state (LSTM), None for the GRU.
    w_hh : Tensor
        ``(G*H, H)``.
    b_hh : Tensor, optional
        ``(G*H,)``.
    reverse : bool
        Read the sequence from its end (the reverse direction).
    b_ih : Tensor, optional
        ``(4H,)``, LSTM only: the input bias, added in the step kernel rather than to
        ``xg`` (one pass fewer each way).

    Returns
    -------
    tuple of Tensor
        ``(out, h_n)`` for the GRU, ``(out, h_n, c_n)`` for the LSTM; ``out`` is
        ``(T, B, H)``.

    Raises
    ------
    RuntimeError
        If the shapes do not fit.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.ops.nn.rnn.rnn_sequence import recurrent_sequence
    >>> xg, h0 = minigrad.zeros(5, 2, 3), minigrad.ones(2, 1)
    >>> out, hn = recurrent_sequence("GRU", xg, h0, None, minigrad.zeros(3, 1))
    >>> out.shape, hn.tolist()  # z = 0.5, n = 0: h halves each step
    ((5, 2, 1), [[0.03125], [0.03125]])
    """
    G = {"LSTM": 4, "GRU": 3}.get(mode)
    if G is None:
        raise RuntimeError(f"recurrent_sequence: mode must be 'LSTM' or 'GRU', got {mode!r}")
    H = h0.shape[-1]
    ok = xg.ndim == 3 and xg.shape[2] == G * H and tuple(h0.shape) == (xg.shape[1], H)
    ok = ok and tuple(w_hh.shape) == (G * H, H) and xg.shape[0] > 0
    ok = ok and (b_hh is None or tuple(b_hh.shape) == (G * H,))
    ok = ok and (b_ih is None or (tuple(b_ih.shape) == (G * H,) and mode == "LSTM"))
    ok = ok and ((c0 is None) != (mode == "LSTM")) and (c0 is None or c0.shape == h0.shape)
    if not ok:
        raise RuntimeError(
            f"recurrent_sequence({mode}): expected xg (T>0, B, {G}H), h0 (B, H)"
            + (", c0 (B, H)" if mode == "LSTM" else ", no c0")
            + f", w_hh ({G}H, H), b_hh ({G}H,)"
            + (", b_ih (4H,)" if mode == "LSTM" else ", no b_ih")
            + f"; got xg {tuple(xg.shape)}, h0 "
            f"{tuple(h0.shape)}, c0 {None if c0 is None else tuple(c0.shape)}, w_hh "
            f"{tuple(w_hh.shape)}, b_hh {None if b_hh is None else tuple(b_hh.shape)}, b_ih "
            f"{None if b_ih is None else tuple(b_ih.shape)}"
        )
    if b_ih is None:
        return RecurrentSequence(mode, reverse)(xg, h0, c0, w_hh, b_hh)
    return RecurrentSequence(mode, reverse)(xg, h0, c0, w_hh, b_hh, b_ih)
