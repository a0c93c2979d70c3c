"""Data-parallel scaling of W2's training step: 1 and 2 processes (weak scaling).

Usage::

    python benchmarks/distributed.py [--nprocs 1,2] [--steps 40] [--threads 1] [--json out.json]

For each process count ``n`` this script runs itself under ``mpiexec -n n`` (the one next
to the Python interpreter). Every process trains W2's CNN (shared/DESIGN.md: two
Conv-BN-ReLU-MaxPool blocks and a Linear, cross-entropy, SGD momentum) on its own
batch of 64 (the per-process batch: weak scaling, the global batch is ``64 n``),
wrapped in :class:`~minigrad.nn.parallel.DistributedDataParallel`, once with local
BatchNorm and once with SyncBatchNorm. Reported per variant (rank 0):

* ``ms_step``: median wall time of a step (a barrier before each step, so every
  process starts it together);
* ``samples_s``: ``64 n / step time``; ``speedup``: samples/s over one process's;
* ``comm_share``: the share of the step spent inside collectives (gradient buckets and
  SyncBN's all-gather / all-reduce), waiting for the slower process included;
* SyncBN's extra cost: its step time over local BN's at the same ``n``.

Each process's BLAS and minigrad's kernel threads are pinned to ``--threads`` (default
1, the usual MPI setting: one process per core); the one-process row is also measured
with 2 threads, for the honest comparison on a 2-core machine. Run on a quiet machine:
``uptime`` is printed with the results.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time


def _worker(steps: int, variants) -> None:
    """One process of the job: time the variants, rank 0 prints one JSON line."""
    import numpy as np

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import workloads

    import minigrad
    import minigrad.distributed as dist
    import minigrad.nn.functional as F
    from minigrad import nn, optim
    from minigrad.distributed import collectives
    from minigrad.nn.parallel import DistributedDataParallel

    dist.init_process_group()
    rank, size = dist.get_rank(), dist.get_world_size()
    comm = {"t": 0.0}

    def timed(fn):
        def wrapper(*a, **k):
            t0 = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                comm["t"] += time.perf_counter() - t0

        return wrapper

    collectives.all_reduce_array = timed(collectives.all_reduce_array)
    collectives.all_gather_array = timed(collectives.all_gather_array)
    rows = {}
    for variant in variants:
        minigrad.manual_seed(0)
        model = workloads._cnn(nn)
        if variant == "syncbn":
            model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
        ddp = DistributedDataParallel(model)
        opt = optim.SGD(ddp.parameters(), lr=0.01, momentum=0.9)
        rng = np.random.default_rng(rank)
        x = minigrad.tensor(rng.standard_normal((64, 1, 28, 28)).astype(np.float32))
        y = minigrad.tensor(rng.integers(0, 10, 64))
        times, comms = [], []
        for i in range(steps + 5):
            dist.barrier()
            c0 = comm["t"]
            t0 = time.perf_counter()
            opt.zero_grad()
            F.cross_entropy(ddp(x), y).backward()
            opt.step()
            if i >= 5:  # warm-up: compiled kernels, allocator
                times.append(time.perf_counter() - t0)
                comms.append(comm["t"] - c0)
        t = statistics.median(times)
        rows[variant] = {
            "ms_step": 1e3 * t,
            "samples_s": 64 * size / t,
            "comm_share": statistics.median(c / s for c, s in zip(comms, times)),
        }
    if rank == 0:
        print("RESULT " + json.dumps({"nproc": size, "rows": rows}), flush=True)
    dist.destroy_process_group()


def _run(n: int, steps: int, threads: int, variants) -> dict:
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                "MINIGRAD_NUM_THREADS", "MINIGRAD_NORM_THREADS"):  # fmt: skip
        env[var] = str(threads)
    env.setdefault("MPIEXEC_TIMEOUT", "600")
    mpiexec = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    cmd = [mpiexec, "-n", str(n), sys.executable, os.path.abspath(__file__), "--worker"]
    cmd += ["--steps", str(steps), "--variants", ",".join(variants)]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True).stdout
    line = next(ln for ln in out.splitlines() if ln.startswith("RESULT "))
    return json.loads(line[len("RESULT ") :])


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--nprocs", default="1,2")
    p.add_argument("--steps", type=int, default=40)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--variants", default="bn,syncbn")
    p.add_argument("--json", default=None)
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    variants = args.variants.split(",")
    if args.worker:
        _worker(args.steps, variants)
        return 0
    load = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    runs = [(int(n), args.threads) for n in args.nprocs.split(",")]
    if args.threads == 1 and 1 in [n for n, _ in runs]:
        runs.append((1, 2))
    results = []
    for n, th in runs:
        r = _run(n, args.steps, th, variants)
        r["threads"] = th
        results.append(r)
    base = next(r for r in results if r["nproc"] == 1 and r["threads"] == args.threads)
    print(f"load before: {load}")
    print(f"{'procs':>5} {'thr':>3} {'variant':>7} {'ms/step':>8} {'samples/s':>10} "
          f"{'speedup':>7} {'comm':>6} {'sync extra':>10}")  # fmt: skip
    for r in results:
        for v, row in r["rows"].items():
            row["speedup"] = row["samples_s"] / base["rows"][v]["samples_s"]
            extra = ""
            if v == "syncbn" and "bn" in r["rows"]:
                row["syncbn_extra"] = row["ms_step"] / r["rows"]["bn"]["ms_step"] - 1
                extra = f"{100 * row['syncbn_extra']:+.1f}%"
            print(f"{r['nproc']:>5} {r['threads']:>3} {v:>7} {row['ms_step']:>8.2f} "
                  f"{row['samples_s']:>10.0f} {row['speedup']:>7.2f} "
                  f"{100 * row['comm_share']:>5.1f}% {extra:>10}")  # fmt: skip
    after = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    print(f"load after: {after}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"load_before": load, "load_after": after, "results": results}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
