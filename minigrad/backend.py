"""Devices and array backends.

A :class:`Device` names where a tensor's data lives: ``cpu`` (a NumPy array) or
``cuda[:n]`` (a CuPy array on GPU ``n``). Op code never imports NumPy for array
math: it asks the data for its array module with :func:`array_module` (``xp``)
and calls ``xp.<fn>``, so the same code runs on both backends. CuPy is imported
lazily, the first time a CUDA device is used.
"""

from __future__ import annotations

import os

import numpy as np

__all__ = [
    "Device",
    "device",
    "array_module",
    "device_of",
    "get_default_device",
    "set_default_device",
    "manual_seed",
    "generator",
    "to_device",
    "quiet_fp",
]

_cupy = None  # the cupy module once imported


def _import_cupy():
    """Import CuPy on first use; raise a helpful error when it is missing."""
    global _cupy
    if _cupy is None:
        try:
            import cupy
        except ImportError as e:  # pragma: no cover - depends on the machine
            raise RuntimeError(
                "CUDA device requested but CuPy is not installed. Install it with "
                '`pip install "minigrad-lab[cuda12]"` (CUDA 12) or '
                '`pip install "minigrad-lab[cuda13]"` (CUDA 13).'
            ) from e
        try:
            n = cupy.cuda.runtime.getDeviceCount()
        except Exception as e:  # pragma: no cover - depends on the machine
            raise RuntimeError(f"CuPy is installed but no CUDA GPU is usable: {e}") from e
        if n == 0:  # pragma: no cover
            raise RuntimeError("CuPy is installed but no CUDA GPU is present.")
        _cupy = cupy
    return _cupy


class Device:
    """Where a tensor's data lives: ``Device('cpu')`` or ``Device('cuda', 0)``.

    Parameters
    ----------
    type : str
        ``'cpu'`` or ``'cuda'``; a string like ``'cuda:1'`` is also accepted.
    index : int, optional
        GPU ordinal for ``'cuda'`` devices (default 0).

    Examples
    --------
    >>> import minigrad
    >>> minigrad.device("cpu")
    device(type='cpu')
    >>> minigrad.device("cpu") == "cpu"
    True
    """

    __slots__ = ("type", "index", "_ctx")

    def __init__(self, type: str, index: int | None = None):
        if ":" in type:
            type, _, idx = type.partition(":")
            if index is not None:
                raise ValueError("device string already has an index")
            try:
                index = int(idx)
            except ValueError:
                raise ValueError(f"invalid device string {type}:{idx!r}") from None
        if type not in ("cpu", "cuda"):
            raise ValueError(f"unknown device type {type!r}: expected 'cpu' or 'cuda[:n]'")
        if type == "cpu":
            if index not in (None, 0):
                raise ValueError("the cpu device has no index")
            index = None
        elif index is None:
            index = 0
        self.type = type
        self.index = index

    @property
    def xp(self):
        """The array module of this device: ``numpy`` or ``cupy``."""
        return np if self.type == "cpu" else _import_cupy()

    def __eq__(self, other):
        if isinstance(other, str):
            other = Device(other)
        if not isinstance(other, Device):
            return NotImplemented
        return self.type == other.type and self.index == other.index

    def __hash__(self):
        return hash((self.type, self.index))

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __enter__(self):
        """``with device:`` makes it the default device of factory functions, as
        ``with torch.device(...)`` does, and a GPU the current one (``cupy.cuda.Device``)."""
        ctx = None
        if self.type == "cuda":
            ctx = _import_cupy().cuda.Device(self.index)
            ctx.__enter__()
        _device_stack.append((get_default_device(), ctx))
        set_default_device(self)
        return self

    def __exit__(self, *exc):
        previous, ctx = _device_stack.pop()
        set_default_device(previous)
        if ctx is not None:
            ctx.__exit__(*exc)


CPU = Device("cpu")
_device_stack: list = []  # (previous default device, cupy device context) per ``with``


def device(spec: str | Device | None = None) -> Device:
    """Return a :class:`Device` from a string, a device, or ``None`` (the default device).

    Examples
    --------
    >>> import minigrad
    >>> minigrad.device("cpu").type
    'cpu'
    """
    if spec is None:
        return get_default_device()
    if isinstance(spec, Device):
        return spec
    if isinstance(spec, str):
        d = Device(spec)
        return CPU if d.type == "cpu" else d
    raise TypeError(f"expected a device string or Device, got {type(spec).__name__}")


_default_device: Device | None = None


def get_default_device() -> Device:
    """The device new tensors are created on: set by :func:`set_default_device`, else
    the ``MINIGRAD_DEVICE`` environment variable, else ``cpu``.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.get_default_device()
    device(type='cpu')
    """
    global _default_device
    if _default_device is None:
        _default_device = device(os.environ.get("MINIGRAD_DEVICE", "cpu"))
    return _default_device


def set_default_device(dev: str | Device) -> None:
    """Set the device on which factory functions create tensors.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.set_default_device("cpu")
    >>> minigrad.zeros(2).device
    device(type='cpu')
    """
    global _default_device
    _default_device = device(dev)


_NUMPY_TYPES = (np.ndarray, np.generic)  # a tuple made once: ``A | B`` builds a Union per call


def array_module(arr):
    """The array module (``numpy`` or ``cupy``) that owns ``arr``."""
    if isinstance(arr, _NUMPY_TYPES):
        return np
    if _cupy is not None and isinstance(arr, _cupy.ndarray):
        return _cupy
    return np


def device_of(arr) -> Device:
    """The :class:`Device` that holds array ``arr``."""
    if isinstance(arr, _NUMPY_TYPES):
        return CPU
    if _cupy is not None and isinstance(arr, _cupy.ndarray):
        return Device("cuda", arr.device.id)
    raise TypeError(f"not an array of a known backend: {type(arr).__name__}")


def to_device(arr, dev: Device):
    """Return ``arr`` on device ``dev`` (no copy when it is already there)."""
    src = device_of(arr)
    if src == dev:
        return arr
    if dev.type == "cpu":
        return arr.get()
    cp = _import_cupy()
    with cp.cuda.Device(dev.index):
        return cp.asarray(arr)


# ------------------------------------------------------------------ floating point
# PyTorch computes inf and NaN silently; NumPy warns ("RuntimeWarning: divide by zero
# encountered in log"). minigrad runs every op's forward and every backward pass with
# NumPy's floating-point errors ignored. NumPy 2 keeps that state in a context variable
# (what ``np.errstate`` sets): setting and resetting the variable directly costs about
# 0.2 us (and the next ufunc ~0.09 us more, to look the state up again), entering
# ``np.errstate`` about 1 us, so the hot path (Function.__call__, the engine) uses
# FP_STATE/FP_QUIET and other code the :func:`quiet_fp` context. The module and the engine
# also reach NumPy's private ``numpy._core._ufunc_config._extobj_contextvar``; without it
# (another NumPy) they fall back to ``np.seterr``.
try:
    from numpy._core._ufunc_config import _extobj_contextvar as FP_STATE

    with np.errstate(all="ignore"):
        FP_QUIET = FP_STATE.get()
except (ImportError, AttributeError):  # pragma: no cover - a NumPy without the variable

    class _ErrstateVar:
        """``set``/``reset`` of a ContextVar, done with ``np.seterr``."""

        def set(self, quiet):
            return np.seterr(all="ignore")

        def reset(self, token):
            np.seterr(**token)

    FP_STATE, FP_QUIET = _ErrstateVar(), None


class quiet_fp:
    """Context manager: NumPy's floating-point warnings off inside (PyTorch's semantics:
    ``log(0)`` is ``-inf`` and ``sqrt(-1)`` is NaN, silently).

    minigrad's ops and backward passes already run this way; use it around NumPy code
    of your own that works on tensors' arrays.

    Examples
    --------
    >>> import numpy as np
    >>> from minigrad import backend
    >>> with backend.quiet_fp():
    ...     np.log(np.zeros(1))
    array([-inf])
    """

    __slots__ = ("_token",)

    def __enter__(self):
        self._token = FP_STATE.set(FP_QUIET)
        return self

    def __exit__(self, *exc):
        FP_STATE.reset(self._token)
        return False


# ----------------------------------------------------------------------------- RNG
_generators: dict[Device, object] = {}
_seed: int | None = None


def manual_seed(seed: int) -> None:
    """Seed the random generator of every device (created lazily from this seed).

    Examples
    --------
    >>> import minigrad
    >>> minigrad.manual_seed(0); a = minigrad.randn(3)
    >>> minigrad.manual_seed(0); b = minigrad.randn(3)
    >>> bool((a == b).all())
    True
    """
    global _seed
    _seed = int(seed)
    _generators.clear()


def generator(dev: Device | None = None):
    """The random generator (``numpy.random.Generator`` or ``cupy.random.Generator``)
    of a device, created on first use from the seed given to :func:`manual_seed`."""
    dev = device(dev)
    g = _generators.get(dev)
    if g is None:
        seed = _seed
        if dev.type == "cpu":
            g = np.random.default_rng(seed)
        else:
            cp = _import_cupy()
            with cp.cuda.Device(dev.index):
                g = cp.random.default_rng(seed)
        _generators[dev] = g
    return g


# ----------------------------------------------------------------------- allocator
def tune_allocator(mmap_threshold: int = 32 << 20, trim_threshold: int = 1 << 30) -> bool:
    """Keep large freed blocks inside the process (glibc only); returns True if applied.

    By default glibc serves every allocation above a threshold with a fresh ``mmap``
    and returns it to the OS on ``free``, so each large temporary array of an op costs
    page faults (measured: ~2,300 faults, ~7 ms of system time per conv2d forward and
    backward of workload W2). Raising the mmap and trim thresholds lets freed blocks be
    reused, at the price of a process that holds on to its peak memory. ``import
    minigrad`` calls this once unless the environment variable
    ``MINIGRAD_TUNE_ALLOCATOR=0`` is set (measured on workload W2: 36 ms -> 25 ms of CPU
    time per training step, one thread).

    Examples
    --------
    >>> from minigrad.backend import tune_allocator
    >>> isinstance(tune_allocator(), bool)
    True
    """
    import ctypes
    import sys

    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3
    ok_mmap = mallopt(m_mmap_threshold, int(mmap_threshold))
    ok_trim = mallopt(m_trim_threshold, int(trim_threshold))
    return bool(ok_mmap and ok_trim)
