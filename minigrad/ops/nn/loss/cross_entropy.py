"""The fused cross-entropy kernel behind :func:`minigrad.ops.nn.loss.loss.cross_entropy`.

Forward: a stable log-softmax (the max is subtracted before ``exp``, so logits of 1e4
are fine) and the pick of each row's target, in one pass over logits of shape (M, C).
Backward: the closed form

    d loss_i / d x_ik = c_i * (s_i * softmax(x_i)_k - q_ik)

with ``q_ik = (1 - ls) * w_{t_i} * [k == t_i] + ls / C * w_k`` (zero for ignored
targets), ``s_i = sum_k q_ik``, and ``c_i`` the incoming gradient scaled by the
reduction (``1 / sum of target weights`` for ``'mean'``). That backward is itself a
Function, :class:`CrossEntropyGrad` (Chainer's Grad-node pattern), whose own backward
is the analytic second derivative: first-order backward stays a few array operations
and ``gradgradcheck`` still passes.
"""

from __future__ import annotations

from minigrad import backend
from minigrad.autograd.function import Function
from minigrad.ops import impl
from minigrad.ops.math.elementwise import where
from minigrad.ops.math.reduce import sum as _sum
from minigrad.ops.math.softmax import softmax
from minigrad.ops.shape.shape import reshape
from minigrad.tensor import Tensor

__all__ = []  # internal: use minigrad.nn.functional.cross_entropy

LOSS = impl.family("loss")
"""The fused losses' implementations: "numpy" and "cupy" (one ``xp`` code; no compiled
CPU kernels)."""


class _CEContext:
    """What the cross-entropy forward computes and its gradient nodes reuse."""

    __slots__ = ("t", "valid", "w", "w_t", "s", "ls", "c", "reduction", "denom", "plain")


class CrossEntropy(Function):
    """Fused cross entropy of logits (M, C) and class indices (M,)."""

    def __init__(self, target, weight, ignore_index, reduction, label_smoothing):
        self.target, self.weight = target, weight
        self.ignore_index, self.reduction, self.ls = ignore_index, reduction, label_smoothing

    raw_backward = True  # the backward is one CrossEntropyGrad pass, on arrays or Tensors

    def forward(self, x):
        xp = backend.array_module(x)
        impl.choose(self, LOSS, x)
        m, c = x.shape
        dt = x.dtype
        # Classes along the rows of a (C, M) copy: the max and the sum over the classes are
        # then C - 1 vectorized row operations (NumPy's axis-1 reductions over rows of a few
        # classes cost ~50 ns per row), summed in class order.
        xt = xp.ascontiguousarray(x.T)
        z = xt - xt.max(axis=0)
        ez = xp.exp(z)
        se = ez.sum(axis=0)
        lse = xp.log(se)
        self.ez, self.se = ez, se  # softmax = ez / se, formed by the backward
        ctx = _CEContext()
        valid = self.target != self.ignore_index
        all_valid = bool(valid.all())
        t = self.target if all_valid else xp.where(valid, self.target, 0)
        rows = xp.arange(m)
        w = self.weight
        if w is None:
            w_t = valid.astype(dt)
        else:
            w_t = w[t] * valid
        loss = lse - z[t, rows]  # -log p of each target (-(z - lse), the same bits)
        plain = w is None and all_valid and not self.ls
        if not plain:
            loss = loss * w_t
        if self.ls:
            ls = self.ls
            logp = (z - lse).T
            smooth = -(logp.sum(axis=1) if w is None else logp @ w)
            if not all_valid:
                smooth = smooth * valid
            loss = loss * (1.0 - ls) + smooth * (ls / c)
            wsum = float(c) if w is None else w.sum()
            s = w_t * (1.0 - ls) + valid.astype(dt) * (wsum * ls / c)
        else:
            s = w_t
        ctx.t, ctx.valid, ctx.w, ctx.w_t, ctx.s = t, valid, w, w_t, s
        ctx.ls, ctx.c, ctx.reduction = self.ls, c, self.reduction
        ctx.plain = plain
        ctx.denom = w_t.sum()
        self.ctx = ctx
        if self.reduction == "none":
            return loss
        total = loss.sum()
        if self.reduction == "sum":
            return total
        return total / ctx.denom  # every target ignored: 0 / 0, NaN (as PyTorch)

    def backward(self, gy):
        (x,) = self.inputs
        p = (self.ez / self.se).T.copy()  # softmax (M, C), a fresh array the node may own
        grad = CrossEntropyGrad(self.ctx, p, owned=True)
        if self._raw:  # a first-order walk on arrays: the pass itself, no node
            return grad.forward(x, gy)
        return grad(x, gy)


def _q(ctx, xp, dt, m):
    """The target distribution ``q`` (M, C) of the closed-form gradient, as an array."""
    q = xp.zeros((m, ctx.c), dtype=dt)
    q[xp.arange(m), ctx.t] = ctx.w_t * (1.0 - ctx.ls)
    if ctx.ls:
        wrow = xp.ones(ctx.c, dtype=dt) if ctx.w is None else ctx.w
        q += (ctx.valid.astype(dt)[:, None] * wrow[None, :]) * (ctx.ls / ctx.c)
    return q


def _scale(ctx, gy):
    """``c_i``: the incoming gradient spread over the rows (array or Tensor)."""
    if ctx.reduction == "mean":
        return gy / ctx.denom
    return gy


class CrossEntropyGrad(Function):
    """``G = c * (s * softmax(x) - q)``: the gradient of cross entropy w.r.t. the
    logits, as a function of the logits ``x`` and the incoming gradient ``gy``."""

    def __init__(self, ctx, p=None, owned=False):
        self.ctx, self.p, self.owned = ctx, p, owned  # owned: forward may write into p

    def forward(self, x, gy):
        xp = backend.array_module(x)
        impl.choose(self, LOSS, x)
        ctx = self.ctx
        p, owned = self.p, self.owned
        if p is None:
            z = xp.exp(x - x.max(axis=1, keepdims=True))
            p = z / z.sum(axis=1, keepdims=True)
            owned = True
        m = x.shape[0]
        cs = _scale(ctx, gy)
        if ctx.reduction == "none":
            cs = cs[:, None]
        if ctx.plain:  # no weights, no ignored rows, no smoothing: s = 1, q = onehot
            g = p if owned else p.copy()
            g[xp.arange(m), ctx.t] -= 1.0
        else:
            g = p * ctx.s[:, None] - _q(ctx, xp, x.dtype, m)
        g *= cs
        if not ctx.plain and not bool(ctx.valid.all()):
            # ignored rows get exactly 0 (a select): with every row ignored, 'mean'
            # divides by a total weight of 0 and 0 * inf would be NaN (PyTorch: 0)
            g = xp.where(ctx.valid[:, None], g, 0)
        return g

    def backward(self, gg):
        x, gy = self.inputs
        nx, ngy = self.needs_input_grad
        ctx = self.ctx
        dt = x.dtype
        xp = x.xp
        m = x.shape[0]
        p = softmax(x, 1)
        s = Tensor._make(ctx.s[:, None])
        cs = _scale(ctx, gy)
        if ctx.reduction == "none":
            cs = reshape(cs, (m, 1))
        gx = ggy = None
        some_ignored = not bool(ctx.valid.all())
        valid = Tensor._make(ctx.valid[:, None])
        if nx:
            u = gg * (s * cs)
            gx = p * (u - _sum(u * p, 1, keepdim=True))
            if some_ignored:  # ignored rows: exactly 0 (see forward)
                gx = where(valid, gx, 0.0)
        if ngy:
            q = Tensor._make(_q(ctx, xp, dt, m))
            gc = _sum(gg * (s * p - q), 1)
            if ctx.reduction == "none":
                ggy = gc
            elif ctx.reduction == "sum" or bool(ctx.valid.any()):
                ggy = gc.sum()
                if ctx.reduction == "mean":
                    ggy = ggy / Tensor._make(xp.asarray(ctx.denom, dtype=dt))
            else:  # 'mean' with every row ignored: the loss does not depend on gy's path
                ggy = gc.sum() * 0.0
        return gx, ggy
