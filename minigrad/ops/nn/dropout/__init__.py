"""Dropout: elementwise, alpha and channel dropout."""
