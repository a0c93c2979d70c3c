"""Containers of parameters: :class:`ParameterList` and :class:`ParameterDict` (PyTorch's).

Each entry is registered as a parameter of the container (named ``"0"``, ``"1"``, ... or
by its key), so it appears in ``parameters()``, ``state_dict()`` and is moved by
``.to()``. Plain tensors are wrapped in :class:`~minigrad.nn.Parameter` on insertion.
"""

from __future__ import annotations

from minigrad.nn.containers import _index
from minigrad.nn.module import Module
from minigrad.nn.parameter import Parameter
from minigrad.tensor import Tensor

__all__ = ["ParameterList", "ParameterDict"]


def _as_parameter(value):
    if isinstance(value, Tensor) and not isinstance(value, Parameter):
        return Parameter(value)
    return value


class ParameterList(Module):
    """A list of parameters (PyTorch's ``nn.ParameterList``).

    Parameters
    ----------
    values : iterable of Tensor, optional
        Initial entries (tensors become Parameters).

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> ps = nn.ParameterList([nn.Parameter(minigrad.zeros(2)) for _ in range(2)])
    >>> ps.append(minigrad.ones(3))
    ParameterList(
        (0): Parameter containing: [float32 of size (2,)]
        (1): Parameter containing: [float32 of size (2,)]
        (2): Parameter containing: [float32 of size (3,)]
    )
    >>> [n for n, _ in ps.named_parameters()]
    ['0', '1', '2']
    """

    def __init__(self, values=None):
        super().__init__()
        if values is not None:
            self.extend(values)

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return ParameterList(list(self._parameters.values())[idx])
        keys = list(self._parameters)
        return self._parameters[keys[_index(idx, len(keys), "ParameterList")]]

    def __setitem__(self, idx, value) -> None:
        keys = list(self._parameters)
        key = keys[_index(idx, len(keys), "ParameterList")]
        self.register_parameter(key, _as_parameter(value))

    def __len__(self) -> int:
        return len(self._parameters)

    def __iter__(self):
        return iter(self._parameters.values())

    def __iadd__(self, values) -> ParameterList:
        return self.extend(values)

    def append(self, value) -> ParameterList:
        """Add ``value`` (a tensor becomes a Parameter) at the end; returns ``self``.

        Parameters
        ----------
        value : Tensor

        Returns
        -------
        ParameterList

        Examples
        --------
        >>> import minigrad
        >>> from minigrad import nn
        >>> len(nn.ParameterList().append(minigrad.zeros(1)))
        1
        """
        self.register_parameter(str(len(self)), _as_parameter(value))
        return self

    def extend(self, values) -> ParameterList:
        """Append every value of an iterable; returns ``self``.

        Parameters
        ----------
        values : iterable of Tensor

        Returns
        -------
        ParameterList

        Examples
        --------
        >>> import minigrad
        >>> from minigrad import nn
        >>> len(nn.ParameterList().extend([minigrad.zeros(1), minigrad.ones(2)]))
        2
        """
        for v in values:
            self.append(v)
        return self

    def extra_repr(self) -> str:
        lines = []
        for k, p in self._parameters.items():
            kind = "Parameter containing:" if isinstance(p, Parameter) else "Tensor:"
            lines.append(f"({k}): {kind} [{p.dtype} of size {tuple(p.shape)}]")
        return "\n".join(lines)


class ParameterDict(Module):
    """An ordered dict of parameters (PyTorch's ``nn.ParameterDict``).

    Parameters
    ----------
    parameters : mapping or iterable of (str, Tensor), optional
        Initial entries (tensors become Parameters).

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> pd = nn.ParameterDict({"scale": minigrad.ones(2)})
    >>> pd["shift"] = minigrad.zeros(2)
    >>> list(pd.keys()), isinstance(pd["shift"], nn.Parameter)
    (['scale', 'shift'], True)
    >>> sorted(pd.state_dict())
    ['scale', 'shift']
    """

    def __init__(self, parameters=None):
        super().__init__()
        if parameters is not None:
            self.update(parameters)

    def __getitem__(self, key: str):
        return self._parameters[key]

    def __setitem__(self, key: str, value) -> None:
        self.register_parameter(key, _as_parameter(value))

    def __delitem__(self, key: str) -> None:
        del self._parameters[key]

    def __len__(self) -> int:
        return len(self._parameters)

    def __iter__(self):
        return iter(self._parameters)

    def __contains__(self, key) -> bool:
        return key in self._parameters

    def keys(self):
        """The keys, in insertion order.

        Examples
        --------
        >>> import minigrad
        >>> from minigrad import nn
        >>> list(nn.ParameterDict({"a": minigrad.ones(1)}).keys())
        ['a']
        """
        return self._parameters.keys()

    def values(self):
        """The parameters, in insertion order.

        Examples
        --------
        >>> import minigrad
        >>> from minigrad import nn
        >>> len(list(nn.ParameterDict({"a": minigrad.ones(1)}).values()))
        1
        """
        return self._parameters.values()

    def items(self):
        """``(key, parameter)`` pairs, in insertion order.

        Examples
        --------
        >>> import minigrad
        >>> from minigrad import nn
        >>> [k for k, _ in nn.ParameterDict({"a": minigrad.ones(1)}).items()]
        ['a']
        """
        return self._parameters.items()

    def get(self, key: str, default=None):
        """The parameter under ``key``, or ``default``.

        Examples
        --------
        >>> from minigrad import nn
        >>> nn.ParameterDict().get("missing") is None
        True
        """
        return self._parameters.get(key, default)

    def pop(self, key: str):
        """Remove and return the parameter under ``key``.

        Examples
        --------
        >>> import minigrad
        >>> from minigrad import nn
        >>> pd = nn.ParameterDict({"a": minigrad.ones(1)})
        >>> pd.pop("a").shape, len(pd)
        ((1,), 0)
        """
        return self._parameters.pop(key)

    def update(self, parameters) -> None:
        """Add the entries of a mapping or an iterable of ``(key, tensor)`` pairs.

        Examples
        --------
        >>> import minigrad
        >>> from minigrad import nn
        >>> pd = nn.ParameterDict()
        >>> pd.update([("a", minigrad.ones(1)), ("b", minigrad.zeros(1))]); len(pd)
        2
        """
        items = parameters.items() if hasattr(parameters, "items") else parameters
        for k, v in items:
            self[k] = v

    def extra_repr(self) -> str:
        lines = []
        for k, p in self._parameters.items():
            kind = "Parameter containing:" if isinstance(p, Parameter) else "Tensor:"
            lines.append(f"({k}): {kind} [{p.dtype} of size {tuple(p.shape)}]")
        return "\n".join(lines)
