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


def test_samplers_and_batch_sampler_with_loader():
    from minigrad.data import (
        BatchSampler,
        RandomSampler,
        SequentialSampler,
        SubsetRandomSampler,
        WeightedRandomSampler,
    )

    ds = SlowList(10)
    assert list(SequentialSampler(ds)) == list(range(10))
    g1, g2 = np.random.default_rng(3), np.random.default_rng(3)
    a, b = list(RandomSampler(ds, generator=g1)), list(RandomSampler(ds, generator=g2))
    assert a == b and sorted(a) == list(range(10)) and a != list(range(10))
    more = list(RandomSampler(ds, num_samples=25, generator=g1))
    assert len(more) == 25 and sorted(more[:10]) == list(range(10))
    assert sorted(SubsetRandomSampler([1, 4, 6])) == [1, 4, 6]
    w = list(WeightedRandomSampler([0, 0, 1.0, 3.0], 400, generator=np.random.default_rng(0)))
    assert set(w) == {2, 3} and 0.65 < w.count(3) / 400 < 0.85
    with pytest.raises(ValueError, match="without replacement"):
        WeightedRandomSampler([0, 1.0], 2, replacement=False)
    bs = BatchSampler(SequentialSampler(ds), 4, drop_last=True)
    assert len(bs) == 2 and list(bs) == [[0, 1, 2, 3], [4, 5, 6, 7]]
    loader = DataLoader(ds, batch_sampler=bs, num_workers=2)
    assert [b[1].tolist() for b in loader] == [[0, 1, 2, 3], [4, 5, 6, 7]]
    loader = DataLoader(ds, batch_size=3, sampler=SubsetRandomSampler([9, 8, 7, 0]))
    assert len(loader) == 2
    assert sorted(i for b in loader for i in b[1].tolist()) == [0, 7, 8, 9]


def test_concat_dataset():
    from minigrad.data import ConcatDataset

    ds = ConcatDataset([SlowList(3), SlowList(2)])
    assert len(ds) == 5 and ds[3][1] == 0 and ds[-1][1] == 1
    batches = [b[1].tolist() for b in DataLoader(ds, batch_size=2)]
    assert batches == [[0, 1], [2, 0], [1]]
    with pytest.raises(IndexError, match="out of range"):
        ds[5]
    with pytest.raises(ValueError, match="empty"):
        ConcatDataset([])


class Stream(minigrad.data.IterableDataset):
    """0..n-1, split between workers when ``shard``; records which workers ran."""

    def __init__(self, n, shard=True):
        self.n, self.shard = n, shard
        self.seen = []

    def __iter__(self):
        info = minigrad.data.get_worker_info()
        self.seen.append(None if info is None else (info.id, info.num_workers))
        if info is None or not self.shard:
            return iter(range(self.n))
        return iter(range(info.id, self.n, info.num_workers))


def test_iterable_dataset_batches_in_order():
    ds = Stream(7)
    assert [b.tolist() for b in DataLoader(ds, batch_size=3)] == [[0, 1, 2], [3, 4, 5], [6]]
    assert [b.tolist() for b in DataLoader(ds, batch_size=3, drop_last=True)] == [
        [0, 1, 2],
        [3, 4, 5],
    ]
    assert minigrad.data.get_worker_info() is None
    with pytest.raises(ValueError, match="expected unspecified shuffle"):
        DataLoader(ds, shuffle=True)
    with pytest.raises(TypeError):
        len(DataLoader(ds))


def test_iterable_dataset_workers_round_robin():
    ds = Stream(10)
    got = [b.tolist() for b in DataLoader(ds, batch_size=2, num_workers=2)]
    # worker 0 reads 0,2,4,6,8 and worker 1 reads 1,3,5,7,9; batches alternate (PyTorch)
    assert got == [[0, 2], [1, 3], [4, 6], [5, 7], [8], [9]]
    assert sorted(s for s in ds.seen if s is not None) == [(0, 2), (1, 2)]
    dup = [b.tolist() for b in DataLoader(Stream(3, shard=False), batch_size=3, num_workers=2)]
    assert dup == [[0, 1, 2], [0, 1, 2]]  # unsharded: each worker reads it all, as PyTorch


def test_iterable_dataset_worker_error():
    class Bad(minigrad.data.IterableDataset):
        def __iter__(self):
            yield 1
            raise OSError("stream broke")

    with pytest.raises(OSError, match="stream broke"):
        list(DataLoader(Bad(), batch_size=1, num_workers=2))
