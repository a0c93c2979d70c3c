"""Safe checkpoints: :func:`save` and :func:`load` without pickle.

A checkpoint is an ``.npz`` archive (NumPy's zip of ``.npy`` files) holding

- one array per tensor or ndarray in the saved object, named ``a0``, ``a1``, ...;
- ``__manifest__``: UTF-8 JSON (stored as a uint8 array) describing the structure. Each
  node is ``{"t": kind, ...}``: ``dict`` (items as ``[key, value]`` node pairs, so integer
  keys such as an optimizer's parameter ids survive), ``list``, ``tuple``, ``tensor``
  (``array`` name, ``requires_grad``, ``device``), ``ndarray``, ``npscalar``, ``str``,
  ``int``, ``float`` (as ``repr``, so inf/nan and every bit survive), ``bool``, ``none``.
  ``arrays`` records every array's dtype, shape and SHA-256.

Nothing is ever unpickled (``np.load(..., allow_pickle=False)``); object arrays are refused
when saving. Files are written atomically: to a temporary file in the same directory,
flushed and fsync'ed, then moved over the target with :func:`os.replace`, so a crash leaves
either the old file or the new one. Loading validates the format version and each array's
presence, dtype, shape and checksum, and raises :class:`CheckpointError` saying what is
wrong for a truncated, corrupted or tampered file.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile

import numpy as np

from minigrad import backend
from minigrad.tensor import Tensor

__all__ = ["save", "load", "CheckpointError", "FORMAT", "VERSION"]

FORMAT = "minigrad-checkpoint"
VERSION = 1
_MANIFEST = "__manifest__"


class CheckpointError(ValueError):
    """A checkpoint file is not valid: truncated, corrupted, tampered or of another format.

    Examples
    --------
    >>> import os, tempfile
    >>> import minigrad
    >>> path = os.path.join(tempfile.mkdtemp(), "bad.pt")
    >>> with open(path, "wb") as fh:
    ...     _ = fh.write(b"not a checkpoint")
    >>> try:
    ...     minigrad.load(path)
    ... except minigrad.serialization.CheckpointError as exc:
    ...     print(type(exc).__name__)
    CheckpointError
    """


def _sha256(arr: np.ndarray) -> str:
    return hashlib.sha256(_contiguous(arr).reshape(-1).view(np.uint8).data).hexdigest()


def _contiguous(arr: np.ndarray) -> np.ndarray:
    # not np.ascontiguousarray: it turns 0-d arrays into 1-d ones
    return arr if arr.flags.c_contiguous else arr.copy(order="C")


def _is_cupy_array(obj) -> bool:
    return backend._cupy is not None and isinstance(obj, backend._cupy.ndarray)


def _where(path: str) -> str:
    return path or "the top-level object"


# ----------------------------------------------------------------------------- save
class _Encoder:
    def __init__(self):
        self.arrays: dict[str, np.ndarray] = {}
        self.meta: dict[str, dict] = {}

    def add_array(self, arr, path: str) -> str:
        if arr.dtype.hasobject or arr.dtype.kind == "V":
            raise TypeError(
                f"minigrad.save: cannot save an array of dtype {arr.dtype} at "
                f"{_where(path)}: object arrays would need pickle"
            )
        arr = _contiguous(backend.to_device(arr, backend.CPU))
        name = f"a{len(self.arrays)}"
        self.arrays[name] = arr
        self.meta[name] = {
            "dtype": arr.dtype.str,
            "shape": list(arr.shape),
            "sha256": _sha256(arr),
        }
        return name

    def encode(self, obj, path: str = ""):
        if obj is None:
            return {"t": "none"}
        if isinstance(obj, bool):
            return {"t": "bool", "v": obj}
        if isinstance(obj, int):
            return {"t": "int", "v": int(obj)}
        if isinstance(obj, float):
            return {"t": "float", "v": repr(float(obj))}
        if isinstance(obj, str):
            return {"t": "str", "v": obj}
        if isinstance(obj, Tensor):
            return {
                "t": "tensor",
                "array": self.add_array(obj.data, path),
                "requires_grad": bool(obj.requires_grad),
                "device": str(obj.device),
            }
        if isinstance(obj, np.ndarray) or _is_cupy_array(obj):
            return {"t": "ndarray", "array": self.add_array(obj, path)}
        if isinstance(obj, np.generic):
            return {"t": "npscalar", "array": self.add_array(np.asarray(obj), path)}
        if isinstance(obj, dict):
            items = []
            for k, v in obj.items():
                if not isinstance(k, str | int | float | bool | type(None)):
                    raise TypeError(
                        f"minigrad.save: dict key {k!r} at {_where(path)} has type "
                        f"{type(k).__name__}; keys must be str, int, float, bool or None"
                    )
                items.append([self.encode(k, path), self.encode(v, f"{path}[{k!r}]")])
            return {"t": "dict", "items": items}
        if isinstance(obj, list | tuple):
            kind = "list" if isinstance(obj, list) else "tuple"
            return {"t": kind, "items": [self.encode(v, f"{path}[{i}]") for i, v in enumerate(obj)]}
        raise TypeError(
            f"minigrad.save: cannot save an object of type {type(obj).__name__} at "
            f"{_where(path)}: supported are Tensor, ndarray, dict, list, tuple, str, int, "
            "float, bool and None (checkpoints never use pickle)"
        )


def save(obj, f) -> None:
    """Save tensors in nested dicts/lists (a state dict) to a file, safely and atomically.

    Parameters
    ----------
    obj : object
        Tensors, NumPy arrays and plain values (str, int, float, bool, None) nested in
        dicts (keys str, int, float, bool or None), lists and tuples: typically
        ``model.state_dict()``, ``optimizer.state_dict()`` or a dict of them.
    f : str or os.PathLike
        Where to write. The file is replaced atomically; no suffix is added.

    Raises
    ------
    TypeError
        If ``obj`` holds a value of another type (its position is named).
    FileNotFoundError
        If the target directory does not exist.

    Examples
    --------
    >>> import os, tempfile, minigrad
    >>> path = os.path.join(tempfile.mkdtemp(), "ckpt.npz")
    >>> minigrad.save({"w": minigrad.ones(2, 3), "epoch": 7, "groups": [{"lr": 0.1}]}, path)
    >>> ck = minigrad.load(path)
    >>> ck["w"].shape, ck["epoch"], ck["groups"][0]["lr"]
    ((2, 3), 7, 0.1)
    """
    enc = _Encoder()
    root = enc.encode(obj)
    manifest = {"format": FORMAT, "version": VERSION, "root": root, "arrays": enc.meta}
    manifest_bytes = np.frombuffer(json.dumps(manifest).encode("utf-8"), dtype=np.uint8)
    path = os.fspath(f)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(
            f"minigrad.save: cannot write {path!r}: directory {directory!r} does not exist"
        )
    fd, tmp = tempfile.mkstemp(
        dir=directory, prefix="." + os.path.basename(path) + ".", suffix=".tmp"
    )
    try:
        with os.fdopen(fd, "wb") as fh:
            if hasattr(os, "fchmod"):  # mkstemp makes 0600 files; use the usual umask mode
                umask = os.umask(0)
                os.umask(umask)
                os.fchmod(fh.fileno(), 0o666 & ~umask)
            np.savez(fh, **{_MANIFEST: manifest_bytes}, **enc.arrays)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    try:  # make the rename itself durable (best effort: not every OS can open a directory)
        dfd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dfd)
    except OSError:
        pass
    finally:
        os.close(dfd)


# ----------------------------------------------------------------------------- load
def _target_device(map_location, saved: str):
    if map_location is None:
        return backend.device(saved)
    if isinstance(map_location, dict):
        return backend.device(map_location.get(saved, saved))
    return backend.device(map_location)


class _Decoder:
    def __init__(self, npz, meta, path, map_location):
        self.npz, self.meta, self.file, self.map_location = npz, meta, path, map_location

    def fail(self, msg):
        raise CheckpointError(f"minigrad.load: {self.file}: {msg}")

    def array(self, name, where):
        if not isinstance(name, str) or name not in self.meta:
            self.fail(f"{_where(where)} refers to array {name!r}, which the manifest lacks")
        return self.npz[name]

    def decode(self, node, where=""):
        if not isinstance(node, dict) or "t" not in node:
            self.fail(f"malformed manifest node at {_where(where)}: {node!r:.80}")
        t = node["t"]
        try:
            if t == "none":
                return None
            if t in ("bool", "int", "str"):
                v = node["v"]
                if type(v) is not {"bool": bool, "int": int, "str": str}[t]:
                    self.fail(f"manifest value at {_where(where)} is not a {t}: {v!r:.80}")
                return v
            if t == "float":
                return float(node["v"])
            if t == "tensor":
                arr = self.array(node["array"], where)
                dev = _target_device(self.map_location, node.get("device", "cpu"))
                out = Tensor._make(backend.to_device(arr, dev))
                if node.get("requires_grad"):
                    if out.dtype.kind not in "fc":
                        self.fail(f"{_where(where)}: a {out.dtype} tensor cannot require grad")
                    out.requires_grad = True
                return out
            if t == "ndarray":
                return self.array(node["array"], where)
            if t == "npscalar":
                return self.array(node["array"], where)[()]
            if t == "dict":
                out = {}
                for key, value in node["items"]:
                    k = self.decode(key, where)
                    out[k] = self.decode(value, f"{where}[{k!r}]")
                return out
            if t in ("list", "tuple"):
                items = [self.decode(v, f"{where}[{i}]") for i, v in enumerate(node["items"])]
                return items if t == "list" else tuple(items)
        except (KeyError, TypeError, ValueError) as e:
            if isinstance(e, CheckpointError):
                raise
            self.fail(f"malformed manifest node {t!r} at {_where(where)}: {e}")
        self.fail(f"unknown node kind {t!r} at {_where(where)} in the manifest")


def _read_arrays(npz, meta, fail):
    """Load and verify every array listed in the manifest; returns {name: ndarray}."""
    names = set(npz.files) - {_MANIFEST}
    missing = sorted(set(meta) - names)
    if missing:
        fail(f"array(s) {', '.join(missing)} listed in the manifest are missing from the file")
    extra = sorted(names - set(meta))
    if extra:
        fail(f"the file holds array(s) {', '.join(extra)} that the manifest does not list")
    arrays = {}
    for name, m in meta.items():
        try:
            arr = npz[name]
        except (zipfile.BadZipFile, ValueError, OSError, EOFError) as e:
            fail(f"array {name} cannot be read (corrupted or truncated file): {e}")
        if arr.dtype.str != m["dtype"]:
            fail(f"array {name} has dtype {arr.dtype.str}, the manifest records {m['dtype']}")
        if list(arr.shape) != list(m["shape"]):
            fail(
                f"array {name} has shape {tuple(arr.shape)}, the manifest records "
                f"{tuple(m['shape'])}"
            )
        if _sha256(arr) != m["sha256"]:
            fail(
                f"array {name} (shape {tuple(arr.shape)}) fails its SHA-256 check: the data was "
                "modified or corrupted"
            )
        arrays[name] = arr
    return arrays


def load(f, map_location=None):
    """Load an object saved by :func:`save`, verifying the whole file first.

    Parameters
    ----------
    f : str or os.PathLike
        The checkpoint file.
    map_location : str, Device or dict, optional
        Device for the loaded tensors (``'cpu'``, ``'cuda:0'``), or a dict mapping saved
        device names to new ones. Default: the device each tensor was saved from.

    Returns
    -------
    object
        The saved structure with Tensors (requires_grad as saved), NumPy arrays and plain
        values.

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    CheckpointError
        (a ``ValueError``) If the file is not a minigrad checkpoint, is truncated or
        corrupted, or its manifest and arrays disagree (dtype, shape, checksum, missing or
        extra arrays); the message names the array or entry at fault.

    Examples
    --------
    >>> import os, tempfile, minigrad
    >>> path = os.path.join(tempfile.mkdtemp(), "state.npz")
    >>> minigrad.save({0: {"step": 3, "buf": minigrad.zeros(2)}}, path)
    >>> minigrad.load(path, map_location="cpu")
    {0: {'step': 3, 'buf': tensor([0., 0.])}}
    """
    path = os.fspath(f)
    if not os.path.exists(path):
        raise FileNotFoundError(f"minigrad.load: no such checkpoint file: {path!r}")

    def fail(msg):
        raise CheckpointError(f"minigrad.load: {path}: {msg}")

    try:
        npz = np.load(path, allow_pickle=False)
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as e:
        fail(f"not a readable .npz checkpoint (truncated or corrupted?): {e}")
    if not isinstance(npz, np.lib.npyio.NpzFile):
        fail("not a minigrad checkpoint (a single .npy array, not an .npz archive)")
    with npz:
        if _MANIFEST not in npz.files:
            fail("not a minigrad checkpoint: the archive has no __manifest__")
        try:
            raw = npz[_MANIFEST]
            manifest = json.loads(raw.tobytes().decode("utf-8"))
        except (zipfile.BadZipFile, ValueError, OSError, EOFError, UnicodeDecodeError) as e:
            fail(f"the manifest cannot be read (corrupted or truncated file): {e}")
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            fail(f"not a minigrad checkpoint: manifest format is not {FORMAT!r}")
        version = manifest.get("version")
        if not isinstance(version, int) or version > VERSION or version < 1:
            fail(
                f"checkpoint format version {version!r} is not supported (this minigrad reads "
                f"versions 1..{VERSION}; a newer minigrad may have written it)"
            )
        meta = manifest.get("arrays")
        if not isinstance(meta, dict) or "root" not in manifest:
            fail("malformed manifest: 'arrays' or 'root' is missing")
        for name, m in meta.items():
            if not isinstance(m, dict) or not {"dtype", "shape", "sha256"} <= set(m):
                fail(f"malformed manifest entry for array {name!r}: {m!r:.80}")
        arrays = _read_arrays(npz, meta, fail)
    return _Decoder(arrays, meta, path, map_location).decode(manifest["root"])
