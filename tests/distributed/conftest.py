"""Fixtures of the distributed tests.

They run as a plain ``python -m pytest`` (world size 1) and under an MPI launcher::

    MPIEXEC_TIMEOUT=300 mpiexec -n 2 python -m pytest -q -p no:cacheprovider \\
        tests/distributed -o addopts="" -x

Every rank runs every test in the same order, so the collectives inside the tests
match. A test that fails on one rank prints that rank's report and aborts the whole
job (``MPI.COMM_WORLD.Abort``): the other ranks would otherwise wait in a collective.
Without mpi4py the modules are skipped with the install hint.
"""

import sys

import pytest

MPI_REASON = 'needs mpi4py and an MPI library: pip install "minigrad-lab[distributed]"'


@pytest.fixture(scope="session")
def world():
    """The default process group (initialized once for the session): ``(rank, size)``."""
    pytest.importorskip("mpi4py", reason=MPI_REASON)
    import minigrad.distributed as dist

    created = not dist.is_initialized()
    if created:
        dist.init_process_group()
    yield dist.get_rank(), dist.get_world_size()
    if created and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if not rep.failed:
        return
    import minigrad.distributed as dist

    if dist.is_initialized() and dist.get_world_size() > 1:
        from mpi4py import MPI

        sys.stderr.write(
            f"\n[rank {dist.get_rank()}] {rep.nodeid} failed ({rep.when}); aborting the job:\n"
            f"{rep.longreprtext}\n"
        )
        sys.stderr.flush()
        MPI.COMM_WORLD.Abort(1)
