"""Collectives on CuPy arrays through NCCL (``cupy.cuda.nccl``), for the ``'nccl'`` backend.

The NCCL communicator of a process group is made on its first use: rank 0 asks NCCL for
a unique id, MPI broadcasts it, and every member joins with its group rank. The calls
are enqueued on CuPy's current stream, which is then synchronized, so a collective
returns with its result in place, like the MPI path. Without NCCL
(:func:`available` is False) the collectives stage CuPy arrays through host memory
and use MPI (:mod:`minigrad.distributed.collectives`).
"""

from __future__ import annotations

__all__ = ["available"]

DTYPES = ("float16", "float32", "float64", "int32", "int64", "uint8", "int8")
"""The dtypes NCCL reduces (others, e.g. bool, are staged through the host)."""


def available() -> bool:
    """Whether CuPy is installed with NCCL support.

    Examples
    --------
    >>> from minigrad.distributed import nccl
    >>> isinstance(nccl.available(), bool)
    True
    """
    try:
        from cupy.cuda import nccl
    except Exception:
        return False
    return bool(getattr(nccl, "available", True))


def _nccl():
    from cupy.cuda import nccl

    return nccl


def _dtype(nccl, arr):
    table = {
        "float16": nccl.NCCL_FLOAT16,
        "float32": nccl.NCCL_FLOAT32,
        "float64": nccl.NCCL_FLOAT64,
        "int32": nccl.NCCL_INT32,
        "int64": nccl.NCCL_INT64,
        "uint8": nccl.NCCL_UINT8,
        "int8": nccl.NCCL_INT8,
    }
    try:
        return table[arr.dtype.name]
    except KeyError:
        raise TypeError(
            f"nccl: unsupported dtype {arr.dtype} (supported: {sorted(table)})"
        ) from None


def _op(nccl, op):
    return {
        "sum": nccl.NCCL_SUM,
        "avg": nccl.NCCL_SUM,  # divided afterwards by the caller
        "product": nccl.NCCL_PROD,
        "min": nccl.NCCL_MIN,
        "max": nccl.NCCL_MAX,
    }[op.value]


def communicator(group):
    """The NCCL communicator of ``group``, made on first use (collective over its members)
    on the current GPU: each process uses one GPU for all its NCCL collectives."""
    if group._nccl is None:
        nccl = _nccl()
        uid = nccl.get_unique_id() if group.rank() == 0 else None
        uid = group.comm.bcast(uid, root=0)
        group._nccl = nccl.NcclCommunicator(group.size(), uid, group.rank())
    return group._nccl


def _stream():
    import cupy

    return cupy.cuda.get_current_stream()


def all_reduce(arr, op, group):
    """In-place all-reduce of the contiguous CuPy array ``arr``."""
    nccl = _nccl()
    with arr.device:  # the communicator and the stream of the array's GPU
        comm, s = communicator(group), _stream()
        dt, o = _dtype(nccl, arr), _op(nccl, op)
        comm.allReduce(arr.data.ptr, arr.data.ptr, arr.size, dt, o, s.ptr)
        s.synchronize()


def all_gather(send, recv, group):
    """Gather ``send`` of every member into ``recv`` (``(size, *send.shape)``)."""
    nccl = _nccl()
    with send.device:
        comm, s = communicator(group), _stream()
        comm.allGather(send.data.ptr, recv.data.ptr, send.size, _dtype(nccl, send), s.ptr)
        s.synchronize()


def broadcast(arr, root, group):
    """Broadcast ``arr`` from group rank ``root``, in place."""
    nccl = _nccl()
    with arr.device:
        comm, s = communicator(group), _stream()
        comm.bcast(arr.data.ptr, arr.size, _dtype(nccl, arr), root, s.ptr)
        s.synchronize()


def reduce(arr, op, root, group):
    """Reduce ``arr`` into group rank ``root``, in place there."""
    nccl = _nccl()
    with arr.device:
        comm, s = communicator(group), _stream()
        dt, o = _dtype(nccl, arr), _op(nccl, op)
        comm.reduce(arr.data.ptr, arr.data.ptr, arr.size, dt, o, root, s.ptr)
        s.synchronize()
