"""The normalization laboratory: train, compare and study normalization layers.

The pieces, each usable from Python as well as from the ``minigrad`` command line:

- :func:`make_model` (:mod:`.models`): MLP, CNN or residual CNN with the norm as one argument;
- :class:`RunConfig` and :func:`train` (:mod:`.config`, :mod:`.runner`): one run, with
  metrics files, checkpoint and divergence detection;
- :func:`run_grid` (:mod:`.grid`): a resumable grid with a durable ``results.jsonl``;
- :func:`write_report` (:mod:`.report`): markdown tables and PNG figures;
- :mod:`.studies`: preset grids that test published claims.

Examples
--------
>>> from minigrad.experiments import RunConfig, train
>>> r = train(RunConfig(model="mlp", width=8, depth=1, subset=64, epochs=1), progress="none")
>>> r["status"]
'ok'
"""

from minigrad.experiments.config import ConfigError, RunConfig
from minigrad.experiments.grid import expand_grid, read_results, run_grid
from minigrad.experiments.models import NORMS, make_model, make_norm
from minigrad.experiments.report import write_report
from minigrad.experiments.runner import Trainer, train

__all__ = [
    "ConfigError",
    "NORMS",
    "RunConfig",
    "Trainer",
    "expand_grid",
    "make_model",
    "make_norm",
    "read_results",
    "run_grid",
    "train",
    "write_report",
]
