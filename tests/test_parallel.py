"""On a dask cluster, does a chunk whose task dies cost only its own students, and only after a second try?

And: are chunks small enough that a lost worker redoes little, does every
attempt of a chunk get a workspace of its own, does progress move per
notebook, and does nbgrader die with the process that started it?
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograder import parallel
from autograder.chunk_grading import ChunkResult
from autograder.progress import NotebookWatch


@pytest.fixture(scope="module")
def client():
    from dask.distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0", silence_logs=40)
    with Client(cluster) as c:
        yield c
    cluster.close()


#: How often each chunk's task ran (the tasks run in this process: the cluster's workers are threads).
TRIES: dict[int, int] = {}
ONCE, NEVER = 1, 2


def flaky(work: parallel.Chunk):
    """A chunk task that dies on its first run for chunk ONCE, and on every run for chunk NEVER."""
    TRIES[work.index] = TRIES.get(work.index, 0) + 1
    if work.index == NEVER or (work.index == ONCE and TRIES[work.index] == 1):
        raise RuntimeError(f"worker lost while running chunk {work.index}")
    return SimpleNamespace(instructor=f"workspace of {work.index}"), ChunkResult(notebooks=len(work.students))


def test_a_task_that_dies_once_is_run_again_and_one_that_always_dies_fails_only_its_students(client, monkeypatch,
                                                                                                tmp_path):
    TRIES.clear()
    monkeypatch.setattr(parallel, "execute_chunk", flaky)
    recorded: list[str] = []
    monkeypatch.setattr(parallel, "take_in", lambda instructor, workspace: recorded.append(workspace) or [])
    chunks = [parallel.Chunk(i, group, tmp_path, tmp_path / "lessons.db") for i, group in
              enumerate([["a"], ["b", "c"], ["d"]])]
    expected = {(s, "L") for s in "abcd"}
    seen: list[int] = []
    watch = NotebookWatch(tmp_path, "none/*", expected, seen.append)
    result, finished = parallel.run_chunks(client, chunks, watch)
    assert TRIES == {0: 1, ONCE: 2, NEVER: 2}
    assert sorted(ws.instructor for ws in finished) == sorted(recorded) == ["workspace of 0", "workspace of 1"], \
        "only attempts that finished are recorded"
    assert [(f.student, f.stage) for f in result.failures] == [("d", "execute")]
    assert "failed twice" in result.failures[0].reason and "worker lost" in result.failures[0].reason
    assert sum(seen) == 1, "the failed student counted as done as soon as its chunk gave up"
    assert sorted(r.split(":")[0] for r in result.retries) == ["chunk 1 (b, c)", "chunk 2 (d)"], "the log says what ran again"


def test_each_attempt_of_a_chunk_grades_in_a_fresh_workspace_of_its_own(tmp_path):
    (tmp_path / "submitted" / "ann").mkdir(parents=True)
    (tmp_path / "workers").mkdir()
    lessons = tmp_path / "workers" / "lessons.db"
    lessons.write_bytes(b"lessons")
    work = parallel.Chunk(3, ["ann"], tmp_path, lessons)
    first, second = work.start_attempt(), work.start_attempt()
    assert [first.instructor.name, second.instructor.name] == ["w003-try1", "w003-try2"]
    for ws in (first.instructor, second.instructor):
        assert (ws / "submitted" / "ann").resolve() == (tmp_path / "submitted" / "ann").resolve()
        assert (ws / "gradebook.db").read_bytes() == b"lessons"
    assert first.extra_env["BACKPROP_DB_URL"] != second.extra_env["BACKPROP_DB_URL"], "never one gradebook"


def test_chunks_balance_notebooks_and_never_lose_a_student():
    students = [f"s{i}" for i in range(13)]
    chunks = parallel.chunk(students, 2, {"s0": 5})
    assert sorted(s for c in chunks for s in c) == sorted(students) and len(chunks) == 4


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(1, 9), min_size=1, max_size=300), st.integers(1, 8))
def test_a_big_class_is_cut_small_so_a_lost_worker_redoes_little(weights, workers):
    students = [f"s{i:03d}" for i in range(len(weights))]
    w = dict(zip(students, weights))
    chunks = parallel.chunk(students, workers, w)
    assert sorted(s for c in chunks for s in c) == students
    loads = [sum(w[s] for s in c) for c in chunks]
    assert max(loads) <= parallel.NOTEBOOKS_PER_CHUNK - 1 + max(weights), "no chunk much over the size"
    assert len(chunks) >= min(len(students), workers * parallel.CHUNKS_PER_WORKER), "every worker has work"


def test_progress_counts_each_notebook_once_as_it_is_written_and_never_an_older_one(tmp_path):
    old = tmp_path / "w000-try1" / "autograded" / "old" / "L" / "L.ipynb"
    old.parent.mkdir(parents=True)
    old.write_text("{}")
    os.utime(old, (time.time() - 3600, time.time() - 3600))
    seen: list[int] = []
    expected = {("ann", "L"), ("bob", "L"), ("old", "L"), ("cat", "L")}
    with NotebookWatch(tmp_path, "w*/autograded/*/*/*.ipynb", expected, seen.append, every=0.05) as watch:
        for attempt, student in [("w001-try1", "ann"), ("w001-try2", "ann"), ("w002-try1", "bob")]:
            path = tmp_path / attempt / "autograded" / student / "L" / "L.ipynb"
            path.parent.mkdir(parents=True)
            path.write_text("{}")
            time.sleep(0.3)
        assert sum(seen) == 2 and watch.seen == {("ann", "L"), ("bob", "L")}, "ann's second attempt is not counted"
        watch.mark([("cat", "*")])
        assert sum(seen) == 3
    assert sum(seen) == 4, "at the end every notebook has an outcome"


PARENT = """
import sys
from autograder.nbgrader_runner import run_bound
run_bound([sys.executable, "-c", "import time; time.sleep(300)"])
"""


def state(pid: int) -> str:
    """A process's state letter (``Z``: dead, not yet reaped), or ``gone``."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return "gone"


def test_a_command_dies_with_the_process_that_started_it():
    """A killed worker's nbgrader must not go on as an orphan: it is killed with its parent (PR_SET_PDEATHSIG)."""
    parent = subprocess.Popen([sys.executable, "-c", PARENT])
    try:
        deadline, children = time.time() + 30, []
        while not children and time.time() < deadline:
            time.sleep(0.1)
            children = Path(f"/proc/{parent.pid}/task/{parent.pid}/children").read_text().split()
        child = int(children[0])
        assert os.getpgid(child) == child, "the command leads a process group of its own"
    finally:
        parent.send_signal(signal.SIGKILL)
        parent.wait()
    deadline = time.time() + 10
    while state(child) not in ("Z", "gone") and time.time() < deadline:
        time.sleep(0.05)
    assert state(child) in ("Z", "gone"), "the command outlived the process that started it"
