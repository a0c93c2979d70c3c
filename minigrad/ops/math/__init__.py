"""Elementwise and unary math, comparisons, reductions, scans, linear algebra."""
