"""Parameter initialization (PyTorch's ``torch.nn.init``).

Every function fills a tensor in place, under :class:`~minigrad.no_grad`, with samples
from the generator of the tensor's device (seeded by :func:`minigrad.manual_seed`), and
returns the tensor. The scaled schemes use the fans of the tensor: for a weight of shape
``(out, in, *kernel)``, ``fan_in = in * prod(kernel)`` and ``fan_out = out *
prod(kernel)`` (see :func:`_calculate_fan_in_and_fan_out`).
"""

from __future__ import annotations

import math

from minigrad.autograd.grad_mode import no_grad
from minigrad.tensor import Tensor

__all__ = [
    "calculate_gain",
    "uniform_",
    "normal_",
    "trunc_normal_",
    "constant_",
    "zeros_",
    "ones_",
    "xavier_uniform_",
    "xavier_normal_",
    "kaiming_uniform_",
    "kaiming_normal_",
    "orthogonal_",
    "eye_",
    "dirac_",
]

_LINEAR = (
    "linear", "conv1d", "conv2d", "conv3d",
    "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "sigmoid",
)  # fmt: skip


def calculate_gain(nonlinearity: str, param=None) -> float:
    """The recommended gain for a nonlinearity (PyTorch's values).

    ``linear``/``conv*``/``sigmoid``: 1; ``tanh``: 5/3; ``relu``: sqrt(2);
    ``leaky_relu``: sqrt(2 / (1 + slope^2)) with slope ``param`` (default 0.01);
    ``selu``: 3/4.

    Parameters
    ----------
    nonlinearity : str
        Name of the nonlinearity.
    param : float, optional
        The negative slope of ``leaky_relu``.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        For an unknown nonlinearity or an invalid slope.

    Examples
    --------
    >>> from minigrad.nn import init
    >>> round(init.calculate_gain("relu"), 4)
    1.4142
    >>> init.calculate_gain("tanh")
    1.6666666666666667
    """
    if nonlinearity in _LINEAR:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, int | float) and not isinstance(param, bool):
            slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight of shape ``(out, in, *kernel)``.

    Raises
    ------
    ValueError
        For a tensor with fewer than 2 dimensions.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.nn.init import _calculate_fan_in_and_fan_out
    >>> _calculate_fan_in_and_fan_out(minigrad.empty(16, 3, 5, 5))
    (75, 400)
    """
    shape = tuple(tensor.shape)
    if len(shape) < 2:
        raise ValueError(
            "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions "
            f"(got shape {shape})"
        )
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def _calculate_correct_fan(tensor, mode: str) -> int:
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of fan_in, fan_out")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _xavier_std(tensor, gain: float) -> float:
    """Glorot's standard deviation, ``gain * sqrt(2 / (fan_in + fan_out))``."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return gain * math.sqrt(2.0 / float(fan_in + fan_out))


def _kaiming_std(tensor, a: float, mode: str, nonlinearity) -> float:
    """He's standard deviation, ``calculate_gain(nonlinearity, a) / sqrt(fan)``."""
    fan = _calculate_correct_fan(tensor, mode)
    gain = calculate_gain(nonlinearity, a)
    return gain / math.sqrt(fan)


def uniform_(tensor, a: float = 0.0, b: float = 1.0):
    """Fill ``tensor`` with samples of U(a, b), in place; returns it.

    Parameters
    ----------
    tensor : Tensor
        The tensor to fill (in place, without recording gradients).
    a, b : float
        The bounds (default 0 and 1).

    Returns
    -------
    Tensor
        ``tensor`` itself.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.nn import init
    >>> w = init.uniform_(minigrad.empty(1000), -0.5, 0.5)
    >>> bool((w >= -0.5).all() and (w < 0.5).all())
    True
    """
    with no_grad():
        return tensor.uniform_(float(a), float(b))


def normal_(tensor, mean: float = 0.0, std: float = 1.0):
    """Fill ``tensor`` with samples of N(mean, std^2), in place; returns it.

    Parameters
    ----------
    tensor : Tensor
        The tensor to fill (in place, without recording gradients).
    mean, std : float
        Mean and standard deviation (default 0 and 1).

    Returns
    -------
    Tensor
        ``tensor`` itself.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.nn import init
    >>> init.normal_(minigrad.empty(2, 3)).shape
    (2, 3)
    """
    with no_grad():
        return tensor.normal_(float(mean), float(std))


def trunc_normal_(tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0):
    """Fill ``tensor`` with N(mean, std^2) samples truncated to ``[a, b]``, in place.

    Out-of-range samples are redrawn (vectorized; a few rounds at most for the usual
    bounds of about two standard deviations).

    Parameters
    ----------
    tensor : Tensor
        The tensor to fill (in place, without recording gradients).
    mean, std : float
        Mean and standard deviation of the untruncated normal.
    a, b : float
        The truncation bounds (default -2 and 2).

    Returns
    -------
    Tensor
        ``tensor`` itself.

    Raises
    ------
    ValueError
        If ``[a, b]`` is empty.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.nn import init
    >>> w = init.trunc_normal_(minigrad.empty(1000), std=1.0, a=-1.0, b=1.0)
    >>> bool((w.abs() <= 1.0).all())
    True
    """
    if not a < b:
        raise ValueError(f"trunc_normal_: expected a < b, got a={a}, b={b}")
    from minigrad import backend

    xp = tensor.xp
    g = backend.generator(tensor.device)
    out = g.standard_normal(tensor.shape) * std + mean
    bad = (out < a) | (out > b)
    while bool(bad.any()):
        redraw = g.standard_normal(tensor.shape) * std + mean
        out = xp.where(bad, redraw, out)
        bad = (out < a) | (out > b)
    with no_grad():
        tensor.copy_(out.astype(tensor.dtype))
    return tensor


def constant_(tensor, val: float):
    """Fill ``tensor`` with ``val``, in place; returns it.

    Parameters
    ----------
    tensor : Tensor
        The tensor to fill (in place, without recording gradients).
    val : float
        The value.

    Returns
    -------
    Tensor
        ``tensor`` itself.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.nn import init
    >>> init.constant_(minigrad.empty(2), 0.5)
    tensor([0.5, 0.5])
    """
    with no_grad():
        return tensor.fill_(val)


def zeros_(tensor):
    """Fill ``tensor`` with zeros, in place; returns it.

    Parameters
    ----------
    tensor : Tensor
        The tensor to fill (in place, without recording gradients).

    Returns
    -------
    Tensor
        ``tensor`` itself.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.nn import init
    >>> init.zeros_(minigrad.empty(2))
    tensor([0., 0.])
    """
    with no_grad():
        return tensor.zero_()


def ones_(tensor):
    """Fill ``tensor`` with ones, in place; returns it.

    Parameters
    ----------
    tensor : Tensor
        The tensor to fill (in place, without recording gradients).

    Returns
    -------
    Tensor
        ``tensor`` itself.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.nn import init
    >>> init.ones_(minigrad.empty(2))
    tensor([1., 1.])
    """
    with no_grad():
        return tensor.fill_(1)


def xavier_uniform_(tensor, gain: float = 1.0):
    """Glorot uniform: U(-a, a) with ``a = gain * sqrt(6 / (fan_in + fan_out))``.

    Parameters
    ----------
    tensor : Tensor
        The tensor to fill (in place, without recording gradients).
    gain : float
        Scaling factor (default 1).

    Returns
    -------
    Tensor
        ``tensor`` itself.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.nn import init
    >>> w = init.xavier_uniform_(minigrad.empty(30, 20))
    >>> bool(w.abs().max() <= (6 / 50) ** 0.5)
    True
    """
    a = math.sqrt(3.0) * _xavier_std(tensor, gain)
    return uniform_(tensor, -a, a)


def xavier_normal_(tensor, gain: float = 1.0):
    """Glorot normal: N(0, std^2) with ``std = gain * sqrt(2 / (fan_in + fan_out))``.

    Parameters
    ----------
    tensor : Tensor
        The tensor to fill (in place, without recording gradients).
    gain : float
        Scaling factor (default 1).

    Returns
    -------
    Tensor
        ``tensor`` itself.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.nn import init
    >>> init.xavier_normal_(minigrad.empty(30, 20)).shape
    (30, 20)
    """
    return normal_(tensor, 0.0, _xavier_std(tensor, gain))


def kaiming_uniform_(tensor, a: float = 0, mode: str = "fan_in", nonlinearity="leaky_relu"):
    """He uniform: U(-bound, bound) with ``bound = gain * sqrt(3 / fan)``.

    Parameters
    ----------
    tensor : Tensor
        At least 2-D, shaped ``(out, in, *kernel)``.
    a : float
        Negative slope of the rectifier after this layer (for ``leaky_relu``).
    mode : {'fan_in', 'fan_out'}
        Which fan sets the variance.
    nonlinearity : str
        Passed to :func:`calculate_gain` (``'relu'`` or ``'leaky_relu'`` recommended).

    Returns
    -------
    Tensor
        ``tensor``, filled in place.

    Raises
    ------
    ValueError
        For an unknown mode or nonlinearity, or a tensor with fewer than 2 dims.

    Examples
    --------
    >>> import math, minigrad
    >>> from minigrad.nn import init
    >>> w = init.kaiming_uniform_(minigrad.empty(64, 32), nonlinearity="relu")
    >>> bool(w.abs().max() <= math.sqrt(6 / 32))
    True
    """
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)  # PyTorch's order
    return uniform_(tensor, -bound, bound)


def kaiming_normal_(tensor, a: float = 0, mode: str = "fan_in", nonlinearity="leaky_relu"):
    """He normal: N(0, std^2) with ``std = gain / sqrt(fan)``; arguments as in
    :func:`kaiming_uniform_`.

    Parameters
    ----------
    tensor : Tensor
        The tensor to fill (in place, without recording gradients).
    a : float
        Negative slope of the rectifier after this layer (for ``'leaky_relu'``).
    mode : {'fan_in', 'fan_out'}
        Which fan keeps the variance.
    nonlinearity : str
        The nonlinearity whose gain is used (default ``'leaky_relu'``).

    Returns
    -------
    Tensor
        ``tensor`` itself.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.nn import init
    >>> init.kaiming_normal_(minigrad.empty(8, 4), mode="fan_out").shape
    (8, 4)
    """
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity))


def _default_layer_init_(weight, bias=None) -> None:
    """PyTorch's default initialization of a Linear or Conv layer, in place:
    ``kaiming_uniform_(weight, a=sqrt(5))``, then ``bias ~ U(-1/sqrt(fan_in),
    1/sqrt(fan_in))`` with the weight's ``fan_in`` (``in * prod(kernel)``).

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.nn.init import _default_layer_init_
    >>> w, b = minigrad.empty(4, 9), minigrad.empty(4)
    >>> _default_layer_init_(w, b)
    >>> bool((b.abs() <= 1 / 3).all())
    True
    """
    kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        fan_in, _ = _calculate_fan_in_and_fan_out(weight)
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
        uniform_(bias, -bound, bound)


def orthogonal_(tensor, gain: float = 1.0, generator=None):
    """Fill ``tensor`` with a (semi-)orthogonal matrix times ``gain``, in place (Saxe et
    al. 2013; PyTorch's algorithm: QR of a normal matrix, signs fixed by ``diag(R)``).

    The tensor is viewed as ``(rows, numel // rows)``; its rows (if fewer) or columns are
    orthonormal.

    Parameters
    ----------
    tensor : Tensor
        At least 2-D.
    gain : float
        Scale of the result (default 1).
    generator : None
        Accepted for PyTorch compatibility (the device generator is used).

    Returns
    -------
    Tensor
        ``tensor`` itself.

    Raises
    ------
    ValueError
        For fewer than 2 dimensions.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.nn import init
    >>> w = init.orthogonal_(minigrad.empty(3, 5))
    >>> bool(((w @ w.T) - minigrad.eye(3)).abs().max() < 1e-5)
    True
    """
    from minigrad import backend

    if tensor.ndim < 2:
        raise ValueError("orthogonal_: only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    xp = tensor.xp
    flat = backend.generator(tensor.device).standard_normal((rows, cols))
    flat = xp.asarray(flat, dtype=tensor.dtype)
    if rows < cols:
        flat = flat.T
    q, r = xp.linalg.qr(flat)
    q = q * xp.sign(xp.diagonal(r))
    if rows < cols:
        q = q.T
    with no_grad():
        return tensor.copy_(Tensor._make((q * gain).reshape(tensor.shape).astype(tensor.dtype)))


def eye_(tensor):
    """Fill the 2-D ``tensor`` with the identity matrix (ones on the diagonal), in place.

    Parameters
    ----------
    tensor : Tensor
        2-D.

    Returns
    -------
    Tensor
        ``tensor`` itself.

    Raises
    ------
    ValueError
        If ``tensor`` is not 2-D.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.nn import init
    >>> init.eye_(minigrad.empty(2, 3))
    tensor([[1., 0., 0.],
            [0., 1., 0.]])
    """
    if tensor.ndim != 2:
        raise ValueError("eye_: only 2-D tensors are supported")
    with no_grad():
        return tensor.copy_(Tensor._make(tensor.xp.eye(*tensor.shape, dtype=tensor.dtype)))


def dirac_(tensor, groups: int = 1):
    """Fill the 3-, 4- or 5-D convolution weight ``tensor`` with the Dirac delta, so the
    convolution passes its input through (each group keeps as many input channels as
    possible), in place.

    Parameters
    ----------
    tensor : Tensor
        ``(out, in, *kernel)``, 3 to 5 dimensions.
    groups : int
        Number of groups (``out`` must be divisible by it).

    Returns
    -------
    Tensor
        ``tensor`` itself.

    Raises
    ------
    ValueError
        For a tensor of another rank or ``out`` not divisible by ``groups``.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.nn import init
    >>> w = init.dirac_(minigrad.empty(2, 2, 3))
    >>> w[:, :, 1]
    tensor([[1., 0.],
            [0., 1.]])
    """
    if tensor.ndim not in (3, 4, 5):
        raise ValueError("dirac_: only tensors with 3, 4, or 5 dimensions are supported")
    out = tensor.shape[0]
    if out % groups != 0:
        raise ValueError("dirac_: dim 0 must be divisible by groups")
    per = out // groups
    m = min(per, tensor.shape[1])
    xp = tensor.xp
    w = xp.zeros(tensor.shape, dtype=tensor.dtype)
    centre = tuple(k // 2 for k in tensor.shape[2:])
    for g in range(groups):
        for d in range(m):
            w[(g * per + d, d) + centre] = 1
    with no_grad():
        return tensor.copy_(Tensor._make(w))
