"""SyncBatchNorm on shards of one batch equals BatchNorm on the whole batch in one process.

Every rank draws the same full batch from the same seed, computes the one-process
BatchNorm reference on it, and runs SyncBatchNorm on its own shard (uneven shard sizes,
and a split where rank 0 has no sample at all).
"""

import numpy as np
import pytest

pytest.importorskip("mpi4py", reason='needs mpi4py: pip install "minigrad-lab[distributed]"')

import minigrad  # noqa: E402
import minigrad.distributed as dist  # noqa: E402
from minigrad import nn  # noqa: E402

pytestmark = pytest.mark.usefixtures("cpu_kernels")  # NumPy's path and the compiled one


def _np(t):
    """A tensor's values as a NumPy array, from any device."""
    a = t._data
    return a if isinstance(a, np.ndarray) else a.get()


def shard_bounds(n_total, rank, size, split):
    """``(start, stop)`` of ``rank``'s shard: sizes 1, 2, 3, ... ('uneven'), or rank 0 empty
    and the rest in uneven shards ('empty')."""
    if split == "uneven":
        sizes = [r + 1 for r in range(size)]
    else:
        sizes = [0] + [r + 1 for r in range(size - 1)] if size > 1 else [1]
    sizes = [s * n_total // sum(sizes) for s in sizes]
    sizes[-1] += n_total - sum(sizes)
    start = sum(sizes[:rank])
    return start, start + sizes[rank]


LAYERS = {
    "1d-2d": (nn.BatchNorm1d, (12, 3)),
    "1d-3d": (nn.BatchNorm1d, (12, 3, 4)),
    "2d": (nn.BatchNorm2d, (12, 3, 4, 5)),
    "3d": (nn.BatchNorm3d, (12, 2, 3, 2, 3)),
}


def _pair(kind, momentum, affine, track, dtype, device="cpu"):
    cls, shape = LAYERS[kind]
    kw = dict(momentum=momentum, affine=affine, track_running_stats=track)
    ref = cls(shape[1], **kw).to(dtype=dtype, device=device)
    sync = nn.SyncBatchNorm.convert_sync_batchnorm(
        cls(shape[1], **kw).to(dtype=dtype, device=device)
    )
    assert isinstance(sync, nn.SyncBatchNorm)
    if affine:  # non-trivial affine parameters, the same on every rank
        rng = np.random.default_rng(7)
        for m in (ref, sync):
            xp = m.weight.xp
            m.weight._data[...] = xp.asarray(
                rng.uniform(0.5, 1.5, shape[1]) if m is ref else ref.weight._data
            )
            m.bias._data[...] = xp.asarray(
                rng.normal(size=shape[1]) if m is ref else ref.bias._data
            )
    return ref, sync, shape


def _allreduced(g):
    t = minigrad.tensor(_np(g).copy())
    dist.all_reduce(t)
    return t._data


@pytest.mark.parametrize("split", ["uneven", "empty"])
@pytest.mark.parametrize("kind", list(LAYERS))
@pytest.mark.parametrize(
    "momentum,affine,track", [(0.1, True, True), (None, True, True), (0.3, False, True),
                              (0.1, True, False), (0.1, False, False)]
)  # fmt: skip
def test_sync_equals_full_batch(world, device, split, kind, momentum, affine, track):
    rank, size = world
    dtype = minigrad.float64
    ref, sync, shape = _pair(kind, momentum, affine, track, dtype, device)
    lo, hi = shard_bounds(shape[0], rank, size, split)
    rng = np.random.default_rng(123)
    for step in range(2):  # two steps: running statistics and momentum=None's 1/t
        xfull = rng.normal(2.0, 3.0, shape)
        dy = rng.normal(size=shape)
        x_ref = minigrad.tensor(xfull, requires_grad=True, device=device)
        y_ref = ref(x_ref)
        (y_ref * minigrad.tensor(dy, device=device)).sum().backward()

        x = minigrad.tensor(xfull[lo:hi], requires_grad=True, device=device)
        y = sync(x)
        (y * minigrad.tensor(dy[lo:hi], device=device)).sum().backward()

        np.testing.assert_allclose(_np(y), _np(y_ref)[lo:hi], rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(_np(x.grad), _np(x_ref.grad)[lo:hi], rtol=1e-9, atol=1e-10)
        if affine:
            for p, q in ((sync.weight, ref.weight), (sync.bias, ref.bias)):
                np.testing.assert_allclose(_allreduced(p.grad), _np(q.grad), rtol=1e-9, atol=1e-9)
                p.grad = q.grad = None
        if track:
            np.testing.assert_allclose(_np(sync.running_mean), _np(ref.running_mean), rtol=1e-10)
            np.testing.assert_allclose(_np(sync.running_var), _np(ref.running_var), rtol=1e-10)
            assert int(_np(sync.num_batches_tracked)) == step + 1
            assert int(_np(ref.num_batches_tracked)) == step + 1
        else:
            assert sync.running_mean is None and sync.num_batches_tracked is None
    # evaluation: no communication, the running statistics (or batch statistics) normalize
    ref.eval()
    sync.eval()
    xfull = rng.normal(size=shape)
    if track:
        y_e = sync(minigrad.tensor(xfull[lo:hi], device=device))
        y_r = ref(minigrad.tensor(xfull, device=device))
        np.testing.assert_allclose(_np(y_e), _np(y_r)[lo:hi], rtol=1e-10)
    elif hi - lo > 1:  # no buffers: the shard's own statistics in evaluation too
        y_e = sync(minigrad.tensor(xfull[lo:hi], device=device))
        y_r = ref(minigrad.tensor(xfull[lo:hi], device=device))
        np.testing.assert_allclose(_np(y_e), _np(y_r), rtol=1e-10)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sync_float_dtypes(world, dtype):
    rank, size = world
    ref, sync, shape = _pair("2d", 0.1, True, True, minigrad.float32 if dtype == "float32"
                             else minigrad.float64)  # fmt: skip
    lo, hi = shard_bounds(shape[0], rank, size, "uneven")
    xfull = np.random.default_rng(5).normal(size=shape).astype(dtype)
    y_ref = ref(minigrad.tensor(xfull))
    y = sync(minigrad.tensor(xfull[lo:hi]))
    assert y.dtype == y_ref.dtype
    tol = 1e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(y._data, y_ref._data[lo:hi], rtol=tol, atol=tol)
    np.testing.assert_allclose(sync.running_var._data, ref.running_var._data, rtol=tol)


def test_plain_batchnorm_on_shards_differs(world):
    """The reference comparison above can fail: per-shard statistics are not the batch's."""
    rank, size = world
    if size < 2:
        pytest.skip("needs 2 or more processes: at world size 1 the shard is the batch")
    cls, shape = LAYERS["2d"]
    ref, local = cls(shape[1]), cls(shape[1])
    lo, hi = shard_bounds(shape[0], rank, size, "uneven")
    xfull = np.random.default_rng(9).normal(size=shape) * np.arange(1, 13).reshape(12, 1, 1, 1)
    y_ref = ref(minigrad.tensor(xfull))
    y = local(minigrad.tensor(xfull[lo:hi]))
    diff = float(np.abs(y._data - y_ref._data[lo:hi]).max())
    assert diff > 1e-2
    assert float(np.abs(local.running_mean._data - ref.running_mean._data).max()) > 1e-3


def test_one_process_group_is_batchnorm(world):
    """A group of this process alone: no communication, BatchNorm's result."""
    rank, size = world
    groups = [dist.new_group([r]) for r in range(size)]
    mine = groups[rank]
    assert dist.get_world_size(mine) == 1
    ref = nn.BatchNorm1d(3)
    sync = nn.SyncBatchNorm(3, process_group=mine)
    x = np.random.default_rng(rank).normal(size=(6, 3))
    np.testing.assert_allclose(sync(minigrad.tensor(x))._data, ref(minigrad.tensor(x))._data)
    np.testing.assert_allclose(sync.running_var._data, ref.running_var._data)


def test_double_backward(world):
    """One process: exact (it is BatchNorm). Several: a clear error under create_graph."""
    rank, size = world
    sync = nn.SyncBatchNorm(2).to(minigrad.float64)
    x = minigrad.tensor(np.random.default_rng(rank).normal(size=(4, 2)), requires_grad=True)
    y = (sync(x) ** 3).sum()
    if size == 1:
        (g,) = minigrad.grad(y, x, create_graph=True)
        g.sum().backward()
        assert x.grad is not None and np.isfinite(x.grad._data).all()
    else:
        with pytest.raises(RuntimeError, match="double backward"):
            minigrad.grad(y, x, create_graph=True)


def test_errors(world):
    with pytest.raises(ValueError, match="at least 2D"):
        nn.SyncBatchNorm(3)(minigrad.zeros(3))
    with pytest.raises(ValueError, match="channels"):
        nn.SyncBatchNorm(3)(minigrad.zeros(4, 2))
    rank, size = world
    # one value per channel over all processes: every rank raises, none hangs
    x = minigrad.zeros(1 if rank == 0 else 0, 3)
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.SyncBatchNorm(3)(x)


def test_convert_keeps_parameters_and_buffers(world):
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Sequential(nn.BatchNorm1d(2)))
    model.eval()
    bn = model[1]
    bn.running_mean._data[...] = 3.0
    out = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    assert out is model
    assert isinstance(out[1], nn.SyncBatchNorm) and isinstance(out[2][0], nn.SyncBatchNorm)
    assert out[1].weight is bn.weight and out[1].running_mean is bn.running_mean
    assert out[1].training is False
    assert isinstance(nn.SyncBatchNorm.convert_sync_batchnorm(nn.BatchNorm1d(2)), nn.SyncBatchNorm)
    assert set(out.state_dict()) == set(
        nn.Sequential(
            nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Sequential(nn.BatchNorm1d(2))
        ).state_dict()
    )


def test_process_group_of_two(world):
    """Statistics over the members of ``process_group`` only (ranks 0 and 1)."""
    rank, size = world
    if size < 2:
        pytest.skip("needs 2 or more processes for a group of two")
    pair = dist.new_group([0, 1])  # every rank calls it, members or not
    if rank > 1:
        assert dist.get_rank(pair) == -1
        return
    xfull = np.random.default_rng(11).normal(size=(7, 3, 2))
    lo, hi = (0, 3) if rank == 0 else (3, 7)
    ref = nn.BatchNorm1d(3).to(minigrad.float64)
    sync = nn.SyncBatchNorm(3, process_group=pair).to(minigrad.float64)
    y_ref = ref(minigrad.tensor(xfull))
    y = sync(minigrad.tensor(xfull[lo:hi]))
    np.testing.assert_allclose(_np(y), _np(y_ref)[lo:hi], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(_np(sync.running_var), _np(ref.running_var), rtol=1e-12)
