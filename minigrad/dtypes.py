"""Element types. minigrad's dtypes are NumPy's ``numpy.dtype`` objects, which CuPy
shares, so ``tensor.dtype == minigrad.float32`` works on both backends."""

from __future__ import annotations

import numpy as np

__all__ = [
    "float16", "float32", "float64", "int32", "int64", "bool_", "uint8",
    "as_dtype", "get_default_dtype",
]  # fmt: skip

float16 = np.dtype("float16")
float32 = np.dtype("float32")
float64 = np.dtype("float64")
int32 = np.dtype("int32")
int64 = np.dtype("int64")
uint8 = np.dtype("uint8")
bool_ = np.dtype("bool")

half, float_, double, long, int_ = float16, float32, float64, int64, int32
_ALLOWED = {
    float16,
    float32,
    float64,
    int32,
    int64,
    uint8,
    bool_,
    np.dtype("int8"),
    np.dtype("int16"),
}


def get_default_dtype():
    """The dtype of tensors made from Python floats: ``float32``.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.get_default_dtype()
    dtype('float32')
    """
    return float32


def as_dtype(dtype) -> np.dtype:
    """Normalize a dtype spec (``minigrad.float32``, ``'float32'``, ``numpy.float32``,
    ``float``) to a ``numpy.dtype``, refusing the kinds minigrad does not support."""
    if dtype is float:
        return float32
    if dtype is int:
        return int64
    if dtype is bool:
        return bool_
    try:
        d = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"not a dtype: {dtype!r}") from None
    if d not in _ALLOWED:
        raise TypeError(f"unsupported dtype {d}: expected one of float16/32/64, int32/64, bool")
    return d
