"""Reverse-mode automatic differentiation: the graph, its walk, and tools to study it.

- :class:`Function` — the base of every op (forward and backward side by side).
- :func:`backward`, :func:`grad` — the graph walk (:mod:`minigrad.autograd.engine`).
- :class:`no_grad`, :class:`enable_grad`, :class:`set_grad_enabled` — grad mode.
- :func:`gradcheck`, :func:`gradgradcheck` — finite-difference checks.
- :class:`detect_anomaly` — find the op that first produced NaN or Inf.
"""

from minigrad.autograd.anomaly import AnomalyError, detect_anomaly
from minigrad.autograd.checks import GradcheckError, gradcheck, gradgradcheck
from minigrad.autograd.engine import backward, grad
from minigrad.autograd.function import Function, sum_to
from minigrad.autograd.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled

__all__ = [
    "Function",
    "sum_to",
    "backward",
    "grad",
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "is_grad_enabled",
    "detect_anomaly",
    "AnomalyError",
    "gradcheck",
    "gradgradcheck",
    "GradcheckError",
]
