"""Conversions: ``to`` (cast and/or move between devices) and ``clone`` (copy).

Both are Functions, so gradients flow through them: back to the source dtype and
device for ``to``, unchanged for ``clone``.
"""

from __future__ import annotations

from minigrad import backend
from minigrad.autograd.function import Function

__all__ = ["to", "clone"]


class To(Function):
    """Cast and/or move; the gradient goes back to the source dtype and device."""

    def __init__(self, dtype, device):
        self.dtype, self.device = dtype, device

    def forward(self, x):
        self.src_dtype, self.src_device = x.dtype, backend.device_of(x)
        y = x
        if self.device is not None:
            y = backend.to_device(y, self.device)
        if self.dtype is not None and y.dtype != self.dtype:
            y = y.astype(self.dtype)
        return y

    def backward(self, gy):
        return to(gy, dtype=self.src_dtype, device=self.src_device)


def to(x, dtype=None, device=None, copy: bool = False):
    """Cast ``x`` to ``dtype`` and/or move it to ``device`` (differentiable).

    Parameters
    ----------
    x : Tensor
    dtype : dtype or str, optional
    device : Device or str, optional
    copy : bool
        Copy even when nothing changes.

    Returns
    -------
    Tensor
        ``x`` itself when nothing changes and ``copy`` is false; the gradient flows back
        to ``x``'s dtype and device.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.ops.math.convert import to
    >>> to(minigrad.ones(1), minigrad.float64)
    tensor([1.], dtype=float64)
    """
    from minigrad.dtypes import as_dtype

    dtype = as_dtype(dtype) if dtype is not None else None
    device = backend.device(device) if device is not None else None
    same_dtype = dtype is None or dtype == x.dtype
    same_device = device is None or device == x.device
    if same_dtype and same_device:
        return clone(x) if copy else x
    if dtype is not None and dtype.kind not in "fc":  # integers and bools carry no gradient
        x = x.detach()
    return To(dtype, device)(x)


class Clone(Function):
    uses_input_values = False  # backward reads only shapes

    def forward(self, x):
        return x.copy()

    def backward(self, gy):
        return gy


def clone(x):
    """A copy of ``x`` with its own memory (differentiable).

    Parameters
    ----------
    x : Tensor
        Input.

    Returns
    -------
    Tensor

    Examples
    --------
    >>> import minigrad
    >>> minigrad.clone(minigrad.ones(2))
    tensor([1., 1.])
    """
    return Clone()(x)
