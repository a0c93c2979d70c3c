"""benchmarks/run.py's RSS row: a fresh process per framework reports its own peak memory,
and the table shows it in MB with the ratio."""

import importlib.util
import os
import types

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _run_module():
    spec = importlib.util.spec_from_file_location(
        "bench_run", os.path.join(ROOT, "benchmarks", "run.py")
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_rss_is_a_workload_choice():
    run = _run_module()
    assert "RSS" in run.parse_args([]).workloads  # on by default
    assert run.parse_args(["--workloads", "w2,rss"]).workloads == ["W2", "RSS"]


def test_peak_rss_of_a_child_running_w2_on_the_numpy_path():
    """The child imports minigrad (not torch), runs W2 steps and reports its own peak:
    more than Python and NumPy alone (~25 MB) plus a step's arrays, less than a process
    holding PyTorch; a child that fails is reported unavailable with its last error
    line."""
    run = _run_module()
    args = types.SimpleNamespace(no_jit=True, threads=1)
    r = run.peak_rss("minigrad", "cpu", args)
    assert r["status"] == "ok", r
    assert 30 < r["mb"] < 400, r
    bad = run.peak_rss("minigrad", "nodevice", args)
    assert bad["status"] == "unavailable" and bad["reason"], bad


def test_table_shows_megabytes_and_the_ratio(capsys):
    run = _run_module()
    floor = {"matmul_f32_gflops": 1.0, "copy_gbs": 1.0}
    row = {
        "id": "RSS",
        "name": run.RSS_NAME,
        "unit": "mb",
        "minigrad": {"status": "ok", "mb": 150.0},
        "torch": {"status": "ok", "mb": 300.0},
    }
    run.print_table([row], floor, "header")
    line = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("RSS")][0]
    assert line.split()[-3:] == ["150", "300", "0.50x"], line
