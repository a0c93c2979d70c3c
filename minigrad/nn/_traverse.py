"""Walking a module tree: :meth:`Module.named_modules <minigrad.nn.Module.named_modules>`,
``modules``, ``named_children``, ``children``, ``named_parameters``, ``parameters``,
``named_buffers`` and ``buffers``.

These functions are methods of :class:`~minigrad.nn.Module` (assigned in its class body).
A module reachable by several paths, or a tensor shared by several modules, is visited
once (unless ``remove_duplicate=False``).
"""

from __future__ import annotations


def named_modules(self, memo=None, prefix: str = "", remove_duplicate: bool = True):
    """Yield ``(name, module)`` for this module and every descendant, once each.

    Parameters
    ----------
    memo : set, optional
        Ids of modules already visited (used by the recursion).
    prefix : str
        Prepended to every name.
    remove_duplicate : bool
        Yield a module reachable by several paths only once (default True).

    Yields
    ------
    (str, Module)

    Examples
    --------
    >>> from minigrad import nn
    >>> m = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
    >>> [name for name, _ in m.named_modules()]
    ['', '0', '1']
    """
    if memo is None:
        memo = set()
    if remove_duplicate:
        if id(self) in memo:
            return
        memo.add(id(self))
    yield prefix, self
    for name, m in self._modules.items():
        if m is None:
            continue
        sub = prefix + ("." if prefix else "") + name
        yield from m.named_modules(memo, sub, remove_duplicate)


def modules(self):
    """Yield this module and every descendant, once each.

    Examples
    --------
    >>> from minigrad import nn
    >>> [type(m).__name__ for m in nn.Sequential(nn.Linear(2, 2), nn.ReLU()).modules()]
    ['Sequential', 'Linear', 'ReLU']
    """
    for _, m in self.named_modules():
        yield m


def named_children(self):
    """Yield ``(name, module)`` for the direct children.

    Examples
    --------
    >>> from minigrad import nn
    >>> m = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
    >>> [name for name, _ in m.named_children()]
    ['0', '1']
    """
    seen = set()
    for name, m in self._modules.items():
        if m is not None and id(m) not in seen:
            seen.add(id(m))
            yield name, m


def children(self):
    """Yield the direct child modules.

    Examples
    --------
    >>> from minigrad import nn
    >>> list(nn.Sequential(nn.Linear(2, 2), nn.ReLU()).children())
    [Linear(in_features=2, out_features=2, bias=True), ReLU()]
    """
    for _, m in self.named_children():
        yield m


def _named_members(self, store, prefix, recurse, remove_duplicate=True):
    seen = set()
    mods = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
    for mprefix, m in mods:
        for name, v in m.__dict__[store].items():
            if v is None or (remove_duplicate and id(v) in seen):
                continue
            seen.add(id(v))
            yield mprefix + ("." if mprefix else "") + name, v


def named_parameters(self, prefix: str = "", recurse: bool = True, remove_duplicate=True):
    """Yield ``(name, parameter)`` pairs; shared parameters appear once.

    Examples
    --------
    >>> from minigrad import nn
    >>> m = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    >>> [n for n, _ in m.named_parameters()]
    ['0.weight', '0.bias', '2.weight', '2.bias']
    """
    return self._named_members("_parameters", prefix, recurse, remove_duplicate)


def parameters(self, recurse: bool = True):
    """Yield the parameters (of the descendants too when ``recurse``), once each.

    Parameters
    ----------
    recurse : bool
        Include the parameters of every descendant (default True).

    Yields
    ------
    Parameter

    Examples
    --------
    >>> from minigrad import nn
    >>> [tuple(p.shape) for p in nn.Linear(2, 3).parameters()]
    [(3, 2), (3,)]
    """
    for _, p in self.named_parameters(recurse=recurse):
        yield p


def named_buffers(self, prefix: str = "", recurse: bool = True, remove_duplicate=True):
    """Yield ``(name, buffer)`` pairs.

    Parameters
    ----------
    prefix : str
        Prepended to every name.
    recurse : bool
        Include the buffers of every descendant (default True).
    remove_duplicate : bool
        Yield a shared buffer once (default True).

    Yields
    ------
    (str, Tensor)

    Examples
    --------
    >>> from minigrad import nn
    >>> [name for name, _ in nn.BatchNorm1d(3).named_buffers()]
    ['running_mean', 'running_var', 'num_batches_tracked']
    """
    return self._named_members("_buffers", prefix, recurse, remove_duplicate)


def buffers(self, recurse: bool = True):
    """Yield the buffers.

    Parameters
    ----------
    recurse : bool
        Include the buffers of every descendant (default True).

    Yields
    ------
    Tensor

    Examples
    --------
    >>> from minigrad import nn
    >>> [tuple(b.shape) for b in nn.BatchNorm1d(3).buffers()]
    [(3,), (3,), ()]
    """
    for _, b in self.named_buffers(recurse=recurse):
        yield b


def _get_member(self, target: str, store: str, kind: str):
    path, _, name = target.rpartition(".")
    mod = self.get_submodule(path)
    members = mod.__dict__.get(store, {})
    if name not in members:
        raise AttributeError(f"{type(mod).__name__} has no {kind} `{name}`")
    return members[name]


def get_parameter(self, target: str):
    """The parameter at dotted path ``target`` (e.g. ``'0.weight'``).

    Parameters
    ----------
    target : str
        Sub-module path and parameter name.

    Returns
    -------
    Parameter

    Raises
    ------
    AttributeError
        If the path or the parameter does not exist.

    Examples
    --------
    >>> from minigrad import nn
    >>> m = nn.Sequential(nn.Linear(2, 3))
    >>> m.get_parameter("0.bias").shape
    (3,)
    """
    return _get_member(self, target, "_parameters", "parameter")


def get_buffer(self, target: str):
    """The buffer at dotted path ``target`` (e.g. ``'bn.running_mean'``).

    Parameters
    ----------
    target : str
        Sub-module path and buffer name.

    Returns
    -------
    Tensor

    Raises
    ------
    AttributeError
        If the path or the buffer does not exist.

    Examples
    --------
    >>> from minigrad import nn
    >>> m = nn.Sequential(nn.BatchNorm1d(4))
    >>> m.get_buffer("0.running_var").tolist()
    [1.0, 1.0, 1.0, 1.0]
    """
    return _get_member(self, target, "_buffers", "buffer")
