"""Sub-pixel layers: :class:`PixelShuffle`, :class:`PixelUnshuffle` (the math is
:mod:`minigrad.ops.nn.pixel_shuffle`)."""

from __future__ import annotations

from minigrad.nn.module import Module
from minigrad.ops.nn.pixel_shuffle import channel_shuffle, pixel_shuffle, pixel_unshuffle

__all__ = ["PixelShuffle", "PixelUnshuffle", "ChannelShuffle"]


class PixelShuffle(Module):
    """``(*, C*r*r, H, W) -> (*, C, H*r, W*r)``; see
    :func:`~minigrad.nn.functional.pixel_shuffle`.

    Parameters
    ----------
    upscale_factor : int
        ``r``.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.PixelShuffle(3)(minigrad.randn(1, 9, 4, 4)).shape
    (1, 1, 12, 12)
    """

    def __init__(self, upscale_factor: int):
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input):
        return pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self) -> str:
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """``(*, C, H*r, W*r) -> (*, C*r*r, H, W)``; see
    :func:`~minigrad.nn.functional.pixel_unshuffle`.

    Parameters
    ----------
    downscale_factor : int
        ``r``.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.PixelUnshuffle(2)(minigrad.randn(1, 1, 4, 4)).shape
    (1, 4, 2, 2)
    """

    def __init__(self, downscale_factor: int):
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input):
        return pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self) -> str:
        return f"downscale_factor={self.downscale_factor}"


class ChannelShuffle(Module):
    """Interleave channel groups; see :func:`~minigrad.nn.functional.channel_shuffle`.

    Parameters
    ----------
    groups : int
        Number of groups.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.ChannelShuffle(3)(minigrad.randn(2, 6, 4, 4)).shape
    (2, 6, 4, 4)
    """

    def __init__(self, groups: int):
        super().__init__()
        self.groups = groups

    def forward(self, input):
        return channel_shuffle(input, self.groups)

    def extra_repr(self) -> str:
        return f"groups={self.groups}"
