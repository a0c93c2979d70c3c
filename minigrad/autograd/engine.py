"""The backward walk: gradients of outputs propagated to inputs in topological order.

Each :class:`~minigrad.autograd.Function` node has a *generation*, one more than the
deepest node that produced its inputs. A max-heap on generation therefore pops a node
only after every node that consumes its outputs, so each node's output gradients are
complete when it runs, however the graph is shared (a node found while nothing else is
pending, as along a chain, runs next without the heap). The walk is a loop, not
recursion, so graphs of any depth work. After backward the nodes are released unless
``retain_graph=True``.
"""

from __future__ import annotations

import itertools
from heapq import heappop, heappush

from minigrad.autograd.anomaly import _Anomaly, check_finite
from minigrad.autograd.grad_mode import _GradMode
from minigrad.backend import quiet_fp

__all__ = ["backward", "grad"]

_FREED = (
    "Trying to backward through the graph a second time (or to use results of a backward "
    "that already freed them): the graph is freed after .backward() or grad(); pass "
    "retain_graph=True the first time if you need to go through it again."
)


class _Callbacks:
    """Functions to run once the outermost backward walk has delivered every gradient."""

    queue: list = []
    depth = 0


def queue_callback(fn) -> None:
    """Run ``fn()`` when the current backward pass ends, after every leaf's ``.grad``
    is updated (PyTorch's ``Variable._execution_engine.queue_callback``): the hook point
    of :class:`~minigrad.nn.parallel.DistributedDataParallel`, queued from a gradient
    hook. A function already queued in this pass is not queued again. Callbacks run
    after :func:`backward` only: :func:`grad` (which writes no ``.grad``) and a backward
    that raises drop them.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.autograd.engine import queue_callback
    >>> w = minigrad.tensor([1.0, 2.0], requires_grad=True)
    >>> _ = w.register_hook(lambda g: queue_callback(lambda: print("done:", w.grad)))
    >>> (w * w).sum().backward()
    done: tensor([2., 4.])
    """
    if fn not in _Callbacks.queue:
        _Callbacks.queue.append(fn)


def _as_list(x):
    if x is None:
        return None
    if isinstance(x, list | tuple):
        return list(x)
    return [x]


def _root_grads(outputs, grad_outputs):
    from minigrad.tensor import Tensor

    grads = []
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"got {len(grad_outputs)} grad_outputs for {len(outputs)} outputs")
    for y, g in zip(outputs, grad_outputs):
        if not isinstance(y, Tensor):
            raise TypeError(f"outputs must be Tensors, got {type(y).__name__}")
        if not y.requires_grad:
            raise RuntimeError(
                "element 0 of tensors does not require grad and does not have a grad_fn: "
                "nothing to differentiate (set requires_grad=True on an input)"
            )
        if g is None:
            if y._data.size != 1:
                raise RuntimeError(
                    f"grad can be implicitly created only for scalar outputs; the output "
                    f"has shape {tuple(y.shape)}: pass a gradient of that shape"
                )
            g = Tensor._make(y.xp.ones_like(y._data))
        elif not isinstance(g, Tensor):
            g = Tensor._make(y.xp.asarray(g, dtype=y.dtype))
        if tuple(g.shape) != tuple(y.shape):
            raise RuntimeError(
                f"gradient has shape {tuple(g.shape)} but the output has shape {tuple(y.shape)}"
            )
        grads.append(g)
    return grads


def _run(outputs, grad_outputs, retain_graph, create_graph, capture=None):
    """Propagate ``grad_outputs`` from ``outputs`` through the graph.

    Without ``capture``, gradients accumulate into ``.grad`` of leaves (``backward``).
    With ``capture`` (a dict from ``id(tensor)`` to ``None``), the gradients of those
    tensors are collected there instead and no ``.grad`` is touched (``grad``).

    A first-order walk (``create_graph=False``, anomaly mode off) carries the gradients
    as raw arrays, since nothing records them: a node whose Function sets
    ``raw_backward`` runs its formula on arrays (see :class:`Function`) when every tensor
    input has the gradient's dtype, so the arrays follow the promotion the tensor ops
    would; any other node gets its gradients wrapped as Tensors. Hooks, ``retain_grad``,
    captured gradients and leaves' ``.grad`` always get Tensors.
    """
    from minigrad.tensor import Tensor

    grads = _root_grads(outputs, grad_outputs)
    handed_out = {id(g._data) for g in grads}  # arrays a leaf must not alias
    raw = not create_graph and not _Anomaly.enabled
    make = Tensor._make
    heap = []
    counter = itertools.count()
    buffers = {}  # node -> gradient of its output (a list of them for several outputs)
    leaves = {}  # id(leaf) -> (leaf, summed gradient)
    nxt = None  # a node found while none was pending (a chain): it runs next, heap unused

    def send(x, gx):
        """Deliver gradient ``gx`` to tensor ``x``: a leaf or a node's output slot."""
        nonlocal nxt
        dt, xdt = gx.dtype, x._data.dtype
        if dt is not xdt and dt != xdt:  # e.g. a float32 input of a float64 op
            gx = gx.astype(xdt) if raw else gx.to(xdt)
        f = x.grad_fn
        if f is None:  # a leaf: sum its contributions, deliver once at the end
            entry = leaves.get(id(x))
            leaves[id(x)] = (x, gx) if entry is None else (x, entry[1] + gx)
            return
        buf = buffers.get(f)
        if buf is None:  # the first gradient for ``f``: schedule it
            if f.inputs is None:
                raise RuntimeError(_FREED)
            if f._out is not None:  # one output
                buffers[f] = gx
            else:
                buffers[f] = buf = [None] * len(f._outs)
                buf[x._out_idx] = gx
            if nxt is None and not heap:
                nxt = f
            else:  # several pending: the heap orders them (the first found, first on ties)
                if nxt is not None:
                    heappush(heap, (-nxt.generation, next(counter), nxt))
                    nxt = None
                heappush(heap, (-f.generation, next(counter), f))
        elif buf.__class__ is list:
            i = x._out_idx
            buf[i] = gx if buf[i] is None else buf[i] + gx
        else:
            buffers[f] = buf + gx

    prev = _GradMode.enabled
    _GradMode.enabled = create_graph
    _Callbacks.depth += 1
    try:
        for y, g in zip(outputs, grads):
            send(y, g._data if raw else g)
        while True:
            if nxt is not None:
                fn, nxt = nxt, None
            elif heap:
                fn = heappop(heap)[2]
            else:
                break
            gy = buffers.pop(fn)
            # (``y`` holds the output until the formula has run: ``Function.output`` of an
            # op whose result was then changed in place needs the snapshot tensor alive)
            if gy.__class__ is not list:  # one output (the common case)
                y = fn._out()
                if y is not None and (y._hooks or y._retains_grad or capture is not None):
                    gy = _observe(y, gy, raw, capture, handed_out)
            else:
                y = [ref() for ref in fn._outs]
                for i, t in enumerate(y):
                    if t is not None and gy[i] is not None:
                        if t._hooks or t._retains_grad or capture is not None:
                            gy[i] = _observe(t, gy[i], raw, capture, handed_out)
            inputs, needs = fn.inputs, fn.needs_input_grad
            if inputs is None:
                raise RuntimeError(_FREED)
            vals = None
            if raw and gy.__class__ is not list:
                vals = _raw_values(fn, inputs, gy.dtype, Tensor)  # checks versions too
            if vals is not None:  # the formula runs on arrays (see Function.raw_backward)
                fn.inputs = vals
                fn._raw = True
                try:
                    gxs = fn.backward(gy)
                except BaseException:
                    fn.inputs, fn._raw = inputs, False
                    raise
                if retain_graph:
                    fn.inputs, fn._raw = inputs, False
            else:  # the formula written for Tensors
                fn.check_versions()  # an input changed in place since the op saved it?
                gys = gy if gy.__class__ is list else (gy,)
                if not raw:
                    gxs = _backward_checked(fn, gys) if _Anomaly.enabled else fn.backward(*gys)
                else:  # a first-order walk: wrap the gradients, unwrap its results
                    gxs = fn.backward(*[None if g is None else make(g) for g in gys])
                    gxs = _unwrap(gxs, Tensor)
            y = None  # (once nobody holds the outputs, ``release`` need not clear the node)
            if not retain_graph:
                fn.release()
            if gxs.__class__ is not tuple:
                if needs[0] and gxs is not None:
                    send(inputs[0], gxs)
            else:
                for x, gx, need in zip(inputs, gxs, needs):
                    if need and gx is not None:
                        send(x, gx)
        for x, gx in leaves.values():
            _accumulate_leaf(x, make(gx) if raw else gx, capture, create_graph, handed_out)
        while _Callbacks.depth == 1 and capture is None and _Callbacks.queue:
            _Callbacks.queue.pop(0)()
    finally:
        _GradMode.enabled = prev
        _Callbacks.depth -= 1
        if _Callbacks.depth == 0:
            _Callbacks.queue.clear()


_REAL = frozenset({int, float, bool})


def _raw_values(fn, inputs, dtype, Tensor):
    """The inputs of ``fn`` as its raw-array formula sees them: arrays of the tensors,
    Python numbers as they are; None (use the Tensor formula) when ``fn`` has no such
    formula, a tensor's dtype is not ``dtype`` or an input is another kind of constant,
    since NumPy's promotion could then differ. Raises if an input ``fn`` reads was
    changed in place since it ran."""
    if not fn.raw_backward:
        return None
    check = fn.uses_input_values
    if check and fn._versions is not None:  # an input had been changed before ``fn`` ran
        fn.check_versions()
        check = False
    vals = []
    for x in inputs:
        if isinstance(x, Tensor):
            if check and x._vc_list is not None and x._vc_list[0]:  # (0 when ``fn`` ran)
                fn.check_versions()  # raises, naming the input
            x = x._data
            if x.dtype is not dtype and x.dtype != dtype:
                return None
        elif x.__class__ not in _REAL:
            return None
        vals.append(x)
    return vals


def _unwrap(gxs, Tensor):
    """The arrays of a Tensor formula's results (one gradient or a tuple)."""
    if isinstance(gxs, Tensor):
        return gxs._data
    if isinstance(gxs, (tuple, list)):  # noqa: UP038 (a Union would be built per call)
        return tuple(g._data if isinstance(g, Tensor) else g for g in gxs)
    return gxs


def _observe(y, g, raw, capture, handed_out):
    """The gradient ``g`` of a node's output ``y`` before the node runs: ``y``'s hooks
    (which may replace it), ``retain_grad``, and the capture of :func:`grad`. Returns the
    gradient to propagate (an array in a raw walk)."""
    from minigrad.tensor import Tensor

    t = Tensor._make(g) if raw else g
    if y._hooks:
        t = _run_hooks(y, t)
    if y._retains_grad:
        y.grad = t if y.grad is None else y.grad + t
        handed_out.add(id(t._data))
    if capture is not None and id(y) in capture:
        c = capture[id(y)]
        capture[id(y)] = t if c is None else c + t
    return t._data if raw else t


def _backward_checked(fn, gys):
    """``fn.backward`` in anomaly mode: NaN/Inf in its results is blamed on ``fn``."""
    prev = _Anomaly.in_backward
    _Anomaly.in_backward = True
    try:
        gxs = fn.backward(*gys)
    finally:
        _Anomaly.in_backward = prev
    check_finite(fn, gxs, "backward")
    return gxs


def _run_hooks(t, g):
    for hook in t._hooks.values():
        r = hook(g)
        if r is not None:
            g = r
    return g


def _accumulate_leaf(x, gx, capture, create_graph, handed_out):
    from minigrad.tensor import Tensor

    if x._hooks:
        gx = _run_hooks(x, gx)
    if capture is not None:
        if id(x) in capture:
            g = capture[id(x)]
            capture[id(x)] = gx if g is None else g + gx
        return
    if tuple(gx.shape) != tuple(x.shape):  # pragma: no cover - a bug in some backward
        raise RuntimeError(
            f"gradient of shape {tuple(gx.shape)} for a leaf of shape {tuple(x.shape)}"
        )
    if x.grad is None:
        if not create_graph:
            d = gx._data
            if id(d) in handed_out or d.base is not None:
                d = d.copy()  # the leaf must own its gradient (no aliasing)
            handed_out.add(id(d))
            gx = Tensor._make(d)
        x.grad = gx
    else:
        x.grad = x.grad + gx if create_graph else Tensor._make(x.grad._data + gx._data)


def backward(
    tensors,
    grad_tensors=None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
) -> None:
    """Accumulate into leaves' ``.grad`` the gradient of ``tensors``.

    Parameters
    ----------
    tensors : Tensor or sequence of Tensor
        Outputs to differentiate.
    grad_tensors : Tensor or sequence, optional
        Gradient with respect to each output; may be omitted for scalar outputs.
    retain_graph : bool, optional
        Keep the graph for another backward (default: ``create_graph``).
    create_graph : bool
        Record the backward itself, so the gradients can be differentiated again.

    Examples
    --------
    >>> import minigrad
    >>> x = minigrad.tensor([1.0, 2.0], requires_grad=True)
    >>> minigrad.autograd.backward((x * x).sum())
    >>> x.grad
    tensor([2., 4.])
    """
    outputs = _as_list(tensors)
    grads = _as_list(grad_tensors)
    if retain_graph is None:
        retain_graph = create_graph
    with quiet_fp():  # inf/NaN gradients are silent, as in PyTorch (see minigrad.backend)
        _run(outputs, grads, retain_graph, create_graph)


def grad(
    outputs,
    inputs,
    grad_outputs=None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool = False,
):
    """Return the gradients of ``outputs`` with respect to ``inputs``.

    Unlike :meth:`Tensor.backward`, nothing is accumulated into ``.grad``.

    Parameters
    ----------
    outputs : Tensor or sequence of Tensor
        Differentiated outputs.
    inputs : Tensor or sequence of Tensor
        Tensors to differentiate with respect to (leaves or intermediate results).
    grad_outputs : Tensor or sequence, optional
        Gradient with respect to each output (default: ones for scalar outputs).
    retain_graph : bool, optional
        Keep the graph (default: ``create_graph``).
    create_graph : bool
        Build a graph of the gradient computation, for higher-order derivatives.
    allow_unused : bool
        Return ``None`` for an input the outputs do not depend on, instead of raising.

    Returns
    -------
    tuple of Tensor
        One gradient per input.

    Examples
    --------
    >>> import minigrad
    >>> x = minigrad.tensor(3.0, requires_grad=True)
    >>> (g,) = minigrad.grad(x ** 3, x, create_graph=True)
    >>> g
    tensor(27., grad_fn=<Mul backward>)
    >>> minigrad.grad(g, x)
    (tensor(18.),)
    """
    outs = _as_list(outputs)
    ins = _as_list(inputs)
    if isinstance(ins, list):
        for t in ins:
            if not t.requires_grad:
                raise RuntimeError("One of the differentiated Tensors does not require grad")
    if retain_graph is None:
        retain_graph = create_graph
    capture = {id(t): None for t in ins}
    with quiet_fp():
        _run(outs, _as_list(grad_outputs), retain_graph, create_graph, capture)
    result = []
    for i, t in enumerate(ins):
        g = capture[id(t)]
        if g is None and not allow_unused:
            raise RuntimeError(
                f"input {i} (shape {tuple(t.shape)}) was not used to compute the outputs; "
                "pass allow_unused=True to get None for it"
            )
        result.append(g)
    return tuple(result)
