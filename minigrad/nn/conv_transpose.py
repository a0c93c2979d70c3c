"""Transposed convolution layers: :class:`ConvTranspose1d` and :class:`ConvTranspose2d`
(the math is :mod:`minigrad.ops.nn.conv.conv_transpose`).

The weight has shape ``(in_channels, out_channels // groups, *kernel_size)`` (PyTorch's
layout, the transpose of a convolution's) and is initialized like PyTorch's:
``kaiming_uniform_(a=sqrt(5))`` with ``fan_in = out_channels / groups * prod(kernel)``.
"""

from __future__ import annotations

from minigrad.nn import init
from minigrad.nn.conv import _empty, conv_extra_repr
from minigrad.nn.module import Module
from minigrad.nn.parameter import Parameter
from minigrad.ops.nn.conv.conv_transpose import conv_transpose1d, conv_transpose2d
from minigrad.ops.nn.window import int_tuple

__all__ = ["ConvTranspose1d", "ConvTranspose2d"]


class _ConvTransposeNd(Module):
    _nd = 0
    _fn = None

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, groups=1, bias=True, dilation=1, padding_mode="zeros",
                 device=None, dtype=None):  # fmt: skip
        super().__init__()
        name, nd = type(self).__name__, self._nd
        if not isinstance(groups, int) or groups <= 0:
            raise ValueError(f"{name}: groups must be a positive integer, got {groups!r}")
        if in_channels % groups != 0:
            raise ValueError(
                f"{name}: in_channels ({in_channels}) must be divisible by groups ({groups})"
            )
        if out_channels % groups != 0:
            raise ValueError(
                f"{name}: out_channels ({out_channels}) must be divisible by groups ({groups})"
            )
        if padding_mode != "zeros":
            raise ValueError(
                f"{name}: only 'zeros' padding mode is supported, got {padding_mode!r}"
            )
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = int_tuple(kernel_size, nd, "kernel_size", name)
        self.stride = int_tuple(stride, nd, "stride", name)
        self.padding = int_tuple(padding, nd, "padding", name)
        self.output_padding = int_tuple(output_padding, nd, "output_padding", name)
        self.dilation = int_tuple(dilation, nd, "dilation", name)
        self.groups = groups
        self.padding_mode = padding_mode
        self.weight = Parameter(
            _empty((in_channels, out_channels // groups) + self.kernel_size, device, dtype)
        )
        if bias:
            self.bias = Parameter(_empty((out_channels,), device, dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Re-draw the parameters with PyTorch's default initialization.

        Examples
        --------
        >>> from minigrad import nn
        >>> m = nn.ConvTranspose2d(4, 2, 3)
        >>> m.reset_parameters()
        >>> bool((m.weight.abs() <= (2 * 9) ** -0.5).all())
        True
        """
        init._default_layer_init_(self.weight, self.bias)

    def _output_padding(self, input, output_size):
        """PyTorch's ``_output_padding``: the output_padding giving ``output_size``."""
        if output_size is None:
            return self.output_padding
        nd = self._nd
        output_size = list(output_size)[-nd:]
        if len(output_size) != nd:
            raise ValueError(
                f"{type(self).__name__}: output_size must have {nd} or {nd + 2} elements, "
                f"got {len(output_size)}"
            )
        pads = []
        for i in range(nd):
            n = input.shape[input.ndim - nd + i]
            lo = (
                (n - 1) * self.stride[i]
                - 2 * self.padding[i]
                + self.dilation[i] * (self.kernel_size[i] - 1)
                + 1
            )
            hi = lo + self.stride[i] - 1
            if not lo <= output_size[i] <= hi:
                raise ValueError(
                    f"{type(self).__name__}: requested an output size of {output_size}, but "
                    f"valid sizes range from {lo} to {hi} (for an input of "
                    f"{tuple(input.shape[-nd:])})"
                )
            pads.append(output_size[i] - lo)
        return tuple(pads)

    def forward(self, input, output_size=None):
        op = self._output_padding(input, output_size)
        return type(self)._fn(input, self.weight, self.bias, self.stride, self.padding, op,
                              self.groups, self.dilation)  # fmt: skip

    def extra_repr(self) -> str:
        return conv_extra_repr(self)


class ConvTranspose2d(_ConvTransposeNd):
    """2-D transposed convolution layer (PyTorch's ``nn.ConvTranspose2d``); see
    :func:`~minigrad.nn.functional.conv_transpose2d`.

    Parameters
    ----------
    in_channels, out_channels : int
        Channels of the input and of the output.
    kernel_size : int or tuple of 2 ints
        Window size.
    stride, padding, dilation : int or tuple of 2 ints
        Those of the convolution this layer transposes (defaults 1, 0, 1).
    output_padding : int or tuple of 2 ints
        Extra output rows/columns, smaller than the stride or dilation (default 0).
    groups : int
        Number of channel groups (default 1).
    bias : bool
        Whether to learn a bias (default True).
    padding_mode : {'zeros'}
        The only mode PyTorch supports for transposed convolutions.
    device, dtype : optional
        Where and in which dtype the parameters live.

    Raises
    ------
    ValueError
        For channels not divisible by groups, or another padding mode.

    Examples
    --------
    ``forward(input, output_size=None)`` can pick the output_padding that gives a
    requested size (e.g. the input size of the matching strided convolution):

    >>> import minigrad
    >>> from minigrad import nn
    >>> up = nn.ConvTranspose2d(8, 4, kernel_size=3, stride=2, padding=1)
    >>> up
    ConvTranspose2d(8, 4, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1))
    >>> x = minigrad.randn(1, 8, 5, 5)
    >>> up(x).shape, up(x, output_size=(10, 10)).shape
    ((1, 4, 9, 9), (1, 4, 10, 10))
    """

    _nd = 2
    _fn = staticmethod(conv_transpose2d)


class ConvTranspose1d(_ConvTransposeNd):
    """1-D transposed convolution layer (PyTorch's ``nn.ConvTranspose1d``); see
    :func:`~minigrad.nn.functional.conv_transpose1d`.

    Parameters
    ----------
    in_channels, out_channels : int
        Channels of the input and of the output.
    kernel_size : int or tuple of 1 int
        Window size.
    stride, padding, output_padding, dilation : int or tuple of 1 int
        As in :class:`ConvTranspose2d`.
    groups : int
        Number of channel groups (default 1).
    bias : bool
        Whether to learn a bias (default True).
    padding_mode : {'zeros'}
        The only mode supported.
    device, dtype : optional
        Where and in which dtype the parameters live.

    Raises
    ------
    ValueError
        For channels not divisible by groups, or another padding mode.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.ConvTranspose1d(2, 3, kernel_size=4, stride=2)(minigrad.randn(5, 2, 7)).shape
    (5, 3, 16)
    """

    _nd = 1
    _fn = staticmethod(conv_transpose1d)
