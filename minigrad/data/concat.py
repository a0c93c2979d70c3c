"""Combining datasets: :class:`ConcatDataset` (PyTorch's), one index space over several
map-style datasets in order."""

from __future__ import annotations

import bisect

from minigrad.data.dataset import Dataset

__all__ = ["ConcatDataset"]


class ConcatDataset(Dataset):
    """The samples of ``datasets`` one after another.

    Parameters
    ----------
    datasets : iterable of Dataset
        Map-style datasets (with ``__len__``).

    Raises
    ------
    ValueError
        If ``datasets`` is empty.
    IndexError
        For an index out of range.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.data import ConcatDataset, TensorDataset
    >>> a = TensorDataset(minigrad.arange(3))
    >>> b = TensorDataset(minigrad.arange(10, 12))
    >>> ds = ConcatDataset([a, b])
    >>> len(ds), int(ds[3][0]), int(ds[-1][0])
    (5, 10, 11)
    """

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: datasets should not be an empty iterable")
        self.cumulative_sizes = []
        total = 0
        for d in self.datasets:
            total += len(d)
            self.cumulative_sizes.append(total)

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx):
        n = len(self)
        if idx < 0:
            if -idx > n:
                raise ValueError(
                    f"ConcatDataset: absolute value of index {idx} should not exceed dataset "
                    f"length {n}"
                )
            idx += n
        if idx >= n:
            raise IndexError(f"ConcatDataset: index {idx} is out of range for length {n}")
        d = bisect.bisect_right(self.cumulative_sizes, idx)
        start = self.cumulative_sizes[d - 1] if d > 0 else 0
        return self.datasets[d][idx - start]
