"""The instructor loop on top of nbgrader: collect, generate, normalize, execute, record, export, report.

:func:`grade` runs the steps in order, each a module of its own that knows
nothing of this one (see ``autograder/README.md``): :mod:`~autograder.collect`,
:meth:`~autograder.nbgrader_runner.Nbgrader.generate`,
:mod:`~autograder.normalize`, :mod:`~autograder.chunk_grading` (one process)
or :mod:`~autograder.parallel` with :mod:`~autograder.record_grades` (dask),
:mod:`~autograder.feedback`, :mod:`~autograder.export` and
:mod:`~autograder.report`. The instructor folder (submissions, autograded
copies, feedback, the gradebook, the CSVs) is ``instructor/`` unless another
is given.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import incremental, sandbox
from .chunk_grading import grade_chunk
from .collect import collect
from .export import export_summary, read_scores, write_task_csv
from .feedback import place_feedback
from .layout import DEFAULT_INSTRUCTOR, ids_path
from .lms_export import TermSetup
from .nbgrader_runner import Nbgrader
from .normalize import normalize_submissions
from .overrides import apply as apply_overrides
from .parallel import grade_in_parallel
from .progress import watch_instructor
from .records import Failure, Notice, Rejected, TaskScore
from .secret import course_secret
from .students import StudentIds


class SandboxUnavailable(RuntimeError):
    """Grading would run strangers' code unconfined: refused, with what to install."""


def require_sandbox() -> None:
    """Refuse to grade unless the sandbox works here or the instructor switched it off (``BACKPROP_SANDBOX=0``)."""
    if sandbox.unsafe_allowed():
        return
    ok, why = sandbox.availability()
    if not ok:
        raise SandboxUnavailable(
            f"grading runs students' code, and only inside a sandbox: {why}. To grade code you trust without "
            "one, pass --unsafe-no-sandbox (or set BACKPROP_SANDBOX=0).")


def unaccounted(by_lesson: dict[str, list[str]], ids: StudentIds, scores: list[TaskScore],
                rejected: list[Rejected], failures: list[Failure]) -> list[Failure]:
    """A :class:`Failure` for every collected notebook that ended with no grade, no rejection and no failure."""
    seen = {(r.student, r.lesson) for r in scores} | {(r.student, r.lesson) for r in rejected}
    failed = {(f.student, f.lesson) for f in failures} | {(f.student, "*") for f in failures}
    out = []
    for lesson, students in sorted(by_lesson.items()):
        for student_id in students:
            name = ids.name(student_id)
            if (name, lesson) not in seen and (name, lesson) not in failed and (name, "*") not in failed:
                out.append(Failure(name, lesson, "grade", "no grade, rejection or failure was recorded for this "
                                                          "notebook (see logs/nbgrader.log)"))
    return out


@dataclass
class GradeRun:
    """What one grading run produced."""

    instructor: Path
    scores: list[TaskScore]
    rejected: list[Rejected]
    csv_path: Path
    summary_csv: Path
    #: seconds per phase: collect, generate, then execute and feedback (serial) or
    #: "execute and feedback" and record (parallel), then export
    timings: dict[str, float] = field(default_factory=dict)
    #: structural repairs made to submissions (deleted or edited course cells, ...), by (student, lesson)
    repairs: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    #: the grader's own failures (tried twice), apart from rejections: the run is not complete
    failures: list[Failure] = field(default_factory=list)
    #: remarks on graded submissions (a second notebook in a lesson folder, ...)
    notices: list[Notice] = field(default_factory=list)


def grade(submissions: Path, instructor: Path = DEFAULT_INSTRUCTOR, cell_timeout: int | None = None,
          workers: int | None = None, scheduler: str | None = None, progress: bool = True,
          full: bool = False, roster: Path | None = None, due: Path | None = None) -> GradeRun:
    """Autograde a folder of submissions, write feedback and CSVs.

    ``submissions`` is laid out ``<student>/<lesson>/<lesson>.ipynb``.
    ``workers`` (default: the core count) dask workers execute the notebooks
    (see :mod:`autograder.parallel`); ``workers=1`` runs plain nbgrader in the
    instructor folder. Either way the grades are the same. Only what changed
    is executed (:mod:`autograder.incremental`, decided by content); ``full``
    executes every notebook.

    Every student in ``submissions`` ends graded (``scores``), rejected with a
    reason of their own (``rejected``), or in ``failures``: the grader's own
    failures, each tried twice, after which the rest of the class is still
    graded and every CSV written. ``roster`` and ``due`` (default:
    ``instructor/roster.csv``, ``instructor/term.toml`` where they exist) add
    the roster-keyed, late-penalised exports (:mod:`autograder.lms_export`).
    """
    from tqdm.auto import tqdm

    require_sandbox()
    course_secret(create=True)  # the hidden inputs' secret: made on the first grading run, kept for regrades
    term = TermSetup.load(instructor, roster, due)  # a roster or due-date file that cannot be read stops us here
    instructor.mkdir(parents=True, exist_ok=True)
    workers = workers or os.cpu_count() or 1
    runner = Nbgrader(instructor, cell_timeout)
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(phase: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[phase] = now - clock
        clock = now

    found = collect(submissions, instructor)
    ids = StudentIds.load(ids_path(instructor))
    ids.by_name.update(found.ids.by_name)
    ids.save(ids_path(instructor))
    # only what changed runs (decided by content; full=True: everything); the rest keeps its grade
    regrade = incremental.plan(instructor, found.by_lesson, ids, cell_timeout, full)
    regrade.hold()
    by_lesson, rejected, failures = regrade.todo, list(found.rejected), []
    lap("collect")
    repairs: dict[tuple[str, str], list[str]] = {}
    if by_lesson:
        # records the source cells (with hidden tests) in this gradebook, without touching course/
        runner.generate(sorted(by_lesson), release_dir=instructor / "release")
        repairs, unprepared = normalize_submissions(instructor, by_lesson)
        rejected += unprepared
    (instructor / "logs").mkdir(parents=True, exist_ok=True)
    with open(instructor / "logs" / "repairs.log", "w", errors="replace") as fh:
        for (student, lesson), notes in sorted(repairs.items()):
            fh.writelines(f"{ids.name(student)} {lesson}: {note}\n" for note in notes)
    lap("generate")
    total = sum(len(s) for s in by_lesson.values())
    students = sorted({s for group in by_lesson.values() for s in group})
    with tqdm(total=total, desc="grading", unit="notebook", disable=not progress or total == 0) as bar:
        if workers == 1 and students:
            with watch_instructor(instructor, by_lesson, bar.update):  # the bar moves as each notebook is done
                result = grade_chunk(runner, students, tuple(sorted(by_lesson)))
            rejected += result.rejected
            failures += result.failures
            lap("execute and feedback")
        elif students:
            result = grade_in_parallel(instructor, by_lesson, workers, cell_timeout, scheduler, bar.update, timings)
            rejected += result.rejected
            failures += result.failures
            clock = time.perf_counter()
        retries = result.retries if students else []
    regrade.restore()
    with open(instructor / "logs" / "retries.log", "w", errors="replace") as fh:
        fh.writelines(f"{line}\n" for line in retries)
    graded = {(s, lesson) for s, lesson in runner.autograded() if s in students}
    place_feedback(instructor, ids, graded)
    failures += apply_overrides(instructor, ids)  # the instructor's scores, kept across regrades
    rejected = [Rejected(ids.name(r.student), r.lesson, r.reason) for r in rejected]
    failures = [Failure(ids.name(f.student), f.lesson, f.stage, f.reason) for f in failures]
    try:
        scores = read_scores(instructor, ids)
    except Exception as exc:  # noqa: BLE001 - the gradebook is the grader's: its failure is reported, not a crash
        scores, failures = [], failures + [Failure("", "", "gradebook", f"{type(exc).__name__}: {exc}"[:300])]
    dropped = {(r.student, r.lesson) for r in rejected}  # nbgrader may have made rows before it failed
    scores = [r for r in scores if (r.student, r.lesson) not in dropped]
    regrade.remember(ids, scores, rejected, failures)
    failures += unaccounted(regrade.everyone, ids, scores, rejected, failures)
    csv_path = instructor / "grades_by_exercise.csv"
    write_task_csv(scores, csv_path)
    summary_csv = instructor / "grades.csv"
    try:
        export_summary(instructor, summary_csv, ids, dropped)
    except Exception as exc:  # noqa: BLE001
        failures.append(Failure("", "", "export", f"nbgrader export failed: {str(exc)[:300]}"))
    from .report import write_report  # loaded here: its imports (the preprocessors, the checks) are heavy

    late = term.export(instructor, scores, rejected, failures, found)  # roster-keyed CSVs, late penalties
    failures += write_report(instructor, scores, rejected, failures, found.notices, late)
    lap("export")
    return GradeRun(instructor, scores, rejected, csv_path, summary_csv, timings,
                    {(ids.name(s), lesson): notes for (s, lesson), notes in repairs.items()}, failures, found.notices)
