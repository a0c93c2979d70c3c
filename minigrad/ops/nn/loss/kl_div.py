"""The Kullback-Leibler divergence loss (PyTorch's ``F.kl_div``).

``input`` holds log-probabilities ``log q``; ``target`` holds probabilities ``p`` (or
``log p`` with ``log_target=True``). The pointwise loss is
``p * (log p - log q)``, taken as ``0`` where ``p == 0`` (PyTorch's ``xlogy``).
"""

from __future__ import annotations

import warnings

from minigrad.ops.math import elementwise as _ew
from minigrad.ops.math import unary as _unary
from minigrad.ops.nn.loss.loss import _as_tensor

__all__ = ["kl_div"]

_KL_REDUCTIONS = ("none", "batchmean", "sum", "mean")


def kl_div(
    input,
    target,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    log_target: bool = False,
):
    """KL divergence ``sum p * (log p - input)``, reduced (PyTorch's ``F.kl_div``).

    Parameters
    ----------
    input : Tensor
        Log-probabilities (e.g. from :func:`~minigrad.nn.functional.log_softmax`).
    target : Tensor
        Probabilities, or log-probabilities with ``log_target=True``; input's shape.
    size_average, reduce : None
        Deprecated PyTorch arguments; must be left as ``None``.
    reduction : {'mean', 'batchmean', 'sum', 'none'}
        ``'batchmean'`` divides the sum by ``input.shape[0]`` (the KL divergence per
        sample); ``'mean'`` divides by the number of elements (and warns, as PyTorch).
    log_target : bool
        Whether ``target`` is given in log space.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        For an unknown reduction, deprecated arguments, or shapes that differ.

    Examples
    --------
    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> q = minigrad.tensor([[0.5, 0.5]]).log()
    >>> p = minigrad.tensor([[0.25, 0.75]])
    >>> F.kl_div(q, p, reduction="batchmean")
    tensor(0.1308)
    """
    if size_average is not None or reduce is not None:
        raise ValueError("kl_div: size_average and reduce are deprecated; use reduction=")
    if reduction not in _KL_REDUCTIONS:
        raise ValueError(
            f"kl_div: reduction={reduction!r} is not valid; expected one of {_KL_REDUCTIONS}"
        )
    target = _as_tensor(target, input)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(
            f"kl_div: input and target must have the same shape, got {tuple(input.shape)} "
            f"and {tuple(target.shape)}"
        )
    if log_target:
        loss = _unary.exp(target) * (target - input)
    else:
        pos = target > 0
        safe = _ew.where(pos, target, 1.0)
        loss = _ew.where(pos, target * _unary.log(safe), 0.0) - target * input
    if reduction == "mean":
        warnings.warn(
            "kl_div: reduction='mean' divides the total loss by both the batch size and the "
            "support size; 'batchmean' divides only by the batch size, and aligns with the "
            "KL divergence's definition",
            UserWarning,
            stacklevel=2,
        )
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "batchmean":
        return loss.sum() / input.shape[0] if input.ndim != 0 else loss.sum()
    return loss
