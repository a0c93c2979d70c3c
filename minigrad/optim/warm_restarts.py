"""Cosine annealing with warm restarts (SGDR, Loshchilov & Hutter 2016; PyTorch's
``CosineAnnealingWarmRestarts``)."""

from __future__ import annotations

import math

from minigrad.optim.lr_scheduler import LRScheduler

__all__ = ["CosineAnnealingWarmRestarts"]


class CosineAnnealingWarmRestarts(LRScheduler):
    """Cosine annealing from the initial rate to ``eta_min`` over ``T_i`` epochs, then a
    restart; ``T_i`` starts at ``T_0`` and is multiplied by ``T_mult`` at each restart.

    ``lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * T_cur / T_i)) / 2``.
    :meth:`step` also takes a fractional epoch (``step(epoch + i / iters)`` per batch).

    Parameters
    ----------
    optimizer : Optimizer
        The optimizer.
    T_0 : int
        Epochs until the first restart.
    T_mult : int
        Growth factor of the period after each restart (default 1).
    eta_min : float
        Minimum learning rate (default 0).
    last_epoch : int
        See :class:`~minigrad.optim.lr_scheduler.LRScheduler`.

    Raises
    ------
    ValueError
        For a non-positive ``T_0``, ``T_mult < 1``, or a negative epoch.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.optim import SGD
    >>> from minigrad.optim.lr_scheduler import CosineAnnealingWarmRestarts
    >>> opt = SGD([minigrad.zeros(1, requires_grad=True)], lr=1.0)
    >>> sched = CosineAnnealingWarmRestarts(opt, T_0=2)
    >>> lrs = []
    >>> for _ in range(5):
    ...     lrs.append(round(sched.get_last_lr()[0], 6)); opt.step(); sched.step()
    >>> lrs
    [1.0, 0.5, 1.0, 0.5, 1.0]
    """

    def __init__(self, optimizer, T_0: int, T_mult: int = 1, eta_min: float = 0.0,
                 last_epoch: int = -1):  # fmt: skip
        if not isinstance(T_0, int) or T_0 <= 0:
            raise ValueError(
                f"CosineAnnealingWarmRestarts: expected positive integer T_0, but got {T_0}"
            )
        if not isinstance(T_mult, int) or T_mult < 1:
            raise ValueError(
                f"CosineAnnealingWarmRestarts: expected integer T_mult >= 1, but got {T_mult}"
            )
        if not isinstance(eta_min, float | int):
            raise ValueError(
                f"CosineAnnealingWarmRestarts: expected float or int eta_min, but got {eta_min!r}"
            )
        self.T_0 = T_0
        self.T_i = T_0
        self.T_mult = T_mult
        self.eta_min = eta_min
        self.T_cur = last_epoch
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        lo = self.eta_min
        c = (1 + math.cos(math.pi * self.T_cur / self.T_i)) / 2
        return [lo + (b - lo) * c for b in self.base_lrs]

    def step(self, epoch=None) -> None:
        """Advance one epoch, or go to ``epoch`` (which may be fractional).

        Examples
        --------
        >>> import minigrad
        >>> from minigrad.optim import SGD
        >>> from minigrad.optim.lr_scheduler import CosineAnnealingWarmRestarts
        >>> opt = SGD([minigrad.zeros(1, requires_grad=True)], lr=1.0)
        >>> sched = CosineAnnealingWarmRestarts(opt, T_0=4)
        >>> sched.step(2.0); sched.get_last_lr()
        [0.5]
        """
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur = self.T_cur + 1
            if self.T_cur >= self.T_i:
                self.T_cur = self.T_cur % self.T_i
                self.T_i = self.T_i * self.T_mult
        else:
            if epoch < 0:
                raise ValueError(
                    f"CosineAnnealingWarmRestarts: expected non-negative epoch, but got {epoch}"
                )
            if epoch >= self.T_0:
                if self.T_mult == 1:
                    self.T_cur = epoch % self.T_0
                else:
                    n = int(math.log((epoch / self.T_0 * (self.T_mult - 1) + 1), self.T_mult))
                    self.T_cur = epoch - self.T_0 * (self.T_mult**n - 1) / (self.T_mult - 1)
                    self.T_i = self.T_0 * self.T_mult ** (n)
            else:
                self.T_i = self.T_0
                self.T_cur = epoch
        self.last_epoch = math.floor(epoch)
        self._step_count += 1
        for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
            group["lr"] = lr
        self._last_lr = self._lrs()
