"""Optional compiled CPU kernels, through Numba.

minigrad's CPU path is NumPy, and it stays complete on its own. A few computations are
one loop in any compiled language but many separate passes over memory in NumPy: a
normalization's forward and backward (statistics, then a fused elementwise formula) is
the main one. When `Numba <https://numba.readthedocs.io>`_ is installed (the extra
``pip install "minigrad-lab[jit]"``), those computations run as small compiled loops
instead: the same formulas, written out once per element, parallel over channels or
samples. Everything else, and every result's meaning, is unchanged; the tests run both
paths against the same references.

* ``MINIGRAD_JIT=0`` in the environment, or :func:`set_enabled(False) <set_enabled>`,
  turns the compiled kernels off (the NumPy path runs); by default they are on when Numba
  can be imported.
* Numba is imported the first time a kernel runs, not by ``import minigrad``.
* Kernels are compiled on their first call for each dtype (about a second each) and
  cached on disk by Numba (``cache=True``), so later processes load them in milliseconds.
* Kernels split their outer loop over :data:`NUM_THREADS` Python threads (Numba
  releases the GIL); results do not depend on the number of threads.
* This module owns minigrad's one thread pool and its one setting,
  ``MINIGRAD_NUM_THREADS``: the compiled kernels split their loops on it
  (:meth:`Kernel.run`), and NumPy code whose pieces are independent (the normalization
  core's cache-sized tiles; NumPy releases the GIL inside its loops) runs them on it
  with :func:`map_tasks`.

Examples
--------
>>> import minigrad
>>> minigrad.jit.available() in (True, False)
True
>>> with minigrad.jit.enabled_as(False):
...     minigrad.jit.enabled()
False
"""

from __future__ import annotations

import contextlib
import itertools
import os
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor

__all__ = ["available", "enabled", "set_enabled", "enabled_as", "kernel", "Kernel", "map_tasks"]

_numba = None  # the numba module, once imported
_state = {"available": None, "enabled": os.environ.get("MINIGRAD_JIT", "1") != "0"}

FASTMATH = frozenset({"reassoc", "contract", "nsz", "arcp"})
"""LLVM fast-math flags of every kernel: sums may be reordered (vectorized with several
accumulators) and multiply-adds fused. Not ``nnan``/``ninf``: NaN and infinity propagate
exactly as in NumPy."""


def available():
    """Whether Numba can be imported (checked once; the import happens here).

    Examples
    --------
    >>> from minigrad import jit
    >>> isinstance(jit.available(), bool)
    True
    """
    global _numba
    if _state["available"] is None:
        try:
            import numba
        except Exception:  # ImportError, or a broken install (llvmlite mismatch)
            _state["available"] = False
        else:
            _numba = numba
            _state["available"] = True
    return _state["available"]


def enabled():
    """Whether the compiled kernels run: enabled and Numba available.

    Examples
    --------
    >>> from minigrad import jit
    >>> jit.enabled() == (jit.available() and os.environ.get("MINIGRAD_JIT", "1") != "0")
    True
    """
    return _state["enabled"] and available()


def set_enabled(flag):
    """Turn the compiled kernels on or off for the whole process; returns the old
    setting. With ``True`` and no Numba, :func:`enabled` stays False.

    Examples
    --------
    >>> from minigrad import jit
    >>> old = jit.set_enabled(False)
    >>> jit.enabled()
    False
    >>> _ = jit.set_enabled(old)
    """
    old = _state["enabled"]
    _state["enabled"] = bool(flag)
    return old


@contextlib.contextmanager
def enabled_as(flag):
    """Context manager: :func:`set_enabled` for the ``with`` block, then restore.

    Examples
    --------
    Time or test the NumPy path of an op that has a compiled kernel:

    >>> import minigrad
    >>> from minigrad import jit
    >>> with jit.enabled_as(False):
    ...     y = minigrad.nn.functional.relu(minigrad.tensor([-1.0, 2.0]))
    ...     jit.enabled()
    False
    >>> y
    tensor([0., 2.])
    """
    old = set_enabled(flag)
    try:
        yield
    finally:
        set_enabled(old)


NUM_THREADS = max(1, int(os.environ.get("MINIGRAD_NUM_THREADS", min(8, os.cpu_count() or 1))))
"""Threads a kernel's loop, or a :func:`map_tasks` call, is split over: the calling
thread and ``NUM_THREADS - 1`` pool threads (environment variable
``MINIGRAD_NUM_THREADS``; default: the number of cores, at most 8; 1 turns threading
off)."""

SERIAL_BELOW = 1 << 21
"""Calls whose work (elements read plus written) is below this run on the calling thread
alone. Handing a chunk to another thread costs ~0.1 ms on a small VM, and a second
thread also contends with other libraries' spinning threads: measured on 2 cores,
BatchNorm forward+backward of 0.2M elements took 0.45 ms on one thread and 0.9 ms on
two, of 0.8M elements 1.7-1.9 ms either way, of 1.6M elements 3.8-4.3 vs 2.5-2.6 ms."""


class Kernel:
    """A Python function compiled by Numba (``nogil``) on its first call.

    The function's first two arguments are the range ``lo:hi`` of its outer loop, and
    every iteration of that loop writes its own outputs. :meth:`run` splits the loop
    into contiguous chunks and runs them on the calling thread and a small pool of
    Python threads (they sleep when idle, so they do not spin against the BLAS or OpenMP
    threads of NumPy or other libraries, which Numba's own ``prange`` runtime does).
    Because each iteration is computed whole by one call, results do not depend on the
    split.

    Examples
    --------
    >>> import numpy as np
    >>> from minigrad import jit
    >>> def double(lo, hi, x, out):
    ...     for i in range(lo, hi):
    ...         out[i] = 2 * x[i]
    >>> k = jit.Kernel(double)
    >>> x, out = np.arange(4.0), np.empty(4)
    >>> if jit.available():
    ...     k.run(4, 8, x, out)  # compiled on this first call
    ... else:
    ...     k.fn(0, 4, x, out)  # the same loop, in Python
    >>> out
    array([0., 2., 4., 6.])
    """

    def __init__(self, fn, fastmath=True):
        self.fn = fn
        self.__doc__ = fn.__doc__
        self.__name__ = fn.__name__
        self.fastmath = fastmath  # False: every operation rounded as NumPy rounds it
        self._compiled = None

    def compiled(self):
        """The Numba dispatcher (compiled on first use)."""
        k = self._compiled
        if k is None:
            if not available():
                raise RuntimeError(f"minigrad.jit: kernel {self.__name__} needs Numba")
            # error_model="numpy": a division by zero gives inf/NaN as in NumPy (and as
            # the NumPy path and PyTorch do), not Python's ZeroDivisionError
            fm = set(FASTMATH) if self.fastmath else False
            opts = dict(fastmath=fm, nogil=True, error_model="numpy")
            if self.fn.__code__.co_filename.startswith("<"):  # typed at a prompt: no file
                k = _numba.njit(**opts)(self.fn)  # to key a cache on
            else:
                try:
                    k = _numba.njit(cache=True, **opts)(self.fn)
                except RuntimeError as e:  # no writable cache location: compile uncached
                    warnings.warn(f"minigrad.jit: not caching {self.__name__}: {e}", stacklevel=3)
                    k = _numba.njit(**opts)(self.fn)
            self._compiled = k
        return k

    def run(self, n, work, *args):
        """Run the loop ``0:n`` with ``args``; ``work`` (the number of elements the call
        touches) decides whether to split it over :data:`NUM_THREADS` threads.

        The loop is cut into :data:`CHUNKS_PER_THREAD` chunks per thread, which the
        calling thread and the pool's threads take in turn until none is left: a thread
        that starts late (its core busy with another library's spinning threads, say)
        takes fewer chunks instead of holding up the call.
        """
        k = self.compiled()
        threads = min(NUM_THREADS, n) if work >= SERIAL_BELOW else 1
        if threads <= 1:
            return k(0, n, *args)
        chunks = min(n, threads * CHUNKS_PER_THREAD)
        SPLITS["calls"] += 1
        SPLITS["chunks"] += chunks
        b = [n * i // chunks for i in range(chunks + 1)]
        _Job(lambda i: k(b[i], b[i + 1], *args), chunks).run(threads)


def map_tasks(fn, tasks):
    """``[fn(*t) for t in tasks]``, the tasks taken in turn by the calling thread and
    up to ``NUM_THREADS - 1`` threads of the pool; the results come back in the order of
    ``tasks`` (so a caller that merges them in that order gets the same answer for any
    number of threads). The tasks must be independent and should release the GIL
    (NumPy's loops do) for the threads to help.

    Examples
    --------
    >>> from minigrad import jit
    >>> jit.map_tasks(lambda a, b: a + b, [(1, 2), (3, 4), (5, 6)])
    [3, 7, 11]
    """
    threads = min(NUM_THREADS, len(tasks))
    if threads <= 1:
        return [fn(*t) for t in tasks]
    return _Job(lambda i: fn(*tasks[i]), len(tasks)).run(threads)


CHUNKS_PER_THREAD = 1
"""Chunks of a split loop per thread (see :meth:`Kernel.run`)."""

SPLITS = {"calls": 0, "chunks": 0}
"""How many kernel calls were split over threads, and into how many chunks in all, since
the process started (read by the tests; approximate when Python threads call at once)."""


class _Job:
    """One split call: ``n`` pieces (``piece(i)`` computes piece ``i``) handed out by a
    shared counter to the calling thread and pool threads."""

    def __init__(self, piece, n):
        self.piece, self.n = piece, n
        self.results = [None] * n
        self.take = itertools.count().__next__  # atomic under the GIL
        self.left = n
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.error = None

    def run(self, threads):
        """Compute every piece on the calling thread and ``threads - 1`` pool threads
        (the caller never waits for a piece nobody has started); the results in order."""
        pool = _pool()
        for _ in range(threads - 1):
            pool.submit(self.work)
        self.work()
        self.done.wait()
        if self.error is not None:
            raise self.error
        return self.results

    def work(self):
        n = self.n
        while (i := self.take()) < n:
            try:
                self.results[i] = self.piece(i)
            except BaseException as e:  # re-raised in the calling thread
                self.error = e
            with self.lock:
                self.left -= 1
                if self.left == 0:
                    self.done.set()


_pool_state = {"pool": None, "pid": None}
_pool_lock = threading.Lock()


def _pool():
    st = _pool_state
    if st["pool"] is None or st["pid"] != os.getpid():  # (a forked child needs its own)
        with _pool_lock:
            if st["pool"] is None or st["pid"] != os.getpid():
                st["pool"] = ThreadPoolExecutor(
                    max(1, NUM_THREADS - 1), thread_name_prefix="minigrad-pool"
                )
                st["pid"] = os.getpid()
    return st["pool"]


def kernel(fn=None, *, fastmath=True):
    """Decorator: make ``fn`` (NumPy-subset Python that Numba compiles, whose first two
    arguments are the range of its outer loop) a :class:`Kernel`. ``@kernel(fastmath=False)``
    compiles without :data:`FASTMATH` (for results bit for bit those of NumPy's passes).

    Examples
    --------
    >>> from minigrad import jit
    >>> @jit.kernel
    ... def fill(lo, hi, out, value):
    ...     for i in range(lo, hi):
    ...         out[i] = value
    >>> type(fill).__name__, fill.__name__
    ('Kernel', 'fill')
    """
    if fn is None:
        return lambda f: Kernel(f, fastmath)
    return Kernel(fn, fastmath)
