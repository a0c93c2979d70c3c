"""Convolution, transposed convolution and sliding blocks (unfold/fold)."""
