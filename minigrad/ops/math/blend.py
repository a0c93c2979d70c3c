"""Weighted combinations used by optimizers and running averages: ``lerp``,
``addcmul``, ``addcdiv``. Each is written in tensor ops, so its gradients (with
respect to every tensor argument) are those of the arithmetic.
"""

from __future__ import annotations

__all__ = ["lerp", "addcmul", "addcdiv"]


def lerp(start, end, weight):
    """Linear interpolation ``start + weight * (end - start)``.

    Parameters
    ----------
    start, end : Tensor
        The end points (they broadcast).
    weight : number or Tensor
        0 gives ``start``, 1 gives ``end``.

    Returns
    -------
    Tensor

    Examples
    --------
    >>> import minigrad
    >>> minigrad.lerp(minigrad.tensor([0.0, 10.0]), minigrad.tensor([10.0, 20.0]), 0.25)
    tensor([ 2.5, 12.5])
    """
    return start + weight * (end - start)


def addcmul(input, tensor1, tensor2, *, value=1):
    """``input + value * tensor1 * tensor2``.

    Parameters
    ----------
    input, tensor1, tensor2 : Tensor
        Operands (they broadcast).
    value : number
        Scale of the product.

    Returns
    -------
    Tensor

    Examples
    --------
    >>> import minigrad
    >>> minigrad.addcmul(minigrad.ones(2), minigrad.tensor([1.0, 2.0]),
    ...                  minigrad.tensor([3.0, 4.0]), value=0.5)
    tensor([2.5, 5. ])
    """
    p = tensor1 * tensor2
    return input + (p if value == 1 else p * value)


def addcdiv(input, tensor1, tensor2, *, value=1):
    """``input + value * tensor1 / tensor2``.

    Parameters
    ----------
    input, tensor1, tensor2 : Tensor
        Operands (they broadcast).
    value : number
        Scale of the quotient.

    Returns
    -------
    Tensor

    Examples
    --------
    >>> import minigrad
    >>> minigrad.addcdiv(minigrad.zeros(2), minigrad.tensor([1.0, 2.0]),
    ...                  minigrad.tensor([4.0, 4.0]), value=2)
    tensor([0.5, 1. ])
    """
    q = tensor1 / tensor2
    return input + (q if value == 1 else q * value)
