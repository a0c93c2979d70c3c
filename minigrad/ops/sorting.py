"""Sorting along a dimension: ``sort``, ``argsort``, ``topk``.

The order is computed on the raw array (it has no gradient); the values are then
gathered with :class:`~minigrad.ops.indexing.TakeAlongDim`, so the gradient of the
values is scattered back to the positions they came from, and that scatter is itself
differentiable (second derivatives work).

Every sort is stable: equal elements keep their original order, ascending or
descending (PyTorch's ``stable=True``; its CPU sort is stable in practice either way).
NaN sorts as the largest value, as in PyTorch. Indices are int64.
"""

from __future__ import annotations

from collections import namedtuple

from minigrad import backend
from minigrad.ops._dims import dim_index
from minigrad.ops.indexing import TakeAlongDim
from minigrad.tensor import Tensor

__all__ = ["sort", "argsort", "topk"]

# PyTorch's torch.return_types.sort / .topk: named tuples (values, indices)
_SortResult = namedtuple("sort", ["values", "indices"])
_TopkResult = namedtuple("topk", ["values", "indices"])


def _argsort(a, axis: int, descending: bool):
    """Stable argsort of array ``a`` along ``axis`` (int64). Descending order sorts the
    reversed array ascending and reverses back, which keeps ties in their original order
    and puts NaN first, as PyTorch does."""
    xp = backend.array_module(a)
    kw = {"kind": "stable"} if xp is backend.np else {}
    if not descending:
        idx = xp.argsort(a, axis=axis, **kw)
    else:
        n = a.shape[axis]
        idx = xp.flip(xp.argsort(xp.flip(a, axis), axis=axis, **kw), axis)
        idx = (n - 1) - idx
    return idx.astype(xp.int64, copy=False)


def _prepare(x, dim, op):
    """``x`` as at least 1-d and the axis to sort along (a 0-d tensor sorts as 1-d)."""
    if x.ndim == 0:
        dim_index(dim, 1, op)
        return x.reshape(1), 0
    return x, dim_index(dim, x.ndim, op)


def sort(x, dim: int = -1, descending: bool = False, stable: bool = False):
    """Sort ``x`` along ``dim``; returns the named tuple ``(values, indices)``.

    The gradient of ``values`` flows back to the positions the values came from.

    Parameters
    ----------
    x : Tensor
        Input.
    dim : int
        The dimension to sort along (the last by default).
    descending : bool
        Largest first.
    stable : bool
        Accepted for PyTorch compatibility: every sort here is stable (ties keep their
        original order).

    Returns
    -------
    (Tensor, Tensor)
        ``values`` (same shape and dtype as ``x``) and ``indices`` (int64), such that
        ``values == x.gather(dim, indices)``.

    Raises
    ------
    IndexError
        For a dimension out of range.

    Examples
    --------
    >>> import minigrad
    >>> x = minigrad.tensor([3.0, 1.0, 2.0, 1.0], requires_grad=True)
    >>> values, indices = minigrad.sort(x)
    >>> values, indices
    (tensor([1., 1., 2., 3.], grad_fn=<TakeAlongDim backward>), tensor([1, 3, 2, 0]))
    >>> x.sort(descending=True).indices
    tensor([0, 2, 1, 3])
    """
    xs, axis = _prepare(x, dim, "sort")
    idx = _argsort(xs.data, axis, descending)
    values = TakeAlongDim(idx, axis)(xs)
    if x.ndim == 0:
        values, idx = values.reshape(()), idx.reshape(())
    return _SortResult(values, Tensor._make(idx))


def argsort(x, dim: int = -1, descending: bool = False, stable: bool = False):
    """The int64 indices that sort ``x`` along ``dim`` (``sort(x, ...).indices``).

    Parameters
    ----------
    x : Tensor
        Input.
    dim : int
        The dimension to sort along (the last by default).
    descending : bool
        Largest first.
    stable : bool
        Accepted for PyTorch compatibility (every sort here is stable).

    Returns
    -------
    Tensor
        int64 indices, the shape of ``x``.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.argsort(minigrad.tensor([[3.0, 1.0, 2.0]]), dim=1)
    tensor([[1, 2, 0]])
    """
    xs, axis = _prepare(x, dim, "argsort")
    idx = _argsort(xs.data, axis, descending)
    return Tensor._make(idx.reshape(x.shape))


def topk(x, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):
    """The ``k`` largest (or smallest) elements along ``dim``: ``(values, indices)``.

    Parameters
    ----------
    x : Tensor
        Input.
    k : int
        How many elements, ``0 <= k <= x.shape[dim]``.
    dim : int
        The dimension to search (the last by default).
    largest : bool
        The largest elements (else the smallest).
    sorted : bool
        Accepted for PyTorch compatibility: the result is always sorted (largest first
        when ``largest``, else smallest first); ties come in index order.

    Returns
    -------
    (Tensor, Tensor)
        The named tuple ``(values, indices)``; ``indices`` are int64. The gradient of
        ``values`` flows back to the selected elements.

    Raises
    ------
    RuntimeError
        When ``k`` is out of range.

    Examples
    --------
    >>> import minigrad
    >>> x = minigrad.tensor([[1.0, 5.0, 3.0], [4.0, 0.0, 2.0]])
    >>> x.topk(2)
    topk(values=tensor([[5., 3.],
            [4., 2.]]), indices=tensor([[1, 2],
            [0, 2]]))
    >>> minigrad.topk(x, 1, dim=0, largest=False).indices
    tensor([[0, 1, 1]])
    """
    xs, axis = _prepare(x, dim, "topk")
    n = xs.shape[axis]
    if not isinstance(k, int) or not 0 <= k <= n:
        raise RuntimeError(
            f"topk: selected index k={k} out of range: expected 0 <= k <= {n} (the size of "
            f"dimension {axis} of a tensor of shape {tuple(x.shape)})"
        )
    idx = _argsort(xs.data, axis, descending=largest)
    idx = idx[(slice(None),) * axis + (slice(0, k),)]
    values = TakeAlongDim(idx, axis)(xs)
    if x.ndim == 0 and k == 1:
        values, idx = values.reshape(()), idx.reshape(())
    return _TopkResult(values, Tensor._make(idx))
