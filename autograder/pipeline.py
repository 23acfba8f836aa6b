"""The instructor loop on top of nbgrader: generate, collect, autograde, feedback, export.

Every step runs nbgrader from the repository root, so ``nbgrader_config.py``
applies; the instructor folder (submissions, autograded copies, feedback, the
gradebook, the CSVs) is ``instructor/`` unless another is given.
"""
from __future__ import annotations

import contextlib
import csv
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from . import csv_safe, sandbox
from .secret import course_secret, secret_path
from .students import StudentIds

REPO = Path(__file__).resolve().parent.parent
SOLUTIONS = REPO / "solutions"
COURSE = REPO / "course"
#: Where every instructor output goes (BACKPROP_INSTRUCTOR_DIR moves it, as it does for nbgrader_config.py).
DEFAULT_INSTRUCTOR = Path(os.environ.get("BACKPROP_INSTRUCTOR_DIR") or REPO / "instructor")


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
    """A submission that could not be graded for a reason of its own (not a notebook, ...), and why."""

    student: str
    lesson: str
    reason: str


@dataclass
class Failure:
    """A failure of the grader itself (nbgrader crashing, a worker dying, the report), tried twice.

    ``student`` and ``lesson`` say whom it cost (``""`` for the whole class);
    ``stage`` names the step: ``autograde``, ``generate_feedback``, ``record``,
    ``report``, ...
    """

    student: str
    lesson: str
    stage: str
    reason: str


@dataclass
class Notice:
    """Something the instructor should know about a submission that was graded (a second notebook ignored, ...)."""

    student: str
    lesson: str
    text: str


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


def normalize_submissions(instructor: Path, by_lesson: dict[str, list[str]]
                          ) -> tuple[dict[tuple[str, str], list[str]], list[Rejected]]:
    """Rebuild every collected submission around its released notebook (see :mod:`autograder.sanitize`).

    Needs ``instructor/release`` (made by :meth:`Nbgrader.generate`). Returns
    the repairs made, by ``(student, lesson)``, and the submissions that could
    not be rebuilt (text that is not valid Unicode, say): those are removed
    from ``by_lesson`` and from ``submitted/``, never graded half-repaired.
    """
    from .sanitize import normalize

    repairs, rejected = {}, []
    for lesson, students in by_lesson.items():
        released = nbformat.read(instructor / "release" / lesson / notebook_name(lesson), as_version=4)
        for student in list(students):
            path = instructor / "submitted" / student / lesson / notebook_name(lesson)
            try:
                nb, notes = normalize(nbformat.read(path, as_version=4), released)
                nbformat.write(nb, path)
            except Exception as exc:  # noqa: BLE001 - one notebook the grader cannot rebuild is rejected, alone
                rejected.append(Rejected(student, lesson, f"the notebook cannot be prepared for grading: "
                                                          f"{type(exc).__name__}: {exc}"[:300]))
                students.remove(student)
                shutil.rmtree(path.parent, ignore_errors=True)
                with contextlib.suppress(OSError):
                    path.parent.parent.rmdir()  # nothing else of theirs is graded
                continue
            if notes:
                repairs[(student, lesson)] = notes
    return repairs, rejected


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

    def attempt(self, *args: str) -> tuple[int, str]:
        """Run ``nbgrader ARGS`` from the repo root; return its exit status and log (never raises)."""
        self.instructor.mkdir(parents=True, exist_ok=True)
        try:
            proc = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=REPO, env=self.env(),
                                  capture_output=True, text=True,
                                  errors="replace")
            code, log = proc.returncode, proc.stdout + proc.stderr
        except OSError as exc:
            code, log = 127, f"nbgrader could not start: {exc}"
        logs = self.instructor / "logs"
        logs.mkdir(exist_ok=True)
        with open(logs / "nbgrader.log", "a", errors="replace") as fh:
            fh.write(f"$ nbgrader {' '.join(args)}\n{log}\n")
        return code, log

    def run(self, *args: str, check: bool = True) -> str:
        """Run ``nbgrader ARGS`` from the repo root; return its log.

        With ``check`` (the default) a failure raises :class:`NbgraderError`.
        """
        code, log = self.attempt(*args)
        if code != 0 and check:
            tail = "\n".join(log.splitlines()[-25:])
            raise NbgraderError(f"nbgrader {' '.join(args)} failed (exit {code}):\n{tail}", log)
        return log

    def autograded(self) -> set[tuple[str, str]]:
        """``(student id, lesson)`` of every notebook autograded in this folder."""
        return {(p.parent.parent.name, p.parent.name) for p in (self.instructor / "autograded").glob("*/*/*.ipynb")}

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


@dataclass
class Collected:
    """What :func:`collect` found: what to grade (by grading id), and what not, with reasons."""

    by_lesson: dict[str, list[str]] = field(default_factory=dict)
    rejected: list[Rejected] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    ids: StudentIds = field(default_factory=StudentIds)


def _visible(path: Path) -> bool:
    return not path.name.startswith(".") and path.name != "__MACOSX"


def _lesson_notebook(student: str, lesson_dir: Path, found: Collected) -> Path | None:
    """The notebook to grade in a lesson folder, or ``None`` (rejected, with the reason recorded)."""
    lesson = lesson_dir.name
    name = notebook_name(lesson)
    others = sorted(p.name for p in lesson_dir.iterdir() if _visible(p) and p.suffix == ".ipynb" and p.name != name)
    src = lesson_dir / name
    if not src.exists() and not src.is_symlink():
        why = f"no {name} in the folder" + (f" (found {', '.join(others)}: rename the one to grade)" if others else "")
        found.rejected.append(Rejected(student, lesson, why))
        return None
    if src.is_symlink() or not src.is_file():
        found.rejected.append(Rejected(student, lesson, f"{name} is a link or a folder, not a notebook file"))
        return None
    if others:
        found.notices.append(Notice(student, lesson, f"graded {name}; also in the folder and not graded: "
                                                     f"{', '.join(others)}"))
    return src


def collect(submissions: Path, instructor: Path) -> Collected:
    """Copy ``submissions/<student>/<lesson>/<lesson>.ipynb`` into ``instructor/submitted/<id>/<lesson>``.

    Every folder in ``submissions`` is a student, whatever its name (hidden
    ones, ``.git`` say, aside): each ends graded or rejected with a reason.
    Odd names are graded under a safe id (:mod:`autograder.students`).
    Only the notebook is copied; other files a student put beside it are left
    out (the lesson's own data files come from the course when it is graded),
    and other notebooks are named in a notice. A file that is not a readable
    notebook, a missing notebook, an unknown lesson or a student folder
    without lessons is rejected with a reason instead of stopping the batch.
    """
    found = Collected()
    known = set(lessons())
    entries = sorted(p for p in submissions.iterdir() if _visible(p))
    for entry in entries:
        if not entry.is_dir() or entry.is_symlink():
            found.rejected.append(Rejected(entry.name, "", "not a student folder: submissions are laid out "
                                                           "<student>/<lesson>/<lesson>.ipynb"))
    students = [p for p in entries if p.is_dir() and not p.is_symlink()]
    found.ids = StudentIds.assign([p.name for p in students])
    for student_dir in students:
        student = student_dir.name
        lesson_dirs = sorted(p for p in student_dir.iterdir() if _visible(p) and p.is_dir() and not p.is_symlink())
        if not lesson_dirs:
            loose = sorted(p.name for p in student_dir.iterdir() if _visible(p))
            seen = f" (found {', '.join(loose[:5])})" if loose else " (the folder is empty)"
            found.rejected.append(Rejected(student, "", "no lesson folder: expected "
                                                        "<student>/<lesson>/<lesson>.ipynb" + seen))
            continue
        for lesson_dir in lesson_dirs:
            lesson = lesson_dir.name
            if lesson not in known:
                found.rejected.append(Rejected(student, lesson, f"unknown lesson folder {lesson!r}"))
                continue
            src = _lesson_notebook(student, lesson_dir, found)
            if src is None:
                continue
            try:
                nbformat.validate(nbformat.read(src, as_version=4))
            except Exception as exc:  # noqa: BLE001 - any unreadable file is rejected, not fatal
                found.rejected.append(Rejected(student, lesson,
                                               f"not a valid notebook: {type(exc).__name__}: {exc}"[:300]))
                continue
            dst = instructor / "submitted" / found.ids.id(student) / lesson
            if dst.exists():
                shutil.rmtree(dst)
            dst.mkdir(parents=True)
            # the notebook only: a .py file beside it could be imported by the notebook, out of the grader's sight
            shutil.copyfile(src, dst / notebook_name(lesson))
            found.by_lesson.setdefault(lesson, []).append(found.ids.id(student))
    return found


@dataclass
class TaskScore:
    """One graded exercise of one student's lesson."""

    student: str
    lesson: str
    task: str
    score: float
    max_score: float


def read_scores(instructor: Path, ids: StudentIds | None = None) -> list[TaskScore]:
    """Every autograded test cell's score from the gradebook, under the students' names (``ids`` maps them)."""
    from nbgrader.api import Gradebook

    ids = ids or StudentIds.load(ids_path(instructor))
    rows = []
    with Gradebook(gradebook_url(instructor)) as gb:
        for assignment in gb.assignments:
            for sub in assignment.submissions:
                for nb in sub.notebooks:
                    for grade in nb.grades:
                        if grade.cell.cell_type != "code":
                            continue
                        task = grade.name.removeprefix("test_")
                        rows.append(TaskScore(ids.name(sub.student.id), assignment.name, task,
                                              float(grade.score), float(grade.max_score)))
    return sorted(rows, key=lambda r: (r.student, r.lesson, r.task))


def ids_path(instructor: Path) -> Path:
    """Where the map of student names to grading ids is kept (:mod:`autograder.students`)."""
    return instructor / "students.json"


def open_csv(path: Path):
    """A CSV file for writing: UTF-8, and a name that is not valid Unicode is written back as the bytes it was."""
    return open(path, "w", newline="", encoding="utf-8", errors="surrogateescape")


def write_task_csv(rows: list[TaskScore], path: Path) -> None:
    """One row per student, lesson and exercise: the CSV an instructor reads (no cell is a formula)."""
    with open_csv(path) as fh:
        writer = csv_safe.writer(fh)
        writer.writerow(["student", "lesson", "exercise", "score", "max_score"])
        for r in rows:
            writer.writerow([r.student, r.lesson, r.task, f"{r.score:g}", f"{r.max_score:g}"])


def export_summary(runner: Nbgrader, path: Path, ids: StudentIds, rejected: set[tuple[str, str]] = frozenset()
                   ) -> None:
    """nbgrader's own CSV (one row per student and lesson), with the students' names and no live formula.

    The rows of ``rejected`` ``(student, lesson)`` are left out: nbgrader may
    have made them before it failed on the notebook.
    """
    runner.export(path)
    with open(path, newline="", encoding="utf-8", errors="surrogateescape") as fh:
        rows = list(csv.reader(fh))
    header = rows[0] if rows else []
    student = header.index("student_id") if "student_id" in header else None
    lesson = header.index("assignment") if "assignment" in header else None
    with open_csv(path) as fh:
        writer = csv_safe.writer(fh)
        for i, row in enumerate(rows):
            if i > 0 and student is not None and student < len(row):
                row[student] = ids.name(row[student])
                if lesson is not None and lesson < len(row) and (row[student], row[lesson]) in rejected:
                    continue
            writer.writerow(row)


def totals(rows: list[TaskScore]) -> dict[tuple[str, str], tuple[float, float]]:
    """``{(student, lesson): (score, max_score)}`` summed over exercises."""
    out: dict[tuple[str, str], tuple[float, float]] = {}
    for r in rows:
        s, m = out.get((r.student, r.lesson), (0.0, 0.0))
        out[(r.student, r.lesson)] = (s + r.score, m + r.max_score)
    return out


def feedback_path(instructor: Path, student: str, lesson: str) -> Path:
    """Where a student's HTML feedback for a lesson ends (under the student's name)."""
    return instructor / "feedback" / student / lesson / Path(notebook_name(lesson)).with_suffix(".html")


def place_feedback(instructor: Path, ids: StudentIds, graded: set[tuple[str, str]]) -> list[Failure]:
    """Make the feedback of ``graded`` ``(id, lesson)`` safe to open, under each student's name.

    Each page goes through :func:`autograder.feedback_html.clean_file` (no
    script, event handler or ``javascript:`` URL of the student's survives);
    a page that cannot be cleaned is deleted, never handed out, and is the
    grader's failure. A student graded under a safe id gets the folder of
    their name.
    """
    from .feedback_html import clean_file

    failures = []
    for student_id, lesson in sorted(graded):
        name = ids.name(student_id)
        src, dest = feedback_path(instructor, student_id, lesson), feedback_path(instructor, name, lesson)
        if not src.exists():
            continue
        if src != dest:
            shutil.rmtree(dest.parent, ignore_errors=True)
            dest.parent.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(src.parent, dest.parent)
            with contextlib.suppress(OSError):
                src.parent.parent.rmdir()
        try:
            clean_file(dest)
        except Exception as exc:  # noqa: BLE001 - a page that cannot be made safe is not handed out
            dest.unlink(missing_ok=True)
            failures.append(Failure(name, lesson, "feedback", f"the feedback page could not be made safe, so it "
                                                              f"was deleted: {type(exc).__name__}: {exc}"[:300]))
    return failures


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
          workers: int | None = None, scheduler: str | None = None, progress: bool = True) -> GradeRun:
    """Autograde a folder of submissions, write feedback and CSVs.

    ``submissions`` is laid out ``<student>/<lesson>/<lesson>.ipynb``.
    ``workers`` (default: the core count) dask workers execute the notebooks
    (see :mod:`autograder.parallel`); ``workers=1`` runs plain nbgrader in the
    instructor folder. Either way the grades are the same.

    Every student in ``submissions`` ends graded (``scores``), rejected with a
    reason of their own (``rejected``), or in ``failures``: the grader's own
    failures, each tried twice, after which the rest of the class is still
    graded and every CSV written.
    """
    from tqdm.auto import tqdm

    from .chunk_grading import grade_chunk

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

    found = collect(submissions, instructor)
    ids = StudentIds.load(ids_path(instructor))
    ids.by_name.update(found.ids.by_name)
    ids.save(ids_path(instructor))
    by_lesson, rejected, failures = found.by_lesson, list(found.rejected), []
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
            result = grade_chunk(runner, students, tuple(sorted(by_lesson)))
            rejected += result.rejected
            failures += result.failures
            bar.update(result.notebooks)
            lap("execute and feedback")
        elif students:
            from .parallel import grade_in_parallel
            result = grade_in_parallel(instructor, by_lesson, workers, cell_timeout, scheduler, bar.update, timings)
            rejected += result.rejected
            failures += result.failures
            clock = time.perf_counter()
        retries = result.retries if students else []
    with open(instructor / "logs" / "retries.log", "w", errors="replace") as fh:
        fh.writelines(f"{line}\n" for line in retries)
    graded = {(s, lesson) for s, lesson in runner.autograded() if s in students}
    failures += place_feedback(instructor, ids, graded)
    rejected = [Rejected(ids.name(r.student), r.lesson, r.reason) for r in rejected]
    failures = [Failure(ids.name(f.student), f.lesson, f.stage, f.reason) for f in failures]
    try:
        scores = read_scores(instructor, ids)
    except Exception as exc:  # noqa: BLE001 - the gradebook is the grader's: its failure is reported, not a crash
        scores, failures = [], failures + [Failure("", "", "gradebook", f"{type(exc).__name__}: {exc}"[:300])]
    dropped = {(r.student, r.lesson) for r in rejected}  # nbgrader may have made rows before it failed
    scores = [r for r in scores if (r.student, r.lesson) not in dropped]
    failures += unaccounted(by_lesson, ids, scores, rejected, failures)
    csv_path = instructor / "grades_by_exercise.csv"
    write_task_csv(scores, csv_path)
    summary_csv = instructor / "grades.csv"
    try:
        export_summary(runner, summary_csv, ids, dropped)
    except Exception as exc:  # noqa: BLE001
        failures.append(Failure("", "", "export", f"nbgrader export failed: {str(exc)[:300]}"))
    from .report import write_report
    failures += write_report(instructor, scores, rejected, failures, found.notices)
    lap("export")
    return GradeRun(instructor, scores, rejected, csv_path, summary_csv, timings,
                    {(ids.name(s), lesson): notes for (s, lesson), notes in repairs.items()}, failures, found.notices)
