"""A training workload's step split into its phases, minigrad and PyTorch side by side.

Usage::

    python benchmarks/phases.py [W1|W2] [--threads 1] [--rounds 9] [--steps 50] [--modules]

Each step is timed in four phases, ``zero_grad``, forward (model and loss), ``backward``
and the optimizer's ``step``; ``--modules`` splits the forward further, module by module
of the ``nn.Sequential`` (and the loss). Both frameworks run in this process on the same
data and model (``workloads.py``), in interleaved rounds of ``--steps`` steps; each row is
the median over the rounds, in microseconds, with minigrad's time over PyTorch's.
Threads are pinned as in ``run.py`` (the environment is set before NumPy is imported).
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("workload", nargs="?", default="W1", choices=("W1", "W2"))
    p.add_argument("--threads", type=int, default=1, help="BLAS/minigrad/PyTorch threads")
    p.add_argument("--rounds", type=int, default=9, help="interleaved rounds (median taken)")
    p.add_argument("--steps", type=int, default=50, help="steps per round")
    p.add_argument("--modules", action="store_true", help="time the forward module by module")
    return p.parse_args(argv)


def _build(lib, nn, F, optim, make_model, x, y):
    model = make_model(nn)
    model.train()
    opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    return model, F.cross_entropy, opt, lib(x), lib(y)


def _phases(setup, steps, modules):
    """Seconds per step of each phase over ``steps`` steps (a dict, in microseconds)."""
    model, loss_fn, opt, x, y = setup
    clock = time.perf_counter
    names = [f"{i}:{type(m).__name__}" for i, m in enumerate(model)] if modules else []
    t = dict.fromkeys(["zero_grad", "forward", *names, "loss", "backward", "step"], 0.0)
    for _ in range(steps):
        t0 = clock()
        opt.zero_grad()
        t1 = clock()
        if modules:
            h = x
            for name, m in zip(names, model):
                a = clock()
                h = m(h)
                t[name] += clock() - a
            a = clock()
            loss = loss_fn(h, y)
            t["loss"] += clock() - a
        else:
            loss = loss_fn(model(x), y)
        t2 = clock()
        loss.backward()
        t3 = clock()
        opt.step()
        t4 = clock()
        t["zero_grad"] += t1 - t0
        t["forward"] += t2 - t1
        t["backward"] += t3 - t2
        t["step"] += t4 - t3
    if not modules:
        del t["loss"]
    return {k: v / steps * 1e6 for k, v in t.items()}


def main(argv=None):
    args = parse_args(argv)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)
    os.environ["MINIGRAD_NUM_THREADS"] = str(args.threads)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import torch
    import workloads

    import minigrad
    import minigrad.nn
    import minigrad.nn.functional
    import minigrad.optim

    torch.set_num_threads(args.threads)
    make, shape = (
        (workloads._mlp, (128, 784)) if args.workload == "W1" else (workloads._cnn, (64, 1, 28, 28))
    )
    x, y = workloads._data(1, *shape), workloads._data(2, shape[0], kind="int")
    sides = {
        "minigrad": _build(
            minigrad.tensor, minigrad.nn, minigrad.nn.functional, minigrad.optim, make, x, y
        ),
        "torch": _build(torch.from_numpy, torch.nn, torch.nn.functional, torch.optim, make, x, y),
    }
    for s in sides.values():  # warm-up (compiles minigrad's kernels on a first run)
        _phases(s, 10, args.modules)
    gc.freeze()
    runs = {k: [] for k in sides}
    for _ in range(args.rounds):
        for k, s in sides.items():
            runs[k].append(_phases(s, args.steps, args.modules))
    print(
        f"{args.workload}: minigrad {minigrad.__version__} vs torch {torch.__version__}, "
        f"{args.threads} thread(s), median of {args.rounds} rounds x {args.steps} steps (us)"
    )
    print(f"{'phase':16s} {'minigrad':>9s} {'torch':>9s}  ratio")
    totals = dict.fromkeys(sides, 0.0)
    modules_only = {"forward"} if args.modules else set()
    for phase in runs["minigrad"][0]:
        med = {k: statistics.median(r[phase] for r in runs[k]) for k in sides}
        if phase not in modules_only:
            for k in sides:
                totals[k] += med[k]
        ratio = med["minigrad"] / med["torch"] if med["torch"] else float("nan")
        print(f"{phase:16s} {med['minigrad']:9.1f} {med['torch']:9.1f}  {ratio:.2f}x")
    print(
        f"{'total':16s} {totals['minigrad']:9.1f} {totals['torch']:9.1f}  "
        f"{totals['minigrad'] / totals['torch']:.2f}x"
    )


if __name__ == "__main__":
    main()
