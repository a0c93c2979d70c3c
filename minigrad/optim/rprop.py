"""Rprop (resilient backpropagation, Riedmiller & Braun 1993), with PyTorch's update:
each element keeps its own step size, multiplied by ``etaplus`` while the gradient keeps
its sign and by ``etaminus`` when it flips (clamped to ``step_sizes``); the parameter
moves by ``-sign(g) * step``, and after a flip the gradient is taken as 0 for one step."""

from __future__ import annotations

from minigrad.optim.optimizer import Optimizer
from minigrad.tensor import Tensor

__all__ = ["Rprop"]


class Rprop(Optimizer):
    """Rprop, as ``torch.optim.Rprop``.

    Parameters
    ----------
    params : iterable of Tensor or dict
        Tensors to optimize or parameter groups.
    lr : float
        Initial step size (default 1e-2).
    etas : tuple of float
        ``(etaminus, etaplus)`` factors (default (0.5, 1.2)), ``0 < etaminus < 1 <
        etaplus``.
    step_sizes : tuple of float
        Smallest and largest step size (default (1e-6, 50)).
    capturable, foreach, differentiable : optional
        Accepted for PyTorch compatibility.
    maximize : bool
        Maximize the objective.

    Raises
    ------
    ValueError
        For a negative lr or etas out of order.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.optim import Rprop
    >>> w = minigrad.tensor([1.0, -1.0], requires_grad=True)
    >>> opt = Rprop([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step(); w  # the first step is lr against the sign
    tensor([ 0.9, -0.9], requires_grad=True)

    >>> w = minigrad.tensor([1.0], requires_grad=True)
    >>> opt = Rprop([w]); (w * w).sum().backward(); opt.step(); opt.state[w]["step"]
    1
    """

    def __init__(self, params, lr: float = 1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *,
                 capturable: bool = False, foreach=None, maximize: bool = False,
                 differentiable: bool = False):  # fmt: skip
        if not 0.0 <= lr:
            raise ValueError(f"Rprop: Invalid learning rate: {lr} (expected >= 0)")
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Rprop: Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = dict(lr=lr, etas=tuple(etas), step_sizes=tuple(step_sizes), maximize=maximize)
        super().__init__(params, defaults)

    def _new_state(self, p, group):
        size = Tensor._make(p.xp.full_like(p._data, float(group["lr"])))
        return {"prev": self._zeros(p), "step_size": size}

    def _update(self, p, g, group):
        xp = p.xp
        etaminus, etaplus = (float(e) for e in group["etas"])
        smin, smax = (float(s) for s in group["step_sizes"])
        state = self._stepped_state(p, group)
        prev, size = state["prev"]._data, state["step_size"]._data
        s = xp.sign(g * prev)
        factor = xp.where(s > 0, etaplus, xp.where(s < 0, etaminus, 1.0))
        size *= factor.astype(size.dtype, copy=False)
        xp.clip(size, smin, smax, out=size)
        g = xp.where(s < 0, 0, g).astype(p._data.dtype, copy=False)
        p._data -= xp.sign(g) * size
        prev[...] = g
