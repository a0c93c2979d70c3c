"""Shared pieces of the adaptive (Adam-family) optimizers: hyperparameter checks (PyTorch's
messages), weight decay (L2 or decoupled) and the Adam moment averages."""

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


def weight_decay(p, g, lr, wd, decoupled):
    """The gradient array after weight decay ``wd``: ``g + wd * p`` (L2), or ``g`` itself
    with ``p._data *= 1 - lr * wd`` done in place (decoupled, as in AdamW)."""
    if wd != 0:
        if decoupled:
            p._data *= 1 - lr * wd
        else:
            g = g + wd * p._data
    return g


def update_moments(m, v, g, beta1, beta2):
    """Advance Adam's moment averages in place: ``m += (1 - beta1) * (g - m)``,
    ``v = beta2 * v + (1 - beta2) * g * g``."""
    m += (1 - beta1) * (g - m)
    v *= beta2
    v += (1 - beta2) * (g * g)
