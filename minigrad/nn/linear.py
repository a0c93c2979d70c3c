"""Fully connected layers: :class:`Linear`, plus the shape helpers :class:`Identity`,
:class:`Flatten` and :class:`Unflatten`.

The math lives in :func:`minigrad.ops.nn.linear.linear`; these classes only hold the
parameters and call it.
"""

from __future__ import annotations

from minigrad import backend
from minigrad.dtypes import as_dtype, get_default_dtype
from minigrad.nn import init
from minigrad.nn.module import Module
from minigrad.nn.parameter import Parameter
from minigrad.ops.nn.linear import linear
from minigrad.ops.shape.shape import flatten, reshape
from minigrad.tensor import Tensor

__all__ = ["Linear", "Bilinear", "Identity", "Flatten", "Unflatten"]


def _empty(shape, device=None, dtype=None) -> Tensor:
    dev = backend.device(device)
    dt = as_dtype(dtype) if dtype is not None else get_default_dtype()
    return Tensor._make(dev.xp.empty(shape, dtype=dt))


class Linear(Module):
    """Applies ``y = x @ weight.T + bias``.

    Initialized like PyTorch: ``weight`` by ``kaiming_uniform_(a=sqrt(5))``, i.e.
    U(-1/sqrt(in), 1/sqrt(in)), and ``bias`` by U(-1/sqrt(in), 1/sqrt(in)).

    Parameters
    ----------
    in_features : int
        Size of each input sample.
    out_features : int
        Size of each output sample.
    bias : bool
        Whether to learn an additive bias (default True).
    device : str or Device, optional
        Where the parameters live (default: the default device).
    dtype : dtype, optional
        Parameter dtype (default float32).

    Raises
    ------
    ValueError
        If a size is negative.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> m = nn.Linear(20, 30)
    >>> m
    Linear(in_features=20, out_features=30, bias=True)
    >>> m(minigrad.randn(128, 20)).shape
    (128, 30)
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device=None,
                 dtype=None):  # fmt: skip
        super().__init__()
        if in_features < 0 or out_features < 0:
            raise ValueError(
                f"Linear: sizes must be non-negative, got in_features={in_features}, "
                f"out_features={out_features}"
            )
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(_empty((out_features, in_features), device, dtype))
        if bias:
            self.bias = Parameter(_empty((out_features,), device, dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Re-draw the parameters with PyTorch's default initialization.

        Examples
        --------
        >>> from minigrad import nn
        >>> m = nn.Linear(2, 2)
        >>> m.reset_parameters()
        >>> bool((m.weight.abs() <= 2 ** -0.5).all())
        True
        """
        init._default_layer_init_(self.weight, self.bias)

    def forward(self, input):
        return linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


class Identity(Module):
    """Returns its input unchanged (accepts and ignores any constructor arguments).

    Parameters
    ----------
    *args, **kwargs
        Ignored (accepted so that it can stand in for any layer).

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.Identity(54, unused="x")(minigrad.ones(2))
    tensor([1., 1.])
    """

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


class Flatten(Module):
    """Flattens dimensions ``start_dim`` to ``end_dim`` into one.

    Parameters
    ----------
    start_dim : int
        First dimension to flatten (default 1, keeping the batch).
    end_dim : int
        Last dimension to flatten (default -1).

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.Flatten()(minigrad.zeros(32, 1, 5, 5)).shape
    (32, 25)
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input):
        return flatten(input, self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Expands dimension ``dim`` into ``unflattened_size``.

    Parameters
    ----------
    dim : int
        The dimension to expand.
    unflattened_size : tuple of int
        The new shape of that dimension (one entry may be -1).

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.Unflatten(1, (2, 5))(minigrad.zeros(3, 10)).shape
    (3, 2, 5)
    """

    def __init__(self, dim: int, unflattened_size):
        super().__init__()
        self.dim = dim
        self.unflattened_size = tuple(unflattened_size)

    def forward(self, input):
        d = self.dim % input.ndim
        shape = input.shape[:d] + self.unflattened_size + input.shape[d + 1 :]
        return reshape(input, shape)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


class Bilinear(Module):
    """``y = x1^T W x2 + b`` per output feature (PyTorch's ``nn.Bilinear``); see
    :func:`~minigrad.nn.functional.bilinear`.

    Initialized like PyTorch: weight and bias from U(-1/sqrt(in1), 1/sqrt(in1)).

    Parameters
    ----------
    in1_features, in2_features, out_features : int
        Sizes of the two inputs and of the output.
    bias : bool
        Whether to learn a bias (default True).
    device, dtype : optional
        Where and in which dtype the parameters live.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> m = nn.Bilinear(3, 4, 2)
    >>> m
    Bilinear(in1_features=3, in2_features=4, out_features=2, bias=True)
    >>> m(minigrad.randn(5, 3), minigrad.randn(5, 4)).shape
    (5, 2)
    """

    def __init__(self, in1_features: int, in2_features: int, out_features: int,
                 bias: bool = True, device=None, dtype=None):  # fmt: skip
        super().__init__()
        self.in1_features, self.in2_features = in1_features, in2_features
        self.out_features = out_features
        self.weight = Parameter(_empty((out_features, in1_features, in2_features), device, dtype))
        if bias:
            self.bias = Parameter(_empty((out_features,), device, dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Re-draw weight and bias from U(-1/sqrt(in1), 1/sqrt(in1)), as PyTorch.

        Examples
        --------
        >>> from minigrad import nn
        >>> m = nn.Bilinear(4, 2, 1); m.reset_parameters()
        >>> bool((m.weight.abs() <= 0.5).all())
        True
        """
        import math

        bound = 1 / math.sqrt(self.weight.shape[1])
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1, input2):
        from minigrad.ops.nn.bilinear import bilinear

        return bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
            f"out_features={self.out_features}, bias={self.bias is not None}"
        )
