"""Less common activations (PyTorch's ``F.glu``, ``F.softsign``, ``F.softmin``,
``F.celu``, ``F.threshold``, ``F.hardshrink``, ``F.softshrink``, ``F.tanhshrink``),
composed from differentiable elementwise ops, so gradients of any order follow:

- ``glu(x, dim) = a * sigmoid(b)`` for the two halves ``a, b`` of ``x`` along ``dim``;
- ``softsign(x) = x / (1 + |x|)``; ``softmin(x, dim) = softmax(-x, dim)``;
- ``celu(x, alpha) = max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``;
- ``threshold(x, t, v) = x if x > t else v``;
- ``rrelu(x)``: leaky ReLU whose negative slope is drawn from U(lower, upper) per element
  in training, and is ``(lower + upper) / 2`` otherwise;
- ``hardshrink(x, l) = x if |x| > l else 0``; ``softshrink(x, l) = x - l*sign(x) if |x| >
  l else 0``; ``tanhshrink(x) = x - tanh(x)``.
"""

from __future__ import annotations

from minigrad.ops.math import elementwise as _ew
from minigrad.ops.math import unary as _unary
from minigrad.ops.math.softmax import softmax
from minigrad.ops.shape.shape import chunk

__all__ = [
    "glu", "softsign", "softmin", "celu", "threshold", "hardshrink", "softshrink", "tanhshrink",
    "rrelu",
]  # fmt: skip


def glu(input, dim: int = -1):
    """Gated linear unit: the first half of ``input`` along ``dim`` times the sigmoid of
    the second.

    Parameters
    ----------
    input : Tensor
        Even size along ``dim``.
    dim : int
        Dimension to halve (default -1).

    Returns
    -------
    Tensor

    Raises
    ------
    RuntimeError
        If the size along ``dim`` is odd.

    Examples
    --------
    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.glu(minigrad.tensor([2.0, 0.0]))
    tensor([1.])
    """
    n = input.shape[dim]
    if n % 2:
        raise RuntimeError(f"glu: Halving dimension must be even, but dimension {dim} is size {n}")
    a, b = chunk(input, 2, dim)
    return a * _unary.sigmoid(b)


def softsign(input):
    """``x / (1 + |x|)``.

    Parameters
    ----------
    input : Tensor

    Returns
    -------
    Tensor

    Examples
    --------
    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.softsign(minigrad.tensor([-3.0, 1.0]))
    tensor([-0.75,  0.5 ])
    """
    return input / (_unary.abs(input) + 1)


def softmin(input, dim=None, _stacklevel: int = 3, dtype=None):
    """``softmax(-x, dim)``.

    Parameters
    ----------
    input : Tensor
    dim : int
        The dimension normalized (PyTorch's implicit choice when None: 0 for 0-, 1- and
        3-D input, else 1).
    dtype : dtype, optional
        Cast the input first.

    Returns
    -------
    Tensor

    Examples
    --------
    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.softmin(minigrad.tensor([0.0, 0.0]), dim=0)
    tensor([0.5, 0.5])
    """
    if dim is None:
        dim = 0 if input.ndim in (0, 1, 3) else 1
    return softmax(-input, dim, dtype=dtype)


def celu(input, alpha: float = 1.0, inplace: bool = False):
    """Continuously differentiable ELU: ``max(0, x) + min(0, alpha * (exp(x/alpha) - 1))``.

    Parameters
    ----------
    input : Tensor
    alpha : float
        Default 1.
    inplace : bool
        Overwrite ``input`` where it is outside autograd
        (:mod:`minigrad.ops.nn.activation.inplace`).

    Returns
    -------
    Tensor

    Examples
    --------
    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.celu(minigrad.tensor([1.0, 0.0]), alpha=2.0)
    tensor([1., 0.])
    """
    from minigrad.ops.nn.activation.inplace import write_result

    neg = _ew.clamp(input, max=0.0)
    out = _ew.clamp(input, min=0.0) + alpha * (_unary.exp(neg / alpha) - 1)
    return write_result(input, out) if inplace else out


def threshold(input, threshold: float, value: float, inplace: bool = False):
    """``x`` where ``x > threshold``, else ``value``.

    Parameters
    ----------
    input : Tensor
    threshold : float
    value : float
    inplace : bool
        Overwrite ``input`` where it is outside autograd
        (:mod:`minigrad.ops.nn.activation.inplace`).

    Returns
    -------
    Tensor

    Examples
    --------
    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.threshold(minigrad.tensor([0.5, 2.0]), 1.0, -1.0)
    tensor([-1.,  2.])
    """
    from minigrad.ops.nn.activation.inplace import write_result

    out = _ew.where(input > threshold, input, float(value))
    return write_result(input, out) if inplace else out


def hardshrink(input, lambd: float = 0.5):
    """``x`` where ``|x| > lambd``, else 0.

    Parameters
    ----------
    input : Tensor
    lambd : float
        Default 0.5.

    Returns
    -------
    Tensor

    Examples
    --------
    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.hardshrink(minigrad.tensor([-1.0, 0.2, 0.7]))
    tensor([-1. ,  0. ,  0.7])
    """
    return _ew.where(_unary.abs(input) > lambd, input, 0.0)


def softshrink(input, lambd: float = 0.5):
    """``x - lambd`` above ``lambd``, ``x + lambd`` below ``-lambd``, else 0.

    Parameters
    ----------
    input : Tensor
    lambd : float
        Default 0.5 (non-negative).

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        For a negative ``lambd``.

    Examples
    --------
    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.softshrink(minigrad.tensor([-1.0, 0.2, 0.75]))
    tensor([-0.5 ,  0.  ,  0.25])
    """
    if lambd < 0:
        raise ValueError(f"softshrink: lambda must be greater or equal to 0, but found {lambd}")
    return _ew.where(input > lambd, input - lambd, _ew.where(input < -lambd, input + lambd, 0.0))


def tanhshrink(input):
    """``x - tanh(x)``.

    Parameters
    ----------
    input : Tensor

    Returns
    -------
    Tensor

    Examples
    --------
    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.tanhshrink(minigrad.tensor([0.0]))
    tensor([0.])
    """
    return input - _unary.tanh(input)


def rrelu(input, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,
          inplace: bool = False):  # fmt: skip
    """Randomized leaky ReLU (Xu et al. 2015): negative inputs are scaled by a slope drawn
    from U(``lower``, ``upper``) per element in training (the draw is kept for the
    gradient), by ``(lower + upper) / 2`` otherwise.

    Parameters
    ----------
    input : Tensor
    lower, upper : float
        Range of the slope (defaults 1/8 and 1/3).
    training : bool
        Draw random slopes (default False, as PyTorch's functional form).
    inplace : bool
        Overwrite ``input`` where it is outside autograd
        (:mod:`minigrad.ops.nn.activation.inplace`).

    Returns
    -------
    Tensor

    Examples
    --------
    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.rrelu(minigrad.tensor([-1.0, 2.0]), 0.1, 0.3)
    tensor([-0.2,  2. ])
    """
    from minigrad import backend
    from minigrad.ops.nn.activation.inplace import write_result
    from minigrad.tensor import Tensor

    if training:
        g = backend.generator(input.device)
        dt = input.dtype
        rdt = dt if dt.kind == "f" and dt.itemsize >= 4 else input.xp.float32
        slope = Tensor._make(
            (lower + (upper - lower) * g.random(input.shape, dtype=rdt)).astype(dt)
        )
    else:
        slope = (lower + upper) / 2
    out = _ew.where(input >= 0, input, input * slope)
    return write_result(input, out) if inplace else out
