"""Collective operations on tensors: all_reduce, all_gather, broadcast, reduce, barrier.

PyTorch's signatures and semantics: the tensor arguments are changed in place, every
member of the group must make the same calls in the same order, and ``src``/``dst``
are ranks in the default group. They run through mpi4py's buffer interface
(``Allreduce`` with ``MPI.IN_PLACE``, ``Allgather``, ``Bcast``, ``Reduce`` on NumPy
arrays, no pickling). CuPy arrays go through NCCL with the ``'nccl'`` backend
(:mod:`minigrad.distributed.nccl`), else they are staged through host memory.

Supported dtypes: float32, float64, int32, int64, int8, uint8, bool; float16 is
reduced in float32, bool in int32 (so ``SUM`` and ``MAX`` are a logical or, ``PRODUCT`` and
``MIN`` a logical and).
"""

from __future__ import annotations

import numpy as np

from minigrad import backend
from minigrad.distributed import nccl
from minigrad.distributed.process_group import ReduceOp, _member, _mpi, _world

__all__ = [
    "all_reduce",
    "all_gather",
    "broadcast",
    "reduce",
    "barrier",
    "all_reduce_array",
    "all_gather_array",
]

_DTYPES = ("float32", "float64", "int32", "int64", "int8", "uint8", "bool", "float16")


def _check_tensor(op, t):
    from minigrad.tensor import Tensor

    if not isinstance(t, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(t).__name__}")
    if t.dtype.name not in _DTYPES:
        raise TypeError(f"{op}: unsupported dtype {t.dtype} (supported: {', '.join(_DTYPES)})")


def _check_op(fn, op):
    if not isinstance(op, ReduceOp):
        raise TypeError(f"{fn}: op must be a minigrad.distributed.ReduceOp, got {op!r}")


def _mpi_op(op):
    MPI = _mpi()
    return {
        ReduceOp.SUM: MPI.SUM,
        ReduceOp.AVG: MPI.SUM,
        ReduceOp.PRODUCT: MPI.PROD,
        ReduceOp.MIN: MPI.MIN,
        ReduceOp.MAX: MPI.MAX,
    }[op]


def _use_nccl(group, arr):
    """CuPy data of a dtype NCCL has, on the 'nccl' backend (else: host staging)."""
    return (
        group.backend == "nccl"
        and backend.array_module(arr) is not np
        and arr.dtype.name in nccl.DTYPES
        and nccl.available()
    )


def _host(arr):
    """A contiguous NumPy copy of ``arr`` (float16 as float32, bool as int32: MPI has no
    sum of booleans; the result is cast back, so SUM is a logical or), or ``arr`` itself."""
    if backend.array_module(arr) is not np:
        arr = arr.get()
    if arr.dtype == np.float16:
        return arr.astype(np.float32)
    if arr.dtype == np.bool_:
        return arr.astype(np.int32)
    return np.ascontiguousarray(arr)


def _store(dst, src):
    """Write ``src`` (host or device) into ``dst`` (host or device) in place."""
    xp = backend.array_module(dst)
    if src is dst:
        return
    dst[...] = xp.asarray(src).astype(dst.dtype, copy=False)


def all_reduce_array(arr, op: ReduceOp = ReduceOp.SUM, group=None):
    """All-reduce the array ``arr`` in place over ``group``; returns ``arr``.

    Examples
    --------
    >>> import numpy as np, minigrad.distributed as dist
    >>> dist.all_reduce_array(np.ones(2))  # doctest: +SKIP
    array([1., 1.])
    """
    _check_op("all_reduce", op)
    g = _member(group)
    n = g.size()
    if _use_nccl(g, arr) and arr.flags.c_contiguous:
        nccl.all_reduce(arr, op, g)
    elif n > 1:
        MPI = _mpi()
        h = _host(arr)
        g.comm.Allreduce(MPI.IN_PLACE, h, op=_mpi_op(op))
        _store(arr, h)
    if op is ReduceOp.AVG:
        if arr.dtype.kind != "f":
            raise TypeError(f"all_reduce: ReduceOp.AVG needs a floating dtype, got {arr.dtype}")
        arr /= n
    return arr


def all_gather_array(arr, group=None):
    """Every member's ``arr`` stacked along a new first axis (``(size, *arr.shape)``).

    Examples
    --------
    >>> import numpy as np, minigrad.distributed as dist
    >>> dist.all_gather_array(np.ones(2)).shape  # doctest: +SKIP
    (1, 2)
    """
    g = _member(group)
    xp = backend.array_module(arr)
    if _use_nccl(g, arr):
        send = xp.ascontiguousarray(arr)
        recv = xp.empty((g.size(),) + arr.shape, dtype=arr.dtype)
        nccl.all_gather(send, recv, g)
        return recv
    h = _host(arr)
    out = np.empty((g.size(),) + h.shape, dtype=h.dtype)
    if g.size() == 1:
        out[0] = h
    else:
        g.comm.Allgather(h, out)
    if xp is not np or out.dtype != arr.dtype:
        out = xp.asarray(out).astype(arr.dtype, copy=False)
    return out


def _bump(t):
    t._vc[0] += 1


def all_reduce(tensor, op: ReduceOp = ReduceOp.SUM, group=None, async_op: bool = False):
    """Reduce ``tensor`` over every process of ``group``; each gets the result in place.

    Parameters
    ----------
    tensor : Tensor
        Same shape and dtype on every process.
    op : ReduceOp
        ``SUM`` (default), ``PRODUCT``, ``MIN``, ``MAX`` or ``AVG``.
    group : ProcessGroup, optional
        Default: every process.
    async_op : bool
        Accepted for PyTorch compatibility; the call always completes before returning.

    Raises
    ------
    RuntimeError
        The process group is not initialized, or this process is not in ``group``.
    TypeError
        Not a Tensor, an unsupported dtype or a wrong ``op``.

    Examples
    --------
    >>> import minigrad, minigrad.distributed as dist
    >>> t = minigrad.tensor([1.0, 2.0])
    >>> dist.all_reduce(t)  # doctest: +SKIP
    >>> t  # with 2 processes  # doctest: +SKIP
    tensor([2., 4.])
    """
    _check_tensor("all_reduce", tensor)
    d = tensor._data
    if d.flags.c_contiguous:
        all_reduce_array(d, op, group)
    else:
        d[...] = all_reduce_array(d.copy(), op, group)
    _bump(tensor)


def all_gather(tensor_list, tensor, group=None, async_op: bool = False):
    """Gather ``tensor`` of every process into ``tensor_list`` (one tensor per rank).

    Parameters
    ----------
    tensor_list : list of Tensor
        ``world_size`` tensors of ``tensor``'s shape and dtype, filled in place.
    tensor : Tensor
        This process's contribution.
    group : ProcessGroup, optional
        Default: every process.

    Examples
    --------
    >>> import minigrad, minigrad.distributed as dist
    >>> out = [minigrad.zeros(2) for _ in range(dist.get_world_size())]  # doctest: +SKIP
    >>> dist.all_gather(out, minigrad.ones(2))  # doctest: +SKIP
    """
    _check_tensor("all_gather", tensor)
    g = _member(group)
    if len(tensor_list) != g.size():
        raise ValueError(
            f"all_gather: tensor_list must hold one tensor per process ({g.size()}), "
            f"got {len(tensor_list)}"
        )
    for i, t in enumerate(tensor_list):
        _check_tensor("all_gather", t)
        if tuple(t.shape) != tuple(tensor.shape) or t.dtype != tensor.dtype:
            raise ValueError(
                f"all_gather: tensor_list[{i}] has shape {tuple(t.shape)} and dtype "
                f"{t.dtype}; expected {tuple(tensor.shape)} and {tensor.dtype}"
            )
    out = all_gather_array(tensor._data, g)
    for i, t in enumerate(tensor_list):
        _store(t._data, out[i])
        _bump(t)


def broadcast(tensor, src: int, group=None, async_op: bool = False):
    """Copy ``tensor`` of process ``src`` (a rank in the default group) to every
    process of ``group``, in place.

    Examples
    --------
    >>> import minigrad, minigrad.distributed as dist
    >>> t = minigrad.tensor([float(dist.get_rank())])  # doctest: +SKIP
    >>> dist.broadcast(t, src=0)  # doctest: +SKIP
    >>> t  # doctest: +SKIP
    tensor([0.])
    """
    _check_tensor("broadcast", tensor)
    g = _member(group)
    root = g.group_rank(int(src))
    d = tensor._data
    if _use_nccl(g, d) and d.flags.c_contiguous:
        nccl.broadcast(d, root, g)
    elif g.size() > 1:
        h = _host(d)
        g.comm.Bcast(h, root=root)
        _store(d, h)
    _bump(tensor)


def reduce(tensor, dst: int, op: ReduceOp = ReduceOp.SUM, group=None, async_op: bool = False):
    """Reduce ``tensor`` of every process of ``group`` into process ``dst`` (in place
    there; the others' tensors are left unchanged).

    Examples
    --------
    >>> import minigrad, minigrad.distributed as dist
    >>> t = minigrad.ones(2)
    >>> dist.reduce(t, dst=0)  # doctest: +SKIP
    """
    _check_tensor("reduce", tensor)
    _check_op("reduce", op)
    g = _member(group)
    root = g.group_rank(int(dst))
    d = tensor._data
    if _use_nccl(g, d) and d.flags.c_contiguous:
        nccl.reduce(d, op, root, g)
    elif g.size() > 1:
        MPI = _mpi()
        h = _host(d)
        if g.rank() == root:
            g.comm.Reduce(MPI.IN_PLACE, h, op=_mpi_op(op), root=root)
            _store(d, h)
        else:
            g.comm.Reduce(h, None, op=_mpi_op(op), root=root)
    if g.rank() == root:
        if op is ReduceOp.AVG:
            d /= g.size()
        _bump(tensor)


def barrier(group=None, async_op: bool = False):
    """Wait until every process of ``group`` has called ``barrier``.

    Examples
    --------
    >>> import minigrad.distributed as dist
    >>> dist.barrier()  # doctest: +SKIP
    """
    g = _member(group)
    _world()
    g.comm.Barrier()
