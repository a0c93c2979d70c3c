"""Layers of the less common activations (the math is
:mod:`minigrad.ops.nn.activation.activation_more`) and :class:`Softmax2d`."""

from __future__ import annotations

from minigrad.nn.module import Module
from minigrad.ops.math.softmax import softmax
from minigrad.ops.nn.activation import activation_more as _a

__all__ = [
    "GLU", "Softsign", "Softmin", "CELU", "Threshold", "Hardshrink", "Softshrink",
    "Tanhshrink", "Softmax2d", "RReLU",
]  # fmt: skip


class GLU(Module):
    """Gated linear unit over ``dim``; see :func:`~minigrad.nn.functional.glu`.

    Parameters
    ----------
    dim : int
        Dimension halved (default -1).

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.GLU()(minigrad.randn(4, 6)).shape
    (4, 3)
    """

    def __init__(self, dim: int = -1):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return _a.glu(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Softsign(Module):
    """``x / (1 + |x|)``; see :func:`~minigrad.nn.functional.softsign`.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.Softsign()(minigrad.tensor([1.0]))
    tensor([0.5])
    """

    def forward(self, input):
        return _a.softsign(input)


class Softmin(Module):
    """``softmax(-x, dim)``; see :func:`~minigrad.nn.functional.softmin`.

    Parameters
    ----------
    dim : int, optional
        The dimension normalized.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.Softmin(dim=1)(minigrad.zeros(1, 4))
    tensor([[0.25, 0.25, 0.25, 0.25]])
    """

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return _a.softmin(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class CELU(Module):
    """Continuously differentiable ELU; see :func:`~minigrad.nn.functional.celu`.

    Parameters
    ----------
    alpha : float
        Default 1.
    inplace : bool
        Overwrite the input where it is outside autograd.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.CELU()(minigrad.tensor([2.0]))
    tensor([2.])
    """

    def __init__(self, alpha: float = 1.0, inplace: bool = False):
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, input):
        return _a.celu(input, self.alpha, self.inplace)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class Threshold(Module):
    """``x`` above ``threshold``, else ``value``; see
    :func:`~minigrad.nn.functional.threshold`.

    Parameters
    ----------
    threshold : float
    value : float
    inplace : bool
        Overwrite the input where it is outside autograd.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.Threshold(0.1, 20.0)(minigrad.tensor([0.0, 1.0]))
    tensor([20.,  1.])
    """

    def __init__(self, threshold: float, value: float, inplace: bool = False):
        super().__init__()
        self.threshold, self.value, self.inplace = threshold, value, inplace

    def forward(self, input):
        return _a.threshold(input, self.threshold, self.value, self.inplace)

    def extra_repr(self) -> str:
        s = f"threshold={self.threshold}, value={self.value}"
        return s + (", inplace=True" if self.inplace else "")


class Hardshrink(Module):
    """``x`` where ``|x| > lambd``, else 0; see :func:`~minigrad.nn.functional.hardshrink`.

    Parameters
    ----------
    lambd : float
        Default 0.5.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.Hardshrink()(minigrad.tensor([0.1, 1.0]))
    tensor([0., 1.])
    """

    def __init__(self, lambd: float = 0.5):
        super().__init__()
        self.lambd = lambd

    def forward(self, input):
        return _a.hardshrink(input, self.lambd)

    def extra_repr(self) -> str:
        return f"{self.lambd}"


class Softshrink(Module):
    """Soft thresholding by ``lambd``; see :func:`~minigrad.nn.functional.softshrink`.

    Parameters
    ----------
    lambd : float
        Default 0.5.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.Softshrink()(minigrad.tensor([0.1, 1.0]))
    tensor([0. , 0.5])
    """

    def __init__(self, lambd: float = 0.5):
        super().__init__()
        self.lambd = lambd

    def forward(self, input):
        return _a.softshrink(input, self.lambd)

    def extra_repr(self) -> str:
        return str(self.lambd)


class Tanhshrink(Module):
    """``x - tanh(x)``; see :func:`~minigrad.nn.functional.tanhshrink`.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.Tanhshrink()(minigrad.tensor([0.0]))
    tensor([0.])
    """

    def forward(self, input):
        return _a.tanhshrink(input)


class Softmax2d(Module):
    """Softmax over the channels of each pixel (dimension -3 of ``(N, C, H, W)`` or ``(C,
    H, W)``).

    Raises
    ------
    ValueError
        For input that is not 3-D or 4-D.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.Softmax2d()(minigrad.zeros(1, 2, 1, 1)).flatten()
    tensor([0.5, 0.5])
    """

    def forward(self, input):
        if input.ndim not in (3, 4):
            raise ValueError(
                f"Softmax2d: expected input of shape (N, C, H, W) or (C, H, W), got "
                f"{tuple(input.shape)}"
            )
        return softmax(input, -3)


class RReLU(Module):
    """Randomized leaky ReLU: random negative slopes in U(lower, upper) while training,
    their mean in eval mode; see :func:`~minigrad.nn.functional.rrelu`.

    Parameters
    ----------
    lower, upper : float
        Range of the slope (defaults 1/8 and 1/3).
    inplace : bool
        Overwrite the input where it is outside autograd.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.RReLU(0.1, 0.3).eval()(minigrad.tensor([-1.0]))
    tensor([-0.2])
    """

    def __init__(self, lower: float = 1.0 / 8, upper: float = 1.0 / 3, inplace: bool = False):
        super().__init__()
        self.lower, self.upper, self.inplace = lower, upper, inplace

    def forward(self, input):
        return _a.rrelu(input, self.lower, self.upper, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"lower={self.lower}, upper={self.upper}" + (
            ", inplace=True" if self.inplace else ""
        )
