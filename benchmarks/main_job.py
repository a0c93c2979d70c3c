"""The README's main job (``minigrad compare``), serial vs the local Dask executor, beside the
same grid written as a plain PyTorch script, and Dask's overhead per run; in one run.

Usage::

    python benchmarks/main_job.py                 # everything (half an hour on 2 cores)
    python benchmarks/main_job.py --seeds 0 1     # the default grid with 2 of its 5 seeds
    python benchmarks/main_job.py --skip-torch    # without the PyTorch script
    python benchmarks/main_job.py --json out.json # also the numbers as JSON (after each phase)
    python benchmarks/main_job.py --smoke         # 1 epoch, 1 seed: checks the script

The grid is not written down here: :func:`compare_grid` asks minigrad's own command-line
parser and grid builder (``minigrad.cli.compare_configs``) for the configs that
``minigrad compare`` runs, and the PyTorch script trains exactly those.

Phases, one after another on the same machine (the load average is printed with each):

1. ``minigrad compare --executor serial`` (the default grid: 70 runs of a small CNN on
   mnist1d, 7 norms x batch sizes 4 and 32 x 5 seeds, 3 epochs), wall time of the whole
   command;
2. ``minigrad compare`` (no options: the local executor, one worker process per core);
3. the same runs as a plain PyTorch script in one process (``--torch-grid``): the same
   standardized arrays (``minigrad.experiments.runner._data``), each model translated
   module by module from the one ``make_model`` builds into its ``torch.nn`` twin (Batch
   Renorm written out in torch) with minigrad's initial weights copied in (names, shapes
   and parameter counts asserted equal), the same optimizer, learning rate, batch order
   (``np.random.default_rng(seed).permutation`` per epoch, last partial batch dropped),
   a test evaluation after every epoch and a training-set evaluation at the end (eval
   mode, batches of 512), as :func:`minigrad.experiments.train` does less its files
   (per-step metrics lines, per-epoch checkpoints). Once with one thread, then with
   torch's default threads (``--torch-timeout`` stops that one on a loaded machine);
   the goal is measured against the faster of the two;
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


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.2f}/{five:.2f}"


def timed(cmd, timeout=None, **kw):
    """Wall time and output of a command; ``(None, '')`` when it ran past ``timeout``."""
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout, **kw)
    except subprocess.TimeoutExpired:
        return None, ""
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return wall, proc.stdout + proc.stderr


def grid_seconds(output: str):
    m = re.search(r"grid: \d+ runs in ([\d.]+) s", output)
    return float(m.group(1)) if m else None


# --------------------------------------------------------------------- PyTorch version
def compare_grid(compare_args=()):
    """The configs ``minigrad compare [compare_args]`` runs, from minigrad's own parser and
    grid builder (no constants copied here, so the PyTorch grid cannot drift from it)."""
    from minigrad.cli import build_parser, compare_configs

    configs = compare_configs(build_parser().parse_args(["compare", *compare_args]))
    for c in configs:
        c.validate()
    return configs


def _torch_batch_renorm():
    """Batch Renormalization (Ioffe 2017) in torch, as minigrad's ``F.batch_renorm``:
    ``r = clip(sigma_B / sigma, 1/rmax, rmax)``, ``d = clip((mu_B - mu) / sigma, -dmax,
    dmax)`` (no gradient), ``y = ((x - mu_B) / sigma_B * r + d) * weight + bias``, running
    statistics updated as batch norm's (unbiased variance); evaluation is batch norm's."""
    import torch
    from torch import nn
    from torch.nn import functional as F

    class BatchRenorm(nn.Module):
        def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, rmax=1.0,
                     dmax=0.0):  # fmt: skip
            super().__init__()
            self.eps, self.momentum, self.rmax, self.dmax = eps, momentum, rmax, dmax
            self.weight = nn.Parameter(torch.ones(num_features)) if affine else None
            self.bias = nn.Parameter(torch.zeros(num_features)) if affine else None
            self.register_buffer("running_mean", torch.zeros(num_features))
            self.register_buffer("running_var", torch.ones(num_features))
            self.register_buffer("num_batches_tracked", torch.tensor(0, dtype=torch.long))

        def forward(self, x):
            if not self.training:
                return F.batch_norm(x, self.running_mean, self.running_var, self.weight,
                                    self.bias, False, 0.0, self.eps)  # fmt: skip
            dims = [0, *range(2, x.ndim)]
            shape = (1, -1) + (1,) * (x.ndim - 2)
            mean, var = x.mean(dims), x.var(dims, unbiased=False)
            sigma_b = (var + self.eps).sqrt()
            with torch.no_grad():
                sigma = (self.running_var + self.eps).sqrt()
                r = (sigma_b / sigma).clamp(1.0 / self.rmax, self.rmax)
                d = ((mean - self.running_mean) / sigma).clamp(-self.dmax, self.dmax)
                self.num_batches_tracked += 1
                m = self.momentum
                m = 1.0 / int(self.num_batches_tracked) if m is None else m
                n = x.numel() // x.shape[1]
                self.running_mean.mul_(1 - m).add_(m * mean)
                self.running_var.mul_(1 - m).add_(m * var * n / (n - 1))
            y = (x - mean.view(shape)) / sigma_b.view(shape) * r.view(shape) + d.view(shape)
            if self.weight is not None:
                y = y * self.weight.view(shape) + self.bias.view(shape)
            return y

    return BatchRenorm


def torch_model(mg_model):
    """The torch.nn equivalent of a minigrad model, module by module: each minigrad module
    becomes the torch.nn class of the same name built from the same constructor arguments
    (minigrad keeps PyTorch's attribute names), Batch Renorm the module above; then every
    parameter is copied from minigrad's (same names and shapes, asserted), so the two start
    from the same weights."""
    import inspect

    import torch
    from torch import nn

    renorm = _torch_batch_renorm()

    def convert(m):
        name = type(m).__name__
        if name == "Sequential":
            return nn.Sequential(*(convert(c) for c in m))
        cls = renorm if name.startswith("BatchRenorm") else getattr(nn, name, None)
        if cls is None or list(m.children()):
            raise SystemExit(f"main_job.py: no torch.nn equivalent for minigrad's {name}")
        kwargs = {}
        for p in inspect.signature(cls.__init__).parameters:
            if p in ("self", "device", "dtype") or not hasattr(m, p):
                continue
            v = getattr(m, p)
            kwargs[p] = (v is not None) if p == "bias" else v  # the Parameter -> the flag
        return cls(**kwargs)

    net = convert(mg_model)
    mine = {k: v for k, v in mg_model.named_parameters()}
    theirs = dict(net.named_parameters())
    shapes = {k: tuple(v.shape) for k, v in mine.items()}
    assert shapes == {k: tuple(v.shape) for k, v in theirs.items()}, (shapes, theirs.keys())
    assert sum(p.numel() for p in net.parameters()) == sum(p.numel() for p in mg_model.parameters())
    with torch.no_grad():
        for k, p in theirs.items():
            p.copy_(torch.from_numpy(mine[k].detach().numpy()))
    return net


def torch_grid(threads=None, compare_args=()) -> None:
    """The ``minigrad compare`` grid in plain PyTorch, one process: the configs, data,
    models, optimizer, batch order and evaluations of :func:`minigrad.experiments.train`
    (less its files: metrics lines, per-epoch checkpoints)."""
    import math

    import numpy as np
    import torch

    if threads:
        torch.set_num_threads(threads)
    from torch.nn import functional as F

    import minigrad
    from minigrad.experiments.models import make_model
    from minigrad.experiments.runner import _data

    configs = compare_grid(compare_args)
    fixed = {"eval_batch_stats": False, "eval_every": 0, "max_steps": None,
             "lr_schedule": "constant", "init_scale": 1.0, "renorm_warmup": 0,
             "device": "cpu"}  # fmt: skip
    for c in configs:
        bad = {k: getattr(c, k) for k, v in fixed.items() if getattr(c, k) != v}
        if bad:
            raise SystemExit(f"main_job.py: the PyTorch grid does not implement {bad}")
    t0 = time.perf_counter()

    def evaluate(net, x, y, bs=512):  # Trainer.evaluate: eval mode, batches of 512
        net.eval()
        loss, correct = 0.0, 0
        with torch.no_grad():
            for i in range(0, len(x), bs):
                logits = net(x[i : i + bs])
                loss += float(F.cross_entropy(logits, y[i : i + bs], reduction="sum").item())
                correct += int((logits.argmax(1) == y[i : i + bs]).sum())
        net.train()
        return loss / len(x), correct / len(x)

    params, test_accs = {}, {}
    for c in configs:
        d = _data(c)  # the identical standardized arrays every minigrad run trains on
        x_train, y_train = torch.from_numpy(d.x_train), torch.from_numpy(d.y_train)
        x_test, y_test = torch.from_numpy(d.x_test), torch.from_numpy(d.y_test)
        minigrad.manual_seed(c.seed)  # as Trainer: the same initial weights
        mg = make_model(c.model, c.norm, d.in_shape, d.num_classes, width=c.width,
                        depth=c.depth, activation=c.activation, groups=c.groups,
                        momentum=c.bn_momentum, rmax=c.rmax, dmax=c.dmax,
                        dropout=c.dropout)  # fmt: skip
        torch.manual_seed(c.seed)
        net = torch_model(mg)
        params[c.norm] = sum(p.numel() for p in net.parameters())
        if c.optimizer == "sgd":
            opt = torch.optim.SGD(net.parameters(), lr=c.lr, momentum=c.momentum,
                                  weight_decay=c.weight_decay)  # fmt: skip
        else:
            opt = torch.optim.Adam(net.parameters(), lr=c.lr, weight_decay=c.weight_decay)
        rng = np.random.default_rng(c.seed)
        n = len(x_train)
        steps = max(n // c.batch_size, 1)
        for _ in range(c.epochs):
            order = rng.permutation(n)
            if n < c.batch_size:
                order = np.concatenate([order] * (c.batch_size // n + 1))[: c.batch_size]
            order = torch.from_numpy(order)
            losses, accs = [], []
            for i in range(steps):
                idx = order[i * c.batch_size : (i + 1) * c.batch_size]
                xb, yb = x_train[idx], y_train[idx]
                net.train()
                logits = net(xb)
                loss = F.cross_entropy(logits, yb)
                opt.zero_grad()
                loss.backward()
                loss_value = float(loss.item())
                accs.append(float((logits.argmax(1) == yb).float().mean()))
                losses.append(loss_value)
                if math.isfinite(loss_value):
                    opt.step()
            float(np.mean(losses))
            test_acc = evaluate(net, x_test, y_test)[1]
        evaluate(net, x_train, y_train)
        test_accs[c.run_id()] = test_acc
    wall = time.perf_counter() - t0
    print(f"torch grid ({torch.get_num_threads()} threads): {len(configs)} runs in {wall:.1f} s")
    print("TORCH_RESULT " + json.dumps({"params": params, "test_accs": test_accs}))


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
    ap.add_argument("--compare-args", default="[]", help=argparse.SUPPRESS)  # JSON list
    ap.add_argument(
        "--seeds",
        nargs="+",
        default=None,
        help="run the grid with these seeds only (default: minigrad compare's)",
    )
    ap.add_argument("--skip-torch", action="store_true")
    ap.add_argument(
        "--torch-timeout",
        type=float,
        default=None,
        help="stop the PyTorch script with torch's default threads after this many seconds",
    )
    ap.add_argument("--overhead-runs", type=int, default=200)
    ap.add_argument("--json", default=None)
    ap.add_argument(
        "--smoke", action="store_true", help="1 epoch and 1 seed of the grid (checks the script)"
    )
    args = ap.parse_args()
    if args.torch_grid is not None:
        return torch_grid(args.torch_grid, json.loads(args.compare_args))
    extra = ["--seeds", *args.seeds] if args.seeds else []
    if args.smoke:  # a tiny grid, the PyTorch script included (checks the script)
        extra, args.overhead_runs = ["--epochs", "1", "--seeds", "0"], 20

    py = sys.executable
    configs = compare_grid(extra)
    res = {"nproc": len(os.sched_getaffinity(0)), "load_start": load(), "compare_args": extra}
    res["started_utc"] = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())

    def save():  # after each phase, so that a stopped run keeps what it measured
        if args.json:
            Path(args.json).write_text(json.dumps(res, indent=2) + "\n")

    res["grid"] = (
        f"{len(configs)} runs: {configs[0].dataset}, {configs[0].model} width "
        f"{configs[0].width} depth {configs[0].depth}, norms "
        f"{' '.join(dict.fromkeys(c.norm for c in configs))}, batch sizes "
        f"{' '.join(str(b) for b in dict.fromkeys(c.batch_size for c in configs))}, seeds "
        f"{' '.join(str(s) for s in dict.fromkeys(c.seed for c in configs))}, "
        f"{configs[0].epochs} epochs, {configs[0].optimizer} lr "
        f"{' '.join(f'{x:g}' for x in dict.fromkeys(c.lr for c in configs))}"
    )
    print(f"grid: {res['grid']}", flush=True)
    # Load (generate, the first time on a machine) the data set here, so that no phase pays
    # MNIST-1D's one-time generation: every phase then reads it from the disk cache.
    from minigrad.experiments.runner import _data

    _data(configs[0])
    with tempfile.TemporaryDirectory() as tmp:
        base = [py, "-m", "minigrad", "compare", "--progress", "none", *extra]
        print(f"load {load()}: serial main job ...", flush=True)
        wall, text = timed([*base, "--executor", "serial", "--out", f"{tmp}/serial"])
        res.update(serial_s=wall, serial_grid_s=grid_seconds(text), load_serial=load())
        print(f"  {wall:.1f} s", flush=True)
        save()
        print(f"load {load()}: local main job (minigrad compare, no options) ...", flush=True)
        wall, text = timed([*base, "--out", f"{tmp}/local"])
        res.update(local_s=wall, local_grid_s=grid_seconds(text), load_local=load())
        print(f"  {wall:.1f} s", flush=True)
        from minigrad.experiments.grid import read_results

        serial = read_results(f"{tmp}/serial")
        local = read_results(f"{tmp}/local")
        keys = ("test_acc", "test_loss", "train_acc_eval", "train_loss_eval")
        res["same_results"] = [r["run_id"] for r in serial] == [r["run_id"] for r in local] and all(
            all(a["final"].get(k) == b["final"].get(k) for k in keys) for a, b in zip(serial, local)
        )
        record = serial[0]
        mg_acc = {r["run_id"]: r["final"].get("test_acc") for r in serial}
        res["minigrad_mean_test_acc"] = sum(mg_acc.values()) / len(mg_acc)
        save()
    if not args.skip_torch:
        for threads, key in ((1, "torch_1thread_s"), (0, "torch_s")):
            print(f"load {load()}: the same grid as a plain PyTorch script ({key}) ...", flush=True)
            cmd = [py, __file__, "--torch-grid", str(threads), "--compare-args", json.dumps(extra)]
            wall, text = timed(cmd, timeout=args.torch_timeout if threads == 0 else None)
            res.update({key: wall, f"load_{key}": load()})
            print(
                f"  {wall:.1f} s" if wall else f"  stopped after {args.torch_timeout} s", flush=True
            )
            save()
            if wall is None:
                continue
            out = json.loads(text.split("TORCH_RESULT ", 1)[1].splitlines()[0])
            acc = out["test_accs"]
            assert sorted(acc) == sorted(mg_acc), "the PyTorch grid's runs are not minigrad's"
            res["torch_params"] = out["params"]
            res[f"{key}_mean_test_acc"] = sum(acc.values()) / len(acc)
            res[f"{key}_max_test_acc_diff"] = max(abs(acc[k] - mg_acc[k]) for k in acc)
    print(f"load {load()}: Dask overhead ({args.overhead_runs} no-op runs) ...", flush=True)
    res.update(dask_overhead(args.overhead_runs, record))
    res["load_end"] = load()
    res["ended_utc"] = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
    save()

    print()
    print(
        f"machine: {res['nproc']} usable cores; load average (1/5 min) {res['load_start']} at start"
    )
    print(f"grid: {res['grid']}")
    print(f"serial  main job  {res['serial_s']:6.1f} s (grid {res['serial_grid_s']} s)")
    print(f"local   main job  {res['local_s']:6.1f} s (grid {res['local_grid_s']} s)  "
          f"speed-up {res['serial_s'] / res['local_s']:.2f}x (goal >= 1.7x)")  # fmt: skip
    if "torch_1thread_s" in res:
        one, default = res["torch_1thread_s"], res["torch_s"]
        best = min(one, default or one)
        default = f"{default:.1f} s" if default else f"> {args.torch_timeout:g} s (stopped)"
        print(
            f"PyTorch script    {one:6.1f} s with 1 thread, {default} with torch's default "
            f"threads; main job / the faster = {res['local_s'] / best:.2f} (goal <= 0.5)"
        )
    print(f"serial and local results identical: {res['same_results']}")
    if "torch_1thread_s" in res:
        print(f"parameters per model (asserted equal to minigrad's): {res['torch_params']}")
        print(
            f"mean final test accuracy: minigrad {res['minigrad_mean_test_acc']:.4f}, PyTorch "
            f"{res['torch_1thread_s_mean_test_acc']:.4f} (same initial weights and batches; "
            f"largest difference of one run {res['torch_1thread_s_max_test_acc_diff']:.4f})"
        )
    print(f"Dask overhead per run: {res['overhead_ms_per_run']:.1f} ms (goal < 50 ms); wall per "
          f"no-op run {res['wall_ms_per_run_1_worker']:.1f} ms on 1 worker, "
          f"{res['wall_ms_per_run_2_workers']:.1f} ms on 2 "
          f"(records of {res['record_bytes']} bytes)")  # fmt: skip
    print(f"load average at end {res['load_end']} ({res['started_utc']} - {res['ended_utc']} UTC)")


if __name__ == "__main__":
    main()
