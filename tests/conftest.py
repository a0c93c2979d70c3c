"""Test configuration: every test that takes ``device`` runs on each backend.

``cpu`` always runs; ``cuda`` runs when CuPy and a GPU are present and is skipped
otherwise, with the reason shown in the summary (``-ra``).

Modules whose ops have compiled CPU kernels (:mod:`minigrad.jit`) also use the
``cpu_kernels`` fixture (``pytestmark = pytest.mark.usefixtures("cpu_kernels")``): each
of their tests runs once on NumPy's CPU path and once on the Numba kernels.
"""

import os

import numpy as np
import pytest

import minigrad

# The fixture generators import torch, which is not a test dependency: never collect them.
collect_ignore_glob = ["fixtures/*.py"]

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")


def _cuda_reason():
    try:
        import cupy  # noqa: F401
    except ImportError:
        return "CuPy is not installed (pip install minigrad[cuda12])"
    if not minigrad.cuda.is_available():
        return "CuPy is installed but no CUDA GPU is available"
    return None


CUDA_SKIP = _cuda_reason()


@pytest.fixture(params=["cpu", "cuda"])
def device(request):
    """The device a test body runs on."""
    if request.param == "cuda" and CUDA_SKIP:
        pytest.skip(f"cuda: {CUDA_SKIP}")
    return minigrad.device(request.param)


JIT_SKIP = None if minigrad.jit.available() else "not installed (pip install minigrad[jit])"


@pytest.fixture(params=["numpy", "numba"])
def cpu_kernels(request):
    """Which CPU code path the test runs: NumPy's, or the compiled Numba kernels. The
    ``numba`` half is skipped (reason shown) without Numba, and on CUDA, where it would
    repeat the ``numpy`` half."""
    if request.param == "numba":
        params = getattr(request.node, "callspec", None)
        if params is not None and params.params.get("device") == "cuda":
            pytest.skip("numba: CPU kernels do not apply on cuda")
        if JIT_SKIP:
            pytest.skip(f"numba: Numba is {JIT_SKIP}")
    with minigrad.jit.enabled_as(request.param == "numba"):
        yield request.param


@pytest.fixture(autouse=True)
def _seed():
    minigrad.manual_seed(0)
    yield


def to_numpy(t):
    """A tensor's (or array's) values as a NumPy array, from any device."""
    a = t.data if isinstance(t, minigrad.Tensor) else t
    return a if isinstance(a, np.ndarray) else a.get()


def load_fixture(name):
    """Load ``tests/fixtures/<name>.npz`` (made by ``tests/fixtures/make_fixtures.py``)."""
    return np.load(os.path.join(FIXTURES, name + ".npz"), allow_pickle=False)
