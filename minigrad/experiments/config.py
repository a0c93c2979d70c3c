"""The configuration of one training run: a dataclass that validates itself.

Each field carries its command-line description in ``dataclasses.field(metadata=...)``:
help text, choices, a range check, and (for ``minigrad compare``) the name and default of
its list option. :mod:`minigrad.cli` generates its options from these fields, and
:meth:`RunConfig.validate` checks every field with the same range checks, so a setting is
defined, documented and validated in one place.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from dataclasses import dataclass, field

from minigrad.experiments.datasets import DATASETS
from minigrad.experiments.models import ACTIVATIONS, KINDS, NORMS

__all__ = ["RunConfig", "ConfigError", "OPTIMIZERS", "LR_SCHEDULES", "check_field"]

OPTIMIZERS = ("sgd", "adam")
LR_SCHEDULES = ("constant", "cosine")


class ConfigError(ValueError):
    """A run configuration that cannot be trained (the CLI answers it with exit code 2).

    ``field`` names the offending field when there is one.

    Examples
    --------
    >>> from minigrad.experiments.config import ConfigError, RunConfig
    >>> try:
    ...     RunConfig(norm="bogus").validate()
    ... except ConfigError as e:
    ...     print(str(e).split(";")[0], e.field)
    unknown norm 'bogus' norm
    """

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


# ------------------------------------------------------------------ range checks
# Each check takes a value and returns None when it is acceptable, else the reason
# ("must be ..., got ...") that follows the field's name in the error message.
def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def positive_int(v):
    return None if _is_int(v) and v >= 1 else f"must be a positive integer, got {v!r}"


def nonneg_int(v):
    return None if _is_int(v) and v >= 0 else f"must be an integer >= 0, got {v!r}"


def number(lo=None, hi=None, lo_open=False, hi_open=False):
    """A check for a finite number in a range (``None``: unbounded on that side)."""
    if lo is not None and hi is not None:
        text = f"in {'(' if lo_open else '['}{lo:g}, {hi:g}{')' if hi_open else ']'}"
    elif lo is not None:
        text = f"{'>' if lo_open else '>='} {lo:g}"
    else:
        text = "a finite number"

    def check(v):
        ok = _is_number(v)
        if ok and lo is not None:
            ok = v > lo if lo_open else v >= lo
        if ok and hi is not None:
            ok = v < hi if hi_open else v <= hi
        return None if ok else f"must be {text}, got {v!r}"

    check.text = text
    return check


def optional(check):
    """``check`` that also accepts ``None``."""

    def opt(v):
        return None if v is None else check(v)

    return opt


def _choices(options):
    def check(v):
        if v in options:
            return None
        return f"{v!r} is not one of {', '.join(options)}"

    check.choices = tuple(options)
    return check


def _device(v):
    if isinstance(v, str) and (v in ("cpu", "cuda") or v.startswith(("cpu:", "cuda:"))):
        return None
    return f"must be 'cpu' or 'cuda[:n]', got {v!r}"


def _setting(default, help, check=None, choices=None, group="training", cli=True, **extra):
    """A RunConfig field with its command-line metadata.

    Parameters
    ----------
    default
        The field's default (also the option's, unless ``cli_default`` is given).
    help : str
        The option's help text.
    check : callable, optional
        ``check(value) -> None or reason``; used by :meth:`RunConfig.validate` and by the
        command line's option parser.
    choices : sequence, optional
        The accepted values (a check is derived from them).
    group : str
        ``data`` or ``training``: the help section of the option.
    cli : bool
        Whether the command line has an option for the field.
    extra
        ``cli_default`` (the option's default when it differs, resolved by
        :func:`minigrad.cli`), ``default_text`` (how help describes that default),
        ``axis`` and ``axis_default`` (``minigrad compare``'s list option and its default).
    """
    if choices is not None:
        check = _choices(choices)
    metadata = {"help": help, "check": check, "choices": choices, "group": group, "cli": cli}
    metadata.update(extra)
    if isinstance(default, (dict, list)):
        return field(default_factory=lambda: type(default)(default), metadata=metadata)
    return field(default=default, metadata=metadata)


def check_field(name: str, value) -> str | None:
    """The reason ``value`` is not acceptable for field ``name`` (None when it is).

    Examples
    --------
    >>> check_field("rmax", 0.5)
    'must be >= 1, got 0.5'
    >>> check_field("rmax", 2.0) is None
    True
    """
    check = RunConfig.__dataclass_fields__[name].metadata.get("check")
    return check(value) if check is not None else None


@dataclass
class RunConfig:
    """Everything that defines one training run; the run is deterministic given it.

    Every field's meaning, accepted range and command-line option are in its metadata
    (``dataclasses.fields(RunConfig)[i].metadata['help']``; ``minigrad train --help``
    lists them all with their defaults).

    Attributes
    ----------
    dataset : str
        ``digits`` (bundled), ``mnist1d`` (procedural), ``mnist`` / ``fashion-mnist``
        (IDX files under ``data_root``).
    model, norm, width, depth, activation, groups
        Passed to :func:`minigrad.experiments.models.make_model`.
    batch_size, lr, optimizer, momentum, weight_decay, epochs, seed, device
        The training recipe (``optimizer`` is ``sgd`` or ``adam``; ``momentum`` is SGD's).
    subset, test_subset : int or None
        Train (test) on a fixed random subset of this many samples.
    data_root : str or None
        Folder of the IDX files.
    init_scale : float
        Factor applied to every Linear/Conv weight after PyTorch's default init.
    dropout : float
        Dropout probability after each hidden activation.
    bn_momentum : float or None
        Running-statistics momentum of the batch norms (``None``: cumulative average).
    rmax, dmax : float
        Batch Renormalization clipping limits (``rmax >= 1``, ``dmax >= 0``).
    renorm_warmup : int
        Batch Renormalization starts as plain BN (rmax=1, dmax=0) and relaxes linearly to
        ``rmax``/``dmax`` over this many steps (0: the limits from the start).
    eval_batch_stats : bool
        Also evaluate the test set in training mode (batch statistics, batches of
        ``batch_size``), restoring the running statistics afterwards.
    eval_every : int
        Evaluate the test set every this many steps too (0: only at epoch ends).
    max_steps : int or None
        Stop after this many optimizer steps.
    lr_schedule : str
        ``constant`` or ``cosine`` (cosine annealing over the whole run).

    Examples
    --------
    >>> c = RunConfig(norm="group", batch_size=16)
    >>> c.validate()
    >>> RunConfig.from_dict(c.to_dict()) == c
    True
    >>> RunConfig(batch_size=-1).validate()
    Traceback (most recent call last):
    ...
    minigrad.experiments.config.ConfigError: batch_size must be a positive integer, got -1
    """

    dataset: str = _setting(
        "digits",
        "digits (bundled), mnist1d (procedural), mnist / fashion-mnist (IDX files under "
        "--data-root)",
        choices=DATASETS,
        group="data",
    )
    model: str = _setting("cnn", "model family", choices=KINDS, group="data")
    norm: str = _setting(
        "batch",
        "normalization layer",
        choices=NORMS,
        group="data",
        axis="--norms",
        axis_default=["none", "batch", "layer", "group", "instance", "renorm", "rms"],
    )
    width: int = _setting(
        16,
        "hidden units (mlp) or first conv channels",
        check=positive_int,
        group="data",
        cli_default=None,
        default_text="64 for mlp, 8 for cnn and resnet",
    )
    depth: int = _setting(2, "hidden layers / conv stages", check=positive_int, group="data")
    activation: str = _setting("relu", "hidden activation", choices=ACTIVATIONS, group="data")
    groups: int = _setting(
        4, "GroupNorm groups, must divide the channels", check=positive_int, group="data"
    )
    batch_size: int = _setting(
        32,
        "training batch size",
        check=positive_int,
        axis="--batch-sizes",
        axis_default=[4, 32],
    )
    lr: float = _setting(
        0.05,
        "learning rate",
        check=number(0, lo_open=True),
        axis="--lrs",
        axis_default=[0.05],
        axis_help="learning rates (at batch size 32 when --lr-scaling is linear)",
    )
    optimizer: str = _setting("sgd", "optimizer", choices=OPTIMIZERS)
    momentum: float = _setting(0.9, "SGD momentum", check=number(0, 1))
    weight_decay: float = _setting(0.0, "L2 weight decay", check=number(0))
    epochs: int = _setting(
        5,
        "epochs per run",
        check=positive_int,
        cli_default=None,
        default_text="train 5, compare 3",
    )
    seed: int = _setting(
        0,
        "random seed (weights, batch order, dropout)",
        check=nonneg_int,
        axis="--seeds",
        axis_default=[0, 1, 2, 3, 4],
        axis_help="random seeds (weights, batch order, dropout)",
    )
    device: str = _setting("cpu", "cpu or cuda[:n] (needs CuPy)", check=_device)
    subset: int | None = _setting(
        None,
        "train on a fixed random subset of this many samples",
        check=optional(positive_int),
        default_text="all",
        group="data",
    )
    test_subset: int | None = _setting(
        None,
        "evaluate on a fixed random subset of this many test samples (at most the test set)",
        check=optional(positive_int),
        default_text="all",
        group="data",
    )
    data_root: str | None = _setting(
        None, "folder of the MNIST IDX files", group="data", default_text="none"
    )
    init_scale: float = _setting(
        1.0,
        "multiply the default initial weights by this factor",
        check=number(0, lo_open=True),
        group="data",
    )
    dropout: float = _setting(
        0.0,
        "dropout probability after each hidden activation",
        check=number(0, 1, hi_open=True),
        group="data",
    )
    bn_momentum: float | None = _setting(
        0.1,
        "running-statistics momentum of batch norms ('none': cumulative average)",
        check=optional(number(0, 1)),
    )
    rmax: float = _setting(3.0, "Batch Renorm r limit, >= 1", check=number(1))
    dmax: float = _setting(5.0, "Batch Renorm d limit, >= 0", check=number(0))
    renorm_warmup: int = _setting(
        0,
        "steps over which Batch Renorm relaxes from plain BN to --rmax/--dmax",
        check=nonneg_int,
    )
    eval_batch_stats: bool = _setting(
        False, "also evaluate the test set with batch statistics (training mode)"
    )
    eval_every: int = _setting(
        0,
        "also evaluate the test set every this many steps (0: at epoch ends only)",
        check=nonneg_int,
    )
    max_steps: int | None = _setting(
        None,
        "stop after this many optimizer steps",
        check=optional(positive_int),
        default_text="no limit",
    )
    lr_schedule: str = _setting("constant", "learning-rate schedule", choices=LR_SCHEDULES)
    tags: dict = _setting({}, "free-form labels (not a command-line option)", cli=False)

    # ------------------------------------------------------------------ checks
    def validate(self) -> None:
        """Raise :class:`ConfigError` naming the first bad field.

        Every field is checked against its metadata's range check, then the settings that
        depend on each other (GroupNorm groups and channels, InstanceNorm and the model).
        """
        for f in dataclasses.fields(self):
            check = f.metadata.get("check")
            value = getattr(self, f.name)
            reason = check(value) if check is not None else None
            if reason is None:
                continue
            if f.metadata.get("choices") is not None:
                raise ConfigError(
                    f"unknown {f.name} {value!r}; choose one of {', '.join(f.metadata['choices'])}",
                    f.name,
                )
            raise ConfigError(f"{f.name} {reason}", f.name)
        if not isinstance(self.tags, dict):
            raise ConfigError(f"tags must be a dict, got {type(self.tags).__name__}", "tags")
        if self.norm == "instance" and self.model == "mlp":
            raise ConfigError(
                "norm 'instance' needs a spatial extent: use --model cnn or resnet with it", "norm"
            )
        if self.norm in ("batch", "renorm", "syncbatch") and self.model == "mlp":
            if self.batch_size < 2:
                raise ConfigError(
                    f"norm {self.norm!r} on an mlp normalizes each feature over the batch: "
                    f"it needs batch_size >= 2, got {self.batch_size}",
                    "batch_size",
                )
        if self.norm == "group":
            for channels in self.normalized_channels():
                if channels % self.groups:
                    raise ConfigError(
                        f"GroupNorm: groups={self.groups} must divide the {channels} channels "
                        f"of a normalized layer (width={self.width}, model={self.model})",
                        "groups",
                    )

    def normalized_channels(self) -> list:
        """Channel counts of the normalized layers of the model this config builds."""
        if self.model == "cnn":
            return [self.width * 2**i for i in range(self.depth)]
        return [self.width]

    # ----------------------------------------------------------- serialization
    def to_dict(self) -> dict:
        """A JSON-ready dict of every field."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> RunConfig:
        """Build from a dict, refusing unknown keys."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - names)
        if unknown:
            raise ConfigError(f"unknown config keys: {', '.join(unknown)}")
        return cls(**d)

    def replace(self, **changes) -> RunConfig:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)

    def run_id(self) -> str:
        """A readable, stable identifier: key fields plus a hash of the whole config.

        Examples
        --------
        >>> RunConfig(norm="layer", batch_size=8, lr=0.1, seed=2).run_id()[:27]
        'cnn-layer-bs8-lr0.1-sgd-s2-'
        """
        blob = json.dumps(self.to_dict(), sort_keys=True, default=str)
        digest = hashlib.sha1(blob.encode()).hexdigest()[:8]
        return (
            f"{self.model}-{self.norm}-bs{self.batch_size}-lr{self.lr:g}-"
            f"{self.optimizer}-s{self.seed}-{digest}"
        )
