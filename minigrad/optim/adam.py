"""Adam and AdamW (decoupled weight decay), with PyTorch's exact update.

For each parameter ``p`` with gradient ``g`` at step ``t`` (starting at 1)::

    g = -g if maximize
    p = p * (1 - lr * weight_decay)            (AdamW: decoupled decay)
    g = g + weight_decay * p                   (Adam: L2 penalty in the gradient)
    m = m + (1 - beta1) * (g - m)
    v = beta2 * v + (1 - beta2) * g * g
    v_max = max(v_max, v)                      (amsgrad; then used in place of v)
    denom = sqrt(v) / sqrt(1 - beta2**t) + eps
    p = p - lr / (1 - beta1**t) * m / denom
"""

from __future__ import annotations

from minigrad.optim import fused as _fused
from minigrad.optim._adaptive import check_hyperparameters, update_moments, weight_decay
from minigrad.optim.optimizer import Optimizer

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2014), as ``torch.optim.Adam``.

    Parameters
    ----------
    params : iterable of Tensor or dict
        Tensors to optimize or parameter groups.
    lr : float
        Learning rate (default 1e-3).
    betas : tuple of float
        Decay rates of the first and second moment averages (default (0.9, 0.999)).
    eps : float
        Added to the denominator for numerical stability (default 1e-8).
    weight_decay : float
        L2 penalty added to the gradient (default 0).
    amsgrad : bool
        Use the maximum of past second moments (AMSGrad).
    maximize : bool
        Maximize the objective instead of minimizing it.
    decoupled_weight_decay : bool
        Decay the parameters directly (AdamW) instead of adding to the gradient.
    foreach, capturable, differentiable, fused : optional
        Accepted for PyTorch compatibility (one NumPy/CuPy update per tensor).

    Raises
    ------
    ValueError
        For a negative learning rate, eps or weight decay, or a beta outside [0, 1).

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.optim import Adam
    >>> w = minigrad.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = Adam([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step()
    >>> w  # the first Adam step moves each weight by about lr
    tensor([ 0.9, -1.9], requires_grad=True)
    >>> opt.state[w]["step"]
    1

    >>> w = minigrad.tensor([1.0, -1.0], requires_grad=True)
    >>> opt = Adam([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> opt.step()
    >>> w
    tensor([ 0.9, -0.9], requires_grad=True)
    """

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        foreach=None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
        fused=None,
        decoupled_weight_decay: bool = False,
    ):
        check_hyperparameters(type(self).__name__, lr, eps, weight_decay, betas)
        defaults = dict(
            lr=lr,
            betas=tuple(betas),
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
            decoupled_weight_decay=decoupled_weight_decay,
        )
        super().__init__(params, defaults)

    def _new_state(self, p, group):
        state = {"exp_avg": self._zeros(p), "exp_avg_sq": self._zeros(p)}
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = self._zeros(p)
        return state

    def _update(self, p, g, group):
        xp = p.xp
        lr, eps = float(group["lr"]), float(group["eps"])
        beta1, beta2 = (float(b) for b in group["betas"])
        state = self._stepped_state(p, group)
        step = state["step"]
        decoupled = group.get("decoupled_weight_decay", False)
        m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
        wd = float(group["weight_decay"])
        vmax = state["max_exp_avg_sq"]._data if group["amsgrad"] else None
        # one compiled pass per parameter when Numba runs (bit-identical to the code below)
        if _fused.adam(p, g, m, v, vmax, lr, beta1, beta2, eps, wd, decoupled, step):
            return
        g = weight_decay(p, g, lr, wd, decoupled)
        update_moments(m, v, g, beta1, beta2)
        bias_correction1 = 1 - beta1**step
        bias_correction2 = 1 - beta2**step
        step_size = lr / bias_correction1
        bias_correction2_sqrt = bias_correction2**0.5
        if group["amsgrad"]:
            vmax = state["max_exp_avg_sq"]._data
            xp.maximum(vmax, v, out=vmax)
            v = vmax
        denom = xp.sqrt(v)
        denom /= bias_correction2_sqrt
        denom += eps
        p._data -= step_size * (m / denom)


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter), as ``torch.optim.AdamW``.

    Same parameters as :class:`Adam`, but ``weight_decay`` (default 1e-2) shrinks the
    parameters directly, ``p *= 1 - lr * weight_decay``, before the Adam step.

    Parameters
    ----------
    params : iterable of Tensor or dict
        Tensors to optimize or parameter groups.
    lr, betas, eps, amsgrad, maximize : optional
        As in :class:`Adam`.
    weight_decay : float
        Decoupled weight decay (default 1e-2).

    Raises
    ------
    ValueError
        For a negative learning rate, eps or weight decay, or a beta outside [0, 1).

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.optim import AdamW
    >>> w = minigrad.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = AdamW([w], lr=0.1, weight_decay=0.5)
    >>> (w * w).sum().backward(); opt.step()
    >>> w  # decay by 1 - 0.1 * 0.5, then the Adam step of about lr
    tensor([ 0.85, -1.8 ], requires_grad=True)
    """

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        foreach=None,
        capturable: bool = False,
        differentiable: bool = False,
        fused=None,
    ):
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            maximize=maximize,
            decoupled_weight_decay=True,
        )
