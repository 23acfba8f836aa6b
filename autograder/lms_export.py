"""The term's exports: grades keyed by the roster, late penalties applied, in the CSVs Canvas and Moodle import.

With a roster (``--roster``, or ``instructor/roster.csv``) a grading run also writes

* ``grades_roster.csv``: one row per roster student, in the roster's order
  (id, name, email, section), per lesson the score after any late penalty, the
  raw score beside it and a status that tells ``not submitted``,
  ``rejected (reason)``, ``grader failed`` and a real 0 apart; the totals;
* ``grades_canvas.csv``: Canvas' gradebook import (``Student, ID, SIS User ID,
  SIS Login ID, Section``, a column per lesson, a ``Points Possible`` row).
  Canvas takes numbers only: a rejected submission is 0, one not submitted
  or not graded (the grader failed) is left empty, which Canvas leaves as it was;
* ``grades_moodle.csv``: Moodle's grade import, keyed by ``ID number`` (the
  roster's id) or ``Email address``, a score and a feedback column per lesson
  (the feedback says ``not submitted``, ``rejected: why`` or the lateness);
* ``report/not_on_roster.csv``: students in the submissions the roster does
  not know, with their lessons' scores (also a notice: never dropped).

With due dates (``--due``, or ``instructor/term.toml``/``term.csv``,
:mod:`autograder.lateness`) each graded lesson loses its late penalty, from
the submission's time (:attr:`autograder.records.Collected.times`);
``report/lateness.csv`` gives every submission's time, due time, penalty,
raw and final score, and ``grades_lms.csv`` shows the total after penalties
with the raw total beside it.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from . import csv_safe
from .lateness import Late, Term
from .records import Collected, Failure, Notice, Rejected, TaskScore, totals
from .roster import Roster, Student

NOT_SUBMITTED = "not submitted"


@dataclass
class Cell:
    """One student's lesson as the exports show it."""

    status: str  # graded, not submitted, rejected (why), grader failed, no exercises
    raw: float | None = None
    final: float | None = None
    late: Late | None = None

    def feedback(self) -> str:
        """``graded``, ``graded, 2 days late (-20%): 18 -> 14.4``, ``not submitted``, ``rejected (why)``, ..."""
        if self.status != "graded" or self.late is None:
            return self.status
        if self.late.percent:
            return f"graded, {self.late.describe()}: {self.raw:g} -> {self.final:g}"
        return f"graded, {self.late.describe()}"


@dataclass
class TermSetup:
    """The roster and the due dates a grading run exports with (either may be absent)."""

    roster: Roster | None = None
    term: Term | None = None
    roster_file: Path | None = None
    due_file: Path | None = None

    @classmethod
    def load(cls, instructor: Path, roster: Path | None = None, due: Path | None = None) -> TermSetup:
        """Read the files given, else ``instructor/roster.csv`` and ``instructor/term.toml`` (or ``term.csv``)
        where they exist; a file that cannot be read raises (:class:`~autograder.roster.RosterError`,
        :class:`~autograder.lateness.TermError`, ``OSError``) before anything is graded."""
        if roster is None and (instructor / "roster.csv").is_file():
            roster = instructor / "roster.csv"
        if due is None:
            due = next((p for p in (instructor / "term.toml", instructor / "term.csv") if p.is_file()), None)
        return cls(Roster.load(roster) if roster else None, Term.load(due) if due else None,
                   roster.resolve() if roster else None, due.resolve() if due else None)

    def export(self, instructor: Path, scores: list[TaskScore], rejected: list[Rejected], failures: list[Failure],
               found: Collected) -> dict[tuple[str, str], Late] | None:
        """Write the term's CSVs; return each graded lesson's lateness for ``grades_lms.csv`` (``None``: no
        due dates). Students off the roster become notices in ``found``; a part that fails is a failure.

        What the export needs beyond the gradebook (the files, the submission times, who submitted what)
        is kept in ``instructor/term_run.json``, so a later change of scores (an override) exports the same
        way (:func:`refresh`)."""
        late = None
        try:
            save_run(instructor, self, found)
            table, lessons = cells(scores, rejected, failures, found, self.term)
            if self.term is not None:
                late = {key: c.late for key, c in table.items() if c.late is not None}
                write_lateness(instructor / "report" / "lateness.csv", table, found.times, self.term)
            if self.roster is not None:
                maxima = {lesson: m for (_, lesson), (_, m) in totals(scores).items()}
                keyed, strangers = by_roster(table, lessons, self.roster)
                write_roster_csv(instructor / "grades_roster.csv", keyed, lessons, maxima)
                write_canvas_csv(instructor / "grades_canvas.csv", keyed, lessons, maxima)
                write_moodle_csv(instructor / "grades_moodle.csv", keyed, lessons)
                write_strangers(instructor / "report" / "not_on_roster.csv", table, strangers)
                found.notices.extend(Notice(s, "", "not on the roster: left out of grades_roster/canvas/moodle.csv "
                                                   "(see report/not_on_roster.csv)") for s in strangers)
        except Exception as exc:  # noqa: BLE001 - an export is the grader's: its failure is reported, not a crash
            failures.append(Failure("", "", "term export", f"{type(exc).__name__}: {exc}"[:300]))
        return late


def cells(scores: list[TaskScore], rejected: list[Rejected], failures: list[Failure], found: Collected,
          term: Term | None) -> tuple[dict[tuple[str, str], Cell], list[str]]:
    """``{(student name, lesson): Cell}`` for every submission, and the lessons (columns) in order.

    Precedence: rejected, then the grader's failure, then a score; a collected
    lesson with no score rows has no exercises.
    """
    sums = totals(scores)
    collected = {(found.ids.name(i), lesson) for lesson, ids in found.by_lesson.items() for i in ids}
    lessons = sorted({lesson for _, lesson in sums} | {lesson for _, lesson in collected}
                     | {r.lesson for r in rejected if r.lesson} | set(term.due if term else ())
                     | {f.lesson for f in failures if f.lesson not in ("", "*")})
    students = ({s for s, _ in sums} | {s for s, _ in collected} | {r.student for r in rejected}
                | {f.student for f in failures if f.student})
    table: dict[tuple[str, str], Cell] = {}
    whole = {r.student: r.reason for r in rejected if not r.lesson}
    why = {(r.student, r.lesson): r.reason for r in rejected if r.lesson}
    failed = {(f.student, f.lesson) for f in failures}
    for student in students:
        for lesson in lessons:
            key = (student, lesson)
            if key in why:
                table[key] = Cell(f"rejected ({why[key]})", 0.0, 0.0)
            elif key in failed or (student, "*") in failed or (student, "") in failed:
                table[key] = Cell("grader failed (see report/failures.csv)")
            elif key in sums:
                raw = sums[key][0]
                late = term.late(lesson, found.times.get(key)) if term and lesson in term.due else None
                table[key] = Cell("graded", raw, raw if late is None else _apply(raw, late), late)
            elif key in collected:
                table[key] = Cell("no exercises to grade")
            elif student in whole:
                table[key] = Cell(f"rejected ({whole[student]})", 0.0, 0.0)
            else:
                table[key] = Cell(NOT_SUBMITTED)
    return table, lessons


def _apply(raw: float, late: Late) -> float:
    from .lateness import apply

    return round(apply(raw, late), 4)


def by_roster(table: dict[tuple[str, str], Cell], lessons: list[str], roster: Roster
              ) -> tuple[list[tuple[Student, dict[str, Cell]]], list[str]]:
    """Each roster student with their lessons' cells (a student who submitted nothing: all ``not submitted``),
    and the submitting students the roster does not know."""
    names = sorted({s for s, _ in table})
    owner: dict[str, str] = {}
    strangers = []
    for name in names:
        entry = roster.find(name)
        if entry is None or entry.id in owner.values():
            strangers.append(name)
        else:
            owner[name] = entry.id
    by_id = {sid: name for name, sid in owner.items()}
    keyed = []
    for student in roster.students:
        name = by_id.get(student.id)
        keyed.append((student, {lesson: table.get((name, lesson), Cell(NOT_SUBMITTED)) if name else
                                Cell(NOT_SUBMITTED) for lesson in lessons}))
    return keyed, strangers


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _total(row: dict[str, Cell], raw: bool = False) -> float:
    return sum((c.raw if raw else c.final) or 0.0 for c in row.values())


def write_roster_csv(path: Path, keyed: list[tuple[Student, dict[str, Cell]]], lessons: list[str],
                     maxima: dict[str, float]) -> None:
    """One row per roster student: score, raw score and status per lesson; totals."""
    header = ["id", "name", "email", "section"]
    for lesson in lessons:
        header += [f"{lesson} (max {_num(maxima.get(lesson))})", f"{lesson} raw", f"{lesson} status"]
    with csv_safe.open_csv(path) as fh:
        writer = csv_safe.writer(fh)
        writer.writerow(header + ["total", "total raw"])
        for student, row in keyed:
            line = [student.id, student.name, student.email, student.section]
            for lesson in lessons:
                c = row[lesson]
                line += [_num(c.final), _num(c.raw), c.feedback()]
            writer.writerow(line + [f"{_total(row):g}", f"{_total(row, raw=True):g}"])


def write_canvas_csv(path: Path, keyed: list[tuple[Student, dict[str, Cell]]], lessons: list[str],
                     maxima: dict[str, float]) -> None:
    """Canvas' gradebook import: numbers only (rejected 0; not submitted or not graded left empty)."""
    with csv_safe.open_csv(path) as fh:
        writer = csv_safe.writer(fh)
        writer.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section"] + lessons)
        writer.writerow(["Points Possible", "", "", "", ""] + [_num(maxima.get(lesson)) for lesson in lessons])
        for student, row in keyed:
            writer.writerow([student.name, student.lms_id, student.id, student.login, student.section]
                            + [_num(row[lesson].final) for lesson in lessons])


def write_moodle_csv(path: Path, keyed: list[tuple[Student, dict[str, Cell]]], lessons: list[str]) -> None:
    """Moodle's grade import: map ``ID number`` (or ``Email address``) to the user, a score and a feedback
    column per lesson (the feedback tells not submitted, rejected and late apart)."""
    header = ["ID number", "Email address", "Full name"]
    for lesson in lessons:
        header += [lesson, f"{lesson} feedback"]
    with csv_safe.open_csv(path) as fh:
        writer = csv_safe.writer(fh)
        writer.writerow(header)
        for student, row in keyed:
            line = [student.id, student.email, student.name]
            for lesson in lessons:
                line += [_num(row[lesson].final), row[lesson].feedback()]
            writer.writerow(line)


def write_strangers(path: Path, table: dict[tuple[str, str], Cell], strangers: list[str]) -> None:
    """The students in the submissions the roster does not know, with what they got."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with csv_safe.open_csv(path) as fh:
        writer = csv_safe.writer(fh)
        writer.writerow(["student", "lesson", "score", "raw", "status"])
        for (student, lesson), c in sorted(table.items()):
            if student in strangers and c.status != NOT_SUBMITTED:
                writer.writerow([student, lesson, _num(c.final), _num(c.raw), c.feedback()])


def write_lateness(path: Path, table: dict[tuple[str, str], Cell], times: dict[tuple[str, str], datetime],
                   term: Term) -> None:
    """Every graded submission's time, due time, lateness, penalty, raw and final score."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with csv_safe.open_csv(path) as fh:
        writer = csv_safe.writer(fh)
        writer.writerow(["student", "lesson", "submitted", "due", "late by (hours)", "days late", "penalty %",
                         "raw", "final", "status"])
        for (student, lesson), c in sorted(table.items()):
            if c.status != "graded":
                continue
            when, due = times.get((student, lesson)), term.due.get(lesson)
            late_by = c.late.late_by if c.late else None
            writer.writerow([student, lesson, when.isoformat() if when else "", due.isoformat() if due else "",
                             "" if late_by is None else f"{late_by.total_seconds() / 3600:.2f}",
                             c.late.days if c.late else 0, f"{c.late.percent:g}" if c.late else "0",
                             _num(c.raw), _num(c.final), c.feedback()])


RUN_FILE = "term_run.json"


def save_run(instructor: Path, setup: TermSetup, found: Collected) -> None:
    """Keep what :func:`refresh` needs (none of it is in the gradebook); no roster and no due dates: nothing."""
    path = instructor / RUN_FILE
    if setup.roster is None and setup.term is None:
        path.unlink(missing_ok=True)
        return
    roster, due = setup.roster_file, setup.due_file
    state = {"roster": str(roster) if roster else None, "due": str(due) if due else None,
             "times": [[s, lesson, when.isoformat()] for (s, lesson), when in sorted(found.times.items())],
             "collected": sorted([found.ids.name(i), lesson] for lesson, ids in found.by_lesson.items() for i in ids)}
    path.write_text(json.dumps(state, indent=1, ensure_ascii=True))


def refresh(instructor: Path, scores: list[TaskScore], rejected: list[Rejected], failures: list[Failure]
            ) -> dict[tuple[str, str], Late] | None:
    """Export again as the last grading run did (its roster, due dates and submission times), for new scores;
    ``None`` when that run had neither roster nor due dates. A failure is appended to ``failures``."""
    path = instructor / RUN_FILE
    if not path.is_file():
        return None
    try:
        state = json.loads(path.read_text())
        setup = TermSetup.load(instructor, Path(state["roster"]) if state["roster"] else None,
                               Path(state["due"]) if state["due"] else None)
        found = Collected()
        for student, lesson in state["collected"]:
            found.by_lesson.setdefault(lesson, []).append(student)
        found.times = {(s, lesson): datetime.fromisoformat(when) for s, lesson, when in state["times"]}
    except Exception as exc:  # noqa: BLE001 - the export is the grader's: its failure is reported, not a crash
        failures.append(Failure("", "", "term export", f"{RUN_FILE}: {type(exc).__name__}: {exc}"[:300]))
        return None
    return setup.export(instructor, scores, rejected, failures, found)
