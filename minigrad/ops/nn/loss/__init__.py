"""Loss functions (PyTorch's names and reductions) and the fused cross-entropy."""
