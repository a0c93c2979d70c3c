"""Rounding and integer division: ``floor``, ``ceil``, ``round``, ``trunc``, ``frac``,
``floor_divide`` (``//``), ``remainder`` (``%``) and ``fmod``.

The rounding functions are piecewise constant: their gradient is zero (PyTorch's
choice at the jumps too), given as a constant so that an infinite upstream gradient
does not become NaN. ``frac(x) = x - trunc(x)`` passes the gradient unchanged.
``remainder`` (the sign of the divisor, Python's ``%``) and ``fmod`` (the sign of the
dividend, C's) have gradient 1 with respect to the dividend and
``-floor(a / b)`` / ``-trunc(a / b)`` with respect to the divisor. ``floor_divide``
has no gradient.
"""

from __future__ import annotations

from minigrad import backend
from minigrad.autograd.function import Function, sum_to
from minigrad.tensor import Tensor

__all__ = ["floor", "ceil", "round", "trunc", "frac", "floor_divide", "remainder", "fmod"]

_SCALARS = (int, float, bool)


class _Rounding(Function):
    uses_input_values = False  # backward reads only shapes

    def __init__(self, kind, decimals=0):
        self.kind, self.decimals = kind, decimals

    def forward(self, x):
        xp = backend.array_module(x)
        self.shape, self.dtype = x.shape, x.dtype
        if self.kind == "round":
            return xp.round(x, self.decimals)
        return getattr(xp, self.kind)(x)

    def backward(self, gy):
        return Tensor._make(gy.xp.zeros(self.shape, dtype=self.dtype))


def _round_op(kind, x, decimals=0):
    if x.dtype.kind in "iub":  # integers are already whole: PyTorch returns a copy
        return x.clone()
    return _Rounding(kind, decimals)(x)


def floor(x):
    """The largest integer not above each element (gradient zero).

    Parameters
    ----------
    x : Tensor
        Input.

    Returns
    -------
    Tensor
        Same dtype as ``x``.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.floor(minigrad.tensor([-1.5, 0.5, 2.0]))
    tensor([-2.,  0.,  2.])
    """
    return _round_op("floor", x)


def ceil(x):
    """The smallest integer not below each element (gradient zero).

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
    >>> minigrad.ceil(minigrad.tensor([-1.5, 0.5, 2.0]))
    tensor([-1.,  1.,  2.])
    """
    return _round_op("ceil", x)


def round(x, *, decimals: int = 0):
    """Round to ``decimals`` decimal places; halves go to the even neighbour, as in
    PyTorch (gradient zero).

    Parameters
    ----------
    x : Tensor
        Input.
    decimals : int
        Decimal places (negative: tens, hundreds, ...).

    Returns
    -------
    Tensor

    Examples
    --------
    >>> import minigrad
    >>> minigrad.round(minigrad.tensor([0.5, 1.5, 2.567]))
    tensor([0., 2., 3.])
    >>> minigrad.round(minigrad.tensor([2.567]), decimals=2)
    tensor([2.57])
    """
    return _round_op("round", x, decimals)


def trunc(x):
    """Round towards zero (gradient zero).

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
    >>> minigrad.trunc(minigrad.tensor([-1.7, 1.7]))
    tensor([-1.,  1.])
    """
    return _round_op("trunc", x)


def frac(x):
    """The fractional part, ``x - trunc(x)`` (gradient one).

    Parameters
    ----------
    x : Tensor
        A floating-point tensor.

    Returns
    -------
    Tensor

    Examples
    --------
    >>> import minigrad
    >>> minigrad.frac(minigrad.tensor([-1.25, 2.5]))
    tensor([-0.25,  0.5 ])
    """
    return x - trunc(x).detach()


def _pair(op, a, b):
    """Both operands as arrays/scalars of one device, and the Tensor that sets it."""
    like = a if isinstance(a, Tensor) else b
    if not isinstance(like, Tensor):
        raise TypeError(f"{op}: expected at least one Tensor operand")

    def conv(v):
        if isinstance(v, Tensor) or isinstance(v, _SCALARS):
            return v
        return Tensor._make(like.xp.asarray(v))

    return conv(a), conv(b)


class _Modulo(Function):
    """``remainder`` (floor rounding) or ``fmod`` (truncation)."""

    def __init__(self, floor_rounding):
        self.floor_rounding = floor_rounding

    def forward(self, a, b):
        xp = backend.array_module(a if hasattr(a, "dtype") else b)
        return (xp.remainder if self.floor_rounding else xp.fmod)(a, b)

    def backward(self, gy):
        a, b = self.inputs
        na, nb = self.needs_input_grad
        ga = sum_to(gy, a.shape) if na else None
        gb = None
        if nb:
            q = (floor if self.floor_rounding else trunc)((a / b).detach())
            gb = sum_to(-gy * q, b.shape)
        return ga, gb


def _check_shapes(op, a, b):
    sa, sb = getattr(a, "shape", ()), getattr(b, "shape", ())
    try:
        backend.np.broadcast_shapes(sa, sb)
    except ValueError:
        raise RuntimeError(
            f"{op}: the shapes {tuple(sa)} and {tuple(sb)} cannot be broadcast together"
        ) from None


def remainder(a, b):
    """Python's modulo: ``a - floor(a / b) * b``, with the sign of ``b`` (``a % b``).

    Parameters
    ----------
    a, b : Tensor or number
        Dividend and divisor (they broadcast; at least one a Tensor).

    Returns
    -------
    Tensor

    Examples
    --------
    >>> import minigrad
    >>> minigrad.tensor([-3, -1, 4]) % 3
    tensor([0, 2, 1])
    >>> minigrad.remainder(minigrad.tensor([-1.5, 2.5]), 2.0)
    tensor([0.5, 0.5])
    """
    a, b = _pair("remainder", a, b)
    _check_shapes("remainder", a, b)
    return _Modulo(True)(a, b)


def fmod(a, b):
    """C's modulo: ``a - trunc(a / b) * b``, with the sign of ``a``.

    Parameters
    ----------
    a, b : Tensor or number
        Dividend and divisor (they broadcast; at least one a Tensor).

    Returns
    -------
    Tensor

    Examples
    --------
    >>> import minigrad
    >>> minigrad.fmod(minigrad.tensor([-3, -1, 4]), 3)
    tensor([ 0, -1,  1])
    """
    a, b = _pair("fmod", a, b)
    _check_shapes("fmod", a, b)
    return _Modulo(False)(a, b)


def floor_divide(a, b):
    """``floor(a / b)`` (``a // b``); integers stay integers. No gradient.

    Parameters
    ----------
    a, b : Tensor or number
        Dividend and divisor (they broadcast; at least one a Tensor).

    Returns
    -------
    Tensor

    Raises
    ------
    ZeroDivisionError
        For integer division by zero, as in PyTorch.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.tensor([7, -7]) // 2
    tensor([ 3, -4])
    """
    a, b = _pair("floor_divide", a, b)
    _check_shapes("floor_divide", a, b)
    ad = a._data if isinstance(a, Tensor) else a
    bd = b._data if isinstance(b, Tensor) else b
    xp = (a if isinstance(a, Tensor) else b).xp
    with backend.np.errstate(divide="ignore", invalid="ignore"):
        out = xp.asarray(xp.floor_divide(ad, bd))
    if out.dtype.kind in "iu" and bool(xp.any(xp.asarray(bd) == 0)):
        raise ZeroDivisionError("floor_divide: integer division by zero")
    return Tensor._make(out)
