"""The configuration of one training run: a dataclass that validates itself."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from dataclasses import dataclass, field

from minigrad.experiments.datasets import DATASETS
from minigrad.experiments.models import ACTIVATIONS, KINDS, NORMS

__all__ = ["RunConfig", "ConfigError", "OPTIMIZERS"]

OPTIMIZERS = ("sgd", "adam")


class ConfigError(ValueError):
    """A run configuration that cannot be trained (the CLI answers it with exit code 2).

    Examples
    --------
    >>> from minigrad.experiments.config import ConfigError, RunConfig
    >>> try:
    ...     RunConfig(norm="bogus").validate()
    ... except ConfigError as e:
    ...     print(str(e).split(";")[0])
    unknown norm 'bogus'
    """


@dataclass
class RunConfig:
    """Everything that defines one training run; the run is deterministic given it.

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
        Batch Renormalization clipping limits.
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

    dataset: str = "digits"
    model: str = "cnn"
    norm: str = "batch"
    width: int = 16
    depth: int = 2
    activation: str = "relu"
    groups: int = 4
    batch_size: int = 32
    lr: float = 0.05
    optimizer: str = "sgd"
    momentum: float = 0.9
    weight_decay: float = 0.0
    epochs: int = 5
    seed: int = 0
    device: str = "cpu"
    subset: int | None = None
    test_subset: int | None = None
    data_root: str | None = None
    init_scale: float = 1.0
    dropout: float = 0.0
    bn_momentum: float | None = 0.1
    rmax: float = 3.0
    dmax: float = 5.0
    renorm_warmup: int = 0
    eval_batch_stats: bool = False
    eval_every: int = 0
    max_steps: int | None = None
    lr_schedule: str = "constant"
    tags: dict = field(default_factory=dict)

    # ------------------------------------------------------------------ checks
    def validate(self) -> None:
        """Raise :class:`ConfigError` naming the first bad field."""

        def choice(name, options):
            value = getattr(self, name)
            if value not in options:
                raise ConfigError(f"unknown {name} {value!r}; choose one of {', '.join(options)}")

        def positive(name, allow_none=False):
            value = getattr(self, name)
            if value is None and allow_none:
                return
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ConfigError(f"{name} must be a positive integer, got {value!r}")

        choice("dataset", DATASETS)
        choice("model", KINDS)
        choice("norm", NORMS)
        choice("activation", ACTIVATIONS)
        choice("optimizer", OPTIMIZERS)
        choice("lr_schedule", ("constant", "cosine"))
        for name in ("width", "depth", "groups", "batch_size", "epochs"):
            positive(name)
        for name in ("subset", "test_subset", "max_steps"):
            positive(name, allow_none=True)
        for name in ("lr", "momentum", "weight_decay", "init_scale", "dropout"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
                raise ConfigError(f"{name} must be a finite number >= 0, got {value!r}")
        if self.lr <= 0:
            raise ConfigError(f"lr must be > 0, got {self.lr}")
        if self.dropout >= 1:
            raise ConfigError(f"dropout must be in [0, 1), got {self.dropout}")
        if self.bn_momentum is not None and not 0 <= self.bn_momentum <= 1:
            raise ConfigError(f"bn_momentum must be in [0, 1] or None, got {self.bn_momentum}")
        if self.renorm_warmup < 0:
            raise ConfigError(f"renorm_warmup must be >= 0, got {self.renorm_warmup}")
        if self.eval_every < 0:
            raise ConfigError(f"eval_every must be >= 0, got {self.eval_every}")
        if self.norm == "instance" and self.model == "mlp":
            raise ConfigError(
                "norm 'instance' needs a spatial extent: use --model cnn or resnet with it"
            )
        if self.norm == "group":
            for channels in self.normalized_channels():
                if channels % self.groups:
                    raise ConfigError(
                        f"GroupNorm: groups={self.groups} must divide the {channels} channels "
                        f"of a normalized layer (width={self.width}, model={self.model})"
                    )
        if not str(self.device).startswith(("cpu", "cuda")):
            raise ConfigError(f"device must be 'cpu' or 'cuda[:n]', got {self.device!r}")

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
