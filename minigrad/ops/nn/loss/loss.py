"""Loss functions, with PyTorch's names, arguments and reductions.

``cross_entropy`` with class-index targets runs one fused, numerically stable kernel
(:mod:`minigrad.ops.nn.loss.cross_entropy`: log-softmax and the pick of the target in one pass,
a closed-form backward that is itself differentiable). The other losses are short
compositions of differentiable tensor ops, plus two small elementwise Functions
(a stable softplus for ``binary_cross_entropy_with_logits`` and PyTorch's clamped
``binary_cross_entropy``).
"""

from __future__ import annotations

from minigrad import backend
from minigrad.autograd.function import Function
from minigrad.ops import impl
from minigrad.ops.math import elementwise as _ew
from minigrad.ops.math import unary as _unary
from minigrad.ops.math.reduce import sum as _sum
from minigrad.ops.math.softmax import log_softmax
from minigrad.ops.nn.loss.cross_entropy import LOSS, CrossEntropy
from minigrad.ops.shape.shape import permute, reshape
from minigrad.tensor import Tensor

__all__ = [
    "cross_entropy",
    "nll_loss",
    "mse_loss",
    "l1_loss",
    "smooth_l1_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
]

_REDUCTIONS = ("none", "mean", "sum")


def _check_reduction(op: str, reduction: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(
            f"{op}: reduction={reduction!r} is not valid; expected one of {_REDUCTIONS}"
        )


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _as_tensor(x, like: Tensor) -> Tensor:
    if isinstance(x, Tensor):
        return x
    return Tensor._make(like.xp.asarray(x))


def _broadcast_weight(op: str, name: str, w, input: Tensor) -> Tensor:
    """``w`` as a tensor that broadcasts to ``input``'s shape, or an error naming ``op``."""
    w = _as_tensor(w, input)
    ws, xs = tuple(w.shape), tuple(input.shape)
    if len(ws) > len(xs) or any(a not in (1, b) for a, b in zip(ws[::-1], xs[::-1])):
        raise ValueError(f"{op}: {name} of shape {ws} cannot be broadcast to the input shape {xs}")
    return w


# ----------------------------------------------------------------------------- class targets
def _flatten_classes(op: str, input: Tensor, target: Tensor):
    """Bring ``input`` (N, C, d1, ...) / (C,) and ``target`` (N, d1, ...) / () to the
    2-D form (M, C) and (M,); also return the shape the per-element loss has."""
    if input.ndim == 0:
        raise ValueError(f"{op}: input must have at least 1 dimension (C,) or (N, C, ...)")
    if target.device != input.device:
        raise RuntimeError(
            f"{op}: expected input and target on the same device, got {input.device} and "
            f"{target.device}"
        )
    if input.ndim == 1:  # unbatched: (C,) and a 0-d target
        if target.ndim != 0:
            raise ValueError(
                f"{op}: for unbatched input of shape {tuple(input.shape)} expected a 0-d "
                f"target, got shape {tuple(target.shape)}"
            )
        return reshape(input, (1, input.shape[0])), target._data.reshape(1), ()
    n, c = input.shape[0], input.shape[1]
    expected = (n,) + tuple(input.shape[2:])
    if tuple(target.shape) != expected:
        raise ValueError(
            f"{op}: expected target of shape {expected} for input of shape "
            f"{tuple(input.shape)}, got {tuple(target.shape)}"
        )
    if input.ndim == 2:
        return input, target._data, expected
    k = input.ndim
    x = reshape(permute(input, (0,) + tuple(range(2, k)) + (1,)), (-1, c))
    return x, target._data.reshape(-1), expected


def _check_target(op, t, c, ignore_index, xp):
    if t.dtype.kind not in "iu":
        raise TypeError(
            f"{op}: expected integer class indices as target (dtype int64), got {t.dtype}; "
            "for class probabilities pass a float target of the same shape as input"
        )
    bad = ((t < 0) | (t >= c)) & (t != ignore_index)
    if bool(bad.any()):
        raise IndexError(
            f"{op}: target {int(t[bad][0])} is out of bounds for {c} classes "
            f"(expected 0 <= target < {c}, or ignore_index={ignore_index})"
        )


def _check_weight(op, weight, c, input):
    if weight is None:
        return None
    w = weight._data if isinstance(weight, Tensor) else input.xp.asarray(weight)
    if w.shape != (c,):
        raise ValueError(
            f"{op}: weight should have shape ({c},) (one per class), got {tuple(w.shape)}"
        )
    if backend.device_of(w) != input.device:
        raise RuntimeError(f"{op}: weight is on {backend.device_of(w)}, input on {input.device}")
    return w.astype(input.dtype, copy=False)


def cross_entropy(
    input,
    target,
    weight=None,
    size_average=None,
    ignore_index: int = -100,
    reduce=None,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
):
    """Cross entropy between logits and targets (log-softmax + negative log likelihood).

    With class-index targets, the loss of sample ``i`` with target ``t`` is
    ``(1 - ls) * w_t * (-log p_it) + ls / C * sum_k w_k * (-log p_ik)``; ``'mean'``
    divides the sum by the total weight ``sum_i w_{t_i}`` of the non-ignored samples
    (PyTorch's weighted mean). With class-probability targets (a float tensor shaped
    like ``input``), the loss is ``-sum_k w_k * y_ik * log p_ik`` and ``'mean'``
    divides by the number of samples.

    Parameters
    ----------
    input : Tensor
        Logits of shape ``(C,)``, ``(N, C)`` or ``(N, C, d1, ..., dK)``.
    target : Tensor
        Class indices (int64) of shape ``()``, ``(N,)`` or ``(N, d1, ..., dK)``, or
        class probabilities of the shape of ``input``.
    weight : Tensor, optional
        A weight per class, shape ``(C,)``.
    size_average, reduce : None
        Deprecated PyTorch arguments; must be left as ``None``.
    ignore_index : int
        Target value that contributes neither loss nor gradient (default -100).
    reduction : {'mean', 'sum', 'none'}
        How to reduce the per-sample losses.
    label_smoothing : float
        Amount in ``[0, 1]`` of uniform smoothing of the targets (default 0).

    Returns
    -------
    Tensor
        A scalar, or the per-sample losses of shape ``(N, d1, ..., dK)`` for ``'none'``.

    Raises
    ------
    ValueError
        For shapes that do not match, a bad reduction or label_smoothing.
    IndexError
        For a class index outside ``[0, C)`` (other than ``ignore_index``).

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.ops.nn.loss.loss import cross_entropy
    >>> logits = minigrad.tensor([[2.0, 0.0, 0.0], [0.0, 0.0, 0.0]], requires_grad=True)
    >>> target = minigrad.tensor([0, 2])
    >>> loss = cross_entropy(logits, target)
    >>> loss
    tensor(0.6691, grad_fn=<CrossEntropy backward>)
    >>> loss.backward()
    >>> logits.grad
    tensor([[-0.1065,  0.0533,  0.0533],
            [ 0.1667,  0.1667, -0.3333]])
    """
    op = "cross_entropy"
    if size_average is not None or reduce is not None:
        raise ValueError(f"{op}: size_average and reduce are deprecated; use reduction=")
    _check_reduction(op, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{op}: label_smoothing must be in [0, 1], got {label_smoothing}")
    target = _as_tensor(target, input)
    c = input.shape[1] if input.ndim >= 2 else input.shape[0]
    w = _check_weight(op, weight, c, input)
    if target.dtype.kind == "f" and tuple(target.shape) == tuple(input.shape):
        return _cross_entropy_probs(input, target, w, reduction, label_smoothing)
    x, t, out_shape = _flatten_classes(op, input, target)
    _check_target(op, t, c, ignore_index, input.xp)
    loss = CrossEntropy(t, w, ignore_index, reduction, float(label_smoothing))(x)
    if reduction == "none" and loss.shape != out_shape:
        loss = reshape(loss, out_shape)
    return loss


def _cross_entropy_probs(input, target, w, reduction, ls):
    """Cross entropy with class-probability targets, composed of tensor ops."""
    dim = 0 if input.ndim == 1 else 1
    c = input.shape[dim]
    if ls:
        target = target * (1.0 - ls) + ls / c
    logp = log_softmax(input, dim)
    prod = logp * target
    if w is not None:
        wshape = [1] * input.ndim
        wshape[dim] = c
        prod = prod * Tensor._make(w.reshape(wshape))
    loss = -_sum(prod, dim)
    if reduction == "mean":  # PyTorch divides by the number of samples (N * d1 * ...)
        return loss.sum() / (input.numel() // c)
    return _reduce(loss, reduction)


def nll_loss(
    input,
    target,
    weight=None,
    size_average=None,
    ignore_index: int = -100,
    reduce=None,
    reduction: str = "mean",
):
    """Negative log likelihood of class-index targets, given log-probabilities.

    ``loss_i = -w_{t_i} * input[i, t_i]``; ``'mean'`` divides the sum by the total
    weight of the non-ignored samples.

    Parameters
    ----------
    input : Tensor
        Log-probabilities of shape ``(C,)``, ``(N, C)`` or ``(N, C, d1, ..., dK)``.
    target : Tensor
        Class indices (int64) of shape ``()``, ``(N,)`` or ``(N, d1, ..., dK)``.
    weight : Tensor, optional
        A weight per class, shape ``(C,)``.
    size_average, reduce : None
        Deprecated PyTorch arguments; must be left as ``None``.
    ignore_index : int
        Target value that contributes neither loss nor gradient (default -100).
    reduction : {'mean', 'sum', 'none'}
        How to reduce the per-sample losses.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        For shapes that do not match or a bad reduction.
    IndexError
        For a class index outside ``[0, C)`` (other than ``ignore_index``).

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.ops.nn.loss.loss import nll_loss
    >>> logp = minigrad.tensor([[-0.5, -1.0], [-2.0, -0.1]])
    >>> nll_loss(logp, minigrad.tensor([0, 1]))
    tensor(0.3)
    """
    op = "nll_loss"
    if size_average is not None or reduce is not None:
        raise ValueError(f"{op}: size_average and reduce are deprecated; use reduction=")
    _check_reduction(op, reduction)
    target = _as_tensor(target, input)
    c = input.shape[1] if input.ndim >= 2 else input.shape[0]
    w = _check_weight(op, weight, c, input)
    x, t, out_shape = _flatten_classes(op, input, target)
    xp = input.xp
    _check_target(op, t, c, ignore_index, xp)
    valid = t != ignore_index
    all_valid = bool(valid.all())
    if reduction == "none":
        t = t if all_valid else xp.where(valid, t, 0)
        w_t = xp.ones(t.shape, input.dtype) if w is None else w[t]
        loss = -(x[xp.arange(t.shape[0]), t] * Tensor._make(w_t))
        if not all_valid:  # a select: ignored entries are 0 and pass no gradient
            loss = _ew.where(Tensor._make(valid), loss, 0.0)
        return reshape(loss, out_shape) if loss.shape != out_shape else loss
    # 'sum' and 'mean' pick the non-ignored rows only, so ignored rows get exactly 0
    # (with every row ignored, 'mean' is 0 / 0 = NaN and the gradient 0, as in PyTorch)
    rows = xp.arange(t.shape[0]) if all_valid else xp.nonzero(valid)[0]
    t = t if all_valid else t[rows]
    w_t = xp.ones(t.shape, input.dtype) if w is None else w[t]
    total = (x[rows, t] * Tensor._make(-w_t)).sum()  # (an empty sum is +0, as PyTorch's)
    if reduction == "sum":
        return total
    return total / Tensor._make(xp.asarray(w_t.sum(), dtype=input.dtype))


# ----------------------------------------------------------------------------- regression
def _pair(op, input, target):
    target = _as_tensor(target, input)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(
            f"{op}: input and target must have the same shape, got {tuple(input.shape)} "
            f"and {tuple(target.shape)}"
        )
    return target


def mse_loss(input, target, size_average=None, reduce=None, reduction: str = "mean"):
    """Mean squared error ``(input - target)^2``, reduced.

    Parameters
    ----------
    input, target : Tensor
        Of the same shape.
    size_average, reduce : None
        Deprecated PyTorch arguments; must be left as ``None``.
    reduction : {'mean', 'sum', 'none'}
        How to reduce the elementwise losses.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        If the shapes differ or the reduction is unknown.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.ops.nn.loss.loss import mse_loss
    >>> mse_loss(minigrad.tensor([1.0, 2.0]), minigrad.tensor([0.0, 0.0]))
    tensor(2.5)
    """
    _check_reduction("mse_loss", reduction)
    target = _pair("mse_loss", input, target)
    d = input - target
    return _reduce(d * d, reduction)


def l1_loss(input, target, size_average=None, reduce=None, reduction: str = "mean"):
    """Mean absolute error ``|input - target|``, reduced.

    Parameters
    ----------
    input, target : Tensor
        Of the same shape.
    size_average, reduce : None
        Deprecated PyTorch arguments; must be left as ``None``.
    reduction : {'mean', 'sum', 'none'}
        How to reduce the elementwise losses.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        If the shapes differ or the reduction is unknown.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.ops.nn.loss.loss import l1_loss
    >>> l1_loss(minigrad.tensor([1.0, -2.0]), minigrad.tensor([0.0, 0.0]))
    tensor(1.5)
    """
    _check_reduction("l1_loss", reduction)
    target = _pair("l1_loss", input, target)
    return _reduce(_unary.abs(input - target), reduction)


def smooth_l1_loss(
    input, target, size_average=None, reduce=None, reduction: str = "mean", beta: float = 1.0
):
    """Huber-like loss: ``0.5 d^2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 beta``.

    Parameters
    ----------
    input, target : Tensor
        Of the same shape.
    size_average, reduce : None
        Deprecated PyTorch arguments; must be left as ``None``.
    reduction : {'mean', 'sum', 'none'}
        How to reduce the elementwise losses.
    beta : float
        Where the quadratic part turns linear (default 1; 0 gives the L1 loss).

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        If the shapes differ, the reduction is unknown or ``beta < 0``.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.ops.nn.loss.loss import smooth_l1_loss
    >>> smooth_l1_loss(minigrad.tensor([0.5, 3.0]), minigrad.tensor([0.0, 0.0]))
    tensor(1.3125)
    """
    _check_reduction("smooth_l1_loss", reduction)
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be >= 0, got {beta}")
    target = _pair("smooth_l1_loss", input, target)
    d = input - target
    a = _unary.abs(d)
    if beta == 0:
        return _reduce(a, reduction)
    loss = _ew.where(a < beta, d * d * (0.5 / beta), a - 0.5 * beta)
    return _reduce(loss, reduction)


# ----------------------------------------------------------------------------- binary
class _Softplus(Function):
    """Stable ``log(1 + exp(z)) = max(z, 0) + log1p(exp(-|z|))``; gradient
    ``sigmoid(z)`` in tensor ops (so it is differentiable again)."""

    def forward(self, z):
        xp = backend.array_module(z)
        return xp.maximum(z, 0) + xp.log1p(xp.exp(-xp.abs(z)))

    def backward(self, gy):
        (z,) = self.inputs
        return gy * _unary.sigmoid(z)


def binary_cross_entropy_with_logits(
    input,
    target,
    weight=None,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    pos_weight=None,
):
    """Binary cross entropy of logits: a sigmoid and BCE in one stable formula.

    ``loss = w * ((1 - y) * x + (1 + (pos_weight - 1) * y) * softplus(-x))``, which
    equals ``-w * (pos_weight * y * log(sigmoid(x)) + (1 - y) * log(1 - sigmoid(x)))``
    without overflow for large ``|x|``.

    Parameters
    ----------
    input : Tensor
        Logits, any shape.
    target : Tensor
        Targets in ``[0, 1]``, the shape of ``input``.
    weight : Tensor, optional
        Weights broadcast to the shape of ``input``.
    size_average, reduce : None
        Deprecated PyTorch arguments; must be left as ``None``.
    reduction : {'mean', 'sum', 'none'}
        How to reduce the elementwise losses.
    pos_weight : Tensor, optional
        Weight of the positive class, broadcast along the last dimension (one per class).

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        If the shapes differ or the reduction is unknown.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.ops.nn.loss.loss import binary_cross_entropy_with_logits
    >>> x = minigrad.tensor([0.0, 10000.0, -10000.0])
    >>> binary_cross_entropy_with_logits(x, minigrad.tensor([1.0, 1.0, 0.0]), reduction="none")
    tensor([0.6931, 0.    , 0.    ])
    """
    op = "binary_cross_entropy_with_logits"
    _check_reduction(op, reduction)
    target = _pair(op, input, target)
    neg_sp = _Softplus()(-input)  # -log(sigmoid(x))
    if pos_weight is not None:
        pos_weight = _broadcast_weight(op, "pos_weight", pos_weight, input)
        log_weight = (pos_weight - 1) * target + 1
        loss = (1 - target) * input + log_weight * neg_sp
    else:
        loss = (1 - target) * input + neg_sp
    if weight is not None:
        loss = loss * _broadcast_weight(op, "weight", weight, input)
    return _reduce(loss, reduction)


class _BCE(Function):
    """Elementwise ``-(y log x + (1 - y) log1p(-x))`` with each log clamped at -100;
    gradient ``(x - y) / max(x (1 - x), 1e-12)`` as in PyTorch (finite at 0 and 1); the
    target's gradient is PyTorch's ``-logit(x)`` (infinite at 0 and 1)."""

    def forward(self, x, y):
        xp = backend.array_module(x)
        impl.choose(self, LOSS, x)
        log_x = xp.maximum(xp.log(x), -100.0)  # log(0) = -inf is clamped to -100
        log_1mx = xp.maximum(xp.log1p(-x), -100.0)  # log1p: exact for tiny x
        return -(y * log_x + (1 - y) * log_1mx)

    def backward(self, gy):
        x, y = self.inputs
        nx, ny = self.needs_input_grad
        gx = gy * (x - y) / _ew.clamp(x * (1 - x), 1e-12, None) if nx else None
        gt = None
        if ny:
            # PyTorch's -logit(x), unclamped: +inf at x = 0, -inf at x = 1
            gt = gy * (_unary.log(1 - x) - _unary.log(x))
        return gx, gt


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction: str = "mean"):  # fmt: skip
    """Binary cross entropy of probabilities: ``-w * (y log x + (1 - y) log(1 - x))``.

    Each log is clamped at -100, as in PyTorch, so the loss stays finite at 0 and 1.
    Prefer :func:`binary_cross_entropy_with_logits`, which is stable for any logit.

    Parameters
    ----------
    input : Tensor
        Probabilities in ``[0, 1]``.
    target : Tensor
        Targets in ``[0, 1]``, the shape of ``input``.
    weight : Tensor, optional
        Weights broadcast to the shape of ``input``.
    size_average, reduce : None
        Deprecated PyTorch arguments; must be left as ``None``.
    reduction : {'mean', 'sum', 'none'}
        How to reduce the elementwise losses.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        If the shapes differ, the reduction is unknown, or an input is outside [0, 1].

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.ops.nn.loss.loss import binary_cross_entropy
    >>> binary_cross_entropy(minigrad.tensor([0.5, 1.0]), minigrad.tensor([1.0, 0.0]),
    ...                      reduction="none")
    tensor([  0.6931, 100.    ])
    """
    op = "binary_cross_entropy"
    _check_reduction(op, reduction)
    target = _pair(op, input, target)
    d = input._data
    if bool(((d < 0) | (d > 1)).any()):
        raise ValueError(f"{op}: all elements of input should be between 0 and 1")
    loss = _BCE()(input, target)
    if weight is not None:
        loss = loss * _broadcast_weight(op, "weight", weight, input)
    return _reduce(loss, reduction)
