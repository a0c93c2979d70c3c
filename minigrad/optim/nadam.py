"""NAdam (Dozat 2016: Adam with Nesterov momentum), with PyTorch's exact update.

For each parameter at step ``t`` (``mu_t = beta1 * (1 - 0.5 * 0.96 ** (t * psi))``,
``psi`` the momentum decay, ``P_t = mu_1 * ... * mu_t``)::

    g = -g if maximize;  g += weight_decay * p   (or p *= 1 - lr * wd, decoupled)
    m = m + (1 - beta1) * (g - m);  v = beta2 * v + (1 - beta2) * g * g
    denom = sqrt(v / (1 - beta2 ** t)) + eps
    p -= lr * (1 - mu_t) / (1 - P_t) * g / denom
    p -= lr * mu_{t+1} / (1 - P_t * mu_{t+1}) * m / denom
"""

from __future__ import annotations

from minigrad.optim._adaptive import check_hyperparameters, update_moments, weight_decay
from minigrad.optim.optimizer import Optimizer

__all__ = ["NAdam"]


class NAdam(Optimizer):
    """NAdam, as ``torch.optim.NAdam``.

    Parameters
    ----------
    params : iterable of Tensor or dict
        Tensors to optimize or parameter groups.
    lr : float
        Learning rate (default 2e-3).
    betas : tuple of float
        Decay rates of the moment averages (default (0.9, 0.999)).
    eps : float
        Added to the denominator (default 1e-8).
    weight_decay : float
        L2 penalty (default 0).
    momentum_decay : float
        ``psi`` of the momentum schedule (default 4e-3).
    decoupled_weight_decay : bool
        Decay the parameters directly (NAdamW).
    foreach, capturable, differentiable : optional
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
    >>> from minigrad.optim import NAdam
    >>> w = minigrad.tensor([1.0], requires_grad=True)
    >>> opt = NAdam([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step(); opt.state[w]["step"]
    1

    >>> w = minigrad.tensor([1.0], requires_grad=True)
    >>> opt = NAdam([w]); (w * w).sum().backward(); opt.step(); w.item() < 1
    True
    """

    def __init__(self, params, lr: float = 2e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, foreach=None, maximize: bool = False,
                 capturable: bool = False, differentiable: bool = False):  # fmt: skip
        check_hyperparameters("NAdam", lr, eps, weight_decay, betas,
                              **{"momentum_decay value": momentum_decay})  # fmt: skip
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay,
                        maximize=maximize)  # fmt: skip
        super().__init__(params, defaults)

    def _new_state(self, p, group):
        return {"mu_product": 1.0, "exp_avg": self._zeros(p), "exp_avg_sq": self._zeros(p)}

    def _update(self, p, g, group):
        lr, eps = float(group["lr"]), float(group["eps"])
        b1, b2 = (float(b) for b in group["betas"])
        psi = float(group["momentum_decay"])
        state = self._stepped_state(p, group)
        t = state["step"]
        g = weight_decay(p, g, lr, float(group["weight_decay"]), group["decoupled_weight_decay"])
        mu = b1 * (1.0 - 0.5 * (0.96 ** (t * psi)))
        mu_next = b1 * (1.0 - 0.5 * (0.96 ** ((t + 1) * psi)))
        state["mu_product"] *= mu
        prod = state["mu_product"]
        m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
        update_moments(m, v, g, b1, b2)
        denom = p.xp.sqrt(v / (1 - b2**t))
        denom += eps
        p._data -= (lr * (1.0 - mu) / (1.0 - prod)) * (g / denom)
        p._data -= (lr * mu_next / (1.0 - prod * mu_next)) * (m / denom)
