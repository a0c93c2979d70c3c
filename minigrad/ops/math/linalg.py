"""Matrix products.

``matmul`` follows NumPy's rules: 1-D operands are promoted (a leading or trailing 1)
and the promoted dimension is removed from the result; leading batch dimensions
broadcast, and their gradient is summed back by :func:`~minigrad.autograd.sum_to`.
"""

from __future__ import annotations

from minigrad.autograd.function import Function, sum_to
from minigrad.ops.math.elementwise import _operand
from minigrad.ops.shape.shape import reshape, transpose, unsqueeze
from minigrad.tensor import Tensor

__all__ = ["matmul"]


class MatMul(Function):
    def forward(self, a, b):
        return a @ b

    def backward(self, gy):
        a, b = self.inputs
        na, nb = self.needs_input_grad
        if a.ndim == 1 and b.ndim == 1:  # dot product: gy is 0-d
            return (gy * b if na else None, gy * a if nb else None)
        a2 = unsqueeze(a, 0) if a.ndim == 1 else a
        b2 = unsqueeze(b, -1) if b.ndim == 1 else b
        if a.ndim == 1:
            gy = unsqueeze(gy, -2)
        if b.ndim == 1:
            gy = unsqueeze(gy, -1)
        ga = gb = None
        if na:
            ga = sum_to(matmul(gy, transpose(b2, -1, -2)), a2.shape)
            ga = reshape(ga, a.shape)
        if nb:
            gb = sum_to(matmul(transpose(a2, -1, -2), gy), b2.shape)
            gb = reshape(gb, b.shape)
        return ga, gb


def matmul(a, b):
    """Matrix product with NumPy's 1-D and batch-broadcasting rules.

    Parameters
    ----------
    a, b : Tensor
        At least 1-D each, of one dtype. A 1-D ``a`` is a row vector, a 1-D ``b`` a
        column vector (the added dimension is removed from the result); dimensions
        before the last two broadcast.

    Returns
    -------
    Tensor

    Raises
    ------
    RuntimeError
        For a 0-d operand, mismatched inner sizes or different dtypes.

    Examples
    --------
    >>> import minigrad
    >>> a = minigrad.ones(2, 3)
    >>> b = minigrad.ones(3)
    >>> minigrad.matmul(a, b)
    tensor([3., 3.])
    """
    if not isinstance(a, Tensor):
        a = _operand(a, b)
    if not isinstance(b, Tensor):
        b = _operand(b, a)
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError("matmul: both arguments need at least 1 dimension, got a 0-d tensor")
    if a.dtype != b.dtype:
        raise RuntimeError(
            f"matmul: expected both arguments to have the same dtype, but got {a.dtype} "
            f"and {b.dtype} (shapes {tuple(a.shape)} and {tuple(b.shape)}); cast one with .to()"
        )
    k_a = a.shape[-1]
    k_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if k_a != k_b:
        raise RuntimeError(
            f"matmul: shapes {tuple(a.shape)} and {tuple(b.shape)} cannot be multiplied "
            f"({k_a} != {k_b})"
        )
    return MatMul()(a, b)
