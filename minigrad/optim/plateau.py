"""Reduce the learning rate when a metric stops improving (PyTorch's
``ReduceLROnPlateau``)."""

from __future__ import annotations

import math

from minigrad.optim.lr_scheduler import LRScheduler, _per_group, _warn_epoch_deprecated

__all__ = ["ReduceLROnPlateau"]


class ReduceLROnPlateau(LRScheduler):
    """Multiply the learning rate by ``factor`` once a metric has not improved for
    ``patience`` epochs, as ``torch.optim.lr_scheduler.ReduceLROnPlateau``.

    Call ``step(metric)`` once per epoch with the monitored value (e.g. validation loss).

    Parameters
    ----------
    optimizer : Optimizer
        The optimizer.
    mode : {'min', 'max'}
        Whether the metric should decrease or increase (default 'min').
    factor : float
        Factor of each reduction, < 1 (default 0.1).
    patience : int
        Epochs without improvement tolerated before reducing (default 10).
    threshold : float
        Least change that counts as an improvement (default 1e-4).
    threshold_mode : {'rel', 'abs'}
        ``'rel'``: better than ``best * (1 -+ threshold)``; ``'abs'``: than
        ``best -+ threshold``.
    cooldown : int
        Epochs to wait after a reduction before counting bad epochs again (default 0).
    min_lr : float or list of float
        Lower bound of the rate (per group).
    eps : float
        Reductions smaller than this are skipped (default 1e-8).

    Raises
    ------
    ValueError
        For ``factor >= 1``, an unknown mode, or a ``min_lr`` list of the wrong length.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.optim import SGD
    >>> from minigrad.optim.lr_scheduler import ReduceLROnPlateau
    >>> opt = SGD([minigrad.zeros(1, requires_grad=True)], lr=1.0)
    >>> sched = ReduceLROnPlateau(opt, patience=1, factor=0.5)
    >>> for val_loss in [1.0, 0.9, 0.9, 0.9, 0.9]:
    ...     sched.step(val_loss)
    >>> sched.get_last_lr()
    [0.5]
    """

    def __init__(
        self,
        optimizer,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr=0,
        eps: float = 1e-8,
    ):
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau: factor should be < 1.0, got {factor}")
        self.factor = factor
        self._attach(optimizer)
        self.default_min_lr = None if isinstance(min_lr, list | tuple) else min_lr
        self.min_lrs = _per_group("ReduceLROnPlateau", "min_lrs", optimizer, min_lr)
        self.patience = patience
        self.cooldown = cooldown
        self.eps = eps
        self.last_epoch = 0
        self._last_lr = self._lrs()
        self._init_is_better(mode, threshold, threshold_mode)
        self._reset()

    def _reset(self) -> None:
        self.best = self.mode_worse
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    def step(self, metrics, epoch=None) -> None:
        """Record this epoch's metric and reduce the rate if it has plateaued.

        Parameters
        ----------
        metrics : float or Tensor
            The monitored value.
        epoch : int, optional
            Deprecated (warned about, as in PyTorch).

        Examples
        --------
        >>> import minigrad
        >>> from minigrad.optim import SGD
        >>> from minigrad.optim.lr_scheduler import ReduceLROnPlateau
        >>> opt = SGD([minigrad.zeros(1, requires_grad=True)], lr=1.0)
        >>> sched = ReduceLROnPlateau(opt, mode="max", patience=0)
        >>> sched.step(0.5); sched.step(0.4); sched.get_last_lr()
        [0.1]
        """
        current = float(metrics)
        if epoch is None:
            epoch = self.last_epoch + 1
        else:
            _warn_epoch_deprecated()
        self.last_epoch = epoch
        if self._is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = self._lrs()

    def _reduce_lr(self) -> None:
        groups = self.optimizer.param_groups
        if len(groups) != len(self.min_lrs):
            if self.default_min_lr is None:
                raise RuntimeError(
                    f"ReduceLROnPlateau: the number of param groups in the optimizer "
                    f"({len(groups)}) differs from when it was initialized "
                    f"({len(self.min_lrs)}); set min_lrs to one value per group"
                )
            self.min_lrs = [self.default_min_lr] * len(groups)
        for i, group in enumerate(groups):
            old = float(group["lr"])
            new = max(old * self.factor, self.min_lrs[i])
            if old - new > self.eps:
                group["lr"] = new

    @property
    def in_cooldown(self) -> bool:
        """Whether the scheduler is waiting out its cooldown."""
        return self.cooldown_counter > 0

    def _is_better(self, a, best) -> bool:
        if self.mode == "min" and self.threshold_mode == "rel":
            return a < best * (1.0 - self.threshold)
        if self.mode == "min":
            return a < best - self.threshold
        if self.threshold_mode == "rel":
            return a > best * (self.threshold + 1.0)
        return a > best + self.threshold

    def _init_is_better(self, mode, threshold, threshold_mode) -> None:
        if mode not in ("min", "max"):
            raise ValueError(f"ReduceLROnPlateau: mode {mode!r} is unknown (expected min or max)")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(
                f"ReduceLROnPlateau: threshold mode {threshold_mode!r} is unknown "
                "(expected rel or abs)"
            )
        self.mode_worse = math.inf if mode == "min" else -math.inf
        self.mode = mode
        self.threshold = threshold
        self.threshold_mode = threshold_mode

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore the attributes saved by :meth:`state_dict`.

        Examples
        --------
        >>> import minigrad
        >>> from minigrad.optim import SGD
        >>> from minigrad.optim.lr_scheduler import ReduceLROnPlateau
        >>> opt = SGD([minigrad.zeros(1, requires_grad=True)], lr=1.0)
        >>> a, b = ReduceLROnPlateau(opt, patience=3), ReduceLROnPlateau(opt)
        >>> b.load_state_dict(a.state_dict()); b.patience
        3
        """
        self.__dict__.update(state_dict)
        self._init_is_better(self.mode, self.threshold, self.threshold_mode)
