"""Precise BatchNorm statistics: recompute every BatchNorm's running statistics as an
exact average over given batches (PreciseBN, Wu & Johnson 2021; AdaBN, Li et al. 2016).

During training, ``running_mean``/``running_var`` are exponential moving averages of the
batch statistics (momentum 0.1): they weight the last few dozen batches, computed with
weights that kept changing, so they can lag behind the final model. PreciseBN replaces
them, after training, by the plain average over ``N`` batches of the *final* model's
batch statistics. AdaBN is the same computation on unlabeled batches of a new domain
(shifted inputs), which adapts the normalization to it without touching a weight.

What is computed, for every BatchNorm layer (as PreciseBN defines it, and as fvcore's
``update_bn_stats`` does)::

    running_mean = (1/N) sum_k mean_k
    running_var  = (1/N) sum_k var_k      (var_k: batch k's unbiased variance)

with ``mean_k``/``var_k`` the statistics the layer computes in training mode on batch
``k`` (its input produced by the earlier layers, whose BatchNorms also normalize with
batch statistics, exactly as during training). With batches of equal size the mean is
the exact population mean of the layer's input; the variance is the average
within-batch (unbiased) variance, the quantity BatchNorm normalizes by in training, not
the population variance (which would add the variance of the batch means).
"""

from __future__ import annotations

import itertools

from minigrad.autograd.grad_mode import no_grad
from minigrad.nn.norm import _BatchNorm

__all__ = ["recompute_batchnorm_stats"]


def _model_input(batch):
    """The model's input of one batch: the batch itself, or the first item of a
    ``(inputs, targets, ...)`` tuple or list (a DataLoader's batches)."""
    if isinstance(batch, tuple | list):
        if not batch:
            raise ValueError("recompute_batchnorm_stats: got an empty batch tuple")
        return batch[0]
    return batch


def recompute_batchnorm_stats(model, batches, num_batches: int | None = None):
    """Recompute the running statistics of every BatchNorm in ``model`` over ``batches``.

    Each BatchNorm layer (``BatchNorm1d/2d/3d``, batch renorm, ``SyncBatchNorm``) that
    tracks running statistics gets ``running_mean`` = the average of its batch means and
    ``running_var`` = the average of its unbiased batch variances over the batches (see
    the module docstring). Only the BatchNorm layers are put in training mode for the
    passes (dropout and other layers keep their mode); the passes run under
    :class:`~minigrad.no_grad`. Afterwards every module's mode, every BatchNorm's
    ``momentum`` and ``num_batches_tracked`` are as before, and no parameter changed.

    Parameters
    ----------
    model : Module
        The model; called as ``model(x)`` on each batch's input.
    batches : iterable
        Batches of inputs: tensors, or ``(inputs, targets, ...)`` tuples (a
        :class:`~minigrad.data.DataLoader` works as it is). For AdaBN, batches of the
        new domain.
    num_batches : int, optional
        Use the first ``num_batches`` batches (default: all of them).

    Returns
    -------
    int
        The number of batches used.

    Raises
    ------
    ValueError
        If ``num_batches`` is not positive, or fewer batches than that (or none) come.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> from minigrad.nn.utils import recompute_batchnorm_stats
    >>> model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4)).eval()
    >>> batches = [minigrad.randn(16, 3) + 5 for _ in range(8)]
    >>> recompute_batchnorm_stats(model, batches)
    8
    >>> model.training, model[1].momentum
    (False, 0.1)
    """
    if num_batches is not None and (not isinstance(num_batches, int) or num_batches <= 0):
        raise ValueError(
            f"recompute_batchnorm_stats: num_batches must be a positive int or None, got "
            f"{num_batches!r}"
        )
    bns = [m for m in model.modules() if isinstance(m, _BatchNorm) and m.track_running_stats]
    if not bns:
        return 0
    modes = [(m, m.training) for m in model.modules()]
    saved = [
        (bn, bn.momentum, bn.num_batches_tracked._data.copy(), bn.running_mean._data.copy(),
         bn.running_var._data.copy())
        for bn in bns
    ]  # fmt: skip
    # float64 sums on each layer's device (no host round trip per batch)
    sums = [[bn.running_mean.xp.zeros(bn.num_features, "float64") for _ in "mv"] for bn in bns]
    used = 0
    it = batches if num_batches is None else itertools.islice(batches, num_batches)
    try:
        for bn in bns:
            bn.train()
            bn.momentum = 1.0  # running stats := this batch's statistics
        with no_grad():
            for batch in it:
                model(_model_input(batch))
                used += 1
                for bn, acc in zip(bns, sums):
                    acc[0] += bn.running_mean._data.astype("float64")
                    acc[1] += bn.running_var._data.astype("float64")
        if used == 0 or (num_batches is not None and used < num_batches):
            want = "at least one batch" if num_batches is None else f"{num_batches} batches"
            raise ValueError(
                f"recompute_batchnorm_stats: expected {want}, got {used}; running "
                "statistics left as they were"
            )
        for bn, (m_sum, v_sum) in zip(bns, sums):
            rm, rv = bn.running_mean._data, bn.running_var._data
            rm[...] = (m_sum / used).astype(rm.dtype)
            rv[...] = (v_sum / used).astype(rv.dtype)
    except BaseException:  # nothing partial is left: the passes overwrote the buffers
        for bn, _, _, mean, var in saved:
            bn.running_mean._data[...] = mean
            bn.running_var._data[...] = var
        raise
    finally:
        for bn, momentum, count, _, _ in saved:
            bn.momentum = momentum
            bn.num_batches_tracked._data[...] = count
        for m, mode in modes:
            m.training = mode
    return used
