"""Shape ops: reshape/view, permute/transpose, broadcast/expand, squeeze/unsqueeze,
flatten, cat/stack/split/chunk.

Reshapes and permutations are views where the array module allows; their gradients
are the inverse reshape or permutation. Joining and splitting are each other's
gradients. Indexing lives in :mod:`minigrad.ops.shape.indexing`, padding in
:mod:`minigrad.ops.shape.pad`.
"""

from __future__ import annotations

from minigrad import backend
from minigrad.autograd.function import Function, sum_to
from minigrad.ops._dims import dim_index
from minigrad.ops.math.promotion import result_dtype
from minigrad.ops.shape.indexing import getitem
from minigrad.tensor import Tensor

__all__ = [
    "reshape", "permute", "transpose", "broadcast_to", "expand", "squeeze", "unsqueeze",
    "flatten", "cat", "stack", "split", "chunk",
    "ravel", "t",
]  # fmt: skip


def _shape_arg(shape):
    if len(shape) == 1 and isinstance(shape[0], tuple | list):
        return tuple(shape[0])
    return tuple(shape)


class Reshape(Function):
    is_view = True
    uses_input_values = False  # backward reads only shapes

    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        self.in_shape = x.shape
        return x.reshape(self.shape)

    def backward(self, gy):
        return reshape(gy, self.in_shape)


def reshape(x, *shape):
    """A tensor with the same data and a new shape (a view when possible).

    Parameters
    ----------
    x : Tensor
    *shape : int or tuple of int
        The new shape; one dimension may be ``-1``, inferred from the others.

    Returns
    -------
    Tensor

    Raises
    ------
    RuntimeError
        If the number of elements does not match.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.arange(6).reshape(2, 3)
    tensor([[0, 1, 2],
            [3, 4, 5]])
    """
    shape = _shape_arg(shape)
    if shape == x.shape:
        return x
    if any(s < -1 for s in shape) or shape.count(-1) > 1:
        raise RuntimeError(
            f"reshape: shape {list(shape)} is invalid (sizes must be non-negative, with at "
            f"most one -1 to infer) for input of shape {tuple(x.shape)}"
        )
    try:
        return Reshape(shape)(x)
    except ValueError:
        raise RuntimeError(
            f"reshape: shape {list(shape)} is invalid for input of size {x.numel()} "
            f"(shape {tuple(x.shape)})"
        ) from None


class Permute(Function):
    is_view = True
    uses_input_values = False  # backward reads only shapes

    def __init__(self, axes):
        self.axes = axes

    def forward(self, x):
        return x.transpose(self.axes)

    def backward(self, gy):
        inv = [0] * len(self.axes)
        for i, a in enumerate(self.axes):
            inv[a] = i
        return permute(gy, tuple(inv))


def permute(x, *dims):
    """Reorder dimensions (a view).

    Parameters
    ----------
    x : Tensor
    *dims : int or tuple of int
        A permutation of ``range(x.ndim)`` (negative values count from the end).

    Returns
    -------
    Tensor

    Raises
    ------
    RuntimeError
        If ``dims`` is not a permutation of the dimensions.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.zeros(2, 3, 4).permute(2, 0, 1).shape
    (4, 2, 3)
    """
    dims = _shape_arg(dims)
    if len(dims) != x.ndim or sorted(d % max(x.ndim, 1) for d in dims) != list(range(x.ndim)):
        raise RuntimeError(
            f"permute: dims {list(dims)} is not a permutation of the {x.ndim} dimensions "
            f"of a tensor of shape {tuple(x.shape)}"
        )
    dims = tuple(d % x.ndim for d in dims)
    if dims == tuple(range(x.ndim)):
        return x
    return Permute(dims)(x)


def transpose(x, dim0: int, dim1: int):
    """Swap two dimensions (a view).

    Parameters
    ----------
    x : Tensor
    dim0, dim1 : int

    Returns
    -------
    Tensor

    Raises
    ------
    IndexError
        For a dimension out of range.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.zeros(2, 3).transpose(0, 1).shape
    (3, 2)
    """
    n = x.ndim
    axes = list(range(n))
    if n == 0:
        return x
    dim0, dim1 = dim_index(dim0, n, "transpose"), dim_index(dim1, n, "transpose")
    axes[dim0], axes[dim1] = axes[dim1], axes[dim0]
    return permute(x, tuple(axes))


class BroadcastTo(Function):
    is_view = True
    uses_input_values = False  # backward reads only shapes

    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        self.in_shape = x.shape
        return backend.array_module(x).broadcast_to(x, self.shape)

    def backward(self, gy):
        return sum_to(gy, self.in_shape)


def broadcast_to(x, shape):
    """``x`` broadcast to ``shape`` (a read-only view); the gradient is summed back.

    Parameters
    ----------
    x : Tensor
    shape : tuple of int

    Returns
    -------
    Tensor

    Raises
    ------
    RuntimeError
        If ``x`` cannot be broadcast to ``shape``.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.broadcast_to(minigrad.tensor([1.0, 2.0]), (2, 2))
    tensor([[1., 2.],
            [1., 2.]])
    """
    shape = tuple(shape)
    if shape == x.shape:
        return x
    try:
        return BroadcastTo(shape)(x)
    except ValueError:
        raise RuntimeError(
            f"broadcast_to: the shape {tuple(x.shape)} cannot be broadcast to {shape}"
        ) from None


def expand(x, *sizes):
    """Broadcast to ``sizes``; ``-1`` keeps a dimension's size (PyTorch's ``expand``).

    Parameters
    ----------
    x : Tensor
        Input.
    *sizes : int or tuple of ints
        The target shape; ``-1`` keeps a size.

    Returns
    -------
    Tensor
        A broadcast view.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.tensor([[1.0], [2.0]]).expand(-1, 3)
    tensor([[1., 1., 1.],
            [2., 2., 2.]])
    """
    sizes = _shape_arg(sizes)
    lead = len(sizes) - x.ndim
    if lead < 0:
        raise RuntimeError(
            f"expand: the number of sizes provided ({len(sizes)}) must be greater or equal "
            f"to the number of dimensions in the tensor ({x.ndim})"
        )
    if any(s == -1 for s in sizes[:lead]):
        raise RuntimeError(
            f"expand: -1 is not allowed for a new leading dimension (sizes {list(sizes)} "
            f"for a tensor of shape {tuple(x.shape)})"
        )
    shape = tuple(x.shape[i - lead] if s == -1 else s for i, s in enumerate(sizes))
    return broadcast_to(x, shape)


def squeeze(x, dim=None):
    """Remove dimensions of size 1 (all, or those in ``dim``; others are kept).

    Parameters
    ----------
    x : Tensor
    dim : int or tuple of int, optional

    Returns
    -------
    Tensor

    Raises
    ------
    IndexError
        For a dimension out of range.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.zeros(1, 3, 1).squeeze().shape
    (3,)
    """
    if dim is None:
        shape = tuple(s for s in x.shape if s != 1)
    else:
        n = max(x.ndim, 1)
        dims = {dim_index(d, n, "squeeze") for d in ((dim,) if isinstance(dim, int) else dim)}
        shape = tuple(s for i, s in enumerate(x.shape) if not (i in dims and s == 1))
    return reshape(x, shape)


def unsqueeze(x, dim: int):
    """Insert a dimension of size 1 at ``dim``.

    Parameters
    ----------
    x : Tensor
        Input.
    dim : int
        Position of the new dimension, in ``[-x.ndim - 1, x.ndim]``.

    Returns
    -------
    Tensor

    Examples
    --------
    >>> import minigrad
    >>> minigrad.zeros(3).unsqueeze(0).shape
    (1, 3)
    """
    n = x.ndim + 1
    if not -n <= dim < n:
        raise IndexError(f"unsqueeze: dim {dim} out of range for a {x.ndim}-d tensor")
    dim %= n
    return reshape(x, x.shape[:dim] + (1,) + x.shape[dim:])


def flatten(x, start_dim: int = 0, end_dim: int = -1):
    """Merge dimensions ``start_dim`` to ``end_dim`` (inclusive) into one.

    Parameters
    ----------
    x : Tensor
    start_dim, end_dim : int

    Returns
    -------
    Tensor

    Raises
    ------
    IndexError
        For a dimension out of range.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.zeros(2, 3, 4).flatten(1).shape
    (2, 12)
    """
    if x.ndim == 0:
        return reshape(x, (1,))
    s, e = dim_index(start_dim, x.ndim, "flatten"), dim_index(end_dim, x.ndim, "flatten")
    if s > e:
        raise RuntimeError("flatten: start_dim must come before end_dim")
    n = 1
    for d in x.shape[s : e + 1]:
        n *= d
    return reshape(x, x.shape[:s] + (n,) + x.shape[e + 1 :])


# ----------------------------------------------------------------------- join and split
class Cat(Function):
    """Concatenation; the gradient of each input is its slice of the output gradient."""

    def __init__(self, axis):
        self.axis = axis

    def forward(self, *xs):
        self.sizes = [x.shape[self.axis] for x in xs]
        dt = result_dtype(*xs)  # PyTorch's promotion (int64 with float32: float32)
        xs = [x if x.dtype == dt else x.astype(dt) for x in xs]
        return backend.array_module(xs[0]).concatenate(xs, axis=self.axis)

    def backward(self, gy):
        from minigrad.ops.math.convert import to

        lead = (slice(None),) * self.axis
        gxs, start = [], 0
        for x, n, need in zip(self.inputs, self.sizes, self.needs_input_grad):
            g = None
            if need:
                g = getitem(gy, lead + (slice(start, start + n),))
                g = g if g.dtype == x.dtype else to(g, x.dtype)
            gxs.append(g)
            start += n
        return tuple(gxs)


def cat(tensors, dim: int = 0):
    """Concatenate tensors along an existing dimension ``dim``.

    Parameters
    ----------
    tensors : sequence of Tensor
        Tensors of the same number of dimensions whose shapes agree except in ``dim``.
    dim : int
        The dimension to join along.

    Returns
    -------
    Tensor
        The joined tensor (dtypes promoted as in PyTorch; 1-d empty tensors beside
        tensors of other ranks are skipped, PyTorch's legacy rule); each input's
        gradient is its slice of the output's.

    Raises
    ------
    RuntimeError
        If the sequence is empty or the shapes disagree outside ``dim``.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.cat([minigrad.zeros(1, 2), minigrad.ones(2, 2)]).shape
    (3, 2)
    """
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("cat: expected a non-empty sequence of tensors")
    if any(t.shape == (0,) for t in tensors) and any(t.ndim != 1 for t in tensors):
        # PyTorch's legacy rule: 1-d empty tensors are skipped beside tensors of other ranks
        tensors = [t for t in tensors if t.shape != (0,)]
    ndim = tensors[0].ndim
    if ndim == 0:
        raise RuntimeError("cat: zero-dimensional tensor cannot be concatenated")
    axis = dim_index(dim, ndim, "cat")
    ref = tensors[0].shape
    for i, t in enumerate(tensors):
        if t.ndim != ndim or any(a != b for k, (a, b) in enumerate(zip(t.shape, ref)) if k != axis):
            raise RuntimeError(
                f"cat: sizes of tensors must match except in dimension {axis}: tensor 0 has "
                f"shape {tuple(ref)} but tensor {i} has shape {tuple(t.shape)}"
            )
    return Cat(axis)(*tensors)


def stack(tensors, dim: int = 0):
    """Join tensors of equal shape along a new dimension ``dim``.

    Parameters
    ----------
    tensors : sequence of Tensor
        Tensors of one shape.
    dim : int
        Where the new dimension goes (``0 <= dim <= ndim``; negative counts from the end).

    Returns
    -------
    Tensor

    Raises
    ------
    RuntimeError
        If the sequence is empty or the shapes differ.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.stack([minigrad.zeros(2), minigrad.ones(2)], dim=1)
    tensor([[0., 1.],
            [0., 1.]])
    """
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack: expected a non-empty sequence of tensors")
    ref = tensors[0].shape
    for i, t in enumerate(tensors):
        if t.shape != ref:
            raise RuntimeError(
                f"stack: expects each tensor to be equal size, but got {tuple(ref)} at entry 0 "
                f"and {tuple(t.shape)} at entry {i}"
            )
    axis = dim_index(dim, len(ref) + 1, "stack")
    return cat([unsqueeze(t, axis) for t in tensors], axis)


class Split(Function):
    """Split into pieces along an axis (one output per piece); the gradient is the
    concatenation of the pieces' gradients (zeros for pieces that got none)."""

    def __init__(self, axis, sizes):
        self.axis, self.sizes = axis, sizes

    def forward(self, x):
        lead = (slice(None),) * self.axis
        outs, start = [], 0
        for n in self.sizes:
            outs.append(x[lead + (slice(start, start + n),)])
            start += n
        return tuple(outs)

    def backward(self, *gys):
        (x,) = self.inputs
        parts = []
        for n, g in zip(self.sizes, gys):
            if g is None:
                shape = x.shape[: self.axis] + (n,) + x.shape[self.axis + 1 :]
                g = Tensor._make(x.xp.zeros(shape, dtype=x.dtype))
            parts.append(g)
        return cat(parts, self.axis)


def split(x, split_size_or_sections, dim: int = 0):
    """Split ``x`` into pieces along ``dim`` (views of ``x``).

    Parameters
    ----------
    x : Tensor
    split_size_or_sections : int or sequence of int
        An int: pieces of that size (the last may be smaller; an empty dimension gives
        one empty piece). A sequence: the size of each piece; they must add up to
        ``x.shape[dim]``.
    dim : int

    Returns
    -------
    tuple of Tensor

    Raises
    ------
    RuntimeError
        If the sizes do not add up or a split size is not positive.

    Examples
    --------
    >>> import minigrad
    >>> [p.shape for p in minigrad.arange(5).split(2)]
    [(2,), (2,), (1,)]
    >>> [p.tolist() for p in minigrad.arange(5).split([1, 4])]
    [[0], [1, 2, 3, 4]]
    """
    if x.ndim == 0:
        raise RuntimeError("split: expected a tensor with at least one dimension")
    axis = dim_index(dim, x.ndim, "split")
    n = x.shape[axis]
    if isinstance(split_size_or_sections, int):
        size = split_size_or_sections
        if size < 0 or (size == 0 and n):
            raise RuntimeError(
                f"split: split_size must be positive (0 only for an empty dimension), got "
                f"{size} for dimension {axis} of size {n}"
            )
        # an empty dimension gives one empty piece, as in PyTorch
        sizes = [n] if n == 0 else [size] * (n // size) + ([n % size] if n % size else [])
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if sum(sizes) != n or any(s < 0 for s in sizes):
            raise RuntimeError(
                f"split: split sizes {sizes} must be non-negative and sum exactly to "
                f"{n} (the size of dimension {axis} of a tensor of shape {tuple(x.shape)})"
            )
    return Split(axis, tuple(sizes))(x)


def chunk(x, chunks: int, dim: int = 0):
    """Split ``x`` into ``chunks`` pieces of (almost) equal size along ``dim``.

    Like PyTorch, every piece has ``ceil(size / chunks)`` elements except possibly the
    last, so fewer than ``chunks`` pieces may come back; an empty dimension gives
    ``chunks`` empty pieces.

    Parameters
    ----------
    x : Tensor
    chunks : int
        Number of pieces wanted (positive).
    dim : int

    Returns
    -------
    tuple of Tensor

    Raises
    ------
    RuntimeError
        If ``chunks`` is not positive.

    Examples
    --------
    >>> import minigrad
    >>> [p.tolist() for p in minigrad.arange(6).chunk(3)]
    [[0, 1], [2, 3], [4, 5]]
    """
    if chunks <= 0:
        raise RuntimeError(f"chunk: number of chunks must be greater than 0, got {chunks}")
    if x.ndim == 0:
        raise RuntimeError("chunk: expected a tensor with at least one dimension")
    n = x.shape[dim_index(dim, x.ndim, "chunk")]
    if n == 0:  # an empty dimension: ``chunks`` empty pieces, as in PyTorch
        return split(x, [0] * chunks, dim)
    return split(x, -(-n // chunks), dim)


def ravel(x):
    """The elements as a 1-d tensor (a view when possible).

    Examples
    --------
    >>> import minigrad
    >>> minigrad.ravel(minigrad.tensor([[1, 2], [3, 4]]))
    tensor([1, 2, 3, 4])
    """
    return reshape(x, -1)


def t(x):
    """Transpose of a tensor of at most 2 dimensions.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.t(minigrad.zeros(2, 3)).shape
    (3, 2)
    """
    if x.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, got {x.ndim}")
    return transpose(x, 0, -1) if x.ndim == 2 else x
