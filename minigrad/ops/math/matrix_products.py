"""PyTorch's named matrix products: ``mm``, ``bmm``, ``mv``, ``dot``, ``outer``,
``addmm``, ``tensordot``.

Each checks the shapes its name promises (``mm`` two matrices, ``bmm`` two batches of
the same size, ...) and is then :func:`~minigrad.matmul` (or an einsum for
``tensordot``), so its gradients are theirs.
"""

from __future__ import annotations

import string

from minigrad.ops.math.einsum import einsum
from minigrad.ops.math.linalg import matmul

__all__ = ["mm", "bmm", "mv", "dot", "outer", "addmm", "tensordot"]


def _need(op, name, t, ndim):
    if t.ndim != ndim:
        raise RuntimeError(f"{op}: {name} must be a {ndim}-d tensor, got shape {tuple(t.shape)}")


def _inner(op, a, b, ka, kb):
    if a.shape[ka] != b.shape[kb]:
        raise RuntimeError(
            f"{op}: shapes {tuple(a.shape)} and {tuple(b.shape)} cannot be multiplied "
            f"({a.shape[ka]} != {b.shape[kb]})"
        )


def mm(a, b):
    """Matrix product of two 2-d tensors.

    Parameters
    ----------
    a, b : Tensor
        Shapes ``(n, k)`` and ``(k, m)``.

    Returns
    -------
    Tensor
        Shape ``(n, m)``.

    Raises
    ------
    RuntimeError
        For tensors that are not 2-d or do not fit.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.mm(minigrad.ones(2, 3), minigrad.ones(3, 1))
    tensor([[3.],
            [3.]])
    """
    _need("mm", "self", a, 2)
    _need("mm", "mat2", b, 2)
    _inner("mm", a, b, 1, 0)
    return matmul(a, b)


def bmm(a, b):
    """Batched matrix product of two 3-d tensors with the same batch size.

    Parameters
    ----------
    a, b : Tensor
        Shapes ``(B, n, k)`` and ``(B, k, m)``.

    Returns
    -------
    Tensor
        Shape ``(B, n, m)``.

    Raises
    ------
    RuntimeError
        For tensors that are not 3-d or do not fit.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.bmm(minigrad.ones(4, 2, 3), minigrad.ones(4, 3, 5)).shape
    (4, 2, 5)
    """
    _need("bmm", "self", a, 3)
    _need("bmm", "mat2", b, 3)
    if a.shape[0] != b.shape[0]:
        raise RuntimeError(f"bmm: batch sizes differ: shapes {tuple(a.shape)} and {tuple(b.shape)}")
    _inner("bmm", a, b, 2, 1)
    return matmul(a, b)


def mv(a, v):
    """Matrix-vector product.

    Parameters
    ----------
    a : Tensor
        Shape ``(n, k)``.
    v : Tensor
        Shape ``(k,)``.

    Returns
    -------
    Tensor
        Shape ``(n,)``.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.mv(minigrad.ones(2, 3), minigrad.ones(3))
    tensor([3., 3.])
    """
    _need("mv", "self", a, 2)
    _need("mv", "vec", v, 1)
    _inner("mv", a, v, 1, 0)
    return matmul(a, v)


def dot(a, b):
    """Inner product of two 1-d tensors of the same length.

    Parameters
    ----------
    a, b : Tensor
        1-d.

    Returns
    -------
    Tensor
        0-d.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.dot(minigrad.tensor([1.0, 2.0]), minigrad.tensor([3.0, 4.0]))
    tensor(11.)
    """
    _need("dot", "self", a, 1)
    _need("dot", "tensor", b, 1)
    _inner("dot", a, b, 0, 0)
    return matmul(a, b)


def outer(a, b):
    """Outer product of two 1-d tensors: ``out[i, j] = a[i] * b[j]``.

    Parameters
    ----------
    a, b : Tensor
        1-d.

    Returns
    -------
    Tensor
        Shape ``(len(a), len(b))``.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.outer(minigrad.tensor([1.0, 2.0]), minigrad.tensor([1.0, 0.0, -1.0]))
    tensor([[ 1.,  0., -1.],
            [ 2.,  0., -2.]])
    """
    _need("outer", "self", a, 1)
    _need("outer", "vec2", b, 1)
    return a.unsqueeze(1) * b.unsqueeze(0)


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """``beta * input + alpha * (mat1 @ mat2)`` (``input`` broadcasts).

    Parameters
    ----------
    input : Tensor
        Added term.
    mat1, mat2 : Tensor
        2-d factors.
    beta, alpha : number
        Scales.

    Returns
    -------
    Tensor

    Examples
    --------
    >>> import minigrad
    >>> minigrad.addmm(minigrad.ones(2), minigrad.ones(1, 3), minigrad.ones(3, 2), alpha=2)
    tensor([[7., 7.]])
    """
    p = mm(mat1, mat2)
    p = p if alpha == 1 else p * alpha
    if beta == 0:  # PyTorch ignores input then (NaN in it does not propagate)
        return p
    return (input if beta == 1 else input * beta) + p


def tensordot(a, b, dims=2):
    """Contract the last ``dims`` dimensions of ``a`` with the first ``dims`` of ``b``,
    or the listed pairs ``dims = ([a dims], [b dims])``.

    Parameters
    ----------
    a, b : Tensor
        The operands.
    dims : int or (sequence of int, sequence of int)
        What to contract.

    Returns
    -------
    Tensor
        ``a``'s free dimensions followed by ``b``'s.

    Raises
    ------
    RuntimeError
        When contracted dimensions differ in size.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.tensordot(minigrad.ones(2, 3, 4), minigrad.ones(3, 4, 5)).shape
    (2, 5)
    >>> minigrad.tensordot(minigrad.ones(2, 3), minigrad.ones(3, 2), dims=([1], [0])).shape
    (2, 2)
    """
    if isinstance(dims, int):
        da = list(range(a.ndim - dims, a.ndim))
        db = list(range(dims))
    else:
        da = [d % a.ndim for d in ([dims[0]] if isinstance(dims[0], int) else dims[0])]
        db = [d % b.ndim for d in ([dims[1]] if isinstance(dims[1], int) else dims[1])]
    if len(da) != len(db):
        raise RuntimeError(f"tensordot: both dims lists must have one length, got {da}, {db}")
    letters = iter(string.ascii_letters)
    sa = [next(letters) for _ in range(a.ndim)]
    sb = [next(letters) for _ in range(b.ndim)]
    for i, j in zip(da, db):
        if a.shape[i] != b.shape[j]:
            raise RuntimeError(
                f"tensordot: contracted dimensions {i} of {tuple(a.shape)} and {j} of "
                f"{tuple(b.shape)} differ in size"
            )
        sb[j] = sa[i]
    out = [c for k, c in enumerate(sa) if k not in da] + [
        c for k, c in enumerate(sb) if k not in db
    ]
    return einsum(f"{''.join(sa)},{''.join(sb)}->{''.join(out)}", a, b)
