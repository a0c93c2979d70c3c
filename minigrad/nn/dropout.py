"""The :class:`Dropout` layer (the math is :func:`minigrad.ops.dropout.dropout`)."""

from __future__ import annotations

from minigrad.nn.module import Module
from minigrad.ops.dropout import dropout

__all__ = ["Dropout"]


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
