"""Activation functions beyond the unary math (GELU, ELU, PReLU, ...) and ``inplace=``."""
