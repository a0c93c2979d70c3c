"""The bilinear form (PyTorch's ``F.bilinear``): ``y[..., k] = x1 W[k] x2 + b[k]``, one
einsum, so its gradients follow from einsum's."""

from __future__ import annotations

__all__ = ["bilinear"]


def bilinear(input1, input2, weight, bias=None):
    """``y[..., k] = sum_ij input1[..., i] * weight[k, i, j] * input2[..., j] + bias[k]``.

    Parameters
    ----------
    input1 : Tensor
        ``(*, in1)``.
    input2 : Tensor
        ``(*, in2)``, the same leading shape.
    weight : Tensor
        ``(out, in1, in2)``.
    bias : Tensor, optional
        ``(out,)``.

    Returns
    -------
    Tensor
        ``(*, out)``.

    Raises
    ------
    RuntimeError
        For sizes that do not match the weight.

    Examples
    --------
    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> w = minigrad.ones(1, 2, 3)
    >>> F.bilinear(minigrad.tensor([[1.0, 2.0]]), minigrad.tensor([[1.0, 0.0, 1.0]]), w)
    tensor([[6.]])
    """
    from minigrad import einsum

    if (
        weight.ndim != 3
        or input1.shape[-1] != weight.shape[1]
        or (input2.shape[-1] != weight.shape[2])
    ):
        raise RuntimeError(
            f"bilinear: input1 {tuple(input1.shape)} and input2 {tuple(input2.shape)} do not "
            f"match weight {tuple(weight.shape)} (expected (out, in1, in2))"
        )
    if tuple(input1.shape[:-1]) != tuple(input2.shape[:-1]):
        raise RuntimeError(
            f"bilinear: input1 {tuple(input1.shape)} and input2 {tuple(input2.shape)} must "
            "have the same leading dimensions"
        )
    y = einsum("...i,kij,...j->...k", input1, weight, input2)
    return y if bias is None else y + bias
