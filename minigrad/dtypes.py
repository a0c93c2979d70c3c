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


_TORCH_NAMES = {
    float16: "Half", float32: "Float", float64: "Double", int64: "Long", int32: "Int",
    np.dtype("int16"): "Short", np.dtype("int8"): "Char", uint8: "Byte", bool_: "Bool",
    np.dtype("complex64"): "ComplexFloat", np.dtype("complex128"): "ComplexDouble",
}  # fmt: skip


def check_result_cast(op, result, dtype) -> None:
    """Raise as PyTorch does when an in-place op's ``result`` (an array or scalar) has a
    dtype that does not cast to the tensor's ``dtype``: a float result into an integer
    tensor, an integer into a bool, a complex into a float (NumPy's ``same_kind`` rule,
    which is PyTorch's ``can_cast``).

    Examples
    --------
    >>> import numpy as np
    >>> from minigrad.dtypes import check_result_cast
    >>> check_result_cast("mul_", np.ones(2), np.dtype("float32"))  # Double into Float: fine
    >>> check_result_cast("mul_", np.ones(2), np.dtype("int64"))
    Traceback (most recent call last):
    ...
    RuntimeError: mul_: result type Double can't be cast to the desired output type Long
    """
    rt = getattr(result, "dtype", None)
    if rt is None or rt == dtype or np.can_cast(rt, dtype, casting="same_kind"):
        return
    raise RuntimeError(
        f"{op}: result type {torch_name(rt)} can't be cast to the desired output type "
        f"{torch_name(dtype)}"
    )


def torch_name(dtype) -> str:
    """PyTorch's name of a dtype in its messages (``Float``, ``Long``, ...).

    Examples
    --------
    >>> import numpy as np
    >>> from minigrad.dtypes import torch_name
    >>> torch_name(np.dtype("int64")), torch_name(np.dtype("float32"))
    ('Long', 'Float')
    """
    return _TORCH_NAMES.get(np.dtype(dtype), str(dtype))


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
