"""Test configuration: every test that takes ``device`` runs on each backend.

``cpu`` always runs; ``cuda`` runs when CuPy and a GPU are present, or on the CPU under
``pytest --cupy-twin`` (a strict CuPy stand-in, ``tests/cupy_twin/``), and is skipped
otherwise. Skips are reported as one line per reason, with a count, at the end.

Options (also for ``benchmarks/gpu_check.py``):

* ``--cupy-twin``: install the twin as ``cupy`` before minigrad imports it; the cuda
  halves then run on NumPy inside a type that refuses NumPy mixing, has only CuPy's
  names, and records host round trips (a cuda test fails if minigrad's op code reads
  device data on the host).
* ``--devices=cuda`` (or ``MINIGRAD_TEST_DEVICES=cuda``): run only the tests of those
  devices (tests without a ``device`` fixture count as ``cpu``).

Modules whose ops have compiled CPU kernels (:mod:`minigrad.jit`) also use the
``cpu_kernels`` fixture (``pytestmark = pytest.mark.usefixtures("cpu_kernels")``): each
of their tests runs once on NumPy's CPU path and once on the Numba kernels. The product
``cuda`` x ``numba`` does not exist (the CPU kernels never run on cuda) and is not
collected.
"""

import os
import pathlib
import sys
from collections import Counter

import numpy as np
import pytest

import minigrad

# The fixture generators import torch, which is not a test dependency, and the twin's
# name dump imports the real CuPy: never collect them.
collect_ignore_glob = ["fixtures/*.py", "cupy_twin/make_names.py", "cupy_twin/boot/*.py"]

HERE = pathlib.Path(__file__).resolve().parent
_THIS = sys.modules[__name__]  # this module (the name "conftest" may be rebound later)
FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")
INSTALL_HINT = 'pip install "minigrad-lab[cuda12]"'


def pytest_addoption(parser):
    parser.addoption(
        "--cupy-twin",
        action="store_true",
        help="run the cuda half of the device tests on the CPU with a strict CuPy stand-in",
    )
    parser.addoption(
        "--devices",
        default=os.environ.get("MINIGRAD_TEST_DEVICES", "cpu,cuda"),
        help="comma-separated devices whose tests run (default cpu,cuda; "
        "env MINIGRAD_TEST_DEVICES)",
    )


def _cuda_reason():
    try:
        import cupy  # noqa: F401
    except ImportError:
        return f"CuPy is not installed ({INSTALL_HINT})"
    if not minigrad.cuda.is_available():
        return "CuPy is installed but no CUDA GPU is available"
    return None


CUDA_SKIP = None  # set by pytest_configure: why cuda tests skip (None: they run)
TWIN = False  # whether the CuPy twin stands in for CuPy


def pytest_configure(config):
    global CUDA_SKIP, TWIN
    # -ra would list every skipped test (hundreds of cuda halves on a machine without a
    # GPU): "a" here means all but the skips, which pytest_terminal_summary counts by
    # reason instead. An explicit -rs still lists them one by one.
    chars = config.option.reportchars or ""
    if "a" in chars or "A" in chars:
        config.option.reportchars = chars.replace("a", "fEXx").replace("A", "fEXxpP")
    if config.getoption("--cupy-twin"):
        sys.path.insert(0, os.path.dirname(__file__))
        import cupy_twin

        cupy_twin.install()
        TWIN = True
        # Python subprocesses of the tests get the twin too (cupy_twin/boot/sitecustomize.py)
        boot = os.path.join(os.path.dirname(__file__), "cupy_twin", "boot")
        paths = [boot] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
        os.environ["PYTHONPATH"] = os.pathsep.join(paths)
        os.environ["MINIGRAD_CUPY_TWIN"] = "1"
    CUDA_SKIP = _cuda_reason()


def pytest_collectstart(collector):
    """Test modules here and in the folders below (but tests/distributed/, which has its
    own) do ``from conftest import ...``: the name ``conftest`` must mean this file when
    they are imported, although pytest rebinds it to each folder's conftest it loads."""
    path = getattr(collector, "path", None)
    if (
        isinstance(collector, pytest.Module)
        and path is not None
        and HERE in path.parents
        and path.relative_to(HERE).parts[0] != "distributed"
    ):
        sys.modules["conftest"] = _THIS


def pytest_collection_modifyitems(config, items):
    wanted = {d.strip() for d in config.getoption("--devices").split(",") if d.strip()}
    keep, dropped = [], []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        dev = params.get("device", "cpu")
        if dev == "cuda" and params.get("cpu_kernels") == "numba":
            continue  # no such combination (see the module docstring)
        (keep if dev in wanted else dropped).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
    items[:] = keep


@pytest.fixture(params=["cpu", "cuda"])
def device(request):
    """The device a test body runs on."""
    if request.param == "cuda" and CUDA_SKIP:
        pytest.skip(f"cuda: {CUDA_SKIP}")
    return minigrad.device(request.param)


JIT_SKIP = None if minigrad.jit.available() else 'not installed (pip install "minigrad-lab[jit]")'


@pytest.fixture(params=["numpy", "numba"])
def cpu_kernels(request):
    """Which CPU code path the test runs: NumPy's, or the compiled Numba kernels. The
    ``numba`` half is skipped (reason shown) without Numba; on cuda it does not exist."""
    if request.param == "numba" and JIT_SKIP:
        pytest.skip(f"numba: Numba is {JIT_SKIP}")
    from minigrad.ops import impl

    before = dict(impl.COUNTS)
    with minigrad.jit.enabled_as(request.param == "numba"):
        yield request.param
    # what ran, as the implementation selector recorded it (grad_fn.impl)
    ran = {k: impl.COUNTS[k] - before[k] for k in before}
    if request.param == "numba" and not ran[impl.COMPILED] and ran[impl.NUMPY]:
        NO_COMPILED_RUN.append(request.node.nodeid)


NO_COMPILED_RUN = []
"""Tests whose ``numba`` half ran fused ops but no compiled kernel (every op took the
NumPy code: a dtype or window size the kernels do not take), so that half repeats the
``numpy`` one; listed at the end of the run."""


# ------------------------------------------------------------ host round trips (twin)
MINIGRAD_DIR = os.path.dirname(os.path.abspath(minigrad.__file__)) + os.sep

HOST_READS_ALLOWED = {
    # (file under minigrad/, function or "*"): reads the user asked for
    ("tensor.py", "item"),
    ("tensor.py", "tolist"),
    ("tensor.py", "numpy"),
    ("tensor.py", "__float__"),
    ("tensor.py", "__int__"),
    ("tensor.py", "__bool__"),
    ("tensor.py", "__index__"),
    ("tensor.py", "__repr__"),
    ("tensor.py", "__format__"),
    ("tensor.py", "__array__"),
    ("backend.py", "to_device"),
    ("autograd/checks.py", "*"),  # gradcheck: finite differences on the host, by design
    ("autograd/anomaly.py", "*"),  # detect_anomaly: a debugging mode that checks values
    ("serialization.py", "*"),
    ("viz.py", "*"),
    ("cli.py", "*"),
    ("distributed/collectives.py", "_host"),  # MPI backend: staged through host memory
}
"""Host reads of device data that minigrad makes on the user's request. Any other
whole-array copy to the host (``.get()``, ``.tolist()``) inside minigrad during a cuda
test is a host round trip: the test fails, naming the line. Scalar reads for control
flow or validation (``bool``, ``int``, ``float``, ``.item()``) stall the GPU but are
not wrong: they are counted and listed at the end of the run."""

DEVICE_SYNCS = Counter()  # call site -> count, of scalar reads in minigrad's op code


def _op_host_reads(transfers):
    """The round trips (whole-array copies) among ``transfers``; scalar reads go to
    :data:`DEVICE_SYNCS`."""
    copies = []
    for direction, what, site in transfers:
        if direction != "d2h" or not site.startswith(MINIGRAD_DIR):
            continue
        path, _, rest = site[len(MINIGRAD_DIR) :].partition(":")
        func = rest.partition("(")[2].rstrip(")")
        if (path, func) in HOST_READS_ALLOWED or (path, "*") in HOST_READS_ALLOWED:
            continue
        if path.startswith("experiments" + os.sep):
            continue  # the laboratory reports numbers: reading them is its job
        if what in ("ndarray.get()", "ndarray.tolist()", "ndarray.tobytes()"):
            copies.append(f"{what} at minigrad/{path}:{rest}")
        else:
            DEVICE_SYNCS[f"{what} at minigrad/{path}:{rest}"] += 1
    return copies


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    params = getattr(getattr(item, "callspec", None), "params", {})
    if not TWIN:
        yield
        return
    import cupy_twin

    start = len(cupy_twin.TRANSFERS)
    outcome = yield
    if params.get("device") != "cuda":
        del cupy_twin.TRANSFERS[start:]
        return
    bad = _op_host_reads(cupy_twin.TRANSFERS[start:])
    del cupy_twin.TRANSFERS[start:]
    if bad and outcome.excinfo is None:
        sites = "\n  ".join(sorted(set(bad)))
        outcome.force_exception(
            AssertionError(f"--cupy-twin: minigrad copied device data to the host:\n  {sites}")
        )


# ------------------------------------------------------------ skip summary
def pytest_terminal_summary(terminalreporter):
    """One line per skip reason, with its count (instead of one line per test)."""
    reasons = Counter()
    for rep in terminalreporter.stats.get("skipped", []):
        longrepr = rep.longrepr
        reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        reasons[reason.removeprefix("Skipped: ")] += 1
    if reasons:
        terminalreporter.write_sep("=", "skips by reason")
        for reason, n in reasons.most_common():
            terminalreporter.write_line(f"SKIPPED {n:5d}  {reason}")
    if NO_COMPILED_RUN:
        terminalreporter.write_sep("=", "cpu_kernels=numba halves that ran no compiled kernel")
        for nodeid in NO_COMPILED_RUN:
            terminalreporter.write_line(nodeid)
    if DEVICE_SYNCS:
        terminalreporter.write_sep("=", "--cupy-twin: scalar reads of device data in op code")
        terminalreporter.write_line(
            "(each stalls a GPU until the queued work is done; calls in cuda tests)"
        )
        for site, n in DEVICE_SYNCS.most_common():
            terminalreporter.write_line(f"{n:6d}  {site}")


@pytest.fixture(autouse=True)
def _seed():
    minigrad.manual_seed(0)
    yield


def to_numpy(t):
    """A tensor's (or array's) values as a NumPy array, from any device."""
    a = t._data if isinstance(t, minigrad.Tensor) else t
    return a if isinstance(a, np.ndarray) else a.get()


def norm_case_outputs(fn, shape, k, dtype, seed=0):
    """Output and every gradient of ``fn(x, weight, bias)`` (a normalization case: ``x`` of
    ``shape``, ``k`` weights and biases) on fixed random data, as arrays of ``dtype``."""
    rng = np.random.default_rng(seed)
    x = minigrad.tensor((rng.standard_normal(shape) * 2 + 3).astype(dtype), requires_grad=True)
    w = minigrad.tensor(rng.standard_normal(k).astype(dtype), requires_grad=True)
    b = minigrad.tensor(rng.standard_normal(k).astype(dtype), requires_grad=True)
    y = fn(x, w, b)
    y.backward(minigrad.tensor(rng.standard_normal(y.shape).astype(dtype)))
    return [to_numpy(t) for t in (y.detach(), x.grad, w.grad, b.grad) if t is not None]


def assert_compiled_matches_numpy(cases, dtype, tol, seed=0, same_dtype=False):
    """Each normalization case ``(name, fn, shape, k)`` on the NumPy path and on the
    compiled kernels: the same outputs and gradients within ``tol`` (compared in float64);
    with ``same_dtype``, all of them in ``dtype`` too."""
    for name, fn, shape, k in cases:
        with minigrad.jit.enabled_as(False):
            ref = norm_case_outputs(fn, shape, k, dtype, seed)
        with minigrad.jit.enabled_as(True):
            got = norm_case_outputs(fn, shape, k, dtype, seed)
        assert len(ref) == len(got), name
        for a, b in zip(ref, got):
            if same_dtype:
                assert a.dtype == b.dtype == np.dtype(dtype), name
            a, b = a.astype(np.float64), b.astype(np.float64)
            np.testing.assert_allclose(b, a, rtol=tol, atol=tol, err_msg=name)


def assert_same_bits_at_thread_counts(child, cpu_kernels, counts=("1", "2")):
    """Run the Python source ``child`` (which prints a digest of its results) in a fresh
    process for each thread count, with BLAS's and minigrad's threads set to it and the
    compiled kernels on or off as ``cpu_kernels`` says; every process must print the same."""
    import subprocess

    jit = "1" if cpu_kernels == "numba" else "0"
    digests = set()
    for n in counts:
        env = dict(os.environ, MINIGRAD_JIT=jit, MINIGRAD_NUM_THREADS=n)
        env.update(OPENBLAS_NUM_THREADS=n, OMP_NUM_THREADS=n, MKL_NUM_THREADS=n)
        r = subprocess.run([sys.executable, "-c", child], env=env, capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        digests.add(r.stdout.strip())
    assert len(digests) == 1, digests


def assert_raw_backward_matches(fn, leaves):
    """The raw-array first-order backward (``Function.raw_backward``) and the Tensor
    formulas (``create_graph=True``) give ``fn(*leaves)``'s gradients bit for bit, with
    the same dtypes and shapes; returns the first-order gradients."""

    def grads(create_graph):
        out = fn(*leaves)
        g = np.linspace(-1, 1, out._data.size).reshape(out.shape).astype(out.dtype) + 0.25
        g = minigrad.tensor(g, device=out.device)
        return minigrad.grad(out, leaves, g, create_graph=create_graph)

    raw, ten = grads(False), grads(True)
    for r, t in zip(raw, ten):
        assert isinstance(r, minigrad.Tensor) and r.grad_fn is None
        assert r.dtype == t.dtype and r.shape == t.shape
        np.testing.assert_array_equal(to_numpy(r), to_numpy(t.detach()))
    return raw


def load_fixture(name):
    """Load ``tests/fixtures/<name>.npz`` (made by ``tests/fixtures/make_fixtures.py``)."""
    return np.load(os.path.join(FIXTURES, name + ".npz"), allow_pickle=False)
