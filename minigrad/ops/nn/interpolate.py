"""Resampling: :func:`interpolate` (PyTorch's ``F.interpolate``; ``nn.Upsample`` calls it).

Every supported mode is *separable*: along each spatial axis, output position ``o``
reads input positions with fixed weights, which form a small ``(out, in)`` matrix ``M``.
The op is ``x @ M.T`` along each axis in turn (one differentiable matmul per axis), so
its gradient is ``gy @ M`` and double backward comes for free. The source coordinates
are PyTorch's, computed in the same precision (float32 for nearest; the data's dtype
for linear):

- ``nearest``: ``src = min(floor(o * scale), in - 1)``; ``nearest-exact``: ``floor((o +
  0.5) * scale)``, where ``scale = 1 / scale_factor`` if a scale factor was given (and
  not ``recompute_scale_factor``), else ``in / out``.
- ``linear`` / ``bilinear`` / ``trilinear``: with ``align_corners`` the corners of input
  and output coincide, ``src = o * (in - 1) / (out - 1)``; without, pixel centers are
  aligned, ``src = max((o + 0.5) * scale - 0.5, 0)``; the two neighbours
  ``floor(src)`` and ``floor(src) + 1`` (clamped) are mixed by the fractional part.
- ``area``: adaptive average pooling (windows ``[floor(o*in/out), ceil((o+1)*in/out))``).
"""

from __future__ import annotations

import math

import numpy as np

from minigrad.ops.math.linalg import matmul
from minigrad.tensor import Tensor

__all__ = ["interpolate"]

_LINEAR = {3: "linear", 4: "bilinear", 5: "trilinear"}
_MODES = ("nearest", "nearest-exact", "linear", "bilinear", "trilinear", "area")


def _scale(in_size, out_size, scale_factor, dtype):
    """PyTorch's ``compute_scales_value``: ``1/scale_factor`` if given, else in/out."""
    if scale_factor is not None and scale_factor > 0:
        return dtype.type(1.0 / scale_factor)
    return dtype.type(in_size) / dtype.type(out_size)


def _matrix(xp, mode, n, out, scale_factor, align_corners, dtype):
    """The ``(out, n)`` resampling matrix of one axis (built with NumPy, then moved)."""
    m = np.zeros((out, n), dtype=dtype)
    o = np.arange(out)
    if mode in ("nearest", "nearest-exact"):
        f32 = np.dtype(np.float32)
        s = _scale(n, out, scale_factor, f32)
        pos = o.astype(np.float32) + (np.float32(0.5) if mode == "nearest-exact" else 0)
        src = np.minimum(np.floor(pos * s).astype(np.int64), n - 1)
        m[o, src] = 1
    elif mode == "area":
        start = (o * n) // out
        end = -((-(o + 1) * n) // out)
        j = np.arange(n)
        inside = (j[None, :] >= start[:, None]) & (j[None, :] < end[:, None])
        m[:] = inside / (end - start)[:, None]
    else:
        dt = np.dtype(dtype)
        if align_corners:
            s = dt.type(n - 1) / dt.type(out - 1) if out > 1 else dt.type(0)
            src = o.astype(dt) * s
        else:
            s = _scale(n, out, scale_factor, dt)
            src = np.maximum(s * (o.astype(dt) + dt.type(0.5)) - dt.type(0.5), dt.type(0))
        i0 = np.floor(src).astype(np.int64)
        i0 = np.minimum(i0, n - 1)
        i1 = np.where(i0 < n - 1, i0 + 1, i0)
        l1 = (src - i0.astype(dt)).astype(dt)
        l0 = (dt.type(1) - l1).astype(dt)
        np.add.at(m, (o, i0), l0)
        np.add.at(m, (o, i1), l1)
    return m if xp is np else xp.asarray(m)


def _as_list(v, nd, name):
    if isinstance(v, list | tuple):
        if len(v) != nd:
            raise ValueError(
                f"interpolate: {name} shape must match input shape; input is {nd}D, {name} "
                f"shape is {len(v)}"
            )
        return list(v)
    return [v] * nd


def interpolate(
    input,
    size=None,
    scale_factor=None,
    mode: str = "nearest",
    align_corners: bool | None = None,
    recompute_scale_factor: bool | None = None,
    antialias: bool = False,
):
    """Up- or down-sample ``input`` to ``size`` or by ``scale_factor`` (``F.interpolate``).

    Parameters
    ----------
    input : Tensor
        ``(N, C, L)``, ``(N, C, H, W)`` or ``(N, C, D, H, W)``.
    size : int or tuple of int, optional
        Output spatial size.
    scale_factor : float or tuple of float, optional
        Multiplier of the spatial size (output ``floor(in * scale_factor)``).
    mode : str
        ``'nearest'`` (default), ``'nearest-exact'``, ``'linear'`` (3-D input),
        ``'bilinear'`` (4-D), ``'trilinear'`` (5-D) or ``'area'``.
    align_corners : bool, optional
        For the linear modes: align the corner pixels of input and output instead of
        the pixel centers (default False).
    recompute_scale_factor : bool, optional
        Compute the coordinate scale from the output size rather than using
        ``scale_factor`` as given.
    antialias : bool
        Not supported (must be False).

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        For both or neither of ``size`` and ``scale_factor``, ``align_corners`` with a
        non-linear mode, an unknown mode, or ``antialias=True``.
    NotImplementedError
        For a linear mode that does not match the input's rank (as PyTorch).

    Examples
    --------
    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> x = minigrad.tensor([[[1.0, 2.0]]])
    >>> F.interpolate(x, scale_factor=2)
    tensor([[[1., 1., 2., 2.]]])
    >>> F.interpolate(x, size=4, mode="linear")
    tensor([[[1.  , 1.25, 1.75, 2.  ]]])
    >>> F.interpolate(x, size=3, mode="linear", align_corners=True)
    tensor([[[1. , 1.5, 2. ]]])
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"interpolate: expected a Tensor input, got {type(input).__name__}")
    if mode not in _MODES:
        raise ValueError(f"interpolate: unknown mode {mode!r}; supported: {', '.join(_MODES)}")
    if antialias:
        raise ValueError("interpolate: antialias=True is not supported")
    if input.ndim not in (3, 4, 5):
        raise ValueError(
            f"interpolate: expected a 3-D, 4-D or 5-D input (N, C, spatial...), got shape "
            f"{tuple(input.shape)}"
        )
    nd = input.ndim - 2
    linear = mode in ("linear", "bilinear", "trilinear")
    if linear and mode != _LINEAR[input.ndim]:
        raise NotImplementedError(
            f"interpolate: got {input.ndim}D input, but {mode} mode needs "
            f"{ {'linear': 3, 'bilinear': 4, 'trilinear': 5}[mode] }D input"
        )
    if align_corners is not None and not linear:
        raise ValueError(
            "align_corners option can only be set with the interpolating modes: linear | "
            "bilinear | bicubic | trilinear"
        )
    align_corners = bool(align_corners)
    if (size is None) == (scale_factor is None):
        raise ValueError(
            "interpolate: only one of size or scale_factor should be defined"
            if size is not None
            else "interpolate: either size or scale_factor should be defined"
        )
    sizes = tuple(input.shape[2:])
    if size is not None:
        out = [int(s) for s in _as_list(size, nd, "size")]
        scales = [None] * nd
    else:
        scales = [float(s) for s in _as_list(scale_factor, nd, "scale_factor")]
        out = [math.floor(float(n) * s) for n, s in zip(sizes, scales)]
        if recompute_scale_factor:
            scales = [None] * nd
    if min(out) < 1:
        raise ValueError(
            f"interpolate: output size {tuple(out)} must be positive (input {tuple(input.shape)})"
        )
    if mode == "area":
        scales = [None] * nd
    y = input
    xp = input.xp
    for axis in range(nd):
        if out[axis] == sizes[axis] and scales[axis] in (None, 1.0):
            continue  # every mode is the identity here
        m = _matrix(xp, mode, sizes[axis], out[axis], scales[axis], align_corners, input.dtype)
        mt = Tensor._make(xp.ascontiguousarray(m.T))
        dim = 2 + axis
        if dim == input.ndim - 1:
            y = matmul(y, mt)
        else:
            y = matmul(y.transpose(dim, -1), mt).transpose(dim, -1)
    if y is input:
        y = input * 1  # a new tensor, as PyTorch returns
    return y
