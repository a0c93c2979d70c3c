"""Learning-rate schedules: StepLR, MultiStepLR, CosineAnnealingLR, LinearLR, LambdaLR,
ExponentialLR, ConstantLR, PolynomialLR, OneCycleLR, ReduceLROnPlateau, SequentialLR,
ChainedScheduler, CosineAnnealingWarmRestarts, CyclicLR, MultiplicativeLR.

A scheduler changes ``group['lr']`` of its optimizer's parameter groups each time its
:meth:`~LRScheduler.step` is called (usually once per epoch, after ``optimizer.step()``).
Creating one records ``group['initial_lr']`` and sets the learning rate of epoch 0.
The formulas are PyTorch's recursive ("chainable") forms, so the learning rates match
``torch.optim.lr_scheduler`` and several schedulers can act on one optimizer.
"""

from __future__ import annotations

import math
import warnings
from bisect import bisect_right
from collections import Counter

from minigrad.optim.optimizer import Optimizer

__all__ = [
    "LRScheduler",
    "StepLR",
    "MultiStepLR",
    "CosineAnnealingLR",
    "LinearLR",
    "LambdaLR",
    "ExponentialLR",
    "ConstantLR",
    "PolynomialLR",
    "OneCycleLR",
    "ReduceLROnPlateau",
    "SequentialLR",
    "ChainedScheduler",
    "CosineAnnealingWarmRestarts",
    "CyclicLR",
    "MultiplicativeLR",
]


def _per_group(owner: str, what: str, optimizer: Optimizer, value) -> list:
    """``value`` for each parameter group of ``optimizer``: a list or tuple as given (one
    entry per group, else ValueError naming ``owner`` and ``what``), anything else repeated.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.optim import SGD
    >>> from minigrad.optim.lr_scheduler import _per_group
    >>> opt = SGD([{"params": [minigrad.zeros(1, requires_grad=True)]},
    ...            {"params": [minigrad.zeros(1, requires_grad=True)]}], lr=0.1)
    >>> _per_group("OneCycleLR", "max_lr values", opt, 1.0)
    [1.0, 1.0]
    """
    n = len(optimizer.param_groups)
    if isinstance(value, list | tuple):
        if len(value) != n:
            raise ValueError(
                f"{owner}: expected {n} {what} (one per parameter group), got {len(value)}"
            )
        return list(value)
    return [value] * n


def _warn_epoch_deprecated() -> None:
    """PyTorch's warning for ``scheduler.step(epoch)``, pointing at the caller of ``step``."""
    warnings.warn(
        "The epoch parameter in `scheduler.step()` was not necessary and is being "
        "deprecated where possible. Please use `scheduler.step()` to step the "
        "scheduler.",
        UserWarning,
        stacklevel=3,
    )


class LRScheduler:
    """Base class of learning-rate schedulers.

    Parameters
    ----------
    optimizer : Optimizer
        The optimizer whose learning rates are scheduled.
    last_epoch : int
        Index of the last epoch; ``-1`` (default) starts a new schedule. To resume, pass
        the saved epoch (the groups must then hold ``'initial_lr'``) or use
        :meth:`load_state_dict`.

    Raises
    ------
    TypeError
        If ``optimizer`` is not an :class:`~minigrad.optim.Optimizer`.
    KeyError
        If resuming (``last_epoch >= 0``) and a group has no ``'initial_lr'``.

    Examples
    --------
    The usual loop: one optimizer step per batch, one scheduler step per epoch.

    >>> import minigrad
    >>> from minigrad.optim import SGD
    >>> from minigrad.optim.lr_scheduler import MultiStepLR
    >>> opt = SGD([minigrad.zeros(1, requires_grad=True)], lr=0.1)
    >>> sched = MultiStepLR(opt, milestones=[2])
    >>> for epoch in range(3):
    ...     opt.step()  # (after backward on each batch)
    ...     sched.step()
    >>> opt.param_groups[0]["initial_lr"], round(opt.param_groups[0]["lr"], 6)
    (0.1, 0.01)
    """

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1):
        self._attach(optimizer)
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(
                        f"{type(self).__name__}: param 'initial_lr' is not specified in "
                        f"param_groups[{i}] when resuming a scheduler with last_epoch >= 0"
                    )
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._initial_step()

    def _attach(self, optimizer) -> None:
        """Set ``self.optimizer`` (TypeError, naming the scheduler, for a non-Optimizer)."""
        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                f"{type(self).__name__}: {type(optimizer).__name__} is not an Optimizer"
            )
        self.optimizer = optimizer

    def _initial_step(self) -> None:
        """Reset the step count and set the learning rates of the first epoch."""
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def get_lr(self) -> list[float]:
        """The learning rates for the current ``last_epoch`` (implemented by subclasses)."""
        raise NotImplementedError

    def get_last_lr(self) -> list[float]:
        """The learning rates set by the last :meth:`step`, one per parameter group.

        Examples
        --------
        >>> import minigrad
        >>> from minigrad.optim import SGD
        >>> from minigrad.optim.lr_scheduler import StepLR
        >>> sched = StepLR(SGD([minigrad.zeros(1, requires_grad=True)], lr=1.0), step_size=1)
        >>> sched.get_last_lr()
        [1.0]
        """
        return self._last_lr

    def step(self, epoch: int | None = None) -> None:
        """Advance one epoch and set each group's ``'lr'``.

        ``epoch`` (deprecated in PyTorch, and warned about likewise) jumps to that epoch
        using the closed form of the schedule where it has one.

        Examples
        --------
        >>> import minigrad
        >>> from minigrad.optim import SGD
        >>> from minigrad.optim.lr_scheduler import StepLR
        >>> opt = SGD([minigrad.zeros(1, requires_grad=True)], lr=1.0)
        >>> sched = StepLR(opt, step_size=1, gamma=0.5)
        >>> opt.step()
        >>> sched.step()
        >>> opt.param_groups[0]["lr"]
        0.5
        """
        self._step_count += 1
        if epoch is not None:
            _warn_epoch_deprecated()
        self._update_lr(epoch)

    def _update_lr(self, epoch: int | None = None) -> None:
        if epoch is None:
            self.last_epoch += 1
            values = self.get_lr()
        else:
            self.last_epoch = epoch
            closed = getattr(self, "_get_closed_form_lr", None)
            values = closed() if closed is not None else self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, values):
            group["lr"] = lr
        self._last_lr = self._lrs()

    def _lrs(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self) -> dict:
        """Every attribute except the optimizer (and functions), as in PyTorch.

        Examples
        --------
        >>> import minigrad
        >>> from minigrad.optim import SGD
        >>> from minigrad.optim.lr_scheduler import StepLR
        >>> opt = SGD([minigrad.zeros(1, requires_grad=True)], lr=1.0)
        >>> sched = StepLR(opt, step_size=2)
        >>> sched.step(); sched.step()
        >>> sched.state_dict()["last_epoch"], sched.get_last_lr()
        (2, [0.1])
        """
        return {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "lr_lambdas")}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore the attributes saved by :meth:`state_dict`.

        Examples
        --------
        >>> import minigrad
        >>> from minigrad.optim import SGD
        >>> from minigrad.optim.lr_scheduler import StepLR
        >>> opt = SGD([minigrad.zeros(1, requires_grad=True)], lr=1.0)
        >>> a, b = StepLR(opt, step_size=1), StepLR(opt, step_size=5)
        >>> b.load_state_dict(a.state_dict())
        >>> b.step_size
        1
        """
        self.__dict__.update({k: v for k, v in state_dict.items() if k != "lr_lambdas"})
        if isinstance(self.__dict__.get("milestones"), dict):
            self.milestones = Counter({int(k): v for k, v in self.milestones.items()})


class StepLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every ``step_size`` epochs.

    Parameters
    ----------
    optimizer : Optimizer
        The optimizer.
    step_size : int
        Period of the decay, in epochs.
    gamma : float
        Multiplicative factor (default 0.1).
    last_epoch : int
        See :class:`LRScheduler`.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.optim import SGD
    >>> from minigrad.optim.lr_scheduler import StepLR
    >>> opt = SGD([minigrad.zeros(1, requires_grad=True)], lr=1.0)
    >>> sched = StepLR(opt, step_size=2, gamma=0.5)
    >>> lrs = []
    >>> for _ in range(5):
    ...     lrs.append(sched.get_last_lr()[0]); opt.step(); sched.step()
    >>> lrs
    [1.0, 1.0, 0.5, 0.5, 0.25]
    """

    def __init__(self, optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1):
        if int(step_size) != step_size or step_size <= 0:
            raise ValueError(f"StepLR: step_size must be a positive integer, got {step_size}")
        self.step_size = int(step_size)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._lrs()
        return [lr * self.gamma for lr in self._lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        return [b * self.gamma ** (self.last_epoch // self.step_size) for b in self.base_lrs]


class MultiStepLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` at each milestone epoch.

    Parameters
    ----------
    optimizer : Optimizer
        The optimizer.
    milestones : iterable of int
        Epoch indices at which to decay (a repeated milestone decays several times).
    gamma : float
        Multiplicative factor (default 0.1).
    last_epoch : int
        See :class:`LRScheduler`.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.optim import SGD
    >>> from minigrad.optim.lr_scheduler import MultiStepLR
    >>> opt = SGD([minigrad.zeros(1, requires_grad=True)], lr=1.0)
    >>> sched = MultiStepLR(opt, milestones=[1, 3], gamma=0.5)
    >>> lrs = []
    >>> for _ in range(4):
    ...     lrs.append(sched.get_last_lr()[0]); opt.step(); sched.step()
    >>> lrs
    [1.0, 0.5, 0.5, 0.25]
    """

    def __init__(self, optimizer, milestones, gamma: float = 0.1, last_epoch: int = -1):
        self.milestones = Counter(int(m) for m in milestones)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch not in self.milestones:
            return self._lrs()
        return [lr * self.gamma ** self.milestones[self.last_epoch] for lr in self._lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        k = bisect_right(sorted(self.milestones.elements()), self.last_epoch)
        return [b * self.gamma**k for b in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    r"""Cosine annealing from the initial learning rate down to ``eta_min`` over ``T_max``.

    ``lr_t = eta_min + (base_lr - eta_min) * (1 + cos(pi * t / T_max)) / 2`` (computed
    recursively, as PyTorch does; past ``T_max`` the cosine continues and rises again).

    Parameters
    ----------
    optimizer : Optimizer
        The optimizer.
    T_max : int
        Number of epochs of the half cosine period.
    eta_min : float
        Minimum learning rate (default 0).
    last_epoch : int
        See :class:`LRScheduler`.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.optim import SGD
    >>> from minigrad.optim.lr_scheduler import CosineAnnealingLR
    >>> opt = SGD([minigrad.zeros(1, requires_grad=True)], lr=1.0)
    >>> sched = CosineAnnealingLR(opt, T_max=2)
    >>> lrs = []
    >>> for _ in range(3):
    ...     lrs.append(round(sched.get_last_lr()[0], 6)); opt.step(); sched.step()
    >>> lrs
    [1.0, 0.5, 0.0]
    """

    def __init__(self, optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1):
        if T_max <= 0:
            raise ValueError(f"CosineAnnealingLR: T_max must be positive, got {T_max}")
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        t, T, lo = self.last_epoch, self.T_max, self.eta_min
        if self._is_initial:
            return self._lrs()
        if self._step_count == 1 and t > 0:
            return [lo + (b - lo) * (1 + math.cos(t * math.pi / T)) / 2 for b in self.base_lrs]
        if (t - 1 - T) % (2 * T) == 0:
            return [
                lr + (b - lo) * (1 - math.cos(math.pi / T)) / 2
                for b, lr in zip(self.base_lrs, self._lrs())
            ]
        ratio = (1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T))
        return [ratio * (lr - lo) + lo for lr in self._lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        t, T, lo = self.last_epoch, self.T_max, self.eta_min
        return [lo + (b - lo) * (1 + math.cos(math.pi * t / T)) / 2 for b in self.base_lrs]


class LinearLR(LRScheduler):
    """Scale the learning rate linearly from ``start_factor`` to ``end_factor`` (warm-up).

    Over ``total_iters`` epochs the factor goes linearly from ``start_factor`` to
    ``end_factor``, then stays there.

    Parameters
    ----------
    optimizer : Optimizer
        The optimizer.
    start_factor : float
        Factor of the first epoch, in (0, 1] (default 1/3).
    end_factor : float
        Final factor, in [0, 1] (default 1).
    total_iters : int
        Number of epochs of the ramp (default 5).
    last_epoch : int
        See :class:`LRScheduler`.

    Raises
    ------
    ValueError
        If a factor is out of range.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.optim import SGD
    >>> from minigrad.optim.lr_scheduler import LinearLR
    >>> opt = SGD([minigrad.zeros(1, requires_grad=True)], lr=1.0)
    >>> sched = LinearLR(opt, start_factor=0.25, total_iters=3)
    >>> lrs = []
    >>> for _ in range(5):
    ...     lrs.append(round(sched.get_last_lr()[0], 6)); opt.step(); sched.step()
    >>> lrs
    [0.25, 0.5, 0.75, 1.0, 1.0]
    """

    def __init__(
        self,
        optimizer,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
        last_epoch: int = -1,
    ):
        if start_factor > 1.0 or start_factor <= 0:
            raise ValueError(
                "LinearLR: starting multiplicative factor expected to be greater than 0 and "
                f"less or equal to 1, got {start_factor}"
            )
        if end_factor > 1.0 or end_factor < 0:
            raise ValueError(
                f"LinearLR: ending multiplicative factor expected to be between 0 and 1, "
                f"got {end_factor}"
            )
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0:
            return [lr * self.start_factor for lr in self._lrs()]
        if self._is_initial or self.last_epoch > self.total_iters:
            return self._lrs()
        d = self.end_factor - self.start_factor
        f = 1.0 + d / (self.total_iters * self.start_factor + (self.last_epoch - 1) * d)
        return [lr * f for lr in self._lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        d = self.end_factor - self.start_factor
        f = self.start_factor + d * min(self.total_iters, self.last_epoch) / self.total_iters
        return [b * f for b in self.base_lrs]


class LambdaLR(LRScheduler):
    """Set the learning rate to ``initial_lr * lr_lambda(epoch)``.

    Parameters
    ----------
    optimizer : Optimizer
        The optimizer.
    lr_lambda : callable or list of callable
        A function of the epoch index, or one per parameter group.
    last_epoch : int
        See :class:`LRScheduler`.

    Raises
    ------
    ValueError
        If a list of functions does not have one per parameter group.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.optim import SGD
    >>> from minigrad.optim.lr_scheduler import LambdaLR
    >>> opt = SGD([minigrad.zeros(1, requires_grad=True)], lr=2.0)
    >>> sched = LambdaLR(opt, lambda epoch: 0.5**epoch)
    >>> opt.step(); sched.step(); sched.get_last_lr()
    [1.0]
    """

    def __init__(self, optimizer, lr_lambda, last_epoch: int = -1):
        self.lr_lambdas = _per_group("LambdaLR", "lr_lambdas", optimizer, lr_lambda)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return [b * f(self.last_epoch) for f, b in zip(self.lr_lambdas, self.base_lrs)]


class ExponentialLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every epoch.

    Parameters
    ----------
    optimizer : Optimizer
        The optimizer.
    gamma : float
        Multiplicative factor per epoch.
    last_epoch : int
        See :class:`LRScheduler`.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.optim import SGD
    >>> from minigrad.optim.lr_scheduler import ExponentialLR
    >>> opt = SGD([minigrad.zeros(1, requires_grad=True)], lr=1.0)
    >>> sched = ExponentialLR(opt, gamma=0.5)
    >>> opt.step(); sched.step(); opt.step(); sched.step(); sched.get_last_lr()
    [0.25]
    """

    def __init__(self, optimizer, gamma: float, last_epoch: int = -1):
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self._is_initial:
            return self._lrs()
        return [lr * self.gamma for lr in self._lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        return [b * self.gamma**self.last_epoch for b in self.base_lrs]


class ConstantLR(LRScheduler):
    """Multiply the learning rate by ``factor`` for the first ``total_iters`` epochs.

    Parameters
    ----------
    optimizer : Optimizer
        The optimizer.
    factor : float
        Factor in [0, 1] applied until ``total_iters`` (default 1/3).
    total_iters : int
        Number of epochs with the reduced rate (default 5).
    last_epoch : int
        See :class:`LRScheduler`.

    Raises
    ------
    ValueError
        If ``factor`` is outside [0, 1].

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.optim import SGD
    >>> from minigrad.optim.lr_scheduler import ConstantLR
    >>> opt = SGD([minigrad.zeros(1, requires_grad=True)], lr=1.0)
    >>> sched = ConstantLR(opt, factor=0.5, total_iters=2)
    >>> lrs = []
    >>> for _ in range(4):
    ...     lrs.append(sched.get_last_lr()[0]); opt.step(); sched.step()
    >>> lrs
    [0.5, 0.5, 1.0, 1.0]
    """

    def __init__(self, optimizer, factor: float = 1.0 / 3, total_iters: int = 5,
                 last_epoch: int = -1):  # fmt: skip
        if factor > 1.0 or factor < 0:
            raise ValueError(
                f"ConstantLR: constant multiplicative factor expected to be between 0 and 1, "
                f"got {factor}"
            )
        self.factor = factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0:
            return [lr * self.factor for lr in self._lrs()]
        if self.last_epoch != self.total_iters:
            return self._lrs()
        return [lr * (1.0 / self.factor) for lr in self._lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        f = self.factor + (self.last_epoch >= self.total_iters) * (1 - self.factor)
        return [b * f for b in self.base_lrs]


class PolynomialLR(LRScheduler):
    """Decay the learning rate as ``(1 - t / total_iters) ** power`` down to 0.

    Parameters
    ----------
    optimizer : Optimizer
        The optimizer.
    total_iters : int
        Epochs until the rate reaches 0 (default 5).
    power : float
        Power of the polynomial (default 1).
    last_epoch : int
        See :class:`LRScheduler`.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.optim import SGD
    >>> from minigrad.optim.lr_scheduler import PolynomialLR
    >>> opt = SGD([minigrad.zeros(1, requires_grad=True)], lr=1.0)
    >>> sched = PolynomialLR(opt, total_iters=4)
    >>> lrs = []
    >>> for _ in range(5):
    ...     lrs.append(round(sched.get_last_lr()[0], 6)); opt.step(); sched.step()
    >>> lrs
    [1.0, 0.75, 0.5, 0.25, 0.0]
    """

    def __init__(self, optimizer, total_iters: int = 5, power: float = 1.0,
                 last_epoch: int = -1):  # fmt: skip
        self.total_iters = total_iters
        self.power = power
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self._is_initial or self.last_epoch > self.total_iters:
            return self._lrs()
        t, n = self.last_epoch, self.total_iters
        f = ((1.0 - t / n) / (1.0 - (t - 1) / n)) ** self.power
        return [lr * f for lr in self._lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        f = (1.0 - min(self.total_iters, self.last_epoch) / self.total_iters) ** self.power
        return [b * f for b in self.base_lrs]


# Schedules in files of their own, exported here as in torch.optim.lr_scheduler.
from minigrad.optim.cyclic import CyclicLR, MultiplicativeLR  # noqa: E402
from minigrad.optim.one_cycle import OneCycleLR  # noqa: E402
from minigrad.optim.plateau import ReduceLROnPlateau  # noqa: E402
from minigrad.optim.scheduler_chain import ChainedScheduler, SequentialLR  # noqa: E402
from minigrad.optim.warm_restarts import CosineAnnealingWarmRestarts  # noqa: E402
