"""Trigonometric and hyperbolic functions beyond ``sin``/``cos``/``tanh`` (which live in
:mod:`minigrad.ops.math.unary`): ``tan``, ``asin``, ``acos``, ``atan``, ``atan2``, ``sinh``,
``cosh``, ``asinh``, ``acosh``, ``atanh``, ``hypot``.

Derivatives, written in tensor ops (so each is differentiable again):
``tan' = 1 + tan^2``, ``asin' = 1/sqrt(1 - x^2)``, ``acos' = -1/sqrt(1 - x^2)``,
``atan' = 1/(1 + x^2)``, ``sinh' = cosh``, ``cosh' = sinh``, ``asinh' = 1/sqrt(x^2 + 1)``,
``acosh' = 1/sqrt(x^2 - 1)``, ``atanh' = 1/(1 - x^2)``; ``atan2(y, x)``:
``(x, -y) / (x^2 + y^2)``; ``hypot(a, b)``: ``(a, b) / hypot``.
"""

from __future__ import annotations

from minigrad import backend
from minigrad.autograd.function import Function, sum_to
from minigrad.tensor import Tensor

__all__ = [
    "tan", "asin", "acos", "atan", "atan2", "sinh", "cosh", "asinh", "acosh", "atanh",
    "hypot", "arcsin", "arccos", "arctan", "arctan2",
]  # fmt: skip


def _sqrt(t):
    from minigrad.ops.math.unary import sqrt

    return sqrt(t)


class _Unary(Function):
    xp_name = ""

    def forward(self, x):
        xp = backend.array_module(x)
        self.out = getattr(xp, self.xp_name)(x)
        return self.out

    def derivative(self, x):  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self, gy):
        return gy * self.derivative(self.inputs[0])


class Tan(_Unary):
    xp_name = "tan"

    def derivative(self, x):
        y = self.output()
        return 1 + y * y


class Asin(_Unary):
    xp_name = "arcsin"

    def derivative(self, x):
        return 1 / _sqrt(1 - x * x)


class Acos(_Unary):
    xp_name = "arccos"

    def derivative(self, x):
        return -1 / _sqrt(1 - x * x)


class Atan(_Unary):
    xp_name = "arctan"

    def derivative(self, x):
        return 1 / (1 + x * x)


class Sinh(_Unary):
    xp_name = "sinh"

    def derivative(self, x):
        return cosh(x)


class Cosh(_Unary):
    xp_name = "cosh"

    def derivative(self, x):
        return sinh(x)


class Asinh(_Unary):
    xp_name = "arcsinh"

    def derivative(self, x):
        return 1 / _sqrt(x * x + 1)


class Acosh(_Unary):
    xp_name = "arccosh"

    def derivative(self, x):
        return 1 / _sqrt(x * x - 1)


class Atanh(_Unary):
    xp_name = "arctanh"

    def derivative(self, x):
        return 1 / (1 - x * x)


def _float(x, op):
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(x).__name__}")
    return x if x.dtype.kind in "fc" else x.to(backend.np.dtype("float32"))


def tan(x):
    """Tangent.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.tan(minigrad.tensor([0.0, 0.7853982]))
    tensor([0., 1.])
    """
    return Tan()(_float(x, "tan"))


def asin(x):
    """Inverse sine (NaN outside ``[-1, 1]``).

    Examples
    --------
    >>> import minigrad
    >>> minigrad.asin(minigrad.tensor([0.0, 1.0]))
    tensor([0.    , 1.5708])
    """
    return Asin()(_float(x, "asin"))


def acos(x):
    """Inverse cosine (NaN outside ``[-1, 1]``).

    Examples
    --------
    >>> import minigrad
    >>> minigrad.acos(minigrad.tensor([1.0, 0.0]))
    tensor([0.    , 1.5708])
    """
    return Acos()(_float(x, "acos"))


def atan(x):
    """Inverse tangent.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.atan(minigrad.tensor([0.0, 1.0]))
    tensor([0.    , 0.7854])
    """
    return Atan()(_float(x, "atan"))


def sinh(x):
    """Hyperbolic sine.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.sinh(minigrad.tensor([0.0, 1.0]))
    tensor([0.    , 1.1752])
    """
    return Sinh()(_float(x, "sinh"))


def cosh(x):
    """Hyperbolic cosine.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.cosh(minigrad.tensor([0.0, 1.0]))
    tensor([1.    , 1.5431])
    """
    return Cosh()(_float(x, "cosh"))


def asinh(x):
    """Inverse hyperbolic sine.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.asinh(minigrad.tensor([0.0, 1.0]))
    tensor([0.    , 0.8814])
    """
    return Asinh()(_float(x, "asinh"))


def acosh(x):
    """Inverse hyperbolic cosine (NaN below 1).

    Examples
    --------
    >>> import minigrad
    >>> minigrad.acosh(minigrad.tensor([1.0, 2.0]))
    tensor([0.   , 1.317])
    """
    return Acosh()(_float(x, "acosh"))


def atanh(x):
    """Inverse hyperbolic tangent (infinite at +-1, NaN beyond).

    Examples
    --------
    >>> import minigrad
    >>> minigrad.atanh(minigrad.tensor([0.0, 0.5]))
    tensor([0.    , 0.5493])
    """
    return Atanh()(_float(x, "atanh"))


def _pair(op, a, b):
    like = a if isinstance(a, Tensor) else b
    if not isinstance(like, Tensor):
        raise TypeError(f"{op}: expected at least one Tensor operand")
    conv = (lambda v: v if isinstance(v, Tensor) else  # noqa: E731
            Tensor._make(like.xp.asarray(v, dtype=like.dtype)))  # fmt: skip
    a, b = conv(a), conv(b)
    try:
        backend.np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise RuntimeError(
            f"{op}: the shapes {tuple(a.shape)} and {tuple(b.shape)} cannot be broadcast together"
        ) from None
    return a, b


class Atan2(Function):
    def forward(self, y, x):
        return backend.array_module(y).arctan2(y, x)

    def backward(self, g):
        y, x = self.inputs
        ny, nx = self.needs_input_grad
        r2 = x * x + y * y
        gy_ = sum_to(g * x / r2, y.shape) if ny else None
        gx = sum_to(-g * y / r2, x.shape) if nx else None
        return gy_, gx


def atan2(input, other):
    """The angle of the point ``(other, input)``: ``atan(input / other)`` in the right
    quadrant, in ``[-pi, pi]``.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.atan2(minigrad.tensor([1.0, 1.0]), minigrad.tensor([1.0, -1.0]))
    tensor([0.7854, 2.3562])
    """
    return Atan2()(*_pair("atan2", input, other))


class Hypot(Function):
    def forward(self, a, b):
        self.out = backend.array_module(a).hypot(a, b)
        return self.out

    def backward(self, g):
        a, b = self.inputs
        na, nb = self.needs_input_grad
        h = self.output()
        return (sum_to(g * a / h, a.shape) if na else None,
                sum_to(g * b / h, b.shape) if nb else None)  # fmt: skip


def hypot(input, other):
    """``sqrt(input^2 + other^2)`` without overflow in the squares.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.hypot(minigrad.tensor([3.0]), minigrad.tensor([4.0]))
    tensor([5.])
    """
    return Hypot()(*_pair("hypot", input, other))


arcsin, arccos, arctan, arctan2 = asin, acos, atan, atan2
