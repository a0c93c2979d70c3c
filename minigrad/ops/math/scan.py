"""Running sums, products and extremes along a dimension: ``cumsum``, ``cumprod``,
``prod``, ``cummax``, ``cummin``, and the inverse of the running sum, ``diff``.

Gradients, written in tensor ops (so they are differentiable again):

* ``cumsum``: the reversed running sum of the output gradient,
  ``flip(cumsum(flip(gy)))``.
* ``prod``: ``gy * prod_{j != k} x_j``, taken as the product of the *exclusive* running
  products from the left and from the right. It needs no division, so it is exact
  where elements are zero (PyTorch's values).
* ``cumprod``: ``revcumsum(gy * out) / x`` when no element is zero; otherwise the
  exact form ``sum_{i >= k} gy_i prod_{j <= i, j != k} x_j``, built as one running
  product per ``k`` (quadratic in the length, used only when a zero is present).

Integer and bool inputs are summed or multiplied in int64, as in PyTorch.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from minigrad import backend
from minigrad.autograd.function import Function
from minigrad.ops._dims import dim_index
from minigrad.ops.shape.indexing import TakeAlongDim
from minigrad.ops.shape.rearrange import flip, narrow
from minigrad.ops.shape.shape import cat
from minigrad.tensor import Tensor

__all__ = ["cumsum", "cumprod", "prod", "diff", "cummax", "cummin"]


def _promote(x, dtype):
    """Cast to ``dtype``, or integers and bools to int64 (PyTorch's accumulation)."""
    if dtype is not None:
        return x.to(dtype)
    if x.dtype.kind in "biu":
        return x.to(np.dtype("int64"))
    return x


def _axis(x, dim, op):
    return dim_index(dim, max(x.ndim, 1), op)


class CumSum(Function):
    uses_input_values = False  # backward reads only shapes

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        return backend.array_module(x).cumsum(x, axis=self.axis)

    def backward(self, gy):
        return flip(CumSum(self.axis)(flip(gy, self.axis)), self.axis)


def cumsum(x, dim: int, dtype=None):
    """Running sum along ``dim``: ``out[i]`` is the sum of ``x[0]`` to ``x[i]``.

    Parameters
    ----------
    x : Tensor
        Input.
    dim : int
        The dimension to accumulate along.
    dtype : dtype, optional
        Cast to it first; integers and bools accumulate in int64 by default.

    Returns
    -------
    Tensor
        Of ``x``'s shape.

    Examples
    --------
    >>> import minigrad
    >>> x = minigrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> y = minigrad.cumsum(x, dim=0)
    >>> y
    tensor([1., 3., 6.], grad_fn=<CumSum backward>)
    >>> y.sum().backward()
    >>> x.grad
    tensor([3., 2., 1.])
    """
    axis = _axis(x, dim, "cumsum")
    x = _promote(x, dtype)
    if x.ndim == 0:
        return CumSum(0)(x.reshape(1)).reshape(())
    return CumSum(axis)(x)


class CumProd(Function):
    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        self.out = backend.array_module(x).cumprod(x, axis=self.axis)
        return self.out

    def backward(self, gy):
        (x,) = self.inputs
        a = self.axis
        if not bool((x._data == 0).any()):
            out = self.output()
            return flip(cumsum(flip(gy * out, a), a), a) / x
        return _cumprod_grad_with_zeros(x, gy, a)


def _cumprod_grad_with_zeros(x, gy, axis):
    """``g_k = sum_{i >= k} gy_i prod_{j <= i, j != k} x_j``, exact at zeros."""
    from minigrad.ops.shape.rearrange import movedim

    xm, gm = movedim(x, axis, -1), movedim(gy, axis, -1)
    n = xm.shape[-1]
    xp = x.xp
    eye = Tensor._make(xp.eye(n, dtype=x.dtype))
    # row k: x with x_k replaced by 1; its running product is prod_{j <= i, j != k} x_j
    rows = xm.unsqueeze(-2) * (1 - eye) + eye
    upper = Tensor._make(xp.triu(xp.ones((n, n), dtype=x.dtype)))  # i >= k
    g = (cumprod(rows, -1) * upper * gm.unsqueeze(-2)).sum(-1)
    return movedim(g, -1, axis)


def cumprod(x, dim: int, dtype=None):
    """Running product along ``dim``: ``out[i]`` is the product of ``x[0]`` to ``x[i]``.

    The gradient is exact where elements are zero (see the module notes).

    Parameters
    ----------
    x : Tensor
        Input.
    dim : int
        The dimension to accumulate along.
    dtype : dtype, optional
        Cast to it first; integers and bools accumulate in int64 by default.

    Returns
    -------
    Tensor
        Of ``x``'s shape.

    Examples
    --------
    >>> import minigrad
    >>> x = minigrad.tensor([2.0, 0.0, 3.0], requires_grad=True)
    >>> minigrad.cumprod(x, 0)
    tensor([2., 0., 0.], grad_fn=<CumProd backward>)
    >>> minigrad.cumprod(x, 0).sum().backward()
    >>> x.grad
    tensor([1., 8., 0.])
    """
    axis = _axis(x, dim, "cumprod")
    x = _promote(x, dtype)
    if x.ndim == 0:
        return CumProd(0)(x.reshape(1)).reshape(())
    return CumProd(axis)(x)


def _exclusive_cumprod(x, axis):
    """``out[k] = x[0] * ... * x[k-1]`` (1 for ``k = 0``) along ``axis``."""
    n = x.shape[axis]
    one = Tensor._make(x.xp.ones(x.shape[:axis] + (1,) + x.shape[axis + 1 :], dtype=x.dtype))
    if n == 1:
        return one
    return cat([one, cumprod(narrow(x, axis, 0, n - 1), axis)], axis)


class Prod(Function):
    def __init__(self, axis, keepdim):
        self.axis, self.keepdim = axis, keepdim

    def forward(self, x):
        return backend.array_module(x).prod(x, axis=self.axis, keepdims=self.keepdim)

    def backward(self, gy):
        (x,) = self.inputs
        a = self.axis
        if not self.keepdim:
            gy = gy.unsqueeze(a)
        if x.shape[a] == 0:
            return gy.expand(x.shape) * 0
        others = _exclusive_cumprod(x, a) * flip(_exclusive_cumprod(flip(x, a), a), a)
        return gy * others


def prod(x, dim=None, keepdim: bool = False, dtype=None):
    """Product of all elements, or along one dimension ``dim``.

    The gradient, ``prod_{j != k} x_j``, is computed without division: exact where
    elements are zero.

    Parameters
    ----------
    x : Tensor
        Input.
    dim : int, optional
        The dimension to reduce (all elements by default).
    keepdim : bool
        Keep the reduced dimension with size 1 (only with ``dim``).
    dtype : dtype, optional
        Cast to it first; integers and bools multiply in int64 by default.

    Returns
    -------
    Tensor

    Examples
    --------
    >>> import minigrad
    >>> x = minigrad.tensor([[1.0, 2.0], [3.0, 0.0]], requires_grad=True)
    >>> x.prod()
    tensor(0., grad_fn=<Prod backward>)
    >>> x.prod(1).sum().backward()
    >>> x.grad
    tensor([[2., 1.],
            [0., 3.]])
    """
    x = _promote(x, dtype)
    if dim is None:
        return Prod(0, False)(x.reshape(-1))
    axis = _axis(x, dim, "prod")
    if x.ndim == 0:
        return Prod(0, False)(x.reshape(1))
    return Prod(axis, keepdim)(x)


def diff(x, n: int = 1, dim: int = -1, prepend=None, append=None):
    """The ``n``-th forward difference along ``dim``: ``out[i] = x[i + 1] - x[i]``.

    Parameters
    ----------
    x : Tensor
        Input (at least 1-d).
    n : int
        How many times to difference.
    dim : int
        The dimension (the last by default).
    prepend, append : Tensor, optional
        Joined to ``x`` along ``dim`` before differencing.

    Returns
    -------
    Tensor
        Shorter than ``x`` by ``n`` along ``dim`` (bool tensors give ``x[i+1] != x[i]``).

    Examples
    --------
    >>> import minigrad
    >>> minigrad.diff(minigrad.tensor([1, 4, 9, 16]))
    tensor([3, 5, 7])
    >>> minigrad.tensor([1.0, 4.0, 9.0, 16.0]).diff(n=2)
    tensor([2., 2.])
    """
    if x.ndim == 0:
        raise RuntimeError("diff: expected at least a 1-dimensional tensor")
    axis = dim_index(dim, x.ndim, "diff")
    if prepend is not None or append is not None:
        parts = [p for p in (prepend, x, append) if p is not None]
        x = cat([p if p.ndim == x.ndim else p.expand(_side_shape(x, axis, p)) for p in parts], axis)
    for _ in range(n):
        m = x.shape[axis]
        if m == 0:
            break
        hi, lo = narrow(x, axis, 1, m - 1), narrow(x, axis, 0, m - 1)
        x = hi != lo if x.dtype.kind == "b" else hi - lo
    return x


def _side_shape(x, axis, p):
    """Shape of a 0-d ``prepend``/``append`` broadcast as one slice of ``x``."""
    return x.shape[:axis] + (1,) + x.shape[axis + 1 :]


_CummaxResult = namedtuple("cummax", ["values", "indices"])
_CumminResult = namedtuple("cummin", ["values", "indices"])


def _cumextreme(x, dim, largest):
    op = "cummax" if largest else "cummin"
    axis = _axis(x, dim, op)
    xs = x if x.ndim else x.reshape(1)
    xp = x.xp
    d = xs._data
    run = _accumulate(xp.maximum if largest else xp.minimum, d, axis)
    shape = [1] * d.ndim
    shape[axis] = d.shape[axis]
    pos = xp.arange(d.shape[axis], dtype=xp.int64).reshape(shape)
    hit = (d == run) | (xp.isnan(d) if d.dtype.kind == "f" else False)
    idx = _accumulate(xp.maximum, xp.where(hit, pos, 0), axis)  # last index of the extreme
    values = TakeAlongDim(idx, axis)(xs)
    if x.ndim == 0:
        values, idx = values.reshape(()), idx.reshape(())
    return (_CummaxResult if largest else _CumminResult)(values, Tensor._make(idx))


def _accumulate(op, a, axis):
    """``op.accumulate(a, axis)``, with a loop over the axis where the array module's
    ufuncs have no ``accumulate`` (older CuPy)."""
    try:
        return op.accumulate(a, axis=axis)
    except (AttributeError, NotImplementedError, TypeError):  # pragma: no cover - GPU
        xp = backend.array_module(a)
        out = xp.moveaxis(a.copy(), axis, 0)
        for i in range(1, out.shape[0]):
            out[i] = op(out[i - 1], out[i])
        return xp.moveaxis(out, 0, axis)


def cummax(x, dim: int):
    """Running maximum along ``dim`` and where it was found: ``(values, indices)``.

    Ties give the latest index, as in PyTorch; the gradient of ``values`` goes to the
    element each running maximum came from.

    Parameters
    ----------
    x : Tensor
        Input.
    dim : int
        The dimension.

    Returns
    -------
    (Tensor, Tensor)
        Named tuple; ``indices`` are int64.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.cummax(minigrad.tensor([1, 3, 3, 2, 5]), 0)
    cummax(values=tensor([1, 3, 3, 3, 5]), indices=tensor([0, 1, 2, 2, 4]))
    """
    return _cumextreme(x, dim, True)


def cummin(x, dim: int):
    """Running minimum along ``dim`` and where it was found (see :func:`cummax`).

    Parameters
    ----------
    x : Tensor
        Input.
    dim : int
        The dimension.

    Returns
    -------
    (Tensor, Tensor)
        Named tuple ``(values, indices)``.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.cummin(minigrad.tensor([3.0, 1.0, 1.0, 2.0]), 0).indices
    tensor([0, 1, 2, 2])
    """
    return _cumextreme(x, dim, False)
