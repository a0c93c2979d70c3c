"""Writing and reading at indices along a dimension: ``scatter``, ``scatter_add``,
``scatter_reduce``, ``index_select``, ``index_add``, ``index_fill``, ``take_along_dim``,
and ``index_put`` (the out-of-place ``x[key] = value``).

``scatter`` writes ``src[i][j]`` to ``out[index[i][j]][j]`` (for ``dim=0``) and is the
mirror of :func:`~minigrad.ops.shape.indexing.gather`. Their gradients are each other:

* ``scatter``: the input's gradient is the output gradient with the overwritten
  positions zeroed (a scatter of 0); ``src``'s is the output gradient gathered at
  ``index``.
* ``scatter_add``: the input's gradient passes unchanged; ``src``'s is gathered.
* ``index_select``: indexing, whose gradient adds back into the selected rows
  (repeated indices accumulate); ``index_add`` is that addition.

Where ``index`` is smaller than ``src``, only its leading part is used (PyTorch's rule),
and the rest of ``src`` gets a zero gradient. Indices must lie in ``[0, size)``: a
negative or too large one is an error naming the dimension, as in PyTorch.
"""

from __future__ import annotations

from minigrad import backend
from minigrad.autograd.function import Function, sum_to
from minigrad.ops._dims import dim_index
from minigrad.ops.shape.indexing import GetItem, IndexAdd, TakeAlongDim, _index_key, getitem
from minigrad.ops.shape.indexing import scatter_add as _add_at
from minigrad.tensor import Tensor

__all__ = [
    "scatter", "scatter_add", "scatter_reduce", "index_select", "index_add", "index_fill",
    "take", "take_along_dim", "index_put",
]  # fmt: skip


def _along_key(idx, axis):
    """The advanced-indexing key that addresses ``out[..., idx[i, j, k], ...]``: ``idx``
    at ``axis`` and an ``arange`` (broadcast) for every other dimension."""
    xp = backend.array_module(idx)
    nd = idx.ndim
    return tuple(
        idx if i == axis else xp.arange(n).reshape((n,) + (1,) * (nd - 1 - i))
        for i, n in enumerate(idx.shape)
    )


def _leading(a, shape):
    """The leading block of ``a`` of ``shape`` (``a`` itself when the shapes agree)."""
    if tuple(a.shape) == tuple(shape):
        return a
    return a[tuple(slice(0, n) for n in shape)]


class Scatter(Function):
    """``out = x`` with ``out[key(index)] = src`` (or the constant ``value``)."""

    def __init__(self, idx, axis, value=None):
        self.idx, self.axis, self.value = idx, axis, value

    def forward(self, x, src=None):
        out = x.copy()
        key = _along_key(self.idx, self.axis)
        if src is None:
            out[key] = self.value
        else:
            self.src_shape = src.shape
            out[key] = _leading(src, self.idx.shape)
        return out

    def backward(self, gy):
        gx = Scatter(self.idx, self.axis, 0)(gy) if self.needs_input_grad[0] else None
        if len(self.inputs) == 1:
            return gx
        return gx, _gather_src(gy, self.idx, self.axis, self.src_shape)


class ScatterAdd(Function):
    """``out = x`` with ``src`` added at ``key(index)`` (repeated indices add up)."""

    uses_input_values = False  # backward reads only shapes

    def __init__(self, idx, axis):
        self.idx, self.axis = idx, axis

    def forward(self, x, src):
        out = x.copy()
        self.src_shape = src.shape
        _add_at(out, _along_key(self.idx, self.axis), _leading(src, self.idx.shape))
        return out

    def backward(self, gy):
        gsrc = _gather_src(gy, self.idx, self.axis, self.src_shape)
        return gy, gsrc if self.needs_input_grad[1] else None


def _gather_src(gy, idx, axis, src_shape):
    """``src``'s gradient: ``gy`` gathered at ``idx``, zero outside the used block."""
    if any(i != axis and n < s for i, (n, s) in enumerate(zip(idx.shape, gy.shape))):
        gy = getitem(gy, tuple(slice(None) if i == axis else slice(0, n)
                               for i, n in enumerate(idx.shape)))  # fmt: skip
    g = TakeAlongDim(idx, axis)(gy)
    if tuple(g.shape) != tuple(src_shape):
        g = IndexAdd(tuple(slice(0, n) for n in idx.shape), tuple(src_shape))(g)
    return g


def _check(op, x, axis, idx, src):
    """PyTorch's checks of ``index`` (and ``src``) against ``x``; ``idx`` is an array."""
    if idx.dtype.kind not in "iu":
        raise RuntimeError(f"{op}: expected dtype int32/int64 for index, got {idx.dtype}")
    if idx.ndim != x.ndim:
        raise RuntimeError(
            f"{op}: index must have the same number of dimensions ({idx.ndim}) as the "
            f"input ({x.ndim}, shape {tuple(x.shape)})"
        )
    if src is not None and src.dtype != x.dtype:
        raise RuntimeError(
            f"{op}: expected the input's dtype ({x.dtype}) to be equal to src's ({src.dtype})"
        )
    if src is not None and src.ndim != x.ndim:
        raise RuntimeError(
            f"{op}: src must have the same number of dimensions ({src.ndim}) as the "
            f"input ({x.ndim}, shape {tuple(x.shape)})"
        )
    for d, n in enumerate(idx.shape):
        if (d != axis and n > x.shape[d]) or (src is not None and n > src.shape[d]):
            raise RuntimeError(
                f"{op}: expected index {list(idx.shape)} to be no larger than self "
                f"{list(x.shape)} apart from dimension {axis} and to be no larger size than "
                f"src {list(src.shape) if src is not None else None}"
            )
    _check_range(op, idx, x.shape[axis], axis)


def _check_range(op, idx, n, axis):
    if idx.size and (bool((idx < 0).any()) or bool((idx >= n).any())):
        bad = int(idx[(idx < 0) | (idx >= n)].reshape(-1)[0])
        raise IndexError(f"{op}: index {bad} is out of bounds for dimension {axis} with size {n}")


def scatter(x, dim: int, index, src=None, value=None, *, reduce=None):
    """``x`` with the values of ``src`` (or ``value``) written at ``index`` along ``dim``.

    For a 3-d tensor and ``dim=0``: ``out[index[i][j][k]][j][k] = src[i][j][k]``.
    Where ``index`` repeats a position, one of the written values is kept.

    Parameters
    ----------
    x : Tensor
        Input.
    dim : int
        The dimension indexed by ``index``.
    index : Tensor
        int64 indices with as many dimensions as ``x``, no larger than ``src`` anywhere
        nor than ``x`` outside ``dim``.
    src : Tensor or number, optional
        The values (a number is taken as ``value``).
    value : number, optional
        One value written at every index.
    reduce : {None, 'add'}
        ``'add'`` adds instead of writing (:func:`scatter_add`).

    Returns
    -------
    Tensor

    Raises
    ------
    RuntimeError
        For an index of the wrong dtype or shape, or an unsupported ``reduce``.
    IndexError
        For an index out of range.

    Examples
    --------
    >>> import minigrad
    >>> labels = minigrad.tensor([[2], [0]])
    >>> minigrad.zeros(2, 3).scatter(1, labels, 1.0)  # one-hot rows
    tensor([[0., 0., 1.],
            [1., 0., 0.]])
    """
    if src is None and value is None:
        raise TypeError("scatter: expected src (a Tensor) or value (a number)")
    if not isinstance(src, Tensor) and src is not None:
        src, value = None, src
    if reduce is not None:
        if reduce != "add" or src is None:
            raise RuntimeError(
                f"scatter: reduce={reduce!r} is not supported; use reduce='add' with a src "
                "tensor, or scatter_add"
            )
        return scatter_add(x, dim, index, src)
    x0, idx, axis = _prepare("scatter", x, dim, index, src)
    if src is None:
        out = Scatter(idx, axis, value)(x0)
    else:
        out = Scatter(idx, axis)(x0, src if src.ndim else src.reshape(1))
    return out if x.ndim else out.reshape(())


def _prepare(op, x, dim, index, src):
    """(x as at least 1-d, index array, axis) after PyTorch's checks."""
    idx = index._data if isinstance(index, Tensor) else x.xp.asarray(index)
    axis = dim_index(dim, max(x.ndim, 1), op)
    if x.ndim == 0:
        x, idx = x.reshape(1), idx.reshape(1)
        src = src.reshape(1) if src is not None else None
    _check(op, x, axis, idx, src)
    return x, idx, axis


def scatter_add(x, dim: int, index, src):
    """``x`` with ``src`` added at ``index`` along ``dim``; repeated indices all add up.

    For ``dim=0``: ``out[index[i][j]][j] += src[i][j]``. The gradient of ``x`` is the
    output gradient; that of ``src`` is the output gradient gathered at ``index``.

    Parameters
    ----------
    x : Tensor
        Input.
    dim : int
        The dimension indexed by ``index``.
    index : Tensor
        int64 indices (see :func:`scatter`).
    src : Tensor
        The values to add.

    Returns
    -------
    Tensor

    Raises
    ------
    RuntimeError
        For an index of the wrong dtype or shape.
    IndexError
        For an index out of range.

    Examples
    --------
    >>> import minigrad
    >>> x = minigrad.zeros(3)
    >>> x.scatter_add(0, minigrad.tensor([0, 2, 0]), minigrad.tensor([1.0, 2.0, 3.0]))
    tensor([4., 0., 2.])
    """
    if not isinstance(src, Tensor):
        raise TypeError(f"scatter_add: src must be a Tensor, got {type(src).__name__}")
    x0, idx, axis = _prepare("scatter_add", x, dim, index, src)
    out = ScatterAdd(idx, axis)(x0, src if src.ndim else src.reshape(1))
    return out if x.ndim else out.reshape(())


def _index_vector(op, x, axis, index):
    idx = index._data if isinstance(index, Tensor) else x.xp.asarray(index)
    if idx.dtype.kind not in "iu":
        raise RuntimeError(f"{op}: expected an integer (int32/int64) index, got {idx.dtype}")
    if idx.ndim > 1:
        raise IndexError(f"{op}: index should have at most 1 dimension, got {idx.ndim}")
    idx = idx.reshape(-1)
    _check_range(op, idx, x.shape[axis] if x.ndim else 1, axis)
    return idx


def index_select(x, dim: int, index):
    """The slices of ``x`` at ``index`` along ``dim`` (a copy).

    Parameters
    ----------
    x : Tensor
        Input.
    dim : int
        The dimension to select from.
    index : Tensor
        A 1-d (or 0-d) integer tensor; indices may repeat.

    Returns
    -------
    Tensor
        ``x`` with dimension ``dim`` of length ``len(index)``. The gradient adds back
        into the selected slices (repeats accumulate).

    Raises
    ------
    IndexError
        For an index out of range or of more than one dimension.

    Examples
    --------
    >>> import minigrad
    >>> x = minigrad.tensor([[1, 2], [3, 4], [5, 6]])
    >>> minigrad.index_select(x, 0, minigrad.tensor([2, 0, 2]))
    tensor([[5, 6],
            [1, 2],
            [5, 6]])
    """
    axis = dim_index(dim, max(x.ndim, 1), "index_select")
    idx = _index_vector("index_select", x, axis, index)
    if x.ndim == 0:  # PyTorch keeps a 0-d result for one index
        out = getitem(x.reshape(1), (idx,))
        return out.reshape(()) if idx.size == 1 else out
    return getitem(x, (slice(None),) * axis + (idx,))


def index_add(x, dim: int, index, source, *, alpha=1):
    """``x`` with ``alpha * source[i]`` added to slice ``index[i]`` along ``dim``
    (repeated indices all add up).

    Parameters
    ----------
    x : Tensor
        Input.
    dim : int
        The dimension indexed by ``index``.
    index : Tensor
        1-d integer indices, one per slice of ``source`` along ``dim``.
    source : Tensor
        The slices to add: ``x``'s shape with ``len(index)`` along ``dim``.
    alpha : number
        Scale of ``source``.

    Returns
    -------
    Tensor

    Raises
    ------
    RuntimeError
        If ``source`` does not have the expected shape.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.zeros(3, 2).index_add(0, minigrad.tensor([0, 0]), minigrad.ones(2, 2))
    tensor([[2., 2.],
            [0., 0.],
            [0., 0.]])
    """
    axis = dim_index(dim, max(x.ndim, 1), "index_add")
    idx = _index_vector("index_add", x, axis, index)
    want = x.shape[:axis] + (idx.shape[0],) + x.shape[axis + 1 :]
    if tuple(source.shape) != tuple(want):
        raise RuntimeError(
            f"index_add: source of shape {tuple(source.shape)} does not match: expected "
            f"{tuple(want)} (the input's shape {tuple(x.shape)} with {idx.shape[0]} "
            f"slices along dim {axis})"
        )
    if alpha != 1:
        source = source * alpha
    return x + IndexAdd((slice(None),) * axis + (idx,), x.shape)(source)


def take_along_dim(x, indices, dim=None):
    """Values of ``x`` at ``indices`` along ``dim``, where ``indices`` broadcasts against
    ``x`` in the other dimensions (PyTorch's ``take_along_dim``; without ``dim``, both
    are flattened).

    Parameters
    ----------
    x : Tensor
        Input.
    indices : Tensor
        Integer indices.
    dim : int, optional
        The dimension to index.

    Returns
    -------
    Tensor
        The gradient scatter-adds back (repeated indices accumulate).

    Examples
    --------
    >>> import minigrad
    >>> x = minigrad.tensor([[10.0, 30.0, 20.0], [60.0, 40.0, 50.0]])
    >>> minigrad.take_along_dim(x, x.argmax(dim=1, keepdim=True), dim=1)
    tensor([[30.],
            [60.]])
    """
    idx = indices._data if isinstance(indices, Tensor) else x.xp.asarray(indices)
    if dim is None:
        x, idx, axis = x.reshape(-1), idx.reshape(-1), 0
    else:
        axis = dim_index(dim, max(x.ndim, 1), "take_along_dim")
        if idx.ndim != x.ndim:
            raise RuntimeError(
                f"take_along_dim: input ({x.ndim}-d) and indices ({idx.ndim}-d) should have "
                "the same number of dimensions"
            )
        shape = [max(a, b) for a, b in zip(x.shape, idx.shape)]
        xshape, ishape = list(shape), list(shape)
        xshape[axis], ishape[axis] = x.shape[axis], idx.shape[axis]
        if tuple(x.shape) != tuple(xshape):
            x = x.expand(tuple(xshape))
        xp = backend.array_module(idx)
        idx = xp.broadcast_to(idx, tuple(ishape))
    if idx.dtype.kind not in "iu":
        raise RuntimeError(f"take_along_dim: expected integer indices, got {idx.dtype}")
    _check_range("take_along_dim", idx, x.shape[axis], axis)
    return TakeAlongDim(idx, axis)(x)


class IndexPut(Function):
    """``out = x`` with ``out[key] = value`` (NumPy's indexing rules, as ``x[key] = v``).
    The input's gradient is zero at ``key``; the value's is the output gradient at
    ``key``, summed to the value's shape."""

    def __init__(self, key):
        self.key = key

    def forward(self, x, value):
        out = x.copy()
        out[self.key] = value
        return out

    def backward(self, gy):
        x, value = self.inputs
        nx, nv = self.needs_input_grad
        gx = IndexPut(self.key)(gy, 0) if nx else None
        gv = sum_to(GetItem(self.key)(gy), value.shape) if nv else None
        return gx, gv


def index_put(x, key, value):
    """``x`` with ``x[key] = value`` applied to a copy (differentiable in both): the
    out-of-place form of item assignment, used by ``x[key] = value`` when the graph must
    record it.

    Parameters
    ----------
    x : Tensor
        Input.
    key : index
        Anything ``x[key]`` accepts (ints, slices, lists, masks, Tensors).
    value : Tensor or number
        Broadcast to ``x[key]``'s shape.

    Returns
    -------
    Tensor

    Examples
    --------
    >>> import minigrad
    >>> x = minigrad.zeros(3, requires_grad=True)
    >>> v = minigrad.tensor(2.0, requires_grad=True)
    >>> y = minigrad.ops.shape.scatter.index_put(x * 1, [0, 2], v)
    >>> y
    tensor([2., 0., 2.], grad_fn=<IndexPut backward>)
    >>> y.sum().backward()
    >>> x.grad, v.grad
    (tensor([0., 1., 0.]), tensor(2.))
    """
    key = _index_key(key, x.xp)
    if isinstance(value, Tensor) and value.dtype != x.dtype:
        value = value.to(x.dtype)
    return IndexPut(key)(x, value)


def index_fill(x, dim: int, index, value):
    """``x`` with the slices at ``index`` along ``dim`` set to ``value`` (their gradient
    is zero).

    Parameters
    ----------
    x : Tensor
        Input.
    dim : int
        The dimension indexed.
    index : Tensor
        1-d integer indices.
    value : number or Tensor
        The fill value (a 0-d tensor gets the gradient of the filled elements).

    Returns
    -------
    Tensor

    Examples
    --------
    >>> import minigrad
    >>> minigrad.zeros(2, 3).index_fill(1, minigrad.tensor([0, 2]), 5.0)
    tensor([[5., 0., 5.],
            [5., 0., 5.]])
    """
    from minigrad.ops.shape.masked import masked_fill

    axis = dim_index(dim, max(x.ndim, 1), "index_fill")
    idx = _index_vector("index_fill", x, axis, index)
    xp = x.xp
    mask = xp.zeros(x.shape if x.ndim else (1,), dtype=bool)
    mask[(slice(None),) * axis + (idx,)] = True
    return masked_fill(x, Tensor._make(mask.reshape(x.shape)), value)


def _extreme_at(out, key, values, largest):
    """``out[key] = max(out[key], values)`` (or min) where repeated indices all count."""
    xp = backend.array_module(out)
    op = xp.maximum if largest else xp.minimum
    if hasattr(op, "at"):
        op.at(out, key, values)
    else:  # pragma: no cover - GPU
        import cupyx

        (cupyx.scatter_max if largest else cupyx.scatter_min)(out, key, values)


class ScatterExtreme(Function):
    """``scatter_reduce`` with ``amax``/``amin``: the gradient is shared evenly among the
    elements (of the input and of ``src``) equal to each result, as in PyTorch."""

    def __init__(self, idx, axis, largest, include_self):
        self.idx, self.axis = idx, axis
        self.largest, self.include_self = largest, include_self

    def forward(self, x, src):
        xp = backend.array_module(x)
        key = _along_key(self.idx, self.axis)
        hit = xp.zeros(x.shape, dtype=bool)
        hit[key] = True
        out = x.copy()
        if not self.include_self:
            info = (xp.finfo if x.dtype.kind == "f" else xp.iinfo)(x.dtype)
            out[hit] = info.min if self.largest else info.max
        s = _leading(src, self.idx.shape)
        _extreme_at(out, key, s, self.largest)
        tie = x == out
        # PyTorch counts the input's ties even when include_self=False (then its share
        # of the gradient is dropped): src's share is the same as there
        self_hit = tie & ~hit if not self.include_self else tie
        src_hit = s == xp.take_along_axis(out, self.idx, axis=self.axis)
        counts = tie.astype(x.dtype)
        _add_at(counts, key, src_hit.astype(x.dtype))
        inv = 1 / xp.where(counts == 0, 1, counts)
        self.w_self = (self_hit * inv).astype(x.dtype)
        self.inv, self.src_hit, self.src_shape = inv.astype(x.dtype), src_hit, src.shape
        return out

    def backward(self, gy):
        nx, ns = self.needs_input_grad
        gx = gy * Tensor._make(self.w_self) if nx else None
        gs = None
        if ns:
            g = _gather_src(gy * Tensor._make(self.inv), self.idx, self.axis, self.src_shape)
            xp = gy.xp
            w = xp.zeros(self.src_shape, dtype=gy.dtype)
            w[tuple(slice(0, n) for n in self.idx.shape)] = self.src_hit
            gs = g * Tensor._make(w)
        return gx, gs


def scatter_reduce(x, dim: int, index, src, reduce: str, *, include_self: bool = True):
    """Reduce the values of ``src`` into ``x`` at ``index`` along ``dim``: ``'sum'``,
    ``'mean'``, ``'amax'`` or ``'amin'`` of everything sent to each position (and of the
    input's own value when ``include_self``).

    Parameters
    ----------
    x : Tensor
        Input.
    dim : int
        The dimension indexed by ``index``.
    index : Tensor
        int64 indices (see :func:`scatter`).
    src : Tensor
        The values.
    reduce : {'sum', 'mean', 'amax', 'amin'}
        The reduction (``'prod'`` is not supported).
    include_self : bool
        Whether the input's value at a position takes part in its reduction.

    Returns
    -------
    Tensor
        Positions that receive nothing keep the input's value. Gradients follow
        PyTorch: ``amax``/``amin`` share it evenly among the elements equal to the result.

    Raises
    ------
    RuntimeError
        For an unsupported ``reduce`` or an index of the wrong dtype or shape.

    Examples
    --------
    >>> import minigrad
    >>> x = minigrad.tensor([1.0, 5.0, 3.0, 4.0])
    >>> idx, src = minigrad.tensor([0, 0, 2, 2, 2]), minigrad.tensor([2.0, 5.0, 3.0, 7.0, 1.0])
    >>> x.scatter_reduce(0, idx, src, "amax")
    tensor([5., 5., 7., 4.])
    >>> x.scatter_reduce(0, idx, src, "mean", include_self=False)
    tensor([3.5   , 5.    , 3.6667, 4.    ])
    """
    if reduce not in ("sum", "mean", "amax", "amin"):
        raise RuntimeError(
            f"scatter_reduce: reduce={reduce!r} is not supported; expected 'sum', 'mean', "
            "'amax' or 'amin'"
        )
    if not isinstance(src, Tensor):
        raise TypeError(f"scatter_reduce: src must be a Tensor, got {type(src).__name__}")
    x0, idx, axis = _prepare("scatter_reduce", x, dim, index, src)
    s = src if src.ndim else src.reshape(1)
    if reduce in ("amax", "amin"):
        out = ScatterExtreme(idx, axis, reduce == "amax", include_self)(x0, s)
    else:
        base = x0 if include_self else Scatter(idx, axis, 0)(x0)
        out = ScatterAdd(idx, axis)(base, s)
        if reduce == "mean":
            xp = x0.xp
            cnt = xp.zeros(x0.shape, dtype=x0.dtype)
            _add_at(cnt, _along_key(idx, axis), 1)
            if include_self:
                cnt = cnt + (cnt > 0)
            out = out / Tensor._make(xp.where(cnt == 0, 1, cnt).astype(x0.dtype))
    return out if x.ndim else out.reshape(())


def take(x, index):
    """Elements of ``x`` taken as if it were 1-d, at ``index`` (any shape).

    Parameters
    ----------
    x : Tensor
        Input.
    index : Tensor
        Integer positions in the flattened ``x``.

    Returns
    -------
    Tensor
        Of the shape of ``index``; the gradient adds back (repeats accumulate).

    Examples
    --------
    >>> import minigrad
    >>> minigrad.take(minigrad.tensor([[1, 2], [3, 4]]), minigrad.tensor([[0, 3]]))
    tensor([[1, 4]])
    """
    idx = index._data if isinstance(index, Tensor) else x.xp.asarray(index)
    if idx.dtype.kind not in "iu":
        raise RuntimeError(f"take: expected integer indices, got {idx.dtype}")
    n = x.numel()
    if idx.size and (bool((idx < -n).any()) or bool((idx >= n).any())):
        raise IndexError(f"take: index out of range for a tensor of {n} elements")
    return getitem(x.reshape(-1), (idx % max(n, 1),))
