"""Normalization: the functional norms, their one core (Normalize) and its array passes."""
