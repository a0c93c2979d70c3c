"""minigrad's one thread pool (minigrad.jit): the compiled kernels and the NumPy
normalization path share it and its one setting, MINIGRAD_NUM_THREADS."""

import threading

import numpy as np
import pytest
from conftest import JIT_SKIP, to_numpy

import minigrad
import minigrad.nn.functional as F
from minigrad import jit


@pytest.fixture
def two_threads(monkeypatch):
    monkeypatch.setattr(jit, "NUM_THREADS", 2)
    monkeypatch.setitem(jit._pool_state, "pool", None)  # a pool of that size
    yield
    monkeypatch.setitem(jit._pool_state, "pool", None)


def test_map_tasks_keeps_order_and_uses_the_pool(two_threads):
    barrier = threading.Barrier(2, timeout=10)  # both threads must take part

    def task(i):
        if i < 2:
            barrier.wait()
        return i * i, threading.current_thread().name

    out = jit.map_tasks(task, [(i,) for i in range(7)])
    assert [v for v, _ in out] == [i * i for i in range(7)]
    names = {n for _, n in out}
    assert threading.current_thread().name in names
    assert any(n.startswith("minigrad-pool") for n in names), names


def test_map_tasks_serial_with_one_thread(monkeypatch):
    monkeypatch.setattr(jit, "NUM_THREADS", 1)
    out = jit.map_tasks(lambda i: threading.current_thread().name, [(i,) for i in range(5)])
    assert set(out) == {threading.current_thread().name}


def test_map_tasks_reraises_in_the_caller(two_threads):
    def task(i):
        if i == 3:
            raise ValueError("task 3")
        return i

    with pytest.raises(ValueError, match="task 3"):
        jit.map_tasks(task, [(i,) for i in range(6)])


def test_norm_tiles_and_kernels_share_one_pool(two_threads, monkeypatch):
    """The NumPy norm path's tiles and a compiled kernel's chunks run on the same pool
    threads; the norm's values do not depend on the thread count."""
    from minigrad.ops.nn.norm import norm_core, norm_kernels

    monkeypatch.setattr(norm_kernels, "TILE_BYTES", 64)  # one sample per tile
    seen = set()
    real = norm_core.map_tiles
    # the first two tiles wait for each other: both threads must take part (tiny tiles
    # would otherwise all be done by the caller before a pool thread wakes up)
    barrier = threading.Barrier(2, timeout=10)

    def spy(xp, work, tiles):
        def run(t0, t1):
            seen.add(threading.current_thread().name)
            if jit.NUM_THREADS == 2 and t0 < 2:
                barrier.wait()
            return work(t0, t1)

        return real(xp, run, tiles)

    monkeypatch.setattr(norm_core, "map_tiles", spy)
    x = minigrad.randn(8, 4, 5)
    with jit.enabled_as(False):
        y2 = to_numpy(F.group_norm(x, 2))
        monkeypatch.setattr(jit, "NUM_THREADS", 1)
        y1 = to_numpy(F.group_norm(x, 2))
    np.testing.assert_array_equal(y1, y2)
    norm_threads = {n for n in seen if n.startswith("minigrad-pool")}
    assert norm_threads, seen
    if JIT_SKIP:
        return
    monkeypatch.setattr(jit, "NUM_THREADS", 2)
    monkeypatch.setattr(jit, "SERIAL_BELOW", 0)  # split even this small call
    before = jit.SPLITS["calls"]
    pool = jit._pool()
    with jit.enabled_as(True):
        F.relu(minigrad.randn(1 << 16))
    assert jit.SPLITS["calls"] > before
    assert jit._pool() is pool  # the same executor


def test_nested_and_concurrent_jobs_finish(two_threads):
    """A task that splits work of its own (on a pool thread, or while the pool thread is
    busy), and jobs submitted from several Python threads at once, all complete: the
    caller never waits for a piece that nobody has started."""

    def inner(i):
        return sum(jit.map_tasks(lambda a, b: a * b, [(i, k) for k in range(5)]))

    assert jit.map_tasks(inner, [(i,) for i in range(6)]) == [10 * i for i in range(6)]
    out = {}

    def caller(j):
        out[j] = jit.map_tasks(lambda a: a + j, [(i,) for i in range(9)])

    threads = [threading.Thread(target=caller, args=(j,)) for j in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert out == {j: [i + j for i in range(9)] for j in range(4)}


def test_pool_threads_wake_for_every_job(two_threads, monkeypatch):
    """Pool threads sleep between jobs and take part again in later ones: each of many
    jobs in a row gets both threads."""
    monkeypatch.setitem(jit._pool_state, "pool", None)  # a fresh pool
    for _ in range(20):
        barrier = threading.Barrier(2, timeout=10)

        def task(i, barrier=barrier):
            barrier.wait()  # (both threads must take part)
            return threading.current_thread().name

        names = set(jit.map_tasks(task, [(0,), (1,)]))
        assert len(names) == 2 and any(n.startswith("minigrad-pool") for n in names)
