"""Sliding-window helpers shared by convolution and pooling: the 1-D <-> 2-D views
(a 1-D op is a 2-D op of height 1), padding an image batch, the strided slices one
kernel offset touches, and parsing an int-or-tuple size argument.

Examples
--------
>>> import numpy as np
>>> from minigrad.ops.nn.window import as_4d, int_tuple, pad_array
>>> as_4d(np.zeros((2, 3, 5)), 1).shape
(2, 3, 1, 5)
>>> pad_array(np.ones((1, 1, 1, 1)), (1, 0, 0, 1))[0, 0]
array([[0., 0.],
       [1., 0.]])
>>> int_tuple(3, 2, "kernel_size", "max_pool2d")
(3, 3)
"""

from __future__ import annotations

import operator

from minigrad import backend

__all__ = []  # internal: helpers of minigrad.ops.nn.conv.conv, pool_window, max_pool and avg_pool


def as_4d(a, nd):
    """View an ``(N, C, L)`` array as ``(N, C, 1, L)`` for 1-D ops; 4-D passes."""
    return a[:, :, None, :] if nd == 1 else a


def from_4d(a, nd):
    """The inverse of :func:`as_4d`: ``(N, C, 1, L)`` back to ``(N, C, L)`` for 1-D ops."""
    return a[:, :, 0, :] if nd == 1 else a


def pad_array(x, pad, value=0):
    """``x`` (N, C, H, W) padded by ``pad`` = (top, bottom, left, right) with ``value``."""
    pt, pb, pl, pr = pad
    if pt == pb == pl == pr == 0:
        return x
    xp = backend.array_module(x)
    n, c, h, w = x.shape
    out = xp.full((n, c, h + pt + pb, w + pl + pr), value, dtype=x.dtype)
    out[:, :, pt : pt + h, pl : pl + w] = x
    return out


def slab(i, j, ho, wo, stride, dilation):
    """Index of the input positions that kernel offset ``(i, j)`` touches, as slices of
    the two spatial axes (the ``(ho, wo)`` output pixels, with stride and dilation)."""
    (sh, sw), (dh, dw) = stride, dilation
    return (
        slice(i * dh, i * dh + sh * (ho - 1) + 1, sh),
        slice(j * dw, j * dw + sw * (wo - 1) + 1, sw),
    )


def same_pad(k, d):
    """PyTorch's 'same' padding of one dimension: total ``d*(k-1)``, extra on the end."""
    total = d * (k - 1)
    return total // 2, total - total // 2


def int_tuple(v, n, name, op):
    """An int or a sequence of ``n`` (or 1) ints as an ``n``-tuple; ValueError otherwise."""
    try:
        if isinstance(v, list | tuple):
            t = tuple(operator.index(a) for a in v)
        else:
            t = (operator.index(v),) * n
    except TypeError:
        t = ()
    if len(t) == 1 and n > 1:
        t = t * n
    if len(t) != n:
        raise ValueError(f"{op}: {name} must be an int or a tuple of {n} ints, got {v!r}")
    return t
