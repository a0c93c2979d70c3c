"""Reductions: sum, mean, var, std, max, min, amax, amin, argmax, argmin, logsumexp,
softmax, log_softmax.

``dim`` may be an int, a tuple of ints or ``None`` (all dimensions); ``keepdim`` keeps
reduced dimensions with size 1. The backward of a reduction reshapes the output
gradient to the keepdim shape and broadcasts it back to the input's shape. Gradients
at ties follow PyTorch: ``amax``/``amin`` and ``max()``/``min()`` without ``dim`` share
it evenly among the tied elements; ``max(dim)``/``min(dim)`` give it to the selected
index only.
"""

from __future__ import annotations

import builtins
from collections import namedtuple

import numpy as np

from minigrad import backend
from minigrad.autograd.function import Function
from minigrad.ops.indexing import TakeAlongDim
from minigrad.tensor import Tensor

__all__ = [
    "sum", "mean", "var", "std", "var_mean", "std_mean", "max", "min", "amax", "amin",
    "argmax", "argmin", "logsumexp", "softmax", "log_softmax",
]  # fmt: skip


def _axes(dim, ndim):
    """Normalize ``dim`` to a sorted tuple of non-negative axes (``None`` or ``()``: all,
    as in PyTorch)."""
    if dim is None or (isinstance(dim, tuple | list) and not dim):
        return tuple(range(ndim))
    if isinstance(dim, int):
        dim = (dim,)
    out = []
    n = builtins.max(ndim, 1)
    for d in dim:
        if not -n <= d < n:
            raise IndexError(
                f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {d})"
            )
        if d % n in out:
            raise RuntimeError(f"dim {d % n} appears multiple times in the list of dims {dim}")
        out.append(d % n)
    return tuple(sorted(out)) if ndim else ()


def _keepdim_shape(shape, axes):
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


class Sum(Function):
    def __init__(self, axes, keepdim):
        self.axes, self.keepdim = axes, keepdim

    def forward(self, x):
        self.in_shape = x.shape
        return x.sum(axis=self.axes, keepdims=self.keepdim)

    def backward(self, gy):
        from minigrad.ops.shape import broadcast_to

        if not self.keepdim:
            gy = gy.reshape(_keepdim_shape(self.in_shape, self.axes))
        return broadcast_to(gy, self.in_shape)


def sum(x, dim=None, keepdim: bool = False, dtype=None):
    """Sum over ``dim`` (all dimensions by default).

    Parameters
    ----------
    x : Tensor
    dim : int, tuple of int or None
        Dimensions to reduce.
    keepdim : bool
        Keep reduced dimensions with size 1.
    dtype : dtype, optional
        Cast to it first. Bool tensors sum as int64, like PyTorch.

    Returns
    -------
    Tensor

    Raises
    ------
    IndexError
        For a dimension out of range.

    Examples
    --------
    >>> import minigrad
    >>> x = minigrad.tensor([[1.0, 2.0], [3.0, 4.0]])
    >>> minigrad.sum(x)
    tensor(10.)
    >>> x.sum(dim=0, keepdim=True)
    tensor([[4., 6.]])
    """
    if dtype is not None:
        x = x.to(dtype)
    if x.dtype.kind == "b":
        x = x.to(np.dtype("int64"))
    return Sum(_axes(dim, x.ndim), keepdim)(x)


def mean(x, dim=None, keepdim: bool = False):
    """Mean over ``dim`` (all dimensions by default; arguments as in :func:`sum`).

    Raises
    ------
    RuntimeError
        For a tensor that is not floating point.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.mean(minigrad.tensor([[1.0, 2.0], [3.0, 4.0]]), dim=1)
    tensor([1.5, 3.5])
    """
    if x.dtype.kind not in "fc":
        raise RuntimeError(
            f"mean(): could not infer output dtype. Input dtype must be floating point, "
            f"got {x.dtype}"
        )
    axes = _axes(dim, x.ndim)
    n = 1
    for a in axes:
        n *= x.shape[a]
    return Sum(axes, keepdim)(x) * (1.0 / n if n else float("nan"))


# ----------------------------------------------------------------------- variance
def _count(shape, axes):
    n = 1
    for a in axes:
        n *= shape[a]
    return n


def _as_keepdim(gy, in_shape, axes, keepdim):
    """The output gradient reshaped so it broadcasts against the input."""
    return gy if keepdim else gy.reshape(_keepdim_shape(in_shape, axes))


class Var(Function):
    """Variance with ``correction`` (Bessel's for 1); gradient
    ``gy * 2 (x - mean) / (N - correction)``, written in tensor ops."""

    def __init__(self, axes, keepdim, correction):
        self.axes, self.keepdim, self.correction = axes, keepdim, correction

    def forward(self, x):
        d = x - x.mean(axis=self.axes, keepdims=True)
        self.dof = builtins.max(_count(x.shape, self.axes) - self.correction, 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            return (d * d).sum(axis=self.axes, keepdims=self.keepdim) / self.dof

    def backward(self, gy):
        (x,) = self.inputs
        gy = _as_keepdim(gy, x.shape, self.axes, self.keepdim)
        scale = 2.0 / self.dof if self.dof else float("inf")
        return gy * (x - mean(x, self.axes, keepdim=True)) * scale


def _correction(dim, correction, unbiased):
    """Resolve PyTorch's ``unbiased`` alias (also accepted positionally as ``dim``)."""
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    if unbiased is not None:
        correction = 1 if unbiased else 0
    return dim, correction


def var(x, dim=None, unbiased=None, keepdim: bool = False, *, correction=1):
    """Variance over ``dim`` with ``correction`` (PyTorch's ``var``).

    Parameters
    ----------
    x : Tensor
        A floating-point tensor.
    dim : int, tuple of int or None
        Dimensions to reduce (all by default).
    unbiased : bool, optional
        The older spelling: ``True`` is ``correction=1``, ``False`` is ``correction=0``.
    keepdim : bool
        Keep reduced dimensions with size 1.
    correction : int
        Divide by ``N - correction`` (1: the unbiased sample variance; 0: the biased,
        population variance). ``N - correction <= 0`` gives ``inf`` or ``nan``, as in
        PyTorch.

    Returns
    -------
    Tensor

    Raises
    ------
    RuntimeError
        For a tensor that is not floating point.

    Examples
    --------
    >>> import minigrad
    >>> x = minigrad.tensor([1.0, 2.0, 3.0, 4.0])
    >>> x.var()
    tensor(1.6667)
    >>> x.var(correction=0)
    tensor(1.25)
    """
    dim, correction = _correction(dim, correction, unbiased)
    if x.dtype.kind not in "fc":
        raise RuntimeError(f"var: expected a floating point tensor, got {x.dtype}")
    return Var(_axes(dim, x.ndim), keepdim, correction)(x)


def std(x, dim=None, unbiased=None, keepdim: bool = False, *, correction=1):
    """Standard deviation: the square root of :func:`var` (same arguments).

    Examples
    --------
    >>> import minigrad
    >>> minigrad.tensor([1.0, 3.0]).std()
    tensor(1.4142)
    >>> minigrad.tensor([1.0, 3.0]).std(correction=0)
    tensor(1.)
    """
    from minigrad.ops.elementwise import sqrt

    return sqrt(var(x, dim, unbiased, keepdim, correction=correction))


def var_mean(x, dim=None, unbiased=None, keepdim: bool = False, *, correction=1):
    """``(var(x, ...), mean(x, ...))`` in one call (same arguments as :func:`var`).

    Examples
    --------
    >>> import minigrad
    >>> minigrad.var_mean(minigrad.tensor([1.0, 3.0]))
    (tensor(2.), tensor(2.))
    """
    dim, correction = _correction(dim, correction, unbiased)
    return var(x, dim, keepdim=keepdim, correction=correction), mean(x, dim, keepdim)


def std_mean(x, dim=None, unbiased=None, keepdim: bool = False, *, correction=1):
    """``(std(x, ...), mean(x, ...))`` in one call (same arguments as :func:`var`).

    Examples
    --------
    >>> import minigrad
    >>> minigrad.std_mean(minigrad.tensor([1.0, 3.0]), correction=0)
    (tensor(1.), tensor(2.))
    """
    dim, correction = _correction(dim, correction, unbiased)
    return std(x, dim, keepdim=keepdim, correction=correction), mean(x, dim, keepdim)


# ----------------------------------------------------------------------- max and min
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
        gy = _as_keepdim(gy, self.weight.shape, self.axes, self.keepdim)
        return gy * Tensor._make(self.weight)


class _Amax(_Extreme):
    largest = True


class _Amin(_Extreme):
    largest = False


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
    axes = _axes(dim, x.ndim)
    _reduce_check(x, "amax", axes)
    return _Amax(axes, keepdim)(x)


def amin(x, dim=None, keepdim: bool = False):
    """Smallest value over ``dim``; ties share the gradient evenly (see :func:`amax`).

    Examples
    --------
    >>> import minigrad
    >>> minigrad.amin(minigrad.tensor([[1.0, 3.0], [0.0, 5.0]]), dim=1)
    tensor([1., 0.])
    """
    axes = _axes(dim, x.ndim)
    _reduce_check(x, "amin", axes)
    return _Amin(axes, keepdim)(x)


# PyTorch's torch.return_types.max / .min: named tuples (values, indices)
_MaxResult = namedtuple("max", ["values", "indices"])
_MinResult = namedtuple("min", ["values", "indices"])


def _max_min(x, dim, keepdim, largest):
    op = "max" if largest else "min"
    if dim is None:
        return amax(x) if largest else amin(x)
    if isinstance(dim, Tensor):  # torch.max(a, b) is the elementwise maximum
        from minigrad.ops import elementwise

        return (elementwise.maximum if largest else elementwise.minimum)(x, dim)
    if not isinstance(dim, int):
        raise TypeError(f"{op}: dim must be an int, got {type(dim).__name__}")
    (axis,) = _axes(dim, x.ndim) or (0,)
    _reduce_check(x, op, (axis,) if x.ndim else ())
    xd = x.data if x.ndim else x.data.reshape(1)
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

    ``max(x)`` returns a 0-d tensor; ties share its gradient evenly. ``max(x, dim)``
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
        out = f(x.data.reshape(-1))
        if keepdim:
            out = out.reshape((1,) * x.ndim)
    else:
        (axis,) = _axes(dim, x.ndim) or (0,)
        _reduce_check(x, op, (axis,) if x.ndim else ())
        out = f(x.data, axis=axis if x.ndim else None, keepdims=keepdim)
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

    Examples
    --------
    >>> import minigrad
    >>> minigrad.argmin(minigrad.tensor([3.0, 1.0, 2.0]))
    tensor(1)
    """
    return _arg(x, dim, keepdim, False)


# ----------------------------------------------------------------------- logsumexp
class LogSumExp(Function):
    """Stable ``log(sum(exp(x)))``; gradient ``gy * exp(x - out)`` (the softmax)."""

    def __init__(self, axes, keepdim):
        self.axes, self.keepdim = axes, keepdim

    def forward(self, x):
        xp = backend.array_module(x)
        m = x.max(axis=self.axes, keepdims=True)
        m = xp.where(xp.isfinite(m), m, 0).astype(x.dtype, copy=False)
        with np.errstate(divide="ignore"):  # log(0) = -inf where every x is -inf
            out = xp.log(xp.exp(x - m).sum(axis=self.axes, keepdims=True)) + m
        self.out = (
            out
            if self.keepdim
            else out.reshape(tuple(s for i, s in enumerate(x.shape) if i not in self.axes))
        )
        return self.out

    def backward(self, gy):
        from minigrad.ops.elementwise import exp

        (x,) = self.inputs
        y = _as_keepdim(self.output(), x.shape, self.axes, self.keepdim)
        gy = _as_keepdim(gy, x.shape, self.axes, self.keepdim)
        return gy * exp(x - y)


def logsumexp(x, dim, keepdim: bool = False):
    """``log(sum(exp(x), dim))``, computed stably (the maximum is factored out).

    Parameters
    ----------
    x : Tensor
    dim : int or tuple of int
    keepdim : bool

    Returns
    -------
    Tensor

    Examples
    --------
    >>> import minigrad
    >>> x = minigrad.tensor([1000.0, 1000.0], dtype=minigrad.float64)
    >>> minigrad.logsumexp(x, dim=0)  # exp(1000) would overflow
    tensor(1000.6931, dtype=float64)
    """
    if x.dtype.kind not in "fc":
        x = x.to(np.dtype("float32"))
    return LogSumExp(_axes(dim, x.ndim), keepdim)(x)


# ----------------------------------------------------------------------- softmax
class LogSoftmax(Function):
    """Fused, stable log-softmax: ``x - logsumexp(x)``; its gradient is
    ``gy - softmax(x) * sum(gy)``, written in tensor ops."""

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        xp = backend.array_module(x)
        m = x.max(axis=self.axis, keepdims=True)
        z = x - m
        lse = xp.log(xp.exp(z).sum(axis=self.axis, keepdims=True))
        self.out = z - lse
        return self.out

    def backward(self, gy):
        y = self.output()
        return gy - exp_(y) * sum(gy, self.axis, keepdim=True)


class Softmax(Function):
    """Fused, stable softmax; gradient ``y * (gy - sum(gy * y))``."""

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        xp = backend.array_module(x)
        z = xp.exp(x - x.max(axis=self.axis, keepdims=True))
        self.out = z / z.sum(axis=self.axis, keepdims=True)
        return self.out

    def backward(self, gy):
        y = self.output()
        return y * (gy - sum(gy * y, self.axis, keepdim=True))


def exp_(x):
    from minigrad.ops.elementwise import exp

    return exp(x)


def _softmax_axis(x, dim, dtype):
    if dim is None:
        raise TypeError("softmax: dim must be given (the dimension to normalize over)")
    if dtype is not None:
        x = x.to(dtype)
    return x, (_axes(dim, x.ndim) or (None,))[0]


def softmax(x, dim: int, dtype=None):
    """Softmax along ``dim``, computed stably (the max is subtracted first).

    Parameters
    ----------
    x : Tensor
    dim : int
        The dimension whose entries sum to 1.
    dtype : dtype, optional
        Cast the input to it first.

    Returns
    -------
    Tensor

    Raises
    ------
    TypeError
        If ``dim`` is None.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.softmax(minigrad.tensor([0.0, 0.0]), dim=0)
    tensor([0.5, 0.5])
    """
    x, axis = _softmax_axis(x, dim, dtype)
    return Softmax(axis)(x)


def log_softmax(x, dim: int, dtype=None):
    """Log of the softmax along ``dim``, computed stably (arguments as in :func:`softmax`).

    Examples
    --------
    >>> import minigrad
    >>> minigrad.log_softmax(minigrad.tensor([0.0, 0.0]), dim=0)
    tensor([-0.6931, -0.6931])
    """
    x, axis = _softmax_axis(x, dim, dtype)
    return LogSoftmax(axis)(x)
