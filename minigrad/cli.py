"""The ``minigrad`` command line: train, compare, study and report.

Run ``minigrad --help`` or ``minigrad COMMAND --help``. With no options,
``minigrad compare`` trains a small CNN on the bundled 8x8 digits with no norm,
BatchNorm, LayerNorm, GroupNorm and InstanceNorm at three batch sizes over three seeds
(45 short runs, 6 epochs each) and writes ``runs/compare/report.md`` with its figures.

Bad arguments (an unknown norm, a negative batch size, GroupNorm groups that do not
divide the channels, missing IDX files) are answered with a message and exit code 2.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path

__all__ = ["main", "build_parser"]

DEFAULT_NORMS = ["none", "batch", "layer", "group", "instance"]
DEFAULT_BATCH_SIZES = [4, 16, 64]
DEFAULT_SEEDS = [0, 1, 2]
#: Batch size at which ``--lr`` applies when learning rates scale with the batch size.
REFERENCE_BATCH = 32


class UsageError(Exception):
    """A user error reported with exit code 2."""


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {value}")
    return value


def _nonneg_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {text}")
    return value


def _nonneg_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a finite number >= 0, got {text}")
    return value


def _add_model_options(p, multi: bool) -> None:
    from minigrad.experiments.config import OPTIMIZERS
    from minigrad.experiments.datasets import DATASETS
    from minigrad.experiments.models import ACTIVATIONS, KINDS, NORMS

    g = p.add_argument_group("data and model")
    g.add_argument(
        "--dataset",
        choices=DATASETS,
        default="digits",
        help="digits (bundled), mnist1d (procedural), mnist / fashion-mnist "
        "(IDX files under --data-root); default: %(default)s",
    )
    g.add_argument("--data-root", default=None, help="folder of the MNIST IDX files")
    g.add_argument(
        "--subset",
        type=_positive_int,
        default=None,
        help="train on a fixed random subset of this many samples",
    )
    g.add_argument(
        "--test-subset",
        type=_positive_int,
        default=None,
        help="evaluate on a fixed random subset of this many test samples",
    )
    g.add_argument("--model", choices=KINDS, default="cnn", help="default: %(default)s")
    if not multi:
        g.add_argument("--norm", choices=NORMS, default="batch", help="default: %(default)s")
    g.add_argument(
        "--width",
        type=_positive_int,
        default=None,
        help="hidden units (mlp) or first conv channels (default 64 / 8)",
    )
    g.add_argument("--depth", type=_positive_int, default=2, help="default: %(default)s")
    g.add_argument("--activation", choices=ACTIVATIONS, default="relu")
    g.add_argument(
        "--groups",
        type=_positive_int,
        default=4,
        help="GroupNorm groups, must divide the channels (default: %(default)s)",
    )
    g.add_argument("--dropout", type=_nonneg_float, default=0.0)
    g.add_argument(
        "--init-scale",
        type=_positive_float,
        default=1.0,
        help="multiply the default initial weights by this factor",
    )

    t = p.add_argument_group("training")
    if not multi:
        t.add_argument("--batch-size", type=_positive_int, default=32)
        t.add_argument("--lr", type=_positive_float, default=0.05)
        t.add_argument("--seed", type=_nonneg_int, default=0)
    t.add_argument("--optimizer", choices=OPTIMIZERS, default="sgd")
    t.add_argument("--momentum", type=_nonneg_float, default=0.9, help="SGD momentum")
    t.add_argument("--weight-decay", type=_nonneg_float, default=0.0)
    t.add_argument(
        "--epochs",
        type=_positive_int,
        default=None,
        help="epochs per run (default: train 5, compare 6)",
    )
    t.add_argument("--max-steps", type=_positive_int, default=None)
    t.add_argument(
        "--bn-momentum",
        type=_nonneg_float,
        default=0.1,
        help="running-statistics momentum of batch norms",
    )
    t.add_argument("--rmax", type=_positive_float, default=3.0, help="Batch Renorm r limit")
    t.add_argument("--dmax", type=_nonneg_float, default=5.0, help="Batch Renorm d limit")
    t.add_argument(
        "--renorm-warmup",
        type=_nonneg_int,
        default=0,
        help="steps over which Batch Renorm relaxes from plain BN to --rmax/--dmax",
    )
    t.add_argument("--lr-schedule", choices=["constant", "cosine"], default="constant")
    t.add_argument("--device", default="cpu", help="cpu or cuda[:n] (needs CuPy)")
    t.add_argument(
        "--progress",
        choices=["auto", "bar", "plain", "none"],
        default="auto",
        help="progress display (bar needs tqdm)",
    )


def _base_config(args, epochs_default: int):
    from minigrad.experiments.config import RunConfig

    width = args.width if args.width is not None else (64 if args.model == "mlp" else 8)
    return RunConfig(
        dataset=args.dataset,
        data_root=args.data_root,
        subset=args.subset,
        test_subset=args.test_subset,
        model=args.model,
        width=width,
        depth=args.depth,
        activation=args.activation,
        groups=args.groups,
        dropout=args.dropout,
        init_scale=args.init_scale,
        optimizer=args.optimizer,
        momentum=args.momentum,
        weight_decay=args.weight_decay,
        epochs=args.epochs or epochs_default,
        max_steps=args.max_steps,
        bn_momentum=args.bn_momentum,
        rmax=args.rmax,
        dmax=args.dmax,
        renorm_warmup=args.renorm_warmup,
        lr_schedule=args.lr_schedule,
        device=args.device,
    )


def _check_data(config) -> None:
    """Load the dataset and touch the device once up front, so a missing file or a missing
    GPU is a usage error, not a run error."""
    import minigrad
    from minigrad.experiments.runner import _data

    try:
        minigrad.zeros(1, device=config.device)
    except (RuntimeError, ValueError, ImportError) as exc:
        raise UsageError(f"device {config.device!r} is not usable: {exc}") from None
    try:
        _data(config)
    except (FileNotFoundError, ValueError, OSError, ImportError) as exc:
        raise UsageError(f"cannot load dataset {config.dataset!r}: {exc}") from None


def _command_line(argv) -> str:
    return "minigrad " + " ".join(shlex.quote(a) for a in argv)


def _add_executor(p) -> None:
    from minigrad.experiments.executor import EXECUTORS

    g = p.add_argument_group("where runs execute")
    g.add_argument(
        "--executor",
        choices=EXECUTORS,
        default=None,
        help="serial: one run after another in this process; local: a Dask LocalCluster, one "
        "worker process per core (the default when Dask is installed); dask: the existing "
        "Dask scheduler at --scheduler",
    )
    g.add_argument(
        "--workers",
        type=int,
        default=None,
        help="worker processes of the local executor (default: the usable cores)",
    )
    g.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="address of a running Dask scheduler, e.g. tcp://host:8786 (means --executor dask)",
    )


def _executor(args):
    """The grid's executor from ``--executor/--workers/--scheduler`` (started on first use)."""
    from minigrad.experiments.executor import ExecutorError, make_executor

    try:
        return make_executor(args.executor, args.workers, args.scheduler, lazy=True)
    except ExecutorError as exc:
        raise UsageError(str(exc)) from None


def _failed_summary(records, configs, out) -> int:
    """Exit code of a grid: 1 (with one line on stderr) when some of its runs failed."""
    from minigrad.experiments.grid import count_failed

    failed = count_failed(records, configs)
    total = len(records if configs is None else configs)
    if failed:
        print(
            f"{failed} of {total} runs failed (status 'failed' in {out}/results.jsonl, "
            "with error and traceback); rerun the same command to retry them",
            file=sys.stderr,
        )
        return 1
    return 0


# ----------------------------------------------------------------------- commands
def cmd_train(args, argv) -> int:
    from minigrad.experiments.runner import train

    config = _base_config(args, 5).replace(
        norm=args.norm, batch_size=args.batch_size, lr=args.lr, seed=args.seed
    )
    config.validate()
    _check_data(config)
    out = Path(args.out)
    result = train(config, out_dir=out, progress=args.progress)
    final = result["final"]
    if result["status"] == "diverged":
        print(f"diverged at step {result['diverged_at_step']} (NaN/Inf loss); see {out}")
    else:
        print(
            f"{config.run_id()}: test acc {100 * final['test_acc']:.2f}% "
            f"(train {100 * final['train_acc_eval']:.2f}%), "
            f"{result['steps']} steps, {result['steps_per_s']:.1f} steps/s; wrote {out}"
        )
    return 0


def compare_configs(args) -> list:
    """The grid of ``minigrad compare`` from parsed arguments."""
    from minigrad.experiments.grid import expand_grid

    base = _base_config(args, 6)
    configs = []
    for cfg in expand_grid(
        base,
        lr=args.lrs,
        batch_size=args.batch_sizes,
        norm=args.norms,
        seed=args.seeds,
    ):
        if args.lr_scaling == "linear":
            cfg = cfg.replace(
                lr=round(cfg.lr * cfg.batch_size / REFERENCE_BATCH, 10),
                tags={"base_lr": cfg.lr, "lr_scaling": "linear"},
            )
        configs.append(cfg)
    return configs


def cmd_compare(args, argv) -> int:
    from minigrad.experiments.grid import run_grid
    from minigrad.experiments.report import write_meta, write_report

    configs = compare_configs(args)
    for c in configs:
        c.validate()
    _check_data(configs[0])
    out = Path(args.out)
    write_meta(out, _command_line(argv))
    print(f"compare: {len(configs)} runs into {out}/results.jsonl", flush=True)
    t0 = time.perf_counter()
    with _executor(args) as executor:
        records = run_grid(configs, out, progress=args.progress, executor=executor)
    if not args.no_report:
        path = write_report(out, title="Normalization comparison")
        print(f"report: {path}")
    n_ok = sum(r.get("status") == "ok" for r in records)
    print(f"{n_ok} of {len(records)} runs finished; {time.perf_counter() - t0:.0f} s")
    return _failed_summary(records, configs, out)


def cmd_report(args, argv) -> int:
    from minigrad.experiments.report import write_report

    out = Path(args.dir)
    if not (out / "results.jsonl").exists():
        raise UsageError(f"{out} holds no results.jsonl (run `minigrad compare --out {out}`)")
    meta_study = (out / "study.json").exists()
    if meta_study:
        from minigrad.experiments.studies import report_study

        path = report_study(out)
    else:
        path = write_report(out, title=args.title)
    print(f"report: {path}")
    return 0


def cmd_study(args, argv) -> int:
    from minigrad.experiments.studies import STUDIES, run_study

    if args.list or args.name is None:
        for name, mod in STUDIES.items():
            print(f"{name:16s} {mod.TITLE}")
        return 0
    if args.name not in STUDIES:
        raise UsageError(f"unknown study {args.name!r}; choose one of {', '.join(STUDIES)}")
    out = Path(args.out or f"runs/studies/{args.name}")
    with _executor(args) as executor:
        path = run_study(
            args.name,
            out,
            quick=args.quick,
            progress=args.progress,
            command=_command_line(argv),
            executor=executor,
        )
    print(f"report: {path}")
    from minigrad.experiments.grid import read_results

    return _failed_summary(read_results(out), None, out)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``minigrad`` (every command has ``--help``)."""
    from minigrad.experiments.models import NORMS

    parser = argparse.ArgumentParser(
        prog="minigrad",
        description="minigrad's normalization laboratory: train models with a chosen "
        "normalization, compare norms over grids, run studies, write reports.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser(
        "train",
        help="train one model",
        description="Train one model with a progress bar; write config.json, "
        "metrics_steps.jsonl, metrics_epochs.jsonl, result.json and model.ckpt.",
    )
    _add_model_options(p, multi=False)
    p.add_argument("--out", default="runs/train", help="output folder (default: %(default)s)")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser(
        "compare",
        help="a grid of runs over norms, batch sizes, learning rates and seeds",
        description="Train a grid of runs; each finished run is appended durably to "
        "OUT/results.jsonl, a rerun with the same --out resumes, diverged runs are recorded, "
        "and OUT/report.md is written at the end. Without options: a small CNN on the bundled "
        "digits, norms none/batch/layer/group/instance, batch sizes 4/16/64, seeds 0-2, 6 epochs.",
    )
    _add_model_options(p, multi=True)
    p.add_argument(
        "--norms",
        nargs="+",
        choices=NORMS,
        default=DEFAULT_NORMS,
        metavar="NORM",
        help=f"norms to compare, from {', '.join(NORMS)} (default: %(default)s)",
    )
    p.add_argument(
        "--batch-sizes",
        nargs="+",
        type=_positive_int,
        default=DEFAULT_BATCH_SIZES,
        help="default: %(default)s",
    )
    p.add_argument(
        "--lrs",
        nargs="+",
        type=_positive_float,
        default=[0.05],
        help="learning rates at batch size 32 when --lr-scaling is linear (default: %(default)s)",
    )
    p.add_argument(
        "--lr-scaling",
        choices=["linear", "none"],
        default="linear",
        help="linear: lr * batch_size / 32, Goyal et al.'s rule as in Wu & He "
        "(default: %(default)s)",
    )
    p.add_argument("--seeds", nargs="+", type=_nonneg_int, default=DEFAULT_SEEDS)
    p.add_argument("--out", default="runs/compare", help="grid folder (default: %(default)s)")
    p.add_argument("--no-report", action="store_true", help="skip report.md")
    _add_executor(p)
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser(
        "report",
        help="write DIR/report.md from DIR/results.jsonl",
        description="Markdown tables (mean and spread over seeds) and PNG "
        "figures (needs matplotlib: pip install minigrad[plot]).",
    )
    p.add_argument("dir", help="a folder written by `minigrad compare` or `minigrad study`")
    p.add_argument("--title", default=None)
    p.set_defaults(func=cmd_report)

    p = sub.add_parser(
        "study",
        help="run a named study (a preset grid and its analysis)",
        description="Run a study that tests a published claim about "
        "normalization and write OUT/report.md. `minigrad study --list` names "
        "them.",
    )
    p.add_argument("name", nargs="?", help="study name")
    p.add_argument("--out", default=None, help="output folder (default: runs/studies/NAME)")
    p.add_argument("--list", action="store_true", help="list the studies")
    p.add_argument(
        "--quick", action="store_true", help="a tiny version of the grid (seconds; for smoke tests)"
    )
    p.add_argument("--progress", choices=["auto", "bar", "plain", "none"], default="auto")
    _add_executor(p)
    p.set_defaults(func=cmd_study)
    return parser


def main(argv=None) -> int:
    """Entry point of the ``minigrad`` console script; returns the exit code.

    Examples
    --------
    >>> main(["report", "/nonexistent-folder"])
    2
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if not argv:
        parser.print_help()
        return 0
    args = parser.parse_args(argv)  # argparse exits with 2 on bad arguments
    if args.command is None:
        parser.print_help()
        return 0
    from minigrad.experiments.config import ConfigError

    try:
        return args.func(args, argv)
    except (ConfigError, UsageError) as exc:
        print(f"minigrad {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; rerun the same command to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
