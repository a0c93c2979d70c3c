"""Data-parallel training runs of the laboratory: ``minigrad train --nproc N``.

``minigrad train ... --nproc N`` starts ``N`` processes through ``mpiexec`` (the one next
to the Python interpreter, as pip's ``mpich`` wheel installs it, or ``--mpiexec PATH``);
``mpiexec -n N minigrad train ...`` does the same by hand. Each process:

* joins the MPI job (:func:`world` reads the launcher's environment and calls
  :func:`minigrad.distributed.init_process_group`);
* builds the same model from the same seed, registers it with
  :class:`~minigrad.nn.parallel.DistributedDataParallel` (gradients averaged over the
  processes after every backward);
* draws the same permutation of the training set each epoch and takes its slice of
  every global batch: ``--batch-size`` is the batch **per process**, as in PyTorch, so
  the global batch is ``batch_size * N`` (``--norm syncbatch`` normalizes over it;
  ``--norm batch`` over each process's share only);
* rank 0 alone writes the output folder and shows progress; the result records
  ``world_size`` and ``global_batch_size``.

An error on any rank ends the whole job (``MPI.COMM_WORLD.Abort``) with a non-zero exit.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

__all__ = ["world", "launch", "find_mpiexec", "wrap", "average", "abort"]

_SIZE_VARS = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_SIZE")


def _launched_size() -> int:
    """The number of processes the MPI launcher started (1 without a launcher)."""
    for var in _SIZE_VARS:
        v = os.environ.get(var)
        if v and v.isdigit():
            return int(v)
    return 1


def world() -> tuple:
    """``(rank, world_size)`` of this process; joins the MPI job when launched by one.

    Without a launcher (or with one process) it is ``(0, 1)`` and mpi4py is not imported.

    Examples
    --------
    >>> from minigrad.experiments.parallel import world
    >>> world()
    (0, 1)
    """
    import minigrad.distributed as dist

    if dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    if _launched_size() <= 1:
        return 0, 1
    dist.init_process_group()
    return dist.get_rank(), dist.get_world_size()


def wrap(model):
    """Register ``model`` with DistributedDataParallel (buffers not broadcast at each
    forward: each process keeps its own BatchNorm statistics, rank 0's are reported)."""
    from minigrad.nn.parallel import DistributedDataParallel

    return DistributedDataParallel(model, broadcast_buffers=False)


def average(values) -> list:
    """The mean of ``values`` (a list of floats) over the processes, in one collective:
    a step's loss and accuracy over the global batch (the shards are of equal size), the
    same on every process, so that every process takes the same decisions (divergence).

    Examples
    --------
    >>> from minigrad.experiments.parallel import average
    >>> average([1.0, 0.5])  # doctest: +SKIP
    [1.0, 0.5]
    """
    import numpy as np

    from minigrad.distributed import ReduceOp, all_reduce_array

    buf = np.asarray(values, dtype=np.float64)
    return [float(v) for v in all_reduce_array(buf, ReduceOp.AVG)]


def find_mpiexec(path=None) -> str:
    """``path``, or the ``mpiexec`` next to the Python interpreter, or on ``PATH``.

    Raises
    ------
    FileNotFoundError
        None found (with the install hint).

    Examples
    --------
    >>> from minigrad.experiments.parallel import find_mpiexec
    >>> find_mpiexec("/nonexistent/mpiexec")
    Traceback (most recent call last):
    ...
    FileNotFoundError: --mpiexec /nonexistent/mpiexec: no such file
    """
    if path is not None:
        if not os.path.isfile(path):
            raise FileNotFoundError(f"--mpiexec {path}: no such file")
        return path
    here = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    if os.path.isfile(here):
        return here
    found = shutil.which("mpiexec")
    if found:
        return found
    raise FileNotFoundError(
        "no mpiexec next to the Python interpreter or on PATH: pip install "
        '"minigrad-lab[distributed]" (or give --mpiexec PATH)'
    )


def _strip(argv, names) -> list:
    """``argv`` without the options ``names`` (``--opt V`` and ``--opt=V`` forms)."""
    out, skip = [], False
    for tok in argv:
        if skip:
            skip = False
            continue
        opt = tok.split("=", 1)[0]
        if opt in names:
            skip = "=" not in tok
            continue
        out.append(tok)
    return out


def launch(argv, nproc: int, mpiexec=None) -> int:
    """Run ``python -m minigrad <argv>`` in ``nproc`` processes through ``mpiexec``;
    returns its exit status (``--nproc``/``--mpiexec`` are removed from ``argv``)."""
    exe = find_mpiexec(mpiexec)
    rest = _strip(argv, {"--nproc", "--mpiexec"})
    cmd = [exe, "-n", str(int(nproc)), sys.executable, "-m", "minigrad", *rest]
    return subprocess.call(cmd)


def abort(message: str, code: int = 1) -> None:
    """Print ``message`` (one line, with this rank) and end every process of the job."""
    from mpi4py import MPI

    import minigrad.distributed as dist

    rank = dist.get_rank() if dist.is_initialized() else MPI.COMM_WORLD.Get_rank()
    print(f"[rank {rank}] {message}", file=sys.stderr, flush=True)
    sys.stdout.flush()
    MPI.COMM_WORLD.Abort(code)
