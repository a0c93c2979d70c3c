"""Schedulers made of schedulers: :class:`SequentialLR` (one after another, switching at
milestones) and :class:`ChainedScheduler` (all at once, their factors multiplied), with
PyTorch's semantics."""

from __future__ import annotations

from bisect import bisect_right

from minigrad.optim.lr_scheduler import LRScheduler
from minigrad.optim.plateau import ReduceLROnPlateau

__all__ = ["SequentialLR", "ChainedScheduler"]


def _check_schedulers(name, optimizer, schedulers):
    if len(schedulers) < 1:
        raise ValueError(f"{name} expects at least one scheduler, but got no scheduler.")
    for i, s in enumerate(schedulers):
        if not hasattr(s, "optimizer"):
            raise TypeError(
                f"{name}: scheduler at index {i} should have `optimizer` as its attribute."
            )
        if isinstance(s, ReduceLROnPlateau):
            raise ValueError(
                f"{name} does not support `ReduceLROnPlateau` scheduler as it requires "
                "additional kwargs to be specified when calling `step`, but got one at index "
                f"{i} in the given schedulers sequence."
            )
        if optimizer is not s.optimizer:
            raise ValueError(
                f"{name} expects all schedulers to belong to the same optimizer, but got "
                f"scheduler {type(s).__name__} at index {i} with a different optimizer"
            )


class SequentialLR(LRScheduler):
    """Run ``schedulers`` one after another, switching at the ``milestones`` epochs.

    At each milestone the next scheduler starts from its epoch 0 (e.g. a
    :class:`~minigrad.optim.lr_scheduler.LinearLR` warm-up, then a cosine decay).

    Parameters
    ----------
    optimizer : Optimizer
        The optimizer all schedulers act on.
    schedulers : list of LRScheduler
        The schedulers, in order.
    milestones : list of int
        Epochs at which to switch; one fewer than the schedulers.
    last_epoch : int
        See :class:`~minigrad.optim.lr_scheduler.LRScheduler`.

    Raises
    ------
    ValueError
        For no schedulers, a ReduceLROnPlateau, another optimizer, or a wrong number of
        milestones.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.optim import SGD
    >>> from minigrad.optim.lr_scheduler import ExponentialLR, LinearLR, SequentialLR
    >>> opt = SGD([minigrad.zeros(1, requires_grad=True)], lr=1.0)
    >>> warm = LinearLR(opt, start_factor=0.5, total_iters=2)
    >>> decay = ExponentialLR(opt, gamma=0.5)
    >>> sched = SequentialLR(opt, [warm, decay], milestones=[2])
    >>> lrs = []
    >>> for _ in range(5):
    ...     lrs.append(sched.get_last_lr()[0]); opt.step(); sched.step()
    >>> lrs
    [0.5, 0.75, 1.0, 0.5, 0.25]
    """

    def __init__(self, optimizer, schedulers, milestones, last_epoch: int = -1):
        _check_schedulers("SequentialLR", optimizer, schedulers)
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(
                "SequentialLR expects number of schedulers provided to be one more than the "
                f"number of milestone points, but got number of schedulers {len(schedulers)} "
                f"and the number of milestones to be equal to {len(milestones)}"
            )
        self._schedulers = list(schedulers)
        self._milestones = list(milestones)
        self.last_epoch = last_epoch + 1
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            group["lr"] = group["initial_lr"]
        self.recursive_undo()
        idx = bisect_right(self._milestones, 0)
        self._schedulers[idx]._initial_step()
        self._last_lr = self._schedulers[idx].get_last_lr()

    def recursive_undo(self, sched=None) -> None:
        """Undo the step every scheduler took when it was created."""
        scheds = self if sched is None else sched
        if hasattr(scheds, "_schedulers"):
            for s in scheds._schedulers:
                self.recursive_undo(s)
        elif hasattr(scheds, "last_epoch"):
            scheds.last_epoch -= 1

    def step(self) -> None:
        """Advance one epoch with the scheduler whose turn it is.

        Examples
        --------
        >>> import minigrad
        >>> from minigrad.optim import SGD
        >>> from minigrad.optim.lr_scheduler import ConstantLR, SequentialLR, StepLR
        >>> opt = SGD([minigrad.zeros(1, requires_grad=True)], lr=1.0)
        >>> s = SequentialLR(opt, [ConstantLR(opt, 0.1, 1), StepLR(opt, 1, 0.5)], [1])
        >>> opt.step(); s.step(); s.get_last_lr()
        [1.0]
        """
        self.last_epoch += 1
        idx = bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[idx]
        if idx > 0 and self._milestones[idx - 1] == self.last_epoch:
            scheduler._update_lr(0)
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()

    def state_dict(self) -> dict:
        """The attributes, with each scheduler's own state dict.

        Examples
        --------
        >>> import minigrad
        >>> from minigrad.optim import SGD
        >>> from minigrad.optim.lr_scheduler import ConstantLR, SequentialLR, StepLR
        >>> opt = SGD([minigrad.zeros(1, requires_grad=True)], lr=1.0)
        >>> s = SequentialLR(opt, [ConstantLR(opt), StepLR(opt, 2)], [3])
        >>> len(s.state_dict()["_schedulers"])
        2
        """
        sd = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "_schedulers")}
        sd["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return sd

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore :meth:`state_dict`'s attributes and each scheduler's state.

        Examples
        --------
        >>> import minigrad
        >>> from minigrad.optim import SGD
        >>> from minigrad.optim.lr_scheduler import ConstantLR, SequentialLR, StepLR
        >>> opt = SGD([minigrad.zeros(1, requires_grad=True)], lr=1.0)
        >>> s = SequentialLR(opt, [ConstantLR(opt), StepLR(opt, 2)], [3])
        >>> s.load_state_dict(s.state_dict()); s.last_epoch
        0
        """
        state_dict = dict(state_dict)
        subs = state_dict.pop("_schedulers")
        self.__dict__.update(state_dict)
        for s, sd in zip(self._schedulers, subs):
            s.load_state_dict(sd)


class ChainedScheduler(LRScheduler):
    """Step several schedulers together each epoch (their effects compose).

    Parameters
    ----------
    schedulers : list of LRScheduler
        Schedulers of one optimizer.
    optimizer : Optimizer, optional
        Their optimizer (default: the first scheduler's).

    Raises
    ------
    ValueError
        For no schedulers, a ReduceLROnPlateau, or schedulers of different optimizers.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.optim import SGD
    >>> from minigrad.optim.lr_scheduler import ChainedScheduler, ConstantLR, ExponentialLR
    >>> opt = SGD([minigrad.zeros(1, requires_grad=True)], lr=1.0)
    >>> s = ChainedScheduler([ConstantLR(opt, 0.5, 2), ExponentialLR(opt, 0.5)])
    >>> lrs = []
    >>> for _ in range(3):
    ...     lrs.append(s.get_last_lr()[0]); opt.step(); s.step()
    >>> lrs
    [0.5, 0.25, 0.25]
    """

    def __init__(self, schedulers, optimizer=None):
        optimizer = optimizer or schedulers[0].optimizer
        _check_schedulers("ChainedScheduler", optimizer, schedulers)
        self._schedulers = list(schedulers)
        self.optimizer = optimizer
        self._last_lr = self._lrs()

    def step(self) -> None:
        """Step every scheduler once.

        Examples
        --------
        >>> import minigrad
        >>> from minigrad.optim import SGD
        >>> from minigrad.optim.lr_scheduler import ChainedScheduler, ExponentialLR
        >>> opt = SGD([minigrad.zeros(1, requires_grad=True)], lr=1.0)
        >>> s = ChainedScheduler([ExponentialLR(opt, 0.5)])
        >>> opt.step(); s.step(); s.get_last_lr()
        [0.5]
        """
        for s in self._schedulers:
            s.step()
        self._last_lr = self._lrs()

    state_dict = SequentialLR.state_dict
    load_state_dict = SequentialLR.load_state_dict
