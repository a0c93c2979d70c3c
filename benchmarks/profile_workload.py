"""Profile one workload of minigrad with cProfile and print where the time goes.

Usage::

    python benchmarks/profile_workload.py W4 [--steps 30] [--top 25] [--sort tottime]
    python benchmarks/profile_workload.py "W3 BatchNorm2d"

The workload name is matched against the row names of ``run.py`` (case-insensitive
prefix), so ``W3`` profiles the first W3 row and ``"W3 GroupNorm"`` a given one.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("workload", help="row name prefix, e.g. W4 or 'W3 GroupNorm'")
    p.add_argument("--steps", type=int, default=30, help="profiled steps (after warm-up)")
    p.add_argument("--top", type=int, default=25, help="functions to print")
    p.add_argument("--sort", default="tottime", help="pstats sort key (tottime, cumtime)")
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args(argv)
    for var in (
        "OMP_NUM_THREADS",
        "OPENBLAS_NUM_THREADS",
        "MKL_NUM_THREADS",
        "MINIGRAD_NUM_THREADS",
    ):
        os.environ[var] = str(args.threads)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import workloads

    import minigrad

    rows = [r for r in workloads.registry() if r[1].lower().startswith(args.workload.lower())]
    if not rows:
        names = ", ".join(r[1] for r in workloads.registry())
        p.error(f"no workload named {args.workload!r}; rows are: {names}")
    _, name, build, _ = rows[0]
    w = build(minigrad, minigrad.device(args.device))
    for _ in range(3):
        w.step()
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(args.steps):
        w.step()
    if w.sync is not None:
        w.sync()
    prof.disable()
    print(f"{name}: {args.steps} steps")
    pstats.Stats(prof).sort_stats(args.sort).print_stats(args.top)


if __name__ == "__main__":
    main()
