"""Counting values: ``bincount`` (how often each non-negative integer occurs, or the
sum of weights per value) and ``count_nonzero``.

With ``weights`` the result is a scatter-add of the weights into the bins, so the
weights get a gradient (each weight's is the output gradient of its bin).
"""

from __future__ import annotations

from minigrad.ops.shape.indexing import PutAlongDim
from minigrad.tensor import Tensor

__all__ = ["bincount", "count_nonzero"]


def bincount(x, weights=None, minlength: int = 0):
    """Count the occurrences of each value in a 1-d tensor of non-negative integers.

    Parameters
    ----------
    x : Tensor
        1-d, integer, non-negative.
    weights : Tensor, optional
        One weight per element of ``x``: the result sums weights instead of counting.
    minlength : int
        The least number of bins.

    Returns
    -------
    Tensor
        ``max(x.max() + 1, minlength)`` bins: int64 counts, or sums in the weights'
        dtype (differentiable with respect to the weights).

    Raises
    ------
    RuntimeError
        For input that is not 1-d, integral and non-negative, or weights of another
        length.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.bincount(minigrad.tensor([0, 2, 2, 5]))
    tensor([1, 0, 2, 0, 0, 1])
    >>> minigrad.tensor([1, 1]).bincount(minigrad.tensor([0.5, 2.0]), minlength=3)
    tensor([0. , 2.5, 0. ])
    """
    xp = x.xp
    d = x._data
    if d.ndim != 1 or d.dtype.kind not in "iub" or (d.size and bool((d < 0).any())):
        raise RuntimeError(
            f"bincount: only supports 1-d non-negative integral inputs, got shape "
            f"{tuple(d.shape)} and dtype {d.dtype}"
        )
    if minlength < 0:
        raise RuntimeError(f"bincount: minlength should be >= 0, got {minlength}")
    n = max(int(d.max()) + 1 if d.size else 0, minlength)
    if weights is None:
        return Tensor._make(xp.bincount(d, minlength=n).astype(xp.int64, copy=False))
    if tuple(weights.shape) != tuple(d.shape):
        raise RuntimeError(
            f"bincount: weights of shape {tuple(weights.shape)} should have the shape of "
            f"the input {tuple(d.shape)}"
        )
    return PutAlongDim(d.astype(xp.int64, copy=False), 0, (n,))(weights)


def count_nonzero(x, dim=None):
    """The number of non-zero elements, over ``dim`` (all by default); int64.

    Parameters
    ----------
    x : Tensor
        Input.
    dim : int or tuple of int, optional
        Dimensions to count over.

    Returns
    -------
    Tensor

    Examples
    --------
    >>> import minigrad
    >>> minigrad.count_nonzero(minigrad.tensor([[0, 1], [2, 3]]), dim=0)
    tensor([1, 2])
    """
    from minigrad.ops._dims import reduce_axes

    axes = reduce_axes(dim, x.ndim)
    xp = x.xp
    return Tensor._make(xp.asarray((x._data != 0).sum(axis=axes)).astype(xp.int64, copy=False))
