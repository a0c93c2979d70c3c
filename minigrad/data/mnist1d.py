"""MNIST-1D (Greydanus, 2020) through the optional ``mnist1d`` package, generated locally.

``pip install "minigrad-lab[datasets]"`` installs it. Only its procedural generator is used
(``get_dataset_args`` + ``make_dataset``), never its download path. The generator reseeds
NumPy's and Python's global random generators; their states are saved and restored around
it, so loading MNIST-1D leaves the caller's randomness untouched.
"""

from __future__ import annotations

import random

import numpy as np

from minigrad.tensor import Tensor

__all__ = ["load_mnist1d"]

_cache: dict = {}


def _generate(num_samples: int, seed: int):
    key = (num_samples, seed)
    if key in _cache:
        return _cache[key]
    try:
        from mnist1d.data import get_dataset_args, make_dataset
    except ImportError as e:
        raise ImportError(
            "load_mnist1d needs the optional 'mnist1d' package: install it with "
            '`pip install "minigrad-lab[datasets]"` (or `pip install mnist1d`)'
        ) from e
    args = get_dataset_args()
    args.num_samples = num_samples
    args.seed = seed
    np_state = np.random.get_state()  # noqa: NPY002 - the legacy global state it reseeds
    py_state = random.getstate()
    try:
        data = make_dataset(args)
    finally:
        np.random.set_state(np_state)  # noqa: NPY002
        random.setstate(py_state)
    out = (
        np.asarray(data["x"], dtype=np.float32),
        np.asarray(data["y"], dtype=np.int64),
        np.asarray(data["x_test"], dtype=np.float32),
        np.asarray(data["y_test"], dtype=np.int64),
    )
    _cache[key] = out
    return out


def load_mnist1d(split: str = "train", num_samples: int = 5000, seed: int = 42, device=None):
    """Generate MNIST-1D: 1-D signals of length 40 in 10 classes.

    Parameters
    ----------
    split : {'train', 'test'}
        The first 80% of the generated samples, or the last 20% (the package's split).
    num_samples : int
        Total number of samples generated (default 5000, the reference dataset).
    seed : int
        Seed of the generator (default 42, the reference dataset).
    device : str or Device, optional
        Device of the returned tensors.

    Returns
    -------
    x : Tensor
        float32 signals, shape (N, 40).
    y : Tensor
        int64 labels 0..9.

    Raises
    ------
    ImportError
        If the ``mnist1d`` package is not installed (names the ``datasets`` extra).
    ValueError
        For an unknown split.

    Examples
    --------
    >>> from minigrad.data import load_mnist1d
    >>> x, y = load_mnist1d("test", num_samples=100)  # doctest: +SKIP
    >>> x.shape, y.dtype  # doctest: +SKIP
    ((20, 40), dtype('int64'))
    """
    if split not in ("train", "test"):
        raise ValueError(f"load_mnist1d: split must be 'train' or 'test', got {split!r}")
    x, y, x_test, y_test = _generate(int(num_samples), int(seed))
    if split == "test":
        x, y = x_test, y_test
    xt, yt = Tensor._make(x.copy()), Tensor._make(y.copy())
    if device is not None:
        xt, yt = xt.to(device), yt.to(device)
    return xt, yt
