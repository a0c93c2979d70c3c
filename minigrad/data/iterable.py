"""Stream-style datasets (PyTorch's ``IterableDataset``) and :func:`get_worker_info`.

An :class:`IterableDataset` yields samples from ``__iter__`` instead of being indexed.
The :class:`~minigrad.data.DataLoader` batches them in order. With ``num_workers=N``,
as in PyTorch, each of the N workers (here threads) iterates its own copy of the
dataset and batches are taken from the workers in turn; a dataset that should not be
read N times splits the work itself with :func:`get_worker_info` (see the example).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from minigrad.data.dataset import Dataset

__all__ = ["IterableDataset", "get_worker_info", "WorkerInfo"]

_local = threading.local()


@dataclass(frozen=True)
class WorkerInfo:
    """What :func:`get_worker_info` returns inside a worker: its ``id`` (0 ..
    ``num_workers - 1``), ``num_workers``, a per-worker ``seed`` and the ``dataset``.

    Examples
    --------
    >>> from minigrad.data import WorkerInfo
    >>> WorkerInfo(id=1, num_workers=4, seed=7, dataset=None).num_workers
    4
    """

    id: int
    num_workers: int
    seed: int
    dataset: object


def get_worker_info():
    """The :class:`WorkerInfo` of the calling DataLoader worker, or None in the main
    thread (PyTorch's ``torch.utils.data.get_worker_info``).

    Examples
    --------
    >>> from minigrad.data import get_worker_info
    >>> get_worker_info() is None
    True
    """
    return getattr(_local, "info", None)


def _set_worker_info(info) -> None:
    _local.info = info


class IterableDataset(Dataset):
    """Base class of datasets that yield their samples: implement ``__iter__``.

    Examples
    --------
    Split a range between the workers so that each sample is read once:

    >>> from minigrad.data import DataLoader, IterableDataset, get_worker_info
    >>> class Range(IterableDataset):
    ...     def __init__(self, n):
    ...         self.n = n
    ...     def __iter__(self):
    ...         info = get_worker_info()
    ...         start, step = (0, 1) if info is None else (info.id, info.num_workers)
    ...         return iter(range(start, self.n, step))
    >>> [b.tolist() for b in DataLoader(Range(6), batch_size=2)]
    [[0, 1], [2, 3], [4, 5]]
    >>> sorted(i for b in DataLoader(Range(6), batch_size=2, num_workers=2) for i in b.tolist())
    [0, 1, 2, 3, 4, 5]
    """

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must implement __iter__")

    def __len__(self) -> int:
        raise TypeError(
            f"{type(self).__name__} is an IterableDataset without a length (define __len__ "
            "to give it one)"
        )

    def __getitem__(self, index):
        raise TypeError(f"{type(self).__name__} is an IterableDataset: it cannot be indexed")
