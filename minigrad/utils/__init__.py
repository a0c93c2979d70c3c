"""PyTorch's ``torch.utils`` names, so that ported scripts import unchanged.

- :mod:`minigrad.utils.data` — the same objects as :mod:`minigrad.data`
  (``from minigrad.utils.data import DataLoader, Dataset, TensorDataset``).
"""

from minigrad.utils import data

__all__ = ["data"]
