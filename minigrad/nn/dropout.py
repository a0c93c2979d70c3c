"""The dropout layers: :class:`Dropout` (elements;
:func:`minigrad.ops.nn.dropout.dropout.dropout`) and :class:`Dropout1d`,
:class:`Dropout2d`, :class:`Dropout3d` (whole channels;
:mod:`minigrad.ops.nn.dropout.channel_dropout`)."""

from __future__ import annotations

from minigrad.nn.module import Module
from minigrad.ops.nn.dropout.alpha_dropout import alpha_dropout, feature_alpha_dropout
from minigrad.ops.nn.dropout.channel_dropout import dropout1d, dropout2d, dropout3d
from minigrad.ops.nn.dropout.dropout import dropout

__all__ = [
    "Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout",
]  # fmt: skip


class Dropout(Module):
    """During training, zero each element with probability ``p`` and scale the rest by
    ``1 / (1 - p)``; in eval mode, the identity.

    Parameters
    ----------
    p : float
        Probability of zeroing an element (default 0.5).
    inplace : bool
        Accepted for PyTorch compatibility; the result is always a new tensor.

    Raises
    ------
    ValueError
        If ``p`` is outside ``[0, 1]``.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> m = nn.Dropout(p=0.2)
    >>> m
    Dropout(p=0.2, inplace=False)
    >>> x = minigrad.ones(4)
    >>> m.eval()(x) is x
    True
    """

    def __init__(self, p: float = 0.5, inplace: bool = False):
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def forward(self, input):
        return dropout(input, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class _ChannelDropout(Dropout):
    _fn = None

    def forward(self, input):
        return type(self)._fn(input, self.p, self.training)


class Dropout1d(_ChannelDropout):
    """During training, zero whole channels of ``(N, C, L)`` / ``(C, L)`` input with
    probability ``p`` and scale the rest by ``1 / (1 - p)``; in eval mode, the identity.

    Parameters
    ----------
    p : float
        Probability of zeroing a channel (default 0.5).
    inplace : bool
        Accepted for PyTorch compatibility; the result is always a new tensor.

    Raises
    ------
    ValueError
        If ``p`` is outside ``[0, 1]``.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.Dropout1d(0.3)
    Dropout1d(p=0.3, inplace=False)
    >>> nn.Dropout1d(0.3)(minigrad.ones(4, 3, 5)).shape
    (4, 3, 5)
    """

    _fn = staticmethod(dropout1d)


class Dropout2d(_ChannelDropout):
    """During training, zero whole channels of ``(N, C, H, W)`` / ``(C, H, W)`` input with
    probability ``p`` and scale the rest by ``1 / (1 - p)``; in eval mode, the identity.

    Parameters
    ----------
    p : float
        Probability of zeroing a channel (default 0.5).
    inplace : bool
        Accepted for PyTorch compatibility; the result is always a new tensor.

    Raises
    ------
    ValueError
        If ``p`` is outside ``[0, 1]``.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> m = nn.Dropout2d(0.5).eval()
    >>> x = minigrad.ones(1, 2, 3, 3)
    >>> m(x) is x
    True
    """

    _fn = staticmethod(dropout2d)


class Dropout3d(_ChannelDropout):
    """During training, zero whole channels of ``(N, C, D, H, W)`` / ``(C, D, H, W)`` input
    with probability ``p`` and scale the rest by ``1 / (1 - p)``.

    Parameters
    ----------
    p : float
        Probability of zeroing a channel (default 0.5).
    inplace : bool
        Accepted for PyTorch compatibility; the result is always a new tensor.

    Raises
    ------
    ValueError
        If ``p`` is outside ``[0, 1]``.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.Dropout3d(0.1)(minigrad.ones(1, 2, 2, 2, 2)).shape
    (1, 2, 2, 2, 2)
    """

    _fn = staticmethod(dropout3d)


class AlphaDropout(_ChannelDropout):
    """Alpha dropout (keeps SELU's self-normalization) while training; the identity in
    eval mode. See :func:`~minigrad.nn.functional.alpha_dropout`.

    Parameters
    ----------
    p : float
        Probability of dropping an element (default 0.5).
    inplace : bool
        Accepted for PyTorch compatibility; the result is always a new tensor.

    Raises
    ------
    ValueError
        If ``p`` is outside ``[0, 1]``.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.AlphaDropout(0.2)(minigrad.ones(3)).shape
    (3,)
    """

    _fn = staticmethod(alpha_dropout)


class FeatureAlphaDropout(_ChannelDropout):
    """Alpha dropout of whole channels while training; see
    :func:`~minigrad.nn.functional.feature_alpha_dropout`.

    Parameters
    ----------
    p : float
        Probability of dropping a channel (default 0.5).
    inplace : bool
        Accepted for PyTorch compatibility; the result is always a new tensor.

    Raises
    ------
    ValueError
        If ``p`` is outside ``[0, 1]``.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.FeatureAlphaDropout(0.2)(minigrad.ones(2, 3, 4)).shape
    (2, 3, 4)
    """

    _fn = staticmethod(feature_alpha_dropout)
