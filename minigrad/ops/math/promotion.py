"""PyTorch's type promotion for the operands of elementwise ops (where it differs from
NumPy's, PyTorch's wins).

NumPy 2 promotes ``int64`` with ``float32`` to ``float64``, a 0-d ``float64`` array with a
``float32`` array to ``float64``, and makes ``int / int`` and ``exp(int)`` ``float64``.
PyTorch keeps the floating dtype of the operands: the result dtype is found per
*category* (bool < integer < floating < complex), in three tiers:

1. tensors with at least one dimension,
2. 0-d tensors,
3. Python numbers (``bool``, ``int`` as int64, ``float`` as the default dtype float32);

a lower tier only changes the result when its category is higher (then the result is
the promotion of both, so ``int64_tensor * 1.5`` is float32 and ``float32_tensor *
float64_0d`` stays float32). True division and the floating-point functions (``exp``,
``log``, ``sigmoid``, ...) turn integer and bool inputs into the default dtype.

Examples
--------
>>> import minigrad
>>> (minigrad.tensor([1, 2]) / 2).dtype
dtype('float32')
>>> (minigrad.tensor([1, 2]) * minigrad.tensor([0.5, 1.0])).dtype
dtype('float32')
"""

from __future__ import annotations

import numpy as np

__all__ = []  # internal

_RANK = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}
_ndarray = np.ndarray


def _default():
    from minigrad.dtypes import get_default_dtype

    return get_default_dtype()


def _promote(d1, d2):
    """``torch.promote_types`` for two NumPy dtypes (either may be None)."""
    if d1 is None:
        return d2
    if d2 is None or d1 == d2:
        return d1
    r1, r2 = _RANK[d1.kind], _RANK[d2.kind]
    if r1 == r2 or 3 in (r1, r2):  # same category (or complex): NumPy agrees with PyTorch
        return np.promote_types(d1, d2)
    return d1 if r1 > r2 else d2  # int with float: the float; bool with anything: the other


def _combine(higher, lower):
    """PyTorch's ``combine_categories``: a lower tier matters only when its category
    is higher."""
    if higher is None:
        return lower
    if lower is None:
        return higher
    if higher.kind == "c":
        return higher
    if lower.kind == "c":
        return np.promote_types(higher, lower)
    if higher.kind == "f":
        return higher
    if higher.kind == "b" or lower.kind == "f":
        return _promote(higher, lower)
    return higher


def _scalar_dtype(v):
    if isinstance(v, bool):
        return np.dtype(bool)
    if isinstance(v, int):
        return np.dtype("int64")
    if isinstance(v, float):
        return _default()
    if isinstance(v, complex):
        return np.dtype("complex64")
    return None


def result_dtype(*operands):
    """The dtype PyTorch gives an elementwise op of ``operands`` (arrays or Python
    numbers)."""
    dims = zeros = scalars = None
    for v in operands:
        dt = getattr(v, "dtype", None)
        if dt is None:
            scalars = _promote(scalars, _scalar_dtype(v))
        elif v.ndim:
            dims = _promote(dims, dt)
        else:
            zeros = _promote(zeros, dt)
    return _combine(dims, _combine(zeros, scalars))


def align(a, b, true_div: bool = False):
    """``a`` and ``b`` (arrays or Python numbers) with array operands cast so that
    NumPy's arithmetic gives PyTorch's result dtype (Python numbers stay weak scalars).
    ``true_div``: an integer or bool result becomes the default float dtype."""
    if a.__class__ is _ndarray:  # the common cases first, without getattr on a number
        da, cb = a.dtype, b.__class__
        if cb is float and da.kind == "f":
            return a, constant(b, da)  # the same values as the Python float, faster
        if cb is float or cb is int:
            if da.kind in "fc":
                return a, b  # a float array with a Python number: NumPy keeps the dtype
        elif cb is _ndarray:
            db = b.dtype
            if (da is db or da == db) and (da.kind in "fc" or not true_div):
                return a, b
    da, db = getattr(a, "dtype", None), getattr(b, "dtype", None)
    if da is not None and db is not None:
        if (da is db or da == db) and (da.kind in "fc" or not true_div):
            return a, b  # the common case: nothing to do
    elif da is not None:
        if da.kind in "fc" and not isinstance(b, complex):
            return a, b  # a float array with a Python number: NumPy keeps the dtype
    elif db is not None:
        if db.kind in "fc" and not isinstance(a, complex):
            return a, b
    dt = result_dtype(a, b)
    if dt is None:
        return a, b
    if true_div and dt.kind in "biu":
        dt = _default()
    if da is not None and da != dt:
        a = a.astype(dt)
    if db is not None and db != dt:
        b = b.astype(dt)
    return a, b


def floating(x):
    """``x`` as a floating array: integer and bool arrays become the default dtype (the
    floating-point functions of PyTorch do that; NumPy would give float64)."""
    if x.dtype.kind in "fc":
        return x
    return x.astype(_default())


_CONSTANTS = {}  # (value, dtype) -> read-only 0-d array


def constant(v: float, dtype):
    """The Python float ``v`` as a read-only 0-d NumPy array of the floating ``dtype``,
    cached (up to 256 of them).

    NumPy 2 turns a Python float operand of a float array into that very array's dtype
    (NEP 50: a weak scalar), so ``x * constant(v, x.dtype)`` is ``x * v`` bit for bit;
    but each ufunc call spends ~280 ns converting the Python float, half the time of a
    small op (a float32 (10,) multiply: 0.58 us with ``v``, 0.30 us with the array).
    ``-0.0`` and NaN are returned as they are (as keys they would collide or never match).

    Examples
    --------
    >>> import numpy as np
    >>> from minigrad.ops.math.promotion import constant
    >>> x = np.array([1.5, 2.5], np.float32)
    >>> (x * constant(0.1, x.dtype)).tobytes() == (x * 0.1).tobytes()
    True
    """
    key = (v, dtype)
    z = _CONSTANTS.get(key)
    if z is None:
        if v != v or v == 0.0:
            return v
        z = np.array(v, dtype)
        z.flags.writeable = False  # shared by every op that uses the constant
        if len(_CONSTANTS) >= 256:
            _CONSTANTS.clear()
        _CONSTANTS[key] = z
    return z


def operand(v, x):
    """``v`` as the other operand of ``x`` in a formula that may run on arrays: a Python
    float next to a NumPy float array becomes its cached 0-d array (:func:`constant`);
    anything else (Tensors included) stays as it is."""
    if v.__class__ is float and x.__class__ is _ndarray and x.dtype.kind == "f":
        return constant(v, x.dtype)
    return v
