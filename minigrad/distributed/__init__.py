"""Distributed training over MPI: process groups and collectives (PyTorch's names).

Run a script under an MPI launcher and join the job::

    mpiexec -n 4 python train.py          # in train.py:
    import minigrad.distributed as dist
    dist.init_process_group()              # rank and size from mpiexec

- :mod:`~minigrad.distributed.process_group`: :func:`init_process_group`,
  :func:`get_rank`, :func:`get_world_size`, :func:`new_group`, :class:`ReduceOp`.
- :mod:`~minigrad.distributed.collectives`: :func:`all_reduce`, :func:`all_gather`,
  :func:`broadcast`, :func:`reduce`, :func:`barrier`.
- :mod:`~minigrad.distributed.nccl`: CuPy arrays through NCCL.

mpi4py is imported only when a process group is used (``pip install
"minigrad-lab[distributed]"``). Training: :class:`minigrad.nn.SyncBatchNorm`,
:class:`minigrad.nn.parallel.DistributedDataParallel`,
:class:`minigrad.data.DistributedSampler`.
"""

from minigrad.distributed.collectives import *  # noqa: F403
from minigrad.distributed.collectives import __all__ as _c
from minigrad.distributed.process_group import *  # noqa: F403
from minigrad.distributed.process_group import __all__ as _p

__all__ = [*_p, *_c]
