"""Margin and embedding losses (PyTorch's ``F.margin_ranking_loss``,
``F.hinge_embedding_loss``, ``F.soft_margin_loss``, ``F.cosine_embedding_loss``,
``F.triplet_margin_loss``, ``F.multilabel_soft_margin_loss``), composed from
differentiable elementwise ops with PyTorch's formulas:

- margin ranking: ``max(0, -y * (x1 - x2) + margin)``;
- hinge embedding: ``x`` where ``y == 1``, ``max(0, margin - x)`` where ``y == -1``;
- soft margin: ``log(1 + exp(-y * x))``;
- cosine embedding: ``1 - cos(x1, x2)`` where ``y == 1``, ``max(0, cos - margin)`` where
  ``y == -1``, with ``cos = <x1, x2> / sqrt((|x1|^2 + 1e-12)(|x2|^2 + 1e-12))``;
- triplet margin: ``max(0, margin + d(a, p) - d(a, n))`` with the pairwise distance ``d``
  (``swap`` also tries ``d(p, n)``);
- multilabel soft margin: the mean over classes of the binary cross entropy of
  ``sigmoid(x)`` with targets in {0, 1}.
"""

from __future__ import annotations

from minigrad.ops.math import elementwise as _ew
from minigrad.ops.math import unary as _unary
from minigrad.ops.nn.activation.activation import logsigmoid
from minigrad.ops.nn.distance import pairwise_distance
from minigrad.ops.nn.loss.loss import _as_tensor, _check_reduction, _reduce

__all__ = [
    "margin_ranking_loss", "hinge_embedding_loss", "soft_margin_loss",
    "cosine_embedding_loss", "triplet_margin_loss", "multilabel_soft_margin_loss",
]  # fmt: skip


def _legacy(op, size_average, reduce):
    if size_average is not None or reduce is not None:
        raise ValueError(f"{op}: size_average and reduce are deprecated; use reduction=")


def margin_ranking_loss(input1, input2, target, margin: float = 0.0, size_average=None,
                        reduce=None, reduction: str = "mean"):  # fmt: skip
    """``max(0, -target * (input1 - input2) + margin)``, reduced.

    Parameters
    ----------
    input1, input2 : Tensor
        Scores, same shape.
    target : Tensor
        1 where ``input1`` should rank higher, -1 where ``input2`` should.
    margin : float
        Required gap (default 0).
    size_average, reduce : None
        Deprecated PyTorch arguments; must be left as ``None``.
    reduction : {'mean', 'sum', 'none'}

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        For an unknown reduction or inputs of different sizes.

    Examples
    --------
    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.margin_ranking_loss(minigrad.tensor([1.0, 0.0]), minigrad.tensor([0.0, 0.5]),
    ...                       minigrad.tensor([1.0, 1.0]), margin=0.5)
    tensor(0.5)
    """
    _legacy("margin_ranking_loss", size_average, reduce)
    _check_reduction("margin_ranking_loss", reduction)
    if tuple(input1.shape) != tuple(input2.shape):
        raise ValueError(
            f"margin_ranking_loss: input1 {tuple(input1.shape)} and input2 "
            f"{tuple(input2.shape)} must have the same size"
        )
    target = _as_tensor(target, input1)
    loss = _ew.clamp(-target * (input1 - input2) + margin, min=0.0)
    return _reduce(loss, reduction)


def hinge_embedding_loss(input, target, margin: float = 1.0, size_average=None, reduce=None,
                         reduction: str = "mean"):  # fmt: skip
    """``input`` where ``target == 1``, ``max(0, margin - input)`` where ``target == -1``.

    Parameters
    ----------
    input : Tensor
        Distances (usually non-negative).
    target : Tensor
        1 or -1, input's shape.
    margin : float
        Default 1.
    size_average, reduce : None
        Deprecated PyTorch arguments; must be left as ``None``.
    reduction : {'mean', 'sum', 'none'}

    Returns
    -------
    Tensor

    Examples
    --------
    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.hinge_embedding_loss(minigrad.tensor([0.3, 0.2]), minigrad.tensor([1.0, -1.0]),
    ...                        reduction="none")
    tensor([0.3, 0.8])
    """
    _legacy("hinge_embedding_loss", size_average, reduce)
    _check_reduction("hinge_embedding_loss", reduction)
    target = _as_tensor(target, input)
    margin_part = _ew.where(target != 1, _ew.clamp(margin - input, min=0.0), 0.0)
    self_part = _ew.where(target != -1, input, 0.0)
    return _reduce(margin_part + self_part, reduction)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction: str = "mean"):
    """``log(1 + exp(-target * input))``, reduced (two-class logistic loss).

    Parameters
    ----------
    input : Tensor
        Scores.
    target : Tensor
        1 or -1, input's shape.
    size_average, reduce : None
        Deprecated PyTorch arguments; must be left as ``None``.
    reduction : {'mean', 'sum', 'none'}

    Returns
    -------
    Tensor

    Examples
    --------
    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.soft_margin_loss(minigrad.tensor([0.0]), minigrad.tensor([1.0]))
    tensor(0.6931)
    """
    _legacy("soft_margin_loss", size_average, reduce)
    _check_reduction("soft_margin_loss", reduction)
    target = _as_tensor(target, input)
    return _reduce(-logsigmoid(target * input), reduction)


def cosine_embedding_loss(input1, input2, target, margin: float = 0.0, size_average=None,
                          reduce=None, reduction: str = "mean"):  # fmt: skip
    """``1 - cos`` for similar pairs (``target == 1``), ``max(0, cos - margin)`` for
    dissimilar ones (``target == -1``).

    Parameters
    ----------
    input1, input2 : Tensor
        ``(N, D)`` or ``(D,)``.
    target : Tensor
        ``(N,)`` or ``()``, values 1 or -1.
    margin : float
        In [-1, 1] (default 0).
    size_average, reduce : None
        Deprecated PyTorch arguments; must be left as ``None``.
    reduction : {'mean', 'sum', 'none'}

    Returns
    -------
    Tensor

    Examples
    --------
    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> a = minigrad.tensor([[1.0, 0.0], [1.0, 0.0]])
    >>> b = minigrad.tensor([[1.0, 1.0], [1.0, 1.0]])
    >>> F.cosine_embedding_loss(a, b, minigrad.tensor([1.0, -1.0]), reduction="none")
    tensor([0.2929, 0.7071])
    """
    _legacy("cosine_embedding_loss", size_average, reduce)
    _check_reduction("cosine_embedding_loss", reduction)
    target = _as_tensor(target, input1)
    dim = input1.ndim - 1
    eps = 1e-12
    prod = (input1 * input2).sum(dim=dim)
    m1 = (input1 * input1).sum(dim=dim) + eps
    m2 = (input2 * input2).sum(dim=dim) + eps
    cos = prod / _unary.sqrt(m1 * m2)
    pos = _ew.where(target == 1, 1 - cos, 0.0)
    neg = _ew.where(target == -1, _ew.clamp(cos - margin, min=0.0), 0.0)
    return _reduce(pos + neg, reduction)


def triplet_margin_loss(anchor, positive, negative, margin: float = 1.0, p: float = 2,
                        eps: float = 1e-6, swap: bool = False, size_average=None, reduce=None,
                        reduction: str = "mean"):  # fmt: skip
    """``max(0, margin + d(anchor, positive) - d(anchor, negative))``, reduced.

    Parameters
    ----------
    anchor, positive, negative : Tensor
        ``(N, D)`` or ``(D,)``.
    margin : float
        Default 1.
    p : float
        Order of the pairwise distance (default 2).
    eps : float
        Added to the differences (default 1e-6).
    swap : bool
        Use ``min(d(a, n), d(p, n))`` as the negative distance.
    size_average, reduce : None
        Deprecated PyTorch arguments; must be left as ``None``.
    reduction : {'mean', 'sum', 'none'}

    Returns
    -------
    Tensor

    Examples
    --------
    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> a, pos, neg = minigrad.zeros(1, 2), minigrad.tensor([[0.0, 1.0]]), minigrad.ones(1, 2)
    >>> F.triplet_margin_loss(a, pos, neg, eps=0.0)
    tensor(0.5858)
    """
    _legacy("triplet_margin_loss", size_average, reduce)
    _check_reduction("triplet_margin_loss", reduction)
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = _ew.minimum(d_neg, pairwise_distance(positive, negative, p, eps))
    return _reduce(_ew.clamp(margin + d_pos - d_neg, min=0.0), reduction)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None,
                                reduction: str = "mean"):  # fmt: skip
    """Per-class logistic loss averaged over classes: ``-mean_c(y log sigmoid(x) + (1 - y)
    log sigmoid(-x))``, then reduced over samples.

    Parameters
    ----------
    input : Tensor
        ``(N, C)`` or ``(C,)`` logits.
    target : Tensor
        0/1 labels, input's shape.
    weight : Tensor, optional
        ``(C,)`` class weights.
    size_average, reduce : None
        Deprecated PyTorch arguments; must be left as ``None``.
    reduction : {'mean', 'sum', 'none'}

    Returns
    -------
    Tensor

    Examples
    --------
    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.multilabel_soft_margin_loss(minigrad.zeros(1, 3), minigrad.tensor([[1.0, 0.0, 1.0]]))
    tensor(0.6931)
    """
    _legacy("multilabel_soft_margin_loss", size_average, reduce)
    _check_reduction("multilabel_soft_margin_loss", reduction)
    target = _as_tensor(target, input)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    dim = input.ndim - 1
    loss = loss.sum(dim=dim) / input.shape[dim]
    return _reduce(loss, reduction)
