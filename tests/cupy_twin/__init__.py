"""A strict CuPy stand-in for the tests: ``pytest --cupy-twin``.

With the option, ``tests/conftest.py`` calls :func:`install` before minigrad imports
CuPy, so every test that takes the ``device`` fixture also runs its ``cuda`` half, on
the CPU. The twin mirrors CuPy where code that is wrong on a GPU fails:

* **only CuPy's names.** ``cupy``, ``cupy.random``, ``cupy.linalg``, ``cupy.fft``,
  ``cupy.cuda``, ``cupyx`` and ``cupyx.scipy.special`` hold exactly the names of CuPy's
  own namespace (``names.txt``, dumped from the real wheel by ``make_names.py``); a
  NumPy function CuPy lacks is an ``AttributeError``, as on a GPU. The same holds for the
  methods of ``cupy.ndarray`` and ``cupy.random.Generator``. Arguments of CuPy's
  Python-level routines are checked against their signatures (``signatures.json``).
* **a distinct array type.** :class:`~cupy_twin.array.ndarray` is not a NumPy array:
  ``numpy.asarray(a)`` raises ``TypeError`` (CuPy's message), a NumPy array in a CuPy
  routine, ufunc or operator raises ``TypeError``, reductions and scalar indexing return
  0-d device arrays, and ``.get()`` / ``cupy.asnumpy`` give NumPy arrays.
* **host round trips are recorded.** Every device-to-host read (``.get()``, ``float``,
  ``bool``, ``.item()``, ``.tolist()``, ``repr``) is logged in
  :data:`~cupy_twin.array.TRANSFERS` with its call site; ``cupyx.allow_synchronize(False)``
  makes them raise ``cupyx.DeviceSynchronized``; the conftest fails a cuda test whose
  minigrad op code reads device data on the host.
* **user kernels run their NumPy reference** (:mod:`cupy_twin.kernels`).

What it cannot catch (see docs/devices.rst): bugs inside CUDA C kernel code beyond the
simple expressions it translates, streams and asynchrony, device memory (limits,
fragmentation, leaks), multiple GPUs, and performance.

Examples
--------
>>> import cupy_twin
>>> cp = cupy_twin.build()["cupy"]
>>> a = cp.arange(3.0)
>>> type(a.sum()).__name__, float(a.sum())
('ndarray', 3.0)
>>> import numpy as np
>>> np.asarray(a)
Traceback (most recent call last):
    ...
TypeError: Implicit conversion to a NumPy array is not allowed. ...
"""

from __future__ import annotations

import sys

from .array import TRANSFERS
from .kernels import REFERENCES
from .names import VERSION
from .namespace import build

__all__ = ["install", "build", "TRANSFERS", "REFERENCES", "VERSION"]


def install():
    """Put the twin in ``sys.modules`` as ``cupy`` and ``cupyx`` (and their submodules).
    Must run before anything imports the real CuPy."""
    if "cupy" in sys.modules and not getattr(sys.modules["cupy"], "__twin__", False):
        raise RuntimeError("--cupy-twin: the real CuPy is already imported")
    mods = build()
    sys.modules.update(mods)
    for name, mod in mods.items():  # parent.child attributes, as an import would set
        parent, _, child = name.rpartition(".")
        if parent in mods:
            setattr(mods[parent], child, mod)
    return mods["cupy"]
