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

This file holds registration, calling, hooks and modes. Three concerns live next door
and are assigned as methods in the class body: walking the module tree (``modules``,
``parameters``, ``named_buffers``, ...) in :mod:`minigrad.nn._traverse`, moving and
casting (``to``, ``cpu``, ``float``, ...) in :mod:`minigrad.nn._convert`, and state
dicts in :mod:`minigrad.nn._state`.
"""

from __future__ import annotations

from minigrad.nn import _backward_hooks, _convert, _state, _traverse
from minigrad.nn.parameter import Parameter
from minigrad.tensor import Tensor, _HookHandle

__all__ = ["Module"]


def _addindent(s: str, n: int) -> str:
    lines = s.split("\n")
    if len(lines) == 1:
        return s
    return lines[0] + "\n" + "\n".join(" " * n + line for line in lines[1:])


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
        d["_backward_hooks"] = {}
        d["_backward_pre_hooks"] = {}

    def forward(self, *args, **kwargs):
        """The computation of the module; every subclass defines it."""
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing "forward"')

    # ------------------------------------------------------------------ calling
    def __call__(self, *args, **kwargs):
        d = self.__dict__
        backward_hooks = d.get("_backward_hooks") or d.get("_backward_pre_hooks")
        if not (self._forward_pre_hooks or self._forward_hooks or backward_hooks):
            return self.forward(*args, **kwargs)
        for hook in list(self._forward_pre_hooks.values()):
            res = hook(self, args)
            if res is not None:
                args = res if isinstance(res, tuple) else (res,)
        if backward_hooks:
            out, state = _backward_hooks.call_with_backward_hooks(self, self.forward, args, kwargs)
        else:
            out = self.forward(*args, **kwargs)
        for hook in list(self._forward_hooks.values()):
            res = hook(self, args, out)
            if res is not None:
                out = res
        if backward_hooks and state is not None:
            out = _backward_hooks.wrap_outputs(state, out)
        return out

    def register_forward_pre_hook(self, hook) -> _HookHandle:
        """Register ``hook(module, args)``, run before ``forward``.

        The hook may return new positional arguments (a tuple, or a single value).
        Returns a handle whose ``remove()`` unregisters it.

        Parameters
        ----------
        hook : callable
            ``hook(module, args)``; may return new positional arguments.

        Returns
        -------
        handle
            An object whose ``remove()`` unregisters the hook.

        Examples
        --------
        >>> import minigrad
        >>> from minigrad import nn
        >>> m = nn.Identity()
        >>> h = m.register_forward_pre_hook(lambda mod, args: args[0] * 2)
        >>> m(minigrad.tensor([1.0, 2.0]))
        tensor([2., 4.])
        >>> h.remove()
        >>> m(minigrad.tensor([1.0, 2.0]))
        tensor([1., 2.])
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

    def register_full_backward_hook(self, hook, prepend: bool = False) -> _HookHandle:
        """Register ``hook(module, grad_input, grad_output)``, run in backward once the
        gradients w.r.t. the module's inputs are computed (PyTorch's semantics).

        ``grad_input`` holds one entry per positional argument of the call: the gradient
        w.r.t. that tensor, or ``None`` (non-tensors, tensors that need no gradient).
        ``grad_output`` holds the gradients w.r.t. the tensor outputs. The hook may
        return a tuple of the same length to replace ``grad_input``. Parameters' own
        gradients are not part of ``grad_input``.

        Parameters
        ----------
        hook : callable
            ``hook(module, grad_input, grad_output) -> tuple or None``.
        prepend : bool
            Run this hook before those already registered.

        Returns
        -------
        handle
            An object whose ``remove()`` unregisters the hook.

        Examples
        --------
        >>> import minigrad
        >>> from minigrad import nn
        >>> m = nn.Linear(3, 2)
        >>> h = m.register_full_backward_hook(lambda mod, gi, go: (minigrad.ones(1, 3),))
        >>> x = minigrad.ones(1, 3, requires_grad=True)
        >>> m(x).sum().backward()
        >>> x.grad  # replaced by the hook
        tensor([[1., 1., 1.]])
        >>> h.remove()
        """
        return self._add_hook("_backward_hooks", hook, prepend)

    def register_full_backward_pre_hook(self, hook, prepend: bool = False) -> _HookHandle:
        """Register ``hook(module, grad_output)``, run in backward when the gradients
        w.r.t. the module's outputs are known, before the module is differentiated; it
        may return a tuple replacing ``grad_output``.

        Parameters
        ----------
        hook : callable
            ``hook(module, grad_output) -> tuple or None``.
        prepend : bool
            Run this hook before those already registered.

        Returns
        -------
        handle
            An object whose ``remove()`` unregisters the hook.

        Examples
        --------
        >>> import minigrad
        >>> from minigrad import nn
        >>> m = nn.Identity()
        >>> h = m.register_full_backward_pre_hook(lambda mod, go: (go[0] * 2,))
        >>> x = minigrad.ones(2, requires_grad=True)
        >>> m(x).sum().backward()
        >>> x.grad
        tensor([2., 2.])
        """
        return self._add_hook("_backward_pre_hooks", hook, prepend)

    def _add_hook(self, store, hook, prepend):
        d = self.__dict__
        hooks = d.setdefault(store, {})
        handle = _HookHandle(hooks)
        if prepend:
            items = list(hooks.items())
            hooks.clear()
            hooks[handle.id] = hook
            hooks.update(items)
        else:
            hooks[handle.id] = hook
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

        Parameters
        ----------
        name : str
            Attribute name of the parameter.
        param : Parameter or None
            The parameter (``None`` declares an absent one).

        Raises
        ------
        TypeError
            If ``param`` is neither a :class:`Parameter` nor ``None``.
        KeyError
            If the name is empty, dotted, or an existing non-parameter attribute.

        Examples
        --------
        >>> import minigrad
        >>> from minigrad import nn
        >>> m = nn.Module()
        >>> m.register_parameter("scale", nn.Parameter(minigrad.ones(2)))
        >>> [name for name, _ in m.named_parameters()]
        ['scale']
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

        Parameters
        ----------
        name : str
            Attribute name of the child.
        module : Module or None
            The child module.

        Raises
        ------
        TypeError
            If ``module`` is neither a Module nor ``None``.

        Examples
        --------
        >>> from minigrad import nn
        >>> m = nn.Module()
        >>> m.add_module("fc", nn.Linear(2, 1))
        >>> m
        Module(
          (fc): Linear(in_features=2, out_features=1, bias=True)
        )
        """
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        self._check_name("module", name)
        self._remove_from(name, self.__dict__, "_modules")
        self._modules[name] = module

    register_module = add_module

    def get_submodule(self, target: str) -> Module:
        """The sub-module at dotted path ``target`` (``''`` is the module itself).

        Parameters
        ----------
        target : str
            A dotted path such as ``'0.fc'``.

        Returns
        -------
        Module

        Raises
        ------
        AttributeError
            If a name on the path is not a sub-module.

        Examples
        --------
        >>> from minigrad import nn
        >>> m = nn.Sequential(nn.Sequential(nn.Linear(2, 2), nn.ReLU()))
        >>> m.get_submodule("0.1")
        ReLU()
        """
        mod = self
        for item in target.split(".") if target else []:
            sub = mod._modules.get(item)
            if sub is None:
                raise AttributeError(f"{type(mod).__name__} has no submodule `{item}`")
            mod = sub
        return mod

    # ------------------------------------------------------------------ iteration
    # (defined in minigrad/nn/_traverse.py)
    named_modules = _traverse.named_modules
    modules = _traverse.modules
    named_children = _traverse.named_children
    children = _traverse.children
    _named_members = _traverse._named_members
    named_parameters = _traverse.named_parameters
    get_parameter = _traverse.get_parameter
    get_buffer = _traverse.get_buffer
    parameters = _traverse.parameters
    named_buffers = _traverse.named_buffers
    buffers = _traverse.buffers

    # ------------------------------------------------------------------ modes
    def train(self, mode: bool = True) -> Module:
        """Set training mode (``mode=True``) or evaluation mode on this module and
        every descendant; returns ``self``.

        Parameters
        ----------
        mode : bool
            True for training mode (default), False for evaluation mode.

        Returns
        -------
        Module
            ``self``.

        Raises
        ------
        ValueError
            If ``mode`` is not a bool.

        Examples
        --------
        >>> from minigrad import nn
        >>> m = nn.Sequential(nn.Dropout()).train(False)
        >>> m.train().training, m[0].training
        (True, True)
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
        """Set ``requires_grad`` of every parameter; returns ``self``.

        Parameters
        ----------
        requires_grad : bool
            The new flag (default True).

        Returns
        -------
        Module
            ``self``.

        Examples
        --------
        >>> from minigrad import nn
        >>> m = nn.Linear(2, 2).requires_grad_(False)
        >>> [p.requires_grad for p in m.parameters()]
        [False, False]
        """
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of every parameter: to ``None`` (the default), or to zeros.

        Parameters
        ----------
        set_to_none : bool
            Set ``.grad`` to ``None`` (default) rather than to zeros.

        Examples
        --------
        >>> import minigrad
        >>> from minigrad import nn
        >>> m = nn.Linear(2, 1)
        >>> m(minigrad.ones(1, 2)).sum().backward()
        >>> m.zero_grad()
        >>> m.weight.grad is None
        True
        """
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                p.grad = Tensor._make(p.grad.xp.zeros_like(p.grad.data))

    # ------------------------------------------------------------------ devices, dtypes
    # (defined in minigrad/nn/_convert.py; they are methods of Module all the same)
    apply = _convert.apply
    _apply_arrays = _convert._apply_arrays
    to = _convert.to
    cpu = _convert.cpu
    cuda = _convert.cuda
    float = _convert.float
    double = _convert.double
    half = _convert.half

    # ------------------------------------------------------------------ state
    # (defined in minigrad/nn/_state.py)
    state_dict = _state.state_dict
    load_state_dict = _state.load_state_dict

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
