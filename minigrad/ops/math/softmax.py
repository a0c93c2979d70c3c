"""Softmax and log-softmax along one dimension: fused, numerically stable forwards whose
backwards are written in tensor ops (so they are differentiable again).

``softmax(x, dim)`` is ``exp(x - logsumexp(x, dim))``; the max is subtracted before the
exponential so large inputs do not overflow.
"""

from __future__ import annotations

from minigrad import backend
from minigrad.autograd.function import Function
from minigrad.ops._dims import reduce_axes

__all__ = ["softmax", "log_softmax"]


class LogSoftmax(Function):
    """Fused, stable log-softmax: ``x - logsumexp(x)``; its gradient is
    ``gy - softmax(x) * sum(gy)``, written in tensor ops."""

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        xp = backend.array_module(x)
        if x.size == 0:  # nothing to normalize (the max of an empty dim has no identity)
            self.out = x.copy()
            return self.out
        m = x.max(axis=self.axis, keepdims=True)
        z = x - m
        lse = xp.log(xp.exp(z).sum(axis=self.axis, keepdims=True))
        self.out = z - lse
        return self.out

    def backward(self, gy):
        y = self.output()
        return gy - y.exp() * gy.sum(self.axis, keepdim=True)


class Softmax(Function):
    """Fused, stable softmax; gradient ``y * (gy - sum(gy * y))``."""

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        xp = backend.array_module(x)
        if x.size == 0:  # an empty result, as in PyTorch
            self.out = x.copy()
            return self.out
        z = xp.exp(x - x.max(axis=self.axis, keepdims=True))
        self.out = z / z.sum(axis=self.axis, keepdims=True)
        return self.out

    def backward(self, gy):
        y = self.output()
        return y * (gy - (gy * y).sum(self.axis, keepdim=True))


def _softmax_axis(x, dim, dtype, op="softmax"):
    if dim is None:
        raise TypeError(f"{op}: dim must be given (the dimension to normalize over)")
    if dtype is not None:
        x = x.to(dtype)
    if x.dtype.kind not in "fc":
        raise RuntimeError(
            f"{op}: expected a floating point tensor, got {x.dtype} (shape "
            f"{tuple(x.shape)}); pass dtype=minigrad.float32 to cast it"
        )
    return x, (reduce_axes(dim, x.ndim, op) or (None,))[0]


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

    Parameters
    ----------
    x : Tensor
        Input.
    dim : int
        The dimension to normalize over.
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
    >>> minigrad.log_softmax(minigrad.tensor([0.0, 0.0]), dim=0)
    tensor([-0.6931, -0.6931])
    """
    x, axis = _softmax_axis(x, dim, dtype, "log_softmax")
    return LogSoftmax(axis)(x)
