"""Stochastic gradient descent with momentum, dampening, Nesterov and weight decay.

The update is PyTorch's, step for step (``g`` the gradient, ``p`` the parameter)::

    g = -g if maximize
    g = g + weight_decay * p
    buf = g                                        (first step)
    buf = momentum * buf + (1 - dampening) * g     (later steps)
    g = g + momentum * buf if nesterov else buf
    p = p - lr * g
"""

from __future__ import annotations

from minigrad.optim import fused as _fused
from minigrad.optim.optimizer import Optimizer, required
from minigrad.tensor import Tensor

__all__ = ["SGD"]


class SGD(Optimizer):
    """Stochastic gradient descent (optionally with momentum), as ``torch.optim.SGD``.

    Parameters
    ----------
    params : iterable of Tensor or dict
        Tensors to optimize or parameter groups.
    lr : float
        Learning rate (default 1e-3).
    momentum : float
        Momentum factor (default 0).
    dampening : float
        Dampening of the momentum (default 0).
    weight_decay : float
        L2 penalty added to the gradient (default 0).
    nesterov : bool
        Use Nesterov momentum (needs ``momentum > 0`` and ``dampening == 0``).
    maximize : bool
        Maximize the objective instead of minimizing it.
    foreach, differentiable, fused : optional
        Accepted for PyTorch compatibility. With Numba (:mod:`minigrad.jit`), each
        parameter's update is one compiled pass (:mod:`minigrad.optim.fused`), bit for
        bit the NumPy update; otherwise one NumPy/CuPy update per tensor.

    Raises
    ------
    ValueError
        For a negative learning rate, momentum or weight decay, or Nesterov without
        momentum or with dampening.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.optim import SGD
    >>> w = minigrad.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = SGD([w], lr=0.1, momentum=0.9)
    >>> for _ in range(2):
    ...     opt.zero_grad()
    ...     (w * w).sum().backward()
    ...     opt.step()
    >>> w
    tensor([ 0.46, -0.92], requires_grad=True)

    >>> w = minigrad.tensor([1.0], requires_grad=True)
    >>> opt = SGD([w], lr=0.1, momentum=0.9)
    >>> def closure():
    ...     opt.zero_grad()
    ...     loss = (w * w).sum()
    ...     loss.backward()
    ...     return loss
    >>> opt.step(closure)
    tensor(1., grad_fn=<Sum backward>)
    >>> w
    tensor([0.8], requires_grad=True)
    """

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        foreach=None,
        differentiable: bool = False,
        fused=None,
    ):
        if lr is not required and lr < 0.0:
            raise ValueError(f"SGD: Invalid learning rate: {lr} (expected lr >= 0)")
        if momentum < 0.0:
            raise ValueError(f"SGD: Invalid momentum value: {momentum} (expected >= 0)")
        if weight_decay < 0.0:
            raise ValueError(f"SGD: Invalid weight_decay value: {weight_decay} (expected >= 0)")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD: Nesterov momentum requires a momentum and zero dampening")
        defaults = dict(
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            weight_decay=weight_decay,
            nesterov=nesterov,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    def _update(self, p, g, group):
        # Python floats: they never upcast float32 data (NumPy 2 weak scalars).
        lr, momentum = float(group["lr"]), float(group["momentum"])
        dampening, wd = float(group["dampening"]), float(group["weight_decay"])
        # one compiled pass per parameter when Numba runs (bit-identical to the code below)
        state = self.state[p] if momentum != 0 else None
        if _fused.sgd(p, g, state, lr, momentum, dampening, wd, group["nesterov"]):
            return
        if wd != 0:
            g = g + wd * p._data
        if momentum != 0:
            state = self.state[p]
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = Tensor._make(g.copy())
                state["momentum_buffer"] = buf
            else:
                b = buf._data
                b *= momentum
                b += g if dampening == 0 else (1 - dampening) * g
            g = g + momentum * buf._data if group["nesterov"] else buf._data
        p._data -= lr * g
