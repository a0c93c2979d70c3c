"""Transposed convolution: :func:`conv_transpose1d` and :func:`conv_transpose2d`
(PyTorch's ``F.conv_transpose1d`` / ``F.conv_transpose2d``).

A transposed convolution is the input gradient of a convolution: with the convolution
``y = conv(x, W)`` of stride ``s``, padding ``p`` and dilation ``d``, the transposed
convolution of ``y`` with the same ``W`` (shape ``(C_in, C_out/groups, kH, kW)``, where
``C_in`` is the channels of ``y``) is ``dL/dx`` for ``dL/dy = y``. So the forward is
:class:`~minigrad.ops.nn.conv.conv.ConvNdGradInput` (col2im of ``W.T @ y``), its input gradient
is a convolution and its weight gradient :class:`~minigrad.ops.nn.conv.conv.ConvNdGradWeight`
— the three Functions of :mod:`minigrad.ops.nn.conv.conv` close under differentiation, so
double backward is exact. The output size is
``(H_in - 1)*s - 2p + d*(k - 1) + output_padding + 1``; ``output_padding`` (smaller
than the stride or the dilation) adds rows at the bottom/right: the convolution being
transposed pads its bottom by ``p - output_padding`` instead of ``p`` (rows beyond ``p``
receive nothing and are zeros).
"""

from __future__ import annotations

import math

from minigrad.ops.nn.conv.conv import PER_SAMPLE_BELOW, ConvNdGradInput, ConvSpec
from minigrad.ops.nn.window import int_tuple
from minigrad.tensor import Tensor

__all__ = ["conv_transpose1d", "conv_transpose2d"]


def _conv_transpose(op, nd, input, weight, bias, stride, padding, output_padding, groups,
                    dilation):  # fmt: skip
    if not isinstance(input, Tensor) or not isinstance(weight, Tensor):
        raise TypeError(f"{op}: input and weight must be Tensors")
    if weight.ndim != nd + 2:
        raise RuntimeError(
            f"{op}: expected a {nd + 2}-D weight (in_channels, out_channels/groups, "
            f"{'kW' if nd == 1 else 'kH, kW'}), got shape {tuple(weight.shape)}"
        )
    if input.ndim == nd + 1:  # unbatched
        out = _conv_transpose(op, nd, input.unsqueeze(0), weight, bias, stride, padding,
                              output_padding, groups, dilation)  # fmt: skip
        return out.squeeze(0)
    if input.ndim != nd + 2:
        raise RuntimeError(
            f"{op}: expected {nd + 1}-D (unbatched) or {nd + 2}-D (batched) input, got "
            f"shape {tuple(input.shape)}"
        )
    if not isinstance(groups, int) or groups < 1:
        raise ValueError(f"{op}: groups must be a positive integer, got {groups!r}")
    stride = int_tuple(stride, nd, "stride", op)
    dilation = int_tuple(dilation, nd, "dilation", op)
    padding = int_tuple(padding, nd, "padding", op)
    output_padding = int_tuple(output_padding, nd, "output_padding", op)
    if any(s < 1 for s in stride) or any(d < 1 for d in dilation):
        raise ValueError(
            f"{op}: stride and dilation must be positive, got stride={stride}, dilation={dilation}"
        )
    if any(p < 0 for p in padding) or any(p < 0 for p in output_padding):
        raise ValueError(
            f"{op}: padding and output_padding must be non-negative, got padding={padding}, "
            f"output_padding={output_padding}"
        )
    for op_, s, d in zip(output_padding, stride, dilation):
        if op_ >= s and op_ >= d:
            raise ValueError(
                f"{op}: output padding must be smaller than either stride or dilation, got "
                f"output_padding={output_padding}, stride={stride}, dilation={dilation}"
            )
    cin, cog = weight.shape[:2]
    ksize = tuple(weight.shape[2:])
    if input.shape[1] != cin:
        raise RuntimeError(
            f"{op}: weight of size {tuple(weight.shape)} expects input with {cin} channels, "
            f"got input of shape {tuple(input.shape)}"
        )
    if cin % groups:
        raise RuntimeError(
            f"{op}: in_channels ({cin}, weight shape {tuple(weight.shape)}) must be divisible "
            f"by groups ({groups})"
        )
    cout = cog * groups
    if input.dtype != weight.dtype or (bias is not None and bias.dtype != input.dtype):
        raise RuntimeError(
            f"{op}: input ({input.dtype}), weight ({weight.dtype})"
            + (f" and bias ({bias.dtype})" if bias is not None else "")
            + " must have the same dtype"
        )
    if bias is not None and tuple(bias.shape) != (cout,):
        raise RuntimeError(
            f"{op}: expected bias of shape ({cout},) for weight {tuple(weight.shape)} and "
            f"groups={groups}, got {tuple(bias.shape)}"
        )
    sizes = tuple(
        (n - 1) * s - 2 * p + d * (k - 1) + o + 1
        for n, s, p, d, k, o in zip(
            input.shape[2:], stride, padding, dilation, ksize, output_padding
        )
    )
    if min(sizes) < 1:
        raise RuntimeError(
            f"{op}: the output size {sizes} is too small (input {tuple(input.shape)}, weight "
            f"{tuple(weight.shape)}, stride {stride}, padding {padding})"
        )
    # The convolution this op is the input gradient of must map the output back to the
    # input's size: output_padding rows are the bottom padding the convolution ignores
    # (pad bottom = p - op); any beyond p receive nothing and are appended as zeros.
    inner = tuple(min(o, p) for o, p in zip(output_padding, padding))
    extra = tuple(o - i for o, i in zip(output_padding, inner))
    pads = [(0, 0)] * (2 - nd) + [(p, p - i) for p, i in zip(padding, inner)]
    pad = tuple(v for pr in pads for v in pr)
    s2 = (1,) * (2 - nd) + stride
    d2 = (1,) * (2 - nd) + dilation
    per_sample = cog * math.prod(ksize) < PER_SAMPLE_BELOW
    spec = ConvSpec(s2, pad, d2, groups, nd, per_sample)
    inner_sizes = tuple(n - e for n, e in zip(sizes, extra))
    out = ConvNdGradInput(spec, (input.shape[0], cout) + inner_sizes)(input, weight)
    if any(extra):
        from minigrad.ops.shape.pad import pad as _pad

        out = _pad(out, tuple(v for e in reversed(extra) for v in (0, e)))
    if bias is not None:
        out = out + bias.reshape((1, cout) + (1,) * nd)
    return out


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):  # fmt: skip
    """2-D transposed convolution ("deconvolution"; PyTorch's ``F.conv_transpose2d``).

    The adjoint of :func:`~minigrad.nn.functional.conv2d` with the same stride, padding,
    dilation and groups: each input pixel scatters ``weight`` times its value into the
    output.

    Parameters
    ----------
    input : Tensor
        ``(N, C_in, H, W)``, or ``(C_in, H, W)`` unbatched.
    weight : Tensor
        ``(C_in, C_out / groups, kH, kW)``.
    bias : Tensor, optional
        ``(C_out,)``.
    stride, padding, dilation : int or tuple of 2 ints
        Those of the convolution this one transposes (defaults 1, 0, 1).
    output_padding : int or tuple of 2 ints
        Extra rows/columns at the bottom/right of the output; smaller than the stride
        or the dilation (default 0).
    groups : int
        Number of channel groups.

    Returns
    -------
    Tensor
        ``(N, C_out, H_out, W_out)``, ``H_out = (H-1)*sH - 2*pH + dH*(kH-1) + opH + 1``.

    Raises
    ------
    RuntimeError
        For wrong ranks or channel counts, mixed dtypes, or a bad bias.
    ValueError
        For a bad stride, padding, dilation, output_padding or groups.

    Examples
    --------
    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> x = minigrad.ones(1, 1, 2, 2)
    >>> F.conv_transpose2d(x, minigrad.ones(1, 1, 2, 2), stride=2)[0, 0]
    tensor([[1., 1., 1., 1.],
            [1., 1., 1., 1.],
            [1., 1., 1., 1.],
            [1., 1., 1., 1.]])
    >>> F.conv_transpose2d(x, minigrad.ones(1, 3, 3, 3), padding=1, stride=2,
    ...                    output_padding=1).shape
    (1, 3, 4, 4)
    """
    return _conv_transpose("conv_transpose2d", 2, input, weight, bias, stride, padding,
                           output_padding, groups, dilation)  # fmt: skip


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):  # fmt: skip
    """1-D transposed convolution (PyTorch's ``F.conv_transpose1d``).

    Parameters
    ----------
    input : Tensor
        ``(N, C_in, L)``, or ``(C_in, L)`` unbatched.
    weight : Tensor
        ``(C_in, C_out / groups, kL)``.
    bias : Tensor, optional
        ``(C_out,)``.
    stride, padding, output_padding, dilation : int or tuple of 1 int
        As in :func:`conv_transpose2d`.
    groups : int
        Number of channel groups.

    Returns
    -------
    Tensor
        ``(N, C_out, L_out)``, ``L_out = (L-1)*s - 2p + d*(k-1) + output_padding + 1``.

    Raises
    ------
    RuntimeError, ValueError
        As in :func:`conv_transpose2d`.

    Examples
    --------
    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.conv_transpose1d(minigrad.tensor([[[1.0, 2.0]]]), minigrad.tensor([[[1.0, 10.0]]]))
    tensor([[[ 1., 12., 20.]]])
    """
    return _conv_transpose("conv_transpose1d", 1, input, weight, bias, stride, padding,
                           output_padding, groups, dilation)  # fmt: skip
