"""Dropout: zero each element with probability ``p`` while training and scale the
survivors by ``1 / (1 - p)``, so the expected value is unchanged.

The random mask comes from the generator of the input's device
(:func:`minigrad.backend.generator`, seeded by :func:`minigrad.manual_seed`), so runs
are reproducible. The scaled mask is saved as a constant: the backward is
``gy * mask``, itself differentiable, so double backward works.
"""

from __future__ import annotations

from minigrad import backend
from minigrad.autograd.function import Function
from minigrad.tensor import Tensor

__all__ = ["dropout"]


class Dropout(Function):
    def __init__(self, p: float):
        self.p = p

    def forward(self, x):
        xp = backend.array_module(x)
        g = backend.generator(backend.device_of(x))
        rdt = x.dtype if x.dtype.kind == "f" and x.dtype.itemsize >= 4 else xp.float32
        keep = g.random(x.shape, dtype=rdt) >= self.p
        self.mask = keep.astype(x.dtype) * (1.0 / (1.0 - self.p))
        self.mask = self.mask.astype(x.dtype, copy=False)
        return x * self.mask

    def backward(self, gy):
        return gy * Tensor._make(self.mask)


def dropout(input, p: float = 0.5, training: bool = True, inplace: bool = False):
    """Randomly zero elements of ``input`` with probability ``p`` (training only).

    Parameters
    ----------
    input : Tensor
        Any shape, floating point.
    p : float
        Probability of zeroing an element, in ``[0, 1]`` (default 0.5).
    training : bool
        Apply dropout if True; otherwise return ``input`` unchanged.
    inplace : bool
        Accepted for PyTorch compatibility; the result is always a new tensor.

    Returns
    -------
    Tensor
        ``input * mask / (1 - p)`` with a Bernoulli(1 - p) ``mask``; all zeros when
        ``p == 1``.

    Raises
    ------
    ValueError
        If ``p`` is outside ``[0, 1]``.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.ops.nn.dropout.dropout import dropout
    >>> y = dropout(minigrad.ones(1000), p=0.5)
    >>> sorted(set(y.tolist()))
    [0.0, 2.0]
    >>> dropout(minigrad.ones(3), p=0.5, training=False)
    tensor([1., 1., 1.])
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    return Dropout(float(p))(input)
