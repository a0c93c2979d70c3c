"""Adaptive max pooling layers: :class:`AdaptiveMaxPool1d`, :class:`AdaptiveMaxPool2d`
(the math is :mod:`minigrad.ops.nn.pool.adaptive_max_pool`)."""

from __future__ import annotations

from minigrad.nn.module import Module
from minigrad.ops.nn.pool.adaptive_max_pool import adaptive_max_pool1d, adaptive_max_pool2d

__all__ = ["AdaptiveMaxPool1d", "AdaptiveMaxPool2d"]


class _AdaptiveMaxPoolNd(Module):
    _fn = None

    def __init__(self, output_size, return_indices: bool = False):
        super().__init__()
        self.output_size = output_size
        self.return_indices = return_indices

    def forward(self, input):
        return type(self)._fn(input, self.output_size, self.return_indices)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveMaxPool2d(_AdaptiveMaxPoolNd):
    """2-D adaptive max pooling to a fixed output size; see
    :func:`~minigrad.nn.functional.adaptive_max_pool2d`.

    Parameters
    ----------
    output_size : int or tuple of 2 (int or None)
        Target size (``None`` keeps that input dimension).
    return_indices : bool
        Also return the flat argmax index of each window.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> m = nn.AdaptiveMaxPool2d((5, 7))
    >>> m
    AdaptiveMaxPool2d(output_size=(5, 7))
    >>> m(minigrad.randn(1, 64, 8, 9)).shape
    (1, 64, 5, 7)
    """

    _fn = staticmethod(adaptive_max_pool2d)


class AdaptiveMaxPool1d(_AdaptiveMaxPoolNd):
    """1-D adaptive max pooling to a fixed length; see
    :func:`~minigrad.nn.functional.adaptive_max_pool1d`.

    Parameters
    ----------
    output_size : int
        Target length.
    return_indices : bool
        Also return the argmax positions.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> y, idx = nn.AdaptiveMaxPool1d(3, return_indices=True)(minigrad.randn(2, 4, 8))
    >>> y.shape, idx.dtype
    ((2, 4, 3), dtype('int64'))
    """

    _fn = staticmethod(adaptive_max_pool1d)
