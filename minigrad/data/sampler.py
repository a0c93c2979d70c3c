"""Samplers (PyTorch's ``torch.utils.data`` samplers): iterables of dataset indices that
a :class:`~minigrad.data.DataLoader` reads through its ``sampler`` or ``batch_sampler``
argument.

Random samplers draw from a NumPy ``Generator``: the one passed as ``generator``, or the
CPU generator seeded by :func:`minigrad.manual_seed`.
"""

from __future__ import annotations

import numbers

import numpy as np

from minigrad import backend

__all__ = [
    "Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
    "WeightedRandomSampler", "BatchSampler",
]  # fmt: skip


def _rng(generator):
    return generator if generator is not None else backend.generator("cpu")


class Sampler:
    """Base class: subclasses define ``__iter__`` (indices) and usually ``__len__``.

    Parameters
    ----------
    data_source : optional
        Accepted for PyTorch compatibility.

    Examples
    --------
    >>> from minigrad.data import DataLoader, Sampler, TensorDataset
    >>> class Evens(Sampler):
    ...     def __init__(self, n):
    ...         self.n = n
    ...     def __iter__(self):
    ...         return iter(range(0, self.n, 2))
    ...     def __len__(self):
    ...         return (self.n + 1) // 2
    >>> list(Evens(5))
    [0, 2, 4]
    """

    def __init__(self, data_source=None):
        pass

    def __iter__(self):
        raise NotImplementedError


class SequentialSampler(Sampler):
    """The indices ``0`` to ``len(data_source) - 1`` in order.

    Parameters
    ----------
    data_source : Dataset
        Anything with a length.

    Examples
    --------
    >>> from minigrad.data import SequentialSampler
    >>> list(SequentialSampler(range(3)))
    [0, 1, 2]
    """

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """A random permutation of the indices, or ``num_samples`` draws with replacement.

    Parameters
    ----------
    data_source : Dataset
        Anything with a length.
    replacement : bool
        Draw with replacement (default False).
    num_samples : int, optional
        Number of indices per epoch (default ``len(data_source)``).
    generator : numpy.random.Generator, optional
        Source of randomness.

    Raises
    ------
    ValueError
        For a non-positive ``num_samples``.

    Examples
    --------
    >>> import numpy as np
    >>> from minigrad.data import RandomSampler
    >>> sorted(RandomSampler(range(4), generator=np.random.default_rng(0)))
    [0, 1, 2, 3]
    >>> len(RandomSampler(range(4), replacement=True, num_samples=10))
    10
    """

    def __init__(self, data_source, replacement: bool = False, num_samples=None,
                 generator=None):  # fmt: skip
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        n = self.num_samples
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n <= 0:
            raise ValueError(
                f"RandomSampler: num_samples should be a positive integer value, but got "
                f"num_samples={n!r}"
            )

    @property
    def num_samples(self) -> int:
        """Indices per epoch."""
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        n = len(self.data_source)
        rng = _rng(self.generator)
        if self.replacement:
            return iter(rng.integers(0, n, self.num_samples).tolist())
        reps = -(-self.num_samples // n)
        idx = np.concatenate([rng.permutation(n) for _ in range(reps)])[: self.num_samples]
        return iter(idx.tolist())

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given ``indices`` in a random order each epoch.

    Parameters
    ----------
    indices : sequence of int
        The indices to draw from.
    generator : numpy.random.Generator, optional
        Source of randomness.

    Examples
    --------
    >>> from minigrad.data import SubsetRandomSampler
    >>> sorted(SubsetRandomSampler([5, 7, 9]))
    [5, 7, 9]
    """

    def __init__(self, indices, generator=None):
        self.indices = indices
        self.generator = generator

    def __iter__(self):
        order = _rng(self.generator).permutation(len(self.indices))
        return iter([self.indices[int(i)] for i in order])

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices drawn with probabilities proportional to ``weights``.

    Parameters
    ----------
    weights : sequence of float or Tensor
        Non-negative weight of each index (need not sum to 1).
    num_samples : int
        Indices per epoch.
    replacement : bool
        Draw with replacement (default True); without, ``num_samples`` may not exceed
        the number of non-zero weights.
    generator : numpy.random.Generator, optional
        Source of randomness.

    Raises
    ------
    ValueError
        For a bad ``num_samples``, negative or non-finite weights, or too many samples
        without replacement.

    Examples
    --------
    >>> import numpy as np
    >>> from minigrad.data import WeightedRandomSampler
    >>> s = WeightedRandomSampler([0.0, 1.0, 0.0], 4, generator=np.random.default_rng(0))
    >>> list(s)
    [1, 1, 1, 1]
    """

    def __init__(self, weights, num_samples: int, replacement: bool = True, generator=None):
        if (
            isinstance(num_samples, bool)
            or not isinstance(num_samples, numbers.Integral)
            or (num_samples <= 0)
        ):
            raise ValueError(
                f"WeightedRandomSampler: num_samples should be a positive integer value, but "
                f"got num_samples={num_samples!r}"
            )
        w = np.asarray(getattr(weights, "data", weights), dtype=np.float64)
        if hasattr(w, "get"):
            w = w.get()
        if w.ndim != 1 or not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
            raise ValueError(
                "WeightedRandomSampler: weights must be a 1-D sequence of finite, "
                "non-negative numbers with a positive sum"
            )
        if not replacement and num_samples > int((w > 0).sum()):
            raise ValueError(
                f"WeightedRandomSampler: cannot draw {num_samples} samples without replacement "
                f"from {int((w > 0).sum())} non-zero weights"
            )
        self.weights = w
        self.num_samples = int(num_samples)
        self.replacement = replacement
        self.generator = generator

    def __iter__(self):
        p = self.weights / self.weights.sum()
        idx = _rng(self.generator).choice(
            len(p), size=self.num_samples, replace=self.replacement, p=p
        )
        return iter(idx.tolist())

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler):
    """Group the indices of ``sampler`` into lists of ``batch_size``.

    Parameters
    ----------
    sampler : iterable of int
        The indices.
    batch_size : int
        Indices per batch.
    drop_last : bool
        Drop a last, smaller batch.

    Raises
    ------
    ValueError
        For a non-positive ``batch_size`` or a non-bool ``drop_last``.

    Examples
    --------
    >>> from minigrad.data import BatchSampler, SequentialSampler
    >>> list(BatchSampler(SequentialSampler(range(5)), batch_size=2, drop_last=False))
    [[0, 1], [2, 3], [4]]
    """

    def __init__(self, sampler, batch_size: int, drop_last: bool):
        if (
            isinstance(batch_size, bool)
            or not isinstance(batch_size, numbers.Integral)
            or (batch_size <= 0)
        ):
            raise ValueError(
                f"BatchSampler: batch_size should be a positive integer value, but got "
                f"batch_size={batch_size!r}"
            )
        if not isinstance(drop_last, bool):
            raise ValueError(
                f"BatchSampler: drop_last should be a boolean value, but got "
                f"drop_last={drop_last!r}"
            )
        self.sampler, self.batch_size, self.drop_last = sampler, int(batch_size), drop_last

    def __iter__(self):
        batch = []
        for i in self.sampler:
            batch.append(int(i))
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
