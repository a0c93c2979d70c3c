"""The twin's ``cupy.random``: NumPy's generators, with CuPy's method names only.

CuPy's ``Generator`` has fewer methods than NumPy's (no ``permutation``, ``choice``,
``normal``, ``shuffle``...): the twin exposes exactly CuPy's list, so code that calls a
method CuPy's generator lacks fails here as it would on a GPU.
"""

from __future__ import annotations

import numpy as np

from .array import unwrap, wrap
from .names import NAMES, VERSION


class Generator:
    """``cupy.random.Generator`` (made by ``cupy.random.default_rng``)."""

    def __init__(self, bit_generator):
        self._g = np.random.default_rng(bit_generator)

    def __getattr__(self, name):
        if name not in NAMES["cupy.random.Generator"] or name.startswith("_"):
            raise AttributeError(
                f"'cupy.random.Generator' object has no attribute '{name}' "
                f"(CuPy twin: the method list of {VERSION})"
            )
        fn = getattr(self._g, name)

        def method(*args, **kwargs):
            out = kwargs.pop("out", None)
            dtype = kwargs.get("dtype")
            args, kw = unwrap(args), {k: unwrap(v) for k, v in kwargs.items()}
            try:
                res = fn(*args, **kw)
            except TypeError:  # NumPy's method has no dtype= where CuPy's has
                if "dtype" not in kw:
                    raise
                kw.pop("dtype")
                res = np.asarray(fn(*args, **kw)).astype(dtype)
            res = wrap(res)
            if out is not None:
                out._a[...] = res._a
                return out
            return res

        return method


def default_rng(seed=None):
    return Generator(seed)


_state = {"rs": np.random.RandomState()}


def seed(seed=None):
    _state["rs"] = np.random.RandomState(seed)


def module_function(name):
    """``cupy.random.<name>`` from the global RandomState (NumPy's of the same name)."""

    def fn(*args, **kwargs):
        dtype = kwargs.pop("dtype", None)
        kwargs = {k: unwrap(v) for k, v in kwargs.items()}
        res = getattr(_state["rs"], name)(*unwrap(args), **kwargs)
        if dtype is not None:
            res = np.asarray(res).astype(dtype)
        return wrap(res)

    fn.__name__ = name
    return fn
