"""The 1cycle learning-rate policy (PyTorch's ``OneCycleLR``; Smith & Topin, 2017).

The rate rises from ``max_lr / div_factor`` to ``max_lr`` over the first ``pct_start`` of
the steps, then falls to ``initial_lr / final_div_factor`` (cosine or linear
annealing); with ``three_phase`` it first comes back down symmetrically to the initial
rate, then falls. Momentum (SGD's ``momentum`` or Adam's ``beta1``) cycles the opposite
way between ``max_momentum`` and ``base_momentum``. Step it once per *batch*.
"""

from __future__ import annotations

import math

from minigrad.optim.lr_scheduler import LRScheduler, _per_group

__all__ = ["OneCycleLR"]


def _set_momentum(group: dict, momentum: float, use_beta1: bool) -> None:
    """Set a group's momentum, or its beta1 (``betas[0]``) for an Adam-like optimizer."""
    if use_beta1:
        group["betas"] = (momentum, *group["betas"][1:])
    else:
        group["momentum"] = momentum


def _momentum_cycling(name, optimizer, base_momentum, max_momentum, last_epoch):
    """``(use_beta1, base_momentums, max_momentums)`` of a scheduler that cycles the
    momentum (or beta1); on a fresh start (``last_epoch == -1``) each group's momentum is
    set to its maximum and the group records ``max_momentum`` and ``base_momentum``.

    Raises ValueError if the optimizer has neither ``momentum`` nor ``betas``.
    """
    if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
        raise ValueError(
            f"{name}: optimizer must support momentum or beta1 with `cycle_momentum` option enabled"
        )
    use_beta1 = "betas" in optimizer.defaults
    base_momentums = _per_group(name, "base_momentum values", optimizer, base_momentum)
    max_momentums = _per_group(name, "max_momentum values", optimizer, max_momentum)
    if last_epoch == -1:
        for mm, bm, group in zip(max_momentums, base_momentums, optimizer.param_groups):
            _set_momentum(group, mm, use_beta1)
            group["max_momentum"] = mm
            group["base_momentum"] = bm
    return use_beta1, base_momentums, max_momentums


class OneCycleLR(LRScheduler):
    """The 1cycle policy, as ``torch.optim.lr_scheduler.OneCycleLR``.

    Parameters
    ----------
    optimizer : Optimizer
        The optimizer.
    max_lr : float or list of float
        Peak learning rate (per group).
    total_steps : int, optional
        Number of steps in the cycle; or give ``epochs`` and ``steps_per_epoch``.
    epochs, steps_per_epoch : int, optional
        ``total_steps = epochs * steps_per_epoch``.
    pct_start : float
        Fraction of the steps spent increasing the rate (default 0.3).
    anneal_strategy : {'cos', 'linear'}
        Shape of the annealing (default 'cos').
    cycle_momentum : bool
        Cycle the momentum (SGD) or beta1 (Adam) inversely to the rate (default True).
    base_momentum, max_momentum : float or list of float
        Momentum bounds (defaults 0.85 and 0.95).
    div_factor : float
        ``initial_lr = max_lr / div_factor`` (default 25).
    final_div_factor : float
        ``min_lr = initial_lr / final_div_factor`` (default 1e4).
    three_phase : bool
        Use the three-phase schedule (fast.ai's).
    last_epoch : int
        Index of the last step; ``-1`` starts a new cycle.

    Raises
    ------
    ValueError
        For missing or non-positive step counts, a bad ``pct_start`` or
        ``anneal_strategy``, an optimizer without momentum when cycling it, or stepping
        past ``total_steps``.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.optim import SGD
    >>> from minigrad.optim.lr_scheduler import OneCycleLR
    >>> opt = SGD([minigrad.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9)
    >>> sched = OneCycleLR(opt, max_lr=1.0, total_steps=10)
    >>> lrs = []
    >>> for _ in range(10):
    ...     lrs.append(sched.get_last_lr()[0]); opt.step(); sched.step()
    >>> round(lrs[0], 4), round(max(lrs), 4), round(lrs[-1], 8)
    (0.04, 1.0, 4e-06)
    """

    def __init__(
        self,
        optimizer,
        max_lr,
        total_steps: int | None = None,
        epochs: int | None = None,
        steps_per_epoch: int | None = None,
        pct_start: float = 0.3,
        anneal_strategy: str = "cos",
        cycle_momentum: bool = True,
        base_momentum=0.85,
        max_momentum=0.95,
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        three_phase: bool = False,
        last_epoch: int = -1,
    ):
        self._attach(optimizer)
        if total_steps is not None:
            if not isinstance(total_steps, int) or total_steps <= 0:
                raise ValueError(
                    f"OneCycleLR: expected positive integer total_steps, but got {total_steps}"
                )
            self.total_steps = total_steps
        elif epochs is not None and steps_per_epoch is not None:
            if not isinstance(epochs, int) or epochs <= 0:
                raise ValueError(f"OneCycleLR: expected positive integer epochs, got {epochs}")
            if not isinstance(steps_per_epoch, int) or steps_per_epoch <= 0:
                raise ValueError(
                    f"OneCycleLR: expected positive integer steps_per_epoch, got {steps_per_epoch}"
                )
            self.total_steps = epochs * steps_per_epoch
        else:
            raise ValueError(
                "OneCycleLR: you must define either total_steps OR (epochs AND steps_per_epoch)"
            )
        if not isinstance(pct_start, float) or not 0 <= pct_start <= 1:
            raise ValueError(
                f"OneCycleLR: expected float between 0 and 1 pct_start, but got {pct_start}"
            )
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(
                "OneCycleLR: anneal_strategy must be one of 'cos' or 'linear', instead got "
                f"{anneal_strategy!r}"
            )
        self._anneal_func_type = anneal_strategy
        n = self.total_steps
        if three_phase:
            self._schedule_phases = [
                dict(end_step=float(pct_start * n) - 1, start_lr="initial_lr",
                     end_lr="max_lr", start_momentum="max_momentum",
                     end_momentum="base_momentum"),
                dict(end_step=float(2 * pct_start * n) - 2, start_lr="max_lr",
                     end_lr="initial_lr", start_momentum="base_momentum",
                     end_momentum="max_momentum"),
                dict(end_step=n - 1, start_lr="initial_lr", end_lr="min_lr",
                     start_momentum="max_momentum", end_momentum="max_momentum"),
            ]  # fmt: skip
        else:
            self._schedule_phases = [
                dict(end_step=float(pct_start * n) - 1, start_lr="initial_lr",
                     end_lr="max_lr", start_momentum="max_momentum",
                     end_momentum="base_momentum"),
                dict(end_step=n - 1, start_lr="max_lr", end_lr="min_lr",
                     start_momentum="base_momentum", end_momentum="max_momentum"),
            ]  # fmt: skip
        max_lrs = _per_group("OneCycleLR", "max_lr values", optimizer, max_lr)
        if last_epoch == -1:
            for m, group in zip(max_lrs, optimizer.param_groups):
                group["initial_lr"] = m / div_factor
                group["max_lr"] = m
                group["min_lr"] = group["initial_lr"] / final_div_factor
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self.use_beta1 = _momentum_cycling(
                "OneCycleLR", optimizer, base_momentum, max_momentum, last_epoch
            )[0]
        super().__init__(optimizer, last_epoch)

    def _anneal(self, start, end, pct):
        if self._anneal_func_type == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def get_lr(self) -> list[float]:
        step = self.last_epoch
        if step > self.total_steps:
            raise ValueError(
                f"OneCycleLR: tried to step {step} times; the specified number of total "
                f"steps is {self.total_steps}"
            )
        lrs = []
        last = len(self._schedule_phases) - 1
        for group in self.optimizer.param_groups:
            start_step = 0.0
            for i, phase in enumerate(self._schedule_phases):
                end_step = phase["end_step"]
                if step <= end_step or i == last:
                    pct = (step - start_step) / (end_step - start_step)
                    lr = self._anneal(group[phase["start_lr"]], group[phase["end_lr"]], pct)
                    if self.cycle_momentum:
                        mom = self._anneal(
                            group[phase["start_momentum"]], group[phase["end_momentum"]], pct
                        )
                    break
                start_step = phase["end_step"]
            lrs.append(lr)
            if self.cycle_momentum:
                _set_momentum(group, mom, self.use_beta1)
        return lrs
