"""Vector norms and distances: ``norm(x, p, dim)`` (PyTorch's ``torch.norm`` /
``Tensor.norm``), ``dist`` and ``cdist`` (norms of differences).

``||x||_p = (sum |x_i|^p)^(1/p)`` over ``dim`` (all elements by default); ``'fro'`` is
the 2-norm of the elements, ``inf``/``-inf`` the largest/smallest ``|x_i|`` and ``0``
the number of non-zero elements. (Normalization *layers* live in
:mod:`minigrad.ops.nn.norm.norm`.)

Gradients follow PyTorch where the formula divides by zero: the gradient of the
2-norm, ``x / ||x||``, is 0 for an all-zero slice (not NaN); for ``p != 2`` it is
``sign(x) |x|^(p-1) / ||x||^(p-1)``, 0 where ``x`` is 0; the ``inf`` norm shares it
evenly among the elements that tie for the largest ``|x_i|``. The backward is written
in tensor ops, so it is differentiable again.
"""

from __future__ import annotations

import math

from minigrad import backend
from minigrad.autograd.function import Function
from minigrad.ops._dims import as_keepdim, reduce_axes
from minigrad.ops.math.compare import sign
from minigrad.tensor import Tensor

__all__ = ["norm", "dist", "cdist"]


class VectorNorm(Function):
    def __init__(self, p, axes, keepdim):
        self.p, self.axes, self.keepdim = p, axes, keepdim

    def forward(self, x):
        xp = backend.array_module(x)
        p, ax, kd = self.p, self.axes, self.keepdim
        if p == 2:
            out = xp.sqrt((x * x).sum(axis=ax, keepdims=kd))
        elif p == math.inf:
            out = xp.abs(x).max(axis=ax, keepdims=kd)
        elif p == -math.inf:
            out = xp.abs(x).min(axis=ax, keepdims=kd)
        elif p == 0:
            out = (x != 0).sum(axis=ax, keepdims=kd).astype(x.dtype)
        elif p == 1:
            out = xp.abs(x).sum(axis=ax, keepdims=kd)
        else:
            out = (xp.abs(x) ** p).sum(axis=ax, keepdims=kd) ** (1.0 / p)
        self.out = xp.asarray(out, dtype=x.dtype)
        return self.out

    def backward(self, gy):
        (x,) = self.inputs
        p = self.p
        gy = as_keepdim(gy, x.shape, self.axes, self.keepdim)
        if p == 0:
            return gy * Tensor._make(x.xp.zeros(x.shape, dtype=x.dtype))
        if p == 1:
            return gy * sign(x)
        n = as_keepdim(self.output(), x.shape, self.axes, self.keepdim)
        if p in (math.inf, -math.inf):
            xp = x.xp
            tie = xp.abs(x._data) == n._data
            weight = tie / tie.sum(axis=self.axes, keepdims=True).astype(x.dtype)
            return gy * sign(x) * Tensor._make(weight.astype(x.dtype, copy=False))
        n_safe = n + Tensor._make((n._data == 0).astype(x.dtype))  # 0 -> 1: no 0/0
        if p == 2:
            return gy * x / n_safe
        a_safe = x.abs() + Tensor._make((x._data == 0).astype(x.dtype))
        return gy * sign(x) * (a_safe / n_safe) ** (p - 1)


def norm(x, p="fro", dim=None, keepdim: bool = False, dtype=None):
    """The ``p``-norm of ``x`` over ``dim`` (all elements by default).

    Parameters
    ----------
    x : Tensor
        A floating-point tensor.
    p : {'fro', number, inf, -inf}
        ``'fro'`` (the default) and ``2``: the Euclidean norm; any other number: the
        vector ``p``-norm; ``inf``/``-inf``: the largest/smallest absolute value;
        ``0``: the number of non-zero elements.
    dim : int or tuple of int, optional
        The dimensions to reduce.
    keepdim : bool
        Keep the reduced dimensions with size 1.
    dtype : dtype, optional
        Cast to it first.

    Returns
    -------
    Tensor

    Raises
    ------
    RuntimeError
        For a tensor that is not floating point, or ``p='nuc'`` (not supported).

    Examples
    --------
    >>> import minigrad
    >>> x = minigrad.tensor([[3.0, 4.0], [0.0, 0.0]], requires_grad=True)
    >>> x.norm()
    tensor(5., grad_fn=<VectorNorm backward>)
    >>> y = x.norm(dim=1)
    >>> y
    tensor([5., 0.], grad_fn=<VectorNorm backward>)
    >>> y.sum().backward()
    >>> x.grad  # 0, not NaN, for the zero row
    tensor([[0.6, 0.8],
            [0. , 0. ]])
    >>> minigrad.norm(minigrad.tensor([1.0, -3.0]), p=float("inf"))
    tensor(3.)
    """
    if dtype is not None:
        x = x.to(dtype)
    if x.dtype.kind not in "fc":
        raise RuntimeError(
            f"norm: input dtype should be floating point, got {x.dtype}; cast with .float()"
        )
    if isinstance(p, str):
        if p != "fro":
            raise RuntimeError(
                f"norm: p={p!r} is not supported (matrix norms other than 'fro'); use "
                "p='fro', a number, inf or -inf"
            )
        p = 2
    p = float(p)
    axes = reduce_axes(dim, x.ndim)
    if p in (math.inf, -math.inf):
        for a in axes if x.ndim else ():
            if x.shape[a] == 0:
                raise RuntimeError(
                    f"norm: expected a non-empty dimension {a} for p={p} (input shape "
                    f"{tuple(x.shape)})"
                )
    return VectorNorm(p, axes, keepdim)(x)


def dist(a, b, p=2):
    """The ``p``-norm of ``a - b`` (they broadcast).

    Parameters
    ----------
    a, b : Tensor
        Floating-point tensors.
    p : number
        As in :func:`norm`.

    Returns
    -------
    Tensor
        0-d.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.dist(minigrad.tensor([0.0, 0.0]), minigrad.tensor([3.0, 4.0]))
    tensor(5.)
    """
    return norm(a - b, p)


def cdist(x1, x2, p: float = 2.0, compute_mode=None):
    """Pairwise ``p``-norm distances between the rows of ``x1`` and of ``x2``.

    Parameters
    ----------
    x1 : Tensor
        Shape ``(..., P, M)``.
    x2 : Tensor
        Shape ``(..., R, M)`` (leading dimensions broadcast).
    p : float
        The norm (2: Euclidean). The gradient at zero distance is 0, as in PyTorch.
    compute_mode : str, optional
        Accepted for PyTorch compatibility (the distances are computed directly).

    Returns
    -------
    Tensor
        Shape ``(..., P, R)``.

    Raises
    ------
    RuntimeError
        If the rows have different lengths or the inputs are not at least 2-d.

    Examples
    --------
    >>> import minigrad
    >>> a = minigrad.tensor([[0.0, 0.0], [1.0, 1.0]])
    >>> minigrad.cdist(a, minigrad.tensor([[0.0, 0.0], [3.0, 4.0]]))
    tensor([[0.    , 5.    ],
            [1.4142, 3.6056]])
    """
    if x1.ndim < 2 or x2.ndim < 2 or x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(
            f"cdist: expected inputs of shape (..., P, M) and (..., R, M), got "
            f"{tuple(x1.shape)} and {tuple(x2.shape)}"
        )
    return norm(x1.unsqueeze(-2) - x2.unsqueeze(-3), p, dim=-1)
