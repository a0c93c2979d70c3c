"""Compiled kernels of the fused ops: ``cpu`` (Numba loops), ``cuda`` (CuPy kernels).
The op modules choose them through :mod:`minigrad.ops.impl`."""
