"""Maximum and minimum: amax, amin, max, min, argmax, argmin.

Gradients at ties follow PyTorch: ``amax``/``amin`` and ``max()``/``min()`` without
``dim`` share it evenly among the tied elements; ``max(dim)``/``min(dim)`` give it to the
selected index only (they return PyTorch's named tuple ``(values, indices)``). The other
reductions live in :mod:`minigrad.ops.math.reduce`, which re-exports these.
"""

from __future__ import annotations

from collections import namedtuple

from minigrad import backend
from minigrad.autograd.function import Function
from minigrad.ops._dims import as_keepdim, reduce_axes
from minigrad.ops.shape.indexing import TakeAlongDim
from minigrad.tensor import Tensor

__all__ = ["max", "min", "amax", "amin", "argmax", "argmin"]


class _Extreme(Function):
    """``amax``/``amin``: the gradient is shared evenly among the elements that tie
    for the extreme value (PyTorch's rule)."""

    largest = True

    def __init__(self, axes, keepdim):
        self.axes, self.keepdim = axes, keepdim

    def forward(self, x):
        m = (x.max if self.largest else x.min)(axis=self.axes, keepdims=True)
        mask = x == m
        self.weight = mask / mask.sum(axis=self.axes, keepdims=True).astype(x.dtype)
        return (
            m
            if self.keepdim
            else m.reshape(tuple(s for i, s in enumerate(x.shape) if i not in self.axes))
        )

    def backward(self, gy):
        gy = as_keepdim(gy, self.weight.shape, self.axes, self.keepdim)
        return gy * Tensor._make(self.weight)


class _Amax(_Extreme):
    largest = True


class _Amin(_Extreme):
    largest = False


class _MaxAll(Function):
    """``max()``/``min()`` of all elements, PyTorch's ``evenly_distribute_backward``:
    the gradient is shared by the elements equal to the result (the NaNs, when it is
    NaN), selected, so an infinite gradient leaves the others at 0."""

    def __init__(self, largest):
        self.largest = largest

    def forward(self, x):
        xp = backend.array_module(x)
        m = x.max() if self.largest else x.min()
        self.mask = xp.isnan(x) if bool(xp.isnan(m)) else x == m
        self.count = int(self.mask.sum())
        return xp.asarray(m)

    def backward(self, gy):
        from minigrad.ops.math.elementwise import masked

        return masked(self.mask, gy * (1.0 / self.count))


def _reduce_check(x, op, axes):
    """Max-like reductions have no identity: reject empty reductions clearly."""
    if x.numel() == 0 and len(axes) == x.ndim:
        raise RuntimeError(
            f"{op}: cannot reduce an empty tensor (shape {tuple(x.shape)}) over all its "
            "dimensions; specify a non-empty dim"
        )
    for a in axes:
        if x.shape[a] == 0:
            raise IndexError(
                f"{op}: expected reduction dim {a} to have non-zero size (input shape "
                f"{tuple(x.shape)})"
            )


def amax(x, dim=None, keepdim: bool = False):
    """Largest value over ``dim`` (all dimensions by default).

    Where several elements tie for the maximum, the gradient is split evenly among them.

    Parameters
    ----------
    x : Tensor
    dim : int, tuple of int or None
    keepdim : bool

    Returns
    -------
    Tensor

    Raises
    ------
    IndexError
        When a reduced dimension has size 0.

    Examples
    --------
    >>> import minigrad
    >>> x = minigrad.tensor([1.0, 3.0, 3.0], requires_grad=True)
    >>> x.amax().backward()
    >>> x.grad
    tensor([0. , 0.5, 0.5])
    """
    axes = reduce_axes(dim, x.ndim, "amax")
    _reduce_check(x, "amax", axes)
    return _Amax(axes, keepdim)(x)


def amin(x, dim=None, keepdim: bool = False):
    """Smallest value over ``dim``; ties share the gradient evenly (see :func:`amax`).

    Parameters
    ----------
    x : Tensor
        Input.
    dim : int or tuple of ints, optional
        Dimensions to reduce (all by default).
    keepdim : bool
        Keep reduced dimensions with size 1.

    Returns
    -------
    Tensor

    Examples
    --------
    >>> import minigrad
    >>> minigrad.amin(minigrad.tensor([[1.0, 3.0], [0.0, 5.0]]), dim=1)
    tensor([1., 0.])
    """
    axes = reduce_axes(dim, x.ndim, "amin")
    _reduce_check(x, "amin", axes)
    return _Amin(axes, keepdim)(x)


# PyTorch's torch.return_types.max / .min: named tuples (values, indices)
_MaxResult = namedtuple("max", ["values", "indices"])
_MinResult = namedtuple("min", ["values", "indices"])


def _max_min(x, dim, keepdim, largest):
    op = "max" if largest else "min"
    if dim is None:
        _reduce_check(x, op, tuple(range(x.ndim)))
        return _MaxAll(largest)(x)
    if isinstance(dim, Tensor):  # torch.max(a, b) is the elementwise maximum
        from minigrad.ops.math import elementwise

        return (elementwise.maximum if largest else elementwise.minimum)(x, dim)
    if not isinstance(dim, int):
        raise TypeError(f"{op}: dim must be an int, got {type(dim).__name__}")
    (axis,) = reduce_axes(dim, x.ndim, op) or (0,)
    _reduce_check(x, op, (axis,) if x.ndim else ())
    xd = x._data if x.ndim else x._data.reshape(1)
    xp = x.xp
    idx = (xp.argmax if largest else xp.argmin)(xd, axis=axis, keepdims=True)
    vals = TakeAlongDim(idx, axis)(x if x.ndim else x.reshape(1))
    if not keepdim or not x.ndim:
        shape = tuple(s for i, s in enumerate(x.shape) if i != axis)
        vals, idx = vals.reshape(shape), idx.reshape(shape)
    result = _MaxResult if largest else _MinResult
    return result(vals, Tensor._make(idx.astype(xp.int64, copy=False)))


def max(x, dim=None, keepdim: bool = False):
    """Maximum of all elements, or ``(values, indices)`` along ``dim``.

    ``max(x)`` returns a 0-d tensor; ties share its gradient evenly (a NaN result sends
    it to the NaNs, as in PyTorch). ``max(x, dim)``
    returns a named tuple ``(values, indices)``; the gradient of ``values`` goes only
    to the selected element (the first maximum of each slice). ``max(x, other)`` with a
    tensor ``other`` is :func:`maximum`.

    Parameters
    ----------
    x : Tensor
    dim : int or Tensor, optional
    keepdim : bool

    Returns
    -------
    Tensor or (Tensor, Tensor)

    Raises
    ------
    IndexError
        When the reduced dimension is empty or out of range.

    Examples
    --------
    >>> import minigrad
    >>> x = minigrad.tensor([[1.0, 5.0], [7.0, 2.0]])
    >>> x.max()
    tensor(7.)
    >>> values, indices = x.max(dim=1)
    >>> values, indices
    (tensor([5., 7.]), tensor([1, 0]))
    """
    return _max_min(x, dim, keepdim, True)


def min(x, dim=None, keepdim: bool = False):
    """Minimum of all elements, or ``(values, indices)`` along ``dim`` (see :func:`max`).

    Parameters
    ----------
    x : Tensor
        Input.
    dim : int, optional
        Reduce along it and also return the indices.
    keepdim : bool
        Keep the reduced dimension with size 1.

    Returns
    -------
    Tensor or (Tensor, Tensor)
        The minimum, or a named tuple ``(values, indices)`` when ``dim`` is given.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.tensor([[1.0, 5.0], [7.0, 2.0]]).min(dim=0).indices
    tensor([0, 1])
    """
    return _max_min(x, dim, keepdim, False)


def _arg(x, dim, keepdim, largest):
    op = "argmax" if largest else "argmin"
    xp = x.xp
    f = xp.argmax if largest else xp.argmin
    if dim is None:
        _reduce_check(x, op, tuple(range(x.ndim)))
        out = f(x._data.reshape(-1))
        if keepdim:
            out = out.reshape((1,) * x.ndim)
    else:
        (axis,) = reduce_axes(dim, x.ndim, op) or (0,)
        _reduce_check(x, op, (axis,) if x.ndim else ())
        out = f(x._data, axis=axis if x.ndim else None, keepdims=keepdim)
    return Tensor._make(xp.asarray(out).astype(xp.int64, copy=False))


def argmax(x, dim=None, keepdim: bool = False):
    """Index of the maximum (of the flattened tensor when ``dim`` is None), int64.

    Ties give the first index. Not differentiable.

    Parameters
    ----------
    x : Tensor
    dim : int, optional
    keepdim : bool

    Returns
    -------
    Tensor
        int64 indices.

    Examples
    --------
    >>> import minigrad
    >>> x = minigrad.tensor([[1.0, 5.0], [7.0, 2.0]])
    >>> minigrad.argmax(x), minigrad.argmax(x, dim=1)
    (tensor(2), tensor([1, 0]))
    """
    return _arg(x, dim, keepdim, True)


def argmin(x, dim=None, keepdim: bool = False):
    """Index of the minimum (see :func:`argmax`).

    Parameters
    ----------
    x : Tensor
        Input.
    dim : int, optional
        The dimension to search (the flattened tensor by default).
    keepdim : bool
        Keep the reduced dimension with size 1.

    Returns
    -------
    Tensor
        int64 indices.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.argmin(minigrad.tensor([3.0, 1.0, 2.0]))
    tensor(1)
    """
    return _arg(x, dim, keepdim, False)
