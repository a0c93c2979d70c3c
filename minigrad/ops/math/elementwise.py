"""Elementwise ops with broadcasting: arithmetic, clamp, maximum/minimum, where.

The unary math (exp, log, sin, relu, ...) lives in :mod:`minigrad.ops.math.unary`, comparisons
in :mod:`minigrad.ops.math.compare`, ``to``/``clone`` in :mod:`minigrad.ops.math.convert`.

Each op is a :class:`~minigrad.autograd.Function` whose backward is written in tensor ops
(so it is itself differentiable); gradients of broadcast operands are reduced by the one
shared helper :func:`~minigrad.autograd.sum_to`. Python scalars are constants: they follow
NumPy 2 promotion, so ``float32_tensor * 2.0`` stays float32.
"""

from __future__ import annotations

import math

from minigrad import backend
from minigrad.autograd.function import Function, sum_to
from minigrad.ops.math.convert import to
from minigrad.ops.math.promotion import align, operand, result_dtype
from minigrad.ops.math.unary import (
    log,
)
from minigrad.tensor import Tensor

__all__ = [
    "add", "sub", "mul", "div", "pow", "clamp", "clamp_min", "clamp_max", "maximum", "minimum",
    "where",
]  # fmt: skip

_SCALARS = (int, float, bool)


def _operand(x, like: Tensor):
    """A binary op's operand: Tensors and Python scalars pass; arrays and lists become
    constant tensors on ``like``'s device."""
    if isinstance(x, Tensor) or type(x) in _SCALARS:
        return x
    if hasattr(x, "dtype") and getattr(x, "shape", None) == ():
        # a NumPy/CuPy scalar (np.float64 is a float subclass): use its Python value so
        # it stays a weak scalar and float32 is not upcast
        return x.item()
    if isinstance(x, _SCALARS):
        return x
    return Tensor._make(like.xp.asarray(x))


def _binary(fn_cls, a, b):
    if isinstance(a, Tensor):
        b = _operand(b, a)
    elif isinstance(b, Tensor):
        a = _operand(a, b)
    else:
        raise TypeError(f"{fn_cls.__name__}: at least one operand must be a Tensor")
    try:
        return fn_cls()(a, b)
    except (ValueError, TypeError) as e:
        _explain(fn_cls, a, b, e)


def _explain(fn_cls, a, b, e):
    """Raise the error of ``fn_cls()(a, b)`` failing with ``e``, naming the op, shapes and
    dtypes (called inside the ``except`` block: a TypeError of ours is re-raised)."""
    name = fn_cls.__name__.lower()
    sa, sb = (tuple(x.shape) if isinstance(x, Tensor) else () for x in (a, b))
    if not _broadcastable(sa, sb):
        raise RuntimeError(
            f"{name}: the shapes {sa} and {sb} cannot be broadcast "
            "together (sizes must match or be 1 in each trailing dimension)"
        ) from None
    if isinstance(e, TypeError) and not _from_array_module(e):
        raise e
    da, db = (x.dtype if isinstance(x, Tensor) else type(x).__name__ for x in (a, b))
    raise RuntimeError(  # e.g. integers to negative integer powers
        f"{name}: not supported for operands of shapes {sa} and {sb}, dtypes {da} and {db}: {e}"
    ) from None


_PLAIN = frozenset({Tensor, int, float})  # operands that need no conversion
# ``Function.__call__(f, a, b)`` rather than ``f(a, b)``: calling the instance goes through
# the type's ``__call__`` slot, ~60 ns more per operator (W4: forward 2.58 -> 2.51 us/op)
_apply = Function.__call__


def operator(fn_cls, reflected=False):
    """The Tensor operator of the binary Function ``fn_cls``: ``__add__`` is
    ``operator(Add)``, ``__radd__`` is ``operator(Add, reflected=True)``.

    ``self`` is a Tensor, so the operator skips :func:`_binary`'s checks: a Tensor or a
    Python int/float operand goes straight to the Function (the per-op cost of
    ``x + y`` in a training loop); anything else is converted as in :func:`add`.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.ops.math.elementwise import Sub, operator
    >>> rsub = operator(Sub, reflected=True)
    >>> rsub(minigrad.tensor([1.0, 2.0]), 10)
    tensor([9., 8.])
    """
    if reflected:

        def op(self, other):
            if other.__class__ not in _PLAIN:
                other = _operand(other, self)
            try:
                return _apply(fn_cls(), other, self)
            except (ValueError, TypeError) as e:
                _explain(fn_cls, other, self, e)

    else:

        def op(self, other):
            if other.__class__ not in _PLAIN:
                other = _operand(other, self)
            try:
                return _apply(fn_cls(), self, other)
            except (ValueError, TypeError) as e:
                _explain(fn_cls, self, other, e)

    name = {"Div": "truediv"}.get(fn_cls.__name__, fn_cls.__name__.lower())
    op.__name__ = op.__qualname__ = f"__{'r' if reflected else ''}{name}__"
    return op


def _from_array_module(e) -> bool:
    """Whether an exception was raised by NumPy's or CuPy's ufunc machinery (a dtype
    the operation does not support), not by our own code."""
    return type(e).__module__.split(".")[0] in ("numpy", "cupy") or "ufunc" in str(e)


def _broadcastable(sa, sb) -> bool:
    return all(x == y or x == 1 or y == 1 for x, y in zip(sa[::-1], sb[::-1]))


def _broadcastable_all(shapes) -> bool:
    return all(_broadcastable(a, b) for a in shapes for b in shapes)


def _unbroadcast(g, x):
    """Gradient ``g`` reduced to the shape of input ``x`` (broadcast undone), in ``x``'s
    dtype (a float64 0-d operand of a float32 op gets a float64 gradient). Tensors, or
    arrays in a raw-array backward (``Function.raw_backward``)."""
    shape, dtype = x.shape, x.dtype
    if g.shape != shape:
        g = sum_to(g, shape)
    if g.dtype == dtype:
        return g
    return to(g, dtype) if isinstance(g, Tensor) else g.astype(dtype)


def _const(arr) -> Tensor:
    return Tensor._make(arr)


# ----------------------------------------------------------------------- arithmetic
class Add(Function):
    raw_backward = True  # the formula works on arrays too (Function)
    uses_input_values = False  # backward reads only shapes

    def forward(self, a, b):
        a, b = align(a, b)
        return a + b

    def backward(self, gy):
        a, b = self.inputs
        na, nb = self.needs_input_grad
        return (_unbroadcast(gy, a) if na else None, _unbroadcast(gy, b) if nb else None)


class Sub(Function):
    raw_backward = True  # the formula works on arrays too (Function)
    uses_input_values = False  # backward reads only shapes

    def forward(self, a, b):
        a, b = align(a, b)
        return a - b

    def backward(self, gy):
        a, b = self.inputs
        na, nb = self.needs_input_grad
        return (_unbroadcast(gy, a) if na else None, _unbroadcast(-gy, b) if nb else None)


class Mul(Function):
    raw_backward = True  # the formula works on arrays too (Function)

    def forward(self, a, b):
        a, b = align(a, b)
        return a * b

    def backward(self, gy):
        a, b = self.inputs
        na, nb = self.needs_input_grad
        # A Python float factor (a constant: no gradient of its own) as a cached 0-d array
        # on the raw-array path (promotion.operand: the same bits, ~280 ns less per call)
        if b.__class__ is float:
            b = operand(b, gy)
        elif a.__class__ is float:
            a = operand(a, gy)
        return (
            _unbroadcast(gy * b, a) if na else None,
            _unbroadcast(gy * a, b) if nb else None,
        )


class Div(Function):
    raw_backward = True  # the formula works on arrays too (Function)

    def forward(self, a, b):
        a, b = align(a, b, true_div=True)
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
        a, b = align(a, b)
        self.out = a**b
        return self.out

    def backward(self, gy):
        a, b = self.inputs
        na, nb = self.needs_input_grad
        ga = gb = None
        if na:  # d/da = b * a**(b-1); PyTorch takes it as 0 wherever b == 0
            if isinstance(b, _SCALARS):
                if b == 0:  # zeros (not gy * 0, which is NaN for an infinite gy)
                    ga = Tensor._make(a.xp.zeros(a.shape, dtype=a.dtype))
                else:
                    ga = gy * (a * 2 if b == 2 else a ** (b - 1) * b)
            else:
                ga = gy * b * a ** (b - 1)
                if (b._data == 0).any():
                    ga = where(b == 0, 0.0, ga)
                ga = _unbroadcast(ga, a)
        if nb:  # d/db = a**b * log(a); PyTorch takes it as 0 where a == 0 and b >= 0
            if isinstance(a, _SCALARS):
                log_a = math.log(a) if a > 0 else -math.inf if a == 0 else math.nan
                gb = gy * self.output() * log_a
                zero = a == 0
            else:
                gb = gy * self.output() * log(a)
                zero = (a._data == 0).any()
            if zero:
                gb = where((b >= 0) & (a == 0) if not isinstance(a, _SCALARS) else b >= 0, 0.0, gb)
            gb = _unbroadcast(gb, b)
        return ga, gb


def add(a, b, alpha=1):
    """``a + alpha * b`` with broadcasting.

    Parameters
    ----------
    a, b : Tensor or number
        Operands (at least one a Tensor); their shapes broadcast.
    alpha : number
        Multiplier of ``b``.

    Returns
    -------
    Tensor
        Of the broadcast shape; each operand's gradient is summed back to its shape.

    Raises
    ------
    RuntimeError
        If the shapes cannot be broadcast together.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.add(minigrad.tensor([1.0, 2.0]), 1.0)
    tensor([2., 3.])
    """
    return _binary(Add, a, b if alpha == 1 else b * alpha)


def sub(a, b, alpha=1):
    """``a - alpha * b`` with broadcasting (arguments as in :func:`add`).

    Parameters
    ----------
    a, b : Tensor or number
        Operands (at least one a Tensor); they broadcast.
    alpha : number
        Multiplier of ``b`` (default 1).

    Returns
    -------
    Tensor

    Examples
    --------
    >>> import minigrad
    >>> minigrad.sub(minigrad.tensor([1.0, 2.0]), 1.0)
    tensor([0., 1.])
    """
    return _binary(Sub, a, b if alpha == 1 else b * alpha)


def mul(a, b):
    """``a * b`` with broadcasting (operands as in :func:`add`).

    Parameters
    ----------
    a, b : Tensor or number
        Operands (at least one a Tensor); they broadcast.

    Returns
    -------
    Tensor

    Examples
    --------
    >>> import minigrad
    >>> minigrad.mul(minigrad.tensor([1.0, 2.0]), 3.0)
    tensor([3., 6.])
    """
    return _binary(Mul, a, b)


def div(a, b):
    """``a / b`` with broadcasting, true division (operands as in :func:`add`).

    Parameters
    ----------
    a, b : Tensor or number
        Operands (at least one a Tensor); they broadcast.

    Returns
    -------
    Tensor

    Examples
    --------
    >>> import minigrad
    >>> minigrad.div(minigrad.tensor([1.0, 2.0]), 2.0)
    tensor([0.5, 1. ])
    """
    return _binary(Div, a, b)


def pow(a, b):
    """``a ** b`` with broadcasting; ``a`` or ``b`` may be a Python number.

    Like PyTorch, the gradient with respect to ``a`` is 0 where ``b == 0``, and the one
    with respect to ``b`` is 0 where ``a == 0`` and ``b >= 0``.

    Parameters
    ----------
    a, b : Tensor or number
        Base and exponent (at least one a Tensor).

    Returns
    -------
    Tensor

    Examples
    --------
    >>> import minigrad
    >>> minigrad.pow(minigrad.tensor([1.0, 2.0]), 2)
    tensor([1., 4.])
    """
    return _binary(Pow, a, b)


# ------------------------------------------------------------ clamp, maximum, minimum, where
def masked(mask, g):
    """``g`` where ``mask`` is true, else 0: a select, not a product, so an infinite or
    NaN ``g`` does not leak into the masked-out entries (``inf * 0`` would be NaN), as in
    PyTorch's backward formulas. ``mask`` is a bool array; differentiable in ``g``."""
    return Where()(_const(mask), g, 0)


class Clamp(Function):
    """Clamp to Python-number bounds; the gradient passes where ``min <= x <= max``."""

    def __init__(self, lo, hi):
        self.lo, self.hi = lo, hi

    def forward(self, x):
        xp = backend.array_module(x)
        if x.dtype.kind not in "fc":  # PyTorch: an int tensor with a float bound -> float32
            dt = result_dtype(x, *(v for v in (self.lo, self.hi) if v is not None))
            x = x if dt == x.dtype else x.astype(dt)
        mask = True
        if self.lo is not None:
            mask = x >= self.lo
        if self.hi is not None:
            mask = mask & (x <= self.hi)
        self.mask = mask
        return xp.clip(x, self.lo, self.hi)

    def backward(self, gy):
        return masked(self.mask, gy)


class ClampTensor(Function):
    """``min(max(x, lo), hi)`` with tensor bounds (either may be None), PyTorch's rule:
    ``x`` gets the gradient where ``lo <= x <= hi`` (ties go to ``x``), ``lo`` where
    ``x < lo < hi``, ``hi`` where ``x > hi`` or ``hi < lo``."""

    def __init__(self, has_lo, has_hi):
        self.has_lo, self.has_hi = has_lo, has_hi

    def forward(self, x, *bounds):
        xp = backend.array_module(x)
        dt = result_dtype(x, *bounds)  # PyTorch's promotion of input and bounds
        x = x if x.dtype == dt else x.astype(dt)
        bounds = [v.astype(dt) if getattr(v, "dtype", dt) != dt else v for v in bounds]
        it = iter(bounds)
        lo = next(it) if self.has_lo else None
        hi = next(it) if self.has_hi else None
        out = x
        if lo is not None:
            out = xp.maximum(out, lo)
        if hi is not None:
            out = xp.minimum(out, hi)
        if lo is not None and hi is not None:
            self.mx = (x >= lo) & (x <= hi)
            self.mlo = (x < lo) & (lo < hi)
            self.mhi = (x > hi) | (hi < lo)
        elif lo is not None:
            self.mx, self.mlo = x >= lo, x < lo
        else:
            self.mx, self.mhi = x <= hi, x > hi
        return out

    def backward(self, gy):
        x, *bounds = self.inputs
        needs = list(self.needs_input_grad)
        grads = [_unbroadcast(masked(self.mx, gy), x) if needs[0] else None]
        k = 1
        for has, name in ((self.has_lo, "mlo"), (self.has_hi, "mhi")):
            if has:
                b = bounds[k - 1]
                grads.append(_unbroadcast(masked(getattr(self, name), gy), b)
                             if needs[k] else None)  # fmt: skip
                k += 1
        return tuple(grads)


class Maximum(Function):
    """Elementwise maximum (NaN propagates); PyTorch's gradient rule: ``a`` gets none
    where ``a < b``, half where ``a == b``, all of it otherwise (NaN included), and
    ``b`` symmetrically."""

    def _masks(self, a, b):
        return a < b, a > b  # (where a loses, where b loses)

    def forward(self, a, b):
        xp = backend.array_module(a if hasattr(a, "dtype") else b)
        a, b = align(a, b)
        self.a_loses, self.b_loses = self._masks(a, b)
        tie = a == b
        self.tie = tie if bool(xp.any(tie)) else None
        return self._extreme(xp, a, b)

    def _extreme(self, xp, a, b):
        return xp.maximum(a, b)

    def backward(self, gy):
        a, b = self.inputs
        na, nb = self.needs_input_grad
        if self.tie is not None:
            gy = where(_const(self.tie), gy * 0.5, gy)
        return (
            _unbroadcast(masked(~self.a_loses, gy), a) if na else None,
            _unbroadcast(masked(~self.b_loses, gy), b) if nb else None,
        )


class Minimum(Maximum):
    """Elementwise minimum (NaN propagates); ties split the gradient evenly."""

    def _masks(self, a, b):
        return a > b, a < b

    def _extreme(self, xp, a, b):
        return xp.minimum(a, b)


class Where(Function):
    def forward(self, cond, a, b):
        xp = backend.array_module(cond)
        self.cond = cond
        a, b = align(a, b)
        return xp.where(cond, a, b)

    def backward(self, gy):
        _, a, b = self.inputs
        _, na, nb = self.needs_input_grad
        c = self.cond
        return (  # selects, not products: inf/NaN in gy stay out of the unchosen side
            None,
            _unbroadcast(Where()(_const(c), gy, 0), a) if na else None,
            _unbroadcast(Where()(_const(c), 0, gy), b) if nb else None,
        )


def clamp(x, min=None, max=None):
    """Clamp into ``[min, max]``; the gradient passes where ``min <= x <= max``.

    Parameters
    ----------
    x : Tensor
    min, max : number or Tensor, optional
        Bounds (at least one). Tensor bounds broadcast and get gradients too.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        If neither bound is given.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.clamp(minigrad.tensor([-2.0, 0.5, 3.0]), -1, 1)
    tensor([-1. ,  0.5,  1. ])
    """
    if min is None and max is None:
        raise ValueError("clamp: at least one of min and max must be given")
    if isinstance(min, Tensor) or isinstance(max, Tensor):  # tensor bounds: differentiable
        bounds = [_operand(b, x) for b in (min, max) if b is not None]
        shapes = [tuple(x.shape)] + [tuple(getattr(b, "shape", ())) for b in bounds]
        if not _broadcastable_all(shapes):
            raise RuntimeError(
                f"clamp: the shapes of input and bounds {shapes} cannot be broadcast together"
            )
        return ClampTensor(min is not None, max is not None)(x, *bounds)
    return Clamp(min, max)(x)


def clamp_min(x, min):
    """:func:`clamp` with a lower bound only (PyTorch's ``clamp_min``).

    Examples
    --------
    >>> import minigrad
    >>> minigrad.clamp_min(minigrad.tensor([-2.0, 0.5]), 0)
    tensor([0. , 0.5])
    """
    return clamp(x, min, None)


def clamp_max(x, max):
    """:func:`clamp` with an upper bound only (PyTorch's ``clamp_max``).

    Examples
    --------
    >>> import minigrad
    >>> minigrad.clamp_max(minigrad.tensor([-2.0, 0.5]), 0)
    tensor([-2.,  0.])
    """
    return clamp(x, None, max)


def maximum(a, b):
    """Elementwise maximum (broadcasting); at ties the gradient is split evenly.

    Parameters
    ----------
    a, b : Tensor or number
        At least one a Tensor.

    Returns
    -------
    Tensor

    Examples
    --------
    >>> import minigrad
    >>> minigrad.maximum(minigrad.tensor([1.0, 4.0]), minigrad.tensor([3.0, 2.0]))
    tensor([3., 4.])
    """
    return _binary(Maximum, a, b)


def minimum(a, b):
    """Elementwise minimum (broadcasting; see :func:`maximum`).

    Parameters
    ----------
    a, b : Tensor or number
        Operands (at least one a Tensor); they broadcast.

    Returns
    -------
    Tensor

    Examples
    --------
    >>> import minigrad
    >>> minigrad.minimum(minigrad.tensor([1.0, 4.0]), minigrad.tensor([3.0, 2.0]))
    tensor([1., 2.])
    """
    return _binary(Minimum, a, b)


def where(condition, a, b):
    """Elements of ``a`` where ``condition`` is true, else of ``b`` (broadcasting).

    Parameters
    ----------
    condition : Tensor
        A bool tensor.
    a, b : Tensor or number
        The values; each gets the gradient where it was chosen.

    Returns
    -------
    Tensor

    Raises
    ------
    TypeError
        If ``condition`` is not a bool tensor.
    RuntimeError
        If the three shapes do not broadcast together.

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
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        # two Python numbers: PyTorch's default dtype (float32), not NumPy's float64
        from minigrad.dtypes import get_default_dtype

        if isinstance(a, float) or isinstance(b, float):
            a = Tensor._make(like.xp.asarray(a, dtype=get_default_dtype()))
    shapes = [tuple(getattr(t, "shape", ())) for t in (cond, a, b)]
    if not _broadcastable_all(shapes):
        raise RuntimeError(
            f"where: the shapes of condition {shapes[0]}, input {shapes[1]} and other "
            f"{shapes[2]} cannot be broadcast together (sizes must match or be 1 in each "
            "trailing dimension)"
        )
    return Where()(cond, a, b)
