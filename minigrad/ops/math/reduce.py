"""Reductions: sum, mean, var, std (and their ``_mean`` pairs), logsumexp.

The maximum/minimum family (max, min, amax, amin, argmax, argmin) lives in
:mod:`minigrad.ops.math.minmax`, softmax and log_softmax in :mod:`minigrad.ops.math.softmax`.

``dim`` may be an int, a tuple of ints or ``None`` (all dimensions); ``keepdim`` keeps
reduced dimensions with size 1. The backward of a reduction reshapes the output
gradient to the keepdim shape and broadcasts it back to the input's shape. Gradients
at ties follow PyTorch: ``amax``/``amin`` and ``max()``/``min()`` without ``dim`` share
it evenly among the tied elements; ``max(dim)``/``min(dim)`` give it to the selected
index only.
"""

from __future__ import annotations

import builtins

import numpy as np

from minigrad import backend
from minigrad.autograd.function import Function
from minigrad.ops._dims import as_keepdim, keepdim_shape, reduce_axes
from minigrad.tensor import Tensor

__all__ = ["sum", "mean", "var", "std", "var_mean", "std_mean", "logsumexp", "all", "any"]


class Sum(Function):
    uses_input_values = False  # backward reads only shapes

    def __init__(self, axes, keepdim):
        self.axes, self.keepdim = axes, keepdim

    def forward(self, x):
        self.in_shape = x.shape
        return x.sum(axis=self.axes, keepdims=self.keepdim)

    def backward(self, gy):
        from minigrad.ops.shape.shape import broadcast_to

        if not self.keepdim:
            gy = gy.reshape(keepdim_shape(self.in_shape, self.axes))
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
    return Sum(reduce_axes(dim, x.ndim, "sum"), keepdim)(x)


def mean(x, dim=None, keepdim: bool = False):
    """Mean over ``dim`` (all dimensions by default; arguments as in :func:`sum`).

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
    axes = reduce_axes(dim, x.ndim, "mean")
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
        gy = as_keepdim(gy, x.shape, self.axes, self.keepdim)
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
    return Var(reduce_axes(dim, x.ndim, "var"), keepdim, correction)(x)


def std(x, dim=None, unbiased=None, keepdim: bool = False, *, correction=1):
    """Standard deviation: the square root of :func:`var` (same arguments).

    Parameters
    ----------
    x : Tensor
        Input.
    dim : int or tuple of ints, optional
        Dimensions to reduce (all by default).
    keepdim : bool
        Keep reduced dimensions with size 1.
    unbiased : bool, optional
        Legacy spelling of ``correction`` (True: 1, False: 0).
    correction : int
        Subtracted from the count in the divisor (default 1, Bessel's).

    Returns
    -------
    Tensor

    Examples
    --------
    >>> import minigrad
    >>> minigrad.tensor([1.0, 3.0]).std()
    tensor(1.4142)
    >>> minigrad.tensor([1.0, 3.0]).std(correction=0)
    tensor(1.)
    """
    dim, correction = _correction(dim, correction, unbiased)
    if x.dtype.kind not in "fc":
        raise RuntimeError(f"std: expected a floating point tensor, got {x.dtype}")
    return Std(reduce_axes(dim, x.ndim, "std"), keepdim, correction)(x)


class Std(Function):
    """``sqrt(var)``; PyTorch's gradient ``var_backward(gy / (2 std))`` with 0 where
    ``std == 0`` (a constant input has a zero gradient, not NaN)."""

    def __init__(self, axes, keepdim, correction):
        self.axes, self.keepdim, self.correction = axes, keepdim, correction

    def forward(self, x):
        v = Var(self.axes, self.keepdim, self.correction).forward(x)
        self.out = backend.array_module(x).sqrt(v)
        return self.out

    def backward(self, gy):
        from minigrad.ops.math.elementwise import where

        (x,) = self.inputs
        y = self.output()
        zero = Tensor._make(y._data == 0)
        gv = where(zero, 0.0, gy / where(zero, 1.0, y * 2))
        gv = as_keepdim(gv, x.shape, self.axes, self.keepdim)
        dof = builtins.max(_count(x.shape, self.axes) - self.correction, 0)
        scale = 2.0 / dof if dof else float("inf")
        return gv * (x - mean(x, self.axes, keepdim=True)) * scale


def var_mean(x, dim=None, unbiased=None, keepdim: bool = False, *, correction=1):
    """``(var(x, ...), mean(x, ...))`` in one call (same arguments as :func:`var`).

    Parameters
    ----------
    x : Tensor
        Input.
    dim : int or tuple of ints, optional
        Dimensions to reduce (all by default).
    keepdim : bool
        Keep reduced dimensions with size 1.
    unbiased : bool, optional
        Legacy spelling of ``correction`` (True: 1, False: 0).
    correction : int
        Subtracted from the count in the divisor (default 1, Bessel's).

    Returns
    -------
    (Tensor, Tensor)
        The variance and the mean.

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

    Parameters
    ----------
    x : Tensor
        Input.
    dim : int or tuple of ints, optional
        Dimensions to reduce (all by default).
    keepdim : bool
        Keep reduced dimensions with size 1.
    unbiased : bool, optional
        Legacy spelling of ``correction`` (True: 1, False: 0).
    correction : int
        Subtracted from the count in the divisor (default 1, Bessel's).

    Returns
    -------
    (Tensor, Tensor)
        The standard deviation and the mean.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.std_mean(minigrad.tensor([1.0, 3.0]), correction=0)
    (tensor(1.), tensor(2.))
    """
    dim, correction = _correction(dim, correction, unbiased)
    return std(x, dim, keepdim=keepdim, correction=correction), mean(x, dim, keepdim)


# ----------------------------------------------------------------------- logsumexp
class LogSumExp(Function):
    """Stable ``log(sum(exp(x)))``; gradient ``gy * exp(x - out)`` (the softmax)."""

    def __init__(self, axes, keepdim):
        self.axes, self.keepdim = axes, keepdim

    def forward(self, x):
        xp = backend.array_module(x)
        if builtins.any(x.shape[a] == 0 for a in self.axes):  # an empty sum: log(0) = -inf
            out = xp.full(keepdim_shape(x.shape, self.axes), -xp.inf, dtype=x.dtype)
        else:
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
        from minigrad.ops.math.unary import exp

        (x,) = self.inputs
        y = as_keepdim(self.output(), x.shape, self.axes, self.keepdim)
        gy = as_keepdim(gy, x.shape, self.axes, self.keepdim)
        return gy * exp(x - y)


def logsumexp(x, dim, keepdim: bool = False):
    """``log(sum(exp(x), dim))``, computed stably (the maximum is factored out).

    Over an empty dimension the sum is 0 and the result ``-inf``, as in PyTorch.

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
    return LogSumExp(reduce_axes(dim, x.ndim, "logsumexp"), keepdim)(x)


# ------------------------------------------------------------------ all, any
def all(x, dim=None, keepdim=False):
    """True where all elements (along ``dim``) are non-zero; a bool tensor (no gradient).

    Examples
    --------
    >>> import minigrad
    >>> minigrad.all(minigrad.tensor([[1, 0], [2, 3]]), dim=1)
    tensor([False,  True])
    """
    return Tensor._make(x.xp.asarray(x._data.all(axis=dim, keepdims=keepdim)))


def any(x, dim=None, keepdim=False):
    """True where any element (along ``dim``) is non-zero; a bool tensor (no gradient).

    Examples
    --------
    >>> import minigrad
    >>> minigrad.tensor([[0, 0], [2, 0]]).any(dim=1)
    tensor([False,  True])
    """
    return Tensor._make(x.xp.asarray(x._data.any(axis=dim, keepdims=keepdim)))
