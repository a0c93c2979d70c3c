"""The :class:`DataLoader`: batches of a dataset as Tensors on a chosen device.

Each epoch draws one permutation of the sample indices (when shuffling) and cuts it into
batches. A dataset with ``__getitems__`` (like :class:`~minigrad.data.TensorDataset`)
returns a whole batch from an index array in one gather; other datasets are read sample by
sample and stacked by :func:`default_collate`.
"""

from __future__ import annotations

import numbers

import numpy as np

from minigrad import backend
from minigrad.tensor import Tensor

__all__ = ["DataLoader", "default_collate"]


def _is_array(x) -> bool:
    return isinstance(x, np.ndarray) or (
        backend._cupy is not None and isinstance(x, backend._cupy.ndarray)
    )


def default_collate(samples):
    """Stack a list of samples into a batch, as PyTorch's ``default_collate``.

    Tensors and arrays are stacked along a new first dimension; Python ints become an
    int64 tensor, floats a float64 tensor, bools a bool tensor; tuples/lists are collated
    position by position (giving a list), dicts key by key; strings stay a list.

    Parameters
    ----------
    samples : list
        Samples of the same structure.

    Returns
    -------
    The batch.

    Raises
    ------
    TypeError
        For a sample type that cannot be collated.
    RuntimeError
        If sequence samples have different lengths.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.data import default_collate
    >>> default_collate([(minigrad.tensor([1.0, 2.0]), 0), (minigrad.tensor([3.0, 4.0]), 1)])
    [tensor([[1., 2.],
            [3., 4.]]), tensor([0, 1])]
    """
    elem = samples[0]
    if isinstance(elem, Tensor):
        xp = elem.xp
        return Tensor._make(xp.stack([s.data for s in samples]))
    if _is_array(elem):
        return Tensor._make(backend.array_module(elem).stack(samples))
    if isinstance(elem, np.generic):
        return Tensor._make(np.asarray(samples))
    if isinstance(elem, bool):
        return Tensor._make(np.asarray(samples, dtype=np.bool_))
    if isinstance(elem, numbers.Integral):
        return Tensor._make(np.asarray(samples, dtype=np.int64))
    if isinstance(elem, numbers.Real):
        return Tensor._make(np.asarray(samples, dtype=np.float64))
    if isinstance(elem, str):
        return list(samples)
    if isinstance(elem, dict):
        return {k: default_collate([s[k] for s in samples]) for k in elem}
    if isinstance(elem, tuple | list):
        if any(len(s) != len(elem) for s in samples):
            raise RuntimeError("default_collate: each sample in a batch must have the same length")
        return [default_collate(list(group)) for group in zip(*samples)]
    raise TypeError(
        f"default_collate: samples must be Tensors, arrays, numbers, strings, dicts or "
        f"sequences; got {type(elem).__name__}"
    )


def _to_device(batch, dev):
    if isinstance(batch, Tensor):
        if batch.device == dev:
            return batch
        return Tensor._make(backend.to_device(batch.data, dev))
    if isinstance(batch, dict):
        return {k: _to_device(v, dev) for k, v in batch.items()}
    if isinstance(batch, list | tuple):
        return type(batch)(_to_device(v, dev) for v in batch)
    return batch


class DataLoader:
    """Iterate over a dataset in batches of Tensors.

    Parameters
    ----------
    dataset : Dataset
        A map-style dataset (``__len__`` and ``__getitem__``, optionally ``__getitems__``).
    batch_size : int
        Samples per batch (default 1).
    shuffle : bool
        Draw a new random order every epoch (default False).
    drop_last : bool
        Drop the last batch when it is smaller than ``batch_size``.
    seed : int, optional
        Seed of this loader's own generator: the sequence of epoch orders is then fixed.
    generator : numpy.random.Generator, optional
        Generator to draw the orders from. Without ``seed`` or ``generator``, the CPU
        generator seeded by :func:`minigrad.manual_seed` is used.
    device : str or Device, optional
        Device of the yielded tensors (default: where the dataset's data is).
    collate_fn : callable, optional
        Turns a list of samples into a batch (default :func:`default_collate`); not used
        for datasets with ``__getitems__``.

    Raises
    ------
    ValueError
        For a non-positive batch size, or both ``seed`` and ``generator``.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.data import DataLoader, TensorDataset
    >>> ds = TensorDataset(minigrad.arange(10.0).reshape(5, 2), minigrad.arange(5))
    >>> loader = DataLoader(ds, batch_size=2)
    >>> len(loader), [tuple(y.tolist()) for _, y in loader]
    (3, [(0, 1), (2, 3), (4,)])
    >>> x, y = next(iter(DataLoader(ds, batch_size=4, shuffle=True, seed=0)))
    >>> x.shape, y.dtype
    ((4, 2), dtype('int64'))
    """

    def __init__(
        self,
        dataset,
        batch_size: int = 1,
        shuffle: bool = False,
        drop_last: bool = False,
        *,
        seed: int | None = None,
        generator=None,
        device=None,
        collate_fn=None,
    ):
        if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral):
            raise ValueError(
                f"DataLoader: batch_size should be a positive integer, got {batch_size!r}"
            )
        if batch_size <= 0:
            raise ValueError(
                f"DataLoader: batch_size should be a positive integer, got {batch_size}"
            )
        if seed is not None and generator is not None:
            raise ValueError("DataLoader: pass either seed or generator, not both")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.generator = np.random.default_rng(seed) if seed is not None else generator
        self.device = None if device is None else backend.device(device)
        self.collate_fn = default_collate if collate_fn is None else collate_fn

    def __len__(self) -> int:
        n = len(self.dataset)
        if self.drop_last:
            return n // self.batch_size
        return (n + self.batch_size - 1) // self.batch_size

    def _order(self) -> np.ndarray:
        n = len(self.dataset)
        if not self.shuffle:
            return np.arange(n)
        rng = self.generator if self.generator is not None else backend.generator("cpu")
        return rng.permutation(n)

    def __iter__(self):
        order = self._order()
        getitems = getattr(self.dataset, "__getitems__", None)
        stop = len(self) * self.batch_size
        for start in range(0, stop, self.batch_size):
            idx = order[start : start + self.batch_size]
            if getitems is not None:
                batch = getitems(idx)
            else:
                batch = self.collate_fn([self.dataset[int(i)] for i in idx])
            yield batch if self.device is None else _to_device(batch, self.device)
