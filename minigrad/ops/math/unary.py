"""Unary elementwise math: neg, abs, exp, log, sqrt, rsqrt, sin, cos, tanh, sigmoid, relu.

Each op is a :class:`~minigrad.autograd.Function` that shows its local derivative in its
backward, written in tensor ops (so it is itself differentiable). The binary ops with
broadcasting live in :mod:`minigrad.ops.math.elementwise`, which re-exports these.
"""

from __future__ import annotations

import numpy as np

from minigrad import backend
from minigrad.autograd.function import Function
from minigrad.ops import impl
from minigrad.ops.impl import COMPILED
from minigrad.ops.kernels.cpu import relu_jit
from minigrad.ops.math.promotion import floating, operand
from minigrad.tensor import Tensor

__all__ = [
    "neg", "abs", "exp", "log", "sqrt", "rsqrt", "sin", "cos", "tanh", "sigmoid", "relu",
]  # fmt: skip


class Neg(Function):
    raw_backward = True  # the formula works on arrays too (Function)
    uses_input_values = False  # backward reads only shapes

    def forward(self, x):
        return -x

    def backward(self, gy):
        return -gy


class Abs(Function):
    def forward(self, x):
        xp = backend.array_module(x)
        self.sign = xp.sign(x)
        if self.sign.dtype.kind == "f":  # PyTorch's sgn(NaN) is 0: no gradient at NaN
            self.sign = xp.nan_to_num(self.sign, nan=0.0)
        return xp.abs(x)

    def backward(self, gy):
        return gy * Tensor._make(self.sign)


class Exp(Function):
    raw_backward = True  # the formula works on arrays too (Function)

    def forward(self, x):
        self.out = backend.array_module(x).exp(floating(x))
        return self.out

    def backward(self, gy):
        return gy * self.output()


class Log(Function):
    raw_backward = True  # the formula works on arrays too (Function)

    def forward(self, x):
        return backend.array_module(x).log(floating(x))

    def backward(self, gy):
        return gy / self.inputs[0]


class Sqrt(Function):
    raw_backward = True  # the formula works on arrays too (Function)

    def forward(self, x):
        self.out = backend.array_module(x).sqrt(floating(x))
        return self.out

    def backward(self, gy):
        return gy * 0.5 / self.output()


class Rsqrt(Function):
    raw_backward = True  # the formula works on arrays too (Function)

    def forward(self, x):
        xp = backend.array_module(x)
        self.out = 1 / xp.sqrt(floating(x))
        return self.out

    def backward(self, gy):
        y = self.output()
        return gy * -0.5 * y * y * y


class Sin(Function):
    def forward(self, x):
        return backend.array_module(x).sin(floating(x))

    def backward(self, gy):
        return gy * cos(self.inputs[0])


class Cos(Function):
    def forward(self, x):
        return backend.array_module(x).cos(floating(x))

    def backward(self, gy):
        return -gy * sin(self.inputs[0])


class Tanh(Function):
    raw_backward = True  # the formula works on arrays too (Function)

    def forward(self, x):
        self.out = backend.array_module(x).tanh(floating(x))
        return self.out

    def backward(self, gy):
        y = self.output()
        # (1 - y)(1 + y), not 1 - y*y: 1 - y is exact near |y| = 1, so the tails keep
        # their precision (float32 at x = 5: 1.81548e-4 as PyTorch, not 1.81556e-4)
        one = operand(1.0, y)  # (a cached 0-d array on the raw-array path: faster)
        return gy * ((one - y) * (one + y))


def _sigmoid_array(x):
    """``1 / (1 + exp(-x))`` as PyTorch computes it: full relative precision in the tails
    (2.06e-9 at -20 in float32; the tanh form rounds it to 0), and ``exp(-x)`` may
    overflow to inf, which gives the right limit 0 (the overflow warning is silenced)."""
    xp = backend.array_module(x)
    x = floating(x)
    with np.errstate(over="ignore"):
        y = xp.exp(-x)
    y += 1
    return xp.reciprocal(y, out=y)


class Sigmoid(Function):
    raw_backward = True  # the formula works on arrays too (Function)

    def forward(self, x):
        self.out = _sigmoid_array(x)
        return self.out

    def backward(self, gy):
        y = self.output()
        return gy * y * (1 - y)


RELU = impl.family("relu")
"""ReLU's implementations: "numpy" and "cupy" are ``xp.maximum`` / ``xp.where``;
"cpu-compiled" is one pass of :mod:`minigrad.ops.kernels.cpu.relu_jit` (float32/float64)."""
RELU.register(COMPILED, relu_jit.handles)


class ReLU(Function):
    raw_backward = True  # a first-order walk runs ReLUGrad's pass on the arrays, no node

    def forward(self, x):
        if impl.choose(self, RELU, x) == COMPILED:  # one compiled pass
            self.out = relu_jit.relu(x)  # backward reads the output, as PyTorch's
            return self.out
        self.out = backend.array_module(x).maximum(x, 0)  # keeps NaN, gives +0 (not -0)
        return self.out

    def backward(self, gy):
        if self._raw:
            return ReLUGrad(self.output()).forward(gy)
        return ReLUGrad(self.output()._data)(gy)


class ReLUGrad(Function):
    """``gy`` where ReLU's output ``y`` is not ``<= 0`` (so NaN passes), else 0: a select,
    as PyTorch's ``threshold_backward``, so an infinite ``gy`` gives 0 (not NaN) where
    the input was negative. Linear in ``gy``, so its backward is itself."""

    uses_input_values = False  # backward reads only the saved output

    def __init__(self, y):
        self.y = y

    def forward(self, gy):
        if impl.choose(self, RELU, gy, self.y) == COMPILED:
            return relu_jit.relu_grad(gy, self.y)
        return backend.array_module(gy).where(self.y <= 0, 0, gy)

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
    """Logistic sigmoid ``1 / (1 + e^-x)``, stable and precise for large ``|x|``
    (``sigmoid(-40)`` is 4.2e-18 in float64, so its log is -40, as in PyTorch).

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
    """``max(x, 0)``; gradient 0 where ``x <= 0`` (a select: an infinite upstream
    gradient stays 0 there) and passed through NaN, like PyTorch.

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
