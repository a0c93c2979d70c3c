"""DistributedDataParallel (+ SyncBatchNorm) on shards equals one process on the whole batch."""

import numpy as np
import pytest

pytest.importorskip("mpi4py", reason='needs mpi4py: pip install "minigrad-lab[distributed]"')

import minigrad  # noqa: E402
import minigrad.distributed as dist  # noqa: E402
import minigrad.nn.functional as F  # noqa: E402
from minigrad import nn, optim  # noqa: E402
from minigrad.nn.parallel import DistributedDataParallel as DDP  # noqa: E402


def shard(n, rank, size, empty_first):
    """Uneven shards (sizes 1, 2, ... scaled to n); rank 0 empty when ``empty_first``."""
    sizes = [r + 1 for r in range(size)]
    if empty_first and size > 1:
        sizes[0] = 0
    sizes = [s * n // sum(sizes) for s in sizes]
    sizes[-1] += n - sum(sizes)
    lo = sum(sizes[:rank])
    return lo, lo + sizes[rank]


def make_model(seed, conv=False):
    minigrad.manual_seed(seed)
    if conv:
        return nn.Sequential(
            nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(),
            nn.Linear(4 * 5 * 5, 3),
        )  # fmt: skip
    return nn.Sequential(nn.Linear(6, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3))


def _np(a):
    """An array (or a tensor's data) as NumPy, from any device."""
    a = a._data if isinstance(a, minigrad.Tensor) else a
    return a if isinstance(a, np.ndarray) else a.get()


def _params(m):
    return [_np(p._data).copy() for p in m.parameters()]


@pytest.mark.parametrize("conv", [False, True])
@pytest.mark.parametrize("empty_first", [False, True])
def test_ddp_syncbn_equals_one_process(world, device, conv, empty_first):
    rank, size = world
    N, K = 16, 3
    ref = make_model(0, conv).to(dtype=minigrad.float64, device=device)
    # every rank starts from different weights: the wrap broadcasts rank 0's
    local = nn.SyncBatchNorm.convert_sync_batchnorm(
        make_model(rank, conv).to(dtype=minigrad.float64, device=device)
    )
    model = DDP(local, bucket_cap_mb=0.0005)  # a few hundred bytes: several buckets
    assert model.module is local
    for a, b in zip(_params(ref), _params(local)):
        np.testing.assert_array_equal(a, b)
    opt_ref = optim.SGD(ref.parameters(), lr=0.1, momentum=0.9)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    lo, hi = shard(N, rank, size, empty_first)
    rng = np.random.default_rng(1)
    for _ in range(K):
        shape = (N, 1, 5, 5) if conv else (N, 6)
        x = rng.normal(size=shape)
        y = rng.integers(0, 3, N)
        opt_ref.zero_grad()
        t = lambda a: minigrad.tensor(a, device=device)  # noqa: E731
        F.cross_entropy(ref(t(x)), t(y)).backward()
        opt_ref.step()
        opt.zero_grad()
        out = model(t(x[lo:hi]))
        # the shard's share of the whole batch's mean loss (DDP averages over processes)
        loss = F.cross_entropy(out, t(y[lo:hi]), reduction="sum") * (size / N)
        loss.backward()
        opt.step()
    names = [n for n, _ in ref.named_parameters()]
    for name, a, b in zip(names, _params(ref), _params(local)):
        np.testing.assert_allclose(b, a, rtol=1e-9, atol=1e-11, err_msg=name)
    for a, b in zip(ref.buffers(), local.buffers()):
        np.testing.assert_allclose(_np(b), _np(a), rtol=1e-9, atol=1e-12)


def test_replicas_end_identical(world):
    """Different starting weights and different data per rank: identical after steps."""
    rank, size = world
    model = DDP(make_model(10 + rank))
    opt = optim.SGD(model.parameters(), lr=0.05)
    rng = np.random.default_rng(100 + rank)
    for _ in range(2):
        opt.zero_grad()
        model(minigrad.tensor(rng.normal(size=(5, 6)).astype("float32"))).sum().backward()
        opt.step()
    mine = np.concatenate([p._data.ravel() for p in model.parameters()])
    gathered = dist.all_gather_array(mine)
    for r in range(size):
        np.testing.assert_array_equal(gathered[r], gathered[0])


def test_no_sync_accumulates(world):
    rank, size = world
    model = DDP(make_model(3).to(minigrad.float64))
    plain = make_model(3).to(minigrad.float64)
    rng = np.random.default_rng(rank)
    x1, x2 = rng.normal(size=(4, 6)), rng.normal(size=(5, 6))
    with model.no_sync():
        model(minigrad.tensor(x1)).sum().backward()
    local_after_first = [p.grad._data.copy() for p in model.parameters()]
    model(minigrad.tensor(x2)).sum().backward()
    plain(minigrad.tensor(x1)).sum().backward()
    np.testing.assert_allclose(local_after_first[0], next(plain.parameters()).grad._data)
    plain(minigrad.tensor(x2)).sum().backward()
    for p, q in zip(model.parameters(), plain.parameters()):
        expect = minigrad.tensor(q.grad._data.copy())
        dist.all_reduce(expect, dist.ReduceOp.AVG)
        np.testing.assert_allclose(p.grad._data, expect._data, rtol=1e-12)


def test_broadcast_buffers_each_forward(world):
    rank, size = world
    model = DDP(nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3)))
    bn = model.module[1]
    bn.running_mean._data[...] = 100.0 if rank == 0 else float(rank)  # drift on purpose
    model.eval()
    model(minigrad.randn(4, 2))
    np.testing.assert_array_equal(bn.running_mean._data, np.full(3, 100.0, "float32"))
    quiet = DDP(nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3)), broadcast_buffers=False)
    quiet.module[1].running_mean._data[...] = float(rank)
    quiet.eval()
    quiet(minigrad.randn(4, 2))
    np.testing.assert_array_equal(quiet.module[1].running_mean._data, np.full(3, rank, "float32"))


def test_errors(world):
    with pytest.raises(TypeError, match="expected a Module"):
        DDP(object())
    with pytest.raises(ValueError, match="bucket_cap_mb"):
        DDP(nn.Linear(2, 2), bucket_cap_mb=0)


def test_grad_does_not_reduce(world):
    """minigrad.grad() writes no .grad: DDP reduces nothing, and the next backward does."""
    rank, size = world
    model = DDP(make_model(3).to(minigrad.float64))
    x = minigrad.tensor(np.random.default_rng(rank).normal(size=(4, 6)))
    params = list(model.parameters())
    gs = minigrad.grad(model(x).sum(), params)
    assert all(p.grad is None for p in params)
    model(x).sum().backward()
    for p, g in zip(params, gs):
        expect = minigrad.tensor(g._data.copy())
        dist.all_reduce(expect, dist.ReduceOp.AVG)
        np.testing.assert_allclose(p.grad._data, expect._data, rtol=1e-12)
