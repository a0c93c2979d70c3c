"""Parallel training wrappers: :class:`DistributedDataParallel` (data parallelism over
the processes of an MPI job, :mod:`minigrad.distributed`)."""

from minigrad.nn.parallel.distributed import DistributedDataParallel

__all__ = ["DistributedDataParallel"]
