"""Parametric ReLU (PyTorch's ``F.prelu``): ``x`` where ``x > 0``, else ``weight * x``,
with one learned slope (or one per channel, dimension 1)."""

from __future__ import annotations

from minigrad.ops.math import elementwise as _ew

__all__ = ["prelu"]


def prelu(input, weight):
    """``max(0, x) + weight * min(0, x)`` with ``weight`` shared or per channel.

    Parameters
    ----------
    input : Tensor
        Any shape; channels on dimension 1 (dimension 0 for 1-D input).
    weight : Tensor
        One element, or one per channel.

    Returns
    -------
    Tensor

    Raises
    ------
    RuntimeError
        If ``weight`` has neither 1 element nor one per channel.

    Examples
    --------
    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.prelu(minigrad.tensor([[-2.0, 3.0]]), minigrad.tensor([0.25]))
    tensor([[-0.5,  3. ]])
    """
    n = weight.numel()
    if n != 1:
        ch = 0 if input.ndim == 1 else 1
        if input.ndim == 0 or input.shape[ch] != n:
            raise RuntimeError(
                f"prelu: mismatch in parameter count: weight has {n} elements, input "
                f"{tuple(input.shape)} has {input.shape[ch] if input.ndim else 1} channels"
            )
        w = weight.reshape((n,) + (1,) * (input.ndim - 1 - ch))
    else:
        w = weight.reshape(())
    return _ew.where(input > 0, input, w * input)
