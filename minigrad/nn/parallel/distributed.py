"""Data-parallel training across processes: :class:`DistributedDataParallel`.

Every process holds a replica of the model and runs it on its own shard of each batch.
The wrapper keeps the replicas identical, as PyTorch's ``DistributedDataParallel``:

* at wrap time, the parameters and buffers of the process of group rank 0 are
  broadcast to the others (so replicas that start from different weights agree);
* after each backward, the gradients are all-reduced in **buckets** of about
  ``bucket_cap_mb`` megabytes (one collective per bucket instead of one per parameter),
  filled in a fixed order (the parameters in reverse registration order, the order
  backward tends to produce them; grouped by dtype and device), summed and divided by
  the number of processes, so every process takes the same optimizer step;
* ``broadcast_buffers=True`` copies rank 0's buffers (BatchNorm running statistics) to
  the others at each forward;
* :meth:`DistributedDataParallel.no_sync` skips the reduction, so gradients accumulate
  locally over several backwards and are reduced (all of them) by the first backward
  outside the context.

The reduction runs from a hook point of the autograd engine
(:func:`minigrad.autograd.engine.queue_callback`): the first parameter gradient of a
backward queues it, and it runs once every ``.grad`` is written. Every process must
run the same number of backwards and each backward must reach at least one parameter,
or the others wait in the collective (as in PyTorch). ``minigrad.grad()`` (no
``.grad`` accumulation) reduces nothing.
"""

from __future__ import annotations

import contextlib
import time

from minigrad.autograd.engine import queue_callback
from minigrad.distributed import collectives
from minigrad.distributed import process_group as pg
from minigrad.nn.module import Module
from minigrad.tensor import Tensor

__all__ = ["DistributedDataParallel"]


class DistributedDataParallel(Module):
    """Synchronize a model's gradients (and buffers) over the processes of a group.

    Parameters
    ----------
    module : Module
        The model; reachable as ``.module``.
    device_ids, output_device, dim
        Accepted for PyTorch compatibility (one device per process: the module's).
    broadcast_buffers : bool
        Copy rank 0's buffers to every process at each forward.
    process_group : ProcessGroup, optional
        Default: every process.
    bucket_cap_mb : float
        Size of a gradient bucket, in megabytes (2**20 bytes).

    Raises
    ------
    RuntimeError
        The process group is not initialized (call
        :func:`minigrad.distributed.init_process_group` first).

    Examples
    --------
    >>> import minigrad, minigrad.distributed as dist
    >>> from minigrad import nn
    >>> dist.init_process_group()  # doctest: +SKIP
    >>> model = nn.parallel.DistributedDataParallel(nn.Linear(4, 2))  # doctest: +SKIP
    >>> model(minigrad.randn(8, 4)).sum().backward()  # doctest: +SKIP
    """

    def __init__(
        self,
        module: Module,
        device_ids=None,
        output_device=None,
        dim: int = 0,
        broadcast_buffers: bool = True,
        process_group=None,
        bucket_cap_mb: float = 25,
    ):
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(
                f"DistributedDataParallel: expected a Module, got {type(module).__name__}"
            )
        if bucket_cap_mb is None:
            bucket_cap_mb = 25
        if bucket_cap_mb <= 0:
            raise ValueError(
                f"DistributedDataParallel: bucket_cap_mb must be > 0, got {bucket_cap_mb}"
            )
        if not pg.is_initialized():
            raise RuntimeError(
                "DistributedDataParallel: the default process group is not initialized; "
                "call minigrad.distributed.init_process_group() first"
            )
        self.module = module
        self.process_group = process_group
        self.broadcast_buffers = broadcast_buffers
        self.bucket_cap_mb = bucket_cap_mb
        self.require_backward_grad_sync = True
        self.world_size = pg.get_world_size(process_group)
        self._root = process_group.ranks[0] if process_group is not None else 0
        self._comm_time = 0.0  # seconds spent in gradient all-reduces (for benchmarks)
        params, seen = [], set()
        for p in module.parameters():
            if p.requires_grad and id(p) not in seen:
                seen.add(id(p))
                params.append(p)
        self._params = params
        self._buckets = self._make_buckets(params, int(bucket_cap_mb * 2**20))
        self._sync_tensors([*module.parameters(), *self._buffers_list()])
        self._handles = [p.register_hook(self._grad_hook) for p in params]

    @staticmethod
    def _make_buckets(params, cap):
        """Lists of parameters, in reverse order, split by dtype/device and at ``cap`` bytes."""
        buckets, current, size, key = [], [], 0, None
        for p in reversed(params):
            k = (p.dtype, str(p.device))
            nbytes = p._data.size * p._data.itemsize
            if current and (k != key or size + nbytes > cap):
                buckets.append(current)
                current, size = [], 0
            current.append(p)
            size += nbytes
            key = k
        if current:
            buckets.append(current)
        return buckets

    def _buffers_list(self):
        return [b for b in self.module.buffers() if b is not None]

    def _sync_tensors(self, tensors):
        """Broadcast ``tensors`` from the group's rank 0 (one collective per tensor)."""
        if self.world_size <= 1:
            return
        for t in tensors:
            collectives.broadcast(t, self._root, self.process_group)

    def _grad_hook(self, grad):
        if self.require_backward_grad_sync and self.world_size > 1:
            queue_callback(self._reduce_gradients)  # once per backward
        return None

    def _reduce_gradients(self):
        """All-reduce every parameter's ``.grad``, bucket by bucket, then divide."""
        t0 = time.perf_counter()
        for bucket in self._buckets:
            xp = bucket[0].xp
            flat = xp.concatenate(
                [
                    (p.grad._data if p.grad is not None else xp.zeros(p.shape, p.dtype)).ravel()
                    for p in bucket
                ]
            )
            collectives.all_reduce_array(flat, pg.ReduceOp.SUM, self.process_group)
            flat /= self.world_size
            o = 0
            for p in bucket:  # new gradients: views of the reduced bucket
                n = p._data.size
                p.grad = Tensor._make(flat[o : o + n].reshape(p.shape))
                o += n
        self._comm_time += time.perf_counter() - t0

    @contextlib.contextmanager
    def no_sync(self):
        """Inside, backward does not reduce gradients: they accumulate locally, and the
        first backward after it reduces the accumulated gradients.

        Examples
        --------
        >>> with ddp.no_sync():  # doctest: +SKIP
        ...     model(x1).sum().backward()   # local accumulation only
        >>> model(x2).sum().backward()       # reduces the sum of both  # doctest: +SKIP
        """
        prev = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = prev

    def forward(self, *args, **kwargs):
        if self.broadcast_buffers and self.world_size > 1:
            self._sync_tensors(self._buffers_list())
        return self.module(*args, **kwargs)

    def extra_repr(self) -> str:
        return f"world_size={self.world_size}, buckets={len(self._buckets)}"
