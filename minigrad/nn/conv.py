"""Convolution layers: :class:`Conv1d` and :class:`Conv2d`.

The layers hold ``weight`` (``(out_channels, in_channels // groups, *kernel_size)``) and
``bias`` and call :func:`minigrad.nn.functional.conv1d` / ``conv2d``, where the math
lives (:mod:`minigrad.ops.nn.conv.conv`).
"""

from __future__ import annotations

from minigrad import backend
from minigrad.dtypes import as_dtype, get_default_dtype
from minigrad.nn import init
from minigrad.nn.module import Module
from minigrad.nn.parameter import Parameter
from minigrad.ops.nn.conv.conv import conv1d, conv2d
from minigrad.ops.nn.window import int_tuple, same_pad
from minigrad.ops.shape.pad import pad
from minigrad.tensor import Tensor

__all__ = ["Conv1d", "Conv2d"]

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _empty(shape, device=None, dtype=None) -> Tensor:
    dev = backend.device(device)
    dt = as_dtype(dtype) if dtype is not None else get_default_dtype()
    return Tensor._make(dev.xp.empty(shape, dtype=dt))


class _ConvNd(Module):
    """Shared constructor, initialization, padding modes and repr of Conv1d/Conv2d."""

    _nd = 0
    _fn = None

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation,
                 groups, bias, padding_mode, device, dtype):  # fmt: skip
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
        if padding_mode not in _PADDING_MODES:
            raise ValueError(
                f"{name}: padding_mode must be one of {list(_PADDING_MODES)}, got {padding_mode!r}"
            )
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = int_tuple(kernel_size, nd, "kernel_size", name)
        self.stride = int_tuple(stride, nd, "stride", name)
        self.dilation = int_tuple(dilation, nd, "dilation", name)
        if isinstance(padding, str):
            if padding not in ("valid", "same"):
                raise ValueError(
                    f"{name}: invalid padding string {padding!r}, should be one of "
                    f"['valid', 'same']"
                )
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError(
                    f"{name}: padding='same' is not supported for strided convolutions"
                )
            self.padding = padding
            if padding == "same":
                pairs = [same_pad(k, d) for k, d in zip(self.kernel_size, self.dilation)]
            else:
                pairs = [(0, 0)] * nd
        else:
            self.padding = int_tuple(padding, nd, "padding", name)
            pairs = [(p, p) for p in self.padding]
        # F.pad order (last dimension first), used by the non-zero padding modes
        self._reversed_padding_repeated_twice = tuple(v for pr in reversed(pairs) for v in pr)
        self.groups = groups
        self.padding_mode = padding_mode
        self.weight = Parameter(
            _empty((out_channels, in_channels // groups) + self.kernel_size, device, dtype)
        )
        if bias:
            self.bias = Parameter(_empty((out_channels,), device, dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Re-draw the parameters with PyTorch's default initialization:
        ``kaiming_uniform_(weight, a=sqrt(5))`` and ``bias ~ U(-1/sqrt(fan_in),
        1/sqrt(fan_in))`` with ``fan_in = in_channels / groups * prod(kernel_size)``."""
        init._default_layer_init_(self.weight, self.bias)

    def forward(self, input):
        fn = type(self)._fn
        if self.padding_mode != "zeros":
            x = pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            return fn(x, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)
        return fn(input, self.weight, self.bias, self.stride, self.padding, self.dilation,
                  self.groups)  # fmt: skip

    def extra_repr(self) -> str:
        return conv_extra_repr(self)


class Conv2d(_ConvNd):
    """2-D convolution layer (PyTorch's ``nn.Conv2d``); see :func:`~minigrad.nn.functional.conv2d`.

    Parameters
    ----------
    in_channels, out_channels : int
        Channels of the input and of the output; both divisible by ``groups``.
    kernel_size : int or tuple of 2 ints
        Size of the kernel.
    stride, dilation : int or tuple of 2 ints
        Step between windows and spacing between kernel taps (default 1).
    padding : int, tuple of 2 ints, 'valid' or 'same'
        Padding on both sides (default 0); ``'same'`` keeps the size (stride 1 only).
    groups : int
        Number of blocked connections from input to output channels (default 1).
    bias : bool
        Whether to learn a bias (default True).
    padding_mode : {'zeros', 'reflect', 'replicate', 'circular'}
        How the padding is filled (default ``'zeros'``).
    device : str or Device, optional
        Where the parameters live (default: the default device).
    dtype : dtype, optional
        Parameter dtype (default float32).

    Raises
    ------
    ValueError
        If the channels are not divisible by ``groups``, for a bad padding string or
        mode, or ``padding='same'`` with a stride.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> m = nn.Conv2d(1, 16, 3, padding=1)
    >>> m
    Conv2d(1, 16, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
    >>> m(minigrad.randn(8, 1, 28, 28)).shape
    (8, 16, 28, 28)
    """

    _nd = 2
    _fn = staticmethod(conv2d)

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 device=None, dtype=None):  # fmt: skip
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, device, dtype)  # fmt: skip


class Conv1d(_ConvNd):
    """1-D convolution layer (PyTorch's ``nn.Conv1d``); see :func:`~minigrad.nn.functional.conv1d`.

    Parameters
    ----------
    in_channels, out_channels : int
        Channels of the input and of the output; both divisible by ``groups``.
    kernel_size : int or tuple of 1 int
        Size of the kernel.
    stride, dilation : int or tuple of 1 int
        Step between windows and spacing between kernel taps (default 1).
    padding : int, tuple of 1 int, 'valid' or 'same'
        Padding on both sides (default 0).
    groups : int
        Number of channel groups (default 1).
    bias : bool
        Whether to learn a bias (default True).
    padding_mode : {'zeros', 'reflect', 'replicate', 'circular'}
        How the padding is filled (default ``'zeros'``).
    device : str or Device, optional
        Where the parameters live.
    dtype : dtype, optional
        Parameter dtype (default float32).

    Raises
    ------
    ValueError
        As in :class:`Conv2d`.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> m = nn.Conv1d(4, 8, 5, padding="same", groups=2, bias=False)
    >>> m
    Conv1d(4, 8, kernel_size=(5,), stride=(1,), padding=same, groups=2, bias=False)
    >>> m(minigrad.randn(2, 4, 30)).shape
    (2, 8, 30)
    """

    _nd = 1
    _fn = staticmethod(conv1d)

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 device=None, dtype=None):  # fmt: skip
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, device, dtype)  # fmt: skip


def conv_extra_repr(m) -> str:
    """PyTorch's ``extra_repr`` of a convolution layer, plain or transposed: the sizes, then
    each option that differs from its default."""
    nd = m._nd
    s = f"{m.in_channels}, {m.out_channels}, kernel_size={m.kernel_size}, stride={m.stride}"
    if m.padding != (0,) * nd:
        s += f", padding={m.padding}"
    if m.dilation != (1,) * nd:
        s += f", dilation={m.dilation}"
    if getattr(m, "output_padding", (0,) * nd) != (0,) * nd:
        s += f", output_padding={m.output_padding}"
    if m.groups != 1:
        s += f", groups={m.groups}"
    if m.bias is None:
        s += ", bias=False"
    if getattr(m, "padding_mode", "zeros") != "zeros":
        s += f", padding_mode={m.padding_mode}"
    return s
