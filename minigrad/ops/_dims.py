"""Normalizing ``dim`` arguments: the one place that turns a possibly negative dimension
(or a tuple of them) into non-negative axes and raises PyTorch's errors otherwise."""

from __future__ import annotations


def dim_index(dim: int, ndim: int, op: str | None = None) -> int:
    """``dim`` as a non-negative axis of an ``ndim``-d tensor, or an IndexError naming ``op``.

    Examples
    --------
    >>> dim_index(-1, 3, "cat")
    2
    """
    if not -ndim <= dim < ndim:
        where = f"{op}: dimension" if op else "Dimension"
        raise IndexError(
            f"{where} out of range (expected to be in range of [{-ndim}, {ndim - 1}], "
            f"but got {dim})"
        )
    return dim % ndim


def reduce_axes(dim, ndim: int, op: str | None = None) -> tuple[int, ...]:
    """Normalize a reduction's ``dim`` to a sorted tuple of non-negative axes (``None`` or
    ``()``: all, as in PyTorch); a 0-d tensor accepts dims 0 and -1. ``op`` names the
    reduction in the errors.

    Examples
    --------
    >>> reduce_axes((-1, 0), 3)
    (0, 2)
    >>> reduce_axes(None, 2)
    (0, 1)
    """
    if dim is None or (isinstance(dim, tuple | list) and not dim):
        return tuple(range(ndim))
    if isinstance(dim, int):
        dim = (dim,)
    out = []
    for d in dim:
        a = dim_index(d, max(ndim, 1), op)
        if a in out:
            where = f"{op}: dim" if op else "dim"
            raise RuntimeError(f"{where} {a} appears multiple times in the list of dims {dim}")
        out.append(a)
    return tuple(sorted(out)) if ndim else ()


def keepdim_shape(shape, axes) -> tuple[int, ...]:
    """``shape`` with the reduced ``axes`` kept as size 1.

    Examples
    --------
    >>> keepdim_shape((2, 3, 4), (1,))
    (2, 1, 4)
    """
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


def as_keepdim(gy, in_shape, axes, keepdim: bool):
    """A reduction's output gradient reshaped so that it broadcasts against the input.

    Examples
    --------
    >>> import minigrad
    >>> as_keepdim(minigrad.ones(2), (2, 3), (1,), keepdim=False).shape
    (2, 1)
    """
    return gy if keepdim else gy.reshape(keepdim_shape(in_shape, axes))
