"""Reductions: sum, mean, var, std, max, min, argmax, argmin, logsumexp, softmax.

``dim`` may be an int, a tuple of ints or ``None`` (all dimensions); ``keepdim`` keeps
reduced dimensions with size 1. The backward of a reduction broadcasts the output
gradient back to the input's shape with :func:`~minigrad.ops.shape.broadcast_to`.
"""

from __future__ import annotations

import builtins

from minigrad import backend
from minigrad.autograd.function import Function
from minigrad.tensor import Tensor

__all__ = ["sum", "mean", "softmax", "log_softmax"]


def _axes(dim, ndim):
    """Normalize ``dim`` to a sorted tuple of non-negative axes (``None``: all)."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, int):
        dim = (dim,)
    out = []
    n = builtins.max(ndim, 1)
    for d in dim:
        if not -n <= d < n:
            raise IndexError(
                f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                f"but got {d})"
            )
        out.append(d % n)
    return tuple(sorted(set(out))) if ndim else ()


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
        x = x.to("int64")
    return Sum(_axes(dim, x.ndim), keepdim)(x)


def mean(x, dim=None, keepdim: bool = False):
    """Mean over ``dim`` (all dimensions by default).

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


def softmax(x, dim: int):
    """Softmax along ``dim``, computed stably (the max is subtracted first).

    Examples
    --------
    >>> import minigrad
    >>> minigrad.softmax(minigrad.tensor([0.0, 0.0]), dim=0)
    tensor([0.5, 0.5])
    """
    return Softmax(_axes(dim, x.ndim)[0])(x)


def log_softmax(x, dim: int):
    """Log of the softmax along ``dim``, computed stably.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.log_softmax(minigrad.tensor([0.0, 0.0]), dim=0)
    tensor([-0.6931, -0.6931])
    """
    return LogSoftmax(_axes(dim, x.ndim)[0])(x)
