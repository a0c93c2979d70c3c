"""Distance layers: :class:`CosineSimilarity`, :class:`PairwiseDistance` (the math is
:mod:`minigrad.ops.nn.distance`)."""

from __future__ import annotations

from minigrad.nn.module import Module
from minigrad.ops.nn.distance import cosine_similarity, pairwise_distance

__all__ = ["CosineSimilarity", "PairwiseDistance"]


class CosineSimilarity(Module):
    """Cosine similarity of two inputs along ``dim``; see
    :func:`~minigrad.nn.functional.cosine_similarity`.

    Parameters
    ----------
    dim : int
        Dimension of the vectors (default 1).
    eps : float
        Smallest norm divided by (default 1e-8).

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.CosineSimilarity()(minigrad.ones(3, 4), minigrad.ones(3, 4))
    tensor([1., 1., 1.])
    """

    def __init__(self, dim: int = 1, eps: float = 1e-8):
        super().__init__()
        self.dim, self.eps = dim, eps

    def forward(self, x1, x2):
        return cosine_similarity(x1, x2, self.dim, self.eps)


class PairwiseDistance(Module):
    """``p``-norm distance between rows; see
    :func:`~minigrad.nn.functional.pairwise_distance`.

    Parameters
    ----------
    p : float
        Order of the norm (default 2).
    eps : float
        Added to the difference (default 1e-6).
    keepdim : bool
        Keep the last dimension.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.PairwiseDistance(p=1, eps=0)(minigrad.zeros(2, 3), minigrad.ones(2, 3))
    tensor([3., 3.])
    """

    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False):
        super().__init__()
        self.norm, self.eps, self.keepdim = p, eps, keepdim

    def forward(self, x1, x2):
        return pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)
