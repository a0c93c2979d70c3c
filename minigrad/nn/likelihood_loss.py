"""Distribution negative log-likelihood loss modules (the math is
:mod:`minigrad.ops.nn.loss.likelihood_loss`)."""

from __future__ import annotations

from minigrad.nn.loss import _Loss
from minigrad.ops.nn.loss.likelihood_loss import gaussian_nll_loss, poisson_nll_loss

__all__ = ["GaussianNLLLoss", "PoissonNLLLoss"]


class GaussianNLLLoss(_Loss):
    """See :func:`~minigrad.nn.functional.gaussian_nll_loss`; called as
    ``loss(input, target, var)``.

    Parameters
    ----------
    full : bool
        Include the constant term.
    eps : float
        Smallest variance used (default 1e-6).
    reduction : {'mean', 'sum', 'none'}

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.GaussianNLLLoss()(minigrad.zeros(2), minigrad.zeros(2), minigrad.ones(2))
    tensor(0.)
    """

    def __init__(self, *, full: bool = False, eps: float = 1e-6, reduction: str = "mean"):
        super().__init__(reduction=reduction)
        self.full, self.eps = full, eps

    def forward(self, input, target, var):
        return gaussian_nll_loss(input, target, var, self.full, self.eps, self.reduction)


class PoissonNLLLoss(_Loss):
    """See :func:`~minigrad.nn.functional.poisson_nll_loss`.

    Parameters
    ----------
    log_input : bool
        Whether the input is a log-rate (default True).
    full : bool
        Add the Stirling term.
    size_average, reduce : None
        Deprecated PyTorch arguments; must be left as ``None``.
    eps : float
        Added inside the log when ``log_input=False``.
    reduction : {'mean', 'sum', 'none'}

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.PoissonNLLLoss()(minigrad.zeros(2), minigrad.ones(2))
    tensor(1.)
    """

    def __init__(self, log_input: bool = True, full: bool = False, size_average=None,
                 eps: float = 1e-8, reduce=None, reduction: str = "mean"):  # fmt: skip
        super().__init__(size_average, reduce, reduction)
        self.log_input, self.full, self.eps = log_input, full, eps

    def forward(self, log_input, target):
        return poisson_nll_loss(log_input, target, self.log_input, self.full, eps=self.eps,
                                reduction=self.reduction)  # fmt: skip
