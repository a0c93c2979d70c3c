"""MNIST-1D (Greydanus, 2020) through the optional ``mnist1d`` package, generated locally.

``pip install "minigrad-lab[datasets]"`` installs it. Only its procedural generator is used
(``get_dataset_args`` + ``make_dataset``), never its download path. The generator reseeds
NumPy's and Python's global random generators; their states are saved and restored around
it, so loading MNIST-1D leaves the caller's randomness untouched.

Generating the reference set takes about two seconds, and every process of a grid (the
driver, each Dask worker, each MPI rank) would pay it; so the generated arrays are also kept
on disk, keyed by the ``mnist1d`` version, the sample count and the seed, in
:func:`cache_dir` (``$MINIGRAD_CACHE_DIR``, else ``$XDG_CACHE_HOME/minigrad``, else
``~/.cache/minigrad``), as scikit-learn keeps its data sets in ``data_home`` and mnist1d its
own pickle. A file that cannot be read is generated again; a folder that cannot be written
only means no file is kept.
"""

from __future__ import annotations

import os
import random
import tempfile
from pathlib import Path

import numpy as np

from minigrad.tensor import Tensor

__all__ = ["load_mnist1d", "cache_dir"]

_cache: dict = {}
_FIELDS = ("x", "y", "x_test", "y_test")


def cache_dir() -> Path:
    """The folder where generated data sets are kept between processes.

    ``$MINIGRAD_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/minigrad``, else
    ``~/.cache/minigrad`` (it is created when a file is first written).

    Examples
    --------
    >>> from minigrad.data import mnist1d
    >>> mnist1d.cache_dir().name  # doctest: +SKIP
    'minigrad'
    """
    if os.environ.get("MINIGRAD_CACHE_DIR"):
        return Path(os.environ["MINIGRAD_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "minigrad"


def _read(path: Path, num_samples: int):
    """The four arrays kept in ``path``, or None when it is missing or not what it should be."""
    try:
        with np.load(path) as z:
            out = tuple(z[k] for k in _FIELDS)
    except Exception:  # missing, truncated or foreign: generate again
        return None
    n_train = out[0].shape[0]
    shapes_ok = out[0].ndim == 2 and n_train + out[2].shape[0] == num_samples
    dtypes = tuple(a.dtype for a in out)
    if not shapes_ok or dtypes != (np.float32, np.int64, np.float32, np.int64):
        return None
    return out


def _write(path: Path, arrays) -> None:
    """Keep ``arrays`` in ``path``: written to a temporary file, then renamed over it (two
    processes generating at once both write whole files, and a reader sees one of them)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                np.savez(f, **dict(zip(_FIELDS, arrays)))
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError:  # read-only home, full disk: the data are used, not kept
        pass


def _generate(num_samples: int, seed: int):
    key = (num_samples, seed)
    if key in _cache:
        return _cache[key]
    from importlib.metadata import PackageNotFoundError, version

    missing = ImportError(
        "load_mnist1d needs the optional 'mnist1d' package: install it with "
        '`pip install "minigrad-lab[datasets]"` (or `pip install mnist1d`)'
    )
    try:  # (the version, without importing the package: that alone takes most of a second)
        pkg_version = version("mnist1d")
    except PackageNotFoundError as e:
        raise missing from e
    path = cache_dir() / f"mnist1d-{pkg_version}-n{num_samples}-seed{seed}.npz"
    out = _read(path, num_samples)
    if out is not None:
        _cache[key] = out
        return out
    try:
        from mnist1d.data import get_dataset_args, make_dataset
    except ImportError as e:
        raise missing from e
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
    _write(path, out)
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
