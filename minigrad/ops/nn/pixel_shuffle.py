"""Sub-pixel rearrangement (PyTorch's ``F.pixel_shuffle`` / ``F.pixel_unshuffle``): a
reshape and a transpose, so gradients are the inverse rearrangement.

``pixel_shuffle``: ``(*, C*r*r, H, W) -> (*, C, H*r, W*r)`` with
``out[c, h*r + i, w*r + j] = in[c*r*r + i*r + j, h, w]``; ``pixel_unshuffle`` inverts it.
``channel_shuffle`` (ShuffleNet): ``(N, g*k, *) -> (N, k*g, *)``, the channel groups
interleaved.
"""

from __future__ import annotations

__all__ = ["pixel_shuffle", "pixel_unshuffle", "channel_shuffle"]


def pixel_shuffle(input, upscale_factor: int):
    """Move channel blocks of ``r*r`` into ``r x r`` spatial blocks.

    Parameters
    ----------
    input : Tensor
        ``(*, C * r**2, H, W)``.
    upscale_factor : int
        ``r``.

    Returns
    -------
    Tensor
        ``(*, C, H * r, W * r)``.

    Raises
    ------
    RuntimeError
        For fewer than 3 dimensions or channels not divisible by ``r**2``.

    Examples
    --------
    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.pixel_shuffle(minigrad.arange(4.0).reshape(1, 4, 1, 1), 2)
    tensor([[[[0., 1.],
              [2., 3.]]]])
    """
    r = int(upscale_factor)
    if input.ndim < 3:
        raise RuntimeError(
            f"pixel_shuffle expects input to have at least 3 dimensions, but got input with "
            f"{input.ndim} dimension(s)"
        )
    *lead, c, h, w = input.shape
    if r <= 0 or c % (r * r):
        raise RuntimeError(
            f"pixel_shuffle expects its input's 'channel' dimension to be divisible by the "
            f"square of upscale_factor, but input.size(-3)={c} is not divisible by {r * r}"
        )
    lead = tuple(lead)
    k = len(lead)
    x = input.reshape(lead + (c // (r * r), r, r, h, w))
    perm = tuple(range(k)) + tuple(k + i for i in (0, 3, 1, 4, 2))
    return x.permute(*perm).reshape(lead + (c // (r * r), h * r, w * r))


def pixel_unshuffle(input, downscale_factor: int):
    """The inverse of :func:`pixel_shuffle`: ``r x r`` spatial blocks into channels.

    Parameters
    ----------
    input : Tensor
        ``(*, C, H * r, W * r)``.
    downscale_factor : int
        ``r``.

    Returns
    -------
    Tensor
        ``(*, C * r**2, H, W)``.

    Raises
    ------
    RuntimeError
        For fewer than 3 dimensions or a size not divisible by ``r``.

    Examples
    --------
    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.pixel_unshuffle(minigrad.arange(4.0).reshape(1, 1, 2, 2), 2).flatten()
    tensor([0., 1., 2., 3.])
    """
    r = int(downscale_factor)
    if input.ndim < 3:
        raise RuntimeError(
            f"pixel_unshuffle expects input to have at least 3 dimensions, but got input "
            f"with {input.ndim} dimension(s)"
        )
    *lead, c, h, w = input.shape
    if r <= 0 or h % r or w % r:
        raise RuntimeError(
            f"pixel_unshuffle expects height ({h}) and width ({w}) to be divisible by "
            f"downscale_factor ({r})"
        )
    lead = tuple(lead)
    k = len(lead)
    x = input.reshape(lead + (c, h // r, r, w // r, r))
    perm = tuple(range(k)) + tuple(k + i for i in (0, 2, 4, 1, 3))
    return x.permute(*perm).reshape(lead + (c * r * r, h // r, w // r))


def channel_shuffle(input, groups: int):
    """Interleave the channels of ``groups`` groups (ShuffleNet's channel shuffle):
    ``(N, g * k, *)`` viewed as ``(N, g, k, *)``, transposed to ``(N, k, g, *)``.

    Parameters
    ----------
    input : Tensor
        ``(N, C, *)`` with ``C`` divisible by ``groups``.
    groups : int
        Number of groups.

    Returns
    -------
    Tensor

    Raises
    ------
    RuntimeError
        For fewer than 3 dimensions or channels not divisible by ``groups``.

    Examples
    --------
    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.channel_shuffle(minigrad.arange(4.0).reshape(1, 4, 1), 2).flatten()
    tensor([0., 2., 1., 3.])
    """
    if input.ndim < 3:
        raise RuntimeError(
            f"channel_shuffle expects input to have at least 3 dimensions, but got input with "
            f"{input.ndim} dimension(s)"
        )
    n, c = input.shape[:2]
    rest = tuple(input.shape[2:])
    if groups <= 0 or c % groups:
        raise RuntimeError(
            f"channel_shuffle: number of channels ({c}) must be divisible by groups ({groups})"
        )
    x = input.reshape((n, groups, c // groups) + rest)
    return x.transpose(1, 2).reshape((n, c) + rest)
