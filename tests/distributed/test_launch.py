"""`minigrad train --nproc N` (through mpiexec) equals one process at the global batch."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("mpi4py", reason='needs mpi4py: pip install "minigrad-lab[distributed]"')

import minigrad  # noqa: E402


def _clean_env():
    """The environment without the MPI launcher's variables (a fresh job)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PMI_", "HYDRA", "MPIR"))}
    env["MPIEXEC_TIMEOUT"] = "200"
    return env


def _train(out, *extra):
    cmd = [sys.executable, "-m", "minigrad", "train", "--dataset", "digits", "--model", "mlp"]
    cmd += ["--width", "32", "--depth", "2", "--norm", "syncbatch", "--epochs", "1"]
    cmd += ["--max-steps", "12", "--progress", "none", "--seed", "3", "--out", str(out), *extra]
    r = subprocess.run(cmd, capture_output=True, text=True, env=_clean_env(), timeout=300)
    assert r.returncode == 0, r.stderr
    return r.stdout, json.loads((out / "result.json").read_text())


def test_nproc_equals_one_process_at_the_global_batch(tmp_path):
    if int(os.environ.get("PMI_RANK", "0")) != 0:
        return  # under a multi-rank test run, rank 0 alone launches the sub-jobs
    mpiexec = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    if not os.path.exists(mpiexec):
        pytest.skip(f"no mpiexec next to {sys.executable}")
    out1, r1 = _train(tmp_path / "one", "--batch-size", "16")
    out2, r2 = _train(tmp_path / "two", "--batch-size", "8", "--nproc", "2")
    assert out2.count("test acc") == 1  # rank 0 alone reports
    assert (r1["world_size"], r1["global_batch_size"]) == (1, 16)
    assert (r2["world_size"], r2["global_batch_size"]) == (2, 16)
    assert r1["steps"] == r2["steps"] == 12
    a = minigrad.load(str(tmp_path / "one" / "model.ckpt"))
    b = minigrad.load(str(tmp_path / "two" / "model.ckpt"))
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_allclose(b[k]._data, a[k]._data, rtol=1e-4, atol=1e-5, err_msg=k)
    assert abs(r1["final"]["test_acc"] - r2["final"]["test_acc"]) < 0.01
