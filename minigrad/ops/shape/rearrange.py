"""Rearranging elements without arithmetic: ``flip`` (``fliplr``, ``flipud``), ``roll``,
``repeat``, ``tile``, ``repeat_interleave``, ``narrow``, ``select``, ``unbind``,
``movedim``, ``unflatten`` and the sliding windows of ``unfold``.

``flip`` and ``roll`` permute elements along dimensions: each one's gradient is the
inverse permutation (``flip`` again, ``roll`` by the opposite shift). ``repeat`` copies
the tensor into a grid of tiles; its gradient sums the tiles back (a reshape and a sum,
so it is differentiable again). The others are views or selections built from
:func:`~minigrad.ops.shape.indexing.getitem`, :func:`~minigrad.ops.shape.shape.split` and
:func:`~minigrad.ops.shape.shape.permute`, and take their gradients from those ops.
"""

from __future__ import annotations

from minigrad import backend
from minigrad.autograd.function import Function
from minigrad.ops._dims import dim_index
from minigrad.ops.shape.indexing import getitem
from minigrad.ops.shape.shape import _shape_arg, permute, reshape, split
from minigrad.tensor import Tensor

__all__ = [
    "flip", "fliplr", "flipud", "roll", "repeat", "tile", "repeat_interleave", "narrow",
    "select", "unbind", "movedim", "moveaxis", "unflatten", "unfold",
]  # fmt: skip


def _dims(dims, ndim, op):
    """A tuple of distinct non-negative axes from an int or a sequence of ints."""
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    axes = tuple(dim_index(d, max(ndim, 1), op) for d in dims)
    if len(set(axes)) != len(axes):
        raise RuntimeError(f"{op}: dims {list(dims)} has a dimension more than once")
    return axes


class Flip(Function):
    uses_input_values = False  # backward reads only shapes

    def __init__(self, axes):
        self.axes = axes

    def forward(self, x):  # a copy, as in PyTorch (a view would have negative strides)
        xp = backend.array_module(x)
        return xp.ascontiguousarray(xp.flip(x, self.axes))

    def backward(self, gy):
        return Flip(self.axes)(gy)


def flip(x, dims):
    """Reverse the order of elements along ``dims``.

    Parameters
    ----------
    x : Tensor
        Input.
    dims : int or sequence of int
        The dimensions to reverse.

    Returns
    -------
    Tensor
        The flipped tensor; its gradient is the output gradient flipped back.

    Raises
    ------
    IndexError
        For a dimension out of range.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.flip(minigrad.tensor([[1, 2], [3, 4]]), [0, 1])
    tensor([[4, 3],
            [2, 1]])
    """
    axes = _dims(dims, x.ndim, "flip")
    if not axes or x.ndim == 0:
        return x
    return Flip(axes)(x)


def fliplr(x):
    """Reverse the columns (dimension 1) of an at-least-2-d tensor.

    Parameters
    ----------
    x : Tensor
        At least 2-d.

    Returns
    -------
    Tensor

    Examples
    --------
    >>> import minigrad
    >>> minigrad.fliplr(minigrad.tensor([[1, 2], [3, 4]]))
    tensor([[2, 1],
            [4, 3]])
    """
    if x.ndim < 2:
        raise RuntimeError(f"fliplr: input must be at least 2-d, got {x.ndim}-d")
    return flip(x, (1,))


def flipud(x):
    """Reverse the rows (dimension 0) of an at-least-1-d tensor.

    Parameters
    ----------
    x : Tensor
        At least 1-d.

    Returns
    -------
    Tensor

    Examples
    --------
    >>> import minigrad
    >>> minigrad.flipud(minigrad.tensor([[1, 2], [3, 4]]))
    tensor([[3, 4],
            [1, 2]])
    """
    if x.ndim < 1:
        raise RuntimeError("flipud: input must be at least 1-d")
    return flip(x, (0,))


class Roll(Function):
    uses_input_values = False  # backward reads only shapes

    def __init__(self, shifts, axes):
        self.shifts, self.axes = shifts, axes

    def forward(self, x):
        return backend.array_module(x).roll(x, self.shifts, self.axes)

    def backward(self, gy):
        return Roll(tuple(-s for s in self.shifts), self.axes)(gy)


def roll(x, shifts, dims=None):
    """Shift elements along ``dims`` cyclically (elements leaving one end re-enter at
    the other).

    Parameters
    ----------
    x : Tensor
        Input.
    shifts : int or sequence of int
        How far to shift; positive moves elements towards higher indices.
    dims : int or sequence of int, optional
        The dimensions to roll, one per shift. Without ``dims`` the tensor is rolled as
        if flattened, then given its shape back.

    Returns
    -------
    Tensor
        The rolled tensor; the gradient is rolled back by the opposite shifts.

    Raises
    ------
    RuntimeError
        If ``shifts`` and ``dims`` differ in length.

    Examples
    --------
    >>> import minigrad
    >>> x = minigrad.arange(6).reshape(2, 3)
    >>> minigrad.roll(x, 1, 1)
    tensor([[2, 0, 1],
            [5, 3, 4]])
    >>> x.roll(1)
    tensor([[5, 0, 1],
            [2, 3, 4]])
    """
    shifts = (shifts,) if isinstance(shifts, int) else tuple(int(s) for s in shifts)
    if dims is None:
        if len(shifts) != 1:
            raise RuntimeError(
                f"roll: without dims, shifts must be a single int, got {list(shifts)}"
            )
        if x.numel() == 0:
            return x
        return reshape(Roll(shifts, (0,))(reshape(x, -1)), x.shape)
    axes = (dims,) if isinstance(dims, int) else tuple(dims)
    if len(axes) != len(shifts):
        raise RuntimeError(
            f"roll: shifts and dims must have the same length, got shifts {list(shifts)} "
            f"and dims {list(axes)}"
        )
    axes = tuple(dim_index(d, max(x.ndim, 1), "roll") for d in axes)
    if x.ndim == 0:
        return x
    return Roll(shifts, axes)(x)


class Repeat(Function):
    """Tile ``x`` (already padded to ``len(reps)`` dimensions) ``reps`` times; the
    gradient sums the tiles, as a reshape and a sum (differentiable again)."""

    uses_input_values = False  # backward reads only shapes

    def __init__(self, reps):
        self.reps = reps

    def forward(self, x):
        self.in_shape = x.shape
        return backend.array_module(x).tile(x, self.reps)

    def backward(self, gy):
        grid = []
        for r, s in zip(self.reps, self.in_shape):
            grid += [r, s]
        return gy.reshape(grid).sum(dim=tuple(range(0, len(grid), 2))).reshape(self.in_shape)


def repeat(x, *sizes):
    """Repeat the whole tensor ``sizes[i]`` times along dimension ``i`` (PyTorch's
    ``Tensor.repeat``; NumPy's ``tile`` with leading dimensions added).

    Parameters
    ----------
    x : Tensor
        Input.
    *sizes : int or tuple of int
        Repetitions per dimension; at least ``x.ndim`` of them. Extra leading ones add
        new dimensions.

    Returns
    -------
    Tensor
        Of shape ``sizes[i] * padded_shape[i]``; the gradient sums the copies.

    Raises
    ------
    RuntimeError
        If fewer sizes than dimensions are given, or a size is negative.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.tensor([1, 2]).repeat(2, 2)
    tensor([[1, 2, 1, 2],
            [1, 2, 1, 2]])
    """
    reps = _shape_arg(sizes)
    if len(reps) < x.ndim:
        raise RuntimeError(
            f"repeat: number of dimensions of repeat dims ({len(reps)}) can not be smaller "
            f"than the number of dimensions of the tensor ({x.ndim}, shape {tuple(x.shape)})"
        )
    if any(r < 0 for r in reps):
        raise RuntimeError(f"repeat: repeats must be non-negative, got {list(reps)}")
    padded = (1,) * (len(reps) - x.ndim) + tuple(x.shape)
    return Repeat(tuple(reps))(reshape(x, padded))


def tile(x, dims):
    """Repeat ``x`` like :func:`repeat`; with fewer ``dims`` than dimensions, the missing
    leading ones are 1 (PyTorch's ``tile``).

    Parameters
    ----------
    x : Tensor
        Input.
    dims : int or sequence of int
        Repetitions per (trailing) dimension.

    Returns
    -------
    Tensor

    Examples
    --------
    >>> import minigrad
    >>> minigrad.tile(minigrad.tensor([[1, 2]]), (2,))
    tensor([[1, 2, 1, 2]])
    """
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    return repeat(x, (1,) * (x.ndim - len(dims)) + dims)


def repeat_interleave(x, repeats, dim=None, *, output_size=None):
    """Repeat each element ``repeats`` times along ``dim`` (consecutively, unlike
    :func:`repeat`).

    Parameters
    ----------
    x : Tensor
        Input.
    repeats : int or Tensor
        Repetitions: one number for all, or one per element along ``dim``.
    dim : int, optional
        The dimension; without it, ``x`` is flattened first.
    output_size : int, optional
        Accepted for PyTorch compatibility (the total size along ``dim``).

    Returns
    -------
    Tensor
        The gradient of each element sums the gradients of its copies.

    Raises
    ------
    RuntimeError
        If ``repeats`` does not have one entry per element, or has a negative one.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.tensor([1, 2]).repeat_interleave(2)
    tensor([1, 1, 2, 2])
    >>> minigrad.tensor([[1, 2], [3, 4]]).repeat_interleave(minigrad.tensor([1, 2]), dim=0)
    tensor([[1, 2],
            [3, 4],
            [3, 4]])
    """
    if dim is None:
        x, dim = reshape(x, -1), 0
    axis = dim_index(dim, max(x.ndim, 1), "repeat_interleave")
    if x.ndim == 0:
        x = reshape(x, 1)
    xp = x.xp
    n = x.shape[axis]
    reps = repeats._data if isinstance(repeats, Tensor) else xp.asarray(repeats)
    if reps.ndim == 0 or reps.size == 1:
        reps = xp.full(n, int(reps.reshape(())), dtype=xp.int64)
    if reps.shape != (n,) or bool((reps < 0).any()):
        raise RuntimeError(
            f"repeat_interleave: repeats must be a non-negative int or have one entry per "
            f"element of dimension {axis} ({n}), got shape {tuple(reps.shape)}"
        )
    idx = xp.repeat(xp.arange(n), reps)
    return getitem(x, (slice(None),) * axis + (idx,))


def narrow(x, dim: int, start, length: int):
    """The slice ``start : start + length`` of dimension ``dim`` (a view).

    Parameters
    ----------
    x : Tensor
        Input.
    dim : int
        The dimension to narrow.
    start : int or Tensor
        First index (negative counts from the end).
    length : int
        Number of elements kept.

    Returns
    -------
    Tensor

    Raises
    ------
    RuntimeError
        If the slice does not fit inside the dimension.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.arange(6).reshape(2, 3).narrow(1, 1, 2)
    tensor([[1, 2],
            [4, 5]])
    """
    if x.ndim == 0:
        raise RuntimeError("narrow: cannot be applied to a 0-dim tensor")
    axis = dim_index(dim, x.ndim, "narrow")
    n = x.shape[axis]
    start = int(start)
    if not -n <= start <= n:
        raise IndexError(f"narrow: start ({start}) out of range for dimension {axis} of size {n}")
    if start < 0:
        start += n
    if length < 0 or start + length > n:
        raise RuntimeError(
            f"narrow: start ({start}) + length ({length}) exceeds dimension size ({n}) of "
            f"dimension {axis} of a tensor of shape {tuple(x.shape)}"
        )
    return getitem(x, (slice(None),) * axis + (slice(start, start + length),))


def select(x, dim: int, index: int):
    """The slice at ``index`` of dimension ``dim``, which is removed (``x[:, index]`` for
    ``dim=1``; a view).

    Parameters
    ----------
    x : Tensor
        Input.
    dim : int
        The dimension.
    index : int
        Position along it (negative counts from the end).

    Returns
    -------
    Tensor

    Raises
    ------
    IndexError
        For an index out of range.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.arange(6).reshape(2, 3).select(1, -1)
    tensor([2, 5])
    """
    if x.ndim == 0:
        raise IndexError("select: cannot be applied to a 0-dim tensor")
    axis = dim_index(dim, x.ndim, "select")
    n = x.shape[axis]
    index = int(index)
    if not -n <= index < n:
        raise IndexError(
            f"select: index {index} out of range for tensor of size {list(x.shape)} at "
            f"dimension {axis}"
        )
    return getitem(x, (slice(None),) * axis + (index % n,))


def unbind(x, dim: int = 0):
    """All slices along ``dim``, as a tuple of tensors without that dimension.

    Parameters
    ----------
    x : Tensor
        Input.
    dim : int
        The dimension to take apart.

    Returns
    -------
    tuple of Tensor
        One view per index; their gradients are put back together in one step.

    Examples
    --------
    >>> import minigrad
    >>> a, b = minigrad.unbind(minigrad.tensor([[1, 2], [3, 4]]), dim=1)
    >>> a, b
    (tensor([1, 3]), tensor([2, 4]))
    """
    if x.ndim == 0:
        raise RuntimeError("unbind: dimension specified as 0 but tensor has no dimensions")
    axis = dim_index(dim, x.ndim, "unbind")
    if x.shape[axis] == 0:
        return ()
    shape = x.shape[:axis] + x.shape[axis + 1 :]
    return tuple(reshape(p, shape) for p in split(x, 1, axis))


def movedim(x, source, destination):
    """Move dimension(s) ``source`` to position(s) ``destination``; the others keep their
    order (a view).

    Parameters
    ----------
    x : Tensor
        Input.
    source, destination : int or sequence of int
        Where the dimensions are, and where they go (same length).

    Returns
    -------
    Tensor

    Raises
    ------
    RuntimeError
        If the lengths differ or a dimension repeats.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.zeros(2, 3, 4).movedim(0, -1).shape
    (3, 4, 2)
    >>> minigrad.zeros(2, 3, 4).movedim((0, 1), (2, 0)).shape
    (3, 4, 2)
    """
    src = _dims(source, x.ndim, "movedim")
    dst = _dims(destination, x.ndim, "movedim")
    if len(src) != len(dst):
        raise RuntimeError(
            f"movedim: invalid source or destination dims: source ({list(src)}) and "
            f"destination ({list(dst)}) must have the same number of elements"
        )
    if x.ndim == 0:
        return x
    order = [d for d in range(x.ndim) if d not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return permute(x, tuple(order))


moveaxis = movedim


def unflatten(x, dim: int, sizes):
    """Split dimension ``dim`` into the shape ``sizes`` (one entry may be -1).

    Parameters
    ----------
    x : Tensor
        Input.
    dim : int
        The dimension to expand.
    sizes : sequence of int
        Its new shape; the product must equal ``x.shape[dim]``.

    Returns
    -------
    Tensor

    Raises
    ------
    RuntimeError
        If the sizes do not multiply to the dimension's size.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.zeros(2, 12).unflatten(1, (3, -1)).shape
    (2, 3, 4)
    """
    axis = dim_index(dim, max(x.ndim, 1), "unflatten")
    sizes = tuple(sizes)
    n = x.shape[axis]
    known = 1
    for s in sizes:
        known *= s if s != -1 else 1
    if sizes.count(-1) > 1 or (
        -1 not in sizes and known != n or -1 in sizes and (known == 0 or n % known)
    ):
        raise RuntimeError(
            f"unflatten: provided sizes {list(sizes)} don't multiply up to the size of "
            f"dim {axis} ({n}) in the input tensor of shape {tuple(x.shape)}"
        )
    return reshape(x, x.shape[:axis] + sizes + x.shape[axis + 1 :])


def unfold(x, dimension: int, size: int, step: int):
    """All windows of ``size`` elements along ``dimension``, ``step`` apart (PyTorch's
    ``Tensor.unfold``): ``dimension`` becomes the window count and a new last dimension
    holds each window. The gradient adds up where windows overlap.

    Parameters
    ----------
    x : Tensor
        Input.
    dimension : int
        The dimension to slide along.
    size : int
        Window length (at most the dimension's size).
    step : int
        Distance between window starts (positive).

    Returns
    -------
    Tensor

    Raises
    ------
    RuntimeError
        For a window longer than the dimension or a step that is not positive.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.arange(5).unfold(0, 3, 1)
    tensor([[0, 1, 2],
            [1, 2, 3],
            [2, 3, 4]])
    """
    axis = dim_index(dimension, max(x.ndim, 1), "unfold")
    n = x.shape[axis] if x.ndim else 1
    if size > n or size < 0 or step <= 0:
        raise RuntimeError(
            f"unfold: size ({size}) must be in [0, {n}] (the size of dimension {axis}) and "
            f"step ({step}) positive"
        )
    if x.ndim == 0:
        x, axis = reshape(x, (1,)), 0
    xp = x.xp
    idx = xp.arange(0, n - size + 1, step)[:, None] + xp.arange(size)[None, :]
    w = getitem(x, (slice(None),) * axis + (idx,))  # (..., windows, size, ...)
    return movedim(w, axis + 1, -1)
