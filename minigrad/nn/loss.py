"""Loss modules: thin wrappers that hold the options and call the functional losses in
:mod:`minigrad.ops.nn.loss.loss`.

Examples
--------
>>> import minigrad
>>> from minigrad import nn
>>> loss_fn = nn.CrossEntropyLoss(label_smoothing=0.1)
>>> loss_fn
CrossEntropyLoss(label_smoothing=0.1)
>>> loss_fn(minigrad.zeros(2, 3), minigrad.tensor([0, 2])).item() > 0
True
"""

from __future__ import annotations

from minigrad.nn.module import Module
from minigrad.ops.nn.loss import loss as _loss
from minigrad.ops.nn.loss.huber_loss import huber_loss
from minigrad.ops.nn.loss.kl_div import kl_div

__all__ = [
    "CrossEntropyLoss",
    "NLLLoss",
    "MSELoss",
    "L1Loss",
    "SmoothL1Loss",
    "BCEWithLogitsLoss",
    "BCELoss",
    "HuberLoss",
    "KLDivLoss",
]


class _Loss(Module):
    def __init__(self, size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__()
        if size_average is not None or reduce is not None:
            raise ValueError(
                f"{type(self).__name__}: size_average and reduce are deprecated; use reduction="
            )
        _loss._check_reduction(type(self).__name__, reduction)
        self.reduction = reduction

    def extra_repr(self) -> str:
        return "" if self.reduction == "mean" else f"reduction='{self.reduction}'"


class _WeightedLoss(_Loss):
    def __init__(self, weight=None, size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)


class CrossEntropyLoss(_WeightedLoss):
    """Cross entropy of logits and class indices (or class probabilities); see
    :func:`~minigrad.nn.functional.cross_entropy`.

    Parameters
    ----------
    weight : Tensor, optional
        A weight per class, shape ``(C,)`` (a buffer: moved by ``.to()``).
    size_average, reduce : None
        Deprecated PyTorch arguments; must be left as ``None``.
    ignore_index : int
        Target value that is ignored (default -100).
    reduction : {'mean', 'sum', 'none'}
        How to reduce the per-sample losses.
    label_smoothing : float
        Uniform smoothing of the targets, in ``[0, 1]``.

    Raises
    ------
    ValueError
        For an unknown reduction.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> loss = nn.CrossEntropyLoss()
    >>> loss(minigrad.zeros(2, 4), minigrad.tensor([0, 3]))
    tensor(1.3863)
    """

    def __init__(self, weight=None, size_average=None, ignore_index: int = -100, reduce=None,
                 reduction: str = "mean", label_smoothing: float = 0.0):  # fmt: skip
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input, target):
        return _loss.cross_entropy(
            input, target, weight=self.weight, ignore_index=self.ignore_index,
            reduction=self.reduction, label_smoothing=self.label_smoothing,
        )  # fmt: skip

    def extra_repr(self) -> str:
        parts = [super().extra_repr()]
        if self.ignore_index != -100:
            parts.append(f"ignore_index={self.ignore_index}")
        if self.label_smoothing:
            parts.append(f"label_smoothing={self.label_smoothing}")
        return ", ".join(p for p in parts if p)


class NLLLoss(_WeightedLoss):
    """Negative log likelihood of class indices given log-probabilities; see
    :func:`~minigrad.nn.functional.nll_loss`.

    Parameters
    ----------
    weight : Tensor, optional
        A weight per class, shape ``(C,)``.
    size_average, reduce : None
        Deprecated PyTorch arguments; must be left as ``None``.
    ignore_index : int
        Target value that is ignored (default -100).
    reduction : {'mean', 'sum', 'none'}
        How to reduce the per-sample losses.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.NLLLoss()(minigrad.tensor([[-0.1, -2.0]]), minigrad.tensor([0]))
    tensor(0.1)
    """

    def __init__(self, weight=None, size_average=None, ignore_index: int = -100, reduce=None,
                 reduction: str = "mean"):  # fmt: skip
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input, target):
        return _loss.nll_loss(input, target, weight=self.weight,
                              ignore_index=self.ignore_index, reduction=self.reduction)  # fmt: skip


class MSELoss(_Loss):
    """Mean squared error; see :func:`~minigrad.nn.functional.mse_loss`.

    Parameters
    ----------
    size_average, reduce : None
        Deprecated PyTorch arguments; must be left as ``None``.
    reduction : {'mean', 'sum', 'none'}
        How to reduce the elementwise losses.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.MSELoss(reduction="sum")(minigrad.tensor([1.0, 3.0]), minigrad.zeros(2))
    tensor(10.)
    """

    def forward(self, input, target):
        return _loss.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """Mean absolute error; see :func:`~minigrad.nn.functional.l1_loss`.

    Parameters
    ----------
    size_average, reduce : None
        Deprecated PyTorch arguments; must be left as ``None``.
    reduction : {'mean', 'sum', 'none'}
        How to reduce the elementwise losses.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.L1Loss()(minigrad.tensor([1.0, 2.0]), minigrad.tensor([0.0, 4.0]))
    tensor(1.5)
    """

    def forward(self, input, target):
        return _loss.l1_loss(input, target, reduction=self.reduction)


class SmoothL1Loss(_Loss):
    """Huber-like loss with threshold ``beta``; see
    :func:`~minigrad.nn.functional.smooth_l1_loss`.

    Parameters
    ----------
    size_average, reduce : None
        Deprecated PyTorch arguments; must be left as ``None``.
    reduction : {'mean', 'sum', 'none'}
        How to reduce the elementwise losses.
    beta : float
        Where the loss turns from quadratic to linear (default 1).

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.SmoothL1Loss()(minigrad.tensor([0.5, 3.0]), minigrad.tensor([0.0, 0.0]))
    tensor(1.3125)
    """

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean",
                 beta: float = 1.0):  # fmt: skip
        super().__init__(size_average, reduce, reduction)
        self.beta = beta

    def forward(self, input, target):
        return _loss.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class BCEWithLogitsLoss(_Loss):
    """Binary cross entropy of logits (stable); see
    :func:`~minigrad.nn.functional.binary_cross_entropy_with_logits`.

    Parameters
    ----------
    weight : Tensor, optional
        Weights broadcast to the input (a buffer).
    size_average, reduce : None
        Deprecated PyTorch arguments; must be left as ``None``.
    reduction : {'mean', 'sum', 'none'}
        How to reduce the elementwise losses.
    pos_weight : Tensor, optional
        Weight of positive examples per class (a buffer).

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.BCEWithLogitsLoss()(minigrad.tensor([0.0]), minigrad.tensor([1.0]))
    tensor(0.6931)
    """

    def __init__(self, weight=None, size_average=None, reduce=None, reduction: str = "mean",
                 pos_weight=None):  # fmt: skip
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input, target):
        return _loss.binary_cross_entropy_with_logits(
            input, target, self.weight, reduction=self.reduction, pos_weight=self.pos_weight
        )


class BCELoss(_WeightedLoss):
    """Binary cross entropy of probabilities; see
    :func:`~minigrad.nn.functional.binary_cross_entropy`.

    Parameters
    ----------
    weight : Tensor, optional
        Weights broadcast to the input (a buffer).
    size_average, reduce : None
        Deprecated PyTorch arguments; must be left as ``None``.
    reduction : {'mean', 'sum', 'none'}
        How to reduce the elementwise losses.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.BCELoss()(minigrad.tensor([0.5]), minigrad.tensor([1.0]))
    tensor(0.6931)
    """

    def forward(self, input, target):
        return _loss.binary_cross_entropy(input, target, self.weight, reduction=self.reduction)


class HuberLoss(_Loss):
    """Huber loss with threshold ``delta``; see :func:`~minigrad.nn.functional.huber_loss`.

    Parameters
    ----------
    reduction : {'mean', 'sum', 'none'}
        How to reduce the elementwise losses.
    delta : float
        Where the loss turns from quadratic to linear (default 1).

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.HuberLoss(delta=2.0)(minigrad.tensor([0.5, 3.0]), minigrad.tensor([0.0, 0.0]))
    tensor(2.0625)
    """

    def __init__(self, reduction: str = "mean", delta: float = 1.0):
        super().__init__(reduction=reduction)
        self.delta = delta

    def forward(self, input, target):
        return huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class KLDivLoss(_Loss):
    """Kullback-Leibler divergence of log-probabilities ``input`` from ``target``; see
    :func:`~minigrad.nn.functional.kl_div`.

    Parameters
    ----------
    size_average, reduce : None
        Deprecated PyTorch arguments; must be left as ``None``.
    reduction : {'mean', 'batchmean', 'sum', 'none'}
        ``'batchmean'`` gives the divergence per sample.
    log_target : bool
        Whether ``target`` holds log-probabilities.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> loss = nn.KLDivLoss(reduction="batchmean")
    >>> loss(minigrad.tensor([[0.5, 0.5]]).log(), minigrad.tensor([[0.25, 0.75]]))
    tensor(0.1308)
    """

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean",
                 log_target: bool = False):  # fmt: skip
        if size_average is not None or reduce is not None:
            raise ValueError("KLDivLoss: size_average and reduce are deprecated; use reduction=")
        if reduction not in ("none", "batchmean", "sum", "mean"):
            raise ValueError(
                f"KLDivLoss: reduction={reduction!r} is not valid; expected one of "
                "('none', 'batchmean', 'sum', 'mean')"
            )
        Module.__init__(self)
        self.reduction = reduction
        self.log_target = log_target

    def forward(self, input, target):
        return kl_div(input, target, reduction=self.reduction, log_target=self.log_target)
