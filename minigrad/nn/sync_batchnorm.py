"""Synchronized batch normalization: :class:`SyncBatchNorm`, statistics over every process.

In data-parallel training each process sees only its own shard of the batch, so plain
BatchNorm normalizes with per-process statistics (a batch of 2 per process is a batch
of 2 for BatchNorm, whatever the number of processes). :class:`SyncBatchNorm`
normalizes with the statistics of the union of the shards, exactly as BatchNorm on the
whole batch in one process. PyTorch's semantics (``torch.nn.SyncBatchNorm``):

* forward: each process computes the per-channel count, mean and biased variance of its
  shard ("local moments"); one all-gather brings every process's
  ``[count, mean, var]`` row (a process with no samples sends count 0 and still takes
  part); the rows are merged exactly in rank order ("combine", Chan et al.), so every
  process gets the same global mean and variance, which normalize the local shard
  ("normalize"). These are the three steps of the fused core
  (:mod:`minigrad.ops.nn.norm.norm_core`) that BatchNorm runs in one process. (PyTorch gathers
  the inverse standard deviation and recovers the variance as ``1/invstd**2 - eps``;
  sending the variance itself loses no digits.)
* ``running_var`` is updated with the unbiased variance of the **global** count
  ``var * n / (n - 1)``; ``num_batches_tracked`` counts steps, as BatchNorm's;
* backward: per channel ``sum(dy)`` and ``sum(dy * (x - mean))`` are summed over the
  processes in **one** all-reduce, then each process forms its input gradient with the
  global count. ``weight`` and ``bias`` gradients stay local (the data-parallel wrapper
  averages them with the other gradients);
* in evaluation, or with one process (or before ``init_process_group``), nothing is
  communicated and the layer is BatchNorm.

Second derivatives across processes are not supported: ``create_graph=True`` through a
synchronized layer with more than one process raises.
"""

from __future__ import annotations

from minigrad import backend
from minigrad.distributed import collectives
from minigrad.distributed import process_group as pg
from minigrad.nn.norm import BatchNorm1d, BatchNorm2d, BatchNorm3d, _BatchNorm
from minigrad.ops.nn.norm import norm as F
from minigrad.ops.nn.norm.norm_core import Normalize, combine_moments

__all__ = ["SyncBatchNorm"]


class _ChannelSync:
    """The two collectives of one SyncBatchNorm call (handed to the core's Normalize)."""

    def __init__(self, group):
        self.group = group
        self.size = pg.get_world_size(group)

    def combine(self, n, mean, var):
        """All-gather ``[n, mean, var]`` of every process, merge in rank order."""
        xp = backend.array_module(var)
        C = var.shape[0]
        row = xp.empty(2 * C + 1, dtype="float64")
        row[0] = n
        row[1 : C + 1] = mean
        row[C + 1 :] = var
        rows = collectives.all_gather_array(row, self.group)
        counts = [int(c) for c in backend.to_device(rows[:, 0], backend.device("cpu"))]
        total = sum(counts)
        if total <= 1:
            raise ValueError(
                f"SyncBatchNorm: expected more than 1 value per channel when training, got "
                f"{total} over {self.size} processes (counts {counts})"
            )
        parts = [(c, r[1 : C + 1], r[C + 1 :]) for c, r in zip(counts, rows)]
        n_all, m, v = combine_moments(parts)
        return n_all, m.astype(mean.dtype, copy=False), v.astype(var.dtype, copy=False)

    def reduce(self, sg, sgx):
        """``sum(dy)`` and ``sum(dy * (x - mean))`` summed over processes: one all-reduce."""
        xp = backend.array_module(sgx)
        C = sgx.shape[0]
        buf = xp.concatenate([sg, sgx]).astype(sgx.dtype, copy=False)
        collectives.all_reduce_array(buf, pg.ReduceOp.SUM, self.group)
        return buf[:C], buf[C:]


def _sync_batch_norm(input, running_mean, running_var, weight, bias, momentum, eps, group):
    """Batch norm in training with statistics over every process of ``group``."""
    N, C = input.shape[:2]
    fn = Normalize(N, C, False, None, eps, True, sync=_ChannelSync(group))
    y = fn(input, weight, bias)
    F._update_buffers("sync_batch_norm", running_mean, running_var, fn, momentum)
    return y


class SyncBatchNorm(_BatchNorm):
    """Batch normalization with statistics over every process of a group.

    Input ``(N, C, *)`` of any rank >= 2; in training, with an initialized process
    group of more than one process, the mean and variance are those of the union of
    every process's batch (see the module docstring for the exact semantics); otherwise
    it is :class:`BatchNorm1d`/2d/3d.

    Parameters
    ----------
    num_features : int
        ``C``, the number of channels.
    eps : float
        Added to the variance.
    momentum : float or None
        Weight of the new batch in the running statistics; ``None``: cumulative average.
    affine : bool
        Learn a per-channel ``weight`` and ``bias``.
    track_running_stats : bool
        Keep ``running_mean``, ``running_var``, ``num_batches_tracked``.
    process_group : ProcessGroup, optional
        The processes whose batches are normalized together (default: all).

    Examples
    --------
    With one process it is BatchNorm:

    >>> import minigrad
    >>> from minigrad import nn
    >>> bn = nn.SyncBatchNorm(2)
    >>> y = bn(minigrad.tensor([[1.0, 2.0], [3.0, 6.0]]))
    >>> y
    tensor([[-1., -1.],
            [ 1.,  1.]], grad_fn=<Normalize backward>)
    >>> bn.running_mean
    tensor([0.2, 0.4])
    """

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        process_group=None,
        device=None,
        dtype=None,
    ):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype)
        self.process_group = process_group

    def _check_input_dim(self, input) -> None:
        if input.ndim < 2:
            raise ValueError(
                f"SyncBatchNorm: expected at least 2D input (N, C, ...), got {input.ndim}D "
                f"input of shape {tuple(input.shape)}"
            )
        if input.shape[1] == 0:
            raise ValueError("SyncBatchNorm: number of input channels should be non-zero")
        self._check_features(input)

    def _sync_size(self, use_batch) -> int:
        """The number of processes to synchronize with (1: none)."""
        if not (use_batch and self.training and pg.is_initialized()):
            return 1
        return pg.get_world_size(self.process_group)

    def forward(self, input):
        self._check_input_dim(input)
        factor, use_batch, rm, rv = self._momentum_and_mode()
        if self._sync_size(use_batch) <= 1:
            return F.batch_norm(input, rm, rv, self.weight, self.bias, use_batch, factor, self.eps)
        return _sync_batch_norm(
            input, rm, rv, self.weight, self.bias, factor, self.eps, self.process_group
        )

    @classmethod
    def convert_sync_batchnorm(cls, module, process_group=None):
        """Replace every BatchNorm1d/2d/3d in ``module`` by a :class:`SyncBatchNorm`
        sharing its parameters and buffers (and training mode).

        Parameters
        ----------
        module : Module
            A model; if it is itself a BatchNorm, a new layer is returned.
        process_group : ProcessGroup, optional
            The group the new layers synchronize over (default: all processes).

        Returns
        -------
        Module
            ``module`` with its batch norms replaced (the same object, unless
            ``module`` itself was a BatchNorm).

        Examples
        --------
        >>> from minigrad import nn
        >>> m = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
        >>> nn.SyncBatchNorm.convert_sync_batchnorm(m)[1]
        SyncBatchNorm(4, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)
        """
        out = module
        if isinstance(module, (BatchNorm1d, BatchNorm2d, BatchNorm3d)):
            out = cls(
                module.num_features,
                module.eps,
                module.momentum,
                module.affine,
                module.track_running_stats,
                process_group,
            )
            if module.affine:
                out.weight = module.weight
                out.bias = module.bias
            out.running_mean = module.running_mean
            out.running_var = module.running_var
            out.num_batches_tracked = module.num_batches_tracked
            out.training = module.training
        for name, child in list(module.named_children()):
            setattr(out, name, cls.convert_sync_batchnorm(child, process_group))
        return out
