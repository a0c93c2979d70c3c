"""Anomaly mode: find the first op whose forward or backward produced NaN or Inf."""

from __future__ import annotations

import os
import traceback

__all__ = ["detect_anomaly", "AnomalyError"]


class AnomalyError(RuntimeError):
    """Raised in anomaly mode when an op produces NaN or Inf.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.autograd import AnomalyError, detect_anomaly
    >>> with detect_anomaly():
    ...     try:
    ...         minigrad.log(minigrad.tensor([-1.0]))
    ...     except AnomalyError as e:
    ...         print(type(e).__name__)
    AnomalyError
    """


# the installed package's own directory (with a trailing separator): frames from files under
# it are the engine's; every other frame, wherever it lives, is the user's code (a clone or a
# project folder may well be called "minigrad" too)
_PACKAGE_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "")


def _is_engine_frame(filename: str) -> bool:
    return os.path.abspath(filename).startswith(_PACKAGE_DIR)


class _Anomaly:
    enabled = False
    in_backward = False  # ops run by a backward formula are blamed on that backward

    @staticmethod
    def creation_stack() -> str:
        frames = traceback.extract_stack()[:-3]  # drop the autograd frames
        frames = [f for f in frames if not _is_engine_frame(f.filename)] or frames
        return "".join(traceback.format_list(frames[-4:]))


class detect_anomaly:
    """Context manager that checks every op's outputs for NaN and Inf.

    Inside it, each forward output and each gradient computed in backward is checked;
    the first non-finite value raises :class:`AnomalyError` naming the op and where in
    the user's code it was created. It slows every op down: use it to debug.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.autograd import detect_anomaly
    >>> x = minigrad.tensor([-1.0, 4.0], requires_grad=True)
    >>> with detect_anomaly():
    ...     try:
    ...         x.sqrt().sum().backward()
    ...     except RuntimeError as e:
    ...         print(str(e).splitlines()[0])
    Function 'Sqrt' returned NaN or Inf in its forward output 0
    """

    def __enter__(self):
        self._prev = _Anomaly.enabled
        _Anomaly.enabled = True
        return self

    def __exit__(self, *exc):
        _Anomaly.enabled = self._prev


def check_finite(fn, arrays, where: str) -> None:
    """Raise :class:`AnomalyError` if any of ``arrays`` holds NaN or Inf."""
    from minigrad.backend import array_module

    if not isinstance(arrays, tuple | list):
        arrays = (arrays,)
    from minigrad.tensor import Tensor

    for i, a in enumerate(arrays):
        if a is None:
            continue
        if isinstance(a, Tensor):
            a = a._data
        xp = array_module(a)
        if a.dtype.kind in "fc" and not bool(xp.isfinite(a).all()):
            msg = f"Function '{fn.name}' returned NaN or Inf in its {where} output {i}"
            if fn._created_at:
                msg += f"\nThe op was created at:\n{fn._created_at}"
            raise AnomalyError(msg)
