"""Grade many students at once without sharing a gradebook between processes.

nbgrader executes one notebook at a time and keeps one gradebook; two
nbgrader processes writing one SQLite file fail with "database is locked".
So grading is split in two:

1. **Execute and write feedback, in parallel.** The students are cut into
   chunks; each chunk is one task, run by a dask worker (a ``LocalCluster`` by
   default, or any dask scheduler: the tasks only need the shared filesystem).
   A task runs a plain ``nbgrader autograde "*"`` and then ``nbgrader
   generate_feedback "*"``, both in one process
   (:mod:`autograder.nbgrader_steps`), inside a workspace of its own, made by the task
   itself when it starts: ``instructor/workers/w<chunk>-try<n>/``, with its
   own ``submitted/`` (links to the chunk's students), its own
   ``autograded/`` and its own SQLite gradebook, a copy of the lessons'
   gradebook made once per run (the main one, or when that is not SQLite,
   its lessons' rows). Nothing is shared, so nothing is locked. Each attempt
   has its own workspace: a chunk run again (dask reschedules a task whose
   worker died; :func:`run_chunks` submits a failed one once more) never
   shares a folder or a gradebook with an earlier attempt, and only the
   attempt that finished is read.
2. **Record, as each chunk ends** (:mod:`autograder.record_grades`). The
   grading process copies the chunk's grades from its workspace's gradebook
   into the main one through nbgrader's API, and moves its autograded
   notebooks and feedback pages into the instructor folder, while the other
   chunks still run. Only that process writes the main gradebook, one chunk
   at a time, so it has exactly one writer; it costs milliseconds a notebook.

Nothing a chunk does stops the others (:mod:`autograder.chunk_grading`): a
notebook nbgrader cannot process is tried again alone, a chunk whose task
fails (a worker died, say) is submitted once more, and what still fails is
reported as the grader's failure for exactly that chunk's students. A
worker that dies takes its nbgrader with it (:mod:`autograder.nbgrader_runner`),
so no orphan goes on writing into an abandoned workspace.

Chunks are small (:data:`NOTEBOOKS_PER_CHUNK`, 24 notebooks), so a lost worker
redoes little, and progress is counted per notebook as the workspaces'
``autograded/`` folders fill (:mod:`autograder.progress`).

The grades equal a serial run's: the same notebooks run with the same
per-student hidden inputs (seeded from the student id, see
:func:`backprop_lib.exercises.hidden_rng`), and nbgrader computes the scores.
"""
from __future__ import annotations

import itertools
import math
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .chunk_grading import ChunkResult, grade_chunk
from .layout import gradebook_url, move_folder
from .nbgrader_runner import Nbgrader
from .progress import NotebookWatch
from .record_grades import copy_lessons, record
from .records import Failure

#: Chunks per worker, at least: a smaller class is still cut so that the workers share it evenly.
CHUNKS_PER_WORKER = 2
#: Notebooks per chunk, at most (a student's notebooks stay in one chunk, so a student with more is one chunk);
#: ``BACKPROP_CHUNK_NOTEBOOKS`` sets another. A chunk pays one nbgrader start-up (autograde and feedback share
#: a process: 1 to 2 s, the imports of nbgrader and the grader), a third of a notebook's 4 to 5 s. 24 notebooks
#: keep that near 1% of a chunk's time, where 8 would cost 4% (the parallel run is already short of 1.9x the
#: serial one: benchmarks/README.md); a worker lost mid-chunk redoes at most 24 notebooks, under two minutes
#: of one core, where 2 chunks per worker made it half the class.
#: Progress does not depend on it: it moves per notebook (:mod:`autograder.progress`).
NOTEBOOKS_PER_CHUNK = int(os.environ.get("BACKPROP_CHUNK_NOTEBOOKS", "24"))


def chunk(students: list[str], workers: int, weights: dict[str, int] | None = None) -> list[list[str]]:
    """Cut ``students`` into chunks of near-equal work, of about :data:`NOTEBOOKS_PER_CHUNK` notebooks at most.

    ``weights`` gives each student's number of notebooks (default 1). There
    are at least ``workers * CHUNKS_PER_WORKER`` chunks (never more than
    students); the heaviest students are placed first, each into the
    lightest chunk so far.
    """
    if not students:
        return []
    weights = weights or {}
    work = sum(weights.get(s, 1) for s in students)
    n = min(len(students), max(max(1, workers) * CHUNKS_PER_WORKER, math.ceil(work / NOTEBOOKS_PER_CHUNK)))
    chunks: list[list[str]] = [[] for _ in range(n)]
    load = [0] * n
    for student in sorted(students, key=lambda s: (-weights.get(s, 1), s)):
        lightest = load.index(min(load))
        chunks[lightest].append(student)
        load[lightest] += weights.get(student, 1)
    return [sorted(c) for c in chunks if c]


@dataclass
class Chunk:
    """One task's work: grade ``students`` in a workspace of their own under ``instructor/workers``."""

    index: int
    students: list[str]
    instructor: Path
    #: the gradebook with the lessons and no student, copied into every attempt's workspace
    lessons_db: Path
    cell_timeout: int | None = None

    def start_attempt(self) -> Nbgrader:
        """A new workspace ``workers/w<index>-try<n>`` (the first free ``n``: made atomically) with its gradebook."""
        for attempt in itertools.count(1):
            ws = self.instructor / "workers" / f"w{self.index:03d}-try{attempt}"
            try:
                ws.mkdir()
            except FileExistsError:  # an earlier attempt's, perhaps still being written: never shared
                continue
            break
        (ws / "submitted").mkdir()
        for student in self.students:
            (ws / "submitted" / student).symlink_to((self.instructor / "submitted" / student).resolve())
        shutil.copy(self.lessons_db, ws / "gradebook.db")
        return Nbgrader(ws, self.cell_timeout, {"BACKPROP_DB_URL": f"sqlite:///{ws / 'gradebook.db'}"})


def lessons_gradebook(instructor: Path) -> Path:
    """``instructor/workers/lessons.db``: the main gradebook's lessons in SQLite, for the workspaces to copy."""
    dest = instructor / "workers" / "lessons.db"
    main = gradebook_url(instructor)
    if main.startswith("sqlite:///"):
        shutil.copy(main.removeprefix("sqlite:///"), dest)
    else:  # PostgreSQL: the main gradebook's lesson rows, not a generate_assignment per workspace
        copy_lessons(main, dest)
    return dest


def execute_chunk(work: Chunk) -> tuple[Nbgrader, ChunkResult]:
    """Run on a worker: autograde the chunk in a new workspace, then write its feedback (see :func:`grade_chunk`).

    Returns the workspace (the grading process records it) and what grading gave.
    The workspace's own gradebook holds the grades the feedback shows, the
    same :func:`autograder.record_grades.record` later copies into the main one.
    """
    runner = work.start_attempt()
    return runner, grade_chunk(runner, work.students)


def take_in(instructor: Path, workspace: Path) -> list[Failure]:
    """Record a finished workspace's grades and autograded notebooks, and move their feedback pages, into ``instructor``.

    Only the pages of notebooks whose grades were recorded move; returns the
    notebooks that could not be recorded.
    """
    recorded, failures = record(instructor, workspace)
    for student, lesson in recorded:
        page = workspace / "feedback" / student / lesson
        if page.is_dir():
            move_folder(page, instructor / "feedback" / student / lesson)
    return failures


def run_chunks(client, chunks: list[Chunk], watch: NotebookWatch | None = None,
               timings: dict[str, float] | None = None) -> tuple[ChunkResult, list[Nbgrader]]:
    """Run every chunk on the cluster, recording each as it ends; a chunk whose task fails is submitted once more.

    A chunk that fails twice is counted failed. Returns what the chunks gave
    and the workspaces of the attempts that finished (one per chunk that did).
    ``watch`` (if given) is told each chunk's rejected and failed notebooks as
    the chunk ends; ``timings["record"]`` (if given) sums the seconds spent
    recording.
    """
    from dask.distributed import as_completed

    total = ChunkResult()
    finished: list[Nbgrader] = []
    tries = {i: 0 for i in range(len(chunks))}
    futures = {client.submit(execute_chunk, c, pure=False): i for i, c in enumerate(chunks)}
    pending = as_completed(list(futures))
    for future in pending:
        i = futures[future]
        try:
            runner, result = future.result()
            finished.append(runner)
        except Exception as exc:  # noqa: BLE001 - a worker that died or a task that raised costs its chunk only
            tries[i] += 1
            if tries[i] < 2:
                total.retries.append(f"chunk {i} ({', '.join(chunks[i].students)}): its task failed "
                                     f"({type(exc).__name__}: {str(exc)[:200]}): submitted again")
                again = client.submit(execute_chunk, chunks[i], pure=False)
                futures[again] = i
                pending.add(again)
                continue
            result = ChunkResult(failures=[Failure(s, "*", "execute", f"the chunk's task failed twice: "
                                                   f"{type(exc).__name__}: {str(exc)[:200]}")
                                           for s in chunks[i].students])
        else:
            started = time.perf_counter()
            try:
                result.failures += take_in(chunks[i].instructor, runner.instructor)
            except Exception as exc:  # noqa: BLE001 - the main gradebook failed: the chunk's grader failure
                result.failures += [Failure(s, "*", "record", f"the chunk's grades could not be recorded: "
                                                              f"{type(exc).__name__}: {str(exc)[:200]}")
                                    for s in chunks[i].students]
            if timings is not None:
                timings["record"] = timings.get("record", 0.0) + time.perf_counter() - started
        total.notebooks += result.notebooks
        total.rejected += result.rejected
        total.failures += result.failures
        total.retries += result.retries
        if watch is not None:
            watch.mark([(r.student, r.lesson) for r in result.rejected]
                       + [(f.student, f.lesson) for f in result.failures])
    return total, finished


def abandoned_attempts(instructor: Path, finished: list[Nbgrader]) -> list[str]:
    """A line for every workspace whose attempt did not finish (its worker died, say): never read, kept to look at."""
    used = {ws.instructor.name for ws in finished}
    out = []
    for ws in sorted((instructor / "workers").glob("w*-try*")):
        if ws.name not in used:
            again = sorted(w.name for w in ws.parent.glob(f"{ws.name.split('-try')[0]}-try*") if w.name in used)
            out.append(f"{ws.name}: this attempt did not finish (its worker died or its task failed) and was "
                       f"not used; {', '.join(again) or 'no other attempt'} graded its students")
    return out


def grade_in_parallel(instructor: Path, by_lesson: dict[str, list[str]], workers: int,
                      cell_timeout: int | None = None, scheduler: str | None = None,
                      progress: Callable[[int], None] | None = None,
                      timings: dict[str, float] | None = None) -> ChunkResult:
    """Execute all submissions and write their feedback on ``workers`` dask workers, then record them serially.

    ``by_lesson`` maps each lesson to the students (grading ids) who
    submitted it (all of them must already be in ``instructor/submitted``).
    ``scheduler`` is the address of a running dask scheduler; by default a
    ``LocalCluster`` of ``workers`` single-threaded workers is started and
    stopped here. ``progress`` is called with the number of notebooks done
    since its last call, as each is written. ``timings`` (if given) receives
    the seconds spent executing (with feedback) and recording. Returns the
    submissions rejected and the grader's failures (a cluster that cannot be
    reached fails every student, with the reason); the rest are graded.
    """
    from dask.distributed import Client, LocalCluster

    students = sorted({s for group in by_lesson.values() for s in group})
    if not students:
        return ChunkResult()
    notebooks = {s: sum(s in group for group in by_lesson.values()) for s in students}
    # a fresh workers/ folder: no workspace of an earlier run is ever read, or written into again
    shutil.rmtree(instructor / "workers", ignore_errors=True)
    (instructor / "workers").mkdir(parents=True)
    lessons_db = lessons_gradebook(instructor)
    chunks = [Chunk(i, group, instructor, lessons_db, cell_timeout)
              for i, group in enumerate(chunk(students, workers, notebooks))]
    expected = {(s, lesson) for lesson, group in by_lesson.items() for s in group}
    watch = NotebookWatch(instructor / "workers", "w*/autograded/*/*/*.ipynb", expected, progress).start()
    start = time.perf_counter()
    cluster = client = None
    finished: list[Nbgrader] = []
    try:
        if scheduler is None:
            # each task waits on an nbgrader subprocess, so thread workers are enough
            # (and need no __main__ guard in the caller, unlike process workers)
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=False,
                                   dashboard_address=":0", silence_logs=40)
        client = Client(scheduler or cluster, timeout="30s")
        result, finished = run_chunks(client, chunks, watch, timings)
    except Exception as exc:  # noqa: BLE001 - no cluster: every student is the grader's failure, with the reason
        result = ChunkResult(failures=[Failure(s, "*", "execute", f"the dask cluster failed: {type(exc).__name__}: "
                                                                   f"{str(exc)[:200]}") for s in students])
    finally:
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()
        watch.finish()
    result.retries += abandoned_attempts(instructor, finished)
    if timings is not None:
        timings["execute and feedback"] = time.perf_counter() - start
    return result
