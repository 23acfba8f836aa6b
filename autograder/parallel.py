"""Grade many students at once without sharing a gradebook between processes.

nbgrader executes one notebook at a time and keeps one gradebook; two
nbgrader processes writing one SQLite file fail with "database is locked".
So grading is split in two:

1. **Execute and write feedback, in parallel.** The students are cut into
   chunks; each chunk is one task, run by a dask worker (a ``LocalCluster`` by
   default, or any dask scheduler: the tasks only need the shared filesystem).
   A task runs a plain ``nbgrader autograde "*"`` and then ``nbgrader
   generate_feedback "*"`` inside its own workspace
   ``instructor/workers/<chunk>/``: its own ``submitted/`` (links to the
   chunk's students), its own ``autograded/`` and its own SQLite gradebook,
   copied from the main one (or, when that is not SQLite, its lessons' rows).
   Nothing is shared, so nothing is locked. Each student's feedback then
   moves to ``instructor/feedback``.
2. **Record, serially** (:mod:`autograder.record_grades`). One ``nbgrader
   autograde "*"`` in record-only mode (``BACKPROP_RECORD_ONLY=1``, see
   ``nbgrader_config.py``) reads the executed notebooks of every workspace and
   writes their scores into the main gradebook: no kernel starts, so this pass
   is short, and the main gradebook has exactly one writer.

Nothing a chunk does stops the others (:mod:`autograder.chunk_grading`): a
notebook nbgrader cannot process is tried again alone, a chunk whose task
fails (a worker died, say) is submitted once more, and what still fails is
reported as the grader's failure for exactly that chunk's students.

The grades equal a serial run's: the same notebooks run with the same
per-student hidden inputs (seeded from the student id, see
:func:`backprop_lib.exercises.hidden_rng`), and nbgrader computes the scores.
"""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Callable

from .chunk_grading import ChunkResult, grade_chunk
from .layout import gradebook_url
from .nbgrader_runner import Nbgrader
from .record_grades import copy_lessons, record
from .records import Failure

#: Chunks per worker: more chunks give a smoother progress bar and balance
#: uneven students, fewer save nbgrader's start-up (about 5 s per command).
CHUNKS_PER_WORKER = 2


def chunk(students: list[str], workers: int, weights: dict[str, int] | None = None) -> list[list[str]]:
    """Cut ``students`` into at most ``workers * CHUNKS_PER_WORKER`` chunks of near-equal work.

    ``weights`` gives each student's number of notebooks (default 1); the
    heaviest students are placed first, each into the lightest chunk so far.
    """
    if not students:
        return []
    weights = weights or {}
    n = min(len(students), max(1, workers) * CHUNKS_PER_WORKER)
    chunks: list[list[str]] = [[] for _ in range(n)]
    load = [0] * n
    for student in sorted(students, key=lambda s: (-weights.get(s, 1), s)):
        lightest = load.index(min(load))
        chunks[lightest].append(student)
        load[lightest] += weights.get(student, 1)
    return [sorted(c) for c in chunks if c]


def prepare_workspace(instructor: Path, index: int, students: list[str], lessons: list[str],
                      cell_timeout: int | None) -> Nbgrader:
    """Make ``instructor/workers/w<index>`` with links to the students' submissions and a gradebook."""
    ws = instructor / "workers" / f"w{index:03d}"
    if ws.exists():
        shutil.rmtree(ws, ignore_errors=True)
    (ws / "submitted").mkdir(parents=True)
    for student in students:
        (ws / "submitted" / student).symlink_to((instructor / "submitted" / student).resolve())
    runner = Nbgrader(ws, cell_timeout, {"BACKPROP_DB_URL": f"sqlite:///{ws / 'gradebook.db'}"})
    main = gradebook_url(instructor)
    if main.startswith("sqlite:///"):
        shutil.copy(main.removeprefix("sqlite:///"), ws / "gradebook.db")
    else:  # PostgreSQL: the main gradebook's lesson rows, not a generate_assignment per workspace
        copy_lessons(main, ws / "gradebook.db")
    return runner


def execute_chunk(runner: Nbgrader, students: list[str]) -> ChunkResult:
    """Autograde every submission in a workspace, then write its feedback (see :func:`grade_chunk`).

    The workspace's own gradebook holds the grades the feedback shows, the
    same the record pass later writes into the main one.
    """
    return grade_chunk(runner, students)


def collect_feedback(instructor: Path, workspaces: list[Nbgrader]) -> None:
    """Move each workspace's feedback to ``instructor/feedback/<student>`` (a student is in one workspace)."""
    for ws in workspaces:
        if not (ws.instructor / "feedback").exists():
            continue
        for student_dir in (ws.instructor / "feedback").iterdir():
            for lesson_dir in student_dir.iterdir():
                dest = instructor / "feedback" / student_dir.name / lesson_dir.name
                shutil.rmtree(dest, ignore_errors=True)
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(lesson_dir, dest)


def run_chunks(client, runners: list[Nbgrader], groups: list[list[str]],
               progress: Callable[[int], None] | None) -> ChunkResult:
    """Run every chunk on the cluster; a chunk whose task fails is submitted once more, then counted failed."""
    from dask.distributed import as_completed

    total = ChunkResult()
    tries = {i: 0 for i in range(len(runners))}
    futures = {client.submit(execute_chunk, r, g, pure=False): i for i, (r, g) in enumerate(zip(runners, groups))}
    pending = as_completed(list(futures))
    for future in pending:
        i = futures[future]
        try:
            result = future.result()
        except Exception as exc:  # noqa: BLE001 - a worker that died or a task that raised costs its chunk only
            tries[i] += 1
            if tries[i] < 2:
                again = client.submit(execute_chunk, runners[i], groups[i], pure=False)
                futures[again] = i
                pending.add(again)
                continue
            total.failures += [Failure(s, "*", "execute", f"the chunk's task failed twice: {type(exc).__name__}: "
                                                          f"{str(exc)[:200]}") for s in groups[i]]
            result = ChunkResult(notebooks=len(groups[i]))
        total.notebooks += result.notebooks
        total.rejected += result.rejected
        total.failures += result.failures
        total.retries += result.retries
        if progress:
            progress(result.notebooks)
    return total


def grade_in_parallel(instructor: Path, by_lesson: dict[str, list[str]], workers: int,
                      cell_timeout: int | None = None, scheduler: str | None = None,
                      progress: Callable[[int], None] | None = None,
                      timings: dict[str, float] | None = None) -> ChunkResult:
    """Execute all submissions and write their feedback on ``workers`` dask workers, then record them serially.

    ``by_lesson`` maps each lesson to the students (grading ids) who
    submitted it (all of them must already be in ``instructor/submitted``).
    ``scheduler`` is the address of a running dask scheduler; by default a
    ``LocalCluster`` of ``workers`` single-threaded workers is started and
    stopped here. ``progress`` is called with the number of notebooks each
    finished chunk ran. ``timings`` (if given) receives the seconds spent
    executing (with feedback) and recording. Returns the submissions rejected
    and the grader's failures (a cluster that cannot be reached fails every
    student, with the reason); the rest are graded.
    """
    import time

    from dask.distributed import Client, LocalCluster

    students = sorted({s for group in by_lesson.values() for s in group})
    notebooks = {s: sum(s in group for group in by_lesson.values()) for s in students}
    lessons = sorted(by_lesson)
    groups = chunk(students, workers, notebooks)
    runners = [prepare_workspace(instructor, i, group, lessons, cell_timeout) for i, group in enumerate(groups)]
    if not runners:
        return ChunkResult()
    start = time.perf_counter()
    cluster = client = None
    try:
        if scheduler is None:
            # each task waits on an nbgrader subprocess, so thread workers are enough
            # (and need no __main__ guard in the caller, unlike process workers)
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=False,
                                   dashboard_address=":0", silence_logs=40)
        client = Client(scheduler or cluster, timeout="30s")
        result = run_chunks(client, runners, groups, progress)
    except Exception as exc:  # noqa: BLE001 - no cluster: every student is the grader's failure, with the reason
        result = ChunkResult(failures=[Failure(s, "*", "execute", f"the dask cluster failed: {type(exc).__name__}: "
                                                                   f"{str(exc)[:200]}") for s in students])
    finally:
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()
    collect_feedback(instructor, runners)
    executed = time.perf_counter()
    recorded = record(instructor, runners, cell_timeout)
    result.failures += recorded.failures
    result.retries += recorded.retries
    if timings is not None:
        timings["execute and feedback"] = executed - start
        timings["record"] = time.perf_counter() - executed
    return result
