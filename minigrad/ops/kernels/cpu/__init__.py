"""Compiled CPU loops (Numba, :mod:`minigrad.jit`), one module per fused op family."""
