"""Padding layers (PyTorch's ``nn.ZeroPad2d``, ``nn.ConstantPad1d/2d``,
``nn.ReflectionPad1d/2d``, ``nn.ReplicationPad1d/2d``, ``nn.CircularPad1d/2d``): each
holds its padding and calls :func:`minigrad.nn.functional.pad`.

``padding`` is an int (the same on every side) or a tuple in F.pad's order: ``(left,
right)`` for 1-D, ``(left, right, top, bottom)`` for 2-D.
"""

from __future__ import annotations

from minigrad.nn.module import Module
from minigrad.ops.shape.pad import pad

__all__ = [
    "ZeroPad1d", "ZeroPad2d", "ConstantPad1d", "ConstantPad2d", "ReflectionPad1d",
    "ReflectionPad2d", "ReplicationPad1d", "ReplicationPad2d", "CircularPad1d", "CircularPad2d",
]  # fmt: skip


class _PadNd(Module):
    _nd = 0
    _mode = "constant"

    def __init__(self, padding, value: float | None = None):
        super().__init__()
        n = 2 * self._nd
        if isinstance(padding, int):
            padding = (padding,) * n
        padding = tuple(int(p) for p in padding)
        if len(padding) != n:
            raise ValueError(
                f"{type(self).__name__}: padding must be an int or a tuple of {n} ints, got "
                f"{padding!r}"
            )
        self.padding = padding
        self.value = value

    def forward(self, input):
        if self._mode == "constant":
            return pad(input, self.padding, "constant", self.value or 0.0)
        return pad(input, self.padding, self._mode)

    def extra_repr(self) -> str:
        if self._mode == "constant" and type(self).__name__.startswith("Constant"):
            return f"padding={self.padding}, value={self.value}"
        return f"{self.padding}"


class ZeroPad1d(_PadNd):
    """Pad the last dimension with zeros.

    Parameters
    ----------
    padding : int or tuple of 2 ints
        ``(left, right)``.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.ZeroPad1d((1, 2))(minigrad.ones(1, 1, 2))
    tensor([[[0., 1., 1., 0., 0.]]])
    """

    _nd = 1

    def __init__(self, padding):
        super().__init__(padding, 0.0)


class ZeroPad2d(_PadNd):
    """Pad the last two dimensions with zeros.

    Parameters
    ----------
    padding : int or tuple of 4 ints
        ``(left, right, top, bottom)``.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.ZeroPad2d(1)(minigrad.ones(1, 1, 2, 2)).shape
    (1, 1, 4, 4)
    """

    _nd = 2

    def __init__(self, padding):
        super().__init__(padding, 0.0)


class ConstantPad1d(_PadNd):
    """Pad the last dimension with ``value``.

    Parameters
    ----------
    padding : int or tuple of 2 ints
        ``(left, right)``.
    value : float
        The fill value.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.ConstantPad1d(1, 3.5)(minigrad.zeros(1, 2))
    tensor([[3.5, 0. , 0. , 3.5]])
    """

    _nd = 1

    def __init__(self, padding, value: float):
        super().__init__(padding, value)


class ConstantPad2d(_PadNd):
    """Pad the last two dimensions with ``value``.

    Parameters
    ----------
    padding : int or tuple of 4 ints
        ``(left, right, top, bottom)``.
    value : float
        The fill value.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.ConstantPad2d((1, 0, 0, 1), -1.0)(minigrad.zeros(1, 1, 1))
    tensor([[[-1.,  0.],
             [-1., -1.]]])
    """

    _nd = 2

    def __init__(self, padding, value: float):
        super().__init__(padding, value)


class ReflectionPad1d(_PadNd):
    """Pad the last dimension by reflection (the edge is not repeated).

    Parameters
    ----------
    padding : int or tuple of 2 ints
        ``(left, right)``, each smaller than the dimension.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.ReflectionPad1d(2)(minigrad.tensor([[[0.0, 1.0, 2.0]]]))
    tensor([[[2., 1., 0., 1., 2., 1., 0.]]])
    """

    _nd = 1
    _mode = "reflect"


class ReflectionPad2d(_PadNd):
    """Pad the last two dimensions by reflection.

    Parameters
    ----------
    padding : int or tuple of 4 ints
        ``(left, right, top, bottom)``.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.ReflectionPad2d(1)(minigrad.ones(1, 1, 3, 3)).shape
    (1, 1, 5, 5)
    """

    _nd = 2
    _mode = "reflect"


class ReplicationPad1d(_PadNd):
    """Pad the last dimension by repeating the edge.

    Parameters
    ----------
    padding : int or tuple of 2 ints
        ``(left, right)``.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.ReplicationPad1d((2, 1))(minigrad.tensor([[1.0, 2.0]]))
    tensor([[1., 1., 1., 2., 2.]])
    """

    _nd = 1
    _mode = "replicate"


class ReplicationPad2d(_PadNd):
    """Pad the last two dimensions by repeating the edge.

    Parameters
    ----------
    padding : int or tuple of 4 ints
        ``(left, right, top, bottom)``.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.ReplicationPad2d(1)(minigrad.ones(1, 2, 2)).shape
    (1, 4, 4)
    """

    _nd = 2
    _mode = "replicate"


class CircularPad1d(_PadNd):
    """Pad the last dimension by wrapping around.

    Parameters
    ----------
    padding : int or tuple of 2 ints
        ``(left, right)``.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.CircularPad1d(1)(minigrad.tensor([[[1.0, 2.0, 3.0]]]))
    tensor([[[3., 1., 2., 3., 1.]]])
    """

    _nd = 1
    _mode = "circular"


class CircularPad2d(_PadNd):
    """Pad the last two dimensions by wrapping around.

    Parameters
    ----------
    padding : int or tuple of 4 ints
        ``(left, right, top, bottom)``.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.CircularPad2d(1)(minigrad.ones(1, 1, 2, 2)).shape
    (1, 1, 4, 4)
    """

    _nd = 2
    _mode = "circular"
