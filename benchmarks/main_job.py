"""The README's main job (``minigrad compare``), serial vs the local Dask executor, beside the
same grid written as a plain PyTorch script, and Dask's overhead per run; in one run.

Usage::

    python benchmarks/main_job.py                 # everything (a few minutes on 2 cores)
    python benchmarks/main_job.py --skip-torch    # without the PyTorch script
    python benchmarks/main_job.py --json out.json

Phases, one after another on the same machine (the load average is printed with each):

1. ``minigrad compare --executor serial`` (the default grid: 45 runs), wall time of the
   whole command;
2. ``minigrad compare`` (no options: the local executor, one worker process per core);
3. the same 45 runs as a plain PyTorch script in one process (``--torch-grid``: the same
   model, data, batches, steps, learning rates and evaluations), once with torch's default
   threads and once with one thread (its tiny ops often run faster on one); the goal is
   measured against the faster of the two;
4. Dask's overhead per run: a grid of no-op runs (each returning a record the size of a
   real one) through ``run_grid`` on the local executor with one worker, minus the same grid
   on the serial executor (which pays the same fsync per record).

torch is a benchmark-only dependency; minigrad never imports it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# this checkout's minigrad, and not benchmarks/distributed.py in place of Dask's `distributed`
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "benchmarks"]
NORMS = ["none", "batch", "layer", "group", "instance"]
BATCH_SIZES = [4, 16, 64]
SEEDS = [0, 1, 2]
EPOCHS, BASE_LR, MOMENTUM, WIDTH, GROUPS = 6, 0.05, 0.9, 8, 4


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.2f}/{five:.2f}"


def timed(cmd, **kw):
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, **kw)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return wall, proc.stdout + proc.stderr


def grid_seconds(output: str):
    m = re.search(r"grid: \d+ runs in ([\d.]+) s", output)
    return float(m.group(1)) if m else None


# --------------------------------------------------------------------- PyTorch version
def torch_grid(threads=None) -> None:
    """The default ``minigrad compare`` grid in plain PyTorch, one process."""
    import numpy as np
    import torch

    if threads:
        torch.set_num_threads(threads)
    from torch import nn
    from torch.nn import functional as F

    from minigrad.experiments.datasets import load_arrays

    d = load_arrays("digits", seed=0)
    x_train, y_train = torch.from_numpy(d.x_train), torch.from_numpy(d.y_train)
    x_test, y_test = torch.from_numpy(d.x_test), torch.from_numpy(d.y_test)

    def norm(kind, c, hw):
        return {
            "none": lambda: nn.Identity(),
            "batch": lambda: nn.BatchNorm2d(c),
            "layer": lambda: nn.LayerNorm((c, hw, hw)),
            "group": lambda: nn.GroupNorm(GROUPS, c),
            "instance": lambda: nn.InstanceNorm2d(c, affine=True),
        }[kind]()

    def model(kind):
        w = WIDTH
        return nn.Sequential(
            nn.Conv2d(1, w, 3, padding=1), norm(kind, w, 8), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(w, 2 * w, 3, padding=1), norm(kind, 2 * w, 4), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(2 * w * 2 * 2, 10),
        )  # fmt: skip

    def evaluate(net, x, y):
        net.eval()
        loss, correct = 0.0, 0
        with torch.no_grad():
            for i in range(0, len(x), 512):
                logits = net(x[i : i + 512])
                loss += float(F.cross_entropy(logits, y[i : i + 512], reduction="sum"))
                correct += int((logits.argmax(1) == y[i : i + 512]).sum())
        net.train()
        return loss / len(x), correct / len(x)

    t0 = time.perf_counter()
    for bs in BATCH_SIZES:
        for kind in NORMS:
            for seed in SEEDS:
                torch.manual_seed(seed)
                rng = np.random.default_rng(seed)
                net = model(kind)
                opt = torch.optim.SGD(net.parameters(), lr=BASE_LR * bs / 32, momentum=MOMENTUM)
                steps = len(x_train) // bs
                for _ in range(EPOCHS):
                    order = torch.from_numpy(rng.permutation(len(x_train)))
                    for i in range(steps):
                        idx = order[i * bs : (i + 1) * bs]
                        logits = net(x_train[idx])
                        loss = F.cross_entropy(logits, y_train[idx])
                        opt.zero_grad()
                        loss.backward()
                        opt.step()
                        _ = (
                            float(loss.item()),
                            float((logits.argmax(1) == y_train[idx]).float().mean()),
                        )
                    evaluate(net, x_test, y_test)
                evaluate(net, x_train, y_train)
    n = len(BATCH_SIZES) * len(NORMS) * len(SEEDS)
    wall = time.perf_counter() - t0
    print(f"torch grid ({torch.get_num_threads()} threads): {n} runs in {wall:.1f} s")


# ----------------------------------------------------------------------- Dask overhead
def noop_run(config, run_dir, progress):
    """A run that trains nothing and returns a record the size of a real one."""
    return dict(json.loads(NOOP_RECORD[0]), run_id=config.run_id(), config=config.to_dict())


NOOP_RECORD = [""]  # a real record as JSON text (sent with the function to the workers)


def dask_overhead(n: int, record: dict) -> dict:
    from minigrad.experiments import RunConfig, expand_grid, run_grid
    from minigrad.experiments.executor import make_executor

    NOOP_RECORD[0] = json.dumps(record)
    configs = expand_grid(RunConfig(), seed=list(range(n)))
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        run_grid(configs, Path(tmp) / "s", run_fn=noop_run, progress="none", log=lambda s: None)
        out["noop_serial_s"] = time.perf_counter() - t0
        for workers in (1, 2):
            with make_executor("local", workers=workers, log=lambda s: None) as ex:
                list(ex.map(abs, [(f"warm-{i}", (i,)) for i in range(workers)]))  # started
                t0 = time.perf_counter()
                run_grid(
                    configs, Path(tmp) / f"l{workers}", run_fn=noop_run, progress="none",
                    log=lambda s: None, executor=ex,
                )  # fmt: skip
                out[f"noop_local{workers}_s"] = time.perf_counter() - t0
    out["record_bytes"] = len(NOOP_RECORD[0])
    out["overhead_ms_per_run"] = 1000 * (out["noop_local1_s"] - out["noop_serial_s"]) / n
    out["wall_ms_per_run_1_worker"] = 1000 * out["noop_local1_s"] / n
    out["wall_ms_per_run_2_workers"] = 1000 * out["noop_local2_s"] / n
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--torch-grid", type=int, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--skip-torch", action="store_true")
    ap.add_argument("--overhead-runs", type=int, default=200)
    ap.add_argument("--json", default=None)
    ap.add_argument(
        "--smoke", action="store_true", help="a tiny grid and no PyTorch (checks the script)"
    )
    args = ap.parse_args()
    if args.smoke:
        args.skip_torch, args.overhead_runs = True, 20
    if args.torch_grid is not None:
        return torch_grid(args.torch_grid)

    py = sys.executable
    res = {"nproc": len(os.sched_getaffinity(0)), "load_start": load()}
    with tempfile.TemporaryDirectory() as tmp:
        base = [py, "-m", "minigrad", "compare", "--progress", "none"]
        if args.smoke:
            base += ["--epochs", "1", "--seeds", "0", "--norms", "none", "batch"]
        print(f"load {load()}: serial main job ...", flush=True)
        wall, text = timed([*base, "--executor", "serial", "--out", f"{tmp}/serial"])
        res.update(serial_s=wall, serial_grid_s=grid_seconds(text), load_serial=load())
        print(f"load {load()}: local main job (minigrad compare, no options) ...", flush=True)
        wall, text = timed([*base, "--out", f"{tmp}/local"])
        res.update(local_s=wall, local_grid_s=grid_seconds(text), load_local=load())
        from minigrad.experiments.grid import read_results

        serial = read_results(f"{tmp}/serial")
        local = read_results(f"{tmp}/local")
        keys = ("test_acc", "test_loss", "train_acc_eval", "train_loss_eval")
        res["same_results"] = [r["run_id"] for r in serial] == [r["run_id"] for r in local] and all(
            all(a["final"].get(k) == b["final"].get(k) for k in keys) for a, b in zip(serial, local)
        )
        record = serial[0]
    if not args.skip_torch:
        for threads, key in ((0, "torch_s"), (1, "torch_1thread_s")):
            print(f"load {load()}: the same grid as a plain PyTorch script ({key}) ...", flush=True)
            wall, _ = timed([py, __file__, "--torch-grid", str(threads)])
            res.update({key: wall, f"load_{key}": load()})
    print(f"load {load()}: Dask overhead ({args.overhead_runs} no-op runs) ...", flush=True)
    res.update(dask_overhead(args.overhead_runs, record))
    res["load_end"] = load()

    print()
    print(
        f"machine: {res['nproc']} usable cores; load average (1/5 min) {res['load_start']} at start"
    )
    print(f"serial  main job  {res['serial_s']:6.1f} s (grid {res['serial_grid_s']} s)")
    print(f"local   main job  {res['local_s']:6.1f} s (grid {res['local_grid_s']} s)  "
          f"speed-up {res['serial_s'] / res['local_s']:.2f}x (goal >= 1.7x)")  # fmt: skip
    if "torch_s" in res:
        best = min(res["torch_s"], res["torch_1thread_s"])
        print(f"PyTorch script    {res['torch_s']:6.1f} s with torch's default threads, "
              f"{res['torch_1thread_s']:.1f} s with 1 thread; main job / the faster = "
              f"{res['local_s'] / best:.2f} (goal <= 0.5)")  # fmt: skip
    print(f"serial and local results identical: {res['same_results']}")
    print(f"Dask overhead per run: {res['overhead_ms_per_run']:.1f} ms (goal < 50 ms); wall per "
          f"no-op run {res['wall_ms_per_run_1_worker']:.1f} ms on 1 worker, "
          f"{res['wall_ms_per_run_2_workers']:.1f} ms on 2 "
          f"(records of {res['record_bytes']} bytes)")  # fmt: skip
    print(f"load average at end {res['load_end']}")
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=2) + "\n")


if __name__ == "__main__":
    main()
