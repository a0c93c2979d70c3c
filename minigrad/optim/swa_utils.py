"""Weight averaging (PyTorch's ``torch.optim.swa_utils``): :class:`AveragedModel` keeps a
running average of a model's parameters — the equal-weight average of SWA (Izmailov et
al. 2018) or an exponential moving average (EMA) — :func:`update_bn` recomputes its
BatchNorm statistics, and :class:`SWALR` anneals the learning rate to a constant for the
averaging phase.
"""

from __future__ import annotations

import copy
import itertools
import math

from minigrad.autograd.grad_mode import no_grad
from minigrad.nn.module import Module
from minigrad.optim.lr_scheduler import LRScheduler, _per_group

__all__ = [
    "AveragedModel", "SWALR", "update_bn", "get_ema_multi_avg_fn", "get_swa_multi_avg_fn",
    "get_ema_avg_fn", "get_swa_avg_fn",
]  # fmt: skip


def _check_decay(decay):
    if decay < 0.0 or decay > 1.0:
        raise ValueError(
            f"Invalid decay value {decay} provided. Please provide a value in [0,1] range."
        )


def _move_towards(averaged_list, current_list, weight: float) -> None:
    """In place, without recording gradients: ``a += weight * (p - a)`` for each pair,
    bumping each averaged tensor's version."""
    with no_grad():
        for a, p in zip(averaged_list, current_list):
            a._data += weight * (p._data - a._data)
            a._vc[0] += 1


def get_ema_multi_avg_fn(decay: float = 0.999):
    """An in-place EMA update of a list of averaged tensors: ``a += (1 - decay) * (p -
    a)``.

    Parameters
    ----------
    decay : float
        In [0, 1] (default 0.999).

    Returns
    -------
    callable
        ``update(averaged_list, current_list, num_averaged)``.

    Raises
    ------
    ValueError
        For a decay outside [0, 1].

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.optim.swa_utils import get_ema_multi_avg_fn
    >>> a = [minigrad.zeros(2)]
    >>> get_ema_multi_avg_fn(0.9)(a, [minigrad.ones(2)], 1); a[0]
    tensor([0.1, 0.1])
    """
    _check_decay(decay)

    def ema_update(ema_list, current_list, _):
        _move_towards(ema_list, current_list, 1 - decay)

    return ema_update


def get_swa_multi_avg_fn():
    """An in-place equal-weight running average: ``a += (p - a) / (n + 1)``.

    Returns
    -------
    callable
        ``update(averaged_list, current_list, num_averaged)``.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.optim.swa_utils import get_swa_multi_avg_fn
    >>> a = [minigrad.zeros(1)]
    >>> get_swa_multi_avg_fn()(a, [minigrad.full((1,), 3.0)], 2); a[0]
    tensor([1.])
    """

    def swa_update(averaged_list, current_list, num_averaged):
        _move_towards(averaged_list, current_list, 1.0 / (int(num_averaged) + 1))

    return swa_update


def get_ema_avg_fn(decay: float = 0.999):
    """The EMA as a function: ``decay * averaged + (1 - decay) * current``.

    Parameters
    ----------
    decay : float
        In [0, 1] (default 0.999).

    Returns
    -------
    callable
        ``avg_fn(averaged, current, num_averaged) -> Tensor``.

    Raises
    ------
    ValueError
        For a decay outside [0, 1].

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.optim.swa_utils import get_ema_avg_fn
    >>> get_ema_avg_fn(0.5)(minigrad.zeros(1), minigrad.ones(1), 1)
    tensor([0.5])
    """
    _check_decay(decay)

    def ema_update(ema_param, current_param, num_averaged):
        with no_grad():
            return decay * ema_param + (1 - decay) * current_param

    return ema_update


def get_swa_avg_fn():
    """The equal-weight running average as a function: ``a + (p - a) / (n + 1)``.

    Returns
    -------
    callable
        ``avg_fn(averaged, current, num_averaged) -> Tensor``.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.optim.swa_utils import get_swa_avg_fn
    >>> get_swa_avg_fn()(minigrad.zeros(1), minigrad.full((1,), 4.0), 1)
    tensor([2.])
    """

    def swa_update(averaged_param, current_param, num_averaged):
        with no_grad():
            return averaged_param + (current_param - averaged_param) / (int(num_averaged) + 1)

    return swa_update


class AveragedModel(Module):
    """A copy of ``model`` whose parameters are a running average of ``model``'s
    (PyTorch's ``AveragedModel``); call :meth:`update_parameters` after optimizer steps.

    Parameters
    ----------
    model : Module
        The model to average (deep-copied).
    device : str or Device, optional
        Where to keep the average.
    avg_fn : callable, optional
        ``avg_fn(averaged, current, num_averaged) -> Tensor`` per parameter.
    multi_avg_fn : callable, optional
        ``multi_avg_fn(averaged_list, current_list, num_averaged)`` in place (e.g.
        :func:`get_ema_multi_avg_fn`). Default: the SWA equal-weight average.
    use_buffers : bool
        Average the buffers too (otherwise they are copied from ``model``).

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> from minigrad.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn
    >>> model = nn.Linear(2, 1)
    >>> ema = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(0.9))
    >>> ema.update_parameters(model); int(ema.n_averaged)
    1
    >>> ema(minigrad.ones(1, 2)).shape
    (1, 1)
    """

    def __init__(self, model, device=None, avg_fn=None, multi_avg_fn=None,
                 use_buffers: bool = False):  # fmt: skip
        super().__init__()
        import minigrad

        self.module = copy.deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        self.register_buffer("n_averaged", minigrad.tensor(0, device=device))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def update_parameters(self, model) -> None:
        """Fold ``model``'s current parameters into the average (a copy the first time).

        Parameters
        ----------
        model : Module
            The model being trained.

        Examples
        --------
        >>> import minigrad
        >>> from minigrad import nn
        >>> from minigrad.optim.swa_utils import AveragedModel
        >>> m = nn.Linear(1, 1, bias=False)
        >>> swa = AveragedModel(m)
        >>> for v in (1.0, 3.0):
        ...     m.weight._data[...] = v
        ...     swa.update_parameters(m)
        >>> swa.module.weight.item()
        2.0
        """
        if self.use_buffers:
            own = list(itertools.chain(self.module.parameters(), self.module.buffers()))
            other = list(itertools.chain(model.parameters(), model.buffers()))
        else:
            own, other = list(self.module.parameters()), list(model.parameters())
        n = int(self.n_averaged)
        with no_grad():
            current = [p.detach().to(a.device) for a, p in zip(own, other)]
            averaged = [a.detach() for a in own]
            if n == 0:
                for a, p in zip(own, current):
                    a._data[...] = p._data
                    a._vc[0] += 1
            elif self.multi_avg_fn is not None or self.avg_fn is None:
                fn = self.multi_avg_fn or get_swa_multi_avg_fn()
                fn(averaged, current, n)
            else:
                for a, p in zip(own, current):
                    a._data[...] = self.avg_fn(a.detach(), p, n)._data
                    a._vc[0] += 1
            if not self.use_buffers:
                for b_avg, b_model in zip(self.module.buffers(), model.buffers()):
                    b_avg._data[...] = b_model.detach().to(b_avg.device)._data
            self.n_averaged._data[...] = n + 1


def update_bn(loader, model, device=None) -> None:
    """Recompute the BatchNorm running statistics of ``model`` with one pass over
    ``loader`` (cumulative averages, as PyTorch's ``update_bn``).

    Parameters
    ----------
    loader : iterable
        Batches; a list/tuple batch is taken to be ``(input, ...)``.
    model : Module
        The model (e.g. an :class:`AveragedModel`); its training mode is restored.
    device : str or Device, optional
        Move each input there first.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> from minigrad.optim.swa_utils import update_bn
    >>> model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    >>> update_bn([minigrad.randn(8, 2), minigrad.randn(8, 2)], model)
    >>> int(model[1].num_batches_tracked)
    2
    """
    from minigrad.nn.norm import _BatchNorm

    momenta = {}
    for m in model.modules():
        if isinstance(m, _BatchNorm):
            m.reset_running_stats()
            momenta[m] = m.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for m in momenta:
        m.momentum = None
    with no_grad():
        for batch in loader:
            if isinstance(batch, list | tuple):
                batch = batch[0]
            if device is not None:
                batch = batch.to(device)
            model(batch)
    for m, mom in momenta.items():
        m.momentum = mom
    model.train(was_training)


class SWALR(LRScheduler):
    """Anneal each group's rate to ``swa_lr`` over ``anneal_epochs`` epochs, then keep it
    (PyTorch's ``SWALR``).

    Parameters
    ----------
    optimizer : Optimizer
        The optimizer.
    swa_lr : float or list of float
        The rate of the averaging phase (per group).
    anneal_epochs : int
        Epochs of the annealing (default 10; 0 jumps at once).
    anneal_strategy : {'cos', 'linear'}
        Shape of the annealing (default 'cos').
    last_epoch : int
        See :class:`~minigrad.optim.lr_scheduler.LRScheduler`.

    Raises
    ------
    ValueError
        For an unknown strategy or a negative ``anneal_epochs``.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.optim import SGD
    >>> from minigrad.optim.swa_utils import SWALR
    >>> opt = SGD([minigrad.zeros(1, requires_grad=True)], lr=1.0)
    >>> sched = SWALR(opt, swa_lr=0.1, anneal_epochs=2, anneal_strategy="linear")
    >>> lrs = []
    >>> for _ in range(4):
    ...     lrs.append(round(sched.get_last_lr()[0], 6)); opt.step(); sched.step()
    >>> lrs
    [1.0, 0.55, 0.1, 0.1]
    """

    def __init__(self, optimizer, swa_lr, anneal_epochs: int = 10,
                 anneal_strategy: str = "cos", last_epoch: int = -1):  # fmt: skip
        swa_lrs = _per_group("SWALR", "swa_lr values", optimizer, swa_lr)
        for lr, group in zip(swa_lrs, optimizer.param_groups):
            group["swa_lr"] = lr
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(
                f"SWALR: anneal_strategy must be one of 'cos' or 'linear', instead got "
                f"{anneal_strategy!r}"
            )
        self.anneal_strategy = anneal_strategy
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(
                f"SWALR: anneal_epochs must be equal or greater than 0, got {anneal_epochs}"
            )
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    def _anneal(self, t):
        if self.anneal_strategy == "cos":
            return (1 - math.cos(math.pi * t)) / 2
        return t

    @staticmethod
    def _get_initial_lr(lr, swa_lr, alpha):
        if alpha == 1:
            return swa_lr
        return (lr - alpha * swa_lr) / (1 - alpha)

    def get_lr(self) -> list[float]:
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        prev_t = max(0, min(1, (step - 1) / max(1, self.anneal_epochs)))
        prev_alpha = self._anneal(prev_t)
        groups = self.optimizer.param_groups
        prev_lrs = [self._get_initial_lr(g["lr"], g["swa_lr"], prev_alpha) for g in groups]
        t = max(0, min(1, step / max(1, self.anneal_epochs)))
        alpha = self._anneal(t)
        return [g["swa_lr"] * alpha + lr * (1 - alpha) for g, lr in zip(groups, prev_lrs)]
