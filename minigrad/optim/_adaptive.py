"""Shared checks of the Adam-family optimizers' hyperparameters (PyTorch's messages)."""

from __future__ import annotations


def check_hyperparameters(name, lr, eps, weight_decay, betas=None, **others):
    """Raise ValueError (PyTorch's wording) for a negative lr, eps, weight decay or other
    non-negative hyperparameter, or a beta outside [0, 1)."""
    for what, v in (("learning rate", lr), ("epsilon value", eps),
                    ("weight_decay value", weight_decay)) + tuple(others.items()):  # fmt: skip
        if not 0.0 <= v:
            raise ValueError(f"{name}: Invalid {what}: {v} (expected >= 0)")
    if betas is not None:
        if len(betas) != 2:
            raise ValueError(f"{name}: betas must be a pair (beta1, beta2), got {betas!r}")
        for i in (0, 1):
            if not 0.0 <= betas[i] < 1.0:
                raise ValueError(
                    f"{name}: Invalid beta parameter at index {i}: {betas[i]} "
                    "(expected 0 <= beta < 1)"
                )
