"""Build the twin's modules (``cupy``, ``cupy.random``, ``cupy.linalg``, ``cupy.fft``,
``cupy.cuda``, ``cupy.cuda.runtime``, ``cupyx``, ``cupyx.scipy``, ``cupyx.scipy.special``)
from CuPy's name list: each name CuPy has maps to NumPy's object of the same name
(arguments unwrapped, NumPy arrays refused, results wrapped); a name CuPy has but the twin
does not implement raises ``NotImplementedError`` when used; any other name is an
``AttributeError``, as with real CuPy.
"""

from __future__ import annotations

import contextlib
import types

import numpy as np

from . import cuda, kernels, rng
from .array import SYNC, DeviceSynchronized, ndarray, note_transfer, operand, unwrap, wrap
from .names import NAMES, SIGNATURES, VERSION

UFUNCS: dict = {}
"""The twin's ufuncs by name (for ``ndarray.__array_ufunc__``)."""

HOST_OK = {"array", "asarray", "asanyarray", "ascontiguousarray", "asfortranarray"}
"""Functions that take host (NumPy) data and copy it to the device."""


class TwinModule(types.ModuleType):
    """A module that has exactly CuPy's names."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        raise AttributeError(
            f"module '{self.__name__}' has no attribute '{name}' "
            f"(CuPy twin: only names that {VERSION} has)"
        )


def _missing(qualname):
    def missing(*args, **kwargs):
        raise NotImplementedError(
            f"CuPy twin: {qualname} exists in CuPy but the twin does not implement it"
        )

    missing.__name__ = qualname.rsplit(".", 1)[-1]
    return missing


class ufunc:  # noqa: N801 - CuPy's name
    """A CuPy ufunc: operands are twin arrays or scalars (no NumPy arrays, no lists)."""

    def __init__(self, fn, name):
        self._fn, self.name, self.__name__ = fn, name, name
        self.nin = getattr(fn, "nin", 1)
        self.nout = getattr(fn, "nout", 1)
        self.nargs = self.nin + self.nout
        self.types = getattr(fn, "types", [])

    def __repr__(self):
        return f"<ufunc '{self.name}'>"

    def __call__(self, *args, out=None, **kwargs):
        ops = [operand(a) for a in args]
        if out is not None:
            outs = out if isinstance(out, tuple) else (out,)
            kwargs["out"] = tuple(o._a if isinstance(o, ndarray) else _refuse(o) for o in outs)
            self._fn(*ops, **kwargs)
            return out
        return wrap(self._fn(*ops, **kwargs))

    def _method(self, method, *args, **kwargs):
        fn = getattr(self._fn, method, None)
        if fn is None:
            raise NotImplementedError(f"CuPy twin: {self.name}.{method}")
        out = kwargs.get("out")
        kwargs = {k: (operand(v) if isinstance(v, ndarray) else v) for k, v in kwargs.items()}
        res = fn(*(operand(a) if not isinstance(a, tuple | slice) else a for a in args), **kwargs)
        return out if out is not None else wrap(res)

    def at(self, a, indices, b=None):
        if not isinstance(a, ndarray):
            raise TypeError(f"{self.name}.at: the first argument must be a cupy.ndarray")
        from .array import _index

        args = (a._a, _index(indices)) + (() if b is None else (operand(b),))
        self._fn.at(*args)

    def reduce(self, array, *args, **kwargs):
        return self._method("reduce", array, *args, **kwargs)

    def accumulate(self, array, *args, **kwargs):
        return self._method("accumulate", array, *args, **kwargs)

    def reduceat(self, array, indices, *args, **kwargs):
        return self._method("reduceat", array, indices, *args, **kwargs)

    def outer(self, a, b, **kwargs):
        return self._method("outer", a, b, **kwargs)


def _refuse(obj):
    from .array import unsupported

    raise unsupported(obj)


def function(fn, name, host_ok=False, qualname=None):
    """A CuPy routine from NumPy's: arguments checked against CuPy's signature (when
    known), arrays unwrapped, NumPy arrays refused unless ``host_ok``, results wrapped,
    ``out=`` returned as given."""
    sig = SIGNATURES.get(qualname or f"cupy.{name}")

    def routine(*args, **kwargs):
        if sig is not None:
            try:
                sig.bind(*args, **kwargs)
            except TypeError as e:
                raise TypeError(f"{qualname or 'cupy.' + name}: {e} (CuPy's signature)") from None
        out = kwargs.get("out")
        res = fn(*unwrap(args, host_ok), **{k: unwrap(v, host_ok) for k, v in kwargs.items()})
        return out if out is not None else wrap(res)

    routine.__name__ = name
    routine.__wrapped_numpy__ = fn
    return routine


# ----------------------------------------------------------------- cupy's own routines
def asnumpy(a, stream=None, order="C", out=None, blocking=True):
    if isinstance(a, ndarray):
        return a.get(order=order, out=out)
    return np.asarray(a, order=order)


def asarray(a, dtype=None, order=None, *, blocking=False):
    if isinstance(a, ndarray) and (dtype is None or np.dtype(dtype) == a.dtype):
        return a
    return ndarray._from(np.array(unwrap(a, host_ok=True), dtype=dtype, order=order or "K"))


def array(obj, dtype=None, copy=True, order="K", subok=False, ndmin=0, *, blocking=False):
    a = unwrap(obj, host_ok=True)
    return ndarray._from(np.array(a, dtype=dtype, copy=copy or None, order=order, ndmin=ndmin))


def get_array_module(*args):
    for a in args:
        if isinstance(a, ndarray):
            return MODULES["cupy"]
    return np


def from_dlpack(obj, *, device=None, copy=None):
    if isinstance(obj, ndarray):
        return obj
    if obj.__dlpack_device__()[0] != 2:
        raise RuntimeError("CuPy can only import CUDA arrays through DLPack (CuPy twin)")

    class _OnHost:  # the twin's "device" memory is host memory: let NumPy take the capsule
        def __dlpack__(self, *args, **kwargs):
            return obj.__dlpack__(*args, **kwargs)

        def __dlpack_device__(self):
            return (1, 0)

    return ndarray._from(np.from_dlpack(_OnHost()))


def _stable_only(name, fn):
    """CuPy's sort and argsort are always stable, and take no other ``kind``."""

    def routine(a, axis=-1, kind=None):  # CuPy's signature: no order=, no stable=
        if kind not in (None, "stable"):
            raise NotImplementedError(f"{name}: kind={kind!r} is not supported by CuPy")
        return wrap(fn(unwrap(a), axis=axis, kind="stable"))

    return routine


def fuse(*args, **kwargs):
    if len(args) == 1 and callable(args[0]) and not kwargs:
        return args[0]
    return lambda f: f


_MEMPOOL = cuda.MemoryPool()

CUPY_SPECIAL = {
    "ndarray": ndarray,
    "ufunc": ufunc,
    "asnumpy": asnumpy,
    "asarray": asarray,
    "asanyarray": asarray,
    "array": array,
    "get_array_module": get_array_module,
    "from_dlpack": from_dlpack,
    "fromDlpack": from_dlpack,
    "fuse": fuse,
    "sort": _stable_only("sort", np.sort),
    "argsort": _stable_only("argsort", np.argsort),
    "ElementwiseKernel": kernels.ElementwiseKernel,
    "ReductionKernel": kernels.ReductionKernel,
    "RawKernel": kernels.RawKernel,
    "RawModule": kernels.RawModule,
    "get_default_memory_pool": lambda: _MEMPOOL,
    "get_default_pinned_memory_pool": lambda: _MEMPOOL,
    "is_available": lambda: True,
}


@contextlib.contextmanager
def allow_synchronize(allow):
    old = SYNC["allowed"]
    SYNC["allowed"] = bool(allow)
    try:
        yield
    finally:
        SYNC["allowed"] = old


def scatter_add(a, slices, value):
    a.scatter_add(slices, value)


def scatter_max(a, slices, value):
    a.scatter_max(slices, value)


def scatter_min(a, slices, value):
    a.scatter_min(slices, value)


CUPYX_SPECIAL = {
    "allow_synchronize": allow_synchronize,
    "DeviceSynchronized": DeviceSynchronized,
    "scatter_add": scatter_add,
    "scatter_max": scatter_max,
    "scatter_min": scatter_min,
    "errstate": np.errstate,
    "seterr": np.seterr,
    "geterr": np.geterr,
    "rsqrt": ufunc(lambda x, **kw: 1 / np.sqrt(x, **kw), "rsqrt"),
    "empty_pinned": np.empty,  # pinned host memory is a NumPy array, as in CuPy
    "zeros_pinned": np.zeros,
    "empty_like_pinned": np.empty_like,
    "zeros_like_pinned": np.zeros_like,
}


# ----------------------------------------------------------------- building the modules
MODULES: dict = {}


def _special_functions():
    try:
        import scipy.special as sp
    except ImportError:
        return None
    return sp


def _member(modname, name, kind, source, special):
    """The twin's object for ``modname.name`` (CuPy's kind ``kind``); ``source`` is the
    NumPy (or SciPy) module to take it from."""
    qual = f"{modname}.{name}"
    if name in special:
        return special[name]
    obj = getattr(source, name, None) if source is not None else None
    if kind == "module":
        return MODULES.get(qual)
    if kind == "ufunc":
        if obj is None:
            return _missing(qual)
        u = ufunc(obj, name)
        if modname == "cupy":
            UFUNCS[name] = u
            if isinstance(obj, np.ufunc):
                UFUNCS.setdefault(obj.__name__, u)
        return u
    if kind in ("dtype", "other") or isinstance(obj, type):
        return obj if obj is not None else _missing(qual)
    if kind == "function" and callable(obj):
        return function(obj, name, host_ok=name in HOST_OK, qualname=qual)
    return _missing(qual) if kind in ("function", "class") else obj


def _module(modname, source, special=None):
    mod = TwinModule(modname, f"The CuPy twin's {modname} (NumPy underneath).")
    mod.__twin__ = True
    MODULES[modname] = mod
    for name, kind in NAMES[modname].items():
        if kind == "module" and f"{modname}.{name}" not in MODULES:
            continue
        value = _member(modname, name, kind, source, special or {})
        if value is not None:
            setattr(mod, name, value)
    return mod


def build():
    """Make the twin's modules; returns ``{module name: module}``."""
    if MODULES:
        return MODULES
    rt = _module("cupy.cuda.runtime", None, {k: v for k, v in vars(cuda.runtime).items()
                                             if not k.startswith("_")})  # fmt: skip
    cuda_special = {
        "Device": cuda.Device, "Stream": cuda.Stream, "Event": cuda.Event,
        "get_current_stream": cuda.get_current_stream, "get_device_id": cuda.get_device_id,
        "is_available": cuda.is_available, "get_elapsed_time": cuda.get_elapsed_time,
        "MemoryPool": cuda.MemoryPool, "PinnedMemoryPool": cuda.PinnedMemoryPool,
        "MemoryPointer": cuda.MemoryPointer, "runtime": rt,
    }  # fmt: skip
    _module("cupy.cuda", None, cuda_special)
    rnd_special = {"Generator": rng.Generator, "default_rng": rng.default_rng,
                   "seed": rng.seed}  # fmt: skip
    for name, kind in NAMES["cupy.random"].items():
        if kind == "function" and name not in rnd_special and hasattr(np.random.RandomState, name):
            rnd_special[name] = rng.module_function(name)
    _module("cupy.random", None, rnd_special)
    _module("cupy.linalg", np.linalg)
    _module("cupy.fft", np.fft)
    _module("cupy.lib.stride_tricks", np.lib.stride_tricks)
    _module("cupy.lib", None)
    _module("cupy", np, CUPY_SPECIAL)
    sp = _special_functions()
    _module("cupyx.scipy.special", sp)
    _module("cupyx.scipy", None, {"get_array_module": get_array_module})
    _module("cupyx", None, CUPYX_SPECIAL)
    return MODULES


def lookup(module, name):
    """The twin's routine for NumPy's ``module.name`` (``numpy.linalg.norm`` ->
    ``cupy.linalg.norm``), or None when CuPy has no such routine."""
    mod = MODULES.get("cupy" + module[len("numpy") :]) if module.startswith("numpy") else None
    if mod is None and module.startswith("numpy"):
        mod = MODULES.get("cupy")  # numpy._core.* functions are cupy.*
    if mod is None or name not in NAMES.get(mod.__name__, {}):
        return None
    fn = getattr(mod, name, None)
    return fn if callable(fn) else None


__all__ = ["build", "lookup", "note_transfer"]
