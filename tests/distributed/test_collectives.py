"""Collectives, process groups, DistributedSampler and failure handling."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

pytest.importorskip("mpi4py", reason='needs mpi4py: pip install "minigrad-lab[distributed]"')

import minigrad  # noqa: E402
import minigrad.distributed as dist  # noqa: E402
from minigrad.data import DataLoader, DistributedSampler, TensorDataset  # noqa: E402
from minigrad.data.distributed import _partition  # noqa: E402

DTYPES = ["float32", "float64", "int64"]


@pytest.mark.parametrize("dtype", DTYPES)
def test_all_reduce(world, dtype):
    rank, size = world
    base = np.arange(6).reshape(2, 3)
    t = minigrad.tensor((base + rank).astype(dtype))
    dist.all_reduce(t)
    assert t.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(t._data, size * base + sum(range(size)))
    for op, expect in [
        (dist.ReduceOp.MAX, base + size - 1),
        (dist.ReduceOp.MIN, base),
        (dist.ReduceOp.PRODUCT, np.prod([base + r for r in range(size)], axis=0)),
    ]:
        t = minigrad.tensor((base + rank).astype(dtype))
        dist.all_reduce(t, op=op)
        np.testing.assert_array_equal(t._data, expect.astype(dtype))


@pytest.mark.parametrize("dtype", ["float16", "int32", "int8", "uint8"])
def test_all_reduce_other_dtypes(world, dtype):
    rank, size = world
    t = minigrad.tensor(np.array([1, rank], dtype=dtype))
    dist.all_reduce(t)
    assert t.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(t._data, np.array([size, sum(range(size))], dtype=dtype))


def test_all_reduce_bool_is_logical(world):
    rank, size = world
    t = minigrad.tensor(np.array([True, rank == 0, False]))
    dist.all_reduce(t)  # SUM: logical or
    np.testing.assert_array_equal(t._data, [True, True, False])
    t = minigrad.tensor(np.array([True, rank == 0]))
    dist.all_reduce(t, op=dist.ReduceOp.MIN)  # logical and
    np.testing.assert_array_equal(t._data, [True, size == 1])


def test_all_reduce_avg_and_noncontiguous(world):
    rank, size = world
    t = minigrad.tensor(np.full((3, 4), float(rank)))
    view = minigrad.tensor(t._data.T)  # a non-contiguous array
    dist.all_reduce(view, op=dist.ReduceOp.AVG)
    np.testing.assert_allclose(view._data, np.full((4, 3), (size - 1) / 2))


@pytest.mark.parametrize("dtype", DTYPES)
def test_all_gather_broadcast_reduce(world, dtype):
    rank, size = world
    t = minigrad.tensor(np.array([rank, 10 * rank], dtype=dtype))
    out = [minigrad.zeros(2, dtype=np.dtype(dtype)) for _ in range(size)]
    dist.all_gather(out, t)
    for r, o in enumerate(out):
        np.testing.assert_array_equal(o._data, np.array([r, 10 * r], dtype=dtype))
    src = size - 1
    b = minigrad.tensor(np.array([rank + 1, 7], dtype=dtype))
    dist.broadcast(b, src=src)
    np.testing.assert_array_equal(b._data, np.array([src + 1, 7], dtype=dtype))
    r = minigrad.tensor(np.array([rank, 1], dtype=dtype))
    dist.reduce(r, dst=0)
    if rank == 0:
        np.testing.assert_array_equal(r._data, np.array([sum(range(size)), size], dtype=dtype))
    else:
        np.testing.assert_array_equal(r._data, np.array([rank, 1], dtype=dtype))
    dist.barrier()


def test_groups(world):
    rank, size = world
    evens = dist.new_group([r for r in range(size) if r % 2 == 0])
    if rank % 2 == 0:
        assert dist.get_world_size(evens) == (size + 1) // 2
        assert dist.get_rank(evens) == rank // 2
        t = minigrad.tensor([1.0])
        dist.all_reduce(t, group=evens)
        assert float(t._data[0]) == (size + 1) // 2
    else:
        assert dist.get_rank(evens) == -1
        with pytest.raises(RuntimeError, match="not a member"):
            dist.all_reduce(minigrad.tensor([1.0]), group=evens)
    assert dist.get_backend() == "mpi"


def test_errors(world):
    with pytest.raises(TypeError, match="expected a Tensor"):
        dist.all_reduce(np.ones(2))
    with pytest.raises(TypeError, match="unsupported dtype"):
        dist.all_reduce(minigrad.tensor(np.ones(2, dtype=np.complex128)))
    with pytest.raises(TypeError, match="ReduceOp"):
        dist.all_reduce(minigrad.ones(2), op="sum")
    with pytest.raises(ValueError, match="one tensor per process"):
        dist.all_gather([], minigrad.ones(2))
    with pytest.raises(ValueError, match="not a member"):
        dist.broadcast(minigrad.ones(2), src=world[1])
    with pytest.raises(RuntimeError, match="already initialized"):
        dist.init_process_group()
    with pytest.raises(ValueError, match="backend"):
        dist.init_process_group(backend="gloo")
    with pytest.raises(ValueError, match="distinct ranks"):
        dist.new_group([0, 0])


def test_errors_before_init_and_without_mpi4py():
    """In a fresh interpreter: before init_process_group, and with mpi4py hidden."""
    code = textwrap.dedent(
        """
        import sys
        import minigrad, minigrad.distributed as dist
        assert "mpi4py" not in sys.modules  # import minigrad never imports it
        assert not dist.is_initialized()
        try:
            dist.all_reduce(minigrad.ones(1))
        except RuntimeError as e:
            assert "init_process_group" in str(e), e
        else:
            raise AssertionError("no error before init")
        sys.modules["mpi4py"] = None  # as if not installed
        try:
            dist.init_process_group()
        except RuntimeError as e:
            assert 'pip install "minigrad-lab[distributed]"' in str(e), e
        else:
            raise AssertionError("no error without mpi4py")
        print("ok")
        """
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PMI_", "MPI", "HYDRA"))}
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert r.returncode == 0 and "ok" in r.stdout, r.stderr


def _torch_cases():
    import os as _os

    path = _os.path.join(_os.path.dirname(__file__), "..", "fixtures", "distributed_sampler.npz")
    data = np.load(path)
    for key in data.files:
        row = data[key].tolist()
        n, r, drop, shuffle, seed, epoch = row[:6]
        perm, rest = row[6 : 6 + n], row[6 + n :]
        per = len(rest) // r
        yield (
            n,
            r,
            bool(drop),
            bool(shuffle),
            seed,
            epoch,
            perm,
            [rest[i * per : (i + 1) * per] for i in range(r)],
        )


def test_sampler_partition_matches_torch():
    cases = list(_torch_cases())
    assert len(cases) > 200
    for n, r, drop, shuffle, _seed, _epoch, perm, ranks in cases:
        for rank in range(r):
            got = _partition(perm, r, rank, drop)
            assert got == ranks[rank], (n, r, drop, shuffle, rank)
            if not shuffle:
                s = DistributedSampler(range(n), r, rank, shuffle=False, drop_last=drop)
                assert list(s) == ranks[rank] and len(s) == len(ranks[rank])


def test_sampler_epochs_and_loader(world):
    rank, size = world
    n = 11
    s = DistributedSampler(range(n), seed=4)  # num_replicas, rank from the process group
    assert (s.num_replicas, s.rank) == (size, rank)
    a = list(s)
    s.set_epoch(1)
    b = list(s)
    assert len(a) == len(b) == -(-n // size)
    everyone = dist.all_gather_array(np.array(a))
    assert set(everyone.ravel().tolist()) == set(range(n))  # every sample, padding repeats
    if size > 1 or n > 1:
        assert a != b or n == 1
    ds = TensorDataset(minigrad.tensor(np.arange(n, dtype="float32")))
    loader = DataLoader(ds, batch_size=2, sampler=s)
    seen = [int(v) for (batch,) in loader for v in batch._data]
    assert seen == b
    with pytest.raises(ValueError, match="Invalid rank"):
        DistributedSampler(range(4), num_replicas=2, rank=2)


def test_exception_on_one_rank_aborts_the_job(tmp_path):
    """A raising rank ends the whole job with a non-zero exit and its traceback: no hang."""
    if os.environ.get("PMI_RANK", "0") != "0" and "PMI_SIZE" in os.environ:
        return  # only one rank of a multi-rank test run launches the sub-job
    mpiexec = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    if not os.path.exists(mpiexec):
        pytest.skip(f"no mpiexec next to {sys.executable}")
    script = tmp_path / "boom.py"
    script.write_text(
        textwrap.dedent(
            """
            import minigrad, minigrad.distributed as dist
            dist.init_process_group()
            if dist.get_rank() == 1:
                raise RuntimeError("boom on rank 1")
            dist.barrier()  # rank 0 waits here for a rank that never comes
            """
        )
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PMI_", "HYDRA", "MPIR"))}
    env["MPIEXEC_TIMEOUT"] = "120"
    r = subprocess.run(
        [mpiexec, "-n", "2", sys.executable, str(script)],
        capture_output=True, text=True, env=env, timeout=200,
    )  # fmt: skip
    assert r.returncode != 0
    assert "boom on rank 1" in r.stderr + r.stdout
    assert "Traceback" in r.stderr + r.stdout


def test_nccl_backend_on_cuda(world):
    """CuPy tensors through NCCL: one GPU per process (one rank with one GPU)."""
    rank, size = world
    if not minigrad.cuda.is_available():
        pytest.skip("the NCCL backend is for CuPy tensors: no CuPy with a GPU here")
    from minigrad.distributed import nccl

    if not nccl.available():
        pytest.skip("cupy.cuda.nccl is not available: CuPy tensors are staged through the host")
    if minigrad.cuda.device_count() < size:
        pytest.skip(f"NCCL needs a GPU per process: {size} processes")
    dev = minigrad.device(f"cuda:{rank}")
    group = dist.new_group(backend="nccl")
    t = minigrad.tensor(np.array([1.0, rank]), device=dev)
    dist.all_reduce(t, group=group)
    np.testing.assert_array_equal(t._data.get(), [size, sum(range(size))])
    out = dist.all_gather_array(minigrad.tensor([float(rank)], device=dev)._data, group)
    np.testing.assert_array_equal(out.get().ravel(), np.arange(size, dtype=float))
    bn = minigrad.nn.SyncBatchNorm(2, process_group=group).to(device=dev)
    x = np.random.default_rng(0).normal(size=(4 * size, 2)).astype("float32")
    y = bn(minigrad.tensor(x[4 * rank : 4 * rank + 4], device=dev))
    ref = minigrad.nn.BatchNorm1d(2)(minigrad.tensor(x))
    np.testing.assert_allclose(
        y._data.get(), ref._data[4 * rank : 4 * rank + 4], rtol=1e-5, atol=1e-5
    )
