"""Small synthetic 2-D classification sets for the smallest demos: spirals and moons."""

from __future__ import annotations

import numpy as np

from minigrad import backend
from minigrad.tensor import Tensor

__all__ = ["make_spirals", "make_moons"]


def _rng(seed):
    return np.random.default_rng(seed) if seed is not None else backend.generator("cpu")


def _finish(x, y, rng, device):
    perm = rng.permutation(len(y))
    xt = Tensor._make(x[perm].astype(np.float32))
    yt = Tensor._make(y[perm].astype(np.int64))
    if device is not None:
        xt, yt = xt.to(device), yt.to(device)
    return xt, yt


def make_spirals(
    n_samples: int = 300, n_classes: int = 3, noise: float = 0.2, seed=None, device=None
):
    """Interleaved spiral arms, one per class (the CS231n toy problem).

    Class ``k`` has points ``r * (sin t, cos t)`` with ``r`` from 0 to 1 and ``t`` from
    ``4k`` to ``4(k+1)`` plus Gaussian noise of scale ``noise`` on ``t``.

    Parameters
    ----------
    n_samples : int
        Total number of points (split as evenly as possible between the classes).
    n_classes : int
        Number of arms (>= 2).
    noise : float
        Standard deviation of the angle noise.
    seed : int, optional
        Seed; default: the CPU generator set by :func:`minigrad.manual_seed`.
    device : str or Device, optional
        Device of the returned tensors.

    Returns
    -------
    x : Tensor
        float32 points, shape (n_samples, 2), shuffled.
    y : Tensor
        int64 class of each point.

    Raises
    ------
    ValueError
        For fewer than 2 classes or fewer samples than classes.

    Examples
    --------
    >>> from minigrad.data import make_spirals
    >>> x, y = make_spirals(90, n_classes=3, seed=0)
    >>> x.shape, sorted(set(y.tolist()))
    ((90, 2), [0, 1, 2])
    """
    if n_classes < 2 or n_samples < n_classes:
        raise ValueError(
            f"make_spirals: need n_classes >= 2 and n_samples >= n_classes, got "
            f"n_samples={n_samples}, n_classes={n_classes}"
        )
    rng = _rng(seed)
    counts = [n_samples // n_classes + (k < n_samples % n_classes) for k in range(n_classes)]
    xs, ys = [], []
    for k, n in enumerate(counts):
        r = np.linspace(0.0, 1.0, n)
        t = np.linspace(4.0 * k, 4.0 * (k + 1), n) + rng.standard_normal(n) * noise
        xs.append(np.stack([r * np.sin(t), r * np.cos(t)], axis=1))
        ys.append(np.full(n, k))
    return _finish(np.concatenate(xs), np.concatenate(ys), rng, device)


def make_moons(n_samples: int = 200, noise: float = 0.1, seed=None, device=None):
    """Two interleaving half circles (as scikit-learn's ``make_moons``).

    Parameters
    ----------
    n_samples : int
        Total number of points (the outer moon gets ``n_samples // 2``).
    noise : float
        Standard deviation of Gaussian noise added to the points.
    seed : int, optional
        Seed; default: the CPU generator set by :func:`minigrad.manual_seed`.
    device : str or Device, optional
        Device of the returned tensors.

    Returns
    -------
    x : Tensor
        float32 points, shape (n_samples, 2), shuffled.
    y : Tensor
        int64 labels: 0 for the outer moon, 1 for the inner one.

    Raises
    ------
    ValueError
        For fewer than 2 samples.

    Examples
    --------
    >>> from minigrad.data import make_moons
    >>> x, y = make_moons(10, noise=0.0, seed=0)
    >>> x.shape, sorted(y.tolist())
    ((10, 2), [0, 0, 0, 0, 0, 1, 1, 1, 1, 1])
    """
    if n_samples < 2:
        raise ValueError(f"make_moons: n_samples must be >= 2, got {n_samples}")
    rng = _rng(seed)
    n_out = n_samples // 2
    n_in = n_samples - n_out
    t_out, t_in = np.linspace(0, np.pi, n_out), np.linspace(0, np.pi, n_in)
    outer = np.stack([np.cos(t_out), np.sin(t_out)], axis=1)
    inner = np.stack([1 - np.cos(t_in), 1 - np.sin(t_in) - 0.5], axis=1)
    x = np.concatenate([outer, inner])
    y = np.concatenate([np.zeros(n_out), np.ones(n_in)])
    if noise:
        x = x + rng.standard_normal(x.shape) * noise
    return _finish(x, y, rng, device)
