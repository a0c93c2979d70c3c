"""Margin and embedding loss modules (the math is :mod:`minigrad.ops.nn.loss.margin_loss`)."""

from __future__ import annotations

from minigrad.nn.loss import _Loss
from minigrad.ops.nn.loss import margin_loss as _m

__all__ = [
    "MarginRankingLoss", "HingeEmbeddingLoss", "SoftMarginLoss", "CosineEmbeddingLoss",
    "TripletMarginLoss", "MultiLabelSoftMarginLoss",
]  # fmt: skip


class MarginRankingLoss(_Loss):
    """See :func:`~minigrad.nn.functional.margin_ranking_loss`.

    Parameters
    ----------
    margin : float
        Required gap (default 0).
    size_average, reduce : None
        Deprecated PyTorch arguments; must be left as ``None``.
    reduction : {'mean', 'sum', 'none'}

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.MarginRankingLoss(0.5)(minigrad.ones(2), minigrad.zeros(2), minigrad.ones(2))
    tensor(0.)
    """

    def __init__(self, margin: float = 0.0, size_average=None, reduce=None,
                 reduction: str = "mean"):  # fmt: skip
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1, input2, target):
        return _m.margin_ranking_loss(input1, input2, target, self.margin,
                                      reduction=self.reduction)  # fmt: skip


class HingeEmbeddingLoss(_Loss):
    """See :func:`~minigrad.nn.functional.hinge_embedding_loss`.

    Parameters
    ----------
    margin : float
        Default 1.
    size_average, reduce : None
        Deprecated PyTorch arguments; must be left as ``None``.
    reduction : {'mean', 'sum', 'none'}

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.HingeEmbeddingLoss()(minigrad.tensor([0.5]), minigrad.tensor([-1.0]))
    tensor(0.5)
    """

    def __init__(self, margin: float = 1.0, size_average=None, reduce=None,
                 reduction: str = "mean"):  # fmt: skip
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input, target):
        return _m.hinge_embedding_loss(input, target, self.margin, reduction=self.reduction)


class SoftMarginLoss(_Loss):
    """See :func:`~minigrad.nn.functional.soft_margin_loss`.

    Parameters
    ----------
    size_average, reduce : None
        Deprecated PyTorch arguments; must be left as ``None``.
    reduction : {'mean', 'sum', 'none'}

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.SoftMarginLoss()(minigrad.zeros(3), minigrad.ones(3))
    tensor(0.6931)
    """

    def forward(self, input, target):
        return _m.soft_margin_loss(input, target, reduction=self.reduction)


class CosineEmbeddingLoss(_Loss):
    """See :func:`~minigrad.nn.functional.cosine_embedding_loss`.

    Parameters
    ----------
    margin : float
        In [-1, 1] (default 0).
    size_average, reduce : None
        Deprecated PyTorch arguments; must be left as ``None``.
    reduction : {'mean', 'sum', 'none'}

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.CosineEmbeddingLoss()(minigrad.ones(2, 3), minigrad.ones(2, 3), minigrad.ones(2))
    tensor(0.)
    """

    def __init__(self, margin: float = 0.0, size_average=None, reduce=None,
                 reduction: str = "mean"):  # fmt: skip
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1, input2, target):
        return _m.cosine_embedding_loss(input1, input2, target, self.margin,
                                        reduction=self.reduction)  # fmt: skip


class TripletMarginLoss(_Loss):
    """See :func:`~minigrad.nn.functional.triplet_margin_loss`.

    Parameters
    ----------
    margin : float
        Default 1.
    p : float
        Order of the distance (default 2).
    eps : float
        Added to the differences (default 1e-6).
    swap : bool
        Distance swap (Balntas et al.).
    size_average, reduce : None
        Deprecated PyTorch arguments; must be left as ``None``.
    reduction : {'mean', 'sum', 'none'}

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> a = minigrad.zeros(2, 3)
    >>> nn.TripletMarginLoss(margin=0.5)(a, a, minigrad.ones(2, 3)).item() == 0
    True
    """

    def __init__(self, margin: float = 1.0, p: float = 2.0, eps: float = 1e-6,
                 swap: bool = False, size_average=None, reduce=None,
                 reduction: str = "mean"):  # fmt: skip
        super().__init__(size_average, reduce, reduction)
        self.margin, self.p, self.eps, self.swap = margin, p, eps, swap

    def forward(self, anchor, positive, negative):
        return _m.triplet_margin_loss(anchor, positive, negative, self.margin, self.p, self.eps,
                                      self.swap, reduction=self.reduction)  # fmt: skip


class MultiLabelSoftMarginLoss(_Loss):
    """See :func:`~minigrad.nn.functional.multilabel_soft_margin_loss`.

    Parameters
    ----------
    weight : Tensor, optional
        ``(C,)`` class weights (a buffer).
    size_average, reduce : None
        Deprecated PyTorch arguments; must be left as ``None``.
    reduction : {'mean', 'sum', 'none'}

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.MultiLabelSoftMarginLoss()(minigrad.zeros(2, 4), minigrad.ones(2, 4))
    tensor(0.6931)
    """

    def __init__(self, weight=None, size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)

    def forward(self, input, target):
        return _m.multilabel_soft_margin_loss(input, target, self.weight,
                                              reduction=self.reduction)  # fmt: skip
