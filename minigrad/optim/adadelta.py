"""Adadelta (Zeiler 2012), with PyTorch's exact update::

g = -g if maximize;  g += weight_decay * p
v = rho * v + (1 - rho) * g * g
delta = sqrt(u + eps) / sqrt(v + eps) * g
u = rho * u + (1 - rho) * delta * delta
p -= lr * delta
"""

from __future__ import annotations

from minigrad.optim._adaptive import check_hyperparameters, weight_decay
from minigrad.optim.optimizer import Optimizer

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """Adadelta, as ``torch.optim.Adadelta``.

    Parameters
    ----------
    params : iterable of Tensor or dict
        Tensors to optimize or parameter groups.
    lr : float
        Scale of the update (default 1.0).
    rho : float
        Decay rate of the running averages, in [0, 1] (default 0.9).
    eps : float
        Added inside the square roots (default 1e-6).
    weight_decay : float
        L2 penalty (default 0).
    foreach, capturable, differentiable : optional
        Accepted for PyTorch compatibility.
    maximize : bool
        Maximize the objective.

    Raises
    ------
    ValueError
        For negative hyperparameters or ``rho`` outside [0, 1].

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.optim import Adadelta
    >>> w = minigrad.tensor([1.0], requires_grad=True)
    >>> opt = Adadelta([w])
    >>> (w * w).sum().backward(); opt.step(); sorted(opt.state[w])
    ['acc_delta', 'square_avg', 'step']

    >>> w = minigrad.tensor([1.0], requires_grad=True)
    >>> opt = Adadelta([w]); (w * w).sum().backward(); opt.step(); w.item() < 1
    True
    """

    def __init__(self, params, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0, foreach=None, *, capturable: bool = False,
                 maximize: bool = False, differentiable: bool = False):  # fmt: skip
        check_hyperparameters("Adadelta", lr, eps, weight_decay)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Adadelta: Invalid rho value: {rho} (expected 0 <= rho <= 1)")
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _new_state(self, p, group):
        return {"square_avg": self._zeros(p), "acc_delta": self._zeros(p)}

    def _update(self, p, g, group):
        lr, rho, eps = float(group["lr"]), float(group["rho"]), float(group["eps"])
        state = self._stepped_state(p, group)
        g = weight_decay(p, g, lr, float(group["weight_decay"]), False)
        v, u = state["square_avg"]._data, state["acc_delta"]._data
        v *= rho
        v += (1 - rho) * (g * g)
        delta = p.xp.sqrt(u + eps) / p.xp.sqrt(v + eps) * g
        u *= rho
        u += (1 - rho) * (delta * delta)
        p._data -= lr * delta
