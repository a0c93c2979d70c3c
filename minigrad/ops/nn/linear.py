"""The affine map of a fully connected layer: ``linear(x, W, b) = x @ W.T + b``.

One fused :class:`~minigrad.autograd.Function` does the product and the bias add, with
no intermediate tensors. Its backward is

- ``gx = gy @ W``
- ``gW = gy.T @ x`` (leading dimensions of ``x`` flattened into the batch)
- ``gb = gy.sum(batch)``

When no graph is being built (ordinary training) the backward works on raw arrays,
three BLAS calls and a sum; under ``create_graph=True`` the same formulas are written
with differentiable tensor ops, so higher-order gradients work.
"""

from __future__ import annotations

from minigrad.autograd.function import Function
from minigrad.autograd.grad_mode import _GradMode
from minigrad.ops.math.linalg import matmul
from minigrad.ops.shape.shape import reshape, transpose
from minigrad.tensor import Tensor

__all__ = ["linear"]


class Linear(Function):
    """``y = x @ W.T + b`` for ``x`` of shape ``(*, in)``, ``W`` of shape ``(out, in)``."""

    def forward(self, x, w, b=None):
        if x.ndim == 2:
            y = x @ w.T
        else:
            y = (x.reshape(-1, x.shape[-1]) @ w.T).reshape(x.shape[:-1] + (w.shape[0],))
        if b is not None:
            y += b
        return y

    raw_backward = True  # a first-order walk hands the arrays straight to the BLAS calls

    def backward(self, gy):
        x, w, b = self.inputs
        nx, nw, nb = self.needs_input_grad
        if self._raw:  # first-order walk: x, w, b and gy are arrays; so are the results
            return _grads(gy, x, w, nx, nw, nb)
        if not _GradMode.enabled:  # Tensors, but no graph: the same array formulas
            gx, gw, gb = _grads(gy._data, x._data, w._data, nx, nw, nb)
            make = Tensor._make
            return (
                None if gx is None else make(gx),
                None if gw is None else make(gw),
                None if gb is None else make(gb),
            )
        g2 = reshape(gy, (-1, gy.shape[-1]))
        gx = matmul(gy, w) if nx else None
        gw = matmul(transpose(g2, 0, 1), reshape(x, (-1, x.shape[-1]))) if nw else None
        gb = g2.sum(0) if nb else None
        return gx, gw, gb


def _grads(g, x, w, nx, nw, nb):
    """The three gradients on arrays: ``g @ w``, ``g2.T @ x2`` and the column sums of
    ``g2`` (``g2``, ``x2``: leading dimensions flattened), each only where needed."""
    if g.ndim != 2:
        g2 = g.reshape(-1, g.shape[-1])
        x = x.reshape(-1, x.shape[-1])
    else:
        g2 = g
    gx = g @ w if nx else None
    gw = g2.T @ x if nw else None
    gb = g2.sum(axis=0) if nb else None
    return gx, gw, gb


def linear(input, weight, bias=None):
    """Apply the affine map ``input @ weight.T + bias``.

    Parameters
    ----------
    input : Tensor
        Shape ``(*, in_features)``.
    weight : Tensor
        Shape ``(out_features, in_features)``.
    bias : Tensor, optional
        Shape ``(out_features,)``.

    Returns
    -------
    Tensor
        Shape ``(*, out_features)``.

    Raises
    ------
    RuntimeError
        If the shapes do not fit, or the dtypes or devices differ.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.ops.nn.linear import linear
    >>> x = minigrad.tensor([[1.0, 2.0]])
    >>> w = minigrad.tensor([[1.0, 0.0], [1.0, 1.0], [0.0, -1.0]])
    >>> linear(x, w, minigrad.tensor([0.0, 0.5, 1.0]))
    tensor([[ 1. ,  3.5, -1. ]])
    """
    if weight.ndim != 2 or input.ndim == 0 or input.shape[-1] != weight.shape[1]:
        raise RuntimeError(
            f"linear: input of shape {tuple(input.shape)} and weight of shape "
            f"{tuple(weight.shape)} do not fit: expected input (*, {weight.shape[-1]}) and a "
            "2-D weight (out_features, in_features)"
        )
    if bias is not None and tuple(bias.shape) != (weight.shape[0],):
        raise RuntimeError(
            f"linear: bias of shape {tuple(bias.shape)} does not match weight of shape "
            f"{tuple(weight.shape)}: expected ({weight.shape[0]},)"
        )
    if input.dtype != weight.dtype or (bias is not None and bias.dtype != weight.dtype):
        raise RuntimeError(
            f"linear: expected input, weight and bias of the same dtype, got input "
            f"{input.dtype}, weight {weight.dtype}"
            + (f", bias {bias.dtype}" if bias is not None else "")
        )
    return Linear()(input, weight, bias)
