"""Named studies: each a preset grid, an analysis, and the published claim it tests.

``minigrad study NAME --out DIR`` runs one (resuming a partial run) and writes
``DIR/report.md`` with its tables, figures, verdict, command and machine.

Examples
--------
>>> list(STUDIES)[:3]
['batch-size', 'bn-sigmoid-mlp', 'learning-rate']
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path

__all__ = ["STUDIES", "get_study", "run_study", "report_study"]

_MODULES = {
    "batch-size": ("batch_size", "BatchSizeStudy"),
    "bn-sigmoid-mlp": ("bn_sigmoid_mlp", "BNSigmoidMLPStudy"),
    "learning-rate": ("learning_rate", "LearningRateStudy"),
    "renorm": ("renorm", "RenormStudy"),
    "train-vs-eval": ("train_vs_eval", "TrainVsEvalStudy"),
    "init-scale": ("init_scale", "InitScaleStudy"),
    "regularization": ("regularization", "RegularizationStudy"),
    "landscape": ("landscape", "LandscapeStudy"),
    "sync-bn": ("sync_bn", "SyncBNStudy"),
    "mnist1d-baselines": ("baselines", "BaselinesStudy"),
    "rnn-norms": ("rnn_norms", "RNNNormsStudy"),
    "rnn-norms-patches": ("rnn_norms", "RNNNormsPatchesStudy"),
    "adaptive-bn": ("adaptive_bn", "AdaptiveBNStudy"),
    "precise-bn": ("precise_bn", "PreciseBNStudy"),
    "norm-cost": ("norm_cost", "NormCostStudy"),
}


def get_study(name: str):
    """An instance of the named study.

    Raises
    ------
    KeyError
        For an unknown name.
    """
    if name not in _MODULES:
        raise KeyError(f"unknown study {name!r}; choose one of {', '.join(_MODULES)}")
    module, cls = _MODULES[name]
    return getattr(importlib.import_module(f"minigrad.experiments.studies.{module}"), cls)()


class _Registry(dict):
    """name -> study instance, created on first access."""

    def __getitem__(self, name):
        return get_study(name)

    def items(self):
        return [(n, get_study(n)) for n in _MODULES]


STUDIES = _Registry.fromkeys(_MODULES)


def run_study(
    name: str, out, quick: bool = False, progress="auto", command: str = "", executor="serial"
) -> Path:
    """Run the named study into ``out`` (its runs on ``executor``, see
    :func:`~minigrad.experiments.executor.make_executor`) and return its report's path."""
    return get_study(name).execute(
        out, quick=quick, progress=progress, command=command, executor=executor
    )


def report_study(out) -> Path:
    """Rewrite the report of a study folder (named in its ``study.json``)."""
    name = json.loads((Path(out) / "study.json").read_text())["study"]
    return get_study(name).report(out)
