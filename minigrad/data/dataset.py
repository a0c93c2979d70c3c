"""Datasets: :class:`Dataset` (the interface), :class:`TensorDataset`, :class:`Subset`.

A dataset is anything with ``__len__`` and ``__getitem__(i)`` returning one sample. A
dataset may also implement ``__getitems__(indices)`` returning a whole batch at once;
:class:`~minigrad.data.DataLoader` uses it when present, so batching a
:class:`TensorDataset` is one fancy-indexing gather per tensor, not a Python loop over
samples.
"""

from __future__ import annotations

import numpy as np

from minigrad import backend
from minigrad.tensor import Tensor

__all__ = ["Dataset", "TensorDataset", "Subset", "random_split"]


class Dataset:
    """Base class of map-style datasets: implement ``__getitem__`` and ``__len__``.

    Examples
    --------
    >>> from minigrad.data import Dataset
    >>> class Squares(Dataset):
    ...     def __len__(self):
    ...         return 4
    ...     def __getitem__(self, i):
    ...         return i * i
    >>> [Squares()[i] for i in range(4)]
    [0, 1, 4, 9]
    """

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must implement __len__")


def _as_tensor(t, i):
    if isinstance(t, Tensor):
        return t
    if (
        isinstance(t, np.ndarray)
        or backend._cupy is not None
        and isinstance(t, backend._cupy.ndarray)
    ):
        return Tensor._make(t)
    raise TypeError(
        f"TensorDataset: argument {i} must be a Tensor or an array, got {type(t).__name__}"
    )


class TensorDataset(Dataset):
    """Samples are the rows of the given tensors (all with the same first dimension).

    Parameters
    ----------
    *tensors : Tensor or ndarray
        Tensors indexed along their first dimension.

    Raises
    ------
    ValueError
        If no tensor is given or their first dimensions differ.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.data import TensorDataset
    >>> ds = TensorDataset(minigrad.arange(6).reshape(3, 2), minigrad.tensor([0, 1, 0]))
    >>> len(ds), ds[1]
    (3, (tensor([2, 3]), tensor(1)))
    """

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset: expected at least one tensor")
        self.tensors = tuple(_as_tensor(t, i) for i, t in enumerate(tensors))
        sizes = [t.shape[0] if t.ndim else None for t in self.tensors]
        if None in sizes or len(set(sizes)) != 1:
            shapes = ", ".join(str(tuple(t.shape)) for t in self.tensors)
            raise ValueError(
                f"TensorDataset: size mismatch between tensors: shapes {shapes}; every tensor "
                "needs the same first dimension"
            )

    def __len__(self) -> int:
        return self.tensors[0].shape[0]

    def __getitem__(self, index):
        return tuple(Tensor._make(t._data[index]) for t in self.tensors)

    def __getitems__(self, indices):
        """A batch: each tensor gathered at ``indices`` (an integer array) in one step."""
        out = []
        for t in self.tensors:
            idx = indices if t.xp is np else t.xp.asarray(indices)
            out.append(Tensor._make(t._data[idx]))
        return out


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``.

    Parameters
    ----------
    dataset : Dataset
        The dataset to take samples from.
    indices : sequence of int
        The indices of the samples, in order.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.data import Subset, TensorDataset
    >>> s = Subset(TensorDataset(minigrad.arange(5)), [4, 0])
    >>> len(s), s[0]
    (2, (tensor(4),))
    """

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = np.asarray(indices, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index):
        return self.dataset[int(self.indices[index])]

    def __getitems__(self, indices):
        """A batch: delegated to the dataset's ``__getitems__``, else collated samples."""
        sub = self.indices[np.asarray(indices)]
        if hasattr(self.dataset, "__getitems__"):
            return self.dataset.__getitems__(sub)
        from minigrad.data.dataloader import default_collate

        return default_collate([self.dataset[int(i)] for i in sub])


def random_split(dataset, lengths, seed: int | None = None) -> list[Subset]:
    """Split a dataset into non-overlapping random subsets of the given lengths.

    Parameters
    ----------
    dataset : Dataset
        The dataset to split.
    lengths : sequence of int or float
        Sizes of the parts, or fractions summing to 1 (remainders go to the first parts).
    seed : int, optional
        Seed of the permutation; default: the CPU generator set by
        :func:`minigrad.manual_seed`.

    Returns
    -------
    list of Subset

    Raises
    ------
    ValueError
        If the lengths do not add up to the dataset's length.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.data import TensorDataset, random_split
    >>> a, b = random_split(TensorDataset(minigrad.arange(10)), [0.7, 0.3], seed=0)
    >>> len(a), len(b), sorted(set(a.indices) | set(b.indices)) == list(range(10))
    (7, 3, True)
    """
    n = len(dataset)
    lengths = list(lengths)
    if lengths and all(isinstance(x, float) for x in lengths) and abs(sum(lengths) - 1) < 1e-9:
        counts = [int(np.floor(n * f)) for f in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        lengths = counts
    if sum(lengths) != n:
        raise ValueError(
            f"random_split: sum of input lengths {sum(lengths)} does not equal the length of "
            f"the dataset ({n})"
        )
    rng = np.random.default_rng(seed) if seed is not None else backend.generator("cpu")
    perm = rng.permutation(n)
    bounds = np.cumsum([0] + lengths)
    return [Subset(dataset, perm[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]
