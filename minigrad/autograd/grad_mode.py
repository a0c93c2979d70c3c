"""Grad mode: whether ops record the graph.

``no_grad``, ``enable_grad`` and ``set_grad_enabled`` work as context managers and as
decorators, like PyTorch's. As in PyTorch the flag is per thread: a ``no_grad`` block
(or a backward pass) in one thread does not change what another thread records, and
every new thread starts with grad enabled. Checking it in every op costs one attribute
read of a ``threading.local``.
"""

from __future__ import annotations

import functools
import threading

__all__ = [
    "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "inference_mode",
    "is_inference_mode_enabled",
]  # fmt: skip


class _ThreadGradMode(threading.local):
    enabled = True  # the class default: what each new thread starts with
    inference = False  # inside inference_mode (see below)


_GradMode = _ThreadGradMode()


def is_grad_enabled() -> bool:
    """Whether operations currently record the autograd graph.

    Examples
    --------
    >>> import minigrad
    >>> minigrad.is_grad_enabled()
    True
    >>> with minigrad.no_grad():
    ...     minigrad.is_grad_enabled()
    False
    """
    return _GradMode.enabled


class _GradModeContext:
    """Base of the grad-mode context managers; also usable as a decorator, with or
    without parentheses (``@no_grad()`` and ``@no_grad``)."""

    _mode: bool

    def __new__(cls, *args):
        if cls is not set_grad_enabled and len(args) == 1 and callable(args[0]):
            return cls()(args[0])  # bare decorator: no_grad(fn)
        return super().__new__(cls)

    def __enter__(self):
        self._prev = _GradMode.enabled
        _GradMode.enabled = self._mode

    def __exit__(self, *exc):
        _GradMode.enabled = self._prev

    def __call__(self, fn):
        mode = self._mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            prev = _GradMode.enabled
            _GradMode.enabled = mode
            try:
                return fn(*args, **kwargs)
            finally:
                _GradMode.enabled = prev

        return wrapper


class no_grad(_GradModeContext):
    """Context manager and decorator that disables graph recording.

    Examples
    --------
    >>> import minigrad
    >>> x = minigrad.ones(2, requires_grad=True)
    >>> with minigrad.no_grad():
    ...     y = x * 2
    >>> y.requires_grad
    False
    """

    _mode = False


class enable_grad(_GradModeContext):
    """Context manager and decorator that enables graph recording (inside ``no_grad``).

    Examples
    --------
    >>> import minigrad
    >>> x = minigrad.ones(2, requires_grad=True)
    >>> with minigrad.no_grad():
    ...     with minigrad.enable_grad():
    ...         y = x * 2
    >>> y.requires_grad
    True
    """

    _mode = True


class set_grad_enabled(_GradModeContext):
    """Set grad mode on or off; works as a function, context manager or decorator.

    Examples
    --------
    >>> import minigrad
    >>> with minigrad.set_grad_enabled(False):
    ...     minigrad.is_grad_enabled()
    False
    """

    def __init__(self, mode: bool):
        self._mode = bool(mode)
        self._prev = _GradMode.enabled
        _GradMode.enabled = self._mode

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        _GradMode.enabled = self._prev

    def __call__(self, fn):  # used as a decorator: undo the switch made in __init__
        _GradMode.enabled = self._prev
        return super().__call__(fn)


class inference_mode(_GradModeContext):
    """Context manager and decorator for inference: no graph is recorded, so tensors
    made inside have ``requires_grad=False`` (like :class:`no_grad`; minigrad has no
    separate inference tensors). ``inference_mode(False)`` changes nothing.

    Parameters
    ----------
    mode : bool
        Enable inference mode (default) or leave the grad mode as it is.

    Examples
    --------
    >>> import minigrad
    >>> w = minigrad.ones(2, requires_grad=True)
    >>> with minigrad.inference_mode():
    ...     y = w * 2
    >>> y.requires_grad, minigrad.is_inference_mode_enabled()
    (False, False)
    >>> @minigrad.inference_mode()
    ... def predict(x):
    ...     return w * x
    >>> predict(minigrad.ones(2)).requires_grad
    False
    """

    def __new__(cls, *args, **kwargs):
        if len(args) == 1 and callable(args[0]) and not kwargs:
            return cls()(args[0])  # bare decorator: inference_mode(fn)
        return object.__new__(cls)

    def __init__(self, mode: bool = True):
        self.mode = bool(mode)

    def __enter__(self):
        self._prev = (_GradMode.enabled, _GradMode.inference)
        if self.mode:
            _GradMode.enabled = False
            _GradMode.inference = True

    def __exit__(self, *exc):
        _GradMode.enabled, _GradMode.inference = self._prev

    def __call__(self, fn):
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with inference_mode(mode):
                return fn(*args, **kwargs)

        return wrapper


def is_inference_mode_enabled() -> bool:
    """Whether an :class:`inference_mode` block is active in this thread.

    Examples
    --------
    >>> import minigrad
    >>> with minigrad.inference_mode():
    ...     minigrad.is_inference_mode_enabled()
    True
    """
    return _GradMode.inference
