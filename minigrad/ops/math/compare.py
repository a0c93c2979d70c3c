"""Comparisons and logic: ``==``, ``!=``, ``<``, ``<=``, ``>``, ``>=``, ``~``, ``&``, ``|``,
``sign``, ``isnan``, ``isinf``, ``isfinite``.

They return bool (or, for ``sign``, same-dtype) tensors that carry no gradient, as in
PyTorch: their derivative is zero almost everywhere, so they are plain array functions,
not :class:`~minigrad.autograd.Function` nodes. Operands broadcast; one may be a Python
number.
"""

from __future__ import annotations

from minigrad.tensor import Tensor

__all__ = [
    "eq", "ne", "lt", "le", "gt", "ge", "logical_not", "logical_and", "logical_or",
    "sign", "isnan", "isinf", "isfinite",
]  # fmt: skip


def _data(x, like):
    """The array (or Python scalar) of an operand, on ``like``'s device."""
    if isinstance(x, Tensor):
        return x._data
    if isinstance(x, int | float | bool):
        return x
    if hasattr(x, "dtype") and getattr(x, "shape", None) == ():
        return x.item()
    return like.xp.asarray(x)


def _compare(name, op, a, b):
    like = a if isinstance(a, Tensor) else b
    ad, bd = _data(a, like), _data(b, like)
    try:
        return Tensor._make(like.xp.asarray(op(ad, bd)))
    except ValueError:
        raise RuntimeError(
            f"{name}: the shapes {tuple(getattr(ad, 'shape', ()))} and "
            f"{tuple(getattr(bd, 'shape', ()))} cannot be broadcast together"
        ) from None
    except TypeError:  # e.g. & of float tensors: NumPy's ufunc has no loop for them
        raise RuntimeError(
            f"{name}: not supported for dtypes {_dtype(ad)} and {_dtype(bd)} (shapes "
            f"{tuple(getattr(ad, 'shape', ()))} and {tuple(getattr(bd, 'shape', ()))}); "
            "expected bool or integer tensors"
        ) from None


def _dtype(d):
    return getattr(d, "dtype", type(d).__name__)


def eq(a, b):
    """Elementwise ``a == b``.

    Parameters
    ----------
    a, b : Tensor or number
        Operands (at least one a Tensor); they broadcast.

    Returns
    -------
    Tensor
        A bool tensor (no gradient).

    Raises
    ------
    RuntimeError
        If the shapes do not broadcast.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.eq(minigrad.tensor([1.0, 2.0]), 2.0)
    tensor([False,  True])
    """
    return _compare("eq", lambda x, y: x == y, a, b)


def ne(a, b):
    """Elementwise ``a != b`` as a bool tensor (see :func:`eq`).

    Parameters
    ----------
    a, b : Tensor or number
        Operands (at least one a Tensor); they broadcast.

    Returns
    -------
    Tensor
        A bool tensor.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.tensor([1.0, 2.0]) != 2.0
    tensor([ True, False])
    """
    return _compare("ne", lambda x, y: x != y, a, b)


def lt(a, b):
    """Elementwise ``a < b`` as a bool tensor (see :func:`eq`).

    Parameters
    ----------
    a, b : Tensor or number
        Operands (at least one a Tensor); they broadcast.

    Returns
    -------
    Tensor
        A bool tensor.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.lt(minigrad.tensor([1.0, 2.0]), minigrad.tensor([2.0, 2.0]))
    tensor([ True, False])
    """
    return _compare("lt", lambda x, y: x < y, a, b)


def le(a, b):
    """Elementwise ``a <= b`` as a bool tensor (see :func:`eq`).

    Parameters
    ----------
    a, b : Tensor or number
        Operands (at least one a Tensor); they broadcast.

    Returns
    -------
    Tensor
        A bool tensor.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.tensor([1.0, 2.0, 3.0]) <= 2.0
    tensor([ True,  True, False])
    """
    return _compare("le", lambda x, y: x <= y, a, b)


def gt(a, b):
    """Elementwise ``a > b`` as a bool tensor (see :func:`eq`).

    Parameters
    ----------
    a, b : Tensor or number
        Operands (at least one a Tensor); they broadcast.

    Returns
    -------
    Tensor
        A bool tensor.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.gt(minigrad.tensor([1.0, 3.0]), 2.0)
    tensor([False,  True])
    """
    return _compare("gt", lambda x, y: x > y, a, b)


def ge(a, b):
    """Elementwise ``a >= b`` as a bool tensor (see :func:`eq`).

    Parameters
    ----------
    a, b : Tensor or number
        Operands (at least one a Tensor); they broadcast.

    Returns
    -------
    Tensor
        A bool tensor.

    Examples
    --------
    >>> import minigrad
    >>> 2.0 >= minigrad.tensor([1.0, 3.0])
    tensor([ True, False])
    """
    return _compare("ge", lambda x, y: x >= y, a, b)


def logical_not(x):
    """Elementwise NOT (``~x``): for a bool tensor the logical negation, for an
    integer tensor the bitwise one, like PyTorch's ``~``.

    Parameters
    ----------
    x : Tensor

    Returns
    -------
    Tensor

    Examples
    --------
    >>> import minigrad
    >>> ~minigrad.tensor([True, False])
    tensor([False,  True])
    """
    if x.dtype.kind not in "biu":
        raise RuntimeError(
            f"logical_not (~): not supported for dtype {x.dtype} (shape {tuple(x.shape)}); "
            "expected a bool or integer tensor"
        )
    return Tensor._make(x.xp.logical_not(x._data) if x.dtype.kind == "b" else ~x._data)


def logical_and(a, b):
    """Elementwise AND (``a & b``) of bool (or bitwise of integer) tensors.

    Parameters
    ----------
    a, b : Tensor
        Bool or integer tensors; they broadcast.

    Returns
    -------
    Tensor

    Examples
    --------
    >>> import minigrad
    >>> minigrad.tensor([True, True]) & minigrad.tensor([True, False])
    tensor([ True, False])
    """
    return _compare("logical_and", lambda x, y: x & y, a, b)


def logical_or(a, b):
    """Elementwise OR (``a | b``) of bool (or bitwise of integer) tensors.

    Parameters
    ----------
    a, b : Tensor
        Bool or integer tensors; they broadcast.

    Returns
    -------
    Tensor

    Examples
    --------
    >>> import minigrad
    >>> minigrad.tensor([True, False]) | minigrad.tensor([False, False])
    tensor([ True, False])
    """
    return _compare("logical_or", lambda x, y: x | y, a, b)


def sign(x):
    """Sign of each element: -1, 0 or 1, in ``x``'s dtype. No gradient (its derivative is
    zero almost everywhere).

    Parameters
    ----------
    x : Tensor

    Returns
    -------
    Tensor

    Examples
    --------
    >>> import minigrad
    >>> minigrad.sign(minigrad.tensor([-2.0, 0.0, 3.0]))
    tensor([-1.,  0.,  1.])
    """
    return Tensor._make(x.xp.sign(x._data))


def isnan(x):
    """True where ``x`` is NaN (a bool tensor).

    Parameters
    ----------
    x : Tensor
        Input.

    Returns
    -------
    Tensor
        A bool tensor.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.isnan(minigrad.tensor([1.0, float("nan")]))
    tensor([False,  True])
    """
    return Tensor._make(x.xp.isnan(x._data))


def isinf(x):
    """True where ``x`` is +inf or -inf (a bool tensor).

    Parameters
    ----------
    x : Tensor
        Input.

    Returns
    -------
    Tensor
        A bool tensor.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.isinf(minigrad.tensor([1.0, float("-inf")]))
    tensor([False,  True])
    """
    return Tensor._make(x.xp.isinf(x._data))


def isfinite(x):
    """True where ``x`` is neither NaN nor infinite (a bool tensor).

    Parameters
    ----------
    x : Tensor
        Input.

    Returns
    -------
    Tensor
        A bool tensor.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.isfinite(minigrad.tensor([1.0, float("inf"), float("nan")]))
    tensor([ True, False, False])
    """
    return Tensor._make(x.xp.isfinite(x._data))
