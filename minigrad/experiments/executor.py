"""Where the runs of a grid execute: in this process, on this machine's cores, or on a cluster.

Three executors, one interface (:meth:`Executor.map` yields each task's outcome as it
completes):

``serial``
    Every run in this process, one after another (no dependency).
``local``
    A Dask ``LocalCluster`` on this machine: one worker *process* per usable core, one
    thread each. BLAS (OpenMP, OpenBLAS, MKL) and minigrad's compiled kernels are pinned to
    one thread in every worker (the variables of :data:`WORKER_ENV` are set before the
    worker processes start), so the workers do not oversubscribe the cores.
``dask``
    An existing Dask scheduler (``tcp://host:8786``), e.g. one started by dask-jobqueue on
    Slurm; the workers there should pin their threads the same way (see the docs page
    *Running studies on many cores and clusters*).

Dask is optional (``pip install "minigrad-lab[cluster]"``): without it the default executor
is ``serial`` and one line says how to get parallel runs.

Only the driver (the process that called :func:`minigrad.experiments.grid.run_grid`) writes
results; workers return records. A worker that dies mid-run (killed, out of memory, node
lost) makes Dask run its task again on another worker.
"""

from __future__ import annotations

import logging
import os

__all__ = [
    "EXECUTORS",
    "CLUSTER_HINT",
    "WORKER_ENV",
    "WORKER_CONFIG",
    "ExecutorError",
    "Executor",
    "SerialExecutor",
    "DaskExecutor",
    "LazyExecutor",
    "have_dask",
    "usable_cores",
    "make_executor",
]

EXECUTORS = ("serial", "local", "dask")

#: The one line printed when Dask is missing.
CLUSTER_HINT = 'runs are serial; for parallel runs: pip install "minigrad-lab[cluster]"'

#: Environment of every local worker process: one thread for BLAS and minigrad's kernels.
WORKER_ENV = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "VECLIB_MAXIMUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
    "NUMBA_NUM_THREADS": "1",
    "MINIGRAD_NUM_THREADS": "1",
}


#: Dask configuration of the ``local`` executor's workers (the nannies pass it on).
WORKER_CONFIG = {
    # Set before each worker process is spawned (also when the nanny restarts a dead
    # worker): BLAS reads its thread count when NumPy is imported.
    "distributed.nanny.pre-spawn-environ": dict(WORKER_ENV),
    # A worker's own background work takes the GIL from the run it executes: Dask's
    # statistical profiler samples the task's stack every 10 ms, the event loop ticks
    # every 20 ms and the system monitor polls every 0.5 s by default. A grid's runs are
    # long Python loops; sampling every 100 ms, ticking every second and monitoring every
    # 5 s took their run time from 12.5-13.4 to 11.6-12.2 s (14 runs, 3 alternating
    # trials on 2 cores). The dashboard keeps its profile and graphs, less finely.
    "distributed.worker.profile.interval": "100ms",
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "5s",
}


def dask_setup(worker) -> None:
    """Dask worker preload of the ``local`` executor: Ctrl-C is the driver's to handle.

    A terminal's Ctrl-C reaches every process of the foreground group; the workers ignore
    it, and the driver stops them after keeping every record it has. minigrad is imported
    here, while the cluster starts, not in the first run.
    """
    import signal
    import threading

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    import minigrad.experiments.runner  # noqa: F401


class ExecutorError(ValueError):
    """An executor that cannot be used (unknown name, Dask missing, scheduler unreachable).

    Examples
    --------
    >>> try:
    ...     make_executor("gpu-farm")
    ... except ExecutorError as e:
    ...     print(e)
    unknown executor 'gpu-farm'; choose one of serial, local, dask
    """


def have_dask() -> bool:
    """Whether ``dask.distributed`` can be imported.

    Examples
    --------
    >>> isinstance(have_dask(), bool)
    True
    """
    try:
        import distributed  # noqa: F401
    except ImportError:
        return False
    return True


def usable_cores() -> int:
    """CPU cores this process may run on (its affinity mask, else ``os.cpu_count()``).

    Examples
    --------
    >>> usable_cores() >= 1
    True
    """
    if hasattr(os, "sched_getaffinity"):
        return max(len(os.sched_getaffinity(0)), 1)
    return os.cpu_count() or 1


class Executor:
    """Runs independent tasks and yields their outcomes as they complete.

    Attributes
    ----------
    name : str
        ``serial``, ``local`` or ``dask``.
    workers : int
        How many tasks run at once.

    Examples
    --------
    >>> ex = make_executor("serial")
    >>> isinstance(ex, Executor), ex.name, ex.workers
    (True, 'serial', 1)
    """

    name = "serial"
    workers = 1

    def map(self, fn, tasks, timeout=None):
        """Run ``fn(*args)`` for each ``(key, args)`` of ``tasks``.

        Yields
        ------
        tuple
            ``(key, result, error)`` in completion order; ``error`` is ``None``, or the
            exception the executor itself raised for the task (for example a task whose
            workers kept dying). Exceptions raised by ``fn`` propagate in the serial executor.
        """
        raise NotImplementedError

    def close(self) -> None:
        """Release workers (and the cluster this executor started)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}, {self.workers} worker(s)>"


class SerialExecutor(Executor):
    """Every task in this process, in order.

    Examples
    --------
    >>> with SerialExecutor() as ex:
    ...     list(ex.map(pow, [("a", (2, 3)), ("b", (3, 2))]))
    [('a', 8, None), ('b', 9, None)]
    """

    def map(self, fn, tasks, timeout=None):
        for key, args in tasks:
            yield key, fn(*args), None


class DaskExecutor(Executor):
    """Tasks on a Dask cluster through a ``distributed.Client``.

    Use :meth:`local` or :meth:`connect` (or :func:`make_executor`) to make one.

    Parameters
    ----------
    client : distributed.Client
    cluster : distributed.LocalCluster, optional
        A cluster this executor started and closes with itself.
    name : str
        ``local`` or ``dask``.

    Examples
    --------
    One worker process (started in about a second):

    >>> with DaskExecutor.local(workers=1, log=lambda s: None) as ex:
    ...     ex.workers, list(ex.map(pow, [("a", (2, 3))], timeout=60))
    (1, [('a', 8, None)])
    """

    def __init__(self, client, cluster=None, name="dask"):
        self.client, self.cluster, self.name = client, cluster, name
        self._futures = []

    @property
    def workers(self) -> int:
        """Worker threads the scheduler knows about now (at least 1)."""
        info = self.client.scheduler_info()
        return max(sum(w.get("nthreads", 1) for w in info.get("workers", {}).values()), 1)

    def worker_pids(self) -> dict:
        """``{worker address: process id}`` (used by the fault tests)."""
        return self.client.run(os.getpid)

    @classmethod
    def local(cls, workers=None, log=print, **cluster_kwargs):
        """Start a ``LocalCluster``: ``workers`` processes (default: usable cores), one
        thread each, BLAS and compiled kernels pinned to one thread, and print its dashboard.
        """
        import dask
        from distributed import Client, LocalCluster

        n = workers or usable_cores()
        kwargs = dict(
            n_workers=n,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            silence_logs=logging.ERROR,
            preload=["minigrad.experiments.executor"],  # runs dask_setup in each worker
        )
        kwargs.update(cluster_kwargs)
        with dask.config.set(WORKER_CONFIG):
            cluster = LocalCluster(**kwargs)
        try:
            client = Client(cluster)
        except BaseException:
            cluster.close()
            raise
        link = cluster.dashboard_link
        try:
            import bokeh  # noqa: F401
        except ImportError:
            link += " (pip install bokeh to view it)"
        log(f"local Dask cluster: {n} worker processes x 1 thread; dashboard: {link}")
        return cls(client, cluster, name="local")

    @classmethod
    def connect(cls, address, log=print, timeout=30):
        """Use the existing scheduler at ``address`` (e.g. ``tcp://host:8786``)."""
        from distributed import Client

        try:
            client = Client(address, timeout=timeout)
        except (OSError, TimeoutError) as exc:
            raise ExecutorError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
        ex = cls(client, None, name="dask")
        log(
            f"Dask scheduler {address}: {ex.workers} worker threads; dashboard: "
            f"{client.dashboard_link}"
        )
        return ex

    def map(self, fn, tasks, timeout=None):
        from distributed import as_completed

        keys = {}
        futures = []
        for key, args in tasks:
            fut = self.client.submit(fn, *args, key=key, pure=False)
            keys[fut.key] = key
            futures.append(fut)
        self._futures = futures
        try:
            for fut in as_completed(futures, timeout=timeout):
                try:
                    result = fut.result()
                except Exception as exc:  # the task itself never raises: infrastructure
                    yield keys[fut.key], None, exc
                else:
                    yield keys[fut.key], result, None
                fut.release()
        finally:
            pending = [f for f in futures if not f.done()]
            if pending and self.cluster is None:
                # Ctrl-C or an error in the driver: do not leave work on a shared cluster.
                self.client.cancel(pending)
            self._futures = []

    def close(self) -> None:
        try:
            self.client.close()
        finally:
            if self.cluster is not None:
                self.cluster.close()
                self.cluster = None


class LazyExecutor(Executor):
    """An executor started on its first :meth:`map` (no cluster when nothing is left to
    run), then reused by every grid until :meth:`close`; what :func:`make_executor` returns
    with ``lazy=True``.

    Examples
    --------
    >>> with make_executor("serial", lazy=True) as ex:
    ...     ex.name, list(ex.map(abs, [("k", (-1,))]))
    ('serial', [('k', 1, None)])
    """

    def __init__(self, kind, workers=None, scheduler=None, log=print):
        self.name, self._args, self._log, self._inner = kind, (workers, scheduler), log, None

    @property
    def workers(self) -> int:
        if self._inner is not None:
            return self._inner.workers
        return self._args[0] or (usable_cores() if self.name == "local" else 1)

    def started(self) -> Executor:
        """The real executor (started now if needed)."""
        if self._inner is None:
            self._inner = _start(self.name, *self._args, log=self._log)
        return self._inner

    def map(self, fn, tasks, timeout=None):
        return self.started().map(fn, tasks, timeout=timeout)

    def close(self) -> None:
        if self._inner is not None:
            self._inner.close()
            self._inner = None


def _start(kind, workers, scheduler, log) -> Executor:
    if kind == "serial":
        return SerialExecutor()
    if kind == "dask":
        return DaskExecutor.connect(scheduler, log=log)
    return DaskExecutor.local(workers, log=log)


def make_executor(kind=None, workers=None, scheduler=None, log=print, lazy=False) -> Executor:
    """The executor named ``kind``.

    Parameters
    ----------
    kind : {'serial', 'local', 'dask'}, optional
        Default: ``dask`` when ``scheduler`` is given, else ``local`` when Dask is
        installed, else ``serial``. Without Dask, ``local`` falls back to ``serial`` with
        the one-line :data:`CLUSTER_HINT`.
    workers : int, optional
        Worker processes of the ``local`` executor (default: usable cores).
    scheduler : str, optional
        Address of the scheduler of the ``dask`` executor (``tcp://host:8786``).
    log : callable
        Receives the dashboard line (or the hint when Dask is missing).
    lazy : bool
        Return a :class:`LazyExecutor` (checked now, started on first use).

    Raises
    ------
    ExecutorError
        Unknown name, bad ``workers``, ``dask`` without a scheduler or without Dask, a
        scheduler with another executor, an unreachable scheduler.

    Examples
    --------
    >>> make_executor("serial")
    <SerialExecutor serial, 1 worker(s)>
    """
    if kind is None:
        kind = "dask" if scheduler else ("local" if have_dask() else "serial")
        if kind == "serial":
            log(CLUSTER_HINT)
    if kind not in EXECUTORS:
        raise ExecutorError(f"unknown executor {kind!r}; choose one of {', '.join(EXECUTORS)}")
    if workers is not None and (
        not isinstance(workers, int) or isinstance(workers, bool) or workers < 1
    ):
        raise ExecutorError(f"workers must be a positive integer, got {workers!r}")
    if scheduler and kind != "dask":
        raise ExecutorError(f"a scheduler address needs the dask executor, not {kind!r}")
    if kind == "dask" and not scheduler:
        raise ExecutorError("the dask executor needs a scheduler address (--scheduler)")
    if kind != "serial" and not have_dask():
        if kind == "dask":
            raise ExecutorError('the dask executor needs Dask: pip install "minigrad-lab[cluster]"')
        log(CLUSTER_HINT)
        kind = "serial"
    if lazy:
        return LazyExecutor(kind, workers, scheduler, log=log)
    return _start(kind, workers, scheduler, log)
