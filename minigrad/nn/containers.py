"""Containers of modules: :class:`Sequential`, :class:`ModuleList`, :class:`ModuleDict`.

Each registers its members as sub-modules (named ``'0'``, ``'1'``, ... or by key), so
their parameters appear in :meth:`Module.parameters` and :meth:`Module.state_dict`.
"""

from __future__ import annotations

import operator
from collections import OrderedDict

from minigrad.nn.module import Module

__all__ = ["Sequential", "ModuleList", "ModuleDict"]


def _index(idx, n: int, kind: str) -> int:
    idx = operator.index(idx)
    if not -n <= idx < n:
        raise IndexError(f"{kind}: index {idx} is out of range for length {n}")
    return idx % n


class Sequential(Module):
    """Runs its modules in order, feeding each one's output to the next.

    Parameters
    ----------
    *args : Module or OrderedDict
        The modules, or one ``OrderedDict`` from names to modules.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    >>> model(minigrad.randn(3, 4)).shape
    (3, 2)
    >>> len(model), type(model[1]).__name__, len(model[:2])
    (3, 'ReLU', 2)
    >>> model
    Sequential(
      (0): Linear(in_features=4, out_features=8, bias=True)
      (1): ReLU()
      (2): Linear(in_features=8, out_features=2, bias=True)
    )
    """

    def __init__(self, *args):
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for name, m in args[0].items():
                self.add_module(name, m)
        else:
            for i, m in enumerate(args):
                self.add_module(str(i), m)

    def forward(self, input):
        for m in self._modules.values():
            input = m(input)
        return input

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return Sequential(OrderedDict(list(self._modules.items())[idx]))
        keys = list(self._modules)
        return self._modules[keys[_index(idx, len(keys), "Sequential")]]

    def __setitem__(self, idx, module: Module) -> None:
        keys = list(self._modules)
        setattr(self, keys[_index(idx, len(keys), "Sequential")], module)

    def __delitem__(self, idx) -> None:
        keys = list(self._modules)
        targets = (
            keys[idx] if isinstance(idx, slice) else [keys[_index(idx, len(keys), "Sequential")]]
        )
        for k in targets:
            del self._modules[k]
        # renumber so that indices stay 0..n-1 (as PyTorch does)
        items = list(self._modules.items())
        self._modules.clear()
        for i, (k, m) in enumerate(items):
            self._modules[str(i) if k.isdigit() else k] = m

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module: Module) -> Sequential:
        """Add ``module`` at the end; returns ``self``.

        Parameters
        ----------
        module : Module

        Returns
        -------
        Sequential
            ``self``.

        Examples
        --------
        >>> from minigrad import nn
        >>> nn.Sequential(nn.Linear(2, 2)).append(nn.ReLU())
        Sequential(
          (0): Linear(in_features=2, out_features=2, bias=True)
          (1): ReLU()
        )
        """
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules) -> Sequential:
        """Append every module of an iterable; returns ``self``.

        Parameters
        ----------
        modules : iterable of Module

        Returns
        -------
        Sequential
            ``self``.

        Examples
        --------
        >>> from minigrad import nn
        >>> len(nn.Sequential(nn.Linear(2, 2)).extend([nn.ReLU(), nn.Tanh()]))
        3
        """
        for m in modules:
            self.append(m)
        return self

    def insert(self, index: int, module: Module) -> Sequential:
        """Insert ``module`` before position ``index``; returns ``self``.

        Parameters
        ----------
        index : int
            Position (negative counts from the end).
        module : Module

        Returns
        -------
        Sequential
            ``self``.

        Raises
        ------
        IndexError
            If ``index`` is out of range.

        Examples
        --------
        >>> from minigrad import nn
        >>> nn.Sequential(nn.Linear(2, 2)).insert(0, nn.ReLU())
        Sequential(
          (0): ReLU()
          (1): Linear(in_features=2, out_features=2, bias=True)
        )
        """
        mods = list(self._modules.values())
        n = len(mods)
        if not -n <= index <= n:
            raise IndexError(f"Sequential.insert: index {index} is out of range for length {n}")
        mods.insert(index if index >= 0 else index + n, module)
        self._modules.clear()
        for i, m in enumerate(mods):
            self.add_module(str(i), m)
        return self


class ModuleList(Module):
    """A list of modules, registered as sub-modules (it has no ``forward``).

    Parameters
    ----------
    modules : iterable of Module, optional
        Initial modules.

    Examples
    --------
    >>> from minigrad import nn
    >>> layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    >>> layers.append(nn.ReLU())
    ModuleList(
      (0-2): 3 x Linear(in_features=2, out_features=2, bias=True)
      (3): ReLU()
    )
    >>> len(list(layers.parameters()))
    6
    """

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return ModuleList(list(self._modules.values())[idx])
        keys = list(self._modules)
        return self._modules[keys[_index(idx, len(keys), "ModuleList")]]

    def __setitem__(self, idx, module: Module) -> None:
        keys = list(self._modules)
        setattr(self, keys[_index(idx, len(keys), "ModuleList")], module)

    def __delitem__(self, idx) -> None:
        mods = list(self._modules.values())
        del mods[idx]
        self._modules.clear()
        for i, m in enumerate(mods):
            self.add_module(str(i), m)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __iadd__(self, modules) -> ModuleList:
        return self.extend(modules)

    def append(self, module: Module) -> ModuleList:
        """Add ``module`` at the end; returns ``self``.

        Parameters
        ----------
        module : Module

        Returns
        -------
        ModuleList
            ``self``.

        Examples
        --------
        >>> from minigrad import nn
        >>> len(nn.ModuleList().append(nn.ReLU()))
        1
        """
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules) -> ModuleList:
        """Append every module of an iterable; returns ``self``.

        Parameters
        ----------
        modules : iterable of Module

        Returns
        -------
        ModuleList
            ``self``.

        Examples
        --------
        >>> from minigrad import nn
        >>> len(nn.ModuleList().extend([nn.ReLU(), nn.Tanh()]))
        2
        """
        for m in modules:
            self.append(m)
        return self

    def insert(self, index: int, module: Module) -> None:
        """Insert ``module`` before position ``index``.

        Parameters
        ----------
        index : int
            Position, as in ``list.insert``.
        module : Module

        Examples
        --------
        >>> from minigrad import nn
        >>> ml = nn.ModuleList([nn.ReLU()])
        >>> ml.insert(0, nn.Tanh())
        >>> [type(m).__name__ for m in ml]
        ['Tanh', 'ReLU']
        """
        mods = list(self._modules.values())
        mods.insert(index, module)
        self._modules.clear()
        for i, m in enumerate(mods):
            self.add_module(str(i), m)

    def __repr__(self) -> str:
        # Runs of identical reprs are collapsed, like PyTorch: "(0-2): 3 x Linear(...)"
        items = [(k, repr(m)) for k, m in self._modules.items()]
        if not items:
            return "ModuleList()"
        lines = []
        start = 0
        for i in range(1, len(items) + 1):
            if i == len(items) or items[i][1] != items[start][1]:
                body = items[start][1].replace("\n", "\n  ")
                if i - start == 1:
                    lines.append(f"({items[start][0]}): {body}")
                else:
                    lines.append(f"({items[start][0]}-{items[i - 1][0]}): {i - start} x {body}")
                start = i
        return "ModuleList(\n  " + "\n  ".join(lines) + "\n)"


class ModuleDict(Module):
    """An ordered dict of modules, registered as sub-modules (it has no ``forward``).

    Parameters
    ----------
    modules : Mapping or iterable of (str, Module), optional
        Initial modules.

    Examples
    --------
    >>> from minigrad import nn
    >>> d = nn.ModuleDict({"enc": nn.Linear(4, 2), "act": nn.Tanh()})
    >>> list(d.keys()), "enc" in d
    (['enc', 'act'], True)
    >>> [n for n, _ in d.named_parameters()]
    ['enc.weight', 'enc.bias']
    """

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        del self._modules[key]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key: str) -> bool:
        return key in self._modules

    def keys(self):
        """The keys, in insertion order.

        Examples
        --------
        >>> from minigrad import nn
        >>> list(nn.ModuleDict({"act": nn.ReLU(), "fc": nn.Linear(2, 2)}).keys())
        ['act', 'fc']
        """
        return self._modules.keys()

    def values(self):
        """The modules, in insertion order.

        Examples
        --------
        >>> from minigrad import nn
        >>> list(nn.ModuleDict({"act": nn.ReLU()}).values())
        [ReLU()]
        """
        return self._modules.values()

    def items(self):
        """``(key, module)`` pairs, in insertion order.

        Examples
        --------
        >>> from minigrad import nn
        >>> list(nn.ModuleDict({"act": nn.ReLU()}).items())
        [('act', ReLU())]
        """
        return self._modules.items()

    def pop(self, key: str) -> Module:
        """Remove ``key`` and return its module.

        Parameters
        ----------
        key : str

        Returns
        -------
        Module

        Raises
        ------
        KeyError
            If ``key`` is absent.

        Examples
        --------
        >>> from minigrad import nn
        >>> d = nn.ModuleDict({"act": nn.ReLU()})
        >>> d.pop("act"), len(d)
        (ReLU(), 0)
        """
        return self._modules.pop(key)

    def clear(self) -> None:
        """Remove every module.

        Examples
        --------
        >>> from minigrad import nn
        >>> d = nn.ModuleDict({"act": nn.ReLU()})
        >>> d.clear()
        >>> len(d)
        0
        """
        self._modules.clear()

    def update(self, modules) -> None:
        """Add modules from a mapping or an iterable of ``(key, module)`` pairs.

        Parameters
        ----------
        modules : Mapping or iterable of (str, Module)

        Examples
        --------
        >>> from minigrad import nn
        >>> d = nn.ModuleDict()
        >>> d.update({"act": nn.ReLU()})
        >>> d
        ModuleDict(
          (act): ReLU()
        )
        """
        pairs = modules.items() if hasattr(modules, "items") else modules
        for k, m in pairs:
            self[k] = m
