"""Negative log-likelihood losses of distributions (PyTorch's ``F.gaussian_nll_loss`` and
``F.poisson_nll_loss``).

- Gaussian: ``0.5 * (log(var) + (input - target)^2 / var)`` (``+ 0.5 log(2 pi)`` with
  ``full``); ``var`` is clamped to ``eps`` *outside* autograd, as PyTorch does.
- Poisson: ``exp(input) - target * input`` with ``log_input``, else ``input - target *
  log(input + eps)``; ``full`` adds Stirling's ``target log target - target + 0.5
  log(2 pi target)`` where ``target > 1``.
"""

from __future__ import annotations

import math

from minigrad.ops.math import elementwise as _ew
from minigrad.ops.math import unary as _unary
from minigrad.ops.nn.loss.loss import _as_tensor, _check_reduction, _reduce
from minigrad.tensor import Tensor

__all__ = ["gaussian_nll_loss", "poisson_nll_loss"]


def gaussian_nll_loss(input, target, var, full: bool = False, eps: float = 1e-6,
                      reduction: str = "mean"):  # fmt: skip
    """Gaussian negative log-likelihood of ``target`` under N(``input``, ``var``).

    Parameters
    ----------
    input : Tensor
        Predicted means.
    target : Tensor
        Samples, input's shape.
    var : Tensor or float
        Predicted variances: input's shape, or one fewer trailing dimension, or a last
        dimension of 1 (homoscedastic), or a scalar.
    full : bool
        Include the constant ``0.5 log(2 pi)``.
    eps : float
        Smallest variance used (default 1e-6).
    reduction : {'mean', 'sum', 'none'}

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        For a negative variance or a ``var`` shape that does not fit.

    Examples
    --------
    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.gaussian_nll_loss(minigrad.tensor([0.0]), minigrad.tensor([1.0]), minigrad.tensor([1.0]))
    tensor(0.5)
    """
    _check_reduction("gaussian_nll_loss", reduction)
    var = _as_tensor(var, input)
    if var.ndim == input.ndim - 1 and tuple(var.shape) == tuple(input.shape[:-1]):
        var = var.unsqueeze(-1)
    elif (
        var.ndim
        and tuple(var.shape) != tuple(input.shape)
        and not (tuple(var.shape[:-1]) == tuple(input.shape[:-1]) and var.shape[-1] == 1)
    ):
        raise ValueError(
            f"gaussian_nll_loss: var of shape {tuple(var.shape)} does not fit input of shape "
            f"{tuple(input.shape)}"
        )
    if bool((var._data < 0).any()):
        raise ValueError("gaussian_nll_loss: var has negative entry/entries")
    lift = Tensor._make(var.xp.maximum(var._data, eps) - var._data)  # clamp outside autograd
    v = var + lift
    loss = 0.5 * (_unary.log(v) + (input - target) ** 2 / v)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


def poisson_nll_loss(input, target, log_input: bool = True, full: bool = False,
                     size_average=None, eps: float = 1e-8, reduce=None,
                     reduction: str = "mean"):  # fmt: skip
    """Poisson negative log-likelihood of counts ``target`` with rate ``input``.

    Parameters
    ----------
    input : Tensor
        Log-rates (``log_input=True``, default) or rates.
    target : Tensor
        Counts, input's shape.
    log_input : bool
        Whether ``input`` is the log of the rate.
    full : bool
        Add the Stirling approximation of ``log(target!)``.
    size_average, reduce : None
        Deprecated PyTorch arguments; must be left as ``None``.
    eps : float
        Added to the rate inside the log when ``log_input=False`` (default 1e-8).
    reduction : {'mean', 'sum', 'none'}

    Returns
    -------
    Tensor

    Examples
    --------
    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.poisson_nll_loss(minigrad.tensor([0.0]), minigrad.tensor([2.0]))
    tensor(1.)
    """
    if size_average is not None or reduce is not None:
        raise ValueError("poisson_nll_loss: size_average and reduce are deprecated; use reduction=")
    _check_reduction("poisson_nll_loss", reduction)
    target = _as_tensor(target, input)
    if log_input:
        loss = _unary.exp(input) - target * input
    else:
        loss = input - target * _unary.log(input + eps)
    if full:
        t = target.detach()
        safe = _ew.where(t > 1, t, 1.0)
        stirling = safe * _unary.log(safe) - safe + 0.5 * _unary.log(2 * math.pi * safe)
        loss = loss + _ew.where(t > 1, stirling, 0.0)
    return _reduce(loss, reduction)
