"""The bundled 8x8 handwritten digits (no download, ever).

1,797 grey-level images of the digits 0-9, 8x8 pixels with values 0..16: the test part of
the UCI "Optical Recognition of Handwritten Digits" data (Alpaydin & Kaynak, CC BY 4.0), as
scikit-learn ships it. The values live in ``minigrad/data/digits.npz`` (see ``DIGITS.md``
beside it for credits; ``make_digits.py`` made it).
"""

from __future__ import annotations

import os

import numpy as np

from minigrad.tensor import Tensor

__all__ = ["load_digits"]

_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "digits.npz")
_cache: dict = {}


def _raw():
    if "images" not in _cache:
        with np.load(_PATH, allow_pickle=False) as z:
            _cache["images"], _cache["labels"] = z["images"], z["labels"]
    return _cache["images"], _cache["labels"]


def _split_indices(labels, test_fraction, seed):
    """Stratified split: in each class, a seeded permutation puts round(f * n_c) in test."""
    rng = np.random.default_rng(seed)
    test = []
    for c in range(10):
        idx = np.flatnonzero(labels == c)
        k = int(round(test_fraction * len(idx)))
        test.append(rng.permutation(idx)[:k])
    test = np.sort(np.concatenate(test))
    train = np.setdiff1d(np.arange(len(labels)), test)
    return train, test


def load_digits(
    split: str | None = None,
    test_fraction: float = 0.2,
    seed: int = 0,
    flatten: bool = False,
    device=None,
):
    """Load the 8x8 digits as ``(images, labels)`` Tensors.

    Parameters
    ----------
    split : {'train', 'test', None}
        ``None`` (default) returns all 1,797 samples; ``'train'``/``'test'`` a stratified
        split (each class keeps its share), the same for the same ``seed`` and fraction.
    test_fraction : float
        Share of each class in the test split, in (0, 1) (default 0.2: 1,438 / 359).
    seed : int
        Seed of the split (default 0).
    flatten : bool
        Images shaped (N, 64) instead of (N, 1, 8, 8).
    device : str or Device, optional
        Device of the returned tensors (default: CPU).

    Returns
    -------
    images : Tensor
        float32 in [0, 1] (pixel / 16), shaped (N, 1, 8, 8) or (N, 64).
    labels : Tensor
        int64 class indices 0..9, shaped (N,).

    Raises
    ------
    ValueError
        For an unknown split or a fraction outside (0, 1).

    Examples
    --------
    >>> from minigrad.data import load_digits
    >>> x, y = load_digits()
    >>> x.shape, x.dtype, y.shape, y.dtype
    ((1797, 1, 8, 8), dtype('float32'), (1797,), dtype('int64'))
    >>> xtr, ytr = load_digits("train", flatten=True)
    >>> xte, yte = load_digits("test", flatten=True)
    >>> xtr.shape, xte.shape
    ((1438, 64), (359, 64))
    """
    if split not in (None, "train", "test"):
        raise ValueError(f"load_digits: split must be 'train', 'test' or None, got {split!r}")
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"load_digits: test_fraction must be in (0, 1), got {test_fraction}")
    images, labels = _raw()
    if split is not None:
        train, test = _split_indices(labels, test_fraction, seed)
        idx = train if split == "train" else test
        images, labels = images[idx], labels[idx]
    x = images.astype(np.float32) / np.float32(16.0)
    x = x.reshape(len(x), 64) if flatten else x.reshape(len(x), 1, 8, 8)
    xt, yt = Tensor._make(x), Tensor._make(labels.astype(np.int64))
    if device is not None:
        xt, yt = xt.to(device), yt.to(device)
    return xt, yt
