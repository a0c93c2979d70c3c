"""Normalization ops: batch_norm, layer_norm, group_norm, instance_norm, rms_norm,
batch_renorm.

Each is a reshape of its input around the one fused core
:class:`~minigrad.ops.nn.norm.norm_core.Normalize` (statistics, normalization and affine in one
Function whose backward is itself differentiable). What differs between the norms is
only which elements share a mean and a variance:

===============  ================================  ==================================
norm             statistics view ``(A, C, B)``      affine (weight/bias) runs along
===============  ================================  ==================================
batch_norm       ``(N, C, prod(spatial))``          channels (folded into the scale)
layer_norm       ``(1, rows, prod(normalized))``    the normalized elements
group_norm       ``(1, N*G, C/G*prod(spatial))``    channels
instance_norm    ``(1, N*C, prod(spatial))``        channels
rms_norm         as layer_norm, without centering   the normalized elements
===============  ================================  ==================================

Running statistics (batch_norm, instance_norm, batch_renorm) follow PyTorch:
``new = (1 - momentum) * old + momentum * batch``, where the batch variance stored is
the *unbiased* one while the normalization uses the biased one. Buffers are updated in
place and never enter the graph. In evaluation mode the norm is the per-channel affine
map ``(x - running_mean) / sqrt(running_var + eps) * weight + bias``.
"""

from __future__ import annotations

import math

import numpy as np

from minigrad import backend
from minigrad.ops.nn.norm.norm_core import Normalize, chan_dot
from minigrad.ops.nn.norm.norm_kernels import chan_sum
from minigrad.tensor import Tensor

__all__ = [
    "batch_norm",
    "layer_norm",
    "group_norm",
    "instance_norm",
    "rms_norm",
    "batch_renorm",
]


# ----------------------------------------------------------------------- helpers
def _spatial(x):
    return math.prod(x.shape[2:])


def _check_vec(op, name, t, n, what):
    """Raise unless ``t`` is None or a tensor of shape ``(n,)``."""
    if t is not None and tuple(t.shape) != (n,):
        raise RuntimeError(
            f"{op}: expected {name} of shape ({n},) to match the {what}, "
            f"but got {name} of shape {tuple(t.shape)}"
        )


def _check_rank(op, x, least=2):
    if x.ndim < least:
        raise ValueError(
            f"{op}: expected an input of at least {least} dimensions (N, C, ...), "
            f"got shape {tuple(x.shape)}"
        )


def _update_running(running, batch, momentum):
    """``running = (1 - momentum) * running + momentum * batch``, in place."""
    d = running._data
    d *= 1.0 - momentum
    d += (momentum * batch).astype(d.dtype, copy=False)


def _update_buffers(op, running_mean, running_var, fn, momentum):
    """Update running statistics from a Normalize node's batch mean and biased var."""
    m = fn.M
    if running_mean is not None:
        _update_running(running_mean, fn.mean, momentum)
    if running_var is not None:
        _update_running(running_var, fn.var * (m / max(m - 1, 1)), momentum)


def _moments(x, stat_view):
    """Mean and biased variance of each channel of a statistics view (arrays)."""
    acc = np.float32 if x.dtype == np.float16 else x.dtype
    xv = x._data.reshape(stat_view).astype(acc, copy=False)
    A, _, B = stat_view
    inv_m = 1.0 / (A * B)
    mean = chan_sum(xv) * inv_m
    xc = xv - mean.reshape(1, -1, 1)
    return mean, chan_dot(xc, xc) * inv_m


def _affine_inference(x, mean, var, weight, bias, eps):
    """``(x - mean) / sqrt(var + eps) * weight + bias`` per channel (axis 1), with
    constant statistics: an affine map written in differentiable tensor ops."""
    shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    xp = backend.array_module(x._data)
    invstd = 1.0 / xp.sqrt(var._data + eps)
    scale = Tensor._make(invstd) if weight is None else weight * Tensor._make(invstd)
    shift = scale * Tensor._make(-mean._data)
    if bias is not None:
        shift = shift + bias
    if scale.dtype != x.dtype:
        scale, shift = scale.to(x.dtype), shift.to(x.dtype)
    return x * scale.reshape(shape) + shift.reshape(shape)


def _channel_norm(x, samples, channels, per_sample, affine_k, weight, bias, eps, center=True):
    """Apply the core (see :class:`~minigrad.ops.nn.norm.norm_core.Normalize` for the layout);
    ``affine_k`` is dropped when there is no affine transform."""
    if weight is None and bias is None:
        affine_k = None
    fn = Normalize(samples, channels, per_sample, affine_k, eps, center)
    return fn(x, weight, bias), fn


# ----------------------------------------------------------------------- batch norm
def batch_norm(
    input,
    running_mean,
    running_var,
    weight=None,
    bias=None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
):
    """Batch normalization over ``(N, C, *)`` inputs, per channel (axis 1).

    In training, each channel is normalized with the mean and biased variance of the
    batch (over ``N`` and every spatial position), and the running buffers, when given,
    are updated in place: ``new = (1 - momentum) * old + momentum * batch``, storing the
    *unbiased* batch variance. In evaluation, the running statistics normalize.

    Parameters
    ----------
    input : Tensor
        Shape ``(N, C)`` or ``(N, C, *spatial)``.
    running_mean, running_var : Tensor or None
        Buffers of shape ``(C,)``, updated in place in training; required in evaluation.
    weight, bias : Tensor, optional
        Per-channel scale and shift, shape ``(C,)``.
    training : bool
        Use (and record) batch statistics.
    momentum : float
        Weight of the new batch in the running average.
    eps : float
        Added to the variance.

    Returns
    -------
    Tensor
        Same shape and dtype as ``input``.

    Raises
    ------
    ValueError
        Training with a single value per channel, or an input of fewer than 2 dims.
    RuntimeError
        Buffer or weight shapes that do not match the channels; evaluation without
        running statistics.

    Examples
    --------
    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> x = minigrad.tensor([[1.0], [3.0]])
    >>> rm, rv = minigrad.zeros(1), minigrad.ones(1)
    >>> F.batch_norm(x, rm, rv, training=True)
    tensor([[-1.],
            [ 1.]])
    >>> rm, rv
    (tensor([0.2]), tensor([1.1]))
    """
    op = "batch_norm"
    _check_rank(op, input)
    N, C = input.shape[:2]
    S = _spatial(input)
    for name, t in (("running_mean", running_mean), ("running_var", running_var)):
        _check_vec(op, name, t, C, f"input's {C} channels (input shape {tuple(input.shape)})")
    for name, t in (("weight", weight), ("bias", bias)):
        _check_vec(op, name, t, C, f"input's {C} channels (input shape {tuple(input.shape)})")
    if not training:
        if running_mean is None or running_var is None:
            raise RuntimeError(
                f"{op}: running_mean and running_var must be given in evaluation mode "
                "(training=False)"
            )
        return _affine_inference(input, running_mean, running_var, weight, bias, eps)
    if N * S <= 1:
        raise ValueError(
            f"Expected more than 1 value per channel when training, got input size "
            f"{tuple(input.shape)}"
        )
    y, fn = _channel_norm(input, N, C, False, None, weight, bias, eps)
    _update_buffers(op, running_mean, running_var, fn, momentum)
    return y


def batch_renorm(
    input,
    running_mean,
    running_var,
    weight=None,
    bias=None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
    rmax: float = 1.0,
    dmax: float = 0.0,
):
    """Batch Renormalization (Ioffe, 2017) over ``(N, C, *)`` inputs, per channel.

    In training, with batch statistics ``mu_B, sigma_B = sqrt(var_B + eps)`` and running
    ones ``mu, sigma = sqrt(running_var + eps)``::

        r = clip(sigma_B / sigma, 1 / rmax, rmax)        # no gradient
        d = clip((mu_B - mu) / sigma, -dmax, dmax)       # no gradient
        y = ((x - mu_B) / sigma_B * r + d) * weight + bias

    which is one call of the fused core with weight ``weight * r`` and bias
    ``bias + weight * d``. With ``rmax=1, dmax=0`` it is exactly :func:`batch_norm`.
    The running buffers are updated as in :func:`batch_norm` (unbiased variance), and
    evaluation uses them.

    Parameters
    ----------
    input : Tensor
        Shape ``(N, C)`` or ``(N, C, *spatial)``.
    running_mean, running_var : Tensor
        Buffers of shape ``(C,)``; required (they are the reference statistics).
    weight, bias : Tensor, optional
        Per-channel scale and shift.
    training : bool
        Use batch statistics corrected by ``r`` and ``d``.
    momentum, eps : float
        As in :func:`batch_norm`.
    rmax, dmax : float
        Clipping limits (``rmax >= 1``, ``dmax >= 0``).

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        Bad ``rmax``/``dmax``, a single value per channel in training.
    RuntimeError
        Missing running statistics, or shapes that do not match the channels.

    Examples
    --------
    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> x = minigrad.tensor([[1.0], [3.0]])
    >>> rm, rv = minigrad.zeros(1), minigrad.ones(1)
    >>> F.batch_renorm(x, rm, rv, training=True, rmax=3.0, dmax=5.0)
    tensor([[1.],
            [3.]])
    """
    op = "batch_renorm"
    _check_rank(op, input)
    if rmax < 1.0 or dmax < 0.0:
        raise ValueError(f"{op}: expected rmax >= 1 and dmax >= 0, got {rmax} and {dmax}")
    if running_mean is None or running_var is None:
        raise RuntimeError(f"{op}: running_mean and running_var are required")
    N, C = input.shape[:2]
    S = _spatial(input)
    what = f"input's {C} channels (input shape {tuple(input.shape)})"
    for name, t in (("running_mean", running_mean), ("running_var", running_var)):
        _check_vec(op, name, t, C, what)
    for name, t in (("weight", weight), ("bias", bias)):
        _check_vec(op, name, t, C, what)
    if not training:
        return _affine_inference(input, running_mean, running_var, weight, bias, eps)
    if N * S <= 1:
        raise ValueError(
            f"Expected more than 1 value per channel when training, got input size "
            f"{tuple(input.shape)}"
        )
    xp = backend.array_module(input._data)
    mean, var = _moments(input, (N, C, S))
    sigma_b = xp.sqrt(var + eps)
    sigma = xp.sqrt(running_var._data.astype(mean.dtype) + eps)
    r = xp.clip(sigma_b / sigma, 1.0 / rmax, rmax)
    d = xp.clip((mean - running_mean._data.astype(mean.dtype)) / sigma, -dmax, dmax)
    wdt = weight.dtype if weight is not None else input.dtype
    r_t, d_t = Tensor._make(r.astype(wdt)), Tensor._make(d.astype(wdt))
    w_eff = r_t if weight is None else weight * r_t
    b_eff = d_t if weight is None else weight * d_t
    if bias is not None:
        b_eff = b_eff + bias
    y, fn = _channel_norm(input, N, C, False, None, w_eff, b_eff, eps)
    _update_buffers(op, running_mean, running_var, fn, momentum)
    return y


# ----------------------------------------------------------------------- per-sample norms
def _normalized_shape(op, x, normalized_shape):
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    ns = tuple(int(s) for s in normalized_shape)
    if len(ns) == 0 or x.ndim < len(ns) or tuple(x.shape[x.ndim - len(ns) :]) != ns:
        raise RuntimeError(
            f"{op}: Given normalized_shape={list(ns)}, expected input with shape "
            f"[*, {', '.join(map(str, ns))}], but got input of size {tuple(x.shape)}"
        )
    return ns


def _check_elementwise(op, name, t, ns):
    if t is not None and tuple(t.shape) != ns:
        raise RuntimeError(
            f"{op}: expected {name} of shape {ns} (the normalized_shape), got {tuple(t.shape)}"
        )


def layer_norm(input, normalized_shape, weight=None, bias=None, eps: float = 1e-5):
    """Layer normalization over the last ``len(normalized_shape)`` dimensions.

    Each sample (each index of the leading dimensions) is normalized with its own mean
    and biased variance over the trailing ``normalized_shape`` elements; ``weight`` and
    ``bias`` (of shape ``normalized_shape``) apply elementwise.

    Parameters
    ----------
    input : Tensor
        Shape ``(*, *normalized_shape)``.
    normalized_shape : int or tuple of int
        The trailing shape to normalize over.
    weight, bias : Tensor, optional
        Elementwise affine, shape ``normalized_shape``.
    eps : float
        Added to the variance.

    Returns
    -------
    Tensor

    Raises
    ------
    RuntimeError
        ``normalized_shape`` that does not match the input's trailing dimensions, or a
        weight/bias of another shape.

    Examples
    --------
    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.layer_norm(minigrad.tensor([[1.0, 3.0], [0.0, 10.0]]), (2,))
    tensor([[-1.,  1.],
            [-1.,  1.]])
    """
    op = "layer_norm"
    ns = _normalized_shape(op, input, normalized_shape)
    _check_elementwise(op, "weight", weight, ns)
    _check_elementwise(op, "bias", bias, ns)
    K = math.prod(ns)
    R = input._data.size // K if K else 0
    y, _ = _channel_norm(input, R, 1, True, K, weight, bias, eps)  # (weights of any shape)
    return y


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """Root-mean-square normalization over the last ``len(normalized_shape)`` dims:
    ``x / sqrt(mean(x^2) + eps) * weight`` (no centering, no bias).

    Parameters
    ----------
    input : Tensor
        Shape ``(*, *normalized_shape)``.
    normalized_shape : int or tuple of int
        The trailing shape to normalize over.
    weight : Tensor, optional
        Elementwise scale, shape ``normalized_shape``.
    eps : float, optional
        Added to the mean square; PyTorch's default ``finfo(input.dtype).eps``.

    Returns
    -------
    Tensor

    Raises
    ------
    RuntimeError
        ``normalized_shape`` that does not match the input's trailing dimensions.

    Examples
    --------
    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.rms_norm(minigrad.tensor([[3.0, 4.0]]), (2,), eps=0.0) * (12.5 ** 0.5)
    tensor([[3., 4.]])
    """
    op = "rms_norm"
    ns = _normalized_shape(op, input, normalized_shape)
    _check_elementwise(op, "weight", weight, ns)
    if eps is None:
        eps = float(np.finfo(input.dtype).eps)
    K = math.prod(ns)
    R = input._data.size // K if K else 0
    y, _ = _channel_norm(input, R, 1, True, K, weight, None, eps, center=False)
    return y


def group_norm(input, num_groups: int, weight=None, bias=None, eps: float = 1e-5):
    """Group normalization: the channels of each sample split into ``num_groups``
    groups, each normalized with its own mean and biased variance; per-channel affine.

    Parameters
    ----------
    input : Tensor
        Shape ``(N, C, *)``.
    num_groups : int
        Number of groups; must divide ``C``.
    weight, bias : Tensor, optional
        Per-channel scale and shift, shape ``(C,)``.
    eps : float
        Added to the variance.

    Returns
    -------
    Tensor

    Raises
    ------
    RuntimeError
        ``C`` not divisible by ``num_groups``, or weight/bias not of shape ``(C,)``.

    Examples
    --------
    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> x = minigrad.tensor([[[1.0], [3.0], [5.0], [5.0]]])
    >>> F.group_norm(x, 2).reshape(4)
    tensor([-1.,  1.,  0.,  0.])
    """
    op = "group_norm"
    _check_rank(op, input)
    N, C = input.shape[:2]
    if num_groups <= 0 or C % num_groups:
        raise RuntimeError(
            f"{op}: expected the number of channels ({C}, input shape "
            f"{tuple(input.shape)}) to be divisible by num_groups={num_groups}"
        )
    what = f"input's {C} channels (input shape {tuple(input.shape)})"
    _check_vec(op, "weight", weight, C, what)
    _check_vec(op, "bias", bias, C, what)
    y, _ = _channel_norm(input, N, num_groups, True, C, weight, bias, eps)
    return y


def instance_norm(
    input,
    running_mean=None,
    running_var=None,
    weight=None,
    bias=None,
    use_input_stats: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
):
    """Instance normalization: each channel of each sample normalized over its spatial
    positions; per-channel affine.

    With ``use_input_stats`` and running buffers given, the buffers are updated in place
    with the batch average of the per-instance mean and unbiased variance (PyTorch's
    convention). Without ``use_input_stats`` the running statistics normalize.

    Parameters
    ----------
    input : Tensor
        Shape ``(N, C, *spatial)``.
    running_mean, running_var : Tensor, optional
        Buffers of shape ``(C,)``.
    weight, bias : Tensor, optional
        Per-channel scale and shift.
    use_input_stats : bool
        Normalize with each instance's statistics (else with the running ones).
    momentum, eps : float
        As in :func:`batch_norm`.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        A single spatial element when using input statistics.
    RuntimeError
        Shapes that do not match the channels; no running statistics to use.

    Examples
    --------
    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.instance_norm(minigrad.tensor([[[1.0, 3.0], [2.0, 2.0]]]))
    tensor([[[-1.,  1.],
             [ 0.,  0.]]])
    """
    op = "instance_norm"
    _check_rank(op, input, 3)
    N, C = input.shape[:2]
    S = _spatial(input)
    what = f"input's {C} channels (input shape {tuple(input.shape)})"
    for name, t in (("running_mean", running_mean), ("running_var", running_var)):
        _check_vec(op, name, t, C, what)
    for name, t in (("weight", weight), ("bias", bias)):
        _check_vec(op, name, t, C, what)
    if not use_input_stats:
        if running_mean is None or running_var is None:
            raise RuntimeError(
                f"{op}: running_mean and running_var must be given when use_input_stats=False"
            )
        return _affine_inference(input, running_mean, running_var, weight, bias, eps)
    if S <= 1:
        raise ValueError(
            f"Expected more than 1 spatial element when training, got input size "
            f"{tuple(input.shape)}"
        )
    y, fn = _channel_norm(input, N, C, True, C, weight, bias, eps)
    m = fn.M
    if running_mean is not None:
        _update_running(running_mean, fn.mean.reshape(N, C).mean(axis=0), momentum)
    if running_var is not None:
        unbiased = fn.var * (m / max(m - 1, 1))
        _update_running(running_var, unbiased.reshape(N, C).mean(axis=0), momentum)
    return y
