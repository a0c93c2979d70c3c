"""Special functions that stay accurate where the plain formula loses digits:
``log1p``, ``expm1``, ``exp2``, ``log2``, ``log10``, ``logit``, ``xlogy``; and the
small powers ``square`` and ``reciprocal``.

Each backward is written in tensor ops (differentiable again):
``log1p' = 1 / (1 + x)``, ``expm1' = expm1(x) + 1``, ``exp2' = ln 2 * exp2(x)``,
``log2' = 1 / (x ln 2)``, ``log10' = 1 / (x ln 10)``, ``logit' = 1 / (x (1 - x))``,
``xlogy`` follows PyTorch: 0 where ``x == 0`` (also for ``y == 0``); its gradient with
respect to ``x`` is ``log(y)``, 0 where ``x == 0`` and ``y <= 0``.
"""

from __future__ import annotations

import math

from minigrad import backend
from minigrad.autograd.function import Function, sum_to
from minigrad.tensor import Tensor

__all__ = [
    "log1p", "expm1", "exp2", "log2", "log10", "logit", "xlogy", "logaddexp", "square",
    "reciprocal",
]  # fmt: skip


class _Unary(Function):
    kind = ""

    def forward(self, x):
        xp = backend.array_module(x)
        self.out = getattr(xp, self.kind)(x)
        return self.out


class Log1p(_Unary):
    kind = "log1p"

    def backward(self, gy):
        return gy / (self.inputs[0] + 1)


class Expm1(_Unary):
    kind = "expm1"

    def backward(self, gy):
        return gy * (self.output() + 1)


class Exp2(_Unary):
    kind = "exp2"

    def backward(self, gy):
        return gy * self.output() * math.log(2.0)


class Log2(_Unary):
    kind = "log2"

    def backward(self, gy):
        return gy / (self.inputs[0] * math.log(2.0))


class Log10(_Unary):
    kind = "log10"

    def backward(self, gy):
        return gy / (self.inputs[0] * math.log(10.0))


def _float(x, op):
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(x).__name__}")
    return x if x.dtype.kind in "fc" else x.to(backend.np.dtype("float32"))


def log1p(x):
    """``log(1 + x)``, accurate for small ``x``.

    Parameters
    ----------
    x : Tensor
        Input (integers are computed in float32).

    Returns
    -------
    Tensor

    Examples
    --------
    >>> import minigrad
    >>> minigrad.log1p(minigrad.tensor([1e-10], dtype=minigrad.float64))
    tensor([1.e-10], dtype=float64)
    """
    return Log1p()(_float(x, "log1p"))


def expm1(x):
    """``exp(x) - 1``, accurate for small ``x``.

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
    >>> minigrad.expm1(minigrad.tensor([1e-10], dtype=minigrad.float64))
    tensor([1.e-10], dtype=float64)
    """
    return Expm1()(_float(x, "expm1"))


def exp2(x):
    """``2 ** x``.

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
    >>> minigrad.exp2(minigrad.tensor([3.0]))
    tensor([8.])
    """
    return Exp2()(_float(x, "exp2"))


def log2(x):
    """Base-2 logarithm.

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
    >>> minigrad.log2(minigrad.tensor([8.0]))
    tensor([3.])
    """
    return Log2()(_float(x, "log2"))


def log10(x):
    """Base-10 logarithm.

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
    >>> minigrad.log10(minigrad.tensor([100.0]))
    tensor([2.])
    """
    return Log10()(_float(x, "log10"))


def logit(x, eps=None):
    """``log(x / (1 - x))``, the inverse of the sigmoid; with ``eps``, ``x`` is first
    clamped into ``[eps, 1 - eps]``.

    Parameters
    ----------
    x : Tensor
        Probabilities.
    eps : float, optional
        Clamp bound.

    Returns
    -------
    Tensor

    Examples
    --------
    >>> import minigrad
    >>> minigrad.logit(minigrad.tensor([0.5, 0.75]))
    tensor([0.    , 1.0986])
    """
    x = _float(x, "logit")
    if eps is not None:
        x = x.clamp(eps, 1 - eps)
    return log1p(x * 2 - 1) - log1p(-(x * 2 - 1))  # log(x) - log(1 - x), stable near 1/2


class XLogY(Function):
    def forward(self, x, y):
        xp = backend.array_module(x if hasattr(x, "dtype") else y)
        out = x * xp.log(y)
        zero = (xp.asarray(x) == 0) & ~xp.isnan(y)  # 0 * log(y) is 0 unless y is NaN
        return xp.where(zero, xp.zeros((), dtype=out.dtype), out)

    def backward(self, gy):
        x, y = self.inputs
        nx, ny = self.needs_input_grad
        gx = gy_ = None
        if nx:  # log(y), except 0 where x == 0 and y <= 0 (PyTorch's rule)
            from minigrad.ops.math.unary import log
            from minigrad.ops.shape.masked import masked_fill

            mask = (x._data == 0) & (y._data <= 0)
            gx = sum_to(gy * log(masked_fill(y, Tensor._make(mask), 1.0)), x.shape)
        if ny:
            safe = y + Tensor._make((x._data == 0).astype(y.dtype))  # no 0/0 where x == 0
            gy_ = sum_to(gy * x / safe, y.shape)
        return gx, gy_


def xlogy(x, y):
    """``x * log(y)``, taken as 0 where ``x == 0`` (also where ``y`` is 0 or infinite; a
    NaN ``y`` gives NaN, as in PyTorch).

    Parameters
    ----------
    x, y : Tensor
        Same-dtype tensors (they broadcast).

    Returns
    -------
    Tensor

    Examples
    --------
    >>> import minigrad
    >>> minigrad.xlogy(minigrad.tensor([0.0, 2.0]), minigrad.tensor([0.0, 1.0]))
    tensor([0., 0.])
    """
    if not isinstance(y, Tensor):
        y = Tensor._make(x.xp.asarray(y, dtype=x.dtype))
    if not isinstance(x, Tensor):
        x = Tensor._make(y.xp.asarray(x, dtype=y.dtype))
    return XLogY()(x, y)


class LogAddExp(Function):
    def forward(self, a, b):
        self.out = backend.array_module(a).logaddexp(a, b)
        return self.out

    def backward(self, gy):
        from minigrad.ops.math.unary import exp

        a, b = self.inputs
        na, nb = self.needs_input_grad
        out = self.output()
        return (sum_to(gy * exp(a - out), a.shape) if na else None,
                sum_to(gy * exp(b - out), b.shape) if nb else None)  # fmt: skip


def logaddexp(x, y):
    """``log(exp(x) + exp(y))`` without overflow (the gradients are the softmax weights).

    Parameters
    ----------
    x, y : Tensor
        Floating-point tensors (they broadcast).

    Returns
    -------
    Tensor

    Examples
    --------
    >>> import minigrad
    >>> x = minigrad.tensor([1000.0], dtype=minigrad.float64)
    >>> minigrad.logaddexp(x, x)
    tensor([1000.6931], dtype=float64)
    """
    if not isinstance(y, Tensor):
        y = Tensor._make(x.xp.asarray(y, dtype=x.dtype))
    if not isinstance(x, Tensor):
        x = Tensor._make(y.xp.asarray(x, dtype=y.dtype))
    return LogAddExp()(x, y)


def square(x):
    """``x * x``.

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
    >>> minigrad.square(minigrad.tensor([-2.0, 3.0]))
    tensor([4., 9.])
    """
    return x * x


def reciprocal(x):
    """``1 / x`` (integers give float32, as in PyTorch).

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
    >>> minigrad.reciprocal(minigrad.tensor([2.0, -4.0]))
    tensor([ 0.5 , -0.25])
    """
    return 1.0 / _float(x, "reciprocal")
