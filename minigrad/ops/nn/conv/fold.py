"""Sliding blocks (PyTorch's ``F.unfold`` / ``F.fold``, "im2col" / "col2im").

``unfold`` of ``(N, C, H, W)`` is ``(N, C*kh*kw, L)``: column ``l`` holds the ``kh x kw``
block under window ``l`` of every channel, rows ordered ``(c, i, j)``. That is a grouped
convolution whose weight is a one-hot filter per ``(c, i, j)`` (``groups = C``), and
``fold`` — which sums overlapping blocks back into an image — is its adjoint, the
transposed convolution with the same weight. Both reuse
:mod:`minigrad.ops.nn.conv.conv` / :mod:`minigrad.ops.nn.conv.conv_transpose`, so gradients of any
order
are exact.
"""

from __future__ import annotations

from minigrad.ops.nn.conv.conv import conv2d
from minigrad.ops.nn.conv.conv_transpose import conv_transpose2d
from minigrad.ops.nn.window import int_tuple
from minigrad.tensor import Tensor

__all__ = ["unfold", "fold"]


def _one_hot_weight(xp, c, kh, kw, dtype):
    w = xp.zeros((c * kh * kw, 1, kh, kw), dtype=dtype)
    r = xp.arange(c * kh * kw)
    w[r, 0, (r // kw) % kh, r % kw] = 1
    return Tensor._make(w)


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Extract sliding blocks: ``(N, C, H, W) -> (N, C * kh * kw, L)``.

    Parameters
    ----------
    input : Tensor
        ``(N, C, H, W)`` or ``(C, H, W)``.
    kernel_size, dilation, padding, stride : int or tuple of 2 ints
        The window geometry (as in convolution).

    Returns
    -------
    Tensor
        ``(N, C * kh * kw, L)`` with ``L`` the number of windows.

    Raises
    ------
    RuntimeError
        For input that is not 3-D or 4-D (and as :func:`~minigrad.nn.functional.conv2d`).

    Examples
    --------
    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> x = minigrad.arange(9.0).reshape(1, 1, 3, 3)
    >>> F.unfold(x, 2)
    tensor([[[0., 1., 3., 4.],
             [1., 2., 4., 5.],
             [3., 4., 6., 7.],
             [4., 5., 7., 8.]]])
    """
    if input.ndim not in (3, 4):
        raise RuntimeError(
            f"unfold: expected 3-D (unbatched) or 4-D (batched) input, got shape "
            f"{tuple(input.shape)}"
        )
    if input.ndim == 3:
        return unfold(input.unsqueeze(0), kernel_size, dilation, padding, stride).squeeze(0)
    kh, kw = int_tuple(kernel_size, 2, "kernel_size", "unfold")
    n, c = input.shape[:2]
    w = _one_hot_weight(input.xp, c, kh, kw, input.dtype)
    y = conv2d(input, w, None, stride, padding, dilation, groups=c)
    return y.reshape(n, c * kh * kw, -1)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Sum sliding blocks back into an image: ``(N, C * kh * kw, L) -> (N, C, H, W)``
    (the adjoint of :func:`unfold`; overlapping values add up).

    Parameters
    ----------
    input : Tensor
        ``(N, C * kh * kw, L)`` or ``(C * kh * kw, L)``.
    output_size : int or tuple of 2 ints
        ``(H, W)``.
    kernel_size, dilation, padding, stride : int or tuple of 2 ints
        The window geometry of the matching :func:`unfold`.

    Returns
    -------
    Tensor
        ``(N, C, H, W)``.

    Raises
    ------
    RuntimeError
        If the sizes do not describe ``L`` windows of a ``kh x kw`` kernel.

    Examples
    --------
    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> ones = minigrad.ones(1, 4, 4)
    >>> F.fold(ones, (3, 3), 2)[0, 0]  # how many windows cover each pixel
    tensor([[1., 2., 1.],
            [2., 4., 2.],
            [1., 2., 1.]])
    """
    if input.ndim not in (2, 3):
        raise RuntimeError(
            f"fold: expected 2-D (unbatched) or 3-D (batched) input, got shape {tuple(input.shape)}"
        )
    if input.ndim == 2:
        return fold(input.unsqueeze(0), output_size, kernel_size, dilation, padding,
                    stride).squeeze(0)  # fmt: skip
    kh, kw = int_tuple(kernel_size, 2, "kernel_size", "fold")
    (dh, dw), (ph, pw), (sh, sw) = (int_tuple(v, 2, name, "fold") for v, name in
                                    ((dilation, "dilation"), (padding, "padding"),
                                     (stride, "stride")))  # fmt: skip
    h, w = int_tuple(output_size, 2, "output_size", "fold")
    n, ck, L = input.shape
    if ck % (kh * kw):
        raise RuntimeError(
            f"fold: expected size of input's dimension 1 ({ck}) to be divisible by the product "
            f"of kernel_size ({kh * kw})"
        )
    ho = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    wo = (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    if ho < 1 or wo < 1 or ho * wo != L:
        raise RuntimeError(
            f"fold: given output_size={(h, w)}, kernel_size={(kh, kw)}, dilation={(dh, dw)}, "
            f"padding={(ph, pw)}, stride={(sh, sw)}, expected size of input's dimension 2 to "
            f"match the calculated number of sliding blocks {max(ho, 0)} * {max(wo, 0)} = "
            f"{max(ho, 0) * max(wo, 0)}, but got input.size(2)={L}"
        )
    c = ck // (kh * kw)
    weight = _one_hot_weight(input.xp, c, kh, kw, input.dtype)
    cols = input.reshape(n, ck, ho, wo)
    op = (
        h + 2 * ph - dh * (kh - 1) - 1 - (ho - 1) * sh,
        w + 2 * pw - dw * (kw - 1) - 1 - (wo - 1) * sw,
    )
    return conv_transpose2d(cols, weight, None, (sh, sw), (ph, pw), op, c, (dh, dw))
