"""The :class:`Module` base class (:class:`Parameter` lives in :mod:`minigrad.nn.parameter`).

A Module holds :class:`Parameter` objects (learnable tensors), buffers (tensors that are
state but not learnable, such as BatchNorm's running statistics) and sub-modules. All
three are registered by plain attribute assignment::

    class MLP(Module):
        def __init__(self):
            super().__init__()
            self.fc = Linear(4, 2)                    # a sub-module
            self.scale = Parameter(minigrad.ones(2))  # a parameter
            self.register_buffer("steps", minigrad.zeros((), dtype=minigrad.int64))

        def forward(self, x):
            return self.fc(x) * self.scale

Calling a module runs its ``forward`` (and any forward hooks). Layers never override
``__call__``.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

from minigrad import backend
from minigrad.autograd.grad_mode import no_grad
from minigrad.nn._state import _diff_state_dict, _IncompatibleKeys
from minigrad.nn.parameter import Parameter
from minigrad.tensor import Tensor

__all__ = ["Module", "Parameter"]


class _HookHandle:
    """Returned by the ``register_*_hook`` methods; ``remove()`` unregisters the hook."""

    _next = 0

    def __init__(self, hooks: dict):
        self.hooks = hooks
        self.id = _HookHandle._next
        _HookHandle._next += 1

    def remove(self) -> None:
        self.hooks.pop(self.id, None)


def _addindent(s: str, n: int) -> str:
    lines = s.split("\n")
    if len(lines) == 1:
        return s
    return lines[0] + "\n" + "\n".join(" " * n + line for line in lines[1:])


def _parse_to(args, kwargs):
    """``(device, dtype)`` from the arguments of :meth:`Module.to`."""
    from minigrad.dtypes import as_dtype

    device = kwargs.pop("device", None)
    dtype = kwargs.pop("dtype", None)
    kwargs.pop("non_blocking", None)
    if kwargs:
        raise TypeError(f"Module.to() got unexpected keyword arguments {sorted(kwargs)}")
    for a in args:
        if isinstance(a, str | backend.Device):
            device = a
        elif isinstance(a, Tensor):
            device, dtype = a.device, a.dtype
        else:
            dtype = a
    device = backend.device(device) if device is not None else None
    if dtype is not None:
        dtype = as_dtype(dtype)
        if dtype.kind not in "fc":
            raise TypeError(
                f"Module.to only accepts floating point dtypes, but got desired dtype={dtype}"
            )
    return device, dtype


class Module:
    """Base class of every layer and model.

    Subclasses call ``super().__init__()`` first, assign parameters, buffers and
    sub-modules as attributes, and define ``forward``. Calling the module runs
    ``forward``.

    Attributes
    ----------
    training : bool
        True in training mode (the default); switched by :meth:`train` and :meth:`eval`.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> class Affine(nn.Module):
    ...     def __init__(self, n):
    ...         super().__init__()
    ...         self.weight = nn.Parameter(minigrad.ones(n))
    ...         self.bias = nn.Parameter(minigrad.zeros(n))
    ...     def forward(self, x):
    ...         return x * self.weight + self.bias
    >>> m = Affine(2)
    >>> [name for name, _ in m.named_parameters()]
    ['weight', 'bias']
    >>> m(minigrad.tensor([1.0, 2.0]))
    tensor([1., 2.], grad_fn=<Add backward>)
    """

    training: bool

    def __init__(self) -> None:
        d = self.__dict__
        d["training"] = True
        d["_parameters"] = {}
        d["_buffers"] = {}
        d["_non_persistent_buffers"] = set()
        d["_modules"] = {}
        d["_forward_hooks"] = {}
        d["_forward_pre_hooks"] = {}

    def forward(self, *args, **kwargs):
        """The computation of the module; every subclass defines it."""
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing "forward"')

    # ------------------------------------------------------------------ calling
    def __call__(self, *args, **kwargs):
        if not (self._forward_pre_hooks or self._forward_hooks):
            return self.forward(*args, **kwargs)
        for hook in list(self._forward_pre_hooks.values()):
            res = hook(self, args)
            if res is not None:
                args = res if isinstance(res, tuple) else (res,)
        out = self.forward(*args, **kwargs)
        for hook in list(self._forward_hooks.values()):
            res = hook(self, args, out)
            if res is not None:
                out = res
        return out

    def register_forward_pre_hook(self, hook) -> _HookHandle:
        """Register ``hook(module, args)``, run before ``forward``.

        The hook may return new positional arguments (a tuple, or a single value).
        Returns a handle whose ``remove()`` unregisters it.
        """
        handle = _HookHandle(self._forward_pre_hooks)
        self._forward_pre_hooks[handle.id] = hook
        return handle

    def register_forward_hook(self, hook) -> _HookHandle:
        """Register ``hook(module, args, output)``, run after ``forward``.

        The hook may return a replacement output. Returns a handle whose ``remove()``
        unregisters it.

        Examples
        --------
        >>> import minigrad
        >>> from minigrad import nn
        >>> seen = []
        >>> m = nn.Identity()
        >>> h = m.register_forward_hook(lambda mod, args, out: seen.append(out.shape))
        >>> _ = m(minigrad.ones(2, 3))
        >>> seen
        [(2, 3)]
        >>> h.remove()
        """
        handle = _HookHandle(self._forward_hooks)
        self._forward_hooks[handle.id] = hook
        return handle

    # ------------------------------------------------------------------ registration
    def __setattr__(self, name: str, value) -> None:
        d = self.__dict__
        params = d.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            self._remove_from(name, d, "_parameters")
            params[name] = value
        elif isinstance(value, Module):
            if params is None:
                raise AttributeError("cannot assign module before Module.__init__() call")
            self._remove_from(name, d, "_modules")
            d["_modules"][name] = value
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                    "(minigrad.nn.Parameter or None expected)"
                )
            params[name] = None
        elif params is not None and name in d["_modules"]:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as child module '{name}' "
                    "(minigrad.nn.Module or None expected)"
                )
            d["_modules"][name] = None
        elif params is not None and name in d["_buffers"]:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as buffer '{name}' "
                    "(minigrad.Tensor or None expected)"
                )
            d["_buffers"][name] = value
        else:
            object.__setattr__(self, name, value)

    @staticmethod
    def _remove_from(name, d, keep):
        """Forget ``name`` everywhere except in store ``keep`` (where re-assigning keeps
        its position, so the order of state_dict keys is stable)."""
        d.pop(name, None)
        for store in ("_parameters", "_modules", "_buffers"):
            if store != keep:
                d[store].pop(name, None)
        if keep != "_buffers":
            d["_non_persistent_buffers"].discard(name)

    def __getattr__(self, name: str):
        d = self.__dict__
        for store in ("_parameters", "_buffers", "_modules"):
            s = d.get(store)
            if s is not None and name in s:
                return s[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for store in ("_parameters", "_buffers", "_modules"):
            if name in self.__dict__[store]:
                del self.__dict__[store][name]
                self._non_persistent_buffers.discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self):
        keys = list(super().__dir__())
        keys += list(self._parameters) + list(self._buffers) + list(self._modules)
        return sorted(set(keys))

    def _check_name(self, kind: str, name) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"cannot assign {kind} before Module.__init__() call")
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string, got {type(name).__name__}")
        if name == "" or "." in name:
            raise KeyError(f'{kind} name can\'t be empty or contain ".", got {name!r}')
        if hasattr(self, name) and not (
            name in self._parameters or name in self._buffers or name in self._modules
        ):
            raise KeyError(f"attribute '{name}' already exists")

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add a parameter (or ``None``, a declared but absent parameter) under ``name``.

        Raises
        ------
        TypeError
            If ``param`` is neither a :class:`Parameter` nor ``None``.
        KeyError
            If the name is empty, dotted, or an existing non-parameter attribute.
        """
        self._check_name("parameter", name)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"cannot assign '{type(param).__name__}' object to parameter '{name}' "
                "(minigrad.nn.Parameter or None required)"
            )
        self._remove_from(name, self.__dict__, "_parameters")
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Add a buffer: module state that is not a parameter.

        Buffers are moved and cast by :meth:`to`, saved by :meth:`state_dict` when
        ``persistent``, and never returned by :meth:`parameters`.

        Parameters
        ----------
        name : str
            Attribute name of the buffer.
        tensor : Tensor or None
            The buffer's value (``None`` declares an absent buffer).
        persistent : bool
            Whether the buffer is part of the ``state_dict`` (default True).

        Raises
        ------
        TypeError
            If ``tensor`` is not a Tensor or None.
        KeyError
            If the name is empty, dotted, or an existing non-buffer attribute.

        Examples
        --------
        >>> import minigrad
        >>> from minigrad import nn
        >>> m = nn.Module()
        >>> m.register_buffer("running_mean", minigrad.zeros(3))
        >>> list(m.state_dict()), list(m.parameters())
        (['running_mean'], [])
        """
        self._check_name("buffer", name)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(
                f"cannot assign '{type(tensor).__name__}' object to buffer '{name}' "
                "(minigrad.Tensor or None required)"
            )
        self._remove_from(name, self.__dict__, "_buffers")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers.discard(name)
        else:
            self._non_persistent_buffers.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Add a child module under ``name`` (as attribute assignment does).

        Raises
        ------
        TypeError
            If ``module`` is neither a Module nor ``None``.
        """
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        self._check_name("module", name)
        self._remove_from(name, self.__dict__, "_modules")
        self._modules[name] = module

    register_module = add_module

    def get_submodule(self, target: str) -> Module:
        """The sub-module at dotted path ``target`` (``''`` is the module itself)."""
        mod = self
        for item in target.split(".") if target else []:
            sub = mod._modules.get(item)
            if sub is None:
                raise AttributeError(f"{type(mod).__name__} has no submodule `{item}`")
            mod = sub
        return mod

    # ------------------------------------------------------------------ iteration
    def named_modules(self, memo=None, prefix: str = "", remove_duplicate: bool = True):
        """Yield ``(name, module)`` for this module and every descendant, once each."""
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
        """Yield this module and every descendant, once each."""
        for _, m in self.named_modules():
            yield m

    def named_children(self):
        """Yield ``(name, module)`` for the direct children."""
        seen = set()
        for name, m in self._modules.items():
            if m is not None and id(m) not in seen:
                seen.add(id(m))
                yield name, m

    def children(self):
        """Yield the direct child modules."""
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
        """Yield the parameters (of the descendants too when ``recurse``), once each."""
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True, remove_duplicate=True):
        """Yield ``(name, buffer)`` pairs."""
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True):
        """Yield the buffers."""
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    # ------------------------------------------------------------------ modes
    def train(self, mode: bool = True) -> Module:
        """Set training mode (``mode=True``) or evaluation mode on this module and
        every descendant; returns ``self``.

        Raises
        ------
        ValueError
            If ``mode`` is not a bool.
        """
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        for m in self.modules():
            m.__dict__["training"] = mode
        return self

    def eval(self) -> Module:
        """Set evaluation mode (``train(False)``); returns ``self``.

        Examples
        --------
        >>> from minigrad import nn
        >>> m = nn.Sequential(nn.Dropout(), nn.Linear(2, 2)).eval()
        >>> m.training, m[0].training
        (False, False)
        """
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Set ``requires_grad`` of every parameter; returns ``self``."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of every parameter: to ``None`` (the default), or to zeros."""
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                p.grad = Tensor._make(p.grad.xp.zeros_like(p.grad.data))

    def apply(self, fn) -> Module:
        """Call ``fn(m)`` on every descendant, children first, then on ``self``.

        Examples
        --------
        >>> from minigrad import nn
        >>> m = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2))
        >>> def zero_bias(mod):
        ...     if isinstance(mod, nn.Linear):
        ...         nn.init.zeros_(mod.bias)
        >>> _ = m.apply(zero_bias)
        >>> float(m[1].bias.abs().sum())
        0.0
        """
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    # ------------------------------------------------------------------ devices, dtypes
    def _apply_arrays(self, fn) -> Module:
        """Replace the data of every parameter, gradient and buffer by ``fn(data)``, in
        place: the Parameter and buffer objects stay the same."""
        seen = set()
        for m in self.modules():
            for store in (m._parameters, m._buffers):
                for t in store.values():
                    if t is None or id(t) in seen:  # a shared tensor is converted once
                        continue
                    seen.add(id(t))
                    t.data = fn(t.data)
                    if t.grad is not None:
                        t.grad.data = fn(t.grad.data)
        return self

    def to(self, *args, **kwargs) -> Module:
        """Move and/or cast parameters and buffers in place: ``m.to('cuda')``,
        ``m.to(minigrad.float64)``, ``m.to(device, dtype)``.

        Only floating-point tensors are cast (an integer buffer such as
        ``num_batches_tracked`` keeps its dtype). The Parameter objects are kept, so
        an optimizer made before the call still holds them.

        Returns
        -------
        Module
            ``self``.

        Raises
        ------
        TypeError
            If the dtype is not a floating-point dtype.

        Examples
        --------
        >>> import minigrad
        >>> from minigrad import nn
        >>> m = nn.Linear(2, 2)
        >>> w = m.weight
        >>> m.to(minigrad.float64).weight.dtype, m.weight is w
        (dtype('float64'), True)
        """
        device, dtype = _parse_to(args, dict(kwargs))

        def convert(a):
            if device is not None:
                a = backend.to_device(a, device)
            if dtype is not None and a.dtype.kind in "fc" and a.dtype != dtype:
                a = a.astype(dtype)
            return a

        return self._apply_arrays(convert)

    def cpu(self) -> Module:
        """Move every parameter and buffer to the CPU; returns ``self``."""
        return self.to("cpu")

    def cuda(self, device: int | str | None = None) -> Module:
        """Move every parameter and buffer to a GPU (``cuda:0`` by default)."""
        if device is None:
            device = "cuda"
        elif isinstance(device, int):
            device = f"cuda:{device}"
        return self.to(device)

    def float(self) -> Module:
        """Cast floating-point parameters and buffers to float32; returns ``self``."""
        return self.to(np.dtype("float32"))

    def double(self) -> Module:
        """Cast floating-point parameters and buffers to float64; returns ``self``."""
        return self.to(np.dtype("float64"))

    def half(self) -> Module:
        """Cast floating-point parameters and buffers to float16; returns ``self``."""
        return self.to(np.dtype("float16"))

    # ------------------------------------------------------------------ state
    def state_dict(self, destination=None, prefix: str = "", keep_vars: bool = False):
        """The module's state: an ``OrderedDict`` from names like ``'0.weight'`` or
        ``'bn.running_mean'`` to tensors (detached unless ``keep_vars``).

        Parameters and persistent buffers are included; they share memory with the
        module (copy them to keep a snapshot).

        Examples
        --------
        >>> from minigrad import nn
        >>> list(nn.Sequential(nn.Linear(2, 3)).state_dict())
        ['0.weight', '0.bias']
        """
        if destination is None:
            destination = OrderedDict()
        for mprefix, m in self.named_modules(prefix=prefix.rstrip(".")):
            p = mprefix + "." if mprefix else ""
            for name, t in m._parameters.items():
                if t is not None:
                    destination[p + name] = t if keep_vars else Tensor._make(t.data)
            for name, t in m._buffers.items():
                if t is not None and name not in m._non_persistent_buffers:
                    destination[p + name] = t if keep_vars else Tensor._make(t.data)
        return destination

    def load_state_dict(self, state_dict, strict: bool = True):
        """Copy values from ``state_dict`` into the parameters and buffers, in place.

        Parameters
        ----------
        state_dict : Mapping
            Names to Tensors (or arrays), as made by :meth:`state_dict`.
        strict : bool
            Require the keys to match exactly (default True).

        Returns
        -------
        IncompatibleKeys
            A named tuple ``(missing_keys, unexpected_keys)``.

        Raises
        ------
        RuntimeError
            Listing every missing and unexpected key (when ``strict``) and every shape
            or dtype mismatch (always); nothing is copied then.

        Examples
        --------
        >>> from minigrad import nn
        >>> a, b = nn.Linear(2, 2), nn.Linear(2, 2)
        >>> b.load_state_dict(a.state_dict())
        IncompatibleKeys(missing_keys=[], unexpected_keys=[])
        >>> bool((a.weight == b.weight).all())
        True
        """
        own = self.state_dict(keep_vars=True)
        missing, unexpected, errors, pairs = _diff_state_dict(own, state_dict, strict)
        if errors:
            raise RuntimeError(
                f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                + "\n\t".join(errors)
            )
        with no_grad():
            for target, arr in pairs:
                target.copy_(arr)
        return _IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------------ repr
    def extra_repr(self) -> str:
        """Extra text shown inside this module's repr (layers override it)."""
        return ""

    def _get_name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        lines = []
        extra = self.extra_repr()
        if extra:
            lines = extra.split("\n")
        for name, m in self._modules.items():
            lines.append(f"({name}): " + _addindent(repr(m), 2))
        main = self._get_name() + "("
        if lines:
            if len(lines) == 1 and not self._modules:
                main += lines[0]
            else:
                main += "\n  " + "\n  ".join(lines) + "\n"
        return main + ")"
