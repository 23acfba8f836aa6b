"""The instructor loop on top of nbgrader: generate, collect, autograde, feedback, export.

Every step runs nbgrader from the repository root, so ``nbgrader_config.py``
applies; the instructor folder (submissions, autograded copies, feedback, the
gradebook, the CSVs) is ``instructor/`` unless another is given.
"""
from __future__ import annotations

import csv
import re
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from . import sandbox
from .secret import course_secret, secret_path

REPO = Path(__file__).resolve().parent.parent
SOLUTIONS = REPO / "solutions"
COURSE = REPO / "course"
DEFAULT_INSTRUCTOR = REPO / "instructor"


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


class NbgraderError(RuntimeError):
    """An nbgrader command failed; the message ends with the tail of its log, ``log`` holds all of it."""

    def __init__(self, message: str, log: str = ""):
        super().__init__(message)
        self.log = log


@dataclass
class Rejected:
    """A submission that could not be graded, and why."""

    student: str
    lesson: str
    reason: str


FAILED = re.compile(r"There was an error processing assignment '([^']+)' for student '([^']+)'")
EXCEPTION = re.compile(r"^\s*(\w+(?:\.\w+)*(?:Error|Exception)\b.*)$", re.M)


def failed_submissions(log: str) -> list[Rejected]:
    """The submissions an nbgrader log reports as failed, each with the last exception before it."""
    out = []
    for m in FAILED.finditer(log):
        errors = EXCEPTION.findall(log[: m.start()])
        reason = errors[-1].strip() if errors else "nbgrader could not process it (see logs/nbgrader.log)"
        out.append(Rejected(m.group(2), m.group(1), f"grading failed: {reason}"[:300]))
    return out


def normalize_submissions(instructor: Path, by_lesson: dict[str, list[str]]) -> dict[tuple[str, str], list[str]]:
    """Rebuild every collected submission around its released notebook (see :mod:`autograder.sanitize`).

    Needs ``instructor/release`` (made by :meth:`Nbgrader.generate`). Returns
    the repairs made, by ``(student, lesson)``.
    """
    from .sanitize import normalize

    repairs = {}
    for lesson, students in by_lesson.items():
        released = nbformat.read(instructor / "release" / lesson / notebook_name(lesson), as_version=4)
        for student in students:
            path = instructor / "submitted" / student / lesson / notebook_name(lesson)
            nb, notes = normalize(nbformat.read(path, as_version=4), released)
            nbformat.write(nb, path)
            if notes:
                repairs[(student, lesson)] = notes
    return repairs


def lessons() -> list[str]:
    """Lesson ids (``01_derivatives``, ...) in order: the folders of ``solutions/`` holding their notebook."""
    return sorted(p.name for p in SOLUTIONS.iterdir()
                  if p.is_dir() and p.name[:2].isdigit() and (p / notebook_name(p.name)).exists())


def notebook_name(lesson: str) -> str:
    """The file name of a lesson's notebook: ``01_derivatives.ipynb``."""
    return f"{lesson}.ipynb"


def gradebook_url(instructor: Path) -> str:
    """The gradebook URL nbgrader uses for ``instructor`` (``BACKPROP_DB_URL`` overrides)."""
    return os.environ.get("BACKPROP_DB_URL", f"sqlite:///{instructor / 'gradebook.db'}")


@dataclass
class Nbgrader:
    """Runs nbgrader commands against one instructor folder, logging to ``instructor/logs``."""

    instructor: Path = DEFAULT_INSTRUCTOR
    cell_timeout: int | None = None
    #: extra environment for nbgrader_config.py (BACKPROP_DB_URL, BACKPROP_SUBMITTED_DIR, ...)
    extra_env: dict[str, str] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        # nbgrader runs `alembic` and kernels by PATH: put this interpreter's bin/ first
        path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
        env = dict(os.environ, PATH=path, BACKPROP_INSTRUCTOR_DIR=str(self.instructor),
                   BACKPROP_SECRET_FILE=str(secret_path()), PYTHONWARNINGS="ignore",
                   PYDEVD_DISABLE_FILE_VALIDATION="1")
        if self.cell_timeout is not None:
            env["BACKPROP_CELL_TIMEOUT"] = str(self.cell_timeout)
        env.update(self.extra_env)
        return env

    def run(self, *args: str, check: bool = True) -> str:
        """Run ``nbgrader ARGS`` from the repo root; return its log.

        With ``check`` (the default) a failure raises :class:`NbgraderError`.
        """
        self.instructor.mkdir(parents=True, exist_ok=True)
        proc = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=REPO, env=self.env(),
                              capture_output=True, text=True)
        log = proc.stdout + proc.stderr
        logs = self.instructor / "logs"
        logs.mkdir(exist_ok=True)
        with open(logs / "nbgrader.log", "a") as fh:
            fh.write(f"$ nbgrader {' '.join(args)}\n{log}\n")
        if proc.returncode != 0 and check:
            tail = "\n".join(log.splitlines()[-25:])
            raise NbgraderError(f"nbgrader {' '.join(args)} failed (exit {proc.returncode}):\n{tail}", log)
        return log

    def generate(self, lessons: list[str], release_dir: Path | None = None) -> None:
        """Generate the student version of ``lessons`` (into ``course/`` unless ``release_dir``).

        One nbgrader command for all of them (each command costs about 5 s to
        start): it globs a folder of links to just these lessons' sources.
        """
        links = self.instructor / "generate-sources"
        shutil.rmtree(links, ignore_errors=True)
        links.mkdir(parents=True)
        for lesson in lessons:
            (links / lesson).symlink_to(SOLUTIONS / lesson)
        args = ["generate_assignment", "*", "--force", f"--CourseDirectory.source_directory={links}"]
        if release_dir is not None:
            args.append(f"--CourseDirectory.release_directory={release_dir}")
        try:
            self.run(*args)
        except NbgraderError as exc:
            if "Cannot add or remove cells" in exc.log:
                changed = re.findall(r"Updating/creating assignment '([^']+)'", exc.log)
                which = changed[-1] if changed else "a lesson"
                raise NbgraderError(
                    f"{which} changed since its submissions in {self.instructor} were graded, and nbgrader "
                    "will not regrade old grades against new cells: grade into a new instructor folder "
                    "(--instructor DIR), or delete the old one (make clean-instructor)") from None
            raise
        finally:
            shutil.rmtree(links, ignore_errors=True)

    def autograde(self, lesson: str) -> list[Rejected]:
        """Autograde every submission of ``lesson`` (a glob) in ``instructor/submitted``.

        A submission nbgrader cannot process does not stop the others: it is
        returned as :class:`Rejected`, with the last error nbgrader logged for it.
        """
        return failed_submissions(self.run("autograde", lesson, "--force", check=False))

    def feedback(self, lesson: str) -> None:
        """Write the HTML feedback of every autograded submission of ``lesson``."""
        self.run("generate_feedback", lesson, "--force")

    def export(self, path: Path) -> None:
        """nbgrader's own CSV: one row per student and lesson."""
        self.run("export", f"--to={path}")


def generate_course(release_dir: Path | None = None) -> list[Path]:
    """Regenerate the student notebooks of every lesson; returns their paths.

    ``release_dir`` defaults to ``course/``. A throwaway gradebook is used: the
    student notebooks do not depend on it, and the instructor's gradebook
    (which refuses changed cells once a lesson has submissions) is not touched.
    """
    import tempfile

    with tempfile.TemporaryDirectory(prefix="backprop-generate-") as tmp:
        runner = Nbgrader(Path(tmp), extra_env={"BACKPROP_DB_URL": f"sqlite:///{tmp}/gradebook.db"})
        runner.generate(lessons(), release_dir or COURSE)
    return [(release_dir or COURSE) / lesson / notebook_name(lesson) for lesson in lessons()]


def collect(submissions: Path, instructor: Path) -> tuple[dict[str, list[str]], list[Rejected]]:
    """Copy ``submissions/<student>/<lesson>/<lesson>.ipynb`` into ``instructor/submitted``.

    Only the notebook is copied; other files a student put beside it are left
    out (the lesson's own data files come from the course when it is graded).

    Returns ``({lesson: [students]}, rejected)``. A file that is not a readable
    notebook is rejected with a reason instead of stopping the batch.
    """
    by_lesson: dict[str, list[str]] = {}
    rejected: list[Rejected] = []
    known = set(lessons())
    for student_dir in sorted(p for p in submissions.iterdir() if p.is_dir()):
        for lesson_dir in sorted(p for p in student_dir.iterdir() if p.is_dir()):
            student, lesson = student_dir.name, lesson_dir.name
            if lesson not in known:
                rejected.append(Rejected(student, lesson, f"unknown lesson folder {lesson!r}"))
                continue
            src = lesson_dir / notebook_name(lesson)
            if not src.exists():
                rejected.append(Rejected(student, lesson, f"no {notebook_name(lesson)} in the folder"))
                continue
            try:
                nbformat.validate(nbformat.read(src, as_version=4))
            except Exception as exc:  # noqa: BLE001 - any unreadable file is rejected, not fatal
                rejected.append(Rejected(student, lesson, f"not a valid notebook: {type(exc).__name__}: {exc}"[:300]))
                continue
            dst = instructor / "submitted" / student / lesson
            if dst.exists():
                shutil.rmtree(dst)
            dst.mkdir(parents=True)
            # the notebook only: a .py file beside it could be imported by the notebook, out of the grader's sight
            shutil.copy2(src, dst / src.name)
            by_lesson.setdefault(lesson, []).append(student)
    return by_lesson, rejected


@dataclass
class TaskScore:
    """One graded exercise of one student's lesson."""

    student: str
    lesson: str
    task: str
    score: float
    max_score: float


def read_scores(instructor: Path) -> list[TaskScore]:
    """Every autograded test cell's score from the gradebook."""
    from nbgrader.api import Gradebook

    rows = []
    with Gradebook(gradebook_url(instructor)) as gb:
        for assignment in gb.assignments:
            for sub in assignment.submissions:
                for nb in sub.notebooks:
                    for grade in nb.grades:
                        if grade.cell.cell_type != "code":
                            continue
                        task = grade.name.removeprefix("test_")
                        rows.append(TaskScore(sub.student.id, assignment.name, task,
                                              float(grade.score), float(grade.max_score)))
    return sorted(rows, key=lambda r: (r.student, r.lesson, r.task))


def write_task_csv(rows: list[TaskScore], path: Path) -> None:
    """One row per student, lesson and exercise: the CSV an instructor reads."""
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["student", "lesson", "exercise", "score", "max_score"])
        for r in rows:
            writer.writerow([r.student, r.lesson, r.task, f"{r.score:g}", f"{r.max_score:g}"])


def totals(rows: list[TaskScore]) -> dict[tuple[str, str], tuple[float, float]]:
    """``{(student, lesson): (score, max_score)}`` summed over exercises."""
    out: dict[tuple[str, str], tuple[float, float]] = {}
    for r in rows:
        s, m = out.get((r.student, r.lesson), (0.0, 0.0))
        out[(r.student, r.lesson)] = (s + r.score, m + r.max_score)
    return out


def feedback_path(instructor: Path, student: str, lesson: str) -> Path:
    """Where nbgrader writes a student's HTML feedback for a lesson."""
    return instructor / "feedback" / student / lesson / Path(notebook_name(lesson)).with_suffix(".html")


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


def grade(submissions: Path, instructor: Path = DEFAULT_INSTRUCTOR, cell_timeout: int | None = None,
          workers: int | None = None, scheduler: str | None = None, progress: bool = True) -> GradeRun:
    """Autograde a folder of submissions, write feedback and CSVs.

    ``submissions`` is laid out ``<student>/<lesson>/<lesson>.ipynb``.
    ``workers`` (default: the core count) dask workers execute the notebooks
    (see :mod:`autograder.parallel`); ``workers=1`` runs plain nbgrader, one
    command per lesson. Either way the grades are the same.
    """
    from tqdm.auto import tqdm

    require_sandbox()
    course_secret(create=True)  # the hidden inputs' secret: made on the first grading run, kept for regrades
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

    by_lesson, rejected = collect(submissions, instructor)
    lap("collect")
    # records the source cells (with hidden tests) in this gradebook, without touching course/
    runner.generate(sorted(by_lesson), release_dir=instructor / "release")
    repairs = normalize_submissions(instructor, by_lesson)
    if repairs:
        with open(instructor / "logs" / "repairs.log", "w") as fh:
            for (student, lesson), notes in sorted(repairs.items()):
                fh.writelines(f"{student} {lesson}: {note}\n" for note in notes)
    lap("generate")
    total = sum(len(s) for s in by_lesson.values())
    with tqdm(total=total, desc="grading", unit="notebook", disable=not progress or total == 0) as bar:
        if workers == 1:
            for lesson in sorted(by_lesson):
                rejected += runner.autograde(lesson)
                bar.update(len(by_lesson[lesson]))
            lap("execute")
            if by_lesson:
                runner.feedback("*")
            lap("feedback")
        elif by_lesson:
            from .parallel import grade_in_parallel
            rejected += grade_in_parallel(instructor, by_lesson, workers, cell_timeout, scheduler, bar.update,
                                          timings)
            clock = time.perf_counter()
    scores = read_scores(instructor)
    csv_path = instructor / "grades_by_exercise.csv"
    write_task_csv(scores, csv_path)
    summary_csv = instructor / "grades.csv"
    runner.export(summary_csv)
    from .report import write_report
    write_report(instructor, scores, rejected)
    lap("export")
    return GradeRun(instructor, scores, rejected, csv_path, summary_csv, timings, repairs)
