"""The twin's ``cupy.cuda``: one device (id 0), a current-device stack, no-op streams."""

from __future__ import annotations

import threading

from .array import note_transfer

_current = threading.local()


class CUDARuntimeError(RuntimeError):
    """As ``cupy_backends.cuda.api.runtime.CUDARuntimeError``."""


def _check(i):
    if not 0 <= i < 1:
        raise CUDARuntimeError("cudaErrorInvalidDevice: invalid device ordinal (CuPy twin: 1 GPU)")


class Device:
    """``cupy.cuda.Device(i)``: a context manager that makes GPU ``i`` current."""

    def __init__(self, device=None):
        self.id = get_device_id() if device is None else int(device)

    def __enter__(self):
        _check(self.id)
        _current.__dict__.setdefault("stack", []).append(self.id)
        return self

    def __exit__(self, *exc):
        _current.stack.pop()

    def use(self):
        _check(self.id)
        _current.__dict__["base"] = self.id

    def synchronize(self):
        note_transfer("sync", "Device.synchronize()")

    compute_capability = "90"
    pci_bus_id = "0000:00:00.0"
    mem_info = property(lambda self: (64 << 30, 80 << 30))

    def __int__(self):
        return self.id

    def __eq__(self, other):
        return isinstance(other, Device) and other.id == self.id

    def __hash__(self):
        return hash(("cupy-twin-device", self.id))

    def __repr__(self):
        return f"<CUDA Device {self.id}>"


def get_device_id():
    stack = _current.__dict__.get("stack")
    return stack[-1] if stack else _current.__dict__.get("base", 0)


def is_available():
    return True


class Stream:
    """A stream does nothing in the twin: every operation has finished when it returns."""

    null = None

    def __init__(self, null=False, non_blocking=False, ptr=0):
        self.ptr = ptr

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass

    def synchronize(self):
        note_transfer("sync", "Stream.synchronize()")

    def use(self):
        return self

    def done(self):
        return True


Stream.null = Stream(null=True)


def get_current_stream(device_id=-1):
    return Stream.null


class Event:
    def __init__(self, block=False, disable_timing=False, interprocess=False):
        pass

    def record(self, stream=None):
        pass

    def synchronize(self):
        note_transfer("sync", "Event.synchronize()")

    done = True


def get_elapsed_time(start, end):
    return 0.0


class MemoryPointer:
    """What ``ndarray.data`` returns: an address that is an identity, not memory."""

    def __init__(self, arr):
        self.ptr = arr._a.__array_interface__["data"][0]
        self.device_id = 0


class MemoryPool:
    def used_bytes(self):
        return 0

    def total_bytes(self):
        return 0

    def free_bytes(self):
        return 0

    def free_all_blocks(self, stream=None):
        pass

    def n_free_blocks(self):
        return 0

    def set_limit(self, size=None, fraction=None):
        pass

    def get_limit(self):
        return 0


PinnedMemoryPool = MemoryPool


class runtime:  # noqa: N801 - a module in CuPy; built into one by namespace.py
    CUDARuntimeError = CUDARuntimeError

    @staticmethod
    def getDeviceCount():  # noqa: N802
        return 1

    @staticmethod
    def getDevice():  # noqa: N802
        return get_device_id()

    @staticmethod
    def setDevice(i):  # noqa: N802
        Device(i).use()

    @staticmethod
    def deviceSynchronize():  # noqa: N802
        note_transfer("sync", "runtime.deviceSynchronize()")

    @staticmethod
    def getDeviceProperties(i):  # noqa: N802
        _check(i)
        return {"name": b"CuPy twin (NumPy on the CPU)", "totalGlobalMem": 80 << 30,
                "major": 9, "minor": 0, "multiProcessorCount": 1}  # fmt: skip

    @staticmethod
    def runtimeGetVersion():  # noqa: N802
        return 12080

    @staticmethod
    def driverGetVersion():  # noqa: N802
        return 12080

    @staticmethod
    def memGetInfo():  # noqa: N802
        return (64 << 30, 80 << 30)

    is_hip = False
