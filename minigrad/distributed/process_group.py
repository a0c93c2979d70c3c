"""Process groups over MPI: initialization, ranks, sizes, groups and reduction ops.

The processes of a job are started by an MPI launcher (``mpiexec -n 4 python train.py``);
:func:`init_process_group` reads the rank and the number of processes from it, as
PyTorch's ``env://`` rendezvous reads them from environment variables. A
:class:`ProcessGroup` wraps one MPI communicator; the default group holds every process
(``MPI.COMM_WORLD``). mpi4py is imported only here, inside the functions, never by
``import minigrad``.

Failure: once the process group is initialized with more than one process, an
uncaught exception on any rank prints that rank's traceback and calls
``MPI.COMM_WORLD.Abort(1)``, which ends every process of the job with a non-zero exit
instead of leaving the others blocked in a collective.
"""

from __future__ import annotations

import enum
import importlib.util
import sys

__all__ = [
    "ReduceOp",
    "ProcessGroup",
    "is_available",
    "is_initialized",
    "init_process_group",
    "destroy_process_group",
    "get_rank",
    "get_world_size",
    "get_backend",
    "new_group",
]

_INSTALL = 'pip install "minigrad-lab[distributed]"'


class ReduceOp(enum.Enum):
    """Reduction operations of :func:`~minigrad.distributed.all_reduce` and
    :func:`~minigrad.distributed.reduce` (PyTorch's names).

    ``AVG`` is the sum divided by the group's size.

    Examples
    --------
    >>> from minigrad.distributed import ReduceOp
    >>> ReduceOp.SUM
    <ReduceOp.SUM: 'sum'>
    """

    SUM = "sum"
    PRODUCT = "product"
    MIN = "min"
    MAX = "max"
    AVG = "avg"


class ProcessGroup:
    """A set of processes that run collectives together: one MPI communicator.

    Made by :func:`init_process_group` (every process) and :func:`new_group` (a
    subset). A process that is not a member holds a group whose ``comm`` is ``None``;
    collectives on it raise.

    Attributes
    ----------
    comm : mpi4py.MPI.Comm or None
        The communicator (``None`` on a process outside the group).
    ranks : list of int
        The members' ranks in the default group, in group-rank order.
    backend : str
        ``'mpi'`` or ``'nccl'``.

    Examples
    --------
    >>> import minigrad.distributed as dist
    >>> dist.ProcessGroup(None, [0, 1], "mpi").ranks
    [0, 1]
    """

    def __init__(self, comm, ranks, backend):
        self.comm = comm
        self.ranks = list(ranks)
        self.backend = backend
        self._nccl = None  # the NCCL communicator, made on first use (nccl.py)

    def rank(self) -> int:
        """This process's rank in the group (-1 when not a member)."""
        return -1 if self.comm is None else self.comm.Get_rank()

    def size(self) -> int:
        """The number of processes in the group."""
        return len(self.ranks)

    def group_rank(self, global_rank: int) -> int:
        """The group rank of the process with rank ``global_rank`` in the default group."""
        try:
            return self.ranks.index(global_rank)
        except ValueError:
            raise ValueError(
                f"rank {global_rank} is not a member of the process group of ranks {self.ranks}"
            ) from None

    def __repr__(self):
        return f"ProcessGroup(ranks={self.ranks}, backend={self.backend!r})"


class _State:
    world: ProcessGroup | None = None
    groups: list = []
    prev_excepthook = None


def is_available() -> bool:
    """Whether distributed training can run here: mpi4py is installed.

    Examples
    --------
    >>> import minigrad.distributed as dist
    >>> isinstance(dist.is_available(), bool)
    True
    """
    return importlib.util.find_spec("mpi4py") is not None


def _mpi():
    """mpi4py's ``MPI`` module, or a clear error saying what to install."""
    try:
        from mpi4py import MPI
    except ImportError as e:
        raise RuntimeError(
            f"minigrad.distributed needs mpi4py and an MPI library ({e}); install them "
            f"with: {_INSTALL}"
        ) from None
    return MPI


def is_initialized() -> bool:
    """Whether :func:`init_process_group` has been called (and not destroyed since).

    Examples
    --------
    >>> import minigrad.distributed as dist
    >>> isinstance(dist.is_initialized(), bool)
    True
    """
    return _State.world is not None


def _abort_on_exception(exc_type, exc, tb):
    """``sys.excepthook`` of a multi-process job: this rank's traceback, then end the job."""
    MPI = _mpi()
    rank = MPI.COMM_WORLD.Get_rank()
    sys.stderr.write(f"[rank {rank}] uncaught exception; aborting the MPI job\n")
    (_State.prev_excepthook or sys.__excepthook__)(exc_type, exc, tb)
    sys.stderr.flush()
    sys.stdout.flush()
    MPI.COMM_WORLD.Abort(1)


def init_process_group(backend: str | None = None, abort_on_exception: bool = True) -> None:
    """Join the job started by the MPI launcher: the default process group.

    The rank and the number of processes come from MPI (``mpiexec -n N ...``); a
    process started without a launcher is a job of one process.

    Parameters
    ----------
    backend : {'mpi', 'nccl'}, optional
        ``'mpi'`` (default): collectives through MPI (CuPy arrays staged through host
        memory). ``'nccl'``: CuPy arrays through NCCL (``cupy.cuda.nccl``), its unique
        id broadcast over MPI; NumPy arrays still go through MPI.
    abort_on_exception : bool
        With more than one process, install a ``sys.excepthook`` that prints the
        traceback and calls ``MPI.COMM_WORLD.Abort(1)``, so an exception on one rank
        ends the whole job instead of a hang.

    Raises
    ------
    RuntimeError
        mpi4py is not installed, or the group is already initialized.
    ValueError
        An unknown backend.

    Examples
    --------
    >>> import minigrad.distributed as dist
    >>> dist.init_process_group()  # doctest: +SKIP
    >>> dist.get_rank(), dist.get_world_size()  # doctest: +SKIP
    (0, 1)
    """
    backend = "mpi" if backend is None else str(backend).lower()
    if backend not in ("mpi", "nccl"):
        raise ValueError(f"init_process_group: backend must be 'mpi' or 'nccl', got {backend!r}")
    if _State.world is not None:
        raise RuntimeError(
            "init_process_group: the default process group is already initialized "
            "(call destroy_process_group() first)"
        )
    MPI = _mpi()
    if not MPI.Is_initialized():  # pragma: no cover - mpi4py initializes on import
        MPI.Init()
    comm = MPI.COMM_WORLD.Dup()
    _State.world = ProcessGroup(comm, range(comm.Get_size()), backend)
    _State.groups = []
    if abort_on_exception and comm.Get_size() > 1 and sys.excepthook is not _abort_on_exception:
        _State.prev_excepthook = sys.excepthook
        sys.excepthook = _abort_on_exception


def _world() -> ProcessGroup:
    if _State.world is None:
        raise RuntimeError(
            "Default process group has not been initialized, please make sure to call "
            "minigrad.distributed.init_process_group() (run under mpiexec for more than "
            "one process)"
        )
    return _State.world


def _group(group) -> ProcessGroup:
    """``group``, or the default group; initialized and this process a member."""
    g = _world() if group is None else group
    if not isinstance(g, ProcessGroup):
        raise TypeError(f"expected a ProcessGroup or None, got {type(g).__name__}")
    if _State.world is None:
        _world()
    return g


def _member(group) -> ProcessGroup:
    g = _group(group)
    if g.comm is None:
        raise RuntimeError(
            f"rank {_world().rank()} is not a member of the process group of ranks {g.ranks}"
        )
    return g


def get_rank(group: ProcessGroup | None = None) -> int:
    """This process's rank in ``group`` (default: every process), from 0; -1 when it is
    not a member.

    Examples
    --------
    >>> import minigrad.distributed as dist
    >>> dist.get_rank()  # doctest: +SKIP
    0
    """
    return _group(group).rank()


def get_world_size(group: ProcessGroup | None = None) -> int:
    """The number of processes in ``group`` (default: every process).

    Examples
    --------
    >>> import minigrad.distributed as dist
    >>> dist.get_world_size()  # doctest: +SKIP
    1
    """
    return _group(group).size()


def get_backend(group: ProcessGroup | None = None) -> str:
    """The backend of ``group``: ``'mpi'`` or ``'nccl'``.

    Examples
    --------
    >>> import minigrad.distributed as dist
    >>> dist.get_backend()  # doctest: +SKIP
    'mpi'
    """
    return _group(group).backend


def new_group(ranks=None, backend: str | None = None) -> ProcessGroup:
    """A process group of the processes ``ranks`` (ranks in the default group).

    As in PyTorch, every process must call it, in the same order, even those not in
    ``ranks``; they get a group they are not a member of.

    Examples
    --------
    >>> import minigrad.distributed as dist
    >>> g = dist.new_group([0])  # doctest: +SKIP
    >>> dist.get_world_size(g)  # doctest: +SKIP
    1
    """
    world = _world()
    n = world.size()
    ranks = list(range(n)) if ranks is None else sorted(int(r) for r in ranks)
    bad = [r for r in ranks if not 0 <= r < n]
    if bad or len(set(ranks)) != len(ranks):
        raise ValueError(
            f"new_group: ranks must be distinct ranks of the {n} processes, got {ranks}"
        )
    MPI = _mpi()
    me = world.rank()
    color = 0 if me in ranks else MPI.UNDEFINED
    comm = world.comm.Split(color, me)
    g = ProcessGroup(None if comm == MPI.COMM_NULL else comm, ranks, backend or world.backend)
    _State.groups.append(g)
    return g


def destroy_process_group(group: ProcessGroup | None = None) -> None:
    """Release ``group``, or (default) every group, and leave the job uninitialized.

    Examples
    --------
    >>> import minigrad.distributed as dist
    >>> dist.destroy_process_group()  # doctest: +SKIP
    >>> dist.is_initialized()  # doctest: +SKIP
    False
    """
    groups = [group] if group is not None else [*_State.groups, _State.world]
    for g in groups:
        if g is None:
            continue
        if g.comm is not None:
            g.comm.Free()
            g.comm = None
        g._nccl = None
    if group is None or group is _State.world:
        _State.world = None
        _State.groups = []
        if sys.excepthook is _abort_on_exception:
            sys.excepthook = _State.prev_excepthook or sys.__excepthook__
