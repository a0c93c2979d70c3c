"""Joining along fixed dimensions and lifting to a least number of dimensions:
``hstack``, ``vstack``, ``dstack``, ``column_stack``, ``atleast_1d``, ``atleast_2d``,
``atleast_3d``. All are reshapes around :func:`~minigrad.cat`, whose gradient splits
the output gradient back into the pieces.
"""

from __future__ import annotations

from minigrad.ops.shape.shape import cat, reshape
from minigrad.tensor import Tensor

__all__ = [
    "atleast_1d", "atleast_2d", "atleast_3d", "hstack", "vstack", "dstack", "column_stack",
]  # fmt: skip


def _lift(tensors, fn):
    if len(tensors) == 1 and not isinstance(tensors[0], Tensor):
        tensors = tuple(tensors[0])
        return tuple(fn(t) for t in tensors)
    out = tuple(fn(t) for t in tensors)
    return out[0] if len(out) == 1 else out


def _1d(t):
    return t if t.ndim >= 1 else reshape(t, (1,))


def _2d(t):
    if t.ndim >= 2:
        return t
    return reshape(t, (1, 1) if t.ndim == 0 else (1, t.shape[0]))


def _3d(t):
    if t.ndim >= 3:
        return t
    if t.ndim == 0:
        return reshape(t, (1, 1, 1))
    if t.ndim == 1:
        return reshape(t, (1, t.shape[0], 1))
    return reshape(t, t.shape + (1,))


def atleast_1d(*tensors):
    """Each tensor with at least 1 dimension (0-d becomes shape ``(1,)``).

    Parameters
    ----------
    *tensors : Tensor
        One or more tensors (or one sequence of them).

    Returns
    -------
    Tensor or tuple of Tensor

    Examples
    --------
    >>> import minigrad
    >>> minigrad.atleast_1d(minigrad.tensor(1.0)).shape
    (1,)
    """
    return _lift(tensors, _1d)


def atleast_2d(*tensors):
    """Each tensor with at least 2 dimensions (a vector becomes one row).

    Parameters
    ----------
    *tensors : Tensor
        One or more tensors (or one sequence of them).

    Returns
    -------
    Tensor or tuple of Tensor

    Examples
    --------
    >>> import minigrad
    >>> minigrad.atleast_2d(minigrad.ones(3)).shape
    (1, 3)
    """
    return _lift(tensors, _2d)


def atleast_3d(*tensors):
    """Each tensor with at least 3 dimensions (NumPy's and PyTorch's placement).

    Parameters
    ----------
    *tensors : Tensor
        One or more tensors (or one sequence of them).

    Returns
    -------
    Tensor or tuple of Tensor

    Examples
    --------
    >>> import minigrad
    >>> minigrad.atleast_3d(minigrad.ones(2, 3)).shape
    (2, 3, 1)
    """
    return _lift(tensors, _3d)


def hstack(tensors):
    """Join horizontally: along dimension 1, or 0 for 1-d tensors.

    Parameters
    ----------
    tensors : sequence of Tensor
        The pieces.

    Returns
    -------
    Tensor

    Examples
    --------
    >>> import minigrad
    >>> minigrad.hstack([minigrad.ones(2, 1), minigrad.zeros(2, 2)]).shape
    (2, 3)
    """
    ts = [_1d(t) for t in tensors]
    return cat(ts, 0 if ts and ts[0].ndim == 1 else 1)


def vstack(tensors):
    """Join vertically: along dimension 0 after making each at least 2-d (rows).

    Parameters
    ----------
    tensors : sequence of Tensor
        The pieces.

    Returns
    -------
    Tensor

    Examples
    --------
    >>> import minigrad
    >>> minigrad.vstack([minigrad.ones(3), minigrad.zeros(3)]).shape
    (2, 3)
    """
    return cat([_2d(t) for t in tensors], 0)


def dstack(tensors):
    """Join in depth: along dimension 2 after making each at least 3-d.

    Parameters
    ----------
    tensors : sequence of Tensor
        The pieces.

    Returns
    -------
    Tensor

    Examples
    --------
    >>> import minigrad
    >>> minigrad.dstack([minigrad.ones(2, 3), minigrad.zeros(2, 3)]).shape
    (2, 3, 2)
    """
    return cat([_3d(t) for t in tensors], 2)


def column_stack(tensors):
    """Join as columns: 0-d and 1-d tensors become columns, then join along dimension 1.

    Parameters
    ----------
    tensors : sequence of Tensor
        The pieces.

    Returns
    -------
    Tensor

    Examples
    --------
    >>> import minigrad
    >>> minigrad.column_stack([minigrad.ones(3), minigrad.zeros(3, 2)]).shape
    (3, 3)
    """
    cols = [reshape(t, (t.numel(), 1)) if t.ndim <= 1 else t for t in tensors]
    return cat(cols, 1)
