"""Shape ops: reshape/view, permute/transpose, broadcast/expand, squeeze/unsqueeze,
flatten, indexing.

Reshapes and permutations are views where the array module allows; their gradients
are the inverse reshape or permutation. Indexing's gradient scatter-adds into zeros,
so repeated integer indices accumulate correctly; that scatter is itself a Function
whose gradient is indexing again, so second derivatives work.
"""

from __future__ import annotations

from minigrad import backend
from minigrad.autograd.function import Function, sum_to
from minigrad.tensor import Tensor

__all__ = [
    "reshape", "permute", "transpose", "broadcast_to", "expand", "squeeze", "unsqueeze",
    "flatten", "getitem",
]  # fmt: skip


def _shape_arg(shape):
    if len(shape) == 1 and isinstance(shape[0], tuple | list):
        return tuple(shape[0])
    return tuple(shape)


class Reshape(Function):
    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        self.in_shape = x.shape
        return x.reshape(self.shape)

    def backward(self, gy):
        return reshape(gy, self.in_shape)


def reshape(x, *shape):
    """A tensor with the same data and a new shape (a view when possible).

    One dimension may be ``-1``, inferred from the others.

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
    try:
        return Reshape(shape)(x)
    except ValueError:
        raise RuntimeError(
            f"reshape: shape {list(shape)} is invalid for input of size {x.numel()} "
            f"(shape {tuple(x.shape)})"
        ) from None


class Permute(Function):
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
    axes[dim0 % n], axes[dim1 % n] = axes[dim1 % n], axes[dim0 % n]
    return permute(x, tuple(axes))


class BroadcastTo(Function):
    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        self.in_shape = x.shape
        return backend.array_module(x).broadcast_to(x, self.shape)

    def backward(self, gy):
        return sum_to(gy, self.in_shape)


def broadcast_to(x, shape):
    """``x`` broadcast to ``shape`` (a read-only view).

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
    shape = tuple(x.shape[i - lead] if s == -1 else s for i, s in enumerate(sizes))
    return broadcast_to(x, shape)


def squeeze(x, dim=None):
    """Remove dimensions of size 1 (all, or those in ``dim``).

    Examples
    --------
    >>> import minigrad
    >>> minigrad.zeros(1, 3, 1).squeeze().shape
    (3,)
    """
    if dim is None:
        shape = tuple(s for s in x.shape if s != 1)
    else:
        dims = {d % max(x.ndim, 1) for d in ((dim,) if isinstance(dim, int) else dim)}
        shape = tuple(s for i, s in enumerate(x.shape) if not (i in dims and s == 1))
    return reshape(x, shape)


def unsqueeze(x, dim: int):
    """Insert a dimension of size 1 at ``dim``.

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
    """Merge dimensions ``start_dim`` to ``end_dim`` into one.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.zeros(2, 3, 4).flatten(1).shape
    (2, 12)
    """
    if x.ndim == 0:
        return reshape(x, (1,))
    s, e = start_dim % x.ndim, end_dim % x.ndim
    if s > e:
        raise RuntimeError("flatten: start_dim must come before end_dim")
    n = 1
    for d in x.shape[s : e + 1]:
        n *= d
    return reshape(x, x.shape[:s] + (n,) + x.shape[e + 1 :])


# ----------------------------------------------------------------------- indexing
def _index_key(key):
    """Replace Tensors inside an indexing key by their arrays."""
    if isinstance(key, Tensor):
        return key.data
    if isinstance(key, tuple):
        return tuple(k.data if isinstance(k, Tensor) else k for k in key)
    return key


class GetItem(Function):
    def __init__(self, key):
        self.key = key

    def forward(self, x):
        self.in_shape = x.shape
        return x[self.key]

    def backward(self, gy):
        return IndexAdd(self.key, self.in_shape)(gy)


class IndexAdd(Function):
    """Scatter-add ``g`` into zeros of ``shape`` at ``key`` (the gradient of indexing);
    repeated indices accumulate. Its own gradient is indexing again."""

    def __init__(self, key, shape):
        self.key, self.shape = key, shape

    def forward(self, g):
        xp = backend.array_module(g)
        out = xp.zeros(self.shape, dtype=g.dtype)
        if _is_basic(self.key):
            out[self.key] = g  # basic indexing never repeats an element
        elif xp is backend.np:
            xp.add.at(out, self.key, g)
        else:  # cupyx's scatter_add accumulates repeated indices atomically
            import cupyx

            cupyx.scatter_add(out, self.key, g)
        return out

    def backward(self, gy):
        return GetItem(self.key)(gy)


def _is_basic(key) -> bool:
    keys = key if isinstance(key, tuple) else (key,)
    return all(k is None or k is Ellipsis or isinstance(k, int | slice) for k in keys)


def getitem(x, key):
    """``x[key]``: basic slices, integer arrays and boolean masks, as in NumPy.

    The gradient scatter-adds, so repeated indices accumulate.

    Examples
    --------
    >>> import minigrad
    >>> x = minigrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> x[[0, 0, 2]].sum().backward()
    >>> x.grad
    tensor([2., 0., 1.])
    """
    if isinstance(key, list):
        key = x.xp.asarray(key)
    key = _index_key(key)
    try:
        return GetItem(key)(x)
    except IndexError as e:
        raise IndexError(f"index {key!r} is invalid for a tensor of shape {x.shape}: {e}") from None
