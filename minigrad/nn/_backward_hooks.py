"""Module backward hooks (PyTorch's ``register_full_backward_hook`` and
``register_full_backward_pre_hook``), the way PyTorch builds them.

When a module has backward hooks, calling it wraps its tensor inputs in one identity
Function (:class:`BackwardHookInputs`) and its tensor outputs in another
(:class:`BackwardHookOutputs`). In backward, the output identity sees the gradients
w.r.t. the outputs first: it runs the pre-hooks (which may replace them) and keeps
them. The input identity sees the gradients w.r.t. the inputs last, once everything
inside the module is differentiated: it calls ``hook(module, grad_input, grad_output)``,
and a hook's returned tuple replaces ``grad_input``. ``grad_input`` has one entry per
positional argument (``None`` for non-tensors and tensors that need no gradient); when
no input needs a gradient, the hooks run at the output with ``grad_input`` all
``None``.
"""

from __future__ import annotations

from minigrad.autograd.function import Function
from minigrad.autograd.grad_mode import _GradMode
from minigrad.tensor import Tensor


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
