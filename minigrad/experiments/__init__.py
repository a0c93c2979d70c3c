"""The normalization laboratory."""
