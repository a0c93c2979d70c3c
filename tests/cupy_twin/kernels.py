"""The twin's user kernels: ``ElementwiseKernel``, ``ReductionKernel``, ``RawKernel``.

CUDA C cannot run here. The twin runs a kernel's *NumPy reference* instead:

* a function registered for the kernel's name in :data:`REFERENCES` (the way to test a
  ``RawKernel``, whose C source the twin cannot read), else
* for Elementwise and Reduction kernels, the kernel's own one-line C expressions
  translated to NumPy: assignments ``out = expr`` with arithmetic, comparisons, casts
  ``(T)(...)`` and math functions (``exp``, ``sqrt``, ``rsqrt``, ``max``...). Anything
  else (loops, ternaries, ``if``) raises ``NotImplementedError`` asking for a reference.

The parameter lists are checked as CuPy checks them: every array bound to the same type
placeholder (``T x, T m``) must have the same dtype, scalars are cast to it, an output
whose type appears in no input must be passed in, and NumPy arrays are refused.
"""

from __future__ import annotations

import re

import numpy as np

from .array import ndarray, unsupported, wrap

REFERENCES: dict = {}
"""``{kernel name: fn}``: NumPy reference implementations, called with the kernel's
arguments as NumPy arrays (outputs included, to be written in place)."""

_MATH = {
    "exp": np.exp, "log": np.log, "sqrt": np.sqrt, "rsqrt": lambda v: 1 / np.sqrt(v),
    "abs": np.abs, "fabs": np.abs, "max": np.maximum, "min": np.minimum,
    "fmax": np.fmax, "fmin": np.fmin, "pow": np.power, "tanh": np.tanh, "log1p": np.log1p,
    "expm1": np.expm1, "floor": np.floor, "ceil": np.ceil, "isnan": np.isnan,
    "isinf": np.isinf, "erf": None, "copysign": np.copysign,
}  # fmt: skip
_CTYPES = {
    "float": np.float32, "double": np.float64, "int": np.int32, "long": np.int64,
    "bool": np.bool_, "float16": np.float16, "half": np.float16, "size_t": np.uint64,
}  # fmt: skip


def _params(spec):
    """``'T x, raw T y, float32 z'`` -> ``[(type, name, raw), ...]``."""
    out = []
    for p in filter(None, (s.strip() for s in spec.split(","))):
        words = p.split()
        raw = words[0] == "raw"
        words = words[1:] if raw else words
        if len(words) != 2:
            raise ValueError(f"CuPy twin: cannot parse kernel parameter {p!r}")
        out.append((words[0], words[1], raw))
    return out


def _translate(expr, types):
    """A C expression as Python source; casts become calls of ``_cast_<type>``."""
    if re.search(r"\?|\bfor\b|\bif\b|\bwhile\b|\[|\{", expr):
        raise NotImplementedError(
            f"CuPy twin: cannot translate the C code {expr!r}; register a NumPy reference "
            "in cupy_twin.kernels.REFERENCES under the kernel's name"
        )
    names = "|".join(re.escape(t) for t in sorted(types, key=len, reverse=True))
    expr = re.sub(rf"\(\s*({names})\s*\)", r"_cast_\1", expr)
    return expr.replace("&&", " & ").replace("||", " | ").replace("!", " ~ ").replace("~ =", "!=")


def _bind_types(in_params, args):
    """Resolve the type placeholders from the array arguments, as CuPy does."""
    types = {}
    for (t, name, _raw), a in zip(in_params, args):
        if isinstance(a, np.ndarray):
            raise unsupported(a)
        if t in _CTYPES or hasattr(np, t) and isinstance(getattr(np, t), type):
            continue
        if isinstance(a, ndarray):
            if t in types and types[t] != a.dtype:
                raise TypeError(f"Type is mismatched. {name} {t} {a.dtype} {types[t]}")
            types[t] = a.dtype
    for (t, _name, _raw), a in zip(in_params, args):
        if t not in types and t not in _CTYPES and not hasattr(np, t):
            types[t] = np.asarray(a).dtype  # a scalar fixes the type only if no array does
    return types


def _dtype_of(t, types):
    if t in types:
        return np.dtype(types[t])
    if t in _CTYPES:
        return np.dtype(_CTYPES[t])
    if hasattr(np, t):
        return np.dtype(getattr(np, t))
    return None


def _scope(in_params, args, types):
    env = dict(_MATH)
    if env["erf"] is None:
        from math import erf

        env["erf"] = np.vectorize(erf)
    for t in set(types) | set(_CTYPES):
        dt = _dtype_of(t, types)
        env[f"_cast_{t}"] = lambda v, dt=dt: np.asarray(v).astype(dt)
    for (t, name, _raw), a in zip(in_params, args):
        dt = _dtype_of(t, types)
        env[name] = a._a if isinstance(a, ndarray) else np.asarray(a, dtype=dt)[()]
    return env


def _run_statements(code, env, types, outs):
    for stmt in filter(None, (s.strip() for s in code.split(";"))):
        target, _, expr = stmt.partition("=")
        target = target.strip().split()[-1]
        if not expr:
            raise NotImplementedError(f"CuPy twin: cannot translate the C statement {stmt!r}")
        value = eval(_translate(expr, set(types) | set(_CTYPES)), {"__builtins__": {}}, env)
        if target in outs:
            outs[target][...] = value
            env[target] = outs[target]
        else:
            env[target] = value


class ElementwiseKernel:
    """``cupy.ElementwiseKernel(in_params, out_params, operation, name)``."""

    def __init__(self, in_params, out_params, operation, name="kernel", **kwargs):
        self.in_params, self.out_params = _params(in_params), _params(out_params)
        self.operation, self.name = operation, name
        self.nin, self.nout = len(self.in_params), len(self.out_params)
        self.nargs = self.nin + self.nout

    def __call__(self, *args, size=None, block_size=None):
        if len(args) not in (self.nin, self.nargs):
            raise TypeError(f"Wrong number of arguments for {self.name!r}")
        ins, outs = args[: self.nin], list(args[self.nin :])
        for o in outs:
            if not isinstance(o, ndarray):
                raise unsupported(o)
        types = _bind_types(self.in_params, ins)
        arrays = [a._a for a in (*ins, *outs) if isinstance(a, ndarray)]
        shape = np.broadcast_shapes(*(a.shape for a in arrays))
        if not outs:
            for t, name, _raw in self.out_params:
                dt = _dtype_of(t, types)
                if dt is None:
                    raise TypeError(f"Cannot determine the type of {name} in {self.name!r}")
                outs.append(ndarray._from(np.empty(shape, dt)))
        else:
            for (t, _name, _raw), o in zip(self.out_params, outs):
                types.setdefault(t, o.dtype)
        if self.name in REFERENCES:
            REFERENCES[self.name](*(a._a if isinstance(a, ndarray) else a for a in ins),
                                  *(o._a for o in outs))  # fmt: skip
        else:
            env = _scope(self.in_params, ins, types)
            targets = {name: o._a for (_t, name, _raw), o in zip(self.out_params, outs)}
            with np.errstate(all="ignore"):  # a GPU raises no floating-point errors
                _run_statements(self.operation, env, types, targets)
        return outs[0] if len(outs) == 1 else tuple(outs)


_REDUCE = {
    r"(\w+)\+(\w+)": np.sum, r"max\((\w+),(\w+)\)": np.max, r"min\((\w+),(\w+)\)": np.min,
    r"(\w+)\*(\w+)": np.prod,
}  # fmt: skip


class ReductionKernel:
    """``cupy.ReductionKernel(in_params, out_params, map_expr, reduce_expr, post_map_expr,
    identity, name)``: map, reduce (``a + b``, ``max(a, b)``, ``min(a, b)``, ``a * b``),
    post-map."""

    def __init__(self, in_params, out_params, map_expr, reduce_expr, post_map_expr,
                 identity, name="reduce_kernel", reduce_type=None, **kwargs):  # fmt: skip
        self.in_params, self.out_params = _params(in_params), _params(out_params)
        self.map_expr, self.post_map_expr, self.identity = map_expr, post_map_expr, identity
        self.name, self.reduce_type = name, reduce_type
        self.nin, self.nout = len(self.in_params), len(self.out_params)
        compact = re.sub(r"\s", "", reduce_expr)
        for pattern, fn in _REDUCE.items():
            if re.fullmatch(pattern, compact):
                self._reduce = fn
                break
        else:
            raise NotImplementedError(
                f"CuPy twin: reduce_expr {reduce_expr!r} of {name!r} is not a sum, product, "
                "max or min; register a NumPy reference in cupy_twin.kernels.REFERENCES"
            )

    def __call__(self, *args, out=None, axis=None, keepdims=False, stream=None):
        ins = args[: self.nin]
        if out is None and len(args) > self.nin:
            out = args[self.nin]
        types = _bind_types(self.in_params, ins)
        if self.name in REFERENCES:
            return wrap(REFERENCES[self.name](*(a._a if isinstance(a, ndarray) else a for a in ins),
                                              axis=axis, keepdims=keepdims))  # fmt: skip
        env = _scope(self.in_params, ins, types)
        with np.errstate(all="ignore"):
            mapped = eval(_translate(self.map_expr, set(types) | set(_CTYPES)),
                          {"__builtins__": {}}, env)  # fmt: skip
            (t_out, name_out, _raw) = self.out_params[0]
            dt = _dtype_of(t_out, types)
            acc = np.dtype(self.reduce_type) if self.reduce_type else dt
            reduced = self._reduce(np.asarray(mapped).astype(acc), axis=axis, keepdims=keepdims)
            env = dict(env, a=reduced)
            if dt is None:
                dt = reduced.dtype
            result = out._a if out is not None else np.empty(np.shape(reduced), dt)
            _run_statements(self.post_map_expr, env, types, {name_out: result})
        return out if out is not None else wrap(result)


class RawKernel:
    """``cupy.RawKernel(code, name)``: runs only through a reference in
    :data:`REFERENCES` (the twin cannot compile CUDA C)."""

    def __init__(self, code, name, options=(), backend="nvrtc", **kwargs):
        self.code, self.name = code, name

    def __call__(self, grid, block, args, shared_mem=0, **kwargs):
        fn = REFERENCES.get(self.name)
        if fn is None:
            raise NotImplementedError(
                f"CuPy twin: RawKernel {self.name!r} cannot run without a GPU; register its "
                "NumPy reference in cupy_twin.kernels.REFERENCES"
            )
        fn(*(a._a if isinstance(a, ndarray) else a for a in args))


class RawModule:
    def __init__(self, code=None, path=None, options=(), **kwargs):
        self.code = code

    def get_function(self, name):
        return RawKernel(self.code, name)
