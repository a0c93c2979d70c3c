"""Datasets for the laboratory, as standardized float32 NumPy arrays with a channel axis.

The loaders themselves live in :mod:`minigrad.data`; this module only turns what they
return into ``(x_train, y_train, x_test, y_test)`` arrays shaped ``(N, C, ...)``,
standardizes them with the training set's mean and standard deviation, and optionally
keeps a seeded subset (for quick runs and tests).

:func:`cached_arrays` keeps what it loaded in a module-level cache, so each process (the
driver, or each Dask worker of a grid) loads or generates a data set once, not once per run.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["DATASETS", "DataArrays", "load_arrays", "cached_arrays", "clear_cache"]

DATASETS = ("digits", "mnist1d", "mnist", "fashion-mnist")

#: One sample's shape (with the channel axis) for each dataset.
IN_SHAPES = {
    "digits": (1, 8, 8),
    "mnist1d": (1, 40),
    "mnist": (1, 28, 28),
    "fashion-mnist": (1, 28, 28),
}


@dataclass
class DataArrays:
    """Train and test arrays of one dataset.

    Attributes
    ----------
    x_train, y_train, x_test, y_test : numpy.ndarray
        Inputs ``(N, C, ...)`` float32 and integer labels ``(N,)`` int64.
    in_shape : tuple of int
        Shape of one input sample.
    num_classes : int
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    in_shape: tuple
    num_classes: int


def _to_numpy(a) -> np.ndarray:
    """A Tensor (any device) or array as a NumPy array."""
    if hasattr(a, "detach"):
        a = a.detach()._data
    return a.get() if hasattr(a, "get") else np.asarray(a)


def _raw(name: str, root):
    """``((x_train, y_train), (x_test, y_test))`` from :mod:`minigrad.data`."""
    from minigrad import data

    if name == "digits":
        return data.load_digits("train"), data.load_digits("test")
    if name == "mnist1d":
        return data.load_mnist1d("train"), data.load_mnist1d("test")
    if root is None:
        raise FileNotFoundError(
            f"dataset {name!r} is read from the IDX files you already have: pass "
            f"--data-root DIR (the folder holding train-images-idx3-ubyte[.gz] etc.)"
        )
    loader = data.load_mnist if name == "mnist" else data.load_fashion_mnist
    return loader(root, "train"), loader(root, "test")


def load_arrays(
    name: str = "digits",
    root=None,
    subset: int | None = None,
    test_subset: int | None = None,
    seed: int = 0,
) -> DataArrays:
    """Load a dataset as standardized arrays with a channel axis.

    Parameters
    ----------
    name : {'digits', 'mnist1d', 'mnist', 'fashion-mnist'}
    root : str or Path, optional
        Folder of the IDX files (``mnist`` and ``fashion-mnist`` only).
    subset, test_subset : int, optional
        Keep this many training (test) samples, chosen with ``seed``.
    seed : int
        Seed of the subset choice.

    Returns
    -------
    DataArrays

    Raises
    ------
    ValueError
        Unknown dataset name.
    FileNotFoundError
        Missing IDX files.

    Examples
    --------
    >>> d = load_arrays("digits", subset=100)
    >>> d.x_train.shape, d.x_train.dtype, d.in_shape, d.num_classes
    ((100, 1, 8, 8), dtype('float32'), (1, 8, 8), 10)
    """
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
    (x_tr, y_tr), (x_te, y_te) = _raw(name, root)
    x_tr, y_tr, x_te, y_te = (_to_numpy(a) for a in (x_tr, y_tr, x_te, y_te))
    shape = IN_SHAPES[name]
    x_tr = x_tr.astype(np.float32).reshape((-1, *shape))
    x_te = x_te.astype(np.float32).reshape((-1, *shape))
    y_tr = y_tr.astype(np.int64).reshape(-1)
    y_te = y_te.astype(np.int64).reshape(-1)
    rng = np.random.default_rng(seed)
    if subset is not None and subset < len(x_tr):
        keep = np.sort(rng.choice(len(x_tr), size=subset, replace=False))
        x_tr, y_tr = x_tr[keep], y_tr[keep]
    if test_subset is not None and test_subset < len(x_te):
        keep = np.sort(rng.choice(len(x_te), size=test_subset, replace=False))
        x_te, y_te = x_te[keep], y_te[keep]
    mean, std = float(x_tr.mean()), float(x_tr.std()) or 1.0
    x_tr = ((x_tr - mean) / std).astype(np.float32)
    x_te = ((x_te - mean) / std).astype(np.float32)
    num_classes = int(max(y_tr.max(), y_te.max())) + 1
    return DataArrays(x_tr, y_tr, x_te, y_te, shape, max(num_classes, 10))


#: ``(name, root, subset, test_subset, seed) -> DataArrays`` of this process.
_CACHE: dict = {}
#: How many times this process loaded each key of :data:`_CACHE` (1 each, unless cleared).
_LOADS: dict = {}


def cached_arrays(
    name: str = "digits",
    root=None,
    subset: int | None = None,
    test_subset: int | None = None,
    seed: int = 0,
) -> DataArrays:
    """:func:`load_arrays`, loaded once per process and kept for the next runs.

    Every run of a grid that names the same data gets the same (read-only by convention)
    arrays; a Dask worker loads each data set on its first run and reuses it afterwards.

    Examples
    --------
    >>> a = cached_arrays("digits", subset=100)
    >>> a is cached_arrays("digits", subset=100)
    True
    """
    key = (name, None if root is None else str(root), subset, test_subset, seed)
    arrays = _CACHE.get(key)
    if arrays is None:
        arrays = _CACHE[key] = load_arrays(name, root, subset, test_subset, seed)
        _LOADS[key] = _LOADS.get(key, 0) + 1
    return arrays


def clear_cache() -> None:
    """Forget the data sets :func:`cached_arrays` kept (frees their memory).

    Examples
    --------
    >>> clear_cache()
    """
    _CACHE.clear()
