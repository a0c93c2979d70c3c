"""RAdam (Liu et al. 2019: Adam with a rectified adaptive learning rate), with PyTorch's
exact update.

With ``rho_inf = 2 / (1 - beta2) - 1`` and ``rho_t = rho_inf - 2 t beta2^t / (1 -
beta2^t)``: while ``rho_t <= 5`` the step is SGD with momentum, ``p -= lr * m_hat``;
after, ``p -= lr * m_hat * r_t * sqrt(1 - beta2^t) / (sqrt(v) + eps)`` with the
rectification ``r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2)
rho_t))``.
"""

from __future__ import annotations

from minigrad.autograd.grad_mode import no_grad
from minigrad.optim._adaptive import check_hyperparameters
from minigrad.optim.optimizer import Optimizer
from minigrad.tensor import Tensor

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

    def step(self, closure=None):
        """Perform one RAdam step on every parameter that has a gradient.

        Parameters
        ----------
        closure : callable, optional
            Re-evaluates the model and returns the loss.

        Returns
        -------
        Tensor or None

        Examples
        --------
        >>> import minigrad
        >>> from minigrad.optim import RAdam
        >>> w = minigrad.tensor([1.0], requires_grad=True)
        >>> opt = RAdam([w]); (w * w).sum().backward(); opt.step(); w.item() < 1
        True
        """
        loss = self._closure(closure)
        with no_grad():
            for group in self.param_groups:
                lr, eps, wd = float(group["lr"]), float(group["eps"]), float(group["weight_decay"])
                b1, b2 = (float(b) for b in group["betas"])
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    xp = p.xp
                    g = -p.grad.data if group["maximize"] else p.grad.data
                    state = self.state[p]
                    if len(state) == 0:
                        state["step"] = 0
                        state["exp_avg"] = Tensor._make(xp.zeros_like(p.data))
                        state["exp_avg_sq"] = Tensor._make(xp.zeros_like(p.data))
                    state["step"] += 1
                    t = state["step"]
                    if wd != 0:
                        if group["decoupled_weight_decay"]:
                            p.data *= 1 - lr * wd
                        else:
                            g = g + wd * p.data
                    m, v = state["exp_avg"].data, state["exp_avg_sq"].data
                    m += (1 - b1) * (g - m)
                    v *= b2
                    v += (1 - b2) * (g * g)
                    bc1, bc2 = 1 - b1**t, 1 - b2**t
                    m_hat = m / bc1
                    rho_inf = 2 / (1 - b2) - 1
                    rho_t = rho_inf - 2 * t * (b2**t) / bc2
                    if rho_t > 5.0:
                        rect = (
                            (rho_t - 4) * (rho_t - 2) * rho_inf
                            / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
                        ) ** 0.5  # fmt: skip
                        adaptive = (bc2**0.5) / (xp.sqrt(v) + eps)
                        p.data -= m_hat * lr * adaptive * rect
                    else:
                        p.data -= m_hat * lr
                    p._version += 1
        return loss
