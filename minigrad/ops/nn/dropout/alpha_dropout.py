"""Alpha dropout (PyTorch's ``F.alpha_dropout`` / ``F.feature_alpha_dropout``), for
self-normalizing (SELU) networks: dropped units are set to SELU's negative saturation
and the result is affinely rescaled so that mean and variance are kept.

With ``alpha' = 1.7580993408473766``, ``a = 1 / sqrt((alpha'^2 p + 1)(1 - p))`` and a
Bernoulli(1 - p) mask ``m``: ``y = x * m * a + a * alpha' * (p - (1 - m))`` (PyTorch's
formula). The feature variant draws one mask value per sample and channel.
"""

from __future__ import annotations

from minigrad import backend
from minigrad.tensor import Tensor

__all__ = ["alpha_dropout", "feature_alpha_dropout"]

_ALPHA = 1.7580993408473766


def _alpha_dropout(op, input, p, training, feature):
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{op}: dropout probability has to be between 0 and 1, but got {p}")
    if p == 0.0 or not training or input.numel() == 0:
        return input
    if p == 1.0:
        return input * 0.0
    xp = input.xp
    shape = tuple(input.shape)
    if feature:
        if input.ndim < 2:
            raise RuntimeError(
                f"{op}: feature dropout requires at least 2 dimensions in the input, got "
                f"shape {shape}"
            )
        shape = shape[:2] + (1,) * (input.ndim - 2)
    g = backend.generator(input.device)
    dt = input.dtype
    rdt = dt if dt.kind == "f" and dt.itemsize >= 4 else xp.float32
    keep = (g.random(shape, dtype=rdt) >= p).astype(dt)
    a = 1.0 / ((_ALPHA * _ALPHA * p + 1) * (1 - p)) ** 0.5
    scale = (keep * a).astype(dt, copy=False)
    shift = ((keep - 1) * (_ALPHA * a) + _ALPHA * a * p).astype(dt, copy=False)
    return input * Tensor._make(scale) + Tensor._make(shift)


def alpha_dropout(input, p: float = 0.5, training: bool = False, inplace: bool = False):
    """Alpha dropout of elements (note PyTorch's default ``training=False``).

    Parameters
    ----------
    input : Tensor
    p : float
        Probability of dropping an element (default 0.5).
    training : bool
        Apply it (default False, as PyTorch's functional form).
    inplace : bool
        Accepted for PyTorch compatibility; the result is a new tensor.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        If ``p`` is outside [0, 1].

    Examples
    --------
    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> x = minigrad.randn(100000)
    >>> y = F.alpha_dropout(x, 0.2, training=True)
    >>> abs(y.mean().item()) < 0.02, abs(y.std().item() - 1) < 0.02
    (True, True)
    """
    return _alpha_dropout("alpha_dropout", input, p, training, False)


def feature_alpha_dropout(input, p: float = 0.5, training: bool = False, inplace: bool = False):
    """Alpha dropout of whole channels (one draw per sample and channel).

    Parameters
    ----------
    input : Tensor
        At least 2-D: ``(N, C, *)``.
    p : float
        Probability of dropping a channel (default 0.5).
    training : bool
        Apply it (default False, as PyTorch's functional form).
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
        For input with fewer than 2 dimensions.

    Examples
    --------
    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.feature_alpha_dropout(minigrad.ones(2, 3, 4), 0.5).shape
    (2, 3, 4)
    """
    return _alpha_dropout("feature_alpha_dropout", input, p, training, True)
