"""Helpers shared by the op tests (``tests/test_ops_*.py``): float64 inputs and the
first- and second-order finite-difference checks."""

from conftest import to_numpy

import minigrad as mg
from minigrad.autograd import gradcheck, gradgradcheck

F64 = mg.float64


def both(fn, *inputs, **kw):
    """gradcheck and gradgradcheck (float64 central differences)."""
    assert gradcheck(fn, inputs, **kw)
    assert gradgradcheck(fn, inputs, **kw)


def rand(device, *shape, requires_grad=True):
    """A float64 standard-normal tensor on ``device``."""
    return mg.randn(*shape, dtype=F64, device=device, requires_grad=requires_grad)


def grad_of(out, x, w, device):
    """Gradient of ``sum(out * w)`` with respect to ``x``."""
    (g,) = mg.grad((out * mg.tensor(w, device=device)).sum(), [x])
    return to_numpy(g)
