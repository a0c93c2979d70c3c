"""Upsampling layers: :class:`Upsample`, :class:`UpsamplingNearest2d`,
:class:`UpsamplingBilinear2d` (the math is :func:`minigrad.ops.nn.interpolate.interpolate`)."""

from __future__ import annotations

from minigrad.nn.module import Module
from minigrad.ops.nn.interpolate import interpolate

__all__ = ["Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d"]


class Upsample(Module):
    """Resample to ``size`` or by ``scale_factor`` (PyTorch's ``nn.Upsample``); see
    :func:`~minigrad.nn.functional.interpolate`.

    Parameters
    ----------
    size : int or tuple of int, optional
        Output spatial size.
    scale_factor : float or tuple of float, optional
        Multiplier of the spatial size.
    mode : str
        ``'nearest'`` (default), ``'nearest-exact'``, ``'linear'``, ``'bilinear'``,
        ``'trilinear'`` or ``'area'``.
    align_corners : bool, optional
        For the linear modes (default False).
    recompute_scale_factor : bool, optional
        As in :func:`~minigrad.nn.functional.interpolate`.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> up = nn.Upsample(scale_factor=2, mode="bilinear")
    >>> up
    Upsample(scale_factor=2.0, mode='bilinear')
    >>> up(minigrad.randn(1, 3, 4, 5)).shape
    (1, 3, 8, 10)
    """

    def __init__(self, size=None, scale_factor=None, mode: str = "nearest",
                 align_corners: bool | None = None,
                 recompute_scale_factor: bool | None = None):  # fmt: skip
        super().__init__()
        self.name = type(self).__name__
        self.size = size
        if isinstance(scale_factor, tuple):
            self.scale_factor = tuple(float(f) for f in scale_factor)
        else:
            self.scale_factor = float(scale_factor) if scale_factor else None
        self.mode = mode
        self.align_corners = align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input):
        return interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                           recompute_scale_factor=self.recompute_scale_factor)  # fmt: skip

    def extra_repr(self) -> str:
        if self.scale_factor is not None:
            info = f"scale_factor={self.scale_factor!r}"
        else:
            info = f"size={self.size!r}"
        return info + f", mode={self.mode!r}"


class UpsamplingNearest2d(Upsample):
    """2-D nearest-neighbour upsampling (``Upsample(mode='nearest')``).

    Parameters
    ----------
    size : int or tuple of 2 ints, optional
        Output size.
    scale_factor : float or tuple of 2 floats, optional
        Multiplier of the size.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.UpsamplingNearest2d(scale_factor=2)(minigrad.ones(1, 1, 2, 2)).shape
    (1, 1, 4, 4)
    """

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """2-D bilinear upsampling with ``align_corners=True`` (as PyTorch's).

    Parameters
    ----------
    size : int or tuple of 2 ints, optional
        Output size.
    scale_factor : float or tuple of 2 floats, optional
        Multiplier of the size.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.UpsamplingBilinear2d(size=3)(minigrad.tensor([[[[0.0, 1.0], [2.0, 3.0]]]]))
    tensor([[[[0. , 0.5, 1. ],
              [1. , 1.5, 2. ],
              [2. , 2.5, 3. ]]]])
    """

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)
