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

The whole Module is in this file, in sections: calling (with the backward-hook machinery
PyTorch builds, defined above the class), registration and hooks, walking the module tree
(``modules``, ``parameters``, ``named_buffers``, ...; a module reachable by several paths,
or a tensor shared by several modules, is visited once unless ``remove_duplicate=False``),
modes, moving and casting (``to``, ``cpu``, ``float``, ...), and state dicts (loading
lists every problem at once and copies nothing unless all of them fit).
"""

from __future__ import annotations

from collections import OrderedDict, namedtuple

import numpy as np

from minigrad import backend
from minigrad.autograd.function import Function
from minigrad.autograd.grad_mode import _GradMode, no_grad
from minigrad.nn.parameter import Parameter
from minigrad.tensor import Tensor, _HookHandle

__all__ = ["Module"]


def _addindent(s: str, n: int) -> str:
    lines = s.split("\n")
    if len(lines) == 1:
        return s
    return lines[0] + "\n" + "\n".join(" " * n + line for line in lines[1:])


# ------------------------------------------------------------------ backward hooks
# Module backward hooks (PyTorch's ``register_full_backward_hook`` and
# ``register_full_backward_pre_hook``), the way PyTorch builds them. When a module has
# backward hooks, calling it wraps its tensor inputs in one identity Function
# (:class:`BackwardHookInputs`) and its tensor outputs in another
# (:class:`BackwardHookOutputs`). In backward, the output identity sees the gradients w.r.t.
# the outputs first: it runs the pre-hooks (which may replace them) and keeps them. The
# input identity sees the gradients w.r.t. the inputs last, once everything inside the
# module is differentiated: it calls ``hook(module, grad_input, grad_output)``, and a hook's
# returned tuple replaces ``grad_input``. ``grad_input`` has one entry per positional
# argument (``None`` for non-tensors and tensors that need no gradient); when no input needs
# a gradient, the hooks run at the output with ``grad_input`` all ``None``.


class _State:
    __slots__ = ("module", "n_args", "grad_output", "inputs_hooked")

    def __init__(self, module, n_args):
        self.module, self.n_args = module, n_args
        self.grad_output = None
        self.inputs_hooked = False


def _check_count(what, res, n):
    if not isinstance(res, tuple | list) or len(res) != n:
        got = len(res) if isinstance(res, tuple | list) else type(res).__name__
        raise RuntimeError(f"Backward hook returned an invalid number of {what}, got {got}, "
                           f"but expected {n}")  # fmt: skip
    return tuple(res)


def _identity(xs):
    return xs if len(xs) > 1 else xs[0]


class BackwardHookInputs(Function):
    """Identity on the module's tensor inputs; backward calls the full backward hooks."""

    def __init__(self, state, positions):
        self.state, self.positions = state, positions

    def forward(self, *xs):
        return _identity(xs)

    def backward(self, *gxs):
        st = self.state
        grad_input = [None] * st.n_args
        for pos, g in zip(self.positions, gxs):
            grad_input[pos] = g
        grad_input = tuple(grad_input)
        grad_output = st.grad_output if st.grad_output is not None else ()
        for hook in list(st.module._backward_hooks.values()):
            res = hook(st.module, grad_input, grad_output)
            if res is not None:
                grad_input = _check_count("grad_input", res, st.n_args)
        out = tuple(grad_input[pos] for pos in self.positions)
        return out if len(out) > 1 else out[0]


class BackwardHookOutputs(Function):
    """Identity on the module's tensor outputs; backward runs the pre-hooks and records
    the output gradients (and calls the hooks when no input needs a gradient)."""

    def __init__(self, state):
        self.state = state

    def forward(self, *ys):
        return _identity(ys)

    def backward(self, *gys):
        st = self.state
        m = st.module
        for hook in list(m._backward_pre_hooks.values()):
            res = hook(m, gys)
            if res is not None:
                gys = _check_count("grad_output", res, len(gys))
        st.grad_output = tuple(gys)
        if not st.inputs_hooked:
            for hook in list(m._backward_hooks.values()):
                res = hook(m, (None,) * st.n_args, st.grad_output)
                if res is not None and any(r is not None for r in res):
                    raise RuntimeError(
                        "Backward hook for Modules where no input requires gradient should "
                        "always return None or None for all gradients."
                    )
        return gys if len(gys) > 1 else gys[0]


def call_with_backward_hooks(module, forward, args, kwargs):
    """Run ``forward(*args, **kwargs)`` on the wrapped inputs; returns the output and the
    state to pass to :func:`wrap_outputs` (after the forward hooks), or None without
    grad mode."""
    if not _GradMode.enabled:
        return forward(*args, **kwargs), None
    st = _State(module, len(args))
    positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
    if any(args[i].requires_grad for i in positions):
        wrapped = BackwardHookInputs(st, positions)(*[args[i] for i in positions])
        if not isinstance(wrapped, tuple):
            wrapped = (wrapped,)
        args = list(args)
        for i, w in zip(positions, wrapped):
            args[i] = w
        args = tuple(args)
        st.inputs_hooked = True
    return forward(*args, **kwargs), st


def wrap_outputs(st, out):
    """``out`` (a Tensor or a tuple/list of values) with its tensors passed through
    :class:`BackwardHookOutputs`."""
    if isinstance(out, Tensor):
        return BackwardHookOutputs(st)(out) if out.requires_grad else out
    if isinstance(out, tuple | list):
        pos = [i for i, o in enumerate(out) if isinstance(o, Tensor) and o.requires_grad]
        if not pos:
            return out
        new = BackwardHookOutputs(st)(*[out[i] for i in pos])
        if not isinstance(new, tuple):
            new = (new,)
        res = list(out)
        for i, t in zip(pos, new):
            res[i] = t
        return type(out)(res)
    return out


def _get_member(self, target: str, store: str, kind: str):
    path, _, name = target.rpartition(".")
    mod = self.get_submodule(path)
    members = mod.__dict__.get(store, {})
    if name not in members:
        raise AttributeError(f"{type(mod).__name__} has no {kind} `{name}`")
    return members[name]


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


_IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


def _diff_state_dict(own, state_dict, strict: bool):
    """Compare ``own`` (name -> the module's tensor) with ``state_dict``.

    Returns ``(missing, unexpected, errors, pairs)``: the missing and unexpected keys,
    the error lines (missing/unexpected keys when ``strict``, and every value that is
    not an array or has the wrong shape or dtype), and the ``(target, array)`` pairs
    to copy when there is no error.
    """
    missing = [k for k in own if k not in state_dict]
    unexpected = [k for k in state_dict if k not in own]
    mismatches = []
    pairs = []
    for key, target in own.items():
        if key not in state_dict:
            continue
        value = state_dict[key]
        arr = value._data if isinstance(value, Tensor) else value
        if not hasattr(arr, "shape") or not hasattr(arr, "dtype"):
            mismatches.append(
                f'While copying the parameter named "{key}", expected a Tensor or array, '
                f"got {type(value).__name__}."
            )
            continue
        if tuple(arr.shape) != tuple(target.shape):
            mismatches.append(
                f"size mismatch for {key}: copying a param with shape {tuple(arr.shape)} "
                f"from checkpoint, the shape in current model is {tuple(target.shape)}."
            )
        elif arr.dtype != target.dtype:
            mismatches.append(
                f"dtype mismatch for {key}: copying a param with dtype {arr.dtype} "
                f"from checkpoint, the dtype in current model is {target.dtype}."
            )
        else:
            pairs.append((target, arr))
    errors = []
    if strict:
        if unexpected:
            errors.append(
                "Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in unexpected) + "."
            )
        if missing:
            errors.append(
                "Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing) + "."
            )
    errors += mismatches
    return missing, unexpected, errors, pairs


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
            out, state = call_with_backward_hooks(self, self.forward, args, kwargs)
        else:
            out = self.forward(*args, **kwargs)
        for hook in list(self._forward_hooks.values()):
            res = hook(self, args, out)
            if res is not None:
                out = res
        if backward_hooks and state is not None:
            out = wrap_outputs(state, out)
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
                p.grad = Tensor._make(p.grad.xp.zeros_like(p.grad._data))

    # ------------------------------------------------------------------ devices, dtypes
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
        >>> m[1].bias.tolist()
        [0.0, 0.0]
        """
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

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
                    t._data = fn(t._data)
                    if t.grad is not None:
                        t.grad._data = fn(t.grad._data)
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
        """Move every parameter and buffer to the CPU; returns ``self``.

        Returns
        -------
        Module
            ``self``.

        Examples
        --------
        >>> from minigrad import nn
        >>> nn.Linear(2, 2).cpu().weight.device
        device(type='cpu')
        """
        return self.to("cpu")

    def cuda(self, device: int | str | None = None) -> Module:
        """Move every parameter and buffer to a GPU (``cuda:0`` by default).

        Parameters
        ----------
        device : int or str, optional
            A GPU index or a device string such as ``'cuda:1'``.

        Returns
        -------
        Module
            ``self``.

        Examples
        --------
        >>> from minigrad import nn
        >>> nn.Linear(2, 2).cuda().weight.device  # doctest: +SKIP
        device(type='cuda', index=0)
        """
        if device is None:
            device = "cuda"
        elif isinstance(device, int):
            device = f"cuda:{device}"
        return self.to(device)

    def float(self) -> Module:
        """Cast floating-point parameters and buffers to float32; returns ``self``.

        Returns
        -------
        Module
            ``self``.

        Examples
        --------
        >>> import minigrad
        >>> from minigrad import nn
        >>> nn.Linear(2, 2).double().float().weight.dtype
        dtype('float32')
        """
        return self.to(np.dtype("float32"))

    def double(self) -> Module:
        """Cast floating-point parameters and buffers to float64; returns ``self``.

        Returns
        -------
        Module
            ``self``.

        Examples
        --------
        >>> import minigrad
        >>> from minigrad import nn
        >>> nn.Linear(2, 2).double().weight.dtype
        dtype('float64')
        """
        return self.to(np.dtype("float64"))

    def half(self) -> Module:
        """Cast floating-point parameters and buffers to float16; returns ``self``.

        Returns
        -------
        Module
            ``self``.

        Examples
        --------
        >>> import minigrad
        >>> from minigrad import nn
        >>> nn.Linear(2, 2).half().weight.dtype
        dtype('float16')
        """
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
                    destination[p + name] = t if keep_vars else Tensor._make(t._data)
            for name, t in m._buffers.items():
                if t is not None and name not in m._non_persistent_buffers:
                    destination[p + name] = t if keep_vars else Tensor._make(t._data)
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
            head = f"Error(s) in loading state_dict for {type(self).__name__}:"
            raise RuntimeError(head + "\n\t" + "\n\t".join(errors))
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
