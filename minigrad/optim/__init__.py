"""Optimizers and learning-rate schedules, with PyTorch's names and updates.

- :class:`Optimizer` — the base: parameter groups, state, ``state_dict``.
- :class:`SGD` — momentum, dampening, Nesterov, weight decay.
- :class:`Adam`, :class:`AdamW` — Adam and its decoupled-decay variant.
- :class:`RMSprop`, :class:`Adagrad`, :class:`Adadelta`, :class:`Adamax`, :class:`NAdam`,
  :class:`RAdam`, :class:`Rprop` — per-element adaptive learning rates; :class:`ASGD`.
- :mod:`minigrad.optim.lr_scheduler` — StepLR, MultiStepLR, CosineAnnealingLR, LinearLR,
  LambdaLR.
"""

from minigrad.optim import lr_scheduler, swa_utils
from minigrad.optim.adadelta import Adadelta
from minigrad.optim.adagrad import Adagrad
from minigrad.optim.adam import Adam, AdamW
from minigrad.optim.adamax import Adamax
from minigrad.optim.asgd import ASGD
from minigrad.optim.nadam import NAdam
from minigrad.optim.optimizer import Optimizer
from minigrad.optim.radam import RAdam
from minigrad.optim.rmsprop import RMSprop
from minigrad.optim.rprop import Rprop
from minigrad.optim.sgd import SGD

__all__ = [
    "Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam",
    "RAdam", "Rprop", "ASGD", "lr_scheduler", "swa_utils",
]  # fmt: skip
