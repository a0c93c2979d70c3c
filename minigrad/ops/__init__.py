"""The ops: every tensor operation as a :class:`~minigrad.autograd.Function` and the
function that applies it, in folders by concern.

- :mod:`minigrad.ops.math`: elementwise and unary math, comparisons, reductions, scans,
  matrix products, norms of vectors;
- :mod:`minigrad.ops.shape`: reshaping, views, indexing, masks, scatter/gather, sorting,
  joining, padding;
- :mod:`minigrad.ops.nn`: the neural-network ops behind ``minigrad.nn.functional``
  (convolution, pooling, normalization, losses, recurrent steps, activations, dropout);
- :mod:`minigrad.ops.kernels`: the compiled CPU loops (Numba) and CUDA kernels (CuPy) of
  the fused ops;
- :mod:`minigrad.ops.impl`: which implementation (NumPy, compiled CPU, CuPy) runs a fused op.

Nothing is re-exported here: import each name from the module that defines it, or use the
public namespaces ``minigrad``, ``minigrad.nn`` and ``minigrad.nn.functional``.
"""
