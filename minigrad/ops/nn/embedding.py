"""Lookup tables: :func:`embedding` (PyTorch's ``F.embedding``) and :func:`one_hot`.

``embedding(idx, W)`` is ``W[idx]``: the rows of the weight named by integer indices.
Its weight gradient adds each output gradient row into the row it came from
(:class:`EmbeddingGrad`, a scatter-add); that op is linear in the output gradient and
its own backward is the lookup again, so gradients of any order are exact (Chainer's
Grad-node pattern). ``padding_idx`` rows get no gradient; ``scale_grad_by_freq``
divides each row's gradient by how often its index occurs in the batch.
"""

from __future__ import annotations

import numbers

from minigrad import backend
from minigrad.autograd.function import Function
from minigrad.autograd.grad_mode import no_grad
from minigrad.ops.shape.indexing import scatter_add
from minigrad.tensor import Tensor

__all__ = ["embedding", "one_hot"]


class Embedding(Function):
    """``W[idx]`` for an integer array ``idx``; backward is :class:`EmbeddingGrad`."""

    def __init__(self, idx, padding_idx, scale):
        self.idx, self.padding_idx, self.scale = idx, padding_idx, scale

    def forward(self, w):
        return w[self.idx]

    def backward(self, gy):
        (w,) = self.inputs
        return EmbeddingGrad(self.idx, w.shape[0], self.padding_idx, self.scale)(gy)


class EmbeddingGrad(Function):
    """The weight gradient of :class:`Embedding`: ``gW[idx[k]] += gy[k] * scale[k]``, with
    the ``padding_idx`` row left at zero. Its backward reads the rows back."""

    def __init__(self, idx, num, padding_idx, scale):
        self.idx, self.num, self.padding_idx, self.scale = idx, num, padding_idx, scale

    def _weights(self, xp, dtype):
        """Per-lookup factor (padding zeroed, frequency scaling), or None for all ones."""
        w = None
        if self.scale is not None:
            w = self.scale.astype(dtype)
        if self.padding_idx is not None:
            keep = (self.idx != self.padding_idx).astype(dtype)
            w = keep if w is None else w * keep
        return w

    def forward(self, gy):
        xp = backend.array_module(gy)
        d = gy.shape[-1]
        out = xp.zeros((self.num, d), dtype=gy.dtype)
        rows = gy.reshape(-1, d)
        w = self._weights(xp, gy.dtype)
        if w is not None:
            rows = rows * w.reshape(-1, 1)
        scatter_add(out, self.idx.reshape(-1), rows)
        return out

    def backward(self, ggw):
        xp = backend.array_module(ggw._data)
        g = Embedding(self.idx, None, None)(ggw)
        w = self._weights(xp, ggw.dtype)
        if w is not None:
            g = g * Tensor._make(w[..., None])
        return g


def _index_array(op, input):
    data = input._data if isinstance(input, Tensor) else input
    xp = backend.array_module(data)
    data = xp.asarray(data)
    if data.dtype.kind not in "iu":
        raise TypeError(
            f"{op}: expected an integer tensor of indices (int64 or int32), got {data.dtype}"
        )
    return data


def embedding(
    input,
    weight,
    padding_idx=None,
    max_norm=None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
):
    """Look up rows of ``weight`` by the integer indices in ``input`` (``F.embedding``).

    Parameters
    ----------
    input : Tensor
        Integer indices, any shape, each in ``[0, num_embeddings)``.
    weight : Tensor
        ``(num_embeddings, embedding_dim)``.
    padding_idx : int, optional
        Index whose row gets no gradient (negative counts from the end).
    max_norm : float, optional
        Rows looked up whose ``norm_type``-norm exceeds this are first rescaled *in
        place* to norm ``max_norm`` (as PyTorch, outside the graph).
    norm_type : float
        ``p`` of that norm (default 2).
    scale_grad_by_freq : bool
        Divide each row's gradient by its index's count in ``input``.
    sparse : bool
        Accepted for PyTorch compatibility; the gradient is always dense.

    Returns
    -------
    Tensor
        ``input.shape + (embedding_dim,)``.

    Raises
    ------
    TypeError
        If ``input`` does not hold integers.
    IndexError
        If an index is out of range.
    ValueError
        If ``weight`` is not 2-D or ``padding_idx`` is out of range.

    Examples
    --------
    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> w = minigrad.arange(6.0).reshape(3, 2)
    >>> F.embedding(minigrad.tensor([[2, 0]]), w)
    tensor([[[4., 5.],
             [0., 1.]]])
    """
    if weight.ndim != 2:
        raise ValueError(
            f"embedding: weight must be 2-D (num_embeddings, embedding_dim), got shape "
            f"{tuple(weight.shape)}"
        )
    num = weight.shape[0]
    idx = _index_array("embedding", input)
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= num):
        bad = int(idx.min()) if int(idx.min()) < 0 else int(idx.max())
        raise IndexError(
            f"embedding: index {bad} is out of range for a weight of {num} rows "
            f"(shape {tuple(weight.shape)})"
        )
    if padding_idx is not None:
        if not -num <= padding_idx < num:
            raise ValueError(
                f"embedding: padding_idx must be within num_embeddings ({num}), got {padding_idx}"
            )
        padding_idx = padding_idx % num
    xp = backend.array_module(weight._data)
    idx = xp.asarray(idx)
    if max_norm is not None:
        _renorm_(weight, idx, float(max_norm), float(norm_type))
    scale = None
    if scale_grad_by_freq:
        counts = xp.bincount(idx.reshape(-1), minlength=num)
        scale = 1.0 / counts[idx]
    return Embedding(idx, padding_idx, scale)(weight)


def _renorm_(weight, idx, max_norm, p):
    """Rescale the rows of ``weight`` named in ``idx`` to norm at most ``max_norm``, in
    place (PyTorch's ``embedding_renorm_``: factor ``max_norm / (norm + 1e-7)``)."""
    xp = backend.array_module(weight._data)
    rows = xp.unique(idx.reshape(-1))
    with no_grad():
        w = weight._data
        sel = w[rows]
        a = xp.abs(sel)
        if p == float("inf"):
            norms = a.max(axis=1)
        else:
            norms = (a**p).sum(axis=1) ** (1.0 / p)
        over = norms > max_norm
        if bool(over.any()):
            factor = (max_norm / (norms + 1e-7)).astype(w.dtype)
            w[rows[over]] = sel[over] * factor[over, None]
            weight._vc[0] += 1


def one_hot(tensor, num_classes: int = -1):
    """One-hot encoding of integer class indices (PyTorch's ``F.one_hot``).

    Parameters
    ----------
    tensor : Tensor
        Integer class indices, any shape, non-negative.
    num_classes : int
        Number of classes; ``-1`` (default) uses ``tensor.max() + 1``.

    Returns
    -------
    Tensor
        int64, ``tensor.shape + (num_classes,)``, with a 1 at each index.

    Raises
    ------
    TypeError
        If ``tensor`` does not hold integers.
    RuntimeError
        For a negative index, an index ``>= num_classes``, or ``num_classes=-1`` with an
        empty tensor.

    Examples
    --------
    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.one_hot(minigrad.tensor([0, 2, 1]))
    tensor([[1, 0, 0],
            [0, 0, 1],
            [0, 1, 0]])
    >>> F.one_hot(minigrad.tensor([1]), num_classes=4).shape
    (1, 4)
    """
    idx = _index_array("one_hot", tensor)
    xp = backend.array_module(idx)
    if not isinstance(num_classes, numbers.Integral) or isinstance(num_classes, bool):
        raise TypeError(f"one_hot: num_classes must be an int, got {num_classes!r}")
    if idx.size and int(idx.min()) < 0:
        raise RuntimeError(f"one_hot: class values must be non-negative, got {int(idx.min())}")
    if num_classes == -1:
        if idx.size == 0:
            raise RuntimeError("one_hot: can not infer total number of classes from empty tensor")
        num_classes = int(idx.max()) + 1
    elif idx.size and int(idx.max()) >= num_classes:
        raise RuntimeError(
            f"one_hot: class values must be smaller than num_classes ({num_classes}), got "
            f"{int(idx.max())}"
        )
    out = (idx[..., None] == xp.arange(num_classes)).astype(xp.int64)
    return Tensor._make(out)
