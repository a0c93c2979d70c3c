"""Install the CuPy twin in Python subprocesses of a ``pytest --cupy-twin`` run.

The conftest puts this folder on ``PYTHONPATH`` and sets ``MINIGRAD_CUPY_TWIN=1``, so a
test that starts ``python -c ...`` or the ``minigrad`` command sees the same twin as the
test process (Python imports ``sitecustomize`` at startup).
"""

import os
import sys

if os.environ.get("MINIGRAD_CUPY_TWIN") == "1":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    import cupy_twin

    cupy_twin.install()
