"""Pooling: max, average and adaptive average pooling in 1-D and 2-D (PyTorch's names).

How it works
------------
Every window of a pooling op is visited through *strided slices*: for each kernel offset
``(i, j)`` the slice ``x_padded[:, :, i*dH :: sH, j*dW :: sW]`` (cut to the output size)
holds the tap ``(i, j)`` of every window at once. A pooling op is then a loop over the
``kH*kW`` offsets of whole-array operations (never over batch, channels or pixels):

- max pooling keeps a running maximum and the offset where it was first reached (PyTorch
  picks the first maximum; a NaN wins, as in PyTorch);
- average pooling sums the slices and divides by the window sizes.

The common non-overlapping case (``kernel == stride``, no padding) needs no separate
path: its slices are exactly the views ``x.reshape(N, C, H/k, k, W/k, k)[:, :, :, i, :, j]``,
and ``k*k`` whole-array operations on them were measured about 3x faster than NumPy
reductions over the short ``k`` axes of that reshape. What it does get: since windows are
disjoint, gradients are *assigned* slab by slab rather than accumulated.

Gradients are strided adds into the padded input. Double backward uses Chainer's
Grad-node pattern: max pooling's backward is :class:`MaxPoolScatter` (send each output
gradient to its window's argmax), whose backward is :class:`MaxPoolGather` (read the
argmax back), and vice versa; average pooling's backward is :class:`AvgPoolBackward`,
whose backward is average pooling again.

1-D pooling is 2-D pooling of height 1.

The code is in three files: :mod:`minigrad.ops.pool_window` (the geometry),
:mod:`minigrad.ops.max_pool` and :mod:`minigrad.ops.avg_pool` (average and adaptive
average pooling). This module re-exports their functions.
"""

from __future__ import annotations

from minigrad.ops.avg_pool import (
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    avg_pool1d,
    avg_pool2d,
)
from minigrad.ops.max_pool import max_pool1d, max_pool2d

__all__ = [
    "max_pool1d",
    "max_pool2d",
    "avg_pool1d",
    "avg_pool2d",
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
]
