"""Choosing an implementation: which code runs a fused op's passes, decided in one place.

Each fused op family (convolution, pooling, normalization, ReLU, the losses) has up to
three implementations of the same passes, side by side:

* ``"numpy"``: the array code written against the backend module ``xp``, on NumPy;
* ``"cpu-compiled"``: the compiled CPU loops of the family's ``*_jit`` module (Numba,
  :mod:`minigrad.jit`), for the inputs its ``supports`` predicate takes;
* ``"cupy"``: the code for CuPy arrays (the same ``xp`` code, and fused CuPy kernels
  where the family has them).

A family is a :class:`Family`: a name and one ``supports(*arrays, **details)`` predicate
per implementation. :func:`select` makes the choice from the data's device
(:func:`minigrad.backend.array_module`), the settings (:func:`minigrad.jit.enabled`) and
those predicates; :func:`choose` also records it on the graph node as ``fn.impl``, so a
test, :mod:`minigrad.viz` and a reader can see which path ran (``grad_fn.impl``). This
follows Chainer's ``_impl_selector`` (``chainer.functions.normalization``).

Examples
--------
>>> import minigrad
>>> x = minigrad.randn(2, 3, requires_grad=True)
>>> with minigrad.jit.enabled_as(False):
...     minigrad.relu(x).grad_fn.impl
'numpy'
"""

from __future__ import annotations

import numpy as np

from minigrad import backend, jit

__all__ = ["NUMPY", "COMPILED", "CUPY", "Family", "family", "select", "choose"]

NUMPY = "numpy"
COMPILED = "cpu-compiled"
CUPY = "cupy"
NAMES = (NUMPY, COMPILED, CUPY)

_FAMILIES = {}


def _always(*arrays, **details):
    return True


class Family:
    """One fused op family's implementations, each with its ``supports`` predicate.

    ``supports[name](*arrays, **details)`` says whether implementation ``name`` takes
    these inputs (dtypes, window sizes, ...); ``"numpy"`` and ``"cupy"`` take every input
    unless registered otherwise, ``"cpu-compiled"`` none until its kernels register.

    Examples
    --------
    >>> from minigrad.ops.impl import Family
    >>> fam = Family("double")
    >>> fam.register("cpu-compiled", lambda x: x.dtype.kind == "f")
    >>> sorted(fam.supports)
    ['cpu-compiled', 'cupy', 'numpy']
    """

    def __init__(self, name):
        self.name = name
        self.supports = {NUMPY: _always, CUPY: _always}

    def register(self, impl, supports=_always):
        """Register implementation ``impl`` (one of ``"numpy"``, ``"cpu-compiled"``,
        ``"cupy"``) with its predicate."""
        if impl not in NAMES:
            raise ValueError(
                f"Family {self.name!r}: unknown implementation {impl!r}, expected one of {NAMES}"
            )
        self.supports[impl] = supports

    def __repr__(self):
        return f"Family({self.name!r}, {sorted(self.supports)})"


def family(name):
    """The :class:`Family` called ``name`` (created on first use, then shared: the op
    module and its kernel module register into the same one).

    Examples
    --------
    >>> from minigrad.ops.impl import family
    >>> family("pool") is family("pool")
    True
    """
    fam = _FAMILIES.get(name)
    if fam is None:
        fam = _FAMILIES[name] = Family(name)
    return fam


def select(fam, *arrays, **details):
    """The implementation that runs ``fam``'s pass on ``arrays``: ``"cupy"`` for CuPy
    arrays; on NumPy ``"cpu-compiled"`` when :func:`minigrad.jit.enabled` and its
    predicate takes the inputs, else ``"numpy"``. ``details`` go to the predicates.

    Examples
    --------
    >>> import numpy as np
    >>> import minigrad
    >>> from minigrad.ops.impl import family, select
    >>> with minigrad.jit.enabled_as(False):
    ...     select(family("relu"), np.zeros(3, np.float32))
    'numpy'
    """
    if backend.array_module(arrays[0]) is not np:
        return CUPY
    compiled = fam.supports.get(COMPILED)
    if compiled is not None and jit.enabled() and compiled(*arrays, **details):
        return COMPILED
    return NUMPY


def choose(fn, fam, *arrays, **details):
    """:func:`select`, recorded on the Function ``fn`` as ``fn.impl`` (its graph node's
    ``grad_fn.impl``); returns the name.

    Examples
    --------
    >>> import numpy as np
    >>> from minigrad.autograd.function import Function
    >>> from minigrad.ops.impl import choose, family
    >>> fn = Function()
    >>> choose(fn, family("loss"), np.zeros(2)), fn.impl
    ('numpy', 'numpy')
    """
    name = fn.impl = select(fam, *arrays, **details)
    COUNTS[name] += 1
    return name


COUNTS = dict.fromkeys(NAMES, 0)
"""How many times :func:`choose` picked each implementation since the process started
(read by the tests: the compiled half of a kernel test must run compiled code)."""
