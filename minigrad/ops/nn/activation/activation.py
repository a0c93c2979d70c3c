"""Activation functions beyond the basic ones (``relu``, ``sigmoid`` and ``tanh`` live in
:mod:`minigrad.ops.math.unary`), and the error function ``erf`` that exact GELU needs.

Every op is a :class:`~minigrad.autograd.Function` whose backward is written in tensor
ops (or, for GELU, is itself a Function with an analytic backward), so all of them are
differentiable twice and more. They are re-exported by :mod:`minigrad.nn.functional`.

``erf``: NumPy has none. On the CPU we use ``scipy.special.erf`` when SciPy is
importable and otherwise :func:`_erf_series`, a vectorized pure-array evaluation that
is accurate to float64 round-off (within about 1e-15 of :func:`math.erf`); on the GPU,
``cupyx.scipy.special.erf``.
"""

from __future__ import annotations

import math

from minigrad import backend
from minigrad.autograd.function import Function
from minigrad.ops.math.elementwise import _const, masked, where
from minigrad.ops.math.promotion import floating
from minigrad.ops.math.unary import _sigmoid_array, exp, sigmoid, tanh

__all__ = [
    "erf", "leaky_relu", "gelu", "softplus", "silu", "elu", "selu", "hardtanh", "relu6",
    "logsigmoid", "mish", "hardsigmoid", "hardswish",
]  # fmt: skip

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_INV_SQRT_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


# ----------------------------------------------------------------------- erf
def _erf_series(x):
    """erf of an array, with array ops only (works for NumPy and CuPy arrays).

    For ``|x| <= 2.5`` the everywhere-positive series
    ``erf(x) = 2/sqrt(pi) e^{-x^2} sum_n 2^n x^{2n+1} / (1*3*...*(2n+1))`` (36 terms,
    Horner form); above it ``erf = 1 - erfc`` with Laplace's continued fraction
    ``erfc(x) = e^{-x^2}/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...))))`` (26 levels,
    evaluated bottom-up). Both converge to float64 round-off on their range; the loops
    run over terms, never over elements.
    """
    xp = backend.array_module(x)
    a = xp.abs(x)
    s = xp.minimum(a, 2.5)
    t = 2 * s * s
    r = xp.ones_like(s)
    for k in range(36, 0, -1):  # in place: no temporaries in the loop
        r *= t
        r *= 1.0 / (2 * k + 1)
        r += 1
    out = r * s * xp.exp(-s * s) * _TWO_OVER_SQRT_PI
    big = a > 2.5
    if xp is not backend.np or big.any():  # the tail: skip it when no |x| is above 2.5
        b = xp.maximum(a, 2.5)
        f = b.copy()
        for k in range(26, 0, -1):
            xp.divide(0.5 * k, f, out=f)
            f += b
        tail = 1 - xp.exp(-b * b) / f * (1.0 / math.sqrt(math.pi))
        out = xp.where(big | xp.isnan(a), tail, out)
    return xp.copysign(out, x)


def _erf_array(x):
    """erf of an array, by the fastest accurate route available for its device."""
    xp = backend.array_module(x)
    if xp is backend.np:
        try:
            from scipy.special import erf as scipy_erf
        except ImportError:
            return _erf_series(x)
        return scipy_erf(x).astype(x.dtype, copy=False)
    try:  # pragma: no cover - GPU
        from cupyx.scipy.special import erf as cupy_erf
    except ImportError:  # pragma: no cover
        return _erf_series(x)
    return cupy_erf(x)  # pragma: no cover


class Erf(Function):
    """The error function; derivative ``2/sqrt(pi) * exp(-x^2)``."""

    def forward(self, x):
        return _erf_array(floating(x))  # an integer input gives the default float dtype

    def backward(self, gy):
        (x,) = self.inputs
        return gy * exp(-(x * x)) * _TWO_OVER_SQRT_PI


def erf(x):
    """The error function ``erf(x) = 2/sqrt(pi) * integral_0^x exp(-t^2) dt``.

    Parameters
    ----------
    x : Tensor
        A floating-point tensor.

    Returns
    -------
    Tensor
        Same shape and dtype; accurate to float64 round-off.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.erf(minigrad.tensor([0.0, 0.5, -3.0]))
    tensor([ 0.    ,  0.5205, -1.    ])
    """
    return Erf()(x)


# ----------------------------------------------------------------------- ReLU family
class LeakyReLU(Function):
    def __init__(self, slope):
        self.slope = slope

    def forward(self, x):
        xp = backend.array_module(x)
        self.factor = xp.where(x > 0, 1, self.slope).astype(x.dtype, copy=False)
        return x * self.factor

    def backward(self, gy):
        return gy * _const(self.factor)


def leaky_relu(x, negative_slope: float = 0.01, inplace: bool = False):
    """``x`` where ``x > 0``, else ``negative_slope * x``.

    Parameters
    ----------
    x : Tensor
    negative_slope : float
        Slope for negative inputs (default 0.01).
    inplace : bool
        Accepted for PyTorch compatibility; the result is always a new tensor.

    Returns
    -------
    Tensor

    Examples
    --------
    >>> import minigrad
    >>> minigrad.nn.functional.leaky_relu(minigrad.tensor([-2.0, 3.0]), 0.1)
    tensor([-0.2,  3. ])
    """
    return LeakyReLU(negative_slope)(x)


class Hardtanh(Function):
    """Clamp to ``[lo, hi]``; the gradient passes strictly inside (PyTorch: none at the
    corners, none at NaN as its vectorized kernel does)."""

    def __init__(self, lo, hi):
        self.lo, self.hi = lo, hi

    def forward(self, x):
        self.mask = (x > self.lo) & (x < self.hi)
        return backend.array_module(x).clip(x, self.lo, self.hi)

    def backward(self, gy):
        return masked(self.mask, gy)  # a select: an infinite gy stays 0 outside


def hardtanh(x, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False):
    """Clamp into ``[min_val, max_val]``; the gradient passes strictly inside.

    Parameters
    ----------
    x : Tensor
    min_val, max_val : float
    inplace : bool
        Accepted for PyTorch compatibility; ignored.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        If ``max_val < min_val``.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.nn.functional.hardtanh(minigrad.tensor([-2.0, 0.5, 3.0]))
    tensor([-1. ,  0.5,  1. ])
    """
    if max_val < min_val:
        raise ValueError(f"hardtanh: max_val ({max_val}) cannot be less than min_val ({min_val})")
    return Hardtanh(min_val, max_val)(x)


def relu6(x, inplace: bool = False):
    """``min(max(x, 0), 6)``: :func:`hardtanh` on ``[0, 6]``.

    Parameters
    ----------
    x : Tensor
        Input.
    inplace : bool
        Accepted for PyTorch compatibility (the result is a new tensor).

    Returns
    -------
    Tensor

    Examples
    --------
    >>> import minigrad
    >>> minigrad.nn.functional.relu6(minigrad.tensor([-1.0, 3.0, 8.0]))
    tensor([0., 3., 6.])
    """
    return Hardtanh(0.0, 6.0)(x)


class ELU(Function):
    def __init__(self, alpha):
        self.alpha = alpha

    def forward(self, x):
        xp = backend.array_module(x)
        self.mask = ~(x <= 0)  # NaN takes the positive branch's gradient, as in PyTorch
        return xp.where(self.mask, x, xp.expm1(xp.minimum(x, 0)) * self.alpha)

    def backward(self, gy):
        (x,) = self.inputs
        return gy * where(_const(self.mask), 1.0, exp(x) * self.alpha)


def elu(x, alpha: float = 1.0, inplace: bool = False):
    """``x`` for ``x > 0``, else ``alpha * (exp(x) - 1)``.

    Parameters
    ----------
    x : Tensor
    alpha : float
    inplace : bool
        Accepted for PyTorch compatibility; ignored.

    Returns
    -------
    Tensor

    Examples
    --------
    >>> import minigrad
    >>> minigrad.nn.functional.elu(minigrad.tensor([-1.0, 2.0]))
    tensor([-0.6321,  2.    ])
    """
    return ELU(alpha)(x)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(x, inplace: bool = False):
    """``scale * elu(x, alpha)`` with PyTorch's constants (self-normalizing).

    Parameters
    ----------
    x : Tensor
        Input.
    inplace : bool
        Accepted for PyTorch compatibility (the result is a new tensor).

    Returns
    -------
    Tensor

    Examples
    --------
    >>> import minigrad
    >>> minigrad.nn.functional.selu(minigrad.tensor([1.0]))
    tensor([1.0507])
    """
    return ELU(_SELU_ALPHA)(x) * _SELU_SCALE


# ----------------------------------------------------------------------- smooth ones
class GELU(Function):
    """Exact GELU ``x * Phi(x)``; its backward is :class:`GELUGrad`, a Function with an
    analytic second derivative (Chainer's Grad-node pattern)."""

    def forward(self, x):
        self.cdf = (_erf_array(x * _INV_SQRT_2) + 1) * 0.5
        return x * self.cdf

    def backward(self, gy):
        return GELUGrad(self.cdf)(self.inputs[0], gy)


class GELUGrad(Function):
    """``gy * (Phi(x) + x phi(x))``, from the saved ``Phi(x)``; d/dx of it is
    ``gy * phi(x) * (2 - x^2)``, d/dgy is ``Phi(x) + x phi(x)``."""

    def __init__(self, cdf):
        self.cdf = cdf

    def forward(self, x, gy):
        xp = backend.array_module(x)
        pdf = xp.exp(x * x * -0.5) * _INV_SQRT_2PI
        return gy * (self.cdf + x * pdf)

    def backward(self, ggx):
        x, gy = self.inputs
        nx, ng = self.needs_input_grad
        pdf = exp(x * x * -0.5) * _INV_SQRT_2PI
        gx = ggx * gy * pdf * (2 - x * x) if nx else None
        if ng:
            cdf = (erf(x * _INV_SQRT_2) + 1) * 0.5 if nx else _const(self.cdf)
            ggy = ggx * (cdf + x * pdf)
        else:
            ggy = None
        return gx, ggy


_TANH_K = math.sqrt(2.0 / math.pi)


def gelu(x, approximate: str = "none"):
    """Gaussian Error Linear Unit ``x * Phi(x)`` (``Phi``: the normal CDF).

    Parameters
    ----------
    x : Tensor
    approximate : {'none', 'tanh'}
        ``'none'``: exact, with :func:`erf`. ``'tanh'``:
        ``0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))``.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        For another ``approximate``.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.nn.functional.gelu(minigrad.tensor([-1.0, 0.0, 1.0]))
    tensor([-0.1587,  0.    ,  0.8413])
    >>> minigrad.nn.functional.gelu(minigrad.tensor([1.0]), approximate="tanh")
    tensor([0.8412])
    """
    if approximate == "none":
        return GELU()(x)
    if approximate == "tanh":
        return x * (tanh((x + x * x * x * 0.044715) * _TANH_K) + 1) * 0.5
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


class Softplus(Function):
    def __init__(self, beta, threshold):
        self.beta, self.threshold = beta, threshold

    def forward(self, x):
        xp = backend.array_module(x)
        bx = x * self.beta
        self.linear = bx > self.threshold  # PyTorch reverts to x above the threshold
        soft = xp.log1p(xp.exp(xp.minimum(bx, self.threshold))) * (1.0 / self.beta)
        return xp.where(self.linear, x, soft)

    def backward(self, gy):
        (x,) = self.inputs
        return gy * where(_const(self.linear), 1.0, sigmoid(x * self.beta))


def softplus(x, beta: float = 1.0, threshold: float = 20.0):
    """``log(1 + exp(beta * x)) / beta``; linear where ``beta * x > threshold``.

    Parameters
    ----------
    x : Tensor
    beta : float
    threshold : float

    Returns
    -------
    Tensor

    Examples
    --------
    >>> import minigrad
    >>> minigrad.nn.functional.softplus(minigrad.tensor([0.0, 30.0]))
    tensor([ 0.6931, 30.    ])
    """
    return Softplus(beta, threshold)(x)


def logsigmoid(x):
    """``log(sigmoid(x)) = -softplus(-x)``, stable for large ``|x|``.

    Parameters
    ----------
    x : Tensor
        Input.

    Returns
    -------
    Tensor

    Examples
    --------
    >>> import minigrad
    >>> minigrad.nn.functional.logsigmoid(minigrad.tensor([0.0]))
    tensor([-0.6931])
    """
    return LogSigmoid()(x)


class LogSigmoid(Function):
    """``min(x, 0) - log1p(exp(-|x|))`` (PyTorch's formula: exact in both tails, no
    threshold); derivative ``sigmoid(-x)``."""

    def forward(self, x):
        xp = backend.array_module(x)
        return xp.minimum(x, 0) - xp.log1p(xp.exp(-xp.abs(x)))

    def backward(self, gy):
        (x,) = self.inputs
        return gy * sigmoid(-x)


class SiLU(Function):
    def forward(self, x):
        return x * _sigmoid_array(x)  # precise in the tails (the tanh form rounds to 0)

    def backward(self, gy):
        (x,) = self.inputs
        s = sigmoid(x)
        return gy * s * (x * (1 - s) + 1)


def silu(x, inplace: bool = False):
    """``x * sigmoid(x)`` (also called swish).

    Parameters
    ----------
    x : Tensor
        Input.
    inplace : bool
        Accepted for PyTorch compatibility (the result is a new tensor).

    Returns
    -------
    Tensor

    Examples
    --------
    >>> import minigrad
    >>> minigrad.nn.functional.silu(minigrad.tensor([0.0, 1.0]))
    tensor([0.    , 0.7311])
    """
    return SiLU()(x)


def mish(x, inplace: bool = False):
    """``x * tanh(softplus(x))``.

    Parameters
    ----------
    x : Tensor
        Input.
    inplace : bool
        Accepted for PyTorch compatibility (the result is a new tensor).

    Returns
    -------
    Tensor

    Examples
    --------
    >>> import minigrad
    >>> minigrad.nn.functional.mish(minigrad.tensor([1.0]))
    tensor([0.8651])
    """
    return x * tanh(softplus(x))


def hardsigmoid(x, inplace: bool = False):
    """``relu6(x + 3) / 6``: 0 below -3, 1 above 3, linear between.

    Parameters
    ----------
    x : Tensor
        Input.
    inplace : bool
        Accepted for PyTorch compatibility (the result is a new tensor).

    Returns
    -------
    Tensor

    Examples
    --------
    >>> import minigrad
    >>> minigrad.nn.functional.hardsigmoid(minigrad.tensor([-4.0, 0.0, 4.0]))
    tensor([0. , 0.5, 1. ])
    """
    return Hardtanh(0.0, 6.0)(x + 3) * (1.0 / 6)


def hardswish(x, inplace: bool = False):
    """``x * hardsigmoid(x)``.

    Parameters
    ----------
    x : Tensor
        Input.
    inplace : bool
        Accepted for PyTorch compatibility (the result is a new tensor).

    Returns
    -------
    Tensor

    Examples
    --------
    >>> import minigrad
    >>> minigrad.nn.functional.hardswish(minigrad.tensor([-4.0, 1.0, 4.0]))
    tensor([-0.    ,  0.6667,  4.    ])
    """
    return Hardswish()(x)


class Hardswish(Function):
    """``x * relu6(x + 3) / 6``; PyTorch's gradient, a select: 0 where ``x <= -3``,
    ``gy * (x / 3 + 1/2)`` where ``-3 < x < 3``, ``gy`` where ``x >= 3``."""

    def forward(self, x):
        xp = backend.array_module(x)
        return x * (xp.clip(x + 3, 0, 6) * (1.0 / 6))

    def backward(self, gy):
        (x,) = self.inputs
        inner = where(x < 3, gy * (x * (1.0 / 3) + 0.5), gy)
        return where(x <= -3, 0.0, inner)
