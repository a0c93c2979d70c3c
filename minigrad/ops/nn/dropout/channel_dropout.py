"""Channel dropout (PyTorch's ``F.dropout1d``, ``F.dropout2d``, ``F.dropout3d``): zero
whole channels (one Bernoulli draw per sample and channel) while training, and scale the
others by ``1 / (1 - p)``.

The mask has shape ``(N, C, 1, ...)`` (or ``(C, 1, ...)`` unbatched) and multiplies the
input by broadcasting, so the gradient is the same mask and double backward holds.
"""

from __future__ import annotations

import warnings

from minigrad import backend
from minigrad.tensor import Tensor

__all__ = ["dropout1d", "dropout2d", "dropout3d"]


def _channel_dropout(op, input, p, training, nd):
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{op}: dropout probability has to be between 0 and 1, but got {p}")
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(
            f"{op}: expected {nd + 1}-D (unbatched) or {nd + 2}-D (batched) input, got "
            f"shape {tuple(input.shape)}"
        )
    if not training or p == 0.0:
        return input
    lead = input.ndim - nd  # 1 (C,) unbatched, 2 (N, C) batched
    shape = tuple(input.shape[:lead]) + (1,) * nd
    if p == 1.0:
        return input * 0.0
    xp = input.xp
    g = backend.generator(input.device)
    dt = input.dtype
    rdt = dt if dt.kind == "f" and dt.itemsize >= 4 else xp.float32
    keep = g.random(shape, dtype=rdt) >= p
    mask = (keep.astype(dt) * (1.0 / (1.0 - p))).astype(dt, copy=False)
    return input * Tensor._make(mask)


def dropout1d(input, p: float = 0.5, training: bool = True, inplace: bool = False):
    """Zero whole channels of ``(N, C, L)`` or ``(C, L)`` input with probability ``p``.

    Parameters
    ----------
    input : Tensor
        ``(N, C, L)`` or ``(C, L)``.
    p : float
        Probability of zeroing a channel (default 0.5).
    training : bool
        Apply dropout if True; otherwise return ``input``.
    inplace : bool
        Accepted for PyTorch compatibility; the result is a new tensor.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        If ``p`` is outside [0, 1].
    RuntimeError
        For input of another rank.

    Examples
    --------
    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> y = F.dropout1d(minigrad.ones(2, 8, 5), p=0.5)
    >>> sorted(set(y.sum(dim=2).flatten().tolist())) in ([0.0, 10.0], [0.0], [10.0])
    True
    """
    return _channel_dropout("dropout1d", input, p, training, 1)


def dropout2d(input, p: float = 0.5, training: bool = True, inplace: bool = False):
    """Zero whole channels of ``(N, C, H, W)`` or ``(C, H, W)`` input with probability ``p``.

    As in PyTorch, a 3-D input is taken as ``(N, C, L)`` (1-D channel dropout) with a
    warning.

    Parameters
    ----------
    input : Tensor
        ``(N, C, H, W)`` or ``(N, C, L)``.
    p : float
        Probability of zeroing a channel (default 0.5).
    training : bool
        Apply dropout if True; otherwise return ``input``.
    inplace : bool
        Accepted for PyTorch compatibility; the result is a new tensor.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        If ``p`` is outside [0, 1].
    RuntimeError
        For input of another rank.

    Examples
    --------
    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> y = F.dropout2d(minigrad.ones(2, 8, 3, 3), p=0.25)
    >>> sorted(set(y.sum(dim=(2, 3)).flatten().tolist())) in ([0.0, 12.0], [12.0])
    True
    """
    if input.ndim == 3:
        warnings.warn(
            "dropout2d: received a 3D input and assuming that channel-wise 1D dropout "
            "behavior is desired - input is interpreted as shape (N, C, L); use dropout1d "
            "for that",
            UserWarning,
            stacklevel=2,
        )
        return _channel_dropout("dropout2d", input, p, training, 1)
    return _channel_dropout("dropout2d", input, p, training, 2)


def dropout3d(input, p: float = 0.5, training: bool = True, inplace: bool = False):
    """Zero whole channels of ``(N, C, D, H, W)`` or ``(C, D, H, W)`` input.

    Parameters
    ----------
    input : Tensor
        ``(N, C, D, H, W)`` or ``(C, D, H, W)``.
    p : float
        Probability of zeroing a channel (default 0.5).
    training : bool
        Apply dropout if True; otherwise return ``input``.
    inplace : bool
        Accepted for PyTorch compatibility; the result is a new tensor.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        If ``p`` is outside [0, 1].
    RuntimeError
        For input of another rank.

    Examples
    --------
    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.dropout3d(minigrad.ones(1, 2, 2, 2, 2), training=False).shape
    (1, 2, 2, 2, 2)
    """
    return _channel_dropout("dropout3d", input, p, training, 3)
