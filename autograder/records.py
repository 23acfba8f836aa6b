"""What the grading steps hand each other: rejections, failures, notices, scores, and nbgrader's errors.

Every step of :mod:`autograder.pipeline` reports in these types, and none of
them knows about any step, so every module can import this one.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from .students import StudentIds


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


@dataclass
class TaskScore:
    """One graded exercise of one student's lesson."""

    student: str
    lesson: str
    task: str
    score: float
    max_score: float


def totals(rows: list[TaskScore]) -> dict[tuple[str, str], tuple[float, float]]:
    """``{(student, lesson): (score, max_score)}`` summed over exercises."""
    out: dict[tuple[str, str], tuple[float, float]] = {}
    for r in rows:
        s, m = out.get((r.student, r.lesson), (0.0, 0.0))
        out[(r.student, r.lesson)] = (s + r.score, m + r.max_score)
    return out


@dataclass
class Collected:
    """What :func:`autograder.collect.collect` found: what to grade (by grading id), and what not, with reasons."""

    by_lesson: dict[str, list[str]] = field(default_factory=dict)
    rejected: list[Rejected] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    ids: StudentIds = field(default_factory=StudentIds)
    #: when each ``(student name, lesson)`` was submitted (its ``timestamp.txt``, nbgrader's convention), UTC
    times: dict[tuple[str, str], datetime] = field(default_factory=dict)
