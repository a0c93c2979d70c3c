"""DataLoader with PyTorch's arguments: background workers, samplers, and the
``minigrad.utils.data`` alias."""

import threading

import numpy as np
import pytest

import minigrad
from minigrad.data import DataLoader, Dataset, TensorDataset
from tests.conftest import to_numpy


class SlowList(Dataset):
    """Sample by sample (no ``__getitems__``), recording which thread read each."""

    def __init__(self, n):
        self.n = n
        self.threads = set()

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        self.threads.add(threading.get_ident())
        return np.full(3, i, dtype=np.float32), i


def _batches(loader):
    return [[to_numpy(t).copy() for t in b] for b in loader]


@pytest.mark.parametrize("workers", [1, 2, 3])
@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("drop_last", [False, True])
def test_workers_match_main_thread(workers, shuffle, drop_last, device):
    x = minigrad.randn(23, 2, device=device)
    y = minigrad.arange(23, device=device)
    ds = TensorDataset(x, y)
    kw = dict(batch_size=4, shuffle=shuffle, drop_last=drop_last)
    ref = _batches(DataLoader(ds, seed=5, **kw))
    got = _batches(DataLoader(ds, seed=5, num_workers=workers, pin_memory=True, **kw))
    assert len(got) == len(ref) == (5 if drop_last else 6)
    for a, b in zip(ref, got):
        for u, v in zip(a, b):
            np.testing.assert_array_equal(u, v)


def test_workers_load_in_background_threads_in_order():
    ds = SlowList(40)
    loader = DataLoader(ds, batch_size=3, shuffle=True, seed=1, num_workers=4, prefetch_factor=1)
    ref = _batches(DataLoader(SlowList(40), batch_size=3, shuffle=True, seed=1))
    got = _batches(loader)
    for a, b in zip(ref, got):
        np.testing.assert_array_equal(a[1], b[1])
    assert threading.get_ident() not in ds.threads
    assert sorted(np.concatenate([b[1] for b in got]).tolist()) == list(range(40))


def test_worker_init_fn_and_persistent_workers():
    seen = []
    lock = threading.Lock()

    def init(wid):
        with lock:
            seen.append(wid)

    ds = SlowList(12)
    loader = DataLoader(
        ds, batch_size=2, num_workers=2, worker_init_fn=init, persistent_workers=True
    )
    for _ in range(3):
        assert [b[1].tolist() for b in loader] == [[0, 1], [2, 3], [4, 5], [6, 7], [8, 9], [10, 11]]
    assert sorted(seen) == [0, 1]  # persistent: the two threads started once


def test_worker_exception_reaches_caller():
    class Bad(SlowList):
        def __getitem__(self, i):
            if i == 5:
                raise KeyError("sample 5 is broken")
            return super().__getitem__(i)

    with pytest.raises(KeyError, match="sample 5"):
        list(DataLoader(Bad(10), batch_size=2, num_workers=2))


def test_sampler_and_batch_sampler():
    ds = SlowList(6)
    got = [b[1].tolist() for b in DataLoader(ds, batch_size=2, sampler=[5, 4, 3, 2, 1])]
    assert got == [[5, 4], [3, 2], [1]]
    loader = DataLoader(ds, batch_sampler=[[0, 2], [4], [1, 3, 5]])
    assert len(loader) == 3
    assert [b[1].tolist() for b in loader] == [[0, 2], [4], [1, 3, 5]]


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(num_workers=-1), "num_workers option should be non-negative"),
        (dict(prefetch_factor=2), "prefetch_factor"),
        (dict(persistent_workers=True), "persistent_workers"),
        (dict(timeout=-1), "timeout"),
        (dict(sampler=[0, 1], shuffle=True), "sampler option is mutually exclusive"),
        (dict(batch_sampler=[[0]], batch_size=2), "batch_sampler option is mutually exclusive"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        DataLoader(SlowList(4), **kwargs)


def test_utils_data_alias():
    from minigrad.utils.data import DataLoader as DL
    from minigrad.utils.data import Dataset as DS
    from minigrad.utils.data import TensorDataset as TDS

    assert DL is DataLoader and DS is Dataset and TDS is TensorDataset
    assert minigrad.utils.data.random_split is minigrad.data.random_split
