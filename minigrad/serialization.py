"""Safe checkpoints: :func:`save` and :func:`load` in the safetensors format, without pickle.

A checkpoint is a `safetensors <https://huggingface.co/docs/safetensors>`_ file, the
format the PyTorch ecosystem uses: an 8-byte header length, a JSON header naming every
tensor's dtype, shape and byte range, then the raw data. So a ``model.state_dict()`` saved
by minigrad loads into the equivalent PyTorch model with ``safetensors.torch.load_file``
and ``load_state_dict``, and a PyTorch state dict saved with ``safetensors.torch.save_file``
loads into minigrad with :func:`load`.

- Each tensor or array is stored under its key (``fc.weight``); a nested one under its
  dotted path (``model.fc.weight``; integer keys as digits), made unique with ``#n`` when
  two paths collide.
- Everything else (optimizer ``param_groups``, epochs, histories, tuples, integer keys,
  ``requires_grad`` and devices) goes in the header's metadata as JSON under
  ``minigrad.structure``: each node is ``{"t": kind, ...}``: ``dict`` (items as
  ``[key, value]`` node pairs), ``list``, ``tuple``, ``tensor`` (stored ``name``, ``dtype``,
  ``shape``, ``requires_grad``, ``device``), ``ndarray``, ``npscalar``, ``str``, ``int``,
  ``float`` (as ``repr``, so inf/nan and every bit survive), ``bool``, ``none``. Dtypes
  that safetensors lacks (complex128, strings) are stored as their raw bytes.
- ``minigrad.digest`` is the SHA-256 of the whole file with the digest's own 64 characters
  written as zeros: any changed, missing or added byte is detected.

Nothing is ever unpickled. Files are written atomically: to a temporary file in the same
directory, flushed and fsync'ed, then moved over the target with :func:`os.replace`, so a
crash leaves either the old file or the new one. Loading checks the header, the digest and
the structure, and raises :class:`CheckpointError` saying what is wrong for a truncated,
corrupted or tampered file. Checkpoints of minigrad's first format (``.npz`` archives with a
``__manifest__``) still load.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile

import numpy as np

from minigrad import backend
from minigrad.tensor import Tensor

__all__ = ["save", "load", "CheckpointError", "FORMAT", "VERSION"]

FORMAT = "minigrad-checkpoint"
VERSION = 2
_MANIFEST = "__manifest__"  # the first (npz) format's manifest
_KEYS = ("minigrad.format", "minigrad.version", "minigrad.structure", "minigrad.digest")
_PLACEHOLDER = "0" * 64
_DIGEST = re.compile(rb'"minigrad\.digest":"([0-9a-f]{64})"')
#: Dtypes safetensors stores natively; others are stored as raw bytes.
_NATIVE = {
    "b1",
    "u1",
    "i1",
    "u2",
    "i2",
    "u4",
    "i4",
    "u8",
    "i8",
    "f2",
    "f4",
    "f8",
    "c8",
}


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

    def _name(self, dotted: list) -> str:
        name = ".".join(dotted) or "tensor"
        if name in self.arrays or name.startswith("__") or not name:
            name = f"{name}#{len(self.arrays)}"
        while name in self.arrays:
            name += "#"
        return name

    def add_array(self, arr, path: str, dotted: list) -> str:
        if arr.dtype.hasobject or arr.dtype.kind == "V":
            raise TypeError(
                f"minigrad.save: cannot save an array of dtype {arr.dtype} at "
                f"{_where(path)}: object arrays would need pickle"
            )
        arr = _contiguous(backend.to_device(arr, backend.CPU))
        name = self._name(dotted)
        entry = {"dtype": arr.dtype.str, "shape": list(arr.shape)}
        native = arr.dtype.newbyteorder("=")
        if native.str[1:] in _NATIVE:
            stored = arr.astype(native, copy=False) if arr.dtype != native else arr
        else:  # stored as raw bytes, viewed back on load
            stored = arr.reshape(-1).view(np.uint8).copy()
            entry["raw"] = True
        self.arrays[name] = _contiguous(stored)
        self.meta[name] = entry
        return name

    def encode(self, obj, path: str = "", dotted=()):
        dotted = list(dotted)
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
                "array": self.add_array(obj._data, path, dotted),
                "requires_grad": bool(obj.requires_grad),
                "device": str(obj.device),
            }
        if isinstance(obj, np.ndarray) or _is_cupy_array(obj):
            return {"t": "ndarray", "array": self.add_array(obj, path, dotted)}
        if isinstance(obj, np.generic):
            return {"t": "npscalar", "array": self.add_array(np.asarray(obj), path, dotted)}
        if isinstance(obj, dict):
            items = []
            for k, v in obj.items():
                if not isinstance(k, str | int | float | bool | type(None)):
                    raise TypeError(
                        f"minigrad.save: dict key {k!r} at {_where(path)} has type "
                        f"{type(k).__name__}; keys must be str, int, float, bool or None"
                    )
                items.append(
                    [self.encode(k, path), self.encode(v, f"{path}[{k!r}]", [*dotted, str(k)])]
                )
            return {"t": "dict", "items": items}
        if isinstance(obj, list | tuple):
            kind = "list" if isinstance(obj, list) else tuple.__name__
            return {
                "t": kind,
                "items": [
                    self.encode(v, f"{path}[{i}]", [*dotted, str(i)]) for i, v in enumerate(obj)
                ],
            }
        raise TypeError(
            f"minigrad.save: cannot save an object of type {type(obj).__name__} at "
            f"{_where(path)}: supported are Tensor, ndarray, dict, list, tuple, str, int, "
            "float, bool and None (checkpoints never use pickle)"
        )


def _digest(blob: bytes) -> str:
    return hashlib.sha256(blob).hexdigest()


def _encode_file(obj) -> bytes:
    """The bytes of a checkpoint of ``obj`` (safetensors with a digest of the whole file)."""
    import safetensors.numpy

    enc = _Encoder()
    root = enc.encode(obj)
    structure = json.dumps({"root": root, "arrays": enc.meta}, separators=(",", ":"))
    metadata = {
        "minigrad.format": FORMAT,
        "minigrad.version": str(VERSION),
        "minigrad.structure": structure,
        "minigrad.digest": _PLACEHOLDER,
    }
    blob = bytearray(safetensors.numpy.save(enc.arrays, metadata=metadata))
    n = int.from_bytes(blob[:8], "little")
    found = list(_DIGEST.finditer(bytes(blob[8 : 8 + n])))
    if len(found) != 1:  # pragma: no cover - safetensors writes compact JSON
        raise RuntimeError("minigrad.save: cannot place the digest in the safetensors header")
    start = 8 + found[0].start(1)
    blob[start : start + 64] = _digest(bytes(blob)).encode("ascii")
    return bytes(blob)


def save(obj, f) -> None:
    """Save tensors in nested dicts/lists (a state dict) to a safetensors file, atomically.

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

    Notes
    -----
    The file is a safetensors file: ``safetensors.torch.load_file(f)`` gives PyTorch the
    tensors under their keys (``model.state_dict()`` loads into the equivalent
    ``torch.nn.Module``); the non-tensor values are in its metadata (see the module
    documentation).

    Examples
    --------
    >>> import os, tempfile, minigrad
    >>> path = os.path.join(tempfile.mkdtemp(), "ckpt.safetensors")
    >>> minigrad.save({"w": minigrad.ones(2, 3), "epoch": 7, "groups": [{"lr": 0.1}]}, path)
    >>> ck = minigrad.load(path)
    >>> ck["w"].shape, ck["epoch"], ck["groups"][0]["lr"]
    ((2, 3), 7, 0.1)
    """
    blob = _encode_file(obj)
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
            fh.write(blob)
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
    def __init__(self, arrays, meta, path, map_location):
        self.arrays, self.meta, self.file, self.map_location = arrays, meta, path, map_location

    def fail(self, msg):
        raise CheckpointError(f"minigrad.load: {self.file}: {msg}")

    def array(self, name, where):
        if not isinstance(name, str) or name not in self.meta or name not in self.arrays:
            self.fail(f"{_where(where)} refers to array {name!r}, which the manifest lacks")
        return self.arrays[name]

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
        except CheckpointError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError, RuntimeError) as e:
            self.fail(f"malformed manifest node {t!r} at {_where(where)}: {e}")
        self.fail(f"unknown node kind {t!r} at {_where(where)} in the manifest")


def _header(blob: bytes, fail) -> tuple:
    """The parsed safetensors header of a file's bytes and its raw JSON bytes."""
    if len(blob) < 8:
        fail(f"only {len(blob)} bytes: too short to be a checkpoint (truncated?)")
    n = int.from_bytes(blob[:8], "little")
    if n == 0 or n > len(blob) - 8:
        fail(
            f"the header length {n} does not fit the file's {len(blob)} bytes "
            "(truncated or corrupted, or not a safetensors file)"
        )
    raw = blob[8 : 8 + n]
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        fail(f"the header is not valid JSON (corrupted or truncated file): {e}")
    if not isinstance(header, dict):
        fail("the header is not a JSON object (corrupted file)")
    return header, raw


def _verify_ours(blob: bytes, raw: bytes, meta: dict, fail) -> dict:
    """Check a minigrad checkpoint's digest and metadata; returns its structure."""
    missing = [k for k in _KEYS if not isinstance(meta.get(k), str)]
    if missing:
        fail(f"the header's minigrad metadata is damaged: {', '.join(missing)} missing")
    found = list(_DIGEST.finditer(raw))
    if len(found) != 1:
        fail("the header's digest cannot be found (corrupted header)")
    start = 8 + found[0].start(1)
    stored = blob[start : start + 64].decode("ascii")
    zeroed = blob[:start] + _PLACEHOLDER.encode("ascii") + blob[start + 64 :]
    if _digest(zeroed) != stored:
        fail(
            "the file fails its SHA-256 check: bytes were changed, cut off or appended "
            "after it was written (corrupted, truncated or tampered)"
        )
    if meta["minigrad.format"] != FORMAT:
        fail(f"not a minigrad checkpoint: format is {meta['minigrad.format']!r}")
    version = meta["minigrad.version"]
    if not version.isdigit() or not 1 <= int(version) <= VERSION:
        fail(
            f"checkpoint format version {version!r} is not supported (this minigrad reads "
            f"versions 1..{VERSION}; a newer minigrad may have written it)"
        )
    try:
        structure = json.loads(meta["minigrad.structure"])
    except ValueError as e:
        fail(f"the structure metadata is not valid JSON: {e}")
    if not isinstance(structure, dict) or "root" not in structure:
        fail("malformed structure metadata: 'root' is missing")
    if not isinstance(structure.get("arrays"), dict):
        fail("malformed structure metadata: 'arrays' is missing")
    return structure


def _restore_arrays(arrays: dict, meta: dict, fail) -> dict:
    """Undo the storage conversions (raw bytes, byte order) and check dtypes and shapes."""
    out = {}
    for name, m in meta.items():
        if not isinstance(m, dict) or not {"dtype", "shape"} <= set(m):
            fail(f"malformed structure entry for array {name!r}: {m!r:.80}")
        if name not in arrays:
            fail(f"array {name!r} listed in the structure is missing from the file")
        arr = arrays[name]
        try:
            dtype = np.dtype(m["dtype"])
            shape = tuple(int(d) for d in m["shape"])
            if m.get("raw"):
                arr = arr.view(dtype).reshape(shape)
            elif arr.dtype != dtype:
                arr = arr.astype(dtype)
        except (TypeError, ValueError) as e:
            fail(f"array {name!r} does not match its recorded dtype {m['dtype']!r}: {e}")
        if arr.shape != shape:
            fail(f"array {name!r} has shape {arr.shape}, the structure records {shape}")
        out[name] = arr
    extra = sorted(set(arrays) - set(meta))
    if extra:
        fail(f"the file holds array(s) {', '.join(extra)} that the structure does not list")
    return out


def _load_safetensors(blob: bytes, path: str, map_location, fail):
    import safetensors.numpy

    header, raw = _header(blob, fail)
    meta = header.get("__metadata__", {})
    if not isinstance(meta, dict):
        fail("the header's __metadata__ is not an object (corrupted header)")
    # ours when any of our metadata keys is there: one damaged byte cannot hide all four
    ours = any(k in meta for k in _KEYS) or any(f'"{k}"'.encode() in raw for k in _KEYS)
    structure = _verify_ours(blob, raw, meta, fail) if ours else None
    try:
        arrays = safetensors.numpy.load(blob)
    except Exception as e:  # safetensors' own validation: offsets, dtypes, sizes
        fail(f"not a readable safetensors file (corrupted or truncated?): {e}")
    if structure is None:  # a plain safetensors state dict (e.g. from PyTorch)
        names = [k for k in header if k != "__metadata__"]
        return {
            k: Tensor._make(backend.to_device(arrays[k], _target_device(map_location, "cpu")))
            for k in names
            if k in arrays
        }
    arrays = _restore_arrays(arrays, structure["arrays"], fail)
    return _Decoder(arrays, structure["arrays"], path, map_location).decode(structure["root"])


# ------------------------------------------------------------- the first (npz) format
def _read_arrays(npz, meta, fail):
    """Load and verify every array listed in an npz manifest; returns {name: ndarray}."""
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
        except Exception as e:  # zipfile and NumPy raise many kinds on a damaged member
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


def _load_npz(path: str, map_location, fail):
    try:
        npz = np.load(path, allow_pickle=False)
    except Exception as e:  # zipfile and NumPy raise many kinds on a damaged archive
        fail(f"not a readable .npz checkpoint (truncated or corrupted?): {e}")
    if not isinstance(npz, np.lib.npyio.NpzFile):
        fail("not a minigrad checkpoint (a single .npy array, not an .npz archive)")
    with npz:
        if _MANIFEST not in npz.files:
            fail("not a minigrad checkpoint: the archive has no __manifest__")
        try:
            raw = npz[_MANIFEST]
            manifest = json.loads(raw.tobytes().decode("utf-8"))
        except Exception as e:
            fail(f"the manifest cannot be read (corrupted or truncated file): {e}")
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            fail(f"not a minigrad checkpoint: manifest format is not {FORMAT!r}")
        version = manifest.get("version")
        if not isinstance(version, int) or version != 1:
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


def load(f, map_location=None, weights_only=True):
    """Load a checkpoint written by :func:`save` (or any safetensors file), verifying it first.

    Parameters
    ----------
    f : str or os.PathLike
        The checkpoint file: one written by :func:`save` (safetensors; or minigrad's first
        ``.npz`` format), or a plain safetensors file such as PyTorch's
        ``safetensors.torch.save_file(model.state_dict(), f)``, which loads as a dict of
        tensors ready for ``load_state_dict``.
    map_location : str, Device or dict, optional
        Device for the loaded tensors (``'cpu'``, ``'cuda:0'``), or a dict mapping saved
        device names to new ones. Default: the device each tensor was saved from (CPU for
        a plain safetensors file).
    weights_only : bool
        Accepted for PyTorch's signature. Every load is weights-only: a checkpoint holds
        tensors, arrays and plain containers and values, and nothing in it is ever
        unpickled or run, whatever this says.

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
        (a ``ValueError``) For any damaged file: not a checkpoint, truncated, a changed or
        appended byte (the digest), a malformed header or structure; the message names
        the problem.

    Examples
    --------
    >>> import os, tempfile, minigrad
    >>> path = os.path.join(tempfile.mkdtemp(), "state.safetensors")
    >>> minigrad.save({0: {"step": 3, "buf": minigrad.zeros(2)}}, path)
    >>> minigrad.load(path, map_location="cpu")
    {0: {'step': 3, 'buf': tensor([0., 0.])}}
    """
    path = os.fspath(f)
    if not os.path.exists(path):
        raise FileNotFoundError(f"minigrad.load: no such checkpoint file: {path!r}")

    def fail(msg):
        raise CheckpointError(f"minigrad.load: {path}: {msg}")

    with open(path, "rb") as fh:
        blob = fh.read()
    if blob[:4] == b"PK\x03\x04":  # the first format: an .npz (zip) archive
        return _load_npz(path, map_location, fail)
    return _load_safetensors(blob, path, map_location, fail)
