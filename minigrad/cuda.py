"""CUDA helpers: ``minigrad.cuda.is_available()`` and ``device_count()``."""

from __future__ import annotations

__all__ = ["is_available", "device_count", "synchronize"]


def is_available() -> bool:
    """True when CuPy is installed and at least one CUDA GPU can be used.

    Examples
    --------
    >>> import minigrad
    >>> isinstance(minigrad.cuda.is_available(), bool)
    True
    """
    return device_count() > 0


def device_count() -> int:
    """Number of usable CUDA GPUs (0 without CuPy).

    Examples
    --------
    >>> import minigrad
    >>> minigrad.cuda.device_count() >= 0
    True
    """
    try:
        import cupy
    except ImportError:
        return 0
    try:
        return int(cupy.cuda.runtime.getDeviceCount())
    except Exception:
        return 0


def synchronize() -> None:
    """Wait for all work queued on the current GPU (no-op without one).

    Examples
    --------
    >>> import minigrad
    >>> minigrad.cuda.synchronize()
    """
    if is_available():
        import cupy

        cupy.cuda.Device().synchronize()
