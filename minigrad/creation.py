"""Making tensors: from data, filled, ranges, random, and from other libraries.

Every factory takes ``dtype``, ``device`` and ``requires_grad``; floats default to
``float32`` and the device defaults to :func:`minigrad.get_default_device`. Random
factories draw from the device's generator, seeded by :func:`minigrad.manual_seed`.
"""

from __future__ import annotations

import numpy as np

from minigrad import backend
from minigrad.dtypes import as_dtype, float32, int64
from minigrad.tensor import Tensor

__all__ = [
    "tensor", "as_tensor", "from_numpy", "from_dlpack", "zeros", "ones", "full", "empty",
    "arange", "linspace", "eye", "rand", "randn", "randint", "randperm", "zeros_like",
    "ones_like", "full_like", "empty_like", "rand_like", "randn_like", "randint_like", "logspace",
    "bernoulli", "normal", "multinomial", "tril_indices", "triu_indices",
]  # fmt: skip


def _finish(arr, dtype, dev, requires_grad):
    xp = dev.xp
    if dtype is not None:
        dtype = as_dtype(dtype)
    if backend.device_of(arr) != dev:
        arr = backend.to_device(arr, dev)
    if dtype is not None and arr.dtype != dtype:
        arr = arr.astype(dtype)
    t = Tensor._make(xp.asarray(arr))
    if requires_grad:
        t.requires_grad_(True)
    return t


def _infer(data, dtype=None):
    """NumPy array of ``data`` with PyTorch's dtype inference: Python floats give
    float32, ints int64, bools bool; existing arrays keep their dtype. An explicit
    ``dtype`` is applied directly (no rounding through float32 first)."""
    if isinstance(data, np.ndarray | np.generic):
        return np.asarray(data)
    if dtype is not None:
        return np.asarray(data, dtype=as_dtype(dtype))
    arr = np.asarray(data)
    if arr.dtype == np.float64:
        arr = arr.astype(float32)
    elif arr.dtype.kind in "iu":
        arr = arr.astype(int64)
    elif arr.dtype.kind == "O":
        raise TypeError(f"tensor(): could not infer a dtype from {type(data).__name__}")
    return arr


def tensor(data, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (a number, nested lists, an array, a tensor).

    Parameters
    ----------
    data : array_like
        Python numbers or (nested) lists, a NumPy/CuPy array, or a Tensor.
    dtype : dtype, optional
        Element type; inferred like PyTorch when omitted (Python floats give float32).
    device : str or Device, optional
        Target device (default: the default device, or the device of a CuPy array).
    requires_grad : bool
        Record operations on the result for differentiation.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.tensor([1.0, 2.0])
    tensor([1., 2.])
    >>> minigrad.tensor([1, 2]).dtype
    dtype('int64')
    """
    if isinstance(data, Tensor):
        data = data._data
    try:
        src = backend.device_of(data)
        arr = data.copy()
    except TypeError:
        src, arr = None, _infer(data, dtype)
    dev = backend.device(device) if device is not None else (src or backend.get_default_device())
    return _finish(arr, dtype, dev, requires_grad)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like :func:`tensor`, but shares memory with an array of the same dtype and device.

    Examples
    --------
    >>> import numpy as np, minigrad
    >>> a = np.zeros(2, dtype=np.float32)
    >>> t = minigrad.as_tensor(a); a[0] = 5
    >>> t
    tensor([5., 0.])
    """
    if isinstance(data, Tensor):
        return data.to(dtype=dtype, device=device)
    try:
        src = backend.device_of(data)
        arr = data
    except TypeError:
        src, arr = None, _infer(data, dtype)
    dev = backend.device(device) if device is not None else (src or backend.get_default_device())
    return _finish(arr, dtype, dev, False)


def from_numpy(arr: np.ndarray) -> Tensor:
    """A CPU tensor sharing memory with the NumPy array ``arr``.

    Examples
    --------
    >>> import numpy as np, minigrad
    >>> minigrad.from_numpy(np.arange(3))
    tensor([0, 1, 2])
    """
    if not isinstance(arr, np.ndarray):
        raise TypeError(f"from_numpy expects a numpy.ndarray, got {type(arr).__name__}")
    return Tensor._make(arr)


def from_dlpack(obj) -> Tensor:
    """A tensor sharing memory with any object that supports DLPack
    (``__dlpack__``): a NumPy or CuPy array, a PyTorch tensor, a minigrad tensor.

    Examples
    --------
    >>> import numpy as np, minigrad
    >>> minigrad.from_dlpack(np.ones(2, dtype=np.float32))
    tensor([1., 1.])
    """
    kind, _ = obj.__dlpack_device__()
    if int(kind) == 1:  # kDLCPU
        return Tensor._make(np.from_dlpack(obj))
    cp = backend._import_cupy()
    return Tensor._make(cp.from_dlpack(obj))


def _size(size):
    if len(size) == 1 and isinstance(size[0], tuple | list):
        return tuple(size[0])
    return tuple(size)


def _factory(fill, size, dtype, device, requires_grad, default=float32):
    dev = backend.device(device)
    dtype = as_dtype(dtype) if dtype is not None else default
    with dev:
        arr = fill(dev.xp, _size(size), dtype)
    t = Tensor._make(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def zeros(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A tensor of zeros.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.zeros(2, 3).shape
    (2, 3)
    """
    return _factory(lambda xp, s, d: xp.zeros(s, d), size, dtype, device, requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A tensor of ones.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.ones(2)
    tensor([1., 1.])
    """
    return _factory(lambda xp, s, d: xp.ones(s, d), size, dtype, device, requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    """An uninitialized tensor.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.empty(2, 2).shape
    (2, 2)
    """
    return _factory(lambda xp, s, d: xp.empty(s, d), size, dtype, device, requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A tensor filled with ``fill_value`` (dtype inferred from it when omitted).

    Examples
    --------
    >>> import minigrad
    >>> minigrad.full((2,), 7.0)
    tensor([7., 7.])
    """
    if dtype is None:
        dtype = _infer(fill_value).dtype
    size = (size,) if isinstance(size, int) else tuple(size)
    return _factory(
        lambda xp, s, d: xp.full(s, fill_value, d), (size,), dtype, device, requires_grad
    )


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Values from ``start`` to ``end`` (exclusive) in steps of ``step``.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.arange(4)
    tensor([0, 1, 2, 3])
    """
    if end is None:
        start, end = 0, start
    if dtype is None:
        is_int = all(isinstance(v, int) for v in (start, end, step))
        dtype = int64 if is_int else float32
    dev = backend.device(device)
    t = Tensor._make(dev.xp.arange(start, end, step, dtype=as_dtype(dtype)))
    return t.requires_grad_(True) if requires_grad else t


def linspace(start, end, steps: int, dtype=None, device=None, requires_grad=False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.linspace(0, 1, 3)
    tensor([0. , 0.5, 1. ])
    """
    dev = backend.device(device)
    dtype = as_dtype(dtype) if dtype is not None else float32
    t = Tensor._make(dev.xp.linspace(start, end, steps, dtype=dtype))
    return t.requires_grad_(True) if requires_grad else t


def logspace(
    start, end, steps: int, base: float = 10.0, dtype=None, device=None, requires_grad=False
) -> Tensor:
    """``steps`` values from ``base ** start`` to ``base ** end``, evenly spaced in the
    exponent.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.logspace(0, 2, 3)
    tensor([  1.,  10., 100.])
    """
    dev = backend.device(device)
    dtype = as_dtype(dtype) if dtype is not None else float32
    t = Tensor._make(dev.xp.logspace(start, end, steps, base=base).astype(dtype))
    return t.requires_grad_(True) if requires_grad else t


def eye(n: int, m: int | None = None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """The identity matrix (``n`` by ``m``).

    Examples
    --------
    >>> import minigrad
    >>> minigrad.eye(2)
    tensor([[1., 0.],
            [0., 1.]])
    """
    dev = backend.device(device)
    dtype = as_dtype(dtype) if dtype is not None else float32
    t = Tensor._make(dev.xp.eye(n, m, dtype=dtype))
    return t.requires_grad_(True) if requires_grad else t


def rand(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Uniform samples in ``[0, 1)`` from the device's seeded generator.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.manual_seed(0)
    >>> bool(((minigrad.rand(100) >= 0) & (minigrad.rand(100) < 1)).all())
    True
    """
    dev = backend.device(device)
    dtype = as_dtype(dtype) if dtype is not None else float32
    arr = backend.generator(dev).random(
        _size(size), dtype=dtype if dtype.itemsize >= 4 else float32
    )
    t = Tensor._make(arr.astype(dtype, copy=False))
    return t.requires_grad_(True) if requires_grad else t


def bernoulli(input, p=None, *, generator=None) -> Tensor:
    """Samples of 0 or 1 with probabilities ``input`` (or the scalar ``p``), in
    ``input``'s dtype and device, from the device's seeded generator (no gradient).

    Examples
    --------
    >>> import minigrad
    >>> minigrad.bernoulli(minigrad.tensor([0.0, 1.0, 1.0]))
    tensor([0., 1., 1.])
    """
    probs = input._data if p is None else p
    g = backend.generator(input.device)
    draw = g.random(input.shape) < probs
    return Tensor._make(draw.astype(input.dtype))


def normal(mean, std=1.0, size=None, *, generator=None, dtype=None, device=None) -> Tensor:
    """Samples of N(mean, std^2): ``mean`` and ``std`` are numbers or tensors (which
    broadcast and give the shape); with two numbers, ``size`` gives it. No gradient.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.normal(minigrad.zeros(2, 3), 1.0).shape
    (2, 3)
    >>> minigrad.normal(5.0, 0.0, size=(2,))
    tensor([5., 5.])
    """
    like = mean if isinstance(mean, Tensor) else std if isinstance(std, Tensor) else None
    if like is None:
        if size is None:
            raise TypeError("normal: with a number mean and std, give size")
        dev = backend.device(device)
        shape, dt = _size((size,) if isinstance(size, int) else tuple(size)), dtype
        dt = as_dtype(dt) if dt is not None else float32
    else:
        dev = like.device
        m = mean.shape if isinstance(mean, Tensor) else ()
        sd = std.shape if isinstance(std, Tensor) else ()
        shape, dt = np.broadcast_shapes(m, sd), like.dtype
    m = mean._data if isinstance(mean, Tensor) else mean
    sd = std._data if isinstance(std, Tensor) else std
    z = backend.generator(dev).standard_normal(shape)
    return Tensor._make((z * sd + m).astype(dt))


def multinomial(input, num_samples: int, replacement: bool = False, *, generator=None) -> Tensor:
    """Draw ``num_samples`` category indices per row of the (unnormalized, non-negative)
    weights ``input`` (1-d, or 2-d with one distribution per row). Without
    ``replacement`` each category is drawn at most once (Gumbel top-k). int64, no
    gradient.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.multinomial(minigrad.tensor([[0.0, 1.0, 0.0], [2.0, 0.0, 0.0]]), 2, True)
    tensor([[1, 1],
            [0, 0]])
    """
    xp = input.xp
    w = input._data
    if w.ndim not in (1, 2):
        raise RuntimeError(f"multinomial: prob_dist must be 1 or 2 dim, got {w.ndim}")
    rows = w.reshape(1, -1) if w.ndim == 1 else w
    if bool((rows < 0).any()) or not bool(xp.isfinite(rows).all()):
        raise RuntimeError("multinomial: probabilities must be finite and non-negative")
    nz = (rows > 0).sum(axis=1)
    if bool((nz == 0).any()):
        raise RuntimeError("multinomial: invalid distribution (a row sums to 0)")
    if not replacement and (num_samples > rows.shape[1] or bool((nz < num_samples).any())):
        raise RuntimeError(
            f"multinomial: cannot draw {num_samples} samples without replacement from rows "
            f"with {int(nz.min())} non-zero categories"
        )
    g = backend.generator(input.device)
    if replacement:
        cdf = xp.cumsum(rows, axis=1, dtype=np.float64)
        cdf /= cdf[:, -1:]
        u = g.random((rows.shape[0], num_samples))
        out = xp.stack([xp.searchsorted(c, r, side="right") for c, r in zip(cdf, u)])
        out = xp.minimum(out, rows.shape[1] - 1)
    else:
        with np.errstate(divide="ignore"):
            keys = xp.log(rows.astype(np.float64)) - xp.log(-xp.log(g.random(rows.shape)))
        out = xp.argsort(-keys, axis=1)[:, :num_samples]
    out = out.astype(np.int64)
    return Tensor._make(out.reshape(-1) if w.ndim == 1 else out)


def _tri_indices(kind, row, col, offset, dtype, device):
    dev = backend.device(device)
    fn = dev.xp.tril_indices if kind == "tril" else dev.xp.triu_indices
    r, c = fn(row, offset, col)
    dt = as_dtype(dtype) if dtype is not None else int64
    return Tensor._make(dev.xp.stack([r, c]).astype(dt))


def tril_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None) -> Tensor:
    """The ``(2, N)`` row and column indices of the lower triangle of a ``row x col``
    matrix (``offset`` as the ``diagonal`` of :func:`minigrad.tril`).

    Examples
    --------
    >>> import minigrad
    >>> minigrad.tril_indices(3, 3)
    tensor([[0, 1, 1, 2, 2, 2],
            [0, 0, 1, 0, 1, 2]])
    """
    return _tri_indices("tril", row, col, offset, dtype, device)


def triu_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None) -> Tensor:
    """The ``(2, N)`` row and column indices of the upper triangle of a ``row x col``
    matrix (see :func:`tril_indices`).

    Examples
    --------
    >>> import minigrad
    >>> minigrad.triu_indices(2, 3, 1)
    tensor([[0, 0, 1],
            [1, 2, 2]])
    """
    return _tri_indices("triu", row, col, offset, dtype, device)


def randn(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Standard normal samples from the device's seeded generator.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.manual_seed(0)
    >>> minigrad.randn(2, 3).shape
    (2, 3)
    """
    dev = backend.device(device)
    dtype = as_dtype(dtype) if dtype is not None else float32
    g = backend.generator(dev)
    arr = g.standard_normal(_size(size), dtype=dtype if dtype.itemsize >= 4 else float32)
    t = Tensor._make(arr.astype(dtype, copy=False))
    return t.requires_grad_(True) if requires_grad else t


def randint(low, high=None, size=(), dtype=None, device=None) -> Tensor:
    """Random integers in ``[low, high)`` from the device's seeded generator.

    Also accepts PyTorch's ``randint(high, size)`` form.

    Examples
    --------
    >>> import minigrad
    >>> x = minigrad.randint(0, 10, (5,))
    >>> bool(((x >= 0) & (x < 10)).all())
    True
    """
    if isinstance(high, tuple | list):  # randint(high, size)
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    dev = backend.device(device)
    dtype = as_dtype(dtype) if dtype is not None else int64
    arr = backend.generator(dev).integers(low, high, size=tuple(size), dtype=dtype)
    return Tensor._make(arr)


def randperm(n: int, dtype=None, device=None) -> Tensor:
    """A random permutation of ``0..n-1`` from the device's seeded generator.

    Examples
    --------
    >>> import minigrad
    >>> sorted(minigrad.randperm(4).tolist())
    [0, 1, 2, 3]
    """
    dev = backend.device(device)
    dtype = as_dtype(dtype) if dtype is not None else int64
    g = backend.generator(dev)
    if dev.type == "cpu":
        return Tensor._make(g.permutation(n).astype(dtype))
    # cupy.random.Generator has no permutation(): the ranks of n uniform draws are a
    # uniformly random permutation (ties have probability ~n^2 / 2^53)
    return Tensor._make(dev.xp.argsort(g.random(n)).astype(dtype))


def _like(fn, x, dtype, device, requires_grad, *args):
    return fn(
        *args,
        dtype=dtype if dtype is not None else x.dtype,
        device=device if device is not None else x.device,
        requires_grad=requires_grad,
    )


def zeros_like(x, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Zeros with the shape, dtype and device of ``x``.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.zeros_like(minigrad.ones(2))
    tensor([0., 0.])
    """
    return _like(zeros, x, dtype, device, requires_grad, x.shape)


def ones_like(x, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Ones with the shape, dtype and device of ``x``.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.ones_like(minigrad.zeros(2))
    tensor([1., 1.])
    """
    return _like(ones, x, dtype, device, requires_grad, x.shape)


def empty_like(x, dtype=None, device=None, requires_grad=False) -> Tensor:
    """An uninitialized tensor with the shape, dtype and device of ``x``.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.empty_like(minigrad.zeros(2)).shape
    (2,)
    """
    return _like(empty, x, dtype, device, requires_grad, x.shape)


def full_like(x, fill_value, dtype=None, device=None, requires_grad=False) -> Tensor:
    """``fill_value`` with the shape, dtype and device of ``x``.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.full_like(minigrad.zeros(2), 3.0)
    tensor([3., 3.])
    """
    return _like(full, x, dtype, device, requires_grad, x.shape, fill_value)


def rand_like(x, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Uniform samples with the shape, dtype and device of ``x``.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.rand_like(minigrad.zeros(2)).shape
    (2,)
    """
    return _like(rand, x, dtype, device, requires_grad, x.shape)


def randint_like(x, low=0, high=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Random integers in ``[low, high)`` with the shape, dtype and device of ``x``
    (``randint_like(x, high)`` draws from ``[0, high)``, as in PyTorch). A floating
    ``x`` gets floating values that are whole numbers.

    Examples
    --------
    >>> import minigrad
    >>> r = minigrad.randint_like(minigrad.zeros(4), 3)
    >>> r.dtype == minigrad.float32, bool(((r >= 0) & (r < 3) & (r == r.floor())).all())
    (True, True)
    """
    if high is None:
        low, high = 0, low
    dt = as_dtype(dtype) if dtype is not None else x.dtype
    drawn = randint(low, high, x.shape, device=device if device is not None else x.device)
    t = Tensor._make(drawn._data.astype(dt, copy=False))
    return t.requires_grad_(True) if requires_grad else t


def randn_like(x, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Normal samples with the shape, dtype and device of ``x``.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.randn_like(minigrad.zeros(2)).shape
    (2,)
    """
    return _like(randn, x, dtype, device, requires_grad, x.shape)
