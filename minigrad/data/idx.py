"""MNIST and Fashion-MNIST from the IDX files a user already has (never downloaded).

The IDX format (LeCun et al.): a 4-byte magic number ``0x00 0x00 <type> <ndim>``, then
``ndim`` big-endian uint32 sizes, then the values in big-endian order. Type codes: 0x08
uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64. Files may be
gzip-compressed (``.gz``). The reader checks the magic number, the header length and that
the data has exactly the size the header promises.
"""

from __future__ import annotations

import gzip
import os
import zlib

import numpy as np

from minigrad.tensor import Tensor

__all__ = ["read_idx", "write_idx", "load_mnist", "load_fashion_mnist"]

_TYPES = {
    0x08: np.dtype("u1"),
    0x09: np.dtype("i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODES = {dt.newbyteorder("=") if dt.itemsize > 1 else dt: c for c, dt in _TYPES.items()}

FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def _read_bytes(path: str) -> bytes:
    if path.endswith(".gz"):
        try:
            with gzip.open(path, "rb") as fh:
                return fh.read()
        except (OSError, EOFError, zlib.error) as e:
            raise ValueError(f"read_idx: {path}: corrupt or truncated gzip file: {e}") from None
    with open(path, "rb") as fh:
        return fh.read()


def read_idx(path) -> np.ndarray:
    """Read an IDX file (raw or ``.gz``) into a NumPy array of native byte order.

    Parameters
    ----------
    path : str or os.PathLike
        The file.

    Returns
    -------
    numpy.ndarray
        Shaped as the header says.

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        For a bad magic number, unknown type code, short header, or data shorter or longer
        than the header promises (the message gives both sizes).

    Examples
    --------
    >>> import os, tempfile, numpy as np
    >>> from minigrad.data import read_idx, write_idx
    >>> path = os.path.join(tempfile.mkdtemp(), "x-idx2-ubyte")
    >>> write_idx(path, np.arange(6, dtype=np.uint8).reshape(2, 3))
    >>> read_idx(path)
    array([[0, 1, 2],
           [3, 4, 5]], dtype=uint8)
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"read_idx: no such file: {path!r}")
    raw = _read_bytes(path)
    if len(raw) < 4:
        raise ValueError(
            f"read_idx: {path}: file has {len(raw)} bytes, too short for an IDX header"
        )
    if raw[0] != 0 or raw[1] != 0:
        raise ValueError(
            f"read_idx: {path}: bad magic number 0x{raw[:4].hex()}: an IDX file starts with "
            "two zero bytes (is it gzip-compressed without a .gz name?)"
        )
    code, ndim = raw[2], raw[3]
    if code not in _TYPES:
        raise ValueError(
            f"read_idx: {path}: unknown IDX type code 0x{code:02x} in magic number "
            f"0x{raw[:4].hex()} (expected one of {', '.join(f'0x{c:02x}' for c in _TYPES)})"
        )
    if ndim == 0:
        raise ValueError(f"read_idx: {path}: magic number 0x{raw[:4].hex()} declares 0 dimensions")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(
            f"read_idx: {path}: truncated header: {ndim} dimensions need {header} bytes, the "
            f"file has {len(raw)}"
        )
    dims = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = _TYPES[code]
    expected = int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    got = len(raw) - header
    if got != expected:
        what = "truncated" if got < expected else "has trailing bytes"
        raise ValueError(
            f"read_idx: {path}: data {what}: header says shape {dims} of {dtype.name} "
            f"({expected} bytes), the file holds {got} bytes after the header"
        )
    arr = np.frombuffer(raw, dtype=dtype, offset=header).reshape(dims)
    return arr.astype(dtype.newbyteorder("="), copy=True)


def write_idx(path, array) -> None:
    """Write a NumPy array as an IDX file (gzip-compressed when ``path`` ends in ``.gz``).

    Parameters
    ----------
    path : str or os.PathLike
        The file to write.
    array : numpy.ndarray
        uint8, int8, int16, int32, float32 or float64 data with 1 to 255 dimensions.

    Raises
    ------
    ValueError
        For another dtype or a 0-d array.

    Examples
    --------
    >>> import os, tempfile, numpy as np
    >>> from minigrad.data import read_idx, write_idx
    >>> path = os.path.join(tempfile.mkdtemp(), "y-idx1-ubyte.gz")
    >>> write_idx(path, np.array([3, 1, 4], dtype=np.uint8)); read_idx(path)
    array([3, 1, 4], dtype=uint8)
    """
    a = np.asarray(array)
    key = a.dtype.newbyteorder("=") if a.dtype.itemsize > 1 else a.dtype
    if key not in _CODES or not 1 <= a.ndim <= 255:
        raise ValueError(f"write_idx: cannot store a {a.ndim}-d array of dtype {a.dtype} as IDX")
    code = _CODES[key]
    head = bytes([0, 0, code, a.ndim]) + np.asarray(a.shape, dtype=">u4").tobytes()
    data = head + np.ascontiguousarray(a, dtype=_TYPES[code]).tobytes()
    path = os.fspath(path)
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "wb") as fh:
        fh.write(data)


def _find(root: str, name: str, what: str) -> str:
    dirs = [root, os.path.join(root, "raw"), os.path.join(root, what, "raw")]
    tried = []
    for d in dirs:
        for candidate in (name, name + ".gz", name.replace("-idx", ".idx")):
            p = os.path.join(d, candidate)
            tried.append(p)
            if os.path.exists(p):
                return p
    raise FileNotFoundError(
        f"load_{what.lower()}: cannot find {name} (or {name}.gz) under {root!r}; minigrad never "
        "downloads data: place the standard IDX files there. Looked for: "
        f"{', '.join(tried[:3])}, ..."
    )


def _load_idx_pair(root, split, flatten, device, what):
    if split not in FILES:
        raise ValueError(f"load_{what.lower()}: split must be 'train' or 'test', got {split!r}")
    root = os.fspath(root)
    img_path = _find(root, FILES[split][0], what)
    lab_path = _find(root, FILES[split][1], what)
    images, labels = read_idx(img_path), read_idx(lab_path)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise ValueError(
            f"load_{what.lower()}: {img_path}: expected uint8 images of 3 dimensions (N, H, W), "
            f"got {images.dtype} of shape {images.shape}"
        )
    if labels.ndim != 1 or labels.dtype != np.uint8:
        raise ValueError(
            f"load_{what.lower()}: {lab_path}: expected uint8 labels of 1 dimension (N,), got "
            f"{labels.dtype} of shape {labels.shape}"
        )
    if len(images) != len(labels):
        raise ValueError(
            f"load_{what.lower()}: {len(images)} images in {img_path} but {len(labels)} labels "
            f"in {lab_path}"
        )
    if labels.size and labels.max() > 9:
        raise ValueError(f"load_{what.lower()}: {lab_path}: label {labels.max()} is not in 0..9")
    n, h, w = images.shape
    x = images.astype(np.float32) / np.float32(255.0)
    x = x.reshape(n, h * w) if flatten else x.reshape(n, 1, h, w)
    xt, yt = Tensor._make(x), Tensor._make(labels.astype(np.int64))
    if device is not None:
        xt, yt = xt.to(device), yt.to(device)
    return xt, yt


def load_mnist(root, split: str = "train", flatten: bool = False, device=None):
    """Load MNIST from the standard IDX files under ``root`` (raw or ``.gz``).

    Looks for ``train-images-idx3-ubyte``/``train-labels-idx1-ubyte`` (``split='train'``)
    or ``t10k-images-idx3-ubyte``/``t10k-labels-idx1-ubyte`` (``'test'``) in ``root``,
    ``root/raw`` or ``root/MNIST/raw`` (torchvision's layout).

    Parameters
    ----------
    root : str or os.PathLike
        Directory with the files.
    split : {'train', 'test'}
        Which files.
    flatten : bool
        Images shaped (N, H*W) instead of (N, 1, H, W).
    device : str or Device, optional
        Device of the returned tensors.

    Returns
    -------
    images : Tensor
        float32 in [0, 1] (pixel / 255).
    labels : Tensor
        int64 in 0..9.

    Raises
    ------
    FileNotFoundError
        If a file is missing (the message lists where it looked).
    ValueError
        For a corrupt file (see :func:`read_idx`) or images and labels that disagree.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> from minigrad.data import load_mnist, write_idx
    >>> root = tempfile.mkdtemp()
    >>> write_idx(f"{root}/t10k-images-idx3-ubyte.gz", np.zeros((2, 28, 28), np.uint8))
    >>> write_idx(f"{root}/t10k-labels-idx1-ubyte.gz", np.array([7, 2], np.uint8))
    >>> x, y = load_mnist(root, split="test")
    >>> x.shape, y.tolist()
    ((2, 1, 28, 28), [7, 2])
    """
    return _load_idx_pair(root, split, flatten, device, "MNIST")


def load_fashion_mnist(root, split: str = "train", flatten: bool = False, device=None):
    """Load Fashion-MNIST from the standard IDX files under ``root``.

    Same files names, layout and arguments as :func:`load_mnist` (``root/FashionMNIST/raw``
    is searched too); labels are the 10 clothing classes.

    Parameters
    ----------
    root : str or os.PathLike
        Directory with the files.
    split : {'train', 'test'}
        Which files.
    flatten : bool
        Images shaped (N, 784) instead of (N, 1, 28, 28).
    device : str or Device, optional
        Device of the returned tensors.

    Returns
    -------
    images : Tensor
        float32 in [0, 1], shaped (N, 1, 28, 28) (or (N, 784) with ``flatten``).
    labels : Tensor
        int64 in 0..9.

    Raises
    ------
    FileNotFoundError
        If a file is missing.
    ValueError
        For a corrupt file or images and labels that disagree.

    Examples
    --------
    >>> import tempfile
    >>> from minigrad.data import load_fashion_mnist
    >>> load_fashion_mnist(tempfile.mkdtemp())  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    FileNotFoundError: load_fashionmnist: cannot find train-images-idx3-ubyte ...
    """
    return _load_idx_pair(root, split, flatten, device, "FashionMNIST")
