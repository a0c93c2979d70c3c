"""The ``minigrad`` command line: train, evaluate, compare, study and report.

Run ``minigrad --help`` or ``minigrad COMMAND --help``. With no options,
``minigrad compare`` trains a small CNN on mnist1d with each of the seven normalization
settings (none, BatchNorm, LayerNorm, GroupNorm, InstanceNorm, Batch Renorm, RMSNorm) at
batch sizes 4 and 32 over five seeds (70 short runs, 3 epochs each, on every core through
the local Dask executor) and writes ``runs/compare/report.md``, whose conclusion is computed
from paired confidence intervals, with its figures.

The run options are generated from the fields of
:class:`~minigrad.experiments.config.RunConfig` and their metadata (help text, default,
choices, range check), so a setting is defined and validated in one place.

A user's mistake (an unknown norm, a value out of range, an ``--out`` that cannot be
written, missing IDX files, a device that is not there) is answered with one line on
stderr and exit code 2 before anything is written; a failure while running is one line
and exit code 1. Set ``MINIGRAD_DEBUG=1`` to see the traceback of an unexpected error.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shlex
import sys
import tempfile
import time
from pathlib import Path

__all__ = ["main", "build_parser"]

#: Batch size at which ``--lr`` applies when learning rates scale with the batch size.
REFERENCE_BATCH = 32
PROGRESS_MODES = ("auto", "bar", "plain", "none")


class UsageError(Exception):
    """A user error reported with exit code 2."""


class RunError(Exception):
    """A failure while running, reported with exit code 1."""


# ------------------------------------------------------------------ option generation
class _HelpFormatter(argparse.HelpFormatter):
    """Every option's help ends with its default (lists shown space-separated)."""

    def _get_help_string(self, action):
        text = action.help or ""
        if "(default" in text or action.default is argparse.SUPPRESS or not action.option_strings:
            return text
        if isinstance(action, (argparse._HelpAction, argparse._VersionAction)):
            return text
        if isinstance(action, argparse._StoreTrueAction):
            return f"{text} (default: off)".strip()
        default = action.default
        if isinstance(default, (list, tuple)):
            default = " ".join(map(str, default))
        shown = str(default).replace("%", "%%")
        return f"{text} (default: {shown})".strip()


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (no usage block) and exit code 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def _option(name: str) -> str:
    return "--" + name.replace("_", "-")


def _cli_fields():
    from minigrad.experiments.config import RunConfig

    return [f for f in dataclasses.fields(RunConfig) if f.metadata.get("cli", True)]


def _base_type(f) -> str:
    text = str(f.type)
    for name in ("bool", "int", "float", "str"):
        if text.split("|")[0].strip() == name:
            return name
    return "str"


def _value_parser(f):
    """The argparse ``type`` of a field's option: convert, then run the field's own check
    (the one :meth:`RunConfig.validate` runs), so a bad value is refused while parsing."""
    kind = _base_type(f)
    optional = "None" in str(f.type)
    check = None if f.metadata.get("choices") else f.metadata.get("check")

    def parse(text: str):
        if optional and text.strip().lower() == "none":
            value = None
        elif kind == "int":
            try:
                value = int(text)
            except ValueError:
                raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        elif kind == "float":
            try:
                value = float(text)
            except ValueError:
                raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        else:
            value = text
        reason = check(value) if check is not None else None
        if reason:
            raise argparse.ArgumentTypeError(reason)
        return value

    parse.__name__ = kind
    return parse


class _ListAction(argparse.Action):
    """A list option: values separated by spaces or commas (``--norms batch,group``)."""

    def __init__(self, option_strings, dest, item_type=str, item_choices=None, **kwargs):
        kwargs.setdefault("nargs", "+")
        super().__init__(option_strings, dest, **kwargs)
        self.item_type, self.item_choices = item_type, item_choices

    def __call__(self, parser, namespace, values, option_string=None):
        items = []
        for value in values:
            for part in str(value).split(","):
                part = part.strip()
                if not part:
                    continue
                if self.item_choices is not None and part not in self.item_choices:
                    raise argparse.ArgumentError(
                        self,
                        f"invalid choice: {part!r} (choose from {', '.join(self.item_choices)})",
                    )
                try:
                    items.append(self.item_type(part))
                except argparse.ArgumentTypeError as exc:
                    raise argparse.ArgumentError(self, str(exc)) from None
        if not items:
            raise argparse.ArgumentError(self, "expected at least one value")
        setattr(namespace, self.dest, items)


def _add_config_options(p, multi: bool) -> None:
    """One option per :class:`RunConfig` field, from the field's metadata. With ``multi``
    (``compare``), fields with an ``axis`` become list options over which the grid runs."""
    groups = {
        "data": p.add_argument_group("data and model"),
        "training": p.add_argument_group("training"),
    }
    for f in _cli_fields():
        md = f.metadata
        g = groups[md.get("group", "training")]
        help_text = md.get("help", "")
        if multi and md.get("axis"):
            choices = md.get("choices")
            g.add_argument(
                md["axis"],
                dest=f.name,
                action=_ListAction,
                item_type=_value_parser(f),
                item_choices=choices,
                default=list(md["axis_default"]),
                metavar=f.name.upper(),
                help=md.get("axis_help", help_text + "s")
                + (f", from {', '.join(choices)}" if choices else "")
                + "; separated by spaces or commas",
            )
            continue
        default = md.get("cli_default", f.default)
        if md.get("default_text"):
            help_text += f" (default: {md['default_text']})"
        if _base_type(f) == "bool":
            g.add_argument(_option(f.name), dest=f.name, action="store_true", help=help_text)
            continue
        kwargs = {"choices": md["choices"]} if md.get("choices") else {"type": _value_parser(f)}
        g.add_argument(_option(f.name), dest=f.name, default=default, help=help_text, **kwargs)


def _config_from_args(args, epochs_default: int, **fixed):
    """A :class:`RunConfig` from the parsed options (``fixed`` overrides fields)."""
    from minigrad.experiments.config import RunConfig

    values = {f.name: getattr(args, f.name) for f in _cli_fields() if f.name not in fixed}
    values.update(fixed)
    if values.get("width") is None:
        values["width"] = 64 if values["model"] == "mlp" else 8
    if values.get("epochs") is None:
        values["epochs"] = epochs_default
    return RunConfig(**values)


def _add_progress(p) -> None:
    p.add_argument(
        "--progress",
        choices=PROGRESS_MODES,
        default="auto",
        help="progress display: auto is a tqdm bar on a terminal (when tqdm is installed), "
        "plain lines otherwise",
    )


def _add_executor(p) -> None:
    from minigrad.experiments.executor import EXECUTORS

    g = p.add_argument_group("where runs execute")
    g.add_argument(
        "--executor",
        choices=EXECUTORS,
        default=None,
        help="serial: one run after another in this process; local: a Dask LocalCluster, one "
        "worker process per core; dask: the existing Dask scheduler at --scheduler (default: "
        "local when Dask is installed, else serial; dask when --scheduler is given)",
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
        help="address of a running Dask scheduler, e.g. tcp://host:8786; implies --executor dask "
        "(default: none)",
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


# ------------------------------------------------------------------ up-front checks
def _check_out(path, what: str = "--out") -> Path:
    """Refuse an output folder that cannot be written, before anything is written."""
    if not str(path).strip():
        raise UsageError(f"{what} must name a folder, got an empty string")
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise UsageError(f"{what} {out} is an existing file, not a folder")
    probe = out
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    if not probe.is_dir():
        raise UsageError(f"{what} {out} cannot be created: {probe} is a file, not a folder")
    try:
        with tempfile.TemporaryFile(dir=probe):
            pass
    except OSError as exc:
        raise UsageError(f"{what} {out} is not writable: {exc.strerror or exc}") from None
    return out


def _make_out(out: Path, what: str = "--out") -> None:
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"{what} {out} cannot be created: {exc.strerror or exc}") from None


def _check_device(spec, origin: str) -> None:
    import minigrad

    try:
        minigrad.zeros(1, device=spec)
    except (RuntimeError, ValueError, TypeError, ImportError, OSError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UsageError(f"{origin} {spec!r} is not usable: {first}") from None


def _check_env_device() -> None:
    spec = os.environ.get("MINIGRAD_DEVICE")
    if spec:
        _check_device(spec, "device from MINIGRAD_DEVICE")


def _check_data(configs: list) -> list:
    """Touch the device and load the data set once up front, so a missing file or GPU is a
    usage error, not a run error; a subset larger than its split is clamped with a notice.
    Returns the (possibly clamped) configs."""
    from minigrad.experiments.runner import _data

    config = configs[0]
    _check_device(config.device, "device")
    try:
        data = _data(config)
    except (FileNotFoundError, ValueError, OSError, ImportError) as exc:
        raise UsageError(f"cannot load dataset {config.dataset!r}: {exc}") from None
    changes = {}
    for name, arr, split in (
        ("subset", data.x_train, "training"),
        ("test_subset", data.x_test, "test"),
    ):
        value = getattr(config, name)
        if value is not None and value > len(arr):
            print(
                f"minigrad: note: {_option(name)} {value} is larger than the {split} set of "
                f"{config.dataset} ({len(arr)} samples); using all {len(arr)}",
                file=sys.stderr,
            )
            changes[name] = None
    return [c.replace(**changes) for c in configs] if changes else configs


def _command_line(argv) -> str:
    return "minigrad " + " ".join(shlex.quote(a) for a in argv)


def malformed_lines(numbers) -> str:
    shown = ", ".join(map(str, numbers[:10])) + (", ..." if len(numbers) > 10 else "")
    return ("line " if len(numbers) == 1 else "lines ") + shown


def _warn_malformed(out: Path) -> None:
    from minigrad.experiments.results import malformed_note, scan_results

    path = out / "results.jsonl"
    if path.is_file():
        _, malformed = scan_results(path)
        if malformed:
            print(f"minigrad: warning: {malformed_note(path, malformed)}", file=sys.stderr)


# ----------------------------------------------------------------------- commands
def _explicit_options(argv, names) -> list:
    given = []
    for token in argv:
        opt = token.split("=", 1)[0]
        if opt in names and opt not in given:
            given.append(opt)
    return given


def cmd_train(args, argv) -> int:
    from minigrad.experiments.config import ConfigError, RunConfig
    from minigrad.experiments.progress import resolve_mode
    from minigrad.experiments.runner import LAST_CHECKPOINT, train
    from minigrad.serialization import CheckpointError

    if args.resume is not None:
        names = {_option(f.name) for f in _cli_fields()} | {"--out"}
        given = _explicit_options(argv, names)
        if given:
            raise UsageError(
                f"--resume takes the run's settings from {args.resume}/config.json; "
                f"drop {' '.join(given)}"
            )
        out = Path(args.resume)
        if not (out / "config.json").is_file():
            raise UsageError(f"--resume {out}: no config.json there (not a `minigrad train` run)")
        import json

        try:
            config = RunConfig.from_dict(json.loads((out / "config.json").read_text()))
        except (ValueError, TypeError) as exc:
            raise UsageError(f"--resume {out}: config.json is not a run config: {exc}") from None
        config.validate()
        if not (out / LAST_CHECKPOINT).is_file():
            print(f"no {LAST_CHECKPOINT} in {out} yet: training from the start", file=sys.stderr)
        _check_out(out, "--resume")
    else:
        config = _config_from_args(args, 5)
        config.validate()
        out = _check_out(args.out)
    (config,) = _check_data([config])
    from minigrad.experiments import parallel

    if args.nproc is not None and args.nproc < 1:
        raise UsageError(f"--nproc must be >= 1, got {args.nproc}")
    if args.nproc is not None and args.nproc > 1 and parallel.world()[1] == 1:
        try:
            return parallel.launch(argv, args.nproc, args.mpiexec)
        except FileNotFoundError as exc:
            raise UsageError(str(exc)) from None
    rank, size = parallel.world()
    _make_out(out)
    try:
        result = train(
            config,
            out_dir=out,
            progress=resolve_mode(args.progress),
            resume=args.resume is not None,
        )
    except CheckpointError as exc:
        raise UsageError(f"--resume {out}: {exc}") from None
    except ConfigError:
        raise
    except Exception as exc:
        if size > 1:  # end every process of the job, not only this one
            first = (str(exc).strip().splitlines() or [""])[0]
            parallel.abort(f"minigrad train: error: {type(exc).__name__}: {first}")
        raise
    if rank != 0:
        return 0
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


def cmd_evaluate(args, argv) -> int:
    import json

    import minigrad
    from minigrad.experiments.config import RunConfig
    from minigrad.experiments.runner import LAST_CHECKPOINT, Trainer
    from minigrad.serialization import CheckpointError

    run = Path(args.dir)
    if not (run / "config.json").is_file():
        raise UsageError(f"{run} holds no config.json (not a folder written by `minigrad train`)")
    ckpt = run / (args.checkpoint or "model.ckpt")
    if args.checkpoint is None and not ckpt.is_file():
        ckpt = run / LAST_CHECKPOINT
    if not ckpt.is_file():
        raise UsageError(f"{run} holds no model.ckpt or {LAST_CHECKPOINT} to evaluate")
    try:
        config = RunConfig.from_dict(json.loads((run / "config.json").read_text()))
    except (ValueError, TypeError) as exc:
        raise UsageError(f"{run}/config.json is not a run config: {exc}") from None
    changes = {
        k: getattr(args, k)
        for k in ("dataset", "data_root", "test_subset", "device")
        if getattr(args, k) is not None
    }
    config = config.replace(**changes)
    config.validate()
    (config,) = _check_data([config])
    try:
        state = minigrad.load(str(ckpt), map_location=config.device)
    except CheckpointError as exc:
        raise UsageError(str(exc)) from None
    if ckpt.name == LAST_CHECKPOINT:
        state = state["trainer"]["model"]
    trainer = Trainer(config)
    try:
        trainer.model.load_state_dict(state)
    except (KeyError, ValueError, RuntimeError, TypeError) as exc:
        first = str(exc).strip().splitlines()[0]
        raise UsageError(
            f"{ckpt} does not fit the run's model on dataset {config.dataset!r}: {first}"
        ) from None
    ev = trainer.evaluate(args.split)
    n = len(trainer.data.x_test if args.split == "test" else trainer.data.x_train)
    print(
        f"{run}: {config.dataset} {args.split} split ({n} samples): "
        f"accuracy {100 * ev['acc']:.2f}%, loss {ev['loss']:.4f}"
    )
    return 0


def compare_configs(args) -> list:
    """The grid of ``minigrad compare`` from parsed arguments."""
    from minigrad.experiments.grid import expand_grid

    axes = {f.name: getattr(args, f.name) for f in _cli_fields() if f.metadata.get("axis")}
    base = _config_from_args(args, 3, **{k: v[0] for k, v in axes.items()})
    configs = []
    for cfg in expand_grid(base, **axes):
        if args.lr_scaling == "linear":
            cfg = cfg.replace(
                lr=round(cfg.lr * cfg.batch_size / REFERENCE_BATCH, 10),
                tags={"base_lr": cfg.lr, "lr_scaling": "linear"},
            )
        configs.append(cfg)
    return configs


def cmd_compare(args, argv) -> int:
    from minigrad.experiments.grid import run_grid
    from minigrad.experiments.progress import resolve_mode
    from minigrad.experiments.report import write_meta, write_report

    configs = compare_configs(args)
    for c in configs:
        c.validate()
    out = _check_out(args.out)
    configs = _check_data(configs)
    _make_out(out)
    write_meta(out, _command_line(argv))
    _warn_malformed(out)
    print(f"compare: {len(configs)} runs into {out}/results.jsonl", flush=True)
    t0 = time.perf_counter()
    with _executor(args) as executor:
        records = run_grid(configs, out, progress=resolve_mode(args.progress), executor=executor)
    if not args.no_report:
        path = write_report(out, title="Normalization comparison")
        print(f"report: {path}")
    n_ok = sum(r.get("status") == "ok" for r in records)
    print(f"{n_ok} of {len(records)} runs finished; {time.perf_counter() - t0:.0f} s")
    return _failed_summary(records, configs, out)


def cmd_report(args, argv) -> int:
    from minigrad.experiments.report import write_report

    out = Path(args.dir)
    if not (out / "results.jsonl").is_file():
        raise UsageError(f"{out} holds no results.jsonl (run `minigrad compare --out {out}`)")
    _check_out(out, "report folder")
    from minigrad.experiments.results import scan_results

    records, malformed = scan_results(out / "results.jsonl")
    if not records:
        bad = (
            f": {len(malformed)} malformed {'line' if len(malformed) == 1 else 'lines'} "
            f"({malformed_lines(malformed)})"
            if malformed
            else ""
        )
        raise UsageError(f"{out / 'results.jsonl'} holds no valid result record{bad}")
    _warn_malformed(out)
    try:
        if (out / "study.json").exists():
            from minigrad.experiments.studies import report_study

            path = report_study(out)
        else:
            path = write_report(out, title=args.title)
    except ValueError as exc:  # no valid record
        raise UsageError(str(exc)) from None
    print(f"report: {path}")
    return 0


def cmd_study(args, argv) -> int:
    from minigrad.experiments.progress import resolve_mode
    from minigrad.experiments.studies import STUDIES, run_study

    if args.list or args.name is None:
        for name, mod in STUDIES.items():
            print(f"{name:18s} {mod.TITLE}")
        return 0
    if args.name not in STUDIES:
        raise UsageError(f"unknown study {args.name!r}; choose one of {', '.join(STUDIES)}")
    out = _check_out(args.out or f"runs/studies/{args.name}")
    _make_out(out)
    with _executor(args) as executor:
        path = run_study(
            args.name,
            out,
            quick=args.quick,
            progress=resolve_mode(args.progress),
            command=_command_line(argv),
            executor=executor,
        )
    print(f"report: {path}")
    from minigrad.experiments.grid import read_results

    records = read_results(out)
    return _failed_summary(records, None, out)


def _version() -> str:
    import minigrad

    return f"minigrad {getattr(minigrad, '__version__', '?')} (distribution minigrad-lab)"


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``minigrad`` (every command has ``--help``).

    Examples
    --------
    >>> args = build_parser().parse_args(["compare", "--norms", "batch,group", "layer"])
    >>> args.norm  # a list option of compare is stored under its field name
    ['batch', 'group', 'layer']
    """
    from minigrad.experiments.datasets import DATASETS

    parser = _Parser(
        prog="minigrad",
        description="minigrad's normalization laboratory: train models with a chosen "
        "normalization, compare norms over grids, run studies, write reports.",
        formatter_class=_HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser(
        "train",
        help="train one model",
        description="Train one model; write config.json, metrics_steps.jsonl, "
        "metrics_epochs.jsonl, result.json, model.ckpt (safetensors) and, after every "
        "epoch, last.ckpt, from which `minigrad train --resume OUT` continues a killed run.",
        formatter_class=_HelpFormatter,
    )
    _add_config_options(p, multi=False)
    p.add_argument("--out", default="runs/train", help="output folder")
    p.add_argument(
        "--resume",
        metavar="DIR",
        default=None,
        help="continue the run in DIR from its last per-epoch checkpoint, with DIR's settings "
        "(default: a new run)",
    )
    _add_progress(p)
    p.add_argument(
        "--nproc",
        type=int,
        default=None,
        metavar="N",
        help="data-parallel training in N processes through mpiexec (--batch-size is per "
        "process; see --norm syncbatch); `mpiexec -n N minigrad train ...` works too "
        "(default: one process)",
    )
    p.add_argument(
        "--mpiexec",
        metavar="PATH",
        default=None,
        help="the mpiexec of --nproc (default: the one next to this Python, then PATH)",
    )
    p.set_defaults(func=cmd_train)

    p = sub.add_parser(
        "evaluate",
        help="evaluate a saved run on a data set",
        description="Load DIR/model.ckpt (or DIR/last.ckpt) of a `minigrad train` run and "
        "print its accuracy and loss on a split of its data set or of another one with the "
        "same input shape.",
        formatter_class=_HelpFormatter,
    )
    p.add_argument("dir", help="a folder written by `minigrad train`")
    p.add_argument(
        "--dataset",
        choices=DATASETS,
        default=None,
        help="data set to evaluate on (default: the run's)",
    )
    p.add_argument("--data-root", default=None, help="folder of the IDX files (default: the run's)")
    p.add_argument(
        "--test-subset",
        type=_value_parser(_field("test_subset")),
        default=None,
        help="evaluate on a fixed random subset of this many samples (default: the run's)",
    )
    p.add_argument("--split", choices=["test", "train"], default="test", help="which split")
    p.add_argument(
        "--device",
        type=_value_parser(_field("device")),
        default=None,
        help="cpu or cuda[:n] (default: the run's)",
    )
    p.add_argument(
        "--checkpoint", default=None, help="file name in DIR (default: model.ckpt, else last.ckpt)"
    )
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser(
        "compare",
        help="a grid of runs over norms, batch sizes, learning rates and seeds",
        description="Train a grid of runs; each finished run is appended durably to "
        "OUT/results.jsonl, a rerun with the same --out resumes, diverged runs are recorded, "
        "and OUT/report.md is written at the end. Without options: a small CNN on mnist1d "
        "(4,000 training signals), norms none/batch/layer/group/instance/renorm/rms, batch "
        "sizes 4 and 32, seeds 0-4, 3 epochs; the report's conclusion compares them by paired "
        "confidence intervals.",
        formatter_class=_HelpFormatter,
    )
    _add_config_options(p, multi=True)
    p.set_defaults(dataset="mnist1d")  # the default grid: chosen for how well it resolves
    p.add_argument(
        "--lr-scaling",
        choices=["linear", "none"],
        default="linear",
        help="linear: lr * batch_size / 32, Goyal et al.'s rule as in Wu & He",
    )
    p.add_argument("--out", default="runs/compare", help="grid folder")
    p.add_argument("--no-report", action="store_true", help="skip report.md")
    _add_progress(p)
    _add_executor(p)
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser(
        "report",
        help="write DIR/report.md from DIR/results.jsonl",
        description="Markdown tables (mean and spread over seeds) and PNG "
        'figures (needs matplotlib: pip install "minigrad-lab[plot]").',
        formatter_class=_HelpFormatter,
    )
    p.add_argument("dir", help="a folder written by `minigrad compare` or `minigrad study`")
    p.add_argument("--title", default=None, help="report title (default: from the folder's kind)")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser(
        "study",
        help="run a named study (a preset grid and its analysis)",
        description="Run a study that tests a published claim about "
        "normalization and write OUT/report.md. `minigrad study --list` names "
        "them.",
        formatter_class=_HelpFormatter,
    )
    p.add_argument("name", nargs="?", help="study name")
    p.add_argument("--out", default=None, help="output folder (default: runs/studies/NAME)")
    p.add_argument("--list", action="store_true", help="list the studies")
    p.add_argument(
        "--quick", action="store_true", help="a tiny version of the grid (seconds; for smoke tests)"
    )
    _add_progress(p)
    _add_executor(p)
    p.set_defaults(func=cmd_study)
    return parser


def _field_names() -> set:
    from minigrad.experiments.config import RunConfig

    return set(RunConfig.__dataclass_fields__)


def _field(name: str):
    from minigrad.experiments.config import RunConfig

    return RunConfig.__dataclass_fields__[name]


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

    prefix = f"minigrad {args.command}: error:"
    try:
        if args.command in ("train", "evaluate", "compare", "study"):
            _check_env_device()
        return args.func(args, argv)
    except ConfigError as exc:
        if exc.field is not None:
            option = _option(exc.field)
            if args.command == "compare" and exc.field in _field_names():
                option = _field(exc.field).metadata.get("axis") or option
            print(f"{prefix} argument {option}: {exc}", file=sys.stderr)
        else:
            print(f"{prefix} {exc}", file=sys.stderr)
        return 2
    except UsageError as exc:
        print(f"{prefix} {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        hint = "rerun the same command to resume"
        if args.command == "train":
            hint = f"resume with `minigrad train --resume {args.resume or args.out}`"
        print(f"interrupted; {hint}", file=sys.stderr)
        return 130
    except Exception as exc:  # a failure while running: one line, unless debugging
        if os.environ.get("MINIGRAD_DEBUG"):
            raise
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        print(
            f"{prefix} {type(exc).__name__}: {text} (set MINIGRAD_DEBUG=1 for the traceback)",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
