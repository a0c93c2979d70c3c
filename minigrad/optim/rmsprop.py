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

from minigrad.autograd.grad_mode import no_grad
from minigrad.optim.optimizer import Optimizer
from minigrad.tensor import Tensor

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
        for name, v in (
            ("learning rate", lr),
            ("epsilon value", eps),
            ("momentum value", momentum),
            ("weight_decay value", weight_decay),
            ("alpha value", alpha),
        ):
            if not 0.0 <= v:
                raise ValueError(f"RMSprop: Invalid {name}: {v} (expected >= 0)")
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

    def step(self, closure=None):
        """Perform one RMSprop step on every parameter that has a gradient.

        Parameters
        ----------
        closure : callable, optional
            Re-evaluates the model and returns the loss.

        Returns
        -------
        Tensor or None
            The closure's loss, or ``None`` without a closure.

        Examples
        --------
        >>> import minigrad
        >>> from minigrad.optim import RMSprop
        >>> w = minigrad.tensor([1.0], requires_grad=True)
        >>> opt = RMSprop([w], lr=0.01, momentum=0.9)
        >>> (w * w).sum().backward(); opt.step(); opt.state[w]["step"]
        1
        """
        loss = self._closure(closure)
        with no_grad():
            for group in self.param_groups:
                lr, alpha = float(group["lr"]), float(group["alpha"])
                eps, wd = float(group["eps"]), float(group["weight_decay"])
                momentum = float(group["momentum"])
                centered, maximize = group["centered"], group["maximize"]
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    xp = p.xp
                    g = p.grad.data
                    if maximize:
                        g = -g
                    state = self.state[p]
                    if len(state) == 0:
                        state["step"] = 0
                        state["square_avg"] = Tensor._make(xp.zeros_like(p.data))
                        if momentum > 0:
                            state["momentum_buffer"] = Tensor._make(xp.zeros_like(p.data))
                        if centered:
                            state["grad_avg"] = Tensor._make(xp.zeros_like(p.data))
                    state["step"] += 1
                    if wd != 0:
                        g = g + wd * p.data
                    v = state["square_avg"].data
                    v *= alpha
                    v += (1 - alpha) * (g * g)
                    if centered:
                        m = state["grad_avg"].data
                        m += (1 - alpha) * (g - m)
                        avg = xp.sqrt(v - m * m)
                    else:
                        avg = xp.sqrt(v)
                    avg += eps
                    if momentum > 0:
                        buf = state["momentum_buffer"].data
                        buf *= momentum
                        buf += g / avg
                        p.data -= lr * buf
                    else:
                        p.data -= lr * (g / avg)
                    p._version += 1
        return loss
