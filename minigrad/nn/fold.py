"""Sliding-block layers :class:`Unfold` and :class:`Fold` (the math is
:mod:`minigrad.ops.nn.conv.fold`)."""

from __future__ import annotations

from minigrad.nn.module import Module
from minigrad.ops.nn.conv.fold import fold, unfold

__all__ = ["Unfold", "Fold"]


class Unfold(Module):
    """Extract sliding blocks; see :func:`~minigrad.nn.functional.unfold`.

    Parameters
    ----------
    kernel_size, dilation, padding, stride : int or tuple of 2 ints
        The window geometry.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.Unfold(kernel_size=(2, 3))(minigrad.randn(2, 5, 3, 4)).shape
    (2, 30, 4)
    """

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.kernel_size, self.dilation = kernel_size, dilation
        self.padding, self.stride = padding, stride

    def forward(self, input):
        return unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        return (
            f"kernel_size={self.kernel_size}, dilation={self.dilation}, "
            f"padding={self.padding}, stride={self.stride}"
        )


class Fold(Module):
    """Sum sliding blocks into an image; see :func:`~minigrad.nn.functional.fold`.

    Parameters
    ----------
    output_size : int or tuple of 2 ints
        ``(H, W)``.
    kernel_size, dilation, padding, stride : int or tuple of 2 ints
        The window geometry.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.Fold(output_size=(4, 5), kernel_size=(2, 2))(minigrad.randn(1, 12, 12)).shape
    (1, 3, 4, 5)
    """

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.output_size, self.kernel_size = output_size, kernel_size
        self.dilation, self.padding, self.stride = dilation, padding, stride

    def forward(self, input):
        return fold(input, self.output_size, self.kernel_size, self.dilation, self.padding,
                    self.stride)  # fmt: skip

    def extra_repr(self) -> str:
        return (
            f"output_size={self.output_size}, kernel_size={self.kernel_size}, "
            f"dilation={self.dilation}, padding={self.padding}, stride={self.stride}"
        )
