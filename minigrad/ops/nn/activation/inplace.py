"""PyTorch's ``inplace=True`` flag of activations and dropout, and :func:`relu` with it.

``F.relu(x, inplace=True)`` in PyTorch overwrites ``x`` and returns it. minigrad writes
into ``x`` when ``x`` takes no part in autograd (it does not require grad, or grad mode
is off, as in inference), which is where in-place matters for memory. When ``x`` is in
the graph, minigrad returns a new tensor and leaves ``x`` as it was: the returned values
and all gradients are PyTorch's, only ``x`` itself is not overwritten (minigrad records
no in-place operations in the graph).
"""

from __future__ import annotations

from minigrad.autograd.grad_mode import _GradMode
from minigrad.ops.math import unary as _unary

__all__ = ["relu"]


def write_result(input, out):
    """``out`` written into ``input`` (and ``input`` returned) where that is safe, else
    ``out``; see the module docstring."""
    if input.requires_grad and _GradMode.enabled:
        return out
    if out.dtype != input.dtype or tuple(out.shape) != tuple(input.shape):
        return out
    input._data[...] = out._data
    input._vc[0] += 1
    return input


def relu(input, inplace: bool = False):
    """``max(x, 0)``, elementwise (PyTorch's ``F.relu``).

    Parameters
    ----------
    input : Tensor
    inplace : bool
        Overwrite ``input`` with the result when ``input`` is outside autograd (does
        not require grad, or under :func:`minigrad.no_grad`); otherwise a new tensor is
        returned (see :mod:`minigrad.ops.nn.activation.inplace`).

    Returns
    -------
    Tensor

    Examples
    --------
    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> x = minigrad.tensor([-1.0, 2.0])
    >>> F.relu(x, inplace=True) is x, x
    (True, tensor([0., 2.]))
    >>> w = minigrad.tensor([-1.0, 2.0], requires_grad=True)
    >>> F.relu(w, inplace=True) is w
    False
    """
    out = _unary.relu(input)
    return write_result(input, out) if inplace else out
