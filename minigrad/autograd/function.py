"""The :class:`Function` base: one differentiable op, forward and backward side by side.

A Function's ``forward`` works on raw arrays (NumPy or CuPy) and may save what its
backward needs on ``self``. Its ``backward`` receives the gradients of the outputs as
:class:`~minigrad.Tensor` objects and returns the gradients of the inputs, written with
differentiable tensor ops. The engine runs backward under ``no_grad`` unless
``create_graph=True``; in that mode the same formulas build a graph of their own, which
is what makes higher-order gradients work for every op (DeZero's design).

Calling a Function instance applies it::

    y = Exp()(x)

When grad mode is on and any input requires grad, the Function becomes a node of the
graph: it keeps its inputs, weak references to its outputs and a *generation* number
(one more than its deepest input), which orders the backward walk.
"""

from __future__ import annotations

import weakref

import numpy as np

from minigrad.autograd.anomaly import _Anomaly, check_finite
from minigrad.autograd.grad_mode import _GradMode
from minigrad.backend import FP_QUIET as _FP_QUIET
from minigrad.backend import FP_STATE as _FP_STATE

__all__ = ["Function", "sum_to"]


class Function:
    """Base class of every differentiable op.

    Subclasses define ``forward(self, *arrays)`` returning one array or a tuple of
    arrays, and ``backward(self, *grad_outputs)`` returning one gradient per input
    (a Tensor, or ``None`` where no gradient flows). Inputs may be Tensors or Python
    scalars; scalars are constants and get no gradient.

    Attributes
    ----------
    inputs : tuple
        The inputs (kept only when the op is recorded in the graph).
    outputs : tuple of weakref
        Weak references to the output tensors (no reference cycle through the graph).
    generation : int
        Topological depth: larger than the generation of every function upstream.
    needs_input_grad : tuple of bool
        Which inputs need a gradient; ``backward`` may skip the others.
    impl : str or None
        Which implementation ran a fused op (``'numpy'``, ``'cpu-compiled'``, ``'cupy'``;
        chosen by :func:`minigrad.ops.impl.choose`); None for ops with one implementation.
    raw_backward : bool
        Class attribute, False by default. True declares that ``backward`` (of a
        single-output op) is written against the API that arrays and Tensors share
        (arithmetic operators, ``shape``, ``dtype``, ``reshape``, :func:`sum_to`), so a
        first-order backward (``create_graph=False``) may run it on raw arrays: for that
        call ``self.inputs`` holds the inputs' arrays and :meth:`output` returns an array,
        and the formula returns arrays. The engine does so only when every tensor input
        has the gradient's dtype (NumPy then promotes as the tensor ops would), and never in
        anomaly mode; otherwise the same formula gets Tensors.

    Examples
    --------
    A new op, ``cube``, with its derivative ``3 x^2`` written in tensor ops:

    >>> import minigrad
    >>> from minigrad.autograd import Function
    >>> class Cube(Function):
    ...     def forward(self, x):
    ...         return x ** 3
    ...     def backward(self, gy):
    ...         (x,) = self.inputs
    ...         return gy * 3 * x ** 2
    >>> x = minigrad.tensor([2.0], requires_grad=True)
    >>> Cube()(x).backward(minigrad.ones(1))
    >>> x.grad
    tensor([12.])
    """

    generation = 0
    is_view = False  # True for ops whose output may be a view of input 0 (reshape, ...)
    uses_input_values = True  # False when backward needs only the inputs' shapes (add, ...)
    raw_backward = False  # True: backward also runs on raw arrays (see the class docstring)
    _raw = False  # set by the engine while such a backward runs on arrays
    inputs = None
    needs_input_grad = ()
    impl = None
    _created_at = None
    _out = None  # weak reference to the output of a single-output node (see ``outputs``)
    _outs = ()  # weak references to the outputs of a multi-output node
    _versions = None  # the inputs' versions when the op ran; None: all were at 0

    def forward(self, *xs):  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__}.forward is not implemented")

    def backward(self, *gys):  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__}.backward is not implemented")

    @property
    def outputs(self) -> tuple:
        """Weak references to the output tensors (empty once the node is released). A
        single output's reference is kept alone, without a list around it."""
        return (self._out,) if self._out is not None else tuple(self._outs)

    def _set_output(self, i: int, tensor) -> None:
        """Make ``tensor`` the node's ``i``-th output (an in-place op's snapshot)."""
        if self._out is not None:
            self._out = weakref.ref(tensor)
        else:
            self._outs[i] = weakref.ref(tensor)

    @property
    def name(self) -> str:
        """The op's name, as shown in error messages and graph pictures."""
        return type(self).__name__

    def __call__(self, *inputs):
        # One pass over the inputs: unwrap, check devices, and note what a graph node
        # keeps (which inputs need a gradient, the deepest generation, whether an input
        # has been changed in place).
        xs = []
        needs = []
        requires_grad = modified = False
        gen = 0
        first = None
        for x in inputs:
            if isinstance(x, Tensor):
                d = x._data
                if first is None:
                    first = d
                elif d.__class__ is not first.__class__ or d.__class__ is not _ndarray:
                    _check_devices(self, first, d)
                xs.append(d)
                vc = x._vc_list  # (None: never changed in place, version 0)
                if vc is not None and vc[0]:
                    modified = True
                if x.requires_grad:
                    requires_grad = True
                    needs.append(True)
                    f = x.grad_fn
                    if f is not None and f.generation >= gen:
                        gen = f.generation + 1
                else:
                    needs.append(False)
            else:
                xs.append(x)
                needs.append(False)
        # NumPy's floating-point warnings off (PyTorch is silent on inf/NaN): set and
        # reset directly: ~0.28 us per op with the next ufunc's lookup (np.errstate costs
        # ~1 us; see minigrad.backend and PERF_NOTES, session 5)
        token = _FP_STATE.set(_FP_QUIET)
        try:
            if _Anomaly.enabled and not _Anomaly.in_backward:
                self._created_at = _Anomaly.creation_stack()
                ys = self.forward(*xs)
                check_finite(self, ys, "forward")
            else:
                ys = self.forward(*xs)
        finally:
            _FP_STATE.reset(token)
        if not (requires_grad and _GradMode.enabled):  # no graph: just wrap the result
            if ys.__class__ is tuple:
                return tuple([_make(y) for y in ys])
            out = _make(ys)
            if self.is_view:
                _share_version(out, inputs[0])
            return out
        # Record the node: its inputs, and a generation deeper than every input's. Python's
        # cyclic GC scans every container a node keeps alive until backward (PERF_NOTES,
        # "W4 and the GC"), so the node keeps as few as it can: shared needs_input_grad
        # tuples, no versions while all are 0, and one output's weak reference bare.
        self.inputs = inputs
        self.generation = gen or 1
        needs = tuple(needs)
        self.needs_input_grad = _NEEDS.get(needs, needs)
        if modified:  # versions only grow, so an input at 0 cannot have changed before
            self._versions = tuple([x._version if isinstance(x, Tensor) else 0 for x in inputs])
        if ys.__class__ is tuple:
            outs = tuple([_make(y, True) for y in ys])
            self._outs = [weakref.ref(o) for o in outs]
            for i, o in enumerate(outs):
                o.grad_fn = self
                o._out_idx = i
            return outs
        out = _make(ys, True)
        self._out = weakref.ref(out)
        out.grad_fn = self
        if self.is_view:
            _share_version(out, inputs[0])
        return out

    def output(self, i: int = 0):
        """The ``i``-th output tensor, for backward formulas that reuse it (e.g. ``exp``);
        its array while a raw-array backward runs (see ``raw_backward``).

        While the graph is kept the output tensor is alive, so formulas that use it stay
        differentiable; if it was collected, a constant tensor of the saved array
        ``self.out`` (set by ``forward``) stands in.
        """
        ref = self._out if self._out is not None else (self._outs[i] if self._outs else None)
        y = ref() if ref is not None else None
        if y is None:
            out = self.out if i == 0 else self.out[i]
            return out if self._raw else Tensor._make(out)
        if y._version != 0 and not self.is_view:  # outputs are born at version 0
            raise RuntimeError(
                f"one of the variables needed for gradient computation has been modified "
                f"by an inplace operation: output {i} of {self.name} (shape "
                f"{tuple(y.shape)}) is at version {y._version}; expected version 0"
            )
        return y._data if self._raw else y

    def check_versions(self) -> None:
        """Raise if an input was modified in place after this op saved it (ops whose
        backward reads only shapes, like ``add``, save nothing and never raise)."""
        if not self.uses_input_values:
            return
        versions = self._versions or (0,) * len(self.inputs)  # None: all were at 0
        for i, (x, v) in enumerate(zip(self.inputs, versions)):
            if isinstance(x, Tensor) and x._version != v:
                raise RuntimeError(
                    f"one of the variables needed for gradient computation has been modified "
                    f"by an inplace operation: input {i} of {self.name} (shape "
                    f"{tuple(x.shape)}) is at version {x._version}; expected version {v}"
                )

    def release(self) -> None:
        """Free what this node holds for backward (called after backward unless the
        graph is retained); a second backward through it then raises. The record of
        which implementation ran (``impl``) stays."""
        ref = self._out
        if ref is not None and ref() is None:
            # Its one output is gone, so no tensor leads here any more: the node dies with
            # the engine's reference and its saved data with it (skipping the clear below
            # saved ~0.1 us per node of a chain).
            self.inputs = None
            return
        impl = self.impl
        self.__dict__.clear()  # ``inputs`` and ``outputs`` fall back to None and ()
        if impl is not None:
            self.impl = impl

    def __repr__(self):
        return f"<{self.name} backward>"


def _share_version(out, x) -> None:
    """A view shares its base's version counter, so an in-place change through either
    is seen by every op that saved the other (as in PyTorch)."""
    if isinstance(x, Tensor) and backend_may_share_memory(out._data, x._data):
        out._vc = x._vc


def backend_may_share_memory(a, b) -> bool:
    from minigrad.backend import array_module

    return bool(array_module(a).may_share_memory(a, b))


def _check_devices(fn, a, b):
    from minigrad.backend import device_of

    da, db = device_of(a), device_of(b)
    if da != db:
        raise RuntimeError(
            f"{fn.name}: expected all tensors on the same device, but found at least two "
            f"devices, {da} and {db}; move them with .to(device) first"
        )


def sum_to(g, shape):
    """Sum gradient ``g`` down to ``shape``: the reverse of broadcasting.

    This is the one place where broadcast gradients are reduced (leading dimensions that
    broadcasting added are summed away; dimensions of size 1 are summed with keepdim).

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.autograd import sum_to
    >>> sum_to(minigrad.ones(2, 3), (1, 3))
    tensor([[2., 2., 2.]])
    """
    gshape = g.shape
    if gshape == tuple(shape):
        return g
    lead = len(gshape) - len(shape)
    axes = tuple(range(lead)) + tuple(
        i + lead for i, s in enumerate(shape) if s == 1 and gshape[i + lead] != 1
    )
    if axes:  # a Tensor, or an array in a raw-array backward (see Function.raw_backward)
        if isinstance(g, Tensor):
            g = g.sum(dim=axes, keepdim=True)
        else:
            g = g.sum(axis=axes, keepdims=True)
    if lead:
        g = g.reshape(shape)
    return g


# The Tensor class, imported last: ``minigrad.tensor`` imports this module at its top and
# loads the ops (which subclass Function) at its end, so Function and sum_to must exist
# before it runs; ``minigrad/__init__`` imports ``minigrad.autograd`` first, which brings
# this module and then, from here, ``minigrad.tensor``.
from minigrad.tensor import Tensor  # noqa: E402

_make = Tensor._make
_ndarray = np.ndarray
# needs_input_grad of one and two inputs: shared, so a node keeps no tuple of its own
_NEEDS = {t: t for t in [(True,), (False,), (True, True), (True, False), (False, True)]}
