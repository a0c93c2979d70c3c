"""The :class:`Optimizer` base: parameter groups, per-parameter state, state dicts.

An optimizer holds ``param_groups`` (a list of dicts, each with its ``'params'`` list and
its hyperparameters) and ``state`` (a dict from parameter to that parameter's buffers).
Subclasses implement :meth:`Optimizer.step`; the update runs under
:class:`~minigrad.no_grad` and writes into ``p._data`` in place, so parameters keep their
identity (modules and other optimizers still see the same objects).

``state_dict()`` has PyTorch's layout: ``{'state': {0: {...}, 1: {...}},
'param_groups': [{'lr': ..., 'params': [0, 1]}, ...]}`` where parameters are replaced by
integer ids numbered across the groups in order.
"""

from __future__ import annotations

import copy
from collections import defaultdict

from minigrad import backend
from minigrad.autograd.grad_mode import enable_grad, no_grad
from minigrad.tensor import Tensor

__all__ = ["Optimizer", "required"]


class _Required:
    """Marker for a hyperparameter that has no default (``lr`` of a bare group)."""

    def __repr__(self):
        return "<required parameter>"


required = _Required()


class Optimizer:
    """Base class of all optimizers.

    Parameters
    ----------
    params : iterable of Tensor or iterable of dict
        The tensors to optimize, or parameter groups: dicts with a ``'params'`` entry and
        optional per-group hyperparameters that override ``defaults``.
    defaults : dict
        Default hyperparameters for every group.

    Raises
    ------
    TypeError
        If ``params`` is a single tensor, a set, or holds something that is not a Tensor.
    ValueError
        If ``params`` is empty, a tensor is not a leaf, or a tensor appears twice.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.optim import SGD
    >>> w = minigrad.zeros(2, requires_grad=True)
    >>> b = minigrad.zeros(1, requires_grad=True)
    >>> opt = SGD([{"params": [w]}, {"params": [b], "lr": 0.5}], lr=0.1)
    >>> [g["lr"] for g in opt.param_groups]
    [0.1, 0.5]
    >>> opt.state_dict()["param_groups"][1]["params"]
    [1]
    """

    def __init__(self, params, defaults: dict):
        self.defaults = dict(defaults)
        self.state: dict = defaultdict(dict)
        self.param_groups: list[dict] = []
        if isinstance(params, Tensor):
            raise TypeError(
                f"{type(self).__name__}: params argument given to the optimizer should be an "
                "iterable of Tensors or dicts, but got a Tensor"
            )
        if isinstance(params, set | frozenset):
            raise TypeError(
                f"{type(self).__name__}: optimizer parameters need to be organized in ordered "
                "collections, but the ordering of tensors in sets will change between runs; "
                "use a list"
            )
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError(f"{type(self).__name__}: optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(group):
                if key != "params":
                    lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)

    # ------------------------------------------------------------------ groups
    def add_param_group(self, param_group: dict) -> None:
        """Add a group of parameters, with hyperparameters defaulting to ``defaults``.

        Parameters
        ----------
        param_group : dict
            ``{'params': tensors, **hyperparameters}``.

        Raises
        ------
        TypeError
            If the group is not a dict or its params are not an ordered collection of
            Tensors.
        ValueError
            If a tensor is not a leaf, a required hyperparameter is missing, or a tensor
            already belongs to another group.

        Examples
        --------
        >>> import minigrad
        >>> from minigrad.optim import SGD
        >>> opt = SGD([minigrad.zeros(1, requires_grad=True)], lr=0.1)
        >>> opt.add_param_group({"params": minigrad.zeros(3, requires_grad=True), "lr": 1.0})
        >>> len(opt.param_groups), opt.param_groups[1]["momentum"]
        (2, 0)
        """
        name = type(self).__name__
        if not isinstance(param_group, dict):
            raise TypeError(f"{name}: a param group must be a dict, got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set | frozenset):
            raise TypeError(
                f"{name}: optimizer parameters need to be organized in ordered collections, "
                "but the ordering of tensors in sets will change between runs; use a list"
            )
        else:
            params = list(params)
        names = None
        if params and all(isinstance(p, tuple) and len(p) == 2 for p in params):
            names = [str(n) for n, _ in params]  # named parameters, as PyTorch 2 accepts
            params = [p for _, p in params]
        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(
                    f"{name} can only optimize Tensors, but parameter {i} of the group is "
                    f"{type(p).__name__}"
                )
            if not p.is_leaf:
                raise ValueError(f"{name}: can't optimize a non-leaf Tensor (parameter {i})")
        group = dict(param_group)
        group["params"] = params
        if names is not None:
            group["param_names"] = names
        for key, default in self.defaults.items():
            if default is required and key not in group:
                raise ValueError(
                    f"{name}: parameter group didn't specify a value of required "
                    f"optimization parameter {key!r}"
                )
            group.setdefault(key, default)
        if len({id(p) for p in params}) != len(params):
            raise ValueError(f"{name}: a parameter group contains the same tensor twice")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError(f"{name}: some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    # ------------------------------------------------------------------ stepping
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all optimized tensors.

        Parameters
        ----------
        set_to_none : bool
            Set ``.grad`` to ``None`` (default, frees memory) instead of filling it with
            zeros in place.

        Examples
        --------
        >>> import minigrad
        >>> from minigrad.optim import SGD
        >>> w = minigrad.ones(2, requires_grad=True)
        >>> (w * 3).sum().backward()
        >>> opt = SGD([w], lr=0.1)
        >>> opt.zero_grad(set_to_none=False); w.grad
        tensor([0., 0.])
        >>> opt.zero_grad(); w.grad is None
        True
        """
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    if p.grad.grad_fn is not None:
                        p.grad.detach_()
                    else:
                        p.grad.requires_grad = False
                    p.grad._data[...] = 0

    def step(self, closure=None):
        """Perform one optimization step on every parameter that has a gradient.

        The closure runs first, with grad enabled; then, under no_grad, the optimizer's
        ``_update(p, g, group)`` writes ``p._data`` in place from the gradient array ``g``
        (negated in a ``maximize`` group). An optimizer with another loop overrides
        ``step`` itself.

        Parameters
        ----------
        closure : callable, optional
            Re-evaluates the model and returns the loss; called with grad enabled.

        Returns
        -------
        Tensor or None
            The closure's return value, or ``None`` without a closure.

        Examples
        --------
        >>> import minigrad
        >>> from minigrad.optim import SGD
        >>> w = minigrad.tensor([1.0, 2.0], requires_grad=True)
        >>> opt = SGD([w], lr=0.5)
        >>> (w * w).sum().backward()
        >>> opt.step()
        >>> w
        tensor([0., 0.], requires_grad=True)
        """
        if type(self)._update is Optimizer._update:
            raise NotImplementedError(f"{type(self).__name__} implements neither step nor _update")
        loss = self._closure(closure)
        with no_grad(), backend.quiet_fp():  # an inf/NaN update is silent, as in PyTorch
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    g = p.grad._data
                    self._update(p, -g if group.get("maximize", False) else g, group)
                    p._version += 1
        return loss

    def _closure(self, closure):
        if closure is None:
            return None
        with enable_grad():
            return closure()

    # ------------------------------------------------------------------ per-parameter updates
    def _update(self, p: Tensor, g, group: dict) -> None:
        """Update ``p._data`` in place from the gradient array ``g`` with ``group``'s
        hyperparameters (each optimizer that uses the loop of :meth:`step`)."""
        raise NotImplementedError

    def _new_state(self, p: Tensor, group: dict) -> dict:
        """The state entries of a parameter's first step, after its ``'step'`` count (each
        optimizer that keeps per-parameter buffers; none by default)."""
        return {}

    def _init_state(self, p: Tensor, group: dict) -> dict:
        """Create ``self.state[p]``: ``{'step': 0, **self._new_state(p, group)}``."""
        state = self.state[p]
        state["step"] = 0
        state.update(self._new_state(p, group))
        return state

    def _stepped_state(self, p: Tensor, group: dict) -> dict:
        """``self.state[p]`` (created by :meth:`_init_state` when empty) with its
        ``'step'`` count advanced by one."""
        state = self.state[p]
        if len(state) == 0:
            self._init_state(p, group)
        state["step"] += 1
        return state

    @staticmethod
    def _zeros(p: Tensor) -> Tensor:
        """A state buffer of zeros with the shape, dtype and device of ``p``."""
        return Tensor._make(p.xp.zeros_like(p._data))

    # ------------------------------------------------------------------ state dicts
    def state_dict(self) -> dict:
        """The optimizer's state in PyTorch's layout, with integer parameter ids.

        Returns
        -------
        dict
            ``{'state': {id: {name: Tensor or number}}, 'param_groups': [group, ...]}``;
            each group holds its hyperparameters and ``'params'``, a list of ids. The
            state tensors are the optimizer's own (not copies), as in PyTorch.

        Examples
        --------
        >>> import minigrad
        >>> from minigrad.optim import SGD
        >>> w = minigrad.ones(2, requires_grad=True)
        >>> opt = SGD([w], lr=0.1, momentum=0.9)
        >>> (w * w).sum().backward(); opt.step()
        >>> sd = opt.state_dict()
        >>> sorted(sd["state"][0]), sd["param_groups"][0]["params"]
        (['momentum_buffer'], [0])
        """
        mapping: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            ids = []
            for p in group["params"]:
                if id(p) not in mapping:
                    mapping[id(p)] = len(mapping)
                ids.append(mapping[id(p)])
            packed["params"] = ids
            groups.append(packed)
        state = {}
        for p, s in self.state.items():
            key = mapping[id(p)] if isinstance(p, Tensor) else p
            state[key] = dict(s)
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Load a state from :meth:`state_dict` (same groups, same parameter counts).

        Floating-point state tensors are copied to each parameter's device and dtype
        (``'step'`` and non-tensor values are kept as they are). The hyperparameters of
        the saved groups replace the current ones.

        Parameters
        ----------
        state_dict : dict
            A dict from :meth:`state_dict` (possibly after :func:`minigrad.save` /
            :func:`minigrad.load`).

        Raises
        ------
        ValueError
            If the number of groups or of parameters per group differs, or a state entry's
            shape does not match its parameter.
        KeyError
            If ``'state'`` or ``'param_groups'`` is missing.

        Examples
        --------
        >>> import minigrad
        >>> from minigrad.optim import SGD
        >>> w = minigrad.ones(2, requires_grad=True)
        >>> opt = SGD([w], lr=0.1, momentum=0.9)
        >>> (w * w).sum().backward(); opt.step()
        >>> opt2 = SGD([minigrad.ones(2, requires_grad=True)], lr=0.5)
        >>> opt2.load_state_dict(opt.state_dict())
        >>> opt2.param_groups[0]["lr"], opt2.param_groups[0]["momentum"]
        (0.1, 0.9)
        """
        name = type(self).__name__
        for key in ("state", "param_groups"):
            if key not in state_dict:
                raise KeyError(f"{name}.load_state_dict: the state dict has no {key!r} entry")
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"{name}.load_state_dict: loaded state dict has {len(saved_groups)} parameter "
                f"groups, but the optimizer has {len(self.param_groups)}"
            )
        id_map: dict = {}
        for i, (group, saved) in enumerate(zip(self.param_groups, saved_groups)):
            if len(group["params"]) != len(saved["params"]):
                raise ValueError(
                    f"{name}.load_state_dict: loaded state dict contains a parameter group "
                    f"({i}) with {len(saved['params'])} parameters that doesn't match the "
                    f"size of optimizer's group ({len(group['params'])})"
                )
            for pid, p in zip(saved["params"], group["params"]):
                id_map[pid] = p
        state: dict = defaultdict(dict)
        for key, values in state_dict["state"].items():
            if key not in id_map:
                state[key] = copy.deepcopy(values)
                continue
            p = id_map[key]
            state[p] = {k: self._cast_state(p, k, v) for k, v in values.items()}
        new_groups = []
        for group, saved in zip(self.param_groups, saved_groups):
            g = {k: copy.deepcopy(v) for k, v in saved.items() if k != "params"}
            g["params"] = group["params"]
            new_groups.append(g)
        self.state = state
        self.param_groups = new_groups

    def _cast_state(self, p: Tensor, key, value):
        """A copy of a loaded state value on the parameter's device (and float dtype)."""
        if not isinstance(value, Tensor):
            return copy.deepcopy(value)
        arr = backend.to_device(value._data, p.device)
        if key != "step" and arr.dtype.kind == "f":
            if arr.shape != p.shape:
                raise ValueError(
                    f"{type(self).__name__}.load_state_dict: state {key!r} has shape "
                    f"{tuple(arr.shape)} but its parameter has shape {tuple(p.shape)}"
                )
            arr = arr.astype(p.dtype, copy=False)
        return Tensor._make(arr.copy())
