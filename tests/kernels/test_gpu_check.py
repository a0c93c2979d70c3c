"""benchmarks/gpu_check.py: without a GPU it says so in one line and exits 0; with the CuPy
twin its CPU-verifiable parts run and pass."""

import os
import subprocess
import sys

import conftest
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "benchmarks", "gpu_check.py")


def _run(*args):
    env = {k: v for k, v in os.environ.items() if k not in ("MINIGRAD_CUPY_TWIN", "PYTHONPATH")}
    return subprocess.run(
        [sys.executable, SCRIPT, *args], env=env, capture_output=True, text=True, timeout=300
    )


def test_without_a_gpu_says_so_and_exits_0():
    if not conftest.TWIN and conftest.CUDA_SKIP is None:
        pytest.skip("a GPU is present: gpu_check would run in full")
    r = _run()
    assert r.returncode == 0, r.stderr
    lines = r.stdout.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gpu_check: no CUDA GPU"), r.stdout


def test_runs_its_parts_on_the_cupy_twin():
    r = _run("--cupy-twin", "--skip-tests", "--quick")
    assert r.returncode == 0, r.stdout + r.stderr
    out = r.stdout
    assert "CuPy norm kernels vs NumPy: 12/12 within tolerance" in out, out
    assert "W2 CNN train step (b=64): minigrad" in out and "W3 BatchNorm2d" in out, out
    assert out.strip().splitlines()[-1].startswith("overall: PASS"), out


def test_usage_error_exits_2():
    r = _run("--budget", "soon")
    assert r.returncode == 2 and "invalid float value" in r.stderr
