"""Each process's share of a dataset: :class:`DistributedSampler`.

In data-parallel training every process runs the same loop over its own indices. The
sampler gives process ``rank`` of ``num_replicas`` every ``num_replicas``-th index of
one permutation of the dataset (the same permutation on every process: it depends only
on ``seed`` and the epoch), with PyTorch's rules (``torch.utils.data.DistributedSampler``):

* ``drop_last=False``: the index list is padded by repeating its start until its length
  divides evenly (``ceil(n / num_replicas)`` samples per process; a few samples are
  seen twice per epoch);
* ``drop_last=True``: the tail is dropped so that it divides evenly
  (``ceil((n - num_replicas) / num_replicas)`` per process when ``n`` does not divide);
* process ``rank`` takes ``indices[rank : total : num_replicas]``.

With ``shuffle=True`` the permutation is NumPy's ``default_rng(seed + epoch)`` (PyTorch
uses ``torch.randperm`` with a generator seeded the same way, so the permutations
differ, the partition rules do not). Call :meth:`DistributedSampler.set_epoch` at the
start of each epoch, or every epoch uses the same order.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["DistributedSampler"]


def _partition(indices, num_replicas, rank, drop_last):
    """PyTorch's padding (or truncation) of ``indices`` and process ``rank``'s share."""
    n = len(indices)
    if drop_last and n % num_replicas:
        num_samples = math.ceil((n - num_replicas) / num_replicas)
    else:
        num_samples = math.ceil(n / num_replicas)
    total = num_samples * num_replicas
    indices = list(indices)
    if not drop_last:
        pad = total - n
        if pad <= n:
            indices += indices[:pad]
        elif n:
            indices += (indices * math.ceil(pad / n))[:pad]
    else:
        indices = indices[:total]
    return indices[rank:total:num_replicas]


class DistributedSampler:
    """Sample indices of the share of process ``rank`` (see the module docstring).

    Parameters
    ----------
    dataset : sized
        The dataset (only its length is used).
    num_replicas : int, optional
        Number of processes (default: the process group's world size).
    rank : int, optional
        This process's rank (default: from the process group).
    shuffle : bool
        Permute the indices each epoch (the same permutation on every process).
    seed : int
        Seed of the permutation (must be the same on every process).
    drop_last : bool
        Drop the tail instead of padding, so every process gets the same count.

    Raises
    ------
    ValueError
        ``rank`` outside ``[0, num_replicas - 1]``.
    RuntimeError
        ``num_replicas``/``rank`` not given and no process group initialized.

    Examples
    --------
    >>> from minigrad.data import DistributedSampler
    >>> list(DistributedSampler(range(10), num_replicas=4, rank=1, shuffle=False))
    [1, 5, 9]
    >>> list(DistributedSampler(range(10), num_replicas=4, rank=3, shuffle=False))
    [3, 7, 1]
    >>> len(DistributedSampler(range(10), num_replicas=4, rank=3, drop_last=True))
    2
    """

    def __init__(
        self,
        dataset,
        num_replicas: int | None = None,
        rank: int | None = None,
        shuffle: bool = True,
        seed: int = 0,
        drop_last: bool = False,
    ):
        if num_replicas is None or rank is None:
            from minigrad.distributed import process_group as pg

            if not pg.is_initialized():
                raise RuntimeError(
                    "DistributedSampler: give num_replicas and rank, or call "
                    "minigrad.distributed.init_process_group() first"
                )
            num_replicas = pg.get_world_size() if num_replicas is None else num_replicas
            rank = pg.get_rank() if rank is None else rank
        if num_replicas < 1:
            raise ValueError(f"DistributedSampler: num_replicas must be >= 1, got {num_replicas}")
        if not 0 <= rank < num_replicas:
            raise ValueError(
                f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]"
            )
        self.dataset = dataset
        self.num_replicas = int(num_replicas)
        self.rank = int(rank)
        self.shuffle = bool(shuffle)
        self.seed = int(seed)
        self.drop_last = bool(drop_last)
        self.epoch = 0
        n = len(dataset)
        if self.drop_last and n % self.num_replicas:
            self.num_samples = math.ceil((n - self.num_replicas) / self.num_replicas)
        else:
            self.num_samples = math.ceil(n / self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas

    def set_epoch(self, epoch: int) -> None:
        """Use the permutation of ``epoch`` (call at the start of every epoch).

        Examples
        --------
        >>> from minigrad.data import DistributedSampler
        >>> s = DistributedSampler(range(8), num_replicas=2, rank=0, seed=1)
        >>> a = list(s); s.set_epoch(1); b = list(s)
        >>> a != b
        True
        """
        self.epoch = int(epoch)

    def __iter__(self):
        n = len(self.dataset)
        if self.shuffle:
            order = np.random.default_rng(self.seed + self.epoch).permutation(n).tolist()
        else:
            order = list(range(n))
        return iter(_partition(order, self.num_replicas, self.rank, self.drop_last))

    def __len__(self) -> int:
        return self.num_samples
