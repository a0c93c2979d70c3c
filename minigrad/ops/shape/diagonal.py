"""Diagonals: ``diagonal``, ``diag_embed``, ``diag``, ``trace``.

Each is one :func:`~minigrad.einsum` (a repeated letter reads a diagonal; a product
with a shifted identity writes one), so each has the other as its gradient, to any
order.
"""

from __future__ import annotations

from minigrad.ops._dims import dim_index
from minigrad.ops.math.einsum import einsum
from minigrad.ops.shape.rearrange import movedim, narrow
from minigrad.tensor import Tensor

__all__ = ["diagonal", "diag_embed", "diag", "trace"]


def diagonal(x, offset: int = 0, dim1: int = 0, dim2: int = 1):
    """The diagonal of the matrices spanned by ``dim1`` and ``dim2``, as a new last
    dimension (PyTorch's ``diagonal``; a copy here, not a view).

    Parameters
    ----------
    x : Tensor
        At least 2-d.
    offset : int
        0 the main diagonal, positive above it, negative below.
    dim1, dim2 : int
        The two dimensions of the matrices.

    Returns
    -------
    Tensor
        ``x`` without ``dim1`` and ``dim2``, plus the diagonal as the last dimension.

    Raises
    ------
    RuntimeError
        For fewer than 2 dimensions or ``dim1 == dim2``.

    Examples
    --------
    >>> import minigrad
    >>> x = minigrad.arange(9.0).reshape(3, 3)
    >>> x.diagonal(), x.diagonal(1), minigrad.diagonal(x, -1)
    (tensor([0., 4., 8.]), tensor([1., 5.]), tensor([3., 7.]))
    """
    if x.ndim < 2:
        raise RuntimeError(f"diagonal: expected a tensor of at least 2 dimensions, got {x.ndim}")
    d1, d2 = dim_index(dim1, x.ndim, "diagonal"), dim_index(dim2, x.ndim, "diagonal")
    if d1 == d2:
        raise RuntimeError(f"diagonal: dimensions dim1 and dim2 cannot be the same ({d1})")
    x = movedim(x, (d1, d2), (-2, -1))
    n, m = x.shape[-2], x.shape[-1]
    r0, c0 = max(-offset, 0), max(offset, 0)
    length = max(min(n - r0, m - c0), 0)
    x = narrow(narrow(x, -2, min(r0, n), length), -1, min(c0, m), length)
    return einsum("...ii->...i", x)


def diag_embed(x, offset: int = 0, dim1: int = -2, dim2: int = -1):
    """Matrices whose diagonal (``offset``) holds the last dimension of ``x``; zeros
    elsewhere.

    Parameters
    ----------
    x : Tensor
        At least 1-d; its last dimension becomes the diagonal.
    offset : int
        Which diagonal (see :func:`diagonal`).
    dim1, dim2 : int
        Where the two new matrix dimensions go in the result.

    Returns
    -------
    Tensor
        One dimension more than ``x``.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.diag_embed(minigrad.tensor([1.0, 2.0]), offset=1)
    tensor([[0., 1., 0.],
            [0., 0., 2.],
            [0., 0., 0.]])
    """
    if x.ndim < 1:
        raise RuntimeError("diag_embed: expected a tensor of at least 1 dimension")
    n = x.shape[-1]
    size = n + abs(offset)
    xp = x.xp
    rows = Tensor._make(xp.eye(n, size, k=max(-offset, 0), dtype=x.dtype))
    cols = Tensor._make(xp.eye(n, size, k=max(offset, 0), dtype=x.dtype))
    out = einsum("...a,ai,aj->...ij", x, rows, cols)
    nd = out.ndim
    d1, d2 = dim_index(dim1, nd, "diag_embed"), dim_index(dim2, nd, "diag_embed")
    if d1 == d2:
        raise RuntimeError(f"diag_embed: dimensions dim1 and dim2 cannot be the same ({d1})")
    return movedim(out, (-2, -1), (d1, d2))


def diag(x, diagonal: int = 0):
    """A 1-d tensor's diagonal matrix, or a 2-d tensor's diagonal (``diagonal`` chooses
    which, as in :func:`diagonal`).

    Parameters
    ----------
    x : Tensor
        1-d or 2-d.
    diagonal : int
        The offset of the diagonal.

    Returns
    -------
    Tensor

    Raises
    ------
    RuntimeError
        For a tensor of another number of dimensions.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.diag(minigrad.tensor([1.0, 2.0]))
    tensor([[1., 0.],
            [0., 2.]])
    >>> minigrad.diag(minigrad.tensor([[1.0, 2.0], [3.0, 4.0]]))
    tensor([1., 4.])
    """
    if x.ndim == 1:
        return diag_embed(x, diagonal)
    if x.ndim == 2:
        return globals()["diagonal"](x, diagonal)
    raise RuntimeError(f"diag: expected a 1-d or 2-d tensor, got {x.ndim} dimensions")


def trace(x):
    """The sum of the main diagonal of a 2-d tensor.

    Parameters
    ----------
    x : Tensor
        2-d.

    Returns
    -------
    Tensor
        0-d.

    Raises
    ------
    RuntimeError
        For a tensor that is not 2-d.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.trace(minigrad.tensor([[1.0, 2.0], [3.0, 4.0]]))
    tensor(5.)
    """
    if x.ndim != 2:
        raise RuntimeError(f"trace: expected a 2-d tensor, got {x.ndim} dimensions")
    return diagonal(x).sum()
