"""Sorting along a dimension and what builds on it: ``sort``, ``argsort``, ``msort``,
``topk``, the order statistics ``median`` and ``kthvalue``, ``unique``, and searching
sorted sequences (``searchsorted``, ``bucketize``).

The order is computed on the raw array (it has no gradient); the values are then
gathered with :class:`~minigrad.ops.shape.indexing.TakeAlongDim`, so the gradient of the
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
from minigrad.ops.shape.indexing import TakeAlongDim
from minigrad.tensor import Tensor

__all__ = [
    "sort", "argsort", "topk", "msort", "median", "kthvalue", "quantile", "unique",
    "searchsorted", "bucketize",
]  # fmt: skip

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
    idx = _argsort(xs._data, axis, descending)
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
    idx = _argsort(xs._data, axis, descending)
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
    idx = _argsort(xs._data, axis, descending=largest)
    idx = idx[(slice(None),) * axis + (slice(0, k),)]
    values = TakeAlongDim(idx, axis)(xs)
    if x.ndim == 0 and k == 1:
        values, idx = values.reshape(()), idx.reshape(())
    return _TopkResult(values, Tensor._make(idx))


_MedianResult = namedtuple("median", ["values", "indices"])
_KthvalueResult = namedtuple("kthvalue", ["values", "indices"])


def _order_statistic(x, pos_of_n, dim, keepdim, op, result):
    """The element at sorted position ``pos_of_n(n)`` along ``dim``: ``(values,
    indices)``; the gradient goes to the selected element."""
    xs, axis = _prepare(x, dim, op)
    n = xs.shape[axis]
    if n == 0:
        raise IndexError(f"{op}: expected dimension {axis} of non-zero size")
    pos = pos_of_n(n)
    idx = _argsort(xs._data, axis, False)[(slice(None),) * axis + (slice(pos, pos + 1),)]
    values = TakeAlongDim(idx, axis)(xs)
    if not keepdim or x.ndim == 0:
        shape = tuple(s for i, s in enumerate(x.shape) if i != axis)
        values, idx = values.reshape(shape), idx.reshape(shape)
    return result(values, Tensor._make(idx))


def median(x, dim=None, keepdim: bool = False):
    """The median: the lower of the two middle values for an even count (PyTorch's).

    Parameters
    ----------
    x : Tensor
        Input.
    dim : int, optional
        Without it, the median of all elements (a 0-d tensor); with it, the named tuple
        ``(values, indices)`` along ``dim``.
    keepdim : bool
        Keep the reduced dimension with size 1 (with ``dim``).

    Returns
    -------
    Tensor or (Tensor, Tensor)
        The gradient goes to the selected element.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.median(minigrad.tensor([3.0, 1.0, 2.0, 4.0]))
    tensor(2.)
    >>> minigrad.tensor([[3.0, 1.0, 2.0]]).median(1).indices
    tensor([2])
    """
    if dim is None:
        if x.numel() == 0:  # PyTorch: NaN
            return Tensor._make(x.xp.full((), float("nan"), dtype=x.dtype))
        return _order_statistic(x.reshape(-1), lambda n: (n - 1) // 2, 0, False, "median",
                                _MedianResult).values  # fmt: skip
    return _order_statistic(x, lambda n: (n - 1) // 2, dim, keepdim, "median", _MedianResult)


def kthvalue(x, k: int, dim: int = -1, keepdim: bool = False):
    """The ``k``-th smallest element along ``dim`` (``k`` counts from 1).

    Parameters
    ----------
    x : Tensor
        Input.
    k : int
        Rank, ``1 <= k <= x.shape[dim]``.
    dim : int
        The dimension (the last by default).
    keepdim : bool
        Keep the reduced dimension with size 1.

    Returns
    -------
    (Tensor, Tensor)
        The named tuple ``(values, indices)``.

    Raises
    ------
    RuntimeError
        When ``k`` is out of range.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.kthvalue(minigrad.tensor([3.0, 1.0, 2.0, 4.0]), 2)
    kthvalue(values=tensor(2.), indices=tensor(2))
    """
    n = x.shape[dim_index(dim, max(x.ndim, 1), "kthvalue")] if x.ndim else 1
    if not 1 <= k <= n:
        raise RuntimeError(f"kthvalue: k ({k}) must be in [1, {n}] (the size of dimension {dim})")
    return _order_statistic(x, lambda n: k - 1, dim, keepdim, "kthvalue", _KthvalueResult)


def quantile(x, q, dim=None, keepdim: bool = False, *, interpolation: str = "linear"):
    """The ``q``-quantiles of ``x`` along ``dim`` (of all elements by default).

    Parameters
    ----------
    x : Tensor
        A floating-point tensor.
    q : float or Tensor
        Quantile(s) in ``[0, 1]``; a 1-d tensor puts one result per ``q`` in a new first
        dimension.
    dim : int, optional
        The dimension to reduce.
    keepdim : bool
        Keep the reduced dimension with size 1.
    interpolation : {'linear', 'lower', 'higher', 'nearest', 'midpoint'}
        Between two neighbouring sorted values, as in PyTorch.

    Returns
    -------
    Tensor
        Differentiable (through the sorted values it reads).

    Raises
    ------
    RuntimeError
        For ``q`` outside ``[0, 1]`` or an unknown ``interpolation``.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.quantile(minigrad.tensor([1.0, 2.0, 3.0, 4.0]), 0.4)
    tensor(2.2)
    """
    modes = ("linear", "lower", "higher", "nearest", "midpoint")
    if interpolation not in modes:
        raise RuntimeError(f"quantile: interpolation must be one of {modes}, got {interpolation!r}")
    xp = x.xp
    if isinstance(q, Tensor):
        qs = q._data if q.device == x.device else backend.to_device(q._data, x.device)
    else:
        qs = xp.asarray(q, dtype=x.dtype)
    scalar_q = qs.ndim == 0
    qs = qs.reshape(-1).astype(x.dtype)
    if bool((qs < 0).any()) or bool((qs > 1).any()):
        raise RuntimeError("quantile: q values must be in the range [0, 1]")
    if dim is None:
        v, axis = sort(x.reshape(-1)).values, 0
        out_shape = (1,) * x.ndim if keepdim else ()
    else:
        axis = dim_index(dim, max(x.ndim, 1), "quantile")
        v = sort(x if x.ndim else x.reshape(1), axis).values
        out_shape = tuple(
            1 if i == axis else s for i, s in enumerate(x.shape) if keepdim or i != axis
        )
    n = v.shape[axis]
    pos = qs * (n - 1)
    lo = xp.floor(pos).astype(xp.int64)
    hi = xp.ceil(pos).astype(xp.int64)
    if interpolation == "lower":
        hi = lo
    elif interpolation == "higher":
        lo = hi
    elif interpolation == "nearest":
        lo = hi = xp.round(pos).astype(xp.int64)  # halves to even, as PyTorch
    vm = v.movedim(axis, 0) if v.ndim > 1 else v
    a, b = vm[lo], vm[hi]  # (len(q), ...)
    frac = (pos - lo).reshape((-1,) + (1,) * (a.ndim - 1))
    if interpolation == "midpoint":
        frac = xp.where(hi > lo, 0.5, 0.0).astype(x.dtype).reshape(frac.shape)
    out = a + (b - a) * Tensor._make(frac.astype(x.dtype)) if interpolation in (
        "linear", "midpoint") else a  # fmt: skip
    out = out.reshape((len(qs),) + out_shape)
    return out.reshape(out_shape) if scalar_q else out


def msort(x):
    """Sort along the first dimension; the values only (``sort(x, 0).values``).

    Parameters
    ----------
    x : Tensor
        Input.

    Returns
    -------
    Tensor

    Examples
    --------
    >>> import minigrad
    >>> minigrad.msort(minigrad.tensor([[2, 1], [1, 3]]))
    tensor([[1, 1],
            [2, 3]])
    """
    return sort(x, 0).values


def unique(x, sorted: bool = True, return_inverse: bool = False, return_counts: bool = False,
           dim=None):  # fmt: skip
    """The distinct elements of ``x``, sorted (no gradient).

    Parameters
    ----------
    x : Tensor
        Input (flattened).
    sorted : bool
        Accepted for PyTorch compatibility: the result is always sorted.
    return_inverse : bool
        Also return, for each element of ``x``, the index of its value in the result
        (shape of ``x``).
    return_counts : bool
        Also return how often each distinct value occurs.
    dim : None
        Only ``None`` is supported.

    Returns
    -------
    Tensor or tuple of Tensor

    Raises
    ------
    NotImplementedError
        For ``dim`` other than ``None``.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.unique(minigrad.tensor([3, 1, 3, 2]), return_inverse=True, return_counts=True)
    (tensor([1, 2, 3]), tensor([2, 0, 2, 1]), tensor([1, 1, 2]))
    """
    if dim is not None:
        raise NotImplementedError("unique: only dim=None (the flattened tensor) is supported")
    xp = x.xp
    vals, inv, counts = xp.unique(x._data.reshape(-1), return_inverse=True, return_counts=True)
    out = [Tensor._make(vals)]
    if return_inverse:
        out.append(Tensor._make(inv.reshape(x.shape).astype(xp.int64, copy=False)))
    if return_counts:
        out.append(Tensor._make(counts.astype(xp.int64, copy=False)))
    return out[0] if len(out) == 1 else tuple(out)


def searchsorted(sorted_sequence, values, *, out_int32: bool = False, right: bool = False,
                 side=None, sorter=None):  # fmt: skip
    """Where ``values`` would be inserted into ``sorted_sequence`` to keep it sorted.

    Parameters
    ----------
    sorted_sequence : Tensor
        Sorted along its last dimension: 1-d, or with leading dimensions matching
        ``values``' (one sorted row per row of values).
    values : Tensor or number
        The values to place.
    out_int32 : bool
        int32 indices instead of int64.
    right : bool
        For equal values, the position after them (else before).
    side : {'left', 'right'}, optional
        The same as ``right``.
    sorter : Tensor, optional
        Indices that sort ``sorted_sequence`` (when it is not sorted itself).

    Returns
    -------
    Tensor
        Integer positions of the shape of ``values``.

    Examples
    --------
    >>> import minigrad
    >>> seq = minigrad.tensor([1, 3, 5, 7])
    >>> minigrad.searchsorted(seq, minigrad.tensor([3, 6, 9]))
    tensor([1, 3, 4])
    >>> minigrad.searchsorted(seq, minigrad.tensor([3, 6, 9]), right=True)
    tensor([2, 3, 4])
    """
    xp = sorted_sequence.xp
    seq = sorted_sequence._data
    if sorter is not None:
        s = sorter._data if isinstance(sorter, Tensor) else xp.asarray(sorter)
        seq = xp.take_along_axis(seq, s, axis=-1)
    v = values._data if isinstance(values, Tensor) else xp.asarray(values)
    how = side or ("right" if right else "left")
    if seq.ndim == 1:
        out = xp.searchsorted(seq, v, side=how)
    else:
        if seq.shape[:-1] != v.shape[:-1]:
            raise RuntimeError(
                f"searchsorted: the leading dimensions of sorted_sequence "
                f"{tuple(seq.shape)} and values {tuple(v.shape)} must match"
            )
        rows_s, rows_v = seq.reshape(-1, seq.shape[-1]), v.reshape(-1, v.shape[-1])
        out = xp.stack([xp.searchsorted(a, b, side=how) for a, b in zip(rows_s, rows_v)])
        out = out.reshape(v.shape)
    return Tensor._make(xp.asarray(out).astype(xp.int32 if out_int32 else xp.int64))


def bucketize(input, boundaries, *, out_int32: bool = False, right: bool = False):
    """The bucket of each element of ``input`` among the sorted 1-d ``boundaries``
    (:func:`searchsorted` with the arguments swapped).

    Parameters
    ----------
    input : Tensor or number
        Values.
    boundaries : Tensor
        1-d, sorted.
    out_int32 : bool
        int32 indices instead of int64.
    right : bool
        Buckets closed on the left (``boundaries[i-1] <= x < boundaries[i]``) when
        true; else closed on the right.

    Returns
    -------
    Tensor

    Examples
    --------
    >>> import minigrad
    >>> minigrad.bucketize(minigrad.tensor([3, 6, 9]), minigrad.tensor([1, 3, 5, 7]))
    tensor([1, 3, 4])
    """
    if boundaries.ndim != 1:
        raise RuntimeError(f"bucketize: boundaries must be 1-d, got shape {boundaries.shape}")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)
