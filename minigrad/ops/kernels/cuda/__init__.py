"""CuPy kernels (raw elementwise/reduction kernels), one module per fused op family."""
