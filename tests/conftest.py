"""Test configuration: every test that takes ``device`` runs on each backend.

``cpu`` always runs; ``cuda`` runs when CuPy and a GPU are present and is skipped
otherwise, with the reason shown in the summary (``-ra``).
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
