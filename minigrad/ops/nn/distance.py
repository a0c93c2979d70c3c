"""Vector similarity and distance (PyTorch's ``F.normalize``, ``F.cosine_similarity``,
``F.pairwise_distance``), composed from :func:`minigrad.ops.math.vector_norm.norm` and
elementwise ops, so their gradients (of any order) follow from those ops'.

- ``normalize(x, p, dim, eps) = x / max(||x||_p, eps)``.
- ``cosine_similarity(a, b, dim, eps) = sum((a / na) * (b / nb), dim)`` with ``na =
  max(||a||, eps)``: PyTorch clamps the norms *outside* autograd, so the gradient is
  that of the unclamped norm; the same is done here.
- ``pairwise_distance(a, b, p, eps) = ||a - b + eps||_p`` over the last dimension.
"""

from __future__ import annotations

import numpy as np

from minigrad.ops.math import elementwise as _ew
from minigrad.ops.math.vector_norm import norm
from minigrad.ops.shape.shape import broadcast_to
from minigrad.tensor import Tensor

__all__ = ["normalize", "cosine_similarity", "pairwise_distance"]


def normalize(input, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out=None):
    """Divide ``input`` by its ``p``-norm along ``dim`` (at least ``eps``).

    Parameters
    ----------
    input : Tensor
    p : float
        Order of the norm (default 2).
    dim : int or tuple of int
        Dimension(s) of the norm (default 1).
    eps : float
        Smallest norm divided by (default 1e-12).
    out : None
        Not supported (must be None).

    Returns
    -------
    Tensor

    Examples
    --------
    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.normalize(minigrad.tensor([[3.0, 4.0], [0.0, 0.0]]))
    tensor([[0.6, 0.8],
            [0. , 0. ]])
    """
    if out is not None:
        raise ValueError("normalize: out= is not supported")
    n = norm(input, p, dim, keepdim=True)
    return input / _ew.clamp(n, min=eps)


def _clamp_value_only(n, eps):
    """``max(n, eps)`` in value with the gradient of ``n`` (PyTorch clamps in no_grad)."""
    lift = Tensor._make(n.xp.maximum(n._data, eps) - n._data)
    return n + lift


def cosine_similarity(x1, x2, dim: int = 1, eps: float = 1e-8):
    """Cosine of the angle between ``x1`` and ``x2`` along ``dim`` (broadcasting).

    Parameters
    ----------
    x1, x2 : Tensor
        Broadcastable to a common shape.
    dim : int
        Dimension of the vectors (default 1).
    eps : float
        Smallest norm divided by (default 1e-8).

    Returns
    -------
    Tensor
        The common shape without ``dim``.

    Examples
    --------
    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.cosine_similarity(minigrad.tensor([[1.0, 0.0]]), minigrad.tensor([[1.0, 1.0]]))
    tensor([0.7071])
    """
    shape = tuple(np.broadcast_shapes(tuple(x1.shape), tuple(x2.shape)))
    a = x1 if tuple(x1.shape) == shape else broadcast_to(x1, shape)
    b = x2 if tuple(x2.shape) == shape else broadcast_to(x2, shape)
    na = _clamp_value_only(norm(a, 2, dim, keepdim=True), eps)
    nb = _clamp_value_only(norm(b, 2, dim, keepdim=True), eps)
    return ((a / na) * (b / nb)).sum(dim=dim)


def pairwise_distance(x1, x2, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False):
    """The ``p``-norm distance ``||x1 - x2 + eps||_p`` over the last dimension.

    Parameters
    ----------
    x1, x2 : Tensor
        ``(N, D)`` or ``(D,)``, broadcastable.
    p : float
        Order of the norm (default 2).
    eps : float
        Added to the difference to avoid a zero norm (default 1e-6).
    keepdim : bool
        Keep the last dimension (size 1).

    Returns
    -------
    Tensor

    Examples
    --------
    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.pairwise_distance(minigrad.tensor([[0.0, 0.0]]), minigrad.tensor([[3.0, 4.0]]), eps=0)
    tensor([5.])
    """
    return norm(x1 - x2 + eps, p, -1, keepdim=keepdim)
