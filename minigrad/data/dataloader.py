"""The :class:`DataLoader`: batches of a dataset as Tensors on a chosen device.

Each epoch draws one permutation of the sample indices (when shuffling) and cuts it into
batches. A dataset with ``__getitems__`` (like :class:`~minigrad.data.TensorDataset`)
returns a whole batch from an index array in one gather; other datasets are read sample by
sample and stacked by :func:`default_collate`.
"""

from __future__ import annotations

import collections
import itertools
import numbers

import numpy as np

from minigrad import backend
from minigrad.data.iterable import IterableDataset, WorkerInfo, _set_worker_info
from minigrad.tensor import Tensor

__all__ = ["DataLoader", "default_collate"]


def _is_array(x) -> bool:
    return isinstance(x, np.ndarray) or (
        backend._cupy is not None and isinstance(x, backend._cupy.ndarray)
    )


def default_collate(samples):
    """Stack a list of samples into a batch, as PyTorch's ``default_collate``.

    Tensors and arrays are stacked along a new first dimension; Python ints become an
    int64 tensor, floats a float64 tensor, bools a bool tensor; tuples/lists are collated
    position by position (giving a list), dicts key by key; strings stay a list.

    Parameters
    ----------
    samples : list
        Samples of the same structure.

    Returns
    -------
    The batch.

    Raises
    ------
    TypeError
        For a sample type that cannot be collated.
    RuntimeError
        If sequence samples have different lengths.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.data import default_collate
    >>> default_collate([(minigrad.tensor([1.0, 2.0]), 0), (minigrad.tensor([3.0, 4.0]), 1)])
    [tensor([[1., 2.],
            [3., 4.]]), tensor([0, 1])]
    """
    elem = samples[0]
    if isinstance(elem, Tensor):
        xp = elem.xp
        return Tensor._make(xp.stack([s._data for s in samples]))
    if _is_array(elem):
        return Tensor._make(backend.array_module(elem).stack(samples))
    if isinstance(elem, np.generic):
        return Tensor._make(np.asarray(samples))
    if isinstance(elem, bool):
        return Tensor._make(np.asarray(samples, dtype=np.bool_))
    if isinstance(elem, numbers.Integral):
        return Tensor._make(np.asarray(samples, dtype=np.int64))
    if isinstance(elem, numbers.Real):
        return Tensor._make(np.asarray(samples, dtype=np.float64))
    if isinstance(elem, str):
        return list(samples)
    if isinstance(elem, dict):
        return {k: default_collate([s[k] for s in samples]) for k in elem}
    if isinstance(elem, tuple | list):
        if any(len(s) != len(elem) for s in samples):
            raise RuntimeError("default_collate: each sample in a batch must have the same length")
        return [default_collate(list(group)) for group in zip(*samples)]
    raise TypeError(
        f"default_collate: samples must be Tensors, arrays, numbers, strings, dicts or "
        f"sequences; got {type(elem).__name__}"
    )


def _to_device(batch, dev):
    if isinstance(batch, Tensor):
        if batch.device == dev:
            return batch
        return Tensor._make(backend.to_device(batch._data, dev))
    if isinstance(batch, dict):
        return {k: _to_device(v, dev) for k, v in batch.items()}
    if isinstance(batch, list | tuple):
        return type(batch)(_to_device(v, dev) for v in batch)
    return batch


class DataLoader:
    """Iterate over a dataset in batches of Tensors (PyTorch's ``DataLoader``).

    The arguments are PyTorch's, in PyTorch's order. With ``num_workers > 0`` batches
    are loaded ahead of time by that many background *threads* (NumPy releases the GIL
    in its copies, and threads need no pickling); the batches and their order are exactly
    those of ``num_workers=0``: the sample order is drawn in the main thread before any
    batch is loaded, and batches are yielded in that order.

    Parameters
    ----------
    dataset : Dataset or IterableDataset
        A map-style dataset (``__len__`` and ``__getitem__``, optionally ``__getitems__``),
        or an :class:`~minigrad.data.IterableDataset` (read in order; with workers, each
        worker reads it, see :func:`~minigrad.data.get_worker_info`).
    batch_size : int
        Samples per batch (default 1).
    shuffle : bool
        Draw a new random order every epoch (default False).
    sampler : iterable of int, optional
        The sample indices of one epoch, in order (exclusive with ``shuffle``).
    batch_sampler : iterable of lists of int, optional
        The index lists of the batches of one epoch (exclusive with ``batch_size``,
        ``shuffle``, ``sampler`` and ``drop_last``).
    num_workers : int
        Background threads that load batches (default 0: load in the calling thread).
    collate_fn : callable, optional
        Turns a list of samples into a batch (default :func:`default_collate`); not used
        for datasets with ``__getitems__``.
    pin_memory : bool
        Accepted for PyTorch compatibility. Host memory is not page-locked: batches are
        copied to ``device`` (if given) as they are yielded.
    drop_last : bool
        Drop the last batch when it is smaller than ``batch_size``.
    timeout : float
        Seconds to wait for a worker's batch (0: no limit). Only with ``num_workers > 0``.
    worker_init_fn : callable, optional
        Called once as ``worker_init_fn(worker_id)`` in each worker thread before it loads
        its first batch.
    multiprocessing_context : None
        Accepted for PyTorch compatibility (workers are threads).
    generator : numpy.random.Generator, optional
        Generator to draw the orders from. Without ``seed`` or ``generator``, the CPU
        generator seeded by :func:`minigrad.manual_seed` is used.
    prefetch_factor : int, optional
        Batches loaded ahead per worker (default 2 when ``num_workers > 0``).
    persistent_workers : bool
        Keep the worker threads between epochs (``num_workers > 0`` only).
    pin_memory_device : str
        Accepted for PyTorch compatibility.
    seed : int, optional
        Seed of this loader's own generator: the sequence of epoch orders is then fixed.
    device : str or Device, optional
        Device of the yielded tensors (default: where the dataset's data is).

    Raises
    ------
    ValueError
        For a non-positive batch size, both ``seed`` and ``generator``, a negative
        ``num_workers`` or ``timeout``, ``prefetch_factor`` or ``persistent_workers``
        without workers, or conflicting sampler options.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.data import DataLoader, TensorDataset
    >>> ds = TensorDataset(minigrad.arange(10.0).reshape(5, 2), minigrad.arange(5))
    >>> loader = DataLoader(ds, batch_size=2)
    >>> len(loader), [tuple(y.tolist()) for _, y in loader]
    (3, [(0, 1), (2, 3), (4,)])
    >>> x, y = next(iter(DataLoader(ds, batch_size=4, shuffle=True, seed=0)))
    >>> x.shape, y.dtype
    ((4, 2), dtype('int64'))
    >>> [y.tolist() for _, y in DataLoader(ds, batch_size=2, num_workers=2, pin_memory=True)]
    [[0, 1], [2, 3], [4]]
    """

    def __init__(
        self,
        dataset,
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler=None,
        batch_sampler=None,
        num_workers: int = 0,
        collate_fn=None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn=None,
        multiprocessing_context=None,
        generator=None,
        *,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
        pin_memory_device: str = "",
        seed: int | None = None,
        device=None,
    ):
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    "DataLoader: batch_sampler option is mutually exclusive with batch_size, "
                    "shuffle, sampler, and drop_last"
                )
            batch_size = None
        elif batch_size is None:
            raise ValueError("DataLoader: batch_size=None (no batching) is not supported")
        elif isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral):
            raise ValueError(
                f"DataLoader: batch_size should be a positive integer, got {batch_size!r}"
            )
        elif batch_size <= 0:
            raise ValueError(
                f"DataLoader: batch_size should be a positive integer, got {batch_size}"
            )
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle")
        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            for opt, val in (("shuffle", shuffle), ("sampler", sampler),
                             ("batch_sampler", batch_sampler)):  # fmt: skip
                if val:
                    raise ValueError(
                        f"DataLoader with IterableDataset: expected unspecified {opt} option, "
                        f"but got {opt}={val!r}"
                    )
        if seed is not None and generator is not None:
            raise ValueError("DataLoader: pass either seed or generator, not both")
        if isinstance(num_workers, bool) or not isinstance(num_workers, numbers.Integral):
            raise ValueError(f"DataLoader: num_workers should be an integer, got {num_workers!r}")
        if num_workers < 0:
            raise ValueError(
                "DataLoader: num_workers option should be non-negative; use num_workers=0 "
                f"to disable multiprocessing (got {num_workers})"
            )
        if timeout < 0:
            raise ValueError(f"DataLoader: timeout option should be non-negative, got {timeout}")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError(
                "DataLoader: prefetch_factor option could only be specified in multiprocessing."
                "let num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor "
                "to None."
            )
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        if prefetch_factor is not None and prefetch_factor < 1:
            raise ValueError(
                f"DataLoader: prefetch_factor option should be positive, got {prefetch_factor}"
            )
        if persistent_workers and num_workers == 0:
            raise ValueError("DataLoader: persistent_workers option needs num_workers > 0")
        self.dataset = dataset
        self.batch_size = None if batch_size is None else int(batch_size)
        self.shuffle = bool(shuffle)
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = int(num_workers)
        self.pin_memory = bool(pin_memory)
        self.pin_memory_device = pin_memory_device
        self.drop_last = bool(drop_last)
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.prefetch_factor = prefetch_factor
        self.persistent_workers = bool(persistent_workers)
        self.generator = np.random.default_rng(seed) if seed is not None else generator
        self.device = None if device is None else backend.device(device)
        self.collate_fn = default_collate if collate_fn is None else collate_fn
        self._pool = None

    def __len__(self) -> int:
        if self._iterable:
            n = len(self.dataset)  # TypeError for a dataset without a length, as PyTorch
            return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        n = len(self.sampler) if self.sampler is not None else len(self.dataset)
        if self.drop_last:
            return n // self.batch_size
        return (n + self.batch_size - 1) // self.batch_size

    def _order(self):
        if self.sampler is not None:
            return [int(i) for i in self.sampler]
        n = len(self.dataset)
        if not self.shuffle:
            return np.arange(n)
        rng = self.generator if self.generator is not None else backend.generator("cpu")
        return rng.permutation(n)

    def _index_batches(self) -> list:
        """The index arrays of this epoch's batches (draws the order: main thread only)."""
        if self.batch_sampler is not None:
            return [np.asarray(list(b), dtype=np.int64) for b in self.batch_sampler]
        order = np.asarray(self._order(), dtype=np.int64)
        n, b = len(order), self.batch_size
        stop = (n // b) * b if self.drop_last else n
        return [order[s : s + b] for s in range(0, stop, b)]

    def _fetch(self, idx):
        getitems = getattr(self.dataset, "__getitems__", None)
        if getitems is not None:
            return getitems(idx)
        return self.collate_fn([self.dataset[int(i)] for i in idx])

    def _workers(self):
        if self._pool is not None:
            return self._pool
        from concurrent.futures import ThreadPoolExecutor

        count = itertools.count()
        init = self.worker_init_fn

        def initializer():
            wid = next(count)
            if init is not None:
                init(wid)

        pool = ThreadPoolExecutor(
            self.num_workers, thread_name_prefix="minigrad-DataLoader", initializer=initializer
        )
        if self.persistent_workers:
            self._pool = pool
        return pool

    def _background(self, batches):
        from concurrent.futures import TimeoutError as FutureTimeout

        pool = self._workers()
        ahead = self.num_workers * self.prefetch_factor
        pending = collections.deque()
        it = iter(batches)
        try:
            for idx in itertools.islice(it, ahead):
                pending.append(pool.submit(self._fetch, idx))
            while pending:
                fut = pending.popleft()
                try:
                    batch = fut.result(timeout=self.timeout or None)
                except FutureTimeout:
                    raise RuntimeError(
                        f"DataLoader timed out after {self.timeout} seconds waiting for a batch"
                    ) from None
                for idx in itertools.islice(it, 1):
                    pending.append(pool.submit(self._fetch, idx))
                yield batch
        finally:
            for fut in pending:
                fut.cancel()
            if pool is not self._pool:
                pool.shutdown(wait=False, cancel_futures=True)

    def _stream_batches(self, it):
        """Batches of ``batch_size`` samples read from the iterator ``it``."""
        while True:
            chunk = list(itertools.islice(it, self.batch_size))
            if not chunk or (self.drop_last and len(chunk) < self.batch_size):
                return
            yield self.collate_fn(chunk)

    def _stream_workers(self):
        """PyTorch's multi-worker IterableDataset: each worker iterates the dataset (with
        its own :func:`~minigrad.data.get_worker_info`) in a thread; batches are taken
        from the workers in turn, skipping those that are done."""
        import queue
        import threading

        n = self.num_workers
        rng = self.generator if self.generator is not None else backend.generator("cpu")
        base_seed = int(rng.integers(0, 2**63 - 1))
        queues = [queue.Queue(maxsize=self.prefetch_factor) for _ in range(n)]
        stop = threading.Event()
        done = object()

        def put(q, item):
            while not stop.is_set():
                try:
                    q.put(item, timeout=0.05)
                    return True
                except queue.Full:
                    continue
            return False

        def work(wid):
            _set_worker_info(WorkerInfo(wid, n, base_seed + wid, self.dataset))
            try:
                if self.worker_init_fn is not None:
                    self.worker_init_fn(wid)
                for batch in self._stream_batches(iter(self.dataset)):
                    if not put(queues[wid], batch):
                        return
                put(queues[wid], done)
            except BaseException as e:  # noqa: BLE001 - re-raised in the main thread
                put(queues[wid], e)

        threads = [threading.Thread(target=work, args=(w,), daemon=True) for w in range(n)]
        for t in threads:
            t.start()
        try:
            alive = list(range(n))
            while alive:
                for wid in list(alive):
                    try:
                        item = queues[wid].get(timeout=self.timeout or None)
                    except queue.Empty:
                        raise RuntimeError(
                            f"DataLoader timed out after {self.timeout} seconds waiting for a batch"
                        ) from None
                    if item is done:
                        alive.remove(wid)
                    elif isinstance(item, BaseException):
                        raise item
                    else:
                        yield item
        finally:
            stop.set()

    def __iter__(self):
        if self._iterable:
            if self.num_workers > 0:
                source = self._stream_workers()
            else:
                source = self._stream_batches(iter(self.dataset))
            for batch in source:
                yield batch if self.device is None else _to_device(batch, self.device)
            return
        batches = self._index_batches()
        if self.num_workers > 0:
            source = self._background(batches)
        else:
            source = (self._fetch(idx) for idx in batches)
        for batch in source:
            yield batch if self.device is None else _to_device(batch, self.device)

    def __del__(self):
        pool = self.__dict__.get("_pool")
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
