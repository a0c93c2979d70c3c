"""Unary elementwise math: neg, abs, exp, log, sqrt, rsqrt, sin, cos, tanh, sigmoid, relu.

Each op is a :class:`~minigrad.autograd.Function` that shows its local derivative in its
backward, written in tensor ops (so it is itself differentiable). The binary ops with
broadcasting live in :mod:`minigrad.ops.elementwise`, which re-exports these.
"""

from __future__ import annotations

import numpy as np

from minigrad import backend, jit
from minigrad.autograd.function import Function
from minigrad.ops import relu_jit
from minigrad.tensor import Tensor

__all__ = [
    "neg", "abs", "exp", "log", "sqrt", "rsqrt", "sin", "cos", "tanh", "sigmoid", "relu",
]  # fmt: skip


class Neg(Function):
    uses_input_values = False  # backward reads only shapes

    def forward(self, x):
        return -x

    def backward(self, gy):
        return -gy


class Abs(Function):
    def forward(self, x):
        xp = backend.array_module(x)
        self.sign = xp.sign(x)
        return xp.abs(x)

    def backward(self, gy):
        return gy * Tensor._make(self.sign)


class Exp(Function):
    def forward(self, x):
        self.out = backend.array_module(x).exp(x)
        return self.out

    def backward(self, gy):
        return gy * self.output()


class Log(Function):
    def forward(self, x):
        return backend.array_module(x).log(x)

    def backward(self, gy):
        return gy / self.inputs[0]


class Sqrt(Function):
    def forward(self, x):
        self.out = backend.array_module(x).sqrt(x)
        return self.out

    def backward(self, gy):
        return gy * 0.5 / self.output()


class Rsqrt(Function):
    def forward(self, x):
        xp = backend.array_module(x)
        self.out = 1 / xp.sqrt(x)
        return self.out

    def backward(self, gy):
        y = self.output()
        return gy * -0.5 * y * y * y


class Sin(Function):
    def forward(self, x):
        return backend.array_module(x).sin(x)

    def backward(self, gy):
        return gy * cos(self.inputs[0])


class Cos(Function):
    def forward(self, x):
        return backend.array_module(x).cos(x)

    def backward(self, gy):
        return -gy * sin(self.inputs[0])


class Tanh(Function):
    def forward(self, x):
        self.out = backend.array_module(x).tanh(x)
        return self.out

    def backward(self, gy):
        y = self.output()
        return gy * (1 - y * y)


class Sigmoid(Function):
    def forward(self, x):
        xp = backend.array_module(x)
        # tanh form: stable for large |x| and keeps the dtype
        self.out = xp.tanh(x * 0.5) * 0.5 + 0.5
        return self.out

    def backward(self, gy):
        y = self.output()
        return gy * y * (1 - y)


class ReLU(Function):
    def forward(self, x):
        xp = backend.array_module(x)
        if xp is np and jit.enabled() and relu_jit.handles(x):  # one compiled pass
            self.mask = None
            self.out = relu_jit.relu(x)  # backward reads the output, as PyTorch's
            return self.out
        self.mask = x > 0
        return xp.maximum(x, 0)  # keeps NaN, gives +0 (not -0)

    def backward(self, gy):
        if self.mask is None:
            return ReLUGrad(self.output().data)(gy)
        return gy * Tensor._make(self.mask)


class ReLUGrad(Function):
    """``gy * (y > 0)`` for ReLU's output ``y`` (the backward of :class:`ReLU` on the
    compiled path). Linear in ``gy``, so its backward is itself."""

    uses_input_values = False  # backward reads only the saved output

    def __init__(self, y):
        self.y = y

    def forward(self, gy):
        if relu_jit.handles(gy, self.y) and jit.enabled():
            return relu_jit.relu_grad(gy, self.y)
        return gy * (self.y > 0)

    def backward(self, ggy):
        return ReLUGrad(self.y)(ggy)


def neg(x):
    """``-x``.

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
    >>> minigrad.neg(minigrad.tensor([1.0, -2.0]))
    tensor([-1.,  2.])
    """
    return Neg()(x)


def abs(x):
    """``|x|``; its gradient at 0 is 0, like PyTorch's.

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
    >>> minigrad.abs(minigrad.tensor([-1.0, 2.0]))
    tensor([1., 2.])
    """
    return Abs()(x)


def exp(x):
    """``e ** x``.

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
    >>> minigrad.exp(minigrad.tensor([0.0]))
    tensor([1.])
    """
    return Exp()(x)


def log(x):
    """Natural logarithm.

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
    >>> minigrad.log(minigrad.tensor([1.0]))
    tensor([0.])
    """
    return Log()(x)


def sqrt(x):
    """Square root.

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
    >>> minigrad.sqrt(minigrad.tensor([4.0]))
    tensor([2.])
    """
    return Sqrt()(x)


def rsqrt(x):
    """``1 / sqrt(x)``.

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
    >>> minigrad.rsqrt(minigrad.tensor([4.0]))
    tensor([0.5])
    """
    return Rsqrt()(x)


def sin(x):
    """Sine.

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
    >>> minigrad.sin(minigrad.tensor([0.0]))
    tensor([0.])
    """
    return Sin()(x)


def cos(x):
    """Cosine.

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
    >>> minigrad.cos(minigrad.tensor([0.0]))
    tensor([1.])
    """
    return Cos()(x)


def tanh(x):
    """Hyperbolic tangent.

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
    >>> minigrad.tanh(minigrad.tensor([0.0]))
    tensor([0.])
    """
    return Tanh()(x)


def sigmoid(x):
    """Logistic sigmoid ``1 / (1 + e^-x)``, stable for large ``|x|``.

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
    >>> minigrad.sigmoid(minigrad.tensor([0.0]))
    tensor([0.5])
    """
    return Sigmoid()(x)


def relu(x):
    """``max(x, 0)``; gradient 0 at 0, like PyTorch.

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
    >>> minigrad.relu(minigrad.tensor([-1.0, 2.0]))
    tensor([0., 2.])
    """
    return ReLU()(x)
