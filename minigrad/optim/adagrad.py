"""Adagrad, with PyTorch's exact update.

For each parameter ``p`` with gradient ``g`` at step ``t`` (starting at 1)::

    g = -g if maximize
    g = g + weight_decay * p
    clr = lr / (1 + (t - 1) * lr_decay)
    s = s + g * g                          (s starts at initial_accumulator_value)
    p = p - clr * g / (sqrt(s) + eps)
"""

from __future__ import annotations

from minigrad.optim._adaptive import check_hyperparameters, weight_decay
from minigrad.optim.optimizer import Optimizer
from minigrad.tensor import Tensor

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Adagrad (Duchi et al., 2011), as ``torch.optim.Adagrad``.

    The accumulators are created for every parameter when the optimizer is built (as in
    PyTorch), so ``state_dict()`` holds them before the first step.

    Parameters
    ----------
    params : iterable of Tensor or dict
        Tensors to optimize or parameter groups.
    lr : float
        Learning rate (default 1e-2).
    lr_decay : float
        Learning-rate decay per step (default 0).
    weight_decay : float
        L2 penalty added to the gradient (default 0).
    initial_accumulator_value : float
        Starting value of the sum of squared gradients (default 0).
    eps : float
        Added to the denominator (default 1e-10).
    foreach, differentiable, fused : optional
        Accepted for PyTorch compatibility.
    maximize : bool
        Maximize the objective instead of minimizing it.

    Raises
    ------
    ValueError
        For a negative lr, lr_decay, weight decay, initial accumulator value or eps.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.optim import Adagrad
    >>> w = minigrad.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = Adagrad([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step()
    >>> w  # the first step moves each weight by lr
    tensor([ 0.9, -1.9], requires_grad=True)

    >>> w = minigrad.tensor([1.0], requires_grad=True)
    >>> opt = Adagrad([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step(); opt.state[w]["sum"]
    tensor([4.])
    """

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        foreach=None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        fused=None,
    ):
        check_hyperparameters("Adagrad", lr, eps, weight_decay, **{
            "lr_decay value": lr_decay,
            "initial_accumulator_value value": initial_accumulator_value,
        })  # fmt: skip
        defaults = dict(
            lr=lr,
            lr_decay=lr_decay,
            eps=eps,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            foreach=foreach,
            maximize=maximize,
            differentiable=differentiable,
            fused=fused,
        )
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, group)

    def _new_state(self, p, group):
        init = float(group["initial_accumulator_value"])
        return {"sum": Tensor._make(p.xp.full_like(p._data, init))}

    def _update(self, p, g, group):
        lr, lr_decay, eps = float(group["lr"]), float(group["lr_decay"]), float(group["eps"])
        state = self._stepped_state(p, group)  # created here for a group added later
        g = weight_decay(p, g, lr, float(group["weight_decay"]), False)
        clr = lr / (1 + (state["step"] - 1) * lr_decay)
        s = state["sum"]._data
        s += g * g
        std = p.xp.sqrt(s)
        std += eps
        p._data -= clr * (g / std)
