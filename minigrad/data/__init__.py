"""Datasets and data loading.

- :class:`Dataset`, :class:`TensorDataset`, :class:`Subset`, :func:`random_split`.
- :class:`DataLoader` — batches as Tensors on a chosen device; seeded shuffling.
- :class:`DistributedSampler` — each process's share of a dataset (data parallelism).
- :func:`load_digits` — the bundled 8x8 handwritten digits (no download, ever).
- :func:`load_mnist`, :func:`load_fashion_mnist`, :func:`read_idx` — IDX files you have.
- :func:`load_mnist1d` — MNIST-1D through the optional ``mnist1d`` package.
- :func:`make_spirals`, :func:`make_moons` — tiny synthetic problems.
"""

from minigrad.data.concat import ConcatDataset
from minigrad.data.dataloader import DataLoader, default_collate
from minigrad.data.dataset import Dataset, Subset, TensorDataset, random_split
from minigrad.data.digits import load_digits
from minigrad.data.distributed import DistributedSampler
from minigrad.data.idx import load_fashion_mnist, load_mnist, read_idx, write_idx
from minigrad.data.iterable import IterableDataset, WorkerInfo, get_worker_info
from minigrad.data.mnist1d import load_mnist1d
from minigrad.data.sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)
from minigrad.data.synthetic import make_moons, make_spirals

__all__ = [
    "Dataset",
    "TensorDataset",
    "Subset",
    "random_split",
    "ConcatDataset",
    "IterableDataset",
    "get_worker_info",
    "WorkerInfo",
    "DataLoader",
    "Sampler",
    "SequentialSampler",
    "RandomSampler",
    "SubsetRandomSampler",
    "WeightedRandomSampler",
    "BatchSampler",
    "DistributedSampler",
    "default_collate",
    "load_digits",
    "load_mnist",
    "load_fashion_mnist",
    "read_idx",
    "write_idx",
    "load_mnist1d",
    "make_spirals",
    "make_moons",
]
