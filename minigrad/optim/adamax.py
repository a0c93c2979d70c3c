"""Adamax (Kingma & Ba 2014: Adam with the infinity norm), with PyTorch's exact update::

g = -g if maximize;  g += weight_decay * p
m = m + (1 - beta1) * (g - m)
u = max(beta2 * u, |g| + eps)
p -= lr / (1 - beta1 ** t) * m / u
"""

from __future__ import annotations

from minigrad.optim._adaptive import check_hyperparameters, weight_decay
from minigrad.optim.optimizer import Optimizer

__all__ = ["Adamax"]


class Adamax(Optimizer):
    """Adamax, as ``torch.optim.Adamax``.

    Parameters
    ----------
    params : iterable of Tensor or dict
        Tensors to optimize or parameter groups.
    lr : float
        Learning rate (default 2e-3).
    betas : tuple of float
        Decay rates of the first moment and the infinity norm (default (0.9, 0.999)).
    eps : float
        Added to ``|g|`` (default 1e-8).
    weight_decay : float
        L2 penalty (default 0).
    foreach, differentiable, capturable : optional
        Accepted for PyTorch compatibility.
    maximize : bool
        Maximize the objective.

    Raises
    ------
    ValueError
        For negative hyperparameters or betas outside [0, 1).

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.optim import Adamax
    >>> w = minigrad.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = Adamax([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step(); w
    tensor([ 0.9, -1.9], requires_grad=True)

    >>> w = minigrad.tensor([1.0], requires_grad=True)
    >>> opt = Adamax([w]); (w * w).sum().backward(); opt.step(); opt.state[w]["exp_inf"]
    tensor([2.])
    """

    def __init__(self, params, lr: float = 2e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, foreach=None, *, maximize: bool = False,
                 differentiable: bool = False, capturable: bool = False):  # fmt: skip
        check_hyperparameters("Adamax", lr, eps, weight_decay, betas)
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        maximize=maximize)  # fmt: skip
        super().__init__(params, defaults)

    def _new_state(self, p, group):
        return {"exp_avg": self._zeros(p), "exp_inf": self._zeros(p)}

    def _update(self, p, g, group):
        lr, eps = float(group["lr"]), float(group["eps"])
        b1, b2 = (float(b) for b in group["betas"])
        state = self._stepped_state(p, group)
        g = weight_decay(p, g, lr, float(group["weight_decay"]), False)
        m, u = state["exp_avg"]._data, state["exp_inf"]._data
        m += (1 - b1) * (g - m)
        u *= b2
        p.xp.maximum(u, p.xp.abs(g) + eps, out=u)
        clr = lr / (1 - b1 ** state["step"])
        p._data -= clr * (m / u)
