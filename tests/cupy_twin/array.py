"""The twin's ``cupy.ndarray``: a NumPy array in a box that NumPy cannot open.

A real CuPy array lives on the GPU, so NumPy cannot read it: ``numpy.asarray(a)`` raises
``TypeError``, a NumPy array meeting a CuPy array in an operator raises ``TypeError``,
reductions return 0-d device arrays (not NumPy scalars), and reading a value on the host
(``.get()``, ``float(a)``, ``bool(a)``, ``.item()``, ``.tolist()``) is a device-to-host
copy that waits for the GPU. This class keeps its data in a private NumPy array and
behaves the same way; every host copy is recorded in :data:`TRANSFERS` with the line
that asked for it, and raises under ``cupyx.allow_synchronize(False)``.
"""

from __future__ import annotations

import operator
import os
import sys

import numpy as np

from .names import NAMES

TWIN_DIR = os.path.dirname(os.path.abspath(__file__))

TRANSFERS: list[tuple[str, str, str]] = []
"""Every copy between host and device: ``(direction, what, call site)``, with direction
``'d2h'`` or ``'h2d'`` and the call site ``'path:line (function)'`` of the first frame
outside the twin."""

SYNC = {"allowed": True}
"""``cupyx.allow_synchronize(False)`` sets ``allowed`` to False: any host copy raises."""


class DeviceSynchronized(RuntimeError):
    """Raised by a device synchronization under ``cupyx.allow_synchronize(False)``."""


def _call_site():
    f = sys._getframe(2)
    while f is not None and f.f_code.co_filename.startswith(TWIN_DIR):
        f = f.f_back
    if f is None:
        return "?"
    return f"{f.f_code.co_filename}:{f.f_lineno} ({f.f_code.co_name})"


def note_transfer(direction, what):
    """Record a host/device copy; a device-to-host copy synchronizes the device."""
    site = _call_site()
    if direction in ("d2h", "sync") and not SYNC["allowed"]:
        raise DeviceSynchronized(f"{what} synchronizes the device (at {site})")
    TRANSFERS.append((direction, what, site))


def unsupported(obj):
    """The TypeError CuPy raises for an argument it cannot take (a NumPy array, a list)."""
    return TypeError(
        f"Unsupported type {type(obj)} (CuPy twin: a CuPy routine got a host object; "
        "move it with cupy.asarray first)"
    )


def wrap(obj):
    """NumPy results as twin arrays (NumPy scalars become 0-d arrays, as in CuPy)."""
    if isinstance(obj, np.ndarray):
        return ndarray._from(obj)
    if isinstance(obj, np.generic):
        return ndarray._from(np.asarray(obj))
    if isinstance(obj, tuple):
        return tuple(wrap(o) for o in obj)
    if isinstance(obj, list):
        return [wrap(o) for o in obj]
    return obj


def unwrap(obj, host_ok=False):
    """Twin arrays (also inside lists and tuples) as their NumPy data. A NumPy array is
    refused unless ``host_ok`` (CuPy's creation functions copy host data)."""
    if isinstance(obj, ndarray):
        return obj._a
    if isinstance(obj, np.ndarray):
        if not host_ok:
            raise unsupported(obj)
        note_transfer("h2d", "host array")
        return obj
    if isinstance(obj, tuple):
        return tuple(unwrap(o, host_ok) for o in obj)
    if isinstance(obj, list):
        return [unwrap(o, host_ok) for o in obj]
    return obj


def operand(obj):
    """An operand of a ufunc or operator: a twin array, a Python or NumPy scalar."""
    if isinstance(obj, ndarray):
        return obj._a
    if isinstance(obj, bool | int | float | complex | np.generic):
        return obj
    raise unsupported(obj)


def _index(key):
    """An index: twin arrays unwrapped; NumPy arrays and lists are copied to the device
    (CuPy does the same)."""
    if isinstance(key, tuple):
        return tuple(_index(k) for k in key)
    if isinstance(key, ndarray):
        return key._a
    if isinstance(key, np.ndarray | list):
        note_transfer("h2d", "index")
    return key


class ndarray:  # noqa: N801 - CuPy's name
    """A CuPy array of the twin (data in host memory, "device" 0)."""

    __slots__ = ("_a", "__weakref__")
    __array_priority__ = 100  # as CuPy's

    def __init__(self, shape, dtype=float, memptr=None, strides=None, order="C"):
        if memptr is not None or strides is not None:
            raise NotImplementedError("CuPy twin: ndarray(memptr=, strides=) is not supported")
        self._a = np.empty(shape, dtype=dtype, order=order)

    @classmethod
    def _from(cls, a):
        obj = object.__new__(cls)
        obj._a = a
        return obj

    # ------------------------------------------------------------ refusing NumPy
    def __array__(self, dtype=None, copy=None):
        raise TypeError(
            "Implicit conversion to a NumPy array is not allowed. "
            "Please use `.get()` to construct a NumPy array explicitly."
        )

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        from . import namespace

        twin = namespace.UFUNCS.get(ufunc.__name__)
        if twin is None:
            return NotImplemented
        fn = twin if method == "__call__" else getattr(twin, method, None)
        return NotImplemented if fn is None else fn(*inputs, **kwargs)

    def __array_function__(self, func, types, args, kwargs):
        from . import namespace

        fn = namespace.lookup(func.__module__, func.__name__)
        if fn is None:
            return NotImplemented
        return fn(*args, **kwargs)

    # ------------------------------------------------------------ host copies
    def get(self, stream=None, order="C", out=None, blocking=True):
        """The data as a NumPy array (a device-to-host copy)."""
        note_transfer("d2h", "ndarray.get()")
        if out is not None:
            out[...] = self._a
            return out
        return np.array(self._a, order=order, copy=True)

    def set(self, arr, stream=None):
        """Copy a NumPy array into this one (host-to-device)."""
        note_transfer("h2d", "ndarray.set()")
        self._a[...] = arr

    def item(self, *args):
        note_transfer("d2h", "ndarray.item()")
        return self._a.item(*args)

    def tolist(self):
        note_transfer("d2h", "ndarray.tolist()")
        return self._a.tolist()

    def tobytes(self, order="C"):
        note_transfer("d2h", "ndarray.tobytes()")
        return self._a.tobytes(order)

    def __bool__(self):
        note_transfer("d2h", "bool(ndarray)")
        return bool(self._a)

    def __float__(self):
        note_transfer("d2h", "float(ndarray)")
        return float(self._a)

    def __int__(self):
        note_transfer("d2h", "int(ndarray)")
        return int(self._a)

    def __complex__(self):
        note_transfer("d2h", "complex(ndarray)")
        return complex(self._a)

    def __repr__(self):
        note_transfer("d2h", "repr(ndarray)")
        return repr(self._a)

    def __str__(self):
        note_transfer("d2h", "str(ndarray)")
        return str(self._a)

    def __format__(self, spec):
        note_transfer("d2h", "format(ndarray)")
        return format(self._a, spec) if self._a.ndim == 0 else format(str(self._a), spec)

    # ------------------------------------------------------------ attributes
    shape = property(lambda self: self._a.shape)
    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    strides = property(lambda self: self._a.strides)
    itemsize = property(lambda self: self._a.itemsize)
    nbytes = property(lambda self: self._a.nbytes)
    flags = property(lambda self: self._a.flags)
    T = property(lambda self: ndarray._from(self._a.T))
    mT = property(lambda self: ndarray._from(np.swapaxes(self._a, -1, -2)))
    real = property(lambda self: ndarray._from(self._a.real))
    imag = property(lambda self: ndarray._from(self._a.imag))

    @property
    def base(self):
        return None if self._a.base is None else ndarray._from(self._a.base)

    @shape.setter
    def shape(self, value):
        self._a.shape = value

    @property
    def device(self):
        from .cuda import Device

        return Device(0)

    @property
    def data(self):
        from .cuda import MemoryPointer

        return MemoryPointer(self)

    @property
    def __cuda_array_interface__(self):
        raise NotImplementedError("CuPy twin: no __cuda_array_interface__ (no device memory)")

    def __dlpack__(self, *args, **kwargs):
        return self._a.__dlpack__(*args, **kwargs)

    def __dlpack_device__(self):
        return (2, 0)  # kDLCUDA, device 0

    def toDlpack(self):  # noqa: N802 - CuPy's name
        raise NotImplementedError("CuPy twin: toDlpack is not supported")

    # ------------------------------------------------------------ containers
    def __len__(self):
        return len(self._a)

    def __iter__(self):
        if self._a.ndim == 0:
            raise TypeError("iteration over a 0-d array")
        return (ndarray._from(self._a[i]) for i in range(len(self._a)))

    def __getitem__(self, key):
        return wrap(self._a[_index(key)])

    def __setitem__(self, key, value):
        if isinstance(value, np.ndarray | list):
            note_transfer("h2d", "setitem value")
        self._a[_index(key)] = value._a if isinstance(value, ndarray) else value

    def __delitem__(self, key):
        raise ValueError("cannot delete array elements")

    def __copy__(self):
        return ndarray._from(self._a.copy())

    def __deepcopy__(self, memo):
        return ndarray._from(self._a.copy())

    def __reduce__(self):
        return (ndarray._from, (self._a,))

    __hash__ = None

    def __sizeof__(self):
        return object.__sizeof__(self)

    def __getstate__(self):
        return self._a


def _operator(name, np_name, reflected=False, inplace=False):
    op = getattr(operator, np_name)

    def method(self, other):
        if not isinstance(other, ndarray | bool | int | float | complex | np.generic):
            if isinstance(other, np.ndarray | list | tuple):
                raise unsupported(other)
            return NotImplemented
        b = other._a if isinstance(other, ndarray) else other
        if inplace:
            op(self._a, b)
            return self
        return wrap(op(b, self._a) if reflected else op(self._a, b))

    method.__name__ = name
    return method


_BINARY = {
    "add": "add",
    "sub": "sub",
    "mul": "mul",
    "truediv": "truediv",
    "floordiv": "floordiv",
    "mod": "mod",
    "pow": "pow",
    "matmul": "matmul",
    "and": "and_",
    "or": "or_",
    "xor": "xor",
    "lshift": "lshift",
    "rshift": "rshift",
}
for _n, _op in _BINARY.items():
    setattr(ndarray, f"__{_n}__", _operator(f"__{_n}__", _op))
    setattr(ndarray, f"__r{_n}__", _operator(f"__r{_n}__", _op, reflected=True))
    if _n != "matmul":
        setattr(ndarray, f"__i{_n}__", _operator(f"__i{_n}__", "i" + _op.rstrip("_"), inplace=True))
for _n in ("eq", "ne", "lt", "le", "gt", "ge"):
    setattr(ndarray, f"__{_n}__", _operator(f"__{_n}__", _n))
ndarray.__divmod__ = lambda self, o: wrap(divmod(self._a, operand(o)))
ndarray.__rdivmod__ = lambda self, o: wrap(divmod(operand(o), self._a))
ndarray.__neg__ = lambda self: wrap(-self._a)
ndarray.__pos__ = lambda self: wrap(+self._a)
ndarray.__abs__ = lambda self: wrap(abs(self._a))
ndarray.__invert__ = lambda self: wrap(~self._a)

_SPECIAL = set(vars(ndarray)) | {
    "__class__",
    "__doc__",
    "__module__",
    "__slots__",
    "__init_subclass__",
    "__new__",
    "__class_getitem__",
    "__subclasshook__",
    "__dir__",
    "__getattribute__",
    "__setattr__",
    "__delattr__",
    "__reduce_ex__",
    "__pyx_vtable__",
    "__array_finalize__",
    "__div__",
    "__idiv__",
    "__hex__",
    "__oct__",
    "__bytes__",
}


def _method(name):
    def method(self, *args, **kwargs):
        out = kwargs.get("out")
        res = getattr(self._a, name)(*unwrap(args), **{k: unwrap(v) for k, v in kwargs.items()})
        if name in ("fill", "put", "sort", "partition", "dump") or res is None:
            return None
        return out if out is not None else wrap(res)

    method.__name__ = name
    return method


def _missing(cls_name, name):
    def method(self, *args, **kwargs):
        raise NotImplementedError(
            f"CuPy twin: {cls_name}.{name} exists in CuPy but the twin lacks it"
        )

    return method


for _name in NAMES["cupy.ndarray"]:
    if _name in _SPECIAL or _name in vars(ndarray):
        continue
    if _name.startswith("_"):
        continue
    if hasattr(np.ndarray, _name):
        setattr(ndarray, _name, _method(_name))
    else:
        setattr(ndarray, _name, _missing("cupy.ndarray", _name))


def _argsort(self, axis=-1, kind=None):
    if kind not in (None, "stable"):
        raise NotImplementedError(f"argsort: kind={kind!r} is not supported by CuPy")
    return wrap(self._a.argsort(axis=axis, kind="stable"))


def _sort(self, axis=-1, kind=None):
    if kind not in (None, "stable"):
        raise NotImplementedError(f"sort: kind={kind!r} is not supported by CuPy")
    self._a.sort(axis=axis, kind="stable")


ndarray.argsort, ndarray.sort = _argsort, _sort  # always stable, as CuPy's
ndarray.scatter_add = lambda self, slices, value: np.add.at(self._a, _index(slices), operand(value))
ndarray.scatter_max = lambda self, slices, value: np.maximum.at(
    self._a, _index(slices), operand(value)
)
ndarray.scatter_min = lambda self, slices, value: np.minimum.at(
    self._a, _index(slices), operand(value)
)

# CuPy's array has only CuPy's methods: any other name is an AttributeError, as on a GPU
_ALLOWED = set(NAMES["cupy.ndarray"]) | {"_a", "_from", "__weakref__", "__array__"}
for _name in list(vars(ndarray)):
    if _name not in _ALLOWED and not _name.startswith("__"):
        delattr(ndarray, _name)
