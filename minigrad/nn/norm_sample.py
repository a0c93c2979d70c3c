"""Per-sample normalization layers: LayerNorm, RMSNorm, GroupNorm.

Part of :mod:`minigrad.nn.norm` (which re-exports these names); split out to keep each
file short. The layers hold their parameters and call the functional ops of
:mod:`minigrad.ops.nn.norm.norm`.
"""

from __future__ import annotations

import minigrad
from minigrad.nn.module import Module
from minigrad.nn.parameter import Parameter
from minigrad.ops.nn.norm import norm as F

__all__ = ["LayerNorm", "RMSNorm", "GroupNorm"]


def _as_shape(normalized_shape):
    if isinstance(normalized_shape, int):
        return (normalized_shape,)
    return tuple(int(s) for s in normalized_shape)


class LayerNorm(Module):
    """Layer normalization over the last ``len(normalized_shape)`` dimensions.

    Parameters
    ----------
    normalized_shape : int or tuple of int
        The trailing shape normalized over.
    eps : float
        Added to the variance (default 1e-5).
    elementwise_affine : bool
        Learnable elementwise ``weight`` (init 1) and, if ``bias``, ``bias`` (init 0),
        both of shape ``normalized_shape``.
    bias : bool
        Whether the affine transform has a bias (default True).
    device, dtype : optional
        Where and in which dtype to create the parameters.

    Raises
    ------
    RuntimeError
        On input whose trailing dimensions are not ``normalized_shape``.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> ln = nn.LayerNorm(2)
    >>> ln(minigrad.tensor([[1.0, 3.0]]))
    tensor([[-1.,  1.]], grad_fn=<Normalize backward>)
    """

    def __init__(
        self,
        normalized_shape,
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        device=None,
        dtype=None,
    ):
        super().__init__()
        self.normalized_shape = _as_shape(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        kw = {"device": device, "dtype": dtype}
        if elementwise_affine:
            self.weight = Parameter(minigrad.ones(*self.normalized_shape, **kw))
            if bias:
                self.bias = Parameter(minigrad.zeros(*self.normalized_shape, **kw))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def reset_parameters(self) -> None:
        """Weight 1, bias 0.

        Examples
        --------
        >>> from minigrad import nn
        >>> m = nn.LayerNorm(3)
        >>> _ = m.weight._data.fill(2.0)
        >>> m.reset_parameters()
        >>> m.weight
        Parameter containing:
        tensor([1., 1., 1.], requires_grad=True)
        """
        if self.weight is not None:
            self.weight._data[...] = 1
        if self.bias is not None:
            self.bias._data[...] = 0

    def forward(self, input):
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
        )


class RMSNorm(Module):
    """Root-mean-square normalization over the last ``len(normalized_shape)`` dims:
    ``x / sqrt(mean(x^2) + eps) * weight``.

    Parameters
    ----------
    normalized_shape : int or tuple of int
        The trailing shape normalized over.
    eps : float, optional
        Added to the mean square (default: ``finfo(input.dtype).eps``).
    elementwise_affine : bool
        Learnable elementwise ``weight`` (init 1).
    device, dtype : optional
        Where and in which dtype to create the weight.

    Raises
    ------
    RuntimeError
        On input whose trailing dimensions are not ``normalized_shape``.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.RMSNorm(2)(minigrad.tensor([[3.0, 4.0]])).shape
    (1, 2)
    """

    def __init__(
        self,
        normalized_shape,
        eps: float | None = None,
        elementwise_affine: bool = True,
        device=None,
        dtype=None,
    ):
        super().__init__()
        self.normalized_shape = _as_shape(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(
                minigrad.ones(*self.normalized_shape, device=device, dtype=dtype)
            )
        else:
            self.register_parameter("weight", None)

    def reset_parameters(self) -> None:
        """Weight 1.

        Examples
        --------
        >>> from minigrad import nn
        >>> m = nn.RMSNorm(2)
        >>> _ = m.weight._data.fill(2.0)
        >>> m.reset_parameters()
        >>> m.weight
        Parameter containing:
        tensor([1., 1.], requires_grad=True)
        """
        if self.weight is not None:
            self.weight._data[...] = 1

    def forward(self, input):
        return F.rms_norm(input, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
        )


class GroupNorm(Module):
    """Group normalization: the channels split into ``num_groups`` groups, each sample's
    group normalized over its channels and positions; per-channel affine.

    Parameters
    ----------
    num_groups : int
        Number of groups; must divide ``num_channels``.
    num_channels : int
        ``C``.
    eps : float
        Added to the variance (default 1e-5).
    affine : bool
        Learnable per-channel ``weight`` (init 1) and ``bias`` (init 0).
    device, dtype : optional
        Where and in which dtype to create the parameters.

    Raises
    ------
    ValueError
        When ``num_channels`` is not divisible by ``num_groups``.
    RuntimeError
        On input whose channels do not match (from the functional op).

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.GroupNorm(2, 4)(minigrad.randn(3, 4, 5)).shape
    (3, 4, 5)
    """

    def __init__(
        self,
        num_groups: int,
        num_channels: int,
        eps: float = 1e-5,
        affine: bool = True,
        device=None,
        dtype=None,
    ):
        super().__init__()
        if num_groups <= 0 or num_channels % num_groups:
            raise ValueError(
                f"GroupNorm: num_channels ({num_channels}) must be divisible by "
                f"num_groups ({num_groups})"
            )
        self.num_groups = num_groups
        self.num_channels = num_channels
        self.eps = eps
        self.affine = affine
        if affine:
            self.weight = Parameter(minigrad.ones(num_channels, device=device, dtype=dtype))
            self.bias = Parameter(minigrad.zeros(num_channels, device=device, dtype=dtype))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def reset_parameters(self) -> None:
        """Weight 1, bias 0.

        Examples
        --------
        >>> from minigrad import nn
        >>> m = nn.GroupNorm(1, 2)
        >>> _ = m.bias._data.fill(2.0)
        >>> m.reset_parameters()
        >>> m.bias
        Parameter containing:
        tensor([0., 0.], requires_grad=True)
        """
        if self.affine:
            self.weight._data[...] = 1
            self.bias._data[...] = 0

    def forward(self, input):
        if input.ndim >= 2 and input.shape[1] != self.num_channels:
            raise ValueError(
                f"GroupNorm: expected input with {self.num_channels} channels at dim 1, "
                f"got input of shape {tuple(input.shape)}"
            )
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}"
