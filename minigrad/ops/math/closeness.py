"""Comparing whole tensors: ``isclose`` (elementwise), ``allclose`` and ``equal``
(one Python bool each). None of them has a gradient.

``isclose`` is PyTorch's test ``|a - b| <= atol + rtol * |b|`` (infinities of one sign
are close to each other; NaN only to NaN when ``equal_nan``).
"""

from __future__ import annotations

from minigrad.tensor import Tensor

__all__ = ["isclose", "allclose", "equal"]


def _arrays(op, a, b):
    like = a if isinstance(a, Tensor) else b
    if not isinstance(like, Tensor):
        raise TypeError(f"{op}: expected at least one Tensor, got {type(a).__name__}")
    xp = like.xp
    ad = a._data if isinstance(a, Tensor) else xp.asarray(a)
    bd = b._data if isinstance(b, Tensor) else xp.asarray(b)
    if type(ad) is not type(bd):
        raise RuntimeError(
            f"{op}: expected both tensors on the same device, got {a.device} and {b.device}"
        )
    return xp, ad, bd


def isclose(a, b, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False):
    """Elementwise ``|a - b| <= atol + rtol * |b|``, as a bool tensor.

    Parameters
    ----------
    a, b : Tensor or number
        The values (they broadcast).
    rtol, atol : float
        Relative and absolute tolerance.
    equal_nan : bool
        Whether NaN counts as close to NaN.

    Returns
    -------
    Tensor
        A bool tensor of the broadcast shape.

    Raises
    ------
    RuntimeError
        If the shapes do not broadcast.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.isclose(minigrad.tensor([1.0, 2.0]), minigrad.tensor([1.0 + 1e-7, 2.1]))
    tensor([ True, False])
    """
    xp, ad, bd = _arrays("isclose", a, b)
    try:
        return Tensor._make(xp.asarray(xp.isclose(ad, bd, rtol=rtol, atol=atol,
                                                  equal_nan=equal_nan)))  # fmt: skip
    except ValueError:
        raise RuntimeError(
            f"isclose: the shapes {tuple(ad.shape)} and {tuple(bd.shape)} cannot be "
            "broadcast together"
        ) from None


def allclose(a, b, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:
    """True when every element of ``a`` is close to ``b`` (see :func:`isclose`).

    Parameters
    ----------
    a, b : Tensor or number
        The values (they broadcast).
    rtol, atol : float
        Relative and absolute tolerance.
    equal_nan : bool
        Whether NaN counts as close to NaN.

    Returns
    -------
    bool

    Examples
    --------
    >>> import minigrad
    >>> minigrad.allclose(minigrad.tensor([1.0, 2.0]), minigrad.tensor([1.0, 2.0 + 1e-6]))
    True
    """
    return bool(isclose(a, b, rtol, atol, equal_nan)._data.all())


def equal(a, b) -> bool:
    """True when ``a`` and ``b`` have the same shape and the same values (NaN is never
    equal to itself).

    Parameters
    ----------
    a, b : Tensor
        The tensors.

    Returns
    -------
    bool

    Examples
    --------
    >>> import minigrad
    >>> minigrad.equal(minigrad.tensor([1, 2]), minigrad.tensor([1, 2]))
    True
    >>> minigrad.equal(minigrad.tensor([1, 2]), minigrad.tensor([[1, 2]]))
    False
    """
    xp, ad, bd = _arrays("equal", a, b)
    return tuple(ad.shape) == tuple(bd.shape) and bool((ad == bd).all())
