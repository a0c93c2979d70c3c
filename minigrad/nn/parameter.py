"""The :class:`Parameter`: a tensor that a :class:`~minigrad.nn.Module` learns."""

from __future__ import annotations

import numpy as np

from minigrad.tensor import Tensor

__all__ = ["Parameter"]


class Parameter(Tensor):
    """A tensor that is a learnable parameter of a :class:`Module`.

    Assigning a Parameter to a module attribute registers it, so it appears in
    :meth:`Module.parameters` and :meth:`Module.state_dict`. A Parameter is always a
    leaf; it shares memory with the data it is made from.

    Parameters
    ----------
    data : Tensor or ndarray, optional
        The initial value (an empty float32 tensor if omitted).
    requires_grad : bool
        Whether the parameter is trained (default True).

    Raises
    ------
    RuntimeError
        If ``requires_grad`` is true for a non-floating dtype.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.nn import Parameter
    >>> p = Parameter(minigrad.ones(2))
    >>> p
    Parameter containing:
    tensor([1., 1.], requires_grad=True)
    >>> p.is_leaf, p.requires_grad
    (True, True)
    """

    __slots__ = ()

    def __init__(self, data=None, requires_grad: bool = True):
        if data is None:
            data = np.empty(0, dtype=np.float32)
        elif isinstance(data, Tensor):
            data = data._data
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __reduce_ex__(self, protocol):
        return (_rebuild_parameter, (self._data, self.requires_grad))

    def __deepcopy__(self, memo):
        p = Parameter(self._data.copy(), self.requires_grad)
        if self.grad is not None:
            p.grad = Tensor._make(self.grad._data.copy())
        memo[id(self)] = p
        return p


def _rebuild_parameter(data, requires_grad):
    return Parameter(data, requires_grad)
