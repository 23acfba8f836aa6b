"""On a dask cluster, does a chunk whose task dies cost only its own students, and only after a second try?"""
from __future__ import annotations

import pytest

from autograder import parallel
from autograder.chunk_grading import ChunkResult


@pytest.fixture(scope="module")
def client():
    from dask.distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0", silence_logs=40)
    with Client(cluster) as c:
        yield c
    cluster.close()


#: How often each chunk's task ran (the tasks run in this process: the cluster's workers are threads).
TRIES: dict[str, int] = {}


def flaky(runner, students):
    """A chunk task that dies on its first run for chunk "once", and on every run for chunk "never"."""
    TRIES[runner] = TRIES.get(runner, 0) + 1
    if runner == "never" or (runner == "once" and TRIES[runner] == 1):
        raise RuntimeError(f"worker lost while running {runner}")
    return ChunkResult(notebooks=len(students))


def test_a_task_that_dies_once_is_run_again_and_one_that_always_dies_fails_only_its_students(client, monkeypatch):
    TRIES.clear()
    tries = TRIES
    monkeypatch.setattr(parallel, "execute_chunk", flaky)
    seen = []
    result = parallel.run_chunks(client, ["fine", "once", "never"], [["a"], ["b", "c"], ["d"]], seen.append)
    assert tries == {"fine": 1, "once": 2, "never": 2}
    assert [(f.student, f.stage) for f in result.failures] == [("d", "execute")]
    assert "failed twice" in result.failures[0].reason and "worker lost" in result.failures[0].reason
    assert sorted(seen) == [1, 1, 2], "every chunk's notebooks are counted once, failed or not"


def test_chunks_balance_notebooks_and_never_lose_a_student():
    students = [f"s{i}" for i in range(13)]
    chunks = parallel.chunk(students, 2, {"s0": 5})
    assert sorted(s for c in chunks for s in c) == sorted(students) and len(chunks) == 4
