"""Masks: replacing elements (``masked_fill``, ``tril``, ``triu``, ``nan_to_num``),
reading them (``masked_select``, ``nonzero``/``argwhere``) and reductions that mask NaN
(``nansum``, ``nanmean``).

The gradient of the kept elements passes unchanged and that of the replaced ones is
zero; it is *selected* (the same op applied to the gradient), never multiplied by the
mask, so an infinite upstream gradient stays finite where it is masked out, as in
PyTorch. ``tril``/``triu`` keep a triangle of the last two dimensions (a fixed mask).
"""

from __future__ import annotations

from minigrad import backend
from minigrad.autograd.function import Function
from minigrad.tensor import Tensor

__all__ = [
    "masked_fill", "masked_select", "nonzero", "argwhere", "nan_to_num", "nansum", "nanmean",
    "tril", "triu",
]  # fmt: skip


class MaskedFill(Function):
    """``where(mask, value, x)`` with a fixed bool ``mask``; ``value`` is a Python number
    (a constant) or a 0-d tensor input (its gradient sums the masked gradient)."""

    def __init__(self, mask, value=None):
        self.mask, self.value = mask, value

    def forward(self, x, value=None):
        xp = backend.array_module(x)
        v = self.value if value is None else value
        shape = backend.np.broadcast_shapes(x.shape, self.mask.shape)
        out = xp.array(xp.broadcast_to(x, shape))  # a copy of PyTorch's broadcast shape
        xp.copyto(out, xp.asarray(v).astype(x.dtype, copy=False), where=self.mask)
        self.in_shape = x.shape
        return out

    def backward(self, gy):
        from minigrad.autograd.function import sum_to

        gx = sum_to(MaskedFill(self.mask, 0)(gy), self.in_shape)
        if len(self.inputs) == 1:
            return gx
        gv = MaskedFill(~self.mask, 0)(gy).sum()
        return gx, gv


def masked_fill(x, mask, value):
    """``x`` with ``value`` where ``mask`` is true (``mask`` broadcasts against ``x``).

    Parameters
    ----------
    x : Tensor
        Input.
    mask : Tensor
        A bool tensor broadcastable with ``x``.
    value : number or Tensor
        The fill value: a Python number, or a 0-d tensor (which then gets the sum of the
        gradient at the filled positions). Cast to ``x``'s dtype.

    Returns
    -------
    Tensor
        Of the broadcast shape of ``x`` and ``mask``; the gradient of ``x`` is zero where
        it was replaced.

    Raises
    ------
    RuntimeError
        For a mask that is not bool, a value tensor that is not 0-d, or shapes that do
        not broadcast.

    Examples
    --------
    >>> import minigrad
    >>> scores = minigrad.tensor([[1.0, 2.0], [3.0, 4.0]])
    >>> scores.masked_fill(minigrad.tensor([[False, True], [False, False]]), float("-inf"))
    tensor([[ 1., -inf],
            [ 3.,  4.]])
    """
    m = mask._data if isinstance(mask, Tensor) else x.xp.asarray(mask)
    if m.dtype.kind != "b":
        raise RuntimeError(
            f"masked_fill: only boolean masks are supported, but got mask with dtype {m.dtype}"
        )
    try:
        backend.np.broadcast_shapes(x.shape, m.shape)
    except ValueError:
        raise RuntimeError(
            f"masked_fill: the mask of shape {tuple(m.shape)} does not broadcast with the "
            f"input of shape {tuple(x.shape)}"
        ) from None
    if backend.device_of(m) != x.device:
        raise RuntimeError(
            f"masked_fill: expected the mask on the input's device {x.device}, got "
            f"{backend.device_of(m)}"
        )
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError(
                f"masked_fill: only a 0-dimensional value tensor is supported, but got a "
                f"tensor with {value.ndim} dimension(s)"
            )
        if value.requires_grad:
            return MaskedFill(m)(x, value)
        value = value.item()
    return MaskedFill(m, value)(x)


class _Triangle(Function):
    uses_input_values = False  # backward reads only shapes
    upper = False

    def __init__(self, k):
        self.k = k

    def forward(self, x):
        xp = backend.array_module(x)
        return (xp.triu if self.upper else xp.tril)(x, self.k)

    def backward(self, gy):
        return type(self)(self.k)(gy)


class Tril(_Triangle):
    upper = False


class Triu(_Triangle):
    upper = True


def _triangle(cls, op, x, diagonal):
    if x.ndim < 2:
        raise RuntimeError(f"{op}: input tensor must have at least 2 dimensions, got {x.ndim}")
    return cls(int(diagonal))(x)


def tril(x, diagonal: int = 0):
    """The lower triangle of the last two dimensions; the rest set to zero.

    Parameters
    ----------
    x : Tensor
        At least 2-d (the leading dimensions are a batch).
    diagonal : int
        Which diagonal bounds the triangle: 0 the main one, positive above it,
        negative below.

    Returns
    -------
    Tensor

    Raises
    ------
    RuntimeError
        For a tensor of fewer than 2 dimensions.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.tril(minigrad.ones(3, 3))
    tensor([[1., 0., 0.],
            [1., 1., 0.],
            [1., 1., 1.]])
    """
    return _triangle(Tril, "tril", x, diagonal)


def triu(x, diagonal: int = 0):
    """The upper triangle of the last two dimensions; the rest set to zero.

    Parameters
    ----------
    x : Tensor
        At least 2-d (the leading dimensions are a batch).
    diagonal : int
        Which diagonal bounds the triangle (see :func:`tril`).

    Returns
    -------
    Tensor

    Raises
    ------
    RuntimeError
        For a tensor of fewer than 2 dimensions.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.triu(minigrad.ones(2, 3), diagonal=1)
    tensor([[0., 1., 1.],
            [0., 0., 1.]])
    """
    return _triangle(Triu, "triu", x, diagonal)


def masked_select(x, mask):
    """The elements of ``x`` where ``mask`` is true, as a 1-d tensor (``x`` and ``mask``
    broadcast). The gradient goes back to the selected elements.

    Parameters
    ----------
    x : Tensor
        Input.
    mask : Tensor
        A bool tensor broadcastable with ``x``.

    Returns
    -------
    Tensor
        1-d, in row-major order.

    Raises
    ------
    RuntimeError
        For a mask that is not bool or shapes that do not broadcast.

    Examples
    --------
    >>> import minigrad
    >>> x = minigrad.tensor([[1.0, -2.0], [3.0, -4.0]])
    >>> minigrad.masked_select(x, x > 0)
    tensor([1., 3.])
    """
    from minigrad.ops.shape.indexing import getitem

    m = mask._data if isinstance(mask, Tensor) else x.xp.asarray(mask)
    if m.dtype.kind != "b":
        raise RuntimeError(f"masked_select: expected a bool mask, got dtype {m.dtype}")
    try:
        shape = backend.np.broadcast_shapes(x.shape, m.shape)
    except ValueError:
        raise RuntimeError(
            f"masked_select: the mask of shape {tuple(m.shape)} does not broadcast with the "
            f"input of shape {tuple(x.shape)}"
        ) from None
    if tuple(x.shape) != shape:
        x = x.expand(shape)
    return getitem(x, x.xp.broadcast_to(m, shape))


def nonzero(x, *, as_tuple: bool = False):
    """The indices of the non-zero (true) elements, in row-major order.

    Parameters
    ----------
    x : Tensor
        Input.
    as_tuple : bool
        Return one 1-d index tensor per dimension (usable as ``x[idx]``) instead of one
        ``(count, ndim)`` tensor.

    Returns
    -------
    Tensor or tuple of Tensor
        int64 indices.

    Examples
    --------
    >>> import minigrad
    >>> m = minigrad.tensor([[0, 1], [2, 0]])
    >>> minigrad.nonzero(m)
    tensor([[0, 1],
            [1, 0]])
    >>> m.nonzero(as_tuple=True)
    (tensor([0, 1]), tensor([1, 0]))
    """
    xp = x.xp
    d = x._data
    if d.ndim == 0:
        k = int(bool(d))
        if as_tuple:
            return (Tensor._make(xp.zeros(k, dtype=xp.int64)),)
        return Tensor._make(xp.zeros((k, 0), dtype=xp.int64))
    idx = tuple(i.astype(xp.int64, copy=False) for i in xp.nonzero(d))
    if as_tuple:
        return tuple(Tensor._make(i) for i in idx)
    return Tensor._make(xp.stack(idx, axis=1))


def argwhere(x):
    """The ``(count, ndim)`` indices of the non-zero elements (:func:`nonzero`).

    Parameters
    ----------
    x : Tensor
        Input.

    Returns
    -------
    Tensor
        int64 indices.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.argwhere(minigrad.tensor([0.0, 3.0, 1.0]))
    tensor([[1],
            [2]])
    """
    return nonzero(x)


def nan_to_num(x, nan: float = 0.0, posinf=None, neginf=None):
    """Replace NaN by ``nan`` and infinities by ``posinf``/``neginf`` (default: the
    dtype's largest and smallest finite values). The gradient passes where the element
    was finite and is zero where it was replaced.

    Parameters
    ----------
    x : Tensor
        Input.
    nan, posinf, neginf : float, optional
        The replacements.

    Returns
    -------
    Tensor

    Examples
    --------
    >>> import minigrad
    >>> minigrad.nan_to_num(minigrad.tensor([float("nan"), float("inf"), 1.0]), posinf=9.0)
    tensor([0., 9., 1.])
    """
    if x.dtype.kind not in "fc":
        return x.clone()
    info = backend.np.finfo(x.dtype)
    xp, d = x.xp, x._data
    out = x
    for mask, v in ((xp.isnan(d), nan), (xp.isposinf(d), info.max if posinf is None else posinf),
                    (xp.isneginf(d), info.min if neginf is None else neginf)):  # fmt: skip
        if bool(mask.any()):
            out = MaskedFill(mask, v)(out)
    return out if out is not x else x.clone()


def nansum(x, dim=None, keepdim: bool = False, *, dtype=None):
    """The sum with NaN taken as zero (their gradient is zero).

    Parameters
    ----------
    x : Tensor
        Input.
    dim : int or tuple of int, optional
        Dimensions to reduce (all by default).
    keepdim : bool
        Keep reduced dimensions with size 1.
    dtype : dtype, optional
        Cast to it first.

    Returns
    -------
    Tensor

    Examples
    --------
    >>> import minigrad
    >>> minigrad.nansum(minigrad.tensor([1.0, float("nan"), 2.0]))
    tensor(3.)
    """
    if dtype is not None:
        x = x.to(dtype)
    if x.dtype.kind in "fc":
        x = masked_fill(x, Tensor._make(x.xp.isnan(x._data)), 0.0)
    return x.sum(dim, keepdim)


def nanmean(x, dim=None, keepdim: bool = False, *, dtype=None):
    """The mean of the elements that are not NaN (NaN where all are).

    Parameters
    ----------
    x : Tensor
        A floating-point tensor.
    dim : int or tuple of int, optional
        Dimensions to reduce (all by default).
    keepdim : bool
        Keep reduced dimensions with size 1.
    dtype : dtype, optional
        Cast to it first.

    Returns
    -------
    Tensor

    Examples
    --------
    >>> import minigrad
    >>> minigrad.nanmean(minigrad.tensor([1.0, float("nan"), 3.0]))
    tensor(2.)
    """
    if dtype is not None:
        x = x.to(dtype)
    if x.dtype.kind not in "fc":
        raise RuntimeError(f"nanmean: expected a floating point tensor, got {x.dtype}")
    ok = Tensor._make((~x.xp.isnan(x._data)).astype(x.dtype))
    return nansum(x, dim, keepdim) / ok.sum(dim, keepdim)
