"""Coordinate grids and common shapes: ``meshgrid``, ``broadcast_tensors``,
``cartesian_prod``. Broadcasting views (whose gradients are summed back) and
reshapes.
"""

from __future__ import annotations

from minigrad import backend
from minigrad.ops.shape.shape import broadcast_to, reshape, stack
from minigrad.tensor import Tensor

__all__ = ["meshgrid", "broadcast_tensors", "cartesian_prod"]


def _seq(tensors):
    if len(tensors) == 1 and not isinstance(tensors[0], Tensor):
        return tuple(tensors[0])
    return tuple(tensors)


def meshgrid(*tensors, indexing: str = "ij"):
    """Coordinate grids from 1-d tensors: output ``k`` varies along dimension ``k``
    (``'ij'``, PyTorch's default) or, for ``'xy'``, with the first two swapped.

    Parameters
    ----------
    *tensors : Tensor
        1-d (or 0-d) tensors, or one sequence of them.
    indexing : {'ij', 'xy'}
        Matrix or Cartesian indexing.

    Returns
    -------
    tuple of Tensor
        Broadcast views, each of the grid's shape.

    Examples
    --------
    >>> import minigrad
    >>> ii, jj = minigrad.meshgrid(minigrad.arange(2), minigrad.arange(3))
    >>> ii.shape, jj[0].tolist()
    ((2, 3), [0, 1, 2])
    """
    ts = [reshape(t, (-1,)) for t in _seq(tensors)]
    if indexing not in ("ij", "xy"):
        raise ValueError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    swap = indexing == "xy" and len(ts) >= 2
    if swap:
        ts[0], ts[1] = ts[1], ts[0]
    shape = tuple(t.shape[0] for t in ts)
    n = len(ts)
    out = [broadcast_to(reshape(t, tuple(-1 if i == k else 1 for i in range(n))), shape)
           for k, t in enumerate(ts)]  # fmt: skip
    if swap:  # the grid is (len(t1), len(t0), ...); outputs keep the inputs' order
        out[0], out[1] = out[1], out[0]
    return tuple(out)


def broadcast_tensors(*tensors):
    """The tensors broadcast to their common shape (views).

    Parameters
    ----------
    *tensors : Tensor
        Tensors whose shapes broadcast together.

    Returns
    -------
    tuple of Tensor

    Raises
    ------
    RuntimeError
        If the shapes do not broadcast.

    Examples
    --------
    >>> import minigrad
    >>> a, b = minigrad.broadcast_tensors(minigrad.ones(2, 1), minigrad.ones(3))
    >>> a.shape, b.shape
    ((2, 3), (2, 3))
    """
    ts = _seq(tensors)
    try:
        shape = backend.np.broadcast_shapes(*[t.shape for t in ts])
    except ValueError:
        raise RuntimeError(
            f"broadcast_tensors: shapes {[tuple(t.shape) for t in ts]} do not broadcast"
        ) from None
    return tuple(broadcast_to(t, shape) for t in ts)


def cartesian_prod(*tensors):
    """All combinations of the elements of 1-d tensors, one per row.

    Parameters
    ----------
    *tensors : Tensor
        1-d tensors.

    Returns
    -------
    Tensor
        Shape ``(prod of lengths, number of tensors)`` (1-d for a single tensor).

    Examples
    --------
    >>> import minigrad
    >>> minigrad.cartesian_prod(minigrad.tensor([1, 2]), minigrad.tensor([3, 4]))
    tensor([[1, 3],
            [1, 4],
            [2, 3],
            [2, 4]])
    """
    ts = _seq(tensors)
    if len(ts) == 1:
        return ts[0]
    return stack([g.reshape(-1) for g in meshgrid(*ts)], 1)
