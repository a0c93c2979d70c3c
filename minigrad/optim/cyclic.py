"""Cyclical learning rates (Smith 2017; PyTorch's ``CyclicLR``) and the multiplicative
schedule (``MultiplicativeLR``).

``CyclicLR`` moves the rate between ``base_lr`` and ``max_lr`` on a triangle of
``step_size_up + step_size_down`` steps; ``triangular2`` halves the amplitude each cycle,
``exp_range`` scales it by ``gamma ** step``. Momentum (SGD's or Adam's beta1) cycles the
other way. Step it once per *batch*.
"""

from __future__ import annotations

import math

from minigrad.optim.lr_scheduler import LRScheduler, _per_group
from minigrad.optim.one_cycle import _momentum_cycling, _set_momentum

__all__ = ["CyclicLR", "MultiplicativeLR"]


class MultiplicativeLR(LRScheduler):
    """Multiply each group's rate by ``lr_lambda(epoch)`` every epoch.

    Parameters
    ----------
    optimizer : Optimizer
        The optimizer.
    lr_lambda : callable or list of callable
        Factor as a function of the epoch (one, or one per group).
    last_epoch : int
        See :class:`~minigrad.optim.lr_scheduler.LRScheduler`.

    Raises
    ------
    ValueError, TypeError
        For a list of the wrong length or a non-callable.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.optim import SGD
    >>> from minigrad.optim.lr_scheduler import MultiplicativeLR
    >>> opt = SGD([minigrad.zeros(1, requires_grad=True)], lr=1.0)
    >>> sched = MultiplicativeLR(opt, lambda epoch: 0.5)
    >>> opt.step(); sched.step(); opt.step(); sched.step(); sched.get_last_lr()
    [0.25]
    """

    def __init__(self, optimizer, lr_lambda, last_epoch: int = -1):
        self.lr_lambdas = _per_group("MultiplicativeLR", "lr_lambdas", optimizer, lr_lambda)
        for f in self.lr_lambdas:
            if not callable(f):
                raise TypeError(
                    f"MultiplicativeLR: lr_lambda should be a function, but got {type(f).__name__}"
                )
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self._is_initial:
            return self._lrs()
        return [lr * f(self.last_epoch) for f, lr in zip(self.lr_lambdas, self._lrs())]


class CyclicLR(LRScheduler):
    """Cyclical learning rate policy, as ``torch.optim.lr_scheduler.CyclicLR``.

    Parameters
    ----------
    optimizer : Optimizer
        The optimizer.
    base_lr, max_lr : float or list of float
        Lower and upper bound of the cycle (per group).
    step_size_up : int
        Steps of the rising half (default 2000).
    step_size_down : int, optional
        Steps of the falling half (default ``step_size_up``).
    mode : {'triangular', 'triangular2', 'exp_range'}
        Amplitude policy (ignored with ``scale_fn``).
    gamma : float
        Base of ``exp_range`` (default 1).
    scale_fn : callable, optional
        Custom amplitude ``scale_fn(x)``.
    scale_mode : {'cycle', 'iterations'}
        What ``x`` of ``scale_fn`` counts.
    cycle_momentum : bool
        Cycle momentum / beta1 inversely (default True).
    base_momentum, max_momentum : float or list of float
        Momentum bounds (defaults 0.8 and 0.9).
    last_epoch : int
        Index of the last step.

    Raises
    ------
    ValueError
        For an unknown mode without ``scale_fn``, or an optimizer without momentum when
        cycling it.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.optim import SGD
    >>> from minigrad.optim.lr_scheduler import CyclicLR
    >>> opt = SGD([minigrad.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9)
    >>> sched = CyclicLR(opt, base_lr=0.0, max_lr=1.0, step_size_up=2)
    >>> lrs = []
    >>> for _ in range(5):
    ...     lrs.append(sched.get_last_lr()[0]); opt.step(); sched.step()
    >>> lrs
    [0.0, 0.5, 1.0, 0.5, 0.0]
    """

    def __init__(self, optimizer, base_lr, max_lr, step_size_up: int = 2000,
                 step_size_down: int | None = None, mode: str = "triangular",
                 gamma: float = 1.0, scale_fn=None, scale_mode: str = "cycle",
                 cycle_momentum: bool = True, base_momentum=0.8, max_momentum=0.9,
                 last_epoch: int = -1):  # fmt: skip
        self._attach(optimizer)
        base_lrs = _per_group("CyclicLR", "base_lr values", optimizer, base_lr)
        if last_epoch == -1:
            for lr, group in zip(base_lrs, optimizer.param_groups):
                group["lr"] = lr
        self.max_lrs = _per_group("CyclicLR", "max_lr values", optimizer, max_lr)
        up = float(step_size_up)
        down = float(step_size_down) if step_size_down is not None else up
        self.total_size = up + down
        self.step_ratio = up / self.total_size
        if mode not in ("triangular", "triangular2", "exp_range") and scale_fn is None:
            raise ValueError(f"CyclicLR: mode {mode!r} is invalid and scale_fn is None")
        self.mode = mode
        self.gamma = gamma
        self._scale_fn_custom = scale_fn
        self.scale_mode = scale_mode
        if scale_fn is None:
            self.scale_mode = "iterations" if mode == "exp_range" else "cycle"
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self.use_beta1, self.base_momentums, self.max_momentums = _momentum_cycling(
                "CyclicLR", optimizer, base_momentum, max_momentum, last_epoch
            )
        super().__init__(optimizer, last_epoch)
        self.base_lrs = base_lrs

    def scale_fn(self, x) -> float:
        """The amplitude factor at ``x`` (a cycle number or a step).

        Examples
        --------
        >>> import minigrad
        >>> from minigrad.optim import SGD
        >>> from minigrad.optim.lr_scheduler import CyclicLR
        >>> opt = SGD([minigrad.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9)
        >>> CyclicLR(opt, 0.1, 1.0, mode="triangular2").scale_fn(3)
        0.25
        """
        if self._scale_fn_custom is not None:
            return self._scale_fn_custom(x)
        if self.mode == "triangular":
            return 1.0
        if self.mode == "triangular2":
            return 1 / (2.0 ** (x - 1))
        return self.gamma**x

    def get_lr(self) -> list[float]:
        cycle = math.floor(1 + self.last_epoch / self.total_size)
        x = 1.0 + self.last_epoch / self.total_size - cycle
        if x <= self.step_ratio:
            scale_factor = x / self.step_ratio
        else:
            scale_factor = (x - 1) / (self.step_ratio - 1)
        arg = cycle if self.scale_mode == "cycle" else self.last_epoch
        lrs = [
            b + (m - b) * scale_factor * self.scale_fn(arg)
            for b, m in zip(self.base_lrs, self.max_lrs)
        ]
        if self.cycle_momentum:
            for bm, mm, group in zip(self.base_momentums, self.max_momentums,
                                     self.optimizer.param_groups):  # fmt: skip
                mom = mm - (mm - bm) * scale_factor * self.scale_fn(arg)
                _set_momentum(group, mom, self.use_beta1)
        return lrs

    def state_dict(self) -> dict:
        """The attributes except the optimizer and a custom ``scale_fn``, as PyTorch.

        Examples
        --------
        >>> import minigrad
        >>> from minigrad.optim import SGD
        >>> from minigrad.optim.lr_scheduler import CyclicLR
        >>> opt = SGD([minigrad.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9)
        >>> "_scale_fn_custom" in CyclicLR(opt, 0.1, 1.0).state_dict()
        False
        """
        sd = super().state_dict()
        sd.pop("_scale_fn_custom", None)
        return sd
