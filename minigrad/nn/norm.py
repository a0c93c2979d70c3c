"""Normalization layers: BatchNorm1d/2d/3d, BatchRenorm1d/2d, InstanceNorm1d/2d (LayerNorm,
GroupNorm and RMSNorm are in :mod:`minigrad.nn.norm_sample`).

The layers are thin, as in PyTorch: they hold the parameters (``weight``, ``bias``) and
the buffers (``running_mean``, ``running_var``, ``num_batches_tracked``) and call the
functional ops of :mod:`minigrad.ops.nn.norm.norm`, where all the math lives.

Semantics follow PyTorch exactly:

* ``momentum=None`` makes the running statistics a cumulative average: the momentum
  of step ``t`` is ``1 / t`` (``t = num_batches_tracked``, an int64 buffer);
* ``track_running_stats=False`` keeps no buffers (they are ``None``) and normalizes
  with batch statistics in evaluation too;
* ``affine=False`` (``elementwise_affine=False``) has ``weight = bias = None``;
* buffers are registered with ``register_buffer``: saved in the ``state_dict``, moved
  by ``.to()``, never returned by ``parameters()``.
"""

from __future__ import annotations

import warnings

import minigrad
from minigrad.nn.module import Module
from minigrad.nn.parameter import Parameter
from minigrad.ops.nn.norm import norm as F

__all__ = [
    "BatchNorm1d",
    "BatchNorm2d",
    "BatchNorm3d",
    "BatchRenorm1d",
    "BatchRenorm2d",
    "InstanceNorm1d",
    "InstanceNorm2d",
    "renorm_schedule",
]


class _NormBase(Module):
    """Parameters and running buffers shared by batch and instance norms."""

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        device=None,
        dtype=None,
    ):
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        kw = {"device": device, "dtype": dtype}
        if affine:
            self.weight = Parameter(minigrad.ones(num_features, **kw))
            self.bias = Parameter(minigrad.zeros(num_features, **kw))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", minigrad.zeros(num_features, **kw))
            self.register_buffer("running_var", minigrad.ones(num_features, **kw))
            self.register_buffer(
                "num_batches_tracked",
                minigrad.tensor(0, dtype=minigrad.int64, device=device),
            )
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self) -> None:
        """Running mean 0, running variance 1, no batches tracked."""
        if self.track_running_stats:
            self.running_mean._data[...] = 0
            self.running_var._data[...] = 1
            self.num_batches_tracked._data[...] = 0

    def reset_parameters(self) -> None:
        """Reset the buffers, and the affine parameters to weight 1, bias 0."""
        self.reset_running_stats()
        if self.affine:
            self.weight._data[...] = 1
            self.bias._data[...] = 0

    def _check_input_dim(self, input) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _check_features(self, input) -> None:
        if input.ndim >= 2 and input.shape[1] != self.num_features:
            raise ValueError(
                f"{type(self).__name__}: expected input with {self.num_features} channels "
                f"(num_features) at dim 1, got input of shape {tuple(input.shape)}"
            )

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, track_running_stats={self.track_running_stats}"
        )


class _BatchNorm(_NormBase):
    _ranks: tuple = ()
    _shape_names: str = ""

    def _check_input_dim(self, input) -> None:
        if input.ndim not in self._ranks:
            got = f"{input.ndim}D input of shape {tuple(input.shape)}"
            raise ValueError(
                f"{type(self).__name__}: expected {self._shape_names} input, got {got}"
            )
        self._check_features(input)

    def _momentum_and_mode(self):
        """PyTorch's bookkeeping: count the batch, pick the momentum (``1/t`` when
        momentum is None), and whether batch statistics are used."""
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked._data += 1
            if self.momentum is None:
                factor = 1.0 / float(self.num_batches_tracked._data)
        use_batch = self.training or (self.running_mean is None and self.running_var is None)
        keep = not self.training or self.track_running_stats
        rm = self.running_mean if keep else None
        rv = self.running_var if keep else None
        return factor, use_batch, rm, rv

    def forward(self, input):
        self._check_input_dim(input)
        factor, use_batch, rm, rv = self._momentum_and_mode()
        return F.batch_norm(input, rm, rv, self.weight, self.bias, use_batch, factor, self.eps)


class BatchNorm1d(_BatchNorm):
    """Batch normalization over a 2-d ``(N, C)`` or 3-d ``(N, C, L)`` input.

    Parameters
    ----------
    num_features : int
        ``C``.
    eps : float
        Added to the variance (default 1e-5).
    momentum : float or None
        Weight of each new batch in the running statistics (default 0.1); ``None`` for
        a cumulative average.
    affine : bool
        Learnable per-channel ``weight`` (init 1) and ``bias`` (init 0).
    track_running_stats : bool
        Keep ``running_mean``, ``running_var`` and ``num_batches_tracked`` buffers and
        use them in evaluation; without them batch statistics are always used.
    device, dtype : optional
        Where and in which dtype to create the parameters and buffers.

    Raises
    ------
    ValueError
        On input of another rank, with another number of channels, or with one value
        per channel in training.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> bn = nn.BatchNorm1d(3)
    >>> y = bn(minigrad.randn(8, 3))
    >>> y.shape, bn.num_batches_tracked
    ((8, 3), tensor(1))
    >>> [name for name, _ in bn.named_buffers()]
    ['running_mean', 'running_var', 'num_batches_tracked']
    """

    _ranks = (2, 3)
    _shape_names = "2D (N, C) or 3D (N, C, L)"


class BatchNorm2d(_BatchNorm):
    r"""Batch normalization over a 4-d ``(N, C, H, W)`` input, per channel.

    .. math::

        y = \frac{x - \mathrm{E}[x]}{\sqrt{\mathrm{Var}[x] + \epsilon}} \gamma + \beta

    In training, the mean and the biased variance are taken per channel over ``N``, ``H``
    and ``W``, and the running statistics are updated with
    ``new = (1 - momentum) * old + momentum * batch`` (storing the unbiased variance); in
    evaluation, ``running_mean`` and ``running_var`` replace them.

    Parameters
    ----------
    num_features : int
        ``C``, the number of channels.
    eps : float
        Added to the variance (default 1e-5).
    momentum : float or None
        Weight of each new batch in the running statistics (default 0.1); ``None`` for
        a cumulative average.
    affine : bool
        Learnable per-channel ``weight`` (:math:`\gamma`, init 1) and ``bias``
        (:math:`\beta`, init 0).
    track_running_stats : bool
        Keep ``running_mean``, ``running_var`` and ``num_batches_tracked`` buffers and
        use them in evaluation; without them batch statistics are always used.
    device, dtype : optional
        Where and in which dtype to create the parameters and buffers.

    Raises
    ------
    ValueError
        On input that is not 4-d, with another number of channels, or with one value
        per channel in training.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> bn = nn.BatchNorm2d(2, momentum=None)
    >>> _ = bn(minigrad.randn(4, 2, 3, 3))
    >>> bn.eval()(minigrad.zeros(1, 2, 3, 3)).shape
    (1, 2, 3, 3)
    """

    _ranks = (4,)
    _shape_names = "4D (N, C, H, W)"


class BatchNorm3d(_BatchNorm):
    """Batch normalization over a 5-d ``(N, C, D, H, W)`` input, per channel.

    Parameters are as in :class:`BatchNorm1d`.

    Raises
    ------
    ValueError
        On input that is not 5-d or with another number of channels.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.BatchNorm3d(2)(minigrad.randn(2, 2, 2, 2, 2)).shape
    (2, 2, 2, 2, 2)
    """

    _ranks = (5,)
    _shape_names = "5D (N, C, D, H, W)"


# ----------------------------------------------------------------------- batch renorm
def renorm_schedule(
    step: int,
    rmax: float = 3.0,
    dmax: float = 5.0,
    warmup: int = 5000,
    rmax_steps: int = 40000,
    dmax_steps: int = 25000,
):
    """Ioffe's (2017) relaxation schedule for Batch Renormalization.

    Plain batch norm (``rmax = 1, dmax = 0``) for ``warmup`` steps, then ``rmax`` grows
    linearly to its final value over ``rmax_steps`` steps and ``dmax`` over
    ``dmax_steps``.

    Parameters
    ----------
    step : int
        The training step (the layer passes ``num_batches_tracked``).
    rmax, dmax : float
        Final limits.
    warmup, rmax_steps, dmax_steps : int
        Lengths of the phases, in steps.

    Returns
    -------
    tuple of float
        ``(rmax, dmax)`` at ``step``.

    Examples
    --------
    >>> from minigrad.nn.norm import renorm_schedule
    >>> renorm_schedule(0), renorm_schedule(10**6)
    ((1.0, 0.0), (3.0, 5.0))
    """
    t = max(0, step - warmup)
    r = 1.0 + (rmax - 1.0) * min(1.0, t / max(rmax_steps, 1))
    d = dmax * min(1.0, t / max(dmax_steps, 1))
    return r, d


class _BatchRenorm(_BatchNorm):
    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        rmax: float = 1.0,
        dmax: float = 0.0,
        schedule=None,
        device=None,
        dtype=None,
    ):
        super().__init__(num_features, eps, momentum, affine, True, device, dtype)
        self.rmax = rmax
        self.dmax = dmax
        self.schedule = schedule

    def forward(self, input):
        self._check_input_dim(input)
        factor, use_batch, rm, rv = self._momentum_and_mode()
        if self.training and self.schedule is not None:
            self.rmax, self.dmax = self.schedule(int(self.num_batches_tracked._data))
        return F.batch_renorm(
            input, rm, rv, self.weight, self.bias, use_batch, factor, self.eps,
            self.rmax, self.dmax,
        )  # fmt: skip

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, rmax={self.rmax}, dmax={self.dmax}"
        )


class BatchRenorm1d(_BatchRenorm):
    """Batch Renormalization (Ioffe, 2017) over ``(N, C)`` or ``(N, C, L)`` input.

    Like :class:`BatchNorm1d`, but in training the batch statistics are corrected
    towards the running ones by ``r = clip(sigma_B / sigma, 1/rmax, rmax)`` and
    ``d = clip((mu_B - mu) / sigma, -dmax, dmax)`` (constants for the gradient), so
    training and inference compute the same function. ``rmax`` and ``dmax`` are plain
    attributes: change them between steps, or pass ``schedule`` (a callable from the
    step number to ``(rmax, dmax)``, such as :func:`renorm_schedule`) and the layer
    sets them at each training step. The defaults (``rmax=1, dmax=0``) are exactly
    batch norm.

    Parameters
    ----------
    num_features : int
        ``C``.
    eps, momentum, affine : optional
        As in :class:`BatchNorm1d` (the running statistics are always tracked).
    rmax, dmax : float
        Initial clipping limits.
    schedule : callable, optional
        ``schedule(num_batches_tracked) -> (rmax, dmax)``.
    device, dtype : optional
        Where and in which dtype to create the parameters and buffers.

    Raises
    ------
    ValueError
        As :class:`BatchNorm1d`, and for ``rmax < 1`` or ``dmax < 0``.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> from minigrad.nn.norm import renorm_schedule
    >>> m = nn.BatchRenorm1d(4, schedule=lambda t: renorm_schedule(t, warmup=0))
    >>> _ = m(minigrad.randn(8, 4)); _ = m(minigrad.randn(8, 4))
    >>> m.rmax > 1.0, m.dmax > 0.0
    (True, True)
    """

    _ranks = (2, 3)
    _shape_names = "2D (N, C) or 3D (N, C, L)"


class BatchRenorm2d(_BatchRenorm):
    """Batch Renormalization over a 4-d ``(N, C, H, W)`` input; see
    :class:`BatchRenorm1d`.

    Parameters
    ----------
    num_features : int
        ``C``.
    eps, momentum, affine, rmax, dmax, schedule, device, dtype : optional
        As in :class:`BatchRenorm1d`.

    Raises
    ------
    ValueError
        On input that is not 4-d or with another number of channels.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> m = nn.BatchRenorm2d(2, rmax=2.0, dmax=1.0)
    >>> m(minigrad.randn(4, 2, 3, 3)).shape
    (4, 2, 3, 3)
    """

    _ranks = (4,)
    _shape_names = "4D (N, C, H, W)"


# ----------------------------------------------------------------------- instance norm
class _InstanceNorm(_NormBase):
    _rank: int = 0

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = False,
        track_running_stats: bool = False,
        device=None,
        dtype=None,
    ):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype)

    def _check_input_dim(self, input) -> None:
        if input.ndim not in (self._rank, self._rank - 1):
            raise ValueError(
                f"{type(self).__name__}: expected {self._rank - 1}D (unbatched) or "
                f"{self._rank}D (batched) input, got {input.ndim}D input of shape "
                f"{tuple(input.shape)}"
            )

    def forward(self, input):
        self._check_input_dim(input)
        unbatched = input.ndim == self._rank - 1
        if unbatched:
            input = input.unsqueeze(0)
        if input.shape[1] != self.num_features:
            if self.affine or self.track_running_stats:
                self._check_features(input)
            warnings.warn(
                f"{type(self).__name__}: input has {input.shape[1]} channels but "
                f"num_features={self.num_features}; as affine=False and "
                "track_running_stats=False, num_features is unused",
                stacklevel=2,
            )
        use_input_stats = self.training or not self.track_running_stats
        momentum = self.momentum if self.momentum is not None else 0.0
        y = F.instance_norm(
            input, self.running_mean, self.running_var, self.weight, self.bias,
            use_input_stats, momentum, self.eps,
        )  # fmt: skip
        return y.squeeze(0) if unbatched else y


class InstanceNorm1d(_InstanceNorm):
    """Instance normalization over ``(N, C, L)`` (or unbatched ``(C, L)``) input: each
    channel of each sample normalized over its ``L`` positions.

    Parameters
    ----------
    num_features : int
        ``C``.
    eps : float
        Added to the variance (default 1e-5).
    momentum : float or None
        For the running statistics when tracked (default 0.1).
    affine : bool
        Learnable per-channel weight and bias (default False).
    track_running_stats : bool
        Keep running statistics and use them in evaluation (default False).
    device, dtype : optional
        Where and in which dtype to create the parameters and buffers.

    Raises
    ------
    ValueError
        On input of another rank, or (when affine or tracking) another channel count.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.InstanceNorm1d(2)(minigrad.tensor([[[1.0, 3.0], [4.0, 0.0]]]))
    tensor([[[-1.,  1.],
             [ 1., -1.]]])
    """

    _rank = 3


class InstanceNorm2d(_InstanceNorm):
    """Instance normalization over ``(N, C, H, W)`` (or unbatched ``(C, H, W)``) input.

    Parameters are as in :class:`InstanceNorm1d`.

    Raises
    ------
    ValueError
        On input of another rank, or (when affine or tracking) another channel count.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.InstanceNorm2d(3, affine=True)(minigrad.randn(2, 3, 4, 4)).shape
    (2, 3, 4, 4)
    """

    _rank = 4
