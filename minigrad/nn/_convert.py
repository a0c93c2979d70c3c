"""Moving and casting a module's tensors: :meth:`Module.to <minigrad.nn.Module.to>`,
``cpu``, ``cuda``, ``float``, ``double``, ``half`` and ``apply``.

These functions are methods of :class:`~minigrad.nn.Module` (assigned in its class body);
they live here to keep ``module.py`` about one concern: registering and visiting
parameters, buffers and sub-modules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from minigrad import backend
from minigrad.tensor import Tensor

if TYPE_CHECKING:
    from minigrad.nn.module import Module


def _parse_to(args, kwargs):
    """``(device, dtype)`` from the arguments of :meth:`Module.to`."""
    from minigrad.dtypes import as_dtype

    device = kwargs.pop("device", None)
    dtype = kwargs.pop("dtype", None)
    kwargs.pop("non_blocking", None)
    if kwargs:
        raise TypeError(f"Module.to() got unexpected keyword arguments {sorted(kwargs)}")
    for a in args:
        if isinstance(a, str | backend.Device):
            device = a
        elif isinstance(a, Tensor):
            device, dtype = a.device, a.dtype
        else:
            dtype = a
    device = backend.device(device) if device is not None else None
    if dtype is not None:
        dtype = as_dtype(dtype)
        if dtype.kind not in "fc":
            raise TypeError(
                f"Module.to only accepts floating point dtypes, but got desired dtype={dtype}"
            )
    return device, dtype


def apply(self, fn) -> Module:
    """Call ``fn(m)`` on every descendant, children first, then on ``self``.

    Examples
    --------
    >>> from minigrad import nn
    >>> m = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2))
    >>> def zero_bias(mod):
    ...     if isinstance(mod, nn.Linear):
    ...         nn.init.zeros_(mod.bias)
    >>> _ = m.apply(zero_bias)
    >>> m[1].bias.tolist()
    [0.0, 0.0]
    """
    for m in self.children():
        m.apply(fn)
    fn(self)
    return self


# ------------------------------------------------------------------ devices, dtypes
def _apply_arrays(self, fn) -> Module:
    """Replace the data of every parameter, gradient and buffer by ``fn(data)``, in
    place: the Parameter and buffer objects stay the same."""
    seen = set()
    for m in self.modules():
        for store in (m._parameters, m._buffers):
            for t in store.values():
                if t is None or id(t) in seen:  # a shared tensor is converted once
                    continue
                seen.add(id(t))
                t.data = fn(t.data)
                if t.grad is not None:
                    t.grad.data = fn(t.grad.data)
    return self


def to(self, *args, **kwargs) -> Module:
    """Move and/or cast parameters and buffers in place: ``m.to('cuda')``,
    ``m.to(minigrad.float64)``, ``m.to(device, dtype)``.

    Only floating-point tensors are cast (an integer buffer such as
    ``num_batches_tracked`` keeps its dtype). The Parameter objects are kept, so
    an optimizer made before the call still holds them.

    Returns
    -------
    Module
        ``self``.

    Raises
    ------
    TypeError
        If the dtype is not a floating-point dtype.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> m = nn.Linear(2, 2)
    >>> w = m.weight
    >>> m.to(minigrad.float64).weight.dtype, m.weight is w
    (dtype('float64'), True)
    """
    device, dtype = _parse_to(args, dict(kwargs))

    def convert(a):
        if device is not None:
            a = backend.to_device(a, device)
        if dtype is not None and a.dtype.kind in "fc" and a.dtype != dtype:
            a = a.astype(dtype)
        return a

    return self._apply_arrays(convert)


def cpu(self) -> Module:
    """Move every parameter and buffer to the CPU; returns ``self``.

    Returns
    -------
    Module
        ``self``.

    Examples
    --------
    >>> from minigrad import nn
    >>> nn.Linear(2, 2).cpu().weight.device
    device(type='cpu')
    """
    return self.to("cpu")


def cuda(self, device: int | str | None = None) -> Module:
    """Move every parameter and buffer to a GPU (``cuda:0`` by default).

    Parameters
    ----------
    device : int or str, optional
        A GPU index or a device string such as ``'cuda:1'``.

    Returns
    -------
    Module
        ``self``.

    Examples
    --------
    >>> from minigrad import nn
    >>> nn.Linear(2, 2).cuda().weight.device  # doctest: +SKIP
    device(type='cuda', index=0)
    """
    if device is None:
        device = "cuda"
    elif isinstance(device, int):
        device = f"cuda:{device}"
    return self.to(device)


def float(self) -> Module:
    """Cast floating-point parameters and buffers to float32; returns ``self``.

    Returns
    -------
    Module
        ``self``.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.Linear(2, 2).double().float().weight.dtype
    dtype('float32')
    """
    return self.to(np.dtype("float32"))


def double(self) -> Module:
    """Cast floating-point parameters and buffers to float64; returns ``self``.

    Returns
    -------
    Module
        ``self``.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.Linear(2, 2).double().weight.dtype
    dtype('float64')
    """
    return self.to(np.dtype("float64"))


def half(self) -> Module:
    """Cast floating-point parameters and buffers to float16; returns ``self``.

    Returns
    -------
    Module
        ``self``.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.Linear(2, 2).half().weight.dtype
    dtype('float16')
    """
    return self.to(np.dtype("float16"))
