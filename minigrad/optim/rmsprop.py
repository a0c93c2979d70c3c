"""RMSprop, with PyTorch's exact update.

For each parameter ``p`` with gradient ``g``::

    g = -g if maximize
    g = g + weight_decay * p
    v = alpha * v + (1 - alpha) * g * g
    m = m + (1 - alpha) * (g - m);  avg = sqrt(v - m * m)      (centered)
    avg = sqrt(v)                                               (otherwise)
    avg = avg + eps
    buf = momentum * buf + g / avg;  p = p - lr * buf          (momentum > 0)
    p = p - lr * g / avg                                        (otherwise)
"""

from __future__ import annotations

from minigrad.optim._adaptive import check_hyperparameters, weight_decay
from minigrad.optim.optimizer import Optimizer

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """RMSprop (Hinton's lecture 6e; centered version of Graves 2013), as
    ``torch.optim.RMSprop``.

    Parameters
    ----------
    params : iterable of Tensor or dict
        Tensors to optimize or parameter groups.
    lr : float
        Learning rate (default 1e-2).
    alpha : float
        Smoothing constant of the squared-gradient average (default 0.99).
    eps : float
        Added to the denominator (default 1e-8).
    weight_decay : float
        L2 penalty added to the gradient (default 0).
    momentum : float
        Momentum factor (default 0).
    centered : bool
        Divide by the estimated variance of the gradient instead of its second moment.
    capturable, foreach, differentiable : bool or None
        Accepted for PyTorch compatibility.
    maximize : bool
        Maximize the objective instead of minimizing it.

    Raises
    ------
    ValueError
        For a negative lr, eps, momentum, weight decay or alpha.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.optim import RMSprop
    >>> w = minigrad.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = RMSprop([w], lr=0.01)
    >>> (w * w).sum().backward(); opt.step()
    >>> w  # the first step moves each weight by lr / sqrt(1 - alpha) = 0.1
    tensor([ 0.9, -1.9], requires_grad=True)

    >>> w = minigrad.tensor([1.0], requires_grad=True)
    >>> opt = RMSprop([w], lr=0.01, momentum=0.9)
    >>> (w * w).sum().backward(); opt.step(); opt.state[w]["step"]
    1
    """

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        capturable: bool = False,
        foreach=None,
        maximize: bool = False,
        differentiable: bool = False,
    ):
        check_hyperparameters("RMSprop", lr, eps, weight_decay, **{
            "momentum value": momentum, "alpha value": alpha,
        })  # fmt: skip
        defaults = dict(
            lr=lr,
            alpha=alpha,
            eps=eps,
            weight_decay=weight_decay,
            momentum=momentum,
            centered=centered,
            maximize=maximize,
            foreach=foreach,
            capturable=capturable,
            differentiable=differentiable,
        )
        super().__init__(params, defaults)

    def _new_state(self, p, group):
        state = {"square_avg": self._zeros(p)}
        if float(group["momentum"]) > 0:
            state["momentum_buffer"] = self._zeros(p)
        if group["centered"]:
            state["grad_avg"] = self._zeros(p)
        return state

    def _update(self, p, g, group):
        xp = p.xp
        lr, alpha, eps = float(group["lr"]), float(group["alpha"]), float(group["eps"])
        momentum = float(group["momentum"])
        state = self._stepped_state(p, group)
        g = weight_decay(p, g, lr, float(group["weight_decay"]), False)
        v = state["square_avg"]._data
        v *= alpha
        v += (1 - alpha) * (g * g)
        if group["centered"]:
            m = state["grad_avg"]._data
            m += (1 - alpha) * (g - m)
            avg = xp.sqrt(v - m * m)
        else:
            avg = xp.sqrt(v)
        avg += eps
        if momentum > 0:
            buf = state["momentum_buffer"]._data
            buf *= momentum
            buf += g / avg
            p._data -= lr * buf
        else:
            p._data -= lr * (g / avg)
