"""Gradient clipping (PyTorch's ``torch.nn.utils.clip_grad_norm_`` and friends).

``clip_grad_norm_`` computes the norm of all gradients together, as if they were
concatenated into one vector, and scales every gradient by
``min(1, max_norm / (total_norm + 1e-6))`` in place (PyTorch's formula, including the
``1e-6``). ``clip_grad_value_`` clamps each gradient element to ``[-clip_value,
clip_value]``. Both act on ``.grad`` of parameters without recording a graph.
"""

from __future__ import annotations

import math

import numpy as np

from minigrad import backend
from minigrad.tensor import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_", "get_total_norm", "clip_grads_with_norm_"]


def _as_list(tensors) -> list:
    if isinstance(tensors, Tensor):
        return [tensors]
    return list(tensors)


def _vector_norm(a, p: float):
    """The ``p``-norm of the array ``a`` flattened, in ``a``'s dtype (a 0-d array)."""
    xp = backend.array_module(a)
    if a.size == 0:
        return xp.zeros((), dtype=a.dtype)
    x = xp.abs(a)
    if p == math.inf:
        return x.max()
    if p == -math.inf:
        return x.min()
    if p == 0:
        return xp.asarray(xp.count_nonzero(x), dtype=a.dtype)
    if p == 1:
        return x.sum()
    if p == 2:
        return xp.sqrt((x * x).sum())
    return (x**p).sum() ** (1.0 / p)


def get_total_norm(tensors, norm_type: float = 2.0, error_if_nonfinite: bool = False, foreach=None):
    """The norm of the norms of ``tensors`` (PyTorch's ``nn.utils.get_total_norm``): the
    ``norm_type``-norm of all their elements, as if concatenated into one vector.

    Parameters
    ----------
    tensors : Tensor or iterable of Tensor
        Usually gradients.
    norm_type : float
        ``p`` of the norm; ``inf`` for the largest absolute value (default 2).
    error_if_nonfinite : bool
        Raise if the total norm is NaN or infinite.
    foreach : None
        Accepted for PyTorch compatibility.

    Returns
    -------
    Tensor
        A 0-d tensor in the dtype of the first tensor (``0.`` for no tensors).

    Raises
    ------
    RuntimeError
        With ``error_if_nonfinite``, for a non-finite total norm.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.nn.utils import get_total_norm
    >>> get_total_norm([minigrad.tensor([3.0]), minigrad.tensor([4.0])])
    tensor(5.)
    """
    tensors = [t for t in _as_list(tensors) if t is not None]
    norm_type = float(norm_type)
    if not tensors:
        return Tensor._make(backend.array_module(None).zeros((), dtype="float32"))
    first = tensors[0]._data
    xp = backend.array_module(first)
    norms = []
    for t in tensors:
        if backend.array_module(t._data) is not xp:
            raise RuntimeError(
                "get_total_norm: all tensors must be on one device, got "
                f"{tensors[0].device} and {t.device}"
            )
        norms.append(_vector_norm(t._data, norm_type).astype(first.dtype))
    total = _vector_norm(xp.stack(norms), norm_type)
    if error_if_nonfinite and not bool(xp.isfinite(total)):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is "
            "non-finite, so it cannot be clipped. To disable this error and scale the "
            "gradients by the non-finite norm anyway, set `error_if_nonfinite=False`"
        )
    return Tensor._make(xp.asarray(total, dtype=first.dtype))


def clip_grads_with_norm_(parameters, max_norm: float, total_norm, foreach=None) -> None:
    """Scale the gradients of ``parameters`` by ``min(1, max_norm / (total_norm + 1e-6))``
    in place (PyTorch's ``nn.utils.clip_grads_with_norm_``).

    Parameters
    ----------
    parameters : Tensor or iterable of Tensor
        Whose ``.grad`` to scale (those without one are skipped).
    max_norm : float
        The largest norm allowed.
    total_norm : Tensor or float
        The norm of all the gradients (e.g. from :func:`get_total_norm`).
    foreach : None
        Accepted for PyTorch compatibility.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.nn.utils import clip_grads_with_norm_
    >>> w = minigrad.zeros(2, requires_grad=True)
    >>> w.grad = minigrad.tensor([3.0, 4.0])
    >>> clip_grads_with_norm_([w], 1.0, 5.0)
    >>> w.grad
    tensor([0.6, 0.8])
    """
    grads = [p.grad for p in _as_list(parameters) if p.grad is not None]
    if not grads:
        return
    tn = total_norm._data if isinstance(total_norm, Tensor) else total_norm
    xp = backend.array_module(grads[0]._data)
    dtype = grads[0]._data.dtype
    coef = xp.asarray(float(max_norm), dtype=dtype) / (
        xp.asarray(tn, dtype=dtype) + dtype.type(1e-6)
    )
    coef = xp.minimum(coef, dtype.type(1.0))
    with np.errstate(invalid="ignore"):  # inf norm -> NaN gradients, silently as PyTorch
        for g in grads:
            g._data *= coef.astype(g._data.dtype)
            g._vc[0] += 1


def clip_grad_norm_(
    parameters,
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach=None,
):
    """Clip the gradients of ``parameters`` to a total norm of at most ``max_norm``, in
    place (PyTorch's ``nn.utils.clip_grad_norm_``).

    The norm is taken over all gradients together; every gradient is multiplied by
    ``min(1, max_norm / (total_norm + 1e-6))``.

    Parameters
    ----------
    parameters : Tensor or iterable of Tensor
        Whose ``.grad`` to clip (those without one are skipped).
    max_norm : float
        The largest norm allowed.
    norm_type : float
        ``p`` of the norm; ``float('inf')`` for the largest absolute value (default 2).
    error_if_nonfinite : bool
        Raise (and leave the gradients alone) if the total norm is NaN or infinite.
    foreach : None
        Accepted for PyTorch compatibility.

    Returns
    -------
    Tensor
        The total norm of the gradients before clipping (0-d).

    Raises
    ------
    RuntimeError
        With ``error_if_nonfinite``, for a non-finite total norm.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> w = minigrad.zeros(2, requires_grad=True)
    >>> w.grad = minigrad.tensor([3.0, 4.0])
    >>> nn.utils.clip_grad_norm_([w], max_norm=1.0)
    tensor(5.)
    >>> w.grad
    tensor([0.6, 0.8])
    """
    parameters = _as_list(parameters)
    grads = [p.grad for p in parameters if p.grad is not None]
    total = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(parameters, max_norm, total, foreach)
    return total


def clip_grad_value_(parameters, clip_value: float, foreach=None) -> None:
    """Clamp every gradient element of ``parameters`` to ``[-clip_value, clip_value]``, in
    place (PyTorch's ``nn.utils.clip_grad_value_``).

    Parameters
    ----------
    parameters : Tensor or iterable of Tensor
        Whose ``.grad`` to clip (those without one are skipped).
    clip_value : float
        The largest absolute value allowed.
    foreach : None
        Accepted for PyTorch compatibility.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> w = minigrad.zeros(3, requires_grad=True)
    >>> w.grad = minigrad.tensor([-3.0, 0.5, 2.0])
    >>> nn.utils.clip_grad_value_(w, 1.0)
    >>> w.grad
    tensor([-1. ,  0.5,  1. ])
    """
    clip_value = float(clip_value)
    for p in _as_list(parameters):
        if p.grad is not None:
            g = p.grad
            xp = backend.array_module(g._data)
            xp.clip(g._data, -clip_value, clip_value, out=g._data)
            g._vc[0] += 1
