"""RAdam (Liu et al. 2019: Adam with a rectified adaptive learning rate), with PyTorch's
exact update.

With ``rho_inf = 2 / (1 - beta2) - 1`` and ``rho_t = rho_inf - 2 t beta2^t / (1 -
beta2^t)``: while ``rho_t <= 5`` the step is SGD with momentum, ``p -= lr * m_hat``;
after, ``p -= lr * m_hat * r_t * sqrt(1 - beta2^t) / (sqrt(v) + eps)`` with the
rectification ``r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2)
rho_t))``.
"""

from __future__ import annotations

from minigrad.optim._adaptive import check_hyperparameters, update_moments, weight_decay
from minigrad.optim.optimizer import Optimizer

__all__ = ["RAdam"]


class RAdam(Optimizer):
    """RAdam, as ``torch.optim.RAdam``.

    Parameters
    ----------
    params : iterable of Tensor or dict
        Tensors to optimize or parameter groups.
    lr : float
        Learning rate (default 1e-3).
    betas : tuple of float
        Decay rates of the moment averages (default (0.9, 0.999)).
    eps : float
        Added to the denominator (default 1e-8).
    weight_decay : float
        L2 penalty (default 0).
    decoupled_weight_decay : bool
        Decay the parameters directly (RAdamW).
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
    >>> from minigrad.optim import RAdam
    >>> w = minigrad.tensor([1.0], requires_grad=True)
    >>> opt = RAdam([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step(); w  # first steps: SGD with momentum
    tensor([0.8], requires_grad=True)

    >>> w = minigrad.tensor([1.0], requires_grad=True)
    >>> opt = RAdam([w]); (w * w).sum().backward(); opt.step(); w.item() < 1
    True
    """

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, decoupled_weight_decay: bool = False, *,
                 foreach=None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False):  # fmt: skip
        check_hyperparameters("RAdam", lr, eps, weight_decay, betas)
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        decoupled_weight_decay=decoupled_weight_decay,
                        maximize=maximize)  # fmt: skip
        super().__init__(params, defaults)

    def _new_state(self, p, group):
        return {"exp_avg": self._zeros(p), "exp_avg_sq": self._zeros(p)}

    def _update(self, p, g, group):
        lr, eps = float(group["lr"]), float(group["eps"])
        b1, b2 = (float(b) for b in group["betas"])
        state = self._stepped_state(p, group)
        t = state["step"]
        g = weight_decay(p, g, lr, float(group["weight_decay"]), group["decoupled_weight_decay"])
        m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
        update_moments(m, v, g, b1, b2)
        bc1, bc2 = 1 - b1**t, 1 - b2**t
        m_hat = m / bc1
        rho_inf = 2 / (1 - b2) - 1
        rho_t = rho_inf - 2 * t * (b2**t) / bc2
        if rho_t > 5.0:
            rect = (
                (rho_t - 4) * (rho_t - 2) * rho_inf
                / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
            ) ** 0.5  # fmt: skip
            adaptive = (bc2**0.5) / (p.xp.sqrt(v) + eps)
            p._data -= m_hat * lr * adaptive * rect
        else:
            p._data -= m_hat * lr
