"""The Huber loss (PyTorch's ``F.huber_loss``): quadratic near zero, linear beyond
``delta``.

``huber(d) = 0.5 d^2`` where ``|d| < delta``, else ``delta * (|d| - 0.5 delta)``; it equals
``delta * smooth_l1_loss(d, beta=delta)``. The gradient is ``clamp(d, -delta, delta)``.
"""

from __future__ import annotations

from minigrad.ops.math import elementwise as _ew
from minigrad.ops.math import unary as _unary
from minigrad.ops.nn.loss.loss import _check_reduction, _pair, _reduce

__all__ = ["huber_loss"]


def huber_loss(input, target, reduction: str = "mean", delta: float = 1.0, weight=None):
    """Huber loss of ``input - target``, reduced (PyTorch's ``F.huber_loss``).

    Parameters
    ----------
    input, target : Tensor
        Of the same shape.
    reduction : {'mean', 'sum', 'none'}
        How to reduce the elementwise losses.
    delta : float
        Where the loss turns from quadratic to linear; must be positive (default 1).
    weight : Tensor, optional
        Elementwise weights of input's shape, applied before the reduction.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        If the shapes differ, the reduction is unknown or ``delta <= 0``.

    Examples
    --------
    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.huber_loss(minigrad.tensor([0.5, 3.0]), minigrad.tensor([0.0, 0.0]), delta=2.0)
    tensor(2.0625)
    """
    _check_reduction("huber_loss", reduction)
    if not delta > 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    target = _pair("huber_loss", input, target)
    d = input - target
    a = _unary.abs(d)
    loss = _ew.where(a < delta, d * d * 0.5, (a - 0.5 * delta) * delta)
    if weight is not None:
        if tuple(weight.shape) != tuple(input.shape):
            raise ValueError(
                f"huber_loss: weight must have input's shape {tuple(input.shape)}, got "
                f"{tuple(weight.shape)}"
            )
        loss = loss * weight
    return _reduce(loss, reduction)
