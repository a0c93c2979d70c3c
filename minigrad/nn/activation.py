"""Activation layers. Each is a thin :class:`~minigrad.nn.Module` around a functional op:
``relu``/``sigmoid``/``tanh`` from :mod:`minigrad.ops.math.unary`, ``softmax`` and
``log_softmax`` from :mod:`minigrad.ops.math.softmax`, the rest from
:mod:`minigrad.ops.nn.activation.activation`. ``inplace=True`` overwrites the input where
it is outside autograd (:mod:`minigrad.ops.nn.activation.inplace`).

Examples
--------
>>> import minigrad
>>> from minigrad import nn
>>> nn.ReLU()(minigrad.tensor([-1.0, 2.0]))
tensor([0., 2.])
>>> nn.Softmax(dim=-1)(minigrad.zeros(1, 4))
tensor([[0.25, 0.25, 0.25, 0.25]])
"""

from __future__ import annotations

from minigrad.nn import init as _init
from minigrad.nn.module import Module
from minigrad.nn.parameter import Parameter
from minigrad.ops.math import softmax as _softmax
from minigrad.ops.math import unary as _unary
from minigrad.ops.nn.activation import activation as _act
from minigrad.ops.nn.activation import inplace as _inplace
from minigrad.ops.nn.activation.prelu import prelu as _prelu

__all__ = [
    "ReLU", "ReLU6", "LeakyReLU", "ELU", "SELU", "GELU", "SiLU", "Mish", "Softplus",
    "Sigmoid", "LogSigmoid", "Tanh", "Hardtanh", "Hardsigmoid", "Hardswish",
    "Softmax", "LogSoftmax", "PReLU",
]  # fmt: skip


def _maybe_inplace(module, input, out):
    """PyTorch's ``inplace=True``: see :mod:`minigrad.ops.nn.activation.inplace`."""
    return _inplace.write_result(input, out) if module.inplace else out


class ReLU(Module):
    """``max(x, 0)``, elementwise.

    Parameters
    ----------
    inplace : bool
        Overwrite the input when it is outside autograd (see
        :mod:`minigrad.ops.nn.activation.inplace`).

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.ReLU()(minigrad.tensor([-2.0, 0.5]))
    tensor([0. , 0.5])
    """

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return _inplace.relu(input, self.inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class ReLU6(ReLU):
    """``min(max(x, 0), 6)``, elementwise (see :func:`~minigrad.nn.functional.relu6`).

    Parameters
    ----------
    inplace : bool
        Accepted for PyTorch compatibility.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.ReLU6()(minigrad.tensor([-1.0, 3.0, 8.0]))
    tensor([0., 3., 6.])
    """

    def forward(self, input):
        return _maybe_inplace(self, input, _act.relu6(input))


class LeakyReLU(Module):
    """``x`` where positive, else ``negative_slope * x``.

    Parameters
    ----------
    negative_slope : float
        Slope for negative inputs (default 0.01).
    inplace : bool
        Accepted for PyTorch compatibility.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.LeakyReLU(0.1)(minigrad.tensor([-2.0, 3.0]))
    tensor([-0.2,  3. ])
    """

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False):
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, input):
        return _maybe_inplace(self, input, _act.leaky_relu(input, self.negative_slope))

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class ELU(Module):
    """``x`` where positive, else ``alpha * (exp(x) - 1)``.

    Parameters
    ----------
    alpha : float
        Saturation value for negative inputs (default 1.0).
    inplace : bool
        Accepted for PyTorch compatibility.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.ELU()(minigrad.tensor([-1.0, 2.0]))
    tensor([-0.6321,  2.    ])
    """

    def __init__(self, alpha: float = 1.0, inplace: bool = False):
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input):
        return _maybe_inplace(self, input, _act.elu(input, self.alpha))

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class SELU(ReLU):
    """Scaled ELU with the self-normalizing constants (see :func:`~minigrad.nn.functional.selu`).

    Parameters
    ----------
    inplace : bool
        Accepted for PyTorch compatibility.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.SELU()(minigrad.tensor([-1.0, 2.0]))
    tensor([-1.1113,  2.1014])
    """

    def forward(self, input):
        return _maybe_inplace(self, input, _act.selu(input))


class GELU(Module):
    """Gaussian Error Linear Unit ``x * Phi(x)``.

    Parameters
    ----------
    approximate : {'none', 'tanh'}
        Exact (erf) form or the tanh approximation.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.GELU()(minigrad.tensor([0.0, 1.0]))
    tensor([0.    , 0.8413])
    """

    def __init__(self, approximate: str = "none"):
        super().__init__()
        self.approximate = approximate

    def forward(self, input):
        return _act.gelu(input, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate='{self.approximate}'"


class SiLU(ReLU):
    """``x * sigmoid(x)`` (swish).

    Parameters
    ----------
    inplace : bool
        Accepted for PyTorch compatibility.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.SiLU()(minigrad.tensor([0.0, 1.0]))
    tensor([0.    , 0.7311])
    """

    def forward(self, input):
        return _maybe_inplace(self, input, _act.silu(input))


class Mish(ReLU):
    """``x * tanh(softplus(x))``.

    Parameters
    ----------
    inplace : bool
        Accepted for PyTorch compatibility.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.Mish()(minigrad.tensor([0.0, 1.0]))
    tensor([0.    , 0.8651])
    """

    def forward(self, input):
        return _maybe_inplace(self, input, _act.mish(input))


class Softplus(Module):
    """``log(1 + exp(beta * x)) / beta``, linear above ``threshold``.

    Parameters
    ----------
    beta : float
        Sharpness (default 1).
    threshold : float
        Above ``beta * x > threshold`` the identity is used (default 20).

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.Softplus()(minigrad.tensor([0.0, 30.0]))
    tensor([ 0.6931, 30.    ])
    """

    def __init__(self, beta: float = 1.0, threshold: float = 20.0):
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, input):
        return _act.softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Sigmoid(Module):
    """``1 / (1 + exp(-x))``, elementwise.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.Sigmoid()(minigrad.tensor([0.0]))
    tensor([0.5])
    """

    def forward(self, input):
        return _unary.sigmoid(input)


class LogSigmoid(Module):
    """``log(sigmoid(x))``, computed stably.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.LogSigmoid()(minigrad.tensor([0.0]))
    tensor([-0.6931])
    """

    def forward(self, input):
        return _act.logsigmoid(input)


class Tanh(Module):
    """Hyperbolic tangent, elementwise.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.Tanh()(minigrad.tensor([0.0]))
    tensor([0.])
    """

    def forward(self, input):
        return _unary.tanh(input)


class Hardtanh(Module):
    """``x`` clamped to ``[min_val, max_val]``.

    Parameters
    ----------
    min_val, max_val : float
        The bounds (default -1 and 1).
    inplace : bool
        Accepted for PyTorch compatibility.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.Hardtanh()(minigrad.tensor([-3.0, 0.5, 2.0]))
    tensor([-1. ,  0.5,  1. ])
    """

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False):
        super().__init__()
        self.min_val = min_val
        self.max_val = max_val
        self.inplace = inplace

    def forward(self, input):
        return _maybe_inplace(self, input, _act.hardtanh(input, self.min_val, self.max_val))

    def extra_repr(self) -> str:
        return f"min_val={self.min_val}, max_val={self.max_val}"


class Hardsigmoid(ReLU):
    """Piecewise-linear sigmoid: ``clamp(x / 6 + 1 / 2, 0, 1)``.

    Parameters
    ----------
    inplace : bool
        Accepted for PyTorch compatibility.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.Hardsigmoid()(minigrad.tensor([-4.0, 0.0, 4.0]))
    tensor([0. , 0.5, 1. ])
    """

    def forward(self, input):
        return _maybe_inplace(self, input, _act.hardsigmoid(input))


class Hardswish(ReLU):
    """``x * hardsigmoid(x)``.

    Parameters
    ----------
    inplace : bool
        Accepted for PyTorch compatibility.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.Hardswish()(minigrad.tensor([-4.0, 1.0, 4.0]))
    tensor([-0.    ,  0.6667,  4.    ])
    """

    def forward(self, input):
        return _maybe_inplace(self, input, _act.hardswish(input))


def _softmax_dim(ndim: int) -> int:
    # PyTorch's legacy choice when no dim is given
    return 0 if ndim in (0, 1, 3) else 1


class Softmax(Module):
    """Softmax along ``dim``: non-negative values summing to one.

    Parameters
    ----------
    dim : int, optional
        The dimension to normalize (PyTorch's legacy choice when omitted: 0 for 0-, 1-
        and 3-D inputs, else 1).

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.Softmax(dim=1)(minigrad.zeros(1, 2))
    tensor([[0.5, 0.5]])
    """

    def __init__(self, dim: int | None = None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        dim = self.dim if self.dim is not None else _softmax_dim(input.ndim)
        return _softmax.softmax(input, dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    """Log of the softmax along ``dim``, computed stably.

    Parameters
    ----------
    dim : int, optional
        The dimension to normalize (PyTorch's legacy choice when omitted, as in :class:`Softmax`).

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.LogSoftmax(dim=1)(minigrad.zeros(1, 2))
    tensor([[-0.6931, -0.6931]])
    """

    def forward(self, input):
        dim = self.dim if self.dim is not None else _softmax_dim(input.ndim)
        return _softmax.log_softmax(input, dim)


class PReLU(Module):
    """Parametric ReLU: ``x`` where ``x > 0``, else ``weight * x``, with a learned slope
    (one, or one per channel); see :func:`~minigrad.nn.functional.prelu`.

    Parameters
    ----------
    num_parameters : int
        1 (a shared slope) or the number of channels (default 1).
    init : float
        Initial slope (default 0.25).
    device, dtype : optional
        Where and in which dtype the slope lives.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> m = nn.PReLU()
    >>> m
    PReLU(num_parameters=1)
    >>> m(minigrad.tensor([-4.0, 2.0]))
    tensor([-1.,  2.], grad_fn=<Where backward>)
    """

    def __init__(self, num_parameters: int = 1, init: float = 0.25, device=None, dtype=None):
        super().__init__()
        from minigrad.creation import empty

        self.num_parameters = num_parameters
        self.init = init
        self.weight = Parameter(empty(num_parameters, device=device, dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Set every slope to ``init``.

        Examples
        --------
        >>> from minigrad import nn
        >>> m = nn.PReLU(3, init=0.5); m.reset_parameters(); m.weight.tolist()
        [0.5, 0.5, 0.5]
        """
        _init.constant_(self.weight, self.init)

    def forward(self, input):
        return _prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"
