"""Elementwise ops with broadcasting: arithmetic, unary math, activations, comparisons.

Each op is a :class:`~minigrad.autograd.Function` whose backward is written in tensor ops
(so it is itself differentiable); gradients of broadcast operands are reduced by the one
shared helper :func:`~minigrad.autograd.sum_to`. Python scalars are constants: they follow
NumPy 2 promotion, so ``float32_tensor * 2.0`` stays float32.
"""

from __future__ import annotations

import math

from minigrad import backend
from minigrad.autograd.function import Function, sum_to
from minigrad.tensor import Tensor

__all__ = [
    "add", "sub", "mul", "div", "pow", "neg", "abs", "exp", "log", "sqrt", "rsqrt",
    "sin", "cos", "tanh", "sigmoid", "relu", "clamp", "maximum", "minimum", "where",
    "eq", "ne", "lt", "le", "gt", "ge", "logical_not", "logical_and", "logical_or",
    "sign", "to", "clone",
]  # fmt: skip

_SCALARS = (int, float, bool)


def _operand(x, like: Tensor):
    """A binary op's operand: Tensors and Python scalars pass; arrays and lists become
    constant tensors on ``like``'s device."""
    if isinstance(x, Tensor) or isinstance(x, _SCALARS):
        return x
    if hasattr(x, "dtype") and getattr(x, "shape", None) == ():  # a NumPy/CuPy scalar
        return x.item()
    return Tensor._make(like.xp.asarray(x))


def _binary(fn_cls, a, b):
    if isinstance(a, Tensor):
        b = _operand(b, a)
    elif isinstance(b, Tensor):
        a = _operand(a, b)
    else:
        raise TypeError(f"{fn_cls.__name__}: at least one operand must be a Tensor")
    return fn_cls()(a, b)


def _unbroadcast(g, x):
    """Gradient ``g`` reduced to the shape of input ``x`` (broadcast undone)."""
    return sum_to(g, x.shape)


def _const(arr) -> Tensor:
    return Tensor._make(arr)


# ----------------------------------------------------------------------- arithmetic
class Add(Function):
    def forward(self, a, b):
        return a + b

    def backward(self, gy):
        a, b = self.inputs
        na, nb = self.needs_input_grad
        return (_unbroadcast(gy, a) if na else None, _unbroadcast(gy, b) if nb else None)


class Sub(Function):
    def forward(self, a, b):
        return a - b

    def backward(self, gy):
        a, b = self.inputs
        na, nb = self.needs_input_grad
        return (_unbroadcast(gy, a) if na else None, _unbroadcast(-gy, b) if nb else None)


class Mul(Function):
    def forward(self, a, b):
        return a * b

    def backward(self, gy):
        a, b = self.inputs
        na, nb = self.needs_input_grad
        return (
            _unbroadcast(gy * b, a) if na else None,
            _unbroadcast(gy * a, b) if nb else None,
        )


class Div(Function):
    def forward(self, a, b):
        return a / b

    def backward(self, gy):
        a, b = self.inputs
        na, nb = self.needs_input_grad
        ga = _unbroadcast(gy / b, a) if na else None
        gb = _unbroadcast(-gy * a / (b * b), b) if nb else None
        return ga, gb


class Pow(Function):
    """``a ** b`` for tensor or scalar base and exponent."""

    def forward(self, a, b):
        self.out = a**b
        return self.out

    def backward(self, gy):
        a, b = self.inputs
        na, nb = self.needs_input_grad
        ga = gb = None
        if na:
            if isinstance(b, _SCALARS):
                ga = gy * (0.0 if b == 0 else b * a ** (b - 1))
            else:
                ga = _unbroadcast(gy * b * a ** (b - 1), a)
        if nb:
            log_a = math.log(a) if isinstance(a, _SCALARS) else log(a)
            gb = _unbroadcast(gy * self.output() * log_a, b)
        return ga, gb


def add(a, b, alpha=1):
    """``a + alpha * b`` with broadcasting.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.add(minigrad.tensor([1.0, 2.0]), 1.0)
    tensor([2., 3.])
    """
    return _binary(Add, a, b if alpha == 1 else b * alpha)


def sub(a, b, alpha=1):
    """``a - alpha * b`` with broadcasting.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.sub(minigrad.tensor([1.0, 2.0]), 1.0)
    tensor([0., 1.])
    """
    return _binary(Sub, a, b if alpha == 1 else b * alpha)


def mul(a, b):
    """``a * b`` with broadcasting.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.mul(minigrad.tensor([1.0, 2.0]), 3.0)
    tensor([3., 6.])
    """
    return _binary(Mul, a, b)


def div(a, b):
    """``a / b`` with broadcasting (true division).

    Examples
    --------
    >>> import minigrad
    >>> minigrad.div(minigrad.tensor([1.0, 2.0]), 2.0)
    tensor([0.5, 1. ])
    """
    return _binary(Div, a, b)


def pow(a, b):
    """``a ** b`` with broadcasting; ``a`` or ``b`` may be a Python number.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.pow(minigrad.tensor([1.0, 2.0]), 2)
    tensor([1., 4.])
    """
    return _binary(Pow, a, b)


# ----------------------------------------------------------------------- unary math
class Neg(Function):
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
        return gy * _const(self.sign)


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
        self.mask = x > 0
        return x * self.mask

    def backward(self, gy):
        return gy * _const(self.mask)


class Clamp(Function):
    def __init__(self, lo, hi):
        self.lo, self.hi = lo, hi

    def forward(self, x):
        xp = backend.array_module(x)
        mask = True
        if self.lo is not None:
            mask = x >= self.lo
        if self.hi is not None:
            mask = mask & (x <= self.hi)
        self.mask = mask
        return xp.clip(x, self.lo, self.hi)

    def backward(self, gy):
        return gy * _const(self.mask)


class Maximum(Function):
    """Elementwise maximum; at ties the gradient is split evenly (as PyTorch does)."""

    def forward(self, a, b):
        xp = backend.array_module(a)
        self.wa = (a > b) + (a == b) * 0.5
        self.wa = self.wa.astype(xp.result_type(a, b))
        return xp.maximum(a, b)

    def backward(self, gy):
        a, b = self.inputs
        na, nb = self.needs_input_grad
        w = _const(self.wa)
        return (
            _unbroadcast(gy * w, a) if na else None,
            _unbroadcast(gy * (1 - w), b) if nb else None,
        )


class Minimum(Maximum):
    """Elementwise minimum; at ties the gradient is split evenly."""

    def forward(self, a, b):
        xp = backend.array_module(a)
        self.wa = ((a < b) + (a == b) * 0.5).astype(xp.result_type(a, b))
        return xp.minimum(a, b)


class Where(Function):
    def forward(self, cond, a, b):
        xp = backend.array_module(cond)
        self.cond = cond
        return xp.where(cond, a, b)

    def backward(self, gy):
        _, a, b = self.inputs
        _, na, nb = self.needs_input_grad
        c = _const(self.cond)
        return (
            None,
            _unbroadcast(gy * c, a) if na else None,
            _unbroadcast(gy * ~c, b) if nb else None,
        )


def neg(x):
    """``-x``.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.neg(minigrad.tensor([1.0, -2.0]))
    tensor([-1.,  2.])
    """
    return Neg()(x)


def abs(x):
    """``|x|``; its gradient at 0 is 0, like PyTorch's.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.abs(minigrad.tensor([-1.0, 2.0]))
    tensor([1., 2.])
    """
    return Abs()(x)


def exp(x):
    """``e ** x``.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.exp(minigrad.tensor([0.0]))
    tensor([1.])
    """
    return Exp()(x)


def log(x):
    """Natural logarithm.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.log(minigrad.tensor([1.0]))
    tensor([0.])
    """
    return Log()(x)


def sqrt(x):
    """Square root.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.sqrt(minigrad.tensor([4.0]))
    tensor([2.])
    """
    return Sqrt()(x)


def rsqrt(x):
    """``1 / sqrt(x)``.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.rsqrt(minigrad.tensor([4.0]))
    tensor([0.5])
    """
    return Rsqrt()(x)


def sin(x):
    """Sine.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.sin(minigrad.tensor([0.0]))
    tensor([0.])
    """
    return Sin()(x)


def cos(x):
    """Cosine.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.cos(minigrad.tensor([0.0]))
    tensor([1.])
    """
    return Cos()(x)


def tanh(x):
    """Hyperbolic tangent.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.tanh(minigrad.tensor([0.0]))
    tensor([0.])
    """
    return Tanh()(x)


def sigmoid(x):
    """Logistic sigmoid ``1 / (1 + e^-x)``, stable for large ``|x|``.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.sigmoid(minigrad.tensor([0.0]))
    tensor([0.5])
    """
    return Sigmoid()(x)


def relu(x):
    """``max(x, 0)``; gradient 0 at 0, like PyTorch.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.relu(minigrad.tensor([-1.0, 2.0]))
    tensor([0., 2.])
    """
    return ReLU()(x)


def clamp(x, min=None, max=None):
    """Clamp into ``[min, max]``; the gradient passes where ``min <= x <= max``.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.clamp(minigrad.tensor([-2.0, 0.5, 3.0]), -1, 1)
    tensor([-1. ,  0.5,  1. ])
    """
    if min is None and max is None:
        raise ValueError("clamp: at least one of min and max must be given")
    return Clamp(min, max)(x)


def maximum(a, b):
    """Elementwise maximum of two tensors (broadcasting).

    Examples
    --------
    >>> import minigrad
    >>> minigrad.maximum(minigrad.tensor([1.0, 4.0]), minigrad.tensor([3.0, 2.0]))
    tensor([3., 4.])
    """
    return _binary(Maximum, a, b)


def minimum(a, b):
    """Elementwise minimum of two tensors (broadcasting).

    Examples
    --------
    >>> import minigrad
    >>> minigrad.minimum(minigrad.tensor([1.0, 4.0]), minigrad.tensor([3.0, 2.0]))
    tensor([1., 2.])
    """
    return _binary(Minimum, a, b)


def where(condition, a, b):
    """Elements of ``a`` where ``condition`` is true, else of ``b`` (broadcasting).

    Examples
    --------
    >>> import minigrad
    >>> x = minigrad.tensor([-1.0, 2.0])
    >>> minigrad.where(x > 0, x, 0.0)
    tensor([0., 2.])
    """
    like = next(t for t in (condition, a, b) if isinstance(t, Tensor))
    condition = _operand(condition, like)
    a, b = _operand(a, like), _operand(b, like)
    if isinstance(condition, Tensor):
        if condition.dtype.kind != "b":
            raise TypeError(f"where: condition must be a bool tensor, got {condition.dtype}")
        cond = condition
    else:
        cond = Tensor._make(like.xp.asarray(bool(condition)))
    return Where()(cond, a, b)


def sign(x):
    """Sign of each element (-1, 0 or 1); not differentiable (no grad).

    Examples
    --------
    >>> import minigrad
    >>> minigrad.sign(minigrad.tensor([-2.0, 0.0, 3.0]))
    tensor([-1.,  0.,  1.])
    """
    return Tensor._make(x.xp.sign(x.data))


# ----------------------------------------------------------------------- comparisons
def _compare(op, a, b):
    if isinstance(a, Tensor):
        b = _operand(b, a)
    else:
        a = _operand(a, b)
    ad = a.data if isinstance(a, Tensor) else a
    bd = b.data if isinstance(b, Tensor) else b
    return Tensor._make(op(ad, bd))


def eq(a, b):
    """Elementwise ``a == b`` as a bool tensor (no gradient).

    Examples
    --------
    >>> import minigrad
    >>> minigrad.eq(minigrad.tensor([1.0, 2.0]), 2.0)
    tensor([False,  True])
    """
    return _compare(lambda x, y: x == y, a, b)


def ne(a, b):
    """Elementwise ``a != b`` as a bool tensor."""
    return _compare(lambda x, y: x != y, a, b)


def lt(a, b):
    """Elementwise ``a < b`` as a bool tensor."""
    return _compare(lambda x, y: x < y, a, b)


def le(a, b):
    """Elementwise ``a <= b`` as a bool tensor."""
    return _compare(lambda x, y: x <= y, a, b)


def gt(a, b):
    """Elementwise ``a > b`` as a bool tensor."""
    return _compare(lambda x, y: x > y, a, b)


def ge(a, b):
    """Elementwise ``a >= b`` as a bool tensor."""
    return _compare(lambda x, y: x >= y, a, b)


def logical_not(x):
    """Elementwise NOT (``~x``) of a bool tensor."""
    return Tensor._make(x.xp.logical_not(x.data) if x.dtype.kind == "b" else ~x.data)


def logical_and(a, b):
    """Elementwise AND (``a & b``)."""
    return _compare(lambda x, y: x & y, a, b)


def logical_or(a, b):
    """Elementwise OR (``a | b``)."""
    return _compare(lambda x, y: x | y, a, b)


# ----------------------------------------------------------------------- dtype/device
class To(Function):
    """Cast and/or move; the gradient goes back to the source dtype and device."""

    def __init__(self, dtype, device):
        self.dtype, self.device = dtype, device

    def forward(self, x):
        self.src_dtype, self.src_device = x.dtype, backend.device_of(x)
        y = x
        if self.device is not None:
            y = backend.to_device(y, self.device)
        if self.dtype is not None and y.dtype != self.dtype:
            y = y.astype(self.dtype)
        return y

    def backward(self, gy):
        return to(gy, dtype=self.src_dtype, device=self.src_device)


def to(x, dtype=None, device=None, copy: bool = False):
    """Cast ``x`` to ``dtype`` and/or move it to ``device`` (differentiable).

    Returns ``x`` itself when nothing changes and ``copy`` is false.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.to(minigrad.ones(1), minigrad.float64)
    tensor([1.], dtype=float64)
    """
    from minigrad.dtypes import as_dtype

    dtype = as_dtype(dtype) if dtype is not None else None
    device = backend.device(device) if device is not None else None
    same_dtype = dtype is None or dtype == x.dtype
    same_device = device is None or device == x.device
    if same_dtype and same_device:
        return clone(x) if copy else x
    return To(dtype, device)(x)


class Clone(Function):
    def forward(self, x):
        return x.copy()

    def backward(self, gy):
        return gy


def clone(x):
    """A copy of ``x`` with its own memory (differentiable).

    Examples
    --------
    >>> import minigrad
    >>> minigrad.clone(minigrad.ones(2))
    tensor([1., 1.])
    """
    return Clone()(x)
