"""Averaged SGD (Polyak & Juditsky 1992), with PyTorch's update::

    g = -g if maximize;  g += weight_decay * p
    p = p * (1 - lambd * eta) - eta * g
    ax = ax + mu * (p - ax)        (ax = p while mu == 1)
    eta = lr / (1 + lambd * lr * t) ** alpha;  mu = 1 / max(1, t - t0)

The average is kept in ``state[p]['ax']``.
"""

from __future__ import annotations

from minigrad.optim.optimizer import Optimizer

__all__ = ["ASGD"]


class ASGD(Optimizer):
    """Averaged stochastic gradient descent, as ``torch.optim.ASGD``.

    Parameters
    ----------
    params : iterable of Tensor or dict
        Tensors to optimize or parameter groups.
    lr : float
        Learning rate (default 1e-2).
    lambd : float
        Decay term (default 1e-4).
    alpha : float
        Power of the eta update (default 0.75).
    t0 : float
        Step at which averaging starts (default 1e6).
    weight_decay : float
        L2 penalty (default 0).
    foreach, differentiable, capturable : optional
        Accepted for PyTorch compatibility.
    maximize : bool
        Maximize the objective.

    Raises
    ------
    ValueError
        For a negative lr or weight decay.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.optim import ASGD
    >>> w = minigrad.tensor([1.0], requires_grad=True)
    >>> opt = ASGD([w], lr=0.1, t0=0)
    >>> (w * w).sum().backward(); opt.step(); opt.state[w]["ax"]
    tensor([0.8])

    >>> w = minigrad.tensor([1.0], requires_grad=True)
    >>> opt = ASGD([w]); (w * w).sum().backward(); opt.step(); opt.state[w]["step"]
    1
    """

    def __init__(self, params, lr: float = 1e-2, lambd: float = 1e-4, alpha: float = 0.75,
                 t0: float = 1e6, weight_decay: float = 0, foreach=None,
                 maximize: bool = False, differentiable: bool = False,
                 capturable: bool = False):  # fmt: skip
        if not 0.0 <= lr:
            raise ValueError(f"ASGD: Invalid learning rate: {lr} (expected >= 0)")
        if not 0.0 <= weight_decay:
            raise ValueError(f"ASGD: Invalid weight_decay value: {weight_decay} (expected >= 0)")
        defaults = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay,
                        maximize=maximize)  # fmt: skip
        super().__init__(params, defaults)

    def _new_state(self, p, group):
        return {"eta": float(group["lr"]), "mu": 1.0, "ax": self._zeros(p)}

    def _update(self, p, g, group):
        lr, lambd = float(group["lr"]), float(group["lambd"])
        alpha, t0 = float(group["alpha"]), float(group["t0"])
        wd = float(group["weight_decay"])
        state = self._stepped_state(p, group)
        if wd != 0:
            g = g + wd * p._data
        eta = state["eta"]
        p._data *= 1 - lambd * eta
        p._data -= eta * g
        ax = state["ax"]._data
        if state["mu"] != 1:
            ax += (p._data - ax) * state["mu"]
        else:
            ax[...] = p._data
        t = state["step"]
        state["eta"] = lr / ((1 + lambd * lr * t) ** alpha)
        state["mu"] = 1 / max(1, t - t0)
