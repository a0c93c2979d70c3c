"""Grids on executors: serial and Dask give the same runs; faults lose and duplicate nothing.

Every cluster here is a real ``LocalCluster`` of worker *processes* (two, as CI has two
cores), closed by the test; futures are waited on with a timeout so a bug hangs no job.
"""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from minigrad.experiments import RunConfig, expand_grid, read_results, run_grid
from minigrad.experiments import executor as executor_mod
from minigrad.experiments import grid as grid_mod
from minigrad.experiments.executor import (
    CLUSTER_HINT,
    DaskExecutor,
    ExecutorError,
    SerialExecutor,
    make_executor,
)

distributed = pytest.importorskip("distributed")
psutil = pytest.importorskip("psutil")

TINY = RunConfig(
    model="mlp", norm="none", width=8, depth=1, subset=64, test_subset=64, epochs=1, batch_size=16
)
#: Seconds any grid here may take before the test fails (instead of hanging).
TIMEOUT = 240
METRICS = ("train_loss", "train_acc", "test_loss", "test_acc", "train_loss_eval", "train_acc_eval")
ROOT = Path(__file__).resolve().parents[2]


def quiet(line):
    pass


def lines_of(out):
    return [json.loads(x) for x in (Path(out) / "results.jsonl").read_text().splitlines()]


def slow_run(config, run_dir, progress):
    """A run that takes long enough to be killed in the middle."""
    time.sleep(0.4)
    return grid_mod._run_one(config, run_dir, progress)


def raising_run(config, run_dir, progress):
    if config.seed == 5:
        raise RuntimeError("injected failure")
    return grid_mod._run_one(config, run_dir, progress)


def worker_profile_interval():
    import dask

    return dask.config.get("distributed.worker.profile.interval")


def cache_loads():
    from minigrad.experiments import datasets

    return {repr(k): n for k, n in datasets._LOADS.items()}


@pytest.fixture(autouse=True)
def _by_value():
    # worker processes unpickle this module's functions by value (no import of the test)
    import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    yield
    cloudpickle.unregister_pickle_by_value(sys.modules[__name__])


def assert_gone(pids, timeout=30):
    procs = [psutil.Process(p) for p in pids if psutil.pid_exists(p)]
    _, alive = psutil.wait_procs(procs, timeout=timeout)
    for p in alive:
        p.kill()
    assert not alive, f"leaked worker processes {[p.pid for p in alive]}"


def test_local_cluster_grid_equals_serial_grid_run_for_run(tmp_path, monkeypatch):
    from minigrad.experiments import datasets

    # this process's data cache starts empty, as a worker's does (earlier tests filled it)
    monkeypatch.setattr(datasets, "_CACHE", {})
    monkeypatch.setattr(datasets, "_LOADS", {})
    configs = expand_grid(TINY, norm=["none", "batch"], seed=[0, 1, 2])
    serial = run_grid(configs, tmp_path / "serial", progress="none", log=quiet)
    with DaskExecutor.local(workers=2, log=quiet) as ex:
        pids = ex.worker_pids()
        assert len(pids) == 2 and os.getpid() not in pids.values()
        local = run_grid(
            configs, tmp_path / "local", progress="none", log=quiet, executor=ex, timeout=TIMEOUT
        )
        # each worker loaded the data set at most once, for all of its runs (a worker the
        # scheduler gave no run loaded nothing), and between them the workers loaded it
        loads = ex.client.run(cache_loads).values()
        assert all(n == 1 for per_worker in loads for n in per_worker.values())
        assert set().union(*loads) == set(cache_loads())
        # BLAS and the compiled kernels run one thread per worker
        env = ex.client.run(lambda: os.environ.get("MINIGRAD_NUM_THREADS"))
        assert set(env.values()) == {"1"}
        # and Dask's profiler samples them every 100 ms, not every 10 (executor.WORKER_CONFIG)
        interval = ex.client.run(worker_profile_interval)
        assert set(interval.values()) == {"100ms"}
    assert_gone(pids.values())
    assert (
        [r["run_id"] for r in local]
        == [r["run_id"] for r in serial]
        == [c.run_id() for c in configs]
    )
    for a, b in zip(serial, local):
        assert a["status"] == b["status"] == "ok"
        for key in METRICS:
            assert a["final"][key] == b["final"][key], (a["run_id"], key)
        assert [h["train_loss"] for h in a["history"]] == [h["train_loss"] for h in b["history"]]
    # the file, put back in grid order, is the same list of runs
    assert [r["run_id"] for r in lines_of(tmp_path / "local")] == [c.run_id() for c in configs]


def test_killed_worker_reruns_elsewhere_every_run_once(tmp_path):
    configs = expand_grid(TINY, seed=list(range(8)))
    killed = {}
    with DaskExecutor.local(workers=2, log=quiet) as ex:
        pids = ex.worker_pids()

        def kill_a_busy_worker():
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not killed:
                busy = {a: k for a, k in ex.client.processing().items() if k}
                if busy:
                    time.sleep(0.2)  # in the middle of a run
                    addr = sorted(busy)[0]
                    os.kill(pids[addr], signal.SIGKILL)
                    killed[addr] = pids[addr]
                time.sleep(0.05)

        killer = threading.Thread(target=kill_a_busy_worker, daemon=True)
        killer.start()
        records = run_grid(
            configs,
            tmp_path,
            run_fn=slow_run,
            progress="none",
            log=quiet,
            executor=ex,
            timeout=TIMEOUT,
        )
        killer.join(5)
        pids_after = ex.worker_pids()
    assert killed, "no worker was killed"
    assert not psutil.pid_exists(next(iter(killed.values()))) or (
        psutil.Process(next(iter(killed.values()))).status() == psutil.STATUS_ZOMBIE
    )
    assert_gone(pids_after.values())
    lines = lines_of(tmp_path)
    ids = [r["run_id"] for r in lines]
    assert sorted(ids) == sorted(c.run_id() for c in configs)
    assert len(ids) == len(set(ids)) == 8  # every run exactly once
    assert [r["status"] for r in records] == ["ok"] * 8


def start_and_stop(cmd, results, lines, sig):
    """Start the CLI in its own process group, send ``sig`` (to the whole group, as a
    terminal's Ctrl-C does, or to the driver alone for SIGKILL) once ``results`` holds
    ``lines`` lines; return ``(exit code, stderr, pids of its worker processes)``."""
    driver = subprocess.Popen(
        cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip
    try:
        children = []
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline and driver.poll() is None:
            children = psutil.Process(driver.pid).children(recursive=True) or children
            if results.exists() and len(results.read_text().splitlines()) >= lines:
                break
            time.sleep(0.05)
        assert driver.poll() is None, "the grid finished before it could be stopped"
        if sig == signal.SIGINT:
            os.killpg(driver.pid, sig)
        else:
            os.kill(driver.pid, sig)
        _, err = driver.communicate(timeout=60)
    finally:
        if driver.poll() is None:
            driver.kill()
            driver.wait()
    return driver.returncode, err, [c.pid for c in children]


def test_ctrl_c_then_sigkill_driver_then_rerun_loses_and_duplicates_nothing(tmp_path):
    out = tmp_path / "grid"
    results = out / "results.jsonl"
    cmd = [
        sys.executable, "-m", "minigrad", "compare", "--model", "mlp", "--width", "8",
        "--depth", "1", "--subset", "256", "--test-subset", "64", "--epochs", "5",
        "--norms", "none", "batch", "--batch-sizes", "16", "--seeds", "0", "1", "2", "3", "4",
        "--out", str(out), "--no-report", "--progress", "plain",
        "--executor", "local", "--workers", "2",
    ]  # fmt: skip
    # Ctrl-C: a clean stop (no traceback from the workers), the records kept
    code, err, workers = start_and_stop(cmd, results, 1, signal.SIGINT)
    assert code == 130 and "interrupted; rerun the same command to resume" in err, err
    assert "Traceback" not in err, err
    assert_gone(workers)
    first = {r["run_id"]: r for r in read_results(out)}
    assert 1 <= len(first) < 10
    # SIGKILL of the driver alone: its worker processes notice and exit
    code, _, workers = start_and_stop(cmd, results, len(first) + 2, signal.SIGKILL)
    assert code == -signal.SIGKILL
    assert_gone(workers)
    before = {r["run_id"]: r for r in read_results(out)}
    assert all(before[k] == v for k, v in first.items())
    assert len(first) + 2 <= len(before) < 10
    rerun = subprocess.run(
        cmd[:-4] + ["--executor", "serial"], cwd=ROOT, capture_output=True, text=True,
        timeout=TIMEOUT,
    )  # fmt: skip
    assert rerun.returncode == 0, rerun.stderr
    assert f"{len(before)} of 10 runs already done" in rerun.stdout
    lines = lines_of(out)
    ids = [r["run_id"] for r in lines]
    assert len(ids) == len(set(ids)) == 10  # nothing lost, nothing twice
    for r in lines:  # the runs recorded before the kills were not trained again
        if r["run_id"] in before:
            assert r == before[r["run_id"]]
    assert all(r["status"] == "ok" for r in lines)


def test_raising_run_is_recorded_as_failed_and_the_grid_goes_on(tmp_path):
    configs = [TINY, TINY.replace(seed=5), TINY.replace(norm="batch")]
    logs = []
    with DaskExecutor.local(workers=2, log=quiet) as cluster:
        # the runs go through the `dask` executor: a client of an existing scheduler
        address = cluster.cluster.scheduler_address
        records = run_grid(
            configs, tmp_path, run_fn=raising_run, progress="none", log=logs.append,
            executor="dask", scheduler=address, timeout=TIMEOUT,
        )  # fmt: skip
        assert any(line.startswith(f"Dask scheduler {address}: 2 worker") for line in logs)
        assert "1 failed" in logs[-1]
    assert [r["status"] for r in records] == ["ok", "failed", "ok"]
    failed = records[1]
    assert failed["error"] == "RuntimeError: injected failure"
    assert "raising_run" in failed["traceback"] and "Traceback" in failed["traceback"]
    assert grid_mod.count_failed(records, configs) == 1


def test_cli_exit_code_and_summary_when_runs_failed(tmp_path, monkeypatch, capsys):
    from minigrad.cli import main

    real = grid_mod._run_one

    def run_one(config, run_dir, progress):
        if config.seed == 1:
            raise ValueError("bad luck")
        return real(config, run_dir, progress)

    monkeypatch.setattr(grid_mod, "_run_one", run_one)
    args = [
        "compare", "--model", "mlp", "--width", "8", "--depth", "1", "--subset", "64",
        "--test-subset", "64", "--epochs", "1", "--norms", "none", "--batch-sizes", "16",
        "--seeds", "0", "1", "2", "--out", str(tmp_path), "--no-report", "--progress", "none",
        "--executor", "serial",
    ]  # fmt: skip
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "1 of 3 runs failed" in err and "results.jsonl" in err
    assert [r["status"] for r in read_results(tmp_path)] == ["ok", "failed", "ok"]
    # a rerun tries the failed run again (and only it)
    monkeypatch.setattr(grid_mod, "_run_one", real)
    assert main(args) == 0
    assert [r["status"] for r in read_results(tmp_path)] == ["ok"] * 3
    assert "2 of 3 runs already done" in capsys.readouterr().out


def test_without_dask_grids_are_serial_with_the_hint(tmp_path, monkeypatch, capsys):
    from minigrad.cli import main

    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed fails
    logs = []
    ex = make_executor(None, log=logs.append)
    assert isinstance(ex, SerialExecutor) and logs == [CLUSTER_HINT]
    assert 'pip install "minigrad-lab[cluster]"' in CLUSTER_HINT
    assert isinstance(make_executor("local", log=quiet), SerialExecutor)
    with pytest.raises(ExecutorError, match="needs Dask"):
        make_executor("dask", scheduler="tcp://127.0.0.1:8786")
    args = [
        "compare", "--model", "mlp", "--width", "8", "--depth", "1", "--subset", "64",
        "--test-subset", "64", "--epochs", "1", "--norms", "none", "--batch-sizes", "16",
        "--seeds", "0", "--out", str(tmp_path), "--no-report", "--progress", "none",
    ]  # fmt: skip
    assert main(args) == 0
    out = capsys.readouterr().out
    assert out.count(CLUSTER_HINT) == 1 and "serial executor" in out


def test_executor_usage_errors(capsys):
    from minigrad.cli import main

    with pytest.raises(ExecutorError, match="scheduler address needs the dask executor"):
        make_executor("local", scheduler="tcp://x:1")
    with pytest.raises(ExecutorError, match="needs a scheduler address"):
        make_executor("dask")
    with pytest.raises(ExecutorError, match="workers must be a positive integer"):
        make_executor("local", workers=0)
    assert main(["compare", "--executor", "serial", "--scheduler", "tcp://x:1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "needs the dask executor" in err
    assert executor_mod.usable_cores() >= 1


class RecordingExecutor(SerialExecutor):
    """Runs tasks here, like the serial executor, but says it is a pool (``local``)."""

    name = "local"

    def __init__(self):
        self.started = []

    def map(self, fn, tasks, timeout=None):
        for key, args in tasks:
            self.started.append(args[1].batch_size)
            yield key, fn(*args), None


def test_pools_start_the_longest_runs_first_and_the_file_keeps_grid_order(tmp_path):
    configs = expand_grid(TINY, batch_size=[32, 4, 16], seed=[0, 1])
    ex = RecordingExecutor()
    run_grid(configs, tmp_path, progress="none", log=quiet, executor=ex)
    assert ex.started == [4, 4, 16, 16, 32, 32]  # most steps per sample first
    assert [r["run_id"] for r in lines_of(tmp_path)] == [c.run_id() for c in configs]
    serial = RecordingExecutor()
    serial.name = (
        "serial"  # in this process, runs keep the grid order (per-run lines read in order)
    )
    run_grid(configs, tmp_path / "serial", progress="none", log=quiet, executor=serial)
    assert serial.started == [32, 32, 4, 4, 16, 16]
