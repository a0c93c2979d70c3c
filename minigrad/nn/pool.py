"""Pooling layers: max, average and adaptive average pooling (PyTorch's names).

The layers only store their options and call the functional ops of
:mod:`minigrad.ops.nn.pool.pool_window`.
"""

from __future__ import annotations

from minigrad.nn.module import Module
from minigrad.ops.nn.pool.avg_pool import (
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    avg_pool1d,
    avg_pool2d,
)
from minigrad.ops.nn.pool.max_pool import max_pool1d, max_pool2d

__all__ = [
    "MaxPool1d",
    "MaxPool2d",
    "AvgPool1d",
    "AvgPool2d",
    "AdaptiveAvgPool1d",
    "AdaptiveAvgPool2d",
]


class _MaxPoolNd(Module):
    _fn = None

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False,
                 ceil_mode=False):  # fmt: skip
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def forward(self, input):
        return type(self)._fn(input, self.kernel_size, self.stride, self.padding, self.dilation,
                              self.ceil_mode, self.return_indices)  # fmt: skip

    def extra_repr(self) -> str:
        return (
            f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
            f"dilation={self.dilation}, ceil_mode={self.ceil_mode}"
        )


class MaxPool2d(_MaxPoolNd):
    """2-D max pooling layer; see :func:`~minigrad.nn.functional.max_pool2d`.

    Parameters
    ----------
    kernel_size : int or tuple of 2 ints
        Window size.
    stride : int or tuple of 2 ints, optional
        Step between windows (default: ``kernel_size``).
    padding : int or tuple of 2 ints
        Implicit ``-inf`` padding (default 0).
    dilation : int or tuple of 2 ints
        Spacing between window taps (default 1).
    return_indices : bool
        Also return the argmax indices (default False).
    ceil_mode : bool
        Round the output size up (default False).

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> m = nn.MaxPool2d(2)
    >>> m
    MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
    >>> m(minigrad.randn(4, 3, 28, 28)).shape
    (4, 3, 14, 14)
    """

    _fn = staticmethod(max_pool2d)


class MaxPool1d(_MaxPoolNd):
    """1-D max pooling layer; see :func:`~minigrad.nn.functional.max_pool1d`.

    Parameters
    ----------
    kernel_size : int
        Window size.
    stride : int, optional
        Step between windows (default: ``kernel_size``).
    padding, dilation : int
        Implicit ``-inf`` padding (default 0) and tap spacing (default 1).
    return_indices, ceil_mode : bool
        As in :class:`MaxPool2d`.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.MaxPool1d(3, stride=2)(minigrad.randn(4, 3, 11)).shape
    (4, 3, 5)
    """

    _fn = staticmethod(max_pool1d)


class _AvgPoolNd(Module):
    def __init__(self, kernel_size, stride, padding, ceil_mode, count_include_pad):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(_AvgPoolNd):
    """2-D average pooling layer; see :func:`~minigrad.nn.functional.avg_pool2d`.

    Parameters
    ----------
    kernel_size : int or tuple of 2 ints
        Window size.
    stride : int or tuple of 2 ints, optional
        Step between windows (default: ``kernel_size``).
    padding : int or tuple of 2 ints
        Implicit zero padding (default 0).
    ceil_mode : bool
        Round the output size up (default False).
    count_include_pad : bool
        Count the padding zeros in the divisor (default True).
    divisor_override : int, optional
        Divide by this instead of the window size.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> m = nn.AvgPool2d(2)
    >>> m
    AvgPool2d(kernel_size=2, stride=2, padding=0)
    >>> m(minigrad.ones(1, 1, 4, 4)).sum().item()
    4.0
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None):  # fmt: skip
        super().__init__(kernel_size, stride, padding, ceil_mode, count_include_pad)
        self.divisor_override = divisor_override

    def forward(self, input):
        return avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                          self.count_include_pad, self.divisor_override)  # fmt: skip


class AvgPool1d(_AvgPoolNd):
    """1-D average pooling layer; see :func:`~minigrad.nn.functional.avg_pool1d`.

    Parameters
    ----------
    kernel_size : int
        Window size.
    stride : int, optional
        Step between windows (default: ``kernel_size``).
    padding : int
        Implicit zero padding (default 0).
    ceil_mode, count_include_pad : bool
        As in :class:`AvgPool2d`.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.AvgPool1d(2)(minigrad.tensor([[[1.0, 3.0, 5.0, 7.0]]]))
    tensor([[[2., 6.]]])
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True):  # fmt: skip
        super().__init__(kernel_size, stride, padding, ceil_mode, count_include_pad)

    def forward(self, input):
        return avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                          self.count_include_pad)  # fmt: skip


class _AdaptiveAvgPoolNd(Module):
    _fn = None

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, input):
        return type(self)._fn(input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool2d(_AdaptiveAvgPoolNd):
    """2-D adaptive average pooling to a fixed output size; see
    :func:`~minigrad.nn.functional.adaptive_avg_pool2d`.

    Parameters
    ----------
    output_size : int or tuple of 2 (int or None)
        Target size (``None`` keeps that input dimension).

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> m = nn.AdaptiveAvgPool2d((5, 7))
    >>> m
    AdaptiveAvgPool2d(output_size=(5, 7))
    >>> m(minigrad.randn(1, 64, 8, 9)).shape
    (1, 64, 5, 7)
    """

    _fn = staticmethod(adaptive_avg_pool2d)


class AdaptiveAvgPool1d(_AdaptiveAvgPoolNd):
    """1-D adaptive average pooling to a fixed length; see
    :func:`~minigrad.nn.functional.adaptive_avg_pool1d`.

    Parameters
    ----------
    output_size : int
        Target length.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.AdaptiveAvgPool1d(5)(minigrad.randn(1, 64, 8)).shape
    (1, 64, 5)
    """

    _fn = staticmethod(adaptive_avg_pool1d)
