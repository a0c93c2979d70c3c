"""``torch.utils.data`` under minigrad's name: the very objects of :mod:`minigrad.data`.

A PyTorch script's ``from torch.utils.data import DataLoader, TensorDataset`` ports as
``from minigrad.utils.data import DataLoader, TensorDataset``. Nothing is redefined here:
``minigrad.utils.data.DataLoader is minigrad.data.DataLoader``.

Examples
--------
>>> import minigrad
>>> from minigrad.utils.data import DataLoader, TensorDataset
>>> DataLoader is minigrad.data.DataLoader
True
>>> ds = TensorDataset(minigrad.arange(4.0))
>>> [b[0].tolist() for b in DataLoader(ds, batch_size=2)]
[[0.0, 1.0], [2.0, 3.0]]
"""

from minigrad.data import (
    BatchSampler,
    ConcatDataset,
    DataLoader,
    Dataset,
    DistributedSampler,
    IterableDataset,
    RandomSampler,
    Sampler,
    SequentialSampler,
    Subset,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
    default_collate,
    get_worker_info,
    random_split,
)

__all__ = [
    "Dataset",
    "TensorDataset",
    "Subset",
    "random_split",
    "ConcatDataset",
    "IterableDataset",
    "get_worker_info",
    "DataLoader",
    "default_collate",
    "Sampler",
    "SequentialSampler",
    "RandomSampler",
    "SubsetRandomSampler",
    "WeightedRandomSampler",
    "BatchSampler",
    "DistributedSampler",
]
