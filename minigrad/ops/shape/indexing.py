"""Indexing: ``x[key]`` (basic slices, integer arrays, boolean masks) and ``gather``.

The gradient of indexing scatter-adds into zeros, so repeated integer indices
accumulate correctly; that scatter is itself a Function whose gradient is indexing
again, so second derivatives work. :func:`scatter_add` is the one helper that adds
values at possibly repeated indices, on NumPy and CuPy alike.
"""

from __future__ import annotations

from minigrad import backend
from minigrad.autograd.function import Function
from minigrad.ops._dims import dim_index
from minigrad.tensor import Tensor

__all__ = ["getitem", "gather"]


def _list_index(key, xp):
    """A list index as an array; an empty list is an empty *integer* index (PyTorch and
    NumPy's own indexing; ``asarray([])`` would be float64)."""
    arr = xp.asarray(key)
    if arr.size == 0 and arr.dtype.kind == "f":
        arr = arr.astype(xp.int64)
    return arr


def _index_key(key, xp):
    """Replace Tensors, lists and (on a GPU) NumPy arrays inside an indexing key by
    arrays of module ``xp``."""
    if isinstance(key, Tensor):
        key = key._data
    elif isinstance(key, list):
        return _list_index(key, xp)
    elif isinstance(key, tuple):
        return tuple(_index_key(k, xp) if isinstance(k, Tensor | list | backend.np.ndarray)
                     else k for k in key)  # fmt: skip
    if xp is not backend.np and isinstance(key, backend.np.ndarray):
        return xp.asarray(key)  # pragma: no cover - GPU
    return key


class GetItem(Function):
    is_view = True  # basic indexing returns a view; advanced indexing copies

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
        if _never_repeats(self.key):
            out[self.key] = g  # slices and masks never select an element twice
        else:
            scatter_add(out, self.key, g)
        return out

    def backward(self, gy):
        return GetItem(self.key)(gy)


def scatter_add(out, key, values) -> None:
    """``out[key] += values`` where repeated indices in ``key`` all add up (unlike
    ``out[key] += values``, which keeps only one of them)."""
    xp = backend.array_module(out)
    if xp is backend.np or hasattr(xp.add, "at"):
        xp.add.at(out, key, values)
    else:  # pragma: no cover - older CuPy: atomic scatter-add
        import cupyx

        cupyx.scatter_add(out, key, values)


def _never_repeats(key) -> bool:
    """True for keys of slices, ints and at most one boolean mask (no repeated element)."""
    keys = key if isinstance(key, tuple) else (key,)
    masks = 0
    for k in keys:
        if getattr(k, "dtype", None) is not None:
            if k.dtype.kind == "b":
                masks += 1
            elif k.ndim:  # an integer array may repeat; a 0-d integer cannot
                return False
        elif not (k is None or k is Ellipsis or isinstance(k, int | slice)):
            return False
    return masks <= 1


def _is_advanced(k) -> bool:
    """An array index of at least one dimension, or a bool mask of any (a Python bool
    is a 0-d mask): NumPy's advanced indices."""
    if isinstance(k, bool):
        return True
    return getattr(k, "ndim", 0) > 0 or (getattr(k, "dtype", None) is not None
                                         and k.dtype.kind == "b")  # fmt: skip


def _is_int(k) -> bool:
    """A Python int or a 0-d integer array (PyTorch treats both as a plain index)."""
    if isinstance(k, bool):
        return False
    if isinstance(k, int):
        return True
    return getattr(k, "ndim", None) == 0 and k.dtype.kind in "iu"


def _expand_ellipsis(key, ndim):
    """``key`` with its Ellipsis written out as full slices. An Ellipsis that stands for
    no dimension then disappears: NumPy would still count it as separating two array
    indices (moving their dimensions first); PyTorch does not."""
    n_ellipsis = sum(k is Ellipsis for k in key) if isinstance(key, tuple) else 0
    if not n_ellipsis:
        return key
    if n_ellipsis > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    used = 0
    for k in key:
        if k is None or k is Ellipsis or isinstance(k, bool):
            continue  # (a Python bool is a 0-d mask: it adds a dimension, uses none)
        dt = getattr(k, "dtype", None)
        used += k.ndim if dt is not None and dt.kind == "b" else 1
    i = next(j for j, k in enumerate(key) if k is Ellipsis)
    fill = (slice(None),) * max(ndim - used, 0)
    return key[:i] + fill + key[i + 1 :]


def _torch_order(key):
    """Split ``key`` into two keys applied one after the other when PyTorch's result
    differs from NumPy's, else return None.

    NumPy counts an integer beside an array index as one more advanced index, so in
    ``x[0, :, [0, 1]]`` the two are "separated by a slice" and the result dimension
    goes first: shape (2, 3) for x of shape (2, 3, 4). PyTorch applies integers first
    (each removes its dimension) and then the array indices to what is left: (3, 2).
    The first key keeps the integers (arrays become full slices); the second keeps the
    arrays (integers dropped; slices and new axes already applied become full slices).
    """
    if not isinstance(key, tuple) or not any(map(_is_int, key)):
        return None
    if not any(_is_advanced(k) for k in key):
        return None
    first, second = [], []
    for k in key:
        if _is_int(k):
            first.append(int(k))
        elif _is_advanced(k):
            # a mask spans its own dims (a Python bool none); an array one
            n = 0 if isinstance(k, bool) else k.ndim if k.dtype.kind == "b" else 1
            first.extend([slice(None)] * n)
            second.append(k)
        elif k is Ellipsis:
            first.append(k)
            second.append(k)
        else:  # a slice or None: applied by the first key
            first.append(k)
            second.append(slice(None))
    return tuple(first), tuple(second)


def getitem(x, key):
    """``x[key]``: basic slices, integer arrays and boolean masks, with PyTorch's
    semantics where they differ from NumPy's: integers are applied before array indices,
    so ``x[0, :, [0, 1]]`` of an ``x`` of shape (2, 3, 4) has shape (3, 2) (NumPy: (2, 3)),
    and ``x[[]]`` is an empty integer index.

    The gradient scatter-adds, so repeated indices accumulate.

    Parameters
    ----------
    x : Tensor
    key : int, slice, None, Ellipsis, list, array, Tensor or a tuple of them

    Returns
    -------
    Tensor

    Raises
    ------
    IndexError
        For an index out of range (the message names the key and the shape).

    Examples
    --------
    >>> import minigrad
    >>> x = minigrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> x[[0, 0, 2]].sum().backward()
    >>> x.grad
    tensor([2., 0., 1.])
    """
    key = _index_key(key, x.xp)
    try:
        if isinstance(key, tuple) and any(map(_is_advanced, key)):
            key = _expand_ellipsis(key, x.ndim)
        split = _torch_order(key)
        if split is not None:
            return GetItem(split[1])(GetItem(split[0])(x))
        return GetItem(key)(x)
    except IndexError as e:
        raise IndexError(f"index {key!r} is invalid for a tensor of shape {x.shape}: {e}") from None


def _all_advanced(key, shape, xp):
    """One NumPy key, all of whose entries are integer arrays (or ints), that selects
    what PyTorch's ``x[key]`` selects, laid out as PyTorch lays it out (integers applied
    first; the array indices' broadcast dimensions where the first of them stands when
    they are adjacent among the rest, else in front). None when the key holds a bool
    scalar (left to the two-step route)."""
    parts, d = [], 0  # (kind, value) per entry; kind: int, dim (an output axis), adv
    for k in key:
        if k is Ellipsis or isinstance(k, bool) or (getattr(k, "ndim", 1) == 0
                                                     and k.dtype.kind == "b"):  # fmt: skip
            return None  # (a second Ellipsis: NumPy's own error follows)
        if _is_int(k):
            parts.append(("int", int(k)))
            d += 1
        elif k is None:
            parts.append(("dim", None))
        elif isinstance(k, slice):
            parts.append(("dim", xp.arange(*k.indices(shape[d]))))
            d += 1
        elif k.dtype.kind == "b":
            for arr in xp.nonzero(k):
                parts.append(("adv", arr))
            d += k.ndim
        else:
            parts.append(("adv", k))
            d += 1
    rest = [p for p in parts if p[0] != "int"]
    adv_at = [i for i, p in enumerate(rest) if p[0] == "adv"]
    bshape = backend.np.broadcast_shapes(*(p[1].shape for p in rest if p[0] == "adv"))
    nb = len(bshape)
    adjacent = adv_at == list(range(adv_at[0], adv_at[-1] + 1))
    start = adv_at[0] if adjacent else 0  # the output axis of the broadcast block
    ndim = len(rest) - len(adv_at) + nb
    dim_pos, k = [], 0  # the output axis of each slice / None entry, in order
    for i, (kind, _) in enumerate(rest):
        if kind == "dim":
            dim_pos.append(k + nb if not adjacent or i > adv_at[0] else k)
            k += 1
    out, dims = [], iter(dim_pos)
    for kind, v in parts:
        if kind == "int":
            out.append(v)
        elif kind == "adv":
            v = v.reshape((1,) * (nb - v.ndim) + v.shape)
            out.append(v.reshape((1,) * start + v.shape + (1,) * (ndim - start - nb)))
        else:
            p = next(dims)
            if v is not None:  # (None: an axis of size 1 that no array spans)
                out.append(v.reshape((1,) * p + (v.shape[0],) + (1,) * (ndim - p - 1)))
    return tuple(out)


def setitem_key(key, x):
    """The NumPy key for ``x[key] = value`` with PyTorch's semantics (see
    :func:`getitem`): Tensors and lists become arrays, an Ellipsis that stands for no
    dimension disappears, and integers beside array indices are applied first (the
    value then has PyTorch's shape: (3, 2) for ``x[0, :, [0, 1]]`` of a (2, 3, 4) x).

    Examples
    --------
    >>> import minigrad
    >>> x = minigrad.zeros(2, 3, 4)
    >>> x[0, :, [0, 1]] = minigrad.ones(3, 2)
    >>> float(x.sum())
    6.0
    """
    key = _index_key(key, x.xp)
    if isinstance(key, tuple) and any(map(_is_advanced, key)):
        key = _expand_ellipsis(key, x.ndim)
        if _torch_order(key) is not None:
            return _all_advanced(key, x.shape, x.xp) or key
    return key


class TakeAlongDim(Function):
    """``values = take_along_axis(x, idx, axis)``; its gradient scatter-adds back."""

    def __init__(self, idx, axis):
        self.idx, self.axis = idx, axis

    def forward(self, x):
        self.in_shape = x.shape
        return backend.array_module(x).take_along_axis(x, self.idx, axis=self.axis)

    def backward(self, gy):
        return PutAlongDim(self.idx, self.axis, self.in_shape)(gy)


class PutAlongDim(Function):
    """Zeros of ``shape`` with ``g`` added at ``idx`` along ``axis`` (repeats add up);
    the gradient of :class:`TakeAlongDim`, whose own gradient is that gather again."""

    def __init__(self, idx, axis, shape):
        self.idx, self.axis, self.shape = idx, axis, shape

    def forward(self, g):
        xp = backend.array_module(g)
        out = xp.zeros(self.shape, dtype=g.dtype)
        nd = self.idx.ndim
        key = tuple(
            self.idx if i == self.axis else xp.arange(n).reshape((n,) + (1,) * (nd - 1 - i))
            for i, n in enumerate(self.idx.shape)
        )
        if self.idx.shape[self.axis] == 1:  # one index per slice: nothing repeats
            out[key] = g
        else:
            scatter_add(out, key, g)
        return out

    def backward(self, gy):
        return TakeAlongDim(self.idx, self.axis)(gy)


def gather(x, dim: int, index):
    """Values of ``x`` at ``index`` along ``dim`` (PyTorch's ``gather``):
    ``out[i][j] = x[index[i][j]][j]`` for ``dim=0``, ``x[i][index[i][j]]`` for ``dim=1``.

    The gradient scatter-adds into the gathered positions (repeats accumulate).

    Parameters
    ----------
    x : Tensor
    dim : int
    index : Tensor
        Integer indices with as many dimensions as ``x``; in every other dimension
        its size may not exceed that of ``x``.

    Returns
    -------
    Tensor
        Of the shape of ``index``.

    Raises
    ------
    RuntimeError
        When ``index`` is not an integer tensor, its shape does not fit ``x``, or an
        index is outside ``[0, x.shape[dim])`` (negative ones too, as in PyTorch).

    Examples
    --------
    >>> import minigrad
    >>> x = minigrad.tensor([[1.0, 2.0], [3.0, 4.0]])
    >>> minigrad.gather(x, 1, minigrad.tensor([[0, 0], [1, 0]]))
    tensor([[1., 1.],
            [4., 3.]])
    """
    idx = index._data if isinstance(index, Tensor) else x.xp.asarray(index)
    axis = dim_index(dim, max(x.ndim, 1), "gather")
    if idx.dtype.kind not in "iu":
        raise RuntimeError(f"gather: expected an integer index tensor, got {idx.dtype}")
    if idx.ndim != x.ndim or any(
        i != axis and n > s for i, (n, s) in enumerate(zip(idx.shape, x.shape))
    ):
        raise RuntimeError(
            f"gather: index of shape {tuple(idx.shape)} does not fit input of shape "
            f"{tuple(x.shape)} along dim {axis} (same number of dimensions, and no larger "
            "in the other dimensions)"
        )
    size = x.shape[axis] if x.ndim else 1
    if idx.size and bool(((idx < 0) | (idx >= size)).any()):
        bad = int(idx[(idx < 0) | (idx >= size)].reshape(-1)[0])
        raise RuntimeError(
            f"gather: index {bad} is out of bounds for dimension {axis} with size {size} "
            f"(input shape {tuple(x.shape)}, index shape {tuple(idx.shape)}; expected "
            f"0 <= index < {size})"
        )
    if x.ndim == 0:
        return TakeAlongDim(idx.reshape(1), 0)(x.reshape(1)).reshape(())
    if any(i != axis and n < s for i, (n, s) in enumerate(zip(idx.shape, x.shape))):
        x = getitem(x, tuple(slice(None) if i == axis else slice(0, n) for i, n in
                             enumerate(idx.shape)))  # fmt: skip
    return TakeAlongDim(idx, axis)(x)
