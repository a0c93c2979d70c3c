"""Finite-difference checks of gradients: :func:`gradcheck` and :func:`gradgradcheck`.

Both compare the Jacobian that autograd computes with one from central differences,
in float64, element by element, and report the worst mismatch.
"""

from __future__ import annotations

import numpy as np

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]


class GradcheckError(AssertionError):
    """Raised when analytic and numerical Jacobians differ.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.autograd import Function, GradcheckError, gradcheck
    >>> class WrongSquare(Function):
    ...     def forward(self, x):
    ...         return x * x
    ...     def backward(self, gy):
    ...         return gy * self.inputs[0]  # should be 2 * x
    >>> x = minigrad.tensor([1.0, 2.0], dtype=minigrad.float64, requires_grad=True)
    >>> try:
    ...     gradcheck(lambda t: WrongSquare()(t), (x,))
    ... except GradcheckError:
    ...     print("caught")
    caught
    """


def _tuple(x):
    return tuple(x) if isinstance(x, list | tuple) else (x,)


def _prepare(inputs):
    """float64 copies of the floating inputs (requires_grad kept), others as given."""
    from minigrad.tensor import Tensor

    out = []
    for x in _tuple(inputs):
        if isinstance(x, Tensor) and x.dtype.kind == "f":
            y = Tensor._make(x._data.astype(np.float64, order="C"))
            y.requires_grad = x.requires_grad
            out.append(y)
        else:
            out.append(x)
    return out


def _outputs(fn, xs):
    return [o for o in _tuple(fn(*xs)) if o.dtype.kind == "f"]


def _numerical(fn, xs, i, eps):
    """Jacobian of every output with respect to input ``i`` by central differences."""
    x = xs[i]
    flat = x._data.reshape(-1)  # a view: the data is contiguous (made by astype)
    cols = []
    # fn runs with grad mode on: it may itself call autograd (as in gradgradcheck)
    for k in range(flat.size):
        orig = flat[k].item()
        flat[k] = orig + eps
        plus = [backend_to_numpy(o._data).astype(np.float64).ravel() for o in _outputs(fn, xs)]
        flat[k] = orig - eps
        minus = [backend_to_numpy(o._data).astype(np.float64).ravel() for o in _outputs(fn, xs)]
        flat[k] = orig
        cols.append(np.concatenate([(p - m) / (2 * eps) for p, m in zip(plus, minus)]))
    jac = np.stack(cols, axis=1) if cols else np.zeros((0, 0))
    return jac if jac.ndim == 2 else jac.reshape(-1, flat.size)


def _analytic(fn, xs, wrt):
    """Jacobian rows by one vector-Jacobian product per output element."""
    from minigrad.autograd.engine import grad
    from minigrad.tensor import Tensor

    outs = _outputs(fn, xs)
    sizes = [o.numel() for o in outs]
    jacs = {i: np.zeros((sum(sizes), xs[i].numel())) for i in wrt}
    row = 0
    for o in outs:
        if not o.requires_grad:
            row += o.numel()
            continue
        for k in range(o.numel()):
            g = o.xp.zeros(o.shape, dtype=o.dtype)
            g.reshape(-1)[k] = 1
            gs = grad(
                o, [xs[i] for i in wrt], Tensor._make(g), retain_graph=True, allow_unused=True
            )
            for i, gi in zip(wrt, gs):
                if gi is not None:
                    jacs[i][row] = backend_to_numpy(gi._data).astype(np.float64).ravel()
            row += 1
    return jacs


def backend_to_numpy(a):
    return a if isinstance(a, np.ndarray) else a.get()


def gradcheck(
    fn,
    inputs,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> bool:
    """Check the gradients of ``fn`` at ``inputs`` against central differences.

    Floating-point inputs are copied to float64 first. For every input that requires
    grad, each entry of the analytic Jacobian (autograd) must satisfy
    ``|analytic - numerical| <= atol + rtol * |numerical|``.

    Parameters
    ----------
    fn : callable
        Takes the inputs, returns a Tensor or a tuple of Tensors.
    inputs : Tensor or tuple
        Arguments of ``fn``; Tensors with ``requires_grad=True`` are checked.
    eps : float
        Finite-difference step.
    atol, rtol : float
        Absolute and relative tolerance.
    raise_exception : bool
        Raise :class:`GradcheckError` on a mismatch (else return False).

    Returns
    -------
    bool
        True when the gradients match.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.autograd import gradcheck
    >>> x = minigrad.randn(3, dtype=minigrad.float64, requires_grad=True)
    >>> gradcheck(lambda t: (t.sin() * t).sum(), (x,))
    True
    """
    xs = _prepare(inputs)
    wrt = [i for i, x in enumerate(xs) if getattr(x, "requires_grad", False)]
    if not wrt:
        raise ValueError("gradcheck: no input requires grad")
    analytic = _analytic(fn, xs, wrt)
    for i in wrt:
        num = _numerical(fn, xs, i, eps)
        ana = analytic[i]
        if num.shape != ana.shape:
            num = num.reshape(ana.shape)
        err = np.abs(ana - num)
        bad = err > atol + rtol * np.abs(num)
        if bad.any():
            r, c = np.unravel_index(np.argmax(err - (atol + rtol * np.abs(num))), err.shape)
            msg = (
                f"gradcheck: Jacobian mismatch for input {i} (shape {tuple(xs[i].shape)}): "
                f"{int(bad.sum())} of {bad.size} entries differ; worst at output element {r}, "
                f"input element {c}: analytic {ana[r, c]:.8g} vs numerical {num[r, c]:.8g}"
            )
            if raise_exception:
                raise GradcheckError(msg)
            return False
    return True


def gradgradcheck(
    fn,
    inputs,
    grad_outputs=None,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> bool:
    """Check second derivatives: :func:`gradcheck` of the gradient of ``fn``.

    The function checked maps ``(inputs, grad_outputs)`` to
    ``grad(fn(inputs), inputs, grad_outputs, create_graph=True)``, so both the
    dependence on the inputs and on the incoming gradient are tested.

    Parameters
    ----------
    fn : callable
        Takes the inputs, returns a Tensor or a tuple of Tensors.
    inputs : Tensor or tuple
        Arguments of ``fn``.
    grad_outputs : Tensor or tuple, optional
        Gradients for the outputs (random, seeded, by default).
    eps, atol, rtol : float
        As in :func:`gradcheck`.
    raise_exception : bool
        Raise on a mismatch (else return False).

    Returns
    -------
    bool

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.autograd import gradgradcheck
    >>> x = minigrad.randn(3, dtype=minigrad.float64, requires_grad=True)
    >>> gradgradcheck(lambda t: (t.tanh() * t).sum(), (x,))
    True
    """
    from minigrad.autograd.engine import grad
    from minigrad.tensor import Tensor

    xs = _prepare(inputs)
    n = len(xs)
    outs = _outputs(fn, xs)
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        gos = []
        for o in outs:
            g = rng.standard_normal(o.shape)
            g = o.xp.asarray(g)
            t = Tensor._make(g)
            t.requires_grad = True
            gos.append(t)
    else:
        gos = _prepare(grad_outputs)
        for g in gos:
            g.requires_grad = True
    wrt = [i for i, x in enumerate(xs) if getattr(x, "requires_grad", False)]

    def first_derivative(*args):
        ins, gs = list(args[:n]), list(args[n:])
        outs = _outputs(fn, ins)
        ys = [o for o in outs if o.requires_grad]
        gs = [g for o, g in zip(outs, gs) if o.requires_grad]
        res = grad(ys, [ins[i] for i in wrt], gs, create_graph=True, allow_unused=True)
        return tuple(r for r in res if r is not None)

    return gradcheck(first_derivative, (*xs, *gos), eps, atol, rtol, raise_exception)
