"""The :class:`Tensor`: an array of some device, plus what autograd needs.

A Tensor holds ``_data`` (a NumPy or CuPy array; ``.data`` is PyTorch's, a tensor
sharing it outside the graph), ``grad``, ``requires_grad`` and
``grad_fn`` (the :class:`~minigrad.autograd.Function` that made it, ``None`` for
leaves). Its methods are thin: each calls the functional op of the same name in
:mod:`minigrad.ops`, where the math and the derivative live.
"""

from __future__ import annotations

import sys

import numpy as np

from minigrad import backend
from minigrad import dtypes as _dtypes
from minigrad.autograd import function as _function
from minigrad.autograd.grad_mode import _GradMode

__all__ = [
    "Tensor", "is_tensor", "set_printoptions", "FloatTensor", "DoubleTensor", "HalfTensor",
    "LongTensor", "IntTensor", "BoolTensor", "ByteTensor",
]  # fmt: skip

_SCALARS = (int, float, bool)


class Tensor:
    """A multi-dimensional array with reverse-mode automatic differentiation.

    Create tensors with :func:`minigrad.tensor` and the factory functions
    (:func:`minigrad.zeros`, :func:`minigrad.randn`, ...); this constructor wraps an
    existing NumPy or CuPy array without copying. PyTorch's legacy forms also work:
    ``Tensor([1, 2])`` (a float32 copy of the data), ``Tensor(2, 3)`` (float32 zeros of
    that shape; PyTorch leaves them uninitialized) and ``Tensor()`` (empty).

    Parameters
    ----------
    data : ndarray, sequence or int
        A ``numpy.ndarray`` or ``cupy.ndarray`` (wrapped), a (nested) sequence of numbers
        (copied as float32), or sizes.
    requires_grad : bool
        Whether operations on this tensor are recorded for differentiation.

    Examples
    --------
    >>> import minigrad
    >>> x = minigrad.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> y = (x * x).sum()
    >>> y.backward()
    >>> x.grad
    tensor([[2., 4.],
            [6., 8.]])
    """

    __slots__ = (
        "_data",  # the array (numpy.ndarray or cupy.ndarray) every op reads
        "grad",
        "requires_grad",
        "grad_fn",
        "_out_idx",
        "_hooks",
        "_retains_grad",
        "_vc_list",
        "__weakref__",
    )
    __array_priority__ = 1000  # ndarray (op) Tensor defers to Tensor's reflected operator

    def __init__(self, data=None, *sizes, requires_grad: bool = False):
        if isinstance(data, Tensor):
            data = data._data
        if isinstance(data, np.generic):
            data = np.asarray(data)
        if sizes and isinstance(sizes[0], bool) and len(sizes) == 1:
            requires_grad, sizes = sizes[0], ()  # Tensor(array, True)
        if data is None or isinstance(data, int | list | tuple) or sizes:
            data = _legacy_array(data, sizes)
        backend.device_of(data)  # raises for anything that is not an array
        self._data = data
        self.grad = None
        self.requires_grad = False
        self.grad_fn = None
        self._out_idx = 0
        self._hooks = None
        self._retains_grad = False
        self._vc_list = None
        if requires_grad:
            self.requires_grad_(True)

    @property
    def data(self) -> Tensor:
        """This tensor's values as a new tensor that shares its memory, outside the graph
        (PyTorch's ``.data``): no ``grad_fn``, ``requires_grad=False``, and its own
        version counter, so in-place changes made through it are not seen by autograd
        (:meth:`detach` shares the counter, and is the safer choice). Assigning a tensor
        to ``.data`` replaces this tensor's values (shape and dtype included) without
        touching its graph.

        Examples
        --------
        >>> import minigrad
        >>> w = minigrad.tensor([1.0, 2.0], requires_grad=True)
        >>> w.data.mul_(2)  # in place, not recorded
        tensor([2., 4.])
        >>> w
        tensor([2., 4.], requires_grad=True)
        >>> w.data = minigrad.zeros(3)
        >>> w.shape
        (3,)
        """
        return Tensor._make(self._data)

    @data.setter
    def data(self, value) -> None:
        if not isinstance(value, Tensor):
            raise TypeError(
                f"Tensor.data: assigned data must be a Tensor, got {type(value).__name__} "
                "(use minigrad.as_tensor(value) first)"
            )
        self._data = value._data

    @staticmethod
    def _make(data, requires_grad: bool = False) -> Tensor:
        """Wrap an array without checks: the fast path every op uses."""
        if data.__class__ is not _ndarray and isinstance(data, _generic):
            data = np.asarray(data)  # NumPy reductions return scalars: keep 0-d arrays
        t = _new(Tensor)
        t._data = data
        t.grad = None
        t.requires_grad = requires_grad
        t.grad_fn = None
        t._out_idx = 0
        t._hooks = None
        t._retains_grad = False
        t._vc_list = None  # no version counter until one is needed (see ``_vc``)
        return t

    # ------------------------------------------------------------------ attributes
    @property
    def shape(self) -> tuple:
        """The tensor's shape, a tuple of ints."""
        return self._data.shape

    @property
    def dtype(self):
        """The element type, a ``numpy.dtype`` such as ``minigrad.float32``."""
        return self._data.dtype

    @property
    def device(self) -> backend.Device:
        """The :class:`~minigrad.Device` holding the data."""
        return backend.device_of(self._data)

    @property
    def xp(self):
        """The array module of the data: ``numpy`` or ``cupy``."""
        return backend.array_module(self._data)

    @property
    def ndim(self) -> int:
        """Number of dimensions."""
        return self._data.ndim

    @property
    def is_leaf(self) -> bool:
        """True for tensors not made by a recorded op (inputs and parameters)."""
        return self.grad_fn is None

    @property
    def is_cuda(self) -> bool:
        """True if the data lives on a GPU."""
        return self.device.type == "cuda"

    @property
    def T(self) -> Tensor:
        """The tensor with its dimensions reversed."""
        return _shape.permute(self, tuple(range(self.ndim - 1, -1, -1)))

    @property
    def mT(self) -> Tensor:
        """The tensor with its last two dimensions swapped."""
        return _shape.transpose(self, -2, -1)

    def size(self, dim: int | None = None):
        """The shape, or the length of dimension ``dim``."""
        return self._data.shape if dim is None else self._data.shape[dim]

    def dim(self) -> int:
        """Number of dimensions."""
        return self._data.ndim

    def numel(self) -> int:
        """Number of elements.

        Examples
        --------
        >>> import minigrad
        >>> minigrad.zeros(2, 3).numel()
        6
        """
        return int(self._data.size)

    def element_size(self) -> int:
        """Bytes per element."""
        return self._data.itemsize

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __hash__(self):
        return id(self)

    # ------------------------------------------------------------------ conversion
    def numpy(self) -> np.ndarray:
        """The data as a NumPy array (shares memory on the CPU).

        Raises for a tensor that requires grad, like PyTorch: call ``.detach()`` first.
        """
        if self.requires_grad:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy()"
            )
        if backend.device_of(self._data).type != "cpu":
            raise TypeError(
                f"can't convert {self.device} tensor to numpy: use .cpu() to copy it to "
                "host memory first"
            )
        return self._data

    def __array__(self, dtype=None, copy=None):
        if backend.device_of(self._data).type != "cpu":
            raise TypeError(
                f"can't convert {self.device} tensor to a NumPy array implicitly: use "
                ".cpu() (or .numpy() after .cpu()) to copy it to host memory first"
            )
        a = self._data
        if dtype is not None and a.dtype != dtype:
            return a.astype(dtype)
        return a.copy() if copy else a

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to a scalar"
            )
        return self._data.item()

    def tolist(self):
        """The data as (nested) Python lists."""
        return self._data.tolist()

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError(
                f"Boolean value of Tensor with {self._data.size} elements is ambiguous"
            )
        return bool(self._data.item())

    def __index__(self):
        if self.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be an index")
        return int(self.item())

    def __dlpack__(self, *args, **kwargs):
        return self._data.__dlpack__(*args, **kwargs)

    def __dlpack_device__(self):
        return self._data.__dlpack_device__()

    def to(
        self,
        *args,
        dtype=None,
        device=None,
        non_blocking: bool = False,
        copy: bool = False,
        memory_format=None,
    ) -> Tensor:
        """Move to a device and/or cast to a dtype: ``t.to('cuda')``, ``t.to(minigrad.float64)``.

        Differentiable: the gradient flows back to the original device and dtype.
        PyTorch's positional forms are accepted: ``to(device, dtype, non_blocking,
        copy)``, ``to(dtype, non_blocking, copy)`` and ``to(other_tensor, ...)``.
        ``non_blocking`` and ``memory_format`` are accepted and ignored (copies are
        synchronous; tensors are C-contiguous).

        Examples
        --------
        >>> import minigrad
        >>> minigrad.ones(2).to(minigrad.float64).dtype
        dtype('float64')
        >>> minigrad.ones(2).to("cpu", non_blocking=True).device
        device(type='cpu')
        """
        flags = []
        for a in args:
            if isinstance(a, bool):
                flags.append(a)  # non_blocking, then copy
            elif isinstance(a, str | backend.Device):
                device = a
            elif isinstance(a, Tensor):
                device, dtype = a.device, a.dtype
            else:
                dtype = a
        if len(flags) > 1:
            copy = flags[1]
        return _convert.to(self, dtype=dtype, device=device, copy=copy)

    def cpu(self, memory_format=None) -> Tensor:
        """A copy on the CPU (``self`` if already there)."""
        return self.to("cpu")

    def cuda(
        self, device: int | str | None = None, non_blocking: bool = False, memory_format=None
    ) -> Tensor:
        """A copy on a GPU (``cuda:0`` by default); ``non_blocking`` is accepted."""
        if device is None:
            device = "cuda"
        elif isinstance(device, int):
            device = f"cuda:{device}"
        return self.to(device)

    def type(self, dtype=None, non_blocking: bool = False):
        """Without ``dtype``, the type name (``'minigrad.FloatTensor'``, like PyTorch's
        ``'torch.FloatTensor'``); else a cast to ``dtype``, which may also be such a name
        (``'torch.cuda.LongTensor'`` moves to the GPU too).

        Examples
        --------
        >>> import minigrad
        >>> minigrad.ones(1).type()
        'minigrad.FloatTensor'
        >>> minigrad.ones(1).type("torch.LongTensor")
        tensor([1])
        """
        names = {v: k for k, v in _TYPE_NAMES.items()}
        if dtype is None:
            cuda = ".cuda" if self.device.type == "cuda" else ""
            return f"minigrad{cuda}.{names.get(self.dtype.name, self.dtype.name)}"
        if isinstance(dtype, str) and dtype.endswith("Tensor"):
            parts = dtype.split(".")
            if parts[-1] not in _TYPE_NAMES:
                raise ValueError(f"type: unknown tensor type {dtype!r}")
            device = "cuda" if "cuda" in parts[:-1] else None
            return self.to(device=device, dtype=np.dtype(_TYPE_NAMES[parts[-1]]))
        return self.to(dtype)

    def float(self) -> Tensor:
        """Cast to float32."""
        return self.to(np.dtype("float32"))

    def double(self) -> Tensor:
        """Cast to float64."""
        return self.to(np.dtype("float64"))

    def half(self) -> Tensor:
        """Cast to float16."""
        return self.to(np.dtype("float16"))

    def long(self) -> Tensor:
        """Cast to int64."""
        return self.to(np.dtype("int64"))

    def int(self) -> Tensor:
        """Cast to int32."""
        return self.to(np.dtype("int32"))

    def bool(self) -> Tensor:
        """Cast to bool."""
        return self.to(np.dtype("bool"))

    # ------------------------------------------------------------------ autograd
    def backward(self, gradient=None, retain_graph=None, create_graph=False) -> None:
        """Accumulate the gradient of this tensor into the ``.grad`` of the leaves.

        Parameters
        ----------
        gradient : Tensor, optional
            Gradient with respect to this tensor; may be omitted for a scalar.
        retain_graph : bool, optional
            Keep the graph for another backward (default: ``create_graph``).
        create_graph : bool
            Record the backward itself, for higher-order derivatives.

        Examples
        --------
        >>> import minigrad
        >>> x = minigrad.tensor(2.0, requires_grad=True)
        >>> (x ** 2).backward()
        >>> x.grad
        tensor(4.)
        """
        from minigrad.autograd.engine import backward

        backward(self, gradient, retain_graph, create_graph)

    def detach(self) -> Tensor:
        """A new leaf sharing this tensor's data (and its version counter), cut from the
        graph.

        Examples
        --------
        >>> import minigrad
        >>> x = minigrad.ones(2, requires_grad=True)
        >>> (x * 2).detach().requires_grad
        False
        """
        t = Tensor._make(self._data)
        t._vc = self._vc
        return t

    @property
    def _vc(self) -> list:
        """The version counter: a one-element list, shared with views and detached
        aliases, incremented by every in-place change (``t._vc[0] += 1``). It is created
        on first use: most results are never changed in place nor viewed, and each list
        a graph keeps alive is one more object for Python's cyclic GC to scan (PERF_NOTES,
        "W4 and the GC"); until then the version is 0 (``_vc_list`` is None)."""
        vc = self._vc_list
        if vc is None:
            vc = self._vc_list = [0]
        return vc

    @_vc.setter
    def _vc(self, vc: list) -> None:
        self._vc_list = vc

    @property
    def _version(self) -> int:
        """How many in-place changes this tensor's memory has seen (shared with views)."""
        vc = self._vc_list
        return 0 if vc is None else vc[0]

    @_version.setter
    def _version(self, value: int) -> None:
        self._vc[0] = value

    def detach_(self) -> Tensor:
        """Cut this tensor from the graph, in place."""
        self.grad_fn = None
        self.requires_grad = False
        return self

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` on a leaf, in place; returns ``self``."""
        if not self.is_leaf:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables; use "
                ".detach() to get a leaf"
            )
        if requires_grad and self._data.dtype.kind not in "fc":
            raise RuntimeError(
                f"only tensors of floating point dtype can require gradients, got {self.dtype}"
            )
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self) -> None:
        """Keep the gradient of this non-leaf tensor in ``.grad`` after backward."""
        if not self.requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is not None:
            self._retains_grad = True

    @property
    def retains_grad(self) -> bool:
        """True for a non-leaf whose ``.grad`` is kept (see :meth:`retain_grad`)."""
        return self._retains_grad

    def register_hook(self, hook):
        """Register ``hook(grad)``, called when this tensor's gradient is computed.

        The hook may return a new gradient to use instead. Returns a handle whose
        ``remove()`` unregisters the hook.

        Examples
        --------
        >>> import minigrad
        >>> x = minigrad.tensor([1.0, 2.0], requires_grad=True)
        >>> h = x.register_hook(lambda g: g * 10)
        >>> (x * 1).sum().backward()
        >>> x.grad
        tensor([10., 10.])
        >>> h.remove()
        """
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._hooks is None:
            self._hooks = {}
        handle = _HookHandle(self._hooks)
        self._hooks[handle.id] = hook
        return handle

    # ------------------------------------------------------------------ in-place
    def _check_inplace(self, op: str) -> None:
        if self.requires_grad and _GradMode.enabled:
            kind = "a leaf Variable" if self.is_leaf else "a tensor"
            raise RuntimeError(
                f"{op}: {kind} that requires grad is being used in an in-place operation; "
                "do it under minigrad.no_grad() or on a tensor that does not require grad"
            )

    def _inplace(self, op: str, value) -> Tensor:
        """Write ``value`` (an array or scalar) into this tensor's memory."""
        self._check_inplace(op)
        if isinstance(value, Tensor):
            value = value._data
        if backend.array_module(value) is not self.xp and not isinstance(value, _SCALARS):
            raise RuntimeError(f"{op}: value is on a different device than the tensor")
        self._data[...] = value
        self._vc[0] += 1
        return self

    def _inplace_math(self, op, compute) -> Tensor:
        """The no-graph path of an in-place math op: ``compute()`` (arrays in, an array
        or scalar out) runs as the ops run, with NumPy's floating-point warnings off
        (:class:`minigrad.backend.quiet_fp`), and its result is written into this
        tensor's memory if it casts to this tensor's dtype by PyTorch's rule (a float
        result does not go into an integer tensor: :func:`~minigrad.dtypes.check_result_cast`)."""
        self._check_inplace(op)
        with backend.quiet_fp():
            value = compute()
        _dtypes.check_result_cast(op, value, self.dtype)
        return self._inplace(op, value)

    def _operand(self, other):
        return other._data if isinstance(other, Tensor) else other

    def _wants_graph(self, *operands) -> bool:
        """Whether an in-place op must be recorded: grad mode is on and this tensor or
        an operand requires grad."""
        if not _GradMode.enabled:
            return False
        return self.requires_grad or any(
            isinstance(o, Tensor) and o.requires_grad for o in operands
        )

    def _inplace_graph(self, op, fn, *args, **kwargs) -> Tensor:
        """An in-place op recorded in the graph, as PyTorch does for tensors that are not
        leaves: the value before the op is kept as a snapshot (a copy) that the previous
        node now outputs, ``fn(snapshot, *args)`` is written into this tensor's memory (so
        aliases see it), and this tensor takes the place of ``fn``'s output in the graph
        (hooks registered on it afterwards do not run). Anything that saved the old
        value sees the version change and raises in backward.
        Refused for leaves that require grad and for views of such tensors (their base
        would not see the change in the graph)."""
        if self.requires_grad and self.is_leaf:
            raise RuntimeError(
                f"{op}: a leaf Variable that requires grad is being used in an in-place "
                "operation; do it under minigrad.no_grad() or use the out-of-place op"
            )
        f = self.grad_fn
        if f is not None and f.is_view and f.inputs and isinstance(f.inputs[0], Tensor):
            if backend.array_module(self._data).may_share_memory(self._data, f.inputs[0]._data):
                raise RuntimeError(
                    f"{op}: in-place change of a view of a tensor that requires grad is not "
                    "supported (the graph of its base would not see it); use the "
                    "out-of-place op"
                )
        old = Tensor._make(self._data.copy(), self.requires_grad)
        old.grad_fn, old._out_idx = f, self._out_idx
        out = fn(old, *args, **kwargs)
        if out.shape != self.shape:
            raise RuntimeError(
                f"{op}: the result of shape {tuple(out.shape)} does not fit in place into "
                f"a tensor of shape {tuple(self.shape)}"
            )
        if out.dtype != self.dtype:
            _dtypes.check_result_cast(op, out._data, self.dtype)
            out = _convert.to(out, dtype=self.dtype)
        if f is not None:  # the previous node now outputs the snapshot
            f._set_output(self._out_idx, old)
        self._data[...] = out._data
        self._vc[0] += 1  # whoever saved the old value (or a view of it) sees the change
        node = out.grad_fn
        if node is not None:  # its backward reads its own result from ``out`` (kept alive)
            node._inplace_out = out
        self.grad_fn, self._out_idx, self.requires_grad = node, out._out_idx, out.requires_grad
        return self

    def add_(self, other, alpha=1) -> Tensor:
        """In-place ``self += alpha * other`` (recorded in the graph when needed)."""
        if self._wants_graph(other):
            return self._inplace_graph("add_", _ew.add, other, alpha)
        o = self._operand(other)
        return self._inplace_math("add_", lambda: self._data + (o if alpha == 1 else alpha * o))

    def sub_(self, other, alpha=1) -> Tensor:
        """In-place ``self -= alpha * other`` (recorded in the graph when needed)."""
        if self._wants_graph(other):
            return self._inplace_graph("sub_", _ew.sub, other, alpha)
        o = self._operand(other)
        return self._inplace_math("sub_", lambda: self._data - (o if alpha == 1 else alpha * o))

    def mul_(self, other) -> Tensor:
        """In-place ``self *= other`` (recorded in the graph when needed)."""
        if self._wants_graph(other):
            return self._inplace_graph("mul_", _ew.mul, other)
        return self._inplace_math("mul_", lambda: self._data * self._operand(other))

    def div_(self, other) -> Tensor:
        """In-place ``self /= other`` (recorded in the graph when needed)."""
        if self._wants_graph(other):
            return self._inplace_graph("div_", _ew.div, other)
        return self._inplace_math("div_", lambda: self._data / self._operand(other))

    def pow_(self, exponent) -> Tensor:
        """In-place ``self **= exponent`` (recorded in the graph when needed)."""
        if self._wants_graph(exponent):
            return self._inplace_graph("pow_", _ew.pow, exponent)
        return self._inplace_math("pow_", lambda: self._data ** self._operand(exponent))

    def clamp_(self, min=None, max=None) -> Tensor:
        """In-place clamp into ``[min, max]`` (recorded in the graph when needed)."""
        if self._wants_graph(min, max):
            return self._inplace_graph("clamp_", _ew.clamp, min, max)
        return self._inplace_math("clamp_", lambda: self.xp.clip(self._data, min, max))

    def clamp_min(self, min) -> Tensor:
        """See :func:`minigrad.clamp_min`."""
        return _ew.clamp(self, min, None)

    def clamp_max(self, max) -> Tensor:
        """See :func:`minigrad.clamp_max`."""
        return _ew.clamp(self, None, max)

    def clamp_min_(self, min) -> Tensor:
        """In-place :meth:`clamp_min`."""
        return self.clamp_(min, None)

    def clamp_max_(self, max) -> Tensor:
        """In-place :meth:`clamp_max`."""
        return self.clamp_(None, max)

    def zero_(self) -> Tensor:
        """Fill with zeros, in place (recorded in the graph when needed)."""
        if self._wants_graph():
            return self._inplace_graph("zero_", _fill, 0.0)
        return self._inplace("zero_", 0)

    def fill_(self, value) -> Tensor:
        """Fill with ``value``, in place (recorded in the graph when needed)."""
        if self._wants_graph(value):
            return self._inplace_graph("fill_", _fill, value)
        return self._inplace("fill_", self._operand(value))

    def copy_(self, src) -> Tensor:
        """Copy ``src`` (broadcast to this shape, cast to this dtype) into this tensor
        (recorded in the graph when needed: the gradient goes to ``src``)."""
        if self._wants_graph(src) and isinstance(src, Tensor):
            return self._inplace_graph("copy_", _copy_from, src)
        src = src._data if isinstance(src, Tensor) else src
        if not isinstance(src, _SCALARS) and backend.device_of(src) != self.device:
            src = backend.to_device(src, self.device)
        return self._inplace("copy_", src)

    def uniform_(self, a: float = 0.0, b: float = 1.0) -> Tensor:
        """Fill with samples of U(a, b) from the device's generator, in place."""
        g = backend.generator(self.device)
        return self._inplace("uniform_", g.uniform(a, b, self.shape).astype(self.dtype))

    def normal_(self, mean: float = 0.0, std: float = 1.0) -> Tensor:
        """Fill with samples of N(mean, std^2) from the device's generator, in place."""
        g = backend.generator(self.device)
        return self._inplace(
            "normal_", (g.standard_normal(self.shape) * std + mean).astype(self.dtype)
        )

    def __setitem__(self, key, value) -> None:
        key = _indexing.setitem_key(key, self)  # PyTorch's rules: x[0, :, [0, 1]] is (3, 2)
        if self._wants_graph(value):  # recorded like PyTorch's index_put_
            self._inplace_graph("__setitem__", _scatter.index_put, key, value)
            return
        self._check_inplace("__setitem__")
        if isinstance(key, Tensor):
            key = key._data
        elif isinstance(key, tuple):
            key = tuple(k._data if isinstance(k, Tensor) else k for k in key)
        self._data[key] = value._data if isinstance(value, Tensor) else value
        self._vc[0] += 1

    # ------------------------------------------------------------------ repr
    def __format__(self, spec: str) -> str:
        """A 0-d tensor formats as its value (``f"{loss:.4f}"``), as in PyTorch; other
        tensors take only the empty format."""
        if self.ndim == 0:
            return format(self.item(), spec)
        if spec:
            raise TypeError(
                f"unsupported format string {spec!r} passed to Tensor.__format__ (a tensor of "
                f"shape {tuple(self.shape)}: only 0-d tensors take a format, as in PyTorch)"
            )
        return repr(self)

    def __repr__(self) -> str:
        xp = self.xp
        data = self._data if xp is np else self._data.get()
        o = _PRINT_OPTIONS
        sci = "{:.%de}".replace("%d", str(o["precision"]))
        fmt = {"float_kind": sci.format} if o["sci_mode"] else None
        body = np.array2string(
            data, separator=", ", prefix="tensor(", precision=o["precision"],
            threshold=o["threshold"], edgeitems=o["edgeitems"], max_line_width=o["linewidth"],
            formatter=fmt,
        )  # fmt: skip
        extra = []
        if self.device.type != "cpu":
            extra.append(f"device='{self.device}'")
        if data.dtype not in (np.float32, np.int64, np.bool_) or data.size == 0:
            extra.append(f"dtype={data.dtype}")
        if self.grad_fn is not None:
            extra.append(f"grad_fn={self.grad_fn!r}")
        elif self.requires_grad:
            extra.append("requires_grad=True")
        return "tensor(" + ", ".join([body] + extra) + ")"

    # ------------------------------------------------------------------ thin methods
    # Each calls the functional op of the same name; the docs live there.
    def clone(self):
        """A copy with its own memory (see :func:`minigrad.clone`)."""
        return _convert.clone(self)

    def contiguous(self):
        """A C-contiguous tensor with the same values (``self`` if already contiguous)."""
        return self if self._data.flags.c_contiguous else _convert.clone(self)

    def add(self, other, alpha=1):
        """See :func:`minigrad.add`."""
        return _ew.add(self, other, alpha)

    def sub(self, other, alpha=1):
        """See :func:`minigrad.sub`."""
        return _ew.sub(self, other, alpha)

    def mul(self, other):
        """See :func:`minigrad.mul`."""
        return _ew.mul(self, other)

    def div(self, other):
        """See :func:`minigrad.div`."""
        return _ew.div(self, other)

    def pow(self, exponent):
        """See :func:`minigrad.pow`."""
        return _ew.pow(self, exponent)

    def neg(self):
        """See :func:`minigrad.neg`."""
        return _unary.neg(self)

    def abs(self):
        """See :func:`minigrad.abs`."""
        return _unary.abs(self)

    def exp(self):
        """See :func:`minigrad.exp`."""
        return _unary.exp(self)

    def log(self):
        """See :func:`minigrad.log`."""
        return _unary.log(self)

    def sqrt(self):
        """See :func:`minigrad.sqrt`."""
        return _unary.sqrt(self)

    def rsqrt(self):
        """See :func:`minigrad.rsqrt`."""
        return _unary.rsqrt(self)

    def sin(self):
        """See :func:`minigrad.sin`."""
        return _unary.sin(self)

    def cos(self):
        """See :func:`minigrad.cos`."""
        return _unary.cos(self)

    def tanh(self):
        """See :func:`minigrad.tanh`."""
        return _unary.tanh(self)

    def sigmoid(self):
        """See :func:`minigrad.sigmoid`."""
        return _unary.sigmoid(self)

    def relu(self):
        """See :func:`minigrad.relu`."""
        return _unary.relu(self)

    def sign(self):
        """See :func:`minigrad.sign`."""
        return _compare.sign(self)

    def erf(self):
        """See :func:`minigrad.erf`."""
        from minigrad.ops.nn.activation.activation import erf

        return erf(self)

    def isnan(self):
        """See :func:`minigrad.isnan`."""
        return _compare.isnan(self)

    def isinf(self):
        """See :func:`minigrad.isinf`."""
        return _compare.isinf(self)

    def isfinite(self):
        """See :func:`minigrad.isfinite`."""
        return _compare.isfinite(self)

    def gather(self, dim, index):
        """See :func:`minigrad.gather`."""
        from minigrad.ops.shape.indexing import gather

        return gather(self, dim, index)

    def clamp(self, min=None, max=None):
        """See :func:`minigrad.clamp`."""
        return _ew.clamp(self, min, max)

    clip = clamp

    def maximum(self, other):
        """See :func:`minigrad.maximum`."""
        return _ew.maximum(self, other)

    def minimum(self, other):
        """See :func:`minigrad.minimum`."""
        return _ew.minimum(self, other)

    def matmul(self, other):
        """See :func:`minigrad.matmul`."""
        return _linalg.matmul(self, other)

    def sum(self, dim=None, keepdim=False, dtype=None):
        """See :func:`minigrad.sum`."""
        return _reduce.sum(self, dim, keepdim, dtype)

    def mean(self, dim=None, keepdim=False):
        """See :func:`minigrad.mean`."""
        return _reduce.mean(self, dim, keepdim)

    def var(self, dim=None, keepdim=False, correction=1, unbiased=None):
        """See :func:`minigrad.var`."""
        return _reduce.var(self, dim, keepdim=keepdim, correction=correction, unbiased=unbiased)

    def std(self, dim=None, keepdim=False, correction=1, unbiased=None):
        """See :func:`minigrad.std`."""
        return _reduce.std(self, dim, keepdim=keepdim, correction=correction, unbiased=unbiased)

    def max(self, dim=None, keepdim=False):
        """See :func:`minigrad.max`."""
        return _minmax.max(self, dim, keepdim)

    def min(self, dim=None, keepdim=False):
        """See :func:`minigrad.min`."""
        return _minmax.min(self, dim, keepdim)

    def amax(self, dim=None, keepdim=False):
        """See :func:`minigrad.amax`."""
        return _minmax.amax(self, dim, keepdim)

    def amin(self, dim=None, keepdim=False):
        """See :func:`minigrad.amin`."""
        return _minmax.amin(self, dim, keepdim)

    def argmax(self, dim=None, keepdim=False):
        """See :func:`minigrad.argmax`."""
        return _minmax.argmax(self, dim, keepdim)

    def argmin(self, dim=None, keepdim=False):
        """See :func:`minigrad.argmin`."""
        return _minmax.argmin(self, dim, keepdim)

    def logsumexp(self, dim, keepdim=False):
        """See :func:`minigrad.logsumexp`."""
        return _reduce.logsumexp(self, dim, keepdim)

    def softmax(self, dim):
        """See :func:`minigrad.softmax`."""
        return _softmax.softmax(self, dim)

    def log_softmax(self, dim):
        """See :func:`minigrad.log_softmax`."""
        return _softmax.log_softmax(self, dim)

    def all(self, dim=None, keepdim=False):
        """See :func:`minigrad.all`."""
        return _reduce.all(self, dim, keepdim)

    def any(self, dim=None, keepdim=False):
        """See :func:`minigrad.any`."""
        return _reduce.any(self, dim, keepdim)

    def reshape(self, *shape):
        """See :func:`minigrad.reshape`."""
        return _shape.reshape(self, *shape)

    def view(self, *shape):
        """Like :meth:`reshape`; raises if the data cannot be viewed without a copy."""
        return _view.view(self, shape)

    def view_as(self, other):
        """View with the shape of ``other``."""
        return self.view(other.shape)

    def reshape_as(self, other):
        """Reshape to the shape of ``other``."""
        return _shape.reshape(self, other.shape)

    def permute(self, *dims):
        """See :func:`minigrad.permute`."""
        return _shape.permute(self, *dims)

    def transpose(self, dim0, dim1):
        """See :func:`minigrad.transpose`."""
        return _shape.transpose(self, dim0, dim1)

    def t(self):
        """See :func:`minigrad.t`."""
        return _shape.t(self)

    def expand(self, *sizes):
        """See :func:`minigrad.ops.shape.shape.expand`."""
        return _shape.expand(self, *sizes)

    def expand_as(self, other):
        """Broadcast to the shape of ``other``."""
        return _shape.broadcast_to(self, other.shape)

    def broadcast_to(self, shape):
        """See :func:`minigrad.broadcast_to`."""
        return _shape.broadcast_to(self, shape)

    def squeeze(self, dim=None):
        """See :func:`minigrad.squeeze`."""
        return _shape.squeeze(self, dim)

    def unsqueeze(self, dim):
        """See :func:`minigrad.unsqueeze`."""
        return _shape.unsqueeze(self, dim)

    def flatten(self, start_dim=0, end_dim=-1):
        """See :func:`minigrad.flatten`."""
        return _shape.flatten(self, start_dim, end_dim)

    def split(self, split_size_or_sections, dim=0):
        """See :func:`minigrad.split`."""
        return _shape.split(self, split_size_or_sections, dim)

    def chunk(self, chunks, dim=0):
        """See :func:`minigrad.chunk`."""
        return _shape.chunk(self, chunks, dim)

    # ------------------------------------------------------------------ PyTorch's API
    # Comparisons as methods (the operators call the same functions).
    def eq(self, other):
        """See :func:`minigrad.eq`."""
        return _compare.eq(self, other)

    def ne(self, other):
        """See :func:`minigrad.ne`."""
        return _compare.ne(self, other)

    def lt(self, other):
        """See :func:`minigrad.lt`."""
        return _compare.lt(self, other)

    def le(self, other):
        """See :func:`minigrad.le`."""
        return _compare.le(self, other)

    def gt(self, other):
        """See :func:`minigrad.gt`."""
        return _compare.gt(self, other)

    def ge(self, other):
        """See :func:`minigrad.ge`."""
        return _compare.ge(self, other)

    greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne

    def logical_not(self):
        """Elementwise NOT of the truth values (non-zero is true); a bool tensor."""
        return Tensor._make(self.xp.logical_not(self._data))

    def logical_and(self, other):
        """Elementwise AND of the truth values (non-zero is true); a bool tensor."""
        return Tensor._make(self.xp.logical_and(self._data, self._operand(other)))

    def logical_or(self, other):
        """Elementwise OR of the truth values (non-zero is true); a bool tensor."""
        return Tensor._make(self.xp.logical_or(self._data, self._operand(other)))

    def logical_xor(self, other):
        """Elementwise XOR of the truth values (non-zero is true); a bool tensor.

        Examples
        --------
        >>> import minigrad
        >>> minigrad.logical_xor(minigrad.tensor([1.0, 0.0, 2.0]), minigrad.tensor([1, 0, 0]))
        tensor([False, False,  True])
        """
        return Tensor._make(self.xp.logical_xor(self._data, self._operand(other)))

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        """See :func:`minigrad.isclose`."""
        return _closeness.isclose(self, other, rtol, atol, equal_nan)

    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
        """See :func:`minigrad.allclose`."""
        return _closeness.allclose(self, other, rtol, atol, equal_nan)

    def equal(self, other) -> bool:
        """See :func:`minigrad.equal`."""
        return _closeness.equal(self, other)

    def where(self, condition, other):
        """``self`` where ``condition`` holds, else ``other`` (see :func:`minigrad.where`)."""
        return _ew.where(condition, self, other)

    # Masks, sorting, running sums and products.
    def masked_fill(self, mask, value):
        """See :func:`minigrad.masked_fill`."""
        return _masked.masked_fill(self, mask, value)

    def masked_fill_(self, mask, value):
        """In-place :meth:`masked_fill`; ``mask`` must broadcast to this tensor's shape."""
        return self._inplace_result("masked_fill_", _masked.masked_fill, mask, value)

    def masked_select(self, mask):
        """See :func:`minigrad.masked_select`."""
        return _masked.masked_select(self, mask)

    def nonzero(self, *, as_tuple: bool = False):
        """See :func:`minigrad.nonzero`."""
        return _masked.nonzero(self, as_tuple=as_tuple)

    def argwhere(self):
        """See :func:`minigrad.argwhere`."""
        return _masked.nonzero(self)

    def tril(self, diagonal=0):
        """See :func:`minigrad.tril`."""
        return _masked.tril(self, diagonal)

    def triu(self, diagonal=0):
        """See :func:`minigrad.triu`."""
        return _masked.triu(self, diagonal)

    def tril_(self, diagonal=0):
        """In-place :meth:`tril`."""
        return self._inplace_result("tril_", _masked.tril, diagonal)

    def triu_(self, diagonal=0):
        """In-place :meth:`triu`."""
        return self._inplace_result("triu_", _masked.triu, diagonal)

    def sort(self, dim=-1, descending=False, stable=False):
        """See :func:`minigrad.sort`."""
        return _sorting.sort(self, dim, descending, stable)

    def argsort(self, dim=-1, descending=False, stable=False):
        """See :func:`minigrad.argsort`."""
        return _sorting.argsort(self, dim, descending, stable)

    def topk(self, k, dim=-1, largest=True, sorted=True):
        """See :func:`minigrad.topk`."""
        return _sorting.topk(self, k, dim, largest, sorted)

    def cumsum(self, dim, dtype=None):
        """See :func:`minigrad.cumsum`."""
        return _scan.cumsum(self, dim, dtype)

    def cumprod(self, dim, dtype=None):
        """See :func:`minigrad.cumprod`."""
        return _scan.cumprod(self, dim, dtype)

    def prod(self, dim=None, keepdim=False, dtype=None):
        """See :func:`minigrad.prod`."""
        return _scan.prod(self, dim, keepdim, dtype)

    def diff(self, n=1, dim=-1, prepend=None, append=None):
        """See :func:`minigrad.diff`."""
        return _scan.diff(self, n, dim, prepend, append)

    def norm(self, p="fro", dim=None, keepdim=False, dtype=None):
        """See :func:`minigrad.norm`."""
        return _vector_norm.norm(self, p, dim, keepdim, dtype)

    def bincount(self, weights=None, minlength=0):
        """See :func:`minigrad.bincount`."""
        return _histogram.bincount(self, weights, minlength)

    # Writing and reading at indices.
    def scatter(self, dim, index, src=None, value=None, *, reduce=None):
        """See :func:`minigrad.scatter`."""
        return _scatter.scatter(self, dim, index, src, value, reduce=reduce)

    def scatter_(self, dim, index, src=None, value=None, *, reduce=None):
        """In-place :meth:`scatter`."""
        return self._inplace_result(
            "scatter_", _scatter.scatter, dim, index, src, value, reduce=reduce
        )

    def scatter_add(self, dim, index, src):
        """See :func:`minigrad.scatter_add`."""
        return _scatter.scatter_add(self, dim, index, src)

    def scatter_add_(self, dim, index, src):
        """In-place :meth:`scatter_add`."""
        return self._inplace_result("scatter_add_", _scatter.scatter_add, dim, index, src)

    def scatter_reduce(self, dim, index, src, reduce, *, include_self=True):
        """See :func:`minigrad.scatter_reduce`."""
        return _scatter.scatter_reduce(self, dim, index, src, reduce, include_self=include_self)

    def scatter_reduce_(self, dim, index, src, reduce, *, include_self=True):
        """In-place :meth:`scatter_reduce`."""
        return self._inplace_result(
            "scatter_reduce_", _scatter.scatter_reduce, dim, index, src, reduce,
            include_self=include_self,
        )  # fmt: skip

    def index_select(self, dim, index):
        """See :func:`minigrad.index_select`."""
        return _scatter.index_select(self, dim, index)

    def index_add(self, dim, index, source, *, alpha=1):
        """See :func:`minigrad.index_add`."""
        return _scatter.index_add(self, dim, index, source, alpha=alpha)

    def index_add_(self, dim, index, source, *, alpha=1):
        """In-place :meth:`index_add`."""
        return self._inplace_result(
            "index_add_", _scatter.index_add, dim, index, source, alpha=alpha
        )

    # Rearranging.
    def flip(self, *dims):
        """See :func:`minigrad.flip`."""
        return _rearrange.flip(self, _shape._shape_arg(dims))

    def roll(self, shifts, dims=None):
        """See :func:`minigrad.roll`."""
        return _rearrange.roll(self, shifts, dims)

    def repeat(self, *sizes):
        """See :func:`minigrad.ops.shape.rearrange.repeat` (PyTorch's ``Tensor.repeat``)."""
        return _rearrange.repeat(self, *sizes)

    def tile(self, *dims):
        """See :func:`minigrad.tile`."""
        return _rearrange.tile(self, _shape._shape_arg(dims))

    def repeat_interleave(self, repeats, dim=None, *, output_size=None):
        """See :func:`minigrad.repeat_interleave`."""
        return _rearrange.repeat_interleave(self, repeats, dim, output_size=output_size)

    def narrow(self, dim, start, length):
        """See :func:`minigrad.narrow`."""
        return _rearrange.narrow(self, dim, start, length)

    def select(self, dim, index):
        """See :func:`minigrad.select`."""
        return _rearrange.select(self, dim, index)

    def unbind(self, dim=0):
        """See :func:`minigrad.unbind`."""
        return _rearrange.unbind(self, dim)

    def movedim(self, source, destination):
        """See :func:`minigrad.movedim`."""
        return _rearrange.movedim(self, source, destination)

    moveaxis = movedim

    def unflatten(self, dim, sizes):
        """See :func:`minigrad.unflatten`."""
        return _rearrange.unflatten(self, dim, sizes)

    def swapaxes(self, axis0, axis1):
        """Swap two dimensions (:meth:`transpose`)."""
        return _shape.transpose(self, axis0, axis1)

    swapdims = swapaxes

    # Small conveniences of PyTorch's Tensor.
    def square(self):
        """``self * self`` (differentiable)."""
        return _ew.mul(self, self)

    def lerp(self, end, weight):
        """``self + weight * (end - self)`` (differentiable in every tensor argument)."""
        return self + weight * (end - self)

    def type_as(self, other):
        """Cast to the dtype of ``other``."""
        return self.to(other.dtype)

    def is_floating_point(self) -> bool:
        """True for a floating-point dtype.

        Examples
        --------
        >>> import minigrad
        >>> minigrad.ones(1).is_floating_point(), minigrad.tensor([1]).is_floating_point()
        (True, False)
        """
        return self._data.dtype.kind == "f"

    def is_complex(self) -> bool:
        """True for a complex dtype."""
        return self._data.dtype.kind == "c"

    def is_contiguous(self, memory_format=None) -> bool:
        """True when the data is C-contiguous (row-major, no gaps)."""
        return bool(self._data.flags.c_contiguous)

    def nelement(self) -> int:
        """Number of elements (:meth:`numel`)."""
        return int(self._data.size)

    def ndimension(self) -> int:
        """Number of dimensions (:meth:`dim`)."""
        return self._data.ndim

    def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
        """A new tensor of ``data`` with this tensor's dtype and device by default.

        Examples
        --------
        >>> import minigrad
        >>> minigrad.zeros(2, dtype=minigrad.float64).new_tensor([1, 2])
        tensor([1., 2.], dtype=float64)
        """
        from minigrad.creation import tensor

        return tensor(data, dtype=dtype or self.dtype, device=device or self.device,
                      requires_grad=requires_grad)  # fmt: skip

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        """Zeros of ``size`` with this tensor's dtype and device by default.

        Examples
        --------
        >>> import minigrad
        >>> minigrad.ones(1, dtype=minigrad.int64).new_zeros(2, 2)
        tensor([[0, 0],
                [0, 0]])
        """
        return self._new("zeros", size, dtype, device, requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        """Ones of ``size`` with this tensor's dtype and device by default."""
        return self._new("ones", size, dtype, device, requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
        """An uninitialized tensor of ``size`` with this tensor's dtype and device."""
        return self._new("empty", size, dtype, device, requires_grad)

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False):
        """``fill_value`` in a tensor of ``size`` with this tensor's dtype and device."""
        from minigrad.creation import full

        return full(size, fill_value, dtype=dtype or self.dtype, device=device or self.device,
                    requires_grad=requires_grad)  # fmt: skip

    def _new(self, kind, size, dtype, device, requires_grad):
        from minigrad import creation

        return getattr(creation, kind)(*size, dtype=dtype or self.dtype,
                                       device=device or self.device,
                                       requires_grad=requires_grad)  # fmt: skip

    def _inplace_result(self, op, fn, *args, **kwargs):
        """Write ``fn(self, *args)`` into this tensor (recorded in the graph when this
        tensor or a tensor argument requires grad, see :meth:`_inplace_graph`)."""
        if self._wants_graph(*args, *kwargs.values()):
            return self._inplace_graph(op, fn, *args, **kwargs)
        with _no_grad():
            out = fn(self.detach(), *args, **kwargs)
        if out.shape != self.shape:
            raise RuntimeError(
                f"{op}: the result of shape {tuple(out.shape)} does not fit in place into "
                f"a tensor of shape {tuple(self.shape)}"
            )
        _dtypes.check_result_cast(op, out._data, self.dtype)
        return self._inplace(op, out._data)

    def lerp_(self, end, weight):
        """In-place ``self += weight * (end - self)``."""
        if self._wants_graph(end, weight):
            return self._inplace_graph("lerp_", _blend.lerp, end, weight)
        e, w = self._operand(end), self._operand(weight)
        return self._inplace_math("lerp_", lambda: self._data + w * (e - self._data))

    def addcmul_(self, tensor1, tensor2, value=1):
        """In-place ``self += value * tensor1 * tensor2``."""
        if self._wants_graph(tensor1, tensor2):
            return self._inplace_graph("addcmul_", _blend.addcmul, tensor1, tensor2, value=value)
        a, b = self._operand(tensor1), self._operand(tensor2)
        return self._inplace_math(
            "addcmul_", lambda: self._data + (a * b if value == 1 else a * b * value)
        )

    def addcdiv_(self, tensor1, tensor2, value=1):
        """In-place ``self += value * tensor1 / tensor2``."""
        if self._wants_graph(tensor1, tensor2):
            return self._inplace_graph("addcdiv_", _blend.addcdiv, tensor1, tensor2, value=value)
        a, b = self._operand(tensor1), self._operand(tensor2)
        return self._inplace_math(
            "addcdiv_", lambda: self._data + (a / b if value == 1 else a / b * value)
        )

    def sqrt_(self):
        """In-place square root."""
        if self._wants_graph():
            return self._inplace_graph("sqrt_", _unary.sqrt)
        return self._inplace_math("sqrt_", lambda: self.xp.sqrt(self._data))

    def exp_(self):
        """In-place exponential."""
        if self._wants_graph():
            return self._inplace_graph("exp_", _unary.exp)
        return self._inplace_math("exp_", lambda: self.xp.exp(self._data))

    def abs_(self):
        """In-place absolute value."""
        if self._wants_graph():
            return self._inplace_graph("abs_", _unary.abs)
        return self._inplace_math("abs_", lambda: self.xp.abs(self._data))

    def neg_(self):
        """In-place negation."""
        if self._wants_graph():
            return self._inplace_graph("neg_", _unary.neg)
        return self._inplace("neg_", -self._data)

    # Rounding, integer division and special functions.
    def floor(self):
        """See :func:`minigrad.floor`."""
        return _rounding.floor(self)

    def ceil(self):
        """See :func:`minigrad.ceil`."""
        return _rounding.ceil(self)

    def round(self, *, decimals=0):
        """See :func:`minigrad.round`."""
        return _rounding.round(self, decimals=decimals)

    def trunc(self):
        """See :func:`minigrad.trunc`."""
        return _rounding.trunc(self)

    def frac(self):
        """See :func:`minigrad.frac`."""
        return _rounding.frac(self)

    def remainder(self, other):
        """See :func:`minigrad.remainder`."""
        return _rounding.remainder(self, other)

    def fmod(self, other):
        """See :func:`minigrad.fmod`."""
        return _rounding.fmod(self, other)

    def floor_divide(self, other):
        """See :func:`minigrad.floor_divide`."""
        return _rounding.floor_divide(self, other)

    def __floordiv__(self, other):
        return _rounding.floor_divide(self, other)

    def __rfloordiv__(self, other):
        return _rounding.floor_divide(other, self)

    def __mod__(self, other):
        return _rounding.remainder(self, other)

    def __rmod__(self, other):
        return _rounding.remainder(other, self)

    def log1p(self):
        """See :func:`minigrad.log1p`."""
        return _special.log1p(self)

    def expm1(self):
        """See :func:`minigrad.expm1`."""
        return _special.expm1(self)

    def exp2(self):
        """See :func:`minigrad.exp2`."""
        return _special.exp2(self)

    def log2(self):
        """See :func:`minigrad.log2`."""
        return _special.log2(self)

    def log10(self):
        """See :func:`minigrad.log10`."""
        return _special.log10(self)

    def logit(self, eps=None):
        """See :func:`minigrad.logit`."""
        return _special.logit(self, eps)

    def xlogy(self, other):
        """See :func:`minigrad.xlogy`."""
        return _special.xlogy(self, other)

    def reciprocal(self):
        """See :func:`minigrad.reciprocal`."""
        return _special.reciprocal(self)

    def nan_to_num(self, nan=0.0, posinf=None, neginf=None):
        """See :func:`minigrad.nan_to_num`."""
        return _masked.nan_to_num(self, nan, posinf, neginf)

    def sgn(self):
        """The sign, -1, 0 or 1 (:meth:`sign`)."""
        return _compare.sign(self)

    # Matrix products and diagonals.
    def mm(self, mat2):
        """See :func:`minigrad.mm`."""
        return _matrix_products.mm(self, mat2)

    def bmm(self, mat2):
        """See :func:`minigrad.bmm`."""
        return _matrix_products.bmm(self, mat2)

    def mv(self, vec):
        """See :func:`minigrad.mv`."""
        return _matrix_products.mv(self, vec)

    def dot(self, other):
        """See :func:`minigrad.dot`."""
        return _matrix_products.dot(self, other)

    def outer(self, vec2):
        """See :func:`minigrad.outer`."""
        return _matrix_products.outer(self, vec2)

    def addmm(self, mat1, mat2, *, beta=1, alpha=1):
        """See :func:`minigrad.addmm`."""
        return _matrix_products.addmm(self, mat1, mat2, beta=beta, alpha=alpha)

    def diagonal(self, offset=0, dim1=0, dim2=1):
        """See :func:`minigrad.diagonal`."""
        return _diagonal.diagonal(self, offset, dim1, dim2)

    def diag(self, diagonal=0):
        """See :func:`minigrad.diag`."""
        return _diagonal.diag(self, diagonal)

    def diag_embed(self, offset=0, dim1=-2, dim2=-1):
        """See :func:`minigrad.diag_embed`."""
        return _diagonal.diag_embed(self, offset, dim1, dim2)

    def trace(self):
        """See :func:`minigrad.trace`."""
        return _diagonal.trace(self)

    # Order statistics, running extremes, counting, combinations.
    def median(self, dim=None, keepdim=False):
        """See :func:`minigrad.median`."""
        return _sorting.median(self, dim, keepdim)

    def kthvalue(self, k, dim=-1, keepdim=False):
        """See :func:`minigrad.kthvalue`."""
        return _sorting.kthvalue(self, k, dim, keepdim)

    def msort(self):
        """See :func:`minigrad.msort`."""
        return _sorting.msort(self)

    def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):
        """See :func:`minigrad.unique`."""
        return _sorting.unique(self, sorted, return_inverse, return_counts, dim)

    def cummax(self, dim):
        """See :func:`minigrad.cummax`."""
        return _scan.cummax(self, dim)

    def cummin(self, dim):
        """See :func:`minigrad.cummin`."""
        return _scan.cummin(self, dim)

    def count_nonzero(self, dim=None):
        """See :func:`minigrad.count_nonzero`."""
        return _histogram.count_nonzero(self, dim)

    def take_along_dim(self, indices, dim=None):
        """See :func:`minigrad.take_along_dim`."""
        return _scatter.take_along_dim(self, indices, dim)

    def fliplr(self):
        """See :func:`minigrad.fliplr`."""
        return _rearrange.fliplr(self)

    def flipud(self):
        """See :func:`minigrad.flipud`."""
        return _rearrange.flipud(self)

    def addcmul(self, tensor1, tensor2, *, value=1):
        """See :func:`minigrad.addcmul`."""
        return _blend.addcmul(self, tensor1, tensor2, value=value)

    def addcdiv(self, tensor1, tensor2, *, value=1):
        """See :func:`minigrad.addcdiv`."""
        return _blend.addcdiv(self, tensor1, tensor2, value=value)

    def var_mean(self, dim=None, keepdim=False, correction=1, unbiased=None):
        """See :func:`minigrad.var_mean`."""
        return _reduce.var_mean(self, dim, unbiased, keepdim, correction=correction)

    def std_mean(self, dim=None, keepdim=False, correction=1, unbiased=None):
        """See :func:`minigrad.std_mean`."""
        return _reduce.std_mean(self, dim, unbiased, keepdim, correction=correction)

    def clip_(self, min=None, max=None):
        """In-place clamp (:meth:`clamp_`)."""
        return self.clamp_(min, max)

    def stride(self, dim=None):
        """Strides in elements (PyTorch's unit), or the stride of dimension ``dim``."""
        s = tuple(b // self._data.itemsize for b in self._data.strides)
        return s if dim is None else s[dim]

    def data_ptr(self) -> int:
        """The address of the first element."""
        return int(self._data.__array_interface__["data"][0] if self.xp is np
                   else self._data.data.ptr)  # fmt: skip

    def pin_memory(self):
        """``self`` (host memory needs no pinning here; accepted for PyTorch scripts)."""
        return self

    def is_pinned(self) -> bool:
        """False: tensors are never page-locked here."""
        return False

    def share_memory_(self):
        """``self`` (accepted for PyTorch scripts; processes share nothing implicitly)."""
        return self

    def __xor__(self, other):
        return Tensor._make(self._data ^ self._operand(other))

    def true_divide(self, other):
        """See :func:`minigrad.div`."""
        return _ew.div(self, other)

    def unfold(self, dimension, size, step):
        """See :func:`minigrad.ops.shape.rearrange.unfold` (PyTorch's ``Tensor.unfold``)."""
        return _rearrange.unfold(self, dimension, size, step)

    def split_with_sizes(self, split_sizes, dim=0):
        """:meth:`split` into pieces of the given sizes."""
        return _shape.split(self, list(split_sizes), dim)

    def sum_to_size(self, *size):
        """Sum broadcast dimensions away to reach ``size`` (the reverse of broadcasting)."""
        return _function.sum_to(self, _shape._shape_arg(size))

    def nansum(self, dim=None, keepdim=False, *, dtype=None):
        """See :func:`minigrad.nansum`."""
        return _masked.nansum(self, dim, keepdim, dtype=dtype)

    def nanmean(self, dim=None, keepdim=False, *, dtype=None):
        """See :func:`minigrad.nanmean`."""
        return _masked.nanmean(self, dim, keepdim, dtype=dtype)

    def dist(self, other, p=2):
        """See :func:`minigrad.dist`."""
        return _vector_norm.dist(self, other, p)

    def index_fill(self, dim, index, value):
        """See :func:`minigrad.index_fill`."""
        return _scatter.index_fill(self, dim, index, value)

    def index_fill_(self, dim, index, value):
        """In-place :meth:`index_fill`."""
        return self._inplace_result("index_fill_", _scatter.index_fill, dim, index, value)

    def bernoulli(self, p=None):
        """See :func:`minigrad.bernoulli`."""
        from minigrad.creation import bernoulli

        return bernoulli(self, p)

    def round_(self, *, decimals=0) -> Tensor:
        """In-place :meth:`round`."""
        return self._inplace_result("round_", Tensor.round, decimals=decimals)

    def random_(self, from_=None, to=None) -> Tensor:
        """Fill with whole numbers drawn uniformly from ``[from_, to)``, in place
        (PyTorch's ``random_``: ``random_(to)`` draws from ``[0, to)``; with no bounds,
        from ``[0, 2**d]`` where ``d`` is a float dtype's mantissa digits, or up to an
        integer dtype's maximum)."""
        if to is None:
            if from_ is None:
                if self.dtype.kind == "f":
                    to = 2 ** (np.finfo(self.dtype).nmant + 1) + 1
                else:
                    to = 2 if self.dtype.kind == "b" else int(np.iinfo(self.dtype).max)
                from_ = 0
            else:
                from_, to = 0, from_
        if from_ >= to:
            raise RuntimeError(f"random_: expected from_ < to, got from_={from_}, to={to}")
        g = backend.generator(self.device)
        draw = g.integers(from_, to, size=self.shape, dtype=np.int64)
        return self._inplace("random_", draw.astype(self.dtype))

    def exponential_(self, lambd=1.0) -> Tensor:
        """Fill with samples of the exponential distribution of rate ``lambd``, in place."""
        if self.dtype.kind != "f":
            raise RuntimeError(f"exponential_: expected a floating point tensor, got {self.dtype}")
        if not lambd > 0:
            raise RuntimeError(f"exponential_: expected lambd > 0, got {lambd}")
        u = backend.generator(self.device).random(self.shape)  # in [0, 1)
        return self._inplace("exponential_", (-self.xp.log1p(-u) / lambd).astype(self.dtype))

    def bernoulli_(self, p=0.5):
        """Fill with samples of 0/1 that are 1 with probability ``p`` (a number or a
        tensor), in place."""
        g = backend.generator(self.device)
        draw = g.random(self.shape) < self._operand(p)
        return self._inplace("bernoulli_", draw.astype(self.dtype))

    # ``x += y`` is in place, as in PyTorch (aliases such as optimizer state see it). A
    # view of a tensor in the graph, which cannot be changed in place here, gets the
    # out-of-place result instead (the name is rebound).
    def _iop(self, op, inplace, outplace, other):
        floating = isinstance(other, float) or (
            isinstance(other, Tensor) and other.dtype.kind in "fc"
        )
        if self.dtype.kind in "iub" and (floating or op == "div_"):
            raise RuntimeError(
                f"{op}: result type Float can't be cast to the desired output type "
                f"{_dtypes.torch_name(self.dtype)} (in-place ops keep the tensor's dtype)"
            )
        if self._wants_graph(other) and self.grad_fn is not None and self.grad_fn.is_view:
            return outplace(self, other)
        return inplace(other)

    def __iadd__(self, other):
        return self._iop("add_", self.add_, _ew.add, other)

    def __isub__(self, other):
        return self._iop("sub_", self.sub_, _ew.sub, other)

    def __imul__(self, other):
        return self._iop("mul_", self.mul_, _ew.mul, other)

    def __itruediv__(self, other):
        return self._iop("div_", self.div_, _ew.div, other)

    def tan(self):
        """See :func:`minigrad.tan`."""
        return _trig.tan(self)

    def asin(self):
        """See :func:`minigrad.asin`."""
        return _trig.asin(self)

    def acos(self):
        """See :func:`minigrad.acos`."""
        return _trig.acos(self)

    def atan(self):
        """See :func:`minigrad.atan`."""
        return _trig.atan(self)

    def sinh(self):
        """See :func:`minigrad.sinh`."""
        return _trig.sinh(self)

    def cosh(self):
        """See :func:`minigrad.cosh`."""
        return _trig.cosh(self)

    def asinh(self):
        """See :func:`minigrad.asinh`."""
        return _trig.asinh(self)

    def acosh(self):
        """See :func:`minigrad.acosh`."""
        return _trig.acosh(self)

    def atanh(self):
        """See :func:`minigrad.atanh`."""
        return _trig.atanh(self)

    def atan2(self, other):
        """See :func:`minigrad.atan2`."""
        return _trig.atan2(self, other)

    def hypot(self, other):
        """See :func:`minigrad.hypot`."""
        return _trig.hypot(self, other)

    arcsin, arccos, arctan, arctan2 = asin, acos, atan, atan2

    def ravel(self):
        """See :func:`minigrad.ravel`."""
        return _shape.ravel(self)

    def quantile(self, q, dim=None, keepdim=False, *, interpolation="linear"):
        """See :func:`minigrad.quantile`."""
        return _sorting.quantile(self, q, dim, keepdim, interpolation=interpolation)

    def logaddexp(self, other):
        """See :func:`minigrad.logaddexp`."""
        return _special.logaddexp(self, other)

    def take(self, index):
        """See :func:`minigrad.take`."""
        return _scatter.take(self, index)

    def __contains__(self, element) -> bool:
        e = element._data if isinstance(element, Tensor) else element
        return bool((self._data == e).any())

    # ------------------------------------------------------------------ operators
    # (+, -, *, /, **, @, comparisons, ~ & |, [] are set from one table, _OPERATORS, at
    # the end of this module, once the ops exist)
    def __pos__(self):
        return self

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.shape[0]))


_TYPE_NAMES = {
    "FloatTensor": "float32", "DoubleTensor": "float64", "HalfTensor": "float16",
    "LongTensor": "int64", "IntTensor": "int32", "BoolTensor": "bool", "ByteTensor": "uint8",
}  # fmt: skip


def _legacy_array(data, sizes, dtype="float32"):
    """The array of PyTorch's legacy constructors: sizes give zeros, data is copied."""
    dev = backend.get_default_device()
    if data is None:
        return dev.xp.zeros((0,), dtype=dtype)
    if isinstance(data, int) and not isinstance(data, bool):
        shape = (data, *sizes)
        if not all(isinstance(n, int) for n in shape):
            raise TypeError(f"Tensor(): sizes must be ints, got {shape}")
        return dev.xp.zeros(shape, dtype=dtype)
    if sizes:
        raise TypeError("Tensor(): give either data or sizes")
    return dev.xp.asarray(np.asarray(data, dtype=dtype))


def _legacy_type(name, dtype):
    def factory(*args, device=None):
        if (
            len(args) == 1
            and hasattr(args[0], "__array__")
            and not isinstance(args[0], list | tuple)
        ):
            arr = np.asarray(args[0]._data if isinstance(args[0], Tensor) else args[0])
            t = Tensor._make(arr.astype(dtype))
        else:
            t = Tensor._make(_legacy_array(args[0] if args else None, args[1:], dtype))
        return t.to(device) if device is not None else t

    factory.__name__ = factory.__qualname__ = name
    shown = {"float32": "tensor([1., 2.])", "float64": "tensor([1., 2.], dtype=float64)",
             "int64": "tensor([1, 2])", "int32": "tensor([1, 2], dtype=int32)",
             "bool": "tensor([ True,  True])", "uint8": "tensor([1, 2], dtype=uint8)",
             "float16": "tensor([1., 2.], dtype=float16)"}  # fmt: skip
    example = shown[dtype]
    factory.__doc__ = f"""PyTorch's legacy ``torch.{name}``: a {dtype} tensor of the data, or
    zeros of the given sizes.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.{name}([1, 2])
    {example}
    """
    return factory


FloatTensor = _legacy_type("FloatTensor", "float32")
DoubleTensor = _legacy_type("DoubleTensor", "float64")
HalfTensor = _legacy_type("HalfTensor", "float16")
LongTensor = _legacy_type("LongTensor", "int64")
IntTensor = _legacy_type("IntTensor", "int32")
BoolTensor = _legacy_type("BoolTensor", "bool")
ByteTensor = _legacy_type("ByteTensor", "uint8")

_PRINT_DEFAULTS = {
    "precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80, "sci_mode": None,
}  # fmt: skip
_PRINT_OPTIONS = dict(_PRINT_DEFAULTS)


def set_printoptions(
    precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None
) -> None:
    """How tensors are printed (PyTorch's options and defaults).

    Parameters
    ----------
    precision : int, optional
        Digits after the decimal point (default 4).
    threshold : int, optional
        Above this many elements, print a summary (default 1000).
    edgeitems : int, optional
        Items shown at each end of a summarized dimension (default 3).
    linewidth : int, optional
        Characters per line (default 80).
    profile : {'default', 'short', 'full'}, optional
        A preset, applied first.
    sci_mode : bool, optional
        Always use scientific notation (True) or choose automatically (None/False).

    Examples
    --------
    >>> import minigrad
    >>> minigrad.set_printoptions(precision=2)
    >>> minigrad.tensor([1.23456])
    tensor([1.23])
    >>> minigrad.set_printoptions(profile="default")
    """
    if profile is not None:
        presets = {"default": {}, "short": {"precision": 2, "threshold": 1000, "edgeitems": 2},
                   "full": {"threshold": sys.maxsize}}  # fmt: skip
        if profile not in presets:
            raise ValueError(f"set_printoptions: unknown profile {profile!r}")
        _PRINT_OPTIONS.update(_PRINT_DEFAULTS, **presets[profile])
    for k, v in (("precision", precision), ("threshold", threshold), ("edgeitems", edgeitems),
                 ("linewidth", linewidth)):  # fmt: skip
        if v is not None:
            _PRINT_OPTIONS[k] = v
    if sci_mode is not None:
        _PRINT_OPTIONS["sci_mode"] = bool(sci_mode) or None


def is_tensor(obj) -> bool:
    """True if ``obj`` is a :class:`Tensor`.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.is_tensor(minigrad.ones(1)), minigrad.is_tensor([1.0])
    (True, False)
    """
    return isinstance(obj, Tensor)


def _fill(t, value):
    """``value`` everywhere, keeping ``t`` in the graph (zero gradient for ``t``)."""
    xp = t.xp
    return _masked.masked_fill(t, Tensor._make(xp.ones(t.shape, dtype=bool)), value)


def _copy_from(t, src):
    """``src`` broadcast to ``t``'s shape, cast to its dtype; ``t`` gets a zero gradient."""
    return _fill(t, 0.0) + _convert.to(src, dtype=t.dtype, device=t.device)


class _HookHandle:
    _next = 0

    def __init__(self, hooks: dict):
        self.hooks = hooks
        self.id = _HookHandle._next
        _HookHandle._next += 1

    def remove(self) -> None:
        self.hooks.pop(self.id, None)


_new = object.__new__
_ndarray, _generic = np.ndarray, np.generic

# Ops import Tensor from this module, so they are imported after the class exists.
from minigrad.autograd.grad_mode import no_grad as _no_grad  # noqa: E402
from minigrad.ops.math import blend as _blend  # noqa: E402
from minigrad.ops.math import closeness as _closeness  # noqa: E402
from minigrad.ops.math import compare as _compare  # noqa: E402
from minigrad.ops.math import convert as _convert  # noqa: E402
from minigrad.ops.math import elementwise as _ew  # noqa: E402
from minigrad.ops.math import histogram as _histogram  # noqa: E402
from minigrad.ops.math import linalg as _linalg  # noqa: E402
from minigrad.ops.math import matrix_products as _matrix_products  # noqa: E402
from minigrad.ops.math import minmax as _minmax  # noqa: E402
from minigrad.ops.math import reduce as _reduce  # noqa: E402
from minigrad.ops.math import rounding as _rounding  # noqa: E402
from minigrad.ops.math import scan as _scan  # noqa: E402
from minigrad.ops.math import softmax as _softmax  # noqa: E402
from minigrad.ops.math import special as _special  # noqa: E402
from minigrad.ops.math import trig as _trig  # noqa: E402
from minigrad.ops.math import unary as _unary  # noqa: E402
from minigrad.ops.math import vector_norm as _vector_norm  # noqa: E402
from minigrad.ops.shape import diagonal as _diagonal  # noqa: E402
from minigrad.ops.shape import indexing as _indexing  # noqa: E402
from minigrad.ops.shape import masked as _masked  # noqa: E402
from minigrad.ops.shape import rearrange as _rearrange  # noqa: E402
from minigrad.ops.shape import scatter as _scatter  # noqa: E402
from minigrad.ops.shape import shape as _shape  # noqa: E402
from minigrad.ops.shape import sorting as _sorting  # noqa: E402
from minigrad.ops.shape import view as _view  # noqa: E402


def _reflected(fn):
    """``fn(other, self)`` as the reflected operator ``__r<op>__``."""

    def rop(self, other):
        return fn(other, self)

    return rop


# Tensor's operators, in one table (DeZero's ``setup_variable``): (dunder name, function).
# The arithmetic ones come from ``elementwise.operator``: a Tensor or Python number operand
# goes straight to the op's Function, anything else is converted as in ``minigrad.add``.
_OPERATORS = [
    ("__add__", _ew.operator(_ew.Add)),
    ("__radd__", _ew.operator(_ew.Add, reflected=True)),
    ("__sub__", _ew.operator(_ew.Sub)),
    ("__rsub__", _ew.operator(_ew.Sub, reflected=True)),
    ("__mul__", _ew.operator(_ew.Mul)),
    ("__rmul__", _ew.operator(_ew.Mul, reflected=True)),
    ("__truediv__", _ew.operator(_ew.Div)),
    ("__rtruediv__", _ew.operator(_ew.Div, reflected=True)),
    ("__pow__", _ew.pow),
    ("__rpow__", _reflected(_ew.pow)),
    ("__matmul__", _linalg.matmul),
    ("__rmatmul__", _reflected(_linalg.matmul)),
    ("__neg__", _unary.neg),
    ("__abs__", _unary.abs),
    ("__eq__", _compare.eq),
    ("__ne__", _compare.ne),
    ("__lt__", _compare.lt),
    ("__le__", _compare.le),
    ("__gt__", _compare.gt),
    ("__ge__", _compare.ge),
    ("__invert__", _compare.logical_not),
    ("__and__", _compare.logical_and),
    ("__or__", _compare.logical_or),
    ("__getitem__", _indexing.getitem),
]
for _name, _fn in _OPERATORS:
    setattr(Tensor, _name, _fn)
del _name, _fn


def _inplace_unary(name):
    """``Tensor.<name>_``: the result of ``Tensor.<name>`` written in place (recorded in
    the graph when needed, see :meth:`Tensor._inplace_result`)."""
    op = getattr(Tensor, name)

    def method(self):
        return self._inplace_result(f"{name}_", op)

    method.__name__ = method.__qualname__ = f"{name}_"
    method.__doc__ = f"In-place :meth:`{name}`."
    return method


for _name in (
    "relu", "sigmoid", "tanh", "log", "log2", "log10", "log1p", "expm1", "rsqrt", "sin", "cos",
    "tan", "floor", "ceil", "trunc", "frac", "sign", "reciprocal", "square", "exp2", "erf",
):  # fmt: skip
    if hasattr(Tensor, _name) and not hasattr(Tensor, f"{_name}_"):
        setattr(Tensor, f"{_name}_", _inplace_unary(_name))
del _name
