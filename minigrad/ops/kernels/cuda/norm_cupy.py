"""The normalization core's fused passes on CuPy: one kernel per pass over the data.

:mod:`minigrad.ops.nn.norm.norm_core` runs these for the "cupy" implementation
(:mod:`minigrad.ops.impl`) where the NumPy code (:mod:`minigrad.ops.nn.norm.norm_kernels`) runs a
short sequence of in-place ufuncs: the same three functions, the same formulas, each one
CuPy kernel (built once, on first use; CuPy is imported then). On CuPy the whole array
is one tile.

Without a GPU these run on the CuPy stand-in of the tests (``pytest --cupy-twin``), which
evaluates each kernel's one-line C expressions with NumPy: that checks the formulas and
the arguments, not the CUDA code generation.
"""

from __future__ import annotations

__all__ = []  # internal

_KERNELS = None


def cupy_kernels():
    """Fused CuPy kernels for the passes over the data (built once, on first use)."""
    global _KERNELS
    if _KERNELS is None:
        import cupy

        class _K:
            dot = cupy.ReductionKernel(
                "T a, T b", "T s", "a * b", "x + y", "s = a", "0", "minigrad_norm_dot"
            )
            fwd = cupy.ElementwiseKernel(
                "T x, T m, T k, T c", "Y y", "y = (Y)((x - m) * k + c)", "minigrad_norm_fwd"
            )
            bwd = cupy.ElementwiseKernel(
                "T g, T x, T m, T c2, T c1, T k",
                "Y dx",
                "dx = (Y)(k * (g - c1 - (x - m) * c2))",
                "minigrad_norm_bwd",
            )

        _KERNELS = _K
    return _KERNELS


def chan_dot(a, b):
    """``sum(a * b)`` of two ``(A, C, B)`` arrays over axes 0 and 2: shape ``(C,)``."""
    return cupy_kernels().dot(a, b, axis=(0, 2))


def fwd_affine(x, m, k, c, out):
    """``out = (x - m) * k + c``; ``m, k, c`` broadcast against ``x`` (``m``/``c`` may be
    None)."""
    z = k.dtype.type(0)
    m, c = (z if m is None else m), (z if c is None else c)
    return cupy_kernels().fwd(x, m, k, c, out)


def bwd_combine(g, x, m, c2, c1, k, out, scratch=None):
    """``out = k * (g - c1 - (x - m) * c2)``; the constants broadcast against ``x``
    (``m``, ``c1`` may be None); ``scratch`` is not needed (one fused kernel)."""
    z = k.dtype.type(0)
    m, c1 = (z if m is None else m), (z if c1 is None else c1)
    return cupy_kernels().bwd(g, x, m, c2, c1, k, out)
