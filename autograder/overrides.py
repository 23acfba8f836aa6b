"""Scores the instructor sets by hand, with a reason: kept across regrades, shown in every output.

``python -m autograder override STUDENT LESSON TASK SCORE --reason "..."`` sets
one exercise's score; ``... STUDENT LESSON TASK --clear`` gives it back to the
autograder. ``STUDENT`` is the name of the student's folder, as every output
shows it (:mod:`autograder.students` maps it to the grading id), ``TASK`` an
exercise as ``grades_by_exercise.csv`` names it (``central_difference``).

Where it is kept: ``overrides.json`` in the instructor folder, beside
``students.json``, is the record (who, which exercise, the score, the reason,
when). Each override is also the grade's ``manual_score`` in the gradebook,
the field nbgrader's formgrader sets, so ``nbgrader export``, the formgrader
and every CSV read it on SQLite and PostgreSQL alike. Every regrade applies
the file again (:func:`apply`, called by ``pipeline.grade`` after the
record step), so an override survives a regrade, a fresh workspace
gradebook and a gradebook built anew; and the feedback page is brought in
line with the gradebook: the exercise's score, the notebook's total, and a
note that the score was set by the instructor, with the reason. A score set
in the formgrader (or by SQL) gets the same note, without a reason: each
workspace graded into a fresh gradebook, so nbgrader's own page showed the
autograder's score instead.

A score outside ``[0, max points]``, a student, lesson or exercise the
gradebook does not know, or a clear of an exercise that has no override is
an :class:`OverrideError`, raised before anything is changed.
"""
from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

from .layout import feedback_path, gradebook_url, ids_path
from .records import Failure
from .students import StudentIds

#: The CSS class of every note this module adds to a feedback page (so a later sync can find and replace it).
NOTE_CLASS = "backprop-override"
NOTE_STYLE = "margin: 0.4em 0; padding: 0.4em 0.8em; border-left: 4px solid #e0a800; background: #fff8e1;"


class OverrideError(ValueError):
    """An override that cannot be applied: nothing was changed."""


@dataclass(frozen=True)
class Override:
    """One exercise's score, set by the instructor."""

    student: str  # the student's name, as the submissions folder spells it
    lesson: str
    task: str  # the exercise, without nbgrader's ``test_`` prefix
    score: float
    reason: str
    set_at: str  # ISO time, UTC

    @property
    def key(self) -> tuple[str, str, str]:
        return self.student, self.lesson, self.task


def overrides_path(instructor: Path) -> Path:
    """Where the overrides of an instructor folder are kept."""
    return instructor / "overrides.json"


def load(instructor: Path) -> list[Override]:
    """Every override of ``instructor`` (none when there is no file)."""
    path = overrides_path(instructor)
    if not path.exists():
        return []
    return [Override(**row) for row in json.loads(path.read_text(encoding="utf-8"))]


def save(instructor: Path, overrides: list[Override]) -> None:
    """Write the overrides atomically (a crash leaves the old file or the new one, never half of one)."""
    path = overrides_path(instructor)
    rows = [asdict(o) for o in sorted(overrides, key=lambda o: o.key)]
    fd, tmp = tempfile.mkstemp(dir=instructor, prefix=".overrides-", suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(rows, fh, ensure_ascii=False, indent=1)
    os.replace(tmp, path)


def _grade(gb, ids: StudentIds, instructor: Path, student: str, lesson: str, task: str):
    """The gradebook's grade of ``student``'s ``task`` in ``lesson``; :class:`OverrideError` naming what is unknown."""
    from nbgrader.api import MissingEntry

    student_id = ids.by_name.get(student, student)
    known_students = sorted(ids.name(s.id) for s in gb.students)
    if student_id not in {s.id for s in gb.students}:
        raise OverrideError(f"no student named {student!r} was graded in {instructor} (graded: "
                            f"{', '.join(map(repr, known_students[:20]))}{', ...' if len(known_students) > 20 else ''})")
    lessons = sorted(a.name for a in gb.assignments)
    if lesson not in lessons:
        raise OverrideError(f"no lesson {lesson!r} was graded in {instructor} (graded: {', '.join(lessons)})")
    try:
        nb = gb.find_submission_notebook(lesson, lesson, student_id)
    except MissingEntry:
        raise OverrideError(f"{student!r} has no graded submission of {lesson}") from None
    grades = {g.name.removeprefix("test_"): g for g in nb.grades if g.cell.cell_type == "code"}
    task = task.removeprefix("test_")
    if task not in grades:
        raise OverrideError(f"{lesson} has no exercise {task!r} (its exercises: {', '.join(sorted(grades))})")
    return grades[task]


def _gradebook(instructor: Path):
    """The instructor folder's gradebook; :class:`OverrideError` when there is none (never an empty one made)."""
    from nbgrader.api import Gradebook

    url = gradebook_url(instructor)
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        raise OverrideError(f"{instructor} holds no gradebook: grade the class there first (with the "
                            "BACKPROP_DB_URL it was graded with, if that is not SQLite)")
    return Gradebook(url)


def set_override(instructor: Path, student: str, lesson: str, task: str, score: float, reason: str) -> Override:
    """Set ``student``'s score of ``task`` in ``lesson`` to ``score``, for ``reason`` (see the module docstring).

    Checks everything first; only then writes the gradebook and the file.
    Returns the override as kept.
    """
    if not reason or not reason.strip():
        raise OverrideError("say why the score is changed: --reason \"...\" (the student reads it)")
    ids = StudentIds.load(ids_path(instructor))
    task = task.removeprefix("test_")
    with _gradebook(instructor) as gb:
        grade = _grade(gb, ids, instructor, student, lesson, task)
        max_score = float(grade.max_score)
        if not 0 <= score <= max_score:
            raise OverrideError(f"{lesson} {task} is worth 0 to {max_score:g} points: {score:g} is outside that")
        override = Override(student, lesson, task, float(score), reason.strip(),
                            datetime.now(timezone.utc).isoformat(timespec="seconds"))
        kept = [o for o in load(instructor) if o.key != override.key] + [override]
        grade.manual_score = override.score
        grade.needs_manual_grade = False
        gb.db.commit()
    save(instructor, kept)
    return override


def clear_override(instructor: Path, student: str, lesson: str, task: str) -> Override:
    """Give ``student``'s ``task`` in ``lesson`` back to the autograder; returns the override that was cleared.

    A score set by hand in the formgrader (a ``manual_score`` with no override kept here) is cleared too.
    """
    task = task.removeprefix("test_")
    ids = StudentIds.load(ids_path(instructor))
    current = load(instructor)
    found = [o for o in current if o.key == (student, lesson, task)]
    with _gradebook(instructor) as gb:
        grade = _grade(gb, ids, instructor, student, lesson, task)
        if not found and grade.manual_score is None:
            raise OverrideError(f"{student!r} has no score set by hand in {lesson} {task} to clear")
        cleared = found[0] if found else Override(student, lesson, task, float(grade.manual_score),
                                                  "set in the formgrader", "")
        grade.manual_score = None
        grade.needs_manual_grade = grade.auto_score is None
        gb.db.commit()
    save(instructor, [o for o in current if o.key != cleared.key])
    return cleared


def apply(instructor: Path, ids: StudentIds) -> list[Failure]:
    """Write every kept override into the gradebook again and bring its feedback page in line (after a regrade).

    An override whose student, lesson or exercise is not graded this time
    (the submission was rejected, say) is left in the file and skipped. A page
    that cannot be brought in line is the grader's failure.
    """
    try:
        return _apply(instructor, ids)
    except Exception as exc:  # noqa: BLE001 - the grader's failure (an unreadable file, no database): reported
        return [Failure("", "", "override", f"the instructor's overrides could not be applied: "
                                            f"{type(exc).__name__}: {exc}"[:300])]


def _apply(instructor: Path, ids: StudentIds) -> list[Failure]:
    from nbgrader.api import Grade

    overrides = load(instructor)
    try:
        gradebook = _gradebook(instructor)
    except OverrideError:
        if overrides:
            raise
        return []  # no gradebook yet (nobody was graded): nothing to apply
    failures = []
    with gradebook as gb:
        applied = []
        for o in overrides:
            try:
                grade = _grade(gb, ids, instructor, o.student, o.lesson, o.task)
            except OverrideError:
                continue
            grade.manual_score = min(o.score, float(grade.max_score))
            grade.needs_manual_grade = False
            applied.append(o)
        gb.db.commit()
        # every page with a score set by hand, here or in the formgrader (or SQL): each workspace's gradebook
        # was fresh, so its feedback showed the autograder's score
        by_hand = {(ids.name(g.notebook.student.id), g.notebook.assignment.name)
                   for g in gb.db.query(Grade).filter(Grade.manual_score.isnot(None))}
        for student, lesson in sorted({(o.student, o.lesson) for o in applied} | by_hand):
            try:
                sync_feedback(instructor, gb, ids, student, lesson, overrides)
            except Exception as exc:  # noqa: BLE001 - the page is the grader's: reported, the rest goes on
                failures.append(Failure(student, lesson, "override", f"the feedback page could not show the "
                                                                     f"override: {type(exc).__name__}: {exc}"[:300]))
    return failures


def sync_feedback(instructor: Path, gb, ids: StudentIds, student: str, lesson: str,
                  overrides: list[Override]) -> bool:
    """Make ``student``'s feedback page of ``lesson`` show the gradebook's scores, and a note on each set by hand.

    A score set by hand is the grade's ``manual_score`` (this module's
    overrides, or the formgrader's); its note gives the reason when
    ``overrides`` holds one.

    Returns False when there is no page (nothing to show). Run as often as
    wanted: the result is the same.
    """
    from bs4 import BeautifulSoup

    path = feedback_path(instructor, student, lesson)
    if not path.exists():
        return False
    nb = gb.find_submission_notebook(lesson, lesson, ids.by_name.get(student, student))
    grades = {g.name: (float(g.score), float(g.max_score)) for g in nb.grades}
    reasons = {o.task: o.reason for o in overrides if (o.student, o.lesson) == (student, lesson)}
    mine = {g.name.removeprefix("test_"): g for g in nb.grades if g.manual_score is not None}
    soup = BeautifulSoup(path.read_text(encoding="utf-8", errors="replace"), "html.parser")
    for old in soup.find_all(class_=NOTE_CLASS):
        old.decompose()

    def note(text: str, tag: str = "div"):
        el = soup.new_tag(tag, attrs={"class": NOTE_CLASS, "style": NOTE_STYLE})
        el.string = text
        return el

    heading = soup.find("h4")
    if heading is not None and heading.string and "(Score:" in heading.string:
        total, max_total = sum(s for s, _ in grades.values()), sum(m for _, m in grades.values())
        heading.string = f"{heading.string.split(' (Score:')[0]} (Score: {fmt(total)} / {fmt(max_total)})"
        for task, g in sorted(mine.items(), reverse=True):
            heading.insert_after(note(f"{task}: score set by the instructor to {float(g.score):g} of "
                                      f"{float(g.max_score):g} points." + because(reasons.get(task)), "p"))
    for name, (score, max_score) in grades.items():
        for link in soup.find_all("a", href=f"#{name}"):
            li = link.parent
            if li is not None and li.name == "li" and link.next_sibling is not None:
                link.next_sibling.replace_with(f" (Score: {fmt(score)} / {fmt(max_score)})"
                                               + (" set by the instructor" if name.removeprefix("test_") in mine
                                                  else ""))
        anchor = soup.find("a", attrs={"name": name})
        panel = anchor.find_next_sibling("div", class_="panel-heading") if anchor is not None else None
        if panel is None:
            continue
        right = panel.find("span", class_="pull-right")
        if right is not None and right.contents and "Score:" in str(right.contents[0]):
            right.contents[0].replace_with(f"\n      Score: {fmt(score)} / {fmt(max_score)} ")
        task = name.removeprefix("test_")
        if task in mine:
            panel.insert_after(note(f"Score set by the instructor: {score:g} of {max_score:g} points (the "
                                    f"autograder gave {float(mine[task].auto_score or 0.0):g})."
                                    + because(reasons.get(task))))
    path.write_text(str(soup), encoding="utf-8")
    return True


def because(reason: str | None) -> str:
    """`` Reason: ...`` when the instructor gave one (a score set in the formgrader has none here)."""
    return f" Reason: {reason}" if reason else ""


def fmt(value: float) -> str:
    """A score as nbgrader's feedback template prints it (``round(2)`` of a float: ``1.0``, ``1.5``)."""
    return str(round(float(value), 2))


def read_report_csv(path: Path) -> list[list[str]]:
    """The rows of a report CSV the last grading run wrote (header dropped; none when it is missing)."""
    import csv

    from .csv_safe import restore

    if not path.exists():
        return []
    with open(path, newline="", encoding="utf-8", errors="surrogateescape") as fh:
        return [[restore(c) for c in row] for row in list(csv.reader(fh))[1:]]


def refresh_outputs(instructor: Path, student: str, lesson: str) -> list[Failure]:
    """After an override: the student's feedback page, the three grade CSVs and the class report, from the gradebook.

    The rejections, failures and notices of the last grading run are read back
    from ``report/`` so the report and ``grades_lms.csv`` keep them. Returns the
    parts that failed (the rest is written regardless).
    """
    from .export import export_summary, read_scores, write_task_csv
    from .records import Notice, Rejected
    from .report import write_report

    ids = StudentIds.load(ids_path(instructor))
    failures: list[Failure] = []
    with _gradebook(instructor) as gb:
        sync_feedback(instructor, gb, ids, student, lesson, load(instructor))
    report = instructor / "report"
    rejected = [Rejected(*row[:3]) for row in read_report_csv(report / "rejected.csv") if len(row) >= 3]
    earlier = [Failure(*row[:4]) for row in read_report_csv(report / "failures.csv") if len(row) >= 4]
    notices = [Notice(*row[:3]) for row in read_report_csv(report / "notices.csv") if len(row) >= 3]
    dropped = {(r.student, r.lesson) for r in rejected}
    scores = [r for r in read_scores(instructor, ids) if (r.student, r.lesson) not in dropped]
    write_task_csv(scores, instructor / "grades_by_exercise.csv")
    try:
        export_summary(instructor, instructor / "grades.csv", ids, dropped)
    except Exception as exc:  # noqa: BLE001
        failures.append(Failure("", "", "export", f"nbgrader export failed: {str(exc)[:300]}"))
    failures += write_report(instructor, scores, rejected, earlier, notices)
    return failures
